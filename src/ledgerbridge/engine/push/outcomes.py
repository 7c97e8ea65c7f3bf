"""Storing what a step came to: a write QuickBooks carried out (the link, the mirror, the record
synced, its history and event, in one transaction), or the record's new status. Each store is a
transaction of `Pass.storing()`: only while the connection still has the pass's company.

    outcomes.store_successes(p, [Success(...), ...])   # a batch's creates together
    outcomes.finish(p, key, "error", problem=problem)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine.push.work import Pass
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import Finished, SyncStates, Write

__all__ = [
    "Success",
    "adjusted",
    "bypass",
    "finish",
    "store_sent",
    "store_sent_in",
    "store_success",
    "store_successes",
]


@dataclass(frozen=True, slots=True)
class Success:
    """A write QuickBooks carried out (or an object found to link to), to be stored."""

    key: RecordKey
    version: int | None  # the app version it carried; None: settled, not known
    entity: str
    result: Mapping[str, Any]  # the object as QuickBooks answered
    pushed: Mapping[str, Any] | None  # what was sent; None: keep what the link had
    kind: str  # the history entry: created, linked, updated, ...
    adopted: bool = False  # linked to the object the app named: its request is done


def store_sent(p: Pass, writes: list[Write]) -> None:
    """Remember writes about to be sent (their requestids, and "sent" in their history) in one
    transaction, committed before the first goes out: a crash from then on is settled by
    replaying each requestid."""
    with p.storing() as session:
        store_sent_in(session, p, writes)


def store_sent_in(session: Session, p: Pass, writes: list[Write]) -> None:
    """`store_sent` in the caller's transaction, one of `p.storing()` (committed by the
    caller before any goes): stored after a Start fresh, the write (the old company's ids)
    would be sent to the next company."""
    SyncStates(session, clock=p.ledger.clock).start_writes(p.cid, writes)
    History(session, clock=p.ledger.clock).add_many(
        p.cid,
        [
            Happened(w.type, w.app_id, f"{w.operation}_sent", request_id=w.request_id)
            for w in writes
        ],
    )


def store_success(
    p: Pass,
    key: RecordKey,
    version: int | None,
    entity: str,
    result: Mapping[str, Any],
    *,
    pushed: Mapping[str, Any] | None,
    kind: str,
    adopted: bool = False,
) -> None:
    store_successes(p, [Success(key, version, entity, result, pushed, kind, adopted)])


def store_successes(p: Pass, successes: list[Success], *, not_sent: Sequence[Write] = ()) -> None:
    """What QuickBooks did, stored in one transaction (a batch's creates together): the
    link, the object in the mirror, the record synced, its history and event; and in the same
    transaction a `not_sent` history entry for each write in `not_sent`, stored as about to
    go (`store_sent`) but never sent: a pass stopped before it. Their requestids stay: the
    write goes later under the same one.

    Only while the connection still has the pass's company, its row held first (as a pull
    storing its read and Start fresh hold it): a write the old company answered after a
    person started fresh is not stored onto the connection, which then said synced, linked
    to an object of a company it no longer has (the pass stops, `not_active`; Start fresh
    dropped the write, and the record is planned afresh against the company connected)."""
    stored: list[tuple[Success, StoredLink, MirrorObject | None]] = []
    finished: list[Finished] = []
    with p.storing() as session:
        links = Links(session)
        states = SyncStates(session, clock=p.ledger.clock)
        kept = [(d.key.type, d.key.app_id) for d in successes if d.pushed is None]
        previous = links.get_many(p.cid, kept) if kept else {}
        for done in successes:
            key, result = done.key, done.result
            pushed = done.pushed
            if pushed is None:
                before = previous.get((key.type, key.app_id))
                pushed = before.pushed if before else None
            link = StoredLink(
                type=key.type,
                app_id=key.app_id,
                qbo_entity=done.entity,
                qbo_id=str(result["Id"]),
                sync_token=str(result.get("SyncToken", "0")),
                doc_number=result.get("DocNumber"),
                pushed=pushed,
            )
            whole = "Id" in result and len(result) > 2  # more than a bare reference
            stored.append(
                (
                    done,
                    link,
                    MirrorObject.from_quickbooks(done.entity, result) if whole else None,
                )
            )
            # a settled write (version None): which app version it carried is not known,
            # so the record is compared with the app's current version once more
            settled = done.version is None
            finished.append(
                Finished(
                    key.type,
                    key.app_id,
                    status=Status.PENDING if settled else Status.SYNCED,
                    synced_version=done.version,
                    next_attempt_at=p.ledger.clock() if settled else None,
                    attempts=0,
                )
            )
        states.finish_many(p.cid, finished)
        for done, link, _ in stored:
            if done.adopted:  # only the request carried out: one sent since stays
                states.clear_adopt(p.cid, done.key.type, done.key.app_id, link.qbo_id)
        links.put_many(p.cid, [link for _, link, _ in stored])
        Mirror(session, p.cid, clock=p.ledger.clock).put_many(
            obj for _, _, obj in stored if obj is not None
        )
        states.release_blocked_many(
            p.cid, [(d.key.type, d.key.app_id) for d in successes if d.version is not None]
        )
        History(session, clock=p.ledger.clock).add_many(
            p.cid,
            [
                Happened(
                    d.key.type,
                    d.key.app_id,
                    d.kind,
                    detail={"quickbooks_id": link.qbo_id, "sync_token": link.sync_token},
                )
                for d, link, _ in stored
            ]
            + [Happened(w.type, w.app_id, "not_sent", request_id=w.request_id) for w in not_sent],
        )
        Events(session, clock=p.ledger.clock).append_many(
            p.cid,
            [
                (
                    "record.synced",
                    {
                        "type": d.key.type,
                        "id": d.key.app_id,
                        "quickbooks_id": link.qbo_id,
                        "quickbooks_number": d.result.get("DocNumber"),
                        "how": d.kind,
                    },
                )
                for d, link, _ in stored
            ],
        )
    for done, link, obj in stored:
        p.surroundings.learned(done.key, link, obj)


def finish(
    p: Pass,
    key: RecordKey,
    status: Status,
    *,
    problem: Problem | None = None,
    blocked_by: tuple[str, str] | None = None,
    synced_version: int | None = None,
    next_attempt_at: datetime | None = None,
    keep_pending: bool = False,
) -> None:
    """The record's new status; a new error or block is written to its history and told to
    the app (once: not again while the status and the problem's code stay the same)."""
    with p.storing() as session:
        states = SyncStates(session, clock=p.ledger.clock)
        before = states.get(p.cid, key.type, key.app_id)
        states.finish(
            p.cid,
            key.type,
            key.app_id,
            status=status,
            problem=problem.to_json() if problem else None,
            blocked_by=blocked_by,
            synced_version=synced_version,
            next_attempt_at=next_attempt_at,
            keep_pending=keep_pending,
        )
        if status == Status.SYNCED:
            states.release_blocked(p.cid, (key.type, key.app_id))
        changed = (
            before is None
            or before.status != status
            or (problem is not None and (before.problem or {}).get("code") != problem.code)
        )
        if changed and status in (Status.ERROR, Status.BLOCKED):
            History(session, clock=p.ledger.clock).add(
                p.cid,
                key.type,
                key.app_id,
                status,
                detail=problem.to_json() if problem else None,
            )
            Events(session, clock=p.ledger.clock).append(
                p.cid,
                f"record.{'failed' if status == Status.ERROR else 'blocked'}",
                {"type": key.type, "id": key.app_id, "code": problem.code if problem else None},
            )


def adjusted(p: Pass, key: RecordKey, adjustments: tuple[Problem, ...]) -> None:
    """A policy changed what goes to QuickBooks (a date moved to the open period, a name
    differentiated): the app is told, once per change, before it is sent (while the
    connection still has the pass's company: a change made for the old one is not the new
    one's)."""
    with p.storing() as session:
        history = History(session, clock=p.ledger.clock)
        told = {
            (h["detail"] or {}).get("code")
            for h in history.of(p.cid, key.type, key.app_id)
            if h["kind"] == "adjusted"
        }
        for adjustment in adjustments:
            if adjustment.code in told:
                continue
            history.add(p.cid, key.type, key.app_id, "adjusted", detail=adjustment.to_json())
            Events(session, clock=p.ledger.clock).append(
                p.cid,
                "record.adjusted",
                {
                    "type": key.type,
                    "id": key.app_id,
                    "code": adjustment.code,
                    "field": adjustment.field,
                    "message": adjustment.message,
                    **adjustment.params,
                },
            )


def bypass(p: Pass, key: RecordKey, problem: Problem) -> None:
    """Never sent: QuickBooks already has what it would do (a payment on an invoice paid
    there). The record is bypassed, and the app told (a conclusion about the pass's company:
    stored only while the connection still has it)."""
    with p.storing() as session:
        SyncStates(session, clock=p.ledger.clock).finish(
            p.cid, key.type, key.app_id, status=Status.BYPASSED, problem=problem.to_json()
        )
        History(session, clock=p.ledger.clock).add(
            p.cid, key.type, key.app_id, "bypassed", detail=problem.to_json()
        )
        Events(session, clock=p.ledger.clock).append(
            p.cid,
            "payment.bypassed",
            {"type": key.type, "id": key.app_id, "code": problem.code, **problem.params},
        )
    p.report.blocked += 1
