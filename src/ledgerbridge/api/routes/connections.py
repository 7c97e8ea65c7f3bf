"""Connections: create, list, read, settings, mappings, disconnect, bulk resync, pull."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body
from pydantic import BaseModel, ValidationError

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS, validation_problems
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.api.schemas import (
    ConnectionOut,
    ConnectionSettings,
    Mappings,
    NewConnection,
    PullQueued,
    Queued,
    SyncSelection,
)
from ledgerbridge.core.problems import Problem
from ledgerbridge.engine.errors import Invalid

__all__ = ["router"]

router = APIRouter(
    route_class=JsonRoute, prefix="/v1/connections", tags=["connections"], responses=ERRORS
)

_CONNECTION: dict[int | str, dict[str, Any]] = {200: {"model": ConnectionOut}}
# PATCH /settings takes the settings object itself, but names its fields `settings.<name>` as
# everywhere else; so the body is read as JSON and checked here, and the schema documented.
_SETTINGS_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ConnectionSettings.model_json_schema()}},
    }
}


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Any, prefix: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc.errors(), prefix=prefix)
        raise Invalid([Problem(p["code"], p["field"], p["message"]) for p in problems]) from None


@router.post(
    "",
    status_code=201,
    summary="Create a connection",
    response_model=None,
    responses={201: {"model": ConnectionOut}},
)
def create_connection(body: NewConnection, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    settings = body.settings.model_dump(exclude_unset=True) if body.settings else None
    view = service.create_connection(key_id, body.name, body.environment, settings)
    return view.to_json()


@router.get(
    "",
    summary="List this key's connections",
    response_model=None,
    responses={200: {"model": list[ConnectionOut]}},
)
def list_connections(key_id: KeyId, service: ServiceDep) -> list[dict[str, Any]]:
    return [view.to_json() for view in service.connections(key_id)]


@router.get(
    "/{connection_id}",
    summary="Read a connection: status, company, counts per sync status",
    response_model=None,
    responses=_CONNECTION,
)
def get_connection(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.connection(key_id, connection_id).to_json()


@router.patch(
    "/{connection_id}/settings",
    summary="Change settings (only the fields sent)",
    response_model=None,
    responses=_CONNECTION,
    openapi_extra=_SETTINGS_BODY,
)
def update_settings(
    connection_id: str,
    body: Annotated[dict[str, Any], Body()],
    key_id: KeyId,
    service: ServiceDep,
) -> dict[str, Any]:
    patch = _validated(ConnectionSettings, body, "settings").model_dump(exclude_unset=True)
    return service.update_settings(key_id, connection_id, patch).to_json()


@router.get(
    "/{connection_id}/mappings",
    summary="Read the mappings of app values to QuickBooks ids",
    response_model=None,
    responses={200: {"model": Mappings}},
)
def get_mappings(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.mappings(key_id, connection_id)


@router.put(
    "/{connection_id}/mappings",
    summary="Replace the mappings of app values to QuickBooks ids",
    response_model=None,
    responses={200: {"model": Mappings}},
)
def put_mappings(
    connection_id: str, body: Mappings, key_id: KeyId, service: ServiceDep
) -> dict[str, Any]:
    return service.set_mappings(key_id, connection_id, body.model_dump(exclude_unset=True))


@router.post(
    "/{connection_id}/disconnect",
    summary="Disconnect from QuickBooks (the records stay)",
    response_model=None,
    responses=_CONNECTION,
)
def disconnect(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.disconnect(key_id, connection_id).to_json()


@router.post(
    "/{connection_id}/start_fresh",
    summary="After a reconnect to another company: forget the old company's links and start fresh",
    description="Only for a connection to the wrong company (or a disconnected one): every link "
    "and the copy of the old company are forgotten, the records wait as pending, and the next "
    "connect may pick any company; the records are then matched against it. Audited.",
    response_model=None,
    responses=_CONNECTION,
)
def start_fresh(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.start_fresh(key_id, connection_id, f"api-key:{key_id}").to_json()


@router.post(
    "/{connection_id}/check",
    summary="Ask QuickBooks again about a suspended connection (its Retry)",
    response_model=None,
    responses=_CONNECTION,
)
def check(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.check_connection(key_id, connection_id).to_json()


@router.post(
    "/{connection_id}/sync",
    summary="Sync records again (a selection, or all)",
    response_model=None,
    responses={200: {"model": Queued}},
)
def sync(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    body: SyncSelection | None = None,
) -> dict[str, Any]:
    selection = body.model_dump(exclude_none=True) if body else {}
    return service.resync(key_id, connection_id, selection).to_json()


@router.post(
    "/{connection_id}/pull",
    status_code=202,
    summary="Refresh from QuickBooks now",
    response_model=None,
    responses={202: {"description": "The pull is queued", "model": PullQueued}},
)
def pull(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    waits = service.request_pull(key_id, connection_id)
    return {"status": "queued", "waiting_until": None if waits is None else waits.isoformat()}
