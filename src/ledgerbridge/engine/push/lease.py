"""One pass over a company, under its lease.

    report = sync_company(ledger, connection_id)

The company's lease (`connection:<id>`) is taken first, so one worker works one company at a
time, and released on every path after it, whatever fails. Under it: this process's keys must
open the connection's tokens (else the pass stops, `keys_changed`), a stale mirror is brought
up to date (look-up before create), then up to `max_rounds` rounds (`push.rounds`) run while
they make progress. A connection-level failure stops the pass (`PassReport.stopped`) without
touching the records. With `slice_seconds`, the pass also ends once that much time has gone
(`yielded`, after the record at hand and the creates queued with it): a worker with many
companies goes round them instead of spending minutes on the largest. `yield_early`, asked
after each record of a slice, ends it sooner (True: others wait for the worker).

However long the pass runs (no slice, a slow QuickBooks), it keeps its lease: renewed once a
third of LEASE has gone (`work.HeldLease`), one statement each time, not one per record. Should
the renewal find the lease another's (it expired and another process took it), the pass stops
at once (`busy`, as when the lease was held from the start: retried), storing nothing more.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from ledgerbridge.core.retry import throttled_until
from ledgerbridge.engine import keys, pull
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.pacing import FRESHEN_WAIT
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.push import rounds
from ledgerbridge.engine.push.work import HeldLease, Pass, PassReport, Stop, storing
from ledgerbridge.storage.connections import Company, Connections, StoredConnection
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.tokens import Tokens, TokensRead

__all__ = ["LEASE", "MIRROR_FRESH", "new_holder", "reachable", "sync_company"]

LEASE = timedelta(minutes=5)
MIRROR_FRESH = timedelta(seconds=30)  # older than this, a pass reads QuickBooks' changes first
# a freshening pull's stops that stop the pass too, however stale the mirror may be: the pull
# found the connection no longer active (a person disconnected it meanwhile), QuickBooks
# refused it (the pull stored the status, as a write's refusal would) or the keys changed
_CONNECTION_STOPS = frozenset({"not_active", "disconnected", "suspended", "keys_changed"})


def sync_company(
    ledger: Ledger,
    connection_id: str,
    *,
    holder: str | None = None,
    max_rounds: int = 20,
    desktop: bool = False,
    slice_seconds: float | None = None,
    yield_early: Callable[[], bool] | None = None,
) -> PassReport:
    """One pass over the company. A QuickBooks Desktop connection is passed only from its Web
    Connector's sessions (`engine.desktop.passes`, `desktop=True`): elsewhere (workers, jobs)
    it is "not_active", as nothing could reach QuickBooks until the Web Connector polls."""
    report = PassReport()
    holder = holder or new_holder()
    lease = f"connection:{connection_id}"
    # the connection and its tokens read, and the lease taken, in one transaction (the lease
    # only for an active connection): the pass goes on with what was read here
    with ledger.db.session() as session:
        found = Connections(session).get_with_company(connection_id)
        connection, company = (None, None) if found is None else found
        if (
            connection is None
            or company is None
            or not reachable(connection, desktop)
            or connection.status != "active"
        ):
            report.stopped = "not_active"
            return report
        stored = Tokens(session).get(connection_id)
        tokens = None if stored is None else TokensRead(stored, time.monotonic())
        taken_at = ledger.clock()
        if not Leases(session, clock=ledger.clock).acquire(lease, holder, LEASE):
            report.stopped = "busy"
            return report
        stale = _stale(SyncStates(session), connection, ledger.clock())
    # from here on the lease is released on every path, whatever fails: a lease kept by a
    # failed pass would stop every other process from syncing the company for LEASE
    try:
        until = None if slice_seconds is None else ledger.clock() + timedelta(seconds=slice_seconds)
        held = HeldLease(lease, holder, LEASE, taken_at)
        _run(
            ledger,
            connection,
            company,
            tokens,
            stale,
            report,
            max_rounds,
            desktop,
            until,
            held,
            yield_early,
        )
    finally:
        with ledger.db.session() as session:
            Leases(session, clock=ledger.clock).release(lease, holder)
    return report


def reachable(connection: StoredConnection, desktop: bool) -> bool:
    """An Online company (its realm id), or a Desktop connection from its sessions."""
    return connection.realm_id is not None or (desktop and connection.environment == "desktop")


def new_holder() -> str:
    return f"worker-{secrets.token_hex(4)}"


def _run(
    ledger: Ledger,
    found: StoredConnection,
    company: Company,
    tokens: TokensRead | None,
    stale: bool,
    report: PassReport,
    max_rounds: int,
    desktop: bool,
    until: datetime | None,
    lease: HeldLease,
    yield_early: Callable[[], bool] | None = None,
) -> None:
    """The pass under the company's lease: the keys checked (on the tokens read with the
    connection), the mirror freshened when `stale` (`_stale`), then up to `max_rounds` rounds
    over the due records."""
    connection = keys.opened(ledger, found, None if tokens is None else tokens.stored)
    if connection is None:
        report.stopped = "keys_changed"
        return
    # a Desktop answer awaited for minutes (the freshening pull's, the pass's) keeps the
    # lease as the pass's conclusions do
    keep = functools.partial(lease.keep, ledger)
    unread, pulled = (None, False)
    if stale:
        unread, pulled = _freshen_mirror(
            ledger,
            connection,
            company,
            lease,
            keep,
            desktop,
            wait_within=None if until is None else FRESHEN_WAIT,
        )
    if unread is not None:
        report.stopped = unread
        return
    # a pull may have refreshed the tokens since they were read: its client read them again
    with ledger.quickbooks(connection, tokens=None if pulled else tokens, keep=keep) as client:
        try:
            p = Pass(
                ledger,
                connection,
                client,
                report,
                Surroundings(connection),
                company,
                until=until,
                yield_early=yield_early if until is not None else None,
                lease=lease,
            )
            for _ in range(max_rounds):
                if not rounds.work(p):
                    break
        except Stop as stop:
            report.stopped = stop.reason


def _stale(states: SyncStates, connection: StoredConnection, now: datetime) -> bool:
    """Look-up before create, for a whole pass at once: whether QuickBooks' changes are read
    first (`_freshen_mirror`), read in the lease's transaction. When the mirror is older than
    MIRROR_FRESH and there is work, they are (one change-data-capture call), so something just
    created in QuickBooks is linked to, not created again. An adoption due reads them first
    however fresh the mirror is: whether the object the app named holds what the record sends
    is decided on QuickBooks as it is now, not on a copy a person may have changed since
    (synced only while QuickBooks agrees)."""
    fresh = connection.last_pull_at is not None and now - connection.last_pull_at < MIRROR_FRESH
    if fresh and not states.adoption_due(connection.id, now):
        return False
    due = states.next_due_at(connection.id)
    return due is not None and due <= now


def _freshen_mirror(
    ledger: Ledger,
    connection: StoredConnection,
    company: Company,
    lease: HeldLease,
    keep: Callable[[], None],
    desktop: bool,
    *,
    wait_within: float | None = None,
) -> tuple[str | None, bool]:
    """QuickBooks' changes read into a stale mirror (`_stale`).

    An Online company never read whole that cannot be read now stops the pass (the pull's reason;
    a throttled one delays the records as a throttled write does): planned against an empty
    mirror, every record would be refused for references it cannot find (no income account,
    no tax code). A stale mirror that cannot be refreshed only lets the pass go on, unless the
    pull found the connection itself stopped (`_CONNECTION_STOPS`): then so is the pass.
    The records put off are the pass's conclusion, stored as its others are
    (`work.storing`: only while the connection still has `company`). `wait_within`: the
    pull's (`pull.pull_company`), a time slice's. `keep`: the lease kept while a Desktop
    answer is awaited (minutes, at times). Returns (that reason or None, whether a pull was
    made)."""
    try:
        pulled = pull.pull_company(
            ledger, connection.id, desktop=desktop, wait_within=wait_within, keep=keep
        )
    except Stop as stop:  # the lease found taken while an answer was awaited: nothing stored
        return stop.reason, True
    if pulled.stopped in _CONNECTION_STOPS:
        return pulled.stopped, True  # the connection cannot be written to: nor is it here
    if desktop or connection.last_pull_at is not None or pulled.stopped is None:
        return None, True  # (QuickBooks Desktop's sessions read the company as they go)
    if pulled.stopped in ("throttled", "rate_limited"):
        try:
            with storing(ledger, connection.id, company, lease) as session:
                SyncStates(session).delay_all(
                    connection.id, throttled_until(ledger.clock(), pulled.retry_after)
                )
        except Stop as stop:
            return stop.reason, True
    return pulled.stopped, True
