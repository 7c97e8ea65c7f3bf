"""Who is calling: the `Service` behind the app and the API key of the request.

Routes declare what they need as parameters:

    def handler(key_id: KeyId, service: ServiceDep) -> ...

`KeyId` answers 401 `auth.invalid_key` unless the request carries `Authorization: Bearer <key>`
with a live key; a key only ever sees its own connections (the service scopes every call).
A request with a body is authenticated before its body is read (`api.limits.BodyGuard`, which
leaves the key it found in the scope under `KEY_SCOPE`); `KeyId` then takes that one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledgerbridge.api.errors import ApiError
from ledgerbridge.engine.service import Service

__all__ = ["KEY_SCOPE", "KeyId", "ServiceDep", "api_key", "bearer_secret", "get_service", "key_of"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made with `ledgerbridge keys create --name NAME`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
KEY_SCOPE = "ledgerbridge.key_id"
"""Where `BodyGuard` leaves the key id it authenticated (in the ASGI scope of the request)."""


def get_service(request: Request) -> Service:
    """The service `create_app` was given."""
    service = request.app.state.service
    assert isinstance(service, Service)
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    service: ServiceDep,
) -> str:
    """The id of the request's API key, or 401."""
    known = request.scope.get(KEY_SCOPE)
    if isinstance(known, str):
        return known
    return key_of(service, credentials.credentials if credentials else None)


def key_of(service: Service, secret: str | None) -> str:
    """The id of the live key `secret`, or the 401 `ApiError` (none sent, or unknown)."""
    if not secret:
        raise ApiError(
            401,
            "auth.invalid_key",
            "send an API key as 'Authorization: Bearer <key>'",
            headers=_CHALLENGE,
        )
    key_id = service.authenticate(secret)
    if key_id is None:
        raise ApiError(
            401, "auth.invalid_key", "this API key is unknown or revoked", headers=_CHALLENGE
        )
    return key_id


def bearer_secret(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, as `HTTPBearer` reads it."""
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


KeyId = Annotated[str, Depends(api_key)]
