"""A pass keeps its company's lease while it runs (`push.lease`): a pass that outlasts LEASE
without renewing it would lose it to a second process while it still writes, and two passes
would race on the same records, the one thing the lease exists to prevent.

The emulator's latency hook (`Emulator.latency`, run when a request meets a latency fault)
stands in for a slow QuickBooks: while the pass's first batch is under way, the engine's clock
moves past LEASE and another holder takes the expired lease, as a second worker would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.engine.push import sync_company
from ledgerbridge.engine.push.lease import LEASE
from ledgerbridge.storage.leases import Leases
from tests.ledgerbridge.engine.conftest import World

OTHER = "worker-other"


def test_a_pass_that_loses_its_lease_stops_and_the_next_settles_its_write(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the parent's create goes out in a batch first (its child waits for it); the child's
    # create would follow it in the same pass
    for app_id, data in (
        ("top", {"display_name": "Lease Top"}),
        ("home", {"display_name": "1 Lease St", "kind": "property", "parent_id": "top"}),
    ):
        world.service.put_record(world.key_id, world.connection_id, "customer", app_id, data)
    lease = f"connection:{world.connection_id}"
    base = world.ledger.clock
    shift = [timedelta(0)]
    world.ledger.clock = lambda: base() + shift[0]  # type: ignore[method-assign]
    taken: list[bool] = []

    async def slow_quickbooks(seconds: float) -> None:
        """The batch is slow: LEASE goes by, and a second process takes the lease."""
        shift[0] = LEASE + timedelta(seconds=1)
        with world.ledger.db.session() as session:
            taken.append(Leases(session, clock=world.ledger.clock).acquire(lease, OTHER, LEASE))

    monkeypatch.setattr(world.emulator.emulator, "latency", slow_quickbooks)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"entity": "batch", "writes": True}, "times": 1, "action": {"latency_ms": 1}},
    )

    lost = sync_company(world.ledger, world.connection_id, holder="worker-first")

    assert taken == [True]  # the lease had expired: the second process holds it now
    assert lost.stopped == "busy", lost
    # QuickBooks carried out the batch under way, and nothing was sent after it
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Lease Top"]
    # nor stored: the record is not synced on the first pass's word
    top = world.service.record(world.key_id, world.connection_id, "customer", "top")
    assert top.status == "pending"

    with world.ledger.db.session() as session:
        Leases(session, clock=world.ledger.clock).release(lease, OTHER)
    after = sync_company(world.ledger, world.connection_id)
    assert after.stopped is None, after
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == ["1 Lease St", "Lease Top"]  # the parent settled, not created twice
    for app_id in ("top", "home"):
        record = world.service.record(world.key_id, world.connection_id, "customer", app_id)
        assert record.status == "synced"


def test_a_pass_longer_than_its_lease_renews_it_as_it_goes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three batches one after another (each record's parent goes first), each slow: the pass
    # runs for longer than LEASE, and a second process tries to take the lease at each
    chain = [("a", None, "Chain A"), ("b", "a", "1 Chain St"), ("c", "b", "Chain Job")]
    for app_id, parent, name in chain:
        data = {"display_name": name}
        if parent is not None:
            data |= {"kind": "job", "parent_id": parent}
        world.service.put_record(world.key_id, world.connection_id, "customer", app_id, data)
    lease = f"connection:{world.connection_id}"
    base = world.ledger.clock
    shift = [timedelta(0)]
    world.ledger.clock = lambda: base() + shift[0]  # type: ignore[method-assign]
    taken: list[bool] = []

    async def slow_quickbooks(seconds: float) -> None:
        shift[0] += LEASE * 0.4
        with world.ledger.db.session() as session:
            taken.append(Leases(session, clock=world.ledger.clock).acquire(lease, OTHER, LEASE))

    monkeypatch.setattr(world.emulator.emulator, "latency", slow_quickbooks)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"entity": "batch", "writes": True}, "times": 3, "action": {"latency_ms": 1}},
    )

    report = sync_company(world.ledger, world.connection_id, holder="worker-long")

    assert shift[0] > LEASE  # the pass ran longer than its lease
    assert taken == [False, False, False]  # renewed as it went: never taken from it
    assert report.stopped is None and report.created == 3, report
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == ["1 Chain St", "Chain A", "Chain Job"]
