"""How values read on the dashboard: labels of statuses, types, actions and history entries,
dates, and a record's name. Pure functions, installed as Jinja filters by `install`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ledgerbridge.core import catalog, money, reconcile
from ledgerbridge.core.classify import field_label
from ledgerbridge.core.status import Status
from ledgerbridge.engine.views import ProblemView

__all__ = [
    "CHECKLIST_MEANINGS",
    "CHECK_MEANINGS",
    "CONNECTION_MEANINGS",
    "CONNECTION_STATUSES",
    "EXCEPTION_KINDS",
    "RECORD_MEANINGS",
    "RECORD_STATUSES",
    "SCREEN_PAGES",
    "action_label",
    "ago",
    "connection_meaning",
    "connection_status",
    "exception_kind",
    "field_words",
    "fix_steps",
    "history_text",
    "install",
    "local_time",
    "money_text",
    "record_meaning",
    "record_name",
    "record_status",
    "type_label",
    "when",
    "words",
]

RECORD_STATUSES: Mapping[str, str] = {
    Status.SYNCED: "Synced",
    Status.PENDING: "Pending",
    Status.ERROR: "Needs attention",
    Status.BLOCKED: "Blocked",
    Status.BYPASSED: "Bypassed",
    Status.DRAFT: "Draft",
}
# What each status means, in a sentence a bookkeeper reads when hovering, tapping or tabbing
# to its badge. No meaning names another status by its label (a page that says "Synced" says
# so because of the badge, never because of another badge's explanation).
RECORD_MEANINGS: Mapping[str, str] = {
    Status.SYNCED: "QuickBooks holds this record as the app has it now.",
    Status.PENDING: "Not in QuickBooks as the app has it yet: it is waiting its turn or being "
    "sent, and goes by itself.",
    Status.ERROR: "Stopped by a problem a person has to look at. The record's page says what "
    "happened and how to fix it.",
    Status.BLOCKED: "Waits for another record to reach QuickBooks first, and goes by itself "
    "as soon as that one is there.",
    Status.BYPASSED: "Left out of the sync on purpose (someone chose so, or QuickBooks had it "
    "settled already): nothing is sent until the bypass is undone.",
    Status.DRAFT: "A draft in the app: nothing is sent until the app issues it.",
}
CONNECTION_STATUSES: Mapping[str, str] = {
    "active": "Active",
    "disconnected": "Disconnected",
    "suspended": "Suspended",
    "wrong_company": "Wrong company",
    "not_connected": "Not connected",
    "connector_offline": "Connector offline",
}
CONNECTION_MEANINGS: Mapping[str, str] = {
    "active": "ledgerbridge is signed in to this QuickBooks company and sends records to it.",
    "disconnected": "ledgerbridge lost its permission to work in this QuickBooks company. "
    "Records wait and are sent once someone reconnects.",
    "suspended": "This company's QuickBooks subscription is not active. Records wait until it is.",
    "wrong_company": "QuickBooks is on another company than the one this connection works with "
    "(another company chosen at the last sign-in, or another company file open on the PC). "
    "Nothing is sent until the original company is back.",
    "not_connected": "No QuickBooks company is connected yet. Connect one to start sending "
    "records.",
    "connector_offline": "QuickBooks Desktop's Web Connector has not called in for longer than "
    "the connection allows. Records wait until it does.",
}
# The setup checklist's statuses: (label, meaning), for one check and for the whole list.
CHECK_MEANINGS: Mapping[str, tuple[str, str]] = {
    "ok": ("OK", "Nothing here stops records."),
    "warning": ("Warning", "Worth a look: it stops nothing now, but may later."),
    "error": ("Error", "This stops records until it is put right."),
}
CHECKLIST_MEANINGS: Mapping[str, tuple[str, str]] = {
    "ok": ("All good", "No check found anything that stops records."),
    "warning": ("Needs a look", "A check found something worth a look; nothing is stopped."),
    "error": ("Stopping records", "A check found something that stops records."),
}
_TYPES: Mapping[str, str] = {
    "customer": "Customer",
    "vendor": "Vendor",
    "item": "Item",
    "invoice": "Invoice",
    "payment": "Payment",
    "receipt": "Receipt",
    "bill": "Bill",
    "purchase_order": "Purchase order",
}
# What each kind of reconciliation exception means (`core.reconcile.KINDS`), as a heading.
EXCEPTION_KINDS: Mapping[str, str] = reconcile.KIND_LABELS
_HISTORY: Mapping[str, str] = {
    "received": "Received from the app",
    "deleted_in_app": "Deleted in the app",
    "create_sent": "Sent to QuickBooks to be created",
    "update_sent": "Sent to QuickBooks to be updated",
    "delete_sent": "Sent to QuickBooks to be deleted",
    "void_sent": "Sent to QuickBooks to be voided",
    "not_sent": "Not sent after all: QuickBooks stopped taking requests first; goes later",
    "write_dropped": "A write to the old company forgotten (started fresh); planned again",
    "created": "Created in QuickBooks",
    "updated": "Updated in QuickBooks",
    "linked": "Linked to a QuickBooks record",
    "removed": "Removed from QuickBooks",
    "error": "Stopped by a problem",
    "blocked": "Waiting for another record",
    "bypassed": "Bypassed",
    "unavailable": "QuickBooks did not answer; will retry",
    "stale_reapplied": "Sent again over a newer QuickBooks version",
    "drift": "Changed in QuickBooks",
    "held": "Held: waits for a push request",
    "released": "Released to be pushed",
    "paid_in_quickbooks": "Paid in QuickBooks",
    "changed_in_quickbooks": "Changed in QuickBooks",
    "merged": "Merged into another customer in QuickBooks",
    "vendor_merged": "Merged into another vendor in QuickBooks",
    "verify_mismatch": "Checked against QuickBooks: not what the app has",
    "adjusted": "Adjusted to what QuickBooks accepts",
}


def words(name: str) -> str:
    """A name from the code as words: ``paid_in_quickbooks`` -> "Paid in QuickBooks" (the
    first letter capitalised, the rest kept, QuickBooks spelt as Intuit spells it)."""
    text = " ".join(
        "QuickBooks" if part.lower() == "quickbooks" else part for part in name.split("_") if part
    )
    return text[:1].upper() + text[1:]


def record_status(status: str) -> str:
    return RECORD_STATUSES.get(status, words(status))


def connection_status(status: str) -> str:
    return CONNECTION_STATUSES.get(status, words(status))


def record_meaning(status: str) -> str:
    return RECORD_MEANINGS.get(status, "")


def connection_meaning(status: str) -> str:
    return CONNECTION_MEANINGS.get(status, "")


def type_label(record_type: str) -> str:
    return _TYPES.get(record_type, words(record_type))


_APP_FIELDS: Mapping[str, str] = {
    "display_name": "name",
    "email": "email address",
    "phone": "phone number",
    "number": "number",
    "memo": "memo",
    "lines": "line",
}
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_DIGITS = re.compile(r"(?<=[a-z])(?=\d)")


_LINE = re.compile(r"Line\[(\d+)\]\.?(.*)")


def _quickbooks_words(path: str) -> str:
    """``Line[0].SalesItemLineDetail.Qty`` -> "line 1 quantity", ``DisplayName`` -> "name"."""
    found = _LINE.fullmatch(path)
    rest = found.group(2) if found else path
    parts = [p for p in rest.split(".") if p and not p.endswith("LineDetail")]
    text = "quantity" if parts[-1:] == ["Qty"] else field_label(".".join(parts))
    if found:
        return " ".join(w for w in ("line", str(int(found.group(1)) + 1), text) if w)
    return text


def field_words(path: str) -> str:
    """A field's path in office words, for the side-by-side tables: the app's
    (``display_name`` -> "name", ``lines[2].description`` -> "line 3 description",
    ``billing_address.line1`` -> "billing address line 1") or QuickBooks' (``CustomerRef.value``
    -> "customer", ``PrimaryEmailAddr.Address`` -> "email address")."""
    text = str(path or "")
    if not text or text.startswith("@"):
        return ""
    if text[:1].isupper():
        return _quickbooks_words(text)
    parts: list[str] = []
    for name, indexes in _STEP.findall(text):
        word = _APP_FIELDS.get(name, _DIGITS.sub(" ", name.replace("_", " ")))
        numbers = [int(n) + 1 for n in re.findall(r"\d+", indexes)]
        parts.append(" ".join([word, *map(str, numbers)]))
    return " ".join(parts)


def action_label(action: str) -> str:
    labels = {str(k): v for k, v in catalog.ACTION_LABELS.items()}
    return labels.get(action, words(action))


def when(value: datetime | str | None) -> str:
    """``2026-11-22 14:05 UTC``; empty for nothing."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def exception_kind(kind: str) -> str:
    return EXCEPTION_KINDS.get(kind, words(kind))


def local_time(value: datetime | str | None) -> Markup:
    """A moment as ``<time>``: the UTC text (``2026-11-22 14:05 UTC``), which the shipped
    script `static/times.js` turns into the viewer's own time zone; empty for nothing."""
    text = when(value)
    if not text:
        return Markup("")
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert moment is not None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = moment.astimezone(UTC).isoformat(timespec="seconds")
    return Markup('<time datetime="{}" data-local-time>{}</time>').format(stamp, text)


def ago(seconds: int | None) -> str:
    """How long ago, in words: "just now", "3 minutes ago", "1 hour ago", "2 days ago";
    "never" for nothing."""
    if seconds is None:
        return "never"
    if seconds < 60:
        return "just now"
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def money_text(amount: Decimal | str | None, currency: str = "USD") -> str:
    """An amount as the company writes it (``$1,439,954.40``); empty for nothing. Amounts
    arrive as the report's decimal strings and stay `Decimal`."""
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        return str(escape(amount))
    return money.formatted(value, currency)


def record_name(record_type: str, data: Mapping[str, Any]) -> str:
    """What a person calls the record: a name, or the document's number."""
    for field in ("display_name", "name", "company_name"):
        if data.get(field):
            return str(data[field])
    person = " ".join(str(data[f]) for f in ("first_name", "last_name") if data.get(f))
    if person:
        return person
    for field in ("number", "vendor_document_number", "reference"):
        if data.get(field):
            return f"No. {data[field]}"
    return ""


def history_text(entry: Mapping[str, Any]) -> str:
    """One line for a history entry: what happened, and the figures that say how."""
    kind = str(entry.get("kind") or "")
    if kind.startswith("action:"):
        label = f"{action_label(kind.removeprefix('action:'))} clicked"
    else:
        label = _HISTORY.get(kind, words(kind))
    detail = entry.get("detail") or {}
    extra = ""
    if isinstance(detail, Mapping):
        if detail.get("result"):
            # the actor as audited ("dashboard:ann@example.com"): the person, by their email
            by = str(detail.get("by") or "").removeprefix("dashboard:")
            who = f" by {by}" if by else ""
            extra = f"{who}: {detail['result']}"
        elif detail.get("code"):
            title = _problem_title(detail)
            extra = "" if title == label else f": {title}"  # not "Changed in QuickBooks" twice
        elif detail.get("quickbooks_id"):
            extra = f" (QuickBooks id {detail['quickbooks_id']})"
        elif detail.get("message"):
            extra = f": {detail['message']}"
    return label + extra


def _problem_title(problem: Mapping[str, Any]) -> str:
    return ProblemView.of(problem).title


# Where each screen a fix step names is (`catalog.Screen`): the route, the part of its page,
# and what the link says.
SCREEN_PAGES: Mapping[str, tuple[str, str, str]] = {
    "connection": ("connection", "", "Open the connection page"),
    "reconnect": ("connection", "#reconnect", "Go to Reconnect QuickBooks"),
    "setup": ("setup", "", "Open the setup checklist"),
    "reconciliation": ("reconciliation", "", "Open the reconciliation report"),
    "mappings.tax_rates": ("mappings", "#h-tax_rates", "Open the tax rate mappings"),
    "mappings.payment_methods": (
        "mappings",
        "#h-payment_methods",
        "Open the payment method mappings",
    ),
    "mappings.accounts": ("mappings", "#h-accounts", "Open the account mappings"),
    "mappings.classes": ("mappings", "#h-classes", "Open the class mappings"),
}


def fix_steps(problem: ProblemView) -> list[tuple[str, tuple[str, str, str] | None]]:
    """A problem's fix steps, each with the page of the screen it names (route, part, link
    text), or None."""
    screens = list(problem.screens) + [None] * (len(problem.fix) - len(problem.screens))
    return [
        (step, SCREEN_PAGES.get(screen) if screen else None)
        for step, screen in zip(problem.fix, screens, strict=False)
    ]


def install(env: jinja2.Environment) -> None:
    env.filters.update(
        {
            "record_status": record_status,
            "connection_status": connection_status,
            "record_meaning": record_meaning,
            "connection_meaning": connection_meaning,
            "type_label": type_label,
            "field_words": field_words,
            "action_label": action_label,
            "when": when,
            "ago": ago,
            "local_time": local_time,
            "money": money_text,
            "exception_kind": exception_kind,
            "history_text": history_text,
            "problem_title": catalog.title,
        }
    )
    env.globals.update(
        {
            "record_name": record_name,
            "RECORD_STATUSES": RECORD_STATUSES,
            "CHECK_MEANINGS": CHECK_MEANINGS,
            "CHECKLIST_MEANINGS": CHECKLIST_MEANINGS,
            "fix_steps": fix_steps,
        }
    )
