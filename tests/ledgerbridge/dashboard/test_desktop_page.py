"""A QuickBooks Desktop connection's page: its .qwc file to download, its Web Connector
password made and shown once, and what the Web Connector last reported."""

from __future__ import annotations

import html

from lxml import etree

from tests.ledgerbridge.dashboard.conftest import Office


def test_the_desktop_page_offers_the_qwc_file_and_a_password(office: Office) -> None:
    cid = office.service.create_connection(office.key_id, "Summit books", "desktop").id
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "Download the Web Connector file (.qwc)" in page
    assert "Connect to QuickBooks" not in page  # no OAuth for Desktop
    assert "Not seen yet" in page

    download = office.client.get(f"/dashboard/connections/{cid}/qwc")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    qwc = etree.fromstring(download.content)
    assert qwc.findtext("UserName") == cid
    assert (qwc.findtext("AppURL") or "").endswith("/qbwc")
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
