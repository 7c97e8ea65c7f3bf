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

from qbo_emulator import persistence
from qbo_emulator.emulator import Emulator
from qbo_emulator.model.store import ScriptedFault
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


def test_a_fault_with_a_probability_meets_about_that_share_the_same_way_per_seed(
    conn: Connection, admin: Admin
) -> None:
    def pattern(seed: int) -> list[int]:
        admin.call("DELETE", f"/companies/{conn.realm_id}/faults")
        add_fault(
            admin,
            conn.realm_id,
            {
                "match": {"method": "GET"},
                "times": None,
                "probability": 0.25,
                "seed": seed,
                "action": {"status": 503},
            },
        )
        return [conn.get(f"companyinfo/{conn.realm_id}").status_code for _ in range(80)]

    first = pattern(11)
    assert set(first) == {200, 503}
    assert 8 <= first.count(503) <= 35  # a quarter of 80, give or take
    assert pattern(11) == first  # the same seed, the same requests meet it
    listed = faults_of(admin, conn.realm_id)
    assert listed[0]["probability"] == 0.25 and listed[0]["hits"] == first.count(503)


def test_a_request_that_escapes_a_fault_meets_the_next_one(conn: Connection, admin: Admin) -> None:
    add_fault(
        admin,
        conn.realm_id,
        {
            "match": {"method": "GET"},
            "times": None,
            "probability": 0.0001,
            "seed": 1,
            "action": {"status": 503},
        },
    )
    add_fault(admin, conn.realm_id, {"match": {"method": "GET"}, "action": {"status": 500}})
    assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 500


def test_a_scripted_429_can_say_when_to_come_back(conn: Connection, admin: Admin) -> None:
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"method": "GET"}, "times": 2, "action": {"status": 429, "retry_after": 3}},
    )
    for _ in range(2):
        response = conn.get(f"companyinfo/{conn.realm_id}")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "3"
    assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 200


def test_a_fault_in_batch_answers_for_the_matching_items_only(
    conn: Connection, admin: Admin
) -> None:
    first = new_customer(conn.qb, "Batch First")
    second = new_customer(conn.qb, "Batch Second")
    add_fault(
        admin,
        conn.realm_id,
        {
            "match": {"entity": "Customer", "operation": "update", "in_batch": True},
            "times": 1,
            "action": {"status": 400, "code": "6000"},
        },
    )
    # a request that is not a batch never meets it
    assert conn.get(f"customer/{first.Id}").status_code == 200
    items = [
        {
            "bId": f"b{n}",
            "operation": "update",
            "Customer": {"Id": c.Id, "SyncToken": c.SyncToken, "sparse": True, "Notes": "new"},
        }
        for n, c in enumerate((first, second))
    ]
    items.append({"bId": "b2", "operation": "create", "Customer": {"DisplayName": "Batch Third"}})
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["b0"]["Fault"]["Error"][0]["code"] == "6000"
    assert answers["b1"]["Customer"]["Notes"] == "new"  # times 1: the next item goes through
    assert answers["b2"]["Customer"]["DisplayName"] == "Batch Third"
    notes = {
        c["DisplayName"]: c.get("Notes")
        for c in admin.export(conn.realm_id)["entities"]["Customer"]
    }
    assert notes["Batch First"] is None  # the item met the fault: not carried out
    assert notes["Batch Second"] == "new"


def test_a_fault_in_batch_for_query_meets_the_query_items(conn: Connection, admin: Admin) -> None:
    new_customer(conn.qb, "Queried")
    add_fault(
        admin,
        conn.realm_id,
        {
            "match": {"entity": "query", "in_batch": True},
            "times": 1,
            "action": {"status": 500},
        },
    )
    items = [
        {"bId": "q0", "Query": "SELECT * FROM Customer"},
        {"bId": "q1", "Query": "SELECT * FROM Customer"},
        {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Made Too"}},
    ]
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200  # the batch is answered; the item is not
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["q0"]["Fault"]["Error"][0]["code"] == "10000"
    assert answers["q1"]["QueryResponse"]["Customer"][0]["DisplayName"] == "Queried"
    assert answers["c"]["Customer"]["DisplayName"] == "Made Too"


def test_a_fault_in_batch_for_the_query_of_an_entity_meets_that_item_only(
    conn: Connection, admin: Admin
) -> None:
    new_customer(conn.qb, "Listed")
    add_fault(
        admin,
        conn.realm_id,
        {
            "match": {"entity": "Preferences", "operation": "query", "in_batch": True},
            "times": None,
            "action": {"status": 400, "code": "4001"},
        },
    )
    items = [
        {"bId": "c", "Query": "SELECT * FROM Customer"},
        {"bId": "p", "Query": "select * from preferences"},
        {"bId": "i", "Query": "SELECT * FROM CompanyInfo"},
    ]
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["p"]["Fault"]["Error"][0]["code"] == "4001"
    assert answers["c"]["QueryResponse"]["Customer"][0]["DisplayName"] == "Listed"
    assert answers["i"]["QueryResponse"]["CompanyInfo"][0]["Id"] == "1"
    assert conn.get("preferences").status_code == 200  # not a batch item: not met
    assert faults_of(admin, conn.realm_id)[0]["hits"] == 1


def test_a_fault_for_writes_meets_a_batch_with_a_write_not_one_of_queries(
    conn: Connection, admin: Admin
) -> None:
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"entity": "batch", "writes": True}, "times": 1, "action": {"status": 503}},
    )
    queries = [{"bId": f"q{n}", "Query": "SELECT * FROM Customer"} for n in range(2)]
    read = conn.post("batch", {"BatchItemRequest": queries})
    assert read.status_code == 200  # a batch of queries only: a read, not met
    assert conn.query("SELECT * FROM Customer").status_code == 200  # a POST, but a read
    assert faults_of(admin, conn.realm_id)[0]["hits"] == 0
    create = {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Written"}}
    written = conn.post("batch", {"BatchItemRequest": [*queries, create]})
    assert written.status_code == 503  # a write among the queries: met
    assert faults_of(admin, conn.realm_id)[0]["hits"] == 1
    assert count(conn, "Customer", "DisplayName = 'Written'") == 0


def test_a_fault_for_reads_meets_reads_only(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Read Only")
    add_fault(
        admin,
        conn.realm_id,
        {"match": {"writes": False}, "times": None, "action": {"status": 500}},
    )
    queries = {"BatchItemRequest": [{"bId": "q", "Query": "SELECT * FROM Customer"}]}
    assert conn.post("batch", queries).status_code == 500
    assert conn.query("SELECT * FROM Customer").status_code == 500
    assert conn.get(f"customer/{customer.Id}").status_code == 500
    assert conn.get("cdc", entities="Customer", changedSince="2020-01-01").status_code == 500
    assert new_customer(conn.qb, "Still Written").Id  # a write alone: not met
    create = {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Batch Write"}}
    mixed = conn.post("batch", {"BatchItemRequest": [create, *queries["BatchItemRequest"]]})
    assert mixed.status_code == 200  # a batch with a write: not met
    assert faults_of(admin, conn.realm_id)[0]["hits"] == 4
    assert faults_of(admin, conn.realm_id)[0]["match"]["writes"] is False


def test_a_fault_in_batch_for_writes_meets_the_write_items_only(
    conn: Connection, admin: Admin
) -> None:
    new_customer(conn.qb, "Asked")
    add_fault(
        admin,
        conn.realm_id,
        {
            "match": {"in_batch": True, "writes": True},
            "times": None,
            "action": {"status": 400, "code": "6000"},
        },
    )
    items = [
        {"bId": "q", "Query": "SELECT * FROM Customer"},
        {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Refused"}},
    ]
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["q"]["QueryResponse"]["Customer"][0]["DisplayName"] == "Asked"
    assert answers["c"]["Fault"]["Error"][0]["code"] == "6000"


def test_a_fault_s_writes_match_survives_a_restart() -> None:
    emulator = Emulator()
    company = emulator.create_company("Kept Faults")
    company.faults.append(
        ScriptedFault(id="f1", method=None, entity="batch", operation=None, times=1, writes=True)
    )
    company.faults.append(
        ScriptedFault(id="f2", method=None, entity=None, operation=None, times=1, status=500)
    )
    saved = persistence.snapshot(emulator)
    emulator.reset()
    persistence.restore(emulator, saved)
    restored = emulator.company(company.realm_id).faults
    assert [(f.id, f.writes) for f in restored] == [("f1", True), ("f2", None)]
    assert "writes" not in restored[1].to_json()["match"]


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
        ({"probability": 0, "action": {"status": 500}}, "probability"),
        ({"probability": 1.5, "action": {"status": 500}}, "probability"),
        ({"probability": "often", "action": {"status": 500}}, "probability"),
        ({"seed": "x", "action": {"status": 500}}, "seed"),
        ({"action": {"status": 500, "retry_after": 3}}, "action.retry_after"),
        ({"action": {"status": 429, "retry_after": -1}}, "action.retry_after"),
        ({"match": {"in_batch": "yes"}, "action": {"status": 500}}, "match.in_batch"),
        ({"match": {"in_batch": True}, "action": {"latency_ms": 5}}, "action"),
        ({"match": {"writes": "yes"}, "action": {"status": 500}}, "match.writes"),
        ({"match": {"writes": 1}, "action": {"status": 500}}, "match.writes"),
    ],
)
def test_invalid_fault_is_422_naming_the_field(
    conn: Connection, admin: Admin, body: dict[str, Any], field: str
) -> None:
    response = admin.call("POST", f"/companies/{conn.realm_id}/faults", body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert faults_of(admin, conn.realm_id) == []
