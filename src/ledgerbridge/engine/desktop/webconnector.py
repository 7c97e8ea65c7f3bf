"""The Web Connector service's methods (qbd-reference §1), one function each, behind the SOAP
envelope (`adapters.qbwc.soap`, read by the API's `/qbwc` route).

    serverVersion -> clientVersion -> authenticate -> (sendRequestXML -> receiveResponseXML)*
        -> closeConnection          (connectionError when QuickBooks cannot open the file;
                                     getLastError after "" from sendRequestXML or < 0)

- `authenticate` checks the user name and password against the Desktop connection's Web
  Connector (the password is kept hashed; nothing here logs it) and opens a session: a random
  ticket, stored as its SHA-256 with an expiry. It answers [ticket, ""] when work is due (the file
  open in QuickBooks), [ticket, "none"] when nothing is, ["", "nvu"] for a bad user or password,
  and [ticket, "busy", "120"] (postponed two minutes) while another session of the connection is
  at work.
- The first `sendRequestXML` of a session carries the host/company/preferences answer: the
  company file's path and name, its FileID data extension, the closing date, the qbXML versions
  are recorded on the connection. A file other than the one the connection first saw (another
  path, or a FileID that is not ours) is `connection.wrong_company`: the session hands out no
  work and the Web Connector shows why.
- Requests come from the `DesktopWork` port one at a time; `receiveResponseXML` hands the answer
  back and answers the percentage done. Work not ready yet is a NoOp (`getLastError` "NoOp":
  the Web Connector asks again after a pause), at most `MAX_NOOPS` times a session. Work that
  ended with nothing for QuickBooks (a fix that needed no call, a record found already right)
  hands out one read of the company's name, whose answer ends the session as done (100):
  an empty `sendRequestXML` could only end it as an error.
- `connectionError` and errors the Web Connector passes in `receiveResponseXML` are recorded on
  the connection (shown on its page) and end the session. What they say about the PC becomes
  the connection's problem in the catalog's words (`core.web_connector.reported`: QuickBooks
  closed, another company file open, single-user mode needed, access denied, else the Web
  Connector's message), cleared when a later session opens the connection's company file.
- Health (`engine.desktop.health`): every call with the connection's user name counts as
  heard from (a connection shown silent gets its status back); wrong passwords are counted in
  a row and shown past `core.web_connector.REFUSED_AFTER`, cleared by the next good one; how
  each session ended is kept (`core.web_connector.OUTCOMES`).
- An unknown or expired ticket gets a polite end: "" / -1 / "done" and a sentence.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from typing import Any, Final

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbwc import qbxml
from ledgerbridge.core import catalog, sign_in, web_connector
from ledgerbridge.engine.desktop import health
from ledgerbridge.engine.ports import (
    DesktopSession,
    DesktopWork,
    Ledger,
    NotReady,
    Taken,
)
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.sign_in_attempts import SignInAttempts
from ledgerbridge.storage.web_connectors import StoredConnector, StoredTicket, WebConnectors

__all__ = [
    "BUSY_WINDOW",
    "DESKTOP",
    "MAX_NOOPS",
    "NOOP",
    "TICKET_LIFE",
    "WebConnectorService",
]

DESKTOP: Final = "desktop"
"""The environment of a QuickBooks Desktop connection."""
TICKET_LIFE: Final = timedelta(hours=2)
MAX_NOOPS: Final = 12
BUSY_WINDOW: Final = timedelta(minutes=2)
"""A session that made a call this recently and is not closed makes another one wait: one
session per connection at a time (two PCs with the same .qwc file would do the work twice)."""
NOOP: Final = "NoOp"
_ENDED: Final = "The session has ended; the Web Connector starts a new one at its next update."
_END: Final = "session-end"  # the request that ends a session whose work had none (qbxml)
_MIN_CLIENT: Final = (2, 1)
_SUBJECT: Final = "web connector:"  # failed logins are counted apart from dashboard emails
_POLICY: Final = sign_in.Policy(lock_after=2**31)


@functools.cache
def _version() -> str:
    try:
        return metadata.version("ledgerbridge")
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout
        return "0"


@dataclass
class WebConnectorService:
    """The service's methods for one deployment (the module docstring)."""

    ledger: Ledger
    work: DesktopWork

    def call(
        self, method: str, params: Mapping[str, str], address: str = ""
    ) -> str | int | list[str]:
        """Run one method of the WSDL with its parameters (`adapters.qbwc.soap.METHODS`), for
        the client at `address` (its failed logins are counted, `authenticate`)."""
        p = params
        match method:
            case "serverVersion":
                return f"ledgerbridge {_version()}"
            case "clientVersion":
                return self.client_version(p["strVersion"])
            case "authenticate":
                return self.authenticate(p["strUserName"], p["strPassword"], address)
            case "sendRequestXML":
                return self.send_request_xml(
                    p["ticket"],
                    p["strHCPResponse"],
                    p["strCompanyFileName"],
                    p["qbXMLMajorVers"],
                    p["qbXMLMinorVers"],
                )
            case "receiveResponseXML":
                return self.receive_response_xml(
                    p["ticket"], p["response"], p["hresult"], p["message"]
                )
            case "connectionError":
                return self.connection_error(p["ticket"], p["hresult"], p["message"])
            case "getLastError":
                return self.get_last_error(p["ticket"])
            case "closeConnection":
                return self.close_connection(p["ticket"])
        raise ValueError(method)

    # --- the methods -----------------------------------------------------------------------------

    def client_version(self, version: str) -> str:
        """ "" to go on; a warning for a Web Connector older than 2.1."""
        try:
            parts = tuple(int(part) for part in version.split(".")[:2])
        except ValueError:
            return ""
        if len(parts) == 2 and parts < _MIN_CLIENT:
            return "W:This Web Connector is old; please install the current one from Intuit."
        return ""

    def authenticate(self, username: str, password: str, address: str = "") -> list[str]:
        """Failed logins are counted per user name and client address as the dashboard's are
        (`core.sign_in`, never a lock: a locked Web Connector would stop the books' sync):
        past a few, an attempt waits, answered "nvu" without its password being checked."""
        subject = _SUBJECT + username
        with self.ledger.db.session() as session:
            attempts = SignInAttempts(session, clock=self.ledger.clock, policy=_POLICY)
            verdict = attempts.begin(subject, address)
        clock = self.ledger.clock
        if not isinstance(verdict, sign_in.Go):
            with self.ledger.db.session() as session:  # a call all the same: not silent
                waited = WebConnectors(session, clock=clock).turned_away(username)
                if waited is not None:
                    health.heard_from(session, clock, waited.connection_id)
            return ["", "nvu"]
        # the password's scrypt check is slow on purpose: done before the write lock is taken,
        # so it never holds up the pass's writes (nor they it, past the busy timeout)
        with self.ledger.db.session(readonly=True) as session:
            connector = WebConnectors(
                session, clock=clock, scrypt_n=self.ledger.settings.password_scrypt_n
            ).check(username, password)
        # whether work is due is read before the write lock too (the pass's own looks), so
        # that the call is recorded and its session opened in one write transaction
        due = connector is not None and self.work.due(connector.connection_id)
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=clock)
            if connector is None:
                counted = connectors.refused(username)
                if counted is not None and self._is_desktop(session, counted.connection_id):
                    health.refused(session, clock, counted)
                return ["", "nvu"]
            cid = connector.connection_id
            if not self._is_desktop(session, cid):
                return ["", "nvu"]
            connectors.seen(cid)
            # read after `seen`: its lock on the connector orders this call after a health
            # round that marked the connection silent (PostgreSQL), whose commit is then seen
            # here and cleared; a read from before the wait would clear nothing
            stored = Connections(session).get_unscoped(cid)
            if stored is None:
                return ["", "nvu"]
            if stored.status == "disconnected":
                # the office disconnected it: no session until a new password connects it again
                connectors.set_outcome(cid, "disconnected")
                return ["", "nvu"]
            connectors.accepted(cid)
            changed = health.heard_from(session, clock, cid, stored)
            refused = {catalog.CONNECTION_WEB_CONNECTOR_PASSWORD_REFUSED}
            health.clear(session, clock, cid, refused, None if changed else stored)
            SignInAttempts(session, clock=clock, policy=_POLICY).succeeded(subject, address)
            ticket = secrets.token_urlsafe(24)
            now = clock()
            connectors.forget_expired()
            busy = connectors.busy(cid, now - BUSY_WINDOW)
            connectors.open_ticket(cid, ticket, now + TICKET_LIFE)
            if busy or not due:
                connectors.set_outcome(cid, "busy" if busy else "nothing_to_do")
        if busy:  # another PC's Web Connector (or this one's last session) is still at work
            return [ticket, "busy", str(int(BUSY_WINDOW.total_seconds()))]
        return [ticket, "" if due else "none"]

    def send_request_xml(
        self, ticket: str, hcp: str, company_file: str, major: str, minor: str
    ) -> str:
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=self.ledger.clock)
            # held before the connection's row (`_record_company` takes it): read unheld, the
            # company file of a Start fresh committed meanwhile was judged by the old one's
            # path, and this session's verdict written over the Start fresh; a session that
            # Start fresh ended (its file is the old company's) is handed nothing
            held = connectors.held(ticket)
            if held is None:
                return ""
            live, connector = held
            connectors.seen(connector.connection_id)
            if live.step == 0 and live.pending is None and live.noops == 0:
                reported = f"{major}.{minor or 0}" if major else ""
                refused = self._record_company(session, connector, hcp, company_file, reported)
                if refused is not None:
                    connectors.update_ticket(ticket, error=refused)
                    return ""
        desk = self._session(live, connector, major, minor)
        nxt = self.work.next_request(desk)
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=self.ledger.clock)
            # held again: a Start fresh committed while the work took its request ended the
            # session, which is then handed nothing (the request, taken and never handed out,
            # is settled as lost: looked up before it is sent again)
            held = connectors.held(ticket, connector.connection_id)
            if held is None:
                return ""
            live = held[0]
            if nxt is None:  # the work ended with nothing for QuickBooks: end the session as done
                connectors.update_ticket(ticket, pending=_END, error=None)
                return qbxml.session_end(qbxml.version_for(major, minor), _END)
            if isinstance(nxt, NotReady):
                if live.noops >= MAX_NOOPS:
                    connectors.update_ticket(
                        ticket, error="ledgerbridge has nothing ready for QuickBooks yet."
                    )
                else:
                    connectors.update_ticket(ticket, error=NOOP, noops=live.noops + 1)
                return ""
            connectors.update_ticket(ticket, pending=nxt.request_id, error=None)
        return nxt.qbxml

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=self.ledger.clock)
            held = connectors.held(ticket)  # the old file's error never lands on the new one's
            if held is None:
                return -1
            live, connector = held
            connectors.seen(connector.connection_id)
            if hresult or live.pending is None:
                error = (
                    _reported(hresult, message)
                    if hresult
                    else "ledgerbridge received an answer it had not asked for."
                )
                connectors.update_ticket(ticket, error=error, pending=None)
                connectors.set_error(connector.connection_id, error)
                if hresult and web_connector.reported(hresult, message) in _ABOUT_THE_PC:
                    self._reported(session, connector, hresult, message)
                return -1
        if live.pending == _END:
            taken = Taken(100)
        else:
            desk = self._session(live, connector, connector.qbxml_version or "", "")
            taken = self.work.take_response(desk, live.pending, response)
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=self.ledger.clock)
            # held again: a Start fresh committed while the answer was taken ended the
            # session, which then writes nothing over what is now the new file's
            held = connectors.held(ticket, connector.connection_id)
            if held is None:
                return -1
            live = held[0]
            if taken.error is not None or taken.percent < 0:
                error = taken.error or "ledgerbridge could not use QuickBooks' answer."
                connectors.set_error(connector.connection_id, error)
                connectors.update_ticket(ticket, error=error, pending=None)
                return -1
            percent = max(0, min(100, taken.percent))
            connectors.set_progress(connector.connection_id, percent)
            if percent >= 100:
                connectors.set_error(connector.connection_id, None)
            connectors.update_ticket(ticket, step=live.step + 1, pending=None, noops=0)
        return percent

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=self.ledger.clock)
            held = connectors.held(ticket)  # the old file's error never lands on the new one's
            if held is None:
                return "done"
            live, connector = held
            error = _reported(hresult, message)
            connectors.seen(live.connection_id)
            connectors.set_error(live.connection_id, error)
            connectors.update_ticket(ticket, error=error)
            self._reported(session, connector, hresult, message)
        return "done"

    def get_last_error(self, ticket: str) -> str:
        with self.ledger.db.session(readonly=True) as session:
            live = WebConnectors(session, clock=self.ledger.clock).ticket(ticket)
        if live is None:
            return _ENDED
        return live.error or ""

    def close_connection(self, ticket: str) -> str:
        with self.ledger.db.session() as session:
            connectors = WebConnectors(session, clock=self.ledger.clock)
            held = connectors.held(ticket)
            if held is None:
                return _ENDED
            live, connector = held
            connectors.close_ticket(ticket)
            failed = bool(live.error and live.error != NOOP)
            if failed or live.step:  # a session that did something (none/busy: authenticate)
                finished = connector.progress == 100 and not failed
                connectors.set_outcome(
                    live.connection_id,
                    "done" if finished else "failed" if failed else "nothing_to_do",
                )
        if live.error and live.error != NOOP:
            return f"ledgerbridge: {live.error}"
        if connector.progress == 100 and live.step:
            return "ledgerbridge: QuickBooks is up to date."
        return "ledgerbridge: nothing to do."

    # --- helpers ---------------------------------------------------------------------------------

    def _is_desktop(self, session: Session, connection_id: str) -> bool:
        from_db = Connections(session).get_unscoped(connection_id)
        return from_db is not None and from_db.environment == DESKTOP

    def _session(
        self, live: StoredTicket, connector: StoredConnector, major: str, minor: str
    ) -> DesktopSession:
        version = qbxml.version_for(major, minor) if minor else major or qbxml.DEFAULT_VERSION
        return DesktopSession(
            connection_id=connector.connection_id,
            step=live.step,
            qbxml_version=version,
            owner_id=connector.owner_id,
        )

    def _record_company(
        self,
        session: Session,
        connector: StoredConnector,
        hcp: str,
        company_file: str,
        reported: str = "",
    ) -> str | None:
        """Record what the first request's answer says about the company file; the refusal's
        words when it is another file than the connection's, or when its QuickBooks is too old
        (qbXML below `core.web_connector.MIN_QBXML`, from the host answer, else the version the
        Web Connector passed as `reported`, else the one a session reported before): the
        session then sends nothing at all."""
        connectors = WebConnectors(session, clock=self.ledger.clock)
        connections = Connections(session)
        try:
            company = qbxml.company_of(hcp, connector.owner_id) if hcp else None
        except qbxml.Unreadable:
            company = None
        ours = connector.company_file
        # the FileID the Web Connector wrote into the file it was added with is the file's
        # identity; a path is only a place (a file moved, a drive letter against \\server):
        # another path with our FileID is our file, its new path recorded below
        same_file = company is not None and company.file_id == connector.file_id
        other_path = (
            ours is not None and company_file.casefold() != ours.casefold() and not same_file
        )
        other_file = company is not None and company.file_id not in (None, connector.file_id)
        if other_path or other_file:
            words = (
                f"QuickBooks has the company file {company_file} open, but this connection "
                f"works with {ours or 'another file'}. Open the right company file in "
                "QuickBooks on the PC, or start the connection fresh if the move is meant."
            )
            health.record(
                session,
                self.ledger.clock,
                connector.connection_id,
                catalog.CONNECTION_WRONG_COMPANY,
                {"company_file": company_file, "expected": ours},
                words,
            )
            connectors.set_error(connector.connection_id, words)
            self._status(
                session,
                connector.connection_id,
                "wrong_company",
                {"expected_company_file": ours, "company_file": company_file},
            )
            return words
        version = None
        if company is not None and company.versions:
            version = web_connector.newest_qbxml(company.versions) or company.versions[-1]
        elif reported:
            version = reported
        # a session that says nothing of its version (its host answer unreadable, no major
        # version passed) runs the QuickBooks the last one reported: too old stays too old
        version = version or connector.qbxml_version
        connectors.set_company(
            connector.connection_id,
            company_file=company_file or ours,
            company_name=company.name if company else connector.company_name,
            qbxml_version=version,
            closing_date=company.closing_date if company else connector.closing_date,
        )
        old = web_connector.too_old(version)
        if not old:  # QuickBooks opened the connection's file: what the PC reported is over
            health.clear(
                session, self.ledger.clock, connector.connection_id, web_connector.SESSION_CODES
            )
        if company is not None and company.name:
            connections.set_company(connector.connection_id, None, company.name)
        self._status(
            session, connector.connection_id, "active", {"company_file": company_file or ours}
        )
        if old:
            # every Add carries ExternalGUID (8.0+), refused by an older QuickBooks' parser as
            # a whole document: nothing is sent (records stay pending), the connection says why
            words = (
                f"This QuickBooks Desktop is too old for ledgerbridge: its Web Connector reports "
                f"qbXML {version}; ledgerbridge needs qbXML 8.0 (QuickBooks 2009) or newer. "
                "Update QuickBooks Desktop on the PC; the waiting records are sent then."
            )
            health.record(
                session,
                self.ledger.clock,
                connector.connection_id,
                catalog.CONNECTION_QUICKBOOKS_TOO_OLD,
                {"qbxml_version": version, "company_file": company_file or ours},
                words,
            )
            connectors.set_error(connector.connection_id, words)
            return words
        return None

    def _reported(
        self, session: Session, connector: StoredConnector, hresult: str, message: str
    ) -> None:
        """What the Web Connector reported about the PC (QuickBooks closed, another file open,
        single-user mode needed...) becomes the connection's problem, in the catalog's words
        (`core.web_connector.reported`); QuickBooks' own text is kept verbatim in its params."""
        code = web_connector.reported(hresult, message)
        params = {
            "message": message.strip() or None,
            "hresult": hresult.strip() or None,
            "company_file": connector.company_file,
        }
        if code == catalog.CONNECTION_WRONG_COMPANY:
            params["expected"] = connector.company_file
            params["company_file"] = None  # QuickBooks did not say which file it has open
            self._status(session, connector.connection_id, "wrong_company", {"company_file": None})
        health.record(
            session,
            self.ledger.clock,
            connector.connection_id,
            code,
            params,
            _reported(hresult, message),
        )

    def _status(
        self, session: Session, connection_id: str, status: str, detail: Mapping[str, Any]
    ) -> None:
        """The connection's status, with the app's event when it changes: "active" once the
        Web Connector's session shows the connection's company file, "wrong_company" while
        another file is open. (Push and pull passes take only connections with a QuickBooks
        Online company, so an active Desktop connection is left to its sessions.)"""
        connections = Connections(session)
        stored = connections.get_unscoped(connection_id)
        if stored is None or stored.status == status:
            return
        connections.set_status(connection_id, status)
        Events(session, clock=self.ledger.clock).append(
            connection_id, "connection.status_changed", {"status": status, **detail}
        )


_ABOUT_THE_PC: Final = web_connector.SESSION_CODES - {catalog.CONNECTION_WEB_CONNECTOR_ERROR}
"""What an hresult passed to receiveResponseXML may say about the PC rather than a request."""


def _reported(hresult: str, message: str) -> str:
    """What the Web Connector reported, verbatim (its hresult in brackets)."""
    text = message.strip() or "The Web Connector reported an error."
    return f"{text} ({hresult.strip()})" if hresult.strip() else text
