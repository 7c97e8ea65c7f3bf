"""A batch of updates in which one item is stale (5010), and reading that object again meets
QuickBooks throttling (429) or unavailable (503). The batch's other items were carried out by
QuickBooks: they are stored synced in the same pass, whatever the re-read met; the stale one
waits (the pass stopped, or the record put off) and is sent again later, written once. What
arrived is counted by the emulator itself (`writes_received`, over a real socket), what
QuickBooks holds is read from its export."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from ledgerbridge.engine.pull import pull_company
from tests.ledgerbridge.engine.conftest import World

pytestmark = [
    pytest.mark.emulator_socket("the batch requests counted as they reach QuickBooks"),
    pytest.mark.in_process("moves the engine's clock on between passes"),
]

CUSTOMERS = 12


def put(world: World, app_id: str, email: str) -> None:
    world.service.put_record(
        world.key_id,
        world.connection_id,
        "customer",
        app_id,
        {"display_name": f"Stale Batch {app_id}", "email": email},
    )


def received(world: World) -> Counter[str]:
    return Counter(world.admin("GET", f"/companies/{world.realm_id}")["writes_received"])


def status(world: World, app_id: str) -> str:
    return world.service.record(world.key_id, world.connection_id, "customer", app_id).status


def later(world: World, minutes: float) -> None:
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=minutes)


def in_quickbooks(world: World) -> dict[str, dict[str, Any]]:
    return {c["DisplayName"]: c for c in world.export()["entities"]["Customer"]}


@pytest.mark.parametrize(
    ("reread", "stopped"),
    [({"status": 429, "retry_after": 1}, "throttled"), ({"status": 503}, None)],
    ids=["throttled", "unavailable"],
)
def test_a_stale_item_whose_reread_fails_leaves_the_rest_of_its_batch_stored(
    world: World, reread: dict[str, Any], stopped: str | None
) -> None:
    pull_company(world.ledger, world.connection_id)
    names = [f"c{n}" for n in range(CUSTOMERS)]
    for app_id in names:
        put(world, app_id, f"{app_id}@old.example")
    world.sync()
    assert world.service.connection(world.key_id, world.connection_id).counts == {
        "synced": CUSTOMERS
    }
    tokens = {
        name: int(c["SyncToken"]) for name, c in in_quickbooks(world).items()
    }  # what QuickBooks holds before the updates
    before = received(world)

    # one item of the batch is stale; reading that customer again then fails once
    faults = f"/companies/{world.realm_id}/faults"
    world.admin(
        "POST",
        faults,
        {
            "match": {"entity": "Customer", "operation": "update", "in_batch": True},
            "times": 1,
            "action": {"status": 400, "code": "5010"},
        },
    )
    world.admin(
        "POST",
        faults,
        {"match": {"method": "GET", "entity": "Customer"}, "times": 1, "action": reread},
    )
    for app_id in names:
        put(world, app_id, f"{app_id}@new.example")
    report = world.sync()
    assert report.stopped == stopped

    # the first pass: every item QuickBooks carried out is stored synced, one waits
    held = in_quickbooks(world)
    done = [
        n
        for n in names
        if held[f"Stale Batch {n}"]["PrimaryEmailAddr"]["Address"].endswith("new.example")
    ]
    stale = sorted(set(names) - set(done))
    assert len(stale) == 1, stale
    assert [status(world, n) for n in done] == ["synced"] * (CUSTOMERS - 1)
    assert status(world, stale[0]) == "pending"
    assert all(f["hits"] == 1 for f in world.admin("GET", faults)["faults"]), "faults not met"

    for _ in range(3):  # the stale one is settled (its batch replayed) and re-applied
        later(world, 30)
        world.sync()
        if status(world, stale[0]) == "synced":
            break
    assert [status(world, n) for n in names] == ["synced"] * CUSTOMERS

    arrived = received(world) - before
    # the refused item did nothing: it is planned afresh and goes in a later batch, once
    assert arrived == Counter({"batch": 2, "batch.update": CUSTOMERS + 1}), arrived
    held = in_quickbooks(world)
    for n in names:
        customer = held[f"Stale Batch {n}"]
        assert customer["PrimaryEmailAddr"]["Address"] == f"{n}@new.example"
        assert int(customer["SyncToken"]) == tokens[f"Stale Batch {n}"] + 1, n  # written once
