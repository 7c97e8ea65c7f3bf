"""Setup checks: what in a connection's set-up will stop records, found before it does.

The checklist is made at connect time (after the first full pull) and then daily, from what
ledgerbridge already holds: the app's records, the mirror of QuickBooks, the links, the
connection's mappings and settings. This module decides (pure, no I/O); `engine.checks` gathers
the facts, stores the checklist and tells the app when a check's status changes.

Each check says, for an office user, whether something needs doing:

- ``ok``: nothing to do;
- ``warning``: records will be stopped (or numbers clash) unless someone acts;
- ``error``: records are stopped by it now (some are in error with the check's code).

The checks:

``numbering``
    The app's invoice (and purchase order) numbers, as they are sent under the numbering
    setting, against the numbers of QuickBooks documents not linked to app records: the numbers
    already taken, the QuickBooks numbers the app's sequence will run into, and the first safe
    starting number (one above the highest number of the app's family in either system, prefix
    kept: a start below the app's own numbers would reuse them). With the ``number_start``
    setting, app numbers before the start are the old sequence:
    their clashes are listed as resolved (each such record is handled by its own
    ``invoice.number_conflict``). Never ``error``: a clash of one record is that record's problem.
``tax``
    Automated sales tax (``TaxPrefs.PartnerTaxEnabled``: lines go as ``TAX``/``NON`` and
    QuickBooks works the rate out) or tax codes chosen per invoice; either way every tax rate the
    app's invoices use needs a QuickBooks tax code mapping (``tax.rate_not_mapped``).
``closed_books``
    The books closing date (``AccountingInfoPrefs.BookCloseDate``) and the app's transactions
    dated on or before it that are not synced yet: refused (``invoice.closed_period``) under the
    ``closed_periods`` policy ``error``, moved to the first open day under ``move_to_open_day``.
``mappings``
    Every tax rate, payment method, account and class the app's records use that resolves to no
    active QuickBooks object: tax rates and payment methods must be mapped (a QuickBooks object
    of the same name is offered as the suggestion); accounts and classes may also match an
    active QuickBooks object by name, as the push pass resolves them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import CompanyPreferences, MirrorObject, MirrorView
from ledgerbridge.core.preflight import Mappings
from ledgerbridge.core.records import (
    Bill,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Record,
    RecordKey,
)
from ledgerbridge.core.status import Status as SyncStatus

__all__ = [
    "EXAMPLES",
    "Check",
    "Checklist",
    "Dated",
    "NumberFacts",
    "NumberOverlap",
    "Resolution",
    "Status",
    "closed_books_check",
    "mapping_check",
    "not_read_yet",
    "number_overlap",
    "numbering_check",
    "resolve",
    "split_number",
    "status_changes",
    "tax_check",
    "transaction_date",
    "uses",
    "worst",
]

Status = Literal["ok", "warning", "error"]
Section = Literal["tax_rates", "payment_methods", "accounts", "classes"]

EXAMPLES = 5  # how many examples a check lists besides the count
_RANK: Mapping[str, int] = {"ok": 0, "warning": 1, "error": 2}
SECTIONS: tuple[Section, ...] = ("tax_rates", "payment_methods", "accounts", "classes")
SECTION_CODES: Mapping[Section, str] = {
    "tax_rates": catalog.TAX_RATE_NOT_MAPPED,
    "payment_methods": catalog.PAYMENT_METHOD_NOT_MAPPED,
    "accounts": catalog.ITEM_ACCOUNT_MISSING,
    "classes": catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
}
_ENTITIES: Mapping[Section, str] = {
    "tax_rates": "TaxCode",
    "payment_methods": "PaymentMethod",
    "accounts": "Account",
    "classes": "Class",
}
_WORDS: Mapping[Section, tuple[str, str]] = {
    "tax_rates": ("tax rate", "tax rates"),
    "payment_methods": ("payment method", "payment methods"),
    "accounts": ("account", "accounts"),
    "classes": ("class", "classes"),
}
_MUST_BE_MAPPED: frozenset[Section] = frozenset({"tax_rates", "payment_methods"})


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    id: str
    title: str
    status: Status
    summary: str  # one sentence for an office user
    details: Mapping[str, Any] = field(default_factory=dict)
    code: str | None = None  # the catalog code behind it, when one applies
    actions: tuple[str, ...] = ()  # connection actions (POST .../actions/{action})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "details": dict(self.details),
            "code": self.code,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class Checklist:
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        return worst(c.status for c in self.checks)

    def get(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "checks": [c.to_json() for c in self.checks]}


def worst(statuses: Iterable[str]) -> Status:
    found: Status = "ok"
    for status in statuses:
        if _RANK.get(status, 0) > _RANK[found]:
            found = "error" if status == "error" else "warning"
    return found


def status_changes(previous: Mapping[str, Any] | None, current: Checklist) -> list[dict[str, Any]]:
    """The checks whose status differs from the stored checklist `previous` (its JSON).

    Without a previous checklist, every check that is not ``ok`` counts as changed.
    """
    before: dict[str, str] = {}
    for item in (previous or {}).get("checks") or []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            before[item["id"]] = str(item.get("status"))
    changes = []
    for check in current.checks:
        was = before.get(check.id)
        if was != check.status and (was is not None or check.status != "ok"):
            changes.append({"id": check.id, "status": check.status, "previous": was})
    return changes


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(values[:3])
    return f"{shown} and {len(values) - 3} more" if len(values) > 3 else shown


def _sample(values: Sequence[str]) -> dict[str, Any]:
    return {"count": len(values), "examples": list(values[:EXAMPLES])}


def not_read_yet() -> Checklist:
    """The checklist of a connection whose QuickBooks company was never read."""
    summary = (
        "QuickBooks hasn't been read yet; this is checked after the first refresh from QuickBooks."
    )
    return Checklist(
        tuple(
            Check(
                check_id, title, "warning", summary, {"waiting_for_pull": True}, None, ("refresh",)
            )
            for check_id, title in _TITLES.items()
        )
    )


_TITLES: Mapping[str, str] = {
    "numbering": "Invoice numbers",
    "tax": "Sales tax",
    "closed_books": "Closed books",
    "mappings": "Mappings",
}


# --- numbering --------------------------------------------------------------------------------

_NUMBER = re.compile(r"^(.*?)(\d+)$")


def split_number(text: str) -> tuple[str, int, int] | None:
    """(prefix, value, digits) of a number ending in digits: "INV-0042" -> ("INV-", 42, 4)."""
    match = _NUMBER.match(text.strip())
    if match is None:
        return None
    digits = match.group(2)
    return match.group(1), int(digits), len(digits)


@dataclass(frozen=True)
class NumberFacts:
    """The numbers of one kind of document (invoices, or purchase orders)."""

    app_numbers: tuple[str, ...]  # as the app has them, records not deleted
    quickbooks_numbers: tuple[str, ...]  # DocNumbers of QuickBooks documents not linked to us


@dataclass(frozen=True)
class NumberOverlap:
    app_count: int
    quickbooks_count: int
    highest: str | None  # the highest QuickBooks number of the app's family, as in QuickBooks
    overlapping: tuple[str, ...]  # app numbers (app terms) QuickBooks already uses
    ahead: tuple[str, ...]  # QuickBooks numbers the app's sequence will run into
    resolved: tuple[str, ...]  # clashing app numbers before the number start
    start: int | None  # the first safe starting number (its numeric part)
    start_text: str | None  # the same as the app writes it ("INV-1051")
    family: str = ""  # the prefix the app's numbers share (app terms)

    @property
    def clash(self) -> bool:
        return bool(self.overlapping or self.ahead)

    def to_json(self) -> dict[str, Any]:
        return {
            "app_numbers": self.app_count,
            "quickbooks_numbers": self.quickbooks_count,
            "highest_in_quickbooks": self.highest,
            "overlapping": _sample(self.overlapping),
            "ahead": _sample(self.ahead),
            "resolved": _sample(self.resolved),
            "suggested_start": self.start_text,
            "suggested_start_number": self.start,
            "family": self.family,
        }


def _family(numbers: Iterable[str]) -> str | None:
    """The prefix most numbers ending in digits share (the first seen on a tie)."""
    counts = Counter(p[0] for p in map(split_number, numbers) if p is not None)
    return counts.most_common(1)[0][0] if counts else None


def number_overlap(
    facts: NumberFacts, *, numbering: str, prefix: str = "", start: int | None = None
) -> NumberOverlap:
    """How the app's numbers meet QuickBooks' (see the module doc, ``numbering``)."""
    if numbering == "quickbooks":  # QuickBooks numbers them: nothing the app sends can clash
        return NumberOverlap(
            len(facts.app_numbers), len(facts.quickbooks_numbers), None, (), (), (), None, None
        )
    sent = prefix if numbering == "prefix" else ""
    taken = set(facts.quickbooks_numbers)
    family = _family(facts.app_numbers)
    if family is None:  # the app sent no numbers yet: continue QuickBooks' own sequence
        ours = [n[len(sent) :] for n in facts.quickbooks_numbers if n.startswith(sent)]
        family = _family(ours) or ""
    in_quickbooks: list[tuple[int, int, str]] = []
    for number in facts.quickbooks_numbers:
        parts = split_number(number)
        if parts is not None and parts[0] == sent + family:
            in_quickbooks.append((parts[1], parts[2], number))
    in_quickbooks.sort()
    overlapping: list[str] = []
    resolved: list[str] = []
    high: int | None = None if start is None else start - 1
    in_app: list[tuple[int, int]] = []  # (value, digits) of every app number of the family
    for number in sorted(set(facts.app_numbers), key=_number_order):
        parts = split_number(number)
        before_start = (
            parts is not None and parts[0] == family and start is not None and parts[1] < start
        )
        if parts is not None and parts[0] == family:
            in_app.append((parts[1], parts[2]))
            if not before_start:
                high = parts[1] if high is None else max(high, parts[1])
        if sent + number in taken:
            (resolved if before_start else overlapping).append(number)
    ahead = [text for value, _, text in in_quickbooks if high is not None and value > high]
    suggested: int | None = None
    suggested_text: str | None = None
    if in_quickbooks:
        # above the highest number of the family in either system: a start below the app's
        # own numbers would hand out numbers the app has already used
        value, digits = max([in_quickbooks[-1][:2], *in_app])
        suggested = value + 1
        width = digits if len(str(value)) < digits else 0  # keep zero padding
        suggested_text = family + str(suggested).zfill(width)
    return NumberOverlap(
        app_count=len(facts.app_numbers),
        quickbooks_count=len(facts.quickbooks_numbers),
        highest=in_quickbooks[-1][2] if in_quickbooks else None,
        overlapping=tuple(overlapping),
        ahead=tuple(ahead),
        resolved=tuple(resolved),
        start=suggested,
        start_text=suggested_text,
        family=family,
    )


def _number_order(number: str) -> tuple[str, int, str]:
    parts = split_number(number)
    return (parts[0], parts[1], number) if parts is not None else (number, -1, number)


def numbering_check(
    invoices: NumberFacts,
    purchase_orders: NumberFacts,
    *,
    numbering: str,
    prefix: str = "",
    number_start: int | None = None,
    refuses_duplicates: bool = True,
) -> Check:
    """``numbering``: invoice numbers (with the ``number_start`` setting) and purchase order
    numbers against those used in QuickBooks."""
    invoice = number_overlap(invoices, numbering=numbering, prefix=prefix, start=number_start)
    order = number_overlap(purchase_orders, numbering=numbering, prefix=prefix)
    details: dict[str, Any] = {
        "numbering": numbering,
        "number_prefix": prefix,
        "number_start": number_start,
        "quickbooks_refuses_duplicates": refuses_duplicates,
        "suggested_start": invoice.start_text,
        "suggested_start_number": invoice.start,
        "invoice": invoice.to_json(),
        "purchase_order": order.to_json(),
    }
    title = _TITLES["numbering"]
    if numbering == "quickbooks":
        summary = "QuickBooks numbers new documents itself, so the app's numbers can't clash."
        return Check("numbering", title, "ok", summary, details)
    sentences: list[str] = []
    if invoice.clash:
        sentences.append(_clash_sentence("invoice", invoice))
    if order.clash:
        sentences.append(_clash_sentence("purchase order", order))
    actions = ("apply_numbering_start",) if invoice.start is not None else ()
    if sentences:
        if invoice.clash and invoice.start_text:
            sentences.append(f"Start the app's invoice numbers at {invoice.start_text}.")
        if order.clash and order.start_text:
            sentences.append(f"Start its purchase order numbers at {order.start_text}.")
        return Check(
            "numbering",
            title,
            "warning",
            " ".join(sentences),
            details,
            catalog.INVOICE_NUMBER_SEQUENCE_OVERLAP,
            actions if invoice.clash else (),
        )
    if number_start is not None and invoice.highest is not None:
        summary = (
            f"The app continues its invoice numbers from {number_start}, after the numbers "
            "already used in QuickBooks."
        )
        return Check("numbering", title, "ok", summary, details)
    if invoice.app_count == 0 and invoice.start_text is not None:
        summary = (
            f"QuickBooks already uses invoice numbers up to {invoice.highest}; to be safe, "
            f"have the app start at {invoice.start_text}."
        )
        return Check("numbering", title, "ok", summary, details, None, actions)
    if invoice.quickbooks_count == 0:
        summary = "QuickBooks has no numbered invoices of its own, so the app's can't clash."
    else:
        summary = "The app's invoice numbers don't clash with the numbers used in QuickBooks."
    return Check("numbering", title, "ok", summary, details)


def _clash_sentence(kind: str, overlap: NumberOverlap) -> str:
    ahead = len(overlap.ahead)
    if not overlap.overlapping:
        return (
            f"The app's next {kind} numbers run into {_plural(ahead, 'number', 'numbers')} "
            f"already used in QuickBooks (from {overlap.ahead[0]})."
        )
    count = len(overlap.overlapping)
    verb = "is" if count == 1 else "are"
    text = (
        f"{count} of the app's {kind} numbers {verb} already used in QuickBooks "
        f"({_listed(overlap.overlapping)})"
    )
    if ahead:
        text += f", and its next numbers run into {ahead} more used there"
    return text + "."


# --- uses of mapped values ------------------------------------------------------------------


def uses(records: Iterable[tuple[RecordKey, Record]]) -> dict[Section, dict[str, list[RecordKey]]]:
    """The tax rates, payment methods, accounts and classes records use, with who uses them."""
    found: dict[Section, dict[str, list[RecordKey]]] = {s: {} for s in SECTIONS}

    def add(section: Section, value: str | None, key: RecordKey) -> None:
        if value:
            users = found[section].setdefault(value, [])
            if key not in users:
                users.append(key)

    for key, record in records:
        if isinstance(record, Invoice):
            add("tax_rates", record.tax_rate_id, key)
            add("classes", record.class_name, key)
            for line in record.lines:
                add("classes", line.class_name, key)
        elif isinstance(record, Payment):
            add("payment_methods", record.method, key)
        elif isinstance(record, Item):
            add("accounts", record.income_account, key)
            add("accounts", record.expense_account, key)
            add("accounts", record.asset_account, key)
        elif isinstance(record, Receipt | Bill):
            if isinstance(record, Receipt):
                add("accounts", record.payment_account, key)
            for expense in record.lines:
                add("accounts", expense.expense_account, key)
                add("classes", expense.class_name, key)
    return found


@dataclass(frozen=True)
class Resolution:
    """How one value a record uses resolves to a QuickBooks object."""

    state: Literal["mapped", "named", "not_mapped", "inactive"]
    quickbooks_id: str | None = None
    suggestion: MirrorObject | None = None  # a same-name object to map it to

    @property
    def usable(self) -> bool:
        return self.state in ("mapped", "named")


def _table(mappings: Mappings, section: Section) -> Mapping[str, str]:
    return {
        "tax_rates": mappings.tax_codes,
        "payment_methods": mappings.payment_methods,
        "accounts": mappings.accounts,
        "classes": mappings.classes,
    }[section]


def resolve(section: Section, value: str, mappings: Mappings, mirror: MirrorView) -> Resolution:
    """As preflight and the push pass resolve it: a mapping (trusted unless its object is
    inactive) or, for accounts and classes, an active QuickBooks object of that name."""
    entity = _ENTITIES[section]
    mapped = _table(mappings, section).get(value)
    if mapped is not None:
        obj = mirror.get(entity, mapped)
        if obj is not None and not obj.active:
            return Resolution("inactive", mapped)
        return Resolution("mapped", mapped)
    named = mirror.named(entity, value)
    if section in _MUST_BE_MAPPED:
        suggestion = named if named is not None and named.active else None
        return Resolution("not_mapped", None, suggestion)
    if named is None:
        return Resolution("not_mapped")
    if not named.active:
        return Resolution("inactive", named.qbo_id)
    return Resolution("named", named.qbo_id)


def _unusable(
    section: Section,
    used: Mapping[str, Sequence[RecordKey]],
    mappings: Mappings,
    mirror: MirrorView,
) -> list[dict[str, Any]]:
    missing = []
    for value in sorted(used):
        found = resolve(section, value, mappings, mirror)
        if found.usable:
            continue
        users = used[value]
        entry: dict[str, Any] = {
            "section": section,
            "value": value,
            "reason": found.state,
            "quickbooks_id": found.quickbooks_id,
            "code": SECTION_CODES[section],
            "used_by": len(users),
            "examples": [{"type": k.type, "id": k.app_id} for k in users[:EXAMPLES]],
        }
        if found.suggestion is not None:
            entry["suggestion"] = {
                "quickbooks_id": found.suggestion.qbo_id,
                "name": found.suggestion.name,
            }
        missing.append(entry)
    return missing


def _stopped(stopped: Mapping[str, int], codes: Iterable[str]) -> int:
    return sum(stopped.get(code, 0) for code in codes)


def _stopped_sentence(count: int) -> str:
    verb = "is" if count == 1 else "are"
    return f" {_plural(count, 'record', 'records')} {verb} stopped by it now."


# --- tax --------------------------------------------------------------------------------------


def tax_check(
    preferences: Mapping[str, Any],
    used: Mapping[str, Sequence[RecordKey]],
    mappings: Mappings,
    mirror: MirrorView,
    stopped: Mapping[str, int] | None = None,
) -> Check:
    """``tax``: how QuickBooks taxes, and whether the tax rates the app uses are mapped."""
    company = CompanyPreferences.from_quickbooks(preferences)
    tax = preferences.get("TaxPrefs") or {}
    using = bool(tax.get("UsingSalesTax", company.automated_sales_tax))
    ast = company.automated_sales_tax
    rates = []
    for value in sorted(used):
        found = resolve("tax_rates", value, mappings, mirror)
        rates.append(
            {
                "id": value,
                "used_by": len(used[value]),
                "state": found.state,
                "quickbooks_id": found.quickbooks_id,
            }
        )
    missing = [str(r["id"]) for r in rates if r["state"] not in ("mapped", "named")]
    details = {
        "automated_sales_tax": ast,
        "using_sales_tax": using,
        "line_codes": "TAX/NON" if ast else "tax codes",
        "tax_rates": rates,
        "not_mapped": missing,
    }
    title = _TITLES["tax"]
    if ast:
        mode = (
            "QuickBooks calculates sales tax automatically: invoice lines go as taxable or not "
            "(TAX/NON)"
        )
    elif using:
        mode = "QuickBooks taxes invoices with the tax codes you choose"
    else:
        mode = "Sales tax is turned off in QuickBooks"
    if missing:
        count = _stopped(stopped or {}, [catalog.TAX_RATE_NOT_MAPPED])
        what = _plural(len(missing), "tax rate", "tax rates")
        verb = "has" if len(missing) == 1 else "have"
        summary = (
            f"{mode}, and {what} used on the app's invoices {verb} no QuickBooks tax code "
            f"({_listed(missing)}): map {'it' if len(missing) == 1 else 'them'} on the tax "
            "mapping screen."
        )
        if count:
            summary += _stopped_sentence(count)
        status: Status = "error" if count else "warning"
        return Check("tax", title, status, summary, details, catalog.TAX_RATE_NOT_MAPPED)
    if rates:
        each = "its tax rate has" if len(rates) == 1 else f"each of its {len(rates)} tax rates has"
        summary = f"{mode}; the app's invoices are ready: {each} a QuickBooks tax code."
    elif ast:
        summary = f"{mode}; the app's invoices use no tax rates of their own."
    else:
        summary = f"{mode}; each tax rate the app uses will need a QuickBooks tax code."
    return Check("tax", title, "ok", summary, details)


# --- closed books -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dated:
    """An app transaction: its key, date and sync status."""

    key: RecordKey
    date: dt.date
    status: str


_WAITING = frozenset({SyncStatus.PENDING, SyncStatus.BLOCKED, SyncStatus.ERROR})


def transaction_date(record: Record) -> dt.date | None:
    if isinstance(record, Invoice | Payment | Receipt | Bill | PurchaseOrder):
        return record.date
    return None


def closed_books_check(
    preferences: Mapping[str, Any],
    transactions: Iterable[Dated],
    *,
    policy: str = "error",
    stopped: Mapping[str, int] | None = None,
) -> Check:
    """``closed_books``: the app's unsynced transactions dated in the closed period."""
    close = CompanyPreferences.from_quickbooks(preferences).book_close_date
    title = _TITLES["closed_books"]
    if close is None:
        details: dict[str, Any] = {"closing_date": None, "policy": policy}
        summary = "Your books have no closing date in QuickBooks, so no date is refused."
        return Check("closed_books", title, "ok", summary, details)
    first_open = close + dt.timedelta(days=1)
    inside = sorted(
        (t for t in transactions if t.status in _WAITING and t.date <= close),
        key=lambda t: (t.date, t.key.type, t.key.app_id),
    )
    count = _stopped(stopped or {}, [catalog.INVOICE_CLOSED_PERIOD])
    details = {
        "closing_date": close.isoformat(),
        "first_open_day": first_open.isoformat(),
        "policy": policy,
        "waiting_in_closed_period": {
            "count": len(inside),
            "examples": [
                {"type": t.key.type, "id": t.key.app_id, "date": t.date.isoformat()}
                for t in inside[:EXAMPLES]
            ],
        },
        "stopped": count,
    }
    closed = f"Your books are closed up to {close.isoformat()}"
    if not inside:
        summary = f"{closed}; no app record waiting to be sent is dated in that period."
        return Check("closed_books", title, "ok", summary, details)
    records = _plural(len(inside), "app record", "app records")
    verb = "is" if len(inside) == 1 else "are"
    if policy == "move_to_open_day":
        summary = (
            f"{closed}; {records} waiting to be sent {verb} dated in that period and will be "
            f"dated {first_open.isoformat()}, the first open day (connection setting)."
        )
        return Check("closed_books", title, "ok", summary, details, catalog.INVOICE_CLOSED_PERIOD)
    summary = (
        f"{closed}; {records} waiting to be sent {verb} dated in that period and QuickBooks "
        "will refuse them unless the period is reopened or they are moved to the first open day."
    )
    if count:
        summary += _stopped_sentence(count)
    return Check(
        "closed_books",
        title,
        "error" if count else "warning",
        summary,
        details,
        catalog.INVOICE_CLOSED_PERIOD,
    )


# --- mappings ---------------------------------------------------------------------------------


def mapping_check(
    used: Mapping[Section, Mapping[str, Sequence[RecordKey]]],
    mappings: Mappings,
    mirror: MirrorView,
    stopped: Mapping[str, int] | None = None,
) -> Check:
    """``mappings``: the values records use that resolve to no active QuickBooks object."""
    missing: list[dict[str, Any]] = []
    counts: dict[str, Any] = {}
    for section in SECTIONS:
        values = used.get(section, {})
        unusable = _unusable(section, values, mappings, mirror)
        missing.extend(unusable)
        counts[section] = {"used": len(values), "missing": len(unusable)}
    details = {"sections": counts, "missing": missing}
    title = _TITLES["mappings"]
    if not missing:
        total = sum(c["used"] for c in counts.values())
        if total:
            summary = (
                "Every tax rate, payment method, account and class the app uses has a match "
                "in QuickBooks."
            )
        else:
            summary = (
                "The app's records use no tax rates, payment methods, accounts or classes yet."
            )
        return Check("mappings", title, "ok", summary, details)
    parts = []
    for section in SECTIONS:
        names = [m["value"] for m in missing if m["section"] == section]
        if names:
            one, many = _WORDS[section]
            parts.append(f"{_plural(len(names), one, many)} ({_listed(names)})")
    verb = "has" if len(missing) == 1 else "have"
    summary = (
        f"{_join(parts)} used by the app's records {verb} no match in QuickBooks: map "
        f"{'it' if len(missing) == 1 else 'them'} on the mapping screen."
    )
    count = _stopped(stopped or {}, {m["code"] for m in missing})
    if count:
        summary += _stopped_sentence(count)
    summary = summary[0].upper() + summary[1:]
    code = missing[0]["code"]
    return Check("mappings", title, "error" if count else "warning", summary, details, code)


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
