"""The setup checklist: what in the connection's set-up will stop records (numbering, tax,
closed books, mappings), its numbering check made afresh from the current numbers on every
visit, with "Check again" and "Apply numbering start"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.dashboard import web
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.engine import checks
from ledgerbridge.engine.errors import Invalid

__all__ = ["router"]

router = APIRouter()


def _page(
    request: Request,
    board: web.Dashboard,
    user: DashboardUser,
    connection_id: str,
    *,
    run: bool = False,
    refresh: bool = False,
    result: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    if refresh and not run:
        # the numbering check made afresh from the current numbers: one stored at the last
        # pull would still count a number renumbered since as a clash
        checks.refresh_numbering(service.ledger, connection_id)
    checklist: dict[str, Any] | None
    try:
        checklist = service.checks(user.key_id, connection_id, run=run) or None
    except (LookupError, ValueError):  # nothing to check against yet
        checklist = None
    numbering: dict[str, Any] = {}
    for check in (checklist or {}).get("checks") or []:
        if check.get("id") == "numbering":
            numbering = dict(check.get("details") or {})
    return web.render(
        request,
        "setup.html",
        status=status,
        title=f"Setup checklist: {view.name}",
        connection=view,
        checklist=checklist,
        numbering=numbering,
        result=result,
    )


@router.get("/connections/{connection_id}/setup", name="setup")
def setup(request: Request, connection_id: str, user: web.SignedIn, board: web.Board) -> Response:
    return _page(request, board, user, connection_id, refresh=True)


@router.post("/connections/{connection_id}/setup/run", name="run_checks")
def run_checks(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    return _page(
        request, board, user, connection_id, run=True, result=("ok", "Checked again just now.")
    )


@router.post("/connections/{connection_id}/setup/numbering-start", name="numbering_start")
def numbering_start(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    number: Annotated[str, Form()] = "",
) -> Response:
    wanted: int | None = None
    if number.strip():
        if not number.strip().isdigit():
            result = ("error", "The starting number must be a whole number.")
            return _page(request, board, user, connection_id, result=result, status=422)
        wanted = int(number.strip())
    try:
        applied = board.service.apply_numbering_start(user.key_id, connection_id, wanted)
    except Invalid as invalid:
        result = ("error", invalid.problems[0].message)
        return _page(request, board, user, connection_id, result=result, status=422)
    start = applied.get("next_number") or applied.get("number") or wanted
    result = ("ok", f"The app's invoice numbers continue from {start}.")
    return _page(request, board, user, connection_id, result=result)
