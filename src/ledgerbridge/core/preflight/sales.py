"""Preflight for invoices and payments.

An invoice's number is checked against QuickBooks only when QuickBooks would refuse a
duplicate (the company uses custom transaction numbers) and the app's number is sent (numbering
policy ``app``, or ``prefix`` with the prefix in front).

Look-up before create, for invoices not linked yet (the first push into a company that already
holds them): the unlinked QuickBooks invoice with the number the app would send, the linked
customer, and the app's total (QuickBooks' total, or that total less its tax) is this invoice:
link to it. A link writes nothing to QuickBooks, so nothing else is checked then.

Look-up before create, for payments not linked yet: the QuickBooks payments applied to the
payment's invoices (the invoices' ``LinkedTxn``), and any the mirror numbers with the payment's
reference, are compared with it. Same customer, amount, date and reference: link to it. Same
customer, amount and date with another reference: ``payment.already_in_quickbooks``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from decimal import Decimal

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight import limits
from ledgerbridge.core.preflight._context import Context, Outcome, Verdict, problem, too_long
from ledgerbridge.core.preflight._refs import (
    class_inactive,
    closed_period,
    document_match,
    inactive_item,
    inactive_party,
    inventory_start,
    mirror_amount,
    mirror_date,
    number_conflict,
    payment_method_not_mapped,
    pushed_number,
    tax_rate_not_mapped,
)
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Invoice, Payment, RecordKey

__all__ = ["check_invoice", "check_payment"]

CENT = Decimal("0.01")


def check_invoice(ctx: Context, invoice: Invoice) -> Verdict:
    out = Outcome(invoice)
    number = pushed_number(invoice.number, ctx.policies)
    customer = ctx.linked("customer", invoice.customer_id)
    out.link_to = document_match(ctx, "Invoice", "invoice", number, customer, invoice.total)
    if out.link_to is not None:
        return out.verdict()
    sent = functools.partial(pushed_number, policies=ctx.policies)
    out.extend(too_long(limits.texts(invoice, sent), catalog.RECORD_FIELD_TOO_LONG))
    out.add(
        inactive_party(
            ctx, "customer", invoice.customer_id, "customer_id", catalog.INVOICE_CUSTOMER_INACTIVE
        )
    )
    out.extend(_invoice_lines(ctx, invoice))
    out.add(class_inactive(ctx, invoice.class_name, "class"))
    out.add(tax_rate_not_mapped(ctx, invoice.tax_rate_id, "tax_rate_id"))
    if number is not None and ctx.company.custom_txn_numbers:
        out.add(number_conflict(ctx, "Invoice", number, "number"))
    closed_period(ctx, out)
    items = ((f"lines[{index}].item_id", line.item_id) for index, line in enumerate(invoice.lines))
    out.extend(inventory_start(ctx, out.record.date, items))
    return out.verdict()


def check_payment(ctx: Context, payment: Payment) -> Verdict:
    out = Outcome(payment)
    out.extend(too_long(limits.texts(payment), catalog.PAYMENT_REFERENCE_TOO_LONG))
    out.add(payment_method_not_mapped(ctx, payment.method, "method"))
    out.add(
        inactive_party(
            ctx,
            "customer",
            payment.customer_id,
            "customer_id",
            catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        )
    )
    out.extend(_customer_mismatch(ctx, payment))
    if ctx.subject.linked is None:
        out.link_to, duplicate = _match(ctx, payment)
        out.add(duplicate)
        if out.link_to is None:
            out.extend(_already_paid(ctx, payment))
    if out.link_to is None:  # a link writes nothing to QuickBooks: closed books do not matter
        closed_period(ctx, out)
    return out.verdict()


# Invoices


def _invoice_lines(ctx: Context, invoice: Invoice) -> list[Problem | None]:
    found: list[Problem | None] = []
    for index, line in enumerate(invoice.lines):
        found.append(inactive_item(ctx, line.item_id, f"lines[{index}].item_id"))
        found.append(class_inactive(ctx, line.class_name, f"lines[{index}].class"))
    return found


# Payments


def _customer_mismatch(ctx: Context, payment: Payment) -> list[Problem]:
    found: list[Problem] = []
    for index, applied in enumerate(payment.applied_to):
        invoice = ctx.subject.app_records(RecordKey("invoice", applied.invoice_id))
        if not isinstance(invoice, Invoice) or invoice.customer_id == payment.customer_id:
            continue
        found.append(
            problem(
                catalog.PAYMENT_CUSTOMER_MISMATCH,
                f"applied_to[{index}].invoice_id",
                f"invoice {applied.invoice_id} is for customer {invoice.customer_id}, not for "
                f"the payment's customer {payment.customer_id}",
                number=invoice.number,
                invoice_id=applied.invoice_id,
                customer_id=payment.customer_id,
                invoice_customer_id=invoice.customer_id,
            )
        )
    return found


def _already_paid(ctx: Context, payment: Payment) -> list[Problem]:
    """``payment.invoice_already_paid`` for each invoice QuickBooks shows paid, or with less
    left to pay than this payment puts on it."""
    found: list[Problem] = []
    for index, applied in enumerate(payment.applied_to):
        invoice = ctx.linked("invoice", applied.invoice_id)
        balance = mirror_amount(invoice.data.get("Balance")) if invoice is not None else None
        if invoice is None or balance is None:
            continue
        if balance != 0 and applied.amount <= balance:
            continue
        found.append(
            problem(
                catalog.PAYMENT_INVOICE_ALREADY_PAID,
                f"applied_to[{index}].invoice_id",
                f"QuickBooks Invoice {invoice.qbo_id} has {balance} left to pay; this payment "
                f"puts {applied.amount} on it",
                number=invoice.doc_number,
                open_balance=str(balance.quantize(CENT)),
                amount=str(applied.amount),
                quickbooks_id=invoice.qbo_id,
            )
        )
    return found


def _match(ctx: Context, payment: Payment) -> tuple[MirrorObject | None, Problem | None]:
    """(the QuickBooks payment that is this one, or the problem of one that nearly is)."""
    customer = ctx.linked("customer", payment.customer_id)
    if customer is None:
        return None, None
    near: MirrorObject | None = None
    for candidate in _candidates(ctx, payment):
        if candidate.parent_id != customer.qbo_id:
            continue
        if ctx.owner(candidate, "payment") is not None:
            continue
        if not same_amount_and_date(candidate.data, payment):
            continue
        if _reference(candidate.data) == _clean(payment.reference):
            return candidate, None
        near = near or candidate
    if near is None:
        return None, None
    return None, problem(
        catalog.PAYMENT_ALREADY_IN_QUICKBOOKS,
        None,
        f"QuickBooks Payment {near.qbo_id} has the same customer, amount and date, but the "
        f"reference {_reference(near.data)!r} instead of {payment.reference!r}",
        quickbooks_id=near.qbo_id,
        amount=str(payment.amount),
        date=payment.date.isoformat(),
        reference=_reference(near.data),
    )


def same_amount_and_date(data: Mapping[str, object], payment: Payment) -> bool:
    """Whether a QuickBooks payment has this payment's amount and date."""
    return (
        mirror_amount(data.get("TotalAmt")) == payment.amount
        and mirror_date(data.get("TxnDate")) == payment.date
    )


def is_same_payment(data: Mapping[str, object], payment: Payment) -> bool:
    """Whether a QuickBooks payment (of the right customer) is exactly this one: amount, date
    and reference."""
    return same_amount_and_date(data, payment) and _reference(data) == _clean(payment.reference)


def _reference(data: Mapping[str, object]) -> str | None:
    return _clean(data.get("PaymentRefNum"))


def _clean(reference: object) -> str | None:
    """A payment reference as compared: trimmed; blank is none."""
    return (reference.strip() or None) if isinstance(reference, str) else None


def _candidates(ctx: Context, payment: Payment) -> Iterator[MirrorObject]:
    """The QuickBooks payments that could be this one, each once."""
    seen: set[str] = set()
    for applied in payment.applied_to:
        invoice = ctx.linked("invoice", applied.invoice_id)
        links = invoice.data.get("LinkedTxn") if invoice is not None else None
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, Mapping) or link.get("TxnType") != "Payment":
                continue
            found = ctx.mirror.get("Payment", str(link.get("TxnId")))
            if found is not None and found.qbo_id not in seen:
                seen.add(found.qbo_id)
                yield found
    for found in ctx.mirror.numbered("Payment", payment.reference) if payment.reference else []:
        if found.qbo_id not in seen:
            seen.add(found.qbo_id)
            yield found
