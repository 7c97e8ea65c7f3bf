"""Who is calling: the `Service` behind the app and the API key of the request.

Routes declare what they need as parameters:

    def handler(key_id: KeyId, service: ServiceDep) -> ...

`KeyId` answers 401 `auth.invalid_key` unless the request carries `Authorization: Bearer <key>`
with a live key; a key only ever sees its own connections (the service scopes every call).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledgerbridge.api.errors import ApiError
from ledgerbridge.engine.service import Service

__all__ = ["KeyId", "ServiceDep", "api_key", "get_service"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made with `ledgerbridge keys create --name NAME`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_service(request: Request) -> Service:
    """The service `create_app` was given."""
    service = request.app.state.service
    assert isinstance(service, Service)
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def api_key(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    service: ServiceDep,
) -> str:
    """The id of the request's API key, or 401."""
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "auth.invalid_key",
            "send an API key as 'Authorization: Bearer <key>'",
            headers=_CHALLENGE,
        )
    key_id = service.authenticate(credentials.credentials)
    if key_id is None:
        raise ApiError(
            401, "auth.invalid_key", "this API key is unknown or revoked", headers=_CHALLENGE
        )
    return key_id


KeyId = Annotated[str, Depends(api_key)]
