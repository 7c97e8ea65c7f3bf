"""RecurringTransaction: a transaction template with a schedule (`RecurringInfo`).

The body names one transaction type and holds the template, whose own rules apply (an invoice
template needs its customer and lines, a deposit template its account...):

    {"Invoice": {"CustomerRef": ..., "Line": [...], "RecurringInfo": {"Name": "Rent",
        "RecurType": "Automated", "Active": true, "ScheduleInfo": {"IntervalType": "Monthly",
        "NumInterval": 1, "DayOfMonth": 1, "StartDate": "2025-04-01"}}}}

Stored as `{"Id", "SyncToken", "MetaData", "Invoice": {...template...}}`; answered with the Id,
SyncToken and MetaData inside the template, as QuickBooks does. The emulator keeps the schedule
and its `NextDate` but creates no transactions from it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from qbo_emulator import faults
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.values import blank, boolean, iso_date

# The types QuickBooks schedules (RecurringTransaction reference); JournalEntry and VendorCredit
# are among them but are not emulated.
TYPES = (
    "Bill",
    "Purchase",
    "CreditMemo",
    "Deposit",
    "Estimate",
    "Invoice",
    "RefundReceipt",
    "SalesReceipt",
    "Transfer",
    "PurchaseOrder",
)
NOT_EMULATED = ("JournalEntry", "VendorCredit")
RECUR_TYPES = ("Automated", "Reminded", "UnScheduled")
INTERVALS = ("Daily", "Weekly", "Monthly", "Yearly")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SYSTEM = ("Id", "SyncToken", "MetaData", "domain", "sparse")
MAX_NEXT_STEPS = 100_000

Template = Callable[[Ctx, str, Row], Row]


def template_type(obj: Mapping[str, Any]) -> str:
    found = [key for key in obj if key in TYPES or key in NOT_EMULATED]
    if len(found) != 1:
        raise faults.required_param(
            "RecurringTransaction", "RecurringTransaction", "(one transaction, e.g. Invoice)"
        )
    if found[0] in NOT_EMULATED:
        raise faults.unsupported_operation(f"Recurring {found[0]} (not emulated)")
    return found[0]


def lift(payload: Any) -> Any:
    """The Id and SyncToken of the template, where the generic write path looks for them."""
    if not isinstance(payload, Mapping):
        return payload
    kind = next((key for key in payload if key in TYPES), None)
    inner = payload.get(kind) if kind else None
    if not isinstance(inner, Mapping):
        return payload
    lifted = dict(payload)
    for key in ("Id", "SyncToken", "sparse"):
        if key in inner and key not in payload:
            lifted[key] = inner[key]
    return lifted


def _whole(info: dict[str, Any], key: str, low: int, high: int | None = None) -> None:
    value = info.get(key)
    if blank(value):
        info.pop(key, None)
        return
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise faults.invalid_value(
            f"RecurringInfo.ScheduleInfo.{key}",
            f"Invalid Number : ScheduleInfo.{key} must be {bound}",
        )
    info[key] = number


def _step(day: date, interval: str, count: int, start: date) -> date:
    if interval == "Daily":
        return day + timedelta(days=count)
    if interval == "Weekly":
        return day + timedelta(weeks=count)
    months = count * (12 if interval == "Yearly" else 1)
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _schedule(ctx: Ctx, raw: Any, recur_type: str) -> dict[str, Any] | None:
    if blank(raw) or not isinstance(raw, Mapping):
        if recur_type == "UnScheduled":
            return None
        raise faults.required_param("ScheduleInfo", "RecurringInfo.ScheduleInfo")
    info = {k: v for k, v in raw.items() if not blank(v)}
    element = "RecurringInfo.ScheduleInfo"
    interval = info.get("IntervalType")
    if blank(interval):
        raise faults.required_param("IntervalType", f"{element}.IntervalType")
    if interval not in INTERVALS:
        raise faults.invalid_enumeration(f"{element}.IntervalType", str(interval))
    _whole(info, "NumInterval", 1)
    info.setdefault("NumInterval", 1)
    _whole(info, "DayOfMonth", 1, 31)
    _whole(info, "WeekOfMonth", 1, 5)
    _whole(info, "MaxOccurrences", 1)
    _whole(info, "DaysBefore", 0)
    _whole(info, "RemindDays", 0)
    if "DayOfWeek" in info and info["DayOfWeek"] not in DAYS:
        raise faults.invalid_enumeration(f"{element}.DayOfWeek", str(info["DayOfWeek"]))
    start = iso_date(info.get("StartDate") or ctx.today.isoformat(), f"{element}.StartDate")
    info["StartDate"] = start
    end = None
    if "EndDate" in info:
        end = iso_date(info["EndDate"], f"{element}.EndDate")
        if end < start:
            raise faults.business_validation(
                "The schedule's EndDate is before its StartDate.", f"{element}.EndDate"
            )
        info["EndDate"] = end
    info.pop("NextDate", None)
    info.pop("PreviousDate", None)
    first = date.fromisoformat(start)
    limit = info.get("MaxOccurrences")
    for occurrence in range(MAX_NEXT_STEPS):
        day = _step(first, str(interval), occurrence * int(info["NumInterval"]), first)
        if (end is not None and day.isoformat() > end) or (
            limit is not None and occurrence >= limit
        ):
            break  # the schedule has ended
        if day >= ctx.today:
            info["NextDate"] = day.isoformat()
            break
        info["PreviousDate"] = day.isoformat()
    return info


def _recurring_info(ctx: Ctx, raw: Any, own_id: Any) -> dict[str, Any]:
    if blank(raw) or not isinstance(raw, Mapping):
        raise faults.required_param("RecurringInfo")
    info = {k: v for k, v in raw.items() if not blank(v)}
    name = info.get("Name")
    if blank(name):
        raise faults.required_param("Name", "RecurringInfo.Name")
    info["Name"] = str(name).strip()
    if len(info["Name"]) > 100:
        raise faults.string_length("RecurringInfo.Name", 100, len(info["Name"]))
    for row in ctx.company.table("RecurringTransaction"):
        if row["Id"] == own_id:
            continue
        other: dict[str, Any] = next((row[k] for k in TYPES if k in row), {})
        if (
            str(other.get("RecurringInfo", {}).get("Name", "")).casefold()
            == info["Name"].casefold()
        ):
            raise faults.business_validation(
                f"Another recurring transaction is already called {info['Name']}.",
                "RecurringInfo.Name",
            )
    recur_type = info.get("RecurType") or "Automated"
    if recur_type not in RECUR_TYPES:
        raise faults.invalid_enumeration("RecurringInfo.RecurType", str(recur_type))
    info["RecurType"] = recur_type
    info["Active"] = True if blank(info.get("Active")) else boolean(info["Active"], "Active")
    schedule = _schedule(ctx, info.get("ScheduleInfo"), recur_type)
    if schedule is None:
        info.pop("ScheduleInfo", None)
    else:
        info["ScheduleInfo"] = schedule
    return info


def prepare(ctx: Ctx, obj: Row, existing: Row | None, template: Template) -> Row:
    """Check the schedule, and the template by its own entity's rules (without a number or a
    date of its own unless sent: each transaction made from it gets those)."""
    kind = template_type(obj)
    if existing is not None and kind not in existing:
        raise faults.business_validation(
            "A recurring transaction's type cannot be changed.", "RecurringTransaction"
        )
    inner = obj[kind]
    if not isinstance(inner, Mapping):
        raise faults.invalid_value(kind, f"{kind} must be an object")
    info = _recurring_info(ctx, inner.get("RecurringInfo"), obj.get("Id"))
    body = {k: v for k, v in inner.items() if k not in (*SYSTEM, "RecurringInfo")}
    sent_number, sent_date = not blank(body.get("DocNumber")), not blank(body.get("TxnDate"))
    checked = template(ctx, kind, body)
    if not sent_number:
        checked.pop("DocNumber", None)
    if not sent_date:
        checked.pop("TxnDate", None)
    checked.pop("Id", None)
    return {kind: {**checked, "RecurringInfo": info}}


def with_type(row: Row) -> Row:
    """A stored row with its `Type`, the template's entity, for queries: `select * from
    RecurringTransaction where Type = 'Bill'` (python-quickbooks' integration test
    `test_filter_by_type`; the property is in no answer)."""
    kind = next((k for k in TYPES if k in row), None)
    return row if kind is None else {**row, "Type": kind}


def presented(row: Row) -> Row:
    """A stored row as QuickBooks answers it: `{"Invoice": {..., "Id", "SyncToken", ...}}`."""
    if "status" in row:
        return row
    kind = next((k for k in TYPES if k in row), None)
    if kind is None:
        return row
    return {kind: {**row[kind], **{k: row[k] for k in SYSTEM if k in row}}}
