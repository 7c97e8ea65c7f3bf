"""QuickBooks Online throttling: requests per minute per company, requests in flight per company
and app, batch requests per minute per company and app. Over any limit the request gets 429/3001.

Windows slide over the last 60 seconds of monotonic time (the company's
`throttle.window_seconds`: a shorter window keeps the counts and speeds the clock up, for
benchmarks); a refused request does not count, but is counted in `refused` (per company).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from qbo_emulator import faults
from qbo_emulator.model.store import Throttle

WINDOW_SECONDS = 60.0


@dataclass
class _Window:
    times: deque[float] = field(default_factory=deque)

    def count(self, now: float, window: float = WINDOW_SECONDS) -> int:
        while self.times and self.times[0] <= now - window:
            self.times.popleft()
        return len(self.times)


class Limiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._requests: dict[str, _Window] = {}
        self._batches: dict[tuple[str, str], _Window] = {}
        self._in_flight: dict[tuple[str, str], int] = {}
        self.refused: dict[str, int] = {}  # requests refused with 429, per company

    def acquire(self, realm_id: str, client_id: str, limits: Throttle, *, batch: bool) -> None:
        """Admit one request or raise the throttle fault; pair every success with `release`."""
        try:
            self._admit(realm_id, client_id, limits, batch=batch)
        except faults.QBOFault:
            self.refused[realm_id] = self.refused.get(realm_id, 0) + 1
            raise

    def _admit(self, realm_id: str, client_id: str, limits: Throttle, *, batch: bool) -> None:
        now = self._clock()
        window = limits.window_seconds
        key = (realm_id, client_id)
        requests = self._requests.setdefault(realm_id, _Window())
        if (
            limits.requests_per_minute is not None
            and requests.count(now, window) >= limits.requests_per_minute
        ):
            raise faults.throttled()
        if limits.concurrent is not None and self._in_flight.get(key, 0) >= limits.concurrent:
            raise faults.throttled()
        batches = self._batches.setdefault(key, _Window())
        if (
            batch
            and limits.batch_per_minute is not None
            and batches.count(now, window) >= limits.batch_per_minute
        ):
            raise faults.throttled()
        requests.times.append(now)
        if batch:
            batches.times.append(now)
        self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def release(self, realm_id: str, client_id: str) -> None:
        key = (realm_id, client_id)
        remaining = self._in_flight.get(key, 0) - 1
        if remaining > 0:
            self._in_flight[key] = remaining
        else:
            self._in_flight.pop(key, None)

    def forget(self, realm_id: str) -> None:
        self._requests.pop(realm_id, None)
        self.refused.pop(realm_id, None)
        for key in [k for k in self._batches if k[0] == realm_id]:
            del self._batches[key]
