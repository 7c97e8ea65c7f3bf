"""`ledgerbridge verify` for QuickBooks Desktop: kept for the Web Connector's next session, which
reads every linked object again through the session and compares it with what was sent; its
report is kept in the verify's audit entry. Checked against the company file the emulated Web
Connector serves."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.engine.desktop import fixes
from ledgerbridge.engine.errors import Refused
from ledgerbridge.engine.verify import VerifyReport
from ledgerbridge.storage.desktop_actions import DesktopActions
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_failures_e2e import listed, person
from tests.ledgerbridge.desktop.test_fixes_e2e import ready, sessions
from tests.ledgerbridge.desktop.test_push_e2e import put, record
from tests.ledgerbridge.desktop.test_start_fresh_e2e import _start_fresh_in


def test_a_verify_waits_for_the_session_and_finds_quickbooks_agreeing(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c1", display_name="Ann Lee", email="ann@ex.com")
    put(desktop, "vendor", "v1", display_name="Ridge Supply")
    sessions(connector)
    cid = desktop.connection["id"]
    entry = fixes.request_verify(desktop.ledger, cid, "test")
    assert fixes.verify_report(desktop.ledger, entry) is None  # nothing read before the session
    sessions(connector)
    report = fixes.verify_report(desktop.ledger, entry)
    assert report is not None and report.stopped is None
    assert report.checked == 3 and report.agreed == 3 and report.mismatches == []  # and the item
    assert report.read == 3


def test_a_verify_flags_a_synced_record_quickbooks_disagrees_with(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c1", display_name="Ann Lee", email="ann@ex.com")
    sessions(connector)
    ann = listed(desktop, "Customer", "Ann Lee")
    person(  # someone at the PC changes the email; no pull has run since
        desktop,
        f"<CustomerModRq><CustomerMod><ListID>{ann['ListID']}</ListID>"
        f"<EditSequence>{ann['EditSequence']}</EditSequence><Email>ann@other.example</Email>"
        "</CustomerMod></CustomerModRq>",
    )
    assert record(desktop, "customer", "c1")["status"] == "synced"
    answer = desktop.http.post(f"/v1/connections/{desktop.connection['id']}/verify")
    assert answer.status_code == 200, answer.text
    assert answer.json()["waiting_for"] == "web_connector"
    entry = int(answer.json()["audit_entry"])
    sessions(connector)
    report = fixes.verify_report(desktop.ledger, entry)
    assert report is not None
    (found,) = report.mismatches
    assert (found.type, found.id, found.quickbooks_id) == ("customer", "c1", ann["ListID"])
    assert found.quickbooks_value == "ann@other.example"
    assert record(desktop, "customer", "c1")["status"] != "synced"


def test_a_verify_asked_while_one_runs_is_carried_out_too(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second verify asked while the session runs the first replaces its request: the first
    still reports (to whoever waits for it), and the second is carried out, not dropped."""
    connector = ready(desktop)
    put(desktop, "customer", "c1", display_name="Ann Lee", email="ann@ex.com")
    sessions(connector)
    cid = desktop.connection["id"]
    first = fixes.request_verify(desktop.ledger, cid, "test")
    asked: list[int] = []
    run = fixes.verify

    def verify_while_another_is_asked(*args: Any, **kwargs: Any) -> Any:
        if not asked:
            asked.append(fixes.request_verify(desktop.ledger, cid, "someone else"))
        return run(*args, **kwargs)

    monkeypatch.setattr(fixes, "verify", verify_while_another_is_asked)
    sessions(connector)
    for entry in (first, asked[0]):
        report = fixes.verify_report(desktop.ledger, entry)
        assert report is not None and report.stopped is None, entry
        assert report.checked == 2 and report.mismatches == []
    assert not fixes.waiting(desktop.ledger, cid)


def test_a_verify_withdrawn_at_start_fresh_says_so(desktop: Desktop) -> None:
    """Start fresh withdraws the fixes still waiting, a verify among them: its report will
    never come, and whoever waits for it (`ledgerbridge verify`) is told so rather than
    waiting out its deadline for a Web Connector that did call in."""
    ready(desktop)
    cid = desktop.connection["id"]
    entry = fixes.request_verify(desktop.ledger, cid, "test")
    with desktop.ledger.db.session() as session:  # what Start fresh does to the waiting fixes
        DesktopActions(session, clock=desktop.ledger.clock).withdraw_all(cid)
    with pytest.raises(Refused, match="withdrawn: the connection started fresh"):
        fixes.verify_report(desktop.ledger, entry)


def test_a_verify_under_way_at_start_fresh_is_withdrawn_not_reported(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session has read the old company file for a verify when the person starts fresh:
    its report (of the old file) is not the connection's; its audit entry says it was
    withdrawn while the Web Connector carried it out, and whoever waits for it is told so.
    It is not asked again of the new file."""
    connector = ready(desktop)
    put(desktop, "customer", "c1", display_name="Ann Lee", email="ann@ex.com")
    sessions(connector)
    cid = desktop.connection["id"]
    entry = fixes.request_verify(desktop.ledger, cid, "test")
    new = desktop.emulator.create_company("New Books")
    run = fixes.verify
    compared: list[VerifyReport] = []

    def verify_then_start_fresh(*args: Any, **kwargs: Any) -> VerifyReport:
        report = run(*args, **kwargs)
        compared.append(report)
        _start_fresh_in(desktop, connector, new)  # QuickBooks has answered the verify's reads
        return report

    monkeypatch.setattr(fixes, "verify", verify_then_start_fresh)
    connector.run_session()
    (report,) = compared
    assert report.stopped is None and report.checked == 2  # the old file's answer, compared
    with pytest.raises(Refused, match="withdrawn: the connection started fresh while"):
        fixes.verify_report(desktop.ledger, entry)
    assert not fixes.waiting(desktop.ledger, cid)
