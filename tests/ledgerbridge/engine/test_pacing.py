"""A company's requests counted ahead by each process (`engine.pacing`): a quiet company's
reads cost one write for several, and what every process sends together still never passes the
limits, nor a request counted ahead outlives its bucket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledgerbridge.engine import pacing
from ledgerbridge.engine.ports import RateLimits
from ledgerbridge.storage import tables
from ledgerbridge.storage.db import Database
from tests.ledgerbridge.sqlite_template import SqliteTemplate

START = datetime(2026, 12, 6, 9, 0, 0, 100_000, tzinfo=UTC)  # early in a half-second bucket


class Counting:
    """A process's database: the same file as the other's, with its writes counted."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        self.writes = 0

    def session(self, *, readonly: bool = False) -> AbstractContextManager[Session]:
        if not readonly:
            self.writes += 1
        return self.database.session(readonly=readonly)


@dataclass
class Process:
    """What `pacing` asks of a ledger: its database, clock and limits."""

    db: Counting
    now: list[datetime]
    rate_limits: RateLimits = field(default_factory=RateLimits)

    def clock(self) -> datetime:
        return self.now[0]


@pytest.fixture
def url(tmp_path: Path, sqlite_template: SqliteTemplate) -> str:
    return sqlite_template.copy_to(tmp_path / "shared.db")


@pytest.fixture
def processes(url: str) -> Iterator[tuple[Process, Process]]:
    now = [START]
    limits = RateLimits(requests_per_minute=40, batches_per_minute=4)
    one, two = Process(Counting(url), now, limits), Process(Counting(url), now, limits)
    yield one, two
    one.db.database.dispose()
    two.db.database.dispose()


def counted(process: Process, realm_id: str) -> int:
    with process.db.database.session(readonly=True) as session:
        return sum(
            session.execute(
                select(tables.RateWindow.requests).where(tables.RateWindow.realm_id == realm_id)
            ).scalars()
        )


def test_a_quiet_companys_requests_cost_a_write_for_several(
    processes: tuple[Process, Process],
) -> None:
    one, _ = processes
    for _ in range(15):  # a pull's reads, answered at once: all in one bucket
        assert pacing.take(one, "realm-1") == 0  # type: ignore[arg-type]
    assert one.db.writes == 4  # 1, 2, 4 and 8 counted at a time
    assert counted(one, "realm-1") == 15


def test_what_two_processes_send_together_never_passes_the_limit(
    processes: tuple[Process, Process],
) -> None:
    one, two = processes
    sent = 0
    refused = {id(one): False, id(two): False}
    while not all(refused.values()):
        for process in (one, two):
            if pacing.take(process, "realm-1") == 0:  # type: ignore[arg-type]
                sent += 1
            else:
                refused[id(process)] = True
    assert sent == 40  # the whole minute's requests, and not one more
    assert counted(one, "realm-1") == 40
    assert one.db.writes + two.db.writes > 20  # counted ahead while quiet, one by one after


def test_a_request_counted_ahead_is_not_sent_after_its_bucket(
    processes: tuple[Process, Process],
) -> None:
    one, _ = processes
    assert pacing.take(one, "realm-1") == 0  # type: ignore[arg-type]
    assert pacing.take(one, "realm-1") == 0  # type: ignore[arg-type]  # and one more ahead
    assert counted(one, "realm-1") == 3
    one.now[0] += timedelta(seconds=0.5)  # the next bucket: the one ahead is left unsent
    assert pacing.take(one, "realm-1") == 0  # type: ignore[arg-type]
    assert one.db.writes == 3
    assert counted(one, "realm-1") == 4


def test_batch_requests_are_counted_one_by_one(processes: tuple[Process, Process]) -> None:
    one, _ = processes
    for _ in range(4):
        assert pacing.take(one, "realm-1", batch=True) == 0  # type: ignore[arg-type]
    assert one.db.writes == 4
    assert pacing.take(one, "realm-1", batch=True) > 0  # type: ignore[arg-type]
    assert counted(one, "realm-1") == 4
