"""Connections: their status, a connection's overview (what to do first, the setup
checklist's flags, what changed in QuickBooks since yesterday: `dashboard.overview`),
connecting a company (OAuth), disconnecting, starting fresh.

Connecting leaves the dashboard for QuickBooks' consent page; QuickBooks sends the person back
to the API's `/v1/oauth/callback`. The sign-in cookie of `ledgerbridge.consent_cookie` binds the
state to this browser. So that the person lands on the connection's page again, the dashboard
also remembers the state it sent in a short-lived signed cookie scoped to the callback's path;
`oauth_return`, which the callback consults, answers a redirect when that cookie names the state
being completed, and nothing otherwise (scripts using the JSON API see no change)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ledgerbridge import consent_cookie as signin
from ledgerbridge.core import web_connector
from ledgerbridge.dashboard import names, overview, web
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.dashboard.sessions import Signer
from ledgerbridge.engine import checks
from ledgerbridge.engine.errors import Invalid, Refused
from ledgerbridge.engine.service import ENVIRONMENTS

__all__ = ["NOTICES", "oauth_return", "router"]

router = APIRouter()

RETURN_COOKIE = "lb_oauth_return"
RETURN_LIFETIME = 30 * 60

NOTICES = {
    "connected": ("ok", "QuickBooks is connected. Records are being sent."),
    "wrong_company": (
        "error",
        "That is a different QuickBooks company from the one this connection works with. "
        "Nothing was sent. Reconnect and choose the original company, or start fresh.",
    ),
    "declined": ("error", "QuickBooks did not connect: the consent was declined."),
    "failed": ("error", "QuickBooks refused the sign-in. Try connecting again."),
    "unknown": ("error", "That connection link had expired or was already used. Try again."),
    "unconfirmed": (
        "error",
        "QuickBooks did not confirm the company in that link. Nothing was stored. Try again.",
    ),
    "pulled": ("ok", "Asked QuickBooks for its latest changes."),
    "pull_waits": (
        "info",
        "QuickBooks' limit on requests is reached for the moment: its latest changes are read "
        "when the wait shown under 'Waiting for QuickBooks' ends, not before.",
    ),
    "verified": ("ok", "QuickBooks was read again and every synced record checked against it."),
    "disconnected": ("ok", "Disconnected. Records wait until you reconnect."),
    "fresh": ("ok", "Started fresh: connect the new company; records are matched against it."),
    "created": ("ok", "Connection added. Connect it to a QuickBooks company."),
}


@router.get("/connections", name="connections")
def connections(request: Request, user: web.SignedIn, board: web.Board) -> Response:
    found = board.service.connections(user.key_id)
    return web.render(
        request,
        "connections.html",
        title="Connections",
        connections=found,
        environments=ENVIRONMENTS,
    )


@router.post("/connections", name="create_connection")
def create_connection(
    request: Request,
    user: web.SignedIn,
    board: web.Board,
    name: Annotated[str, Form()] = "",
    environment: Annotated[str, Form()] = "emulator",
) -> Response:
    try:
        created = board.service.create_connection(user.key_id, name, environment)
    except Invalid as invalid:
        return web.render(
            request,
            "connections.html",
            status=422,
            title="Connections",
            connections=board.service.connections(user.key_id),
            environments=ENVIRONMENTS,
            error=str(invalid.problems[0].message),
            name=name,
        )
    target = web.path(request, "connection", {"notice": "created"}, connection_id=created.id)
    return web.redirect(request, target)


TOP = 8  # problems listed before "more problems" opens the rest


def _overview(board: web.Dashboard, connection_id: str) -> dict[str, Any]:
    """What the overview shows beyond the connection: what to do first (problems by code,
    worst and biggest first), the setup checklist's errors and warnings, and what changed in
    QuickBooks since yesterday (`dashboard.overview`)."""
    ledger = board.service.ledger
    first = overview.problem_groups(ledger, connection_id)
    checklist = checks.stored_checks(ledger, connection_id)
    flagged = [c for c in (checklist or {}).get("checks") or [] if c.get("status") != "ok"]
    flagged.sort(key=lambda c: (c.get("status") != "error", str(c.get("title") or "")))
    changes, new = overview.quickbooks_changes(ledger, connection_id, ledger.clock())
    return {
        "first": first,
        "checklist": checklist,
        "flagged_checks": flagged,
        "setup_errors": [c for c in flagged if c.get("status") == "error"],
        "changes": changes,
        "new_in_quickbooks": new,
        "top": TOP,
    }


@router.get("/connections/{connection_id}", name="connection")
def connection(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board, notice: str = ""
) -> Response:
    return _connection_page(request, connection_id, user, board, notice=NOTICES.get(notice))


def _connection_page(
    request: Request,
    connection_id: str,
    user: DashboardUser,
    board: web.Dashboard,
    **extra: Any,
) -> Response:
    view = board.service.connection(user.key_id, connection_id)
    desktop: dict[str, Any] = {}
    if view.environment == "desktop":
        status = board.service.web_connector_status(user.key_id, connection_id)
        seen = status.get("last_seen_at")
        status["last_seen_at"] = datetime.fromisoformat(seen) if seen else None
        status["last_outcome_words"] = web_connector.OUTCOMES.get(status.get("last_outcome") or "")
        desktop["web_connector"] = status
        desktop["run_every_minutes"] = web_connector.RUN_EVERY_MINUTES
    return web.render(
        request,
        "connection.html",
        title=view.name,
        connection=view,
        **desktop,
        **extra,
        **_overview(board, connection_id),
    )


@router.get("/connections/{connection_id}/qwc", name="download_qwc")
def download_qwc(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    """The Desktop connection's .qwc file, for the service as this browser reaches it (the
    connection's page saying why not when the Web Connector would refuse that address)."""
    try:
        content = board.service.qwc_file(user.key_id, connection_id, str(request.base_url))
    except Refused as refused:
        page = _connection_page(
            request, connection_id, user, board, notice=("error", refused.reason)
        )
        page.status_code = 409
        return page
    name = "".join(ch for ch in connection_id if ch.isalnum() or ch in "-_")
    return Response(
        content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="ledgerbridge-{name}.qwc"'},
    )


@router.post("/connections/{connection_id}/web-connector-password", name="web_connector_password")
def web_connector_password(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    """A new Web Connector password, shown on the page this once."""
    made = board.service.web_connector_password(user.key_id, connection_id)
    return _connection_page(request, connection_id, user, board, new_password=made)


@router.post("/connections/{connection_id}/connect", name="connect")
def connect(request: Request, connection_id: str, user: web.SignedIn, board: web.Board) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    try:
        consent = service.begin_connect(user.key_id, connection_id)
    except ValueError as exc:  # no QuickBooks app for this environment
        return web.render(
            request,
            "connection.html",
            status=503,
            title=view.name,
            connection=view,
            notice=("error", f"This server cannot connect to QuickBooks {view.environment}: {exc}"),
            **_overview(board, connection_id),
        )
    back = web.path(request, "connection", connection_id=connection_id)
    response = web.redirect(request, consent.authorize_url)
    signin.keep(response, consent)
    remembered = board.signer.sign(
        "oauth-return",
        {"state": consent.state, "to": back, "exp": int(time.time()) + RETURN_LIFETIME},
    )
    callback_path = urlparse(consent.callback).path or "/"
    response.set_cookie(
        RETURN_COOKIE,
        remembered,
        max_age=RETURN_LIFETIME,
        path=callback_path,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def oauth_return(signer: Signer, request: Request, state: str, outcome: str) -> Response | None:
    """For the API's OAuth callback: back to the dashboard page the person connected from,
    when this browser started the connection there (see the module docstring)."""
    token = request.cookies.get(RETURN_COOKIE)
    if not token or not state:
        return None
    value = signer.unsign("oauth-return", token)
    if value is None or value.get("state") != state or int(value.get("exp", 0)) < time.time():
        return None
    to = str(value.get("to") or "")
    if not to.startswith("/") or to.startswith("//"):
        return None
    response = RedirectResponse(f"{to}?notice={outcome}", status_code=303)
    response.delete_cookie(RETURN_COOKIE, path=request.url.path, httponly=True, samesite="lax")
    return response


def _confirm(
    request: Request, *, title: str, text: str, action: str, button: str, back: str
) -> Response:
    return web.render(
        request, "confirm.html", title=title, text=text, action=action, button=button, back=back
    )


@router.post("/connections/{connection_id}/disconnect", name="disconnect")
def disconnect(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    view = board.service.connection(user.key_id, connection_id)
    back = web.path(request, "connection", connection_id=connection_id)
    if confirmed != "yes":
        return _confirm(
            request,
            title=f"Disconnect {view.name}?",
            text="ledgerbridge stops sending records to QuickBooks and forgets its sign-in. "
            "Nothing is deleted: records wait, and are sent when you reconnect.",
            action=web.path(request, "disconnect", connection_id=connection_id),
            button="Yes, disconnect",
            back=back,
        )
    board.service.disconnect(user.key_id, connection_id)
    return web.redirect(
        request,
        web.path(request, "connection", {"notice": "disconnected"}, connection_id=connection_id),
    )


@router.post("/connections/{connection_id}/start-fresh", name="start_fresh")
def start_fresh(
    request: Request,
    connection_id: str,
    user: web.SignedIn,
    board: web.Board,
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    view = board.service.connection(user.key_id, connection_id)
    back = web.path(request, "connection", connection_id=connection_id)
    if confirmed != "yes":
        return _confirm(
            request,
            title="Start fresh in another QuickBooks company?",
            text=f"Every link between the app's records and the QuickBooks company "
            f"{view.company_name or view.realm_id or ''} is forgotten. Nothing is deleted in "
            "either QuickBooks company. Then connect the new company: the app's records are "
            "matched against it and sent again.",
            action=web.path(request, "start_fresh", connection_id=connection_id),
            button="Yes, start fresh",
            back=back,
        )
    try:
        board.service.start_fresh(user.key_id, connection_id, user.actor)
    except Invalid as invalid:
        return web.render(
            request,
            "connection.html",
            status=409,
            title=view.name,
            connection=view,
            notice=("error", invalid.problems[0].message),
            **_overview(board, connection_id),
        )
    return web.redirect(
        request, web.path(request, "connection", {"notice": "fresh"}, connection_id=connection_id)
    )


@router.post("/connections/{connection_id}/pull", name="pull")
def pull(request: Request, connection_id: str, user: web.SignedIn, board: web.Board) -> Response:
    waits = board.service.request_pull(user.key_id, connection_id)
    notice = "pulled" if waits is None else "pull_waits"  # the page says until when
    return web.redirect(
        request, web.path(request, "connection", {"notice": notice}, connection_id=connection_id)
    )


@router.post("/connections/{connection_id}/verify", name="verify")
def verify(request: Request, connection_id: str, user: web.SignedIn, board: web.Board) -> Response:
    """Check every synced record against QuickBooks now; the page shows what disagreed."""
    view = board.service.connection(user.key_id, connection_id)
    report = board.service.verify(user.key_id, connection_id)
    if report.get("waiting_for"):
        notice = (
            "info",
            "QuickBooks Desktop is checked at the Web Connector's next update (it calls in on "
            "its schedule; it cannot be called). A record QuickBooks disagrees with then shows "
            "its problem in the sync log.",
        )
        report = {}  # nothing compared yet: no figures to show
    elif report.get("waiting_until"):
        notice = (
            "error",
            "QuickBooks' limit on requests makes this company wait (see 'Waiting for "
            "QuickBooks' below): nothing was checked. Check again after the wait.",
        )
    elif report["stopped"]:
        notice = ("error", "QuickBooks could not be read now; nothing was checked. Try again.")
    elif report["mismatches"]:
        count = len(report["mismatches"])
        notice = (
            "error",
            f"{count} record{'s' if count != 1 else ''} said synced while QuickBooks holds "
            "something else; each now shows its problem in the sync log.",
        )
    else:
        notice = NOTICES["verified"]
    return web.render(
        request,
        "connection.html",
        title=view.name,
        connection=board.service.connection(user.key_id, connection_id),
        notice=notice,
        verified=report,
        **_overview(board, connection_id),
        mismatches=names.mismatch_rows(
            board.service.ledger, connection_id, report.get("mismatches") or []
        ),
    )
