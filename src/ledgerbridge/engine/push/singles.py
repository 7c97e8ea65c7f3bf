"""Writes sent alone together: queued writes going out one request each while the company's
batch requests are used up (`push.batch`), counted in its limits at once (`faults.take_now`).

    singles.send(p, entity, queued, taken)

Each write is its own request under its own requestid, as `push.write` sends one; what the
writes share is the database. Every write's requestid, operation and body are stored and
committed in one transaction before the first is sent (so each is stored before its first
attempt), and what QuickBooks did with them in one more after the last is answered
(`outcomes.store_successes`), as a batch's items are. A crash anywhere between leaves each
write pending under its own requestid, settled as a single write's (replayed: QuickBooks
answers with what it did the first time, or does it now).

Each answer means what it means for the same write alone (`write.refused`: a stale update
re-applied, a delete or void of something gone taken as done, else the record's problem),
looked into once what QuickBooks carried out is stored. An unavailable QuickBooks puts that
record off and the rest still go. A connection-level failure stops the pass once what was
answered is stored, before any refusal is looked into (a request more); the writes not sent
by then and the refusals stay pending, settled by replay later; each write not sent gets a
`not_sent` entry in its history after its `*_sent` one (same requestid), so a record's history
never says a write went that never left. A group that runs past the
window's margin (a slow answer) moves its count to the current bucket before its next write,
so no write sent is ever out of the shared window while QuickBooks still counts it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ledgerbridge.adapters.qbo import (
    Disconnected,
    QuickBooksError,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.engine.push import faults, outcomes, write
from ledgerbridge.engine.push.work import Pass, Queued
from ledgerbridge.storage.rate_windows import MARGIN
from ledgerbridge.storage.sync_states import Write

__all__ = ["send"]


def send(p: Pass, entity: str, queued: list[Queued], taken: datetime) -> None:
    """Send `queued` (writes of `entity`), each alone, one after another; their requests were
    counted at `taken`."""
    writes = [
        Write(q.key.type, q.key.app_id, uuid.uuid4().hex, q.write.operation, q.write.body)
        for q in queued
    ]
    outcomes.store_sent(p, writes)
    # committed: a crash from here on is settled by replaying each write's requestid
    done: list[outcomes.Success] = []
    gone: list[Queued] = []
    refused: list[tuple[Queued, Rejected]] = []
    put_off: list[tuple[Queued, Unavailable]] = []
    stopped: tuple[Queued, QuickBooksError] | None = None
    unsent: list[Write] = []
    started, count = taken, 0
    answered: list[datetime] = []
    try:
        for index, (q, w) in enumerate(zip(queued, writes, strict=True)):
            now = p.ledger.clock()
            if index and now - taken > MARGIN:
                # counted at `taken`, a write sent later than the window's margin would leave
                # it before QuickBooks forgets it (a slow answer before it): those answered
                # and those still to go are moved to now's bucket, and counted from there on
                faults.landed_together(p, taken, answered + [now] * (len(writes) - index))
                taken, answered = now, []
            out = q.write
            try:
                result = write.request(p, entity, out.operation, out.body, w.request_id)
            except Rejected as exc:
                refused.append((q, exc))
            except Unavailable as exc:
                put_off.append((q, exc))
            except (Disconnected, SubscriptionLapsed, Throttled) as exc:
                stopped = (q, exc)  # the rest are not sent: pending, settled by replay
                unsent = writes[index + 1 :]
                break
            else:
                if out.operation == "delete" or result is None:
                    gone.append(q)
                else:
                    done.append(
                        write.success(q.key, entity, out.operation, result, q.version, out.pushed)
                    )
            finally:
                answered.append(p.ledger.clock())
                count += 1
    finally:
        faults.landed_together(p, taken, answered)
    if count:
        p.alone.seconds = (p.ledger.clock() - started).total_seconds() / count
    _store(p, entity, done, gone, refused, put_off, stopped, unsent)


def _store(
    p: Pass,
    entity: str,
    done: list[outcomes.Success],
    gone: list[Queued],
    refused: list[tuple[Queued, Rejected]],
    put_off: list[tuple[Queued, Unavailable]],
    stopped: tuple[Queued, QuickBooksError] | None,
    unsent: list[Write],
) -> None:
    """What the writes came to: what QuickBooks carried out first, in one transaction (it
    may be asked again about a refusal, and that fail or stop the pass), with the writes never
    sent told so in their histories, then the records put off, the refusals, and the failure
    that stopped the writes, if one did."""
    outcomes.store_successes(p, done, not_sent=unsent)
    for operation in ("create", "update", "void"):
        write.counted(p, operation, sum(1 for d in done if d.kind == f"{operation}d"))
    for q in gone:
        write.removed(p, q.key, q.version)
    for q, unavailable in put_off:
        faults.retry_later(p, q.key, q.state, unavailable)
    if stopped is not None:
        # the company backs off at once, as after a write sent alone: the refusals are not
        # looked into now (a look-up is a request more); pending, they are settled by replay
        last, failure = stopped
        faults.connection_level(p, failure, [last.key, *(q.key for q, _ in refused)])
    # the plain refusals first, the stale updates (each a read and a write more) last
    refused.sort(key=lambda refusal: write.is_stale_update(refusal[0].write.operation, refusal[1]))
    for at, (q, fault) in enumerate(refused):
        out = q.write
        try:
            write.refused(p, q.key, entity, out.operation, out.body, q.version, out.pushed, fault)
        except (Disconnected, SubscriptionLapsed, Throttled) as exc:
            # this one and those not looked into yet stay pending, settled by replay
            faults.connection_level(p, exc, [r.key for r, _ in refused[at:]])
        except Unavailable as exc:
            faults.retry_later(p, q.key, q.state, exc)
