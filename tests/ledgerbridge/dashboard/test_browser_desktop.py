"""A QuickBooks Desktop connection in a real browser (headless Chromium): the bookkeeper makes
the Web Connector password, downloads the .qwc file, adds it to the (emulated) Web Connector on
the PC, and after its first session the page shows the company file and what it holds, checked
against the emulated company file itself."""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from lxml import etree
from playwright.sync_api import expect

from ledgerbridge.engine.desktop import health as desktop_health
from qbd_emulator.emulator import Emulator
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.dashboard.browser import Desk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_bookkeeper_adds_the_qwc_file_and_sees_the_first_session(desk: Desk) -> None:
    service = desk.live.service
    cid = service.create_connection(desk.world.key_id, "Back office", "desktop").id
    # the Web Connector takes plain http on localhost only: the office reaches it so
    base = f"http://localhost:{urlsplit(desk.live.url).port}"
    page = desk.page
    sign_in(page, base, desk.email)
    page.goto(f"{base}/dashboard/connections/{cid}")
    section = page.locator("#web-connector")
    expect(section).to_contain_text("Not seen yet")
    page.get_by_role("button", name="Make the Web Connector password").click()
    shown = page.locator("#web-connector .notice")
    expect(shown).to_contain_text("it is not shown again")
    password = html.unescape(shown.locator("code").nth(1).inner_text())
    desk.shot("desktop-password")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the Web Connector file (.qwc)").click()
    qwc = etree.parse(download.value.path()).getroot()
    assert qwc.findtext("AppURL") == f"{base}/qbwc"

    pc = Emulator()
    books = pc.create_company("Summit Ridge Builders", preset="demo")
    connector = WebConnector(
        pc,
        url=qwc.findtext("AppURL") or "",
        username=qwc.findtext("UserName") or "",
        password=password,
        company_id=books.id,
        owner_id=qwc.findtext("OwnerID"),
        file_id=qwc.findtext("FileID"),
        noop_delay=0,
    )
    assert connector.run_session().outcome == "done"

    page.goto(f"{base}/dashboard/connections/{cid}")
    expect(section).to_contain_text(books.file_path)
    # the first session ran the engine's pass through the company file to its end
    expect(section).to_contain_text("Finished: QuickBooks is up to date")
    expect(section).not_to_contain_text("never")
    desk.shot("desktop-after-first-session")


def test_the_office_sees_the_web_connector_go_silent_and_come_back(desk: Desk) -> None:
    """The PC goes off: after the connection's silence time the page says the Web Connector has
    not called in, since when, and what to check on the PC; its next update clears it."""
    live = desk.live
    service = live.service
    cid = service.create_connection(desk.world.key_id, "Back office", "desktop").id
    base = f"http://localhost:{urlsplit(live.url).port}"
    made = service.web_connector_password(desk.world.key_id, cid)
    qwc = etree.fromstring(service.qwc_file(desk.world.key_id, cid, base))
    pc = Emulator()
    books = pc.create_company("Summit Ridge Builders", preset="demo")
    connector = WebConnector(
        pc,
        url=qwc.findtext("AppURL") or "",
        username=qwc.findtext("UserName") or "",
        password=made["password"],
        company_id=books.id,
        owner_id=qwc.findtext("OwnerID"),
        file_id=qwc.findtext("FileID"),
        noop_delay=0,
    )
    assert connector.run_session().outcome == "done"
    connector.stop()  # the PC is switched off

    real_clock = live.ledger.clock
    later = real_clock() + timedelta(minutes=50)
    live.ledger.clock = lambda: later
    try:
        desktop_health.check_all(live.ledger)  # the server's health round
        page = desk.page
        page.goto(f"{live.url}/dashboard/connections/{cid}")  # the browser is signed in there
        first = page.locator("#what-to-do-first .step-connection")
        expect(first).to_contain_text("The QuickBooks Web Connector has not called in")
        problem = page.locator(".notice-error[role=alert]")
        expect(problem).to_contain_text("has not contacted ledgerbridge since")
        expect(problem).to_contain_text(
            "the web connector and QuickBooks are open and running on the correct computer"
        )
        expect(page.locator(".status-line", has_text="Status:")).to_contain_text(
            "Connector offline"
        )
        section = page.locator("#web-connector")
        expect(section).to_contain_text("Finished: QuickBooks is up to date")
        expect(section).to_contain_text("45 minutes without a call")
        desk.shot("desktop-silent")

        assert connector.run_session().outcome == "done"  # the PC is back on
        page.reload()
        expect(page.locator(".status-line", has_text="Status:")).to_contain_text("Active")
        expect(page.locator("#what-to-do-first")).not_to_contain_text("has not called in")
        expect(page.locator(".notice-error[role=alert]")).to_have_count(0)
        desk.shot("desktop-back")
    finally:
        live.ledger.clock = real_clock
