"""Settings: what the connection does with what people make in QuickBooks itself, per type
(`from_quickbooks_*`: off, events, import; invoices off or events), saved with a message that
says what each type now does; and the initial import of QuickBooks' lists, started and followed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.core import twoway
from ledgerbridge.dashboard import web
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.engine.errors import Invalid, Refused

__all__ = ["MODE_WORDS", "router"]

router = APIRouter()

TYPE_WORDS: Mapping[str, str] = {
    "customers": "Customers",
    "vendors": "Vendors",
    "items": "Items",
    "payments": "Payments against the app's invoices",
    "invoices": "Invoices (read-only for now)",
}
MODE_WORDS: Mapping[str, str] = {
    "off": "Off: the app is not told",
    "events": "Events: the app is told (events feed and webhook)",
    "import": "Import: told, and kept for the app to acknowledge",
}

SAVED_WORDS: Mapping[str, str] = {
    "off": "not told to the app",
    "events": "told to the app",
    "import": "told and kept for the app to take",
}


def _page(
    request: Request,
    board: web.Dashboard,
    user: DashboardUser,
    connection_id: str,
    *,
    result: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    rows = [
        {
            "type": type_,
            "setting": twoway.setting_of(type_),
            "label": TYPE_WORDS.get(type_, type_),
            "current": str(view.settings.get(twoway.setting_of(type_), twoway.DEFAULT)),
            "modes": [(mode, MODE_WORDS[mode]) for mode in twoway.modes_of(type_)],
        }
        for type_ in twoway.TYPES
    ]
    progress = service.import_progress(user.key_id, connection_id)
    return web.render(
        request,
        "settings.html",
        status=status,
        title=f"Settings: {view.name}",
        connection=view,
        rows=rows,
        progress=progress,
        result=result,
    )


@router.get("/connections/{connection_id}/settings", name="settings")
def settings(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    return _page(request, board, user, connection_id)


@router.post("/connections/{connection_id}/settings/from-quickbooks", name="save_from_quickbooks")
def save_from_quickbooks(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    from_quickbooks_customers: Annotated[str | None, Form()] = None,
    from_quickbooks_vendors: Annotated[str | None, Form()] = None,
    from_quickbooks_items: Annotated[str | None, Form()] = None,
    from_quickbooks_payments: Annotated[str | None, Form()] = None,
    from_quickbooks_invoices: Annotated[str | None, Form()] = None,
) -> Response:
    given = {
        "customers": from_quickbooks_customers,
        "vendors": from_quickbooks_vendors,
        "items": from_quickbooks_items,
        "payments": from_quickbooks_payments,
        "invoices": from_quickbooks_invoices,
    }
    chosen = {twoway.setting_of(t): v for t, v in given.items() if v is not None}
    if not chosen:
        return _page(
            request, board, user, connection_id, result=("error", "Nothing was chosen."), status=422
        )
    try:
        board.service.update_settings(user.key_id, connection_id, chosen)
    except Invalid as invalid:
        words = "; ".join(p.message for p in invalid.problems)
        return _page(
            request, board, user, connection_id, result=("error", f"Not saved: {words}"), status=422
        )
    said = "; ".join(
        f"{TYPE_WORDS[t].split(' (')[0].lower()}: {SAVED_WORDS.get(v, v)}"
        for t, v in given.items()
        if v is not None
    )
    return _page(
        request,
        board,
        user,
        connection_id,
        result=("ok", f"Saved. Made in QuickBooks, {said}."),
    )


@router.post("/connections/{connection_id}/settings/import", name="start_import")
def start_import(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    try:
        began, _ = board.service.start_import(user.key_id, connection_id)
    except Refused as refused:
        return _page(
            request, board, user, connection_id, result=("error", refused.reason), status=409
        )
    message = (
        "The initial import has started: reload this page to follow it."
        if began
        else "The initial import is already running."
    )
    return _page(request, board, user, connection_id, result=("ok", message))
