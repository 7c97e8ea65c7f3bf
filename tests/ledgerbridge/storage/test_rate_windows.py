"""A company's requests counted over a sliding window, as QuickBooks counts them: what is
allowed, what is refused and for how long, and the batch requests' share kept from singles."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ledgerbridge.storage import tables
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.rate_windows import MARGIN, RateWindows
from tests.ledgerbridge.lock_waits import blocked_by

START = datetime(2026, 12, 6, 9, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def take(db: Database, clock: Clock, **kwargs: object) -> float:
    options: dict[str, object] = {"limit": 5, "batch_limit": 2, "window": 60.0, **kwargs}
    with db.session() as session:
        return RateWindows(session, clock=clock).take("realm-1", **options)  # type: ignore[arg-type]


def test_the_window_slides_request_by_request(db: Database, clock: Clock) -> None:
    for _ in range(5):
        assert take(db, clock) == 0
        clock.advance(10)  # requests at 0, 10, 20, 30 and 40 s
    wait = take(db, clock)  # at 50 s: full until the first leaves the window
    assert 10 < wait <= 10 + 0.5 + MARGIN.total_seconds() + 0.001
    clock.advance(wait)
    assert take(db, clock) == 0  # the first request left; the second still counts
    assert take(db, clock) > 0
    # another company has a window of its own
    with db.session() as session:
        assert RateWindows(session, clock=clock).take("realm-2", limit=5) == 0


def test_batch_requests_have_their_own_limit_within_the_requests(
    db: Database, clock: Clock
) -> None:
    assert take(db, clock, batch=True) == 0
    assert take(db, clock, batch=True) == 0
    assert take(db, clock, batch=True) > 0  # two batch requests a window
    assert take(db, clock) == 0  # a single request still goes
    clock.advance(61)
    assert take(db, clock, batch=True) == 0


def test_singles_can_leave_the_batch_requests_their_share(db: Database, clock: Clock) -> None:
    # 5 requests, 2 of them batches: singles that keep the batches' share stop at 3
    for _ in range(3):
        assert take(db, clock, keep_for_batches=True) == 0
    assert take(db, clock, keep_for_batches=True) > 0
    assert take(db, clock, batch=True) == 0
    assert take(db, clock, batch=True) == 0
    assert take(db, clock) > 0  # the window is full for everyone now


def test_a_shorter_window_keeps_the_counts(db: Database, clock: Clock) -> None:
    for _ in range(5):
        assert take(db, clock, window=6.0) == 0
    wait = take(db, clock, window=6.0)
    assert 6 <= wait <= 6 + 0.05 + MARGIN.total_seconds() + 0.001
    clock.advance(wait)
    assert take(db, clock, window=6.0) == 0


def test_asking_counts_nothing(db: Database, clock: Clock) -> None:
    for _ in range(10):
        assert take(db, clock, count=False) == 0
    for _ in range(5):
        assert take(db, clock) == 0
    assert take(db, clock, count=False) > 0


def test_a_request_answered_later_counts_from_its_answer(db: Database, clock: Clock) -> None:
    taken = clock.now
    for _ in range(5):
        assert take(db, clock) == 0
    clock.advance(3)  # the last one was answered 3 s later: QuickBooks counted it then
    with db.session() as session:
        RateWindows(session, clock=clock).landed("realm-1", taken)
    clock.advance(58)  # 61 s after it was counted here, 58 after QuickBooks saw it
    assert take(db, clock) == 0  # the four answered at once have left the window
    assert take(db, clock) == 0
    assert take(db, clock) == 0
    assert take(db, clock) == 0
    assert take(db, clock) > 0  # the late one still counts
    clock.advance(3)
    assert take(db, clock) == 0


def test_no_share_is_kept_when_batches_may_take_every_request(db: Database, clock: Clock) -> None:
    # limits as high as a company without any (ledgerbridge demo): singles are never held back
    for _ in range(3):
        assert take(db, clock, limit=10**9, batch_limit=10**9, keep_for_batches=True) == 0


def test_two_processes_making_the_same_bucket_count_both_requests(
    db: Database, clock: Clock
) -> None:
    """Two workers that both read no row for a new bucket both add their request to it (the
    second insert meets the first's row: counted there, not a duplicate key)."""
    start = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    for _ in range(2):  # each as if it had read the bucket missing before the other wrote it
        with db.session() as session:
            RateWindows(session, clock=clock)._add("realm-1", start, [], True, None)
    with db.session(readonly=True) as session:
        rows = session.execute(
            select(tables.RateWindow.requests, tables.RateWindow.batches).where(
                tables.RateWindow.realm_id == "realm-1"
            )
        ).all()
    assert [(r.requests, r.batches) for r in rows] == [(2, 2)]


def counted(db: Database) -> int:
    with db.session(readonly=True) as session:
        rows = session.execute(
            select(tables.RateWindow.requests).where(tables.RateWindow.realm_id == "realm-1")
        ).scalars()
        return sum(rows)


def test_a_quiet_window_counts_requests_ahead_up_to_half_the_singles(
    db: Database, clock: Clock
) -> None:
    # 20 requests, 4 of them batches: singles may use 16, and requests are counted ahead only
    # while the window, with them, holds at most 8
    options: dict[str, object] = {"limit": 20, "batch_limit": 4}
    with db.session() as session:
        windows = RateWindows(session, clock=clock)
        assert windows.take_ahead("realm-1", ahead=3, **options) == (0.0, 4)  # type: ignore[arg-type]
        assert windows.take_ahead("realm-1", ahead=7, **options) == (0.0, 4)  # type: ignore[arg-type]
        assert windows.take_ahead("realm-1", ahead=7, **options) == (0.0, 1)  # type: ignore[arg-type]
    assert counted(db) == 9
    # asking counts nothing ahead; a batch request is one whatever is asked
    with db.session() as session:
        windows = RateWindows(session, clock=clock)
        assert windows.take_ahead("realm-1", ahead=7, count=False, **options) == (0.0, 0)  # type: ignore[arg-type]
        assert windows.take_ahead("realm-1", ahead=7, batch=True, **options) == (0.0, 1)  # type: ignore[arg-type]
    assert counted(db) == 10


def test_writes_sent_together_are_counted_together_as_many_as_the_window_holds(
    db: Database, clock: Clock
) -> None:
    # 20 requests, 4 of them batches: singles that leave the batches their share use 16
    options: dict[str, object] = {"limit": 20, "batch_limit": 4, "keep_for_batches": True}
    with db.session() as session:
        windows = RateWindows(session, clock=clock)
        assert windows.take_ahead("realm-1", more=9, **options) == (0.0, 10)  # type: ignore[arg-type]
        assert windows.take_ahead("realm-1", batch=True, **options) == (0.0, 1)  # type: ignore[arg-type]
        assert windows.take_ahead("realm-1", more=29, **options) == (0.0, 6)  # type: ignore[arg-type]
        wait, none = windows.take_ahead("realm-1", more=29, **options)  # type: ignore[arg-type]
    assert wait > 0 and none == 0
    assert counted(db) == 17
    # without the share kept, up to the whole limit
    with db.session() as session:
        windows = RateWindows(session, clock=clock)
        assert windows.take_ahead("realm-1", more=29, limit=20, batch_limit=4) == (0.0, 3)
    assert counted(db) == 20


def test_requests_counted_together_move_to_their_answers_bucket(db: Database, clock: Clock) -> None:
    taken = clock.now
    with db.session() as session:
        assert RateWindows(session, clock=clock).take_ahead(
            "realm-1", limit=5, batch_limit=2, more=4
        ) == (0.0, 5)
    clock.advance(3)  # three of them answered 3 s later: QuickBooks counted them then
    with db.session() as session:
        RateWindows(session, clock=clock).landed("realm-1", taken, requests=3)
    clock.advance(58)  # 61 s after they were counted here
    assert take(db, clock) == 0  # the two answered at once have left the window
    assert take(db, clock) == 0
    assert take(db, clock) > 0  # the three answered late still count
    clock.advance(3)
    assert take(db, clock) == 0


def test_a_full_window_counts_nothing_ahead(db: Database, clock: Clock) -> None:
    for _ in range(5):
        assert take(db, clock) == 0
    with db.session() as session:
        wait, none = RateWindows(session, clock=clock).take_ahead(
            "realm-1", limit=5, batch_limit=2, ahead=7
        )
    assert wait > 0 and none == 0
    assert counted(db) == 5


def test_two_processes_near_the_limit_never_both_take_the_last_request(
    db: Database, clock: Clock
) -> None:
    """A worker's pass and a person's fix in another process ask for the company's last request
    at the same moment: the second reads the window after the first's count, and waits."""
    for _ in range(4):
        assert take(db, clock) == 0  # a limit of 5: one left
    answers: list[float] = []
    with db.session() as first:  # the last one counted, not committed yet
        assert RateWindows(first, clock=clock).take("realm-1", limit=5, batch_limit=2) == 0
        second = threading.Thread(target=lambda: answers.append(take(db, clock)))
        second.start()
        blocked_by(db, first, second)  # (it has read the window before the first commits)
    second.join(60)
    assert len(answers) == 1 and answers[0] > 0
    assert counted(db) == 5
