"""Helpers for the end-to-end entity and rule tests: building objects with python-quickbooks,
and checking the faults QuickBooks returns (through the library's exceptions or raw HTTP)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.vendor import Vendor

# The top-level `time` of every response: company-zone time with milliseconds.
TIME_FIELD = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}")
INVENTORY_START = "2024-01-01"
TXN_DATE = "2025-03-10"

# Texts QuickBooks returns, byte for byte (qbo-reference.md §2.3).
DELETED_DETAIL = "Object Not Found : Another user has deleted this transaction."
INACTIVE_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. Check the fields "
    "with accounts, customers, items, vendors or employees."
)
DUPLICATE_NAME_DETAIL = (
    "The name supplied already exists. : Another customer, vendor or employee is already using "
    "this name. Please use a different name."
)
CLOSED_DETAIL = (
    "The account period has closed and the account books cannot be updated through the QBO "
    "Services API. Please use the QBO website to make these changes."
)
DEPOSITED_DETAIL = (
    "This transaction has been deposited. If you want to change or delete it, you must edit the "
    "deposit it appears on and remove it first."
)
SUBSCRIPTION_DETAIL = (
    "Subscription period has ended or canceled or there was a billing problem : You can't add "
    "data to QuickBooks Online Plus because your trial or subscription period ended."
)


# --- faults ---------------------------------------------------------------------------------


@contextmanager
def qb_error(
    code: int,
    detail: str = "",
    exc_type: type[QuickbooksException] = QuickbooksException,
    message: str = "",
) -> Iterator[pytest.ExceptionInfo[QuickbooksException]]:
    """The block must raise python-quickbooks' exception for this QuickBooks error code."""
    with pytest.raises(exc_type) as info:
        yield info
    assert info.value.error_code == code, (info.value.error_code, info.value.detail)
    assert detail in info.value.detail, info.value.detail
    assert message in info.value.message, info.value.message


def assert_fault(
    response: requests.Response,
    code: str,
    *,
    status: int = 400,
    detail: str = "",
    message: str = "",
    element: str | None = None,
) -> dict[str, str]:
    """A QuickBooks JSON fault body with this code; returns its first error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Fault", "time"}, body
    assert TIME_FIELD.fullmatch(body["time"]), body["time"]
    fault = body["Fault"]
    assert fault["type"] == "ValidationFault"
    error: dict[str, str] = fault["Error"][0]
    assert set(error) == {"Message", "Detail", "code", "element"}
    assert error["code"] == code, error
    assert detail in error["Detail"], error
    assert message in error["Message"], error
    if element is not None:
        assert error["element"] == element, error
    return error


def ok(response: requests.Response, entity: str) -> dict[str, Any]:
    """The entity of a successful raw response."""
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()[entity]
    return result


# --- references and lookups -----------------------------------------------------------------


def ref(value: str, name: str = "") -> Ref:
    result = Ref()
    result.value = value
    result.name = name
    return result


def account(qb: QuickBooks, name: str) -> Account:
    found: list[Account] = Account.filter(Name=name, qb=qb)
    assert len(found) == 1, name
    return found[0]


# --- name lists -----------------------------------------------------------------------------


def new_customer(qb: QuickBooks, name: str, parent: Customer | None = None) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    if parent is not None:
        customer.ParentRef = parent.to_ref()
        customer.Job = True
    saved: Customer = customer.save(qb=qb)
    return saved


def new_vendor(qb: QuickBooks, name: str) -> Vendor:
    vendor = Vendor()
    vendor.DisplayName = name
    saved: Vendor = vendor.save(qb=qb)
    return saved


def new_service_item(qb: QuickBooks, name: str, price: float = 0) -> Item:
    item = Item()
    item.Name = name
    item.Type = "Service"
    item.UnitPrice = price
    item.IncomeAccountRef = account(qb, "Services").to_ref()
    saved: Item = item.save(qb=qb)
    return saved


def new_inventory_item(
    qb: QuickBooks, name: str, qty: float = 10, start: str = INVENTORY_START
) -> Item:
    item = Item()
    item.Name = name
    item.Type = "Inventory"
    item.TrackQtyOnHand = True
    item.QtyOnHand = qty
    item.InvStartDate = start
    item.UnitPrice = 25
    item.IncomeAccountRef = account(qb, "Sales of Product Income").to_ref()
    item.ExpenseAccountRef = account(qb, "Cost of Goods Sold").to_ref()
    item.AssetAccountRef = account(qb, "Inventory Asset").to_ref()
    saved: Item = item.save(qb=qb)
    return saved


# --- transactions ---------------------------------------------------------------------------


def sales_line(
    amount: float | Decimal | None,
    item: Item | None = None,
    *,
    qty: float | Decimal | None = None,
    price: float | Decimal | None = None,
    tax: str | None = None,
) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = amount
    detail = SalesItemLineDetail()
    detail.ItemRef = item.to_ref() if item is not None else None
    # Unset Qty and UnitPrice keep the library's defaults (0), as its users send them.
    if qty is not None:
        detail.Qty = qty
    if price is not None:
        detail.UnitPrice = price
    if tax is not None:
        detail.TaxCodeRef = ref(tax)
    line.SalesItemLineDetail = detail
    return line


def new_invoice(
    qb: QuickBooks,
    customer: Customer,
    amounts: Sequence[float | Decimal],
    item: Item | None = None,
    *,
    doc_number: str | None = None,
    txn_date: str | None = TXN_DATE,
    note: str | None = None,
) -> Invoice:
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [sales_line(amount, item) for amount in amounts]
    invoice.DocNumber = doc_number
    invoice.TxnDate = txn_date
    invoice.PrivateNote = note
    saved: Invoice = invoice.save(qb=qb)
    return saved


def new_payment(
    qb: QuickBooks,
    customer: Customer,
    total: float | Decimal | None,
    applied: Sequence[tuple[Invoice, float | Decimal]] = (),
    *,
    txn_date: str = TXN_DATE,
    ref_num: str | None = None,
) -> Payment:
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = total
    payment.TxnDate = txn_date
    payment.PaymentRefNum = ref_num
    for invoice, amount in applied:
        line = PaymentLine()
        line.Amount = amount
        link = LinkedTxn()
        link.TxnId = invoice.Id
        link.TxnType = "Invoice"
        line.LinkedTxn = [link]
        payment.Line.append(line)
    saved: Payment = payment.save(qb=qb)
    return saved


def expense_line(amount: float | Decimal, expense_account: Account) -> AccountBasedExpenseLine:
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = expense_account.to_ref()
    return line


def new_bill(
    qb: QuickBooks,
    vendor: Vendor,
    amount: float | Decimal,
    *,
    doc_number: str | None = None,
    txn_date: str = TXN_DATE,
    params: dict[str, str] | None = None,
) -> Bill:
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.TxnDate = txn_date
    bill.DocNumber = doc_number
    bill.Line = [expense_line(amount, account(qb, "Shop Supplies"))]
    saved: Bill = bill.save(qb=qb, params=params)
    return saved
