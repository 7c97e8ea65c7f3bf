"""Invoices and the payments received against them.

An invoice line's amount is quantity x unit price rounded half-up to the cent, as QuickBooks
checks it (fault 6070): when the app leaves ``amount`` out it is computed, and when the app
sends it, it must be that figure. A payment's ``applied_to`` may not hand out more than the
payment's ``amount``; what it leaves over stays unapplied credit in QuickBooks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.core import money as _money
from ledgerbridge.core.problems import INPUT_INVALID
from ledgerbridge.core.records._fields import Fields, date_json, decimal_json

__all__ = [
    "INVOICE_STATUSES",
    "AppliedPayment",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Payment",
    "invoice_to_json",
    "parse_invoice",
    "parse_payment",
    "payment_to_json",
]

InvoiceStatus = Literal["draft", "issued", "void"]
INVOICE_STATUSES: tuple[InvoiceStatus, ...] = ("draft", "issued", "void")

INVOICE_NO_LINES = "invoice.no_lines"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    item_id: str | None = None
    description: str | None = None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    class_name: str | None = None  # JSON key "class"
    taxable: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    number: str | None = None
    customer_id: str
    date: dt.date
    due_date: dt.date | None = None
    lines: tuple[InvoiceLine, ...]
    tax_rate_id: str | None = None
    class_name: str | None = None  # JSON key "class"
    memo: str | None = None
    status: InvoiceStatus = "issued"

    @property
    def total(self) -> Decimal:
        """The sum of the line amounts, before tax."""
        return _money.total(line.amount for line in self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppliedPayment:
    invoice_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    customer_id: str
    date: dt.date
    amount: Decimal
    method: str
    reference: str | None = None
    applied_to: tuple[AppliedPayment, ...] = ()
    posted: bool = True

    @property
    def applied(self) -> Decimal:
        """How much of the payment goes to invoices."""
        return _money.total(part.amount for part in self.applied_to)


# Reading


def parse_invoice(fields: Fields) -> Invoice:
    return Invoice(
        number=fields.ref("number"),
        customer_id=fields.required_ref("customer_id"),
        date=fields.required_day("date"),
        due_date=fields.day("due_date"),
        lines=fields.each(
            "lines",
            _parse_invoice_line,
            if_empty=(INVOICE_NO_LINES, "an invoice needs at least one line"),
        ),
        tax_rate_id=fields.ref("tax_rate_id"),
        class_name=fields.text("class"),
        memo=fields.text("memo", lines=True),
        status=fields.choice("status", INVOICE_STATUSES, default="issued"),
    )


def _parse_invoice_line(fields: Fields) -> InvoiceLine:
    item_id = fields.ref("item_id")
    description = fields.text("description", lines=True)
    quantity = fields.required_number("quantity")
    unit_price = fields.required_number("unit_price")
    given = fields.amount("amount")
    class_name = fields.text("class")
    taxable = fields.optional_flag("taxable")
    computed = _line_amount(fields, quantity, unit_price)
    if given is not None and computed is not None and given != computed:
        fields.report(
            INPUT_INVALID,
            "amount",
            f"amount {given} is not quantity x unit_price = {quantity} x {unit_price} = "
            f"{computed} (rounded half-up to the cent); send {computed} or leave amount out",
            given=str(given),
            computed=str(computed),
        )
    return InvoiceLine(
        item_id=item_id,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        amount=given if given is not None else (computed or _money.ZERO),
        class_name=class_name,
        taxable=taxable,
    )


def _line_amount(fields: Fields, quantity: Decimal, unit_price: Decimal) -> Decimal | None:
    """quantity x unit_price, or None when either is bad or the product is out of range."""
    if not fields.ok("quantity", "unit_price"):
        return None
    try:
        return _money.line_amount(quantity, unit_price)
    except ValueError as error:
        fields.report(INPUT_INVALID, "amount", f"quantity x unit_price: {error}")
        return None


def parse_payment(fields: Fields) -> Payment:
    payment = Payment(
        customer_id=fields.required_ref("customer_id"),
        date=fields.required_day("date"),
        amount=fields.required_amount("amount"),
        method=fields.required_text("method"),
        reference=fields.ref("reference"),
        applied_to=fields.each("applied_to", _parse_applied_payment),
        posted=fields.flag("posted", default=True),
    )
    # Amounts that failed to read count as zero, so an excess found here is real.
    if fields.ok("amount") and payment.applied > payment.amount:
        fields.report(
            INPUT_INVALID,
            "applied_to",
            f"applied_to hands out {payment.applied}, more than the payment's amount "
            f"{payment.amount}",
            applied=str(payment.applied),
            amount=str(payment.amount),
        )
    return payment


def _parse_applied_payment(fields: Fields) -> AppliedPayment:
    return AppliedPayment(
        invoice_id=fields.required_ref("invoice_id"),
        amount=fields.required_amount("amount"),
    )


# Writing


def invoice_to_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "date": date_json(invoice.date),
        "due_date": date_json(invoice.due_date),
        "lines": [_invoice_line_to_json(line) for line in invoice.lines],
        "tax_rate_id": invoice.tax_rate_id,
        "class": invoice.class_name,
        "memo": invoice.memo,
        "status": invoice.status,
    }


def _invoice_line_to_json(line: InvoiceLine) -> dict[str, Any]:
    return {
        "item_id": line.item_id,
        "description": line.description,
        "quantity": decimal_json(line.quantity),
        "unit_price": decimal_json(line.unit_price),
        "amount": decimal_json(line.amount),
        "class": line.class_name,
        "taxable": line.taxable,
    }


def payment_to_json(payment: Payment) -> dict[str, Any]:
    return {
        "customer_id": payment.customer_id,
        "date": date_json(payment.date),
        "amount": decimal_json(payment.amount),
        "method": payment.method,
        "reference": payment.reference,
        "applied_to": [
            {"invoice_id": part.invoice_id, "amount": decimal_json(part.amount)}
            for part in payment.applied_to
        ],
        "posted": payment.posted,
    }
