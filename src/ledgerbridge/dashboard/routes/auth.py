"""Signing in and out.

The sign-in form comes with a session of its own (no user yet) so that its POST carries a CSRF
token like every other; signing in replaces it with a new session, kept on the server, which
signing out ends. A failed sign-in says the same whatever was wrong, so it never tells whether
an email has an account. Too many failures answer 429 with how long to wait, or that the
account is locked, without the password being looked at (`core.sign_in`); the wait is never
spent in the request. Text that is not text (a NUL in the email) is refused naming the field
before anything is looked up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.core import sign_in as throttle
from ledgerbridge.core.text import refused
from ledgerbridge.dashboard import web
from ledgerbridge.dashboard.accounts import Failed, SignedIn, sign_in, sign_out
from ledgerbridge.dashboard.sessions import COOKIE, WebSession

__all__ = ["router"]

router = APIRouter()

FAILED = "That email and password do not match an account. Check both and try again."
TOO_MANY = "Too many attempts to sign in. Try again in {wait}."
LOCKED = (
    "Too many failed attempts to sign in: this account is locked. Ask whoever runs "
    "ledgerbridge to unlock it (ledgerbridge users unlock)."
)
TOO_MANY_STATUS = 429


def _safe_next(request: Request, wanted: str | None) -> str:
    """Where to go after signing in: a page of this dashboard, never another site."""
    root = request.scope.get("root_path", "").rstrip("/") + "/"
    if wanted and wanted.startswith(root) and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return web.path(request, "connections")


@router.get("/", name="home")
def home(request: Request) -> Response:
    session = web.web_session(request)
    if session is not None and session.signed_in:
        return web.redirect(request, web.path(request, "connections"))
    return web.redirect(request, web.path(request, "login_page"))


def _login_form(
    request: Request, board: web.Dashboard, *, status: int = 200, error: str = "", **values: str
) -> Response:
    session = web.web_session(request)
    fresh = session is None or session.signed_in
    if fresh:
        session = board.signer.anonymous()
        request.state.web_session = session
    response = web.render(
        request, "login.html", status=status, title="Sign in", error=error, **values
    )
    if fresh and session is not None:
        web.set_session(request, response, session)
    return response


def _client_address(request: Request) -> str:
    """The address failures are counted for: the peer's (uvicorn puts a proxy's
    X-Forwarded-For there only when the proxy is trusted: `FORWARDED_ALLOW_IPS`)."""
    return request.client.host if request.client else "unknown"


def _refused_field(email: str, password: str) -> str:
    for label, value in (("email", email), ("password", password)):
        why = refused(value)
        if why:
            return f"The {label} {why}."
    return ""


@router.get("/login", name="login_page")
def login_page(
    request: Request, board: web.Board, next: str = "", signed_out: bool = False
) -> Response:
    session = web.web_session(request)
    if session is not None and session.signed_in:
        return web.redirect(request, _safe_next(request, next))
    notice = "You are signed out." if signed_out else ""
    return _login_form(request, board, next=next, notice=notice)


@router.post("/login", name="login")
def login(
    request: Request,
    board: web.Board,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    if refused(next):
        next = ""
    problem = _refused_field(email, password)
    if problem:
        return _login_form(request, board, status=422, error=problem, next=next)
    if not email or not password:
        return _login_form(request, board, status=401, error=FAILED, email=email, next=next)
    outcome = sign_in(board.service.ledger, email, password, address=_client_address(request))
    if isinstance(outcome, Failed):
        return _login_form(request, board, status=401, error=FAILED, email=email, next=next)
    if isinstance(outcome, throttle.Wait):
        wait = throttle.wait_words(outcome.seconds)
        response = _login_form(
            request,
            board,
            status=TOO_MANY_STATUS,
            error=TOO_MANY.format(wait=wait),
            email=email,
            next=next,
        )
        response.headers["Retry-After"] = str(outcome.seconds)
        return response
    if isinstance(outcome, throttle.Locked):
        return _login_form(
            request, board, status=TOO_MANY_STATUS, error=LOCKED, email=email, next=next
        )
    assert isinstance(outcome, SignedIn)
    previous = web.web_session(request)
    if previous is not None and previous.signed_in:  # signing in again ends the last session
        sign_out(board.service.ledger, previous.sid)
    session = WebSession(outcome.session_id, outcome.user.id, int(outcome.expires_at.timestamp()))
    response = web.redirect(request, _safe_next(request, next))
    web.set_session(request, response, session)  # a new id: the sign-in form's is spent
    return response


@router.post("/logout", name="logout")
def logout(request: Request, board: web.Board, next: Annotated[str, Form()] = "") -> Response:
    """Sign out; signing in again returns to the page signed out from (`next`, this
    dashboard's pages only), its filter included."""
    session = web.web_session(request)
    if session is not None and session.signed_in:
        sign_out(board.service.ledger, session.sid)
    back = _safe_next(request, next) if next and not refused(next) else ""
    query = {"signed_out": "1", "next": back if back == next else ""}
    response = web.redirect(request, web.path(request, "login_page", query))
    root = request.scope.get("root_path", "").rstrip("/") or "/"
    response.delete_cookie(COOKIE, path=root, httponly=True, samesite="lax")
    return response
