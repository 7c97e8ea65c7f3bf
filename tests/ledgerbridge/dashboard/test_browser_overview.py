"""The overview in a real browser (headless Chromium) at a desk's width (1366x900) and a
phone's (390x844): what to do first leads the page, each thing with its one link; a status
badge opens its meaning on a tap and from the keyboard; "Everything that needs a person"
shows the blocked records under the record holding them up, by name. What the pages say of
QuickBooks is checked against the emulator's export. Each step leaves a screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.dashboard.busy_day import MARIA, busy_day

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def names(desk: Desk, entity: str) -> set[str]:
    return {str(o.get("DisplayName")) for o in desk.world.entities(entity)}


@pytest.mark.parametrize("size", [DESK, PHONE], ids=["desk", "phone"])
def test_the_overview_leads_with_what_to_do_first_and_its_links_work(
    desk: Desk, size: dict[str, int]
) -> None:
    desk.connect()
    busy_day(desk.world)
    page = desk.page
    page.set_viewport_size(size)
    page.goto(desk.url())
    first = page.locator("#what-to-do-first")
    # the first block, in view without scrolling
    expect(page.locator("main h2").first).to_have_text("What to do first")
    expect(first).to_be_in_viewport()
    top = first.locator("li.step").first
    expect(top).to_contain_text("This name is already taken in QuickBooks by a vendor")
    expect(top).to_contain_text("1 record stopped, 2 more waiting behind it")
    changes = page.locator("section[aria-labelledby=changes-heading]")
    expect(changes).to_contain_text("Invoice was deleted in QuickBooks: 1 invoice")
    expect(changes).to_contain_text("Added in QuickBooks, not from the app: 1 customer")
    # the export says the same: Maria is a vendor only, invoice 1001 is gone, Walk-in is new
    assert MARIA in names(desk, "Vendor") and MARIA not in names(desk, "Customer")
    assert "1001" not in {str(i.get("DocNumber")) for i in desk.world.entities("Invoice")}
    assert "Walk-in Buyer" in names(desk, "Customer")
    width = "desk" if size == DESK else "phone"
    desk.shot(f"overview-{width}")

    # a status badge explains itself: hover (title), and a tap or Enter opens its meaning
    badge = page.locator("section[aria-labelledby=status-heading] summary.badge")
    expect(badge).to_have_attribute(
        "title", "ledgerbridge is signed in to this QuickBooks company and sends records to it."
    )
    meaning = page.locator("section[aria-labelledby=status-heading] .status-meaning")
    expect(meaning).to_be_hidden()
    if size == PHONE:
        badge.click()  # a tap
    else:
        badge.focus()
        page.keyboard.press("Enter")
    expect(meaning).to_be_visible()
    expect(meaning).to_have_text(
        "ledgerbridge is signed in to this QuickBooks company and sends records to it."
    )
    desk.shot(f"overview-badge-open-{width}")

    # the problem's one link: the log filtered by it, Maria's record alone
    top.get_by_role("link").click()
    expect(page.locator("#log-total")).to_contain_text("1 record")
    row = page.locator("table.log tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(MARIA)
    row_badge = row.locator("summary.badge")
    expect(row_badge).to_have_text("Needs attention")
    row_badge.click()
    expect(row.locator(".status-meaning")).to_contain_text("a person has to look at")
    desk.shot(f"overview-problem-link-{width}")

    # the change's link: the deleted invoice
    page.goto(desk.url())
    changes.get_by_role("link", name="Invoice was deleted in QuickBooks: 1 invoice").click()
    expect(page.locator("#log-changed")).to_contain_text("Invoice was deleted in QuickBooks")
    expect(page.locator("table.log tbody tr")).to_have_count(1)
    expect(page.locator("table.log tbody tr")).to_contain_text("No. 1001")


@pytest.mark.parametrize("size", [DESK, PHONE], ids=["desk", "phone"])
def test_everything_that_needs_a_person_shows_the_blocked_under_their_blocker(
    desk: Desk, size: dict[str, int]
) -> None:
    desk.connect()
    busy_day(desk.world)
    page = desk.page
    page.set_viewport_size(size)
    page.goto(desk.url())
    page.get_by_role("link", name="Everything that needs a person").click()
    expect(page.get_by_role("heading", name="Everything that needs a person")).to_be_visible()
    expect(page.locator("#needs-total")).to_contain_text(
        "2 records need attention and 3 wait for another record"
    )
    groups = page.locator("li.needs-group")
    expect(groups).to_have_count(3)
    maria = groups.first
    expect(maria.get_by_role("heading")).to_contain_text(MARIA)
    expect(maria).to_contain_text("2 records wait for it")
    waiting = maria.locator("ul.waiting li")
    expect(waiting).to_have_count(2)
    expect(maria.locator("ul.waiting")).to_contain_text(
        "No. 1002 Invoice, through 55 Meadowlark Ct"
    )
    expect(maria.locator("ul.waiting")).to_contain_text("55 Meadowlark Ct Customer")
    expect(maria).not_to_contain_text("prop-maria")  # named, never by the app's id
    expect(groups.nth(2)).to_contain_text("The app has not sent this customer yet")
    # the waiting invoices are not in QuickBooks, as the page says
    numbers = {str(i.get("DocNumber")) for i in desk.world.entities("Invoice")}
    assert not numbers & {"1002", "1003"}
    width = "desk" if size == DESK else "phone"
    desk.shot(f"needs-a-person-{width}")
    # keyboard only: the first waiting record's link opens its page
    link = waiting.first.get_by_role("link")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#record-status summary.badge")).to_have_text("Blocked")
