"""Start fresh on a QuickBooks Desktop connection while its pass is at work: a Web Connector
session's answers arriving after the person started fresh (the old company file's ListIDs, its
lists read by the pass's pull) are never stored onto the connection, which now works with
another file; the records are sent to the new file, as its own export shows.

A Desktop connection has no realm (before and after Start fresh alike): its company is the
file its Web Connector's sessions opened (`storage.connections.Company`). The pass runs in
the service's thread; the person's Start fresh is made to happen at one exact point of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledgerbridge.engine import pull
from ledgerbridge.engine.actions import WAITING, remote
from ledgerbridge.engine.desktop.exchange import QueuedExchange
from ledgerbridge.engine.desktop.passes import DesktopPasses
from ledgerbridge.engine.push import outcomes
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.desktop_requests import DesktopRequests
from ledgerbridge.storage.web_connectors import WebConnectors
from qbd_emulator.model import Company
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.before_next_call import before_next_call
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_failures_e2e import listed
from tests.ledgerbridge.desktop.test_fixes_e2e import _cara_in_use, act
from tests.ledgerbridge.desktop.test_push_e2e import connected, put, record, sessions
from tests.ledgerbridge.lock_waits import Racer

pytestmark = pytest.mark.in_process("the race is made at one point of the pass in this process")

OLD_CLIENT = "Old Books Client"


def _customers(company: Company) -> list[tuple[str, str]]:
    """The company file's customers (its own export): (ListID, Name)."""
    return [(r.id, r.data["Name"]) for r in company.all_records() if r.type == "Customer"]


def _start_fresh_in(desktop: Desktop, connector: WebConnector, new: Company) -> None:
    """The person disconnects and starts fresh; on the PC, the Web Connector (its .qwc added
    to the new file, which then carries its FileID) has the new company file open."""
    cid = desktop.connection["id"]
    desktop.service.disconnect(desktop.key_id, cid)
    desktop.service.start_fresh(desktop.key_id, cid, "ann")
    new.data_ext.setdefault(connector.owner_id.upper(), {})["FileID"] = connector.file_id
    connector.open_company_id = new.id


def _start_fresh_at(
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    connector: WebConnector,
    new: Company,
    owner: Any,
    name: str,
) -> list[bool]:
    """The next call of `owner.name` (a step of the pass) is made after the person started
    fresh in `new`; later calls are left alone. The list gets an item once it happened."""
    return before_next_call(
        monkeypatch, owner, name, lambda: _start_fresh_in(desktop, connector, new)
    )


def _the_record_lands_in(
    desktop: Desktop,
    connector: WebConnector,
    new: Company,
    app_id: str = "c1",
    named: str = OLD_CLIENT,
) -> dict[str, Any]:
    """The next sessions (the new file open) create the customer there, once, and the record
    says synced to that customer. The record as shown."""
    desktop.clock.advance(minutes=3)  # past the last session's busy window
    sessions(connector)
    made = [list_id for list_id, name in _customers(new) if name == named]
    assert len(made) == 1, _customers(new)
    shown = record(desktop, "customer", app_id)
    assert (shown["status"], shown["quickbooks_id"]) == ("synced", made[0]), shown
    assert desktop.status()["company_file"] == new.file_path
    return shown


def _old_files_create_answered_after_start_fresh(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch, connector: WebConnector
) -> Company:
    """A customer put, the person starting fresh into a new file right before the pass stores
    the old file's answer to its CustomerAdd: the old file has it (QuickBooks did it), the record
    is still pending and linked to nothing, and lands in the new file next. The old file."""
    old, new = desktop.company, desktop.emulator.create_company("New Books")
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    called = _start_fresh_at(desktop, monkeypatch, connector, new, outcomes, "store_successes")
    connector.run_session()
    assert called
    assert [name for _, name in _customers(old)].count(OLD_CLIENT) == 1  # QuickBooks did it
    shown = record(desktop, "customer", "c1")
    assert shown["status"] == "pending" and shown["quickbooks_id"] is None, shown
    _the_record_lands_in(desktop, connector, new)
    return old


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_create_the_old_file_answers_after_start_fresh_is_not_stored(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old file answers the pass's CustomerAdd after the person started fresh: the answer
    is not stored (it said synced, linked to the old file's ListID, and the new file never got
    the customer: both connections have no realm, so a check of the realm let it through)."""
    connector = connected(desktop)
    old = _old_files_create_answered_after_start_fresh(desktop, monkeypatch, connector)
    assert [name for _, name in _customers(old)].count(OLD_CLIENT) == 1


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_read_of_the_old_file_ending_after_start_fresh_is_not_stored(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first session's pull reads the old file whole; the person starts fresh before it is
    stored: nothing of the old file goes into the mirror, nor a cursor that would skip the new
    file's first full read."""
    desktop.clock.now = datetime.now(UTC) + timedelta(minutes=1)  # as `connected` sets it
    new = desktop.emulator.create_company("New Books")
    opened = desktop.ledger.quickbooks
    connector: list[WebConnector] = []

    @contextmanager
    def hooked(*args: Any, **kwargs: Any) -> Iterator[Any]:
        client: AbstractContextManager[Any] = opened(*args, **kwargs)
        with client as inside:
            yield inside
        if connector and not called:  # the pull's reads are done, nothing stored yet
            called.append(True)
            _start_fresh_in(desktop, connector[0], new)

    called: list[bool] = []
    monkeypatch.setattr(desktop.ledger, "quickbooks", hooked)
    connector.append(desktop.connector())
    connector[0].run_session()
    assert called
    monkeypatch.setattr(desktop.ledger, "quickbooks", opened)
    cid = desktop.connection["id"]
    assert pull.mirror_is_empty(desktop.ledger, cid)
    assert desktop.stored_connection()["last_pull_at"] is None
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    _the_record_lands_in(desktop, connector[0], new)


_QUEUED_NAME = "Queued For The Old File"
_QUEUED = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><CustomerAddRq requestID="old-1"><CustomerAdd>'
    f"<Name>{_QUEUED_NAME}</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
)


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_request_queued_for_the_old_file_is_not_handed_to_the_new_one(
    desktop: Desktop,
) -> None:
    """A request the old file's pass queued and no session took yet (the Web Connector
    stopped) is taken back at Start fresh: the new file's first session is not handed it
    (an Add built for the old file, made in the new one)."""
    connector = connected(desktop)
    new = desktop.emulator.create_company("New Books")
    with desktop.ledger.db.session() as session:
        DesktopRequests(session, clock=desktop.ledger.clock).queue(
            desktop.connection["id"], "old-1", _QUEUED
        )
    _start_fresh_in(desktop, connector, new)
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    _the_record_lands_in(desktop, connector, new)
    handed = [c.answer for s in connector.sessions for c in s.calls if c.method == "sendRequestXML"]
    assert not any(_QUEUED_NAME in str(answer) for answer in handed)
    assert _QUEUED_NAME not in [name for _, name in _customers(new)]


def _ended(connector: WebConnector, number: int) -> None:
    """Wait (the pass's thread) until the connector's session `number` has ended."""
    deadline = time.monotonic() + 60
    while len(connector.sessions) < number or connector.sessions[number - 1].ended is None:
        assert time.monotonic() < deadline, f"the Web Connector's session {number} never ended"
        time.sleep(0.01)


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_request_the_old_pass_queues_after_start_fresh_never_reaches_the_new_file(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old file's pass queues its CustomerAdd just after the person started fresh (and
    after the old file's session ended, the Add not taken): the new file's first session is
    not handed it. Handed, it made the customer in the new file, whose answer the pass could
    not store (another company): the record, still pending, was sent again by the next pass,
    and met its own customer as a name in use (an error; a transaction, whose number QuickBooks
    need not keep unique, was made twice)."""
    connector = connected(desktop)
    new = desktop.emulator.create_company("New Books")
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    asked = QueuedExchange.exchange
    old_session = len(connector.sessions) + 1
    happened: list[bool] = []

    def exchange(self: QueuedExchange, key: str, document: str) -> str:
        if "CustomerAddRq" in document and not happened:
            happened.append(True)
            connector.max_noops = 0  # the old file's session ends at its next NoOp
            _start_fresh_in(desktop, connector, new)
            _ended(connector, old_session)  # the Add is queued after that session ended
        return asked(self, key, document)

    monkeypatch.setattr(QueuedExchange, "exchange", exchange)
    connector.run_session()  # the old file's session: its pass starts, and queues the Add
    assert happened
    connector.max_noops = 10
    desktop.clock.advance(minutes=3)
    connector.run_session()  # the new file's first session
    _the_record_lands_in(desktop, connector, new)


@pytest.mark.failure_mode("connection.wrong_company")
def test_an_answer_from_a_file_never_named_is_not_stored_after_start_fresh(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Web Connector never named the old file (an empty strCompanyFileName): the
    connection's company was no realm and no file, before the Start fresh and after it alike,
    and the old file's answer to the pass's CustomerAdd, arriving after the person started
    fresh, passed for the connection's and was stored (synced, linked to the old file's
    ListID; the new file never got the customer). Start fresh makes it another company."""
    desktop.company.file_path = ""  # what the Web Connector says of the old file's name
    connector = connected(desktop)
    assert desktop.status()["company_file"] is None
    _old_files_create_answered_after_start_fresh(desktop, monkeypatch, connector)


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_fix_asked_of_the_old_file_is_withdrawn_at_start_fresh(desktop: Desktop) -> None:
    """A Link asked of the old file (to its customer in use, by ListID) still waits for the
    Web Connector when the person starts fresh: it is withdrawn, not carried out in the new
    file, where the same ListID is another customer (a file made from a copy keeps its ids):
    carried out, it linked the record to that customer, and its own was never made."""
    connector = _cara_in_use(desktop)
    cara = listed(desktop, "Customer", "Cara Moss")
    asked = act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    assert asked["result"]["summary"] == WAITING
    new = desktop.emulator.create_company("New Books")
    new.stamp = desktop.company.stamp  # the new file's next customer has Cara's old ListID
    new.counters["Entity"] = int(cara["ListID"].split("-")[0], 16)
    _, error = desktop.emulator.process_direct(
        new,
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        '"stopOnError"><CustomerAddRq><CustomerAdd><Name>Someone Else</Name></CustomerAdd>'
        "</CustomerAddRq></QBXMLMsgsRq></QBXML>",
    )
    assert error is None and (cara["ListID"], "Someone Else") in _customers(new)
    _start_fresh_in(desktop, connector, new)
    shown = _the_record_lands_in(desktop, connector, new, "cara", "Cara Moss")
    assert shown["waiting"] is None


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_session_starting_as_the_person_starts_fresh_reads_the_file_as_held(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new file is open on the PC (the connection wrong_company); a session's first
    sendRequestXML and the person's Start fresh come at once. The session reads the
    connection's file with its Web Connector's row held: Start fresh comes after it whole
    (the session refused as the old connection's, then the connection not_connected), or
    before. On PostgreSQL the session read the old file's path before the lock, Start fresh
    committed meanwhile, and the refusal was written over it: wrong_company again."""
    connector = connected(desktop)
    new = desktop.emulator.create_company("New Books")  # no .qwc added to it yet: no FileID
    connector.open_company_id = new.id
    desktop.clock.advance(minutes=16)
    connector.run_session()
    assert desktop.stored_connection()["status"] == "wrong_company"
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    cid = desktop.connection["id"]
    person = Racer(lambda: desktop.service.start_fresh(desktop.key_id, cid, "ann"))
    seen = WebConnectors.seen

    def seen_as_the_person_starts_fresh(self: WebConnectors, connection_id: str) -> bool:
        monkeypatch.setattr(WebConnectors, "seen", seen)
        # waits for this transaction when it holds the Web Connector's row
        person.start_within(desktop.ledger.db, self._session, may_end_first=True)
        return seen(self, connection_id)

    def ticket_then_hook(self: WebConnectors, ticket: str) -> Any:
        monkeypatch.setattr(WebConnectors, "ticket", ticket_read)
        monkeypatch.setattr(WebConnectors, "seen", seen_as_the_person_starts_fresh)
        return ticket_read(self, ticket)

    ticket_read = WebConnectors.ticket
    desktop.clock.advance(minutes=3)
    monkeypatch.setattr(WebConnectors, "ticket", ticket_then_hook)  # sendRequestXML's first
    connector.run_session()
    person.finish()
    assert desktop.stored_connection()["status"] == "not_connected"
    _the_record_lands_in(desktop, connector, new)


def _audited(desktop: Desktop, record_type: str, app_id: str, action: str) -> dict[str, Any]:
    """What the newest audit entry of `action` on the record says it left behind."""
    with desktop.ledger.db.session(readonly=True) as session:
        entries = Audit(session).of(
            desktop.connection["id"], record_type=record_type, record_id=app_id
        )
    found = [entry for entry in entries if entry.action == action]
    assert found, entries
    return dict(found[0].after or {})


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_fix_under_way_at_start_fresh_stores_nothing_for_the_old_file(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Link asked of the old file is being carried out by its session (QuickBooks has just
    answered its read of the customer) when the person starts fresh: nothing of it is stored,
    and its audit entry says it was withdrawn. Stored, the record said synced, linked to the
    old file's customer (a ListID the new file does not have), and was never sent to the new
    file; its audit entry said linked."""
    connector = _cara_in_use(desktop)
    old = desktop.company
    cara = listed(desktop, "Customer", "Cara Moss")
    act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    new = desktop.emulator.create_company("New Books")
    called = _start_fresh_at(desktop, monkeypatch, connector, new, remote, "_body")
    desktop.clock.advance(minutes=3)
    connector.run_session()
    assert called
    shown = record(desktop, "customer", "cara")
    assert (shown["status"], shown["quickbooks_id"], shown["waiting"]) == ("pending", None, None)
    assert "withdrawn" in _audited(desktop, "customer", "cara", "link")
    assert [name for _, name in _customers(old)].count("Cara Moss") == 1  # the old file's own
    _the_record_lands_in(desktop, connector, new, "cara", "Cara Moss")
    assert "withdrawn" in _audited(desktop, "customer", "cara", "link")


@pytest.mark.failure_mode("connection.wrong_company")
def test_an_old_file_session_going_on_after_start_fresh_gets_nothing_of_the_new_company(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old file's session is between two calls (the first of two customers made there)
    when the person starts fresh, and the new file's first session (another PC, the old one
    quiet past the busy window) starts the new company's pass, then stops after one answer.
    The old file's session then asks for the next request: it is handed nothing. Handed the
    new company's requests, the old file answered them: its lists went into the new
    company's mirror and the second customer was made in the old file, stored as synced for
    the new company, which never got it."""
    old_pc = connected(desktop)
    old, new = desktop.company, desktop.emulator.create_company("New Books")
    new_pc = desktop.connector()
    new_pc.max_noops = 120  # the old pass ends first: the new file's session asks meanwhile
    put(desktop, "customer", "c0", display_name="First Client")
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    # due by the wall clock: on a loaded machine it may pass the test's, set a minute ahead
    desktop.clock.advance(minutes=2)
    called = old_pc._call
    happened: list[bool] = []

    def old_file_pauses(client: Any, log: Any, method: str, params: Any, kind: str) -> Any:
        answered = [c for c in log.calls if c.method == "receiveResponseXML"]
        made = any("CustomerAddRs" in str(c.sent.get("response")) for c in answered)
        if method == "sendRequestXML" and made and not happened:
            happened.append(True)
            desktop.clock.advance(minutes=3)  # the old file's session quiet meanwhile
            _start_fresh_in(desktop, new_pc, new)
            new_pc.halt_after_exchanges = 1
            assert new_pc.run_session().outcome == "halted"
        return called(client, log, method, params, kind)

    monkeypatch.setattr(old_pc, "_call", old_file_pauses)
    log = old_pc.run_session()
    assert happened, log.to_json()
    assert [name for _, name in _customers(old)].count("First Client") == 1
    assert OLD_CLIENT not in [name for _, name in _customers(old)], _customers(old)
    desktop.clock.advance(minutes=3)  # past the new file's halted session's busy window
    sessions(new_pc)
    for app_id, name in (("c0", "First Client"), ("c1", OLD_CLIENT)):
        made = [list_id for list_id, named in _customers(new) if named == name]
        assert len(made) == 1, _customers(new)
        shown = record(desktop, "customer", app_id)
        assert (shown["status"], shown["quickbooks_id"]) == ("synced", made[0]), shown
    assert OLD_CLIENT not in [name for _, name in _customers(old)], _customers(old)


def test_a_request_taken_as_the_person_starts_fresh_is_not_handed_to_the_old_file(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old file's session has just taken the pass's CustomerAdd (after its ticket was
    checked) when the person starts fresh: the session is ended, and the request is not handed
    to it (handed out, the old file made the customer after Start fresh). The record lands in
    the new file once."""
    connector = connected(desktop)
    old, new = desktop.company, desktop.emulator.create_company("New Books")
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    original = DesktopPasses.next_request
    happened: list[bool] = []

    def then_start_fresh(self: DesktopPasses, session: Any) -> Any:
        taken = original(self, session)
        if not happened and "CustomerAddRq" in str(getattr(taken, "qbxml", "")):
            happened.append(True)
            _start_fresh_in(desktop, connector, new)
        return taken

    monkeypatch.setattr(DesktopPasses, "next_request", then_start_fresh)
    connector.run_session()
    assert happened
    monkeypatch.setattr(DesktopPasses, "next_request", original)
    assert OLD_CLIENT not in [name for _, name in _customers(old)], _customers(old)
    _the_record_lands_in(desktop, connector, new)


def test_an_answer_the_old_file_gives_as_the_person_starts_fresh_writes_nothing_after_it(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old file's session answers while the person starts fresh (and the Web Connector's
    row then says something of the new file): the ended session writes no progress and clears
    no error over it (at 100% it cleared the connector's error, hiding, say, the new file's
    refusal)."""
    connector = connected(desktop)
    new = desktop.emulator.create_company("New Books")
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    cid = desktop.connection["id"]
    original = DesktopPasses.take_response
    happened: list[bool] = []

    def then_start_fresh(self: DesktopPasses, session: Any, request_id: str, answer: str) -> Any:
        taken = original(self, session, request_id, answer)
        if not happened:
            happened.append(True)
            _start_fresh_in(desktop, connector, new)
            with desktop.ledger.db.session() as stored:
                connectors = WebConnectors(stored, clock=desktop.ledger.clock)
                connectors.set_progress(cid, 7)
                connectors.set_error(cid, "said of the new file")
        return taken

    monkeypatch.setattr(DesktopPasses, "take_response", then_start_fresh)
    connector.run_session()
    assert happened
    with desktop.ledger.db.session(readonly=True) as stored:
        now = WebConnectors(stored, clock=desktop.ledger.clock).get(cid)
    assert now is not None
    assert (now.progress, now.last_error) == (7, "said of the new file")


def test_the_old_files_connection_error_as_the_person_starts_fresh_writes_nothing_after_it(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QuickBooks is closed on the PC: the old file's session reports a connection error just
    as the person starts fresh. A session Start fresh ended writes nothing after it: the
    connection stays not_connected. On PostgreSQL the call read its ticket before Start fresh
    committed and wrote the error after it all the same (now it reads the ticket again with
    the Web Connector's row held, as the other calls do: `WebConnectors.held`)."""
    connector = connected(desktop)
    put(desktop, "customer", "c1", display_name=OLD_CLIENT)
    connector.quickbooks = "closed"

    cid = desktop.connection["id"]

    def start_fresh() -> None:
        desktop.service.disconnect(desktop.key_id, cid)
        desktop.service.start_fresh(desktop.key_id, cid, "ann")

    person = Racer(start_fresh)
    ticket_read = WebConnectors.ticket

    def read_as_the_person_starts_fresh(self: WebConnectors, ticket: str) -> Any:
        monkeypatch.setattr(WebConnectors, "ticket", ticket_read)
        live = ticket_read(self, ticket)
        # on SQLite Start fresh waits for this write transaction, on PostgreSQL it ends
        person.start_within(desktop.ledger.db, self._session, may_end_first=True)
        return live

    desktop.clock.advance(minutes=16)
    monkeypatch.setattr(WebConnectors, "ticket", read_as_the_person_starts_fresh)
    log = connector.run_session()
    person.finish()
    assert [call.method for call in log.calls][-2:] == ["connectionError", "closeConnection"]
    stored = desktop.stored_connection()
    assert stored["status"] == "not_connected", stored
    written = "0x80040416" in (desktop.status()["last_error"] or "")
    # SQLite runs one write at a time: Start fresh came after the call whole, and the error
    # (about the PC, true of it still) stands; on PostgreSQL it came between the call's
    # reads, and the call, its session ended, wrote nothing
    assert written == (desktop.ledger.db.engine.dialect.name == "sqlite"), desktop.status()
