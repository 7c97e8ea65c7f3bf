"""A SOAP service in the tests' own process, without a socket: a synchronous httpx transport over
an ASGI app (a FastAPI or Starlette service), for `WebConnector(transport=...)`.

    with asgi_transport(service_app) as transport:
        connector = WebConnector(emulator, url="https://service.test/qbwc", ...,
                                 transport=transport)
        connector.run_session()

The app runs on one event loop in a background thread; the Web Connector's calls (from any
thread: the admin API's, a schedule's) take turns on it. Without a transport the Web Connector
uses real sockets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

__all__ = ["ASGIThreadTransport", "asgi_transport"]


@contextmanager
def asgi_transport(app: ASGIApp) -> Iterator[ASGIThreadTransport]:
    with start_blocking_portal() as portal:
        transport = ASGIThreadTransport(app, portal)
        try:
            yield transport
        finally:
            transport.portal = None


class ASGIThreadTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self.portal: BlockingPortal | None = portal
        self._app = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.portal is None:
            raise RuntimeError("the in-process transport is closed")
        request.read()
        return self.portal.call(self._answer, request)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        response = await self._app.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def close(self) -> None:
        """A client closing leaves the transport open for the next session."""
