"""The reconciliation report's figures: app and QuickBooks side by side.

    health(records, links) -> {type: Health}          links per record type, and their state
    compare_invoice(side) -> InvoiceComparison          one linked invoice, both sides
    totals(comparisons) -> Totals                       sums over the linked invoices

What a link's QuickBooks object can be (`object_state`): ``ok``, ``missing`` (the mirror never
saw it), ``deleted`` (QuickBooks said so), ``inactive`` (a customer, vendor or item made
inactive) or ``voided`` (a transaction voided: QuickBooks keeps it with a zero total and a
"Voided" note). An invoice is ``moved`` when its CustomerRef is no longer the customer its app
customer is linked to; ``paid`` in QuickBooks when its balance is zero on a non-zero total.

Exceptions (`invoice_disagreements`, `link_disagreement`): what disagrees between the app and
QuickBooks because of something done in QuickBooks and not by ledgerbridge, one `Disagreement`
per record and kind, most urgent kind first (`KINDS`):

- ``deleted``: the QuickBooks object is gone (a customer: merged into another);
- ``voided``: a transaction voided in QuickBooks that the app has not voided;
- ``moved``: an invoice now under another QuickBooks customer;
- ``paid``: an invoice paid in full in QuickBooks that the app's own payments, synced, do not
  cover: someone received a payment in QuickBooks. An invoice fully paid by payments the app
  sent and ledgerbridge synced agrees (`paid_by_the_app`), and is only counted;
- ``balance``: an invoice's open balance differs by more than its total does: payments were
  received, changed or deleted in QuickBooks;
- ``amount``: an invoice's total differs: changed in QuickBooks;
- ``tax``: an invoice's total differs by exactly the sales tax QuickBooks worked out (the app
  sends no tax figure): nobody changed it, but the customer owes QuickBooks' figure;
- ``inactive``: a customer, vendor or item made inactive in QuickBooks that the app still uses.

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
from typing import Any, Literal

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.money import ZERO, total
from ledgerbridge.core.preflight import mirror_amount
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RECORD_TYPES, Invoice, RecordKey

__all__ = [
    "KINDS",
    "KIND_LABELS",
    "Disagreement",
    "DisagreementKind",
    "Health",
    "InvoiceComparison",
    "InvoiceSide",
    "LinkedObject",
    "ObjectState",
    "Totals",
    "compare_invoice",
    "health",
    "invoice_disagreements",
    "is_voided",
    "link_disagreement",
    "mismatch_problem",
    "object_state",
    "totals",
]

ObjectState = Literal["ok", "missing", "deleted", "inactive", "voided"]
DisagreementKind = Literal[
    "deleted", "voided", "moved", "paid", "balance", "amount", "tax", "inactive"
]
KINDS: tuple[DisagreementKind, ...] = (
    "deleted",
    "voided",
    "moved",
    "paid",
    "balance",
    "amount",
    "tax",
    "inactive",
)
KIND_LABELS: Mapping[str, str] = {
    "deleted": "Deleted in QuickBooks",
    "voided": "Voided in QuickBooks",
    "moved": "Moved to another customer in QuickBooks",
    "paid": "Paid in QuickBooks, not by the app's payments",
    "balance": "Payments in QuickBooks differ from the app's",
    "amount": "Total changed in QuickBooks",
    "tax": "Sales tax added by QuickBooks",
    "inactive": "Made inactive in QuickBooks",
}
"""What each kind of exception is called where a person reads it (the dashboard, the CLI)."""
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
    app_paid: Decimal = ZERO  # what the app's payments in QuickBooks put on it

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

    @property
    def paid_by_the_app(self) -> bool:
        """Paid in QuickBooks by the app's own payments, synced: they cover QuickBooks' total
        (tax QuickBooks added included). Nothing to look at."""
        return (
            self.paid_in_quickbooks
            and self.quickbooks_total is not None
            and self.app_paid >= self.quickbooks_total
        )

    @property
    def paid_elsewhere(self) -> bool:
        """Paid in full in QuickBooks, and not by the app's synced payments alone."""
        return self.paid_in_quickbooks and not self.paid_by_the_app

    @property
    def tax_only(self) -> bool:
        """The totals differ by exactly the tax QuickBooks worked out."""
        return (
            self.amount_differs
            and self.quickbooks_tax is not None
            and self.quickbooks_tax != 0
            and total([self.quickbooks_total or ZERO, -self.app_total]) == self.quickbooks_tax
        )

    @property
    def payments_differ(self) -> bool:
        """The open balances differ by more (or less) than the totals do: payments made,
        changed or deleted in QuickBooks, not only a different total."""
        if not self.balance_differs or self.quickbooks_balance is None:
            return False
        balance = total([self.quickbooks_balance, -self.app_open])
        amount = total([self.quickbooks_total or ZERO, -self.app_total])
        return balance != amount


@dataclass(frozen=True)
class Disagreement:
    """One thing that disagrees between the app and QuickBooks for one record.

    `app_amount` and `quickbooks_amount` are the figures that differ (totals for ``amount``,
    open balances for ``paid`` and ``balance``); `other` is the QuickBooks customer an invoice
    was moved to (its name, or its id)."""

    kind: DisagreementKind
    key: RecordKey
    number: str | None
    qbo_entity: str
    qbo_id: str
    code: str
    app_amount: Decimal | None = None
    quickbooks_amount: Decimal | None = None
    other: str | None = None

    @property
    def difference(self) -> Decimal | None:
        if self.app_amount is None or self.quickbooks_amount is None:
            return None
        return total([self.quickbooks_amount, -self.app_amount])

    @property
    def order(self) -> tuple[int, int, str]:
        """Most urgent kind first, then in push order, then by app id."""
        return (KINDS.index(self.kind), RECORD_TYPES.index(self.key.type), self.key.app_id)


def invoice_disagreements(comparison: InvoiceComparison) -> list[Disagreement]:
    """What disagrees on one linked invoice QuickBooks still holds (deleted and voided ones
    are `link_disagreement`'s): moved, paid elsewhere, payments differing, total differing."""
    key = RecordKey("invoice", comparison.app_id)

    def one(kind: DisagreementKind, code: str, **figures: Any) -> Disagreement:
        return Disagreement(
            kind, key, comparison.number, "Invoice", comparison.qbo_id, code, **figures
        )

    found: list[Disagreement] = []
    if comparison.moved:
        other = comparison.customer_name or comparison.quickbooks_customer
        found.append(one("moved", catalog.INVOICE_MOVED_IN_QUICKBOOKS, other=other))
    balances = {
        "app_amount": comparison.app_open,
        "quickbooks_amount": comparison.quickbooks_balance,
    }
    if comparison.paid_elsewhere:
        found.append(one("paid", catalog.INVOICE_PAID_IN_QUICKBOOKS, **balances))
    elif comparison.payments_differ:
        found.append(one("balance", catalog.INVOICE_PAID_IN_QUICKBOOKS, **balances))
    if comparison.amount_differs:
        found.append(
            one(
                "tax" if comparison.tax_only else "amount",
                catalog.INVOICE_AMOUNT_MISMATCH,
                app_amount=comparison.app_total,
                quickbooks_amount=comparison.quickbooks_total,
            )
        )
    return found


def link_disagreement(
    link: LinkedObject, *, code: str, number: str | None, settled_in_app: bool
) -> Disagreement | None:
    """A record whose QuickBooks object was deleted, voided or made inactive there, unless the
    app did the same (`settled_in_app`: an invoice voided, a name made inactive in the app)."""
    state = object_state(link)
    if state not in ("deleted", "voided", "inactive") or settled_in_app:
        return None
    return Disagreement(state, link.key, number, link.entity, link.qbo_id, code)


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
        app_paid=total([side.applied]),
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
