"""What a request may send, decided before its body is read.

FastAPI reads a whole body before it looks at anything else, the API key included: a stranger's
200 MB upload used to be held in memory before its 401. `BodyGuard`, an ASGI middleware in
front of the routes, decides first:

1. an operation that needs an API key (its `security` in the OpenAPI document) and a request
   that carries a body: the key is checked before one byte of the body is read; a missing or
   unknown key is the usual 401 at once;
2. the body's size against the route's limit (`BODY_LIMITS`, else `DEFAULT_BODY_BYTES`): a
   `Content-Length` over it is a 413 at once, and a chunked body is counted as it streams in,
   refused with the same 413 as soon as it passes the limit (`BodyTooLarge`).

Intuit's webhook needs its body to check its signature, so its size limit is what protects
it. The limits are in the README (API section) and docs/security.md:

    PUT  .../records/{type}/{id}   2 MiB   one record; QuickBooks' own text limits (4,000
                                           characters a memo or line) keep real ones far below
    POST .../records               16 MiB  up to 1,000 records (16 KiB each on average)
    POST .../sync                  2 MiB   up to 10,000 ids
    POST /v1/qbo/webhooks          2 MiB   see WEBHOOK_BYTES
    anything else                  1 MiB   settings, mappings, actions, dashboard forms

JSON bodies of the API are then parsed by `JsonRoute` with `core.json_limits`: UTF-8 only and
at most 32 levels deep, or a 422 that says so (never a RecursionError).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge.api import auth
from ledgerbridge.api.errors import ApiError, BodyRefused, BodyTooLarge, error_response
from ledgerbridge.api.paths import paths_of, route_path
from ledgerbridge.core import json_limits
from ledgerbridge.engine.service import Service

__all__ = [
    "BODY_LIMITS",
    "BULK_BYTES",
    "DEFAULT_BODY_BYTES",
    "OWN_BODIES",
    "RECORD_BYTES",
    "WEBHOOK_BYTES",
    "BodyGuard",
    "JsonRoute",
    "document",
]

MiB: Final = 1024 * 1024
RECORD_BYTES: Final = 2 * MiB
BULK_BYTES: Final = 16 * MiB
SELECTION_BYTES: Final = 2 * MiB
WEBHOOK_BYTES: Final = 2 * MiB
"""Intuit documents no size for a notification. The largest we know of is a batch of 1,000
changes (the most the emulator puts in one POST, as change data capture's 1,000 objects):
338 KB as CloudEvents with merge data (the larger of the two formats), 411 KB pretty-printed.
2 MiB is five times that, and the most an unsigned stranger can make us hold per request."""
DEFAULT_BODY_BYTES: Final = 1 * MiB

BODY_LIMITS: Final[dict[tuple[str, str], int]] = {
    ("PUT", "/v1/connections/{connection_id}/records/{record_type}/{record_id}"): RECORD_BYTES,
    ("POST", "/v1/connections/{connection_id}/records"): BULK_BYTES,
    ("POST", "/v1/connections/{connection_id}/sync"): SELECTION_BYTES,
    ("POST", "/v1/qbo/webhooks"): WEBHOOK_BYTES,
}
"""(method, route path) -> the most bytes its body may have; other routes `DEFAULT_BODY_BYTES`."""

OWN_BODIES: Final = frozenset({"/qbwc"})
"""Paths that limit and refuse their bodies themselves: the Web Connector's SOAP endpoint
answers a SOAP fault (`api.routes.qbwc`), which the Web Connector can show, not JSON."""


class BodyGuard:
    """The ASGI middleware of the module docstring, in front of the app's routes (which
    operation a request is for, and whether it needs a key, come from the OpenAPI document)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if route_path(scope) in OWN_BODIES:
            await self.app(scope, receive, send)
            return
        operation = paths_of(scope["app"]).operation(scope["method"], route_path(scope))
        headers = Headers(scope=scope)
        announced = _content_length(headers)
        has_body = bool(announced) or "transfer-encoding" in headers
        if has_body and operation is not None and operation.needs_key:
            try:
                scope[auth.KEY_SCOPE] = await run_in_threadpool(
                    auth.key_of, _service(scope), auth.bearer_secret(headers.get("authorization"))
                )
            except ApiError as exc:
                answer = error_response(exc.status, exc.code, exc.message, headers=exc.headers)
                await answer(scope, receive, send)
                return
        limit = DEFAULT_BODY_BYTES
        if operation is not None:
            limit = BODY_LIMITS.get((operation.method, operation.path), DEFAULT_BODY_BYTES)
        if announced is not None and announced > limit:
            answer = error_response(413, "input.too_large", BodyTooLarge(limit).detail)
            await answer(scope, receive, send)
            return
        await self.app(scope, _counted(receive, limit), send)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the 413 on every operation that takes a body."""
    too_large = {
        "description": "The body is larger than this operation takes",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("413", too_large)
    return schema


def _counted(receive: Receive, limit: int) -> Receive:
    """`receive`, refusing the body (`BodyTooLarge`) as soon as more than `limit` bytes came."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.isdigit():
        return None  # the server refuses a malformed one before we are called
    return int(value)


def _service(scope: Scope) -> Service:
    service = scope["app"].state.service
    assert isinstance(service, Service)
    return service


class _JsonRequest(Request):
    """A request whose JSON body is read by `core.json_limits` (UTF-8, 32 levels at most)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json_limits.parse(body)
            except json_limits.Unreadable as exc:
                raise BodyRefused(exc.reason) from None
        return self._json


class JsonRoute(APIRoute):
    """The route class of every /v1 router: FastAPI's, with the JSON body read by
    `_JsonRequest` (its syntax errors stay FastAPI's 422 `json_invalid`)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            answer: Response = await handler(_JsonRequest(request.scope, request.receive))
            return answer

        return limited
