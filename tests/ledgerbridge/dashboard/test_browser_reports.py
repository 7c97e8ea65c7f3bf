"""Reconciliation and Health in a real browser (headless Chromium) at a laptop's 1366x900 and a
phone's 390x844: what to look at first, money and times as the viewer reads them, charts whose
labels and legend fit. What the page says happened in QuickBooks is read back from the
emulator's export; each test leaves screenshots (see `browser.py`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.ledgerbridge.dashboard.browser import Desk, sign_in
from tests.ledgerbridge.engine.failures._sales import map_check, synced_invoice, their_payment
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def fits_the_width(page: Page) -> None:
    """Nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def paid_by_the_app_and_paid_in_quickbooks(desk: Desk) -> tuple[dict[str, Any], dict[str, Any]]:
    """inv-1 paid by the app's own payment (synced); inv-2 paid by someone in QuickBooks."""
    world = desk.world
    person = Person(world)
    first = synced_invoice(world)
    second = synced_invoice(world, "inv-2", number="1002")
    map_check(world, person)
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-10",
        amount="200.00",
        method="check",
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )
    sync(world)
    assert view(world, "payment", "pay-1").status == "synced"
    their_payment(person, second, 200, "2026-05-11")
    pull(world)
    return first, second


def test_reconciliation_shows_what_was_done_in_quickbooks_first(
    desk: Desk, browser: Browser
) -> None:
    desk.connect()
    first, second = paid_by_the_app_and_paid_in_quickbooks(desk)
    # the claims, against QuickBooks itself: both paid there; inv-2 by no payment of the app
    invoices = {i["Id"]: i for i in desk.world.entities("Invoice")}
    assert Decimal(str(invoices[first["Id"]]["Balance"])) == 0
    assert Decimal(str(invoices[second["Id"]]["Balance"])) == 0
    ours = view(desk.world, "payment", "pay-1").quickbooks_id
    payers = [
        p["Id"]
        for p in desk.world.entities("Payment")
        for line in p["Line"]
        for t in line.get("LinkedTxn", [])
        if t["TxnId"] == second["Id"]
    ]
    assert payers and ours not in payers

    # a viewer in Denver: the times on the page are theirs
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, timezone_id="America/Denver"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, desk.live.url, desk.email)
        for name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(desk.url("/reconciliation"))
            glance = page.locator("section").filter(
                has=page.get_by_role("heading", name="At a glance")
            )
            expect(glance).to_contain_text("1 thing to look at")
            expect(glance).to_contain_text("1 invoice paid in QuickBooks by the app's own payments")
            table = page.get_by_role("table").filter(has_text="What happened in QuickBooks")
            rows = table.locator("tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("Invoice No. 1002")
            expect(rows.first).to_contain_text("Paid in QuickBooks, not by the app's payments")
            expect(rows.first).to_contain_text("$200.00")
            expect(rows.first).to_contain_text("-$200.00")
            expect(table).not_to_contain_text("No. 1001")  # paid by the app: counted only
            totals = page.get_by_role("table", name="Invoice totals")
            expect(totals).to_contain_text("$400.00")
            moment = page.locator("main time[data-local-time]").first
            expect(moment).to_have_attribute("data-localised", "")
            expect(moment).to_have_attribute("title", re.compile(r" UTC$"))
            expect(moment).to_contain_text(re.compile(r"MST|MDT|GMT-[67]"))
            fits_the_width(page)
            desk.page = page
            desk.shot(f"reconciliation-{name}")
        # the kind's link shows that kind alone
        page.get_by_role("link", name="Paid in QuickBooks, not by the app's payments").click()
        expect(page).to_have_url(re.compile(r"kind=paid"))
        expect(
            page.get_by_role("heading", level=2, name=re.compile("^Paid in QuickBooks"))
        ).to_be_visible()
    finally:
        context.close()


def test_the_health_charts_fit_their_labels_at_both_widths(desk: Desk) -> None:
    world = desk.world
    for app_id, name in (("ann", "Ann Lee"), ("bo", "Bo Diaz"), ("cy", "Cy Young")):
        put(world, "customer", app_id, display_name=name)
    put(world, "vendor", "v-1", display_name="Lumber Yard")
    page = desk.page
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(desk.url("/health"))
        chart = page.locator("svg#chart-over-time")
        expect(chart).to_be_visible()
        expect(page.get_by_text("Day by day over the last 14 days")).to_be_visible()
        # every label inside the picture: the y axis's top label is not cut on the left
        outside = chart.evaluate(
            """svg => Array.from(svg.querySelectorAll('text')).filter(t => {
                 const box = t.getBBox();
                 return box.x < 0 || box.x + box.width > svg.viewBox.baseVal.width;
               }).map(t => t.textContent)"""
        )
        assert outside == []
        # the legend: each name ends before the next swatch on its row
        overlaps = chart.evaluate(
            """svg => {
                 const keys = Array.from(svg.querySelectorAll('g.chart-key'));
                 const found = [];
                 keys.forEach((key, i) => {
                   const next = keys[i + 1];
                   if (!next) return;
                   const text = key.querySelector('text').getBBox();
                   const swatch = next.querySelector('rect');
                   if (swatch.y.baseVal.value === key.querySelector('rect').y.baseVal.value &&
                       text.x + text.width > swatch.x.baseVal.value) found.push(i);
                 });
                 return found;
               }"""
        )
        assert overlaps == []
        table = page.get_by_role("table", name=re.compile("last 14 days"), include_hidden=True)
        rows = table.locator("tbody tr")  # under "Show as a table"
        expect(rows).to_have_count(14)
        fits_the_width(page)
        desk.shot(f"health-{name}")
