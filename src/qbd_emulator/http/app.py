"""The ASGI application: the admin API (and an index page) on one port."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from qbd_emulator.emulator import Emulator
from qbd_emulator.http import admin


def create_app(emulator: Emulator) -> ASGIApp:
    async def index(request: Request) -> Response:
        return HTMLResponse(_INDEX)

    return Starlette(routes=[Route("/", index, methods=["GET"]), *admin.routes(emulator)])


_INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>QuickBooks Desktop emulator</title></head><body>
<h1>QuickBooks Desktop emulator</h1>
<ul>
<li>Admin API: <code>/_emulator/...</code>
 (companies: <a href="/_emulator/companies">/_emulator/companies</a>,
 Web Connectors: <a href="/_emulator/webconnectors">/_emulator/webconnectors</a>)</li>
<li>qbXML straight to a company file: <code>POST /_emulator/companies/&lt;id&gt;/qbxml</code></li>
</ul></body></html>"""
