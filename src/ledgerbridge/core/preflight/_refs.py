"""What transactions (and a few parties) refer to, checked against the mappings and the mirror:
accounts, classes, tax codes, payment methods, the linked customers, vendors and items; and the
two rules on a transaction's date (closed books, inventory start dates) and on its number; and
the document already in QuickBooks that is the record (same number, party and total).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight._context import Context, Outcome, Policies, problem, same_object
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Bill, Invoice, Payment, PurchaseOrder, Receipt, RecordType

__all__ = [
    "account_missing",
    "class_inactive",
    "closed_period",
    "document_match",
    "inactive_item",
    "inactive_party",
    "inventory_start",
    "mirror_amount",
    "mirror_date",
    "number_conflict",
    "payment_method_not_mapped",
    "pushed_number",
    "same_total",
    "tax_rate_not_mapped",
]

Dated = TypeVar("Dated", Invoice, Payment, Receipt, Bill, PurchaseOrder)


# Values read from mirror data (QuickBooks JSON: strings, numbers, maybe garbage)


def mirror_date(value: object) -> dt.date | None:
    """A QuickBooks date ("2026-01-31", possibly with a time after it), or None."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def mirror_amount(value: object) -> Decimal | None:
    """A QuickBooks amount (a JSON number or string), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


# Lists: accounts, classes, tax codes, payment methods


def _mapped_or_named(
    mapping: Mapping[str, str], ctx: Context, entity: str, name: str
) -> tuple[MirrorObject | None, str | None, bool]:
    """(the QuickBooks object found, the mapped id, whether it can be used)."""
    mapped = mapping.get(name)
    if mapped is not None:
        obj = ctx.mirror.get(entity, mapped)
        return obj, mapped, obj is None or obj.active  # a mapping is trusted unless inactive
    obj = ctx.mirror.named(entity, name)
    return obj, None, obj is not None and obj.active


def _why_unusable(entity: str, name: str, obj: MirrorObject | None, mapped: str | None) -> str:
    what = f'{entity.lower()} "{name}"'
    if mapped is not None:
        return f"{what} is mapped to QuickBooks {entity} {mapped}, which is inactive"
    if obj is not None:
        return (
            f"{what} has no mapping, and QuickBooks {entity} {obj.qbo_id} of that name is inactive"
        )
    return f"{what} has no mapping, and QuickBooks has no {entity} of that name"


def account_missing(ctx: Context, name: str | None, path: str, label: str) -> Problem | None:
    """``item.account_missing`` when an account name resolves to no active QuickBooks account."""
    if not name:
        return None
    obj, mapped, usable = _mapped_or_named(ctx.mappings.accounts, ctx, "Account", name)
    if usable:
        return None
    return problem(
        catalog.ITEM_ACCOUNT_MISSING,
        path,
        f"{path}: {_why_unusable('Account', name, obj, mapped)}",
        name=name,
        field=label,
        quickbooks_id=obj.qbo_id if obj is not None else mapped,
    )


def class_inactive(ctx: Context, name: str | None, path: str) -> Problem | None:
    """``class.inactive_in_quickbooks`` when a class resolves to no active QuickBooks class."""
    if not name:
        return None
    obj, mapped, usable = _mapped_or_named(ctx.mappings.classes, ctx, "Class", name)
    if usable:
        return None
    if obj is None and mapped is None and ctx.policies.desktop:
        longer = _desktop_class_too_long(name, path)
        if longer is not None:
            return longer
    return problem(
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        path,
        f"{path}: {_why_unusable('Class', name, obj, mapped)}",
        name=name,
        quickbooks_id=obj.qbo_id if obj is not None else mapped,
        in_quickbooks=False if obj is None and mapped is None else None,  # nothing to reactivate
    )


DESKTOP_CLASS_FULL_NAME = 159  # a ClassRef's FullName on QuickBooks Desktop (qbd-reference.md)


def _desktop_class_too_long(name: str, path: str) -> Problem | None:
    """``record.field_too_long`` for a class name no QuickBooks Desktop class can have: a full
    name over 159 characters."""
    if len(name) <= DESKTOP_CLASS_FULL_NAME:
        return None
    return problem(
        catalog.RECORD_FIELD_TOO_LONG,
        path,
        f"{path} has {len(name)} characters; a QuickBooks Desktop class's full name has at "
        f"most {DESKTOP_CLASS_FULL_NAME}, so no class of the company file can be it",
        field="class",
        length=len(name),
        limit=DESKTOP_CLASS_FULL_NAME,
    )


def _mapped_and_active(ctx: Context, mapping: Mapping[str, str], entity: str, value: str) -> str:
    """Why a value that must be mapped cannot be used ("" when it can)."""
    mapped = mapping.get(value)
    if mapped is None:
        return f'"{value}" has no QuickBooks {entity} mapping'
    obj = ctx.mirror.get(entity, mapped)
    if obj is not None and not obj.active:
        return f'"{value}" is mapped to QuickBooks {entity} {mapped}, which is inactive'
    return ""


def tax_rate_not_mapped(ctx: Context, rate_id: str | None, path: str) -> Problem | None:
    """``tax.rate_not_mapped``: every tax rate (0% too) needs an active QuickBooks tax code."""
    if rate_id is None:
        return None
    why = _mapped_and_active(ctx, ctx.mappings.tax_codes, "TaxCode", rate_id)
    if not why:
        return None
    return problem(catalog.TAX_RATE_NOT_MAPPED, path, f"tax rate {why}", name=rate_id)


def payment_method_not_mapped(ctx: Context, method: str, path: str) -> Problem | None:
    """``payment.method_not_mapped``: the method needs an active QuickBooks PaymentMethod."""
    why = _mapped_and_active(ctx, ctx.mappings.payment_methods, "PaymentMethod", method)
    if not why:
        return None
    return problem(catalog.PAYMENT_METHOD_NOT_MAPPED, path, f"payment method {why}", name=method)


# Linked records: still active in QuickBooks?


def inactive_party(
    ctx: Context, record_type: RecordType, app_id: str | None, path: str, code: str
) -> Problem | None:
    """``code`` when the customer or vendor referred to is linked to an inactive object."""
    obj = ctx.linked(record_type, app_id)
    if obj is None or obj.active:
        return None
    return problem(
        code,
        path,
        f"{record_type} {app_id} is linked to QuickBooks {obj.entity} {obj.qbo_id}, which is "
        "inactive",
        name=obj.name,
        quickbooks_id=obj.qbo_id,
    )


def inactive_item(ctx: Context, item_id: str | None, path: str) -> Problem | None:
    """``item.inactive_in_quickbooks`` when a line's item is linked to an inactive item."""
    return inactive_party(ctx, "item", item_id, path, catalog.ITEM_INACTIVE_IN_QUICKBOOKS)


# Dates


def closed_period(ctx: Context, out: Outcome[Dated]) -> None:
    """``invoice.closed_period`` (every transaction type) for a date on or before the books
    closing date; under ``move_to_open_day`` the date moves to the day after it instead.

    A linked transaction whose QuickBooks copy is dated in the closed period cannot be changed
    at all, so moving the app's date would not help: that is always a problem.
    """
    close = ctx.company.book_close_date
    if close is None:
        return
    linked = ctx.subject.linked
    pushed = mirror_date(linked.data.get("TxnDate")) if linked is not None else None
    if linked is not None and pushed is not None and pushed <= close:
        out.add(
            problem(
                catalog.INVOICE_CLOSED_PERIOD,
                "date",
                f"QuickBooks {linked.entity} {linked.qbo_id} is dated {pushed}, on or before "
                f"the books closing date {close}; QuickBooks refuses changes to it",
                closing_date=close.isoformat(),
                date=pushed.isoformat(),
                quickbooks_id=linked.qbo_id,
            )
        )
        return
    day = out.record.date
    if day > close:
        return
    message = f"date {day} is on or before the books closing date {close}"
    if ctx.policies.closed_periods == "move_to_open_day":
        moved = close + dt.timedelta(days=1)
        out.adjust(
            dataclasses.replace(out.record, date=moved),
            problem(
                catalog.INVOICE_CLOSED_PERIOD,
                "date",
                f"{message}; moved to {moved}, the first open day",
                closing_date=close.isoformat(),
                date=day.isoformat(),
                moved_to=moved.isoformat(),
            ),
        )
        return
    out.add(
        problem(
            catalog.INVOICE_CLOSED_PERIOD,
            "date",
            message,
            closing_date=close.isoformat(),
            date=day.isoformat(),
        )
    )


def inventory_start(
    ctx: Context, day: dt.date, lines: Iterable[tuple[str, str | None]]
) -> list[Problem]:
    """``item.inventory_start_date`` for each linked inventory item (``(path, item_id)``
    pairs, reported once per item) whose QuickBooks start date is after ``day``."""
    found: list[Problem] = []
    seen: set[str] = set()
    for path, item_id in lines:
        item = ctx.linked("item", item_id)
        if item is None or item.qbo_id in seen or item.data.get("Type") != "Inventory":
            continue
        start = mirror_date(item.data.get("InvStartDate"))
        if start is None or day >= start:
            continue
        seen.add(item.qbo_id)
        found.append(
            problem(
                catalog.ITEM_INVENTORY_START_DATE,
                path,
                f"dated {day}, before {start}, the start date of QuickBooks inventory item "
                f"{item.qbo_id}",
                item=item.name,
                start_date=start.isoformat(),
                date=day.isoformat(),
                quickbooks_id=item.qbo_id,
            )
        )
    return found


# Numbers


def pushed_number(number: str | None, policies: Policies) -> str | None:
    """The document number sent to QuickBooks under the numbering policy (None: none sent,
    QuickBooks assigns one)."""
    if number is None or policies.numbering == "quickbooks":
        return None
    if policies.numbering == "prefix":
        return policies.number_prefix + number
    return number


def number_conflict(ctx: Context, entity: str, number: str, path: str) -> Problem | None:
    """``invoice.number_conflict`` when another QuickBooks document of ``entity`` (one not
    linked to this record) already has ``number``."""
    for other in ctx.mirror.numbered(entity, number):
        if same_object(other, ctx.subject.linked):
            continue
        return problem(
            catalog.INVOICE_NUMBER_CONFLICT,
            path,
            f"number {number} is already used by QuickBooks {entity} {other.qbo_id}",
            number=number,
            quickbooks_id=other.qbo_id,
        )
    return None


# Documents already in QuickBooks


def same_total(data: Mapping[str, object], total: Decimal) -> bool:
    """Whether a QuickBooks document's total is ``total``: its ``TotalAmt``, or that less the
    tax QuickBooks added (the app sends lines, and QuickBooks works the tax out)."""
    amount = mirror_amount(data.get("TotalAmt"))
    if amount is None:
        return False
    if amount == total:
        return True
    detail = data.get("TxnTaxDetail")
    tax = mirror_amount(detail.get("TotalTax")) if isinstance(detail, Mapping) else None
    return tax is not None and tax != 0 and amount - tax == total


def document_match(
    ctx: Context,
    entity: str,
    record_type: RecordType,
    number: str | None,
    party: MirrorObject | None,
    total: Decimal,
) -> MirrorObject | None:
    """The unlinked QuickBooks document of ``entity`` that is this record: the same number,
    customer or vendor (``party``, the QuickBooks object the record's party is linked to) and
    total. None for a record linked already, without a number, or whose party is not in
    QuickBooks yet."""
    if ctx.subject.linked is not None or not number or party is None:
        return None
    for candidate in ctx.mirror.numbered(entity, number):
        if candidate.parent_id != party.qbo_id or not same_total(candidate.data, total):
            continue
        if ctx.owner(candidate, record_type) is None:
            return candidate
    return None
