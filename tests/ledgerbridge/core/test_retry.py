"""Backoff decisions are pure: time and randomness come in as arguments."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from ledgerbridge.core.retry import Backoff, is_stalled, throttled_until

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff()
    top = [backoff.delay(n, rand=lambda: 1.0) for n in range(1, 12)]
    assert top[:4] == [timedelta(seconds=s) for s in (5, 10, 20, 40)]
    assert top[-1] == timedelta(minutes=30)
    assert all(a <= b for a, b in itertools.pairwise(top))


def test_jitter_spreads_retries_but_never_below_a_second() -> None:
    backoff = Backoff()
    assert backoff.delay(3, rand=lambda: 0.5) == timedelta(seconds=10)
    assert backoff.next_attempt(NOW, 1, rand=lambda: 0.0) == NOW + timedelta(seconds=1)
    assert backoff.delay(0) == timedelta(0)


def test_throttle_waits_a_minute_unless_told_otherwise() -> None:
    assert throttled_until(NOW, None) == NOW + timedelta(seconds=60)
    assert throttled_until(NOW, 5) == NOW + timedelta(seconds=5)
    # a day's Retry-After (garbled, or hostile) stops the company for ten minutes at most
    assert throttled_until(NOW, 86_400) == NOW + timedelta(minutes=10)
    # beyond what a date holds, or infinite: the same ten minutes, not an overflow
    assert throttled_until(NOW, 1e15) == NOW + timedelta(minutes=10)
    assert throttled_until(NOW, float("inf")) == NOW + timedelta(minutes=10)
    assert throttled_until(NOW, float("nan")) == NOW + timedelta(seconds=60)
    assert throttled_until(NOW, -3) == NOW + timedelta(seconds=60)


def test_stalled_after_half_an_hour() -> None:
    assert not is_stalled(NOW - timedelta(minutes=29), NOW)
    assert is_stalled(NOW - timedelta(minutes=30), NOW)
