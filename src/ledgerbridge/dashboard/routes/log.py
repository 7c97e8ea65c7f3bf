"""The sync log: every record with its status and problem, filtered, searched, sorted by any
column (newest activity first), counted and paged (any page, 25 to 200 a page), all of it kept
in the page's address; the current filter as CSV; bulk Resync and Bypass of the records ticked
(on any page: `static/dashboard.js` remembers ticks across pages) or of every record that
matches.

Besides the filters of the form: `changed=<code>|any` (the records a change made in QuickBooks
reached in the last 24 hours, the overview's links), `waits_for=<type>:<id>` (every record
waiting for that one) and `needs=person`, Everything that needs a person (`dashboard.needs`:
the records in error and the blocked ones, each blocked one under the record holding it up).
A value these cannot use is refused naming its field (422).

After a bulk action the log shows the records it touched (`acted=`), whatever the filter was,
and while any record shown is being sent, the results ask again every few seconds (htmx
polling, which stops once nothing shown is pending). Bad paging or sorting values are refused
naming the field (422); a page past the end shows the last page.

With htmx the filters and the bulk buttons replace only the results (`#log-results`) and the
outcome is announced in the page's live region; without script they load the whole page.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response, StreamingResponse

from ledgerbridge.core import catalog
from ledgerbridge.core.problems import INPUT_INVALID, Problem
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.core.status import Status
from ledgerbridge.dashboard import log_listing, overview, queries, web
from ledgerbridge.dashboard import needs as needs_listing
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.dashboard.log_listing import LogQuery
from ledgerbridge.dashboard.present import RECORD_STATUSES, record_name, record_status
from ledgerbridge.engine.errors import Invalid, NotFound, Refused
from ledgerbridge.storage.tables import utcnow

__all__ = ["PAGE_SIZES", "csv_cell", "router"]

router = APIRouter()

PAGE_SIZES = (25, 50, 100, 200)
PAGE_SIZE = 50
BULK_LIMIT = 10_000  # "all that match" acts on this many records at most
POLL = "every 3s"  # how often a page with work under way asks again
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FILTER_KEYS = ("status", "type", "code", "q", "changed", "waits_for")


def _filters(
    status: str, record_type: str, code: str, q: str, changed: str = "", waits_for: str = ""
) -> dict[str, str]:
    return {
        "status": status if status in RECORD_STATUSES else "",
        "type": record_type if record_type in RECORD_TYPES else "",
        "code": code if code in catalog.ENTRIES else "",
        "q": q.strip()[:100],
        "changed": _changed(changed),
        "waits_for": _waits_for(waits_for),
    }


def _refuse(field: str, why: str) -> Invalid:
    return Invalid([Problem(INPUT_INVALID, field, why, {"reason": why})])


def _view(sort: str, direction: str, page: str, size: str, acted: str) -> dict[str, Any]:
    """The log's sort, page, page size and bulk-action view, checked: a value that cannot be
    used is refused naming its field (422), never guessed."""
    sort = sort or "activity"
    if sort not in log_listing.SORTS:
        raise _refuse("sort", f"sort by one of {', '.join(log_listing.SORTS)}")
    direction = direction or ("desc" if sort == "activity" else "asc")
    if direction not in ("asc", "desc"):
        raise _refuse("dir", "the order is asc or desc")
    try:
        number = int(page or "1")
    except ValueError:
        raise _refuse("page", "the page is a whole number, 1 or more") from None
    if number < 1:
        raise _refuse("page", "the page is a whole number, 1 or more")
    try:
        per_page = int(size or PAGE_SIZE)
    except ValueError:
        per_page = 0
    if per_page not in PAGE_SIZES:
        raise _refuse("size", f"show {', '.join(map(str, PAGE_SIZES))} records a page")
    since: datetime | None = None
    if acted:
        try:
            since = datetime.fromisoformat(acted)
        except ValueError:
            raise _refuse("acted", "the moment of a bulk action, as the log wrote it") from None
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return {"sort": sort, "dir": direction, "page": number, "size": per_page, "acted": since}


def _changed(value: str) -> str:
    """The `changed` filter: a problem code a change in QuickBooks stands for, or "any";
    anything else is refused naming the field."""
    value = value.strip()
    if value and value != "any" and value not in catalog.ENTRIES:
        raise _refuse("changed", "a problem code from the overview's changes, or any")
    return value


def _waits_for(value: str) -> str:
    """The `waits_for` filter: ``type:app id`` of the record the listed ones wait for."""
    if not value:
        return ""
    record_type, _, app_id = value.partition(":")
    if (
        record_type not in RECORD_TYPES
        or not app_id
        or len(app_id) > 200
        or any(ord(ch) < 32 for ch in app_id)
    ):
        raise _refuse("waits_for", "a record as type:app id, such as customer:cus-1")
    return value


def _needs(value: str) -> bool:
    if value not in ("", "person"):
        raise _refuse("needs", "the only view of this kind is needs=person")
    return value == "person"


def _query(
    filters: dict[str, str], view: dict[str, Any], user: DashboardUser, now: datetime
) -> LogQuery:
    changed = filters.get("changed") or None
    waits_for = filters.get("waits_for") or ""
    return LogQuery(
        waits_for=_key(waits_for) if waits_for else None,
        changed=changed,
        changed_since=overview.changed_since(now) if changed else None,
        status=filters["status"] or None,
        type=filters["type"] or None,
        code=filters["code"] or None,
        q=filters["q"] or None,
        acted_since=view["acted"],
        actor=user.actor if view["acted"] else None,
        sort=view["sort"],
        descending=view["dir"] == "desc",
    )


def _url_state(filters: dict[str, str], view: dict[str, Any]) -> dict[str, str]:
    """What the log's address keeps (defaults left out)."""
    state = dict(filters)
    if view["acted"] is not None:
        state["acted"] = view["acted"].isoformat()
    if view["sort"] != "activity" or view["dir"] != "desc":
        state["sort"] = view["sort"]
        state["dir"] = view["dir"]
    if view["size"] != PAGE_SIZE:
        state["size"] = str(view["size"])
    return state


def _polled(request: Request) -> bool:
    """A request of the page's own polling (nobody clicked: the live region keeps its text)."""
    return web.is_htmx(request) and request.headers.get("hx-trigger") in (
        "log-results",
        "record-panel",
    )


def _page(
    request: Request,
    connection_id: str,
    user: DashboardUser,
    board: web.Dashboard,
    filters: dict[str, str],
    view: dict[str, Any],
    result: tuple[str, str] | None = None,
) -> Response:
    service = board.service
    connection = service.connection(user.key_id, connection_id)
    wanted = _query(filters, view, user, board.service.ledger.clock())
    total = log_listing.count(service.ledger, connection_id, wanted)
    pages = max(1, -(-total // view["size"]))
    number = min(view["page"], pages)  # a page past the end (the filter shrank): the last
    rows = log_listing.page(
        service.ledger,
        connection_id,
        user.key_id,
        wanted,
        offset=(number - 1) * view["size"],
        limit=view["size"],
    )
    codes = [
        (code, catalog.title(code))
        for code, _ in queries.problem_counts(service.ledger, connection_id)
    ]
    if filters["code"] and filters["code"] not in dict(codes):
        codes.append((filters["code"], catalog.title(filters["code"])))
    state = _url_state(filters, view)
    waited = ""
    if filters["waits_for"]:
        record_type, app_id = _key(filters["waits_for"])
        waited = needs_listing.name_of(service.ledger, connection_id, record_type, app_id)
    working = [r for r in rows if r.record.status == Status.PENDING and not r.record.held]
    context: dict[str, Any] = {
        "title": f"Sync log: {connection.name}",
        "connection": connection,
        "rows": rows,
        "records": [r.record for r in rows],
        "filters": filters,
        "view": view,
        "state": state,
        "this_page": dict(state, page=str(number)) if number > 1 else state,
        "total": total,
        "page": number,
        "pages": pages,
        "first_row": (number - 1) * view["size"] + 1 if rows else 0,
        "last_row": (number - 1) * view["size"] + len(rows),
        "window": _window(number, pages),
        "sizes": PAGE_SIZES,
        "sorts": log_listing.SORTS,
        "codes": codes,
        "types": RECORD_TYPES,
        "statuses": RECORD_STATUSES,
        "result": result,
        "waited": waited,
        "polled": _polled(request),
        "live": connection.status == "active" and bool(working),
        "working": len(working),
        "bulk_limit": BULK_LIMIT,
        "poll": POLL,
    }
    wanted_target = request.headers.get("hx-target")
    if web.is_htmx(request) and wanted_target == "log-results":
        return web.render(request, "log_results.html", **context)
    return web.render(request, "log.html", **context)


def _window(number: int, pages: int) -> list[int]:
    """The page numbers the pager names: the first, the last and two either side of this one."""
    shown = {1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)}
    return sorted(shown)


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
    sort: str = "",
    dir: str = "",
    page: str = "",
    size: str = "",
    acted: str = "",
    changed: str = "",
    waits_for: str = "",
    needs: str = "",
) -> Response:
    view = _view(sort, dir, page, size, acted)
    if _needs(needs):
        return _needs_page(request, connection_id, user, board, view)
    filters = _filters(status, type, code, q, changed, waits_for)
    return _page(request, connection_id, user, board, filters, view)


def _needs_page(
    request: Request,
    connection_id: str,
    user: DashboardUser,
    board: web.Dashboard,
    view: dict[str, Any],
) -> Response:
    """Everything that needs a person: the records in error and the blocked ones, each
    blocked record under the record that stops it (`dashboard.needs`), a page of groups."""
    service = board.service
    connection = service.connection(user.key_id, connection_id)
    size = view["size"]
    first = needs_listing.page(
        service.ledger, connection_id, user.key_id, offset=(view["page"] - 1) * size, limit=size
    )
    pages = max(1, -(-first.total_groups // size))
    number = min(view["page"], pages)
    found = first
    if number != view["page"]:  # past the end: the last page
        found = needs_listing.page(
            service.ledger, connection_id, user.key_id, offset=(number - 1) * size, limit=size
        )
    state = {"needs": "person", **({"size": str(size)} if size != PAGE_SIZE else {})}
    return web.render(
        request,
        "log_needs.html",
        title=f"Everything that needs a person: {connection.name}",
        connection=connection,
        found=found,
        page=number,
        pages=pages,
        state=state,
        window=_window(number, pages),
        sizes=PAGE_SIZES,
        view=view,
        shown=needs_listing.SHOWN,
    )


def csv_cell(value: object) -> str:
    """A cell as text a spreadsheet shows and never runs: one that starts like a formula
    (= + - @, a tab or a carriage return) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


_CSV_HEADER = (
    "Type",
    "App id",
    "Name",
    "Status",
    "QuickBooks id",
    "QuickBooks number",
    "Last activity (UTC)",
    "Problem code",
    "Problem",
)


@router.get("/connections/{connection_id}/log.csv", name="log_csv")
def log_csv(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    status: str = "",
    type: str = "",
    code: str = "",
    q: str = "",
    sort: str = "",
    dir: str = "",
    acted: str = "",
    changed: str = "",
    waits_for: str = "",
) -> Response:
    """Every record of the current filter, in the log's order, as CSV (written as it is read)."""
    view = _view(sort, dir, "", "", acted)
    filters = _filters(status, type, code, q, changed, waits_for)
    connection = board.service.connection(user.key_id, connection_id)
    wanted = _query(filters, view, user, board.service.ledger.clock())
    ledger = board.service.ledger

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_CSV_HEADER)
        for row in log_listing.export_rows(ledger, connection_id, wanted):
            data = row.data if isinstance(row.data, dict) else {}
            cells = (
                row.type,
                row.app_id,
                record_name(row.type, data),
                record_status(row.status),
                row.quickbooks_id,
                row.quickbooks_number,
                row.activity.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if row.activity else "",
                row.problem_code,
                catalog.title(row.problem_code) if row.problem_code else "",
            )
            writer.writerow([csv_cell(cell) for cell in cells])
            if buffer.tell() > 16_384:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    name = "".join(ch if ch.isalnum() else "-" for ch in connection.name).strip("-") or "log"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="sync-log-{name}.csv"'},
    )


@router.post("/connections/{connection_id}/log/bulk", name="bulk")
def bulk(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    operation: Annotated[str, Form()] = "",
    selected: Annotated[list[str] | None, Form()] = None,
    scope: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
    sort: Annotated[str, Form()] = "",
    dir: Annotated[str, Form()] = "",
    size: Annotated[str, Form()] = "",
    acted: Annotated[str, Form()] = "",
    changed: Annotated[str, Form()] = "",
    waits_for: Annotated[str, Form()] = "",
) -> Response:
    filters = _filters(status, type, code, q, changed, waits_for)
    view = _view(sort, dir, "", size, acted)
    board.service.connection(user.key_id, connection_id)  # NotFound before anything is read
    if scope == "all":  # every record that matches, on every page
        matched = log_listing.keys(
            board.service.ledger,
            connection_id,
            _query(filters, view, user, board.service.ledger.clock()),
            limit=BULK_LIMIT,
        )
        keys = [(t, a) for t, a, _ in matched]
    else:
        keys = list(dict.fromkeys(_key(item) for item in selected or [] if ":" in item))
    # the records this action touches are shown afterwards (`LogQuery.acted_since`): from
    # this moment, on whichever clock the history is written with (the ledger's or the wall's)
    since = min(board.service.ledger.clock(), utcnow())
    if not keys:
        result = ("error", "Tick at least one record first.")
    elif operation == "resync":
        result = _resync(board, user, connection_id, keys)
    elif operation == "bypass":
        result = _bypass(board, user, connection_id, keys)
    else:
        result = ("error", "Choose Resync or Bypass.")
    if not keys or operation not in ("resync", "bypass"):
        return _page(request, connection_id, user, board, filters, view, result=result)
    # the records acted on stay in view (not the filter, which they may have left)
    empty = {k: "" for k in _FILTER_KEYS}
    acted_view = dict(view, acted=since, page=1, sort="activity", dir="desc")
    response = _page(request, connection_id, user, board, empty, acted_view, result=result)
    url = web.path(request, "log", _url_state(empty, acted_view), connection_id=connection_id)
    response.headers["HX-Push-Url"] = url
    return response


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
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        text += f" Not bypassed: {'; '.join(refused[:5])}{more}."
    return ("error" if refused and not done else "ok", text)


def _records(count: int) -> str:
    return f"{count} record{'s' if count != 1 else ''}"
