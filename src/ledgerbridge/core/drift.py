"""Drift: what people changed in QuickBooks under a linked record, as values. This is the
one place the product's invariant is checked: a record is synced only while QuickBooks holds
what the engine sends for the app's current version.

    found = drift(Linked(key, record, qbo_id, doc_number, pushed, current), customer_qbo_id=...)
    step = decide(Standing(status, code, params, writing), found, qbo_id)   # Flag | Clear | None

`drift` compares one linked app record with its QuickBooks object (``current``: the mirror's
copy, or a fresh read for `verify`; ``None`` when it is gone) and with what was last pushed
there. `stopped` asks the questions that make any write pointless, `changed` compares values:

- a document gone from QuickBooks: ``<type>.deleted_in_quickbooks``; a customer or vendor gone
  (QuickBooks never deletes one: it was merged away and not re-linked):
  ``customer.merged_in_quickbooks``, ``vendor.merged_in_quickbooks``;
- an invoice voided in QuickBooks while the app's invoice is not void:
  ``invoice.voided_in_quickbooks``; one under another customer than the one the app's customer
  is linked to: ``invoice.moved_in_quickbooks``;
- a customer, vendor or item made inactive while the app's record is active:
  ``<type>.inactive_in_quickbooks``;
- an item whose income or expense account is not the one pushed: ``item.account_mismatch``;
- any other value QuickBooks holds otherwise than it was sent, compared normalized
  (`core.compare`: amounts, quantities, dates, references, lines in order; never formatting):
  ``record.changed_in_quickbooks``, with both values. A difference a person chose to keep
  (``kept``: QuickBooks' value of a field, and the app's value it was kept over) is none.

`decide` turns a finding into what happens to the record's sync state, so that each change is
told once: only a synced record (or one already failing with a drift) is flagged, never one
with a write in flight; the same finding twice changes nothing; a drift that went away by
itself (moved back, account changed back) clears. The pull side also settles merges of
customers and vendors (`merge_survivor`) and payments of invoices paid in QuickBooks
(`is_paid`, `paid_problem`).
Pure: the engine (`engine.drift`, `core.planner`, `engine.verify`) reads and carries out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from ledgerbridge.core import catalog, compare
from ledgerbridge.core.classify import field_label
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight import mirror_amount
from ledgerbridge.core.problems import ParamValue, Problem
from ledgerbridge.core.records import (
    Bill,
    Customer,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Record,
    RecordKey,
    RecordType,
    Vendor,
)
from ledgerbridge.core.status import Status

__all__ = [
    "CLEARS_BY_ITSELF",
    "DELETED_CODES",
    "DRIFT_CODES",
    "INACTIVE_CODES",
    "INVOICE_PARTY",
    "MERGED_CODES",
    "STOPPED_BY_INACTIVE",
    "Clear",
    "Drift",
    "Flag",
    "Linked",
    "Standing",
    "changed",
    "decide",
    "drift",
    "holds",
    "is_invoice",
    "is_paid",
    "is_stale",
    "is_voided",
    "judge",
    "kept_values",
    "lacking",
    "merge_survivor",
    "merged_problem",
    "moved_to",
    "paid_problem",
    "parties",
    "stopped",
]

DELETED_CODES: Final[Mapping[RecordType, str]] = {
    "invoice": catalog.INVOICE_DELETED_IN_QUICKBOOKS,
    "payment": catalog.PAYMENT_DELETED_IN_QUICKBOOKS,
    "purchase_order": catalog.PURCHASE_ORDER_DELETED_IN_QUICKBOOKS,
    "receipt": catalog.RECEIPT_DELETED_IN_QUICKBOOKS,
    "bill": catalog.BILL_DELETED_IN_QUICKBOOKS,
}
INACTIVE_CODES: Final[Mapping[RecordType, str]] = {
    "customer": catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
    "vendor": catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
    "item": catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
}
STOPPED_BY_INACTIVE: Final[Mapping[str, str]] = {
    catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS: "Customer",
    catalog.INVOICE_CUSTOMER_INACTIVE: "Customer",
    catalog.ITEM_INACTIVE_IN_QUICKBOOKS: "Item",
    catalog.VENDOR_INACTIVE_IN_QUICKBOOKS: "Vendor",
    catalog.CLASS_INACTIVE_IN_QUICKBOOKS: "Class",
}
"""The problems of a record stopped by a QuickBooks object being inactive: code -> the
object's entity (the problem's `quickbooks_id` names it). Reactivating it clears them."""
CLEARS_BY_ITSELF: Final[frozenset[str]] = frozenset(
    {
        catalog.INVOICE_MOVED_IN_QUICKBOOKS,
        catalog.ITEM_ACCOUNT_MISMATCH,
        *INACTIVE_CODES.values(),
        catalog.RECORD_CHANGED_IN_QUICKBOOKS,
    }
)
"""Drifts a later change in QuickBooks can undo (moved back, changed back, reactivated)."""
DRIFT_CODES: Final[frozenset[str]] = CLEARS_BY_ITSELF | {
    *DELETED_CODES.values(),
    catalog.INVOICE_VOIDED_IN_QUICKBOOKS,
    catalog.CUSTOMER_MERGED_IN_QUICKBOOKS,
    catalog.VENDOR_MERGED_IN_QUICKBOOKS,
}
"""Every code the pull side sets on a linked record."""

_ACCOUNTS: Final = (
    ("income_account", "IncomeAccountRef"),
    ("expense_account", "ExpenseAccountRef"),
)
_CUSTOMER_PARTIES: Final = frozenset(
    {"Customer", "Invoice", "Payment", "SalesReceipt", "CreditMemo", "Estimate"}
)
"""Objects whose `parent_id` is a customer (sub-customers: ParentRef; sales: CustomerRef)."""
_VENDOR_PARTIES: Final = frozenset({"Bill", "PurchaseOrder", "VendorCredit", "BillPayment"})
"""Objects whose `parent_id` is a vendor (VendorRef); an expense (Purchase) names its payee in
EntityRef, a vendor when its type says so."""
MERGED_CODES: Final[Mapping[str, str]] = {
    "Customer": catalog.CUSTOMER_MERGED_IN_QUICKBOOKS,
    "Vendor": catalog.VENDOR_MERGED_IN_QUICKBOOKS,
}
"""The lists QuickBooks merges (and never deletes), and the code of a merge not followed."""


@dataclass(frozen=True)
class Linked:
    """A linked app record and its QuickBooks side."""

    key: RecordKey
    record: Record
    qbo_id: str
    doc_number: str | None
    pushed: Mapping[str, Any] | None  # the body last pushed (None: linked, never pushed)
    current: MirrorObject | None  # the QuickBooks object now; None: gone from QuickBooks
    kept: Mapping[str, Any] | None = None  # QuickBooks' values a person chose (`kept_values`)
    parties: Mapping[str, str] | None = None  # body field -> the party's live QuickBooks id


@dataclass(frozen=True)
class Drift:
    """A finding: the record's problem, and the event that tells the app."""

    problem: Problem
    event: str

    def payload(self, key: RecordKey) -> dict[str, ParamValue]:
        return {"type": key.type, "id": key.app_id, **self.problem.params}


@dataclass(frozen=True)
class Standing:
    """Where the record stands now (its sync state)."""

    status: str
    code: str | None = None
    params: Mapping[str, Any] | None = None
    writing: bool = False  # a write of ours is in flight (pending_request_id)


@dataclass(frozen=True)
class Flag:
    drift: Drift


@dataclass(frozen=True)
class Clear:
    code: str


INVOICE_PARTY: Final = "CustomerRef"
"""Where an invoice sits: asked by the "moved" rule, not compared as a value."""


def is_invoice(record: Record) -> bool:
    return isinstance(record, Invoice)


def parties(record: Record) -> dict[str, RecordKey]:
    """The body fields that name another app record's QuickBooks object (the customer a
    payment, invoice or sub-customer belongs to, the vendor of a bill): compared with that
    record's live link, since a merge in QuickBooks re-links it."""
    if isinstance(record, Customer):
        return {"ParentRef": RecordKey("customer", record.parent_id)} if record.parent_id else {}
    if isinstance(record, Invoice | Payment):
        return {"CustomerRef": RecordKey("customer", record.customer_id)}
    if isinstance(record, Bill | PurchaseOrder):
        return {"VendorRef": RecordKey("vendor", record.vendor_id)}
    if isinstance(record, Receipt):
        return {"EntityRef": RecordKey("vendor", record.vendor_id)}
    return {}


def judge(linked: Linked) -> Drift | None:
    """`drift` of a linked record whose `parties` hold every party's live QuickBooks id: an
    invoice's customer is asked by the "moved" rule, the others compared as values."""
    parties = dict(linked.parties or {})
    customer = parties.pop(INVOICE_PARTY, None) if isinstance(linked.record, Invoice) else None
    return drift(dataclasses.replace(linked, parties=parties), customer_qbo_id=customer)


def drift(linked: Linked, *, customer_qbo_id: str | None = None) -> Drift | None:
    """What drifted under `linked`, if anything: `stopped`, else `changed` against what was
    last pushed. `customer_qbo_id`: the live QuickBooks customer the app's invoice customer is
    linked to (None: not linked, or merged away)."""
    return stopped(linked) or changed(linked, linked.pushed, customer_qbo_id=customer_qbo_id)


def stopped(linked: Linked) -> Drift | None:
    """What makes the QuickBooks object unfit whatever values are sent: gone, merged away,
    voided, or made inactive while the app has it active."""
    record, current = linked.record, linked.current
    if current is None:
        if isinstance(record, Customer | Vendor):
            entity = "Customer" if isinstance(record, Customer) else "Vendor"
            code = MERGED_CODES[entity]
            return Drift(merged_problem(linked.qbo_id, None, entity=entity), code)
        return _deleted(linked)
    if isinstance(record, Invoice):
        if record.status != "void" and is_voided(current, linked.pushed):
            return _invoice_drift(linked, catalog.INVOICE_VOIDED_IN_QUICKBOOKS, "voided", {})
        return None
    if isinstance(record, Customer | Vendor | Item) and not current.active and record.active:
        code = INACTIVE_CODES[linked.key.type]
        problem = Problem(
            code,
            "active",
            f"QuickBooks {current.entity} {current.qbo_id} was made inactive in QuickBooks",
            {"quickbooks_id": current.qbo_id, "name": current.name},
        )
        return Drift(problem, "record.inactive_in_quickbooks")
    return None


def changed(
    linked: Linked,
    expected: Mapping[str, Any] | None,
    *,
    customer_qbo_id: str | None = None,
    leave: frozenset[str] = frozenset(),
) -> Drift | None:
    """What QuickBooks holds otherwise than `expected` (the body the engine sends for the app's
    version; None: nothing to compare with). `leave`: fields about to be sent anyway."""
    record, current = linked.record, linked.current
    if current is None or not current.data:
        return None
    if isinstance(record, Invoice):
        if record.status == "void" or is_voided(current, linked.pushed):
            return None
        moved_to = current.parent_id
        if (
            "CustomerRef" not in leave
            and customer_qbo_id is not None
            and moved_to
            and moved_to != customer_qbo_id
        ):
            ref = current.data.get("CustomerRef")
            params: dict[str, ParamValue] = {
                "quickbooks_customer_id": moved_to,
                "quickbooks_customer_name": _name_of(ref),
                "app_customer_id": record.customer_id,
            }
            return _invoice_drift(linked, catalog.INVOICE_MOVED_IN_QUICKBOOKS, "moved", params)
    if isinstance(record, Item):
        mismatch = _account_mismatch(linked, record, current)
        if mismatch is not None:
            return mismatch
    if expected is None:
        return None
    body = {k: v for k, v in _comparable(record, expected, current).items() if k not in leave}
    if isinstance(record, Invoice):
        body.pop("CustomerRef", None)  # where an invoice sits is the "moved" question above
    for field, qbo_id in (linked.parties or {}).items():
        if isinstance(body.get(field), Mapping):
            body[field] = {**body[field], "value": qbo_id}  # merged: the survivor is right
    found = [
        d
        for d in compare.differences(body, current.data)
        if not _kept(linked.kept, d.field, body, current.data)
    ]
    return _changed_drift(linked, found, expected) if found else None


def holds(record: Record, body: Mapping[str, Any], current: MirrorObject) -> bool:
    """Whether QuickBooks' object already holds what `body` sends (an object found to link to)."""
    return not lacking(record, body, current)


def lacking(record: Record, body: Mapping[str, Any], current: MirrorObject) -> set[str]:
    """The top-level fields of `body` QuickBooks' object does not hold as sent."""
    found = compare.differences(_comparable(record, body, current), current.data)
    return {d.field for d in found}


def _comparable(
    record: Record, body: Mapping[str, Any], current: MirrorObject
) -> Mapping[str, Any]:
    """What of `body` QuickBooks can hold: a bundle (Group item, read-only through the API)
    keeps only its name and whether it is active; edits to it are refused before sending."""
    if isinstance(record, Item) and current.data.get("Type") == "Group":
        return {k: v for k, v in body.items() if k in ("Name", "Active")}
    return body


def kept_values(
    fields: Iterable[str], expected: Mapping[str, Any], held: Mapping[str, Any]
) -> dict[str, Any]:
    """What "keep QuickBooks' version" remembers per field: QuickBooks' value, and the app's
    value it is kept over (the app changing that field later sends the app's value again)."""
    return {
        field: {
            "app": compare.normalized(expected.get(field)),
            "quickbooks": compare.normalized(held.get(field)),
        }
        for field in fields
    }


def _kept(
    kept: Mapping[str, Any] | None, field: str, body: Mapping[str, Any], held: Mapping[str, Any]
) -> bool:
    entry = (kept or {}).get(field)
    if not isinstance(entry, Mapping):
        return False
    return bool(
        entry.get("app") == compare.normalized(body.get(field))
        and entry.get("quickbooks") == compare.normalized(held.get(field))
    )


def _changed_drift(
    linked: Linked, found: list[compare.Difference], expected: Mapping[str, Any]
) -> Drift:
    first = found[0]
    fields = list(dict.fromkeys(d.field for d in found))
    # the texts a bookkeeper reads name the details in words ("email address"); `field` and
    # `fields` stay QuickBooks' names, which the actions use
    detail = field_label(first.path)
    others = dict.fromkeys(field_label(d.path) for d in found)
    others.pop(detail, None)
    params: dict[str, ParamValue] = {
        "quickbooks_id": linked.qbo_id,
        "quickbooks_number": linked.doc_number,
        "field": first.path,
        "detail": detail,
        "app_value": compare.shown(first.ours, first.path),
        "quickbooks_value": compare.shown(first.theirs, first.path),
        "fields": ", ".join(fields),
        "other_details": ", ".join(o for o in others if o),
    }
    current = linked.current
    assert current is not None
    lines = expected.get("Line")  # the app's total, from what it sends now
    if isinstance(lines, list) and "TotalAmt" in current.data and "Line" in fields:
        total = sum(
            (
                mirror_amount(line.get("Amount")) or Decimal(0)
                for line in lines
                if isinstance(line, Mapping)
            ),
            Decimal(0),
        )
        params["app_total"] = compare.shown(total)
        params["quickbooks_total"] = compare.shown(current.data.get("TotalAmt"))
    problem = Problem(
        catalog.RECORD_CHANGED_IN_QUICKBOOKS,
        None,
        f"QuickBooks {current.entity} {linked.qbo_id} was changed in QuickBooks: "
        + "; ".join(
            f"{d.path} is {compare.shown(d.theirs, d.path)} there, "
            f"{compare.shown(d.ours, d.path)} here"
            for d in found[:5]
        ),
        params,
    )
    return Drift(problem, "record.changed_in_quickbooks")


def decide(standing: Standing, found: Drift | None, qbo_id: str) -> Flag | Clear | None:
    """What a finding does to the record: flag it, clear an old drift, or nothing."""
    if standing.writing:
        return None  # the write settles first; a pull after it looks again
    drifted = standing.status == Status.ERROR and standing.code in DRIFT_CODES
    if standing.status != Status.SYNCED and not drifted:
        return None
    if found is not None:
        same = (
            drifted
            and standing.code == found.problem.code
            and dict(standing.params or {}) == dict(found.problem.params)
        )
        return None if same else Flag(found)
    if (
        drifted
        and standing.code in CLEARS_BY_ITSELF
        and (standing.params or {}).get("quickbooks_id") == qbo_id
    ):
        return Clear(str(standing.code))
    return None


# --- QuickBooks values ---------------------------------------------------------------------------


def is_paid(obj: MirrorObject) -> bool:
    """An invoice with something to pay and nothing left to pay."""
    total = mirror_amount(obj.data.get("TotalAmt"))
    balance = mirror_amount(obj.data.get("Balance"))
    return total is not None and balance is not None and total > 0 and balance == 0


def is_voided(obj: MirrorObject, pushed: Mapping[str, Any] | None) -> bool:
    """QuickBooks voids a document in place: amounts zeroed, "Voided" put before its note."""
    note = str(obj.data.get("PrivateNote") or "")
    if not (note == "Voided" or note.startswith("Voided - ")):
        return False
    if note == (pushed or {}).get("PrivateNote"):
        return False  # the app's own memo says so
    return mirror_amount(obj.data.get("TotalAmt")) == 0


def is_stale(obj: MirrorObject, sync_token: str) -> bool:
    """The mirror's copy is older than the version we last wrote (a read raced our write)."""
    try:
        return int(obj.sync_token) < int(sync_token)
    except ValueError:
        return False


def merge_survivor(
    gone_id: str,
    moves: Iterable[tuple[MirrorObject | None, MirrorObject]],
    hint: str | None = None,
    *,
    entity: str = "Customer",
) -> str | None:
    """The customer (or vendor: `entity`) `gone_id` was merged into: the merge notice's word
    when there is one, else the one its transactions (and a customer's sub-customers) moved to
    (None: unknown or unclear)."""
    if hint and hint != gone_id:
        return hint
    return survivor_of(gone_id, moved_to([(entity, gone_id)], moves).get((entity, gone_id)))


def survivor_of(gone_id: str, moved: Collection[str] | None, hint: str | None = None) -> str | None:
    """`merge_survivor` from where `moved_to` found `gone_id`'s transactions moved."""
    if hint and hint != gone_id:
        return hint
    return next(iter(moved)) if moved is not None and len(moved) == 1 else None


def moved_to(
    gone: Iterable[tuple[str, str]],
    moves: Iterable[tuple[MirrorObject | None, MirrorObject]],
) -> dict[tuple[str, str], set[str]]:
    """Where the transactions (and a customer's sub-customers) of each merged-away (entity,
    id) of `gone` moved, found in one pass over `moves` (a pull's changed pairs, read back
    from disk: read once for every merge, not once a merge). At most two ids are kept a merge
    (two make its survivor unclear already), so what is held grows with the merges, not with
    the moves."""
    wanted: dict[str, list[str]] = {}
    for entity, gone_id in gone:
        wanted.setdefault(gone_id, []).append(entity)
    found: dict[tuple[str, str], set[str]] = {}
    for before, after in moves:
        if before is None or not before.parent_id or not after.parent_id:
            continue
        if before.parent_id == after.parent_id:
            continue
        for entity in wanted.get(before.parent_id, ()):
            # an expense's payee may have been a customer of that id
            if _party_of(before, entity) and _party_of(after, entity):
                into = found.setdefault((entity, before.parent_id), set())
                if len(into) < 2:
                    into.add(after.parent_id)
    return found


def _party_of(obj: MirrorObject, entity: str) -> bool:
    """Whether `obj`'s `parent_id` names a customer (`entity` "Customer") or a vendor."""
    if entity == "Customer":
        return obj.entity in _CUSTOMER_PARTIES
    if obj.entity == "Purchase":
        payee = obj.data.get("EntityRef")
        return isinstance(payee, Mapping) and payee.get("type") == "Vendor"
    return obj.entity in _VENDOR_PARTIES


def merged_problem(
    gone_id: str,
    into_id: str | None,
    other_app_id: str | None = None,
    *,
    entity: str = "Customer",
) -> Problem:
    """A merge the engine could not follow: the survivor is unknown, or linked to another
    app record (`entity`: "Customer" or "Vendor", the list QuickBooks merged)."""
    params: dict[str, ParamValue] = {"from_quickbooks_id": gone_id}
    if into_id is not None:
        params["into_quickbooks_id"] = into_id
    if other_app_id is not None:
        params["other_app_id"] = other_app_id
    kind = entity.lower()
    why = (
        f"it is already linked to app {kind} {other_app_id}"
        if other_app_id is not None
        else f"the {kind} that remains is unknown"
    )
    return Problem(
        MERGED_CODES[entity],
        None,
        f"QuickBooks {kind} {gone_id} was merged into another; not re-linked: {why}",
        params,
    )


def paid_problem(invoice_id: str, quickbooks_number: str | None) -> Problem:
    return Problem(
        catalog.INVOICE_PAID_IN_QUICKBOOKS,
        "applied_to",
        f"invoice {invoice_id} is already paid in QuickBooks; this payment is not sent",
        {"invoice_id": invoice_id, "quickbooks_number": quickbooks_number},
    )


# --- findings ------------------------------------------------------------------------------------


def _deleted(linked: Linked) -> Drift | None:
    code = DELETED_CODES.get(linked.key.type)
    record = linked.record
    if code is None or (isinstance(record, Invoice) and record.status == "void"):
        return None  # lists are merged or made inactive, not deleted; a void one is gone anyway
    problem = Problem(
        code,
        None,
        f"QuickBooks {linked.key.type} {linked.qbo_id} was deleted in QuickBooks",
        {"quickbooks_id": linked.qbo_id, "quickbooks_number": linked.doc_number},
    )
    return Drift(problem, "record.deleted_in_quickbooks")


def _invoice_drift(linked: Linked, code: str, verb: str, extra: Mapping[str, ParamValue]) -> Drift:
    params: dict[str, ParamValue] = {
        "quickbooks_id": linked.qbo_id,
        "quickbooks_number": linked.doc_number,
        **extra,
    }
    field = "customer_id" if code == catalog.INVOICE_MOVED_IN_QUICKBOOKS else "status"
    problem = Problem(
        code, field, f"QuickBooks invoice {linked.qbo_id} was {verb} in QuickBooks", params
    )
    return Drift(problem, f"invoice.{verb}_in_quickbooks")


def _account_mismatch(linked: Linked, item: Item, current: MirrorObject) -> Drift | None:
    pushed = linked.pushed or {}
    for field, ref_key in _ACCOUNTS:
        sent = _ref_id(pushed.get(ref_key))
        if sent is None:
            continue  # the app never chose this account: QuickBooks' choice stands
        ref = current.data.get(ref_key)
        held = _ref_id(ref)
        if held == sent:
            continue
        problem = Problem(
            catalog.ITEM_ACCOUNT_MISMATCH,
            field,
            f"QuickBooks item {current.qbo_id} uses account {held} as its {field}, "
            f"not account {sent} as pushed",
            {
                "quickbooks_id": current.qbo_id,
                "name": item.name,
                "field": field,
                "app_account": getattr(item, field),
                "quickbooks_account": _name_of(ref),
                "quickbooks_account_id": held,
            },
        )
        return Drift(problem, "item.account_mismatch")
    return None


def _ref_id(ref: object) -> str | None:
    if isinstance(ref, Mapping):
        value = ref.get("value")
        return str(value) if value not in (None, "") else None
    return None


def _name_of(ref: object) -> str | None:
    if isinstance(ref, Mapping) and ref.get("name"):
        return str(ref["name"])
    return None
