"""A round of a pass: every due record once, in dependency order, each planned and its step
sent where it belongs.

    progressed = rounds.work(p)

Each record's situation is read afresh and planned (`core.planner.plan`; preflight and the
references a QuickBooks body names are read through `engine.context`); a record that depends on
a create still queued for a batch waits for that batch to go first. A create joins the batch
queue, a batch's pending write is settled by replaying the batch, and any other step is carried
out alone (`push.steps`), where connection-level failures stop the pass and an unavailable
QuickBooks puts the record off. Whatever is queued goes out at the end of the round, or when
the pass's time slice (`Pass.until`) is over: then the pass stops, `yielded`.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.adapters.qbo import Disconnected, SubscriptionLapsed, Throttled, Unavailable
from ledgerbridge.core import graph, mapping, planner
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine.push import batch, faults, outcomes, steps
from ledgerbridge.engine.push.work import Due, Pass, Stop
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = ["work"]


def work(p: Pass) -> bool:
    """Work every due record once; True when another round may make progress."""
    now = p.ledger.clock()
    with p.ledger.db.session(readonly=True) as session:
        due = SyncStates(session).due(p.cid, now)
        parents = _customer_parents(p, session, due)
    if not due:
        return False
    p.surroundings.forget()  # what others did meanwhile is read again
    keys = [RecordKey(s.type, s.app_id) for s in due]  # type: ignore[arg-type]
    by_key = {RecordKey(s.type, s.app_id): s for s in due}  # type: ignore[arg-type]
    before = p.report.progressed
    for key in graph.depth_order(keys, parents):
        _one(p, key, by_key[key])
        if p.until is not None and p.ledger.clock() >= p.until:
            batch.flush_all(p)  # what was queued goes out before the worker moves on
            raise Stop("yielded")
    batch.flush_all(p)
    return p.report.progressed > before


def _customer_parents(
    p: Pass, session: Any, due: list[StoredState]
) -> dict[RecordKey, RecordKey | None]:
    parents: dict[RecordKey, RecordKey | None] = {}
    records = Records(session)
    for state in due:
        if state.type != "customer":
            continue
        stored = records.get(p.cid, "customer", state.app_id)
        parent = stored.data.get("parent_id") if stored else None
        parents[RecordKey("customer", state.app_id)] = (
            RecordKey("customer", parent) if parent and isinstance(parent, str) else None
        )
    return parents


def _one(p: Pass, key: RecordKey, state: StoredState) -> None:
    with p.ledger.db.session(readonly=True) as session:
        due = _read(p, session, key, state)
        if due is None:
            return
        link = due.link
        flush_first = batch.waits_on_queue(p, due.situation)
        if not flush_first:
            step = planner.plan(
                due.situation,
                lambda record: p.surroundings.preflight(session, key, record, link),
                lambda record: mapping.to_quickbooks(key, record, p.surroundings.refs(session)),
            )
    if flush_first:
        # a record it depends on is queued for a batch: send that first, then plan again
        batch.flush_all(p)
        _one(p, key, state)
        return
    if isinstance(step, planner.Create | planner.Update) and step.adjustments:
        outcomes.adjusted(p, key, step.adjustments)
    match step:
        case planner.Create():
            batch.enqueue(p, due, step.body)
        case planner.Settle(pending=pending) if ":" in pending.request_id:
            batch.settle(p, pending.request_id.split(":", 1)[0])
        case _:
            try:
                steps.carry_out(p, due, step)
            except (Disconnected, SubscriptionLapsed, Throttled) as exc:
                faults.connection_level(p, exc, [key])
            except Unavailable as exc:
                faults.retry_later(p, key, state, exc)


def _read(p: Pass, session: Any, key: RecordKey, state: StoredState) -> Due | None:
    """The record as the planner sees it; None when there is nothing to plan (the app never
    sent it, or what it sent no longer parses: then that is its problem)."""
    gathered = p.surroundings.situation(session, key, state)
    if gathered is None:
        return None
    if isinstance(gathered, list):  # what the app sent no longer parses
        outcomes.finish(p, key, Status.ERROR, problem=gathered[0])
        return None
    return Due(key, state, gathered.situation, gathered.link, gathered.version)
