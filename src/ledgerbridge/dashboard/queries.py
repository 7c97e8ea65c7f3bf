"""Read-only look-ups the dashboard needs beyond `Service`: QuickBooks' own lists (from the
mirror) to map to, the last activity of the log's records, problem counts, throughput per
hour, records per status over time, and what changed in QuickBooks since a record was last
sent.

Each opens a read-only session through the ledger and writes nothing. They take a connection
id the caller has already checked belongs to the signed-in user (`Service.connection` raises
`NotFound` otherwise): call that first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Case, SQLColumnExpression, and_, case, func, or_, select, tuple_

from ledgerbridge.core import compare
from ledgerbridge.core.status import Status
from ledgerbridge.dashboard import names
from ledgerbridge.dashboard.names import Named
from ledgerbridge.engine.drain import problem_counts
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage import tables
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror

__all__ = [
    "SUCCESS_KINDS",
    "Choice",
    "DriftRow",
    "StatusHistory",
    "last_activity",
    "problem_counts",
    "quickbooks_choices",
    "quickbooks_drift",
    "status_history",
    "synced_per_hour",
]

SUCCESS_KINDS = ("created", "updated", "linked", "removed")
# QuickBooks' bookkeeping fields: never a difference a person made.


@dataclass(frozen=True)
class Choice:
    """A QuickBooks object a value can be mapped to."""

    id: str
    name: str


@dataclass(frozen=True)
class DriftRow:
    field: str  # the field's plain label ("Customer")
    sent: Named  # what ledgerbridge last sent (a reference by its name, its id beside it)
    now: Named  # what QuickBooks holds now (as the last pull saw it)
    path: str = ""  # QuickBooks' path of the field (CustomerRef.value)


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


# What a history entry says about the record's status from then on (`status_history`). Only
# changes: the entries of a write in progress (create_sent, unavailable, ...) are written while
# the record is pending anyway, and leaving them out roughly halves the rows read (every write
# has one besides its outcome).
_STATUS_OF_KIND: Mapping[str, Status] = {
    "received": Status.PENDING,
    "deleted_in_app": Status.PENDING,
    "drift_cleared": Status.PENDING,
    "created": Status.SYNCED,
    "updated": Status.SYNCED,
    "linked": Status.SYNCED,
    "removed": Status.SYNCED,
    "error": Status.ERROR,
    "drift": Status.ERROR,
    "blocked": Status.BLOCKED,
    "bypassed": Status.BYPASSED,
}
# New work from the app (or a drift gone) leaves a bypassed record bypassed (`SyncStates.want`).
_KEEPS_BYPASSED = frozenset({"received", "deleted_in_app", "drift_cleared"})
# Actions (history kind "action:<name>"): most queue the record again; these settle it. What
# accept_quickbooks leaves depends on the problem (synced or bypassed): it tells nothing here.
_STATUS_OF_ACTION: Mapping[str, Status | None] = {
    "bypass": Status.BYPASSED,
    "accept_deletion": Status.BYPASSED,
    "link": Status.SYNCED,
    "accept_quickbooks": None,
}
_ACTION = "action:"
DAYS = 14  # the chart's period, as the README states it: the last 14 days, day by day


@dataclass(frozen=True)
class StatusHistory:
    """Records per status at the end of each bucket (a day), oldest first; the last bucket
    ends now and holds the current counts.

    `starts[i]` is when bucket i began (UTC); `counts[i]` maps a status to its records then;
    `statuses` are the statuses seen in any bucket, in the dashboard's order."""

    unit: str  # "day" (the field is kept for the callers; it was "hour" for a young connection)
    starts: Sequence[datetime]
    statuses: Sequence[str]
    counts: Sequence[Mapping[str, int]]


def _buckets(now: datetime) -> tuple[str, list[datetime]]:
    """The last 14 days (UTC), whatever the connection's age: a bookkeeper's question is how
    the backlog went from day to day; the last 24 hours hour by hour are the Health page's
    "Records synced per hour"."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return "day", [day - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]


def _status_after(kind: str, before: str | None) -> str | None:
    """The status a history entry of `kind` leaves (None: it says nothing of the status)."""
    if kind.startswith(_ACTION):
        return _STATUS_OF_ACTION.get(kind.removeprefix(_ACTION), Status.PENDING)
    if before == Status.BYPASSED and kind in _KEEPS_BYPASSED:
        return Status.BYPASSED
    return _STATUS_OF_KIND.get(kind)


def _bucket_of(moment: SQLColumnExpression[datetime], ends: Sequence[datetime]) -> Case[int]:
    """The index of the first bucket that ends at or after `moment` (the last one for later
    moments), as SQL."""
    last = len(ends) - 1
    return case(*((moment <= end, index) for index, end in enumerate(ends[:last])), else_=last)


def status_history(
    ledger: Ledger, connection_id: str, now: datetime, *, order: Sequence[str] = ()
) -> StatusHistory:
    """How many records had each status at the end of each of the last 14 days (UTC).

    Rebuilt in one query from the sync state rows and the history: a record holds its current
    status since its row last changed (`updated_at`), and before that what its history entries
    left (`_STATUS_OF_KIND`); only records whose row changed after the first bucket ended need
    their history. A record counts from its first entry on, so the last bucket is the current
    count per status. One approximation: a blocked record released when its blocker synced
    gets no history entry and keeps its row's `updated_at`, so until its next write it counts
    as pending from the moment it was blocked. Statuses come in the order `order`, then the
    others by name.
    """
    s = tables.SyncState
    h = tables.HistoryEntry
    with ledger.db.session(readonly=True) as session:
        unit, starts = _buckets(now)
        ends = [start + timedelta(days=1) for start in starts]
        ends[-1] = now
        # Per record in time order: its status now and the bucket from which it holds it,
        # then each history entry (kind, bucket) before that. The database finds the buckets.
        joined = and_(
            h.connection_id == s.connection_id,
            h.type == s.type,
            h.app_id == s.app_id,
            s.updated_at > ends[0],  # else the status is the same in every bucket
            h.at < s.updated_at,  # nothing later changed what the row shows
            or_(h.kind.in_(list(_STATUS_OF_KIND)), h.kind.startswith(_ACTION)),
        )
        rows = session.execute(
            select(
                s.type,
                s.app_id,
                s.status,
                _bucket_of(s.updated_at, ends),
                h.kind,
                _bucket_of(h.at, ends),
            )
            .outerjoin(h, joined)
            .where(s.connection_id == connection_id)
            .order_by(s.type, s.app_id, h.at, h.id)
        ).all()
    deltas = [Counter[str]() for _ in ends]

    def move(bucket: int, before: str | None, after: str) -> None:
        if before is not None:
            deltas[bucket][before] -= 1
        deltas[bucket][after] += 1

    # one group per record: the same (type, app id, status now, since) on each of its rows
    for (_, _, current, since), entries in groupby(rows, key=lambda r: (r[0], r[1], r[2], r[3])):
        status: str | None = None
        for *_, kind, bucket in entries:
            after = None if kind is None else _status_after(kind, status)
            if after is not None and after != status:
                move(bucket, status, after)
                status = after
        if current != status:  # the row's status, held since it last changed
            move(since, status, current)
    counts: list[dict[str, int]] = []
    running: Counter[str] = Counter()
    for delta in deltas:
        running.update(delta)
        counts.append({name: n for name, n in running.items() if n})
    seen = {name for bucket in counts for name in bucket}
    statuses = [name for name in order if name in seen]
    statuses += sorted(seen.difference(statuses))
    return StatusHistory(unit, starts, statuses, counts)


def quickbooks_drift(
    ledger: Ledger, connection_id: str, record_type: str, app_id: str
) -> list[DriftRow]:
    """The values ledgerbridge last sent that QuickBooks now holds otherwise, compared as the
    invariant compares them (`core.compare`: by value, never by number format); references
    by the names the copy of QuickBooks' lists holds (one look-up for all of them)."""
    with ledger.db.session(readonly=True) as session:
        link = Links(session).get(connection_id, record_type, app_id)
        if link is None or not link.pushed:
            return []
        current = Mirror(session, connection_id).get(link.qbo_entity, link.qbo_id)
    if current is None:
        return []
    found = compare.differences(link.pushed, current.data)
    refs = [
        ref
        for d in found
        for ref in (
            names.quickbooks_reference(d.path, d.ours),
            names.quickbooks_reference(d.path, d.theirs),
        )
        if ref is not None
    ]
    known = names.quickbooks_names(ledger, connection_id, refs)
    return [
        DriftRow(
            names.field_label(d.path),
            _named(d.ours, d.path, known),
            _named(d.theirs, d.path, known),
            d.path,
        )
        for d in found
    ]


def _named(value: Any, path: str, known: Mapping[tuple[str, str], str]) -> names.Named:
    ref = names.quickbooks_reference(path, value)
    if ref is None:
        return names.Named(_text(value, path))
    name = known.get(ref)
    if name is None:
        return names.Named(ref[1], ref[1], known=False, where="QuickBooks")
    return names.Named(name, ref[1], where="QuickBooks")


def _text(value: Any, path: str) -> str:
    if value is None:
        return "(nothing)"
    if isinstance(value, list | dict) and not (isinstance(value, dict) and "value" in value):
        text = json.dumps(value, default=str)
        return text if len(text) <= 160 else text[:157] + "..."
    return compare.shown(value, path) or "(nothing)"
