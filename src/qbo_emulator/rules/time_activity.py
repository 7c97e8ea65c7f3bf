"""Rules for TimeActivity: time worked by an employee or a vendor (TimeActivity reference).

`NameOf` says whose time it is (`Employee` or `Vendor`) and the matching reference is required;
the time is given either as `Hours`/`Minutes` or as `StartTime`/`EndTime` (with an optional
break); billable time names the customer it is billed to.
"""

from __future__ import annotations

from datetime import datetime

from qbo_emulator import faults
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.transactions import check_open_period
from qbo_emulator.rules.values import (
    blank,
    boolean,
    optional_decimal,
    ref_to,
    resolve_ref,
    txn_date,
)

NAME_OF = ("Employee", "Vendor")
BILLABLE_STATUSES = ("Billable", "NotBillable", "HasBeenBilled")


def _whole(obj: Row, key: str, maximum: int | None = None) -> int | None:
    value = optional_decimal(obj, key)
    if value is None:
        return None
    if value < 0 or value != value.to_integral_value() or (maximum is not None and value > maximum):
        limit = f" between 0 and {maximum}" if maximum is not None else " of zero or more"
        raise faults.invalid_value(key, f"Invalid Number : {key} must be a whole number{limit}")
    obj[key] = int(value)
    return int(value)


def _moment(obj: Row, key: str) -> datetime:
    text = str(obj[key]).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise faults.invalid_value(
            key, f"Invalid Date Format : {key}={text} (expected an ISO date-time)", "2060"
        ) from None


def _duration(obj: Row) -> None:
    hours = _whole(obj, "Hours")
    minutes = _whole(obj, "Minutes", 59)
    timed = not blank(obj.get("StartTime")) or not blank(obj.get("EndTime"))
    if timed:
        if blank(obj.get("StartTime")) or blank(obj.get("EndTime")):
            missing = "StartTime" if blank(obj.get("StartTime")) else "EndTime"
            raise faults.required_param(missing)
        if hours is not None or minutes is not None:
            raise faults.business_validation(
                "Give the time worked either as Hours and Minutes or as StartTime and EndTime, "
                "not both.",
                "Hours",
            )
        start, end = _moment(obj, "StartTime"), _moment(obj, "EndTime")
        if (start.tzinfo is None) != (end.tzinfo is None) or end <= start:
            raise faults.business_validation("EndTime must be after StartTime.", "EndTime")
        break_hours = _whole(obj, "BreakHours") or 0
        break_minutes = _whole(obj, "BreakMinutes", 59) or 0
        if (end - start).total_seconds() <= (break_hours * 60 + break_minutes) * 60:
            raise faults.business_validation(
                "The break must be shorter than the time between StartTime and EndTime.",
                "BreakHours",
            )
        return
    if hours is None and minutes is None:
        raise faults.required_param("Hours", "Hours", "or StartTime and EndTime")
    if not hours and not minutes:
        raise faults.business_validation("The time worked must be more than zero.", "Hours")
    for key in ("BreakHours", "BreakMinutes"):
        if not blank(obj.get(key)):
            raise faults.business_validation(
                f"{key} is given only with StartTime and EndTime.", key
            )


def prepare_time_activity(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    name_of = obj.get("NameOf")
    if blank(name_of):
        raise faults.required_param("NameOf")
    if name_of not in NAME_OF:
        raise faults.invalid_enumeration("NameOf", str(name_of))
    worker_key = f"{name_of}Ref"
    other_key = "VendorRef" if name_of == "Employee" else "EmployeeRef"
    if blank(obj.get(worker_key)):
        raise faults.required_param(worker_key)
    obj[worker_key] = ref_to(resolve_ref(ctx, str(name_of), obj[worker_key], worker_key))
    obj.pop(other_key, None)
    when = txn_date(ctx, obj)
    before = str(existing["TxnDate"]) if existing and existing.get("TxnDate") else None
    check_open_period(ctx, when, before)
    _duration(obj)
    status = obj.get("BillableStatus") or "NotBillable"
    if status not in BILLABLE_STATUSES:
        raise faults.invalid_enumeration("BillableStatus", str(status))
    obj["BillableStatus"] = status
    if status == "Billable" and blank(obj.get("CustomerRef")):
        raise faults.business_validation(
            "Billable time must name the customer it is billed to.", "CustomerRef"
        )
    obj["Taxable"] = False if blank(obj.get("Taxable")) else boolean(obj["Taxable"], "Taxable")
    for key in ("HourlyRate", "CostRate"):
        rate = optional_decimal(obj, key)
        if rate is not None:
            if rate < 0:
                raise faults.invalid_value(key, f"NegativeAmount : {key} must not be negative")
            obj[key] = rate
    return obj
