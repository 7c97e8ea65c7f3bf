"""QuickBooks Desktop's connection-level failures, provoked through the emulated Web Connector
calling ledgerbridge's `/qbwc` in this process (the `desktop` fixture's transport), and over a
real socket for the tests marked `desktop_socket`: the Web Connector gone
silent, QuickBooks closed, another company file open, single-user mode needed, the Web
Connector's password refused. Each shows through the API (the connection, its Web Connector)
and the dashboard's connection page, and clears by itself once the PC is put right.

What the PC did is read from the simulator's own session log, not from ledgerbridge's account.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ledgerbridge.api import create_app
from ledgerbridge.core import web_connector
from ledgerbridge.dashboard.accounts import create_user
from ledgerbridge.dispatch import jobs
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.desktop.lookups import LookUps
from qbd_emulator.model import Fault
from qbd_emulator.testing import asgi_transport
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.dashboard.conftest import PASSWORD, sign_in
from tests.ledgerbridge.desktop.conftest import Desktop, database, desktop, socket_server
from tests.ledgerbridge.engine.e2e.test_notify_e2e import Receiver, receiver

# fixtures defined elsewhere, used here
__all__ = ["database", "desktop", "receiver", "socket_server"]


@pytest.fixture
def office(desktop: Desktop) -> Iterator[str]:
    """A dashboard user of the connection's API key: its email."""
    email = f"office-{desktop.key_id[-6:]}@example.com".lower()
    create_user(desktop.ledger, email, desktop.key_id, PASSWORD)
    yield email


def page(desktop: Desktop, email: str) -> str:
    """The connection's page in the dashboard, as the office user reads it (signed in afresh:
    the tests move the clock by hours)."""
    with desktop.client() as client:
        assert sign_in(client, email).status_code == 303
        answer = client.get(f"/dashboard/connections/{desktop.connection['id']}")
        assert answer.status_code == 200, answer.text
        overview = client.get("/dashboard/connections")
        assert overview.status_code == 200
        return html.unescape(answer.text)


def connection(desktop: Desktop) -> dict[str, Any]:
    return desktop.stored_connection()


def problem(desktop: Desktop) -> dict[str, Any] | None:
    found: dict[str, Any] | None = connection(desktop)["problem"]
    return found


def events(desktop: Desktop) -> list[tuple[str, dict[str, Any]]]:
    answer = desktop.http.get(f"/v1/connections/{desktop.connection['id']}/events")
    assert answer.status_code == 200, answer.text
    return [
        (event["type"], event["payload"])
        for event in answer.json()["items"]
        if event["type"] in ("connection.status_changed", "connection.problem_changed")
    ]


def health_round(desktop: Desktop) -> None:
    """The embedded dispatcher's periodic round (what `ledgerbridge serve` runs)."""
    InProcessDispatcher(desktop.ledger, clock=lambda: 0.0).run_once()


def first_session(desktop: Desktop, **options: Any) -> WebConnector:
    connector = desktop.connector(**options)
    assert connector.run_session().outcome == "done"
    assert connection(desktop)["status"] == "active"
    return connector


@pytest.mark.failure_mode("connection.web_connector_silent")
def test_a_silent_web_connector_shows_and_clears_when_it_calls_again(
    desktop: Desktop, office: str
) -> None:
    connector = first_session(desktop)
    seen = desktop.status()["last_seen_at"]
    assert desktop.status()["silent_after_minutes"] == 45  # three 15-minute updates
    assert int(desktop.qwc()["RunEveryNMinutes"]) == web_connector.RUN_EVERY_MINUTES == 15
    connector.stop()  # the PC is switched off: no more calls

    desktop.clock.advance(minutes=44)
    health_round(desktop)
    assert connection(desktop)["status"] == "active" and problem(desktop) is None

    desktop.clock.advance(minutes=2)
    health_round(desktop)
    shown = connection(desktop)
    assert shown["status"] == "connector_offline"
    assert shown["problem"]["code"] == "connection.web_connector_silent"
    assert "since 2026-12-05 12:00 UTC" in shown["problem"]["meaning"]
    assert "every 15 minutes" in shown["problem"]["meaning"]
    steps = " ".join(shown["problem"]["fix"])
    assert "the web connector and QuickBooks are open and running on the correct computer" in steps
    assert "Auto-Run" in steps and "Web Connector file" in steps
    status = desktop.status()
    assert status["status"] == "connector_offline" and status["last_seen_at"] == seen
    assert status["problem"]["code"] == "connection.web_connector_silent"
    shown_page = page(desktop, office)
    assert "The QuickBooks Web Connector has not called in" in shown_page
    assert "Connector offline" in shown_page
    assert "45 minutes without a call" in shown_page
    assert "Finished: QuickBooks is up to date" in shown_page  # its last update
    assert "open and running on the correct computer" in shown_page
    health_round(desktop)  # still silent: said once
    assert [e for e in events(desktop) if e[0] == "connection.status_changed"][-1][1][
        "status"
    ] == "connector_offline"

    assert connector.run_session().outcome == "done"  # the PC is back: the next update
    back = connection(desktop)
    assert back["status"] == "active" and back["problem"] is None
    assert "has not called in" not in page(desktop, office)
    assert events(desktop)[-4:] == [
        (
            "connection.problem_changed",
            {"code": "connection.web_connector_silent", "previous": None},
        ),
        (
            "connection.status_changed",
            {
                "status": "connector_offline",
                "previous": "active",
                "last_seen_at": "2026-12-05T12:00:00+00:00",
            },
        ),
        (
            "connection.problem_changed",
            {"code": None, "previous": "connection.web_connector_silent"},
        ),
        ("connection.status_changed", {"status": "active", "previous": "connector_offline"}),
    ]


def sweep(desktop: Desktop) -> None:
    """The job workers' periodic sweep (what `ledgerbridge worker` runs on PostgreSQL): its
    health round checks the Web Connectors too (a Desktop connection has no company id, so
    nothing is queued for it)."""
    assert jobs.sweep(desktop.ledger) == (0, 0)


def test_the_silence_follows_the_connection_setting(desktop: Desktop) -> None:
    first_session(desktop)
    path = f"/v1/connections/{desktop.connection['id']}/settings"
    refused = desktop.http.patch(path, json={"web_connector_silent_minutes": 5})
    assert refused.status_code == 422
    assert (
        refused.json()["error"]["problems"][0]["field"] == "settings.web_connector_silent_minutes"
    )
    changed = desktop.http.patch(path, json={"web_connector_silent_minutes": 120})
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["web_connector_silent_minutes"] == 120
    desktop.clock.advance(minutes=100)
    sweep(desktop)
    assert connection(desktop)["status"] == "active"
    desktop.clock.advance(minutes=21)
    sweep(desktop)
    assert connection(desktop)["status"] == "connector_offline"
    assert desktop.status()["silent_after_minutes"] == 120
    # a longer time set while silent: no longer silent, without waiting for a call
    desktop.http.patch(path, json={"web_connector_silent_minutes": 600})
    sweep(desktop)
    assert connection(desktop)["status"] == "active" and problem(desktop) is None


def test_a_web_connector_never_set_up_is_not_silent(desktop: Desktop) -> None:
    desktop.clock.advance(days=3)
    health_round(desktop)
    assert connection(desktop)["status"] == "not_connected" and problem(desktop) is None


@pytest.mark.failure_mode("connection.quickbooks_closed")
@pytest.mark.desktop_socket("the PC's Web Connector and the office's browser over a socket")
def test_quickbooks_closed_on_the_pc_shows_and_clears(desktop: Desktop, office: str) -> None:
    connector = first_session(desktop)
    connector.quickbooks = "closed"
    desktop.clock.advance(minutes=16)
    log = connector.run_session()
    assert log.outcome == "connection error"
    assert [c.method for c in log.calls][-2:] == ["connectionError", "closeConnection"]
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.quickbooks_closed"
    assert shown["title"] == "QuickBooks Desktop is not open on the PC"
    assert "company data file name must be supplied" in shown["meaning"]  # QuickBooks' words
    assert desktop.company.file_path in shown["fix"][0]
    assert connection(desktop)["status"] == "active"  # the Web Connector calls; QuickBooks is shut
    status = desktop.status()
    assert status["last_outcome"] == "failed" and "0x80040416" in status["last_error"]
    assert status["problem"]["code"] == "connection.quickbooks_closed"
    board = page(desktop, office)
    assert "QuickBooks Desktop is not open on the PC" in board
    assert "open QuickBooks and the company file" in board
    assert "Stopped: QuickBooks or the Web Connector reported a problem" in board

    connector.quickbooks = "open"
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome == "done"
    assert problem(desktop) is None
    assert desktop.status()["last_outcome"] == "done"
    assert "QuickBooks Desktop is not open on the PC" not in page(desktop, office)
    assert events(desktop)[-2:] == [
        ("connection.problem_changed", {"code": "connection.quickbooks_closed", "previous": None}),
        ("connection.problem_changed", {"code": None, "previous": "connection.quickbooks_closed"}),
    ]


def test_quickbooks_closed_through_the_in_process_transport(desktop: Desktop) -> None:
    app: Any = desktop.service
    with asgi_transport(create_app(app)) as transport:
        connector = desktop.connector(transport=transport)
        connector.quickbooks = "closed"
        assert connector.run_session().outcome == "connection error"
        shown = problem(desktop)
        assert shown is not None and shown["code"] == "connection.quickbooks_closed"
        connector.quickbooks = "open"
        assert connector.run_session().outcome == "done"
    assert problem(desktop) is None and connection(desktop)["status"] == "active"


@pytest.mark.failure_mode("connection.wrong_company")
def test_another_company_file_open_reads_as_the_pc_not_a_reconnect(
    desktop: Desktop, office: str
) -> None:
    connector = first_session(desktop)
    other = desktop.emulator.create_company("Someone Else's Books", preset="demo")
    connector.open_company_id = other.id
    desktop.clock.advance(minutes=16)
    assert connector.run_session().company_file == other.file_path
    shown = connection(desktop)
    assert shown["status"] == "wrong_company"
    words = shown["problem"]
    assert words["code"] == "connection.wrong_company"
    assert words["title"] == "QuickBooks has another company file open"
    assert other.file_path in words["meaning"] and desktop.company.file_path in words["meaning"]
    assert words["actions"] == []  # no sign-in to redo: the fix is made at the PC
    text = " ".join([words["meaning"], *words["fix"]])
    assert "Reconnect" not in text and "sign" not in text
    assert "open" in words["fix"][0] and desktop.company.file_path in words["fix"][0]
    status = desktop.status()
    assert status["status"] == "wrong_company"
    assert status["problem"]["title"] == "QuickBooks has another company file open"
    board = page(desktop, office)
    assert "QuickBooks has another company file open" in board
    assert "Reconnect QuickBooks" not in board and "Start fresh" not in board

    connector.open_company_id = None
    assert connector.run_session().outcome == "done"
    assert connection(desktop)["status"] == "active" and problem(desktop) is None
    assert "another company file open" not in page(desktop, office)


@pytest.mark.failure_mode("connection.single_user_needed")
def test_single_user_mode_needed_shows_and_clears(desktop: Desktop, office: str) -> None:
    connector = first_session(desktop)
    connector.busy = True  # others have the file open in multi-user mode
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome == "connection error"
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.single_user_needed"
    assert "Single User file access mode" in shown["meaning"]  # QuickBooks' words, verbatim
    assert "Switch to Single-user Mode" in " ".join(shown["fix"])
    status = desktop.status()
    assert status["problem"]["code"] == "connection.single_user_needed"
    assert "0x80040422" in status["last_error"] and status["last_outcome"] == "failed"
    assert "QuickBooks needs the company file in single-user mode" in page(desktop, office)

    connector.busy = False
    assert connector.run_session().outcome == "done"
    assert problem(desktop) is None
    assert "single-user mode" not in page(desktop, office)


@pytest.mark.failure_mode("connection.quickbooks_too_old")
def test_a_quickbooks_too_old_for_external_guids_shows_and_clears(
    desktop: Desktop, office: str
) -> None:
    desktop.company.qbxml_version = "7.0"  # QuickBooks 2008 on the PC: no ExternalGUID
    connector = desktop.connector()
    assert connector.run_session().outcome != "done"
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.quickbooks_too_old"
    assert "qbXML 7.0" in shown["meaning"] and "8.0" in shown["meaning"]
    assert any("Update QuickBooks Desktop" in step for step in shown["fix"]), shown["fix"]
    assert connection(desktop)["status"] == "active"  # nothing to reconnect: the PC's to fix
    assert "too old" in page(desktop, office)

    desktop.company.qbxml_version = "13.0"  # updated on the PC
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome == "done"
    assert problem(desktop) is None
    assert "too old" not in page(desktop, office)


def test_a_session_that_reports_no_version_keeps_a_quickbooks_known_too_old_refused(
    desktop: Desktop,
) -> None:
    desktop.company.qbxml_version = "7.0"
    assert desktop.connector().run_session().outcome != "done"
    assert problem(desktop) is not None
    # a later session whose host answer cannot be read and which passes no version: the
    # QuickBooks known from the last one is still too old, so nothing is sent to it
    desktop.clock.advance(minutes=16)
    ticket, due = desktop.service.qbwc_call(
        "authenticate", {"strUserName": desktop.username, "strPassword": desktop.password}
    )
    assert due == ""  # records wait for QuickBooks
    sent = desktop.service.qbwc_call(
        "sendRequestXML",
        {
            "ticket": ticket,
            "strHCPResponse": "<not qbXML",
            "strCompanyFileName": desktop.company.file_path,
            "qbXMLMajorVers": "",
            "qbXMLMinorVers": "",
        },
    )
    assert sent == ""
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.quickbooks_too_old"
    assert "qbXML 7.0" in shown["meaning"]


@pytest.mark.failure_mode("connection.quickbooks_access_denied")
def test_access_refused_in_quickbooks_shows_and_clears(desktop: Desktop, office: str) -> None:
    connector = first_session(desktop)
    connector.quickbooks = "denied"  # someone took ledgerbridge's access away in QuickBooks
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome == "connection error"
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.quickbooks_access_denied"
    assert "The QuickBooks user has denied access." in shown["meaning"]
    assert "Integrated Applications" in shown["fix"][0]
    assert "QuickBooks does not let ledgerbridge open the company file" in page(desktop, office)
    assert desktop.status()["problem"]["code"] == "connection.quickbooks_access_denied"

    connector.quickbooks = "open"  # access allowed again
    assert connector.run_session().outcome == "done"
    assert problem(desktop) is None


@pytest.mark.failure_mode("connection.web_connector_password_refused")
def test_a_refused_password_is_shown_after_the_second_call_and_clears(
    desktop: Desktop, office: str
) -> None:
    first_session(desktop)
    wrong = desktop.connector(password="typed wrong")
    assert wrong.run_session().outcome == "invalid user"
    assert problem(desktop) is None  # once may be a password being changed
    assert desktop.status()["refusals"] == 1
    desktop.clock.advance(minutes=15)
    log = wrong.run_session()
    assert log.outcome == "invalid user" and log.calls[2].answer[1] == "nvu"
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.web_connector_password_refused"
    assert "2 times in a row" in shown["meaning"] and "2026-12-05 12:15 UTC" in shown["meaning"]
    assert "Make a new Web Connector password" in shown["fix"][0]
    status = desktop.status()
    assert status["refusals"] == 2 and status["last_outcome"] == "password_refused"
    assert status["problem"]["code"] == "connection.web_connector_password_refused"
    board = page(desktop, office)
    assert "The Web Connector's password is not the right one" in board
    assert "Make a new Web Connector password" in board  # the button the fix names

    # a refused call is a call: no silence while it keeps refusing
    desktop.clock.advance(minutes=40)
    wrong.run_session()
    desktop.clock.advance(minutes=10)
    health_round(desktop)
    assert connection(desktop)["status"] == "active"

    made = desktop.http.post(f"/v1/connections/{desktop.connection['id']}/web-connector-password")
    wrong.password = made.json()["password"]
    desktop.clock.advance(minutes=16)  # the throttle on failed logins has passed
    assert wrong.run_session().outcome == "done"
    assert problem(desktop) is None
    assert desktop.status()["refusals"] == 0
    assert "password is not the right one" not in page(desktop, office)


def test_quickbooks_closing_during_an_update_is_the_same_problem(desktop: Desktop) -> None:
    """QuickBooks' request processor failing with "could not start" mid-session (an hresult
    passed to receiveResponseXML) says the same about the PC as a connectionError."""
    desktop.service.desktop_work = LookUps(desktop.ledger)  # a start request, then a look-up
    connector = first_session(desktop)
    desktop.company.faults.append(
        Fault(
            "gone",
            "CustomerQueryRq",
            1,
            hresult="0x80040408",
            message="Could not start QuickBooks.",
        )
    )
    desktop.clock.advance(minutes=16)
    log = connector.run_session()
    assert [c.answer for c in log.calls if c.method == "receiveResponseXML"] == [50, -1]
    shown = problem(desktop)
    assert shown is not None and shown["code"] == "connection.quickbooks_closed"
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome == "done"
    assert problem(desktop) is None


def test_a_request_quickbooks_could_not_parse_is_not_a_problem_of_the_pc(desktop: Desktop) -> None:
    connector = first_session(desktop)
    desktop.company.faults.append(
        Fault(
            "bad", "CustomerQueryRq", 1, hresult="0x80040400", message="QuickBooks found an error"
        )
    )
    desktop.clock.advance(minutes=16)
    connector.run_session()
    assert problem(desktop) is None  # the request's failure: the last error says it
    assert desktop.status()["last_error"] == "QuickBooks found an error (0x80040400)"


def test_the_app_is_told_at_its_events_url(
    desktop: Desktop, receiver: tuple[Receiver, str]
) -> None:
    """The embedded dispatcher delivers a Desktop connection's events as it does an Online
    company's: the silence and its end reach the app's URL."""
    state, url = receiver
    desktop.ledger.settings = dataclasses.replace(
        desktop.ledger.settings, events_allow_http_hosts=frozenset({"127.0.0.1"})
    )
    path = f"/v1/connections/{desktop.connection['id']}/settings"
    assert desktop.http.patch(path, json={"events_url": url}).status_code == 200
    connector = first_session(desktop)
    desktop.clock.advance(hours=1)
    health_round(desktop)
    assert connector.run_session().outcome == "done"
    health_round(desktop)
    told = [
        (event["type"], event["payload"].get("status") or event["payload"].get("code"))
        for body in state.bodies
        for event in json.loads(body)["events"]
    ]
    assert told == [
        ("connection.status_changed", "active"),
        ("connection.problem_changed", "connection.web_connector_silent"),
        ("connection.status_changed", "connector_offline"),
        ("connection.problem_changed", None),
        ("connection.status_changed", "active"),
    ]


def test_a_call_made_to_wait_is_still_a_call(desktop: Desktop) -> None:
    """After many wrong passwords the next calls wait (answered nvu unchecked): they count as
    calls for the silence, not as wrong passwords."""
    first_session(desktop)
    wrong = desktop.connector(password="guess")
    for _ in range(6):
        wrong.run_session()
    desktop.clock.advance(seconds=1)  # the 6th failure's wait (1 second) is over
    wrong.run_session()  # the 7th: the next wait is 2 seconds
    refusals = desktop.status()["refusals"]
    desktop.clock.advance(seconds=1)
    right = desktop.connector()
    assert right.run_session().outcome == "invalid user"  # made to wait, password unchecked
    status = desktop.status()
    assert status["refusals"] == refusals  # not one more wrong password
    assert status["refused_at"] == desktop.clock.now.isoformat()  # but a call


def test_a_call_during_the_health_round_never_leaves_the_connection_offline(
    desktop: Desktop,
) -> None:
    """The Web Connector calls (the API process) while a worker's health round finds the
    connection silent: the round must read the call, not write connector_offline over it (it
    would show until the next update, 15 minutes on)."""
    import threading

    from sqlalchemy import event

    from ledgerbridge.engine.desktop import health
    from ledgerbridge.storage.web_connectors import WebConnectors

    first_session(desktop).stop()
    desktop.clock.advance(minutes=46)
    cid = desktop.connection["id"]
    sweep = threading.Thread(target=health.check_all, args=(desktop.ledger,))
    writing = threading.Event()

    def connected(connection: Any) -> None:
        # the round opens its write transaction: its first read (the call not committed, so
        # the connection silent) is over, and its write is about to wait for the call's lock
        readonly = connection.get_execution_options().get("ledgerbridge_readonly", False)
        if threading.current_thread() is sweep and not readonly:
            writing.set()

    engine = desktop.ledger.db.engine
    event.listen(engine, "engine_connect", connected)  # before its BEGIN waits
    try:
        with desktop.ledger.db.session() as session:  # the call, as authenticate makes it
            WebConnectors(session, clock=desktop.clock).seen(cid)
            health.heard_from(session, desktop.clock, cid)  # not silent yet: nothing to undo
            sweep.start()
            writing.wait(60)  # the round reaches the connection while the call is uncommitted
            assert writing.is_set()
    finally:
        event.remove(engine, "engine_connect", connected)
    sweep.join(60)
    assert not sweep.is_alive()
    shown = connection(desktop)
    assert (shown["status"], shown["problem"]) == ("active", None)
    assert [e for e in events(desktop) if e[0] == "connection.status_changed"] == [
        e
        for e in events(desktop)
        if e[0] == "connection.status_changed" and e[1]["status"] == "active"
    ]


@pytest.mark.postgres
def test_a_sign_in_waiting_on_the_health_rounds_lock_clears_what_the_round_wrote(
    desktop: Desktop,
) -> None:
    """The other order: the round has locked the connector and marked the connection silent
    (not committed yet) when the Web Connector signs in. authenticate waits on the lock, then
    must read the connection as the round left it and clear it: a read made before the wait
    said "active" and cleared nothing, so the connection stayed offline although the PC had
    just called (PostgreSQL: SQLite's writers never overlap)."""
    import threading
    import time

    from sqlalchemy import text

    from ledgerbridge.engine.desktop import health
    from ledgerbridge.engine.service.desktop import web_connector
    from ledgerbridge.storage.connections import Connections
    from ledgerbridge.storage.web_connectors import WebConnectors

    if desktop.ledger.db.dialect != "postgresql":
        pytest.skip("two transactions at once: PostgreSQL")
    first_session(desktop).stop()
    desktop.clock.advance(minutes=46)
    cid = desktop.connection["id"]
    answers: list[list[str]] = []
    call = threading.Thread(
        target=lambda: answers.append(
            web_connector(desktop.service).authenticate(desktop.username, desktop.password)
        )
    )
    with desktop.ledger.db.session() as round_session:  # the round, as `_check` makes it
        WebConnectors(round_session, clock=desktop.clock).get(cid, lock=True)
        stored = Connections(round_session).get_unscoped(cid)
        assert stored is not None
        health._go_silent(round_session, desktop.clock, stored, desktop.clock(), 45)
        round_pid = round_session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        call.start()
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
        for _ in range(1200):  # until the call waits on the round's lock
            if round_session.execute(waiting, {"pid": round_pid}).scalar_one():
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the sign-in never waited for the round")
    call.join(60)
    assert not call.is_alive() and answers and answers[0][0], answers
    shown = connection(desktop)
    assert (shown["status"], shown["problem"]) == ("active", None)


def test_a_disconnected_desktop_connection_is_never_shown_silent(desktop: Desktop) -> None:
    """The office disconnected the connection and took it out of the Web Connector: its
    silence is what they asked for, not a problem to fix on the PC (nor an event to the app)."""
    first_session(desktop).stop()
    cid = desktop.connection["id"]
    answer = desktop.http.post(f"/v1/connections/{cid}/disconnect")
    assert answer.status_code == 200, answer.text
    desktop.clock.advance(minutes=46)
    health_round(desktop)
    shown = connection(desktop)
    assert (shown["status"], shown["problem"]) == ("disconnected", None)
    assert not [e for e in events(desktop) if e[1].get("status") == "connector_offline"]


def test_a_desktop_connection_disconnected_while_silent_loses_the_silence(
    desktop: Desktop,
) -> None:
    first_session(desktop).stop()
    cid = desktop.connection["id"]
    desktop.clock.advance(minutes=46)
    health_round(desktop)
    assert connection(desktop)["status"] == "connector_offline"
    assert desktop.http.post(f"/v1/connections/{cid}/disconnect").status_code == 200
    health_round(desktop)
    shown = connection(desktop)
    assert (shown["status"], shown["problem"]) == ("disconnected", None)


def test_a_disconnected_desktop_connection_takes_no_session_until_a_new_password(
    desktop: Desktop,
) -> None:
    """Disconnecting stops the sync: the Web Connector's next call is refused (its password
    is no longer taken) and nothing reaches the company file; a new password connects it
    again, and the next session makes it active."""
    connector = first_session(desktop)
    cid = desktop.connection["id"]
    assert desktop.http.post(f"/v1/connections/{cid}/disconnect").status_code == 200
    desktop.clock.advance(minutes=16)
    refused = connector.run_session()
    assert refused.outcome != "done"
    assert next(c.answer for c in refused.calls if c.method == "authenticate")[1] == "nvu"
    shown = connection(desktop)
    assert shown["status"] == "disconnected"
    assert desktop.status()["last_outcome"] == "disconnected"

    made = desktop.http.post(f"/v1/connections/{cid}/web-connector-password")
    assert made.status_code == 200, made.text
    assert connection(desktop)["status"] == "not_connected"
    connector.password = made.json()["password"]
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome == "done"
    assert connection(desktop)["status"] == "active"
    statuses = [e[1].get("status") for e in events(desktop) if e[0] == "connection.status_changed"]
    assert statuses[-2:] == ["not_connected", "active"]
