"""The setup checklist's numbering check in a real browser (headless Chromium): made again from
the current numbers on each visit of the Setup page, so an invoice the app renumbered stops
counting as a clash at once (nothing pulled, nobody presses "Check again now"), and the start it
proposes is above the highest invoice number in either system. QuickBooks' numbers are read
from the emulator's export, the app's from its records; each step leaves a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put
from tests.ledgerbridge.engine.failures.test_invoices import their_invoice

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINES = [{"description": "Service call", "quantity": "1", "unit_price": "90.00"}]


def highest(numbers: list[str]) -> int:
    return max(int(n) for n in numbers if n.isdigit())


def app_invoice(desk: Desk, app_id: str, number: str) -> None:
    put(
        desk.world,
        "invoice",
        app_id,
        number=number,
        customer_id="c1",
        date="2026-05-02",
        lines=LINES,
    )


def app_numbers(desk: Desk) -> list[str]:
    """The invoice numbers of the app's records, as the app has them now."""
    world = desk.world
    found = world.service.records(world.key_id, world.connection_id, record_type="invoice")
    return [str(r.data["number"]) for r in found.items]


def test_the_numbering_check_follows_a_renumbered_invoice_and_proposes_beyond_both(
    desk: Desk,
) -> None:
    desk.connect()
    person = Person(desk.world)
    for number in ("1001", "1002", "1250"):  # typed into QuickBooks by a person
        their_invoice(person, number)
    for number in ("1001", "1002", "4244"):  # the app's own invoices, never sent
        app_invoice(desk, f"inv-{number}", number)
    pull(desk.world)  # the first pull makes the checklist
    theirs = [str(i.get("DocNumber")) for i in desk.world.entities("Invoice")]
    assert sorted(theirs) == ["1001", "1002", "1250"]

    page = desk.page
    page.set_viewport_size({"width": 1366, "height": 900})
    check = page.locator("#check-numbering")
    start = page.get_by_label("Continue the app's invoice numbers from")

    def shows(clashes: str, proposed: int) -> None:
        page.goto(desk.url("/setup"))
        expect(check).to_contain_text(clashes)
        expect(check).to_contain_text(f"Start the app's invoice numbers at {proposed}.")
        expect(start).to_have_value(str(proposed))
        # above the highest number in either system: QuickBooks' (its export) and the app's
        quickbooks = highest([str(i.get("DocNumber")) for i in desk.world.entities("Invoice")])
        app = highest(app_numbers(desk))
        assert proposed > quickbooks and proposed > app, (proposed, quickbooks, app)
        assert proposed == max(quickbooks, app) + 1

    shows("2 of the app's invoice numbers are already used in QuickBooks (1001, 1002).", 4245)
    desk.shot("setup-numbering-two-clashes")

    # the app renumbers invoice 1001; the next visit counts one clash, and proposes past 4245
    app_invoice(desk, "inv-1001", "4245")
    shows("1 of the app's invoice numbers is already used in QuickBooks (1002).", 4246)
    expect(check).not_to_contain_text("1001")
    desk.shot("setup-numbering-one-renumbered")

    # and 1002 too: no clash left, nothing to apply; QuickBooks was not touched
    app_invoice(desk, "inv-1002", "4246")
    page.goto(desk.url("/setup"))
    expect(check).to_contain_text(
        "The app's invoice numbers don't clash with the numbers used in QuickBooks."
    )
    expect(check.locator(".status-line")).to_contain_text("OK")
    expect(start).to_have_count(0)
    expect(page.get_by_role("button", name="Apply numbering start")).to_have_count(0)
    numbers = sorted(str(i.get("DocNumber")) for i in desk.world.entities("Invoice"))
    assert numbers == ["1001", "1002", "1250"]
    desk.shot("setup-numbering-no-clash")
