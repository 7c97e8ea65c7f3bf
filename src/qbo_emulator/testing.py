"""The emulator in the tests' own process, without a socket: an httpx transport over its app.

    emulator = Emulator()
    with in_process(emulator) as transport:
        client = httpx.Client(transport=transport, base_url="http://qbo.test")
        ...                               # the same routes, answers and faults as over HTTP

    with EmulatorServer() as server, in_process(server.emulator, origin=server.url) as transport:
        ...                               # only requests to server.url are answered here;
                                          # others (an app's events receiver) go over sockets

A client given the transport (ledgerbridge takes one through `bootstrap.build(settings,
transport=...)`) talks to the app directly: no port, no connection, no TLS context to load,
no thread per request. The app runs on one event loop in a background thread, as it does
under `EmulatorServer`, so clients in several threads take turns the same way. Its
`EmulatorServer` may serve the same `Emulator` at the same time: both see one state.

What needs a socket stays with `qbo_emulator.server.EmulatorServer`:
- a scripted dropped connection (`drop_after_commit`) has no socket to drop here: the
  transport raises `NeedsSocket` instead of pretending to break one;
- a scripted latency delays the answer, but no client timeout ever fires;
- webhooks are still sent by the emulator's dispatcher over HTTP, to wherever an app's
  webhook URL points (start it with `emulator.webhooks.start()`, as the server does).

An error inside the app is raised in the client, with the emulator's traceback, rather than
answered with a 500.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from qbo_emulator.emulator import Emulator
from qbo_emulator.http.app import create_app
from qbo_emulator.http.responses import ConnectionDropped

__all__ = ["EmulatorTransport", "HeldLatency", "NeedsSocket", "in_process"]


class HeldLatency:
    """A fault's scripted latency held until `release`, not waited out: requests stay under
    way exactly as long as a test needs (at most their latency), however fast or busy the
    machine.

        held = HeldLatency()
        emulator.latency = held.wait         # the emulator's, from now on
        ...                                  # requests meeting a latency fault wait
        held.release()                       # they go on; later ones do not wait at all

    Requests served on several event loops (`EmulatorServer`'s, `in_process`'s) are held
    alike."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._released = False
        self._events: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    async def wait(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._released:
                return
            event = self._events.setdefault(loop, asyncio.Event())
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    def release(self) -> None:
        with self._lock:
            self._released = True
            events = list(self._events.items())
        for loop, event in events:
            with suppress(RuntimeError):  # that loop has closed: nothing waits on it
                loop.call_soon_threadsafe(event.set)


class NeedsSocket(RuntimeError):
    """The request met a fault that only a real connection can show (a dropped connection)."""


@contextmanager
def in_process(emulator: Emulator, *, origin: str | None = None) -> Iterator[EmulatorTransport]:
    """A transport over `emulator`'s app, its event loop running until the block ends.

    With `origin` (the emulator's URL, as its clients know it) only requests to that origin
    are answered in-process; requests to anywhere else go over a real connection, as without
    a transport (an app's events receiver, a webhook target)."""
    with start_blocking_portal() as portal:
        transport = EmulatorTransport(emulator, portal, origin=origin)
        try:
            yield transport
        finally:
            transport.portal = None
            transport.close_elsewhere()


class EmulatorTransport(httpx.BaseTransport):
    """The emulator's app as an httpx transport, served on `portal`'s event loop (see
    `in_process`). Many clients may share it: a client closing (or leaving its `with` block)
    leaves it open for the others."""

    def __init__(
        self,
        emulator: Emulator,
        portal: BlockingPortal,
        *,
        origin: str | None = None,
        elsewhere: httpx.BaseTransport | None = None,
    ) -> None:
        self.emulator = emulator
        self.portal: BlockingPortal | None = portal
        self._app = httpx.ASGITransport(app=create_app(emulator))
        self._origin = httpx.URL(origin) if origin is not None else None
        self._elsewhere = elsewhere
        self._lock = threading.Lock()

    def _ours(self, url: httpx.URL) -> bool:
        origin = self._origin
        if origin is None:
            return True
        return (url.scheme, url.host, url.port) == (origin.scheme, origin.host, origin.port)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.portal is None:
            raise RuntimeError("the emulator's in-process transport is closed")
        if not self._ours(request.url):  # only with an origin: the rest goes elsewhere
            return self._other_origins().handle_request(request)
        request.read()  # a body in memory serves the app's async reads
        try:
            return self.portal.call(self._answer, request)
        except ConnectionDropped:
            raise NeedsSocket(
                f"{request.method} {request.url.path}: a scripted dropped connection needs "
                "the emulator on a real socket (qbo_emulator.server.EmulatorServer)"
            ) from None

    def _other_origins(self) -> httpx.BaseTransport:
        """The real connections for requests elsewhere, made on the first such request (a new
        transport loads the system's CA certificates: a few hundredths of a second)."""
        with self._lock:
            if self._elsewhere is None:
                self._elsewhere = httpx.HTTPTransport()
            return self._elsewhere

    def close_elsewhere(self) -> None:
        """Close the real connections made for requests elsewhere (`in_process`'s end)."""
        with self._lock:
            elsewhere, self._elsewhere = self._elsewhere, None
        if elsewhere is not None:
            elsewhere.close()

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        response = await self._app.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def close(self) -> None:
        """A client closing: the transport stays open for the others (see `in_process`)."""
