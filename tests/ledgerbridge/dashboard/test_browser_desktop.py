"""A QuickBooks Desktop connection in a real browser (headless Chromium): the bookkeeper makes
the Web Connector password, downloads the .qwc file, adds it to the (emulated) Web Connector on
the PC, and after its first session the page shows the company file and what it holds, checked
against the emulated company file itself."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import pytest
from lxml import etree
from playwright.sync_api import expect

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
    customers = sum(1 for record in books.all_records() if record.type == "Customer")
    expect(section).to_contain_text(books.file_path)
    found = section.locator("dt", has_text="Customers and jobs in the company file")
    expect(found.locator("xpath=following-sibling::dd")).to_have_text(str(customers))
    expect(section).not_to_contain_text("never")
    desk.shot("desktop-after-first-session")
