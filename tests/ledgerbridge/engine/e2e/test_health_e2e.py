"""Connection health against the emulator: a lapsed subscription and stalled records.

A lapsed subscription (6190) suspends the connection with its records still pending; nothing
is sent until a check succeeds, then the backlog drains, each record once. Records pending far
longer than expected are queued again by themselves, and the log says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.health import check_connection, requeue_stalled, subscription_lapsed
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World


def put(world: World, record_type: str, app_id: str, **data: Any) -> None:
    world.service.put_record(world.key_id, world.connection_id, record_type, app_id, data)


def status(world: World) -> str:
    return world.service.connection(world.key_id, world.connection_id).status


def subscription(world: World, value: str) -> None:
    world.admin("PATCH", f"/companies/{world.realm_id}", {"subscription_status": value})


def statuses(world: World) -> dict[str, str]:
    page = world.service.records(world.key_id, world.connection_id, limit=100)
    return {view.id: view.status for view in page.items}


def status_events(world: World) -> list[dict[str, Any]]:
    found = world.service.events(world.key_id, world.connection_id, limit=1000)
    return [e["payload"] for e in found if e["type"] == "connection.status_changed"]


def history(world: World, record_type: str, app_id: str) -> list[str]:
    view = world.service.record(world.key_id, world.connection_id, record_type, app_id)
    return [h["kind"] for h in view.history]


def later(world: World, minutes: int) -> None:
    """From now on the engine's clock runs `minutes` ahead (the ledger is the test's own)."""
    real: Callable[[], datetime] = world.ledger.clock
    world.ledger.clock = lambda: real() + timedelta(minutes=minutes)


def suspend(world: World) -> None:
    """The subscription lapses, then records arrive: the sync pass suspends the connection
    (in this order, so that no worker has sent them before QuickBooks starts refusing)."""
    pull_company(world.ledger, world.connection_id)
    subscription(world, "CANCELLED")
    put(world, "customer", "c1", display_name="Rosa Diaz")
    put(world, "customer", "c2", display_name="Sam Cole")
    put(
        world,
        "invoice",
        "i1",
        customer_id="c1",
        date=world.ledger.clock().date().isoformat(),
        lines=[{"description": "Gutter cleaning", "quantity": "1", "unit_price": "120.00"}],
    )
    report = world.sync()
    assert report.stopped == "suspended", report


def test_a_lapsed_subscription_waits_for_a_check_then_drains(world: World) -> None:
    suspend(world)
    assert status(world) == "suspended"
    assert set(statuses(world).values()) == {"pending"}  # waiting, not failed
    assert status_events(world)[-1] == {"status": "suspended"}
    assert world.entities("Customer") == []

    # nothing is sent while suspended
    assert world.sync().stopped == "not_active"

    # the check while QuickBooks still refuses (6190): stays suspended
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {
            "match": {"method": "GET", "entity": "companyinfo"},
            "action": {"status": 400, "code": "6190"},
        },
    )
    assert check_connection(world.ledger, world.connection_id) == "suspended"
    assert status(world) == "suspended"

    # paid again: the check succeeds, the refused writes are released, the backlog drains
    subscription(world, "PAID")
    assert check_connection(world.ledger, world.connection_id) == "active"
    assert status(world) == "active"
    back = status_events(world)[-1]
    assert back["status"] == "active" and back["previous"] == "suspended"
    with world.ledger.db.session() as session:  # the refused write left no requestid behind
        assert not any(s.pending_request_id for s in SyncStates(session).all(world.connection_id))

    report = world.sync()
    assert report.stopped is None and report.failed == 0, report
    assert set(statuses(world).values()) == {"synced"}
    assert sorted(c["DisplayName"] for c in world.entities("Customer")) == ["Rosa Diaz", "Sam Cole"]
    assert len(world.entities("Invoice")) == 1
    assert world.sync().created == 0  # once each


def test_an_update_refused_while_suspended_is_sent_again_when_back(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "c", display_name="Tia Ruiz", email="tia@example.com")
    world.sync()
    subscription(world, "CANCELLED")
    put(world, "customer", "c", display_name="Tia Ruiz", email="tia.ruiz@example.com")
    assert world.sync().stopped == "suspended"
    assert statuses(world) == {"c": "pending"}

    subscription(world, "PAID")
    assert check_connection(world.ledger, world.connection_id) == "active"
    report = world.sync()
    assert report.updated == 1 and report.failed == 0, report
    (customer,) = world.entities("Customer")
    assert customer["PrimaryEmailAddr"]["Address"] == "tia.ruiz@example.com"


def test_the_check_leaves_connections_that_are_not_suspended_alone(world: World) -> None:
    before = len(status_events(world))
    assert check_connection(world.ledger, world.connection_id) == "active"
    assert check_connection(world.ledger, "con_missing") == "unknown"
    assert len(status_events(world)) == before


def test_a_disconnected_company_found_by_the_check(world: World) -> None:
    suspend(world)
    subscription(world, "PAID")
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/disconnect",
        {"client_id": world.ledger.app("emulator").client_id},
    )
    assert check_connection(world.ledger, world.connection_id) == "disconnected"
    assert status(world) == "disconnected"
    assert set(statuses(world).values()) == {"pending"}


@pytest.mark.in_process("the in-process dispatcher is what is tested")
def test_the_dispatcher_checks_a_suspended_company_and_syncs_it_when_back(world: World) -> None:
    suspend(world)
    subscription(world, "PAID")
    now = [0.0]
    dispatcher = InProcessDispatcher(world.ledger, check_every=60.0, clock=lambda: now[0])
    dispatcher.run_once()  # just suspended: the first check waits `check_every`
    assert status(world) == "suspended"
    now[0] = 61.0
    dispatcher.run_once()
    assert status(world) == "active"
    assert set(statuses(world).values()) == {"synced"}
    assert len(world.entities("Customer")) == 2


@pytest.mark.in_process("the engine's clock runs ahead in this process only")
def test_stalled_records_are_queued_again_and_the_log_says_so(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "due", display_name="Una Park")
    put(world, "customer", "later", display_name="Vic Moss")
    put(world, "customer", "writing", display_name="Wen Ito")
    put(world, "customer", "fresh", display_name="Xan Bell")
    future = world.ledger.clock() + timedelta(hours=1)
    with world.ledger.db.session() as session:
        states = SyncStates(session)
        # waiting for a retry time still ahead: not stalled
        states.finish(
            world.connection_id, "customer", "later", status="pending", next_attempt_at=future
        )
        # a write in flight whose worker went away
        states.start_write(
            world.connection_id,
            "customer",
            "writing",
            "req-1",
            "create",
            {"DisplayName": "Wen Ito"},
        )

    assert requeue_stalled(world.ledger, world.connection_id) == 0  # nothing is late yet

    later(world, 20)
    with world.ledger.db.session() as session:  # changed just now
        SyncStates(session, clock=world.ledger.clock).want(
            world.connection_id, "customer", "fresh", 1
        )
    assert requeue_stalled(world.ledger, world.connection_id) == 2
    assert "stalled_requeued" in history(world, "customer", "due")
    assert "stalled_requeued" in history(world, "customer", "writing")
    assert "stalled_requeued" not in history(world, "customer", "later")
    assert "stalled_requeued" not in history(world, "customer", "fresh")
    with world.ledger.db.session(readonly=True) as session:
        states = SyncStates(session)
        writing = states.get(world.connection_id, "customer", "writing")
        due = states.get(world.connection_id, "customer", "due")
    assert writing is not None and writing.pending_request_id == "req-1"  # settled, not re-sent
    assert due is not None and due.status == "pending"
    assert due.problem is not None and due.problem["code"] == "record.stalled"  # shown

    report = world.sync()
    assert report.failed == 0, report
    assert statuses(world) == {
        "due": "synced",
        "later": "pending",
        "writing": "synced",
        "fresh": "synced",
    }
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == ["Una Park", "Wen Ito", "Xan Bell"]


@pytest.mark.in_process("the engine's clock runs ahead in this process only")
def test_a_stalled_record_is_late_from_the_end_of_its_company_wait(world: World) -> None:
    """The company waited for QuickBooks' limits (a 429's Retry-After, its window full):
    stored on the connection, not in the record, and the time it waited is not counted as
    the record's lateness."""
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "due", display_name="Una Park")
    with world.ledger.db.session() as session:
        SyncStates(session).delay_all(
            world.connection_id, world.ledger.clock() + timedelta(minutes=10)
        )
    later(world, 20)
    assert requeue_stalled(world.ledger, world.connection_id) == 0  # 10 minutes late, not 20
    later(world, 10)  # 30 minutes after the put, 20 after the wait
    assert requeue_stalled(world.ledger, world.connection_id) == 1
    with world.ledger.db.session(readonly=True) as session:
        due = SyncStates(session).get(world.connection_id, "customer", "due")
    assert due is not None and due.problem is not None
    assert due.problem["message"] == "pending for 20 minutes; queued again", due.problem
    world.sync()
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Una Park"]


@pytest.mark.in_process("the engine's clock runs ahead in this process only")
def test_a_backlog_worked_oldest_first_is_not_stalled_until_passed(world: World) -> None:
    """A large first sync outlasts `STALLED_AFTER`: its records waiting their turn behind
    records worked meanwhile are not stalled (each was made "record.stalled" before); one the
    passes went past is."""
    pull_company(world.ledger, world.connection_id)
    for app_id, name in [("a", "Ada Row"), ("b", "Bo Lin"), ("c", "Cy Moe"), ("d", "Di Fox")]:
        put(world, "customer", app_id, display_name=name)
    later(world, 20)

    def worked(app_id: str) -> None:
        with world.ledger.db.session() as session:
            SyncStates(session, clock=world.ledger.clock).finish(
                world.connection_id, "customer", app_id, status="synced"
            )

    worked("a")  # the oldest, worked just now: b, c and d wait behind it
    assert requeue_stalled(world.ledger, world.connection_id) == 0
    assert all("stalled_requeued" not in history(world, "customer", i) for i in "bcd")
    worked("d")  # the passes went past b and c
    assert requeue_stalled(world.ledger, world.connection_id) == 2
    assert "stalled_requeued" in history(world, "customer", "b")
    assert "stalled_requeued" in history(world, "customer", "c")

    report = world.sync()
    assert report.failed == 0, report
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == ["Bo Lin", "Cy Moe"]  # a and d were marked by hand, never sent


def statements_of(world: World, call: Callable[[], Any]) -> tuple[int, Any]:
    """How many SQL statements `call` sends, and what it returns."""
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(str(args[2]))

    event.listen(world.ledger.db.engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(world.ledger.db.engine, "before_cursor_execute", count)
    return len(counted), result


@pytest.mark.in_process("the engine's clock runs ahead in this process only")
def test_requeuing_stalled_records_costs_the_same_statements_for_3_as_for_30(
    world: World,
) -> None:
    """A company nobody works has its stalled records made due in a few statements, however
    many (before: four a record), each with its own problem and history entry, once; then
    they sync."""
    pull_company(world.ledger, world.connection_id)
    for index in range(3):
        put(world, "customer", f"a{index}", display_name=f"Ann {index}")
    later(world, 20)
    few, requeued = statements_of(world, lambda: requeue_stalled(world.ledger, world.connection_id))
    assert requeued == 3
    assert world.sync().failed == 0
    for index in range(30):
        put(world, "customer", f"b{index}", display_name=f"Bea {index}")
    later(world, 5)
    with world.ledger.db.session() as session:  # half of them changed 25 minutes after
        states = SyncStates(session, clock=world.ledger.clock)
        for index in range(15, 30):
            states.want(world.connection_id, "customer", f"b{index}", 1)
    later(world, 20)  # stalled for 45 minutes and for 20: two problems, in one update
    many, requeued = statements_of(
        world, lambda: requeue_stalled(world.ledger, world.connection_id)
    )
    assert requeued == 30
    assert many == few
    assert requeue_stalled(world.ledger, world.connection_id) == 0  # once until stalled again
    with world.ledger.db.session(readonly=True) as session:
        stored = {s.app_id: s for s in SyncStates(session).all(world.connection_id)}
    for index in range(30):
        state = stored[f"b{index}"]
        minutes = 45 if index < 15 else 20
        assert state.status == "pending"
        assert state.problem == {
            "code": "record.stalled",
            "field": None,
            "message": f"pending for {minutes} minutes; queued again",
            "params": {"minutes": minutes},
        }
        view = world.service.record(world.key_id, world.connection_id, "customer", f"b{index}")
        stalled = [h for h in view.history if h["kind"] == "stalled_requeued"]
        assert [h["detail"] for h in stalled] == [{"minutes": minutes, "pending_write": False}]
    assert world.sync().failed == 0
    assert set(statuses(world).values()) == {"synced"}
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == sorted([f"Ann {i}" for i in range(3)] + [f"Bea {i}" for i in range(30)])


@pytest.mark.in_process("the engine's clock runs ahead in this process only")
def test_stalled_records_of_a_suspended_connection_wait(world: World) -> None:
    suspend(world)
    later(world, 60)
    assert requeue_stalled(world.ledger, world.connection_id) == 0


@pytest.mark.in_process("the in-process dispatcher is what is tested")
def test_the_dispatcher_queues_stalled_records_again(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "c", display_name="Yul Gray")
    later(world, 30)
    InProcessDispatcher(world.ledger, pull_every=1e9).run_once()
    assert "stalled_requeued" in history(world, "customer", "c")
    assert statuses(world) == {"c": "synced"}


@pytest.mark.parametrize(
    ("value", "lapsed"),
    [("PAID", False), ("TRIAL", False), ("CANCELLED", True), ("Expired", True), (None, False)],
)
def test_subscription_status_in_company_info(value: str | None, lapsed: bool) -> None:
    info: dict[str, Any] = {
        "CompanyName": "X",
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"}],
    }
    if value is not None:
        info["NameValue"].append({"Name": "SubscriptionStatus", "Value": value})
    assert subscription_lapsed(info) is lapsed


@pytest.mark.postgres
@pytest.mark.in_process("the sweep and the sync are run by the test, not by workers")
def test_the_job_sweep_checks_suspended_companies(world: World) -> None:
    if world.ledger.db.dialect != "postgresql":
        pytest.skip("procrastinate jobs need PostgreSQL")
    from ledgerbridge.dispatch.jobs import apply_job_schema, run_sync, sweep

    apply_job_schema(world.ledger)
    suspend(world)
    subscription(world, "PAID")
    pulls, syncs = sweep(world.ledger)
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None and connection.status == "active"
    assert (pulls, syncs) == (1, 1)  # back: its pull and its sync are queued
    run_sync(world.ledger, world.connection_id)
    assert set(statuses(world).values()) == {"synced"}
