"""Canonical records -> QuickBooks Online JSON, and the sparse update between two versions.

The body says what QuickBooks should hold; references to other records, accounts, tax codes,
payment methods and classes come from a `Refs` the caller provides (links and the connection's
mappings). A reference that cannot be resolved is a `Problem`, not an exception: preflight
normally catches it first, and the same problem reaches the API, the dashboard and dry runs.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, assert_never

from ledgerbridge.core import catalog
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    Address,
    Bill,
    Customer,
    ExpenseLine,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Record,
    RecordKey,
    RecordType,
    Vendor,
    display_name,
)

Body = dict[str, Any]

ENTITY: dict[RecordType, str] = {
    "customer": "Customer",
    "vendor": "Vendor",
    "item": "Item",
    "invoice": "Invoice",
    "payment": "Payment",
    "receipt": "Purchase",
    "bill": "Bill",
    "purchase_order": "PurchaseOrder",
}
ITEM_TYPE = {"service": "Service", "non_inventory": "NonInventory", "inventory": "Inventory"}
PAYMENT_TYPE = {"cash": "Cash", "check": "Check", "credit_card": "CreditCard"}

Lookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Refs:
    """How a body finds the QuickBooks ids it references."""

    linked: Callable[[RecordKey], str | None]  # an app record already in QuickBooks
    account: Lookup  # account name -> Account Id
    tax_code: Lookup  # app tax rate id -> TaxCode Id
    payment_method: Lookup  # app payment method -> PaymentMethod Id
    klass: Lookup  # class name -> Class Id


class _Missing(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Builder:
    def __init__(self, refs: Refs) -> None:
        self.refs = refs
        self.problems: list[Problem] = []

    def record(self, key: RecordKey, field: str, code: str) -> dict[str, str] | None:
        qbo_id = self.refs.linked(key)
        if qbo_id is None:
            self.problems.append(
                Problem(
                    code,
                    field,
                    f"{key.type} {key.app_id} is not in QuickBooks yet",
                    {"type": key.type, "id": key.app_id},
                )
            )
            return None
        return {"value": qbo_id}

    def mapped(
        self, lookup: Lookup, value: str, field: str, code: str, what: str
    ) -> dict[str, str] | None:
        qbo_id = lookup(value)
        if qbo_id is None:
            self.problems.append(
                Problem(code, field, f"{what} {value!r} has no QuickBooks match", {"name": value})
            )
            return None
        return {"value": qbo_id}


def to_quickbooks(key: RecordKey, record: Record, refs: Refs) -> Body | list[Problem]:
    """The QuickBooks body (without Id/SyncToken) for a record, or what stops it."""
    builder = _Builder(refs)
    if isinstance(record, Customer):
        body = _customer(builder, record)
    elif isinstance(record, Vendor):
        body = _vendor(record)
    elif isinstance(record, Item):
        body = _item(builder, record)
    elif isinstance(record, Invoice):
        body = _invoice(builder, record)
    elif isinstance(record, Payment):
        body = _payment(builder, record)
    elif isinstance(record, Receipt):
        body = _receipt(builder, record)
    elif isinstance(record, Bill):
        body = _bill(builder, record)
    elif isinstance(record, PurchaseOrder):
        body = _purchase_order(builder, record)
    else:
        assert_never(record)
    if builder.problems:
        return builder.problems
    return _clean(body)


def _clean(body: Body) -> Body:
    """Drop absent values, so a body never clears a field by accident."""
    return {k: v for k, v in body.items() if v is not None and v != {} and v != []}


def _amount(value: Decimal) -> str:
    return str(value)


def _address(address: Address | None) -> dict[str, str] | None:
    if address is None:
        return None
    parts = {
        "Line1": address.line1,
        "Line2": address.line2,
        "City": address.city,
        "CountrySubDivisionCode": address.region,
        "PostalCode": address.postal_code,
        "Country": address.country,
    }
    return {k: v for k, v in parts.items() if v} or None


def _email(value: str | None) -> dict[str, str] | None:
    return {"Address": value} if value else None


def _phone(value: str | None) -> dict[str, str] | None:
    return {"FreeFormNumber": value} if value else None


def _customer(builder: _Builder, record: Customer) -> Body:
    body: Body = {
        "DisplayName": display_name(record),
        "GivenName": record.first_name,
        "FamilyName": record.last_name,
        "CompanyName": record.company_name,
        "PrimaryEmailAddr": _email(record.email),
        "PrimaryPhone": _phone(record.phone),
        "BillAddr": _address(record.billing_address),
        "Notes": record.notes,
        "Active": record.active,
    }
    if record.parent_id:
        body["ParentRef"] = builder.record(
            RecordKey("customer", record.parent_id), "parent_id", catalog.CUSTOMER_PARENT_NOT_SYNCED
        )
        body["Job"] = True
        body["BillWithParent"] = True
    return body


def _vendor(record: Vendor) -> Body:
    return {
        "DisplayName": display_name(record),
        "GivenName": record.first_name,
        "FamilyName": record.last_name,
        "CompanyName": record.company_name,
        "PrimaryEmailAddr": _email(record.email),
        "PrimaryPhone": _phone(record.phone),
        "BillAddr": _address(record.address),
        "Active": record.active,
    }


def _item(builder: _Builder, record: Item) -> Body:
    if record.type == "bundle":
        builder.problems.append(
            Problem(
                catalog.ITEM_BUNDLE_READ_ONLY,
                "type",
                "bundles are read-only in QuickBooks and cannot be pushed",
                {"name": record.name},
            )
        )
        return {}
    body: Body = {
        "Name": record.name,
        "Sku": record.sku,
        "Type": ITEM_TYPE[record.type],
        "Description": record.description,
        "UnitPrice": _amount(record.unit_price) if record.unit_price is not None else None,
        "PurchaseCost": _amount(record.purchase_cost) if record.purchase_cost is not None else None,
        "Taxable": record.taxable,
        "Active": record.active,
    }
    for field, key in (
        ("income_account", "IncomeAccountRef"),
        ("expense_account", "ExpenseAccountRef"),
        ("asset_account", "AssetAccountRef"),
    ):
        name = getattr(record, field)
        if name:
            body[key] = builder.mapped(
                builder.refs.account, name, field, catalog.ITEM_ACCOUNT_MISSING, "account"
            )
    if record.type == "inventory":
        body["TrackQtyOnHand"] = True
        if record.quantity_on_hand is not None:
            body["QtyOnHand"] = str(record.quantity_on_hand)
        if record.inventory_start_date is not None:
            body["InvStartDate"] = record.inventory_start_date.isoformat()
    return body


def _class(builder: _Builder, name: str | None, field: str) -> dict[str, str] | None:
    if not name:
        return None
    return builder.mapped(
        builder.refs.klass, name, field, catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "class"
    )


def _invoice(builder: _Builder, record: Invoice) -> Body:
    lines: list[Body] = []
    for index, line in enumerate(record.lines):
        detail: Body = {
            "Qty": str(line.quantity),
            "UnitPrice": str(line.unit_price),
            "TaxCodeRef": {"value": "TAX" if line.taxable else "NON"},
        }
        if line.item_id:
            detail["ItemRef"] = builder.record(
                RecordKey("item", line.item_id),
                f"lines[{index}].item_id",
                catalog.INVOICE_ITEM_NOT_SYNCED,
            )
        klass = _class(builder, line.class_name, f"lines[{index}].class")
        if klass:
            detail["ClassRef"] = klass
        lines.append(
            _clean(
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": _amount(line.amount),
                    "Description": line.description,
                    "SalesItemLineDetail": detail,
                }
            )
        )
    body: Body = {
        "DocNumber": record.number,
        "CustomerRef": builder.record(
            RecordKey("customer", record.customer_id),
            "customer_id",
            catalog.INVOICE_CUSTOMER_NOT_SYNCED,
        ),
        "TxnDate": record.date.isoformat(),
        "DueDate": record.due_date.isoformat() if record.due_date else None,
        "Line": lines,
        "ClassRef": _class(builder, record.class_name, "class"),
        "PrivateNote": record.memo,
    }
    if record.tax_rate_id:
        code = builder.mapped(
            builder.refs.tax_code,
            record.tax_rate_id,
            "tax_rate_id",
            catalog.TAX_RATE_NOT_MAPPED,
            "tax rate",
        )
        body["TxnTaxDetail"] = {"TxnTaxCodeRef": code} if code else None
    return body


def _payment(builder: _Builder, record: Payment) -> Body:
    lines = []
    for index, applied in enumerate(record.applied_to):
        invoice = builder.record(
            RecordKey("invoice", applied.invoice_id),
            f"applied_to[{index}].invoice_id",
            catalog.PAYMENT_INVOICE_NOT_SYNCED,
        )
        if invoice is not None:
            lines.append(
                {
                    "Amount": _amount(applied.amount),
                    "LinkedTxn": [{"TxnId": invoice["value"], "TxnType": "Invoice"}],
                }
            )
    return {
        "CustomerRef": builder.record(
            RecordKey("customer", record.customer_id),
            "customer_id",
            catalog.INVOICE_CUSTOMER_NOT_SYNCED,
        ),
        "TxnDate": record.date.isoformat(),
        "TotalAmt": _amount(record.amount),
        "PaymentMethodRef": builder.mapped(
            builder.refs.payment_method,
            record.method,
            "method",
            catalog.PAYMENT_METHOD_NOT_MAPPED,
            "payment method",
        ),
        "PaymentRefNum": record.reference,
        "Line": lines,
    }


def _expense_lines(builder: _Builder, lines: tuple[ExpenseLine, ...]) -> list[Body]:
    result = []
    for index, line in enumerate(lines):
        detail: Body
        if line.item_id:
            kind = "ItemBasedExpenseLineDetail"
            detail = {
                "ItemRef": builder.record(
                    RecordKey("item", line.item_id),
                    f"lines[{index}].item_id",
                    catalog.ITEM_NOT_MATCHED,
                ),
                "Qty": "1",
                "UnitPrice": _amount(line.amount),
            }
        else:
            kind = "AccountBasedExpenseLineDetail"
            detail = {
                "AccountRef": builder.mapped(
                    builder.refs.account,
                    line.expense_account or "",
                    f"lines[{index}].expense_account",
                    catalog.ITEM_ACCOUNT_MISSING,
                    "account",
                )
            }
        if line.customer_id:
            detail["CustomerRef"] = builder.record(
                RecordKey("customer", line.customer_id),
                f"lines[{index}].customer_id",
                catalog.INVOICE_CUSTOMER_NOT_SYNCED,
            )
            detail["BillableStatus"] = "Billable"
        klass = _class(builder, line.class_name, f"lines[{index}].class")
        if klass:
            detail["ClassRef"] = klass
        result.append(
            _clean(
                {
                    "DetailType": kind,
                    "Amount": _amount(line.amount),
                    "Description": line.description,
                    kind: detail,
                }
            )
        )
    return result


def _vendor_ref(builder: _Builder, vendor_id: str) -> dict[str, str] | None:
    return builder.record(RecordKey("vendor", vendor_id), "vendor_id", catalog.VENDOR_NOT_SYNCED)


def _receipt(builder: _Builder, record: Receipt) -> Body:
    vendor = _vendor_ref(builder, record.vendor_id)
    return {
        "PaymentType": PAYMENT_TYPE[record.payment_type],
        "AccountRef": builder.mapped(
            builder.refs.account,
            record.payment_account,
            "payment_account",
            catalog.ITEM_ACCOUNT_MISSING,
            "account",
        ),
        "EntityRef": {**vendor, "type": "Vendor"} if vendor else None,
        "DocNumber": record.vendor_document_number,
        "TxnDate": record.date.isoformat(),
        "Line": _expense_lines(builder, record.lines),
        "PrivateNote": record.memo,
    }


def _bill(builder: _Builder, record: Bill) -> Body:
    return {
        "VendorRef": _vendor_ref(builder, record.vendor_id),
        "DocNumber": record.vendor_document_number,
        "TxnDate": record.date.isoformat(),
        "DueDate": record.due_date.isoformat() if record.due_date else None,
        "Line": _expense_lines(builder, record.lines),
        "PrivateNote": record.memo,
    }


def _purchase_order(builder: _Builder, record: PurchaseOrder) -> Body:
    lines = []
    for index, line in enumerate(record.lines):
        detail: Body = {"Qty": str(line.quantity), "UnitPrice": str(line.unit_price)}
        if line.item_id:
            detail["ItemRef"] = builder.record(
                RecordKey("item", line.item_id), f"lines[{index}].item_id", catalog.ITEM_NOT_MATCHED
            )
        lines.append(
            _clean(
                {
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": _amount(line.amount),
                    "Description": line.description,
                    "ItemBasedExpenseLineDetail": detail,
                }
            )
        )
    return {
        "DocNumber": record.number,
        "VendorRef": _vendor_ref(builder, record.vendor_id),
        "TxnDate": record.date.isoformat(),
        "Line": lines,
        "POStatus": "Open" if record.status == "open" else "Closed",
        "Memo": record.memo,
    }


def changed_fields(pushed: Mapping[str, Any] | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields of `body` that differ from what was pushed last: a sparse update.

    A field pushed before and absent now is sent as its cleared form, so the app can remove a
    value (an email, a memo) from QuickBooks.
    """
    before = dict(pushed or {})
    changed = {k: v for k, v in body.items() if before.get(k) != v}
    for key in before.keys() - body.keys():
        if key in (
            "PrimaryEmailAddr",
            "PrimaryPhone",
            "BillAddr",
            "ParentRef",
            "ClassRef",
            "TxnTaxDetail",
        ):
            continue  # sub-objects cannot be cleared by omission; QuickBooks keeps them
        changed[key] = "" if isinstance(before[key], str) else None
    return {k: v for k, v in changed.items() if v is not None}
