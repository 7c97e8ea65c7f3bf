"""Reports on a connection: the reconciliation (drift) report, verify and the dry-run plan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS
from ledgerbridge.api.limits import JsonRoute

__all__ = ["router"]

router = APIRouter(
    route_class=JsonRoute, prefix="/v1/connections", tags=["reports"], responses=ERRORS
)

_JSON = {"content": {"application/json": {"schema": {"type": "object"}}}}


@router.get(
    "/{connection_id}/reconciliation",
    summary="The drift report: links, totals, mismatches, deleted, moved, voided, paid",
    response_model=None,
    responses={200: {"description": "The report (see engine/reconciliation.py)", **_JSON}},
)
def get_reconciliation(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.reconciliation(key_id, connection_id)


@router.post(
    "/{connection_id}/plan",
    summary="A dry run: what a sync would create, link, update or refuse now (writes nothing)",
    response_model=None,
    responses={200: {"description": "The plan (see engine/dryrun.py)", **_JSON}},
)
def post_plan(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.plan(key_id, connection_id)


@router.post(
    "/{connection_id}/verify",
    summary="Read QuickBooks afresh and check every synced record against it",
    description="Every linked record is compared with its QuickBooks object read now "
    "(present, active, not voided or deleted, under the linked parent, same values). A record "
    "that says synced while QuickBooks disagrees is a mismatch, listed with both values, and "
    "becomes that record's problem. `stopped` says why QuickBooks could not be read "
    "(`throttled` with `waiting_until`: QuickBooks' limits make the company wait until then, "
    "and nothing was read). On a "
    "QuickBooks Desktop connection nothing is read now: `waiting_for` is `web_connector`, the "
    "Web Connector's next session verifies (mismatches become their records' problems) and "
    "keeps the report in the audit entry `audit_entry`.",
    response_model=None,
    responses={200: {"description": "The report (see engine/verify.py)", **_JSON}},
)
def post_verify(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.verify(key_id, connection_id)
