"""One write to QuickBooks: its `requestid` stored and committed first, the call, and what the
answer means.

    write.write(p, key, entity, "update", body, version, full=full)

A crash after the commit is settled by replaying the same `requestid` (`send` with the stored
pending write). On 5010 (edited in QuickBooks meanwhile) the object is read again and only the
app's changes are applied over it, once (`_stale`); a field changed on both sides is not
overwritten but shown as the record's problem (`_conflict`). A delete or void QuickBooks no
longer finds (610) is removed all the same.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from ledgerbridge.adapters.qbo import Rejected
from ledgerbridge.core import catalog, conflicts, drift
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine.push import faults, outcomes
from ledgerbridge.engine.push.work import Pass
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import SyncStates, Write

__all__ = ["counted", "refused", "removed", "request", "send", "success", "write"]


def write(
    p: Pass,
    key: RecordKey,
    entity: str,
    operation: str,
    body: dict[str, Any],
    version: int,
    *,
    full: Mapping[str, Any] | None = None,
) -> None:
    """One write alone: its requestid stored, then the request, counted in the company's
    limits right before it is sent."""
    request_id = uuid.uuid4().hex
    outcomes.store_sent(p, [Write(key.type, key.app_id, request_id, operation, body)])
    # committed: a crash from here on is settled by replaying this requestid
    send(
        p,
        key,
        entity,
        operation,
        body,
        request_id,
        version,
        full=full if full is not None else body,
    )


def send(
    p: Pass,
    key: RecordKey,
    entity: str,
    operation: str,
    body: dict[str, Any],
    request_id: str,
    version: int | None,
    *,
    full: Mapping[str, Any] | None,
) -> None:
    try:
        result = _call(p, entity, operation, body, request_id)
    except Rejected as exc:
        refused(p, key, entity, operation, body, version, full, exc)
        return
    if operation == "delete" or result is None:
        removed(p, key, version)
        return
    outcomes.store_successes(p, [success(key, entity, operation, result, version, full)])
    counted(p, operation)


def refused(
    p: Pass,
    key: RecordKey,
    entity: str,
    operation: str,
    body: dict[str, Any],
    version: int | None,
    full: Mapping[str, Any] | None,
    exc: Rejected,
) -> None:
    """What a write QuickBooks refused comes to (alone or as an item of a batch): 5010 on an
    update is re-applied over the edit (`_stale`), 610 on a delete or void means it is gone
    already, anything else is the record's problem (`faults.rejected`)."""
    if exc.first.code == "5010" and operation == "update":
        _stale(p, key, entity, body, version, full)
        return
    if exc.first.code == "610" and operation in ("delete", "void"):
        removed(p, key, version)
        return
    faults.rejected(p, key, entity, operation, exc)


def success(
    key: RecordKey,
    entity: str,
    operation: str,
    result: Mapping[str, Any],
    version: int | None,
    full: Mapping[str, Any] | None,
) -> outcomes.Success:
    """A create, update or void QuickBooks carried out, to be stored (`full`: what is
    remembered as pushed, its identity left out; None keeps what the link had)."""
    pushed = None
    if full is not None:
        pushed = {k: v for k, v in full.items() if k not in ("Id", "SyncToken", "sparse")}
    return outcomes.Success(key, version, entity, result, pushed, f"{operation}d")


def counted(p: Pass, operation: str, done: int = 1) -> None:
    """`done` writes of `operation` carried out, in the pass's report (a delete counts where
    it is stored, `removed`)."""
    if operation == "create":
        p.report.created += done
    elif operation == "void":
        p.report.removed += done
    else:
        p.report.updated += done


def _call(
    p: Pass,
    entity: str,
    operation: str,
    body: dict[str, Any],
    request_id: str,
) -> dict[str, Any] | None:
    """The write itself, counted in the company's limits right before it is sent."""
    taken = faults.take_rate(p)
    try:
        return request(p, entity, operation, body, request_id)
    finally:
        faults.landed(p, taken)


def is_stale_update(operation: str, fault: Rejected) -> bool:
    """An update QuickBooks refused as made over an older SyncToken (5010): read and sent
    again over the edit (`refused`), a read and a write more, so looked into last."""
    return fault.first.code == "5010" and operation == "update"


def request(
    p: Pass, entity: str, operation: str, body: dict[str, Any], request_id: str
) -> dict[str, Any] | None:
    """The write's request to QuickBooks (counted in the company's limits by the caller):
    the object as QuickBooks answered, None for a delete."""
    if operation == "create":
        return p.client.create(entity, body, request_id=request_id)
    if operation == "update":
        return p.client.update(entity, body, request_id=request_id, sparse=True)
    if operation == "delete":
        p.client.delete(entity, body["Id"], body["SyncToken"], request_id=request_id)
        return None
    return p.client.void(entity, body["Id"], body["SyncToken"], request_id=request_id)


def _stale(
    p: Pass,
    key: RecordKey,
    entity: str,
    body: dict[str, Any],
    version: int | None,
    full: Mapping[str, Any] | None,
) -> None:
    """5010: someone edited it in QuickBooks; re-read and re-apply only our changes, once.
    The refused write did nothing, so it is forgotten first: when reading again fails or
    stops the pass, the record is planned afresh later, not settled by replaying a write
    whose pushed values are not known (which would send the same change twice)."""
    with p.storing() as session:
        SyncStates(session, clock=p.ledger.clock).drop_write(p.cid, key.type, key.app_id)
    taken = faults.take_rate(p)
    try:
        current = p.client.read(entity, str(body["Id"]))
    finally:
        faults.landed(p, taken)
    if current is None:
        outcomes.finish(
            p,
            key,
            Status.ERROR,
            problem=Problem(
                drift.DELETED_CODES.get(key.type, catalog.RECEIPT_STALE_REFERENCE),
                None,
                "deleted in QuickBooks",
                {},
            ),
        )
        return
    with p.ledger.db.session(readonly=True) as session:
        link = Links(session).get(p.cid, key.type, key.app_id)
    clashes = conflicts.conflicts(body, link.pushed if link else None, current)
    if clashes and link is not None:
        _conflict(p, key, entity, link, current, clashes)
        return
    retry = {**body, "SyncToken": current["SyncToken"]}
    request_id = uuid.uuid4().hex
    with p.storing() as session:  # else the old company's Id and SyncToken replayed
        SyncStates(session).start_write(p.cid, key.type, key.app_id, request_id, "update", retry)
        History(session).add(p.cid, key.type, key.app_id, "stale_reapplied", request_id=request_id)
    taken = faults.take_rate(p)
    try:
        result = p.client.update(entity, retry, request_id=request_id, sparse=True)
    except Rejected as exc:
        faults.rejected(p, key, entity, "update", exc)
        return
    finally:
        faults.landed(p, taken)
    pushed = {k: v for k, v in (full or {}).items() if k not in ("Id", "SyncToken", "sparse")}
    outcomes.store_success(p, key, version, entity, result, pushed=pushed or None, kind="updated")
    p.report.updated += 1


def _conflict(
    p: Pass,
    key: RecordKey,
    entity: str,
    link: StoredLink,
    current: Mapping[str, Any],
    clashes: list[conflicts.Conflict],
) -> None:
    """Someone changed in QuickBooks a field we change too: shown, not overwritten. What
    QuickBooks holds becomes the last-known copy, so Retry sends ours over it knowingly."""
    first = clashes[0]
    known = dataclasses.replace(
        link,
        sync_token=str(current["SyncToken"]),
        doc_number=current.get("DocNumber"),
        pushed={**(link.pushed or {}), **{c.field: c.theirs for c in clashes}},
    )
    obj = MirrorObject.from_quickbooks(entity, current)
    with p.storing() as session:
        Links(session).put_many(p.cid, [known])
        Mirror(session, p.cid, clock=p.ledger.clock).put(obj)
    p.surroundings.learned(key, known, obj)
    fields = ", ".join(c.field for c in clashes)
    outcomes.finish(
        p,
        key,
        Status.ERROR,
        problem=Problem(
            catalog.CUSTOMER_EDITED_CONCURRENTLY,
            None,
            f"{fields} changed in QuickBooks since the last push and in the app too",
            {
                "quickbooks_field": first.field,
                "quickbooks_value": conflicts.shown(first.theirs),
                "app_value": conflicts.shown(first.ours),
                "fields": fields,
            },
        ),
    )
    p.report.failed += 1


def removed(p: Pass, key: RecordKey, version: int | None) -> None:
    """Deleted in QuickBooks (by us, or gone already): unlinked, and gone from the mirror
    too, so no later look-up links a new record to it."""
    with p.storing() as session:
        links = Links(session)
        gone = links.get(p.cid, key.type, key.app_id)
        if gone is not None:
            Mirror(session, p.cid, clock=p.ledger.clock).mark_deleted(gone.qbo_entity, gone.qbo_id)
        links.remove(p.cid, key.type, key.app_id)
        SyncStates(session, clock=p.ledger.clock).finish(
            p.cid, key.type, key.app_id, status=Status.SYNCED, synced_version=version
        )
        History(session, clock=p.ledger.clock).add(p.cid, key.type, key.app_id, "removed")
    p.surroundings.learned(key, None, None)
    p.report.removed += 1
