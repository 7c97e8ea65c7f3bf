"""A Web Connector polling a SOAP service, as Intuit's QBWC does (shared/qbd-reference.md §1, §5):

    serverVersion -> clientVersion -> authenticate
      -> [the company file is opened; failure -> connectionError, retried on the path it answers
          (twice at most) until "done"]
      -> (sendRequestXML -> [QuickBooks answers the qbXML] -> receiveResponseXML)*
      -> closeConnection

- the first sendRequestXML of a session carries the HostQuery/CompanyQuery/PreferencesQuery
  answer in strHCPResponse, later ones "";
- an empty request -> getLastError: "NoOp" waits `noop_delay` seconds and asks again (at most
  `max_noops` times, the real one asks until the service gives work), other text ends the session;
- receiveResponseXML's answer: 100 done -> closeConnection, 0-99 more, negative -> getLastError
  -> closeConnection; a request QuickBooks refused whole arrives as hresult/message, response "";
- authenticate's [1]: "nvu" / "none" / "busy" -> closeConnection; "" the open file; else a path;
  [2] postpones the next update by that many seconds, [3] makes the interval at least that long.

Controls (the admin API's): QuickBooks closed, another company file open, the file busy (in
single-user use elsewhere), answers lost after QuickBooks applied them (the session breaks off
with no receiveResponseXML, as when the connection drops), a halt after N exchanges (the PC
switched off half-way), a schedule, and stop (silence).
"""

from __future__ import annotations

import functools
import secrets
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from qbd_emulator.model import Company
from qbd_emulator.processor import Session
from qbd_emulator.statuses import ProcessorError
from qbd_emulator.webconnector import soap

QB_CLOSED_NO_PATH = (
    "0x80040416",
    "If QuickBooks is not running, the company data file name must be supplied to BeginSession.",
)
QB_CANNOT_START = ("0x80040408", "Could not start QuickBooks.")
OTHER_FILE_OPEN = (
    "0x80040409",
    "A QuickBooks company data file is already open and it is different from the one requested.",
)
FILE_BUSY = (
    "0x80040422",
    "This application requires Single User file access mode and there is already more than one "
    "user logged in to this company file.",
)
ACCESS_DENIED = ("0x80040420", "The QuickBooks user has denied access.")
MAX_CONNECTION_RETRIES = 2


def check_url(url: str) -> None:
    """The AppURL rule the Web Connector applies when a .qwc is added: https, or http on
    localhost only (G p.35, App. A: QBWC1010)."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https" and parsed.host:
        return
    if parsed.scheme == "http" and parsed.host == "localhost":
        return
    raise ValueError(
        "the Web Connector takes an https:// URL, or http:// on localhost only (QBWC1010)"
    )


class CompanyFiles(Protocol):
    def company(self, company_id: str) -> Company: ...

    def process(self, company: Company, session: Session, text: str) -> str: ...

    def end_session(self, session: Session) -> None: ...


@dataclass
class Call:
    method: str
    sent: dict[str, Any]
    answer: Any = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "sent": self.sent,
            "answer": self.answer,
            "error": self.error,
        }


@dataclass
class SessionLog:
    number: int
    started: datetime
    ended: datetime | None = None
    outcome: str = "running"
    company_file: str | None = None
    ticket: str | None = None
    calls: list[Call] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "outcome": self.outcome,
            "company_file": self.company_file,
            "ticket": self.ticket,
            "methods": [c.method for c in self.calls],
            "calls": [c.to_json() for c in self.calls],
            "notes": self.notes,
        }


class _End(Exception):
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class WebConnector:
    def __init__(
        self,
        files: CompanyFiles,
        *,
        url: str,
        username: str,
        password: str,
        company_id: str,
        app_name: str = "ledgerbridge",
        owner_id: str | None = None,
        file_id: str | None = None,
        qbwc_version: str = "2.3.0.215",
        noop_delay: float = 5.0,
        max_noops: int = 10,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        connector_id: str | None = None,
        verify: bool | str = True,
    ) -> None:
        check_url(url)
        self.files = files
        self.verify = verify
        self.id = connector_id or "qbwc-" + secrets.token_hex(4)
        self.url = url
        self.username = username
        self.password = password
        self.company_id = company_id
        self.app_name = app_name
        self.owner_id = owner_id or "{" + str(uuid.uuid4()).upper() + "}"
        self.file_id = file_id or "{" + str(uuid.uuid4()).upper() + "}"
        self.qbwc_version = qbwc_version
        self.noop_delay = noop_delay
        self.max_noops = max_noops
        self.timeout = timeout
        self.transport = transport
        # the PC: QuickBooks open with this connector's file, closed, or with another file;
        # "denied": open, but the application's access to the file refused there
        self.quickbooks = "open"
        self.open_company_id: str | None = None
        self.busy = False
        self.lose_answers = 0
        self.halt_after_exchanges: int | None = None
        self.every_seconds: float | None = None
        self.next_run: float | None = None
        self.sessions: list[SessionLog] = []
        self.last_seen: datetime | None = None
        self._running = threading.Lock()
        self._silenced = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # the Web Connector writes the .qwc's FileID into the file it was added with
        company = files.company(company_id)
        company.data_ext.setdefault(self.owner_id.upper(), {})["FileID"] = self.file_id

    # --- schedule ---------------------------------------------------------------------------------

    def schedule(self, every_seconds: float) -> None:
        """Run a session every `every_seconds` (the .qwc's RunEveryNSeconds with Auto-Run on)."""
        self.every_seconds = every_seconds
        self._silenced = False
        self.next_run = time.monotonic()
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=f"qbwc-{self.id}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Go silent: no more sessions (a running one breaks off before its next call)."""
        self.every_seconds = None
        self._silenced = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.timeout + 5)
        self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            every = self.every_seconds
            if every is None:
                return
            wait = max(0.0, (self.next_run or 0) - time.monotonic())
            if self._stop.wait(wait):
                return
            self.next_run = time.monotonic() + every
            if not self._silenced:
                self._run()

    def state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "username": self.username,
            "company_id": self.company_id,
            "app_name": self.app_name,
            "owner_id": self.owner_id,
            "file_id": self.file_id,
            "qbwc_version": self.qbwc_version,
            "quickbooks": self.quickbooks,
            "open_company_id": self.open_company_id,
            "busy": self.busy,
            "lose_answers": self.lose_answers,
            "halt_after_exchanges": self.halt_after_exchanges,
            "every_seconds": self.every_seconds,
            "noop_delay": self.noop_delay,
            "max_noops": self.max_noops,
            "sessions": len(self.sessions),
            "last_outcome": self.sessions[-1].outcome if self.sessions else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
        }

    # --- one session ------------------------------------------------------------------------------

    def run_session(self) -> SessionLog:
        """One update now, start to end, even when stopped (as "Update Selected" in QBWC)."""
        self._silenced = False
        return self._run()

    def _run(self) -> SessionLog:
        with self._running:  # sessions of one connector never overlap
            log = SessionLog(len(self.sessions) + 1, datetime.now(UTC))
            self.sessions.append(log)
            session = Session(f"{self.id}-{log.number}")
            with httpx.Client(
                transport=self.transport, timeout=self.timeout, verify=_tls(self.verify)
            ) as client:
                try:
                    self._session(client, log, session)
                except _End as end:
                    log.outcome = end.outcome
                except Exception as exc:  # never let a schedule die on a bug
                    log.outcome = "simulator error"
                    log.notes.append(f"{type(exc).__name__}: {exc}")
                finally:
                    self.files.end_session(session)
                    log.ended = datetime.now(UTC)
            return log

    def _call(
        self,
        client: httpx.Client,
        log: SessionLog,
        method: str,
        params: list[tuple[str, str | int]],
        kind: str,
    ) -> Any:
        if self._silenced and log.calls:
            raise _End("stopped")
        shown = {name: ("****" if name == "strPassword" else value) for name, value in params}
        call = Call(method, shown)
        log.calls.append(call)
        self.last_seen = datetime.now(UTC)
        try:
            response = client.post(
                self.url, content=soap.envelope(method, params), headers=soap.headers(method)
            )
        except httpx.HTTPError as exc:
            call.error = f"{type(exc).__name__}: {exc}"
            raise _End("connection failed") from None
        if response.status_code != 200:
            call.error = f"HTTP {response.status_code}"
            try:
                soap.string_result(method, response.content)
            except soap.BadAnswer as exc:
                call.error += f": {exc}"
            raise _End("service error")
        try:
            if kind == "array":
                call.answer = soap.array_result(method, response.content)
            elif kind == "int":
                call.answer = soap.int_result(method, response.content)
            else:
                call.answer = soap.string_result(method, response.content)
        except soap.BadAnswer as exc:
            call.error = str(exc)
            raise _End("bad answer") from None
        return call.answer

    def _session(self, client: httpx.Client, log: SessionLog, session: Session) -> None:
        self._call(client, log, "serverVersion", [], "str")
        verdict = self._call(
            client, log, "clientVersion", [("strVersion", self.qbwc_version)], "str"
        )
        if verdict.startswith("W:"):
            log.notes.append(f"warning shown: {verdict[2:]}")
        elif verdict.startswith(("E:", "O:")):
            log.notes.append(f"update refused: {verdict}")
            raise _End("client version refused")
        answer = self._call(
            client,
            log,
            "authenticate",
            [("strUserName", self.username), ("strPassword", self.password)],
            "array",
        )
        if len(answer) < 2:
            raise _End("bad authenticate answer")
        ticket, status = answer[0], answer[1]
        log.ticket = ticket
        self._postpone(answer, log)
        if status in ("nvu", "none", "busy"):
            self._call(client, log, "closeConnection", [("ticket", ticket)], "str")
            raise _End(
                {"nvu": "invalid user", "none": "nothing to do", "busy": "service busy"}[status]
            )
        company = self._open(client, log, ticket, status)
        session.single_user = False
        self._exchanges(client, log, session, ticket, company)

    def _postpone(self, answer: list[str], log: SessionLog) -> None:
        if len(answer) > 2 and answer[2].strip().isdigit() and int(answer[2]) > 0:
            self.next_run = time.monotonic() + int(answer[2])
            log.notes.append(f"next update postponed by {answer[2]} seconds")
        if len(answer) > 3 and answer[3].strip().isdigit() and self.every_seconds:
            self.every_seconds = max(self.every_seconds, float(answer[3]))
            log.notes.append(f"interval at least {answer[3]} seconds")

    def _open(self, client: httpx.Client, log: SessionLog, ticket: str, path: str) -> Company:
        """QuickBooks opening the file asked for (path "" = the file open now)."""
        for attempt in range(MAX_CONNECTION_RETRIES + 1):
            opened, failure = self._try_open(path)
            if opened is not None:
                log.company_file = opened.file_path
                return opened
            assert failure is not None
            log.notes.append(f"could not open the company file: {failure[0]} {failure[1]}")
            answer = self._call(
                client,
                log,
                "connectionError",
                [("ticket", ticket), ("hresult", failure[0]), ("message", failure[1])],
                "str",
            )
            if answer == "done" or attempt == MAX_CONNECTION_RETRIES:
                self._call(client, log, "closeConnection", [("ticket", ticket)], "str")
                raise _End("connection error")
            path = answer
        raise _End("connection error")

    def _try_open(self, path: str) -> tuple[Company | None, tuple[str, str] | None]:
        if self.quickbooks == "closed":
            return None, (QB_CLOSED_NO_PATH if not path else QB_CANNOT_START)
        if self.quickbooks == "denied":  # the application's access refused in QuickBooks
            return None, ACCESS_DENIED
        open_id = self.open_company_id or self.company_id
        try:
            open_company = self.files.company(open_id)
        except KeyError:
            return None, QB_CANNOT_START
        if path and path.casefold() != open_company.file_path.casefold():
            return None, OTHER_FILE_OPEN
        if self.busy:
            return None, FILE_BUSY
        return open_company, None

    def _hcp(self, company: Company, session: Session) -> str:
        request = (
            f'<?xml version="1.0" ?><?qbxml version="{company.qbxml_version}"?><QBXML>'
            '<QBXMLMsgsRq onError="continueOnError"><HostQueryRq requestID="1" />'
            f'<CompanyQueryRq requestID="2"><OwnerID>{self.owner_id}</OwnerID></CompanyQueryRq>'
            '<PreferencesQueryRq requestID="3" /></QBXMLMsgsRq></QBXML>'
        )
        return self.files.process(company, session, request)

    def _exchanges(
        self, client: httpx.Client, log: SessionLog, session: Session, ticket: str, company: Company
    ) -> None:
        hcp = self._hcp(company, session)
        major, minor = company.qbxml_version.split(".")
        noops = 0
        exchanges = 0
        while True:
            request = self._call(
                client,
                log,
                "sendRequestXML",
                [
                    ("ticket", ticket),
                    ("strHCPResponse", hcp),
                    ("strCompanyFileName", company.file_path),
                    ("qbXMLCountry", "US"),
                    ("qbXMLMajorVers", int(major)),
                    ("qbXMLMinorVers", int(minor)),
                ],
                "str",
            )
            hcp = ""
            if request == "":
                text = self._call(client, log, "getLastError", [("ticket", ticket)], "str")
                if text == "NoOp" and noops < self.max_noops:
                    noops += 1
                    if self.noop_delay:
                        self._stop.wait(self.noop_delay)
                    continue
                if text == "NoOp":
                    log.notes.append(
                        f"stopped after {noops} NoOps (the real Web Connector keeps asking)"
                    )
                elif text == "Interactive mode":
                    log.notes.append("interactive mode is not emulated")
                else:
                    log.notes.append(f"error shown: {text}")
                self._call(client, log, "closeConnection", [("ticket", ticket)], "str")
                raise _End("ended by the service")
            response, hresult, message = "", "", ""
            try:
                response = self.files.process(company, session, request)
            except ProcessorError as exc:
                hresult, message = exc.hresult, exc.message
            exchanges += 1
            if self.lose_answers > 0:
                self.lose_answers -= 1
                log.notes.append("QuickBooks applied the request; its answer was lost on the way")
                raise _End("answer lost")
            percent = self._call(
                client,
                log,
                "receiveResponseXML",
                [
                    ("ticket", ticket),
                    ("response", response),
                    ("hresult", hresult),
                    ("message", message),
                ],
                "int",
            )
            if self.halt_after_exchanges is not None and exchanges >= self.halt_after_exchanges:
                self.halt_after_exchanges = None
                raise _End("halted")
            if percent >= 100:
                answer = self._call(client, log, "closeConnection", [("ticket", ticket)], "str")
                log.notes.append(f"status shown: {answer}")
                raise _End("done")
            if percent < 0:
                text = self._call(client, log, "getLastError", [("ticket", ticket)], "str")
                log.notes.append(f"error shown: {text}")
                self._call(client, log, "closeConnection", [("ticket", ticket)], "str")
                raise _End("error")


@functools.cache
def _tls(verify: bool | str) -> ssl.SSLContext | bool:
    """The TLS context of a session's client, made once per setting (True: the default CA
    bundle; a path: that bundle), not once per session: loading a CA bundle costs tens of
    milliseconds of CPU, and the Web Connector runs a session every few seconds."""
    if verify is False:
        return False
    return httpx.create_ssl_context(verify=verify)
