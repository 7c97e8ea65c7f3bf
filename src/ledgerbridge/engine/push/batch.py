"""Creates sent together: up to `BATCH_SIZE` of one entity in one batch request.

A create the planner decides is queued (`enqueue`); the queue goes out when it is full, when a
record depends on one of its creates, and at the end of every round. Each item's requestid
(`<batch id>:<index>`) is stored and committed before the batch is sent, and the batch request
carries the batch id: a batch whose answer was lost is replayed whole under that id (`settle`),
and QuickBooks answers with what it did the first time.

QuickBooks allows a company 40 batch requests in its 500 requests a minute. While the batch
requests are used up, the queue keeps going out one create at a time in the rest of the 500
(each its own write, `push.write`), and a batch goes again as soon as the window lets one in:
the most the limits allow, 40 x 30 + 460 writes a minute, none refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ledgerbridge.adapters.qbo import (
    BatchItem,
    Disconnected,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.core import mapping, planner
from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine.push import faults, outcomes, write
from ledgerbridge.engine.push.work import Due, Pass
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.sync_states import StoredState, SyncStates, Write

__all__ = ["BATCH_SIZE", "enqueue", "flush_all", "settle", "waits_on_queue"]

BATCH_SIZE = 30  # QuickBooks' limit of operations in one batch request

# an item of a batch: (its place, bId "b<index>"; key; body; the app version it carries)
_Item = tuple[int, RecordKey, dict[str, Any], int | None]


def enqueue(p: Pass, due: Due, body: dict[str, Any]) -> None:
    """Queue a create; a full queue sends a batch, or its first create alone while the
    company's batch requests are used up (`_send_some`)."""
    key = due.key
    entity = mapping.ENTITY[key.type]
    queue = p.queue.setdefault(entity, [])
    queue.append((key, due.state, body, due.version))
    if len(queue) >= BATCH_SIZE:
        _send_some(p, entity)


def waits_on_queue(p: Pass, situation: planner.Situation) -> bool:
    """Does the record depend on a create still queued (to be sent first)?"""
    if not p.queue:
        return False
    queued = {k for items in p.queue.values() for k, *_ in items}
    return any(d.key in queued for d in situation.dependencies)


def flush_all(p: Pass) -> None:
    for entity in list(p.queue):
        _flush(p, entity)


def _flush(p: Pass, entity: str) -> None:
    """Send every queued create (the end of a round, or a record depends on one)."""
    while p.queue.get(entity):
        _send_some(p, entity)
    p.queue.pop(entity, None)


def _send_some(p: Pass, entity: str) -> None:
    """One request's worth of the queue: 30 creates in a batch request while the company has
    batch requests left in its window, else the first create alone while it has requests left
    (a batch slot is only ever spent on a full batch, unless the queue must go); else wait for
    the first of the two (`faults.wait_for_rate`: in the pass when it is short)."""
    paused = 0.0
    while True:
        batch_wait = faults.room(p, batch=True)
        if batch_wait == 0:
            _send_batch(p, entity)
            return
        single_wait = faults.room(p)
        if single_wait == 0:
            _send_one(p, entity)
            return
        paused = faults.wait_for_rate(p, min(batch_wait, single_wait), paused)


def _send_one(p: Pass, entity: str) -> None:
    """The first queued create alone, as any single write."""
    key, state, body, version = p.queue[entity].pop(0)
    try:
        write.write(p, key, entity, "create", body, version)
    except (Disconnected, SubscriptionLapsed, Throttled) as exc:
        faults.connection_level(p, exc, [key])
    except Unavailable as exc:
        faults.retry_later(p, key, state, exc)


def _send_batch(p: Pass, entity: str) -> None:
    """Send up to 30 queued creates as one batch request, each item's requestid stored
    first."""
    queued = p.queue[entity]
    items, p.queue[entity] = queued[:BATCH_SIZE], queued[BATCH_SIZE:]
    batch_id = uuid.uuid4().hex
    writes = [
        Write(key.type, key.app_id, f"{batch_id}:{index}", "create", body)
        for index, (key, _, body, _) in enumerate(items)
    ]
    with p.ledger.db.session() as session:
        SyncStates(session, clock=p.ledger.clock).start_writes(p.cid, writes)
        History(session, clock=p.ledger.clock).add_many(
            p.cid,
            [Happened(w.type, w.app_id, "create_sent", request_id=w.request_id) for w in writes],
        )
    # committed: a lost answer is settled by replaying the whole batch under its requestid
    _send(
        p,
        entity,
        batch_id,
        [(index, key, body, version) for index, (key, _, body, version) in enumerate(items)],
        {key: state for key, state, _, _ in items},
    )


def settle(p: Pass, batch_id: str) -> None:
    """Replay a batch whose answer was lost, under its own requestid: QuickBooks answers
    with what it did the first time, and every item is settled from that answer."""
    with p.ledger.db.session(readonly=True) as session:
        members = SyncStates(session).in_batch(p.cid, batch_id)
    members.sort(key=lambda m: int((m.pending_request_id or ":0").split(":", 1)[1]))
    if not members:
        return
    entity = mapping.ENTITY[members[0].type]  # type: ignore[index]
    items: list[_Item] = []
    states = {}
    for member in members:
        key = RecordKey(member.type, member.app_id)  # type: ignore[arg-type]
        index = int((member.pending_request_id or ":0").split(":", 1)[1])
        # the item keeps its place (bId) of the first send: QuickBooks answers a replay with
        # its first answer, keyed by those bIds; settled writes are compared with the app's
        # current version afterwards
        items.append((index, key, dict(member.pending_body or {}), None))
        states[key] = member
    _send(p, entity, batch_id, items, states)


def _send(
    p: Pass,
    entity: str,
    batch_id: str,
    items: list[_Item],
    states: Mapping[RecordKey, StoredState],
) -> None:
    taken = faults.take_rate(p, batch=True)
    try:
        try:
            results = p.client.batch(
                [BatchItem(f"b{index}", "create", entity, body) for index, _, body, _ in items],
                request_id=batch_id,
            )
        finally:
            faults.landed(p, taken, batch=True)
    except (Disconnected, SubscriptionLapsed, Throttled) as exc:
        faults.connection_level(p, exc, [key for _, key, _, _ in items])
        return
    except Unavailable as exc:
        for _, key, _, _ in items:
            faults.retry_later(p, key, states[key], exc)
        return
    except Rejected as exc:  # the batch request itself was refused: each item says so
        for _, key, _, _ in items:
            faults.rejected(p, key, entity, "create", exc)
        return
    created = []
    for (_, key, body, version), result in zip(items, results, strict=True):
        if result.fault is not None:
            faults.rejected(p, key, entity, "create", result.fault)
        elif result.entity is not None:
            created.append(outcomes.Success(key, version, entity, result.entity, body, "created"))
    outcomes.store_successes(p, created)
    p.report.created += len(created)
