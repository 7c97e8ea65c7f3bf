"""The embedded dispatcher syncs by itself after a record arrives."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World


def test_a_put_record_is_synced_without_anyone_asking(world: World) -> None:
    dispatcher = InProcessDispatcher(world.ledger, poll=0.05)
    world.service.wake = dispatcher.wake
    world.service.wake_pull = dispatcher.wake_pull
    dispatcher.start()
    try:
        _put_and_see_synced(world, "Dee Park")
    finally:
        dispatcher.stop()


def _put_and_see_synced(world: World, name: str) -> None:
    """A customer put; synced by the running dispatcher (within 20 s), as QuickBooks has it."""
    world.service.put_record(
        world.key_id, world.connection_id, "customer", "c1", {"display_name": name}
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        view = world.service.record(world.key_id, world.connection_id, "customer", "c1")
        if view.status == "synced":
            break
        time.sleep(0.05)
    assert view.status == "synced", view
    assert [c["DisplayName"] for c in world.entities("Customer")] == [name]


def test_a_round_whose_reads_fail_does_not_stop_the_dispatcher(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round reads which companies are due in one query for all: when that read fails (the
    database away a moment), the round is given up and the next one syncs; the dispatcher's
    thread goes on (it ended for good, `serve` still running)."""
    failures = [1]
    due = SyncStates.due_connections

    def failing_once(self: SyncStates, *args: Any) -> Any:
        if failures:
            failures.pop()
            raise OperationalError("SELECT", {}, Exception("the database went away"))
        return due(self, *args)

    monkeypatch.setattr(SyncStates, "due_connections", failing_once)
    dispatcher = InProcessDispatcher(world.ledger, poll=0.05)
    world.service.wake = dispatcher.wake
    dispatcher.start()
    try:
        _put_and_see_synced(world, "Ray Ng")
        assert not failures  # the failing read happened
    finally:
        dispatcher.stop()


def stored_companies(world: World, count: int, start: int) -> list[str]:
    """`count` connections stored without QuickBooks (nothing due, no events)."""
    with world.ledger.db.session() as session:
        connections = Connections(session)
        made = [
            connections.create(world.key_id, f"Stored {index}", "emulator").id
            for index in range(start, start + count)
        ]
        for index, connection_id in enumerate(made, start):
            connections.set_company(connection_id, f"8{index:015d}", f"Stored {index}")
    return made


def active(world: World, connection_ids: list[str]) -> None:
    """The connections active (again: a first pull finds the stored ones without tokens)."""
    with world.ledger.db.session() as session:
        for connection_id in connection_ids:
            Connections(session).set_status(connection_id, "active")


def statements_of(world: World, call: Callable[[], Any]) -> int:
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(str(args[2]))

    event.listen(world.ledger.db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(world.ledger.db.engine, "before_cursor_execute", count)
    return len(counted)


@pytest.mark.in_process("the in-process dispatcher is what is tested")
def test_a_rounds_statements_do_not_grow_with_the_companies(world: World) -> None:
    """Which companies have stalled records, due records and events to send is read in one
    query for all of them, as the job sweep does (before: a few statements a company); the
    company with a record due is still synced in the round."""
    now = [0.0]
    dispatcher = InProcessDispatcher(world.ledger, pull_every=1e9, clock=lambda: now[0])
    stored = stored_companies(world, 3, 0)
    active(world, stored)
    dispatcher.run_once()  # each company's first pull
    active(world, stored)
    now[0] += 60.0
    few = statements_of(world, dispatcher.run_once)  # their health due again, nothing else
    stored += stored_companies(world, 27, 3)
    active(world, stored)
    dispatcher.run_once()
    active(world, stored)
    now[0] += 60.0
    many = statements_of(world, dispatcher.run_once)
    assert many == few

    world.service.put_record(
        world.key_id, world.connection_id, "customer", "c1", {"display_name": "Dee Park"}
    )
    dispatcher.run_once()
    view = world.service.record(world.key_id, world.connection_id, "customer", "c1")
    assert view.status == "synced", view
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Dee Park"]


@pytest.mark.in_process("the in-process dispatcher is what is tested")
def test_a_companys_events_go_right_after_its_pass(world: World) -> None:
    """A company synced has its events sent before the next company's pass in the round
    (they waited for every other company's pass: a large company's backlog delayed what the
    app heard of a small one's records by that backlog's pass)."""
    order: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            order.append("delivered")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        world.service.update_settings(world.key_id, world.connection_id, {"events_url": url})
        others = stored_companies(world, 1, 0)
        while max(others) < world.connection_id:  # a company whose turn comes after it
            others += stored_companies(world, 1, len(others))

        class Recording(InProcessDispatcher):
            def _sync(self, ledger: Any, connection_id: str) -> None:
                order.append("ours" if connection_id == world.connection_id else "other")
                super()._sync(ledger, connection_id)

        dispatcher = Recording(world.ledger, pull_every=1e9)
        dispatcher.run_once()  # the first pulls
        active(world, others)
        world.service.put_record(
            world.key_id, world.connection_id, "customer", "c1", {"display_name": "Lu Chen"}
        )
        for connection_id in [world.connection_id, *others]:
            dispatcher.wake(connection_id)
        order.clear()
        dispatcher.run_once()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    view = world.service.record(world.key_id, world.connection_id, "customer", "c1")
    assert view.status == "synced", view
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Lu Chen"]
    ours = order.index("ours")
    assert "other" in order[ours:], order  # a pass after ours in the round
    assert order[ours + 1] == "delivered", order
