"""Names where an id was shown: a field's plain label instead of its path (``CustomerRef.value``
is "Customer", ``lines[1].item_id`` is "Line 2: item"), and the names of the records and
QuickBooks objects references point at, each looked up in batches (one query for the app's
records, one per QuickBooks list), never one query per value; through the repositories.

A reference whose target is unknown (not in the app's records, not in the copy of QuickBooks'
lists) keeps its id, and says so (`Named.known` is False).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ledgerbridge.dashboard.present import record_name
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records

__all__ = [
    "MismatchRow",
    "Named",
    "app_names",
    "app_reference",
    "field_label",
    "mismatch_rows",
    "quickbooks_name",
    "quickbooks_names",
    "quickbooks_reference",
]

AppKey = tuple[str, str]  # (type, app id)
QuickBooksKey = tuple[str, str]  # (entity, QuickBooks id)


@dataclass(frozen=True, slots=True)
class Named:
    """A value as shown: a name (`text`) and the id behind it, shown small; `known` is False
    when the id names nothing ledgerbridge knows, and `text` is then the id itself."""

    text: str
    id: str | None = None
    known: bool = True
    where: str = "app"  # whose id it is: "app" or "QuickBooks"


# --- labels -----------------------------------------------------------------------------------

_QUICKBOOKS_LABELS: Final[Mapping[str, str]] = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "EntityRef": "Payee",
    "ItemRef": "Item",
    "ParentRef": "Parent customer",
    "ClassRef": "Class",
    "TaxCodeRef": "Tax code",
    "TxnTaxCodeRef": "Tax code",
    "PaymentMethodRef": "Payment method",
    "AccountRef": "Account",
    "IncomeAccountRef": "Income account",
    "ExpenseAccountRef": "Expense account",
    "AssetAccountRef": "Inventory asset account",
    "DepositToAccountRef": "Deposit account",
    "APAccountRef": "Accounts payable account",
    "SalesTermRef": "Terms",
    "DisplayName": "Name",
    "GivenName": "First name",
    "FamilyName": "Last name",
    "CompanyName": "Company name",
    "PrimaryEmailAddr": "Email",
    "PrimaryPhone": "Phone",
    "FreeFormNumber": "",
    "Address": "",
    "BillAddr": "Billing address",
    "ShipAddr": "Shipping address",
    "Line1": "line 1",
    "Line2": "line 2",
    "City": "city",
    "CountrySubDivisionCode": "region",
    "PostalCode": "postal code",
    "Country": "country",
    "Notes": "Notes",
    "Active": "Active",
    "Name": "Name",
    "Sku": "SKU",
    "Description": "Description",
    "UnitPrice": "Unit price",
    "PurchaseCost": "Purchase cost",
    "QtyOnHand": "Quantity on hand",
    "InvStartDate": "Inventory start date",
    "Taxable": "Taxable",
    "Type": "Type",
    "DocNumber": "Number",
    "TxnDate": "Date",
    "DueDate": "Due date",
    "PrivateNote": "Memo",
    "CustomerMemo": "Message to the customer",
    "Line": "Lines",
    "Amount": "amount",
    "Qty": "quantity",
    "TotalAmt": "Total",
    "PaymentRefNum": "Payment reference",
    "PaymentType": "Payment type",
    "LinkedTxn": "invoice paid",
    "TxnId": "",
    "POStatus": "Status",
}
# QuickBooks' reference fields and the list each points into
_REFERENCES: Final[Mapping[str, str]] = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "EntityRef": "Vendor",
    "ItemRef": "Item",
    "ParentRef": "Customer",
    "ClassRef": "Class",
    "TaxCodeRef": "TaxCode",
    "TxnTaxCodeRef": "TaxCode",
    "PaymentMethodRef": "PaymentMethod",
    "AccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "DepositToAccountRef": "Account",
    "APAccountRef": "Account",
    "SalesTermRef": "Term",
}
_APP_LABELS: Final[Mapping[str, str]] = {
    "display_name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "company_name": "Company name",
    "email": "Email",
    "phone": "Phone",
    "billing_address": "Billing address",
    "address": "Address",
    "line1": "line 1",
    "line2": "line 2",
    "city": "city",
    "region": "region",
    "postal_code": "postal code",
    "country": "country",
    "parent_id": "Parent customer",
    "customer_id": "Customer",
    "vendor_id": "Vendor",
    "item_id": "item",
    "invoice_id": "invoice",
    "notes": "Notes",
    "active": "Active",
    "name": "Name",
    "sku": "SKU",
    "description": "description",
    "unit_price": "unit price",
    "income_account": "Income account",
    "expense_account": "Expense account",
    "asset_account": "Inventory asset account",
    "number": "Number",
    "date": "Date",
    "due_date": "Due date",
    "memo": "Memo",
    "reference": "Payment reference",
    "method": "Payment method",
    "vendor_document_number": "Vendor document number",
    "payment_account": "Payment account",
    "tax_rate_id": "Tax rate",
    "class": "Class",
    "amount": "amount",
    "quantity": "quantity",
    "lines": "Lines",
    "applied_to": "Applied to",
}
# the app's reference fields and the record type each names
_APP_REFERENCES: Final[Mapping[str, str]] = {
    "customer_id": "customer",
    "parent_id": "customer",
    "vendor_id": "vendor",
    "item_id": "item",
    "invoice_id": "invoice",
}
_STEP = re.compile(r"^(?P<name>[A-Za-z_0-9]+)(?:\[(?P<index>\d+)\])?$")
_LINE_DETAILS = re.compile(r"(LineDetail|Detail)$")


def field_label(path: str) -> str:
    """A field's path (QuickBooks' ``Line[0].SalesItemLineDetail.ItemRef.value`` or the app's
    ``lines[0].item_id``) as a person reads it: "Line 1: Item"."""
    words: list[str] = []
    line = ""
    for step in path.split("."):
        found = _STEP.match(step)
        if found is None:
            words.append(step)
            continue
        name, index = found["name"], found["index"]
        if name == "value" or _LINE_DETAILS.search(name):
            continue  # a reference's id, the detail a line keeps its fields in
        if index is not None and name in ("Line", "lines", "applied_to"):
            line = f"{'Payment line' if name == 'applied_to' else 'Line'} {int(index) + 1}"
            continue
        label = _QUICKBOOKS_LABELS.get(name, _APP_LABELS.get(name))
        if label is None:
            label = re.sub(r"(?<!^)(?=[A-Z])", " ", name).replace("_", " ").lower()
        if label:
            words.append(label)
    text = " ".join(words).strip()
    if line:
        return f"{line}: {text[:1].lower()}{text[1:]}" if text else line
    return text[:1].upper() + text[1:] if text else path


def quickbooks_reference(path: str, value: Any) -> QuickBooksKey | None:
    """(entity, id) when `path` is a QuickBooks reference's id (``CustomerRef.value``) or a
    reference object (``CustomerRef`` with ``{"value": "58"}``); else None."""
    steps = path.split(".")
    field = steps[-2] if steps[-1] == "value" and len(steps) > 1 else steps[-1]
    field = field.split("[", 1)[0]
    entity = _REFERENCES.get(field)
    if entity is None:
        return None
    if isinstance(value, Mapping):
        entity = str(value.get("type") or entity) if field == "EntityRef" else entity
        value = value.get("value")
    if value is None or value == "" or isinstance(value, list | Mapping | bool):
        return None
    return entity, str(value)


def app_reference(path: str, value: Any) -> AppKey | None:
    """(type, app id) when `path` is one of the app's reference fields (``customer_id``)."""
    field = path.rsplit(".", 1)[-1].split("[", 1)[0]
    record_type = _APP_REFERENCES.get(field)
    if record_type is None or not isinstance(value, str) or not value:
        return None
    return record_type, value


# --- look-ups ---------------------------------------------------------------------------------


def app_names(ledger: Ledger, connection_id: str, keys: Iterable[AppKey]) -> dict[AppKey, str]:
    """The names of the app's records (those that have one), in one query per 500 keys."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    with ledger.db.session(readonly=True) as session:
        found = Records(session).get_many(connection_id, wanted)
    named: dict[AppKey, str] = {}
    for key, stored in found.items():
        name = record_name(stored.type, stored.data)
        if name:
            named[key] = name
    return named


def quickbooks_names(
    ledger: Ledger, connection_id: str, keys: Iterable[QuickBooksKey]
) -> dict[QuickBooksKey, str]:
    """The names of QuickBooks objects from the copy of QuickBooks' lists (the mirror), in
    one query per list named (and per 500 ids)."""
    by_entity: dict[str, list[str]] = {}
    for entity, qbo_id in keys:
        by_entity.setdefault(entity, []).append(qbo_id)
    named: dict[QuickBooksKey, str] = {}
    if not by_entity:
        return named
    with ledger.db.session(readonly=True) as session:
        mirror = Mirror(session, connection_id)
        for entity, ids in by_entity.items():
            for qbo_id, obj in mirror.get_many(entity, ids).items():
                name = quickbooks_name(obj.data)
                if name:
                    named[(entity, qbo_id)] = name
    return named


def quickbooks_name(data: Mapping[str, Any]) -> str | None:
    """How QuickBooks names an object: its display name, full name or name."""
    for key in ("DisplayName", "FullyQualifiedName", "Name", "DocNumber"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


@dataclass(frozen=True, slots=True)
class MismatchRow:
    """A verify mismatch as the connection page shows it: the record by its name, the field's
    label, both values with references by name."""

    type: str
    id: str
    code: str
    record: Named
    field: str
    app: Named
    quickbooks: Named


def mismatch_rows(
    ledger: Ledger, connection_id: str, mismatches: Iterable[Mapping[str, Any]]
) -> list[MismatchRow]:
    """`verify`'s mismatches in words, in two look-ups for all of them (the app's records, the
    copy of QuickBooks' lists)."""
    found = [
        m for m in mismatches if isinstance(m.get("type"), str) and isinstance(m.get("id"), str)
    ]
    app_keys: list[AppKey] = [(m["type"], m["id"]) for m in found]
    qbo_keys: list[QuickBooksKey] = []
    for m in found:
        field = str(m.get("field") or "")
        if field == "CustomerRef":  # moved: the app's customer against QuickBooks' customer
            key = app_reference("customer_id", m.get("app_value"))
            app_keys += [key] if key else []
            ref = quickbooks_reference(field, m.get("quickbooks_value"))
            qbo_keys += [ref] if ref else []
        else:
            for value in (m.get("app_value"), m.get("quickbooks_value")):
                ref = quickbooks_reference(field, value)
                qbo_keys += [ref] if ref else []
    apps = app_names(ledger, connection_id, app_keys)
    books = quickbooks_names(ledger, connection_id, qbo_keys)

    def app_named(key: AppKey | None, value: Any) -> Named:
        if key is None:
            return Named("" if value is None else str(value))
        name = apps.get(key)
        return Named(name, key[1]) if name else Named(key[1], key[1], known=False)

    def book_named(field: str, value: Any) -> Named:
        ref = quickbooks_reference(field, value)
        if ref is None:
            return Named("" if value is None else str(value))
        name = books.get(ref)
        where = "QuickBooks"
        return Named(name, ref[1], where=where) if name else Named(ref[1], ref[1], False, where)

    rows = []
    for m in found:
        field = str(m.get("field") or "")
        if field == "CustomerRef":
            app = app_named(app_reference("customer_id", m.get("app_value")), m.get("app_value"))
        else:
            app = book_named(field, m.get("app_value"))
        record_key: AppKey = (m["type"], m["id"])
        rows.append(
            MismatchRow(
                m["type"],
                m["id"],
                str(m.get("code") or ""),
                app_named(record_key, m["id"]),
                field_label(field) if field else "",
                app,
                book_named(field, m.get("quickbooks_value")),
            )
        )
    return rows
