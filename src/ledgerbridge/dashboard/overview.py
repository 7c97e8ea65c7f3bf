"""The overview's look-ups: what to do first, and what changed in QuickBooks since yesterday.

    first = problem_groups(ledger, connection_id)          # codes by records held, worst first
    changes = quickbooks_changes(ledger, connection_id, now) # the last 24 hours, by kind

A problem *holds* the records it stops (status error with that code) and every record
waiting for one of them, directly or through another waiting record (an invoice waits for a
property that waits for the customer in error: the customer's problem holds all three).
Records are counted in SQL (one grouped count per problem); the waiting records are followed
to the record that stops them in Python, over the blocked rows only (their keys, a few
hundred bytes each), and the problems of those records read by key.

"Changed in QuickBooks" is what the pulls learnt of changes made there and not by ledgerbridge:
the history entries the pull side writes under the app's records (deleted, voided, moved, made
inactive, edited, paid, merged; `engine.drift`, `engine.paid`), counted by record type and
problem, and the QuickBooks objects created there that no app record is linked to (a new
customer, vendor or item someone added by hand), counted by kind.

Read-only, through `storage.attention`; the connection id must already be checked to belong
to the signed-in user (`Service.connection`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerbridge.core import catalog
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage import attention
from ledgerbridge.storage.attention import Attention, Blocked, Key

__all__ = [
    "CHANGE_KINDS",
    "SINCE",
    "FirstSteps",
    "NewInQuickBooks",
    "ProblemGroup",
    "QuickBooksChange",
    "blocked_edges",
    "change_code",
    "changed_since",
    "problem_groups",
    "quickbooks_changes",
    "root_of",
]

SINCE = timedelta(hours=24)  # "since yesterday"
# History entries the pull side writes for a change made in QuickBooks, and the problem code
# each stands for when its detail names none (`engine.paid`, `engine.drift`).
CHANGE_KINDS: Mapping[str, str | None] = {
    "drift": None,  # the detail is the problem: deleted, voided, moved, inactive, account...
    "changed_in_quickbooks": catalog.RECORD_CHANGED_IN_QUICKBOOKS,
    "paid_in_quickbooks": catalog.INVOICE_PAID_IN_QUICKBOOKS,
    "merged": catalog.CUSTOMER_MERGED_IN_QUICKBOOKS,
    "vendor_merged": catalog.VENDOR_MERGED_IN_QUICKBOOKS,
}
# QuickBooks objects a person may add by hand that the app would want to know of, as words.
_NEW_KINDS: Mapping[str, tuple[str, str]] = {
    "Customer": ("customer", "customers"),
    "Vendor": ("vendor", "vendors"),
    "Employee": ("employee", "employees"),
    "Item": ("item", "items"),
    "Account": ("account", "accounts"),
    "Class": ("class", "classes"),
    "PaymentMethod": ("payment method", "payment methods"),
    "Term": ("payment term", "payment terms"),
    "Invoice": ("invoice", "invoices"),
    "Payment": ("payment", "payments"),
    "Bill": ("bill", "bills"),
    "Purchase": ("expense", "expenses"),
    "PurchaseOrder": ("purchase order", "purchase orders"),
    "SalesReceipt": ("sales receipt", "sales receipts"),
    "CreditMemo": ("credit memo", "credit memos"),
}
# How severe a problem is, for the order of "what to do first" (lower first): one that stops
# the whole connection, then one only a person can clear, then one the engine retries itself.
_CONNECTION, _PERSON, _RETRIES = 0, 1, 2


@dataclass(frozen=True)
class ProblemGroup:
    """One problem code: the records it stops and the records waiting behind them."""

    code: str
    title: str
    records: int
    waiting: int
    severity: int  # 0 stops the connection, 1 needs a person, 2 retried by itself

    @property
    def holds(self) -> int:
        return self.records + self.waiting


@dataclass(frozen=True)
class QuickBooksChange:
    """Records of one type that one kind of change in QuickBooks reached in the period."""

    type: str
    code: str
    title: str
    records: int


@dataclass(frozen=True)
class NewInQuickBooks:
    """QuickBooks objects of one kind created there in the period, linked to no app record."""

    entity: str
    label: str  # "3 customers"
    count: int


def _severity(code: str) -> int:
    entry = catalog.ENTRIES.get(code)
    if entry is None:
        return _PERSON
    if entry.level == "connection":
        return _CONNECTION
    return _RETRIES if entry.retriable else _PERSON


def blocked_edges(ledger: Ledger, connection_id: str) -> list[Blocked]:
    """Every blocked record of the connection with the record it waits for."""
    with ledger.db.session(readonly=True) as session:
        return Attention(session, connection_id).blocked()


def root_of(key: Key, waits_for: Mapping[Key, Key]) -> Key:
    """The record at the end of a chain of waiting records: the one that is not waiting
    (a loop of waiting records ends at the record where it closes)."""
    seen = {key}
    while key in waits_for:
        after = waits_for[key]
        if after in seen:
            return key
        seen.add(after)
        key = after
    return key


@dataclass(frozen=True)
class FirstSteps:
    """The problems in the order to work them, and the waiting records no problem holds
    (they wait for a record the app never sent, or one bypassed or still being sent)."""

    groups: list[ProblemGroup]
    waiting_elsewhere: int


def problem_groups(ledger: Ledger, connection_id: str) -> FirstSteps:
    """The problems of the records in error, each with how many records it stops and how many
    wait behind those, in the order to work them: the most severe first (a connection's
    problem, then those only a person clears, then those retried by themselves), and within
    one severity the problem holding the most records first."""
    with ledger.db.session(readonly=True) as session:
        counted = Attention(session, connection_id).error_counts()
    records: Counter[str] = Counter()
    for c, n in counted:
        records[str(c or catalog.QUICKBOOKS_UNKNOWN_ERROR)] += int(n)
    # the waiting records, each counted under the problem of the record at the end of its chain
    waits_for = {edge.key: edge.blocker for edge in blocked_edges(ledger, connection_id)}
    roots = {key: root_of(key, waits_for) for key in waits_for}
    code_of = _error_codes(ledger, connection_id, sorted(set(roots.values())))
    waiting: Counter[str] = Counter()
    elsewhere = 0
    for root in roots.values():
        if root in code_of:
            waiting[code_of[root]] += 1
        else:
            elsewhere += 1
    groups = [
        ProblemGroup(c, catalog.title(c), n, waiting.get(c, 0), _severity(c))
        for c, n in records.items()
    ]
    groups.sort(key=lambda g: (g.severity, -g.holds, g.title.casefold(), g.code))
    return FirstSteps(groups, elsewhere)


def change_code() -> Any:
    """The problem code a history entry of a change in QuickBooks stands for, as SQL."""
    return attention.change_code(CHANGE_KINDS)


def _error_codes(ledger: Ledger, connection_id: str, keys: Sequence[Key]) -> dict[Key, str]:
    """The problem code of each of these records that is in error (the others are left out)."""
    with ledger.db.session(readonly=True) as session:
        found = Attention(session, connection_id).error_codes(keys)
    return {key: c or catalog.QUICKBOOKS_UNKNOWN_ERROR for key, c in found.items()}


def changed_since(now: datetime) -> datetime:
    return now - SINCE


def quickbooks_changes(
    ledger: Ledger, connection_id: str, now: datetime
) -> tuple[list[QuickBooksChange], list[NewInQuickBooks]]:
    """What the pulls learnt of changes made in QuickBooks in the 24 hours before `now`: the
    app's records they reached (by type and problem, most first) and the objects created in
    QuickBooks that no app record is linked to (by kind, most first)."""
    since = changed_since(now)
    with ledger.db.session(readonly=True) as session:
        seen = Attention(session, connection_id)
        changed = seen.changes_since(since, CHANGE_KINDS)
        created = seen.created_unlinked_since(since, _NEW_KINDS)
        first_pull = seen.first_mirrored()
    changes = [
        QuickBooksChange(c.type, c.code, catalog.title(c.code), c.records)
        for c in changed
        if c.code
    ]
    changes.sort(key=lambda c: (-c.records, c.type, c.title))
    # created in QuickBooks in the period and after the first pull wrote the mirror: the
    # company's earlier books, which the first pull read in full, are not news
    start = max(since, first_pull) if first_pull is not None else since
    found: Counter[str] = Counter()
    for made in created:
        moment = _moment(made.create_time)
        if moment is not None and moment > start:
            found[made.entity] += 1
    new = [
        NewInQuickBooks(entity, _count_words(n, *_NEW_KINDS[entity]), n)
        for entity, n in found.most_common()
    ]
    return changes, new


def _moment(value: Any) -> datetime | None:
    """QuickBooks' time stamp (``2026-12-05T13:22:12-08:00``) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count_words(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"
