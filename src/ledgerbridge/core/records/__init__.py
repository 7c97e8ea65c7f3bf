"""The canonical records: what the app hands to ledgerbridge, as immutable values.

One frozen dataclass per record type (fields as in design.md, "Canonical records"):

- `parties`: `Customer` (with properties and jobs as sub-customers), `Vendor`, `Address`;
- `items`: `Item`;
- `sales`: `Invoice` with `InvoiceLine`, `Payment` with `AppliedPayment`;
- `purchases`: `Receipt` and `Bill` with `ExpenseLine`, `PurchaseOrder` with
  `PurchaseOrderLine`.

The app's id is not part of a record; it travels beside it as `RecordKey(type, app_id)`.

`parse_record(type, data)` turns the app's JSON into a record, or into the list of every
`Problem` that stops it, each named by its JSON path (``lines[2].unit_price``); it never raises
on bad input. The input rules, in short: amounts are decimal strings (integers are accepted,
floats are not), exact to the cent and not negative; quantities and unit prices likewise, exact
to six places; dates are ``YYYY-MM-DD``; booleans are JSON booleans; ids and document numbers
are strings (integers are taken as their decimal string); null, a missing key and a blank string
all mean "absent"; unknown keys are problems. `record_to_json` writes the canonical JSON back,
every field present, and ``parse_record(t, record_to_json(r)) == r`` for every parsed record.

The app's id of a record follows one grammar wherever it enters (`id_refused`): 1 to
`MAX_ID_LENGTH` characters of single-line text (`core.text`), not blank, without ``/`` and
not ``.`` or ``..``: exactly the ids that ``/records/{type}/{id}`` can reach, since a client
resolves ``.`` and ``..`` in a path and ``/`` separates its segments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, assert_never

from ledgerbridge.core import text
from ledgerbridge.core.problems import INPUT_INVALID, Problem
from ledgerbridge.core.records._fields import Fields, read_record
from ledgerbridge.core.records.items import ITEM_TYPES, Item, ItemType, item_to_json, parse_item
from ledgerbridge.core.records.parties import (
    CUSTOMER_KINDS,
    Address,
    Customer,
    CustomerKind,
    Vendor,
    customer_to_json,
    display_name,
    parse_customer,
    parse_vendor,
    vendor_to_json,
)
from ledgerbridge.core.records.purchases import (
    PAYMENT_TYPES,
    PURCHASE_ORDER_STATUSES,
    Bill,
    ExpenseLine,
    PaymentType,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    bill_to_json,
    parse_bill,
    parse_purchase_order,
    parse_receipt,
    purchase_order_to_json,
    receipt_to_json,
)
from ledgerbridge.core.records.sales import (
    INVOICE_STATUSES,
    AppliedPayment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    invoice_to_json,
    parse_invoice,
    parse_payment,
    payment_to_json,
)

__all__ = [
    "CUSTOMER_KINDS",
    "INVOICE_STATUSES",
    "ITEM_TYPES",
    "MAX_ID_LENGTH",
    "PAYMENT_TYPES",
    "PURCHASE_ORDER_STATUSES",
    "RECORD_TYPES",
    "Address",
    "AppliedPayment",
    "Bill",
    "Customer",
    "CustomerKind",
    "ExpenseLine",
    "Incoming",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Item",
    "ItemType",
    "Payment",
    "PaymentType",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "Receipt",
    "Record",
    "RecordKey",
    "RecordType",
    "Vendor",
    "display_name",
    "id_refused",
    "parse_record",
    "record_to_json",
    "record_type",
]

RecordType = Literal[
    "customer", "vendor", "item", "invoice", "payment", "receipt", "bill", "purchase_order"
]
RECORD_TYPES: tuple[RecordType, ...] = (
    "customer",
    "vendor",
    "item",
    "invoice",
    "payment",
    "receipt",
    "bill",
    "purchase_order",
)

MAX_ID_LENGTH = 200

Record: TypeAlias = Customer | Vendor | Item | Invoice | Payment | Receipt | Bill | PurchaseOrder


@dataclass(frozen=True, slots=True)
class Incoming:
    """A record as the app hands it over, not checked yet: its type, the app's id, its data
    (`PUT .../records/{type}/{id}`, or one of many at once)."""

    type: str
    id: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RecordKey:
    """Which app record: its type and the app's id for it."""

    type: RecordType
    app_id: str

    def __str__(self) -> str:
        return f"{self.type}/{self.app_id}"


def id_refused(app_id: object) -> str | None:
    """Why `app_id` cannot be the app's id of a record (a sentence), or None when it can."""
    if not isinstance(app_id, str):
        return "the record id must be a string"
    if not app_id.strip() or len(app_id) > MAX_ID_LENGTH:
        return f"the record id must be 1 to {MAX_ID_LENGTH} characters, not blank"
    why = text.refused(app_id)
    if why is not None:
        return f"the record id {why}"
    if "/" in app_id:
        return 'the record id must not hold "/" (it could not be read back by its own URL)'
    if app_id in (".", ".."):
        return f'the record id must not be "{app_id}" (it could not be read back by its own URL)'
    return None


_PARSERS: Mapping[RecordType, Callable[[Fields], Record]] = {
    "customer": parse_customer,
    "vendor": parse_vendor,
    "item": parse_item,
    "invoice": parse_invoice,
    "payment": parse_payment,
    "receipt": parse_receipt,
    "bill": parse_bill,
    "purchase_order": parse_purchase_order,
}


def parse_record(record_type: str, data: Mapping[str, Any]) -> Record | list[Problem]:
    """The app's JSON for one record as a record, or every problem that stops it."""
    for known in RECORD_TYPES:
        if record_type == known:
            return read_record(data, _PARSERS[known])
    expected = ", ".join(RECORD_TYPES)
    return [
        Problem(
            INPUT_INVALID,
            None,
            f'unknown record type "{record_type}"; expected one of {expected}',
            {"type": str(record_type)},
        )
    ]


def record_to_json(record: Record) -> dict[str, Any]:
    """The canonical JSON of a record: every field, amounts as strings, dates ISO."""
    match record:
        case Customer():
            return customer_to_json(record)
        case Vendor():
            return vendor_to_json(record)
        case Item():
            return item_to_json(record)
        case Invoice():
            return invoice_to_json(record)
        case Payment():
            return payment_to_json(record)
        case Receipt():
            return receipt_to_json(record)
        case Bill():
            return bill_to_json(record)
        case PurchaseOrder():
            return purchase_order_to_json(record)
        case _:
            assert_never(record)


def record_type(record: Record) -> RecordType:
    """The type name of a record, as used in `RecordKey` and the HTTP API."""
    match record:
        case Customer():
            return "customer"
        case Vendor():
            return "vendor"
        case Item():
            return "item"
        case Invoice():
            return "invoice"
        case Payment():
            return "payment"
        case Receipt():
            return "receipt"
        case Bill():
            return "bill"
        case PurchaseOrder():
            return "purchase_order"
        case _:
            assert_never(record)
