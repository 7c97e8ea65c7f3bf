"""Retry: send the record again, unless its problem is in QuickBooks and still there.

A record failing for a reason on our side (a field too long, a mapping missing, a
dependency) is simply queued. One whose problem comes from QuickBooks is looked at first, with
QuickBooks' latest changes read: a customer, vendor or item that QuickBooks has inactive while
the app has it active is reactivated in QuickBooks (that is what sending the app's version
means); any other problem that still holds there (deleted, voided, moved, merged, changed in
QuickBooks) is left in place, with the reason and the buttons that do fix it
(`engine.recheck`). Retry never clears a problem by itself.
"""

from __future__ import annotations

from dataclasses import replace

from ledgerbridge.core import drift
from ledgerbridge.core.status import Status
from ledgerbridge.engine import holding, recheck
from ledgerbridge.engine.actions import remote
from ledgerbridge.engine.actions._target import Done, Target
from ledgerbridge.engine.actions.local import NOT_ABOUT_QUICKBOOKS
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.errors import Refused
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["retry"]

_OWN_INACTIVE = frozenset(drift.INACTIVE_CODES.values())


def retry(t: Target) -> Done:
    """Send it again, judged against QuickBooks as it is now: a fix just made there (a vendor
    renamed, an invoice renumbered) is read first, so the retry does not fail on old news.
    A record held by the connection's auto_push is released: this is its push request."""
    if t.connection.status == "active" and t.code not in NOT_ABOUT_QUICKBOOKS:
        pull_company(t.ledger, t.cid)  # change data capture: one call; a failure only delays
    t = _afresh(t)
    if t.code in _OWN_INACTIVE and t.state.status == Status.ERROR and _active_in_app(t):
        try:
            done = remote.reactivate(t)
        except Refused as refused:
            return Done(f"left as it is: {refused.reason}", {"left": True}, wake=False)
        return Done(
            f"reactivated in QuickBooks because the app has it active ({done.summary})",
            done.detail,
        )
    with t.ledger.db.session(readonly=True) as session:
        left = recheck.still_holds(session, Surroundings(t.connection), t.state)
    if left is not None:
        return Done(
            f"left as it is: {left.reason}", {"left": True, "code": left.problem.code}, wake=False
        )
    with t.storing() as session:
        states = SyncStates(session, clock=t.ledger.clock)
        history = History(session, clock=t.ledger.clock)
        released = holding.push_request(states, history, t.cid, t.state, by="retry")
    return Done("released: queued to be sent" if released else "queued to be sent again")


def _afresh(t: Target) -> Target:
    """The target as it stands after the pull (which may have cleared or changed it, or met a
    429); where it is carried out (a session, its lease, its company) unchanged."""
    with t.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(t.cid)
        state = SyncStates(session).get(t.cid, t.key.type, t.key.app_id)
        stored = Records(session).get(t.cid, t.key.type, t.key.app_id)
        link = Links(session).get(t.cid, t.key.type, t.key.app_id)
    if connection is None or state is None or stored is None:
        return t
    # the connection too: a 429 the pull met makes the company wait (`Target.client`)
    return replace(t, connection=connection, state=state, stored=stored, link=link)


def _active_in_app(t: Target) -> bool:
    return bool(t.stored.data.get("active", True)) and not t.stored.deleted
