"""A QuickBooks Desktop connection's page: its .qwc file to download, its Web Connector
password made and shown once, and what the Web Connector last reported."""

from __future__ import annotations

import html

from lxml import etree

from ledgerbridge.api import create_app
from qbd_emulator.emulator import Emulator
from qbd_emulator.testing import asgi_transport
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.dashboard.conftest import Office


def test_the_desktop_page_offers_the_qwc_file_and_a_password(office: Office) -> None:
    cid = office.service.create_connection(office.key_id, "Summit books", "desktop").id
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "Download the Web Connector file (.qwc)" in page
    assert "Connect to QuickBooks" not in page  # no OAuth for Desktop
    assert "Not seen yet" in page

    # the Web Connector takes https://, or http:// on localhost only: a file naming plain
    # http://testserver would fail on the PC, so the page says why instead
    refused = office.client.get(f"/dashboard/connections/{cid}/qwc")
    assert refused.status_code == 409
    assert "attachment" not in refused.headers.get("content-disposition", "")
    said = html.unescape(refused.text)
    assert "QBWC1010" in said and "https://" in said and "Summit books" in said

    download = office.client.get(f"https://testserver/dashboard/connections/{cid}/qwc")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    qwc = etree.fromstring(download.content)
    assert qwc.findtext("UserName") == cid
    assert qwc.findtext("AppURL") == "https://testserver/qbwc"
    assert qwc.findtext("QBType") == "QBFS"

    made = office.post(f"/dashboard/connections/{cid}/web-connector-password")
    assert made.status_code == 200
    shown = html.unescape(made.text)
    assert "it is not shown again" in shown
    again = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "Make a new Web Connector password" in again
    assert "it is not shown again" not in again
    listing = html.unescape(office.client.get("/dashboard/connections").text)
    assert "Summit books" in listing


def test_what_the_web_connector_reports_shows_on_the_page_and_clears(office: Office) -> None:
    """QuickBooks closed on the PC, through the emulated Web Connector in-process: the page's
    what to do first and its problem box say so in the catalog's words, with what to do on the
    PC; once QuickBooks is open the next update clears it."""
    service = office.service
    cid = service.create_connection(office.key_id, "Summit books", "desktop").id
    made = service.web_connector_password(office.key_id, cid)
    qwc = etree.fromstring(service.qwc_file(office.key_id, cid, "https://books.example"))
    pc = Emulator()
    books = pc.create_company("Summit Ridge Builders", preset="demo")
    with asgi_transport(create_app(service)) as transport:
        connector = WebConnector(
            pc,
            url=qwc.findtext("AppURL") or "",
            username=qwc.findtext("UserName") or "",
            password=made["password"],
            company_id=books.id,
            owner_id=qwc.findtext("OwnerID"),
            file_id=qwc.findtext("FileID"),
            noop_delay=0,
            transport=transport,
        )
        connector.quickbooks = "closed"
        assert connector.run_session().outcome == "connection error"
        page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
        first = page.split('id="what-to-do-first"')[1].split("</section>")[0]
        assert "QuickBooks Desktop is not open on the PC" in first
        assert "open QuickBooks and the company file" in page  # the fix steps
        assert "connection.quickbooks_closed" in page
        assert "Stopped: QuickBooks or the Web Connector reported a problem" in page
        listing = html.unescape(office.client.get("/dashboard/connections").text)
        assert "QuickBooks Desktop is not open on the PC" in listing

        connector.quickbooks = "open"
        assert connector.run_session().outcome == "done"
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "QuickBooks Desktop is not open on the PC" not in page
    assert "Finished: QuickBooks is up to date" in page
    assert books.file_path in page
    health = html.unescape(office.client.get(f"/dashboard/connections/{cid}/health").text)
    assert "Last heard from the Web Connector: <time" in health
    assert "Last update from QuickBooks" not in health


def test_a_quickbooks_too_old_shows_on_the_page_and_clears_once_updated(office: Office) -> None:
    """A Web Connector reporting qbXML 7.0 (QuickBooks 2008): the page says the QuickBooks is
    too old and what to do; once it reports 13.0 the next update clears it."""
    service = office.service
    cid = service.create_connection(office.key_id, "Summit books", "desktop").id
    made = service.web_connector_password(office.key_id, cid)
    qwc = etree.fromstring(service.qwc_file(office.key_id, cid, "https://books.example"))
    pc = Emulator()
    books = pc.create_company("Summit Ridge Builders", preset="demo", qbxml_version="7.0")
    with asgi_transport(create_app(service)) as transport:
        connector = WebConnector(
            pc,
            url=qwc.findtext("AppURL") or "",
            username=qwc.findtext("UserName") or "",
            password=made["password"],
            company_id=books.id,
            owner_id=qwc.findtext("OwnerID"),
            file_id=qwc.findtext("FileID"),
            noop_delay=0,
            transport=transport,
        )
        assert connector.run_session().outcome != "done"
        page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
        first = page.split('id="what-to-do-first"')[1].split("</section>")[0]
        assert "This QuickBooks Desktop is too old for ledgerbridge" in first
        assert "qbXML 7.0" in page and "Update QuickBooks Desktop" in page
        assert "connection.quickbooks_too_old" in page
        books.qbxml_version = "13.0"
        assert connector.run_session().outcome == "done"
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "too old for ledgerbridge" not in page
