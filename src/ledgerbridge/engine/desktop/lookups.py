"""Today's work for a Desktop connection's Web Connector sessions: a minimal but real source
behind `engine.ports.DesktopWork`, so that a whole conversation runs.

A session is due when none has finished its work within the schedule's interval
(`EVERY`, the .qwc's RunEveryNMinutes). It then sends two requests:

1. HostQuery, CompanyQuery (with the connection's OwnerID) and PreferencesQuery: what
   QuickBooks and the company file are (50 %);
2. a CustomerQuery of the customers and jobs, active or not: how many the file has, kept on the
   connection's Web Connector as what the look-up found (100 %).

The service's default work is `engine.desktop.passes` (the push and pull passes' own requests);
this source remains for tests of the Web Connector service itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from ledgerbridge.adapters.qbwc import qbxml
from ledgerbridge.engine.ports import DesktopSession, Ledger, NotReady, QbxmlRequest, Taken
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = ["EVERY", "LookUps"]

EVERY: Final = timedelta(minutes=15)


class LookUps:
    """The session-start queries and a customer look-up (module docstring)."""

    def __init__(self, ledger: Ledger, every: timedelta = EVERY) -> None:
        self._ledger = ledger
        self._every = every

    def due(self, connection_id: str) -> bool:
        with self._ledger.db.session(readonly=True) as session:
            connector = WebConnectors(session).get(connection_id)
        if connector is None:
            return False
        done = connector.last_done_at
        return done is None or self._ledger.clock() - done >= self._every

    def next_request(self, session: DesktopSession) -> QbxmlRequest | NotReady | None:
        if session.step == 0:
            request_id = "start"
            text = qbxml.session_start(session.qbxml_version, session.owner_id, request_id)
            return QbxmlRequest(request_id, text)
        if session.step == 1:
            return QbxmlRequest(
                "customers", qbxml.customer_query(session.qbxml_version, "customers")
            )
        return None

    def take_response(self, session: DesktopSession, request_id: str, response: str) -> Taken:
        try:
            answers = qbxml.read(response)
        except qbxml.Unreadable as exc:
            return Taken(-1, f"ledgerbridge could not read QuickBooks' answer: {exc}.")
        failed = [a for a in answers if a.severity == "Error" and a.status_code >= 1000]
        if failed:
            first = failed[0]
            return Taken(-1, f"QuickBooks refused {first.name[:-2]}: {first.message}")
        if request_id == "start":
            return Taken(50)
        if request_id == "customers":
            count = sum(len(a.rets) for a in answers if a.name == "CustomerQueryRs")
            with self._ledger.db.session() as db:
                WebConnectors(db, clock=self._ledger.clock).set_found(
                    session.connection_id,
                    {"customers": count, "at": self._ledger.clock().isoformat()},
                )
            return Taken(100)
        return Taken(-1, f"ledgerbridge did not ask for {request_id!r}.")
