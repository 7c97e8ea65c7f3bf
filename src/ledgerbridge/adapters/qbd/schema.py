"""The qbXML elements the Desktop adapter writes, in QuickBooks' schema order, with Desktop's
maximum lengths (Intuit's qbXML 7.0 catalogue, qbd-reference §3).

    element("CustomerAdd", {"Name": "Acme", "IsActive": "true"})  -> <CustomerAdd>...</CustomerAdd>

`element` writes the children of a node in the order the schema gives, whatever order the
values come in: QuickBooks refuses a whole document whose elements are out of order. A value
longer than Desktop takes is `TooLong` naming the element's path, never cut short. A name the
node does not have is a `ValueError` (a bug of the adapter's, not of the data).

A node's children are `(name, limit)`: a leaf with its maximum length (0: not limited), or
`(name, "Node")`: a group written by the spec of that name. A value given as a list repeats
the child (transaction lines).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from lxml import etree

__all__ = ["NODES", "TooLong", "element"]


class TooLong(ValueError):
    """A value longer than QuickBooks Desktop takes in that element."""

    def __init__(self, path: str, limit: int, length: int) -> None:
        super().__init__(f"{path} is {length} characters long; QuickBooks Desktop takes {limit}")
        self.path = path
        self.limit = limit
        self.length = length


Spec = tuple[tuple[str, int | str], ...]

_ADDRESS: Final[Spec] = (
    ("Addr1", 41),
    ("Addr2", 41),
    ("Addr3", 41),
    ("Addr4", 41),
    ("Addr5", 41),
    ("City", 31),
    ("State", 21),
    ("PostalCode", 13),
    ("Country", 31),
    ("Note", 41),
)
_REF: Final[Spec] = (("ListID", 0), ("FullName", 0))

_CUSTOMER: Final[Spec] = (
    ("Name", 41),
    ("IsActive", 0),
    ("ParentRef", "Ref"),
    ("CompanyName", 41),
    ("FirstName", 25),
    ("LastName", 25),
    ("BillAddress", "Address"),
    ("Phone", 21),
    ("Email", 1023),
    ("Notes", 4095),
)
_VENDOR: Final[Spec] = (
    ("Name", 41),
    ("IsActive", 0),
    ("CompanyName", 41),
    ("FirstName", 25),
    ("LastName", 25),
    ("VendorAddress", "Address"),
    ("Phone", 21),
    ("Email", 1023),
)
_SALES_AND_PURCHASE: Final[Spec] = (
    ("SalesDesc", 4095),
    ("SalesPrice", 0),
    ("IncomeAccountRef", "Ref"),
    ("PurchaseDesc", 4095),
    ("PurchaseCost", 0),
    ("ExpenseAccountRef", "Ref"),
)
_SALES_OR_PURCHASE: Final[Spec] = (("Desc", 4095), ("Price", 0), ("AccountRef", "Ref"))
_INVENTORY: Final[Spec] = (
    ("Name", 31),
    ("IsActive", 0),
    ("ManufacturerPartNumber", 31),
    ("SalesTaxCodeRef", "Ref"),
    ("SalesDesc", 4095),
    ("SalesPrice", 0),
    ("IncomeAccountRef", "Ref"),
    ("PurchaseDesc", 4095),
    ("PurchaseCost", 0),
    ("COGSAccountRef", "Ref"),
    ("AssetAccountRef", "Ref"),
)
_INVOICE_LINE: Final[Spec] = (
    ("TxnLineID", 0),
    ("ItemRef", "Ref"),
    ("Desc", 4095),
    ("Quantity", 0),
    ("Rate", 0),
    ("ClassRef", "Ref"),
    ("Amount", 0),
    ("SalesTaxCodeRef", "Ref"),
)
_EXPENSE_LINE: Final[Spec] = (
    ("TxnLineID", 0),
    ("AccountRef", "Ref"),
    ("Amount", 0),
    ("Memo", 4095),
    ("CustomerRef", "Ref"),
    ("ClassRef", "Ref"),
    ("BillableStatus", 0),
)
_ITEM_LINE: Final[Spec] = (
    ("TxnLineID", 0),
    ("ItemRef", "Ref"),
    ("Desc", 4095),
    ("Quantity", 0),
    ("Cost", 0),
    ("Amount", 0),
    ("CustomerRef", "Ref"),
    ("ClassRef", "Ref"),
    ("BillableStatus", 0),
)
_PO_LINE: Final[Spec] = (
    ("TxnLineID", 0),
    ("ItemRef", "Ref"),
    ("Desc", 4095),
    ("Quantity", 0),
    ("Rate", 0),
    ("Amount", 0),
)
_APPLIED: Final[Spec] = (("TxnID", 0), ("PaymentAmount", 0))


def _mod(spec: Spec, key: str) -> Spec:
    return ((key, 0), ("EditSequence", 16), *spec)


_INVOICE: Final[Spec] = (
    ("CustomerRef", "Ref"),
    ("ClassRef", "Ref"),
    ("TxnDate", 0),
    ("RefNumber", 11),
    ("DueDate", 0),
    ("Memo", 4095),
    ("CustomerSalesTaxCodeRef", "Ref"),
)
_PAYMENT: Final[Spec] = (
    ("CustomerRef", "Ref"),
    ("TxnDate", 0),
    ("RefNumber", 20),
    ("TotalAmount", 0),
    ("PaymentMethodRef", "Ref"),
    ("Memo", 4095),
)
_BILL: Final[Spec] = (
    ("VendorRef", "Ref"),
    ("TxnDate", 0),
    ("DueDate", 0),
    ("RefNumber", 20),
    ("Memo", 4095),
)
_CHECK: Final[Spec] = (
    ("AccountRef", "Ref"),
    ("PayeeEntityRef", "Ref"),
    ("RefNumber", 11),
    ("TxnDate", 0),
    ("Memo", 4095),
)
_CHARGE: Final[Spec] = (
    ("AccountRef", "Ref"),
    ("PayeeEntityRef", "Ref"),
    ("TxnDate", 0),
    ("RefNumber", 11),
    ("Memo", 4095),
)
_PO: Final[Spec] = (
    ("VendorRef", "Ref"),
    ("TxnDate", 0),
    ("RefNumber", 11),
    ("Memo", 4095),
)
_CLASS: Final[Spec] = (("Name", 31), ("IsActive", 0), ("ParentRef", "Ref"))
_GUID: Final[Spec] = (("ExternalGUID", 0),)
_EXPENSES_ADD: Final[Spec] = (("ExpenseLineAdd", "ExpenseLine"), ("ItemLineAdd", "ItemLine"))
_EXPENSES_MOD: Final[Spec] = (("ExpenseLineMod", "ExpenseLine"), ("ItemLineMod", "ItemLine"))

NODES: Final[dict[str, Spec]] = {
    "Ref": _REF,
    "Address": _ADDRESS,
    "ExpenseLine": _EXPENSE_LINE,
    "ItemLine": _ITEM_LINE,
    "InvoiceLine": _INVOICE_LINE,
    "PurchaseOrderLine": _PO_LINE,
    "Applied": _APPLIED,
    "SalesOrPurchase": _SALES_OR_PURCHASE,
    "SalesAndPurchase": _SALES_AND_PURCHASE,
    "CustomerAdd": (*_CUSTOMER[:2], *_CUSTOMER[2:], *_GUID),
    "CustomerMod": _mod(_CUSTOMER, "ListID"),
    "VendorAdd": (*_VENDOR, *_GUID),
    "VendorMod": _mod(_VENDOR, "ListID"),
    "ClassMod": _mod(_CLASS, "ListID"),
    "ItemServiceAdd": (
        ("Name", 31),
        ("IsActive", 0),
        ("SalesTaxCodeRef", "Ref"),
        ("SalesOrPurchase", "SalesOrPurchase"),
        ("SalesAndPurchase", "SalesAndPurchase"),
        *_GUID,
    ),
    "ItemServiceMod": _mod(
        (
            ("Name", 31),
            ("IsActive", 0),
            ("SalesTaxCodeRef", "Ref"),
            ("SalesOrPurchaseMod", "SalesOrPurchase"),
            ("SalesAndPurchaseMod", "SalesAndPurchase"),
        ),
        "ListID",
    ),
    "ItemNonInventoryAdd": (
        ("Name", 31),
        ("IsActive", 0),
        ("ManufacturerPartNumber", 31),
        ("SalesTaxCodeRef", "Ref"),
        ("SalesOrPurchase", "SalesOrPurchase"),
        ("SalesAndPurchase", "SalesAndPurchase"),
        *_GUID,
    ),
    "ItemNonInventoryMod": _mod(
        (
            ("Name", 31),
            ("IsActive", 0),
            ("ManufacturerPartNumber", 31),
            ("SalesTaxCodeRef", "Ref"),
            ("SalesOrPurchaseMod", "SalesOrPurchase"),
            ("SalesAndPurchaseMod", "SalesAndPurchase"),
        ),
        "ListID",
    ),
    "ItemInventoryAdd": (
        *_INVENTORY,
        ("QuantityOnHand", 0),
        ("InventoryDate", 0),
        *_GUID,
    ),
    "ItemInventoryMod": _mod(_INVENTORY, "ListID"),
    "InvoiceAdd": (*_INVOICE, *_GUID, ("InvoiceLineAdd", "InvoiceLine")),
    "InvoiceMod": (*_mod(_INVOICE, "TxnID"), ("InvoiceLineMod", "InvoiceLine")),
    "ReceivePaymentAdd": (*_PAYMENT, *_GUID, ("AppliedToTxnAdd", "Applied")),
    "ReceivePaymentMod": (*_mod(_PAYMENT, "TxnID"), ("AppliedToTxnMod", "Applied")),
    "BillAdd": (*_BILL, *_GUID, *_EXPENSES_ADD),
    "BillMod": (*_mod(_BILL, "TxnID"), *_EXPENSES_MOD),
    "CheckAdd": (*_CHECK, *_GUID, *_EXPENSES_ADD),
    "CheckMod": (*_mod(_CHECK, "TxnID"), *_EXPENSES_MOD),
    "CreditCardChargeAdd": (*_CHARGE, *_GUID, *_EXPENSES_ADD),
    "CreditCardChargeMod": (*_mod(_CHARGE, "TxnID"), *_EXPENSES_MOD),
    "PurchaseOrderAdd": (*_PO, *_GUID, ("PurchaseOrderLineAdd", "PurchaseOrderLine")),
    "PurchaseOrderMod": (
        *_mod(_PO[:-1], "TxnID"),
        ("IsManuallyClosed", 0),
        _PO[-1],
        ("PurchaseOrderLineMod", "PurchaseOrderLine"),
    ),
}


def element(tag: str, values: Mapping[str, Any], *, spec: str | None = None) -> etree._Element:
    """`<tag>` with `values` written in the schema order of `spec` (default: `tag`)."""
    return _node(tag, NODES[spec or tag], values, tag)


def _node(tag: str, spec: Spec, values: Mapping[str, Any], path: str) -> etree._Element:
    known = {name for name, _ in spec}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"{path} has no element {sorted(unknown)[0]!r}")
    out = etree.Element(tag)
    for name, kind in spec:
        if name not in values or values[name] is None:
            continue
        value = values[name]
        items: Sequence[Any] = value if isinstance(value, list) else [value]
        for item in items:
            where = f"{path}.{name}"
            if isinstance(kind, str):
                out.append(_node(name, NODES[kind], item, where))
                continue
            text = _text(item)
            if kind and len(text) > kind:
                raise TooLong(where, kind, len(text))
            child = etree.SubElement(out, name)
            child.text = text
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
