"""QuickBooks Online's JSON shapes <-> QuickBooks Desktop's qbXML objects.

The engine builds and reads the Accounting API's JSON (`core.mapping.to_quickbooks`, the
mirror); Desktop speaks qbXML. `to_desktop` turns a body into the values of a `…Add` / `…Mod`
(`schema.element` writes them in order), `to_online` turns a `…Ret` into the JSON the engine
reads. Identities: a ListID or TxnID is the `Id`, the EditSequence is the `SyncToken`.

    Online entity   Desktop object                      notes
    Customer        Customer (a job: ParentRef)         DisplayName = Name
    Vendor          Vendor
    Item            ItemService / ItemNonInventory /    Sku = ManufacturerPartNumber;
                    ItemInventory                       Taxable = sales tax code "Tax"
    Invoice         Invoice                             DocNumber = RefNumber
    Payment         ReceivePayment                      Line.LinkedTxn = AppliedToTxn
    Bill            Bill
    Purchase        Check, or CreditCardCharge when     EntityRef = PayeeEntityRef
                    PaymentType is CreditCard
    PurchaseOrder   PurchaseOrder                       POStatus Closed = IsManuallyClosed
    Class           Class (a sub-class: ParentRef)      read, and made active again (Mod)
    Account, PaymentMethod, Term, TaxCode, Employee     read only (the mirror's look-ups)

A class travels as `ClassRef` (its ListID) on an invoice, on its lines, and on the expense and
item lines of bills, checks and card charges, as Online's on the same places.

A transaction Mod that carries lines sends them all as new ones (QuickBooks drops the lines a
Mod leaves out): the body says what QuickBooks should hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from lxml import etree

__all__ = [
    "ITEM_KINDS",
    "LIST_OBJECTS",
    "OBJECTS",
    "desktop_object",
    "online_entity",
    "to_desktop",
    "to_online",
    "tree",
]

Body = Mapping[str, Any]
Values = dict[str, Any]

OBJECTS: Final[dict[str, tuple[str, ...]]] = {
    "Customer": ("Customer",),
    "Vendor": ("Vendor",),
    "Item": ("ItemService", "ItemNonInventory", "ItemInventory"),
    "Invoice": ("Invoice",),
    "Payment": ("ReceivePayment",),
    "Bill": ("Bill",),
    "Purchase": ("Check", "CreditCardCharge"),
    "PurchaseOrder": ("PurchaseOrder",),
    "Account": ("Account",),
    "PaymentMethod": ("PaymentMethod",),
    "Term": ("Terms",),
    "TaxCode": ("SalesTaxCode",),
    "Employee": ("Employee",),
    "Class": ("Class",),
}
"""The Desktop objects behind each Online entity the engine reads or writes."""
LIST_OBJECTS: Final = frozenset(
    {
        "Customer",
        "Vendor",
        "ItemService",
        "ItemNonInventory",
        "ItemInventory",
        "Account",
        "PaymentMethod",
        "Terms",
        "SalesTaxCode",
        "Employee",
        "Class",
    }
)
ITEM_KINDS: Final = {
    "Service": "ItemService",
    "NonInventory": "ItemNonInventory",
    "Inventory": "ItemInventory",
}
_ONLINE_OF: Final = {
    desktop: online for online, objects in OBJECTS.items() for desktop in objects
} | {"StandardTerms": "Term"}
_TAX, _NON = "Tax", "Non"


def desktop_object(entity: str, body: Body) -> str:
    """The Desktop object a new `entity` body becomes."""
    if entity == "Item":
        return ITEM_KINDS.get(str(body.get("Type") or "Service"), "ItemService")
    if entity == "Purchase":
        return "CreditCardCharge" if body.get("PaymentType") == "CreditCard" else "Check"
    objects = OBJECTS.get(entity)
    if objects is None or len(objects) != 1:
        raise ValueError(f"QuickBooks Desktop has no object for {entity!r} writes")
    return objects[0]


def online_entity(obj: str) -> str:
    """The Online entity of a Desktop object ("ReceivePayment" -> "Payment")."""
    return _ONLINE_OF.get(obj, obj)


# --- Online body -> qbXML values --------------------------------------------------------------


def to_desktop(obj: str, body: Body, *, mod: bool, current: Values | None = None) -> Values:
    """The values of `<obj>Add` (or `Mod`: without Id/SyncToken, added by the caller)."""
    if obj == "Customer":
        return _person(body, "BillAddress") | _parent(body) | _some(Notes=body.get("Notes"))
    if obj == "Vendor":
        return _person(body, "VendorAddress")
    if obj.startswith("Item"):
        return _item(obj, body, mod=mod, current=current or {})
    if obj == "Invoice":
        return _invoice(body, mod=mod)
    if obj == "ReceivePayment":
        return _payment(body, mod=mod)
    if obj in ("Bill", "Check", "CreditCardCharge"):
        return _expense_doc(obj, body, mod=mod)
    if obj == "PurchaseOrder":
        return _purchase_order(body, mod=mod)
    if obj == "Class":
        active = body.get("Active")
        return _some(
            Name=body.get("Name"), IsActive=active if isinstance(active, bool) else None
        ) | _parent(body)
    raise ValueError(f"QuickBooks Desktop has no {obj} writes here")


def _some(**values: Any) -> Values:
    return {k: v for k, v in values.items() if v is not None}


def _ref(value: Any) -> Values | None:
    if isinstance(value, Mapping) and value.get("value"):
        return {"ListID": str(value["value"])}
    return None


def _address(value: Any) -> Values | None:
    if not isinstance(value, Mapping):
        return None
    return _some(
        Addr1=value.get("Line1"),
        Addr2=value.get("Line2"),
        City=value.get("City"),
        State=value.get("CountrySubDivisionCode"),
        PostalCode=value.get("PostalCode"),
        Country=value.get("Country"),
    )


def _sub(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    return "" if value == "" else None


def _person(body: Body, address: str) -> Values:
    active = body.get("Active")
    return _some(
        Name=body.get("DisplayName"),
        IsActive=active if isinstance(active, bool) else None,
        CompanyName=body.get("CompanyName"),
        FirstName=body.get("GivenName"),
        LastName=body.get("FamilyName"),
        Phone=_sub(body.get("PrimaryPhone"), "FreeFormNumber"),
        Email=_sub(body.get("PrimaryEmailAddr"), "Address"),
    ) | _some(**{address: _address(body.get("BillAddr"))})


def _parent(body: Body) -> Values:
    return _some(ParentRef=_ref(body.get("ParentRef")))


def _tax_code(taxable: Any) -> Values | None:
    if not isinstance(taxable, bool):
        return None
    return {"FullName": _TAX if taxable else _NON}


def _item(obj: str, body: Body, *, mod: bool, current: Values) -> Values:
    active = body.get("Active")
    out = _some(
        Name=body.get("Name"),
        IsActive=active if isinstance(active, bool) else None,
        SalesTaxCodeRef=_tax_code(body.get("Taxable")),
    )
    if obj != "ItemService":
        out |= _some(ManufacturerPartNumber=body.get("Sku"))
    if obj == "ItemInventory":
        out |= _some(
            SalesDesc=body.get("Description"),
            SalesPrice=body.get("UnitPrice"),
            IncomeAccountRef=_ref(body.get("IncomeAccountRef")),
            PurchaseCost=body.get("PurchaseCost"),
            COGSAccountRef=_ref(body.get("ExpenseAccountRef")),
            AssetAccountRef=_ref(body.get("AssetAccountRef")),
        )
        if not mod:
            out |= _some(
                QuantityOnHand=body.get("QtyOnHand"), InventoryDate=body.get("InvStartDate")
            )
        return out
    both = (
        "SalesAndPurchase" in current
        if mod and current
        else body.get("ExpenseAccountRef") is not None or body.get("PurchaseCost") is not None
    )
    if both:
        group = _some(
            SalesDesc=body.get("Description"),
            SalesPrice=body.get("UnitPrice"),
            IncomeAccountRef=_ref(body.get("IncomeAccountRef")),
            PurchaseCost=body.get("PurchaseCost"),
            ExpenseAccountRef=_ref(body.get("ExpenseAccountRef")),
        )
        name = "SalesAndPurchaseMod" if mod else "SalesAndPurchase"
    else:
        group = _some(
            Desc=body.get("Description"),
            Price=body.get("UnitPrice"),
            AccountRef=_ref(body.get("IncomeAccountRef")),
        )
        name = "SalesOrPurchaseMod" if mod else "SalesOrPurchase"
    return out | ({name: group} if group else {})


def _date(value: Any) -> str | None:
    return str(value)[:10] if value else None


def _lines(body: Body) -> list[Mapping[str, Any]] | None:
    lines = body.get("Line")
    if lines is None:
        return None
    return [line for line in lines if isinstance(line, Mapping)]


def _new_line(values: Values, mod: bool) -> Values:
    return {"TxnLineID": "-1", **values} if mod else values


def _invoice(body: Body, *, mod: bool) -> Values:
    out = _some(
        CustomerRef=_ref(body.get("CustomerRef")),
        ClassRef=_ref(body.get("ClassRef")),
        TxnDate=_date(body.get("TxnDate")),
        RefNumber=body.get("DocNumber"),
        DueDate=_date(body.get("DueDate")),
        Memo=body.get("PrivateNote"),
    )
    lines = _lines(body)
    if lines is not None:
        sent = []
        for line in lines:
            detail = line.get("SalesItemLineDetail") or {}
            tax = (detail.get("TaxCodeRef") or {}).get("value")
            values = _some(
                ItemRef=_ref(detail.get("ItemRef")),
                Desc=line.get("Description"),
                Quantity=detail.get("Qty"),
                Rate=detail.get("UnitPrice"),
                ClassRef=_ref(detail.get("ClassRef")),
                Amount=line.get("Amount"),
                SalesTaxCodeRef=_tax_code(tax == "TAX") if tax else None,
            )
            sent.append(_new_line(values, mod))
        out["InvoiceLineMod" if mod else "InvoiceLineAdd"] = sent
    return out


def _payment(body: Body, *, mod: bool) -> Values:
    out = _some(
        CustomerRef=_ref(body.get("CustomerRef")),
        TxnDate=_date(body.get("TxnDate")),
        RefNumber=body.get("PaymentRefNum"),
        TotalAmount=body.get("TotalAmt"),
        PaymentMethodRef=_ref(body.get("PaymentMethodRef")),
        Memo=body.get("PrivateNote"),
    )
    lines = _lines(body)
    if lines is not None:
        applied = []
        for line in lines:
            for linked in line.get("LinkedTxn") or []:
                applied.append({"TxnID": str(linked["TxnId"]), "PaymentAmount": line["Amount"]})
        out["AppliedToTxnMod" if mod else "AppliedToTxnAdd"] = applied
    return out


def _expense_doc(obj: str, body: Body, *, mod: bool) -> Values:
    if obj == "Bill":
        out = _some(
            VendorRef=_ref(body.get("VendorRef")),
            TxnDate=_date(body.get("TxnDate")),
            DueDate=_date(body.get("DueDate")),
        )
    else:
        out = _some(
            AccountRef=_ref(body.get("AccountRef")),
            PayeeEntityRef=_ref(body.get("EntityRef")),
            TxnDate=_date(body.get("TxnDate")),
        )
    out |= _some(RefNumber=body.get("DocNumber"), Memo=body.get("PrivateNote"))
    lines = _lines(body)
    if lines is not None:
        expenses, items = [], []
        for line in lines:
            if line.get("DetailType") == "ItemBasedExpenseLineDetail":
                detail = line.get("ItemBasedExpenseLineDetail") or {}
                values = _some(
                    ItemRef=_ref(detail.get("ItemRef")),
                    Desc=line.get("Description"),
                    Quantity=detail.get("Qty"),
                    Cost=detail.get("UnitPrice"),
                    Amount=line.get("Amount"),
                    CustomerRef=_ref(detail.get("CustomerRef")),
                    ClassRef=_ref(detail.get("ClassRef")),
                )
                items.append(_new_line(values, mod))
            else:
                detail = line.get("AccountBasedExpenseLineDetail") or {}
                values = _some(
                    AccountRef=_ref(detail.get("AccountRef")),
                    Amount=line.get("Amount"),
                    Memo=line.get("Description"),
                    CustomerRef=_ref(detail.get("CustomerRef")),
                    ClassRef=_ref(detail.get("ClassRef")),
                )
                expenses.append(_new_line(values, mod))
        suffix = "Mod" if mod else "Add"
        if expenses:
            out[f"ExpenseLine{suffix}"] = expenses
        if items:
            out[f"ItemLine{suffix}"] = items
    return out


def _purchase_order(body: Body, *, mod: bool) -> Values:
    out = _some(
        VendorRef=_ref(body.get("VendorRef")),
        TxnDate=_date(body.get("TxnDate")),
        RefNumber=body.get("DocNumber"),
        Memo=body.get("Memo"),
    )
    if mod and body.get("POStatus") in ("Open", "Closed"):
        out["IsManuallyClosed"] = body["POStatus"] == "Closed"
    lines = _lines(body)
    if lines is not None:
        sent = []
        for line in lines:
            detail = line.get("ItemBasedExpenseLineDetail") or {}
            values = _some(
                ItemRef=_ref(detail.get("ItemRef")),
                Desc=line.get("Description"),
                Quantity=detail.get("Qty"),
                Rate=detail.get("UnitPrice"),
                Amount=line.get("Amount"),
            )
            sent.append(_new_line(values, mod))
        out["PurchaseOrderLineMod" if mod else "PurchaseOrderLineAdd"] = sent
    return out


# --- qbXML Ret -> Online JSON -----------------------------------------------------------------


def tree(element: etree._Element) -> Values:
    """A `…Ret` as nested dicts; repeated children (lines) as lists."""
    out: Values = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        value: Any = tree(child) if len(child) else (child.text or "")
        if child.tag.endswith("LineRet") or child.tag in ("AppliedToTxnRet", "DataExtRet"):
            out.setdefault(child.tag, []).append(value)
        else:
            out[child.tag] = value
    return out


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _online_ref(ref: Any) -> dict[str, str] | None:
    if not isinstance(ref, Mapping) or not ref.get("ListID"):
        return None
    out = {"value": str(ref["ListID"])}
    if ref.get("FullName"):
        out["name"] = str(ref["FullName"])
    return out


def _meta(ret: Values) -> Values:
    return {"CreateTime": ret.get("TimeCreated"), "LastUpdatedTime": ret.get("TimeModified")}


def _online_address(value: Any) -> Values | None:
    if not isinstance(value, Mapping):
        return None
    return (
        _some(
            Line1=value.get("Addr1"),
            Line2=value.get("Addr2"),
            City=value.get("City"),
            CountrySubDivisionCode=value.get("State"),
            PostalCode=value.get("PostalCode"),
            Country=value.get("Country"),
        )
        or None
    )


def to_online(tag: str, ret: Values) -> tuple[str, Values]:
    """The Online entity and JSON of a Desktop `…Ret` (tag without "Ret")."""
    entity = _ONLINE_OF.get(tag, tag)
    ident = ret.get("TxnID") or ret.get("ListID") or ""
    out: Values = {"Id": ident, "SyncToken": ret.get("EditSequence", "0"), "MetaData": _meta(ret)}
    if ret.get("ExternalGUID"):
        out["ExternalGUID"] = ret["ExternalGUID"]
    if tag in LIST_OBJECTS:
        out["Active"] = ret.get("IsActive", "true") != "false"
        out["Name"] = ret.get("Name")
        out["FullyQualifiedName"] = ret.get("FullName") or ret.get("Name")
    reader = _READERS.get(tag)
    if reader is not None:
        out |= reader(ret)
    return entity, {k: v for k, v in out.items() if v is not None}


def _person_online(ret: Values) -> Values:
    address = ret.get("BillAddress") or ret.get("VendorAddress")
    parent = _online_ref(ret.get("ParentRef"))
    out = _some(
        DisplayName=ret.get("Name"),
        CompanyName=ret.get("CompanyName"),
        GivenName=ret.get("FirstName"),
        FamilyName=ret.get("LastName"),
        PrimaryEmailAddr={"Address": ret["Email"]} if ret.get("Email") else None,
        PrimaryPhone={"FreeFormNumber": ret["Phone"]} if ret.get("Phone") else None,
        BillAddr=_online_address(address),
        Notes=ret.get("Notes"),
        Balance=_number(ret.get("TotalBalance") or ret.get("Balance")),
        ParentRef=parent,
    )
    if parent is not None:
        out |= {"Job": True, "BillWithParent": True}
    return out


def _item_online(kind: str) -> Any:
    def read(ret: Values) -> Values:
        group = ret.get("SalesAndPurchase") or ret.get("SalesOrPurchase") or ret
        tax = (ret.get("SalesTaxCodeRef") or {}).get("FullName")
        out = _some(
            Type={v: k for k, v in ITEM_KINDS.items()}[kind],
            Sku=ret.get("ManufacturerPartNumber"),
            Description=group.get("SalesDesc") or group.get("Desc"),
            UnitPrice=_number(group.get("SalesPrice") or group.get("Price")),
            PurchaseCost=_number(group.get("PurchaseCost")),
            IncomeAccountRef=_online_ref(group.get("IncomeAccountRef") or group.get("AccountRef")),
            ExpenseAccountRef=_online_ref(
                group.get("ExpenseAccountRef") or ret.get("COGSAccountRef")
            ),
            AssetAccountRef=_online_ref(ret.get("AssetAccountRef")),
            Taxable=(tax == _TAX) if tax else None,
        )
        if kind == "ItemInventory":
            out |= _some(TrackQtyOnHand=True, QtyOnHand=_number(ret.get("QuantityOnHand")))
        return out

    return read


def _txn(ret: Values) -> Values:
    return _some(
        DocNumber=ret.get("RefNumber"),
        TxnDate=ret.get("TxnDate"),
        DueDate=ret.get("DueDate"),
        PrivateNote=ret.get("Memo"),
    )


def _invoice_online(ret: Values) -> Values:
    lines = []
    for number, line in enumerate(ret.get("InvoiceLineRet", []), start=1):
        tax = (line.get("SalesTaxCodeRef") or {}).get("FullName")
        detail = _some(
            ItemRef=_online_ref(line.get("ItemRef")),
            Qty=_number(line.get("Quantity")),
            UnitPrice=_number(line.get("Rate")),
            ClassRef=_online_ref(line.get("ClassRef")),
            TaxCodeRef={"value": "TAX" if tax == _TAX else "NON"} if tax else None,
        )
        lines.append(
            _some(
                Id=line.get("TxnLineID"),
                LineNum=number,
                DetailType="SalesItemLineDetail",
                Amount=_number(line.get("Amount")),
                Description=line.get("Desc"),
                SalesItemLineDetail=detail,
            )
        )
    return _txn(ret) | _some(
        CustomerRef=_online_ref(ret.get("CustomerRef")),
        ClassRef=_online_ref(ret.get("ClassRef")),
        Line=lines or None,
        TotalAmt=_number(ret.get("Subtotal")),
        Balance=_number(ret.get("BalanceRemaining")),
    )


def _payment_online(ret: Values) -> Values:
    lines = [
        {
            "Amount": _number(applied.get("Amount")),
            "LinkedTxn": [{"TxnId": applied.get("TxnID"), "TxnType": "Invoice"}],
        }
        for applied in ret.get("AppliedToTxnRet", [])
    ]
    return _some(
        CustomerRef=_online_ref(ret.get("CustomerRef")),
        TxnDate=ret.get("TxnDate"),
        TotalAmt=_number(ret.get("TotalAmount")),
        PaymentRefNum=ret.get("RefNumber"),
        PaymentMethodRef=_online_ref(ret.get("PaymentMethodRef")),
        PrivateNote=ret.get("Memo"),
        UnappliedAmt=_number(ret.get("UnusedPayment")),
        Line=lines or None,
    )


def _expense_lines_online(ret: Values) -> list[Values]:
    lines: list[Values] = []
    for line in ret.get("ExpenseLineRet", []):
        detail = _some(
            AccountRef=_online_ref(line.get("AccountRef")),
            CustomerRef=_online_ref(line.get("CustomerRef")),
            ClassRef=_online_ref(line.get("ClassRef")),
        )
        lines.append(
            _some(
                Id=line.get("TxnLineID"),
                DetailType="AccountBasedExpenseLineDetail",
                Amount=_number(line.get("Amount")),
                Description=line.get("Memo"),
                AccountBasedExpenseLineDetail=detail,
            )
        )
    for line in ret.get("ItemLineRet", []) + ret.get("PurchaseOrderLineRet", []):
        detail = _some(
            ItemRef=_online_ref(line.get("ItemRef")),
            Qty=_number(line.get("Quantity")),
            UnitPrice=_number(line.get("Cost") or line.get("Rate")),
            CustomerRef=_online_ref(line.get("CustomerRef")),
            ClassRef=_online_ref(line.get("ClassRef")),
        )
        lines.append(
            _some(
                Id=line.get("TxnLineID"),
                DetailType="ItemBasedExpenseLineDetail",
                Amount=_number(line.get("Amount")),
                Description=line.get("Desc"),
                ItemBasedExpenseLineDetail=detail,
            )
        )
    return lines


def _bill_online(ret: Values) -> Values:
    return _txn(ret) | _some(
        VendorRef=_online_ref(ret.get("VendorRef")),
        Line=_expense_lines_online(ret) or None,
        TotalAmt=_number(ret.get("AmountDue")),
        Balance=_number(ret.get("OpenAmount")),
    )


def _purchase_online(kind: str) -> Any:
    def read(ret: Values) -> Values:
        payee = _online_ref(ret.get("PayeeEntityRef"))
        return _txn(ret) | _some(
            PaymentType="CreditCard" if kind == "CreditCardCharge" else "Check",
            AccountRef=_online_ref(ret.get("AccountRef")),
            EntityRef={**payee, "type": "Vendor"} if payee else None,
            Line=_expense_lines_online(ret) or None,
            TotalAmt=_number(ret.get("Amount")),
        )

    return read


def _purchase_order_online(ret: Values) -> Values:
    closed = ret.get("IsManuallyClosed") == "true"
    return _some(
        DocNumber=ret.get("RefNumber"),
        TxnDate=ret.get("TxnDate"),
        VendorRef=_online_ref(ret.get("VendorRef")),
        Memo=ret.get("Memo"),
        POStatus="Closed" if closed else "Open",
        Line=_expense_lines_online(ret) or None,
        TotalAmt=_number(ret.get("TotalAmount")),
    )


_ACCOUNT_TYPES: Final = {
    "AccountsPayable": "Accounts Payable",
    "AccountsReceivable": "Accounts Receivable",
    "CostOfGoodsSold": "Cost of Goods Sold",
    "CreditCard": "Credit Card",
    "FixedAsset": "Fixed Asset",
    "LongTermLiability": "Long Term Liability",
    "NonPosting": "Non-Posting",
    "OtherAsset": "Other Asset",
    "OtherCurrentAsset": "Other Current Asset",
    "OtherCurrentLiability": "Other Current Liability",
    "OtherExpense": "Other Expense",
    "OtherIncome": "Other Income",
}


def _account_online(ret: Values) -> Values:
    kind = ret.get("AccountType")
    return _some(AccountType=_ACCOUNT_TYPES.get(kind, kind) if kind else None)


def _tax_code_online(ret: Values) -> Values:
    return _some(Taxable=ret.get("IsTaxable") == "true", Description=ret.get("Desc"))


def _class_online(ret: Values) -> Values:
    parent = _online_ref(ret.get("ParentRef"))
    return _some(ParentRef=parent, SubClass=parent is not None)


def _employee_online(ret: Values) -> Values:
    return _some(DisplayName=ret.get("Name"), GivenName=ret.get("FirstName"))


_READERS: Final[dict[str, Any]] = {
    "Customer": _person_online,
    "Vendor": _person_online,
    "Employee": _employee_online,
    "ItemService": _item_online("ItemService"),
    "ItemNonInventory": _item_online("ItemNonInventory"),
    "ItemInventory": _item_online("ItemInventory"),
    "Invoice": _invoice_online,
    "ReceivePayment": _payment_online,
    "Bill": _bill_online,
    "Check": _purchase_online("Check"),
    "CreditCardCharge": _purchase_online("CreditCardCharge"),
    "PurchaseOrder": _purchase_order_online,
    "Account": _account_online,
    "SalesTaxCode": _tax_code_online,
    "Class": _class_online,
}
