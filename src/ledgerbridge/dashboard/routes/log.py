"""The sync log: every record with its status and problem, filtered and searched, with bulk
Resync and Bypass of the records ticked ("Select all on this page" ticks the page's records,
through `static/dashboard.js`; the box stays hidden without script).

With htmx the filters and the bulk buttons replace only the results (`#log-results`) and the
outcome is announced in the page's live region; without script they load the whole page.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.core import catalog
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.dashboard import queries, web
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.dashboard.present import RECORD_STATUSES
from ledgerbridge.engine.errors import InvalidCursor, NotFound, Refused

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 50


def _filters(status: str, record_type: str, code: str, q: str) -> dict[str, str]:
    return {
        "status": status if status in RECORD_STATUSES else "",
        "type": record_type if record_type in RECORD_TYPES else "",
        "code": code if code in catalog.ENTRIES else "",
        "q": q.strip()[:100],
    }


def _page(
    request: Request,
    connection_id: str,
    user: DashboardUser,
    board: web.Dashboard,
    filters: dict[str, str],
    cursor: str = "",
    result: tuple[str, str] | None = None,
) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    try:
        page = service.records(
            user.key_id,
            connection_id,
            status=filters["status"] or None,
            record_type=filters["type"] or None,
            code=filters["code"] or None,
            q=filters["q"] or None,
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
    except InvalidCursor:
        return web.redirect(request, web.path(request, "log", filters, connection_id=connection_id))
    activity = queries.last_activity(
        service.ledger, connection_id, [(r.type, r.id) for r in page.items]
    )
    codes = [
        (code, catalog.title(code))
        for code, _ in queries.problem_counts(service.ledger, connection_id)
    ]
    if filters["code"] and filters["code"] not in dict(codes):
        codes.append((filters["code"], catalog.title(filters["code"])))
    context: dict[str, Any] = {
        "title": f"Sync log: {view.name}",
        "connection": view,
        "records": page.items,
        "next_cursor": page.next_cursor,
        "activity": activity,
        "filters": filters,
        "codes": codes,
        "types": RECORD_TYPES,
        "statuses": RECORD_STATUSES,
        "result": result,
        "first_page": not cursor,
    }
    wanted = request.headers.get("hx-target")
    if web.is_htmx(request) and wanted == "log-results":
        return web.render(request, "log_results.html", **context)
    return web.render(request, "log.html", **context)


@router.get("/connections/{connection_id}/log", name="log")
def log(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    status: str = "",
    type: str = "",
    code: str = "",
    q: str = "",
    cursor: str = "",
) -> Response:
    return _page(request, connection_id, user, board, _filters(status, type, code, q), cursor)


@router.post("/connections/{connection_id}/log/bulk", name="bulk")
def bulk(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    operation: Annotated[str, Form()] = "",
    selected: Annotated[list[str] | None, Form()] = None,
    status: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
) -> Response:
    filters = _filters(status, type, code, q)
    keys = [_key(item) for item in selected or [] if ":" in item]  # "type:app id"
    if not keys:
        result = ("error", "Tick at least one record first.")
    elif operation == "resync":
        result = _resync(board, user, connection_id, keys)
    elif operation == "bypass":
        result = _bypass(board, user, connection_id, keys)
    else:
        result = ("error", "Choose Resync or Bypass.")
    return _page(request, connection_id, user, board, filters, result=result)


def _key(item: str) -> tuple[str, str]:
    record_type, _, app_id = item.partition(":")
    return record_type, app_id


def _resync(
    board: web.Dashboard, user: DashboardUser, connection_id: str, keys: list[tuple[str, str]]
) -> tuple[str, str]:
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type, app_id in keys:
        by_type[record_type].append(app_id)
    results = [
        board.service.resync(user.key_id, connection_id, {"type": t, "ids": ids}, actor=user.actor)
        for t, ids in by_type.items()
    ]
    queued = sum(r.queued for r in results)
    left = [item for r in results for item in r.left]
    bypassed = len(keys) - queued - len(left)
    text = f"{_records(queued)} queued to be sent again."
    if left:
        shown = "; ".join(f"{i['type']} {i['id']}: {i['reason']}" for i in left[:5])
        more = f" and {len(left) - 5} more" if len(left) > 5 else ""
        text += f" {_records(len(left))} left as they are, their problem is in QuickBooks: "
        text += f"{shown}{more}."
    if bypassed:
        text += f" {_records(bypassed)} left as they are (bypassed records are not resent)."
    return ("ok", text)


def _bypass(
    board: web.Dashboard, user: DashboardUser, connection_id: str, keys: list[tuple[str, str]]
) -> tuple[str, str]:
    done, refused = 0, []
    for record_type, app_id in keys:
        try:
            board.service.action(
                user.key_id, connection_id, record_type, app_id, "bypass", actor=user.actor
            )
            done += 1
        except (Refused, NotFound) as exc:
            why = exc.reason if isinstance(exc, Refused) else "not found"
            refused.append(f"{record_type} {app_id}: {why}")
    text = f"{_records(done)} bypassed."
    if refused:
        text += f" Not bypassed: {'; '.join(refused)}."
    return ("error" if refused and not done else "ok", text)


def _records(count: int) -> str:
    return f"{count} record{'s' if count != 1 else ''}"
