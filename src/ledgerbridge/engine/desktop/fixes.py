"""The fixes a person asked for on a QuickBooks Desktop connection, carried out at the start of
the Web Connector's next session (`engine.desktop.passes`), before its pull and push:

    waiting (storage.desktop_actions)    carried out by
    a record's fix (link, reactivate...) engine.actions.carry_out: checked again against the
                                         record as it is now, its QuickBooks calls through the
                                         session; the audit entry and the history completed
    the connection's lists refresh       a pull by modified date, the lists read in full
                                         (`engine.pull.READ_IN_FULL_ONLY`), as Online's refresh

A fix QuickBooks refuses is written in the record's history ("refused: ...") and its audit
entry; one the session could not carry (the Web Connector stopped half-way) waits for the next.
"""

from __future__ import annotations

import logging
from typing import Final

from ledgerbridge.engine import actions
from ledgerbridge.engine.errors import Refused
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.pull import READ_IN_FULL_ONLY, pull_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.desktop_actions import CONNECTION, DesktopActions

__all__ = ["REFRESH_LISTS", "carry_out_waiting", "waiting"]

log = logging.getLogger(__name__)

REFRESH_LISTS: Final = "refresh_lists"
"""The connection's request: read QuickBooks' lists at the next session."""


def waiting(ledger: Ledger, connection_id: str) -> bool:
    with ledger.db.session(readonly=True) as session:
        return DesktopActions(session).any_waiting(connection_id)


def carry_out_waiting(ledger: Ledger, connection_id: str) -> int:
    """Carry out the connection's waiting fixes, oldest first: how many were carried out
    (refusals included, as they are answered too)."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        found = DesktopActions(session).waiting(connection_id)
    if connection is None or connection.status != "active":
        return 0  # another company file open, or disconnected: they wait
    answered = 0
    for fix in found:
        if fix.record_type == CONNECTION:
            report = pull_company(
                ledger, connection_id, also_in_full=READ_IN_FULL_ONLY, desktop=True
            )
            if report.stopped is None:
                with ledger.db.session() as session:
                    DesktopActions(session).remove(connection_id, CONNECTION, CONNECTION)
                answered += 1
            continue
        try:
            actions.carry_out(ledger, connection, fix)
        except Refused as refused:
            if actions.unreached(refused):
                continue
            log.info("a waiting %s of %s was refused: %s", fix.action, connection_id, refused)
        answered += 1
    return answered
