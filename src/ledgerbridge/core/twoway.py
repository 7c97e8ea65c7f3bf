"""From QuickBooks to the app: which changes made in QuickBooks the app is told of, and in what
shape.

A connection says per type (`TYPES`: customers, vendors, items, payments, invoices) what it
wants of the objects people make in QuickBooks itself (`MODES`): `off` (nothing), `events` (the
events feed carries `quickbooks.created`, `.updated`, `.deactivated` and `.deleted` with the
object in the shape of the app's records and its QuickBooks id), or `import` (the same, and
ledgerbridge keeps each such object as an import the app acknowledges with its own id, which
adopts it: `import_record`). Invoices are read-only at first: `off` or `events` only
(`modes_of`). Connections made before this setting existed keep `off` (`DEFAULT`); new ones
start with `events` (`NEW_CONNECTION`).

`what_happened(before, after)` names the change; `payment(...)` reads a QuickBooks payment as
the app's payment, its method through the connection's mappings read backwards: a method the app
cannot take is a problem carried with the payment, never a reason to drop it.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ledgerbridge.core import catalog, lists
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.problems import Problem

__all__ = [
    "DEFAULT",
    "MODES",
    "NEW_CONNECTION",
    "SETTING",
    "TYPES",
    "Told",
    "import_record",
    "invoices_paid",
    "methods_back",
    "mode",
    "modes_of",
    "payment",
    "setting_of",
    "what_happened",
]

Mode = Literal["off", "events", "import"]
MODES: Final = ("off", "events", "import")

TYPES: Final[Mapping[str, str]] = {
    "customers": "Customer",
    "vendors": "Vendor",
    "items": "Item",
    "payments": "Payment",
    "invoices": "Invoice",
}
"""The types a connection chooses for, and the QuickBooks entity of each."""

READ_ONLY_TYPES: Final = frozenset({"invoices"})
"""Types told but never imported (nothing is written back to them yet): `off` or `events`."""

SETTING: Final = "from_quickbooks_{}"
DEFAULT: Final[Mode] = "off"  # what a connection without the setting has: as before it existed
NEW_CONNECTION: Final[Mode] = "events"  # what a connection made now starts with

Happened = Literal["created", "updated", "deactivated", "deleted"]


def setting_of(type_: str) -> str:
    """The setting's name for `type_` (one of TYPES): `from_quickbooks_customers`."""
    return SETTING.format(type_)


def modes_of(type_: str) -> tuple[str, ...]:
    """The modes a connection may choose for `type_` (one of TYPES)."""
    return ("off", "events") if type_ in READ_ONLY_TYPES else MODES


def mode(settings: Mapping[str, Any], entity: str) -> str:
    """What the connection wants of changes to `entity` made in QuickBooks."""
    for type_, of in TYPES.items():
        if of == entity:
            return str(settings.get(setting_of(type_), DEFAULT))
    return "off"


def what_happened(before: MirrorObject | None, after: MirrorObject | None) -> Happened:
    """The change from the mirror's earlier copy (None: not seen before) to the new one (None:
    deleted)."""
    if after is None:
        return "deleted"
    if before is None:
        return "created"
    if before.active and not after.active:
        return "deactivated"
    return "updated"


@dataclass(frozen=True)
class Told:
    """What the app is told of one object: the event's payload, less the change's name."""

    record_type: str
    record: Mapping[str, Any]
    problem: Problem | None = None
    parent_quickbooks_id: str | None = None


def methods_back(mappings: Mapping[str, Any]) -> dict[str, str]:
    """The connection's payment-method mappings read backwards: QuickBooks id -> the app's
    method (the first app value mapped to it)."""
    table = mappings.get("payment_methods")
    back: dict[str, str] = {}
    if isinstance(table, Mapping):
        for app_value, qbo_id in table.items():
            if isinstance(app_value, str) and isinstance(qbo_id, str):
                back.setdefault(qbo_id, app_value)
    return back


def _ref(value: Any) -> tuple[str | None, str | None]:
    if not isinstance(value, Mapping):
        return None, None
    found, name = value.get("value"), value.get("name")
    return (
        str(found) if found not in (None, "") else None,
        str(name) if isinstance(name, str) and name else None,
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def invoices_paid(obj: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The invoices a QuickBooks payment pays: (QuickBooks id, amount) in line order."""
    paid: list[tuple[str, str | None]] = []
    for line in _listed(obj.get("Line")):
        if not isinstance(line, Mapping):
            continue
        for txn in _listed(line.get("LinkedTxn")):
            if isinstance(txn, Mapping) and txn.get("TxnType") == "Invoice" and txn.get("TxnId"):
                paid.append((str(txn["TxnId"]), lists.decimal_text(line.get("Amount"))))
    return paid


def payment(
    obj: Mapping[str, Any],
    *,
    invoices: Mapping[str, str],
    customer_id: str | None,
    methods: Mapping[str, str],
    method_names: Mapping[str, str],
) -> Told:
    """A QuickBooks payment as the app's payment: `invoices` are the app's invoice ids by
    QuickBooks id (those linked), `customer_id` the app's customer linked to its customer,
    `methods` the mappings read backwards (`methods_back`), `method_names` QuickBooks' payment
    method names by id (for the problem's words)."""
    method_id, method_name = _ref(obj.get("PaymentMethodRef"))
    customer_qbo_id, _ = _ref(obj.get("CustomerRef"))
    method = methods.get(method_id) if method_id else None
    problem = None
    if method is None:
        name = method_names.get(method_id or "") or method_name
        params = {"name": name} if name else {}
        problem = Problem(
            catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP,
            "method",
            f"QuickBooks payment method {name!r} has no app method mapped to it"
            if name
            else "the QuickBooks payment has no payment method",
            params,
        )
    date, reference = obj.get("TxnDate"), obj.get("PaymentRefNum")
    record = {
        "customer_id": customer_id,
        "customer_quickbooks_id": customer_qbo_id,
        "date": str(date)[:10] if isinstance(date, str) and date else None,
        "amount": lists.decimal_text(obj.get("TotalAmt")),
        "method": method,
        "reference": reference if isinstance(reference, str) and reference else None,
        "applied_to": [
            {"invoice_id": invoices.get(qbo_id), "invoice_quickbooks_id": qbo_id, "amount": amount}
            for qbo_id, amount in invoices_paid(obj)
        ],
        "posted": True,
    }
    return Told("payment", record, problem)


def import_record(
    told: Told,
    *,
    parent_id: str | None = None,
    restricted: lists.Restriction | None = None,
) -> dict[str, Any] | list[Problem]:
    """The app's record an import becomes when the app acknowledges it without data of its own:
    the record told (`Told.record`) with QuickBooks' ids left out, `parent_id` the app's id of
    the parent customer (a job's). What cannot be the app's record (a read-only object, a
    payment without a method the app takes, a job whose parent the app has not) is the problems
    naming why; the app may still acknowledge it with data of its own."""
    if restricted is not None and restricted.read_only:
        return [Problem(restricted.code, None, restricted.message)]
    if told.problem is not None:
        return [told.problem]
    record = {
        key: value
        for key, value in told.record.items()
        if value is not None and not key.endswith("quickbooks_id")
    }
    if told.record_type == "payment":
        record["applied_to"] = [
            {k: v for k, v in line.items() if not k.endswith("quickbooks_id")}
            for line in _listed(told.record.get("applied_to"))
            if isinstance(line, Mapping)
        ]
    if told.parent_quickbooks_id is not None and told.record_type == "customer":
        if parent_id is None:
            return [
                Problem(
                    "input.required",
                    "parent_id",
                    f"its parent, QuickBooks customer {told.parent_quickbooks_id}, is no app "
                    "record yet: acknowledge the parent first, or send the record's data",
                    {"quickbooks_id": told.parent_quickbooks_id},
                )
            ]
        record["parent_id"] = parent_id
    return record
