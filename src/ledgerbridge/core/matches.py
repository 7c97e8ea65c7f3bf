"""Weak matches: QuickBooks objects that look like a record about to be created, but not
exactly enough to link it by themselves.

    proposals(record, around) -> [Proposal]

Before the first push into a company that already holds data, the dry run shows for each record
it would create what an office user may want to link it to instead. Preflight links exact
matches by itself (`core.preflight`); what is left and still alike is proposed here, never
linked:

- customer / vendor: the unlinked one of the same name with another or no email, or the same
  email under another name;
- item: the unlinked item of the same name with another or no SKU, or the same SKU under
  another name;
- invoice, purchase order: the unlinked one with the number the app would send, for another
  customer (vendor) or another total; receipt, bill: the same with the vendor document number;
- payment: the unlinked payments of the same customer and amount dated within
  `PAYMENT_DAYS` days.

Objects linked (or about to be linked) to another app record are never proposed. Pure: the
caller says what is linked where (`Around`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, assert_never

from ledgerbridge.core.mirror import MirrorObject, MirrorView, name_key
from ledgerbridge.core.money import total
from ledgerbridge.core.preflight import (
    Policies,
    mirror_amount,
    mirror_date,
    pushed_number,
    same_total,
)
from ledgerbridge.core.records import (
    Bill,
    Customer,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Record,
    RecordType,
    Vendor,
    display_name,
)

__all__ = ["PAYMENT_DAYS", "Around", "Proposal", "proposals"]

PAYMENT_DAYS = 3  # how far apart the dates of a payment and its look-alike may be
_CATEGORY = "Category"


@dataclass(frozen=True)
class Proposal:
    """A QuickBooks object that may be the record, and why it looks so."""

    entity: str
    qbo_id: str
    why: str
    name: str | None = None  # customers, vendors, items
    number: str | None = None  # documents
    amount: Decimal | None = None
    date: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "quickbooks_entity": self.entity,
            "quickbooks_id": self.qbo_id,
            "name": self.name,
            "number": self.number,
            "amount": str(self.amount) if self.amount is not None else None,
            "date": self.date.isoformat() if self.date is not None else None,
            "why": self.why,
        }


@dataclass(frozen=True)
class Around:
    """What the record's surroundings are, as far as matching goes."""

    mirror: MirrorView
    policies: Policies
    # the QuickBooks object an app customer or vendor is linked to (None: not in QuickBooks)
    party: Callable[[RecordType, str], MirrorObject | None]
    # whether a QuickBooks object is linked (or about to be) to an app record
    owned: Callable[[MirrorObject], bool]
    # the QuickBooks payments of a QuickBooks customer (its Id)
    payments: Callable[[str], Sequence[MirrorObject]]


def proposals(record: Record, around: Around) -> list[Proposal]:
    """The look-alikes of a record that would be created, best first, each object once."""
    match record:
        case Customer():
            found = _people(around, "Customer", display_name(record), record.email)
        case Vendor():
            found = _people(around, "Vendor", display_name(record), record.email)
        case Item():
            found = _items(around, record)
        case Invoice():
            number = pushed_number(record.number, around.policies)
            party = around.party("customer", record.customer_id)
            found = _documents(around, "Invoice", number, party, record.total, "customer")
        case PurchaseOrder():
            number = pushed_number(record.number, around.policies)
            party = around.party("vendor", record.vendor_id)
            found = _documents(around, "PurchaseOrder", number, party, record.total, "vendor")
        case Bill():
            party = around.party("vendor", record.vendor_id)
            number = record.vendor_document_number
            found = _documents(around, "Bill", number, party, record.total, "vendor")
        case Receipt():
            party = around.party("vendor", record.vendor_id)
            number = record.vendor_document_number
            found = _documents(around, "Purchase", number, party, record.total, "vendor")
        case Payment():
            found = _payments(around, record)
        case _:
            assert_never(record)
    return _once(found)


def _once(found: Iterable[Proposal]) -> list[Proposal]:
    seen: set[tuple[str, str]] = set()
    result = []
    for proposal in found:
        if (proposal.entity, proposal.qbo_id) not in seen:
            seen.add((proposal.entity, proposal.qbo_id))
            result.append(proposal)
    return result


def _people(around: Around, entity: str, name: str, email: str | None) -> list[Proposal]:
    found: list[Proposal] = []
    holder = around.mirror.person_named(name)
    if holder is not None and holder.entity == entity and not around.owned(holder):
        found.append(
            Proposal(
                entity, holder.qbo_id, _email_difference(email, holder.email), name=holder.name
            )
        )
    if email and email.strip():
        for obj in around.mirror.with_email(entity, email):
            if name_key(obj.name) != name_key(name) and not around.owned(obj):
                found.append(
                    Proposal(entity, obj.qbo_id, "same email, different name", name=obj.name)
                )
    return found


def _email_difference(ours: str | None, theirs: str | None) -> str:
    if not (ours and ours.strip()) and not theirs:
        return "same name; neither has an email to confirm it"
    if not (ours and ours.strip()):
        return "same name; QuickBooks has an email, the app none"
    if not theirs:
        return "same name; the app has an email, QuickBooks none"
    if name_key(ours) != name_key(theirs):
        return "same name, different email"
    return "same name and email, under another parent customer"


def _items(around: Around, item: Item) -> list[Proposal]:
    found: list[Proposal] = []
    holder = around.mirror.named("Item", item.name)
    if _usable_item(around, holder):
        assert holder is not None
        if not item.sku:
            why = "same name" + ("; QuickBooks has a SKU, the app none" if holder.sku else "")
        elif not holder.sku:
            why = "same name; the app has a SKU, QuickBooks none"
        elif name_key(holder.sku) != name_key(item.sku):
            why = "same name, different SKU"
        else:
            why = "same name and SKU"
        found.append(Proposal("Item", holder.qbo_id, why, name=holder.name))
    if item.sku:
        same_sku = around.mirror.with_sku(item.sku)
        if _usable_item(around, same_sku):
            assert same_sku is not None
            why = "same SKU, different name"
            if name_key(same_sku.name) == name_key(item.name):
                why = "same SKU and name"
            found.append(Proposal("Item", same_sku.qbo_id, why, name=same_sku.name))
    return found


def _usable_item(around: Around, obj: MirrorObject | None) -> bool:
    return obj is not None and obj.data.get("Type") != _CATEGORY and not around.owned(obj)


def _documents(
    around: Around,
    entity: str,
    number: str | None,
    party: MirrorObject | None,
    total: Decimal,
    party_word: str,
) -> list[Proposal]:
    if not number:
        return []
    found: list[Proposal] = []
    for obj in around.mirror.numbered(entity, number):
        if around.owned(obj):
            continue
        differences = []
        if party is None or obj.parent_id != party.qbo_id:
            differences.append(f"another {party_word}")
        if not same_total(obj.data, total):
            differences.append("another amount")
        why = "same number" + (", " + " and ".join(differences) if differences else "")
        found.append(_document(obj, why))
    return found


def _document(obj: MirrorObject, why: str) -> Proposal:
    amount = mirror_amount(obj.data.get("TotalAmt"))
    return Proposal(
        obj.entity,
        obj.qbo_id,
        why,
        number=obj.doc_number,
        amount=total([amount]) if amount is not None else None,  # to the cent: "300.00"
        date=mirror_date(obj.data.get("TxnDate")),
    )


def _payments(around: Around, payment: Payment) -> list[Proposal]:
    customer = around.party("customer", payment.customer_id)
    if customer is None:
        return []
    found: list[tuple[int, Proposal]] = []
    for obj in around.payments(customer.qbo_id):
        if around.owned(obj) or mirror_amount(obj.data.get("TotalAmt")) != payment.amount:
            continue
        day = mirror_date(obj.data.get("TxnDate"))
        if day is None or abs((day - payment.date).days) > PAYMENT_DAYS:
            continue
        apart = abs((day - payment.date).days)
        why = "same customer and amount, " + (
            "same date" if apart == 0 else f"{apart} day{'s' if apart > 1 else ''} apart"
        )
        found.append((apart, _document(obj, why)))
    return [proposal for _, proposal in sorted(found, key=lambda pair: pair[0])]
