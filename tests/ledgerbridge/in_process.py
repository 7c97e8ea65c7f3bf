"""FastAPI's TestClient on one event loop per test process.

A TestClient not entered as a context manager starts an event loop in a new thread for each
request, and the loop a new worker thread for the app's synchronous endpoints: a few
milliseconds of CPU a request, most of a sign-in attempt's cost (a suite tries hundreds).
`TestClient` here sends every request of every client, not entered, to one loop started on
first use (`shared_portal`) and closed when the session ends (`close_shared_portal`, the
conftest's hook); its worker threads are reused. A client entered with ``with`` keeps
TestClient's own way: its own loop, and the app's lifespan run.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal

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


class TestClient(_TestClient):
    """`fastapi.testclient.TestClient` whose requests, outside a ``with`` block, run on the
    shared loop rather than on a loop of their own."""

    __test__ = False  # not a test class, whatever its name

    @contextlib.contextmanager
    def _portal_factory(self) -> Iterator[Any]:
        yield self.portal if self.portal is not None else shared_portal()
