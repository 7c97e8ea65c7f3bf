"""Carrying out the step the planner decided for one record (`core.planner.Step`).

    steps.carry_out(p, due, step)

The steps that only store a decision (nothing to do, draft, wait, block, refuse, bypass, keep
QuickBooks' values, link to an object found) are stored here; the writes go through
`push.write`. The writes a batch can carry (`batched`: creates, and on QuickBooks Online
updates, deletes and voids too) are queued for one (`push.batch`) by the round, which also
settles a batch's pending writes there; a write reaching `carry_out` goes alone.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import assert_never

from ledgerbridge.adapters.qbo import VOIDED_BY_UPDATE
from ledgerbridge.core import catalog, mapping, overrides, planner
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine import holding
from ledgerbridge.engine.push import outcomes, write
from ledgerbridge.engine.push.work import Due, Outgoing, Pass
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["WAIT", "batched", "carry_out"]

WAIT = timedelta(seconds=2)


def carry_out(p: Pass, due: Due, step: planner.Step) -> None:
    key, version = due.key, due.version
    entity = mapping.ENTITY[key.type]
    match step:
        case planner.Nothing():
            _nothing(p, due, step, version)
        case planner.Keep():
            _keep(p, key, step, version)
        case planner.Draft():
            waiting = (
                Problem(catalog.PAYMENT_NOT_POSTED, "posted", "not posted in the app yet", {})
                if key.type == "payment"
                else None
            )
            outcomes.finish(p, key, Status.DRAFT, problem=waiting)
        case planner.Wait():
            _wait(p, due)
        case planner.Block():
            blocker = (step.by.type, step.by.app_id)
            outcomes.finish(p, key, Status.BLOCKED, problem=step.problem, blocked_by=blocker)
            p.report.blocked += 1
        case planner.Refuse():
            outcomes.finish(p, key, Status.ERROR, problem=step.problems[0])
            p.report.failed += 1
        case planner.Bypass():
            outcomes.bypass(p, key, step.problem)
        case planner.LinkExisting():
            _link_existing(p, key, entity, step, version)
        case planner.Create():
            write.write(p, key, entity, "create", step.body, version)
        case planner.Update():
            _update(p, due, entity, step, version)
        case planner.Remove():
            _remove(p, due, entity, step, version)
        case planner.Settle():
            _settle(p, key, entity, step)
        case _:
            assert_never(step)


def _nothing(p: Pass, due: Due, step: planner.Nothing, version: int) -> None:
    if due.situation.bypassed:
        return
    if step.pushed is not None and due.link is not None:
        found = dataclasses.replace(due.link, pushed=dict(step.pushed))
        with p.storing() as session:
            Links(session).put_many(p.cid, [found])
        p.surroundings.learned(due.key, found, None)
    outcomes.finish(p, due.key, Status.SYNCED, synced_version=version)
    p.report.unchanged += 1


def _link_existing(
    p: Pass, key: RecordKey, entity: str, step: planner.LinkExisting, version: int
) -> None:
    target = step.target
    # synced when it already holds what the record sends; otherwise planned once more, to
    # send what it lacks (found by look-up) or, for an object the app named, to compare it
    # with what the app holds, as the connection's `quickbooks_changes` setting says
    pushed = step.holds if step.holds is not None else step.expected
    outcomes.store_success(
        p,
        key,
        version if step.holds is not None else None,
        entity,
        dict(target.data) or {"Id": target.qbo_id, "SyncToken": target.sync_token},
        pushed=pushed,
        kind="linked",
        adopted=step.adopted,
    )
    p.report.linked += 1


def _settle(p: Pass, key: RecordKey, entity: str, step: planner.Settle) -> None:
    """A write started earlier whose outcome is unknown: sent again with its stored requestid."""
    pending = step.pending
    write.send(
        p,
        key,
        entity,
        pending.operation,
        dict(pending.body),
        pending.request_id,
        None,  # settled: re-checked against the app's current version afterwards
        full=None if pending.operation != "create" else dict(pending.body),
    )


def _wait(p: Pass, due: Due) -> None:
    p.report.released += _release_held(p, due.key, due.situation)
    # what waits for records released in this pass goes again in the next round, after
    # them (dependency order), instead of a while later
    soon = any(d.key in p.released for d in due.situation.dependencies)
    later = p.ledger.clock() + (timedelta(0) if soon else WAIT)
    outcomes.finish(p, due.key, Status.PENDING, next_attempt_at=later, keep_pending=True)
    p.report.waiting += 1


def batched(p: Pass, due: Due, step: planner.Step) -> Outgoing | None:
    """The write `step` sends in a batch request, or None when it goes alone or writes
    nothing. QuickBooks Online batches creates, updates, deletes and voids (but the voids of
    payments, an update with `include=void`); QuickBooks Desktop has no batch, and its
    adapter sends creates one by one under the batch's requestid."""
    if isinstance(step, planner.Create):
        return Outgoing("create", step.body)
    if p.connection.realm_id is None:
        return None
    if isinstance(step, planner.Update):
        return _update_write(due, step)
    if isinstance(step, planner.Remove):
        entity = mapping.ENTITY[due.key.type]
        if step.operation == "void" and entity in VOIDED_BY_UPDATE:
            return None
        return _remove_write(due, step)
    return None


def _update_write(due: Due, step: planner.Update) -> Outgoing:
    link = due.link
    assert link is not None  # the planner updates linked records only
    token = (
        _newest_token(link.sync_token, due.situation)
        if step.over_quickbooks
        else link.sync_token  # an edit in QuickBooks meanwhile: 5010, then compared
    )
    body = {**step.body, "Id": link.qbo_id, "SyncToken": token, "sparse": True}
    return Outgoing("update", body, step.full)


def _remove_write(due: Due, step: planner.Remove) -> Outgoing:
    link = due.link
    assert link is not None  # the planner removes linked records only
    if step.operation == "deactivate":
        body = {"Id": link.qbo_id, "SyncToken": link.sync_token, "sparse": True, "Active": False}
        return Outgoing("update", body)
    return Outgoing(step.operation, {"Id": link.qbo_id, "SyncToken": link.sync_token})


def _update(p: Pass, due: Due, entity: str, step: planner.Update, version: int) -> None:
    out = _update_write(due, step)
    write.write(p, due.key, entity, out.operation, out.body, version, full=out.full)


def _remove(p: Pass, due: Due, entity: str, step: planner.Remove, version: int) -> None:
    out = _remove_write(due, step)
    write.write(p, due.key, entity, out.operation, out.body, version)


def _keep(p: Pass, key: RecordKey, step: planner.Keep, version: int) -> None:
    """The connection keeps QuickBooks' changes (`quickbooks_changes: quickbooks_wins`): its
    values are remembered as kept, the app is told them, and the record is synced (or
    planned again, when the app changed other fields to send)."""
    problem = step.drift.problem
    with p.storing() as session:
        links = Links(session)
        link = links.get(p.cid, key.type, key.app_id)
        seen = Mirror(session, p.cid).get(link.qbo_entity, link.qbo_id) if link else None
        if link is not None and seen is not None:  # the next write is not stale
            fresh = dataclasses.replace(link, sync_token=seen.sync_token)
            links.put_many(p.cid, [fresh])
            p.surroundings.learned(key, fresh, seen)
        states = SyncStates(session, clock=p.ledger.clock)
        current = states.get(p.cid, key.type, key.app_id)
        states.set_overrides(
            p.cid,
            key.type,
            key.app_id,
            overrides.with_kept(current.overrides or {} if current else {}, step.kept),
        )
        states.finish(
            p.cid,
            key.type,
            key.app_id,
            status=Status.PENDING if step.then_update else Status.SYNCED,
            synced_version=None if step.then_update else version,
            next_attempt_at=p.ledger.clock() if step.then_update else None,
        )
        detail = {"by": "quickbooks_changes", **problem.params}
        History(session, clock=p.ledger.clock).add(
            p.cid, key.type, key.app_id, "quickbooks_kept", detail=detail
        )
        Events(session, clock=p.ledger.clock).append(
            p.cid,
            "record.quickbooks_kept",
            {"type": key.type, "id": key.app_id, **problem.params},
        )
    p.report.unchanged += 1


def _release_held(p: Pass, key: RecordKey, situation: planner.Situation) -> int:
    """A record that is pushed never waits for a held one (auto_push leaves its type out):
    the held records it needs in QuickBooks first are released, their history naming it."""
    needed = [d.key for d in situation.dependencies if not d.linked and d.status == "pending"]
    if not needed:
        return 0
    released = 0
    with p.storing() as session:
        states = SyncStates(session, clock=p.ledger.clock)
        history = History(session, clock=p.ledger.clock)
        for dependency in needed:
            state = states.get(p.cid, dependency.type, dependency.app_id)
            if state is not None and holding.release(
                states, history, p.cid, state, by="dependency", needed_by=key
            ):
                p.released.add(dependency)
                released += 1
    return released


def _newest_token(ours: str, situation: planner.Situation) -> str:
    """The SyncToken of the QuickBooks copy the planner compared the record with, when a
    person's edit there moved it on and the update was decided knowing that edit (sending the
    app's values over it is the point); else the link's."""
    held = situation.link.held if situation.link is not None else None
    seen = held.current.sync_token if held is not None and held.current is not None else None
    try:
        return seen if seen is not None and int(seen) > int(ours) else ours
    except ValueError:
        return ours
