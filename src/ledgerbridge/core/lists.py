"""QuickBooks' own lists as the app reads them: which lists there are, and each object of one
in the shape of the app's records.

`LISTS` names the lists the app may read (the API's `/quickbooks/{list}` and the dashboard's
Link picker) and the QuickBooks entity each holds. `canonical(entity, obj)` reads a QuickBooks
object backwards through `core.mapping`: a customer, a vendor or an item comes out with the
fields of the app's record of that type (design.md, "Canonical records"), amounts as decimal
strings; the lists the app has no record type for (employees, accounts, classes, tax codes and
rates, payment methods, terms) come out with the few fields a person picks them by. References
are by name where the app's records use names (an item's accounts), and QuickBooks ids are
kept apart (`parent_quickbooks_id`): an app id is not QuickBooks' to say.

`restriction(entity, obj)` says what of an object cannot round-trip (design: "what cannot
round-trip is said, not broken"): a bundle (QuickBooks' Group item) or a category is read-only as
a whole, an inventory-tracked item keeps its type; each with the catalog code that explains it.
The app's attempt to change them is refused before any call by preflight (`core.preflight.items`)
with the same codes.

`canonical("Invoice", obj)` reads an invoice for the events of invoices made in QuickBooks
(read-only at first: nothing is written back to them).

Pure: no I/O. A field QuickBooks left out (or sent in a shape not expected) is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from ledgerbridge.core import catalog

__all__ = [
    "LISTS",
    "SEARCHABLE",
    "Canonical",
    "ListName",
    "Restriction",
    "canonical",
    "decimal_text",
    "restriction",
]

ListName = Literal[
    "customers",
    "vendors",
    "employees",
    "items",
    "accounts",
    "classes",
    "tax_codes",
    "tax_rates",
    "payment_methods",
    "terms",
]

LISTS: Final[Mapping[str, str]] = {
    "customers": "Customer",
    "vendors": "Vendor",
    "employees": "Employee",
    "items": "Item",
    "accounts": "Account",
    "classes": "Class",
    "tax_codes": "TaxCode",
    "tax_rates": "TaxRate",
    "payment_methods": "PaymentMethod",
    "terms": "Term",
}
"""List name (the API's path, one of `ListName`) -> the QuickBooks entity it holds."""

SEARCHABLE: Final[Mapping[str, frozenset[str]]] = {
    "email": frozenset({"customers", "vendors", "employees"}),
    "sku": frozenset({"items"}),
}
"""Search fields that only some lists have: field -> the lists that hold it."""

_ITEM_TYPES: Final = {
    "Service": "service",
    "NonInventory": "non_inventory",
    "Inventory": "inventory",
    "Group": "bundle",
}


@dataclass(frozen=True)
class Canonical:
    """One QuickBooks object read as the app's record: `record_type` is the app's type
    (customer, vendor, item) or None for a list the app has no records of."""

    record_type: str | None
    record: Mapping[str, Any]
    parent_quickbooks_id: str | None = None


@dataclass(frozen=True)
class Restriction:
    """What the app may not change of a QuickBooks object: `fields` None is all of it (the
    object is read-only), else those fields; `code` is the catalog entry that explains why."""

    code: str
    message: str
    fields: tuple[str, ...] | None = None

    @property
    def read_only(self) -> bool:
        return self.fields is None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "fields": list(self.fields) if self.fields is not None else None,
        }


def restriction(entity: str, obj: Mapping[str, Any]) -> Restriction | None:
    """What of `obj` (QuickBooks JSON of `entity`) cannot come back from the app, if anything."""
    if entity != "Item":
        return None
    kind = obj.get("Type")
    if kind == "Group":
        return Restriction(
            catalog.ITEM_BUNDLE_READ_ONLY,
            "a bundle (QuickBooks Group item): QuickBooks refuses changes to it from the app",
        )
    if kind == "Category":
        return Restriction(
            catalog.ITEM_CATEGORY_READ_ONLY,
            "a QuickBooks category: no item of the app's, and not changed from the app",
        )
    if kind == "Inventory" or obj.get("TrackQtyOnHand") is True:
        return Restriction(
            catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED,
            "an inventory-tracked item: QuickBooks never lets it become another type",
            ("type",),
        )
    return None


def canonical(entity: str, obj: Mapping[str, Any]) -> Canonical:
    """`obj` (QuickBooks JSON of `entity`) in the app's shape."""
    reader = _READERS.get(entity, _named)
    return reader(obj)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _ref_value(value: Any) -> str | None:
    return _text(value.get("value")) if isinstance(value, Mapping) else None


def _ref_name(value: Any) -> str | None:
    return _text(value.get("name")) if isinstance(value, Mapping) else None


def _inner(obj: Mapping[str, Any], field: str, key: str) -> str | None:
    found = obj.get(field)
    return _text(found.get(key)) if isinstance(found, Mapping) else None


def decimal_text(value: Any) -> str | None:
    """A QuickBooks amount as the app's decimal string (None: not a finite number)."""
    return _decimal(value)


def _decimal(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    # fixed-point, as the app's records are written ("100", not "1E+2"): what is listed can
    # be sent back as it is
    return format(number, "f") if number.is_finite() else None


def _bool(value: Any, default: bool | None = None) -> bool | None:
    return value if isinstance(value, bool) else default


def _address(value: Any) -> dict[str, str | None] | None:
    if not isinstance(value, Mapping):
        return None
    address = {
        "line1": _text(value.get("Line1")),
        "line2": _text(value.get("Line2")),
        "city": _text(value.get("City")),
        "region": _text(value.get("CountrySubDivisionCode")),
        "postal_code": _text(value.get("PostalCode")),
        "country": _text(value.get("Country")),
    }
    return address if any(address.values()) else None


def _party(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "display_name": _text(obj.get("DisplayName")),
        "first_name": _text(obj.get("GivenName")),
        "last_name": _text(obj.get("FamilyName")),
        "company_name": _text(obj.get("CompanyName")),
        "email": _inner(obj, "PrimaryEmailAddr", "Address"),
        "phone": _inner(obj, "PrimaryPhone", "FreeFormNumber"),
    }


def _customer(obj: Mapping[str, Any]) -> Canonical:
    parent = _ref_value(obj.get("ParentRef"))
    record = {
        **_party(obj),
        "billing_address": _address(obj.get("BillAddr")),
        "parent_id": None,  # an app id: QuickBooks' parent is `parent_quickbooks_id`
        "kind": "job" if parent or obj.get("Job") is True else "customer",
        "active": _bool(obj.get("Active"), True),
        "notes": _text(obj.get("Notes")),
    }
    return Canonical("customer", record, parent)


def _vendor(obj: Mapping[str, Any]) -> Canonical:
    record = {
        **_party(obj),
        "address": _address(obj.get("BillAddr")),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical("vendor", record)


def _item(obj: Mapping[str, Any]) -> Canonical:
    start = _text(obj.get("InvStartDate"))
    record = {
        "name": _text(obj.get("Name")),
        "sku": _text(obj.get("Sku")),
        # a category (or a type the app has no word for) has no type of the app's
        "type": _ITEM_TYPES.get(str(obj.get("Type"))),
        "description": _text(obj.get("Description")),
        "unit_price": _decimal(obj.get("UnitPrice")),
        "purchase_cost": _decimal(obj.get("PurchaseCost")),
        "income_account": _ref_name(obj.get("IncomeAccountRef")),
        "expense_account": _ref_name(obj.get("ExpenseAccountRef")),
        "asset_account": _ref_name(obj.get("AssetAccountRef")),
        "quantity_on_hand": _decimal(obj.get("QtyOnHand"))
        if obj.get("TrackQtyOnHand") is True
        else None,
        "inventory_start_date": start[:10] if start else None,
        "taxable": _bool(obj.get("Taxable")),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical("item", record, _ref_value(obj.get("ParentRef")))


def _employee(obj: Mapping[str, Any]) -> Canonical:
    record = {
        "display_name": _text(obj.get("DisplayName")),
        "first_name": _text(obj.get("GivenName")),
        "last_name": _text(obj.get("FamilyName")),
        "email": _inner(obj, "PrimaryEmailAddr", "Address"),
        "phone": _inner(obj, "PrimaryPhone", "FreeFormNumber"),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record)


def _account(obj: Mapping[str, Any]) -> Canonical:
    record = {
        "name": _text(obj.get("Name")),
        "full_name": _text(obj.get("FullyQualifiedName")),
        "account_type": _text(obj.get("AccountType")),
        "account_sub_type": _text(obj.get("AccountSubType")),
        "account_number": _text(obj.get("AcctNum")),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record, _ref_value(obj.get("ParentRef")))


def _class(obj: Mapping[str, Any]) -> Canonical:
    record = {
        "name": _text(obj.get("Name")),
        "full_name": _text(obj.get("FullyQualifiedName")),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record, _ref_value(obj.get("ParentRef")))


def _tax_code(obj: Mapping[str, Any]) -> Canonical:
    record = {
        "name": _text(obj.get("Name")),
        "description": _text(obj.get("Description")),
        "taxable": _bool(obj.get("Taxable")),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record)


def _tax_rate(obj: Mapping[str, Any]) -> Canonical:
    record = {
        "name": _text(obj.get("Name")),
        "description": _text(obj.get("Description")),
        "rate": _decimal(obj.get("RateValue")),
        "agency": _ref_name(obj.get("AgencyRef")),
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record)


def _payment_method(obj: Mapping[str, Any]) -> Canonical:
    kind = _text(obj.get("Type"))
    record = {
        "name": _text(obj.get("Name")),
        "type": kind.lower() if kind else None,
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record)


def _term(obj: Mapping[str, Any]) -> Canonical:
    due = obj.get("DueDays")
    record = {
        "name": _text(obj.get("Name")),
        "due_days": due if isinstance(due, int) and not isinstance(due, bool) else None,
        "active": _bool(obj.get("Active"), True),
    }
    return Canonical(None, record)


def _invoice(obj: Mapping[str, Any]) -> Canonical:
    """An invoice made in QuickBooks: references stay QuickBooks ids (`*_quickbooks_id`)."""
    lines: list[dict[str, Any]] = []
    raw = obj.get("Line")
    for line in raw if isinstance(raw, list) else []:
        if not isinstance(line, Mapping) or line.get("DetailType") != "SalesItemLineDetail":
            continue
        detail = line.get("SalesItemLineDetail")
        detail = detail if isinstance(detail, Mapping) else {}
        lines.append(
            {
                "item_quickbooks_id": _ref_value(detail.get("ItemRef")),
                "item_name": _ref_name(detail.get("ItemRef")),
                "description": _text(line.get("Description")),
                "quantity": _decimal(detail.get("Qty")),
                "unit_price": _decimal(detail.get("UnitPrice")),
                "amount": _decimal(line.get("Amount")),
            }
        )
    date, due = _text(obj.get("TxnDate")), _text(obj.get("DueDate"))
    record = {
        "number": _text(obj.get("DocNumber")),
        "customer_id": None,  # an app id: QuickBooks' customer is customer_quickbooks_id
        "customer_quickbooks_id": _ref_value(obj.get("CustomerRef")),
        "date": date[:10] if date else None,
        "due_date": due[:10] if due else None,
        "lines": lines,
        "memo": _text(obj.get("CustomerMemo", {}).get("value"))
        if isinstance(obj.get("CustomerMemo"), Mapping)
        else None,
        "total": _decimal(obj.get("TotalAmt")),
        "balance": _decimal(obj.get("Balance")),
    }
    return Canonical("invoice", record, _ref_value(obj.get("CustomerRef")))


def _named(obj: Mapping[str, Any]) -> Canonical:
    name = _text(obj.get("DisplayName")) or _text(obj.get("Name"))
    return Canonical(None, {"name": name, "active": _bool(obj.get("Active"), True)})


_READERS: Final = {
    "Customer": _customer,
    "Vendor": _vendor,
    "Item": _item,
    "Employee": _employee,
    "Account": _account,
    "Class": _class,
    "TaxCode": _tax_code,
    "TaxRate": _tax_rate,
    "PaymentMethod": _payment_method,
    "Term": _term,
    "Invoice": _invoice,
}
