"""JSON responses as QuickBooks sends them: money as numbers, faults in their envelopes, and the
"answer lost" response for scripted connection drops. (The `intuit_tid` header every answer
carries is added by `qbo_emulator.http.tracing`.)"""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from qbo_emulator import clock, faults
from qbo_emulator.operations import money_default

JSON_TYPE = "application/json;charset=UTF-8"


def dumps(body: Any) -> bytes:
    return orjson.dumps(body, default=money_default)


def loads(raw: bytes) -> Any:
    """Request JSON with exact decimals (clients send money as numbers or strings)."""
    return json.loads(raw, parse_float=Decimal)


def json_response(body: Any, status: int = 200) -> Response:
    return raw_json(dumps(body), status)


def raw_json(content: bytes, status: int = 200) -> Response:
    return Response(content, status_code=status, media_type=JSON_TYPE)


def fault_response(fault: faults.Fault, now: datetime | None = None) -> Response:
    moment = now or clock.utcnow()
    body = fault.body(clock.format_time_field(moment), int(time.time() * 1000))
    return json_response(body, fault.status)


class DroppedResponse(Response):
    """Starts a response and never finishes it: the server closes the connection, and the client
    gets no usable answer, as when a connection breaks after the write was committed."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=200, media_type=JSON_TYPE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", JSON_TYPE.encode()),
                    (b"content-length", b"65536"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise ConnectionDropped


class ConnectionDropped(Exception):
    """Raised after a deliberately unfinished response so that the server closes the socket."""
