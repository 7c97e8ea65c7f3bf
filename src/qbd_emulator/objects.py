"""What QuickBooks computes and resolves for a record: which list a reference names, the current
full names of references, balances and totals, and the `…Ret` a record is answered as (as a tree
for the export, as XML in schema order for qbXML)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from qbd_emulator import schema
from qbd_emulator.model import ENTITY_FAMILIES, LIST_FAMILY, Company, Record, format_time
from qbd_emulator.schema.nodes import Node

Tree = dict[str, Any]
CENT = Decimal("0.01")

# A reference's element name -> the list it names ("Entity": any of the four name lists).
_REF_FAMILY = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "PrefVendorRef": "Vendor",
    "ItemRef": "Item",
    "PaymentMethodRef": "PaymentMethod",
    "PreferredPaymentMethodRef": "PaymentMethod",
    "TermsRef": "Terms",
    "SalesTaxCodeRef": "SalesTaxCode",
    "CustomerSalesTaxCodeRef": "SalesTaxCode",
    "PayeeEntityRef": "Entity",
    "ShipToEntityRef": "Entity",
    "ClassRef": "Class",
}
# The names QuickBooks uses for a list in an invalid-reference message.
KIND_NAMES = {
    "Customer": "Customer",
    "Vendor": "Vendor",
    "Item": "Item",
    "Account": "Account",
    "PaymentMethod": "PaymentMethod",
    "Terms": "Terms",
    "SalesTaxCode": "SalesTaxCode",
    "Entity": "Entity",
    "Class": "Class",
}


def ref_family(key: str, owner: str) -> str | None:
    """The list a reference element names; None for lists the emulator does not keep (sales
    reps, templates...: every reference to them is invalid)."""
    if key == "ParentRef":
        return LIST_FAMILY.get(owner)
    if key.endswith("AccountRef") or key == "AccountRef":
        return "Account"
    return _REF_FAMILY.get(key)


def find_ref(company: Company, family: str, ref: Tree) -> Record | None:
    """A reference with a ListID is looked up by it (the FullName is then ignored)."""
    families = ENTITY_FAMILIES if family == "Entity" else (family,)
    list_id = ref.get("ListID")
    for name in families:
        if list_id:
            found = company.list_record(name, list_id)
        else:
            found = company.by_full_name(name, str(ref.get("FullName", "")))
        if found is not None:
            return found
    return None


def full_name(record: Record) -> str:
    return str(record.data.get("FullName") or record.data.get("Name", ""))


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def dec(value: Any, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(default)
    except ArithmeticError:
        return Decimal(default)


# --- computed values --------------------------------------------------------------------------


def applied_to(company: Company, txn_id: str) -> Decimal:
    """What received payments apply to an invoice."""
    applied: dict[str, Decimal] = company.memo("applied", lambda: _applied(company))
    return applied.get(txn_id, Decimal(0))


def _applied(company: Company) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for record in company.txns.values():
        if record.type != "ReceivePayment" or record.voided:
            continue
        for line in record.data.get("AppliedToTxnRet", []):
            key = str(line.get("TxnID"))
            totals[key] = totals.get(key, Decimal(0)) + dec(line.get("Amount"))
    return totals


def invoice_total(record: Record) -> Decimal:
    return sum(
        (dec(line.get("Amount")) for line in record.data.get("InvoiceLineRet", [])), Decimal(0)
    )


def invoice_balance(company: Company, record: Record) -> Decimal:
    if record.voided:
        return Decimal(0)
    return invoice_total(record) - applied_to(company, record.id)


def lines_total(record: Record) -> Decimal:
    total = Decimal(0)
    for key in ("ExpenseLineRet", "ItemLineRet", "PurchaseOrderLineRet"):
        for line in record.data.get(key, []):
            total += dec(line.get("Amount"))
    return total


def customer_balance(company: Company, list_id: str) -> Decimal:
    balances: dict[str, Decimal] = company.memo("balances", lambda: _balances(company))
    return balances.get(list_id, Decimal(0))


def _balances(company: Company) -> dict[str, Decimal]:
    balances: dict[str, Decimal] = {}
    for record in company.txns.values():
        key = str((record.data.get("CustomerRef") or {}).get("ListID"))
        if record.type == "Invoice":
            balances[key] = balances.get(key, Decimal(0)) + invoice_balance(company, record)
        elif record.type == "ReceivePayment" and not record.voided:
            balances[key] = balances.get(key, Decimal(0)) - unused_payment(record)
    return balances


def unused_payment(record: Record) -> Decimal:
    applied = sum(
        (dec(x.get("Amount")) for x in record.data.get("AppliedToTxnRet", [])), Decimal(0)
    )
    return dec(record.data.get("TotalAmount")) - applied


def _descendants(company: Company, record: Record) -> list[Record]:
    prefix = full_name(record).casefold() + ":"
    family = LIST_FAMILY[record.type]
    return [
        r for r in company.family(family).values() if full_name(r).casefold().startswith(prefix)
    ]


def computed(company: Company, record: Record, *, include_lines: bool = True) -> Tree:
    """The record's Ret tree with what QuickBooks computes filled in."""
    tree: Tree = _with_current_names(company, record.type, record.data)
    tree["TimeCreated"] = _time(record.created)
    tree["TimeModified"] = _time(record.modified)
    tree["EditSequence"] = str(record.edit_sequence)
    kind = record.type
    if kind == "Customer":
        own = customer_balance(company, record.id)
        jobs = sum(
            (customer_balance(company, r.id) for r in _descendants(company, record)), Decimal(0)
        )
        tree["Balance"] = money(own)
        tree["TotalBalance"] = money(own + jobs)
    elif kind == "Vendor":
        tree["Balance"] = money(
            sum(
                (
                    lines_total(r)
                    for r in company.txns.values()
                    if r.type == "Bill"
                    and (r.data.get("VendorRef") or {}).get("ListID") == record.id
                ),
                Decimal(0),
            )
        )
    elif kind == "Invoice":
        subtotal = invoice_total(record)
        applied = Decimal(0) if record.voided else applied_to(company, record.id)
        tree["Subtotal"] = money(subtotal)
        tree["SalesTaxPercentage"] = "0.00"
        tree["SalesTaxTotal"] = "0.00"
        tree["AppliedAmount"] = money(-applied)
        balance = subtotal - applied
        tree["BalanceRemaining"] = money(balance)
        tree["IsPaid"] = "true" if balance <= 0 else "false"
    elif kind == "ReceivePayment":
        applied_lines = []
        for line in tree.get("AppliedToTxnRet", []):
            invoice = company.txns.get(line["TxnID"])
            entry = {"TxnID": line["TxnID"], "TxnType": "Invoice"}
            if invoice is not None:
                entry["TxnDate"] = invoice.data.get("TxnDate", "")
                if "RefNumber" in invoice.data:
                    entry["RefNumber"] = invoice.data["RefNumber"]
                entry["BalanceRemaining"] = money(invoice_balance(company, invoice))
            entry["Amount"] = line["Amount"]
            applied_lines.append(entry)
        tree["AppliedToTxnRet"] = applied_lines
        tree["UnusedPayment"] = money(unused_payment(record))
        tree["UnusedCredits"] = "0.00"
    elif kind == "Bill":
        total = lines_total(record)
        tree["AmountDue"] = money(total)
        tree["OpenAmount"] = money(total)
        tree["IsPaid"] = "true" if total <= 0 else "false"
    elif kind in ("Check", "CreditCardCharge"):
        tree["Amount"] = money(lines_total(record))
    elif kind == "PurchaseOrder":
        tree["TotalAmount"] = money(lines_total(record))
        tree.setdefault("IsManuallyClosed", "false")
        tree["IsFullyReceived"] = "false"
    if not include_lines:
        for key in [k for k in tree if k.endswith("LineRet") or k == "AppliedToTxnRet"]:
            del tree[key]
    return tree


def _time(moment: Any) -> str:
    return format_time(moment)


def _with_current_names(company: Company, owner: str, tree: Tree) -> Tree:
    """A copy of `tree` whose references carry the current full name of what they name."""
    out: Tree = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            family = ref_family(key, owner) if key.endswith("Ref") else None
            if family is not None and value.get("ListID"):
                target = find_ref(company, family, {"ListID": value["ListID"]})
                value = {**value, "FullName": full_name(target)} if target else dict(value)
            else:
                value = _with_current_names(company, owner, value)
        elif isinstance(value, list):
            value = [
                _with_current_names(company, owner, v) if isinstance(v, dict) else v for v in value
            ]
        out[key] = value
    return out


# --- XML --------------------------------------------------------------------------------------


def to_xml(parent: etree._Element, name: str, node: Node, tree: Tree) -> etree._Element:
    """`tree` as `<name>` under `parent`, its children in the schema's order."""
    element = etree.SubElement(parent, name)
    _fill(element, node, tree)
    return element


def _fill(element: etree._Element, node: Node, tree: Tree) -> None:
    for spec in node.children:
        if spec.name not in tree:
            continue
        value = tree[spec.name]
        for item in value if isinstance(value, list) else [value]:
            child = etree.SubElement(element, spec.name)
            if spec.is_group and isinstance(item, dict):
                _fill(child, spec, item)
            else:
                child.text = str(item)


def ret_xml(
    parent: etree._Element,
    company: Company,
    record: Record,
    *,
    include_lines: bool = True,
    only: list[str] | None = None,
) -> None:
    ret_name = f"{record.type}Ret"
    tree = computed(company, record, include_lines=include_lines)
    if only:
        tree = {k: v for k, v in tree.items() if k in only}
    to_xml(parent, ret_name, schema.ret(ret_name), tree)
