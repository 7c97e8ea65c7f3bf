"""Health and reconciliation: charts of records per status (now, and day by day over 14 days),
problems by code and records synced per hour (inline SVG with the same figures as tables), and
the drift report: its exceptions first, paged, the rest counted."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from ledgerbridge.core import catalog, reconcile
from ledgerbridge.core.problems import INPUT_INVALID, Problem
from ledgerbridge.dashboard import charts, present, queries, web
from ledgerbridge.dashboard.present import RECORD_STATUSES, record_status
from ledgerbridge.engine.errors import Invalid

__all__ = ["router"]

router = APIRouter()


def _over_time(
    history: queries.StatusHistory,
) -> tuple[str, Markup, list[str], list[list[str | int]]]:
    """The chart of records per status over the last 14 days, its title, and its table (head,
    rows)."""
    title = f"Records by status at the end of each day, last {len(history.starts)} days (UTC)"

    def long(index: int, start: datetime) -> str:
        text = start.strftime("%Y-%m-%d")
        return f"{text} (now)" if index == len(history.starts) - 1 else text

    series = [
        (s, record_status(s), [bucket.get(s, 0) for bucket in history.counts])
        for s in history.statuses
    ]
    chart = charts.stacked_chart(
        "chart-over-time", title, [start.strftime("%b %d") for start in history.starts], series
    )
    head = ["Day (UTC)", *(record_status(s) for s in history.statuses), "All records"]
    rows: list[list[str | int]] = [
        [long(index, start), *(bucket.get(s, 0) for s in history.statuses), sum(bucket.values())]
        for index, (start, bucket) in enumerate(zip(history.starts, history.counts, strict=True))
    ]
    return title, chart, head, rows


@router.get("/connections/{connection_id}/health", name="health")
def health(request: Request, connection_id: str, user: web.SignedIn, board: web.Board) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    ledger = service.ledger
    statuses = [(status, int(view.counts.get(status, 0))) for status in RECORD_STATUSES]
    statuses += [(s, int(n)) for s, n in view.counts.items() if s not in RECORD_STATUSES]
    problems = [
        (code, catalog.title(code), n) for code, n in queries.problem_counts(ledger, connection_id)
    ]
    now = ledger.clock()
    hourly = queries.synced_per_hour(ledger, connection_id, now)
    over_time = queries.status_history(ledger, connection_id, now, order=list(RECORD_STATUSES))
    over_time_title, over_time_chart, over_time_head, over_time_rows = _over_time(over_time)
    heard = None  # QuickBooks Desktop: the Web Connector's last call stands for the last update
    if view.environment == "desktop":
        heard = service.web_connector_status(user.key_id, connection_id)["last_seen_at"] or ""
    return web.render(
        request,
        "health.html",
        title=f"Health: {view.name}",
        connection=view,
        web_connector_heard=heard,
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
        over_time_title=over_time_title,
        over_time_chart=over_time_chart,
        over_time_head=over_time_head,
        over_time_rows=over_time_rows,
    )


PAGE_SIZE = 25  # exceptions a page: the page stays small however many there are


def _page_number(text: str) -> int:
    """The `page` query parameter: a whole number from 1; anything else is refused, named."""
    if not text.strip():
        return 1
    if not text.strip().isdigit() or int(text.strip()) < 1 or len(text.strip()) > 6:
        raise Invalid([Problem(INPUT_INVALID, "page", "page must be a whole number from 1")])
    return int(text.strip())


@router.get("/connections/{connection_id}/reconciliation", name="reconciliation")
def reconciliation(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    page: str = "",
    kind: str = "",
) -> Response:
    """What disagrees between the app and QuickBooks first (`exceptions`, most urgent kind
    first, PAGE_SIZE a page, of one kind when `kind` is given), then the rest counted: the
    totals, the invoices paid by the app's own payments, the links per record type."""
    if kind and kind not in reconcile.KINDS:
        choices = ", ".join(reconcile.KINDS)
        raise Invalid([Problem(INPUT_INVALID, "kind", f"kind must be one of {choices}")])
    number = _page_number(page)
    service = board.service
    view = service.connection(user.key_id, connection_id)
    report = service.reconciliation(user.key_id, connection_id)
    exceptions = report.get("exceptions") or []
    shown = [e for e in exceptions if e.get("kind") == kind] if kind else exceptions
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    number = min(number, pages)
    start = (number - 1) * PAGE_SIZE
    summary = report.get("summary") or {}
    return web.render(
        request,
        "reconciliation.html",
        title=f"Reconciliation: {view.name}",
        connection=view,
        report=report,
        summary=summary,
        currency=str(report.get("currency") or "USD"),
        kinds=[
            (k, present.EXCEPTION_KINDS[k], summary.get("exceptions_by_kind", {}).get(k, 0))
            for k in reconcile.KINDS
        ],
        kind=kind,
        rows=shown[start : start + PAGE_SIZE],
        total=len(shown),
        first=start + 1,
        page=number,
        pages=pages,
    )
