"""A first sync under QuickBooks' limits: creates go 30 to a batch request while the company
has batch requests left, one at a time in the rest of its requests while the batches wait, and
the pass stops (the company waits for its window) before QuickBooks would refuse anything."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledgerbridge.bootstrap import RateLimits
from ledgerbridge.core.records import Incoming
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World


def limit(world: World, requests: int, batches: int) -> None:
    """The emulated company's limits lowered, and the engine told the same."""
    throttle = {"requests_per_minute": requests, "batch_per_minute": batches, "concurrent": 10}
    world.admin("PATCH", f"/companies/{world.realm_id}", {"throttle": throttle})
    world.ledger.rate_limits = RateLimits(requests, batches)  # type: ignore[misc]


def customers(world: World, count: int) -> None:
    records = [
        Incoming("customer", f"c{n:03d}", {"display_name": f"Customer {n:03d}"})
        for n in range(count)
    ]
    world.service.put_records(world.key_id, world.connection_id, records)


def sent(world: World) -> tuple[int, int]:
    """Creates sent in a batch and alone, from the records' histories."""
    with world.ledger.db.session(readonly=True) as session:
        ids = session.execute(
            text("SELECT request_id FROM history WHERE kind = 'create_sent'")
        ).scalars()
        kinds = [":" in (request_id or "") for request_id in ids]
    return sum(kinds), len(kinds) - sum(kinds)


def refused(world: World) -> int:
    return int(world.admin("GET", f"/companies/{world.realm_id}")["throttle_refused"])


def test_singles_keep_flowing_while_the_batch_requests_wait(world: World) -> None:
    pull_company(world.ledger, world.connection_id)  # the pull's requests count too
    limit(world, requests=100, batches=2)
    customers(world, 100)

    report = world.sync()

    assert report.stopped is None, report
    assert len(world.entities("Customer")) == 100  # every one in QuickBooks, in one pass
    assert sent(world) == (60, 40)  # two batches of 30, then the rest one by one
    assert refused(world) == 0


def test_the_writes_sent_alone_go_together_not_one_per_record_planned(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the batch requests are used up, a full queue goes out one write at a time, all
    of it, before the round reads its next records: one read of the next 32 records for every
    30 planned, not one for every record sent alone."""
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=200, batches=1)
    customers(world, 150)
    reads = 0
    prefetch = Surroundings.prefetch

    def counted(self: Surroundings, *args: object) -> None:
        nonlocal reads
        reads += 1
        prefetch(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Surroundings, "prefetch", counted)

    report = world.sync()

    assert report.stopped is None, report
    assert len(world.entities("Customer")) == 150
    assert sent(world) == (30, 120)  # one batch, then the rest one by one
    assert reads <= 150 // 30 + 2, reads  # (was one for each of the 120 sent alone)
    assert refused(world) == 0


def test_a_full_window_stops_the_pass_before_quickbooks_refuses(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=40, batches=1)
    customers(world, 100)

    report = world.sync()

    assert report.stopped == "rate_limited"
    created = len(world.entities("Customer"))
    # one batch, then singles until the window was full (the pull's requests took their part)
    assert 30 < created < 100
    assert sent(world) == (30, created - 30)
    assert refused(world) == 0
    with world.ledger.db.session(readonly=True) as session:
        due = SyncStates(session).next_due_at(world.connection_id)
    assert due is not None and due > world.ledger.clock()  # the company waits for its window
    # Intuit's own limits again, so that the teardown's verify reads at once instead of waiting
    # a minute for this window to slide
    limit(world, requests=500, batches=40)
