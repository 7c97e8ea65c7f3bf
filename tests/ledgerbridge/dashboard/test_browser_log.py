"""The sync log and a record's page in a real browser (headless Chromium), at a desk's width
(1366x900) and a phone's (390x844): sorting, paging, ticking records on two pages for one bulk
Resync, the resynced records staying in view and turning green by themselves, everything that
matches in one bulk action, and a record's page updating by itself after a fix. What the pages
say happened in QuickBooks is checked against the emulator's export.

Syncing is explicit (`sync`, the push pass) while the page is open: the page is never reloaded
by the test, so what changes on it changed by itself (htmx polling).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from ledgerbridge.core.records import Incoming
from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def customers_synced(desk: Desk, count: int) -> None:
    world = desk.world
    records = [
        Incoming("customer", f"c-{n:02d}", {"display_name": f"Customer {n:02d}"})
        for n in range(count)
    ]
    world.service.put_records(world.key_id, world.connection_id, records)
    desk.connect()
    sync(world)
    assert len(desk.world.entities("Customer")) == count


def test_the_log_sorts_pages_and_resyncs_ticks_from_two_pages_which_turn_green(
    desk: Desk,
) -> None:
    customers_synced(desk, 60)
    world = desk.world
    page = desk.page
    page.set_viewport_size(DESK)
    page.goto(desk.url("/log"))
    expect(page.locator("#log-total")).to_contain_text("60 records, showing 1\u201350")
    rows = page.locator("table.log tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("Page 1 of 2")
    desk.shot("log-newest-first")

    # sort by name, then the next page: both in the address
    page.get_by_role("link", name="Record").click()
    expect(rows.first).to_contain_text("Customer 00")
    assert query_of(page)["sort"] == ["name"]
    page.get_by_role("link", name="Next", exact=True).click()
    expect(page.locator(".pager")).to_contain_text("Page 2 of 2")
    expect(rows.first).to_contain_text("Customer 50")
    assert query_of(page)["page"] == ["2"] and query_of(page)["sort"] == ["name"]
    page.reload()  # the address alone brings the same view back
    expect(rows.first).to_contain_text("Customer 50")
    page.get_by_role("link", name="Record").click()  # the other way round
    expect(rows.first).to_contain_text("Customer 59")

    # jump to a page with another page size
    page.get_by_label("Records a page").select_option("25")
    page.get_by_label("Page", exact=True).fill("2")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".pager")).to_contain_text("Page 2 of 3")
    expect(rows).to_have_count(25)
    assert query_of(page)["size"] == ["25"]

    # one record ticked on this page, one on the next: one Resync sends both
    page.get_by_role("checkbox", name=re.compile("Customer 34")).check()
    page.get_by_role("link", name="Next", exact=True).click()
    expect(page.locator(".pager")).to_contain_text("Page 3 of 3")
    page.get_by_role("checkbox", name=re.compile("Customer 05")).check()
    expect(page.locator("#selection-count")).to_have_text("2 ticked, some on other pages")
    desk.shot("log-ticked-on-two-pages")
    page.get_by_role("button", name="Resync").click()
    desk.said("2 records queued to be sent again.")
    # the two stay in view (not the filter), pending, and the list asks again by itself
    expect(rows).to_have_count(2)
    expect(page.locator("#log-total")).to_contain_text("the records your bulk action changed")
    expect(page.locator("#log-working")).to_contain_text("this list updates by itself")
    assert "acted" in query_of(page)
    expect(page.locator('tr[data-status="pending"]')).to_have_count(2)
    desk.shot("log-after-resync-pending")
    # typing in the results' own box pauses the refresh (nothing wipes what is typed)
    jump = page.get_by_label("Page", exact=True)
    jump.fill("1")
    jump.focus()
    sync(world)
    page.wait_for_timeout(4_000)  # more than one refresh's interval
    expect(page.locator('tr[data-status="pending"]')).to_have_count(2)
    page.get_by_role("heading", name="Sync log").click()  # focus leaves the box
    expect(page.locator('tr[data-status="synced"]')).to_have_count(2, timeout=15_000)
    expect(page.locator("#log-working")).to_have_count(0)  # nothing pending: it stopped asking
    desk.said("2 records queued to be sent again.")  # the poll never cleared what was said
    desk.shot("log-after-resync-synced")
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert len(names) == 60 and "Customer 05" in names  # in QuickBooks, and nothing made twice
    assert view(world, "customer", "c-05").status == "synced"

    # everything that matches, on every page: one Resync, and all 60 turn green by themselves
    page.goto(desk.url("/log?q=Customer+1&size=25"))
    expect(page.locator("#log-total")).to_contain_text("10 records")
    page.goto(desk.url("/log?q=Customer&size=25"))
    page.get_by_label(re.compile("All 60 records that match")).check()
    desk.shot("log-all-matching-ticked")
    page.get_by_role("button", name="Resync").click()
    desk.said("60 records queued to be sent again.")
    expect(page.locator("#log-total")).to_contain_text("60 records, showing 1\u201325")
    expect(page.locator('tr[data-status="pending"]')).to_have_count(25)
    sync(world)
    expect(page.locator('tr[data-status="synced"]')).to_have_count(25, timeout=15_000)
    desk.shot("log-all-matching-synced")
    assert len(world.entities("Customer")) == 60  # sent again, never created twice

    # the same log on a phone
    page.set_viewport_size(PHONE)
    page.goto(desk.url("/log?sort=status&dir=asc"))
    expect(page.locator("#log-total")).to_be_visible()
    expect(page.get_by_role("link", name="Next", exact=True)).to_be_visible()
    expect(page.locator("#selection-clear")).to_be_hidden()  # nothing ticked any more
    expect(page.get_by_role("link", name="Last activity")).to_be_visible()
    desk.shot("log-phone")


def test_a_record_page_updates_by_itself_after_a_fix_and_says_when_quickbooks_confirmed(
    desk: Desk,
) -> None:
    desk.connect()
    world = desk.world
    Person(world).create("Vendor", {"DisplayName": "Maria Delgado"})
    pull(world)
    put(world, "customer", "maria", display_name="Maria Delgado", email="maria@example.com")
    sync(world)
    page = desk.page
    page.set_viewport_size(DESK)
    desk.open_record("customer", "maria")
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Needs attention")
    desk.click_action("Differentiate")
    desk.said("Differentiate:")
    expect(facts).to_contain_text("Pending")
    expect(page.locator("#record-working")).to_contain_text("this page updates by itself")
    desk.shot("record-fixed-pending")
    sync(world)  # the worker sends it; the page is not reloaded
    expect(facts).to_contain_text("Synced", timeout=15_000)
    expect(page.locator("#confirmed-at")).to_contain_text("QuickBooks confirmed it")
    expect(facts).not_to_contain_text("Not in QuickBooks yet")
    expect(page.locator("#record-working")).to_have_count(0)
    desk.said("Synced: QuickBooks confirmed it at")
    (customer,) = world.entities("Customer")
    assert customer["DisplayName"] == "Maria Delgado - 2"
    expect(facts).to_contain_text(f"Id {customer['Id']}")
    desk.shot("record-confirmed")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#confirmed-at")).to_be_visible()
    desk.shot("record-confirmed-phone")
