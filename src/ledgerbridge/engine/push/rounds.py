"""A round of a pass: every due record once, in dependency order, each planned and its step
sent where it belongs.

    progressed = rounds.work(p)

Each record's situation is read afresh and planned (`core.planner.plan`; preflight and the
references a QuickBooks body names are read through `engine.context`); a record that depends on
a write still queued for a batch waits for that batch to go first, and so does a create (or a
link, a refusal) planned while updates, deletes or voids are queued, whose effect on the mirror
its plan must see. A create joins the batch
queue (on QuickBooks Online an update, a delete or a void too: `steps.batched`), a batch's
pending write is settled by replaying the batch, and any other step is carried out alone
(`push.steps`), where connection-level failures stop the pass and an unavailable
QuickBooks puts the record off. Whatever is queued goes out at the end of the round, or when
the pass's time slice (`Pass.until`) is over, or ends early (`Pass.yield_early`: others wait
for the worker): then the pass stops, `yielded`. Before each round and record the pass's
lease is renewed when due (`work.HeldLease`); found taken by another process, the pass stops,
`busy`.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from ledgerbridge.adapters.qbo import Disconnected, SubscriptionLapsed, Throttled, Unavailable
from ledgerbridge.core import graph, mapping, planner
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine.push import batch, faults, outcomes, steps
from ledgerbridge.engine.push.work import Due, Pass, Stop
from ledgerbridge.storage._sql import chunks
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = ["READ_AHEAD", "work"]

READ_AHEAD = 32  # records whose reads are made together (about one batch of creates)
# steps whose decision rests on what the mirror shows of other objects (look-up before create,
# names and numbers taken)
_DECIDED_ON_THE_MIRROR = (
    planner.Create,
    planner.LinkExisting,
    planner.Block,
    planner.Refuse,
    planner.Bypass,
)


def work(p: Pass) -> bool:
    """Work every due record once; True when another round may make progress."""
    if p.lease is not None:
        p.lease.keep(p.ledger)  # a long pass renews its lease (`HeldLease`) before each round
    now = p.ledger.clock()
    reading = _Reading(p)
    try:
        # the due records read in the transaction that reads what the first of them need
        session = reading.begin()
        due = SyncStates(session).due(p.cid, now)
        parents = _customer_parents(p, session, due)
        if not due:
            return False
        p.surroundings.forget()  # what others did meanwhile is read again
        keys = [RecordKey(s.type, s.app_id) for s in due]  # type: ignore[arg-type]
        by_key = {RecordKey(s.type, s.app_id): s for s in due}  # type: ignore[arg-type]
        before = p.report.progressed
        ordered = [(key, by_key[key]) for key in graph.depth_order(keys, parents)]
        for index in range(len(ordered)):
            _keep_lease(p, reading)
            _one(p, reading, ordered[index : index + READ_AHEAD])
            if p.until is not None and (p.ledger.clock() >= p.until or _others_wait(p)):
                reading.close()
                batch.flush_all(p)  # what was queued goes out before the worker moves on
                raise Stop("yielded")
    finally:
        reading.close()
    batch.flush_all(p)
    return p.report.progressed > before


def _keep_lease(p: Pass, reading: _Reading) -> None:
    """The pass's lease renewed when due (`HeldLease`: a clock comparison, a statement once
    a third of the lease has gone), the reading closed first as before any write."""
    if p.lease is not None and p.lease.due(p.ledger.clock()):
        reading.close()
        p.lease.keep(p.ledger)


def _others_wait(p: Pass) -> bool:
    """Whether the pass's slice ends early because others wait for its worker
    (`Pass.yield_early`, asked by the caller's own pace)."""
    return p.yield_early is not None and p.yield_early()


class _Reading:
    """One read-only transaction kept open over consecutive records while the pass writes
    nothing (their creates only queued), in which what the next records' plans read is read
    together (`Surroundings.prefetch`). Closed before anything is written, so every record is
    still planned from what the database holds after the pass's own writes."""

    def __init__(self, p: Pass) -> None:
        self._p = p
        self._open: ExitStack | None = None
        self._session: Any = None
        self._fetched = False  # whether anything was read ahead in the open transaction

    def begin(self) -> Any:
        """The transaction opened (if it is not), nothing read ahead yet: for the round's
        own first reads (its due records)."""
        if self._open is None:
            with ExitStack() as stack:
                self._session = stack.enter_context(self._p.ledger.db.session(readonly=True))
                self._open = stack.pop_all()
            self._fetched = False
        return self._session

    def session(self, upcoming: list[tuple[RecordKey, StoredState]]) -> Any:
        if self._open is None or not self._fetched:
            self.begin()
            self._p.surroundings.prefetch(self._session, upcoming)
            self._fetched = True
        elif not self._p.surroundings.read_ahead(upcoming[0][0]):
            self._p.surroundings.prefetch(self._session, upcoming)
        return self._session

    def close(self) -> None:
        self._p.surroundings.discard()
        if self._open is not None:
            opened, self._open, self._session = self._open, None, None
            self._fetched = False
            opened.close()


def _customer_parents(
    p: Pass, session: Any, due: list[StoredState]
) -> dict[RecordKey, RecordKey | None]:
    parents: dict[RecordKey, RecordKey | None] = {}
    records = Records(session)
    customers = [("customer", state.app_id) for state in due if state.type == "customer"]
    for chunk in chunks(customers):
        found = records.get_many(p.cid, chunk)
        for key in chunk:
            stored = found.get(key)
            parent = stored.data.get("parent_id") if stored else None
            parents[RecordKey("customer", key[1])] = (
                RecordKey("customer", parent) if parent and isinstance(parent, str) else None
            )
    return parents


def _one(p: Pass, reading: _Reading, upcoming: list[tuple[RecordKey, StoredState]]) -> None:
    key, state = upcoming[0]
    session = reading.session(upcoming)
    due = _read(p, reading, session, key, state)
    if due is None:
        return
    if batch.waits_on_queue(p, due.situation):
        # a record it depends on is queued for a batch: send that first, then plan again
        reading.close()
        batch.flush_all(p)
        _one(p, reading, upcoming)
        return
    link = due.link
    step = planner.plan(
        due.situation,
        lambda record: p.surroundings.preflight(session, key, record, link),
        lambda record: mapping.to_quickbooks(key, record, p.surroundings.refs(session)),
    )
    if batch.changes_queued(p) and isinstance(step, _DECIDED_ON_THE_MIRROR):
        # updates, deletes or voids are queued whose effect the mirror does not show yet (a
        # name freed, a document deleted): they go first, and the record is planned again
        reading.close()
        batch.flush_all(p)
        _one(p, reading, upcoming)
        return
    queued = len(p.queue.get(mapping.ENTITY[key.type], ()))
    adjusted = isinstance(step, planner.Create | planner.Update) and bool(step.adjustments)
    batched = steps.batched(p, due, step)
    if batched is not None and not adjusted and queued + 1 < batch.BATCH_SIZE:
        batch.enqueue(p, due, batched)  # only queued: nothing written, the reading goes on
        return
    reading.close()
    if isinstance(step, planner.Create | planner.Update) and step.adjustments:
        outcomes.adjusted(p, key, step.adjustments)
    if batched is not None:
        batch.enqueue(p, due, batched)
        return
    match step:
        case planner.Settle(pending=pending) if ":" in pending.request_id:
            batch.settle(p, pending.request_id.split(":", 1)[0])
        case _:
            try:
                steps.carry_out(p, due, step)
            except (Disconnected, SubscriptionLapsed, Throttled) as exc:
                faults.connection_level(p, exc, [key])
            except Unavailable as exc:
                faults.retry_later(p, key, state, exc)


def _read(
    p: Pass, reading: _Reading, session: Any, key: RecordKey, state: StoredState
) -> Due | None:
    """The record as the planner sees it; None when there is nothing to plan (the app never
    sent it, or what it sent no longer parses: then that is its problem)."""
    gathered = p.surroundings.situation(session, key, state)
    if gathered is None:
        return None
    if isinstance(gathered, list):  # what the app sent no longer parses
        reading.close()
        outcomes.finish(p, key, Status.ERROR, problem=gathered[0])
        return None
    return Due(key, state, gathered.situation, gathered.link, gathered.version)
