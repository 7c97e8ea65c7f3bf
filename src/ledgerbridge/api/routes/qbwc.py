"""QuickBooks Desktop's Web Connector: the SOAP endpoint (`POST /qbwc`, the WSDL at
`GET /qbwc?wsdl`; no API key: the Web Connector authenticates with its own user name and
password), and a Desktop connection's .qwc file and Web Connector password (`/v1`, with the
key).

The endpoint reads its own body (the API's `BodyGuard` leaves it alone): at most
`soap.MAX_BODY` bytes, read as it streams in, within `READ_SECONDS`; anything that is not one
well-formed call of the WSDL is a SOAP fault (HTTP 400), never a 500 or a wait.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import anyio
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.adapters.qbwc import soap
from ledgerbridge.api.auth import KeyId, ServiceDep, get_service
from ledgerbridge.api.errors import ERRORS
from ledgerbridge.api.limits import JsonRoute

__all__ = ["QBWC_PATH", "router", "soap_router"]

QBWC_PATH: Final = "/qbwc"
_XML: Final = "text/xml; charset=utf-8"
READ_SECONDS: Final = 120
"""The most a body may take to arrive (16 MB over a slow office line is well within it): a
client that trickles one holds no worker for longer."""
_log = logging.getLogger(__name__)

soap_router = APIRouter(tags=["desktop"])
router = APIRouter(
    route_class=JsonRoute, prefix="/v1/connections", tags=["desktop"], responses=ERRORS
)


@soap_router.get(QBWC_PATH, summary="The Web Connector service's WSDL", include_in_schema=False)
def wsdl(request: Request) -> Response:
    url = str(request.url.replace(query="", fragment=""))
    return Response(soap.wsdl(url), media_type=_XML)


@soap_router.post(QBWC_PATH, summary="The Web Connector service (SOAP)", include_in_schema=False)
async def call(request: Request) -> Response:
    try:
        body = await _body(request)
        parsed = soap.parse(body)
    except soap.Fault as refused:
        return Response(soap.fault(refused), status_code=400, media_type=_XML)
    service = get_service(request)
    try:
        address = request.client.host if request.client else "unknown"
        result = await run_in_threadpool(service.qbwc_call, parsed.method, parsed.params, address)
    except Exception:  # a fault of ours: the Web Connector gets a fault, the log the trace
        _log.exception("the Web Connector's %s failed", parsed.method)
        ours = soap.Fault("The service could not answer; it has been logged.", "Server")
        return Response(soap.fault(ours), status_code=500, media_type=_XML)
    return Response(soap.answer(parsed.method, result), media_type=_XML)


async def _body(request: Request) -> bytes:
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > soap.MAX_BODY:
        raise soap.Fault(f"The request is larger than {soap.MAX_BODY // (1024 * 1024)} MB.")
    chunks: list[bytes] = []
    seen = 0
    with anyio.move_on_after(READ_SECONDS) as deadline:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > soap.MAX_BODY:
                raise soap.Fault(f"The request is larger than {soap.MAX_BODY // (1024 * 1024)} MB.")
            chunks.append(chunk)
    if deadline.cancelled_caught:
        raise soap.Fault(f"The request did not arrive within {READ_SECONDS} seconds.")
    return b"".join(chunks)


_QWC_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The .qwc file to add to the Web Connector on the QuickBooks PC",
        "content": {"application/xml": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{connection_id}/qwc",
    summary="A Desktop connection's .qwc file",
    description=(
        "The file the bookkeeper adds to QuickBooks' Web Connector (File > Add an "
        "application): the service's URL (as this request reached it), the Web Connector's "
        "user name, and the OwnerID and FileID that stay the same for the connection's life. "
        "The password is not in the file: set one with POST .../web-connector-password and "
        "type it into the Web Connector. Only for connections of environment `desktop`."
    ),
    response_class=Response,
    responses=_QWC_RESPONSES,
)
def qwc(connection_id: str, request: Request, key_id: KeyId, service: ServiceDep) -> Response:
    base = str(request.base_url)
    content = service.qwc_file(key_id, connection_id, base)
    name = "".join(ch for ch in connection_id if ch.isalnum() or ch in "-_")
    return Response(
        content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="ledgerbridge-{name}.qwc"'},
    )


@router.post(
    "/{connection_id}/web-connector-password",
    summary="A new password for a Desktop connection's Web Connector",
    description=(
        "Makes a new password (the old one stops working) and answers it with the user name, "
        "this once: only a hash is kept. Type it into the Web Connector on the QuickBooks PC."
    ),
)
def web_connector_password(
    connection_id: str, key_id: KeyId, service: ServiceDep
) -> dict[str, str]:
    return service.web_connector_password(key_id, connection_id)


@router.get(
    "/{connection_id}/web-connector",
    summary="What a Desktop connection's Web Connector last reported",
    description=(
        "The company file it works with (path and name), the closing date and qbXML version "
        "QuickBooks reported, when the Web Connector was last seen and last finished its work, "
        "its progress, the last error it reported, and what the look-ups found."
    ),
)
def web_connector_status(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.web_connector_status(key_id, connection_id)
