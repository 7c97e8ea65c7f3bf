"""Records: upsert, read, delete, the sync log, and the actions on a record's problem."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS, ErrorResponse
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.api.schemas import ReceivedPage, RecordOut, RecordsIn, RecordsPage
from ledgerbridge.api.waits import WAITS_PER_KEY, Waits
from ledgerbridge.core.records import Incoming, RecordType
from ledgerbridge.core.status import Status, StatusName
from ledgerbridge.engine.service import PUT_MANY

__all__ = ["router"]

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/connections/{connection_id}/records",
    tags=["records"],
    responses=ERRORS,
)

_RECORD: dict[int | str, dict[str, Any]] = {200: {"model": RecordOut}}
_EXAMPLE = {
    "customer_id": "c-1",
    "date": "2025-03-01",
    "lines": [{"item_id": "i-1", "quantity": "2", "unit_price": "12.50"}],
}
RecordBody = Annotated[
    dict[str, Any],
    Body(
        description="The canonical record (design.md): amounts and quantities are decimal "
        "strings, dates YYYY-MM-DD; unknown fields are refused. Beside its fields, "
        '`"link": {"quickbooks_id": "58"}` says the record already exists in QuickBooks as '
        "that object: it is linked to it, never created (the dry run counts it as `adopt`), "
        "and what it holds otherwise is sent or reported as the connection's "
        "`quickbooks_changes` setting says.",
        examples=[_EXAMPLE],
    ),
]


@router.get(
    "",
    summary="The sync log: records by status, type or problem code",
    response_model=None,
    responses={200: {"model": RecordsPage}},
)
def list_records(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    status: StatusName | None = None,
    record_type: Annotated[RecordType | None, Query(alias="type")] = None,
    code: Annotated[str | None, Query(description="The current problem's code")] = None,
    q: Annotated[
        str | None,
        Query(
            description="Keep records whose id, name or QuickBooks number contains this "
            "(any case), across all pages"
        ),
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    page = service.records(
        key_id,
        connection_id,
        status=status,
        record_type=record_type,
        code=code,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return {"items": [view.to_json() for view in page.items], "next_cursor": page.next_cursor}


@router.put(
    "/{record_type}/{record_id}",
    summary="Upsert the app's record (the change and its sync work are committed together)",
    response_model=None,
    responses=_RECORD,
)
def put_record(
    connection_id: str,
    record_type: str,
    record_id: str,
    record: RecordBody,
    key_id: KeyId,
    service: ServiceDep,
) -> dict[str, Any]:
    return service.put_record(key_id, connection_id, record_type, record_id, record).to_json()


@router.post(
    "",
    summary=f"Upsert many records at once (at most {PUT_MANY}, committed together)",
    response_model=None,
    responses={200: {"model": ReceivedPage}},
)
def put_records(
    connection_id: str, body: RecordsIn, key_id: KeyId, service: ServiceDep
) -> dict[str, Any]:
    """For an import or a catch-up: each record is stored as its own PUT would store it; one
    that does not parse is refused alone, with its problems, and the others are stored."""
    incoming = [Incoming(r.type, r.id, r.data) for r in body.records]
    answers = service.put_records(key_id, connection_id, incoming)
    return {
        "items": [answer.to_json() for answer in answers],
        "stored": sum(answer.stored for answer in answers),
        "refused": sum(not answer.stored for answer in answers),
    }


@router.get(
    "/{record_type}/{record_id}",
    summary="A record's sync status, QuickBooks id, problem and history",
    response_model=None,
    responses={
        **_RECORD,
        429: {
            "model": ErrorResponse,
            "description": f"`wait.too_many`: the key already waits on {WAITS_PER_KEY} records "
            "(see `Retry-After`)",
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}},
        },
    },
)
async def get_record(
    request: Request,
    connection_id: str,
    record_type: str,
    record_id: str,
    key_id: KeyId,
    service: ServiceDep,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=30,
            description="Seconds to wait while the record is pending: the answer comes as soon "
            "as it is synced, blocked, failed or bypassed, or when the time is up (at once for "
            f"a record held back by auto_push). A key may hold {WAITS_PER_KEY} waits at once; "
            "one more is a 429 `wait.too_many` with `Retry-After`",
        ),
    ] = 0,
) -> dict[str, Any]:
    """Async so that a wait holds no thread of the shared pool (api/waits.py)."""
    read = partial(service.record, key_id, connection_id, record_type, record_id)
    view = await run_in_threadpool(read)
    if wait > 0 and view.status == Status.PENDING and not view.held:
        waits: Waits = request.app.state.waits
        async with waits.hold(key_id):
            await waits.until(
                partial(service.still_pending, key_id, connection_id, record_type, record_id),
                wait,
                gone=request.is_disconnected,
            )
        view = await run_in_threadpool(read)
    return view.to_json()


@router.delete(
    "/{record_type}/{record_id}",
    summary="The app deleted the record",
    response_model=None,
    responses=_RECORD,
)
def delete_record(
    connection_id: str, record_type: str, record_id: str, key_id: KeyId, service: ServiceDep
) -> dict[str, Any]:
    return service.delete_record(key_id, connection_id, record_type, record_id).to_json()


ActionParams = Annotated[
    dict[str, Any] | None,
    Body(
        description="Optional choices: `quickbooks_id` (link), `number` and `target`: "
        "ours|quickbooks (renumber), `direction`: push|take (align_account), `value` "
        "(differentiate a vendor document number), `keep`: start|end|both or `value` (shorten: "
        "which part of the text to keep, or the exact text to send, at most QuickBooks' limit; "
        "without either the start is kept)",
        examples=[{"quickbooks_id": "58"}],
    ),
]


@router.post(
    "/{record_type}/{record_id}/actions/{action}",
    summary="Act on the record's problem: retry, bypass, differentiate, link, reactivate, ...",
    description="Runs one of the actions the record offers (`actions` in the record). A 409 "
    "`action.refused` says why an action does not apply; nothing is changed then. Every "
    "action is audited.",
    response_model=None,
    responses={**_RECORD, 409: {"model": ErrorResponse, "description": "Refused, and why"}},
)
def record_action(
    connection_id: str,
    record_type: str,
    record_id: str,
    action: str,
    key_id: KeyId,
    service: ServiceDep,
    params: ActionParams = None,
) -> dict[str, Any]:
    result = service.action(key_id, connection_id, record_type, record_id, action, params)
    return result.to_json()
