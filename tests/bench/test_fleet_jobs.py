"""bench.fleet_jobs' split of a large company's idle time between its sync jobs, on spans made
by hand (no PostgreSQL): what procrastinate's rows say about why the next job started when
it did."""

from __future__ import annotations

import pytest
from bench.fleet_jobs import JobSpan, large_idle, sync_gap

CID = "large-1"


def _sync(
    job_id: int,
    start: float,
    end: float,
    *,
    scheduled_at: float | None = None,
    priority: int = -1,
    status: str = "succeeded",
    cid: str = CID,
) -> JobSpan:
    return JobSpan(
        job_id, "large sync", "large", cid, start, end, False, scheduled_at, priority, status
    )


def _pull(job_id: int, start: float, end: float, cid: str = CID) -> JobSpan:
    return JobSpan(job_id, "large pull", "large", cid, start, end)


def test_a_yielded_slice_waits_only_for_a_worker() -> None:
    """Re-queued at once (scheduled_at NULL): the whole gap is the wait for a worker."""
    gap = sync_gap(_sync(1, 0.0, 10.0), _sync(2, 13.5, 23.5), [])
    assert (gap.seconds, gap.scheduled, gap.why, gap.own_jobs) == (3.5, 0.0, "", 0.0)
    assert gap.worker == pytest.approx(3.5)


def test_a_window_stop_waits_for_its_scheduled_at_then_for_a_worker() -> None:
    """The follow-up scheduled 48 s after the job's end, started 2 s after that."""
    gap = sync_gap(_sync(1, 0.0, 4.0), _sync(2, 54.0, 64.0, scheduled_at=52.0), [])
    assert gap.why == "window"
    assert gap.seconds == pytest.approx(50.0)
    assert gap.scheduled == pytest.approx(48.0)
    assert gap.worker == pytest.approx(2.0)


def test_a_scheduled_at_before_the_end_is_no_wait() -> None:
    """A job queued during the earlier one (new records), due already at its end."""
    gap = sync_gap(_sync(1, 0.0, 10.0), _sync(2, 11.0, 12.0, scheduled_at=9.0, priority=0), [])
    assert (gap.scheduled, gap.why) == (0.0, "")
    assert gap.worker == pytest.approx(1.0)


def test_a_start_before_scheduled_at_is_not_a_negative_wait() -> None:
    """Two processes' clocks: the scheduled part never exceeds the gap."""
    gap = sync_gap(_sync(1, 0.0, 10.0), _sync(2, 30.0, 40.0, scheduled_at=30.2), [])
    assert gap.scheduled == pytest.approx(20.0)
    assert gap.worker == 0.0


def test_busy_and_retries_are_scheduled_but_not_window_stops() -> None:
    busy = sync_gap(_sync(1, 0.0, 1.0), _sync(2, 32.0, 33.0, scheduled_at=31.0, priority=0), [])
    retry = sync_gap(
        _sync(1, 0.0, 1.0, status="failed"), _sync(2, 12.0, 13.0, scheduled_at=11.0), []
    )
    assert (busy.why, busy.scheduled) == ("other", 30.0)
    assert (retry.why, retry.scheduled) == ("other", 10.0)


def test_the_companys_own_pull_after_the_job_could_run_is_counted_apart() -> None:
    """A pull holds the company's lock: from the scheduled moment (50) it ran 3 s of the
    6 s before the sync started; the pull's part before that moment is window time."""
    gap = sync_gap(
        _sync(1, 0.0, 10.0),
        _sync(2, 56.0, 60.0, scheduled_at=50.0),
        [_pull(3, 48.0, 53.0)],
    )
    assert gap.scheduled == pytest.approx(40.0)
    assert gap.own_jobs == pytest.approx(3.0)
    assert gap.worker == pytest.approx(3.0)


def test_large_idle_sums_each_companys_gaps_up_to_its_last_sync_job() -> None:
    """Two large companies, a small one ignored; the share is over each large company's time
    from its first sync job's start to its last's end."""
    spans = [
        _sync(1, 0.0, 10.0),  # yielded
        _sync(2, 12.0, 15.0),  # window full
        _sync(3, 65.0, 70.0, scheduled_at=63.0),  # follow-up, the last
        _sync(4, 1.0, 11.0, cid="large-2"),
        _sync(5, 11.0, 20.0, cid="large-2"),  # taken at once: a gap of 0
        JobSpan(6, "small sync", "small", "small-1", 20.0, 21.0),
        JobSpan(7, "small sync", "small", "small-1", 40.0, 41.0, False, 30.0, -1),
    ]
    idle = large_idle(spans)
    assert idle.companies == 2
    assert len(idle.gaps) == 3
    assert idle.window_stops == [pytest.approx(48.0)]
    assert idle.idle == pytest.approx(2.0 + 50.0 + 0.0)
    assert idle.active == pytest.approx(70.0 + 19.0)
    assert idle.share == pytest.approx(52.0 / 89.0)
    assert sum(g.worker for g in idle.gaps) == pytest.approx(4.0)


def test_no_large_sync_job_no_gaps() -> None:
    idle = large_idle([_pull(1, 0.0, 1.0)])
    assert (idle.companies, idle.gaps, idle.share) == (0, (), 0.0)
