"""When to try again: pure functions, with time and randomness passed in (tests never sleep).

- a record whose write failed for a passing reason: exponential backoff with full jitter,
  from 5 seconds up to 30 minutes;
- a company that was throttled: everything waits until the given moment (60 seconds by default,
  Intuit's advice), then resumes at the limit;
- a record pending far longer than expected is `record.stalled` and is queued again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=30)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
        """The wait before attempt number `attempt` + 1 (attempt counts from 1)."""
        if attempt < 1:
            return timedelta(0)
        ceiling: timedelta = min(self.cap, self.base * (2 ** min(attempt - 1, 20)))
        return ceiling * rand()

    def next_attempt(
        self, now: datetime, attempt: int, rand: Callable[[], float] = random.random
    ) -> datetime:
        return now + max(self.delay(attempt, rand), timedelta(seconds=1))


THROTTLE_WAIT = timedelta(seconds=60)
STALLED_AFTER = timedelta(minutes=30)


MAX_THROTTLE_WAIT = timedelta(minutes=10)
"""The longest a 429's Retry-After is honoured: Intuit documents none (its guidance is to wait
60 s), and a company's wait stops its pulls, verify and Refresh as well as its writes, with
nothing that lifts it: a huge or garbled value must not stop a company for hours."""


def throttled_until(now: datetime, retry_after: float | None) -> datetime:
    """When a company QuickBooks answered 429 may be asked again: after its Retry-After (at
    most `MAX_THROTTLE_WAIT`, an infinite one too), or `THROTTLE_WAIT` without one (or with
    none that is a positive number)."""
    if retry_after is None or not retry_after > 0:  # NaN is not
        return now + THROTTLE_WAIT
    return now + timedelta(seconds=min(retry_after, MAX_THROTTLE_WAIT.total_seconds()))


def is_stalled(
    pending_since: datetime, now: datetime, threshold: timedelta = STALLED_AFTER
) -> bool:
    return now - pending_since >= threshold
