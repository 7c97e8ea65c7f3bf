"""The dry run: what a sync would do now, record by record, without doing any of it.

    plan = dry_run(ledger, connection_id)

Used before the first push into a company that already holds data. Every app record (and every
record the app deleted that is still linked) goes through the push pass's own decision
(`engine.context.Surroundings`, `core.planner.plan`) in dependency order, against the mirror as
the last pull left it. Nothing is written: no database row, no QuickBooks call.

A record the dry run would create or link counts as linked for the records after it (an invoice
whose new customer would be created first would be created too, not wait); one it would refuse
or block blocks them. For each record it would create, the QuickBooks objects that look alike
but not exactly (`core.matches`) are proposed, never linked.

The answer (JSON-ready)::

    {"connection_id": "con_...", "generated_at": "...", "mirror_pulled_at": "..." | null,
     "counts": {"create": 0, "link": 0, "adopt": 0, "update": 0, "refuse": 0, "blocked": 0,
                "draft": 0, "nothing": 0, "remove": 0, "settle": 0},
     "records": [{"type": "invoice", "id": "inv-1", "status": "pending", "step": "create",
                  "quickbooks_id": null, "problems": [...], "proposed_matches": [...],
                  "blocked_by": null, "changes": [], "operation": null, "held": false}]}

``step`` is one of the counts; ``status`` the record's sync status now; ``quickbooks_id`` is
what it would link to (``link``: found by look-up; ``adopt``: the object the app named when it
sent the record) or is linked to already; ``problems`` ({code, field, message,
title, actions, params}) say why it is refused or blocked; ``proposed_matches`` (``create``
only) are {quickbooks_entity, quickbooks_id, name, number, amount, date, why}: a name for
customers, vendors and items, a number, amount and date for documents; ``changes`` name the
QuickBooks fields an update would send; ``operation`` is ``delete``, ``void`` or ``deactivate``
for a removal; ``settle``: a write of an earlier sync whose outcome is still unknown would be
settled first. ``held``: the record waits for a push request (the connection's auto_push
leaves its type out, `engine.holding`); its step is what that push would do, and a record a
sync pushes that needs it releases it, so records after it are planned as if it went first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog, graph, mapping, planner
from ledgerbridge.core.matches import Around, proposals
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RecordKey, RecordType
from ledgerbridge.core.status import Status
from ledgerbridge.engine.context import NEW_ID, Gathered, Surroundings, all_records
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.views import ProblemView
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.links import StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.scans import Scans
from ledgerbridge.storage.sync_states import StoredState, SyncStates
from ledgerbridge.storage.tables import utcnow

__all__ = ["STEPS", "dry_run"]

STEPS = (
    "create",
    "link",
    "adopt",
    "update",
    "refuse",
    "blocked",
    "draft",
    "nothing",
    "remove",
    "settle",
)


def dry_run(ledger: Ledger, connection_id: str) -> dict[str, Any]:
    """What a sync of the connection would do now (see the module docstring)."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            raise LookupError(f"connection {connection_id}")
        run = _Run(session, Surroundings(connection), connection_id)
        records = run.plan_all()
        pulled = connection.last_pull_at
    counts = dict.fromkeys(STEPS, 0)
    for entry in records:
        counts[entry["step"]] += 1
    return {
        "connection_id": connection_id,
        "generated_at": ledger.clock().isoformat(),
        "mirror_pulled_at": pulled.isoformat() if pulled else None,
        "counts": counts,
        "records": records,
    }


class _Run:
    def __init__(self, session: Session, surroundings: Surroundings, connection_id: str) -> None:
        self.session = session
        self.surroundings = surroundings
        self.cid = connection_id
        self.mirror = Mirror(session, connection_id)
        self.scans = Scans(session, connection_id)

    def plan_all(self) -> list[dict[str, Any]]:
        stored = all_records(self.session, self.cid)
        states = {(s.type, s.app_id): s for s in SyncStates(self.session).all(self.cid)}
        parents: dict[RecordKey, RecordKey | None] = {}
        for record in stored.values():
            if record.type == "customer":
                parent = record.data.get("parent_id")
                child = RecordKey("customer", record.app_id)
                known = parent if isinstance(parent, str) else None  # not so when damaged
                parents[child] = RecordKey("customer", known) if known else None
        order = graph.depth_order(list(stored), parents)
        planned = []
        for key in order:
            state = states.get((key.type, key.app_id)) or _fresh(key)
            entry = self.plan_one(key, state)
            if entry is not None:
                planned.append(entry)
        return planned

    def plan_one(self, key: RecordKey, state: StoredState) -> dict[str, Any] | None:
        gathered = self.surroundings.situation(self.session, key, state)
        if gathered is None:
            return None
        if isinstance(gathered, list):  # what the app sent does not parse
            self.surroundings.assume(key, status=Status.ERROR)
            return _entry(key, state, "refuse", problems=gathered)
        situation = gathered.situation
        if situation.record is None and gathered.link is None:
            return None  # deleted in the app, never in QuickBooks: nothing to do
        step = self.surroundings.plan(self.session, gathered)
        return self._outcome(key, state, gathered, step)

    def _outcome(
        self, key: RecordKey, state: StoredState, gathered: Gathered, step: planner.Step
    ) -> dict[str, Any]:
        link = gathered.link
        linked_id = link.qbo_id if link is not None else None
        entity = mapping.ENTITY[key.type]
        assume = self.surroundings.assume
        if isinstance(step, planner.Create):
            assume(key, status=Status.SYNCED, link=_new_link(key, entity))
            # the look-alikes of the record as the app has it (a policy may rename what is sent)
            record = gathered.situation.record or step.record
            proposed = [proposal.to_json() for proposal in proposals(record, self.around())]
            return _entry(key, state, "create", proposed=proposed)
        if isinstance(step, planner.LinkExisting):
            target = step.target
            assume(key, status=Status.SYNCED, link=_link_to(key, target))
            adopted = "adopt" if step.adopted else "link"
            return _entry(key, state, adopted, quickbooks_id=target.qbo_id)
        if isinstance(step, planner.Update):
            return _entry(key, state, "update", quickbooks_id=linked_id, changes=sorted(step.body))
        if isinstance(step, planner.Remove):
            return _entry(key, state, "remove", quickbooks_id=linked_id, operation=step.operation)
        if isinstance(step, planner.Settle):
            return _entry(
                key, state, "settle", quickbooks_id=linked_id, operation=step.pending.operation
            )
        if isinstance(step, planner.Refuse):
            assume(key, status=Status.ERROR)
            return _entry(key, state, "refuse", quickbooks_id=linked_id, problems=step.problems)
        if isinstance(step, planner.Block):
            assume(key, status=Status.BLOCKED)
            return _entry(
                key, state, "blocked", quickbooks_id=linked_id, problems=[step.problem], by=step.by
            )
        if isinstance(step, planner.Wait):
            # a dependency that this run neither creates nor links: a sync would wait for it
            assume(key, status=Status.BLOCKED)
            return _entry(
                key,
                state,
                "blocked",
                quickbooks_id=linked_id,
                problems=[_waiting(key, step.on)],
                by=step.on,
            )
        if isinstance(step, planner.Draft):
            assume(key, status=Status.DRAFT)
            return _entry(key, state, "draft", quickbooks_id=linked_id)
        return _entry(key, state, "nothing", quickbooks_id=linked_id)

    def around(self) -> Around:
        surroundings = self.surroundings
        session = self.session

        def party(record_type: RecordType, app_id: str) -> MirrorObject | None:
            return surroundings.linked_object(session, RecordKey(record_type, app_id))

        def owned(obj: MirrorObject) -> bool:
            return surroundings.owner(session, obj.entity, obj.qbo_id) is not None

        def payments(customer: str) -> list[MirrorObject]:
            return [seen.obj for seen in self.scans.mirror("Payment", party=customer)]

        return Around(self.mirror, surroundings.policies, party, owned, payments)


def _fresh(key: RecordKey) -> StoredState:
    """The sync state of a record that has none yet: pending, never pushed."""
    return StoredState(
        type=key.type,
        app_id=key.app_id,
        status=Status.PENDING,
        problem=None,
        blocked_by_type=None,
        blocked_by_id=None,
        attempts=0,
        next_attempt_at=None,
        pending_request_id=None,
        pending_operation=None,
        pending_body=None,
        desired_version=1,
        synced_version=None,
        updated_at=utcnow(),
    )


def _new_link(key: RecordKey, entity: str) -> StoredLink:
    return StoredLink(key.type, key.app_id, entity, f"{NEW_ID}{key}", "0", None, None)


def _link_to(key: RecordKey, target: MirrorObject) -> StoredLink:
    return StoredLink(
        key.type, key.app_id, target.entity, target.qbo_id, target.sync_token, None, None
    )


def _waiting(key: RecordKey, on: RecordKey) -> Problem:
    if key.type == "customer":
        code = catalog.CUSTOMER_PARENT_NOT_SYNCED
    elif key.type == "payment" and on.type == "customer":
        code = catalog.INVOICE_CUSTOMER_NOT_SYNCED
    else:
        code = planner.WAITING_CODES.get(on.type, catalog.INVOICE_CUSTOMER_NOT_SYNCED)
    return Problem(
        code,
        None,
        f"{on} would not be in QuickBooks after this sync, so {key} would wait for it",
        {"type": on.type, "id": on.app_id},
    )


def _problem(problem: Problem) -> dict[str, Any]:
    view = ProblemView.of(problem.to_json())
    return {
        "code": problem.code,
        "field": problem.field,
        "message": problem.message,
        "title": view.title,
        "actions": list(view.actions),
        "params": {name: value for name, value in problem.params.items()},
    }


def _entry(
    key: RecordKey,
    state: StoredState,
    step: str,
    *,
    quickbooks_id: str | None = None,
    problems: Sequence[Problem] = (),
    proposed: list[dict[str, Any]] | None = None,
    by: RecordKey | None = None,
    changes: list[str] | None = None,
    operation: str | None = None,
) -> dict[str, Any]:
    return {
        "type": key.type,
        "id": key.app_id,
        "status": state.status,
        "step": step,
        "quickbooks_id": quickbooks_id,
        "problems": [_problem(p) for p in problems],
        "proposed_matches": proposed or [],
        "blocked_by": {"type": by.type, "id": by.app_id} if by is not None else None,
        "changes": changes or [],
        "operation": operation,
        "held": state.held,
    }
