"""What a write that did not succeed comes to, by what the caller must do.

    Rejected            a business fault: classified (core.classify) into the record's problem;
                        a name taken (6240) is first looked up in QuickBooks, once a pass
    Unavailable         the record is retried later (core.retry's backoff), its write kept
    Throttled           the whole company waits; the pass stops ("throttled")
    Disconnected,       the connection's status changes and the pass stops; the records stay
    SubscriptionLapsed  pending (a lapsed subscription's refused writes are dropped)

`take_rate` counts a request against QuickBooks' limits for the company before it is sent
(`engine.pacing`), right before it is sent, and `landed` once it is answered: while they are
reached, a short wait is waited out in the pass and a longer one stops it ("rate_limited").
`take_batch_storing` counts a batch request in the same transaction as its writes' requestids
(nothing counted or stored when the window has no room for it). `room` only asks, for a caller
that has something else to send meanwhile (a batch's creates sent one by one while batch
requests are used up), and `take_now` counts single requests only if the window has room for
them now, without waiting, as many as it has room for up to the number asked (the writes then go
at once, `landed_together` once all are answered).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ledgerbridge.adapters.qbo import (
    Disconnected,
    InUse,
    QuickBooksError,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.core import catalog, classify, overrides
from ledgerbridge.core.mirror import PERSON_ENTITIES, MirrorObject
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    Customer,
    Item,
    RecordKey,
    Vendor,
    display_name,
    parse_record,
)
from ledgerbridge.core.retry import Backoff, throttled_until
from ledgerbridge.core.status import Status
from ledgerbridge.engine import pacing
from ledgerbridge.engine.push import outcomes
from ledgerbridge.engine.push.work import Pass, Stop
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates, Write

__all__ = [
    "BACKOFF",
    "PAUSE_BUDGET",
    "PAUSE_WITHIN",
    "connection_level",
    "landed",
    "landed_together",
    "rejected",
    "retry_later",
    "room",
    "take_batch_storing",
    "take_now",
    "take_rate",
    "wait_for_rate",
]

BACKOFF = Backoff()
PAUSE_WITHIN = 1.0  # seconds: a full window this close to a free slot is waited out in the pass
PAUSE_BUDGET = 5.0  # seconds of such waits in a row before the pass stops anyway

_NAME_TAKEN = (
    catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
    catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
    catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE,
    catalog.VENDOR_NAME_USED_BY_OTHER_TYPE,
)


def rejected(p: Pass, key: RecordKey, entity: str, operation: str, exc: Rejected) -> None:
    fault = exc.first
    result = classify.classify(
        fault,
        classify.FaultContext(entity=entity, operation=operation, record_type=key.type),  # type: ignore[arg-type]
    )
    code = result.code
    if code in _NAME_TAKEN and operation == "create" and _look_up_holder(p, key):
        # someone created it in QuickBooks since the last pull: now that the mirror knows
        # the holder, preflight decides at once (linked on its email or SKU, or a problem
        # naming it)
        outcomes.finish(p, key, Status.PENDING, next_attempt_at=p.ledger.clock())
        p.report.looked_up += 1
        return
    if code in (catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS, catalog.VENDOR_EXISTS_IN_QUICKBOOKS):
        code = _name_holder_code(p, key, code)
    params = {**result.params, "quickbooks_code": fault.code}
    if code == catalog.CLASS_INACTIVE_IN_QUICKBOOKS and "name" not in params:
        params.update(_class_named(p, key, params.get("quickbooks_id")))
    outcomes.finish(
        p,
        key,
        Status.ERROR,
        problem=Problem(code, fault.element, fault.detail or fault.message, params),
    )
    p.report.failed += 1


def _class_named(p: Pass, key: RecordKey, qbo_id: str | None) -> dict[str, str]:
    """The name of the class QuickBooks refused by its ListID (Desktop's 3140 quotes the
    ClassRef as sent): the mirror's name for that ListID, else the record's own class (the
    one mapped to it, or its only class). Nothing when neither says: a ListID is never shown as
    a class's name."""
    with p.ledger.db.session(readonly=True) as session:
        held = Mirror(session, p.cid).get("Class", qbo_id) if qbo_id else None
        stored = Records(session).get(p.cid, key.type, key.app_id)
        state = SyncStates(session).get(p.cid, key.type, key.app_id)
    if held is not None:
        name = held.data.get("FullyQualifiedName") or held.name
        if name:
            return {"name": str(name)}
    data = overrides.apply(stored.data, state.overrides if state else None) if stored else {}
    lines = [line for line in data.get("lines") or [] if isinstance(line, dict)]
    used = [str(c) for c in [data.get("class"), *(line.get("class") for line in lines)] if c]
    used = list(dict.fromkeys(used))
    mapped = p.connection.mappings.get("classes") or {}
    chosen = [c for c in used if qbo_id and (mapped.get(c) == qbo_id or c == qbo_id)]
    if len(chosen) == 1:
        return {"name": chosen[0]}
    return {"name": used[0]} if len(used) == 1 else {}


def _look_up_holder(p: Pass, key: RecordKey) -> bool:
    """6240 on a create: read who holds the name from QuickBooks into the mirror; True when
    the mirror did not know the holder (worth planning the record again), once a pass."""
    if key in p.looked_up:
        return False
    p.looked_up.add(key)
    with p.ledger.db.session(readonly=True) as session:
        stored = Records(session).get(p.cid, key.type, key.app_id)
        state = SyncStates(session).get(p.cid, key.type, key.app_id)
        data = overrides.apply(stored.data, state.overrides if state else None) if stored else {}
    record = parse_record(key.type, data) if stored else None
    entities: tuple[str, ...]
    if isinstance(record, Customer | Vendor):
        name, entities = display_name(record), PERSON_ENTITIES
    elif isinstance(record, Item):
        name, entities = record.name, ("Item",)
    else:
        return False
    quoted = name.replace("\\", "\\\\").replace("'", "\\'")
    found: list[tuple[str, dict[str, Any]]] = []
    for entity in entities:
        field = "Name" if entity == "Item" else "DisplayName"
        taken = take_rate(p)
        try:
            rows = p.client.query(
                f"SELECT * FROM {entity} WHERE {field} = '{quoted}' AND Active IN (true, false)"
            )
        except Rejected:
            continue
        finally:
            landed(p, taken)
        found += [(entity, row) for row in rows]
    with p.storing() as session:
        mirror = Mirror(session, p.cid, clock=p.ledger.clock)
        new = [(e, row) for e, row in found if mirror.get(e, str(row["Id"])) is None]
        for entity, row in found:
            mirror.put(MirrorObject.from_quickbooks(entity, row))
    p.surroundings.forget()  # objects it knew may have changed
    return bool(new)


def _name_holder_code(p: Pass, key: RecordKey, code: str) -> str:
    """6240 says only "the name is taken": the mirror tells by whom."""
    with p.ledger.db.session(readonly=True) as session:
        stored = Records(session).get(p.cid, key.type, key.app_id)
        record = parse_record(key.type, stored.data) if stored else None
        if not isinstance(record, Customer | Vendor):
            return code
        holder = Mirror(session, p.cid).person_named(display_name(record))
    own = "Customer" if key.type == "customer" else "Vendor"
    if holder is not None and holder.entity != own:
        return (
            catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE
            if key.type == "customer"
            else catalog.VENDOR_NAME_USED_BY_OTHER_TYPE
        )
    return code


def _unavailable(exc: Unavailable) -> Problem:
    """Why a write waits: QuickBooks not answering, or (Desktop) the entry open by someone."""
    if isinstance(exc, InUse):
        return Problem(catalog.RECORD_IN_USE_IN_QUICKBOOKS, None, str(exc), {})
    return Problem(catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE, None, str(exc), {})


def retry_later(p: Pass, key: RecordKey, state: StoredState, exc: Unavailable) -> None:
    """QuickBooks did not answer: the record is tried again after a backoff, its write (if
    one went) kept to be settled by replay. The old company's backoff is not the new one's:
    stored only while the connection still has the pass's company (`Pass.storing`)."""
    attempts = state.attempts + 1
    when = BACKOFF.next_attempt(p.ledger.clock(), attempts)
    with p.storing() as session:
        SyncStates(session, clock=p.ledger.clock).finish(
            p.cid,
            key.type,
            key.app_id,
            status=Status.PENDING,
            problem=_unavailable(exc).to_json(),
            next_attempt_at=when,
            attempts=attempts,
            keep_pending=True,
        )
        History(session, clock=p.ledger.clock).add(
            p.cid,
            key.type,
            key.app_id,
            "unavailable",
            detail={"ambiguous": exc.ambiguous, "retry_at": when.isoformat()},
        )


def connection_level(p: Pass, exc: QuickBooksError, keys: list[RecordKey]) -> None:
    """Stop the pass: the company waits (throttled) or changes status; its records stay
    pending. A write refused for a lapsed subscription (6190) was not applied, so its
    stored requestid is dropped: replaying it would only repeat the refusal.

    Only while the connection still has the pass's company: after a Start fresh into another
    company the pass's client reads the new company's token, which QuickBooks refuses for
    the old one; that refusal is the old pass's, not the new connection's (`not_active`)."""
    now = p.ledger.clock()
    # the connection's row held first, before its records' (the order a pull storing its
    # changes takes them in: the other order could deadlock with a person's refresh)
    # (the pass stopped once this is committed: raised inside, Stop would roll it back)
    with p.storing() as session:
        states = SyncStates(session, clock=p.ledger.clock)
        if isinstance(exc, Throttled):
            states.delay_all(p.cid, throttled_until(now, exc.retry_after))
            stopped = "throttled"
        else:
            if isinstance(exc, SubscriptionLapsed):
                for key in keys:
                    states.finish(p.cid, key.type, key.app_id, status=Status.PENDING)
            stopped = "disconnected" if isinstance(exc, Disconnected) else "suspended"
            Connections(session).set_status(p.cid, stopped)
            Events(session, clock=p.ledger.clock).append(
                p.cid, "connection.status_changed", {"status": stopped}
            )
    raise Stop(stopped)


def take_rate(p: Pass, *, batch: bool = False) -> datetime:
    """Count a request against QuickBooks' limits for the company (`engine.pacing`), waiting
    while they are reached: a short wait in the pass, a longer one ends it (`wait_for_rate`).
    A single request leaves the batch requests their share while creates wait for a batch.
    Returns when it was counted, for `landed` once it is answered. QuickBooks Desktop (no
    realm) has no such limits: its requests go one at a time through the Web Connector."""
    if p.connection.realm_id is None:
        return p.ledger.clock()
    paused = 0.0
    while True:
        taken = p.ledger.clock()
        wait = _take(p, batch=batch, at=taken)
        if wait <= 0:
            return taken
        paused = wait_for_rate(p, wait, paused)


def take_now(p: Pass, most: int = 1) -> tuple[float, int, datetime]:
    """Count up to `most` single requests now, as many as the window has room for, without
    waiting: (0, how many were counted, when: for `landed` or `landed_together`), else (the
    seconds until one would have room, 0, now), nothing counted. For a caller that sends
    something else when it has not (`room`)."""
    taken = p.ledger.clock()
    if p.connection.realm_id is None:  # QuickBooks Desktop: no limits
        return 0.0, most, taken
    if most == 1:
        wait = _take(p, batch=False, at=taken)
        return wait, int(wait == 0), taken
    wait, counted = pacing.take_many(
        p.ledger,
        p.connection.realm_id,
        most,
        keep_for_batches=bool(p.queue),
        at=taken,
    )
    return wait, counted, taken


def take_batch_storing(p: Pass, writes: list[Write]) -> tuple[float, datetime]:
    """A batch request counted and its writes' requestids stored (`outcomes.store_sent`) in
    one transaction of `Pass.storing` (the company checked first), committed before it is
    sent: (0, when it was counted, for `landed`), else (the seconds until a batch request
    would go, now), nothing counted or stored, and without waiting (the caller sends the
    writes alone meanwhile). QuickBooks Desktop has no limits: stored, and 0."""
    taken = p.ledger.clock()
    with p.storing() as session:
        if p.connection.realm_id is not None:
            wait = pacing.take_batch_in(session, p.ledger, p.connection.realm_id, at=taken)
            if wait > 0:
                return wait, taken
        outcomes.store_sent_in(session, p, writes)
    return 0.0, taken


def room(p: Pass, *, batch: bool = False) -> float:
    """Would a request go now? 0 when it would, else the seconds until it would (nothing is
    counted: `take_rate` counts it right before it is sent)."""
    if p.connection.realm_id is None:  # QuickBooks Desktop: no limits
        return 0.0
    return _take(p, batch=batch, count=False)


def landed(p: Pass, taken: datetime, *, batch: bool = False) -> None:
    """The request counted at `taken` was answered (`pacing.landed`)."""
    if p.connection.realm_id is None:  # QuickBooks Desktop: nothing was counted
        return
    pacing.landed(p.ledger, p.connection.realm_id or "", taken, batch=batch)


def landed_together(p: Pass, taken: datetime, answered: list[datetime]) -> None:
    """Single requests counted together at `taken` (`take_now`) were answered at
    `answered` (`pacing.landed_many`)."""
    if p.connection.realm_id is None:  # QuickBooks Desktop: nothing was counted
        return
    pacing.landed_many(p.ledger, p.connection.realm_id, taken, answered)


def _take(p: Pass, *, batch: bool, count: bool = True, at: datetime | None = None) -> float:
    return pacing.take(
        p.ledger,
        p.connection.realm_id or "",
        batch=batch,
        keep_for_batches=not batch and bool(p.queue),
        count=count,
        at=at,
    )


def wait_for_rate(p: Pass, wait: float, paused: float = 0.0) -> float:
    """The window is full for `wait` seconds: waited out in the pass when that is short (the
    window sliding on, request by request), else the pass stops and the company waits
    (`rate_limited`). Returns the time paused so far (at most `PAUSE_BUDGET` in a row)."""
    if wait > PAUSE_WITHIN or paused + wait > PAUSE_BUDGET:
        with p.storing() as session:
            SyncStates(session).delay_all(p.cid, p.ledger.clock() + timedelta(seconds=wait))
        raise Stop("rate_limited")
    p.pause(wait)
    return paused + wait
