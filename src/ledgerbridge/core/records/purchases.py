"""Vendor documents: receipts (expenses paid on the spot), bills and purchase orders.

A receipt becomes a QuickBooks Purchase, a bill a Bill, a purchase order a PurchaseOrder.
Receipt and bill lines are expense lines: each books its amount either to an expense account
(by name) or to an item, never both. Purchase order lines carry a quantity and a unit price;
their amount is computed, as for invoice lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.core import money as _money
from ledgerbridge.core.problems import INPUT_INVALID, INPUT_REQUIRED
from ledgerbridge.core.records._fields import Fields, date_json, decimal_json

__all__ = [
    "PAYMENT_TYPES",
    "PURCHASE_ORDER_STATUSES",
    "Bill",
    "ExpenseLine",
    "PaymentType",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "Receipt",
    "bill_to_json",
    "parse_bill",
    "parse_purchase_order",
    "parse_receipt",
    "purchase_order_to_json",
    "receipt_to_json",
]

PaymentType = Literal["cash", "check", "credit_card"]
PAYMENT_TYPES: tuple[PaymentType, ...] = ("cash", "check", "credit_card")
PurchaseOrderStatus = Literal["open", "closed"]
PURCHASE_ORDER_STATUSES: tuple[PurchaseOrderStatus, ...] = ("open", "closed")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpenseLine:
    """One line of a receipt or bill: exactly one of ``expense_account`` and ``item_id``."""

    expense_account: str | None = None
    item_id: str | None = None
    amount: Decimal
    description: str | None = None
    class_name: str | None = None  # JSON key "class"
    customer_id: str | None = None  # billable to this customer


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    vendor_id: str
    vendor_document_number: str | None = None
    date: dt.date
    payment_type: PaymentType
    payment_account: str
    lines: tuple[ExpenseLine, ...]
    memo: str | None = None

    @property
    def total(self) -> Decimal:
        return _money.total(line.amount for line in self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bill:
    vendor_id: str
    vendor_document_number: str
    date: dt.date
    due_date: dt.date | None = None
    lines: tuple[ExpenseLine, ...]
    memo: str | None = None

    @property
    def total(self) -> Decimal:
        return _money.total(line.amount for line in self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderLine:
    item_id: str | None = None
    description: str | None = None
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        """quantity x unit_price, rounded half-up to the cent."""
        return _money.line_amount(self.quantity, self.unit_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrder:
    number: str | None = None
    vendor_id: str
    date: dt.date
    lines: tuple[PurchaseOrderLine, ...]
    status: PurchaseOrderStatus = "open"
    memo: str | None = None

    @property
    def total(self) -> Decimal:
        return _money.total(line.amount for line in self.lines)


# Reading


def parse_receipt(fields: Fields) -> Receipt:
    return Receipt(
        vendor_id=fields.required_ref("vendor_id"),
        vendor_document_number=fields.ref("vendor_document_number"),
        date=fields.required_day("date"),
        payment_type=fields.choice("payment_type", PAYMENT_TYPES),
        payment_account=fields.required_text("payment_account"),
        lines=fields.each(
            "lines",
            _parse_expense_line,
            if_empty=(INPUT_REQUIRED, "a receipt needs at least one line"),
        ),
        memo=fields.text("memo", lines=True),
    )


def parse_bill(fields: Fields) -> Bill:
    return Bill(
        vendor_id=fields.required_ref("vendor_id"),
        vendor_document_number=fields.required_ref("vendor_document_number"),
        date=fields.required_day("date"),
        due_date=fields.day("due_date"),
        lines=fields.each(
            "lines",
            _parse_expense_line,
            if_empty=(INPUT_REQUIRED, "a bill needs at least one line"),
        ),
        memo=fields.text("memo", lines=True),
    )


def _parse_expense_line(fields: Fields) -> ExpenseLine:
    line = ExpenseLine(
        expense_account=fields.text("expense_account"),
        item_id=fields.ref("item_id"),
        amount=fields.required_amount("amount"),
        description=fields.text("description", lines=True),
        class_name=fields.text("class"),
        customer_id=fields.ref("customer_id"),
    )
    if fields.ok("expense_account", "item_id"):
        if line.expense_account is not None and line.item_id is not None:
            found = "both"
        elif line.expense_account is None and line.item_id is None:
            found = "neither"
        else:
            return line
        fields.report(
            INPUT_INVALID,
            "expense_account",
            f"a line needs exactly one of expense_account and item_id, got {found}",
        )
    return line


def parse_purchase_order(fields: Fields) -> PurchaseOrder:
    return PurchaseOrder(
        number=fields.ref("number"),
        vendor_id=fields.required_ref("vendor_id"),
        date=fields.required_day("date"),
        lines=fields.each(
            "lines",
            _parse_purchase_order_line,
            if_empty=(INPUT_REQUIRED, "a purchase order needs at least one line"),
        ),
        status=fields.choice("status", PURCHASE_ORDER_STATUSES, default="open"),
        memo=fields.text("memo", lines=True),
    )


def _parse_purchase_order_line(fields: Fields) -> PurchaseOrderLine:
    line = PurchaseOrderLine(
        item_id=fields.ref("item_id"),
        description=fields.text("description", lines=True),
        quantity=fields.required_number("quantity"),
        unit_price=fields.required_number("unit_price"),
    )
    if fields.ok("quantity", "unit_price"):
        try:
            _money.line_amount(line.quantity, line.unit_price)
        except ValueError as error:
            fields.report(INPUT_INVALID, None, f"quantity x unit_price: {error}")
    return line


# Writing


def _expense_line_to_json(line: ExpenseLine) -> dict[str, Any]:
    return {
        "expense_account": line.expense_account,
        "item_id": line.item_id,
        "amount": decimal_json(line.amount),
        "description": line.description,
        "class": line.class_name,
        "customer_id": line.customer_id,
    }


def receipt_to_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "vendor_id": receipt.vendor_id,
        "vendor_document_number": receipt.vendor_document_number,
        "date": date_json(receipt.date),
        "payment_type": receipt.payment_type,
        "payment_account": receipt.payment_account,
        "lines": [_expense_line_to_json(line) for line in receipt.lines],
        "memo": receipt.memo,
    }


def bill_to_json(bill: Bill) -> dict[str, Any]:
    return {
        "vendor_id": bill.vendor_id,
        "vendor_document_number": bill.vendor_document_number,
        "date": date_json(bill.date),
        "due_date": date_json(bill.due_date),
        "lines": [_expense_line_to_json(line) for line in bill.lines],
        "memo": bill.memo,
    }


def purchase_order_to_json(order: PurchaseOrder) -> dict[str, Any]:
    return {
        "number": order.number,
        "vendor_id": order.vendor_id,
        "date": date_json(order.date),
        "lines": [
            {
                "item_id": line.item_id,
                "description": line.description,
                "quantity": decimal_json(line.quantity),
                "unit_price": decimal_json(line.unit_price),
            }
            for line in order.lines
        ],
        "status": order.status,
        "memo": order.memo,
    }
