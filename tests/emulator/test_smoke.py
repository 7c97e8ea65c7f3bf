"""The shortest path a new user takes: connect with intuit-oauth, write and read with
python-quickbooks."""

from __future__ import annotations

from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from tests.emulator.conftest import Connection


def test_customer_round_trip(conn: Connection) -> None:
    customer = Customer()
    customer.DisplayName = "Round Trip"
    saved = customer.save(qb=conn.qb)
    assert saved.Id
    fetched = Customer.get(saved.Id, qb=conn.qb)
    assert fetched.DisplayName == "Round Trip"
    assert fetched.SyncToken == "0"


def test_demo_company_has_invoices(demo: Connection) -> None:
    invoices = Invoice.filter(DocNumber="1001", qb=demo.qb)
    assert len(invoices) == 1
    assert Invoice.count(qb=demo.qb) == 250
