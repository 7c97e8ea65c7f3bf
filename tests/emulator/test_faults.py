"""Scripted faults (`/_emulator/companies/{realm}/faults`): errors for matching requests,
latency, and the answer dropped after the write was committed."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from quickbooks.exceptions import SevereException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from tests.emulator.api_helpers import (
    any_item_id,
    count,
    fault,
    gateway_fault,
    new_customer,
    new_invoice,
)
from tests.emulator.conftest import Admin, Connection


def add_fault(admin: Admin, realm: str, body: dict[str, Any]) -> dict[str, Any]:
    response = admin.call("POST", f"/companies/{realm}/faults", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def faults_of(admin: Admin, realm: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = admin.call("GET", f"/companies/{realm}/faults").json()["faults"]
    return listed


def test_two_server_errors_then_success(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Faulty Buyer")
    item = any_item_id(conn.qb)
    scripted = add_fault(
        admin,
        conn.realm_id,
        {
            "match": {"method": "POST", "entity": "invoice"},
            "times": 2,
            "action": {"status": 500, "code": "10000"},
        },
    )
    assert scripted["hits"] == 0
    assert scripted["action"] == {"status": 500, "code": "10000"}

    with pytest.raises(SevereException) as raised:
        new_invoice(conn.qb, customer.Id, item_id=item)
    assert raised.value.error_code == 10000
    body = {
        "CustomerRef": {"value": customer.Id},
        "Line": [
            {
                "Amount": 5,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item}},
            }
        ],
    }
    second = conn.post("invoice", body)
    assert second.status_code == 500
    error = fault(second)
    assert error["code"] == "10000"
    assert second.json()["Fault"]["type"] == "SystemFault"
    assert count(conn, "Invoice") == 0  # the faults happened before anything was written

    # Other requests were never affected, and the third invoice POST goes through.
    assert Customer.get(customer.Id, qb=conn.qb).DisplayName == "Faulty Buyer"
    assert new_invoice(conn.qb, customer.Id, item_id=item).Id
    assert count(conn, "Invoice") == 1
    assert faults_of(admin, conn.realm_id)[0]["hits"] == 2


def test_retry_with_the_same_request_id_after_a_server_error(
    conn: Connection, admin: Admin
) -> None:
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"method": "POST", "entity": "customer"}, "action": {"status": 503}},
    )
    failed = conn.post("customer", {"DisplayName": "Second Try"}, requestid="retry-503")
    assert failed.status_code == 503
    assert fault(failed)["code"] == "10000"
    retried = conn.post("customer", {"DisplayName": "Second Try"}, requestid="retry-503")
    assert retried.status_code == 200
    assert count(conn, "Customer", "DisplayName = 'Second Try'") == 1


@pytest.mark.parametrize(
    ("action", "status", "code", "gateway"),
    [
        ({"status": 429}, 429, "3001", False),
        ({"status": 401}, 401, "3200", True),
        ({"status": 403, "code": "3100"}, 403, "3100", True),
        ({"status": 400, "code": "6000"}, 400, "6000", False),
    ],
)
def test_scripted_status_and_code(
    conn: Connection, admin: Admin, action: dict[str, Any], status: int, code: str, gateway: bool
) -> None:
    add_fault(admin, conn.realm_id, {"match": {"method": "GET"}, "action": action})
    response = conn.get(f"companyinfo/{conn.realm_id}")
    assert response.status_code == status
    error = gateway_fault(response) if gateway else fault(response)
    assert error["code"] == code
    assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 200  # times defaults to 1


def test_match_on_operation(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Keeps Invoices")
    invoice = new_invoice(conn.qb, customer.Id)
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"entity": "invoice", "operation": "delete"}, "action": {"status": 500}},
    )
    assert Invoice.get(invoice.Id, qb=conn.qb).Id == invoice.Id
    assert new_invoice(conn.qb, customer.Id).Id
    with pytest.raises(SevereException):
        invoice.delete(qb=conn.qb)
    invoice.delete(qb=conn.qb)
    assert count(conn, "Invoice") == 1


def test_latency(conn: Connection, admin: Admin) -> None:
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"method": "GET", "entity": "customer"}, "action": {"latency_ms": 300}},
    )
    customer = new_customer(conn.qb, "Slow Reader")
    started = time.monotonic()
    assert Customer.get(customer.Id, qb=conn.qb).Id == customer.Id
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    Customer.get(customer.Id, qb=conn.qb)
    assert time.monotonic() - started < 0.3


def test_drop_after_commit(conn: Connection, admin: Admin) -> None:
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"method": "POST", "entity": "customer"}, "action": {"drop_after_commit": True}},
    )
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        new_customer(conn.qb, "Written Anyway")
    exported = admin.export(conn.realm_id)
    assert [c["DisplayName"] for c in exported["entities"]["Customer"]] == ["Written Anyway"]
    # The client that retries blindly, without a requestid, meets its own write.
    retry = conn.post("customer", {"DisplayName": "Written Anyway"})
    assert retry.status_code == 400
    assert fault(retry)["code"] == "6240"


def test_clear_faults(conn: Connection, admin: Admin) -> None:
    first = add_fault(
        admin, conn.realm_id, {"match": {"method": "GET"}, "times": None, "action": {"status": 500}}
    )
    add_fault(admin, conn.realm_id, {"action": {"latency_ms": 10}})
    listed = faults_of(admin, conn.realm_id)
    assert [f["id"] for f in listed][:1] == [first["id"]]
    assert listed[0]["times"] is None
    assert listed[0]["match"] == {"method": "GET", "entity": None, "operation": None}
    for _ in range(3):
        assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 500
    cleared = admin.call("DELETE", f"/companies/{conn.realm_id}/faults")
    assert cleared.json() == {"cleared": 2}
    assert faults_of(admin, conn.realm_id) == []
    assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": {}}, "action"),
        ({"action": {"explode": True}}, "action"),
        ({"match": "POST", "action": {"status": 500}}, "match"),
        ({"match": {"method": 5}, "action": {"status": 500}}, "method"),
        ({"times": 0, "action": {"status": 500}}, "times"),
        ({"times": "twice", "action": {"status": 500}}, "times"),
        ({"action": {"status": 200}}, "action.status"),
        ({"action": {"status": "500"}}, "action.status"),
        ({"action": {"latency_ms": 0}}, "action.latency_ms"),
        ({"action": {"latency_ms": 999_999}}, "action.latency_ms"),
    ],
)
def test_invalid_fault_is_422_naming_the_field(
    conn: Connection, admin: Admin, body: dict[str, Any], field: str
) -> None:
    response = admin.call("POST", f"/companies/{conn.realm_id}/faults", body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert faults_of(admin, conn.realm_id) == []
