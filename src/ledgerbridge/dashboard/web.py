"""What every dashboard route shares: the `Dashboard` (service, signer, templates), who is
signed in, the CSRF check, and rendering a page.

Routes declare what they need:

    def page(request: Request, user: SignedIn, board: Board) -> HTMLResponse:
        return render(request, "page.html", title="...", ...)

`SignedIn` answers a redirect to the sign-in page (`HX-Redirect` for htmx) when nobody is
signed in; `csrf_protect` runs before every route of the dashboard and refuses (403) a POST
without the session's token; `text_fields` runs after it and refuses (422, naming the field)
a path, query or form value that is not single-line text (`core.text`). Every page is written
with the characters that cannot be sent replaced (`core.text.shown`), so text stored before
that rule can never stop a page.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.routing import BaseRoute

from ledgerbridge.core.problems import INPUT_INVALID, Problem
from ledgerbridge.core.text import refused, shown
from ledgerbridge.dashboard import present
from ledgerbridge.dashboard.accounts import DashboardUser, session_user
from ledgerbridge.dashboard.sessions import COOKIE, Signer, WebSession
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.service import Service

__all__ = [
    "Board",
    "CsrfRefused",
    "Dashboard",
    "SignInRequired",
    "SignedIn",
    "csrf_protect",
    "is_htmx",
    "place",
    "redirect",
    "render",
    "set_session",
    "templates",
    "text_fields",
]

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_UNREAD = object()
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Signing in is checked by its own route (sign-in throttling owns what it answers).
_OWN_CHECKS = frozenset({"login", "login_page"})


@functools.cache
def templates() -> jinja2.Environment:
    """The pages' templates with the dashboard's filters, one environment per process: every
    dashboard app shares its compiled templates (each app compiling its own cost a test suite,
    which makes an app per test, a compile of each page per test)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ledgerbridge.dashboard", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    present.install(env)
    return env


@dataclass
class Dashboard:
    service: Service
    signer: Signer
    env: jinja2.Environment
    # the routes that build paths, by name (`path`); a name not here is looked for in the app
    named: Mapping[str, BaseRoute] = field(default_factory=dict)


def _dashboard(request: Request) -> Dashboard:
    board = request.app.state.dashboard
    assert isinstance(board, Dashboard)
    return board


Board = Annotated[Dashboard, Depends(_dashboard)]


class SignInRequired(Exception):
    """Nobody is signed in (or the session ended)."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


def web_session(request: Request) -> WebSession | None:
    """The session in the request's cookie (valid and unexpired), if any. A signed-in one
    counts only while the server keeps it (signed out, a new password, the user removed or
    their key revoked: it is no session at all)."""
    found = getattr(request.state, "web_session", _UNREAD)
    if found is _UNREAD:
        board = _dashboard(request)
        found = board.signer.read_cookie(request.cookies.get(COOKIE))
        if found is not None and found.user_id is not None:
            user = session_user(board.service.ledger, found.sid)
            if user is None or user.id != found.user_id:
                found = None
            else:
                request.state.session_user = user
        request.state.web_session = found
    assert found is None or isinstance(found, WebSession)
    return found


def _signed_in(request: Request) -> DashboardUser:
    session = web_session(request)
    user = getattr(request.state, "session_user", None)
    if session is None or session.user_id is None or not isinstance(user, DashboardUser):
        raise SignInRequired()
    request.state.user = user
    return user


SignedIn = Annotated[DashboardUser, Depends(_signed_in)]


def _is_form(request: Request) -> bool:
    """Whether the body is a form, as Starlette will read it: media types are case-blind
    (`Application/X-WWW-Form-Urlencoded` is a form too, and must be checked as one)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media.startswith(_FORM_TYPES)


async def csrf_protect(request: Request) -> None:
    """Refuse a POST (or any unsafe method) that lacks this session's CSRF token."""
    if request.method in _SAFE_METHODS:
        return
    token = request.headers.get("x-csrf-token")
    if not token and _is_form(request):
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not _dashboard(request).signer.csrf_matches(web_session(request), token):
        raise CsrfRefused()


async def text_fields(request: Request) -> None:
    """Refuse (`Invalid`, a 422 page) a path, query or form value that is not single-line
    text: each goes on to the service, the database or QuickBooks."""
    route = request.scope.get("route")
    if getattr(route, "name", None) in _OWN_CHECKS:
        return
    values: list[tuple[str, Any]] = [
        *request.path_params.items(),
        *request.query_params.multi_items(),
    ]
    if request.method not in _SAFE_METHODS and _is_form(request):
        values += (await request.form()).multi_items()
    problems: list[Problem] = []
    for name, value in values:
        why = refused(name) or (refused(value) if isinstance(value, str) else None)
        if why is not None:
            field = shown(name)
            problems.append(Problem(INPUT_INVALID, field, why, {"reason": why}))
    if problems:
        raise Invalid(problems)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def place(request: Request) -> str:
    """The page the person is on, path and query (the filter, sort and page of the log), for
    `next=` when they must sign in again; "" when it cannot be told. For htmx (which may have
    changed the address since the page loaded) the page htmx reports, on this server only."""
    if is_htmx(request):
        current = urlsplit(request.headers.get("hx-current-url", ""))
        if current.netloc and current.netloc != request.url.netloc:
            return ""
        found, query = current.path, current.query
    elif request.method == "GET":
        found, query = request.url.path, request.url.query
    else:
        return ""
    if not found.startswith(_root(request) + "/") or found.startswith("//"):
        return ""
    return f"{found}?{query}" if query else found


def set_session(request: Request, response: Response, session: WebSession) -> None:
    """Put `session` in the response's cookie (and in this request's state)."""
    request.state.web_session = session
    signer = _dashboard(request).signer
    response.set_cookie(
        COOKIE,
        signer.cookie(session),
        max_age=max(0, session.expires - int(signer.now())),
        path=_root(request) or "/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def path(request: Request, name: str, query: Mapping[str, Any] | None = None, **params: Any) -> str:
    """The path of the dashboard route `name` (with `query`, leaving out empty values)."""
    # the dashboard's own router: the dashboard does not know the name it is mounted under
    quoted = {k: quote(str(v), safe="/") for k, v in params.items()}  # ids may hold "?", "#"
    # the route by its name at once: the app's router would try each route before it in
    # turn (a failed try is an exception), a millisecond for a page's last routes
    named = _dashboard(request).named.get(name)
    router = request.app.router if named is None else named
    found = _root(request) + str(router.url_path_for(name, **quoted))
    kept = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{found}?{urlencode(kept, doseq=True)}" if kept else found


def redirect(request: Request, url: str) -> Response:
    """303 to `url`; for htmx, an `HX-Redirect` so the whole page changes."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The page (or fragment) `template`, with what every template may use."""
    board = _dashboard(request)
    session = web_session(request)
    user: DashboardUser | None = getattr(request.state, "user", None)
    csrf = board.signer.csrf_token(session) if session else ""
    values = {
        "request": request,
        "user": user,
        "csrf_token": csrf,
        "csrf_field": Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf),
        "url": lambda name, query=None, **params: path(request, name, query, **params),
        "static": lambda file: path(request, "static", path=file),
        "htmx": is_htmx(request),
        **context,
    }
    body = board.env.get_template(template).render(values)
    return HTMLResponse(shown(body), status_code=status)
