"""Connection health, run by the dispatchers' periodic paths.

    check_connection(ledger, connection_id) -> str   # a suspended company asked again
    requeue_stalled(ledger, connection_id) -> int    # records pending far too long, due again

A connection is ``suspended`` when QuickBooks refused a write with 6190 (the subscription
lapsed: ``connection.subscription_inactive``). Nothing is sent to it until a check succeeds:
`check_connection` reads CompanyInfo (its ``SubscriptionStatus``, when QuickBooks gives one,
must not name a lapsed subscription). On success the connection becomes ``active`` again
(event ``connection.status_changed``) and its backlog drains; on 6190 it stays suspended. (The
write QuickBooks refused with 6190 holds no stored ``requestid``: the push pass drops it, since
QuickBooks applied nothing and a replay of that id would only repeat the refusal.)

A record is stalled (``record.stalled``) when it has been ``pending`` and due for
`STALLED_AFTER` with nobody working it, or has had a write in flight that long: it is made due
again (the "edit and save to re-trigger" fix, done by the engine; a pending write stays, for the
push pass to settle) and the history shows ``stalled_requeued``. Records waiting for a retry
time still in the future are not stalled, nor are records waiting their turn: the passes take
due records oldest first, so while records of the company are being worked (synced, failed, ...)
and none after a pending one in that order, the pending one is queued behind them, not stalled
(a large company's first sync takes longer than `STALLED_AFTER` and is not shown stalled; a
record the passes went past is). Found in one query (`SyncStates.stalled`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ledgerbridge.adapters.qbo import (
    Disconnected,
    QuickBooksError,
    SubscriptionLapsed,
)
from ledgerbridge.core import catalog
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.retry import is_stalled
from ledgerbridge.engine import keys, pacing
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.sync_states import Key, SyncStates

__all__ = [
    "STALLED_AFTER",
    "check_connection",
    "requeue_stalled",
    "subscription_lapsed",
]

log = logging.getLogger(__name__)

STALLED_AFTER = timedelta(minutes=15)
# CompanyInfo's SubscriptionStatus values that mean the company takes no writes (QuickBooks
# documents only "PAID"; anything else is taken as active unless it names a lapse)
_LAPSED_WORDS = ("CANCEL", "EXPIRE", "SUSPEND", "LAPSE", "INACTIVE", "PAST_DUE", "DELINQUENT")


def subscription_lapsed(company_info: Mapping[str, Any]) -> bool:
    """Whether CompanyInfo's ``SubscriptionStatus`` names a lapsed subscription."""
    for pair in company_info.get("NameValue") or []:
        if isinstance(pair, Mapping) and pair.get("Name") == "SubscriptionStatus":
            value = str(pair.get("Value") or "").upper()
            return any(word in value for word in _LAPSED_WORDS)
    return False


def check_connection(ledger: Ledger, connection_id: str) -> str:
    """Ask QuickBooks again about a suspended connection; returns its status afterwards.

    Connections that are not suspended are left alone (their status is returned).
    """
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
    if connection is None:
        return "unknown"
    if connection.status != "suspended" or connection.realm_id is None:
        return connection.status
    if not keys.tokens_open(ledger, connection_id):
        return "suspended"  # nothing can be asked: the connection's problem says why
    pacing.pace(ledger, connection.realm_id)  # counted in the company's limits
    with ledger.quickbooks(connection) as client:
        try:
            if subscription_lapsed(client.company_info()):
                return "suspended"
        except SubscriptionLapsed:
            return "suspended"
        except Disconnected:
            return _set_status(ledger, connection_id, "disconnected", {})
        except QuickBooksError as exc:
            log.info("connection %s: QuickBooks did not answer the check: %s", connection_id, exc)
            return "suspended"
    return _set_status(ledger, connection_id, "active", {})


def _set_status(ledger: Ledger, connection_id: str, status: str, detail: dict[str, Any]) -> str:
    """Move a still-suspended connection to `status` (with the event); its status after."""
    with ledger.db.session() as session:
        connections = Connections(session, clock=ledger.clock)
        current = connections.get_unscoped(connection_id)
        if current is None:
            return "unknown"
        if current.status != "suspended":
            return current.status  # changed meanwhile (disconnected, reconnected...)
        connections.set_status(connection_id, status)
        Events(session, clock=ledger.clock).append(
            connection_id,
            "connection.status_changed",
            {"status": status, "previous": "suspended", **detail},
        )
    return status


def requeue_stalled(ledger: Ledger, connection_id: str, *, after: timedelta = STALLED_AFTER) -> int:
    """Make records pending far longer than expected due again; how many were. A few
    statements whatever their number: one read, an update per 500 records, their history
    entries inserted together."""
    with ledger.db.session() as session:
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None or connection.status != "active":
            return 0
        now = ledger.clock()
        before = now - after
        states = SyncStates(session, clock=ledger.clock)
        problems: dict[Key, dict[str, Any]] = {}
        entries: dict[Key, Happened] = {}
        # neither changed nor waiting for a retry time since `after` ago, and not waiting its
        # turn behind records worked meanwhile (a large backlog is worked oldest first)
        for state in states.stalled(connection_id, before):
            if state.held and state.pending_request_id is None:
                continue  # waits for a push request (auto_push), not for a worker
            since = state.updated_at
            if state.next_attempt_at is not None and state.next_attempt_at > since:
                since = state.next_attempt_at
            if connection.wait_until is not None and connection.wait_until > since:
                since = connection.wait_until  # the company waited for QuickBooks' limits
            if not is_stalled(since, now, after):
                continue
            minutes = int((now - since).total_seconds() // 60)
            key = (state.type, state.app_id)
            problems[key] = Problem(  # visible in the log until the record moves on
                catalog.RECORD_STALLED,
                None,
                f"pending for {minutes} minutes; queued again",
                {"minutes": minutes},
            ).to_json()
            entries[key] = Happened(
                state.type,
                state.app_id,
                "stalled_requeued",
                request_id=state.pending_request_id,
                detail={"minutes": minutes, "pending_write": state.pending_request_id is not None},
            )
        requeued = states.requeue(connection_id, problems, before) if problems else set()
        History(session, clock=ledger.clock).add_many(
            connection_id, [entry for key, entry in entries.items() if key in requeued]
        )
    if requeued:
        log.warning("connection %s: %d stalled records queued again", connection_id, len(requeued))
    return len(requeued)
