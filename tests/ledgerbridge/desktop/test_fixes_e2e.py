"""The one-click fixes of the Desktop failures (tests/ledgerbridge/desktop/test_failures_e2e.py
provokes them), pressed through the API and carried out through the emulated Web Connector;
each outcome is read from the company file's export (QuickBooks' own state).

A fix that needs QuickBooks itself (Link, Reactivate...) waits for the Web Connector: the API
answers at once that it waits, the record shows it (`waiting`), and the next session carries it
out; the record's status follows. Fixes that only change what is sent next (Differentiate,
Recreate, Unlink, Move to open period, Retry, Keep QuickBooks' version) are carried by the next
session's push.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledgerbridge.engine.actions import WAITING
from qbd_emulator.model import Lock
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_failures_e2e import _dana, invoice, listed, person, problem
from tests.ledgerbridge.desktop.test_failures_e2e import ready as _ready
from tests.ledgerbridge.desktop.test_push_e2e import exported, put, record


def ready(desktop: Desktop) -> WebConnector:
    connector = _ready(desktop)
    # the real Web Connector asks again as long as the service says NoOp; on a loaded machine
    # the pass may prepare a request for longer than the simulator's ten asks by default
    connector.max_noops = 120
    return connector


def sessions(connector: WebConnector, most: int = 6) -> None:
    """Sessions until one finds nothing to do (each one as QBWC's schedule would start it)."""
    for _ in range(most):
        log = connector.run_session()
        if log.outcome == "nothing to do":
            return
        assert log.outcome == "done", (log.notes, [c.method for c in log.calls])
    raise AssertionError(f"still work after {most} sessions")


def act(desktop: Desktop, record_type: str, app_id: str, action: str, **params: Any) -> Any:
    answer = desktop.http.post(
        f"/v1/connections/{desktop.connection['id']}/records/{record_type}/{app_id}"
        f"/actions/{action}",
        json=params or None,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def named(desktop: Desktop, kind: str, name: str) -> list[dict[str, Any]]:
    return [r for r in exported(desktop).get(kind, []) if r.get("Name") == name]


def _cara_in_use(desktop: Desktop) -> WebConnector:
    connector = ready(desktop)
    person(
        desktop,
        "<CustomerAddRq><CustomerAdd><Name>Cara Moss</Name><Email>old@ex.com</Email>"
        "</CustomerAdd></CustomerAddRq>",
    )
    put(desktop, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    sessions(connector)
    assert problem(desktop, "customer", "cara")["code"] == "customer.exists_in_quickbooks"
    return connector


def test_link_to_the_customer_in_use_waits_for_the_web_connector(desktop: Desktop) -> None:
    connector = _cara_in_use(desktop)
    cara = listed(desktop, "Customer", "Cara Moss")
    answer = act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    assert answer["result"]["summary"] == WAITING
    assert answer["waiting"]["action"] == "link" and answer["waiting"]["for"] == "web_connector"
    assert answer["status"] == "error"  # nothing done yet: QuickBooks is reached at the session
    assert record(desktop, "customer", "cara")["waiting"]["action"] == "link"
    sessions(connector)
    view = record(desktop, "customer", "cara")
    assert view["waiting"] is None
    assert view["status"] == "synced", (view["problem"], view["history"][:4])
    assert view["quickbooks_id"] == cara["ListID"]
    assert len(named(desktop, "Customer", "Cara Moss")) == 1  # linked, not added twice
    results = [h["detail"]["result"] for h in view["history"] if h["kind"] == "action:link"]
    assert results[-1] == WAITING and results[0].startswith("linked"), results  # newest first


def test_link_refused_by_quickbooks_is_told_in_the_history(desktop: Desktop) -> None:
    connector = _cara_in_use(desktop)
    cara = listed(desktop, "Customer", "Cara Moss")
    act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    person(  # meanwhile someone deletes that customer in QuickBooks
        desktop,
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{cara['ListID']}</ListID>"
        "</ListDelRq>",
    )
    connector.run_session()
    view = record(desktop, "customer", "cara")
    assert view["waiting"] is None
    results = [str((h["detail"] or {}).get("result")) for h in view["history"]]
    refused = [r for r in results if r.startswith("refused")]
    assert refused and "QuickBooks has no Customer" in refused[0], results
    assert not named(desktop, "Customer", "Cara Moss")


def test_differentiate_sends_the_customer_under_another_name(desktop: Desktop) -> None:
    connector = _cara_in_use(desktop)
    act(desktop, "customer", "cara", "differentiate")
    sessions(connector)
    view = record(desktop, "customer", "cara")
    assert view["status"] == "synced", (view["problem"], view["history"][:4])
    (renamed,) = named(desktop, "Customer", "Cara Moss - 2")
    assert renamed["ListID"] == view["quickbooks_id"]
    assert named(desktop, "Customer", "Cara Moss")[0]["Email"] == "old@ex.com"  # untouched


def _edited_on_both_sides(desktop: Desktop) -> WebConnector:
    connector = ready(desktop)
    dana = _dana(desktop, connector)
    person(
        desktop,
        f"<CustomerModRq><CustomerMod><ListID>{dana['ListID']}</ListID>"
        f"<EditSequence>{dana['EditSequence']}</EditSequence><Notes>gate 5</Notes>"
        "</CustomerMod></CustomerModRq>",
    )
    put(desktop, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 7")
    sessions(connector)
    assert problem(desktop, "customer", "d")["code"] == "customer.edited_concurrently"
    return connector


def test_a_stale_edit_kept_as_in_quickbooks(desktop: Desktop) -> None:
    connector = _edited_on_both_sides(desktop)
    act(desktop, "customer", "d", "accept_quickbooks")
    sessions(connector)
    assert record(desktop, "customer", "d")["status"] == "synced"
    assert listed(desktop, "Customer", "Dana Fox")["Notes"] == "gate 5"


def test_a_stale_edit_sent_again_reapplies_the_apps_version(desktop: Desktop) -> None:
    connector = _edited_on_both_sides(desktop)
    act(desktop, "customer", "d", "retry")
    sessions(connector)
    assert record(desktop, "customer", "d")["status"] == "synced"
    assert listed(desktop, "Customer", "Dana Fox")["Notes"] == "gate 7"


def _invoice_deleted(desktop: Desktop) -> tuple[WebConnector, str]:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    invoice(desktop, "inv-1", "c", "7001")
    sessions(connector)
    (pushed,) = exported(desktop)["Invoice"]
    person(
        desktop,
        f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{pushed['TxnID']}</TxnID></TxnDelRq>",
    )
    invoice(desktop, "inv-1", "c", "7001", memo="gate code 12")
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "invoice.deleted_in_quickbooks"
    return connector, str(pushed["TxnID"])


@pytest.mark.parametrize("fix", ["recreate", "unlink"])
def test_an_invoice_deleted_in_quickbooks_is_added_again(desktop: Desktop, fix: str) -> None:
    connector, old = _invoice_deleted(desktop)
    act(desktop, "invoice", "inv-1", fix)
    sessions(connector)
    view = record(desktop, "invoice", "inv-1")
    assert view["status"] == "synced", (view["problem"], view["history"][:4])
    (again,) = exported(desktop)["Invoice"]  # once, not twice
    assert again["TxnID"] == view["quickbooks_id"] != old
    assert again["RefNumber"] == "7001"


def test_an_invoice_deleted_in_quickbooks_left_deleted(desktop: Desktop) -> None:
    connector, _ = _invoice_deleted(desktop)
    act(desktop, "invoice", "inv-1", "accept_deletion")
    sessions(connector)
    assert record(desktop, "invoice", "inv-1")["status"] == "bypassed"
    assert not exported(desktop).get("Invoice")


def test_a_record_in_use_is_sent_when_retried_once_free(desktop: Desktop) -> None:
    connector = ready(desktop)
    dana = _dana(desktop, connector)
    desktop.company.locks[dana["ListID"]] = Lock(dana["ListID"], 3170, None)
    put(desktop, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 9")
    sessions(connector)
    assert problem(desktop, "customer", "d")["code"] == "record.in_use_in_quickbooks"
    del desktop.company.locks[dana["ListID"]]  # the other user saved and closed the window
    act(desktop, "customer", "d", "retry")  # without waiting for the retry's own time
    sessions(connector)
    assert record(desktop, "customer", "d")["status"] == "synced"
    assert listed(desktop, "Customer", "Dana Fox")["Notes"] == "gate 9"


def _closed(desktop: Desktop) -> WebConnector:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    desktop.company.closing_date = date(2026, 11, 30)
    invoice(desktop, "inv-1", "c", "7003", day="2026-11-15")
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "invoice.closed_period"
    return connector


def test_a_closed_period_moved_to_the_first_open_day(desktop: Desktop) -> None:
    connector = _closed(desktop)
    answer = act(desktop, "invoice", "inv-1", "shift_to_open_period")
    assert answer["result"]["detail"] == {"date": "2026-12-01"}
    sessions(connector)
    assert record(desktop, "invoice", "inv-1")["status"] == "synced"
    (sent,) = exported(desktop)["Invoice"]
    assert sent["TxnDate"] == "2026-12-01" and sent["RefNumber"] == "7003"


def test_a_closed_period_reopened_in_quickbooks_then_retried(desktop: Desktop) -> None:
    connector = _closed(desktop)
    desktop.company.closing_date = date(2026, 10, 31)  # the accountant reopens November
    act(desktop, "invoice", "inv-1", "retry")
    sessions(connector)
    assert record(desktop, "invoice", "inv-1")["status"] == "synced"
    (sent,) = exported(desktop)["Invoice"]
    assert sent["TxnDate"] == "2026-11-15"


def test_a_customer_deleted_in_quickbooks_is_added_again_then_its_invoice(
    desktop: Desktop,
) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    eve = listed(desktop, "Customer", "Eve Park")
    person(
        desktop,
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{eve['ListID']}</ListID>"
        "</ListDelRq>",
    )
    invoice(desktop, "inv-1", "c", "7002")
    sessions(connector)
    found = problem(desktop, "invoice", "inv-1")
    assert found["code"] == "invoice.customer_inactive"  # QuickBooks' 3140: invalid reference
    assert "deleted in QuickBooks Desktop" in found["meaning"]  # the Desktop words
    answer = act(desktop, "invoice", "inv-1", "reactivate")
    assert answer["result"]["summary"] == WAITING
    sessions(connector)
    (again,) = named(desktop, "Customer", "Eve Park")
    assert again["ListID"] != eve["ListID"]
    assert record(desktop, "customer", "c")["quickbooks_id"] == again["ListID"]
    view = record(desktop, "invoice", "inv-1")
    assert view["status"] == "synced", (view["problem"], view["history"][:4])
    (sent,) = exported(desktop)["Invoice"]
    assert sent["CustomerRef"]["ListID"] == again["ListID"] and sent["RefNumber"] == "7002"


def test_another_company_file_open_keeps_records_and_fixes_until_the_right_one(
    desktop: Desktop,
) -> None:
    connector = _cara_in_use(desktop)
    cara = listed(desktop, "Customer", "Cara Moss")
    other = desktop.emulator.create_company("Someone Else's Books", preset="demo")
    before = {r.data.get("Name") for r in other.all_records()}
    connector.open_company_id = other.id  # someone opens another company file on the PC
    desktop.clock.advance(minutes=16)
    connector.run_session()
    assert desktop.stored_connection()["status"] == "wrong_company"
    put(desktop, "customer", "fay", display_name="Fay Lund")
    act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    for _ in range(2):
        connector.run_session()
    assert {r.data.get("Name") for r in other.all_records()} == before  # the other file untouched
    assert record(desktop, "customer", "cara")["waiting"]["action"] == "link"
    assert record(desktop, "customer", "fay")["status"] == "pending"
    connector.open_company_id = None  # the connection's own file open again
    sessions(connector)
    assert desktop.stored_connection()["status"] == "active"
    assert record(desktop, "customer", "cara")["quickbooks_id"] == cara["ListID"]
    assert record(desktop, "customer", "fay")["status"] == "synced"
    assert len(named(desktop, "Customer", "Fay Lund")) == 1
    assert {r.data.get("Name") for r in other.all_records()} == before


def test_a_refresh_of_the_lists_is_read_at_the_next_session(desktop: Desktop) -> None:
    connector = ready(desktop)
    lists = f"/v1/connections/{desktop.connection['id']}/quickbooks"
    person(
        desktop,
        "<CustomerAddRq><CustomerAdd><Name>Gil Ortega</Name><Email>gil@ex.com</Email>"
        "</CustomerAdd></CustomerAddRq>",
    )

    def customers() -> list[str]:
        answer = desktop.http.get(f"{lists}/customers", params={"q": "Gil"})
        assert answer.status_code == 200, answer.text
        return [str(i["record"].get("display_name")) for i in answer.json()["items"]]

    assert customers() == []  # made in QuickBooks after ledgerbridge last read it
    answer = desktop.http.post(f"{lists}/refresh", params={"wait": 0})
    assert answer.status_code == 202, answer.text
    assert answer.json()["waiting_for"] == "web_connector"
    assert customers() == []  # nothing can be read before the Web Connector calls
    sessions(connector)
    assert customers() == ["Gil Ortega"]


def _audit(desktop: Desktop, entry: int) -> dict[str, Any] | None:
    from ledgerbridge.storage.audit import Audit

    with desktop.ledger.db.session(readonly=True) as session:
        found = Audit(session).get(entry)
    assert found is not None
    return dict(found.after) if found.after is not None else None


def _run(desktop: Desktop, app_id: str, action: str, **params: Any) -> int:
    """A person's fix asked through the engine (as the API does) from inside a session's pass:
    its audit entry."""
    from ledgerbridge.core.records import RecordKey
    from ledgerbridge.engine import actions
    from ledgerbridge.storage.audit import Audit
    from ledgerbridge.storage.connections import Connections

    cid = desktop.connection["id"]
    with desktop.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(cid)
    assert connection is not None
    done = actions.run(
        desktop.ledger, connection, RecordKey("customer", app_id), action, params, "bea"
    )
    assert done.summary == WAITING
    with desktop.ledger.db.session(readonly=True) as session:
        return Audit(session).of(cid, record_type="customer", record_id=app_id)[0].id


def test_a_fix_asked_again_while_the_session_works_is_the_one_carried_out(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session reads the waiting fixes once; a person asking a newer fix for a record
    while it works on an earlier one replaces the older fix: the newer one is carried out, the
    older one skipped (its audit entry saying it was replaced), never the other way round."""
    from ledgerbridge.engine.desktop import fixes

    connector = _cara_in_use(desktop)
    person(
        desktop,
        "<CustomerAddRq><CustomerAdd><Name>Cara Moss Ltd</Name></CustomerAdd></CustomerAddRq>",
    )
    cara, ltd = (
        listed(desktop, "Customer", "Cara Moss"),
        listed(desktop, "Customer", "Cara Moss Ltd"),
    )
    refresh = f"/v1/connections/{desktop.connection['id']}/quickbooks/refresh"
    assert desktop.http.post(refresh, params={"wait": 0}).status_code == 202  # carried out first
    desktop.clock.advance(seconds=1)
    act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    older = _run_entry(desktop)
    asked: list[int] = []
    pull = fixes.pull_company

    def pull_while_a_person_asks_again(*args: Any, **kwargs: Any) -> Any:
        if not asked:  # the lists refresh is read: meanwhile Cara is to be Cara Moss Ltd
            asked.append(_run(desktop, "cara", "link", quickbooks_id=ltd["ListID"]))
        return pull(*args, **kwargs)

    monkeypatch.setattr(fixes, "pull_company", pull_while_a_person_asks_again)
    sessions(connector)
    view = record(desktop, "customer", "cara")
    assert view["waiting"] is None
    assert view["quickbooks_id"] == ltd["ListID"], view["history"][:4]
    newer = _audit(desktop, asked[0])
    assert newer is not None and str(newer["result"]).startswith("linked"), newer
    replaced = _audit(desktop, older)
    assert replaced is not None and replaced.get("replaced_by") == asked[0], replaced


def _run_entry(desktop: Desktop) -> int:
    from ledgerbridge.storage.audit import Audit

    with desktop.ledger.db.session(readonly=True) as session:
        return Audit(session).of(desktop.connection["id"], record_type="customer")[0].id


def test_a_fix_cut_off_by_a_crash_waits_for_the_next_session(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything unexpected while a session carries out a fix (a database error, the process
    killed) leaves it waiting, its audit entry open, for the next session."""
    from ledgerbridge.engine import actions

    connector = _cara_in_use(desktop)
    cara = listed(desktop, "Customer", "Cara Moss")
    act(desktop, "customer", "cara", "link", quickbooks_id=cara["ListID"])
    entry = _run_entry(desktop)
    link = actions.HANDLERS["link"]

    def crash(target: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setitem(actions.HANDLERS, "link", crash)  # type: ignore[index]
    connector.run_session()
    assert record(desktop, "customer", "cara")["waiting"]["action"] == "link"
    assert _audit(desktop, entry) is None
    monkeypatch.setitem(actions.HANDLERS, "link", link)  # type: ignore[index]
    desktop.clock.advance(minutes=3)
    sessions(connector)
    view = record(desktop, "customer", "cara")
    assert view["waiting"] is None and view["quickbooks_id"] == cara["ListID"]
    done = _audit(desktop, entry)
    assert done is not None and str(done["result"]).startswith("linked"), done


def test_a_refresh_cut_off_mid_session_waits_for_the_next_one(desktop: Desktop) -> None:
    """A record's Refresh from QuickBooks whose read stops half-way (the Web Connector silent,
    ledgerbridge stopping) was not refused by QuickBooks: it waits, and the next session reads."""
    from ledgerbridge.core import catalog
    from ledgerbridge.storage.sync_states import SyncStates

    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    with desktop.ledger.db.session() as session:  # (a problem the pass handles silently today)
        SyncStates(session).finish(
            desktop.connection["id"],
            "customer",
            "c",
            status="error",
            problem={"code": catalog.MIRROR_STALE, "params": {}},
        )
    assert act(desktop, "customer", "c", "refresh")["result"]["summary"] == WAITING
    entry = _run_entry(desktop)
    connector.halt_after_exchanges = 1
    assert connector.run_session().outcome == "halted"
    desktop.service.close(timeout=30)  # the pass, still reading, ends as the process stops
    desktop.ledger.stopping.clear()  # started again
    assert record(desktop, "customer", "c")["waiting"]["action"] == "refresh"
    assert _audit(desktop, entry) is None
    desktop.clock.advance(minutes=3)
    sessions(connector)
    assert record(desktop, "customer", "c")["waiting"] is None
    done = _audit(desktop, entry)
    assert done is not None and str(done["result"]).startswith("refreshed"), done
