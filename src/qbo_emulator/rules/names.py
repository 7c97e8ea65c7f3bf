"""Rules for name lists: customers, vendors, employees, items, accounts, classes, departments,
terms and payment methods. Names are unique (Customer, Vendor and Employee share one display-name
space, inactive rows included); hierarchical lists build `FullyQualifiedName` from their parents."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from qbo_emulator import faults
from qbo_emulator.model.specs import HIERARCHICAL
from qbo_emulator.model.store import Row, Table
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.values import (
    blank,
    boolean,
    decimal,
    iso_date,
    ref_id,
    ref_to,
    resolve_ref,
)

MAX_LEVEL = 4  # a top-level row is level 0; QuickBooks allows five levels in all
USD = {"value": "USD", "name": "United States Dollar"}

ACCOUNT_TYPES: dict[str, tuple[str, str]] = {
    # AccountType -> (Classification, default AccountSubType)
    "Bank": ("Asset", "Checking"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "MachineryAndEquipment"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Equity": ("Equity", "OwnersEquity"),
    "Income": ("Revenue", "ServiceFeeIncome"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Non-Posting": ("Asset", "OtherNonPosting"),
}
_ACCOUNT_TYPE_BY_KEY = {t.replace(" ", "").replace("-", "").lower(): t for t in ACCOUNT_TYPES}
# A few sub-types clients commonly send alone, with the type they imply.
SUBTYPE_TO_TYPE = {
    "checking": "Bank",
    "savings": "Bank",
    "accountsreceivable": "Accounts Receivable",
    "undepositedfunds": "Other Current Asset",
    "inventory": "Other Current Asset",
    "accountspayable": "Accounts Payable",
    "creditcard": "Credit Card",
    "salesofproductincome": "Income",
    "servicefeeincome": "Income",
    "suppliesmaterialscogs": "Cost of Goods Sold",
    "costoflaborcos": "Cost of Goods Sold",
    "openingbalanceequity": "Equity",
    "retainedearnings": "Equity",
}
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category")
PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")
TERM_TYPES = ("STANDARD", "DATE_DRIVEN")


# --- shared -------------------------------------------------------------------------------


def _forbid_chars(value: str, element: str, chars: str) -> None:
    for char in chars:
        if char in value:
            shown = {"\t": "tab", "\n": "new line"}.get(char, char)
            raise faults.invalid_value(
                element, f"Invalid String : {element} cannot contain {shown}", "2040"
            )


def _active(obj: Row) -> None:
    obj["Active"] = True if blank(obj.get("Active")) else boolean(obj["Active"], "Active")


def _hierarchy(ctx: Ctx, entity: str, obj: Row, name: str) -> None:
    """ParentRef -> Level, the sub flag and FullyQualifiedName; loops and depth are refused."""
    flag = HIERARCHICAL[entity]
    parent_ref = obj.get("ParentRef")
    if blank(parent_ref) or (isinstance(parent_ref, dict) and blank(parent_ref.get("value"))):
        obj.pop("ParentRef", None)
        obj[flag] = False
        obj["Level"] = 0
        obj["FullyQualifiedName"] = name
        return
    parent = resolve_ref(ctx, entity, parent_ref, "ParentRef")
    own_id = obj.get("Id")
    ancestor: Row | None = parent
    table = ctx.company.table(entity)
    while ancestor is not None:
        if own_id is not None and ancestor["Id"] == own_id:
            raise faults.QBOFault(
                faults.Fault(
                    400,
                    "ValidationFault",
                    (
                        faults.ErrorItem(
                            "900",
                            "Parent cannot be child",
                            "Parent cannot be child : an object cannot be its own ancestor.",
                            "ParentRef",
                        ),
                    ),
                )
            )
        next_ref = ancestor.get("ParentRef")
        ancestor = table.get(next_ref["value"]) if next_ref else None
    level = int(parent.get("Level", 0)) + 1
    # A row moved under a new parent takes its sub-rows along: the deepest must fit too.
    below = _depth_below(table, str(own_id)) if own_id is not None else 0
    if level + below > MAX_LEVEL:
        raise faults.sub_level_limit()
    obj["ParentRef"] = ref_to(parent, "DisplayName" if entity == "Customer" else "Name")
    obj[flag] = True
    obj["Level"] = level
    obj["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}"


def _depth_below(table: Table, entity_id: str) -> int:
    """How many levels of sub-rows hang under a row (0 for a row without any)."""
    children = table.lookup("ParentRef", (entity_id,)) or []
    return max((1 + _depth_below(table, child["Id"]) for child in children), default=0)


def _unique_in_list(ctx: Ctx, entity: str, obj: Row, space: str) -> None:
    """Names of items, accounts, classes... are unique by full name, inactive rows included."""
    other = ctx.company.table(entity).first("FullyQualifiedName", obj["FullyQualifiedName"])
    if other is not None and other["Id"] != obj.get("Id"):
        raise faults.duplicate_name(space)


def _required_name(obj: Row, limit_chars: str = ":\t\n") -> str:
    name = obj.get("Name")
    if blank(name):
        raise faults.required_param("Name")
    text = str(name).strip()
    _forbid_chars(text, "Name", limit_chars)
    obj["Name"] = text
    return text


# --- people -------------------------------------------------------------------------------


def _display_name(obj: Row, *, company_counts: bool) -> str:
    """DisplayName as given, else built from the name parts (6080 when there are none)."""
    display = obj.get("DisplayName")
    if not blank(display):
        text = str(display).strip()
    else:
        parts = [
            str(obj[k]).strip()
            for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
            if not blank(obj.get(k))
        ]
        if not parts and company_counts and not blank(obj.get("CompanyName")):
            parts = [str(obj["CompanyName"]).strip()]
        if not parts:
            raise faults.no_name_provided()
        text = " ".join(parts)
    _forbid_chars(text, "DisplayName", ":\t\n")
    obj["DisplayName"] = text
    if blank(obj.get("PrintOnCheckName")):
        obj["PrintOnCheckName"] = text[:110]
    return text


def _unique_person(ctx: Ctx, entity: str, obj: Row) -> None:
    holder = ctx.company.person_with_name(obj["DisplayName"])
    if holder is None:
        return
    holder_entity, row = holder
    if holder_entity == entity and row["Id"] == obj.get("Id"):
        return
    raise faults.duplicate_name("person")


def _email(obj: Row, key: str = "PrimaryEmailAddr") -> None:
    email = obj.get(key)
    if blank(email) or (isinstance(email, dict) and blank(email.get("Address"))):
        obj.pop(key, None)
        return
    address = str(email.get("Address") if isinstance(email, dict) else email).strip()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or " " in address:
        raise faults.invalid_value(
            f"{key}.Address",
            f"Invalid Email Address format : {address} is not a valid e-mail address.",
            "2210",
        )
    obj[key] = {"Address": address}


def _keep_balance(obj: Row, existing: Row | None, *keys: str) -> None:
    for key in keys:
        obj[key] = existing.get(key, Decimal("0")) if existing else Decimal("0")


def prepare_customer(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    name = _display_name(obj, company_counts=False)
    _unique_person(ctx, "Customer", obj)
    _email(obj)
    _active(obj)
    _hierarchy(ctx, "Customer", obj, name)
    if not obj["Job"]:
        obj["BillWithParent"] = False
    else:
        obj["BillWithParent"] = (
            False
            if blank(obj.get("BillWithParent"))
            else boolean(obj["BillWithParent"], "BillWithParent")
        )
    obj["Taxable"] = True if blank(obj.get("Taxable")) else boolean(obj["Taxable"], "Taxable")
    obj.setdefault("CurrencyRef", USD)
    obj.setdefault("PreferredDeliveryMethod", "Print")
    obj["IsProject"] = False
    _keep_balance(obj, existing, "Balance", "BalanceWithJobs")
    retiring = existing is not None and existing.get("Active") and not obj["Active"]
    if retiring and (existing or {}).get("BalanceWithJobs", Decimal("0")) != 0:
        raise faults.delete_has_balance()
    return obj


def prepare_vendor(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    _display_name(obj, company_counts=True)
    _unique_person(ctx, "Vendor", obj)
    _email(obj)
    _active(obj)
    obj["Vendor1099"] = (
        False if blank(obj.get("Vendor1099")) else boolean(obj["Vendor1099"], "Vendor1099")
    )
    obj.setdefault("CurrencyRef", USD)
    _keep_balance(obj, existing, "Balance")
    return obj


def prepare_employee(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    if blank(obj.get("GivenName")) and blank(obj.get("FamilyName")):
        if blank(obj.get("DisplayName")):
            raise faults.no_name_provided()
        raise faults.required_param("GivenName", "GivenName", "GivenName or FamilyName is required")
    _display_name(obj, company_counts=False)
    _unique_person(ctx, "Employee", obj)
    _email(obj)
    _active(obj)
    obj["BillableTime"] = (
        False if blank(obj.get("BillableTime")) else boolean(obj["BillableTime"], "BillableTime")
    )
    return obj


# --- items and accounts -------------------------------------------------------------------


def _account_type_check(ctx: Ctx, obj: Row, key: str) -> None:
    ref = obj.get(key)
    if blank(ref):
        return
    account = resolve_ref(ctx, "Account", ref, key)
    if account.get("AccountType") in ("Accounts Receivable", "Accounts Payable"):
        raise faults.invalid_value(
            key,
            "Invalid account type : You can't associate a product or service with accounts of "
            "certain types, such as Accounts Receivable or Accounts Payable.",
            "6430",
        )


def prepare_item(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    name = _required_name(obj)
    item_type = str(obj.get("Type") or (existing or {}).get("Type") or "NonInventory")
    if existing is not None and existing.get("Type") == "Group":
        raise faults.unsupported_operation("Update for Item of Type Group (bundles are read-only)")
    if item_type not in ITEM_TYPES:
        raise faults.invalid_enumeration("Type", item_type)
    if existing is not None and existing.get("Type") == "Inventory" and item_type != "Inventory":
        raise faults.business_validation("You can't change the type of an inventory item.", "Type")
    obj["Type"] = item_type
    _active(obj)
    _hierarchy(ctx, "Item", obj, name)
    _unique_in_list(ctx, "Item", obj, "Item")
    for key in ("UnitPrice", "PurchaseCost"):
        obj[key] = Decimal("0") if blank(obj.get(key)) else decimal(obj[key], key)
    obj["Taxable"] = False if blank(obj.get("Taxable")) else boolean(obj["Taxable"], "Taxable")
    for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        _account_type_check(ctx, obj, key)
    if item_type in ("Service", "NonInventory"):
        obj["TrackQtyOnHand"] = False
        if blank(obj.get("IncomeAccountRef")) and blank(obj.get("ExpenseAccountRef")):
            raise faults.required_param("IncomeAccountRef")
    elif item_type == "Inventory":
        _inventory(obj, existing)
    return obj


def _inventory(obj: Row, existing: Row | None) -> None:
    obj["TrackQtyOnHand"] = True
    if blank(obj.get("AssetAccountRef")):
        raise faults.required_param(
            "AssetAccountRef",
            extra="An inventory asset account is required if you are tracking inventory "
            "quantities for this product.",
        )
    for key in ("IncomeAccountRef", "ExpenseAccountRef"):
        if blank(obj.get(key)):
            raise faults.required_param(key)
    if blank(obj.get("InvStartDate")):
        raise faults.required_param(
            "InvStartDate", extra="As of date for initial quantity on hand is required"
        )
    obj["InvStartDate"] = iso_date(obj["InvStartDate"], "InvStartDate")
    if blank(obj.get("QtyOnHand")):
        if existing is None:
            raise faults.required_param("QtyOnHand")
        obj["QtyOnHand"] = existing.get("QtyOnHand", Decimal("0"))
    else:
        obj["QtyOnHand"] = decimal(obj["QtyOnHand"], "QtyOnHand")


def prepare_account(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    name = _required_name(obj, ':"')
    account_type = obj.get("AccountType")
    sub_type = obj.get("AccountSubType")
    if blank(account_type) and blank(sub_type):
        raise faults.invalid_value(
            "AccountType",
            "Invalid Account Type : You must select an account type or detail type "
            "(AccountType or AccountSubType).",
            "6010",
        )
    if blank(account_type):
        key = str(sub_type).replace(" ", "").lower()
        account_type = SUBTYPE_TO_TYPE.get(key, "Expense")
    canonical = _ACCOUNT_TYPE_BY_KEY.get(
        str(account_type).replace(" ", "").replace("-", "").lower()
    )
    if canonical is None:
        raise faults.invalid_enumeration("AccountType", str(account_type))
    classification, default_sub = ACCOUNT_TYPES[canonical]
    obj["AccountType"] = canonical
    obj["AccountSubType"] = default_sub if blank(sub_type) else str(sub_type)
    obj["Classification"] = classification
    _active(obj)
    _hierarchy(ctx, "Account", obj, name)
    _unique_in_list(ctx, "Account", obj, "Account")
    obj.setdefault("CurrencyRef", USD)
    _keep_balance(obj, existing, "CurrentBalance", "CurrentBalanceWithSubAccounts")
    return obj


def _simple_tree(entity: str, space: str) -> Callable[[Ctx, Row, Row | None], Row]:
    def prepare(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
        name = _required_name(obj)
        _active(obj)
        _hierarchy(ctx, entity, obj, name)
        _unique_in_list(ctx, entity, obj, space)
        return obj

    return prepare


def _flat(
    entity: str, enum_field: str, allowed: tuple[str, ...], default: str
) -> Callable[[Ctx, Row, Row | None], Row]:
    def prepare(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
        name = _required_name(obj)
        _active(obj)
        value = default if blank(obj.get(enum_field)) else str(obj[enum_field])
        if value not in allowed:
            raise faults.invalid_enumeration(enum_field, value)
        obj[enum_field] = value
        obj["FullyQualifiedName"] = name
        _unique_in_list_flat(ctx, entity, obj)
        return obj

    return prepare


def _unique_in_list_flat(ctx: Ctx, entity: str, obj: Row) -> None:
    other = ctx.company.table(entity).first("Name", obj["Name"])
    if other is not None and other["Id"] != obj.get("Id"):
        raise faults.duplicate_name(entity)


def _finish_term(
    prepare: Callable[[Ctx, Row, Row | None], Row],
) -> Callable[[Ctx, Row, Row | None], Row]:
    def wrapped(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
        result = prepare(ctx, obj, existing)
        result.pop("FullyQualifiedName", None)
        if result["Type"] == "STANDARD":
            days = obj.get("DueDays")
            result["DueDays"] = 0 if blank(days) else int(decimal(days, "DueDays"))
        return result

    return wrapped


def _finish_flat(
    prepare: Callable[[Ctx, Row, Row | None], Row],
) -> Callable[[Ctx, Row, Row | None], Row]:
    def wrapped(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
        result = prepare(ctx, obj, existing)
        result.pop("FullyQualifiedName", None)
        return result

    return wrapped


PREPARE: dict[str, Callable[[Ctx, Row, Row | None], Row]] = {
    "Customer": prepare_customer,
    "Vendor": prepare_vendor,
    "Employee": prepare_employee,
    "Item": prepare_item,
    "Account": prepare_account,
    "Class": _simple_tree("Class", "Class"),
    "Department": _simple_tree("Department", "Department"),
    "Term": _finish_term(_flat("Term", "Type", TERM_TYPES, "STANDARD")),
    "PaymentMethod": _finish_flat(
        _flat("PaymentMethod", "Type", PAYMENT_METHOD_TYPES, "NON_CREDIT_CARD")
    ),
}


def ref_value(obj: Row, key: str) -> str | None:
    ref: Any = obj.get(key)
    if blank(ref):
        return None
    return ref_id(ref, key)
