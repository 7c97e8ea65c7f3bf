"""The embedded dispatcher's periodic reads and Intuit's webhooks: a company whose signed
webhooks arrive is read on the `pull_every` schedule only once its last read is an hour old
(its webhooks wake its pulls meanwhile), as the jobs' sweep does; the others at every period;
and a pull a wait for QuickBooks' limits stopped is made when the wait ends, the hour
notwithstanding.

The notifications are signed with the emulator app's verifier token and received by the
service the dispatcher is wired into. What was read is counted by the emulator (its faults'
`hits`), not by the dispatcher. The dispatcher's clock and the ledger's move together, by the
test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from ledgerbridge.core.periodic_reads import NOTIFIED_READ_EVERY, NOTIFIED_WITHIN
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.storage.connections import Connections
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.intuit_notices import notification, sign
from tests.ledgerbridge.throttling import (
    RETRY_AFTER,
    answers_429,
    answers_again,
    requests_counted,
    wait_over,
)

PERIOD = 300.0  # the dispatcher's `pull_every`, seconds


class Moved:
    """The embedded dispatcher on the world's ledger, both clocks at `seconds` past the start."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.world, self.seconds = world, 0.0
        start = world.ledger.clock()
        monkeypatch.setattr(world.ledger, "clock", lambda: start + timedelta(seconds=self.seconds))
        self.dispatcher = InProcessDispatcher(
            world.ledger, pull_every=PERIOD, clock=lambda: self.seconds
        )
        world.service.wake_pull = self.dispatcher.wake_pull

    def round_at(self, seconds: float) -> int:
        """A round of the dispatcher at `seconds`: the requests the emulator answered for the
        company in it."""
        self.seconds = seconds
        answers_again(self.world, self.world.realm_id)  # counted from 0
        self.dispatcher.run_once()
        return requests_counted(self.world, self.world.realm_id)

    def notified(self) -> None:
        """A signed notification of Intuit's naming the company (it wakes a pull too)."""
        body = notification(self.world.realm_id)
        token = self.world.ledger.app("emulator").verifier_token
        assert token is not None
        assert self.world.service.receive_webhook(body, sign(body, token.value)) == 1


@pytest.fixture
def moved(world: World, monkeypatch: pytest.MonkeyPatch) -> Moved:
    return Moved(world, monkeypatch)


HOUR = NOTIFIED_READ_EVERY.total_seconds()


def test_a_notified_company_is_read_on_schedule_only_once_its_last_read_is_an_hour_old(
    moved: Moved,
) -> None:
    moved.notified()
    assert moved.round_at(0) > 0  # the webhook's own pull
    for seconds in (PERIOD, 2 * PERIOD, HOUR - 60):
        assert moved.round_at(seconds) == 0, seconds  # its webhooks would wake its pulls
    assert moved.round_at(HOUR + 1) > 0  # the hour's read
    assert moved.round_at(HOUR + 1 + PERIOD) == 0


def test_a_company_whose_webhooks_stopped_a_day_ago_is_read_every_period(moved: Moved) -> None:
    moved.notified()
    assert moved.round_at(0) > 0
    later = NOTIFIED_WITHIN.total_seconds() + 60  # no notification since
    assert moved.round_at(later) > 0
    assert moved.round_at(later + PERIOD) > 0
    assert moved.round_at(later + 2 * PERIOD) > 0


def test_a_company_never_notified_is_read_every_period(moved: Moved) -> None:
    assert moved.round_at(0) > 0
    assert moved.round_at(PERIOD - 1) == 0
    assert moved.round_at(PERIOD) > 0
    assert moved.round_at(2 * PERIOD) > 0


def test_a_webhooks_pull_stopped_by_a_wait_is_made_when_the_wait_ends(moved: Moved) -> None:
    """A notified company, read a minute ago: a new webhook's pull meets QuickBooks' 429; its
    changes are read when the wait ends, not an hour after the last read."""
    world = moved.world
    moved.notified()
    assert moved.round_at(0) > 0
    moved.seconds = 60.0
    world.admin("DELETE", f"/companies/{world.realm_id}/faults")
    answers_429(world, world.realm_id)
    moved.notified()
    moved.dispatcher.run_once()
    assert requests_counted(world, world.realm_id) == 1  # the pull, answered 429

    assert moved.round_at(60 + RETRY_AFTER - 1) == 0  # the wait still on
    wait_over(world.ledger, world.connection_id)
    assert moved.round_at(60 + RETRY_AFTER) > 0  # the wait's end: the owed pull
    assert moved.round_at(60 + RETRY_AFTER + PERIOD) == 0  # then the webhooks' schedule again


def test_a_webhooks_pull_that_fails_is_made_again_a_period_later(moved: Moved) -> None:
    """A notified company, read a minute ago: a new webhook's pull finds QuickBooks down (503
    to every request); the pull is made again a period later, not an hour after the last
    read."""
    world = moved.world
    moved.notified()
    assert moved.round_at(0) > 0
    moved.seconds = 60.0
    world.admin("DELETE", f"/companies/{world.realm_id}/faults")
    down = {"times": None, "action": {"status": 503}}
    world.admin("POST", f"/companies/{world.realm_id}/faults", down)
    moved.notified()
    moved.dispatcher.run_once()
    assert requests_counted(world, world.realm_id) > 0  # asked, and answered 503

    assert moved.round_at(60 + PERIOD - 1) == 0
    assert moved.round_at(60 + PERIOD) > 0  # QuickBooks back: read
    assert moved.round_at(60 + 2 * PERIOD) == 0  # then the webhooks' schedule again


def test_a_webhooks_pull_survives_a_round_that_fails_before_it(
    moved: Moved, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notified company, read a minute ago: a new webhook wakes its pull, and the round that
    would make it fails reading the connections (the database away for a moment). The next
    round makes the pull: the wake-up is not lost to the hourly read."""
    moved.notified()
    assert moved.round_at(0) > 0
    moved.notified()
    real = Connections.all_connected_with_cursors

    def away(self: Connections) -> object:
        raise OperationalError("SELECT", {}, Exception("the database went away"))

    monkeypatch.setattr(Connections, "all_connected_with_cursors", away)
    moved.seconds = 60.0
    with pytest.raises(OperationalError):
        moved.dispatcher.run_once()
    monkeypatch.setattr(Connections, "all_connected_with_cursors", real)
    assert moved.round_at(65) > 0  # the webhook's pull
    assert moved.round_at(65 + PERIOD) == 0  # then the webhooks' schedule again
