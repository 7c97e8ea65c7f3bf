"""Writes sent together: up to `BATCH_SIZE` of one entity in one batch request.

A write a batch can carry (`steps.batched`: a create; on QuickBooks Online an update, a delete
or a void too) is queued (`enqueue`); the queue goes out when it is full, when a record depends
on one of its creates, and at the end of every round. Each item's requestid (`<batch
id>:<index>`) is stored with its operation and body and committed before the batch is sent, in
the transaction that counts the batch request in the company's window (one commit for both;
neither when the window has no room), and the batch request carries the batch id: a batch whose
answer was lost is replayed whole under that id (`settle`), and QuickBooks answers with what it
did the first time. Each item's answer means what the same write's answer alone would
(`write.refused`: a stale update re-applied, a delete or void of something gone taken as done,
else the record's problem). What the batch carried out is stored before any refusal is looked
into, and the stale updates (a read and a write more each) come last, each failing as the same
write alone would: a connection-level failure stops the pass, the items not looked into yet left
pending (their batch settled later); an unavailable QuickBooks puts that one record off.

QuickBooks allows a company 40 batch requests in its 500 requests a minute. While the batch
requests are used up, the queue keeps going out one write at a time in the rest of the 500
(each its own request, as many together as the window has room for: `push.singles`), and a
batch goes again as soon as the window lets one in: the most the limits allow, 40 x 30 + 460
writes a minute, none refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledgerbridge.adapters.qbo import (
    BatchItem,
    BatchOperation,
    Disconnected,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.core import mapping, planner
from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine.push import faults, outcomes, singles, write
from ledgerbridge.engine.push.work import Due, Outgoing, Pass, Queued
from ledgerbridge.storage.sync_states import StoredState, SyncStates, Write

__all__ = ["BATCH_SIZE", "changes_queued", "enqueue", "flush_all", "settle", "waits_on_queue"]

BATCH_SIZE = 30  # QuickBooks' limit of operations in one batch request


@dataclass(frozen=True, slots=True)
class _Item:
    """An item of a batch: its place (bId "b<index>"), the record, the write, and the app
    version it carries (None: a settled write, compared with the app's current version after).
    `pushed`: what is remembered as pushed once done (None: what the link had)."""

    index: int
    key: RecordKey
    write: Outgoing
    version: int | None
    pushed: Mapping[str, Any] | None


def enqueue(p: Pass, due: Due, write_: Outgoing) -> None:
    """Queue a write; a full queue goes out (`_send_full`)."""
    key = due.key
    entity = mapping.ENTITY[key.type]
    queue = p.queue.setdefault(entity, [])
    queue.append(Queued(key, due.state, write_, due.version))
    if len(queue) >= BATCH_SIZE:
        _send_full(p, entity)


def waits_on_queue(p: Pass, situation: planner.Situation) -> bool:
    """Does the record depend on a write still queued (to be sent first)?"""
    if not p.queue:
        return False
    queued = {q.key for items in p.queue.values() for q in items}
    return any(d.key in queued for d in situation.dependencies)


def changes_queued(p: Pass) -> bool:
    """Is an update, delete or void queued (its effect not in the mirror yet)?"""
    return any(q.write.operation != "create" for items in p.queue.values() for q in items)


def flush_all(p: Pass) -> None:
    for entity in list(p.queue):
        _flush(p, entity)


def _flush(p: Pass, entity: str) -> None:
    """Send every queued write (the end of a round, or a record depends on one)."""
    while p.queue.get(entity):
        _send_some(p, entity)
    p.queue.pop(entity, None)


def _send_some(p: Pass, entity: str) -> None:
    """Some of the queue: 30 writes in a batch request while the company has batch requests
    left in its window, else its writes alone, as many as the window has room for (a batch
    slot is only ever spent on a full batch, unless the queue must go); else wait for the
    first of the two (`faults.wait_for_rate`: in the pass when it is short)."""
    paused = 0.0
    while True:
        batch_wait = _send_batch(p, entity)
        if batch_wait == 0:
            return
        fitting = p.alone.fitting(len(p.queue[entity]), batch_wait)
        single_wait, counted, taken = faults.take_now(p, fitting)
        if single_wait == 0:
            _send_alone(p, entity, counted, taken)
            return
        paused = faults.wait_for_rate(p, min(batch_wait, single_wait), paused)


def _send_full(p: Pass, entity: str) -> None:
    """A full queue: one batch request while the company has batch requests left in its
    window; else its writes alone, one after another, as many together as singles have room
    for and as go, at the pace the last ones went, before a batch request may (`push.singles`),
    while the batch requests stay used up (else waiting for the first of the two, as
    `_send_some`). Once a batch request is free again, what is left stays queued for the next
    records to fill: a batch request kept waiting by writes alone would come back that much
    later in the next window.

    The writes go together, not one each time a record joins the queue: the round reads its
    next records together (`Surroundings.prefetch`) only between writes, so a write sent
    for each record planned would have it read the next 32 records for every one."""
    paused = 0.0
    # when a batch request may go again: not before the wait the window gave (what other
    # processes send only adds to it), so it is not asked again before each write
    batch_from: datetime | None = None
    while p.queue.get(entity):
        now = p.ledger.clock()
        if batch_from is not None and now < batch_from:
            batch_wait = (batch_from - now).total_seconds()
        else:
            if len(p.queue[entity]) >= BATCH_SIZE:
                batch_wait = _send_batch(p, entity)
            else:  # what is left stays queued once a batch request may go
                batch_wait = faults.room(p, batch=True)
            if batch_wait == 0:
                return
            batch_from = now + timedelta(seconds=batch_wait)
        # counted when it has room, as many as it has room for and as go before a batch
        # request may: sent at once
        fitting = p.alone.fitting(len(p.queue[entity]), batch_wait)
        single_wait, counted, taken = faults.take_now(p, fitting)
        if single_wait == 0:
            _send_alone(p, entity, counted, taken)
            paused = 0.0
            continue
        paused = faults.wait_for_rate(p, min(batch_wait, single_wait), paused)


def _send_alone(p: Pass, entity: str, count: int, taken: datetime) -> None:
    """The first `count` queued writes, each alone (`push.singles`), their requests counted
    at `taken`."""
    queue = p.queue[entity]
    going, p.queue[entity] = queue[:count], queue[count:]
    singles.send(p, entity, going, taken)


def _send_batch(p: Pass, entity: str) -> float:
    """Send up to 30 queued writes as one batch request when the company's window has room
    for one: the request counted, and each item's requestid, operation and body stored, in
    one transaction first (`faults.take_batch_storing`). 0 once sent, else the seconds until
    a batch request would go (the queue as it was)."""
    queued = p.queue[entity]
    items = queued[:BATCH_SIZE]
    batch_id = uuid.uuid4().hex
    writes = [
        Write(q.key.type, q.key.app_id, f"{batch_id}:{index}", q.write.operation, q.write.body)
        for index, q in enumerate(items)
    ]
    wait, taken = faults.take_batch_storing(p, writes)
    if wait > 0:
        return wait
    p.queue[entity] = queued[BATCH_SIZE:]
    # committed: a lost answer is settled by replaying the whole batch under its requestid
    _send(
        p,
        entity,
        batch_id,
        [_Item(i, q.key, q.write, q.version, q.write.pushed) for i, q in enumerate(items)],
        {q.key: q.state for q in items},
        taken,
    )
    return 0.0


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
        body = dict(member.pending_body or {})
        operation = member.pending_operation or "create"
        # the item keeps its place (bId) of the first send: QuickBooks answers a replay with
        # its first answer, keyed by those bIds; settled writes are compared with the app's
        # current version afterwards (what an update pushed is not known then: the link's
        # is kept until that comparison)
        pushed = body if operation == "create" else None
        items.append(_Item(index, key, Outgoing(operation, body), None, pushed))
        states[key] = member
    _send(p, entity, batch_id, items, states)


def _send(
    p: Pass,
    entity: str,
    batch_id: str,
    items: list[_Item],
    states: Mapping[RecordKey, StoredState],
    taken: datetime | None = None,
) -> None:
    """The batch request (counted at `taken`; None: counted here, waiting for room)."""
    if taken is None:
        taken = faults.take_rate(p, batch=True)
    try:
        try:
            results = p.client.batch(
                [
                    BatchItem(f"b{item.index}", _operation(item), entity, item.write.body)
                    for item in items
                ],
                request_id=batch_id,
            )
        finally:
            faults.landed(p, taken, batch=True)
    except (Disconnected, SubscriptionLapsed, Throttled) as exc:
        faults.connection_level(p, exc, [item.key for item in items])
        return
    except Unavailable as exc:
        for item in items:
            faults.retry_later(p, item.key, states[item.key], exc)
        return
    except Rejected as exc:  # the batch request itself was refused: each item says so
        for item in items:
            faults.rejected(p, item.key, entity, item.write.operation, exc)
        return
    done: list[outcomes.Success] = []
    refused: list[tuple[_Item, Rejected]] = []
    for item, result in zip(items, results, strict=True):
        out = item.write
        if result.fault is not None:
            refused.append((item, result.fault))
        elif out.operation == "delete":
            write.removed(p, item.key, item.version)
        elif result.entity is not None:
            done.append(
                write.success(
                    item.key, entity, out.operation, result.entity, item.version, item.pushed
                )
            )
    # what QuickBooks carried out is stored before any item's refusal is looked into: that
    # may ask QuickBooks again (a stale update read and re-applied), and fail or stop the pass
    outcomes.store_successes(p, done)
    for operation in ("create", "update", "void"):
        write.counted(p, operation, sum(1 for d in done if d.kind == f"{operation}d"))
    # the plain refusals first, the stale updates (each a read and a write more) last
    refused.sort(key=lambda refusal: write.is_stale_update(refusal[0].write.operation, refusal[1]))
    for at, (item, fault) in enumerate(refused):
        _refused(p, entity, item, fault, states, [i.key for i, _ in refused[at:]])


def _refused(
    p: Pass,
    entity: str,
    item: _Item,
    fault: Rejected,
    states: Mapping[RecordKey, StoredState],
    rest: list[RecordKey],
) -> None:
    """One item QuickBooks refused, as the same write refused alone (`write.refused`), and
    what asking QuickBooks again then meets as for a write alone: a connection-level failure
    stops the pass (`rest`, this item and those not looked into yet, stay pending: their
    batch is settled later), an unavailable QuickBooks puts this record off."""
    out = item.write
    try:
        write.refused(
            p, item.key, entity, out.operation, out.body, item.version, item.pushed, fault
        )
    except (Disconnected, SubscriptionLapsed, Throttled) as exc:
        faults.connection_level(p, exc, rest)
    except Unavailable as exc:
        faults.retry_later(p, item.key, states[item.key], exc)


def _operation(item: _Item) -> BatchOperation:
    operation = item.write.operation
    if operation not in ("create", "update", "delete", "void"):
        raise ValueError(f"{operation!r} is no batch operation")
    return operation  # type: ignore[return-value]
