"""A first sync under QuickBooks' limits: creates go 30 to a batch request while the company
has batch requests left, one at a time in the rest of its requests while the batches wait, and
the pass stops (the company waits for its window) before QuickBooks would refuse anything. The
writes going alone together have their requestids stored together before the first is sent,
so a crash or a lost answer among them never creates anything twice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ledgerbridge.adapters.qbo.client import QboClient
from ledgerbridge.bootstrap import RateLimits
from ledgerbridge.core.records import Incoming
from ledgerbridge.engine import pacing
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import sync_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.history import History
from ledgerbridge.storage.rate_windows import RateWindows
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World


def limit(world: World, requests: int, batches: int) -> None:
    """The emulated company's limits lowered, and the engine told the same (a test that
    pulls first leaves one batch request more: a first read asks its pages in one)."""
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


def later(world: World, minutes: float) -> None:
    """Move the engine's clock forward (a put-off write waits real minutes)."""
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=minutes)


def each_customer_once(world: World, count: int) -> None:
    """Every record synced, linked to its own QuickBooks customer, none made twice."""
    made = {c["DisplayName"]: c["Id"] for c in world.entities("Customer")}
    assert len(world.entities("Customer")) == len(made) == count
    with world.ledger.db.session(readonly=True) as session:
        rows = session.execute(
            text(
                "SELECT s.app_id, s.status, l.qbo_id FROM sync_state s LEFT JOIN links l "
                "ON l.connection_id = s.connection_id AND l.type = s.type "
                "AND l.app_id = s.app_id WHERE s.connection_id = :cid"
            ),
            {"cid": world.connection_id},
        ).all()
    assert {r.status for r in rows} == {"synced"}
    assert {r.app_id: r.qbo_id for r in rows} == {
        f"c{n:03d}": made[f"Customer {n:03d}"] for n in range(count)
    }


class Crash(BaseException):
    """The worker's process dies here (nothing in the engine catches it)."""


def test_singles_keep_flowing_while_the_batch_requests_wait(world: World) -> None:
    # the pull's requests count too: its first read is one batch request (of the three)
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=100, batches=3)
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
    limit(world, requests=200, batches=2)
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


def test_a_batch_request_is_counted_with_its_requestids_in_one_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window is asked once per batch request, in the transaction that stores the batch's
    requestids (not asked first, then counted in a transaction of its own): when that
    transaction does not commit, nothing is counted, nothing stored, nothing sent."""
    pull_company(world.ledger, world.connection_id)
    customers(world, 60)
    asked: list[bool] = []
    take_ahead = RateWindows.take_ahead

    def counted(self: RateWindows, *args: Any, **kwargs: Any) -> tuple[float, int]:
        if kwargs.get("batch"):
            asked.append(bool(kwargs.get("count", True)))
        return take_ahead(self, *args, **kwargs)

    monkeypatch.setattr(RateWindows, "take_ahead", counted)
    add_many = History.add_many
    failing = True

    def storing(self: History, connection_id: str, happened: Any) -> None:
        if failing and any(h.kind == "create_sent" for h in happened):
            raise RuntimeError("the database went away")
        add_many(self, connection_id, happened)

    monkeypatch.setattr(History, "add_many", storing)
    batches_before = window_batches(world)

    with pytest.raises(RuntimeError):
        world.sync()

    assert asked == [True]  # counted as it was asked, once
    assert window_batches(world) == batches_before  # rolled back with the requestids
    assert sent(world) == (0, 0) and world.entities("Customer") == []
    failing, asked[:] = False, []

    report = world.sync()

    assert report.stopped is None, report
    assert sent(world) == (60, 0)  # two batch requests
    assert asked == [True, True]
    assert window_batches(world) == batches_before + 2
    assert refused(world) == 0


def window_batches(world: World) -> int:
    """Batch requests counted in the company's window."""
    with world.ledger.db.session(readonly=True) as session:
        found = session.execute(text("SELECT coalesce(sum(batches), 0) FROM rate_windows"))
        return int(found.scalar_one())


def test_a_full_window_stops_the_pass_before_quickbooks_refuses(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=40, batches=2)
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


def test_a_crash_among_the_writes_sent_alone_creates_nothing_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writes a full queue sends alone while the batch requests are used up have every
    requestid stored before the first of them is sent. The worker dies after QuickBooks
    created four of them, before any outcome is stored: the next pass settles each write by
    replaying its own requestid, the four are not created again, the rest are created."""
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=200, batches=2)
    customers(world, 60)
    create = QboClient.create
    calls = 0

    def dying(self: QboClient, entity: str, body: Mapping[str, Any], *, request_id: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise Crash
        return create(self, entity, body, request_id=request_id)

    monkeypatch.setattr(QboClient, "create", dying)

    with pytest.raises(Crash):
        world.sync()

    assert len(world.entities("Customer")) == 30 + 4  # one batch, four alone
    with world.ledger.db.session(readonly=True) as session:
        states = SyncStates(session).all(world.connection_id)
    pending = [s.pending_request_id for s in states if s.pending_request_id is not None]
    # the 30 going alone: each its own requestid, stored before the first was sent
    assert len(pending) == 30 and not any(":" in r for r in pending), pending
    assert len(set(pending)) == 30
    monkeypatch.setattr(QboClient, "create", create)
    limit(world, requests=500, batches=40)

    world.sync()

    each_customer_once(world, 60)
    assert refused(world) == 0


@pytest.mark.emulator_socket("the answer to a write is lost: a dropped connection")
def test_a_lost_answer_and_a_429_among_the_writes_sent_alone_create_nothing_twice(
    world: World,
) -> None:
    """Among the writes sent alone together, the first one's answer is lost (QuickBooks did
    create it) and the second is refused with 429: the pass stops, the writes not sent yet
    left pending under their requestids, and the next passes settle the lost one and the rest
    by replaying them, none created twice."""
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=200, batches=2)
    customers(world, 60)
    faults = f"/companies/{world.realm_id}/faults"
    single = {"method": "POST", "entity": "customer"}
    lost, throttled = {"drop_after_commit": True}, {"status": 429}
    world.admin("POST", faults, {"match": single, "times": 1, "action": lost})
    world.admin("POST", faults, {"match": single, "times": 1, "action": throttled})

    report = world.sync()  # one batch, then the writes alone: the first's answer lost

    assert report.stopped == "throttled"
    assert len(world.entities("Customer")) == 30 + 1
    world.admin("DELETE", faults)
    limit(world, requests=500, batches=40)
    for _ in range(3):
        later(world, 30)
        world.sync()
    each_customer_once(world, 60)


def test_writes_alone_never_sent_after_a_429_say_so_in_their_histories(world: World) -> None:
    """A 429 stops the writes going alone: those after it were stored as about to go
    (`create_sent`, with their requestids) but never left. Each gets a `not_sent` entry with
    the same requestid, the emulator's export holds none of them, and the next pass sends them
    under those same requestids, each created once."""
    pull_company(world.ledger, world.connection_id)
    limit(world, requests=200, batches=2)
    customers(world, 40)
    faults = f"/companies/{world.realm_id}/faults"
    single = {"method": "POST", "entity": "customer"}
    world.admin("POST", faults, {"match": single, "times": 1, "action": {"status": 429}})

    report = world.sync()  # one batch of 30, then the ten alone: the first refused

    assert report.stopped == "throttled"
    made = {c["DisplayName"] for c in world.entities("Customer")}
    assert len(made) == 30
    with world.ledger.db.session(readonly=True) as session:
        rows = session.execute(
            text(
                "SELECT app_id, kind, request_id FROM history WHERE connection_id = :cid "
                "AND kind IN ('create_sent', 'not_sent') ORDER BY id"
            ),
            {"cid": world.connection_id},
        ).all()
    alone = {app_id: rid for app_id, kind, rid in rows if kind == "create_sent" and ":" not in rid}
    told = {app_id: rid for app_id, kind, rid in rows if kind == "not_sent"}
    assert len(alone) == 10
    # the refused one was sent (QuickBooks answered 429); the nine after it never left
    assert len(told) == 9 and all(alone[app_id] == rid for app_id, rid in told.items())
    names = {f"c{n:03d}": f"Customer {n:03d}" for n in range(40)}
    assert not {names[app_id] for app_id in told} & made
    world.admin("DELETE", faults)
    limit(world, requests=500, batches=40)
    later(world, 30)
    world.sync()
    each_customer_once(world, 40)


@pytest.mark.in_process("a pass's own report, in this process, with a time slice")
def test_a_time_slice_does_not_sleep_through_a_full_window_to_freshen_its_mirror(
    world: World,
) -> None:
    """A worker's time slice finds the mirror stale and the company's requests used up for
    most of a minute: it does not hold the worker asleep to read QuickBooks' changes first
    (other companies wait for it); the read is left for later and the pass stops for the
    window, nothing sent."""
    pull_company(world.ledger, world.connection_id)
    customers(world, 3)
    limit(world, requests=5, batches=1)
    later(world, 3)  # the mirror is stale, the pull's requests out of the window
    while pacing.take(world.ledger, world.realm_id) <= 0:
        pass  # the window filled, as the company's own writes fill it
    assert pacing.take(world.ledger, world.realm_id, count=False) > 30  # most of a minute
    with world.ledger.db.session(readonly=True) as session:
        read_at = Connections(session).get_unscoped(world.connection_id).last_pull_at

    report = sync_company(world.ledger, world.connection_id, slice_seconds=10)

    assert report.stopped == "rate_limited", report
    with world.ledger.db.session(readonly=True) as session:
        assert Connections(session).get_unscoped(world.connection_id).last_pull_at == read_at
    assert world.entities("Customer") == []
    assert refused(world) == 0
    limit(world, requests=500, batches=40)


def test_a_slow_answer_in_a_group_of_writes_alone_leaves_no_write_sent_uncounted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes alone are counted together when the group starts. When one answer takes longer
    than the window (QuickBooks slow), the writes after it must still be in the shared window
    while QuickBooks counts them: else another worker, a pull or a person's action would see
    room QuickBooks does not have, and meet a 429."""
    from ledgerbridge.storage import rate_windows
    from ledgerbridge.storage.rate_windows import RateWindows

    pull_company(world.ledger, world.connection_id)
    limit(world, requests=200, batches=2)
    customers(world, 60)
    create, base = QboClient.create, world.ledger.clock
    shift = timedelta(0)
    sent_at: list[Any] = []
    seen: list[tuple[int, int]] = []  # (writes alone QuickBooks counts now, our window's count)

    def creating(self: QboClient, entity: str, body: Mapping[str, Any], *, request_id: str) -> Any:
        nonlocal shift
        now = world.ledger.clock()
        sent_at.append(now)
        window = world.ledger.rate_limits.window_seconds
        reach = timedelta(seconds=window + window / rate_windows.BUCKETS) + rate_windows.MARGIN
        with world.ledger.db.session(readonly=True) as session:
            rows = RateWindows(session, clock=world.ledger.clock)._read(world.realm_id, now - reach)
        counted = sum(requests for _, requests, _ in rows)
        seen.append((sum(1 for t in sent_at if t > now - timedelta(seconds=window)), counted))
        out = create(self, entity, body, request_id=request_id)
        if len(sent_at) == 3:  # this answer took 61 s
            shift += timedelta(seconds=61)
            world.ledger.clock = lambda: base() + shift  # type: ignore[method-assign]
        return out

    monkeypatch.setattr(QboClient, "create", creating)
    world.sync()
    assert len(sent_at) > 3  # writes went alone after the slow one
    short = [(call, ours, theirs) for call, (theirs, ours) in enumerate(seen, 1) if ours < theirs]
    assert not short, f"(write alone, counted in our window, counted by QuickBooks): {short}"
    names = [customer["DisplayName"] for customer in world.entities("Customer")]
    assert len(names) == len(set(names))  # none created twice


def test_a_429_among_writes_alone_stops_them_before_any_refusal_is_looked_into(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write alone refused (6240, a name in use) and the next one throttled (429): the
    company backs off at once, as after a write sent alone; the refusal is not looked into now
    (its look-ups are requests more), both records stay pending, and every customer reaches
    QuickBooks once when the limits allow again."""
    from ledgerbridge.adapters.qbo.errors import QboFault, Rejected, Throttled

    pull_company(world.ledger, world.connection_id)
    limit(world, requests=200, batches=2)
    customers(world, 60)
    create, query = QboClient.create, QboClient.query
    log: list[str] = []

    def creating(self: QboClient, entity: str, body: Mapping[str, Any], *, request_id: str) -> Any:
        alone = sum(1 for entry in log if entry.startswith("create"))
        log.append(f"create {body.get('DisplayName')}")
        if alone == 0:
            fault = QboFault(400, "6240", "Duplicate Name Exists Error", "in use", None, None)
            raise Rejected([fault])
        if alone == 1:
            log.append("429")
            raise Throttled(retry_after=60)
        return create(self, entity, body, request_id=request_id)

    def querying(self: QboClient, statement: str, *args: Any, **kwargs: Any) -> Any:
        log.append(f"query {statement[:40]}")
        return query(self, statement, *args, **kwargs)

    monkeypatch.setattr(QboClient, "create", creating)
    monkeypatch.setattr(QboClient, "query", querying)
    world.sync()
    assert "429" in log
    assert log[log.index("429") + 1 :] == []
    refused, throttled = (entry.removeprefix("create ") for entry in log[:2])
    with world.ledger.db.session(readonly=True) as session:
        states = SyncStates(session)
        for name in (refused, throttled):
            app_id = "c" + name.removeprefix("Customer ")
            state = states.get(world.connection_id, "customer", app_id)
            assert state is not None and state.status == "pending"
