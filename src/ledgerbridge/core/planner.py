"""What to do next for one record: the push pass's decision, as a value.

    plan(situation) -> Step

The order of questions: is a write of ours still unsettled? did the app delete the record? is
it a draft? does QuickBooks still hold the linked object fit to write to (not gone, merged,
voided, or made inactive: `core.drift.stopped`)? is anything it depends on missing or failed?
did the app name the QuickBooks object it is (adopt)? does preflight refuse it, or find it
already in QuickBooks? and finally: create it, update
what changed, or nothing, but "nothing" (synced) only when QuickBooks holds what the engine
sends (`core.drift.changed`, on the mirror's copy): a change made in QuickBooks is sent over,
kept or shown as a problem as the connection's `quickbooks_changes` setting says. Pure: the
caller gathers the situation (storage, mirror) and carries the step out (adapter).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ledgerbridge.core import catalog, drift, lists
from ledgerbridge.core.mapping import Body, changed_fields
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight import Verdict
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Customer, Invoice, Item, Payment, Record, RecordKey, Vendor
from ledgerbridge.core.status import Status, StatusName

OnChange = Literal["ask", "app_wins", "quickbooks_wins"]
"""What a change made in QuickBooks to a synced record leads to: a problem for a person to
decide (``ask``), the app's values sent over it, or QuickBooks' values kept (the app told)."""


@dataclass(frozen=True)
class Dependency:
    key: RecordKey
    status: StatusName | None  # None: the app never sent this record
    linked: bool


@dataclass(frozen=True)
class Pending:
    """A write that was started and whose outcome is not known yet."""

    request_id: str
    operation: Literal["create", "update", "delete", "void"]
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Held:
    """The linked object as QuickBooks holds it (the mirror's copy), for the invariant."""

    current: MirrorObject | None  # None: gone from QuickBooks
    customer_qbo_id: str | None = None  # an invoice: the live customer the app's is linked to
    parties: Mapping[str, str] | None = None  # body field -> the party's live QuickBooks id
    kept: Mapping[str, Any] | None = None  # QuickBooks' values a person chose to keep


@dataclass(frozen=True)
class Link:
    """What this record is linked to in QuickBooks, and what was last pushed there."""

    qbo_id: str
    sync_token: str
    pushed: Mapping[str, Any] | None
    synced_version: int | None
    doc_number: str | None = None
    held: Held | None = None  # None: the mirror has not seen the object


@dataclass(frozen=True)
class Adopt:
    """The app said the record already exists in QuickBooks as this object (`PUT` with
    ``link.quickbooks_id``): linked to it, never created. `target`: the object as the mirror
    holds it (None: not seen there); `taken_by`: the other app record it is linked to."""

    entity: str
    qbo_id: str
    target: MirrorObject | None
    taken_by: RecordKey | None = None


@dataclass(frozen=True)
class Situation:
    key: RecordKey
    record: Record | None  # None: deleted in the app
    version: int
    link: Link | None = None
    pending: Pending | None = None
    dependencies: Sequence[Dependency] = ()
    bypassed: bool = False
    on_change: OnChange = "ask"
    adopt: Adopt | None = None  # only while not linked


# --- steps --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nothing:
    synced: bool = True  # the QuickBooks side already matches
    pushed: Body | None = None  # the body QuickBooks was found to hold, when none was pushed


@dataclass(frozen=True)
class Draft:
    pass


@dataclass(frozen=True)
class Wait:
    on: RecordKey


@dataclass(frozen=True)
class Block:
    by: RecordKey
    problem: Problem


@dataclass(frozen=True)
class Refuse:
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Bypass:
    """Never send it: QuickBooks already has what it would do (an invoice paid there)."""

    problem: Problem


@dataclass(frozen=True)
class LinkExisting:
    target: MirrorObject
    holds: Body | None = None  # the body, when the target already holds it (else: update next)
    adopted: bool = False  # the app named the object (else: preflight's look-up found it)
    # adopted and not holding it all: what the record sends, compared next with the object
    expected: Body | None = None


@dataclass(frozen=True)
class Keep:
    """QuickBooks' values of these fields are kept over the app's (the app is told)."""

    drift: drift.Drift
    kept: Mapping[str, Any]  # `core.drift.kept_values`
    then_update: bool = False  # the app changed other fields: plan again to send them


@dataclass(frozen=True)
class Create:
    body: Body
    record: Record  # the record as pushed (a policy may have adjusted it)
    adjustments: tuple[Problem, ...] = ()  # what a policy changed, for the app to be told


@dataclass(frozen=True)
class Update:
    body: Body  # sparse: only the changed fields
    full: Body
    record: Record
    adjustments: tuple[Problem, ...] = ()
    over_quickbooks: bool = False  # sent over a change seen in QuickBooks, knowingly


@dataclass(frozen=True)
class Remove:
    operation: Literal["delete", "void", "deactivate"]


@dataclass(frozen=True)
class Settle:
    pending: Pending


Step = (
    Nothing
    | Draft
    | Wait
    | Block
    | Refuse
    | Bypass
    | LinkExisting
    | Keep
    | Create
    | Update
    | Remove
    | Settle
)


WAITING_CODES = {
    "customer": catalog.INVOICE_CUSTOMER_NOT_SYNCED,
    "item": catalog.INVOICE_ITEM_NOT_SYNCED,
    "invoice": catalog.PAYMENT_INVOICE_NOT_SYNCED,
    "vendor": catalog.VENDOR_NOT_SYNCED,
}


def plan(
    situation: Situation,
    preflight: Callable[[Record], Verdict],
    body_for: Callable[[Record], Body | list[Problem]],
) -> Step:
    if situation.pending is not None:
        return Settle(situation.pending)
    record = situation.record
    if record is None:
        return _removed(situation)
    if situation.bypassed:
        return Nothing(synced=False)
    if _is_draft(record):
        return Draft()
    if isinstance(record, Invoice) and record.status == "void":
        return Remove("void") if situation.link is not None else Nothing(synced=False)
    link = situation.link
    held = link.held if link is not None else None
    linked = _linked(situation, record, link, held) if link is not None and held else None
    if linked is not None:
        stop = drift.stopped(linked)
        if stop is not None:
            return Refuse((stop.problem,))
    if link is not None and link.synced_version == situation.version:
        if linked is None or held is None:
            return Nothing()  # already pushed; preflight is for what will be sent
        expected = link.pushed
        if expected is None:  # linked, never pushed: compare with what the record sends
            built = body_for(record)
            if isinstance(built, list):
                return Nothing()
            expected = built
        found = drift.changed(linked, expected, customer_qbo_id=held.customer_qbo_id)
        if found is None:
            return Nothing(pushed=dict(expected) if link.pushed is None else None)
        return _changed_in_quickbooks(situation, found, dict(expected), record, {})
    waiting = _dependencies(situation)
    if waiting is not None:
        return waiting
    if link is None and situation.adopt is not None:
        return _adopt(situation.adopt, record, body_for)
    verdict = preflight(record)
    if verdict.problems:
        paid = _paid_in_quickbooks(record, verdict.problems)
        return Bypass(paid) if paid is not None else Refuse(verdict.problems)
    pushed_record = verdict.adjusted or record
    if situation.link is None and verdict.link_to is not None:
        target = verdict.link_to
        found_body = body_for(pushed_record)
        holds = (
            found_body
            if not isinstance(found_body, list) and drift.holds(record, found_body, target)
            else None
        )
        return LinkExisting(target, holds)
    body = body_for(pushed_record)
    if isinstance(body, list):
        return Refuse(tuple(body))
    adjustments = verdict.warnings if verdict.adjusted is not None else ()
    if link is None:
        return Create(body, pushed_record, adjustments)
    if link.pushed is None and held is not None and held.current is not None:
        # linked to an object found in QuickBooks, never pushed: send what it lacks
        fields = drift.lacking(record, body, held.current)
        changes = {k: v for k, v in body.items() if k in fields}
    else:
        changes = changed_fields(link.pushed, body)
    if linked is not None and held is not None:
        found = drift.changed(
            linked, body, customer_qbo_id=held.customer_qbo_id, leave=frozenset(changes)
        )
        if found is not None:
            return _changed_in_quickbooks(situation, found, body, pushed_record, changes)
    if not changes:
        return Nothing(pushed=body if link.pushed is None else None)
    return Update(changes, body, pushed_record, adjustments)


def _adopt(
    adopt: Adopt, record: Record, body_for: Callable[[Record], Body | list[Problem]]
) -> Step:
    """Link to the object the app named: nothing is created. What the record holds otherwise
    is then sent or asked about as for any linked record (`quickbooks_changes`); preflight's
    look-up is not asked (the object the app named holds the record's name by design)."""
    params = {"entity": adopt.entity, "quickbooks_id": adopt.qbo_id}
    if adopt.target is None:
        return Refuse(
            (
                Problem(
                    catalog.RECORD_LINK_TARGET_MISSING,
                    "link.quickbooks_id",
                    f"QuickBooks has no {adopt.entity} {adopt.qbo_id} (as last read)",
                    params,
                ),
            )
        )
    if adopt.taken_by is not None:
        other = str(adopt.taken_by)
        return Refuse(
            (
                Problem(
                    catalog.RECORD_LINK_TARGET_TAKEN,
                    "link.quickbooks_id",
                    f"QuickBooks {adopt.entity} {adopt.qbo_id} is linked to app record {other}",
                    {**params, "other": other},
                ),
            )
        )
    restricted = lists.restriction(adopt.entity, adopt.target.data)
    if restricted is not None and restricted.code == catalog.ITEM_CATEGORY_READ_ONLY:
        # a category is no item: linking the app's item to it would send an item's fields
        # over a category's
        return Refuse(
            (
                Problem(
                    restricted.code,
                    "link.quickbooks_id",
                    f"QuickBooks Item {adopt.qbo_id} is a category: {restricted.message}",
                    {**params, "name": adopt.target.name or ""},
                ),
            )
        )
    built = body_for(record)
    holds = (
        built if not isinstance(built, list) and drift.holds(record, built, adopt.target) else None
    )
    return LinkExisting(
        adopt.target,
        holds,
        adopted=True,
        expected=None if holds is not None or isinstance(built, list) else built,
    )


def _linked(situation: Situation, record: Record, link: Link, held: Held) -> drift.Linked:
    return drift.Linked(
        situation.key,
        record,
        link.qbo_id,
        link.doc_number,
        link.pushed,
        held.current,
        kept=held.kept,
        parties=held.parties,
    )


def _changed_in_quickbooks(
    situation: Situation,
    found: drift.Drift,
    expected: Body,
    record: Record,
    changes: Mapping[str, Any],
) -> Step:
    """QuickBooks holds the record otherwise than the engine sends it: what the connection's
    setting says (a person decides by default). Where it sits and its accounts are always
    a person's question (move back, align account)."""
    problem = found.problem
    if problem.code != catalog.RECORD_CHANGED_IN_QUICKBOOKS or situation.on_change == "ask":
        return Refuse((problem,))
    link = situation.link
    assert link is not None and link.held is not None and link.held.current is not None
    fields = [f for f in str(problem.params.get("fields") or "").split(", ") if f]
    if situation.on_change == "app_wins":
        body = {**changes, **{f: expected[f] for f in fields if f in expected}}
        return Update(body, expected, record, over_quickbooks=True)
    kept = {**(link.held.kept or {})}
    kept.update(drift.kept_values(fields, expected, link.held.current.data))
    return Keep(found, kept, then_update=bool(changes))


def _paid_in_quickbooks(record: Record, problems: Sequence[Problem]) -> Problem | None:
    """An unsynced payment whose every invoice QuickBooks shows fully paid: sending it would
    pay them twice, so it is bypassed (invoice.paid_in_quickbooks) instead of failing."""
    if not isinstance(record, Payment) or not problems:
        return None
    if any(
        p.code != catalog.PAYMENT_INVOICE_ALREADY_PAID or p.params.get("open_balance") != "0.00"
        for p in problems
    ):
        return None
    if len(problems) != len(record.applied_to):
        return None
    first = problems[0]
    return Problem(
        catalog.INVOICE_PAID_IN_QUICKBOOKS,
        first.field,
        "QuickBooks shows every invoice of this payment fully paid; it is not sent, so "
        "nothing is paid twice",
        {"number": first.params.get("number"), "quickbooks_id": first.params.get("quickbooks_id")},
    )


def _is_draft(record: Record) -> bool:
    return (isinstance(record, Invoice) and record.status == "draft") or (
        isinstance(record, Payment) and not record.posted
    )


def _removed(situation: Situation) -> Step:
    if situation.link is None:
        return Nothing(synced=False)
    if situation.key.type in ("customer", "vendor", "item"):
        return Remove("deactivate")
    return Remove("delete")


def _dependencies(situation: Situation) -> Step | None:
    for dependency in situation.dependencies:
        if dependency.linked:
            continue
        code = _waiting_code(situation.key, dependency.key)
        if dependency.status is None and dependency.key.type == "item":
            code = catalog.ITEM_NOT_MATCHED  # no link, and nothing in the app to create it from
        if dependency.status is None:
            problem = Problem(
                code,
                _field_for(situation, dependency.key),
                f"{dependency.key} was never sent to ledgerbridge",
                {"type": dependency.key.type, "id": dependency.key.app_id},
            )
            return Block(dependency.key, problem)
        if dependency.status in (Status.ERROR, Status.BLOCKED, Status.BYPASSED):
            problem = Problem(
                code,
                _field_for(situation, dependency.key),
                f"{dependency.key} is {dependency.status}",
                {"type": dependency.key.type, "id": dependency.key.app_id},
            )
            return Block(dependency.key, problem)
        return Wait(dependency.key)
    return None


def _waiting_code(key: RecordKey, dependency: RecordKey) -> str:
    if key.type == "customer":
        return catalog.CUSTOMER_PARENT_NOT_SYNCED
    if key.type == "payment" and dependency.type == "customer":
        return catalog.INVOICE_CUSTOMER_NOT_SYNCED
    return WAITING_CODES.get(dependency.type, catalog.INVOICE_CUSTOMER_NOT_SYNCED)


def _field_for(situation: Situation, dependency: RecordKey) -> str:
    record = situation.record
    if isinstance(record, Customer):
        return "parent_id"
    if dependency.type == "vendor":
        return "vendor_id"
    if dependency.type == "invoice":
        return "applied_to"
    if dependency.type == "item":
        return "lines"
    if isinstance(record, Vendor | Item):
        return "id"
    return "customer_id"
