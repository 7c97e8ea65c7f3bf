"""The Web Connector service end to end: the Desktop emulator's Web Connector simulator polls
ledgerbridge's `/qbwc` over a real socket on localhost, as QBWC does from the PC.

What QuickBooks holds is read from the emulator's company file, not from ledgerbridge's account.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledgerbridge.engine.desktop.lookups import LookUps
from ledgerbridge.engine.ports import NOT_READY, DesktopSession, NotReady, QbxmlRequest, Taken
from qbd_emulator.model import Fault
from qbd_emulator.testing import asgi_transport
from tests.ledgerbridge.desktop.conftest import Desktop

pytestmark = pytest.mark.desktop_socket("the Web Connector's sessions over a socket, as QBWC calls")

FULL = [
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "sendRequestXML",
    "receiveResponseXML",
    "closeConnection",
]


def _status_events(desktop: Desktop) -> list[tuple[str, str]]:
    answer = desktop.http.get(f"/v1/connections/{desktop.connection['id']}/events")
    assert answer.status_code == 200, answer.text
    return [
        (event["payload"]["status"], event["payload"]["company_file"])
        for event in answer.json()["items"]
        if event["type"] == "connection.status_changed"
    ]


def _customers_in_quickbooks(desktop: Desktop) -> int:
    return sum(1 for record in desktop.company.all_records() if record.type == "Customer")


def test_the_qwc_file_names_the_service_the_user_and_stable_guids(desktop: Desktop) -> None:
    qwc = desktop.qwc()
    assert qwc["AppURL"] == f"{desktop.url}/qbwc"
    assert qwc["AppSupport"].startswith(desktop.url)
    assert qwc["AppName"] == "ledgerbridge Summit books"
    assert qwc["UserName"] == desktop.username
    assert qwc["QBType"] == "QBFS"
    assert qwc["IsReadOnly"] == "false"
    assert qwc["RunEveryNMinutes"] == "15"
    for guid in ("OwnerID", "FileID"):
        assert qwc[guid].startswith("{") and qwc[guid].endswith("}") and len(qwc[guid]) == 38
    assert (
        desktop.password
        not in desktop.http.get(f"/v1/connections/{desktop.connection['id']}/qwc").text
    )
    assert desktop.qwc() == qwc  # the same file every time: the GUIDs stay


def test_only_desktop_connections_have_a_qwc_file(desktop: Desktop) -> None:
    online = desktop.http.post("/v1/connections", json={"name": "Web", "environment": "sandbox"})
    answer = desktop.http.get(f"/v1/connections/{online.json()['id']}/qwc")
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["field"] == "environment"


def test_a_session_runs_the_queries_and_records_the_company(desktop: Desktop) -> None:
    desktop.service.desktop_work = LookUps(desktop.ledger)  # the session-start look-ups
    desktop.company.closing_date = date(2026, 10, 31)
    log = desktop.connector().run_session()
    assert log.outcome == "done", log.to_json()
    assert [call.method for call in log.calls] == FULL
    assert log.calls[2].answer[1] == ""  # authenticate: work is due, the file open in QuickBooks
    assert [call.answer for call in log.calls if call.method == "receiveResponseXML"] == [50, 100]
    status = desktop.status()
    assert status["company_file"] == desktop.company.file_path
    assert status["company_name"] == "Summit Ridge Builders"
    assert status["closing_date"] == "2026-10-31"
    assert status["qbxml_version"] == "13.0"
    assert status["progress"] == 100
    assert status["last_error"] is None
    assert status["found"]["customers"] == _customers_in_quickbooks(desktop) > 0
    stored = desktop.stored_connection()
    assert stored["company_name"] == "Summit Ridge Builders"
    assert stored["status"] == "active"
    assert _status_events(desktop) == [("active", desktop.company.file_path)]


def test_nothing_due_is_none_until_the_schedule_comes_round(desktop: Desktop) -> None:
    connector = desktop.connector()
    assert connector.run_session().outcome == "done"
    desktop.clock.advance(minutes=5)
    log = connector.run_session()
    assert log.outcome == "nothing to do"
    assert log.calls[2].answer[1] == "none"
    assert [call.method for call in log.calls] == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "closeConnection",
    ]
    desktop.clock.advance(minutes=15)
    assert connector.run_session().outcome == "done"


def test_a_wrong_password_or_user_is_nvu(desktop: Desktop) -> None:
    log = desktop.connector(password="not the password").run_session()
    assert log.outcome == "invalid user"
    assert log.calls[2].answer[1] == "nvu"
    assert log.calls[2].sent["strPassword"] == "****"
    assert desktop.status()["last_seen_at"] is None


def test_another_company_file_open_is_wrong_company(desktop: Desktop) -> None:
    connector = desktop.connector()
    assert connector.run_session().outcome == "done"
    other = desktop.emulator.create_company("Someone Else's Books", preset="demo")
    connector.open_company_id = other.id
    desktop.clock.advance(minutes=20)
    log = connector.run_session()
    assert log.company_file == other.file_path
    assert "receiveResponseXML" not in [call.method for call in log.calls]  # no work handed out
    last = [call for call in log.calls if call.method == "getLastError"][-1]
    assert other.file_path in last.answer
    stored = desktop.stored_connection()
    assert stored["problem"]["code"] == "connection.wrong_company"
    assert stored["status"] == "wrong_company"
    assert desktop.status()["company_file"] == desktop.company.file_path  # still the first one
    # the right file open again: the problem clears
    connector.open_company_id = None
    assert connector.run_session().outcome == "done"
    assert desktop.stored_connection()["problem"] is None
    assert desktop.stored_connection()["status"] == "active"
    assert _status_events(desktop) == [
        ("active", desktop.company.file_path),
        ("wrong_company", other.file_path),
        ("active", desktop.company.file_path),
    ]


def test_quickbooks_closed_is_a_connection_error_recorded(desktop: Desktop) -> None:
    connector = desktop.connector()
    connector.quickbooks = "closed"
    log = connector.run_session()
    assert log.outcome == "connection error"
    methods = [call.method for call in log.calls]
    assert methods[-2:] == ["connectionError", "closeConnection"]
    assert log.calls[-2].answer == "done"
    error = desktop.status()["last_error"]
    assert "company data file name must be supplied" in error and "0x80040416" in error


def test_work_not_ready_is_noop_then_the_session_goes_on(desktop: Desktop) -> None:
    class Slow:
        """Work that is not ready the first two times it is asked."""

        def __init__(self, inner: LookUps) -> None:
            self.inner = inner
            self.waits = 2

        def due(self, connection_id: str) -> bool:
            return self.inner.due(connection_id)

        def next_request(self, session: DesktopSession) -> QbxmlRequest | NotReady | None:
            if self.waits:
                self.waits -= 1
                return NOT_READY
            return self.inner.next_request(session)

        def take_response(self, session: DesktopSession, request_id: str, response: str) -> Taken:
            return self.inner.take_response(session, request_id, response)

    desktop.service.desktop_work = Slow(LookUps(desktop.ledger))
    log = desktop.connector().run_session()
    assert log.outcome == "done", log.to_json()
    methods = [call.method for call in log.calls]
    assert methods[3:8] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
    ]
    noops = [call.answer for call in log.calls if call.method == "getLastError"]
    assert noops == ["NoOp", "NoOp"]
    assert desktop.status()["found"]["customers"] == _customers_in_quickbooks(desktop)


def test_the_company_file_refusing_a_request_is_recorded(desktop: Desktop) -> None:
    desktop.service.desktop_work = LookUps(desktop.ledger)  # the session-start look-ups
    connector = desktop.connector()
    desktop.company.faults.append(
        Fault("f1", "CustomerQueryRq", 1, hresult="0x80040400", message="QuickBooks found an error")
    )
    log = connector.run_session()
    receive = [call for call in log.calls if call.method == "receiveResponseXML"]
    assert [call.answer for call in receive] == [50, -1], log.to_json()
    assert [call.method for call in log.calls][-2:] == ["getLastError", "closeConnection"]
    assert desktop.status()["last_error"] == "QuickBooks found an error (0x80040400)"
    assert desktop.status()["progress"] == 50


def test_through_the_asgi_transport_without_a_socket(desktop: Desktop) -> None:
    desktop.service.desktop_work = LookUps(desktop.ledger)  # the session-start look-ups
    app: Any = desktop.service  # the same service, served in-process
    from ledgerbridge.api import create_app

    with asgi_transport(create_app(app)) as transport:
        log = desktop.connector(transport=transport).run_session()
    assert log.outcome == "done", log.to_json()
    assert desktop.status()["found"]["customers"] == _customers_in_quickbooks(desktop)


def test_a_new_password_replaces_the_old_one(desktop: Desktop) -> None:
    connector = desktop.connector()
    made = desktop.http.post(f"/v1/connections/{desktop.connection['id']}/web-connector-password")
    assert made.json()["username"] == desktop.username
    assert connector.run_session().outcome == "invalid user"
    connector.password = made.json()["password"]
    assert connector.run_session().outcome == "done"


def test_failed_logins_make_the_next_attempts_wait_without_a_lock(desktop: Desktop) -> None:
    wrong = desktop.connector(password="guess")
    for _ in range(6):
        assert wrong.run_session().outcome == "invalid user"
    right = desktop.connector()
    assert right.run_session().outcome == "invalid user"  # waits: the password is not checked
    desktop.clock.advance(minutes=16)  # the longest wait for one user name
    assert right.run_session().outcome == "done"


def test_a_desktop_connection_has_no_oauth_sign_in(desktop: Desktop) -> None:
    answer = desktop.http.get(f"/v1/connections/{desktop.connection['id']}/connect?format=json")
    assert answer.status_code == 422
    problem = answer.json()["error"]["problems"][0]
    assert problem["field"] == "environment" and ".qwc" in problem["message"]


def test_a_second_session_while_one_is_at_work_is_busy(desktop: Desktop) -> None:
    first = desktop.connector()
    first.halt_after_exchanges = 1  # stops half-way: no closeConnection
    assert first.run_session().outcome == "halted"
    second = desktop.connector()  # another PC with the same .qwc file
    log = second.run_session()
    assert log.outcome == "service busy", log.to_json()
    assert log.calls[2].answer[1:] == ["busy", "120"]
    desktop.clock.advance(minutes=3)  # the halted session has gone quiet
    assert second.run_session().outcome == "done"
