"""The ASGI application: OAuth, the Accounting API and the admin API on one port."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from qbo_emulator.emulator import Emulator
from qbo_emulator.http import admin, api
from qbo_emulator.http.responses import ConnectionDropped
from qbo_emulator.http.tracing import TransactionIds
from qbo_emulator.oauth.routes import build_routes


class _QuietDrops(logging.Filter):
    """Scripted connection drops are the point, not an error worth a traceback in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, ConnectionDropped):
            return False
        return "without completing response" not in record.getMessage()


_filter = _QuietDrops()


def create_app(emulator: Emulator) -> ASGIApp:
    for name in ("uvicorn.error", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return HTMLResponse(_INDEX.format(base=base))

    routes: list[Any] = [
        Route("/", index, methods=["GET"]),
        *build_routes(emulator.oauth),
        *api.routes(emulator),
        *admin.routes(emulator),
    ]
    return TransactionIds(Starlette(routes=routes))


_INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>QuickBooks Online emulator</title></head><body>
<h1>QuickBooks Online emulator</h1>
<ul>
<li>OpenID discovery: <code>{base}/.well-known/openid_configuration</code></li>
<li>Accounting API: <code>{base}/v3/company/&lt;realmId&gt;/...</code></li>
<li>Admin API: <code>{base}/_emulator/...</code>
 (companies: <a href="/_emulator/companies">/_emulator/companies</a>)</li>
</ul></body></html>"""
