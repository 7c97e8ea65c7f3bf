"""Preflight for vendor documents: receipts (QuickBooks Purchase), bills and purchase orders.

QuickBooks refuses a receipt or bill whose vendor document number the same vendor already used
(``receipt.vendor_document_number_taken``, with a suggested unique number: the number, a dash
and the record's date as YYMMDD). A purchase order's own number is checked like an invoice's,
against the vendor-side custom numbers preference
(``OtherPrefs`` ``VendorAndPurchasesPrefs.UseCustomTxnNumbers``).

Look-up before create, for documents not linked yet: the unlinked QuickBooks document of the
linked vendor with the same number (a receipt's or bill's vendor document number, a purchase
order's number as sent) and the same total is this record: link to it. A link writes nothing
to QuickBooks, so nothing else is checked then.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight import limits
from ledgerbridge.core.preflight._context import (
    Context,
    Outcome,
    Verdict,
    problem,
    same_object,
    too_long,
)
from ledgerbridge.core.preflight._refs import (
    account_missing,
    class_inactive,
    closed_period,
    document_match,
    inactive_item,
    inactive_party,
    inventory_start,
    number_conflict,
    pushed_number,
)
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    Bill,
    ExpenseLine,
    PurchaseOrder,
    Receipt,
    RecordType,
)

__all__ = ["check_bill", "check_purchase_order", "check_receipt", "suggested_number"]

NUMBER_LIMIT = limits.NUMBER_LIMIT
_CUSTOM_NUMBERS = "VendorAndPurchasesPrefs.UseCustomTxnNumbers"


def check_receipt(ctx: Context, receipt: Receipt) -> Verdict:
    out = Outcome(receipt)
    out.link_to = _match(ctx, "Purchase", "receipt", receipt.vendor_document_number, receipt)
    if out.link_to is not None:
        return out.verdict()
    out.add(account_missing(ctx, receipt.payment_account, "payment_account", "payment account"))
    out.extend(_vendor_document(ctx, receipt, "Purchase"))
    closed_period(ctx, out)
    out.extend(_inventory_dates(ctx, out.record))
    return out.verdict()


def check_bill(ctx: Context, bill: Bill) -> Verdict:
    out = Outcome(bill)
    out.link_to = _match(ctx, "Bill", "bill", bill.vendor_document_number, bill)
    if out.link_to is not None:
        return out.verdict()
    out.extend(_vendor_document(ctx, bill, "Bill"))
    closed_period(ctx, out)
    out.extend(_inventory_dates(ctx, out.record))
    return out.verdict()


def check_purchase_order(ctx: Context, order: PurchaseOrder) -> Verdict:
    out = Outcome(order)
    number = pushed_number(order.number, ctx.policies)
    out.link_to = _match(ctx, "PurchaseOrder", "purchase_order", number, order)
    if out.link_to is not None:
        return out.verdict()
    sent = functools.partial(pushed_number, policies=ctx.policies)
    out.extend(too_long(limits.texts(order, sent), catalog.RECORD_FIELD_TOO_LONG))
    out.add(_inactive_vendor(ctx, order.vendor_id))
    for index, line in enumerate(order.lines):
        out.add(inactive_item(ctx, line.item_id, f"lines[{index}].item_id"))
    if number is not None and _vendor_custom_numbers(ctx.mirror.preferences()):
        out.add(number_conflict(ctx, "PurchaseOrder", number, "number"))
    closed_period(ctx, out)
    return out.verdict()


def suggested_number(number: str, record: Receipt | Bill) -> str:
    """A vendor document number made unique with the record's date, within 21 characters."""
    suffix = f"-{record.date:%y%m%d}"
    return number[: NUMBER_LIMIT - len(suffix)] + suffix


def _match(
    ctx: Context,
    entity: str,
    record_type: RecordType,
    number: str | None,
    record: Receipt | Bill | PurchaseOrder,
) -> MirrorObject | None:
    vendor = ctx.linked("vendor", record.vendor_id)
    return document_match(ctx, entity, record_type, number, vendor, record.total)


def _vendor_document(ctx: Context, record: Receipt | Bill, entity: str) -> list[Problem | None]:
    """What receipts and bills share, but their date."""
    return [
        *too_long(limits.texts(record), catalog.RECORD_FIELD_TOO_LONG),
        _inactive_vendor(ctx, record.vendor_id),
        *_expense_lines(ctx, record.lines),
        _number_taken(ctx, record, entity),
    ]


def _inventory_dates(ctx: Context, record: Receipt | Bill) -> list[Problem]:
    items = [(f"lines[{index}].item_id", line.item_id) for index, line in enumerate(record.lines)]
    return inventory_start(ctx, record.date, items)


def _inactive_vendor(ctx: Context, vendor_id: str) -> Problem | None:
    return inactive_party(
        ctx, "vendor", vendor_id, "vendor_id", catalog.VENDOR_INACTIVE_IN_QUICKBOOKS
    )


def _expense_lines(ctx: Context, lines: tuple[ExpenseLine, ...]) -> list[Problem | None]:
    found: list[Problem | None] = []
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        found += [
            account_missing(
                ctx, line.expense_account, f"{path}.expense_account", "expense account"
            ),
            inactive_item(ctx, line.item_id, f"{path}.item_id"),
            class_inactive(ctx, line.class_name, f"{path}.class"),
            inactive_party(
                ctx,
                "customer",
                line.customer_id,
                f"{path}.customer_id",
                catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
            ),
        ]
    return found


def _number_taken(ctx: Context, record: Receipt | Bill, entity: str) -> Problem | None:
    """The vendor's document number is already on another of its QuickBooks documents."""
    number = record.vendor_document_number
    vendor = ctx.linked("vendor", record.vendor_id)
    if not number or vendor is None:
        return None
    for other in ctx.mirror.numbered(entity, number):
        if other.parent_id != vendor.qbo_id or same_object(other, ctx.subject.linked):
            continue
        return problem(
            catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN,
            "vendor_document_number",
            f"vendor {record.vendor_id} already has QuickBooks {entity} {other.qbo_id} with "
            f"number {number}",
            number=number,
            suggested=suggested_number(number, record),
            quickbooks_id=other.qbo_id,
        )
    return None


def _vendor_custom_numbers(preferences: Mapping[str, Any]) -> bool:
    """Whether the company numbers purchase documents itself (a string "true" in OtherPrefs)."""
    other = preferences.get("OtherPrefs")
    pairs = other.get("NameValue") if isinstance(other, Mapping) else None
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, Mapping) and pair.get("Name") == _CUSTOM_NUMBERS:
            return str(pair.get("Value")).strip().lower() == "true"
    return False
