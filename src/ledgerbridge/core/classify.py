"""QuickBooks faults -> catalog codes.

`classify(fault, ctx)` is pure: the adapter hands it one error of a QuickBooks fault (code,
message, detail, element) and the write it answered (entity, operation), and gets back a
catalog code with the params its texts show. Anything not recognised becomes
``quickbooks.unknown_error`` with the raw fault kept in the params. Every code returned is a
catalog constant, so it exists in the catalog.

QuickBooks' texts rarely name the record, so the ``name`` param comes from ``ctx.name`` (the
name the write sent), when given. Field params are in office words (`field_label`), with the
raw QuickBooks path beside them as ``quickbooks_field``.

Entities are compared case-insensitively. "Sales forms" are Invoice and SalesReceipt;
"vendor documents" are Bill and Purchase. An element is matched on its last part
(``Line.SalesItemLineDetail.ItemRef`` -> ``ItemRef``).

    fault code (status)       condition                               catalog code (params)
    ------------------------  --------------------------------------  ----------------------------
    6240 duplicate name       Customer                                customer.exists_in_quickbooks
                                                                      (name, space="person",
                                                                      quickbooks_id); the engine
                                                                      tells same type from other
                                                                      type with its mirror
                              Vendor                                  vendor.exists_in_quickbooks
                                                                      (same params)
                              Item                                    item.exists_in_quickbooks
    6140 duplicate number     sales form                              invoice.number_conflict
                                                                      (number, txn_id)
                              vendor document                         receipt.vendor_document_
                                                                      number_taken (number, txn_id)
    5010 stale object         any entity                              customer.edited_concurrently
    610  object not found     "deleted" detail, or no element on a    by entity: Invoice and
                              transaction read/update/delete/void     SalesReceipt -> invoice.
                                                                      deleted_in_quickbooks;
                                                                      Payment -> payment.deleted_
                                                                      in_quickbooks (on create: the
                                                                      invoice it pays was deleted,
                                                                      invoice.deleted_in_quickbooks);
                                                                      PurchaseOrder -> purchase_
                                                                      order.deleted_in_quickbooks;
                                                                      Bill, Purchase -> receipt.
                                                                      stale_reference
                              "made inactive", element CustomerRef    invoice.customer_inactive on a
                                                                      sales form, else customer.
                                                                      inactive_in_quickbooks
                              element ItemRef                         item.inactive_in_quickbooks
                              element ClassRef                        class.inactive_in_quickbooks
                              element VendorRef, or EntityRef on a    vendor.inactive_in_quickbooks
                              vendor document
                              element ParentRef                       the inactive kind of the
                                                                      entity written (customer,
                                                                      item, class)
                              element ...AccountRef                   item.account_missing (field)
                              element PaymentMethodRef                payment.method_not_mapped
                              element TaxCodeRef, TxnTaxCodeRef       tax.rate_not_mapped
    6250 invalid customer     sales form / other                      invoice.customer_inactive /
                                                                      customer.inactive_in_quickbooks
    2500 invalid reference    element ...AccountRef                   item.account_missing (field)
    2050 string length        element PaymentRefNum                   payment.reference_too_long
                                                                      (limit, length)
                              any other element                       record.field_too_long (field,
                                                                      quickbooks_field, limit,
                                                                      length)
    2020 required param       element Line, on a sales form           invoice.no_lines
                              element ...AccountRef                   item.account_missing (field)
                              any other element                       input.required (field,
                                                                      quickbooks_field)
    6000 business validation  Payment, "more than its open balance"   payment.invoice_already_paid
                              or "already paid"                       (amount, open_balance)
                              Payment, "belongs to another"           payment.customer_mismatch
                              Payment, "transaction amount"           input.required (field=amount)
                              Payment, "more than the payment amount" input.invalid (reason)
                              Item, "change the type"                 item.type_change_not_allowed
    500  unsupported          Item, bundle ("Group") update           item.bundle_read_only
    6080 no name              Customer / other                        customer.name_missing /
                                                                      input.required (field=name)
    2210 invalid email        Vendor / other                          input.invalid (field=email) /
                                                                      customer.email_invalid (email)
    2040 invalid string       -                                       input.invalid (field, reason)
    2290 negative amount      -                                       input.invalid (field, reason)
    6070 amount != qty*price  -                                       input.invalid (field, reason)
    6100 invalid tax code     -                                       tax.rate_not_mapped
    6190 company status       -                                       connection.subscription_
                                                                      inactive
    6200, 6210 period closed  -                                       invoice.closed_period
    6220 delete has balance   -                                       customer.has_open_balance
    6270 inventory start      -                                       item.inventory_start_date
                                                                      (item, start_date)
    6430 invalid account type -                                       item.account_mismatch (field)
    6540 deposited            -                                       payment.deposited
    3200 (401)                -                                       connection.token_expired
    3100 (403)                detail mentions "scope"                 connection.permission_missing
                              otherwise                               connection.disconnected
    120  authorization        -                                       connection.permission_missing
    3001 (429)                -                                       connection.throttled
    10000, 150, any 5xx       -                                       connection.quickbooks_
                                                                      unavailable
    401 / 403 / 429 status    code not handled above                  as 3200 / 3100 / 3001
    anything else             -                                       quickbooks.unknown_error
                                                                      (code, message, detail,
                                                                      element, intuit_tid)

A rule that matches the code but not its condition falls through to the status rules, then to
``quickbooks.unknown_error``.

QuickBooks Desktop's faults arrive here already written in these codes (``adapters.qbd.errors``
renames Desktop's 3100 name in use to 6240, its 3200 stale edit sequence to 5010, ... with
``status`` 200), so both ledgers yield the same catalog codes; Desktop's own 3100 and 3200 never
reach the 3100/3200 rules above, which are QuickBooks Online's authorization faults.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from ledgerbridge.core import catalog

__all__ = [
    "Classification",
    "Fault",
    "FaultContext",
    "Operation",
    "QboFault",
    "classify",
    "field_label",
]

Operation = Literal["create", "update", "delete", "void", "read"]


@dataclass(frozen=True, slots=True)
class QboFault:
    """One error of a QuickBooks fault, as the adapter parsed it (both envelope shapes)."""

    status: int  # the response status (200 for an item of a batch)
    code: str  # "6240"
    message: str  # "Duplicate Name Exists Error"
    detail: str
    element: str | None  # the field at fault, "" or None when not named
    intuit_tid: str | None  # Intuit's trace id, for support


class Fault(Protocol):
    """What `classify` reads of a fault: `QboFault`, or the adapter's own value of the same
    shape (``adapters.qbo.errors.QboFault``), without converting one into the other."""

    @property
    def status(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def element(self) -> str | None: ...
    @property
    def intuit_tid(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FaultContext:
    """The call the fault answered."""

    entity: str  # QuickBooks entity of the write: "Customer", "Invoice", ...
    operation: Operation
    record_type: str | None = None  # the app's record type ("customer", "payment"...), if any
    name: str | None = None  # the name the write sent (customer, vendor or item), if any


@dataclass(frozen=True, slots=True)
class Classification:
    """A catalog code and the params its texts show."""

    code: str
    params: dict[str, str] = field(default_factory=dict)


_SALES_FORMS: Final = frozenset({"invoice", "salesreceipt"})
_VENDOR_DOCUMENTS: Final = frozenset({"bill", "purchase"})
_TRANSACTIONS: Final = (
    _SALES_FORMS
    | _VENDOR_DOCUMENTS
    | {
        "payment",
        "purchaseorder",
        "creditmemo",
        "estimate",
        "billpayment",
        "deposit",
        "journalentry",
    }
)

_FIELD_LABELS: Final = {
    "DisplayName": "name",
    "Name": "name",
    "FullyQualifiedName": "name",
    "CompanyName": "company name",
    "GivenName": "first name",
    "MiddleName": "middle name",
    "FamilyName": "last name",
    "Title": "title",
    "Suffix": "suffix",
    "PrintOnCheckName": "name printed on checks",
    "PrimaryEmailAddr": "email address",
    "BillEmail": "billing email address",
    "PrimaryPhone": "phone number",
    "Mobile": "mobile number",
    "Fax": "fax number",
    "WebAddr": "website",
    "Notes": "notes text",
    "DocNumber": "number",
    "PrivateNote": "memo",
    "Memo": "memo",
    "CustomerMemo": "message to the customer",
    "Description": "description",
    "PurchaseDesc": "purchase description",
    "Sku": "SKU",
    "PaymentRefNum": "payment reference",
    "TotalAmt": "amount",
    "Amount": "amount",
    "TxnDate": "date",
    "DueDate": "due date",
    "Line": "lines",
    "PaymentType": "payment type",
    "CustomerRef": "customer",
    "VendorRef": "vendor",
    "ItemRef": "item",
    "ClassRef": "class",
    "IncomeAccountRef": "income account",
    "ExpenseAccountRef": "expense account",
    "AssetAccountRef": "inventory asset account",
    "AccountRef": "account",
    "DepositToAccountRef": "deposit account",
    "APAccountRef": "accounts payable account",
    "ARAccountRef": "accounts receivable account",
    "BillAddr": "billing address",
    "ShipAddr": "shipping address",
    "PrimaryAddr": "address",
    "InvStartDate": "inventory start date",
    "QtyOnHand": "quantity on hand",
}

_SUBPARTS: Final = frozenset(
    {
        "Address",
        "FreeFormNumber",
        "URI",
        "value",
        "Line1",
        "Line2",
        "Line3",
        "Line4",
        "Line5",
        "City",
        "CountrySubDivisionCode",
        "PostalCode",
        "Country",
    }
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def field_label(element: str | None) -> str:
    """A QuickBooks field path in office words: ``Line.Description`` -> "line description".

    A known field has a fixed label (``PrimaryEmailAddr.Address`` -> "email address"); other
    paths have their parts split into lower-case words, ``Ref`` suffixes dropped.
    """
    parts = [p for p in (element or "").split(".") if p]
    if not parts:
        return ""
    if len(parts) > 1 and parts[-1] in _SUBPARTS and parts[-2] in _FIELD_LABELS:
        parts = parts[:-1]
    label = _FIELD_LABELS.get(parts[-1])
    if label is not None:
        return f"line {label}" if parts[0] == "Line" and len(parts) > 1 else label
    words: list[str] = []
    for part in parts:
        stem = part[:-3] if part.endswith("Ref") and len(part) > 3 else part
        words.extend(_CAMEL.sub(" ", stem).lower().split())
    return " ".join(dict.fromkeys(words))


def _leaf(element: str | None) -> str:
    return (element or "").rsplit(".", 1)[-1].strip()


def _entity(ctx: FaultContext) -> str:
    return ctx.entity.strip().lower()


def _is_account_ref(leaf: str) -> bool:
    return leaf.endswith("AccountRef")


def _named(ctx: FaultContext, **params: str) -> dict[str, str]:
    out = {"name": ctx.name} if ctx.name else {}
    out.update({k: v for k, v in params.items() if v})
    return out


# --- rules by fault code ----------------------------------------------------------------------

Rule = Callable[[Fault, FaultContext], Classification | None]

_CUSTOMER_ID = re.compile(r"customer ID is:\s*(\S+?)\.?\s*$", re.IGNORECASE)


def _duplicate_name(fault: Fault, ctx: FaultContext) -> Classification | None:
    entity = _entity(ctx)
    found = _CUSTOMER_ID.search(fault.detail)
    quickbooks_id = found.group(1) if found else ""
    if entity == "customer":
        params = _named(ctx, space="person", quickbooks_id=quickbooks_id)
        return Classification(catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS, params)
    if entity == "vendor":
        params = _named(ctx, space="person", quickbooks_id=quickbooks_id)
        return Classification(catalog.VENDOR_EXISTS_IN_QUICKBOOKS, params)
    if entity == "item":
        return Classification(catalog.ITEM_EXISTS_IN_QUICKBOOKS, _named(ctx))
    return None


_DOC_NUMBER = re.compile(
    r"DocNumber=(?P<number>.+?) is assigned to TxnType=\w+ with TxnId=(?P<id>\S+)"
)


def _duplicate_number(fault: Fault, ctx: FaultContext) -> Classification | None:
    found = _DOC_NUMBER.search(fault.detail)
    params = {"number": found["number"], "txn_id": found["id"]} if found else {}
    entity = _entity(ctx)
    if entity in _SALES_FORMS:
        return Classification(catalog.INVOICE_NUMBER_CONFLICT, params)
    if entity in _VENDOR_DOCUMENTS:
        return Classification(catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN, params)
    return None


def _stale_object(fault: Fault, ctx: FaultContext) -> Classification | None:
    return Classification(catalog.CUSTOMER_EDITED_CONCURRENTLY)


def _deleted(ctx: FaultContext) -> Classification | None:
    entity = _entity(ctx)
    if entity in _SALES_FORMS:
        return Classification(catalog.INVOICE_DELETED_IN_QUICKBOOKS)
    if entity == "payment":
        if ctx.operation == "create":  # a new payment can only meet the invoice it pays
            return Classification(catalog.INVOICE_DELETED_IN_QUICKBOOKS)
        return Classification(catalog.PAYMENT_DELETED_IN_QUICKBOOKS)
    if entity == "purchaseorder":
        return Classification(catalog.PURCHASE_ORDER_DELETED_IN_QUICKBOOKS)
    if entity in _VENDOR_DOCUMENTS:
        return Classification(catalog.RECEIPT_STALE_REFERENCE)
    return None


def _inactive_customer(ctx: FaultContext) -> Classification:
    if _entity(ctx) in _SALES_FORMS:
        return Classification(catalog.INVOICE_CUSTOMER_INACTIVE)
    return Classification(catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS)


# QuickBooks Desktop's 3140 echoes the ClassRef value sent, quoted: a full name (which may
# itself hold a `"`, hence up to the last `" in the`) or, as ledgerbridge sends it, a ListID
_CLASS_NAMED = re.compile(r'invalid reference to QuickBooks Class "(?P<name>.+)" in the ')
_DESKTOP_LIST_ID = re.compile(r"[0-9A-F]{1,8}-[0-9]{1,10}")

_INACTIVE_PARENT: Final = {
    "customer": catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
    "item": catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
    "class": catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
}


def _object_not_found(fault: Fault, ctx: FaultContext) -> Classification | None:
    leaf = _leaf(fault.element)
    entity = _entity(ctx)
    deleted = "deleted" in fault.detail.lower()
    if deleted or (not leaf and ctx.operation != "create" and entity in _TRANSACTIONS):
        return _deleted(ctx)
    if leaf == "CustomerRef":
        return _inactive_customer(ctx)
    if leaf == "ItemRef":
        return Classification(catalog.ITEM_INACTIVE_IN_QUICKBOOKS)
    if leaf == "ClassRef":  # QuickBooks Desktop's 3140 quotes the ClassRef sent: "...Class "X"..."
        return Classification(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, _class_named(fault.detail))
    if leaf == "VendorRef" or (leaf == "EntityRef" and entity in _VENDOR_DOCUMENTS):
        return Classification(catalog.VENDOR_INACTIVE_IN_QUICKBOOKS)
    if leaf == "ParentRef" and entity in _INACTIVE_PARENT:
        return Classification(_INACTIVE_PARENT[entity])
    return _reference(fault, leaf)


def _class_named(detail: str) -> dict[str, str]:
    """The class a Desktop 3140 quotes: its name, or its ListID (`quickbooks_id`, the name
    left to whoever knows the company's classes: a ListID is never shown as a name)."""
    named = _CLASS_NAMED.search(detail or "")
    if named is None:
        return {}
    value = named["name"]
    if _DESKTOP_LIST_ID.fullmatch(value):
        return {"quickbooks_id": value}
    return {"name": value}


def _reference(fault: Fault, leaf: str) -> Classification | None:
    if _is_account_ref(leaf):
        return Classification(catalog.ITEM_ACCOUNT_MISSING, {"field": field_label(fault.element)})
    if leaf == "PaymentMethodRef":
        return Classification(catalog.PAYMENT_METHOD_NOT_MAPPED)
    if leaf in ("TaxCodeRef", "TxnTaxCodeRef"):
        return Classification(catalog.TAX_RATE_NOT_MAPPED)
    return None


def _invalid_customer(fault: Fault, ctx: FaultContext) -> Classification | None:
    return _inactive_customer(ctx)


def _invalid_reference(fault: Fault, ctx: FaultContext) -> Classification | None:
    leaf = _leaf(fault.element)
    if _is_account_ref(leaf):
        return Classification(catalog.ITEM_ACCOUNT_MISSING, {"field": field_label(fault.element)})
    return None


_LIMIT = re.compile(r"Max\s*:\s*(\d+)", re.IGNORECASE)
_LENGTH = re.compile(r"Supplied length\s*:\s*(\d+)", re.IGNORECASE)


def _string_length(fault: Fault, ctx: FaultContext) -> Classification | None:
    limit = _LIMIT.search(fault.detail)
    length = _LENGTH.search(fault.detail)
    params = {
        "limit": limit.group(1) if limit else "",
        "length": length.group(1) if length else "",
    }
    if _leaf(fault.element) == "PaymentRefNum":
        return Classification(catalog.PAYMENT_REFERENCE_TOO_LONG, _present(params))
    params["field"] = field_label(fault.element)
    params["quickbooks_field"] = fault.element or ""
    return Classification(catalog.RECORD_FIELD_TOO_LONG, _present(params))


def _present(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if v}


def _required(fault: Fault, ctx: FaultContext) -> Classification | None:
    leaf = _leaf(fault.element)
    if leaf == "Line" and _entity(ctx) in _SALES_FORMS:
        return Classification(catalog.INVOICE_NO_LINES)
    if _is_account_ref(leaf):
        return Classification(catalog.ITEM_ACCOUNT_MISSING, {"field": field_label(fault.element)})
    if not leaf:
        return None
    params = {"field": field_label(fault.element), "quickbooks_field": fault.element or ""}
    return Classification(catalog.INPUT_REQUIRED, params)


_AMOUNTS = re.compile(
    r"\((?P<amount>[-\d.,]+)\) is more than its open balance \((?P<open>[-\d.,]+)\)"
)


def _business_validation(fault: Fault, ctx: FaultContext) -> Classification | None:
    detail = fault.detail.lower()
    entity = _entity(ctx)
    if entity == "payment":
        if "more than its open balance" in detail or "already paid" in detail:
            found = _AMOUNTS.search(fault.detail)
            params = {"amount": found["amount"], "open_balance": found["open"]} if found else {}
            return Classification(catalog.PAYMENT_INVOICE_ALREADY_PAID, params)
        if "belongs to another" in detail:
            return Classification(catalog.PAYMENT_CUSTOMER_MISMATCH)
        if "transaction amount" in detail:
            return Classification(
                catalog.INPUT_REQUIRED, {"field": "amount", "quickbooks_field": "TotalAmt"}
            )
        if "more than the payment amount" in detail:
            reason = "the amounts applied to invoices add up to more than the payment"
            return Classification(catalog.INPUT_INVALID, {"field": "amount", "reason": reason})
    if entity == "item" and "change the type" in detail:
        return Classification(catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED, _named(ctx))
    return None


def _unsupported(fault: Fault, ctx: FaultContext) -> Classification | None:
    text = fault.detail.lower()
    if _entity(ctx) == "item" and ("group" in text or "bundle" in text):
        return Classification(catalog.ITEM_BUNDLE_READ_ONLY, _named(ctx))
    return None


def _no_name(fault: Fault, ctx: FaultContext) -> Classification | None:
    if _entity(ctx) == "customer":
        return Classification(catalog.CUSTOMER_NAME_MISSING)
    return Classification(catalog.INPUT_REQUIRED, {"field": "name"})


_EMAIL = re.compile(r":\s*(?P<email>\S+) is not a valid e-mail address")


def _invalid_email(fault: Fault, ctx: FaultContext) -> Classification | None:
    found = _EMAIL.search(fault.detail)
    params = {"email": found["email"]} if found else {}
    if _entity(ctx) == "vendor":
        params.update(field="email address", reason="it is not a valid email address")
        return Classification(catalog.INPUT_INVALID, params)
    return Classification(catalog.CUSTOMER_EMAIL_INVALID, params)


def _invalid_value(reason: str) -> Rule:
    def rule(fault: Fault, ctx: FaultContext) -> Classification | None:
        params = _present({"field": field_label(fault.element), "reason": reason})
        return Classification(catalog.INPUT_INVALID, params)

    return rule


_INVENTORY = re.compile(r"inventory item (?P<item>.+?) \(start date (?P<date>[\d-]+)\)")


def _inventory_start(fault: Fault, ctx: FaultContext) -> Classification | None:
    found = _INVENTORY.search(fault.detail)
    params = {"item": found["item"], "start_date": found["date"]} if found else {}
    return Classification(catalog.ITEM_INVENTORY_START_DATE, params)


def _account_type(fault: Fault, ctx: FaultContext) -> Classification | None:
    params = _named(ctx, field=field_label(fault.element))
    return Classification(catalog.ITEM_ACCOUNT_MISMATCH, params)


def _authorization(fault: Fault, ctx: FaultContext) -> Classification | None:
    if "scope" in fault.detail.lower():
        return Classification(catalog.CONNECTION_PERMISSION_MISSING)
    return Classification(catalog.CONNECTION_DISCONNECTED)


def _always(code: str) -> Rule:
    def rule(fault: Fault, ctx: FaultContext) -> Classification | None:
        return Classification(code)

    return rule


_RULES: Final[dict[str, Rule]] = {
    "6240": _duplicate_name,
    "6140": _duplicate_number,
    "5010": _stale_object,
    "610": _object_not_found,
    "6250": _invalid_customer,
    "2500": _invalid_reference,
    "2050": _string_length,
    "2020": _required,
    "6000": _business_validation,
    "500": _unsupported,
    "6080": _no_name,
    "2210": _invalid_email,
    "2040": _invalid_value(
        "it contains a character QuickBooks doesn't allow there, such as a colon, a tab or a "
        "line break"
    ),
    "2290": _invalid_value("QuickBooks doesn't accept a negative amount there"),
    "6070": _invalid_value("a line's amount is not its quantity times its price"),
    "6100": _always(catalog.TAX_RATE_NOT_MAPPED),
    "6190": _always(catalog.CONNECTION_SUBSCRIPTION_INACTIVE),
    "6200": _always(catalog.INVOICE_CLOSED_PERIOD),
    "6210": _always(catalog.INVOICE_CLOSED_PERIOD),
    "6220": _always(catalog.CUSTOMER_HAS_OPEN_BALANCE),
    "6270": _inventory_start,
    "6430": _account_type,
    "6540": _always(catalog.PAYMENT_DEPOSITED),
    "3200": _always(catalog.CONNECTION_TOKEN_EXPIRED),
    "3100": _authorization,
    "120": _always(catalog.CONNECTION_PERMISSION_MISSING),
    "3001": _always(catalog.CONNECTION_THROTTLED),
    "10000": _always(catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE),
    "150": _always(catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE),
}

_BY_STATUS: Final[dict[int, Rule]] = {
    401: _always(catalog.CONNECTION_TOKEN_EXPIRED),
    403: _authorization,
    429: _always(catalog.CONNECTION_THROTTLED),
}


def classify(fault: Fault, ctx: FaultContext) -> Classification:
    """The catalog code for a QuickBooks fault met by a call (see the table above)."""
    rule = _RULES.get(fault.code.strip().lstrip("0") or "0")
    found = rule(fault, ctx) if rule is not None else None
    if found is not None:
        return found
    by_status = _BY_STATUS.get(fault.status)
    if by_status is not None:
        found = by_status(fault, ctx)
    elif fault.status >= 500:
        found = Classification(catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE)
    return found or _unknown(fault)


def _unknown(fault: Fault) -> Classification:
    return Classification(
        catalog.QUICKBOOKS_UNKNOWN_ERROR,
        {
            "code": fault.code,
            "message": fault.message,
            "detail": fault.detail,
            "element": fault.element or "",
            "intuit_tid": fault.intuit_tid or "",
        },
    )
