"""`requestid` replay (the same id again returns the first answer, nothing runs twice), the
ambiguous write (answer lost after commit) settled by a retry with the same id, and
`minorversion` (every value is served as 75)."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice

from qbo_emulator.server import EmulatorServer
from tests.emulator.api_helpers import any_item_id, count, fault, new_customer, new_invoice
from tests.emulator.conftest import Admin, Connection


def without_time(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("time", None)
    return body


# --- replay ---------------------------------------------------------------------------------


def test_create_twice_with_one_request_id_makes_one_object(conn: Connection) -> None:
    body = {"DisplayName": "Once Only", "Notes": "first"}
    first = conn.post("customer", body, requestid="create-0001")
    second = conn.post("customer", body, requestid="create-0001")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content  # the very same answer, `time` included
    assert count(conn, "Customer", "DisplayName = 'Once Only'") == 1

    # python-quickbooks sends `requestid` from save(request_id=...).
    invoice_customer = first.json()["Customer"]["Id"]
    made = [
        _invoice_with_request_id(conn, invoice_customer, "inv-create-1"),
        _invoice_with_request_id(conn, invoice_customer, "inv-create-1"),
    ]
    assert made[0].Id == made[1].Id
    assert made[0].MetaData.CreateTime == made[1].MetaData.CreateTime
    assert count(conn, "Invoice") == 1


def _invoice_with_request_id(conn: Connection, customer_id: str, request_id: str) -> Invoice:
    invoice = Invoice()
    invoice.CustomerRef = {"value": customer_id}
    invoice.Line = [_line(conn)]
    saved: Invoice = invoice.save(qb=conn.qb, request_id=request_id)
    return saved


def test_a_different_request_id_runs_again(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    payload = {
        "CustomerRef": {"value": customer.Id},
        "Line": [
            {
                "Amount": 10,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": any_item_id(conn.qb)}, "Qty": 1},
            }
        ],
    }
    first = conn.post("invoice", payload, requestid="a-1")
    again = conn.post("invoice", payload, requestid="a-2")
    assert first.status_code == again.status_code == 200
    assert first.json()["Invoice"]["Id"] != again.json()["Invoice"]["Id"]
    assert count(conn, "Invoice") == 2

    # A name-list create with a new id runs again and meets the duplicate-name rule.
    clash = conn.post("customer", {"DisplayName": "Buyer"}, requestid="a-3")
    assert clash.status_code == 400
    assert fault(clash)["code"] == "6240"


def test_update_and_delete_are_replayed(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Edited Once")
    customer.Notes = "v1"
    first = customer.save(qb=conn.qb, request_id="upd-1")
    # The same request again: without replay this would be a stale SyncToken (5010).
    second = customer.save(qb=conn.qb, request_id="upd-1")
    assert first.SyncToken == second.SyncToken == "1"
    assert Customer.get(customer.Id, qb=conn.qb).SyncToken == "1"

    invoice = new_invoice(conn.qb, customer.Id)
    deleted = invoice.delete(qb=conn.qb, request_id="del-1")
    again = invoice.delete(qb=conn.qb, request_id="del-1")
    assert deleted == again
    assert deleted["Invoice"]["status"] == "Deleted"
    without_replay = conn.post(
        "invoice", {"Id": invoice.Id, "SyncToken": "0"}, operation="delete", requestid="del-2"
    )
    assert without_replay.status_code == 400
    assert fault(without_replay)["code"] == "610"


def test_batch_is_replayed(conn: Connection) -> None:
    batch = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch A"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch B"}},
        ]
    }
    first = conn.post("batch", batch, requestid="batch-0001")
    second = conn.post("batch", batch, requestid="batch-0001")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert all("Customer" in item for item in first.json()["BatchItemResponse"])
    assert count(conn, "Customer", "DisplayName LIKE 'Batch %'") == 2


def test_request_ids_belong_to_one_company(connect: Callable[..., Connection]) -> None:
    one, two = connect(name="One"), connect(name="Two")
    for conn in (one, two):
        response = conn.post("customer", {"DisplayName": "Same Name"}, requestid="shared-id")
        assert response.status_code == 200
        assert count(conn, "Customer") == 1


def test_request_id_length_limits(conn: Connection) -> None:
    ok = conn.post("customer", {"DisplayName": "Fifty"}, requestid="x" * 50)
    assert ok.status_code == 200
    too_long = conn.post("customer", {"DisplayName": "Fifty-one"}, requestid="y" * 51)
    assert too_long.status_code == 400
    error = fault(too_long)
    assert error["code"] == "2130"
    assert error["element"] == "requestid"
    assert count(conn, "Customer", "DisplayName = 'Fifty-one'") == 0

    item = {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "In Batch"}}
    batch_ok = conn.post("batch", {"BatchItemRequest": [item]}, requestid="z" * 36)
    assert batch_ok.status_code == 200
    long_batch_id = conn.post("batch", {"BatchItemRequest": [item]}, requestid="w" * 37)
    assert long_batch_id.status_code == 400
    assert fault(long_batch_id)["code"] == "2130"
    long_bid = {**item, "bId": "b" * 11, "Customer": {"DisplayName": "Long bId"}}
    refused = conn.post("batch", {"BatchItemRequest": [long_bid]}, requestid="v" * 10)
    assert refused.status_code == 400
    assert fault(refused)["code"] == "2130"
    assert count(conn, "Customer", "DisplayName = 'Long bId'") == 0
    # Without a requestid a long bId is fine (python-quickbooks sends uuid4 bIds).
    fine = conn.post("batch", {"BatchItemRequest": [long_bid]})
    assert fine.status_code == 200
    assert "Customer" in fine.json()["BatchItemResponse"][0]


# --- the answer lost after commit -----------------------------------------------------------


def test_retry_after_a_lost_answer_returns_the_committed_object(
    conn: Connection, admin: Admin
) -> None:
    dropped = admin.call(
        "POST",
        f"/companies/{conn.realm_id}/faults",
        {"match": {"method": "POST", "entity": "customer"}, "action": {"drop_after_commit": True}},
    )
    assert dropped.status_code == 201, dropped.text

    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        conn.post("customer", {"DisplayName": "Committed"}, requestid="lost-1")
    exported = admin.export(conn.realm_id)
    committed = [c for c in exported["entities"]["Customer"] if c["DisplayName"] == "Committed"]
    assert len(committed) == 1

    retry = conn.post("customer", {"DisplayName": "Committed"}, requestid="lost-1")
    assert retry.status_code == 200
    assert retry.json()["Customer"]["Id"] == committed[0]["Id"]
    assert count(conn, "Customer", "DisplayName = 'Committed'") == 1
    names = [c["DisplayName"] for c in admin.export(conn.realm_id)["entities"]["Customer"]]
    assert names.count("Committed") == 1


def test_python_quickbooks_retry_with_the_same_request_id(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Retried Buyer")
    admin.call(
        "POST",
        f"/companies/{conn.realm_id}/faults",
        {"match": {"method": "POST", "entity": "invoice"}, "action": {"drop_after_commit": True}},
    )
    invoice = Invoice()
    invoice.CustomerRef = {"value": customer.Id}
    invoice.Line = [_line(conn)]
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        invoice.save(qb=conn.qb, request_id="inv-lost-1")
    assert count(conn, "Invoice") == 1

    saved = invoice.save(qb=conn.qb, request_id="inv-lost-1")
    assert count(conn, "Invoice") == 1
    assert [i.Id for i in Invoice.all(qb=conn.qb)] == [saved.Id]


def _line(conn: Connection) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = 40
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = {"value": any_item_id(conn.qb)}
    line.SalesItemLineDetail.Qty = 1
    line.SalesItemLineDetail.UnitPrice = 40
    return line


# --- minorversion ---------------------------------------------------------------------------


def test_every_minor_version_gets_the_same_answer(demo: Connection) -> None:
    answers = []
    for version in ("4", "65", "75", None):
        params = {} if version is None else {"minorversion": version}
        read = demo.get("customer/1", **params)
        query = demo.get("query", query="SELECT * FROM Item WHERE Sku = 'LB-2408'", **params)
        info = demo.get(f"companyinfo/{demo.realm_id}", **params)
        assert read.status_code == query.status_code == info.status_code == 200
        answers.append((without_time(read), without_time(query), without_time(info)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][1]["QueryResponse"]["Item"][0]["Sku"] == "LB-2408"


def test_python_quickbooks_with_an_old_minor_version(demo: Connection) -> None:
    with pytest.warns(DeprecationWarning):
        old = QuickBooks(
            auth_client=demo.auth,
            refresh_token=demo.auth.refresh_token,
            company_id=demo.realm_id,
            minorversion=65,
        )
    try:
        assert Invoice.count(qb=old) == Invoice.count(qb=demo.qb) == 250
        customer = Customer.get("1", qb=old)
        assert customer.to_json() == Customer.get("1", qb=demo.qb).to_json()
    finally:
        old.session.close()


def test_a_retry_while_the_first_request_is_still_arriving(
    conn: Connection, emulator: EmulatorServer
) -> None:
    """The client gave up on a slow upload and retried with the same id; then the first upload
    completes. One customer, and both answers name it."""
    body = json.dumps({"DisplayName": "Slow Upload"}).encode()
    path = f"/v3/company/{conn.realm_id}/customer?requestid=slow-1&minorversion=75"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {emulator.host}:{emulator.port}\r\n"
        f"Authorization: Bearer {conn.auth.access_token}\r\nAccept: application/json\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    limiter = emulator.emulator.limiter
    key = (conn.realm_id, conn.app["client_id"])
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(head + body[:5])
        deadline = time.monotonic() + 5
        while limiter._in_flight.get(key, 0) < 1:  # the server is reading the first body
            assert time.monotonic() < deadline
            time.sleep(0.002)
        retry = conn.post("customer", {"DisplayName": "Slow Upload"}, requestid="slow-1")
        assert retry.status_code == 200, retry.text
        sock.sendall(body[5:])
        first = http.client.HTTPResponse(sock)
        first.begin()
        answer = json.loads(first.read())
        first.close()
    assert first.status == 200, answer
    assert answer["Customer"]["Id"] == retry.json()["Customer"]["Id"]
    assert count(conn, "Customer", "DisplayName = 'Slow Upload'") == 1
