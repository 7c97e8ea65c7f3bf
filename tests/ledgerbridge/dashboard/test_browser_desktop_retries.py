"""The QuickBooks Desktop failures fixed by what the next update sends, pressed in a real browser
(headless Chromium) on the record page: an edit QuickBooks had changed meanwhile (3200; Keep
QuickBooks' version, or Retry to send the app's), a record another user holds open (3170/3175;
Retry once it is free), a transaction in a closed period (Move to open period); and Reactivate
of a class made inactive at the PC, which waits for the Web Connector. Each outcome is read
from the emulated company file itself, not from ledgerbridge's own status alone.

The office (a Desktop connection, its Web Connector on an emulated PC, the company file) is
`test_browser_desktop_fixes.office`, used as it is."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from qbd_emulator import objects
from qbd_emulator.model import Lock
from tests.ledgerbridge.dashboard.test_browser_desktop_fixes import Office, office

pytestmark = [pytest.mark.browser, pytest.mark.slow]

__all__ = ["office"]  # the fixture, used as it is


def exported(office: Office, kind: str) -> list[dict[str, Any]]:
    """The company file's records of `kind` as its export answers them (what QuickBooks
    holds, with the EditSequence and the values QuickBooks computes)."""
    with office.pc.lock:
        return [
            objects.computed(office.books, r) for r in office.books.all_records() if r.type == kind
        ]


def customer(office: Office, name: str) -> list[dict[str, Any]]:
    return [c for c in exported(office, "Customer") if c.get("Name") == name]


def _dana(office: Office) -> dict[str, Any]:
    """Dana Fox sent once (notes "gate 4"): the customer as the company file holds it."""
    office.put("customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 4")
    office.update()
    (dana,) = customer(office, "Dana Fox")
    return dana


def _edited_on_both_sides(office: Office) -> dict[str, Any]:
    """Someone at the PC changes Dana's notes after ledgerbridge read them, and the app changes
    them too: QuickBooks' 3200 (edit sequence out of date), then the same field differs."""
    dana = _dana(office)
    office.person(
        f"<CustomerModRq><CustomerMod><ListID>{dana['ListID']}</ListID>"
        f"<EditSequence>{dana['EditSequence']}</EditSequence><Notes>gate 5</Notes>"
        "</CustomerMod></CustomerModRq>"
    )
    office.put("customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 7")
    office.update()
    view = office.desk.live.service.record(office.desk.world.key_id, office.cid, "customer", "d")
    assert view.problem is not None and view.problem.code == "customer.edited_concurrently"
    return dana


def _status(office: Office, text: str) -> None:
    expect(office.page.locator("#record-status")).to_contain_text(text, timeout=30_000)


@pytest.mark.parametrize(
    ("button", "kept"),
    [("Keep QuickBooks' version", "gate 5"), ("Retry", "gate 7")],
    ids=["keep-quickbooks", "retry-sends-the-apps"],
)
def test_an_edit_quickbooks_changed_meanwhile_is_settled_by_a_button(
    office: Office, button: str, kept: str
) -> None:
    dana = _edited_on_both_sides(office)
    page = office.page
    office.open("customer", "d")
    expect(page.locator("#problem-heading")).to_contain_text("changed")
    expect(page.locator(".problem-panel")).to_contain_text("customer.edited_concurrently")
    assert customer(office, "Dana Fox")[0]["Notes"] == "gate 5"  # not overwritten
    office.desk.click_action(button)
    # the click returns before the dashboard has stored the fix: the page says it first, so
    # the Web Connector's update below is never one that comes before the fix
    office.desk.said(f"{button}:")
    office.desk.shot(f"desktop-stale-{kept.replace(' ', '-')}-pressed")
    office.update()
    page.reload()
    _status(office, "Synced")
    expect(page.locator("#problem-heading")).to_have_count(0)
    (after,) = customer(office, "Dana Fox")
    assert after["ListID"] == dana["ListID"]  # the same customer, never a second one
    assert after["Notes"] == kept
    view = office.desk.live.service.record(office.desk.world.key_id, office.cid, "customer", "d")
    assert view.status == "synced" and view.quickbooks_id == dana["ListID"]


@pytest.mark.parametrize("code", [3170, 3175])
def test_a_record_in_use_is_retried_from_the_page_once_it_is_free(
    office: Office, code: int
) -> None:
    dana = _dana(office)
    office.books.locks[dana["ListID"]] = Lock(dana["ListID"], code, None)  # a window left open
    office.put("customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 9")
    office.update()
    page = office.page
    office.open("customer", "d")
    expect(page.locator("#problem-heading")).to_contain_text("open in QuickBooks Desktop")
    expect(page.locator(".problem-panel")).to_contain_text("record.in_use_in_quickbooks")
    _status(office, "Pending")  # tried again later by itself: not an error of the record
    assert customer(office, "Dana Fox")[0]["Notes"] == "gate 4"
    office.desk.shot(f"desktop-in-use-{code}")
    del office.books.locks[dana["ListID"]]  # the other user saved and closed the window
    office.desk.click_action("Retry")  # without waiting for the retry's own time
    office.desk.said("Retry:")
    office.update()
    page.reload()
    _status(office, "Synced")
    expect(page.locator("#problem-heading")).to_have_count(0)
    (after,) = customer(office, "Dana Fox")
    assert after["Notes"] == "gate 9" and after["ListID"] == dana["ListID"]


def test_a_transaction_in_a_closed_period_is_moved_to_the_first_open_day(
    office: Office,
) -> None:
    office.put("customer", "c", display_name="Eve Park")
    office.update()
    office.books.closing_date = date(2026, 11, 30)  # the accountant closes November
    office.put(
        "invoice",
        "inv-1",
        customer_id="c",
        number="7003",
        date="2026-11-15",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00"}],
    )
    office.update()
    page = office.page
    office.open("invoice", "inv-1")
    expect(page.locator(".problem-panel")).to_contain_text("invoice.closed_period")
    assert not exported(office, "Invoice")
    office.desk.click_action("Move to open period")
    office.desk.said("Move to open period:")
    office.desk.shot("desktop-closed-period-moved")
    office.update()
    page.reload()
    _status(office, "Synced")
    expect(page.locator("#problem-heading")).to_have_count(0)
    (sent,) = exported(office, "Invoice")
    assert sent["TxnDate"] == "2026-12-01" and sent["RefNumber"] == "7003"
    view = office.desk.live.service.record(office.desk.world.key_id, office.cid, "invoice", "inv-1")
    assert view.quickbooks_id == sent["TxnID"]


def test_reactivate_a_class_made_inactive_at_the_pc(office: Office) -> None:
    """Reactivate (a fix that needs QuickBooks itself) of a class: it waits for the Web
    Connector, whose next update makes the class active again, and the invoice follows."""
    office.put("customer", "c", display_name="Eve Park")
    office.update()
    (residential,) = [c for c in exported(office, "Class") if c["FullName"] == "Residential"]
    office.person(
        f"<ClassModRq><ClassMod><ListID>{residential['ListID']}</ListID><EditSequence>"
        f"{residential['EditSequence']}</EditSequence><IsActive>false</IsActive></ClassMod>"
        "</ClassModRq>"
    )
    office.put(
        "invoice",
        "inv-1",
        customer_id="c",
        number="7005",
        date="2026-11-20",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00", "class": "Residential"}],
    )
    office.update()
    page = office.page
    office.open("invoice", "inv-1")
    expect(page.locator("#problem-heading")).to_have_text("Class is inactive in QuickBooks Desktop")
    expect(page.locator(".problem-panel")).to_contain_text('The class "Residential"')
    office.desk.click_action("Reactivate")
    expect(page.locator("#confirm-text")).to_contain_text("done at its next update")
    expect(page.locator("#confirm-text")).not_to_contain_text("added again from the app")
    office.desk.click_action("Yes, reactivate")
    expect(page.locator("#record-waiting")).to_contain_text("Reactivate is waiting")
    office.desk.shot("desktop-class-reactivate-waiting")
    (still,) = [c for c in exported(office, "Class") if c["FullName"] == "Residential"]
    assert still["IsActive"] == "false"  # nothing done in QuickBooks before the update

    office.update()  # the PC's next update carries it out; the page asks by itself
    _status(office, "Synced")
    expect(page.locator("#record-waiting")).to_have_count(0)
    office.desk.shot("desktop-class-reactivate-done")
    (again,) = [c for c in exported(office, "Class") if c["FullName"] == "Residential"]
    assert again["IsActive"] == "true" and again["ListID"] == residential["ListID"]
    (sent,) = exported(office, "Invoice")
    assert sent["RefNumber"] == "7005"
    assert sent["InvoiceLineRet"][0]["ClassRef"]["ListID"] == residential["ListID"]
