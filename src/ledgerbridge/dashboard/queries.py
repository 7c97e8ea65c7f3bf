"""Read-only look-ups the dashboard needs beyond `Service`: QuickBooks' own lists (from the
mirror) to map to, the last activity of the log's records, problem counts, throughput per
hour, and what changed in QuickBooks since a record was last sent.

Each opens a read-only session through the ledger and writes nothing. They take a connection
id the caller has already checked belongs to the signed-in user (`Service.connection` raises
`NotFound` otherwise): call that first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select, tuple_

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.storage import tables
from ledgerbridge.storage.sync import Links, Mirror

__all__ = [
    "SUCCESS_KINDS",
    "Choice",
    "DriftRow",
    "last_activity",
    "problem_counts",
    "quickbooks_choices",
    "quickbooks_drift",
    "synced_per_hour",
]

SUCCESS_KINDS = ("created", "updated", "linked", "removed")
# QuickBooks' bookkeeping fields: never a difference a person made.
_IGNORED = {"Id", "SyncToken", "sparse", "MetaData", "domain", "status", "time"}


@dataclass(frozen=True)
class Choice:
    """A QuickBooks object a value can be mapped to."""

    id: str
    name: str


@dataclass(frozen=True)
class DriftRow:
    field: str
    sent: str  # what ledgerbridge last sent
    now: str  # what QuickBooks holds now (as the last pull saw it)


def quickbooks_choices(ledger: Ledger, connection_id: str, entity: str) -> list[Choice]:
    """The active `entity` objects of the company (TaxCode, PaymentMethod, Account, Class...),
    by name."""
    t = tables.MirrorEntry
    with ledger.db.session(readonly=True) as session:
        rows = session.execute(
            select(t.qbo_id, t.data).where(
                t.connection_id == connection_id,
                t.qbo_entity == entity,
                t.deleted.is_(False),
                t.active.is_(True),
            )
        ).all()
    found = [
        Choice(str(qbo_id), str(data.get("FullyQualifiedName") or data.get("Name") or qbo_id))
        for qbo_id, data in rows
    ]
    return sorted(found, key=lambda c: (c.name.casefold(), c.id))


def last_activity(
    ledger: Ledger, connection_id: str, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], datetime]:
    """When each record was last worked on (its newest history entry other than receipt)."""
    wanted = list(keys)
    if not wanted:
        return {}
    h = tables.HistoryEntry
    with ledger.db.session(readonly=True) as session:
        rows = session.execute(
            select(h.type, h.app_id, func.max(h.at))
            .where(
                h.connection_id == connection_id,
                h.kind != "received",
                tuple_(h.type, h.app_id).in_(wanted),
            )
            .group_by(h.type, h.app_id)
        ).all()
    # max() keeps the column's type: aware UTC datetimes on every backend
    return {(record_type, app_id): at for record_type, app_id, at in rows if at is not None}


def problem_counts(ledger: Ledger, connection_id: str) -> list[tuple[str, int]]:
    """How many records each problem code stops now, most first."""
    s = tables.SyncState
    code = s.problem["code"].as_string()
    with ledger.db.session(readonly=True) as session:
        rows = session.execute(
            select(code, func.count())
            .where(s.connection_id == connection_id, s.problem.is_not(None), code.is_not(None))
            .group_by(code)
        ).all()
    return sorted(((str(c), int(n)) for c, n in rows), key=lambda row: (-row[1], row[0]))


def synced_per_hour(
    ledger: Ledger, connection_id: str, now: datetime, hours: int = 24
) -> list[tuple[str, int]]:
    """Records that reached QuickBooks in each of the last `hours` hours (oldest first),
    labelled by the hour's start (UTC)."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    h = tables.HistoryEntry
    with ledger.db.session(readonly=True) as session:
        moments = session.execute(
            select(h.at).where(
                h.connection_id == connection_id, h.kind.in_(SUCCESS_KINDS), h.at >= start
            )
        ).scalars()
        counts = Counter(int((moment - start).total_seconds() // 3600) for moment in moments)
    return [
        ((start + timedelta(hours=index)).strftime("%H:00"), counts.get(index, 0))
        for index in range(hours)
    ]


def quickbooks_drift(
    ledger: Ledger, connection_id: str, record_type: str, app_id: str
) -> list[DriftRow]:
    """The fields ledgerbridge last sent that QuickBooks now holds differently."""
    with ledger.db.session(readonly=True) as session:
        link = Links(session).get(connection_id, record_type, app_id)
        if link is None or not link.pushed:
            return []
        current = Mirror(session, connection_id).get(link.qbo_entity, link.qbo_id)
    if current is None:
        return []
    sent = _flatten(link.pushed)
    now = _flatten(current.data)
    rows = []
    for field, value in sent.items():
        if field.split(".")[0] in _IGNORED:
            continue
        other = now.get(field)
        if not _same(value, other):
            rows.append(DriftRow(field, _text(value), _text(other)))
    return rows


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _same(sent: Any, now: Any) -> bool:
    """Whether QuickBooks still holds what was sent: the sent keys of objects (QuickBooks adds
    its own, such as line ids), lists item by item, numbers by value ("200.00" == 200.0)."""
    if isinstance(sent, Mapping):
        return isinstance(now, Mapping) and all(_same(v, now.get(k)) for k, v in sent.items())
    if isinstance(sent, list):
        return (
            isinstance(now, list)
            and len(sent) == len(now)
            and all(_same(a, b) for a, b in zip(sent, now, strict=True))
        )
    if sent == now:
        return True
    if isinstance(sent, bool) or isinstance(now, bool) or sent is None or now is None:
        return False
    try:
        return Decimal(str(sent)) == Decimal(str(now))
    except (InvalidOperation, ValueError):
        return str(sent) == str(now)


def _text(value: Any) -> str:
    if value is None:
        return "(nothing)"
    if isinstance(value, list | dict):
        text = json.dumps(value, default=str)
        return text if len(text) <= 160 else text[:157] + "..."
    return str(value)
