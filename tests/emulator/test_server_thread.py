"""`qbo_emulator.server.ServerThread`, the test servers' uvicorn in a thread: `stop` returns
only once every answer under way has been given, with no fixed wait, and says so when the
server still runs after its timeout instead of returning as if it had stopped."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import uvicorn

from qbo_emulator.server import ServerThread, free_port


def slow_server(
    until: Callable[[], bool], done: list[float], entered: threading.Event
) -> ServerThread:
    """A server whose one answer is worked on in a worker thread (as a plain FastAPI handler
    runs) until `until()` says it may end, noting when it ended."""

    def work() -> None:
        deadline = time.monotonic() + 30
        while not until() and time.monotonic() < deadline:
            time.sleep(0.005)
        done.append(time.monotonic())

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        entered.set()
        await asyncio.to_thread(work)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"
    )
    return ServerThread(config, name="slow", what="the slow server")


def started(
    until: Callable[[ServerThread], bool],
) -> tuple[ServerThread, threading.Thread, list[float], list[int]]:
    """A slow server (`slow_server`, its answer ending once `until(server)`) started with its
    one request under way: the server, the client's thread, when the answer's work ended, and
    the statuses the client got."""
    done: list[float] = []
    answers: list[int] = []
    entered = threading.Event()
    server = slow_server(lambda: until(server), done, entered)
    server.start()
    client = threading.Thread(
        target=lambda: answers.append(httpx.get(server.url, timeout=30).status_code), daemon=True
    )
    client.start()
    assert entered.wait(5)
    return server, client, done, answers


def _asked_to_stop(server: ServerThread) -> bool:
    return bool(server._server.should_exit)


def test_stop_waits_for_the_answer_under_way() -> None:
    # the answer's work goes on for a fifth of a second after `stop` was called (a `stop` that
    # did not wait for it would have returned long before)
    asked: list[float] = []

    def a_moment_after_stop(server: ServerThread) -> bool:
        if not asked and _asked_to_stop(server):
            asked.append(time.monotonic())
        return bool(asked) and time.monotonic() > asked[0] + 0.2

    server, client, done, answers = started(a_moment_after_stop)

    server.stop()
    stopped = time.monotonic()
    client.join(5)
    assert done and done[0] <= stopped  # the answer's work ended before stop returned
    assert answers == [200]


def test_a_server_still_answering_after_the_timeout_is_an_error_not_a_quiet_return() -> None:
    released = threading.Event()  # the answer's work ends only once the test says so
    server, client, done, answers = started(lambda _: released.is_set())

    with pytest.raises(RuntimeError, match="still answers"):
        server.stop(timeout=0.2)
    released.set()
    server.stop()  # the answer given, then stopped
    client.join(5)
    assert done and answers == [200]
