"""The shared event loop of in-process test clients ends with the session, whatever is
still running on it."""

from __future__ import annotations

import threading
import time

import anyio
import anyio.to_thread

from tests.ledgerbridge.in_process import close_shared_portal, shared_portal


def test_a_request_still_awaiting_is_cancelled_when_the_loop_closes() -> None:
    future = shared_portal().start_task_soon(anyio.sleep, 3600)

    started = time.perf_counter()
    assert close_shared_portal(timeout=10)

    assert time.perf_counter() - started < 5
    assert future.cancelled()


def test_a_request_stuck_in_a_worker_thread_does_not_hold_the_close() -> None:
    entered, release = threading.Event(), threading.Event()

    def endpoint() -> None:
        entered.set()
        release.wait()

    shared_portal().start_task_soon(anyio.to_thread.run_sync, endpoint)
    assert entered.wait(10)  # the endpoint's thread is running

    try:
        assert not close_shared_portal(timeout=0.2)  # gave up waiting, did not hang
    finally:
        release.set()
    assert shared_portal() is not None  # a new loop on the next use
    assert close_shared_portal(timeout=10)
