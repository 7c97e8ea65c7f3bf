"""Intuit's webhook notifications: `POST /v1/qbo/webhooks`, signed, no API key.

The raw body is checked against the `intuit-signature` header (a bad one: 401), parsed (not a
notification: 400), and the connections of the companies it names are told to pull; the answer
is 200 at once, since Intuit retries slow endpoints.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from ledgerbridge.adapters.qbo import MalformedNotification
from ledgerbridge.api.auth import ServiceDep
from ledgerbridge.api.errors import ApiError, ErrorResponse
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.engine.errors import Invalid

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["webhooks"])


async def _raw_body(request: Request) -> bytes:
    """The body exactly as received (the signature covers these bytes)."""
    return await request.body()


_BODY = {
    "requestBody": {
        "required": True,
        "description": "A legacy (eventNotifications) or CloudEvents notification",
        "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
    }
}


@router.post(
    "/v1/qbo/webhooks",
    summary="Receive QuickBooks change notifications",
    response_model=None,
    openapi_extra=_BODY,
    responses={
        401: {"model": ErrorResponse, "description": "The signature does not match"},
        400: {"model": ErrorResponse, "description": "Not a notification"},
        422: {"model": ErrorResponse, "description": "A header is not valid"},
    },
)
def receive_webhook(
    body: Annotated[bytes, Depends(_raw_body)],
    service: ServiceDep,
    signature: Annotated[str | None, Header(alias="intuit-signature")] = None,
) -> dict[str, Any]:
    try:
        service.receive_webhook(body, signature)
    except Invalid:
        raise ApiError(
            401, "webhook.bad_signature", "the intuit-signature does not match"
        ) from None
    except MalformedNotification as exc:
        raise ApiError(400, "webhook.malformed", str(exc)) from None
    return {"received": True}
