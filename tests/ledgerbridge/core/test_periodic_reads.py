"""`read_due` at its edges (the dispatchers' tests take it through the API and the jobs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ledgerbridge.core.periodic_reads import (
    CLOCK_MARGIN,
    NOTIFIED_READ_EVERY,
    NOTIFIED_WITHIN,
    read_due,
)

NOW = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
MINUTE = timedelta(minutes=1)


def test_a_company_whose_webhooks_are_not_known_to_arrive_is_read_every_time() -> None:
    assert read_due(None, NOW - MINUTE, NOW)  # never notified
    assert read_due(NOW - NOTIFIED_WITHIN - MINUTE, NOW - MINUTE, NOW)  # over a day ago
    assert not read_due(NOW - NOTIFIED_WITHIN, NOW - MINUTE, NOW)  # a day ago to the second


def test_a_notified_company_is_read_once_its_last_read_is_old_enough() -> None:
    assert not read_due(NOW - MINUTE, NOW - NOTIFIED_READ_EVERY + MINUTE, NOW)
    assert read_due(NOW - MINUTE, NOW - NOTIFIED_READ_EVERY, NOW)
    assert read_due(NOW - MINUTE, None, NOW)  # never read


def test_a_last_read_or_a_mark_ahead_of_the_clock_is_not_trusted() -> None:
    assert not read_due(NOW - MINUTE, NOW + CLOCK_MARGIN, NOW)  # within the clocks' margin
    assert read_due(NOW - MINUTE, NOW + CLOCK_MARGIN + MINUTE, NOW)
    assert not read_due(NOW + CLOCK_MARGIN, NOW - MINUTE, NOW)
    # a mark a day ahead would keep the company on the hourly reads for two days
    assert read_due(NOW + NOTIFIED_WITHIN, NOW - MINUTE, NOW)
