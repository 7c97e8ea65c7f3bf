"""The event feed: what the app must know, polled with `after=<last id seen>`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.api.schemas import EventsPage

__all__ = ["LAST_EVENT_ID", "router"]

LAST_EVENT_ID = 2**63 - 1
"""Event ids are 64-bit signed integers in both databases; a larger `after` is a 422, not a
number the database driver cannot even bind."""

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/connections/{connection_id}",
    tags=["events"],
    responses=ERRORS,
)


@router.get(
    "/events",
    summary="Events after an id, oldest first",
    response_model=None,
    responses={200: {"model": EventsPage}},
)
def list_events(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    after: Annotated[int, Query(ge=0, le=LAST_EVENT_ID, description="The last event id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    items = service.events(key_id, connection_id, after=after, limit=limit)
    return {"items": items, "next_after": items[-1]["id"] if items else after}
