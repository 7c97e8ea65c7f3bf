"""A pass keeps its company's lease while it runs (`push.lease`): a pass that outlasts LEASE
without renewing it would lose it to a second process while it still writes, and two passes
would race on the same records, the one thing the lease exists to prevent.

The emulator's latency hook (`Emulator.latency`, run when a request meets a latency fault)
stands in for a slow QuickBooks: while a batch of the pass's writes is under way, the engine's
clock moves on and another holder tries to take the lease, as a second worker would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.push import sync_company
from ledgerbridge.engine.push.lease import LEASE
from ledgerbridge.engine.push.work import HeldLease, storing
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.leases import Leases
from tests.ledgerbridge.engine.conftest import World

OTHER = "worker-other"


def customers(world: World, *chain: tuple[str, str]) -> None:
    """(app id, name) customers, each but the first a job of the one before: each create
    goes out in a batch of its own, after its parent's."""
    parent = None
    for app_id, name in chain:
        data = {"display_name": name}
        if parent is not None:
            data |= {"kind": "job", "parent_id": parent}
        world.service.put_record(world.key_id, world.connection_id, "customer", app_id, data)
        parent = app_id


def slow_batches(
    world: World, monkeypatch: pytest.MonkeyPatch, batches: int, each: timedelta
) -> list[bool]:
    """The next `batches` batches of writes each take `each` of the engine's clock, at the end
    of which another process tries to take the company's lease: whether it did, each time."""
    lease = f"connection:{world.connection_id}"
    base = world.ledger.clock
    shift = [timedelta(0)]
    world.ledger.clock = lambda: base() + shift[0]  # type: ignore[method-assign]
    taken: list[bool] = []

    async def slow_quickbooks(seconds: float) -> None:
        shift[0] += each
        with world.ledger.db.session() as session:
            taken.append(Leases(session, clock=world.ledger.clock).acquire(lease, OTHER, LEASE))

    monkeypatch.setattr(world.emulator.emulator, "latency", slow_quickbooks)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {
            "match": {"entity": "batch", "writes": True},
            "times": batches,
            "action": {"latency_ms": 1},
        },
    )
    return taken


def given_back(world: World) -> None:
    with world.ledger.db.session() as session:
        Leases(session).release(f"connection:{world.connection_id}", OTHER)


def names(world: World) -> list[str]:
    return sorted(c["DisplayName"] for c in world.entities("Customer"))


def status(world: World, app_id: str) -> str:
    return world.service.record(world.key_id, world.connection_id, "customer", app_id).status


def test_a_pass_that_loses_its_lease_stops_and_the_next_settles_its_write(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers(world, ("top", "Lease Top"), ("job", "Lease Job"))
    # the first batch outlasts the lease: another process takes it meanwhile
    taken = slow_batches(world, monkeypatch, 1, LEASE + timedelta(seconds=1))

    lost = sync_company(world.ledger, world.connection_id, holder="worker-first")

    assert taken == [True]  # the lease had expired: the second process holds it now
    assert lost.stopped == "busy", lost
    # QuickBooks carried out the batch under way, and nothing was sent after it
    assert names(world) == ["Lease Top"]
    assert status(world, "top") == "pending"  # nor stored on the first pass's word

    given_back(world)
    after = sync_company(world.ledger, world.connection_id)
    assert after.stopped is None, after
    assert names(world) == ["Lease Job", "Lease Top"]  # the parent settled, not made twice
    assert [status(world, app_id) for app_id in ("top", "job")] == ["synced", "synced"]


def test_a_pass_longer_than_its_lease_renews_it_as_it_goes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers(world, ("a", "Chain A"), ("b", "Chain B"), ("c", "Chain C"))
    # three batches, each 2 of the lease's 5 minutes: a second process tries at each
    taken = slow_batches(world, monkeypatch, 3, LEASE * 0.4)

    report = sync_company(world.ledger, world.connection_id, holder="worker-long")

    assert taken == [False, False, False]  # 6 minutes after it was taken, still the pass's
    assert report.stopped is None and report.created == 3, report
    assert names(world) == ["Chain A", "Chain B", "Chain C"]


@pytest.mark.in_process("the in-process dispatcher is what is tested")
def test_the_dispatcher_syncs_a_company_again_after_its_pass_lost_the_lease(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded dispatcher runs passes without a time slice: one that lost its lease
    leaves the company due, and the dispatcher's next round finishes it."""
    customers(world, ("top", "Lease Top"), ("job", "Lease Job"))
    slow_batches(world, monkeypatch, 1, LEASE + timedelta(seconds=1))
    dispatcher = InProcessDispatcher(world.ledger, pull_every=1e9)

    dispatcher.run_once()
    assert names(world) == ["Lease Top"]
    dispatcher.run_once()  # the other process still holds it: the company waits
    assert names(world) == ["Lease Top"]

    given_back(world)
    dispatcher.run_once()
    assert names(world) == ["Lease Job", "Lease Top"]
    assert [status(world, app_id) for app_id in ("top", "job")] == ["synced", "synced"]


def test_a_renewal_rolled_back_with_its_store_is_not_counted(world: World) -> None:
    """The lease is renewed in the transaction that stores a pass's conclusion
    (`push.work.storing`); when that transaction rolls back, so does the renewal, and the
    pass must not count it: the next store renews it again, and the lease stays the pass's
    past the time it was taken for."""
    lease = f"connection:{world.connection_id}"
    start = world.ledger.clock()
    shift = [timedelta(0)]
    world.ledger.clock = lambda: start + shift[0]  # type: ignore[method-assign]
    with world.ledger.db.session() as session:
        assert Leases(session, clock=world.ledger.clock).acquire(lease, "worker-mine", LEASE)
        found = Connections(session).get_with_company(world.connection_id)
    assert found is not None
    held = HeldLease(lease, "worker-mine", LEASE, world.ledger.clock())

    shift[0] = LEASE / 2  # renewal due: it is made in the store's transaction, which fails
    with pytest.raises(RuntimeError), storing(world.ledger, world.connection_id, found[1], held):
        raise RuntimeError("the store failed")
    shift[0] += timedelta(seconds=1)  # the next store, committed
    with storing(world.ledger, world.connection_id, found[1], held):
        pass
    assert held.renewed_at == world.ledger.clock()

    shift[0] = LEASE + timedelta(seconds=1)  # past the time the lease was first taken for
    with world.ledger.db.session() as session:
        assert not Leases(session, clock=world.ledger.clock).acquire(lease, OTHER, LEASE)
