"""The one-click fixes of a QuickBooks Desktop connection in a real browser (headless
Chromium): the bookkeeper presses a fix that needs QuickBooks itself (Link, Reactivate), the
record page says it waits for the Web Connector and keeps asking, the (emulated) Web Connector
on the PC runs its next update, and the page shows the record synced; the outcome is read from
the emulated company file itself. Fixes carried by the push (Recreate) go the same way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.dashboard.browser import Desk

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Office:
    desk: Desk
    cid: str
    pc: Emulator
    books: Company
    connector: WebConnector

    @property
    def page(self) -> Page:
        return self.desk.page

    def put(self, record_type: str, app_id: str, **data: Any) -> None:
        service = self.desk.live.service
        service.put_record(self.desk.world.key_id, self.cid, record_type, app_id, data)

    def person(self, request: str) -> None:
        """Someone at the PC changes the company file directly."""
        document = (
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
            f'<QBXMLMsgsRq onError="stopOnError">{request}</QBXMLMsgsRq></QBXML>'
        )
        answer, error = self.pc.process_direct(self.books, document)
        assert error is None and 'statusCode="0"' in answer, answer

    def update(self) -> None:
        """The Web Connector's updates, until one finds nothing to do."""
        for _ in range(6):
            log = self.connector.run_session()
            if log.outcome == "nothing to do":
                return
            assert log.outcome == "done", (log.notes, [c.method for c in log.calls])
        raise AssertionError("still work after six updates")

    def named(self, kind: str, name: str) -> list[dict[str, Any]]:
        return [
            r.data
            for r in self.books.all_records()
            if r.type == kind and r.data.get("Name") == name
        ]

    def open(self, record_type: str, app_id: str) -> None:
        self.page.goto(
            f"{self.desk.live.url}/dashboard/connections/{self.cid}/records/{record_type}/{app_id}"
        )


@pytest.fixture
def office(desk: Desk) -> Iterator[Office]:
    service = desk.live.service
    key_id = desk.world.key_id
    cid = service.create_connection(key_id, "Back office", "desktop").id
    base = f"http://localhost:{urlsplit(desk.live.url).port}"  # the Web Connector's plain http
    made = service.web_connector_password(key_id, cid)
    qwc = etree.fromstring(service.qwc_file(key_id, cid, base))
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
        max_noops=120,  # the real one asks as long as it is told NoOp; this machine is shared
    )
    found = Office(desk, cid, pc, books, connector)
    found.update()
    found.put("item", "svc", name="Service Call", unit_price="95.00", income_account="Services")
    found.update()
    yield found
    connector.stop()


def test_link_waits_for_the_web_connector_then_the_page_shows_it_done(office: Office) -> None:
    office.person(
        "<CustomerAddRq><CustomerAdd><Name>Cara Moss</Name><Email>old@ex.com</Email>"
        "</CustomerAdd></CustomerAddRq>"
    )
    office.put("customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    office.update()
    (cara,) = office.named("Customer", "Cara Moss")
    page = office.page
    office.open("customer", "cara")
    expect(page.locator("#problem-heading")).to_have_text(
        "A customer with this name is already in QuickBooks Desktop"
    )
    page.get_by_role("button", name="Find in QuickBooks").click()
    page.get_by_role("button", name="Link to Cara Moss").click()
    expect(page.locator("#confirm-text")).to_contain_text("Web Connector")
    page.get_by_role("button", name="Yes, link").click()
    office.desk.said("Link: waiting for the Web Connector")
    expect(page.locator("#record-waiting")).to_contain_text(
        "Link is waiting for the QuickBooks Web Connector"
    )
    office.desk.shot("desktop-link-waiting")
    assert office.named("Customer", "Cara Moss") == [cara]  # nothing done in QuickBooks yet

    office.update()  # the PC's next update carries it out; the page asks by itself
    expect(page.locator("#record-status")).to_contain_text("Synced", timeout=30_000)
    expect(page.locator("#record-waiting")).to_have_count(0)
    expect(page.locator("#problem-heading")).to_have_count(0)
    office.desk.shot("desktop-link-done")
    assert len(office.named("Customer", "Cara Moss")) == 1
    linked = office.desk.live.service.record(
        office.desk.world.key_id, office.cid, "customer", "cara"
    )
    assert linked.quickbooks_id == cara["ListID"]


def test_reactivate_adds_a_deleted_customer_again_then_the_invoice(office: Office) -> None:
    office.put("customer", "c", display_name="Eve Park")
    office.update()
    (eve,) = office.named("Customer", "Eve Park")
    office.person(
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{eve['ListID']}</ListID>"
        "</ListDelRq>"
    )
    office.put(
        "invoice",
        "inv-1",
        customer_id="c",
        number="7002",
        date="2026-11-20",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00"}],
    )
    office.update()
    page = office.page
    office.open("invoice", "inv-1")
    expect(page.locator("#problem-heading")).to_have_text(
        "The invoice's customer is inactive or deleted in QuickBooks Desktop"
    )
    office.desk.click_action("Reactivate")
    expect(page.locator("#confirm-text")).to_contain_text("added again from the app")
    expect(page.locator("#confirm-text")).to_contain_text("done at its next update")
    expect(page.locator("#confirm-text")).not_to_contain_text("right now")
    office.desk.click_action("Yes, reactivate")
    expect(page.locator("#record-waiting")).to_contain_text("Reactivate is waiting")
    office.desk.shot("desktop-reactivate-waiting")

    office.update()
    expect(page.locator("#record-status")).to_contain_text("Synced", timeout=30_000)
    office.desk.shot("desktop-reactivate-done")
    (again,) = office.named("Customer", "Eve Park")
    assert again["ListID"] != eve["ListID"]
    (sent,) = [r.data for r in office.books.all_records() if r.type == "Invoice"]
    assert sent["CustomerRef"]["ListID"] == again["ListID"] and sent["RefNumber"] == "7002"


def test_recreate_an_invoice_deleted_in_quickbooks(office: Office) -> None:
    office.put("customer", "c", display_name="Eve Park")
    office.put(
        "invoice",
        "inv-1",
        customer_id="c",
        number="7001",
        date="2026-11-20",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00"}],
    )
    office.update()
    (first,) = [r.data for r in office.books.all_records() if r.type == "Invoice"]
    office.person(
        f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{first['TxnID']}</TxnID></TxnDelRq>"
    )
    office.put(
        "invoice",
        "inv-1",
        customer_id="c",
        number="7001",
        date="2026-11-20",
        memo="gate code 12",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00"}],
    )
    office.update()
    page = office.page
    office.open("invoice", "inv-1")
    expect(page.locator("#problem-heading")).to_have_text("Invoice was deleted in QuickBooks")
    office.desk.click_action("Recreate")
    office.desk.click_action("Yes, recreate")
    # the click returns before the dashboard has stored the fix: the page says it first, so
    # the Web Connector's update below is never one that comes before the fix
    expect(page.locator("#record-status")).to_contain_text("Pending")
    expect(page.locator("#problem-heading")).to_have_count(0)
    office.update()
    page.reload()
    expect(page.locator("#record-status")).to_contain_text("Synced", timeout=30_000)
    (again,) = [r.data for r in office.books.all_records() if r.type == "Invoice"]
    assert again["TxnID"] != first["TxnID"] and again["RefNumber"] == "7001"
