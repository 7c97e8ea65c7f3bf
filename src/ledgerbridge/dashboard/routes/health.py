"""Health and reconciliation: charts of records per status, problems by code and records
synced per hour (inline SVG with the same figures as tables), and the drift report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledgerbridge.core import catalog
from ledgerbridge.dashboard import charts, queries, web
from ledgerbridge.dashboard.present import RECORD_STATUSES, record_status

__all__ = ["router"]

router = APIRouter()


def _title(code: str) -> str:
    return catalog.entry(code).title if code in catalog.ENTRIES else code


@router.get("/connections/{connection_id}/health", name="health")
def health(request: Request, connection_id: str, user: web.SignedIn, board: web.Board) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    ledger = service.ledger
    statuses = [(status, int(view.counts.get(status, 0))) for status in RECORD_STATUSES]
    statuses += [(s, int(n)) for s, n in view.counts.items() if s not in RECORD_STATUSES]
    problems = [
        (code, _title(code), n) for code, n in queries.problem_counts(ledger, connection_id)
    ]
    hourly = queries.synced_per_hour(ledger, connection_id, ledger.clock())
    return web.render(
        request,
        "health.html",
        title=f"Health: {view.name}",
        connection=view,
        status_rows=[(record_status(s), n) for s, n in statuses],
        problems=problems,
        hourly=hourly,
        status_chart=charts.bar_chart(
            "chart-statuses",
            "Records per status",
            [(record_status(s), n) for s, n in statuses],
        ),
        problem_chart=charts.bar_chart(
            "chart-problems",
            "Records stopped, by problem",
            [(title, n) for _, title, n in problems],
            tone="bar-problem",
        ),
        hourly_chart=charts.column_chart(
            "chart-hourly", "Records synced per hour, last 24 hours (UTC)", hourly
        ),
        synced_today=sum(n for _, n in hourly),
    )


@router.get("/connections/{connection_id}/reconciliation", name="reconciliation")
def reconciliation(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    report = service.reconciliation(user.key_id, connection_id)
    return web.render(
        request,
        "reconciliation.html",
        title=f"Reconciliation: {view.name}",
        connection=view,
        report=report,
    )
