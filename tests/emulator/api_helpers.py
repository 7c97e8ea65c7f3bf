"""Small helpers shared by the end-to-end API tests (real server, real clients)."""

from __future__ import annotations

from typing import Any

import requests
from quickbooks import QuickBooks
from quickbooks.objects.account import Account
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

from tests.emulator.conftest import Connection


def fault(response: requests.Response) -> dict[str, Any]:
    """The first error of a QuickBooks `Fault` body."""
    body = response.json()
    assert "Fault" in body, body
    error: dict[str, Any] = body["Fault"]["Error"][0]
    return error


def gateway_fault(response: requests.Response) -> dict[str, Any]:
    """The first error of the lower-case gateway envelope (401, 403)."""
    body = response.json()
    assert "fault" in body, body
    error: dict[str, Any] = body["fault"]["error"][0]
    return error


def new_customer(qb: QuickBooks, name: str, **fields: Any) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    for key, value in fields.items():
        setattr(customer, key, value)
    saved: Customer = customer.save(qb=qb)
    return saved


def any_item_id(qb: QuickBooks) -> str:
    """The id of a service item; one is made (on the first income account) if there is none."""
    items = Item.where("Type = 'Service'", qb=qb)
    if items:
        found: str = items[0].Id
        return found
    income = Account.where("AccountType = 'Income'", qb=qb)
    assert income, "the company has no income account"
    item = Item()
    item.Name = "Services"
    item.Type = "Service"
    item.IncomeAccountRef = {"value": income[0].Id}
    saved: Item = item.save(qb=qb)
    made: str = saved.Id
    return made


def new_invoice(
    qb: QuickBooks, customer_id: str, amount: str = "100.00", item_id: str | None = None
) -> Invoice:
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = {"value": item_id or any_item_id(qb)}
    line.SalesItemLineDetail.Qty = 1
    line.SalesItemLineDetail.UnitPrice = amount
    invoice = Invoice()
    invoice.CustomerRef = {"value": customer_id}
    invoice.Line = [line]
    saved: Invoice = invoice.save(qb=qb)
    return saved


def count(conn: Connection, entity: str, where: str = "") -> int:
    text = f"SELECT COUNT(*) FROM {entity}" + (f" WHERE {where}" if where else "")
    response = conn.query(text)
    assert response.status_code == 200, response.text
    total: int = response.json()["QueryResponse"]["totalCount"]
    return total


def query_rows(conn: Connection, text: str, entity: str) -> list[dict[str, Any]]:
    response = conn.query(text)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["QueryResponse"].get(entity, [])
    return rows
