"""Nothing is created twice and nothing is lost when QuickBooks or the worker misbehaves."""

from __future__ import annotations

import uuid
from datetime import timedelta

from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import sync_company
from ledgerbridge.engine.tokens import ConnectionTokens
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.tokens import Tokens
from tests.ledgerbridge.engine.conftest import World


def put_customers(world: World, count: int, prefix: str = "Cust") -> None:
    for n in range(count):
        world.service.put_record(
            world.key_id,
            world.connection_id,
            "customer",
            f"c{n}",
            {"display_name": f"{prefix} {n}"},
        )


def fault_on_batches(world: World, times: int, action: dict[str, object]) -> None:
    """The next `times` batch requests (creates go out in batches) meet `action`."""
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "POST", "entity": "batch"}, "times": times, "action": action},
    )


def statuses(world: World) -> dict[str, int]:
    return dict(world.service.connection(world.key_id, world.connection_id).counts)


def later(world: World, minutes: float) -> None:
    """Move the engine's clock forward (retry and throttle waits are real minutes)."""
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=minutes)


def test_a_lost_answer_is_settled_by_replay_not_recreated(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    fault_on_batches(world, 1, {"drop_after_commit": True})
    put_customers(world, 1)
    first = sync_company(world.ledger, world.connection_id)
    assert first.created == 0
    assert statuses(world) == {"pending": 1}  # not an error: the outcome is unknown
    assert len(world.entities("Customer")) == 1  # QuickBooks did commit it
    later(world, 60)
    second = sync_company(world.ledger, world.connection_id)
    assert second.created == 1  # settled by replaying the same requestid
    assert len(world.entities("Customer")) == 1
    assert statuses(world) == {"synced": 1}


def test_a_worker_that_died_after_sending_leaves_a_write_that_is_settled(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put_customers(world, 1)
    request_id = uuid.uuid4().hex
    body = {"DisplayName": "Cust 0"}
    with world.ledger.db.session() as session:
        SyncStates(session).start_write(
            world.connection_id, "customer", "c0", request_id, "create", body
        )
    # the dead worker's request did reach QuickBooks
    tokens = ConnectionTokens(world.ledger, world.connection_id, "emulator")
    with world.ledger.client("emulator", world.realm_id, tokens) as client:
        client.create("Customer", body, request_id=request_id)
    report = sync_company(world.ledger, world.connection_id)
    assert report.created == 1
    assert len(world.entities("Customer")) == 1


def test_a_429_storm_delays_the_company_and_errors_nothing(world: World) -> None:
    pull_company(world.ledger, world.connection_id)  # one request (its pages in a batch)
    # QuickBooks' window full from the pass's first request on: the engine counted 500
    world.admin("PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": 1}})
    put_customers(world, 8)
    report = sync_company(world.ledger, world.connection_id)
    assert report.stopped == "throttled"
    assert statuses(world).get("error", 0) == 0
    world.admin(
        "PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": None}}
    )
    for _ in range(5):
        later(world, 2)
        sync_company(world.ledger, world.connection_id)
        if statuses(world) == {"synced": 8}:
            break
    assert statuses(world) == {"synced": 8}
    assert len(world.entities("Customer")) == 8


def test_token_expiry_mid_run_is_a_silent_refresh(world: World) -> None:
    # QuickBooks may hand back the same refresh token for a day; this company rotates it at
    # every refresh, so the stored token must change
    world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_policy": "strict"})
    pull_company(world.ledger, world.connection_id)
    with world.ledger.db.session() as session:
        before = Tokens(session).get(world.connection_id)
    put_customers(world, 3)
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    report = sync_company(world.ledger, world.connection_id)
    assert report.created == 3 and report.stopped is None
    with world.ledger.db.session() as session:
        after = Tokens(session).get(world.connection_id)
    assert before is not None and after is not None
    assert after.version == before.version + 1  # the rotated refresh token was stored
    assert world.ledger.cipher.decrypt(after.refresh_token) != world.ledger.cipher.decrypt(
        before.refresh_token
    )


def test_server_faults_retry_later_without_errors(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    fault_on_batches(world, 2, {"status": 500, "code": "10000"})
    put_customers(world, 2)
    sync_company(world.ledger, world.connection_id)
    assert statuses(world) == {"pending": 2}
    later(world, 60)
    sync_company(world.ledger, world.connection_id)
    assert statuses(world) == {"synced": 2}
    assert len(world.entities("Customer")) == 2


def test_a_disconnected_company_keeps_its_backlog_pending(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    world.admin("POST", f"/companies/{world.realm_id}/disconnect")
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    put_customers(world, 4)
    report = sync_company(world.ledger, world.connection_id)
    assert report.stopped == "disconnected"
    view = world.service.connection(world.key_id, world.connection_id)
    assert view.status == "disconnected"
    assert view.counts == {"pending": 4}
    assert world.entities("Customer") == []


def test_a_change_made_while_a_write_was_unsettled_still_reaches_quickbooks(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    fault_on_batches(world, 1, {"drop_after_commit": True})
    put_customers(world, 1)
    sync_company(world.ledger, world.connection_id)  # created, answer lost
    world.service.put_record(
        world.key_id,
        world.connection_id,
        "customer",
        "c0",
        {"display_name": "Cust 0", "email": "new@example.com"},
    )
    later(world, 60)
    sync_company(world.ledger, world.connection_id)  # settles the old create, then updates
    (customer,) = world.entities("Customer")
    assert customer["PrimaryEmailAddr"]["Address"] == "new@example.com"
    assert statuses(world) == {"synced": 1}


def test_a_batch_half_stored_before_a_crash_settles_each_item_to_its_own_object(
    world: World,
) -> None:
    """The worker got the batch's answer and died while storing it item by item: the rest is
    settled by replaying the batch, and every record links to its own QuickBooks customer."""
    from ledgerbridge.storage.links import Links

    pull_company(world.ledger, world.connection_id)
    fault_on_batches(world, 1, {"drop_after_commit": True})
    put_customers(world, 5)
    sync_company(world.ledger, world.connection_id)  # all five created, answer lost
    made = {c["DisplayName"]: c for c in world.entities("Customer")}
    assert len(made) == 5
    # what the dead worker managed to store: the outcome of the first two items
    with world.ledger.db.session() as session:
        states = SyncStates(session)
        for n in (0, 1):
            obj = made[f"Cust {n}"]
            Links(session).put(
                world.connection_id,
                "customer",
                f"c{n}",
                entity="Customer",
                qbo_id=obj["Id"],
                sync_token=obj["SyncToken"],
                doc_number=None,
                pushed={"DisplayName": f"Cust {n}"},
            )
            states.finish(
                world.connection_id, "customer", f"c{n}", status="synced", synced_version=1
            )
    later(world, 60)
    sync_company(world.ledger, world.connection_id)
    assert statuses(world) == {"synced": 5}
    assert len(world.entities("Customer")) == 5
    with world.ledger.db.session() as session:
        for n in range(5):
            link = Links(session).get(world.connection_id, "customer", f"c{n}")
            assert link is not None and link.qbo_id == made[f"Cust {n}"]["Id"], n


def test_a_read_that_meets_a_server_error_is_asked_again_and_the_pull_completes(
    world: World,
) -> None:
    world.admin(  # the first read asks its pages in one batch request
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"entity": "batch"}, "times": 2, "action": {"status": 500}},
    )
    report = pull_company(world.ledger, world.connection_id)
    assert report.stopped is None and report.full
    hits = world.admin("GET", f"/companies/{world.realm_id}/faults")["faults"][0]["hits"]
    assert hits == 2
    put_customers(world, 2)
    sync_company(world.ledger, world.connection_id)
    assert statuses(world) == {"synced": 2}


def test_a_company_never_read_whole_is_not_pushed_while_quickbooks_cannot_be_read(
    world: World,
) -> None:
    """Planned against an empty mirror, the item would be refused for an income account the
    company does have: the pass stops instead and the records wait."""
    world.admin(  # every read (a first read's batch of queries too); the writes would work
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"writes": False}, "times": None, "action": {"status": 503}},
    )
    world.service.put_record(
        world.key_id,
        world.connection_id,
        "item",
        "i0",
        {"name": "Gutter cleaning", "unit_price": "80.00", "income_account": "Services"},
    )
    report = sync_company(world.ledger, world.connection_id)
    assert report.stopped == "Unavailable"
    assert statuses(world) == {"pending": 1}
    world.admin("DELETE", f"/companies/{world.realm_id}/faults")
    sync_company(world.ledger, world.connection_id)
    assert statuses(world) == {"synced": 1}
    assert [i["Name"] for i in world.entities("Item")] == ["Gutter cleaning"]
