"""Long waits (`GET .../records/{type}/{id}?wait=N`), kept off the shared thread pool.

Every synchronous route, the dashboard and QuickBooks' webhooks run in one thread pool (40
threads). A wait that slept in one of those threads for up to 30 s let a single API key hold
them all: 60 waits made `/v1/health` take 18 s. Here a wait is a coroutine instead: between two
looks at the record it sleeps on the event loop, holding no thread, and each look (one small
query) runs in a pool of its own of `LOOK_THREADS` threads, so however many waits are open the
shared pool stays free for everyone else. The looks come 0.1 s apart at first and further
apart as a wait goes on (at most 0.5 s): a record that syncs at once is answered at once, and
60 waits of half a minute cost about 120 small queries a second, not 600.

A key may hold `WAITS_PER_KEY` waits at once in one process; one more is refused with 429
`wait.too_many` and a `Retry-After`, before it waits (a record with nothing to wait for, or
`wait=0`, never counts).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread

from ledgerbridge.api.errors import ApiError

__all__ = ["LOOK_THREADS", "RETRY_AFTER", "WAITS_PER_KEY", "Waits", "gaps"]

WAITS_PER_KEY = 20  # open waits one API key may hold at once (per process)
LOOK_THREADS = 4  # threads of the waits' own pool (each look is one short query)
FIRST_GAP = 0.1  # seconds before the first look again at a waited record
LONGEST_GAP = 0.5  # the gap grows by half each look, up to this
RETRY_AFTER = 1  # seconds a refused wait is asked to wait before asking again


class Waits:
    """The open waits of one application (`create_app` keeps one in `app.state.waits`)."""

    def __init__(self, *, per_key: int = WAITS_PER_KEY, threads: int = LOOK_THREADS) -> None:
        self.per_key = per_key
        self._open: Counter[str] = Counter()  # only touched from the event loop's thread
        self._limiter = anyio.CapacityLimiter(threads)

    def open(self, key_id: str) -> int:
        """How many waits `key_id` holds now."""
        return self._open[key_id]

    @asynccontextmanager
    async def hold(self, key_id: str) -> AsyncIterator[None]:
        """One of the key's waits, or 429 when it holds `per_key` already."""
        if self._open[key_id] >= self.per_key:
            raise ApiError(
                429,
                "wait.too_many",
                f"this API key already waits on {self.per_key} records; ask again without "
                "wait, or once one of its waits has answered",
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        self._open[key_id] += 1
        try:
            yield
        finally:
            self._open[key_id] -= 1
            if not self._open[key_id]:
                del self._open[key_id]

    async def until(
        self,
        still_waiting: Callable[[], bool],
        seconds: float,
        *,
        gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """Look again (in the waits' own pool) after each of `gaps()` until `still_waiting()`
        is false or `seconds` have passed; `gone()` true (the client hung up) ends the wait
        early too."""
        deadline = time.monotonic() + seconds
        for gap in gaps():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await anyio.sleep(min(gap, left))
            if gone is not None and await gone():
                return
            if not await anyio.to_thread.run_sync(still_waiting, limiter=self._limiter):
                return


def gaps() -> Iterator[float]:
    """Seconds between two looks at a waited record: 0.1, 0.15, 0.225, ... up to 0.5."""
    gap = FIRST_GAP
    while True:
        yield gap
        gap = min(gap * 1.5, LONGEST_GAP)
