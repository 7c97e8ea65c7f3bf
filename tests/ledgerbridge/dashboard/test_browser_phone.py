"""The sync log, a record's page and reconciliation on a phone (390x844) in a real browser
(headless Chromium): nothing makes the page scroll sideways (nor the log's table inside its
box), and the controls a bookkeeper needs
there are in view and take a tap (Playwright's actionability checks: visible, stable, not covered
by anything). A fix made with a tap on a phone shows on the page by itself once QuickBooks
confirmed it, checked against the emulator's export. Each page leaves a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from ledgerbridge.core.records import Incoming
from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.dashboard.busy_day import MARIA, busy_day
from tests.ledgerbridge.engine.failures.conftest import sync

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def fits_a_phone(page: Page) -> None:
    """Nothing wider than the phone: the page does not scroll sideways (a pixel of rounding)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    wide = page.evaluate(
        """() => Array.from(document.querySelectorAll('main *')).filter(e => {
             const box = e.getBoundingClientRect();
             return box.width > 0 && box.right > window.innerWidth + 1
               && !e.closest('.table-wrap, pre, details:not([open])');
           }).map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert wide == []


def log_fits(page: Page) -> None:
    """The log's table reads without scrolling it sideways: every column it shows on a phone
    (record, status, last activity, problem) inside its box."""
    widths = page.evaluate(
        """() => [document.querySelector('.table-wrap').clientWidth,
                  document.querySelector('table.log').getBoundingClientRect().width]"""
    )
    assert widths[1] <= widths[0] + 1, widths


def tappable(*controls: Locator) -> None:
    for control in controls:
        control.scroll_into_view_if_needed()
        expect(control).to_be_visible()
        control.click(trial=True)


def test_the_log_a_record_and_reconciliation_work_on_a_phone(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    busy_day(world)
    more = [
        Incoming("customer", f"c-{n:02d}", {"display_name": f"Customer {n:02d}"}) for n in range(30)
    ]
    world.service.put_records(world.key_id, world.connection_id, more)
    page = desk.page
    page.set_viewport_size(PHONE)

    # the log (point 2): filters, sorting, paging and a bulk action, each a tap away
    page.goto(desk.url("/log?size=25"))
    expect(page.locator("#log-total")).to_contain_text("records, showing 1\u201325")
    fits_a_phone(page)
    log_fits(page)
    tappable(
        page.get_by_role("button", name="Show"),
        page.get_by_role("link", name="Last activity"),
        page.get_by_role("link", name="Next", exact=True),
        page.get_by_role("button", name="Go"),
    )
    row = page.locator("table.log tbody tr").first
    box = row.get_by_role("checkbox")
    box.scroll_into_view_if_needed()
    box.check()
    expect(page.locator("#selection-count")).to_contain_text("1 ticked")
    tappable(page.get_by_role("button", name="Resync"), page.get_by_role("button", name="Bypass"))
    desk.shot("phone-log")
    page.get_by_role("link", name="Next", exact=True).click()
    expect(page.locator(".pager")).to_contain_text("Page 2 of 2")
    fits_a_phone(page)
    log_fits(page)
    expect(page.locator("table.log")).to_contain_text("This name is already taken in QuickBooks")
    desk.shot("phone-log-page-2")

    # a record with a problem (point 3): read, fixed with a tap, and updated by itself
    desk.open_record("customer", "cus-maria")
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Needs attention")
    expect(page.locator("#problem-heading")).to_be_visible()
    fits_a_phone(page)
    differentiate = page.get_by_role("button", name="Differentiate", exact=True)
    tappable(differentiate, page.get_by_role("button", name="Find in QuickBooks", exact=True))
    desk.shot("phone-record-problem")
    differentiate.click()
    desk.said("Differentiate:")
    expect(facts).to_contain_text("Pending")
    sync(world)  # the page is not reloaded
    expect(facts).to_contain_text("Synced", timeout=15_000)
    expect(page.locator("#confirmed-at")).to_be_visible()
    fits_a_phone(page)
    customers = {c["DisplayName"] for c in world.entities("Customer")}
    assert f"{MARIA} - 2" in customers and MARIA not in customers
    desk.shot("phone-record-confirmed")

    # reconciliation (point 5): the invoice deleted in QuickBooks first, and the page fits
    page.goto(desk.url("/reconciliation"))
    table = page.get_by_role("table").filter(has_text="What happened in QuickBooks")
    expect(table.locator("tbody tr").filter(has_text="No. 1001")).to_have_count(1)
    numbers = {str(i.get("DocNumber")) for i in world.entities("Invoice")}
    assert "1001" not in numbers  # it really is gone from QuickBooks
    fits_a_phone(page)
    desk.shot("phone-reconciliation")
