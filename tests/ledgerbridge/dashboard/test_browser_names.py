"""Names instead of ids and Shorten with a choice, in a real browser (headless Chromium) at a
desk's width (1366x900) and a phone's (390x844), with screenshots: a blocked invoice names
the property it waits for and links to it; an invoice moved in QuickBooks shows both
customers by name; Shorten shows each cut with what it sends, and is used from the keyboard
alone (Tab, arrows, Enter: no mouse). Outcomes are read back from the emulator's export."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.engine.failures._sales import map_check, synced_invoice
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view
from tests.ledgerbridge.engine.failures.test_invoices import moved_to_bob

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
STRIPE = "pi_3OaBcDeFgHiJkLmN0pQrStUv9XyZ"


def fits(page: Page) -> None:
    """Nothing wider than the window: no sideways scrolling of the page itself."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def tab_to(page: Page, selector: str, presses: int = 80) -> int:
    """Press Tab until the focus is on `selector`; how many presses it took."""
    for n in range(1, presses + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return n
    raise AssertionError(f"Tab never reached {selector}")


def test_a_blocked_invoice_names_the_property_it_waits_for_at_both_widths(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    person = Person(world)
    person.create("Vendor", {"DisplayName": "55 Meadowlark Ct"})  # the name is taken there
    pull(world)
    put(world, "customer", "maria", display_name="Maria Delgado", email="maria@example.com")
    put(
        world,
        "customer",
        "prop-x-maria-1",
        display_name="55 Meadowlark Ct",
        kind="property",
        parent_id="maria",
    )
    put(world, "item", "svc", name="Service Call", unit_price="90.00", income_account="Services")
    lines = [{"item_id": "svc", "quantity": "1", "unit_price": "90.00"}]
    put(world, "invoice", "inv-1", customer_id="prop-x-maria-1", date="2026-05-04", lines=lines)
    sync(world)
    assert view(world, "invoice", "inv-1").status == "blocked"

    page = desk.page
    for name, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        desk.open_record("invoice", "inv-1")
        blocker = page.locator("#blocker")
        expect(blocker.get_by_role("link")).to_have_text("Customer 55 Meadowlark Ct")
        expect(blocker).to_contain_text("app id prop-x-maria-1")  # small, beside the name
        expect(page.locator(".meaning")).to_contain_text('"55 Meadowlark Ct"')
        fits(page)
        desk.shot(f"names-blocked-{name}")
    blocker.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer 55 Meadowlark Ct")
    expect(page.locator(".problem-panel")).to_contain_text("vendor")


def test_an_invoice_moved_in_quickbooks_shows_both_customers_by_name(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    ann, bob = moved_to_bob(world, Person(world), bob_in_app=False)
    page = desk.page
    for name, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        desk.open_record("invoice", "inv-1")
        row = page.locator('tr[data-path="CustomerRef.value"]')
        expect(row.get_by_role("rowheader")).to_have_text("Customer")
        expect(row.locator("td").nth(0)).to_have_text(f"Ann Lee QuickBooks id {ann}")
        expect(row.locator("td").nth(1)).to_have_text(f"Bob Stone QuickBooks id {bob}")
        expect(page.get_by_text("CustomerRef")).to_have_count(0)
        fits(page)
        desk.shot(f"names-moved-{name}")


def too_long_reference(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    synced_invoice(world)
    map_check(world, Person(world))
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-10",
        amount="200.00",
        method="check",
        reference=STRIPE,
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )
    sync(world)


def test_shorten_shows_each_cut_and_sends_a_typed_value(desk: Desk) -> None:
    too_long_reference(desk)
    page = desk.page
    for name, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        desk.open_record("payment", "pay-1")
        form = page.locator("form.shorten-form")
        expect(form).to_contain_text(f"{STRIPE} has {len(STRIPE)} characters")
        expect(form).to_contain_text("QuickBooks accepts at most 21")
        expect(page.get_by_label(re.compile(r"^Keep the end \(recommended\)"))).to_be_checked()
        expect(form.locator("code.preview")).to_have_text(
            [STRIPE[-21:], STRIPE[:21], STRIPE[:11] + STRIPE[-10:]]
        )
        expect(page.get_by_label("Sent to QuickBooks")).to_have_value(STRIPE[-21:])
        fits(page)
        desk.shot(f"shorten-choices-{name}")
    # a cut picked fills the box with exactly what it sends; typing picks "Type it yourself"
    page.get_by_label(re.compile("^Keep the start and the end:")).check()
    expect(page.get_by_label("Sent to QuickBooks")).to_have_value(STRIPE[:11] + STRIPE[-10:])
    page.get_by_label("Sent to QuickBooks").fill("too long for QuickBooks!")
    expect(page.get_by_label("Type it yourself, in the box below")).to_be_checked()
    expect(page.locator("#shorten-count")).to_contain_text("24 of at most 21 characters: too long")
    page.get_by_role("button", name="Shorten", exact=True).click()
    desk.said("Shorten was refused: value: value has 24 characters")
    assert desk.world.entities("Payment") == []
    page.get_by_label("Sent to QuickBooks").fill("stripe 9XyZ")
    page.get_by_role("button", name="Shorten", exact=True).click()
    desk.said('Shorten: the payment reference goes to QuickBooks as "stripe 9XyZ" (11 characters).')
    sync(desk.world)
    (paid,) = desk.world.entities("Payment")
    assert paid["PaymentRefNum"] == "stripe 9XyZ"
    desk.shot("shorten-typed-after")


def test_shorten_from_the_keyboard_alone_keeps_the_end(desk: Desk) -> None:
    """Tab to the choices, arrows between them, Tab to the button, Enter: no mouse."""
    too_long_reference(desk)
    page = desk.page
    page.set_viewport_size(DESK)
    desk.open_record("payment", "pay-1")
    page.locator("body").focus()
    tab_to(page, "#keep-end")  # the checked choice of the group takes the focus
    page.keyboard.press("ArrowDown")
    expect(page.locator("#keep-start")).to_be_checked()
    expect(page.get_by_label("Sent to QuickBooks")).to_have_value(STRIPE[:21])
    page.keyboard.press("ArrowUp")
    expect(page.locator("#keep-end")).to_be_checked()
    expect(page.get_by_label("Sent to QuickBooks")).to_have_value(STRIPE[-21:])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Sent to QuickBooks")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Shorten", exact=True)).to_be_focused()
    desk.shot("shorten-keyboard-before")
    page.keyboard.press("Enter")
    desk.said(f'Shorten: the payment reference goes to QuickBooks as "{STRIPE[-21:]}"')
    # the outcome is announced and the focus is on the record's status again
    expect(page.locator("#record-panel section.panel").first).to_be_focused()
    sync(desk.world)
    (paid,) = desk.world.entities("Payment")
    assert paid["PaymentRefNum"] == STRIPE[-21:]  # exactly the tail: the unique part
    page.reload()
    expect(page.locator("#record-status")).to_contain_text("Synced")
    table = page.get_by_role("table").filter(has_text="Sent to QuickBooks differently")
    expect(table.get_by_role("rowheader")).to_have_text("Payment reference")
    expect(table).to_contain_text(STRIPE[-21:])
    desk.shot("shorten-keyboard-after")


def test_a_fix_step_links_to_the_screen_it_names_from_the_keyboard(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    synced_invoice(world)
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-10",
        amount="200.00",
        method="zelle",
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )
    sync(world)
    page = desk.page
    page.set_viewport_size(PHONE)
    desk.open_record("payment", "pay-1")
    link = page.get_by_role("link", name="Open the payment method mappings")
    expect(link).to_be_visible()
    desk.shot("fix-step-link-phone")
    page.locator("body").focus()
    tab_to(page, "a.screen-link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/mappings#h-payment_methods$"))
    expect(page.get_by_role("heading", name="Payment methods")).to_be_visible()
