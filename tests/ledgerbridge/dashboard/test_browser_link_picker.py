"""The Link picker in a real browser (headless Chromium), at a desk's width (1366x900) and a
phone's (390x844): a record that already exists in QuickBooks is found in QuickBooks' own list
(by name, email, SKU), the list is refreshed when it is older than what a person just created
there, and the record is linked to the one picked. That it is linked to that object is read
from the emulator's export: nothing new was created, and the app's next change lands on it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.ledgerbridge.dashboard.browser import Desk, sign_in
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def by_id(desk: Desk, entity: str) -> dict[str, dict[str, object]]:
    return {str(row["Id"]): row for row in desk.world.entities(entity)}


def test_a_customer_is_picked_from_quickbooks_list_after_a_refresh_and_linked(
    desk: Desk,
) -> None:
    desk.connect()
    world = desk.world
    person = Person(world)
    person.create(
        "Customer",
        {"DisplayName": "Harbor Dental", "PrimaryEmailAddr": {"Address": "front@harbor.example"}},
    )
    person.create("Customer", {"DisplayName": "Harbor Freight Tools"})
    pull(world)  # ledgerbridge's copy of QuickBooks' list: without the one made next
    wanted = person.create(
        "Customer",
        {
            "DisplayName": "Harbor Dental Group",
            "PrimaryEmailAddr": {"Address": "office@harbordentalgroup.example"},
        },
    )
    put(world, "customer", "hdg", display_name="Harbor Dental Group")
    before = by_id(desk, "Customer")

    page = desk.page
    page.set_viewport_size(DESK)
    desk.open_record("customer", "hdg")
    search = page.get_by_label(re.compile("search QuickBooks' list"))
    expect(search).to_have_value("Harbor Dental Group")
    page.get_by_role("button", name="Find in QuickBooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link to a QuickBooks customer")
    expect(page.locator("#freshness")).to_contain_text(
        re.compile(r"QuickBooks' list as of .* ago|just now")
    )
    expect(page.locator(".picker-result")).to_have_count(0)  # made after the last read
    expect(page.get_by_text("No QuickBooks customer matches")).to_be_visible()
    desk.shot("link-picker-before-refresh")

    page.get_by_role("button", name="Refresh from QuickBooks").click()
    desk.said("QuickBooks' list is up to date.")
    expect(page.locator(".picker-result")).to_have_count(1)
    expect(page.locator(".picker-result")).to_contain_text("office@harbordentalgroup.example")

    # searched by part of a name, then by email, with the plain GET form
    page.get_by_label(re.compile("Search QuickBooks' customers")).fill("harbor")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".picker-name")).to_have_text(
        ["Harbor Dental", "Harbor Dental Group", "Harbor Freight Tools"]
    )
    desk.shot("link-picker-desk")
    page.get_by_label(re.compile("Search QuickBooks' customers")).fill("OFFICE@harbordental")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".picker-name")).to_have_text(["Harbor Dental Group"])

    page.get_by_role("button", name="Link to Harbor Dental Group").click()
    expect(page.locator("#confirm-text")).to_contain_text(f"QuickBooks customer {wanted['Id']}")
    page.get_by_role("button", name="Yes, link").click()
    desk.said("Link:")
    desk.shot("link-picker-linked")
    assert view(world, "customer", "hdg").quickbooks_id == wanted["Id"]

    # in QuickBooks: nothing was created; the app's next change lands on the one picked
    assert by_id(desk, "Customer").keys() == before.keys()
    put(world, "customer", "hdg", display_name="Harbor Dental Group", phone="555-0199")
    sync(world)
    after = by_id(desk, "Customer")
    assert after.keys() == before.keys()
    assert after[wanted["Id"]]["PrimaryPhone"] == {"FreeFormNumber": "555-0199"}


def test_an_item_is_picked_by_its_sku_on_a_phone_without_javascript(
    desk: Desk, browser: Browser
) -> None:
    desk.connect()
    world = desk.world
    person = Person(world)
    income = next(a["Id"] for a in world.entities("Account") if a["AccountType"] == "Income")
    for name, sku in (("Drill Kit", "DK-220"), ("Drill Bits", "DB-10"), ("Saw Blade", "SB-3")):
        person.create(
            "Item",
            {"Name": name, "Sku": sku, "Type": "Service", "IncomeAccountRef": {"value": income}},
        )
    pull(world)
    put(world, "item", "kit", name="Drill kit (rental)", unit_price="20.00")
    before = by_id(desk, "Item")
    kit = next(i for i in before.values() if i["Name"] == "Drill Kit")

    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = desk.page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, desk.live.url, desk.email)
    desk.open_record("item", "kit")
    page.get_by_label(re.compile("search QuickBooks' list")).fill("dk-2")
    page.get_by_role("button", name="Find in QuickBooks").click()
    expect(page.locator(".picker-name")).to_have_text(["Drill Kit"])
    expect(page.locator(".picker-result")).to_contain_text("SKU DK-220")
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"the picker is {wide}px wide on a {PHONE['width']}px phone"
    desk.shot("link-picker-phone")
    page.get_by_role("button", name="Link to Drill Kit").click()
    page.get_by_role("button", name="Yes, link").click()  # a whole page each time: no script
    desk.said("Link:")
    desk.shot("link-picker-phone-linked")
    assert view(world, "item", "kit").quickbooks_id == kit["Id"]
    assert by_id(desk, "Item").keys() == before.keys()  # nothing created

    # the linked one says so in the picker, with no Link button; the others keep theirs
    page.goto(desk.url("/link/item/kit?q=drill"))
    expect(page.get_by_text("This record cannot be linked now")).to_be_visible()
    expect(page.locator(".picker-result").filter(has_text="Drill Kit")).to_contain_text(
        "Linked already to the app's item"
    )
    expect(page.get_by_role("button", name=re.compile("^Link to"))).to_have_count(0)
    context.close()
