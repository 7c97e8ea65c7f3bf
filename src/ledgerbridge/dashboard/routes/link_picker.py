"""Link a record to an object QuickBooks already holds, picked from QuickBooks' own list.

The record page's Link form is a search (a GET form): this page lists QuickBooks' customers,
vendors or items matching it (by name, email or SKU) from ledgerbridge's copy of QuickBooks'
lists (`Service.quickbooks_list`, what the API's `/quickbooks/{list}` answers), says how
current that copy is, and offers "Refresh from QuickBooks" (`Service.refresh_quickbooks`).
Each result has a Link button: the record's own link action (which asks to confirm first), so
nothing here links by itself. Works without JavaScript; one column on a phone.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.dashboard import web
from ledgerbridge.dashboard.present import record_name, type_label
from ledgerbridge.engine.errors import InvalidCursor, Unreachable

__all__ = ["PICKED_LISTS", "router"]

router = APIRouter()

PICKED_LISTS = {"customer": "customers", "vendor": "vendors", "item": "items"}
"""The record types whose Link is a pick from QuickBooks' list of the same kind."""

PAGE = 25

_REFRESHED = {
    "current": ("ok", "QuickBooks' list is up to date."),
    "reading": (
        "info",
        "QuickBooks is still being read, so the list below may not show the latest changes "
        "yet. Refresh again in a minute.",
    ),
    "waiting": (
        "info",
        "QuickBooks Desktop's lists are read at the Web Connector's next update (it calls in "
        "on its schedule; it cannot be called). Come back to this list after it.",
    ),
    "throttled": (
        "error",
        "QuickBooks asked us to slow down, so its list was not read now. Try again in a minute.",
    ),
    "not_connected": (
        "error",
        "QuickBooks' list cannot be read: this connection is not connected to its QuickBooks "
        "company. Connect it again on the Overview page.",
    ),
    "suspended": (
        "error",
        "QuickBooks' list cannot be read: the company's QuickBooks subscription has lapsed.",
    ),
    "unavailable": (
        "error",
        "QuickBooks did not answer, so its list was not read now. Try again in a few minutes.",
    ),
}
"""What a refresh did (the `refreshed` of the redirect after it), in plain words."""


def _suggested(view: Any) -> str | None:
    """The QuickBooks object the record's problem names, when linking to it is the fix."""
    problem = view.problem
    if problem is not None and "link" in problem.actions:
        found = problem.params.get("quickbooks_id")
        return str(found) if found else None
    return None


@router.get("/connections/{connection_id}/link/{record_type}/{app_id:path}", name="link_picker")
def link_picker(
    request: Request,
    connection_id: str,
    record_type: str,
    app_id: str,
    user: web.SignedIn,
    board: web.Board,
    q: str = "",
    cursor: str = "",
    refreshed: str = "",
) -> Response:
    service = board.service
    connection = service.connection(user.key_id, connection_id)
    view = service.record(user.key_id, connection_id, record_type, app_id)
    name = record_name(record_type, view.data)
    list_name = PICKED_LISTS.get(record_type)
    if list_name is None:  # other records are linked by their QuickBooks id on their page
        return web.redirect(
            request,
            web.path(
                request,
                "record",
                connection_id=connection_id,
                record_type=record_type,
                app_id=app_id,
            ),
        )
    search = q.strip()
    try:
        page = service.quickbooks_list(
            user.key_id,
            connection_id,
            list_name,
            q=search or None,
            cursor=cursor or None,
            limit=PAGE,
        )
    except InvalidCursor:  # an address edited by hand, or from an older server: page one
        page = service.quickbooks_list(
            user.key_id, connection_id, list_name, q=search or None, limit=PAGE
        )
    notice = _REFRESHED.get(refreshed)
    return web.render(
        request,
        "link_picker.html",
        title=f"Link {type_label(record_type).lower()} {name or app_id}",
        connection=connection,
        record=view,
        name=name,
        kind=type_label(record_type).lower(),
        kinds={"customer": "customers", "vendor": "vendors", "item": "items"}[record_type],
        q=search,
        page=page,
        age=page.freshness.age_seconds(page.now),
        linkable="link" in view.actions,
        suggested=_suggested(view),
        notice=notice,
    )


@router.post("/connections/{connection_id}/quickbooks/refresh", name="quickbooks_refresh")
def refresh(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    record_type: Annotated[str, Form(alias="type")],
    app_id: Annotated[str, Form(alias="id")],
    q: Annotated[str, Form()] = "",
) -> Response:
    """Read QuickBooks' changes now (waiting half a minute at most), then the picker again."""
    try:
        done = board.service.refresh_quickbooks(user.key_id, connection_id, wait=30)
        outcome = "current" if done.current else "waiting" if done.waiting_for else "reading"
    except Unreachable as unreachable:
        outcome = _plain(unreachable)
    return web.redirect(
        request,
        web.path(
            request,
            "link_picker",
            {"q": q, "refreshed": outcome},
            connection_id=connection_id,
            record_type=record_type,
            app_id=app_id,
        ),
    )


def _plain(unreachable: Unreachable) -> str:
    """Why QuickBooks could not be read, as a key of `_REFRESHED`."""
    code = unreachable.code
    if code == "quickbooks.throttled":
        return "throttled"
    if code in ("connection.not_connected", "connection.disconnected", "connection.wrong_company"):
        return "not_connected"
    if code == "connection.suspended":
        return "suspended"
    return "unavailable"
