"""Signing in and out.

The sign-in form comes with a session of its own (no user yet) so that its POST carries a CSRF
token like every other; signing in replaces it with a new session. A failed sign-in says the
same whatever was wrong, so it never tells whether an email has an account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.dashboard import web
from ledgerbridge.dashboard.accounts import sign_in
from ledgerbridge.dashboard.sessions import COOKIE

__all__ = ["router"]

router = APIRouter()

FAILED = "That email and password do not match an account. Check both and try again."


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
        session = board.signer.new_session(None)
        request.state.web_session = session
    response = web.render(
        request, "login.html", status=status, title="Sign in", error=error, **values
    )
    if fresh and session is not None:
        web.set_session(request, response, session)
    return response


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
    user = sign_in(board.service.ledger, email, password) if email and password else None
    if user is None:
        return _login_form(request, board, status=401, error=FAILED, email=email, next=next)
    session = board.signer.new_session(user.id)  # a new id: the sign-in form's is spent
    response = web.redirect(request, _safe_next(request, next))
    web.set_session(request, response, session)
    return response


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    response = web.redirect(request, web.path(request, "login_page", {"signed_out": "1"}))
    root = request.scope.get("root_path", "").rstrip("/") or "/"
    response.delete_cookie(COOKIE, path=root, httponly=True, samesite="lax")
    return response
