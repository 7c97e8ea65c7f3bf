"""The initial import: for a company that already holds years of data, page through QuickBooks'
customers, vendors and items and keep each object no app record is linked to as an import the
app acknowledges (`storage.imports`; the app then adopts it with its own id before its first
push, so nothing is created twice).

    progress = run(ledger, connection_id, ("customers", "vendors", "items"))

Each list is counted first (`SELECT COUNT(*)`), then read a page of `PAGE` objects at a time;
after each page the progress (per list: total, read, imported) is stored with the moment
(`beat_at`), so a caller in any process sees it move (`Imports.progress`), and a run whose
process died is told from one still going (`settled`: not moved for `STALE`). Every read is
counted first in the company's rate window (`pacing.Paced`), shared with the push pass and the
pulls of every process; while a read waits for the window, the run beats (at least every
`BEAT_EVERY`, with `rate_limited_until` in its progress), so however long it waits it is never
taken for dead and started again beside itself. When QuickBooks throttles all the same, the
import stops (`state` "stopped", `reason` "throttled",
`retry_after`; a company that waits for QuickBooks' limits already, `connections.wait_until`,
is not read at all before the wait ends: stopped so at once; any other fault stops it too,
`reason` "error", logged); started again later for the same lists it resumes where it
stopped (`resumed`: each list from the page after the
last one kept; the order is QuickBooks' ids, and names are never deleted in QuickBooks, only
made inactive, so no object moves back past that point), and what was kept stays (an import is
kept once).

The mirror is not written here: a copy the pull holds stays the one drift compares against
(an object changed under a link is drift's, found by the pull). An object the mirror has no
copy of yet (made in QuickBooks since the last pull) is stored, so the lists API and the
acknowledgement read it. Categories are no item of the app's and are left out; bundles are
imported read-only (their entry says so).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from ledgerbridge.adapters.qbo import Disconnected, QuickBooksError, SubscriptionLapsed, Throttled
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine import pacing
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Company, Connections
from ledgerbridge.storage.imports import Imports
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror

__all__ = [
    "BEAT_EVERY",
    "LISTS",
    "PAGE",
    "STALE",
    "beat",
    "fresh",
    "resumed",
    "run",
    "settled",
    "started",
]

log = logging.getLogger(__name__)

LISTS: Final[Mapping[str, tuple[str, str]]] = {
    "customers": ("Customer", "customer"),
    "vendors": ("Vendor", "vendor"),
    "items": ("Item", "item"),
}
"""The lists an initial import reads: list -> (QuickBooks entity, the app's record type)."""

PAGE: Final = 200  # objects per read: the progress moves every page
STALE: Final = timedelta(minutes=5)
"""A run whose progress has not moved (`beat_at`) for this long is taken for dead (its
process ended mid-run): shown stopped, `interrupted`, and resumed when started again. Every
page stores the progress, a page is one or two reads, and a read waiting for the company's
rate window beats every `BEAT_EVERY`."""
BEAT_EVERY: Final = timedelta(minutes=1)
"""How often a run waiting for the rate window stores its progress (well within `STALE`)."""
WAIT_SLICE: Final = 2.0
"""Seconds at most between two looks at the rate window while a read waits for it."""


def settled(progress: Mapping[str, Any] | None, now: datetime) -> Mapping[str, Any] | None:
    """`progress` as it stands at `now`: a run not heard from for `STALE` is stopped,
    interrupted (no process runs it any more)."""
    if progress is None or progress.get("state") != "running":
        return progress
    last = _moment(progress.get("beat_at") or progress.get("started_at"))
    if last is not None and now - last < STALE:
        return progress
    return {**progress, "state": "stopped", "reason": "interrupted"}


def resumed(
    earlier: Mapping[str, Any] | None, lists: Sequence[str]
) -> Mapping[str, Mapping[str, Any]] | None:
    """Where an import of `lists` starts again: the per-list counts of an earlier one of the
    same lists that stopped (None: from the start)."""
    if earlier is None or earlier.get("state") != "stopped":
        return None
    counted = earlier.get("lists")
    # as a set: PostgreSQL's JSON keeps no key order
    if not isinstance(counted, Mapping) or set(counted) != set(lists):
        return None
    return {name: dict(counted[name]) for name in lists if isinstance(counted[name], Mapping)}


def started(
    ledger: Ledger,
    connection_id: str,
    lists: Sequence[str],
    resume: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The progress of an import about to start (from `resume`'s counts, if given), stored
    (so a caller sees it at once)."""
    progress = fresh(ledger.clock, lists, resume)
    with ledger.db.session() as session:
        Imports(session, connection_id, clock=ledger.clock).set_progress(progress)
    return progress


def fresh(
    clock: Callable[[], datetime],
    lists: Sequence[str],
    resume: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The progress of an import about to start (from `resume`'s counts, if given)."""
    none_yet = {"total": None, "read": 0, "imported": 0}
    now = clock().isoformat()
    return {
        "state": "running",
        "started_at": now,
        "beat_at": now,
        "finished_at": None,
        "reason": None,
        "retry_after": None,
        "rate_limited_until": None,
        "resumed": resume is not None,
        "lists": {name: dict((resume or {}).get(name) or none_yet) for name in lists},
    }


def run(
    ledger: Ledger,
    connection_id: str,
    lists: Sequence[str],
    resume: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Read the lists and keep what no app record is linked to as imports; the final progress.
    `resume`: the counts of a stopped import of the same lists (`resumed`), to go on from."""
    progress = started(ledger, connection_id, lists, resume)
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
    if connection is None or connection.realm_id is None or connection.status != "active":
        return _stop(ledger, connection_id, progress, "not_active")
    realm = connection.realm_id
    now = ledger.clock()
    until = connection.waiting(now)
    if until is not None:
        # the company waits for QuickBooks' limits (a 429, its window full): not read before
        # the wait ends, which the progress says (`retry_after`), nothing read yet
        progress["retry_after"] = (until - now).total_seconds()
        return _stop(ledger, connection_id, progress, "throttled")
    try:
        with (
            ledger.quickbooks(connection) as quickbooks,
            pacing.Paced(quickbooks, _pacer(ledger, connection_id, realm, progress)) as client,
        ):
            for name in lists:
                entity, record_type = LISTS[name]
                counted = progress["lists"][name]
                where = "WHERE Active IN (true, false)"
                if counted["total"] is not None and counted["read"] >= counted["total"]:
                    continue  # read whole before it stopped
                counted["total"] = client.count(f"SELECT COUNT(*) FROM {entity} {where}")
                _store(ledger, connection_id, progress)
                start = int(counted["read"]) + 1
                while True:
                    if ledger.stopping.is_set():
                        raise _ProcessStopping
                    rows = client.query_page(
                        f"SELECT * FROM {entity} {where} ORDERBY Id", start, PAGE
                    )
                    kept = _keep(ledger, connection_id, entity, record_type, rows)
                    # read once kept: a page that failed is read again on resuming
                    counted["read"] += len(rows)
                    counted["imported"] += kept
                    _store(ledger, connection_id, progress)
                    if len(rows) < PAGE:
                        break
                    start += PAGE
    except _ProcessStopping:  # resumed from its counts by the next start
        return _stop(ledger, connection_id, progress, "interrupted")
    except Throttled as exc:  # as a pull says and stores it: the company waits
        now = ledger.clock()
        company = Company.online(connection)
        until = pacing.wait_for_quickbooks(ledger, connection_id, company, exc.retry_after, now=now)
        waited = exc.retry_after if until is None else (until - now).total_seconds()
        progress["retry_after"] = waited
        return _stop(ledger, connection_id, progress, "throttled")
    except (Disconnected, SubscriptionLapsed) as exc:
        reason = "disconnected" if isinstance(exc, Disconnected) else "suspended"
        return _stop(ledger, connection_id, progress, reason)
    except QuickBooksError as exc:
        return _stop(ledger, connection_id, progress, type(exc).__name__)
    except Exception:  # the database gone, a bug: stopped, never "running" with nothing running
        log.exception("the initial import of connection %s failed", connection_id)
        return _stop(ledger, connection_id, progress, "error")
    progress["state"] = "done"
    progress["finished_at"] = ledger.clock().isoformat()
    _store(ledger, connection_id, progress)
    return progress


class _ProcessStopping(Exception):
    """The process shuts down (`Ledger.stopping`): the import stops between two reads."""


def _pacer(
    ledger: Ledger,
    connection_id: str,
    realm: str,
    progress: dict[str, Any],
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[..., None]:
    """Count one read in the company's window, waiting while it is full: beating meanwhile,
    with the moment the window lets it go (`rate_limited_until`), at least every BEAT_EVERY
    of the engine's clock."""

    def pace(*, batch: bool = False) -> None:
        while (wait := pacing.take(ledger, realm, batch=batch)) > 0:
            if ledger.stopping.is_set():
                raise _ProcessStopping
            now = ledger.clock()
            last = _moment(progress.get("beat_at"))
            if (
                progress.get("rate_limited_until") is None
                or last is None
                or (now - last >= BEAT_EVERY)
            ):
                progress["rate_limited_until"] = (now + timedelta(seconds=wait)).isoformat()
                beat(ledger, connection_id, progress)
            sleep(min(wait, WAIT_SLICE))
        progress["rate_limited_until"] = None  # stored with the next beat

    return pace


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _keep(
    ledger: Ledger,
    connection_id: str,
    entity: str,
    record_type: str,
    rows: Sequence[Mapping[str, Any]],
) -> int:
    """One page: its objects no app record is linked to (or waits to adopt) kept as imports;
    how many."""
    objects = [
        MirrorObject.from_quickbooks(entity, row)
        for row in rows
        if row.get("Id") is not None and row.get("Type") != "Category"
    ]
    with ledger.db.session() as session:
        mirror = Mirror(session, connection_id, clock=ledger.clock)
        ids = [obj.qbo_id for obj in objects]
        linked = Links(session).by_quickbooks_many(connection_id, entity, ids)
        held = mirror.get_many(entity, ids)
        mirror.put_many(obj for obj in objects if obj.qbo_id not in held)
        unlinked = [obj for obj in objects if obj.qbo_id not in linked]
        return Imports(session, connection_id, clock=ledger.clock).add_many(
            ((entity, obj.qbo_id, record_type) for obj in unlinked), since=ledger.clock()
        )


def beat(ledger: Ledger, connection_id: str, progress: dict[str, Any]) -> None:
    """The progress stored, with the moment (`beat_at`: the run is alive, `settled`)."""
    progress["beat_at"] = ledger.clock().isoformat()
    with ledger.db.session() as session:
        Imports(session, connection_id, clock=ledger.clock).set_progress(progress)


_store = beat


def _stop(
    ledger: Ledger, connection_id: str, progress: dict[str, Any], reason: str
) -> dict[str, Any]:
    progress["state"] = "stopped"
    progress["reason"] = reason
    progress["finished_at"] = ledger.clock().isoformat()
    _store(ledger, connection_id, progress)
    return progress
