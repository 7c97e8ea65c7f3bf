"""FastAPI's TestClient on one event loop per test process.

A TestClient not entered as a context manager starts an event loop in a new thread for each
request, and the loop a new worker thread for the app's synchronous endpoints: a few
milliseconds of CPU a request, most of a sign-in attempt's cost (a suite tries hundreds).
`TestClient` here sends every request of every client, not entered, to one loop started on
first use (`shared_portal`) and closed when the session ends (`close_shared_portal`, the
conftest's hook); its worker threads are reused. Each request goes to that loop once, the
whole exchange with the app done there (httpx's ASGI transport, `_SharedLoop`): TestClient's
own transport streams the answer back, a trip between the threads for each of its parts (about
eight a request, over half of a dashboard page's CPU in a test). A client entered with
``with`` keeps TestClient's own way: its own loop, and the app's lifespan run.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

with warnings.catch_warnings():  # its import warns that httpx2 is preferred: not an error here
    warnings.filterwarnings("ignore", message=".*starlette.testclient", category=Warning)
    from fastapi.testclient import TestClient as _TestClient

__all__ = ["TestClient", "close_shared_portal", "shared_portal"]

_lock = threading.Lock()
_shared: list[tuple[BlockingPortal, ExitStack]] = []


def shared_portal() -> BlockingPortal:
    """The process's event loop for in-process requests (started on first use)."""
    with _lock:
        if not _shared:
            stack = ExitStack()
            _shared.append((stack.enter_context(start_blocking_portal()), stack))
        return _shared[0][0]


def close_shared_portal(timeout: float = 10.0) -> bool:
    """Stop the shared loop, if one was started: requests still running are cancelled, and
    the loop's thread is waited for at most `timeout` seconds (an endpoint stuck in a worker
    thread cannot be cancelled: the session's end must not hang on it; the thread is a daemon
    and ends with the process). False when the loop had not stopped by then."""
    with _lock:
        if not _shared:
            return True
        portal, stack = _shared.pop()

    def close() -> None:
        with contextlib.suppress(RuntimeError):  # the portal stopped already
            portal.call(portal.stop, True)
        stack.close()

    closer = threading.Thread(target=close, name="close-shared-portal", daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive():
        print(
            f"tests: the in-process event loop still ran a request after {timeout:g} s; "
            "left to end with the process",
            file=sys.stderr,
        )
        return False
    return True


class _SharedLoop(httpx.BaseTransport):
    """A request answered by the app on the shared loop in one trip (httpx's ASGI transport,
    with the client's address); a client entered with ``with`` uses TestClient's transport."""

    def __init__(self, client: TestClient, own: httpx.BaseTransport, address: Any) -> None:
        self._client = client
        self._own = own
        self._asgi = httpx.ASGITransport(app=client.app, client=address)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._client.portal is not None:
            return self._own.handle_request(request)
        request.read()
        return shared_portal().call(self._answer, request)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        answer = await self._asgi.handle_async_request(request)
        content = await answer.aread()
        return httpx.Response(
            answer.status_code, headers=answer.headers, content=content, request=request
        )


class TestClient(_TestClient):
    """`fastapi.testclient.TestClient` whose requests, outside a ``with`` block, run on the
    shared loop rather than on a loop of their own."""

    __test__ = False  # not a test class, whatever its name

    def __init__(
        self, app: ASGIApp, *args: Any, client: Any = ("testclient", 50000), **options: Any
    ) -> None:
        super().__init__(app, *args, client=client, **options)
        self._transport = _SharedLoop(self, self._transport, client)

    @contextlib.contextmanager
    def _portal_factory(self) -> Iterator[Any]:
        yield self.portal if self.portal is not None else shared_portal()
