"""The reconciliation report's figures: app and QuickBooks side by side.

    health(records, links) -> {type: Health}          links per record type, and their state
    compare_invoice(side) -> InvoiceComparison          one linked invoice, both sides
    totals(comparisons) -> Totals                       sums over the linked invoices

What a link's QuickBooks object can be (`object_state`): ``ok``, ``missing`` (the mirror never
saw it), ``deleted`` (QuickBooks said so), ``inactive`` (a customer, vendor or item made
inactive) or ``voided`` (a transaction voided: QuickBooks keeps it with a zero total and a
"Voided" note). An invoice is ``moved`` when its CustomerRef is no longer the customer its app
customer is linked to; ``paid`` in QuickBooks when its balance is zero on a non-zero total.

The app's total of an invoice is the sum of its lines (zero once the app voided it); the app
sends no tax figure, so an invoice taxed in QuickBooks shows its tax as a difference
(`invoice.amount_mismatch`, with QuickBooks' tax beside it). Its open balance in the app is
that total less what the app's payments linked to QuickBooks put on it. Pure: no I/O; money is
`Decimal`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.money import ZERO, total
from ledgerbridge.core.preflight import mirror_amount
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RECORD_TYPES, Invoice, RecordKey

__all__ = [
    "Health",
    "InvoiceComparison",
    "InvoiceSide",
    "LinkedObject",
    "ObjectState",
    "Totals",
    "compare_invoice",
    "health",
    "is_voided",
    "mismatch_problem",
    "object_state",
    "totals",
]

ObjectState = Literal["ok", "missing", "deleted", "inactive", "voided"]
_NAMES = ("Customer", "Vendor", "Item")


@dataclass(frozen=True)
class LinkedObject:
    """An app record's link, and what the mirror shows of the QuickBooks object."""

    key: RecordKey
    entity: str
    qbo_id: str
    seen: MirrorObject | None  # None: the mirror never saw it
    deleted: bool = False


def is_voided(data: Mapping[str, object]) -> bool:
    """Whether a QuickBooks transaction was voided: a zero total and QuickBooks' "Voided"
    note."""
    note = data.get("PrivateNote")
    amount = mirror_amount(data.get("TotalAmt"))
    return isinstance(note, str) and note.startswith("Voided") and amount == 0


def object_state(link: LinkedObject) -> ObjectState:
    if link.seen is None:
        return "missing"
    if link.deleted:
        return "deleted"
    if link.entity in _NAMES:
        return "ok" if link.seen.active else "inactive"
    return "voided" if is_voided(link.seen.data) else "ok"


@dataclass
class Health:
    """The links of one record type: how many app records are linked, and what became of
    their QuickBooks objects."""

    records: int = 0
    linked: int = 0
    missing: int = 0
    deleted: int = 0
    inactive: int = 0
    voided: int = 0

    @property
    def unlinked(self) -> int:
        return self.records - self.linked

    def to_json(self) -> dict[str, int]:
        return {
            "records": self.records,
            "linked": self.linked,
            "unlinked": self.unlinked,
            "missing": self.missing,
            "deleted": self.deleted,
            "inactive": self.inactive,
            "voided": self.voided,
        }


def health(records: Iterable[RecordKey], links: Iterable[LinkedObject]) -> dict[str, Health]:
    """Per record type (every type, in push order): the app's records (those the app has not
    deleted) and the state of their links."""
    result: dict[str, Health] = {record_type: Health() for record_type in RECORD_TYPES}
    present = set(records)
    for key in present:
        result[key.type].records += 1
    for link in links:
        if link.key not in present:
            continue  # the app deleted it: its removal is the sync's business
        counts = result[link.key.type]
        counts.linked += 1
        state = object_state(link)
        if state != "ok":
            setattr(counts, state, getattr(counts, state) + 1)
    return result


@dataclass(frozen=True)
class InvoiceSide:
    """One linked invoice as the app has it."""

    app_id: str
    invoice: Invoice
    link: LinkedObject
    customer_qbo_id: str | None  # the QuickBooks customer the app's customer is linked to
    applied: Decimal = ZERO  # what the app's payments in QuickBooks put on it


@dataclass(frozen=True)
class InvoiceComparison:
    app_id: str
    number: str | None
    qbo_id: str
    state: ObjectState
    app_total: Decimal
    app_open: Decimal
    quickbooks_total: Decimal | None  # None: not known (missing or deleted)
    quickbooks_balance: Decimal | None
    quickbooks_tax: Decimal | None
    quickbooks_customer: str | None  # CustomerRef in QuickBooks
    expected_customer: str | None
    customer_name: str | None  # CustomerRef's name in QuickBooks

    @property
    def comparable(self) -> bool:
        """Whether QuickBooks still holds it with figures to compare."""
        return self.state in ("ok", "voided") and self.quickbooks_total is not None

    @property
    def amount_differs(self) -> bool:
        return (
            self.state == "ok"
            and self.quickbooks_total is not None
            and self.quickbooks_total != self.app_total
        )

    @property
    def balance_differs(self) -> bool:
        return (
            self.state == "ok"
            and self.quickbooks_balance is not None
            and self.quickbooks_balance != self.app_open
        )

    @property
    def moved(self) -> bool:
        return (
            self.state in ("ok", "voided")
            and self.expected_customer is not None
            and self.quickbooks_customer != self.expected_customer
        )

    @property
    def paid_in_quickbooks(self) -> bool:
        return (
            self.state == "ok"
            and self.quickbooks_balance == 0
            and self.quickbooks_total is not None
            and self.quickbooks_total != 0
        )


def compare_invoice(side: InvoiceSide) -> InvoiceComparison:
    invoice = side.invoice
    app_total = ZERO if invoice.status == "void" else invoice.total
    seen = side.link.seen
    data: Mapping[str, object] = seen.data if seen is not None else {}
    state = object_state(side.link)
    known = state in ("ok", "voided")
    detail = data.get("TxnTaxDetail")
    tax = mirror_amount(detail.get("TotalTax")) if isinstance(detail, Mapping) else None
    customer = data.get("CustomerRef")
    return InvoiceComparison(
        app_id=side.app_id,
        number=(seen.doc_number if seen is not None else None) or invoice.number,
        qbo_id=side.link.qbo_id,
        state=state,
        app_total=app_total,
        app_open=total([app_total, -side.applied]),
        quickbooks_total=_cents(mirror_amount(data.get("TotalAmt"))) if known else None,
        quickbooks_balance=_cents(mirror_amount(data.get("Balance"))) if known else None,
        quickbooks_tax=_cents(tax) if known else None,
        quickbooks_customer=seen.parent_id if seen is not None else None,
        expected_customer=side.customer_qbo_id,
        customer_name=_name(customer),
    )


def _cents(amount: Decimal | None) -> Decimal | None:
    return total([amount]) if amount is not None else None


def _name(ref: object) -> str | None:
    name = ref.get("name") if isinstance(ref, Mapping) else None
    return str(name) if name else None


def mismatch_problem(comparison: InvoiceComparison) -> Problem:
    """`invoice.amount_mismatch` for an invoice whose totals differ, with both amounts."""
    quickbooks_total = comparison.quickbooks_total or ZERO
    difference = total([quickbooks_total, -comparison.app_total])
    params: dict[str, str | None] = {
        "number": comparison.number,
        "app_total": str(comparison.app_total),
        "quickbooks_total": str(quickbooks_total),
        "difference": str(difference),
        "quickbooks_tax": str(comparison.quickbooks_tax)
        if comparison.quickbooks_tax is not None
        else None,
        "quickbooks_id": comparison.qbo_id,
    }
    return Problem(
        catalog.INVOICE_AMOUNT_MISMATCH,
        None,
        f"QuickBooks Invoice {comparison.qbo_id} totals {quickbooks_total}; the app's total "
        f"is {comparison.app_total}",
        {name: value for name, value in params.items() if value is not None},
    )


@dataclass(frozen=True)
class Totals:
    """Sums over the linked invoices QuickBooks still holds (voided ones count as zero
    there)."""

    invoices: int
    app_total: Decimal
    quickbooks_total: Decimal
    app_open: Decimal
    quickbooks_open: Decimal

    def to_json(self) -> dict[str, object]:
        return {
            "invoices": self.invoices,
            "app_total": str(self.app_total),
            "quickbooks_total": str(self.quickbooks_total),
            "difference": str(total([self.quickbooks_total, -self.app_total])),
            "app_open_balance": str(self.app_open),
            "quickbooks_open_balance": str(self.quickbooks_open),
            "open_balance_difference": str(total([self.quickbooks_open, -self.app_open])),
        }


def totals(comparisons: Iterable[InvoiceComparison]) -> Totals:
    counted = [c for c in comparisons if c.comparable]
    return Totals(
        invoices=len(counted),
        app_total=total(c.app_total for c in counted),
        quickbooks_total=total(c.quickbooks_total or ZERO for c in counted),
        app_open=total(c.app_open for c in counted),
        quickbooks_open=total(c.quickbooks_balance or ZERO for c in counted),
    )
