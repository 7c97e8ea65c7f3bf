"""A Desktop pass waiting for QuickBooks' answer keeps its lease: an answer may take longer
than the lease lasts (`Waits.answer`, ten minutes, against the lease's five). Run out, the
lease was taken by another process's pass (a session of the connection started one), and the
answer, once it came, was not stored: the first pass stopped as `busy`, and the record stayed
unsynced although QuickBooks had made it, as its export shows."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from ledgerbridge.engine.desktop import fixes
from ledgerbridge.engine.desktop.passes import DesktopPasses
from ledgerbridge.engine.push.lease import LEASE
from ledgerbridge.storage.leases import Leases
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_push_e2e import connected, exported, put, record, sessions

pytestmark = pytest.mark.in_process("the wait is made at one point of the session")

NAME = "Slow Answer Client"


def _kept(desktop: Desktop, lease: str, ahead: timedelta) -> bool:
    """Whether the lease is still held `ahead` of the test's clock (it was renewed since)."""
    deadline = time.monotonic() + 2  # the pass looks every few hundredths of a second
    while time.monotonic() < deadline:
        with desktop.ledger.db.session(readonly=True) as session:
            if Leases(session, clock=lambda: desktop.clock.now + ahead).held(lease):
                return True
        time.sleep(0.01)
    return False


def _answered_after_six_minutes(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch, lease: str, answer: str
) -> list[bool]:
    """QuickBooks takes six minutes (the test's clock) to give the first answer that holds
    `answer` while the pass waits, looking at the queue; then another process's session asks
    for the lease: whether it got it, once that has happened."""
    answered = DesktopPasses.take_response
    taken: list[bool] = []

    def slow(self: DesktopPasses, session: Any, request_id: str, response: str) -> Any:
        if answer in response and not taken:
            for _ in range(6):
                desktop.clock.advance(minutes=1)
                _kept(desktop, lease, LEASE - timedelta(minutes=2))
            with desktop.ledger.db.session() as db:  # another process's session, meanwhile
                taken.append(Leases(db, clock=desktop.ledger.clock).acquire(lease, "b", LEASE))
        return answered(self, session, request_id, response)

    monkeypatch.setattr(DesktopPasses, "take_response", slow)
    return taken


def test_a_pass_waiting_minutes_for_an_answer_keeps_its_lease(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = connected(desktop)
    cid = desktop.connection["id"]
    lease = f"connection:{cid}"
    put(desktop, "customer", "c1", display_name=NAME)
    taken = _answered_after_six_minutes(desktop, monkeypatch, lease, "CustomerAddRs")
    log = connector.run_session()
    made = [c for c in exported(desktop).get("Customer", []) if c.get("Name") == NAME]
    assert len(made) == 1, log.to_json()
    shown = record(desktop, "customer", "c1")
    assert (shown["status"], shown["quickbooks_id"]) == ("synced", made[0]["ListID"]), shown
    assert taken == [False]  # the lease was the first pass's all along


def test_a_pull_waiting_minutes_for_an_answer_keeps_the_lease(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session's pull (and its waiting fixes) awaited answers as long under the lease the
    session's pass took for them, and nothing kept it: another process's session could start a
    second pass over the same company file while the first still read it."""
    connector = connected(desktop)
    cid = desktop.connection["id"]
    lease = f"connection:{cid}"
    desktop.clock.advance(minutes=60 * 24)  # the company is due to be read again
    taken = _answered_after_six_minutes(desktop, monkeypatch, lease, "QueryRs")
    put(desktop, "customer", "c1", display_name=NAME)
    log = connector.run_session()
    assert taken == [False], log.to_json()  # the lease was the session's pass's all along
    made = [c for c in exported(desktop).get("Customer", []) if c.get("Name") == NAME]
    assert len(made) == 1, log.to_json()
    shown = record(desktop, "customer", "c1")
    assert (shown["status"], shown["quickbooks_id"]) == ("synced", made[0]["ListID"]), shown


def test_a_verify_waiting_minutes_for_an_answer_keeps_the_lease(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verify kept for the Web Connector runs in the session's pass, under its lease, and
    its reads of the linked objects may wait as long for QuickBooks: nothing kept the lease,
    and another process's session could start a second pass meanwhile, which carried out the
    fixes still waiting (this verify among them) a second time over the same company file."""
    connector = connected(desktop)
    cid = desktop.connection["id"]
    lease = f"connection:{cid}"
    put(desktop, "customer", "c1", display_name=NAME)
    sessions(connector)
    entry = fixes.request_verify(desktop.ledger, cid, "test")
    taken = _answered_after_six_minutes(desktop, monkeypatch, lease, "CustomerQueryRs")
    log = connector.run_session()
    assert taken == [False], log.to_json()  # the lease was the session's pass's all along
    report = fixes.verify_report(desktop.ledger, entry)
    assert report is not None and report.stopped is None, log.to_json()
    (made,) = [c for c in exported(desktop).get("Customer", []) if c.get("Name") == NAME]
    assert report.checked >= 1 and report.agreed == report.checked and not report.mismatches
    assert record(desktop, "customer", "c1")["quickbooks_id"] == made["ListID"]
