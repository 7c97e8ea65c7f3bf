"""The dashboard in a real browser (headless Chromium): an office user signs in, connects a
company through the emulator's consent page, resolves problems by clicking, resyncs from the
log in bulk and edits a mapping. Every outcome is read back from the emulator's export.

Syncing is explicit (`sync`: the push pass, called directly) so that each step is
deterministic; each test leaves a screenshot (see `browser.py`).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.engine.failures._sales import (
    close_books,
    map_check,
    synced_invoice,
    use_custom_numbers,
)
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view
from tests.ledgerbridge.engine.failures.test_invoices import their_invoice

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINES = [{"item_id": "svc", "quantity": "2", "unit_price": "100.00"}]


def entities(desk: Desk, entity: str) -> list[dict[str, Any]]:
    return desk.world.entities(entity)


def status_of(desk: Desk, record_type: str, app_id: str) -> str:
    return view(desk.world, record_type, app_id).status


def customer_and_item(desk: Desk) -> None:
    put(desk.world, "customer", "ann", display_name="Ann Lee", email="ann@example.com")
    put(
        desk.world,
        "item",
        "svc",
        name="Service Call",
        unit_price="100.00",
        income_account="Services",
    )


def test_signing_in_and_connecting_a_company_through_the_consent_page(desk: Desk) -> None:
    page = desk.page
    page.get_by_role("link", name="Main office").click()
    expect(page.get_by_text("Not connected", exact=True)).to_be_visible()
    page.get_by_role("button", name="Connect to QuickBooks").click()
    # the emulator's consent page: choose the company, press Connect
    expect(page.get_by_role("heading", name=re.compile("wants to connect"))).to_be_visible()
    page.locator(f'input[name="realm_id"][value="{desk.world.realm_id}"]').check()
    page.get_by_role("button", name="Connect").click()
    # back on the dashboard's connection page
    expect(page).to_have_url(re.compile(rf"/dashboard/connections/{desk.cid}\?notice=connected"))
    expect(page.locator("#live")).to_contain_text("QuickBooks is connected.")
    expect(page.locator(".status-line")).to_contain_text("Active")
    expect(page.get_by_text(f"Books {desk.world.key_id[-6:]}")).to_be_visible()
    desk.shot("connected")
    assert desk.live.service.connection(desk.world.key_id, desk.cid).status == "active"
    # keyboard: the skip link is the first stop and takes focus to the main content
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()


def test_a_customer_named_like_a_vendor_is_differentiated(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    Person(world).create("Vendor", {"DisplayName": "Maria Delgado"})
    pull(world)
    put(world, "customer", "maria", display_name="Maria Delgado", email="maria@example.com")
    sync(world)
    desk.open_record("customer", "maria")
    expect(desk.page.get_by_role("heading", level=2, name=re.compile("vendor"))).to_be_visible()
    desk.shot("differentiate-before")
    desk.click_action("Differentiate")
    desk.said("Differentiate:")
    sync(world)
    assert [c["DisplayName"] for c in entities(desk, "Customer")] == ["Maria Delgado - 2"]
    assert [v["DisplayName"] for v in entities(desk, "Vendor")] == ["Maria Delgado"]
    desk.page.reload()
    expect(desk.page.locator(".facts")).to_contain_text("Synced")
    desk.shot("differentiate-after")


def test_a_payment_reference_too_long_is_shortened(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    synced_invoice(world)
    map_check(world, Person(world))
    code = "CONF-8F2A9C4E7B1D-2026-05-10-0001"
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-10",
        amount="200.00",
        method="check",
        reference=code,
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )
    sync(world)
    desk.open_record("payment", "pay-1")
    # the end is recommended for a reference (an id's unique part); this test keeps the start
    desk.page.get_by_label(re.compile("^Keep the start:")).check()
    desk.click_action("Shorten")
    desk.said("Shorten:")
    sync(world)
    (paid,) = entities(desk, "Payment")
    assert paid["PaymentRefNum"] == code[:21]
    desk.page.reload()
    expect(desk.page.get_by_role("table").filter(has_text="Sent to QuickBooks")).to_contain_text(
        code[:21]
    )
    desk.shot("shorten-after")


def test_an_invoice_number_used_in_quickbooks_is_renumbered_there_after_confirming(
    desk: Desk,
) -> None:
    desk.connect()
    world = desk.world
    use_custom_numbers(world)
    pull(world)
    theirs = their_invoice(Person(world), "1001")
    pull(world)
    customer_and_item(desk)
    put(world, "invoice", "inv-1", customer_id="ann", number="1001", date="2026-05-04", lines=LINES)
    sync(world)
    desk.open_record("invoice", "inv-1")
    desk.click_action("Renumber the QuickBooks document")
    expect(
        desk.page.get_by_role("heading", name="Confirm: Renumber the QuickBooks document")
    ).to_be_visible()
    desk.shot("renumber-confirm")
    assert {i["DocNumber"] for i in entities(desk, "Invoice")} == {"1001"}  # nothing yet
    desk.click_action("Yes, renumber the QuickBooks document")
    desk.said("renumbered from 1001 to 1002")
    sync(world)
    numbers = {i["Id"]: i["DocNumber"] for i in entities(desk, "Invoice")}
    ours = view(world, "invoice", "inv-1").quickbooks_id
    assert numbers == {theirs["Id"]: "1002", ours: "1001"}


def test_an_inactive_customer_is_reactivated_after_confirming(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    person = Person(world)
    pull(world)
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(world, "customer", "bo", display_name="Bo Diaz", email="bo@example.com")
    sync(world)
    (bo,) = entities(desk, "Customer")
    person.update("Customer", bo["Id"], DisplayName="Bo Diaz", Active=False)
    pull(world)
    put(world, "customer", "bo", display_name="Bo Diaz", email="bo@example.com", phone="555-0101")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="bo",
        date="2026-11-02",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "90.00"}],
    )
    sync(world)
    desk.open_record("customer", "bo")
    desk.click_action("Reactivate")
    expect(desk.page.get_by_text("active again in QuickBooks, right now")).to_be_visible()
    # the confirm button takes the focus, so Enter confirms from the keyboard
    expect(desk.page.get_by_role("button", name="Yes, reactivate")).to_be_focused()
    desk.page.keyboard.press("Enter")
    desk.said("is active again")
    desk.shot("reactivate-after")
    sync(world)
    (customer,) = entities(desk, "Customer")
    assert customer["Active"] is True
    (invoice,) = entities(desk, "Invoice")
    assert invoice["CustomerRef"]["value"] == bo["Id"]


def test_an_invoice_in_closed_books_moves_to_the_open_period(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    pull(world)
    close_books(world, "2026-03-31")
    pull(world)
    customer_and_item(desk)
    put(world, "invoice", "inv-1", customer_id="ann", number="1001", date="2026-03-15", lines=LINES)
    sync(world)
    desk.open_record("invoice", "inv-1")
    expect(desk.page.locator(".problem-panel")).to_contain_text("2026-03-31")
    desk.shot("closed-books-before")
    desk.click_action("Move to open period")
    desk.said("Move to open period:")
    sync(world)
    (invoice,) = entities(desk, "Invoice")
    assert invoice["TxnDate"] == "2026-04-01"
    assert status_of(desk, "invoice", "inv-1") == "synced"


def test_a_record_is_bypassed_and_the_bypass_undone(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    pull(world)
    put(world, "customer", "cy", display_name="Cy Young")
    desk.open_record("customer", "cy")
    desk.click_action("Bypass")
    desk.said("Bypass:")
    expect(desk.page.locator(".facts")).to_contain_text("Bypassed")
    sync(world)
    assert entities(desk, "Customer") == []  # a bypassed record is not sent
    desk.click_action("Undo bypass")
    desk.said("Undo bypass:")
    sync(world)
    assert [c["DisplayName"] for c in entities(desk, "Customer")] == ["Cy Young"]
    desk.page.reload()
    expect(desk.page.locator(".timeline")).to_contain_text("Bypass clicked")
    desk.shot("bypass-undone")


def test_a_mapping_is_edited_and_the_stopped_payments_go_on_by_themselves(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    synced_invoice(world)
    for app_id in ("pay-1", "pay-2"):
        put(
            world,
            "payment",
            app_id,
            customer_id="ann",
            date="2026-05-10",
            amount="100.00",
            method="zelle",
            applied_to=[{"invoice_id": "inv-1", "amount": "100.00"}],
        )
    sync(world)
    assert status_of(desk, "payment", "pay-1") == "error"
    page = desk.page

    page.goto(desk.url("/mappings"))
    section = page.locator("section").filter(
        has=page.get_by_role("heading", name="Payment methods")
    )
    section.get_by_label("New app payment method").fill("zelle")
    section.get_by_label("QuickBooks payment method for the new value").select_option(label="Check")
    section.get_by_role("button", name="Save payment methods").click()
    desk.said("Payment methods saved: 1 mapped.")
    desk.shot("mappings-saved")
    mappings = desk.live.service.mappings(world.key_id, desk.cid)
    assert set(mappings["payment_methods"]) == {"zelle"}

    # saving the mapping released the payments that waited for it: nobody resyncs them
    assert status_of(desk, "payment", "pay-1") == "pending"
    sync(world)
    assert len(entities(desk, "Payment")) == 2
    page.goto(desk.url("/log"))
    page.get_by_label("Status").select_option(label="Needs attention")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table.log tbody").get_by_role("checkbox")).to_have_count(0)

    # a bulk resync of the two (synced) payments: queued, audited, and nothing made twice
    page.goto(desk.url("/log?type=payment"))
    expect(page.locator("table.log tbody").get_by_role("checkbox")).to_have_count(2)
    page.get_by_role("checkbox", name=re.compile("pay-1")).check()
    page.get_by_role("checkbox", name=re.compile("pay-2")).check()
    desk.shot("log-ticked")
    page.get_by_role("button", name="Resync").click()
    desk.said("2 records queued to be sent again.")
    sync(world)
    assert len(entities(desk, "Payment")) == 2
    page.goto(desk.url("/log?type=payment"))
    expect(page.locator("table.log tbody")).not_to_contain_text("Needs attention")
    desk.shot("log-after-resync")
    # the same log on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(desk.url("/health"))
    expect(page.get_by_role("img", name="Records per status")).to_be_visible()
    desk.shot("health-phone")


def test_select_all_on_this_page_ticks_the_pages_records_from_the_keyboard(desk: Desk) -> None:
    world = desk.world
    for app_id, name in (("ann", "Ann Lee"), ("bo", "Bo Diaz"), ("cy", "Cy Young")):
        put(world, "customer", app_id, display_name=name)
    put(world, "vendor", "v-1", display_name="Lumber Yard")
    page = desk.page
    page.goto(desk.url("/log"))
    # filtered with htmx: the results are swapped in, and the script enables them too
    page.get_by_label("Record type").select_option(label="Customer")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.log tbody").get_by_role("checkbox")
    expect(rows).to_have_count(3)
    everything = page.get_by_role("checkbox", name="Select all on this page")
    expect(everything).to_be_visible()

    page.get_by_role("button", name="Bypass").focus()
    page.keyboard.press("Tab")  # the next stop after the bulk buttons
    expect(everything).to_be_focused()
    page.keyboard.press("Space")
    for index in range(3):
        expect(rows.nth(index)).to_be_checked()
    page.get_by_role("checkbox", name=re.compile("Bo Diaz")).uncheck()
    expect(everything).not_to_be_checked()
    assert everything.evaluate("box => box.indeterminate") is True  # some, not all
    page.get_by_role("checkbox", name=re.compile("Bo Diaz")).check()
    expect(everything).to_be_checked()
    assert everything.evaluate("box => box.indeterminate") is False
    desk.shot("log-select-all")

    page.get_by_role("button", name="Resync").click()
    desk.said("3 records queued to be sent again.")
    expect(rows).to_have_count(3)  # the page again, nothing ticked
    expect(everything).not_to_be_checked()
    everything.press("Space")
    everything.press("Space")  # and cleared again
    for index in range(3):
        expect(rows.nth(index)).not_to_be_checked()
