"""`create_dashboard(service)`: the dashboard as an ASGI application of its own, and
`mount_dashboard(app, service)`, which serves it under ``/dashboard`` of the API's app.

Being its own application, the dashboard answers errors as pages (the API answers JSON), stays
out of the OpenAPI document, and runs the CSRF check before every one of its routes.
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge.adapters.qbo import QuickBooksError
from ledgerbridge.dashboard import web
from ledgerbridge.dashboard.routes import ROUTERS
from ledgerbridge.dashboard.routes.connections import oauth_return
from ledgerbridge.dashboard.sessions import Signer, session_secret
from ledgerbridge.engine.errors import Invalid, NotFound
from ledgerbridge.engine.service import Service

__all__ = ["PREFIX", "create_dashboard", "mount_dashboard"]

PREFIX = "/dashboard"
STATIC = Path(__file__).parent / "static"


# Before every route of the dashboard: the CSRF check, and the text rule of its fields.
_CHECKS = (Depends(web.csrf_protect), Depends(web.text_fields))


def create_dashboard(service: Service, *, signer: Signer | None = None) -> FastAPI:
    app = FastAPI(
        title="ledgerbridge dashboard",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=list(_CHECKS),
        routes=list(_routes()),
    )
    if signer is None:
        signer = _signer(service)
    app.state.dashboard = web.Dashboard(service, signer, web.templates(), _named())
    app.add_middleware(_SecurityHeaders)
    _errors(app)
    return app


@functools.cache
def _named() -> dict[str, BaseRoute]:
    """The dashboard's routes by name, to build their paths (`web.path`): the routers' own
    routes (they are included without a prefix: the same paths) and the static files."""
    mounts = [route for route in _routes() if isinstance(route, Mount)]
    routes = [*mounts, *(route for router in ROUTERS for route in router.routes)]
    names = [getattr(route, "name", None) for route in routes]
    count = Counter(names)
    # a name two routes share is left to the app's router (the first whose parameters fit)
    return {
        name: route
        for name, route in zip(names, routes, strict=True)
        if isinstance(name, str) and count[name] == 1
    }


@functools.cache
def _routes() -> tuple[BaseRoute, ...]:
    """The static files and the dashboard's routers as included routes, made once per process
    and shared by every dashboard app, as the API's are (`ledgerbridge.api.app`): a route
    finds its app's `Dashboard` through the request, and FastAPI prepares each route once,
    not once per app."""
    routes = APIRouter(dependencies=list(_CHECKS))
    routes.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        routes.include_router(router)
    return tuple(routes.routes)


def _signer(service: Service) -> Signer:
    """The secret is read on first use; the time is the ledger's, like the sessions' rows."""
    ledger = service.ledger
    return Signer(lambda: session_secret(ledger.settings), clock=lambda: ledger.clock().timestamp())


# Scripts, styles and everything else only from this server; no framing. (No form-action:
# connecting posts a form whose answer redirects to QuickBooks.)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _SecurityHeaders:
    """`SECURITY_HEADERS` on every answer (a header the route set itself is kept), and
    ``Cache-Control: no-store`` on pages. Plain ASGI: it only adds to the answer's start, where
    an ``@app.middleware("http")`` function costs every request a task group and a stream
    between two tasks (a fifth of a page's CPU through the test client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_dashboard(app: FastAPI, service: Service) -> None:
    """Serve the dashboard under /dashboard, send / there, and let the OAuth callback bring a
    person who connected from the dashboard back to it."""
    signer = _signer(service)
    app.mount(PREFIX, create_dashboard(service, signer=signer), name="dashboard")
    app.state.oauth_return = functools.partial(oauth_return, signer)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(web.SignInRequired)
    def sign_in_required(request: Request, exc: web.SignInRequired) -> Response:
        target = web.path(request, "login_page", {"next": web.place(request)})
        response = web.redirect(request, target)
        return response

    @app.exception_handler(web.CsrfRefused)
    def csrf_refused(request: Request, exc: web.CsrfRefused) -> Response:
        return web.render(
            request,
            "error.html",
            status=403,
            title="This form has expired",
            message="The page was open too long, or you signed in elsewhere since. Go back, "
            "reload the page and try again.",
        )

    @app.exception_handler(NotFound)
    def not_found(request: Request, exc: NotFound) -> Response:
        return web.render(
            request,
            "error.html",
            status=404,
            title="Not found",
            message=f"There is no {exc.what} here, or it belongs to another account.",
        )

    @app.exception_handler(Invalid)
    def invalid(request: Request, exc: Invalid) -> Response:
        named = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems)
        return web.render(
            request,
            "error.html",
            status=422,
            title="This can't be used as it is",
            message=f"{named}. Go back, correct it and try again.",
        )

    @app.exception_handler(QuickBooksError)
    def quickbooks_error(request: Request, exc: QuickBooksError) -> Response:
        return web.render(
            request,
            "error.html",
            status=502,
            title="QuickBooks could not be reached",
            message=f"{exc}. Try again in a moment.",
        )
