"""`create_app(service)`: the HTTP API v1 (design.md) as a FastAPI application.

The app holds no state of its own beyond the open waits (`api.waits`): every route asks the
`Service` it is given, so the CLI, tests and any other host decide how the service is wired.
Handlers are plain functions (the service is synchronous); FastAPI runs them in its thread
pool. The one exception is a record's `GET`, which may wait up to 30 s: it is a coroutine, so
waits hold no thread of that shared pool.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import metadata
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from ledgerbridge.api import errors, limits, params
from ledgerbridge.api.limits import BodyGuard
from ledgerbridge.api.responses import JsonAnswer
from ledgerbridge.api.routes import ROUTERS, qbwc
from ledgerbridge.api.waits import Waits
from ledgerbridge.dashboard.app import mount_dashboard
from ledgerbridge.engine.service import Service

__all__ = ["create_app"]

_DESCRIPTION = """\
ledgerbridge keeps the app's records in step with QuickBooks Online and tells the app, per
record, what happened.

Authenticate with `Authorization: Bearer <key>` (`ledgerbridge keys create --name NAME`); a key
only sees its own connections. Errors answer `{"error": {"code", "message", "problems"?}}`;
invalid input is a 422 whose `problems` name the fields (`lines[0].unit_price`).
"""

_TAGS = [
    {"name": "connections", "description": "Connections to QuickBooks companies"},
    {"name": "oauth", "description": "Connecting a company (OAuth 2.0 consent)"},
    {"name": "records", "description": "The app's records and their sync status"},
    {"name": "events", "description": "What the app must know, as a pollable feed"},
    {"name": "webhooks", "description": "Notifications from QuickBooks"},
    {"name": "desktop", "description": "QuickBooks Desktop through the Web Connector"},
    {"name": "health", "description": "Liveness"},
]


@functools.cache  # the installed package's metadata, read once per process (2 ms a read)
def _version() -> str:
    try:
        return metadata.version("ledgerbridge")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def create_app(service: Service) -> FastAPI:
    """The API served by `ledgerbridge serve`; OpenAPI at /openapi.json, Swagger UI at /docs."""
    app = FastAPI(
        title="ledgerbridge",
        version=_version(),
        description=_DESCRIPTION,
        openapi_tags=_TAGS,
        docs_url=None,  # served below from packaged assets: no CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=JsonAnswer,
        routes=list(_api_routes()),
    )
    app.state.service = service
    app.state.waits = Waits()  # ?wait= on a record: off the shared thread pool (api/waits.py)
    errors.install(app)
    _docs(app)
    mount_dashboard(app, service)  # /dashboard, and / redirects there
    # The last added runs first: a failure anywhere, the guard's included, is contained.
    app.add_middleware(BodyGuard)
    generate = app.openapi
    app.openapi = lambda: _document(generate)  # type: ignore[method-assign]
    app.add_middleware(errors.Contained)
    return app


@functools.cache
def _api_routes() -> tuple[BaseRoute, ...]:
    """The routers of the API as included routes, made once per process and shared by every
    app `create_app` makes: FastAPI prepares an included router's routes (their parameters'
    and bodies' validators) on its first request and keeps them in the included route, a
    tenth of a second of CPU and more; a process that makes many apps, a test suite, paid it
    for each. Nothing in them is an app's own: a handler finds its app's service through the
    request (`request.app.state`), and no app overrides dependencies (`dependency_overrides`
    would not reach these routes).

    The Web Connector's SOAP endpoint (it reads its own body) comes first: its calls, a
    session's most, are matched at once rather than after every /v1 route (no path is shared).
    """
    routes = APIRouter(default_response_class=JsonAnswer)
    routes.include_router(qbwc.soap_router)
    for router in ROUTERS:
        routes.include_router(router, dependencies=[Depends(params.text_params)])
    return tuple(routes.routes)


_DOCUMENT: list[dict[str, Any]] = []  # the process's one document, once made


def _document(generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document with the parameters' text rule and the bodies' limits. Every app
    `create_app` makes has the same routes, so the same document: it is made once per process
    (FastAPI would make it again for each app, a tenth of a second of CPU on its first request;
    a process that makes many apps, a test suite, paid it for each)."""
    if not _DOCUMENT:
        _DOCUMENT.append(params.document(limits.document(generate())))
    return _DOCUMENT[0]


def _docs(app: FastAPI) -> None:
    """Swagger UI at /docs with its scripts served by this process (works offline)."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ledgerbridge API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )
