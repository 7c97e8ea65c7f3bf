"""How long each text of a record may be in QuickBooks: the one list of field limits.

`texts(record, sent)` gives every text field of a record with its limit (`sent` turns a
document's number into the one sent, which a prefix lengthens or QuickBooks' own numbering
leaves out). Preflight turns the texts over
their limit into ``record.field_too_long`` (a payment's reference: ``payment.reference_too_long``)
with Shorten as the fix; `beyond_margin` is what the edge asks before storing a record: a text
so far over its limit (more than `margin` percent) that no one means to shorten it is refused
at once, naming the field, instead of being stored to fail later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import assert_never

from ledgerbridge.core import catalog
from ledgerbridge.core.preflight._context import Text, address_texts, problem
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    Bill,
    Customer,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    Item,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Record,
    Vendor,
    display_name,
)

__all__ = [
    "DEFAULT_MARGIN",
    "NAME_LIMIT",
    "NUMBER_LIMIT",
    "TEXT_LIMIT",
    "beyond_margin",
    "code_of",
    "texts",
]

NAME_LIMIT = 100  # first, last and company names
NUMBER_LIMIT = 21  # document numbers, vendor document numbers, payment references
TEXT_LIMIT = 4000  # memos and line descriptions
DEFAULT_MARGIN = 100
"""Percent over a limit still stored (then Shorten fixes it): twice the limit by default."""


def _as_is(number: str | None) -> str | None:
    return number


def texts(record: Record, sent: Callable[[str | None], str | None] = _as_is) -> list[Text]:
    """Every text of the record that QuickBooks limits; `sent`: a document's number as it
    would be sent (by default the record's own)."""
    match record:
        case Customer():
            return [
                *_party(record),
                *address_texts("billing_address", "billing address", record.billing_address),
                Text("notes", "notes text", record.notes, 2000),
            ]
        case Vendor():
            return [*_party(record), *address_texts("address", "address", record.address)]
        case Item():
            return [
                Text("name", "name", record.name, 100),
                Text("sku", "SKU", record.sku, 100),
                Text("description", "description", record.description, TEXT_LIMIT),
            ]
        case Invoice():
            return [
                Text("number", "invoice number", sent(record.number), NUMBER_LIMIT),
                Text("memo", "memo", record.memo, TEXT_LIMIT),
                *_descriptions(record.lines),
            ]
        case Payment():
            return [Text("reference", "payment reference", record.reference, NUMBER_LIMIT)]
        case Receipt() | Bill():
            return [
                Text(
                    "vendor_document_number",
                    "vendor document number",
                    record.vendor_document_number,
                    NUMBER_LIMIT,
                ),
                Text("memo", "memo", record.memo, TEXT_LIMIT),
                *_descriptions(record.lines),
            ]
        case PurchaseOrder():
            return [
                Text("number", "purchase order number", sent(record.number), NUMBER_LIMIT),
                Text("memo", "memo", record.memo, TEXT_LIMIT),
                *_descriptions(record.lines),
            ]
        case _:
            assert_never(record)


def code_of(record: Record) -> str:
    """The catalog code of a text over its limit in this record."""
    if isinstance(record, Payment):
        return catalog.PAYMENT_REFERENCE_TOO_LONG
    return catalog.RECORD_FIELD_TOO_LONG


def beyond_margin(record: Record, margin: int = DEFAULT_MARGIN) -> list[Problem]:
    """The texts longer than their limit plus `margin` percent of it: QuickBooks can never
    take them, and shortening them would throw most of them away."""
    found: list[Problem] = []
    for text in texts(record):
        allowed = text.limit + text.limit * margin // 100
        if text.value is None or len(text.value) <= allowed:
            continue
        found.append(
            problem(
                code_of(record),
                text.path,
                f"{text.path} has {len(text.value)} characters; QuickBooks accepts at most "
                f"{text.limit}, and more than {allowed} is refused before it is stored",
                field=text.label,
                length=len(text.value),
                limit=text.limit,
            )
        )
    return found


def _party(party: Customer | Vendor) -> list[Text]:
    return [
        Text("display_name", "display name", display_name(party), 500),
        Text("first_name", "first name", party.first_name, NAME_LIMIT),
        Text("last_name", "last name", party.last_name, NAME_LIMIT),
        Text("company_name", "company name", party.company_name, NAME_LIMIT),
        Text("email", "email address", party.email, 100),
        Text("phone", "phone number", party.phone, 30),
    ]


def _descriptions(lines: Sequence[InvoiceLine | ExpenseLine | PurchaseOrderLine]) -> list[Text]:
    return [
        Text(f"lines[{index}].description", "line description", line.description, TEXT_LIMIT)
        for index, line in enumerate(lines)
    ]
