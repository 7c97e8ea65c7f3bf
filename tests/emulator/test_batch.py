"""`POST /batch`: up to 30 independent items, each answered on its own (HTTP 200 even when some
fail), through raw HTTP and python-quickbooks' batch helpers."""

from __future__ import annotations

from typing import Any

from quickbooks.batch import batch_create, batch_delete, batch_update
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from tests.emulator.api_helpers import count, fault, new_customer, new_invoice
from tests.emulator.conftest import Admin, Connection


def items_by_bid(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["bId"]: item for item in body["BatchItemResponse"]}


def test_thirty_mixed_items_answer_one_by_one(conn: Connection, admin: Admin) -> None:
    taken = new_customer(conn.qb, "Taken Name")
    edited = new_customer(conn.qb, "To Edit")
    invoice = new_invoice(conn.qb, taken.Id)
    doomed = new_invoice(conn.qb, taken.Id, amount="50.00")

    items: list[dict[str, Any]] = [
        {"bId": "dup", "operation": "create", "Customer": {"DisplayName": "Taken Name"}},
        {
            "bId": "upd",
            "operation": "update",
            "Customer": {"Id": edited.Id, "SyncToken": "0", "sparse": True, "Notes": "edited"},
        },
        {
            "bId": "stale",
            "operation": "update",
            "Customer": {"Id": taken.Id, "SyncToken": "7", "sparse": True, "Notes": "x"},
        },
        {"bId": "del", "operation": "delete", "Invoice": {"Id": doomed.Id, "SyncToken": "0"}},
        {"bId": "del-missing", "operation": "delete", "Invoice": {"Id": "999", "SyncToken": "0"}},
        {"bId": "del-name", "operation": "delete", "Customer": {"Id": taken.Id, "SyncToken": "0"}},
        {"bId": "q", "Query": f"SELECT * FROM Invoice WHERE Id = '{invoice.Id}'"},
        {"bId": "q-bad", "Query": "SELECT * FROM Invoice WHERE a = 'b' OR c = 'd'"},
        {"bId": "q-none", "Query": "SELECT * FROM Vendor WHERE DisplayName = 'nobody'"},
        {"bId": "bad-op", "operation": "explode", "Customer": {"DisplayName": "Nope"}},
    ]
    items += [
        {"bId": f"c{n}", "operation": "create", "Customer": {"DisplayName": f"Batch {n}"}}
        for n in range(30 - len(items))
    ]
    assert len(items) == 30

    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"BatchItemResponse", "time"}
    assert [i["bId"] for i in body["BatchItemResponse"]] == [i["bId"] for i in items]
    answers = items_by_bid(body)

    def code(bid: str) -> str:
        item_fault = answers[bid]["Fault"]
        assert item_fault["type"] == "ValidationFault"
        return str(item_fault["Error"][0]["code"])

    assert code("dup") == "6240"
    assert answers["upd"]["Customer"]["Notes"] == "edited"
    assert answers["upd"]["Customer"]["SyncToken"] == "1"
    assert code("stale") == "5010"
    assert answers["del"]["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": doomed.Id}
    assert code("del-missing") == "610"
    assert code("del-name") == "500"
    assert [i["Id"] for i in answers["q"]["QueryResponse"]["Invoice"]] == [invoice.Id]
    assert code("q-bad") == "4000"
    assert answers["q-none"]["QueryResponse"] == {}
    assert code("bad-op") == "2170"
    created = [answers[f"c{n}"]["Customer"] for n in range(20)]
    assert [c["DisplayName"] for c in created] == [f"Batch {n}" for n in range(20)]
    assert len({c["Id"] for c in created}) == 20

    # What succeeded is committed, what failed left nothing behind.
    assert count(conn, "Customer", "DisplayName LIKE 'Batch %'") == 20
    assert count(conn, "Customer", "DisplayName = 'Nope'") == 0
    assert Customer.get(taken.Id, qb=conn.qb).SyncToken == "0"
    assert Customer.get(edited.Id, qb=conn.qb).Notes == "edited"
    exported = admin.export(conn.realm_id)
    assert exported["deleted"]["Invoice"] == [doomed.Id]


def test_more_than_thirty_items_is_refused_whole(conn: Connection) -> None:
    items = [
        {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"Too Many {n}"}}
        for n in range(31)
    ]
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 400
    error = fault(response)
    assert error["code"] == "1040"
    assert error["Message"] == "Batch size exceeds allowed limit"
    assert count(conn, "Customer", "DisplayName LIKE 'Too Many%'") == 0


def test_more_than_thirty_query_items_are_refused_whole(conn: Connection) -> None:
    items = [{"bId": str(n), "Query": "SELECT * FROM Account"} for n in range(31)]
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 400
    assert fault(response)["code"] == "1040"


def test_a_query_item_asking_more_than_1000_rows_is_refused_on_its_own(conn: Connection) -> None:
    items = [
        {"bId": "big", "Query": "SELECT * FROM Account MAXRESULTS 1001"},
        {"bId": "ok", "Query": "SELECT * FROM Account MAXRESULTS 1000"},
    ]
    response = conn.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200
    answers = items_by_bid(response.json())
    error = answers["big"]["Fault"]["Error"][0]
    assert error["code"] == "4001"
    too_large = "value 1001 is too large. Max allowed value is 1000"
    assert error["Detail"] == f"QueryValidationError: {too_large}"
    assert len(answers["ok"]["QueryResponse"]["Account"]) == count(conn, "Account") > 0


def test_a_batch_answers_at_most_1000_objects_in_all(demo: Connection) -> None:
    """Intuit caps a batch's whole answer at 1000 objects: the queries' rows past that are
    cut, the items after the cut answer shorter pages or empty ones (and say nothing of it)."""
    invoices = count(demo, "Invoice")
    assert invoices == 250 and count(demo, "Customer") > 100
    items = [{"bId": "c", "Query": "SELECT * FROM Customer MAXRESULTS 100"}]
    items += [{"bId": f"i{n}", "Query": "SELECT * FROM Invoice MAXRESULTS 300"} for n in range(4)]
    items += [
        {"bId": "n", "Query": "SELECT COUNT(*) FROM Invoice"},
        {"bId": "v", "Query": "SELECT * FROM Vendor"},
        {"bId": "w", "operation": "create", "Customer": {"DisplayName": "Written Anyway"}},
    ]
    response = demo.post("batch", {"BatchItemRequest": items})
    assert response.status_code == 200, response.text
    answers = items_by_bid(response.json())
    pages = {bid: answers[bid]["QueryResponse"] for bid in ("c", "i0", "i1", "i2", "i3", "v")}
    assert [len(page.get("Customer", page.get("Invoice", []))) for page in pages.values()] == [
        100,
        250,
        250,
        250,
        150,  # 1000 reached
        0,
    ]
    assert pages["i3"]["maxResults"] == 150
    assert pages["v"] == {}  # an empty page, as QuickBooks answers one
    assert answers["n"]["QueryResponse"]["totalCount"] == invoices  # a count holds no object
    assert answers["w"]["Customer"]["DisplayName"] == "Written Anyway"  # a write is done

    alone = {"BatchItemRequest": [{"bId": "v", "Query": "SELECT * FROM Vendor"}]}
    vendors = demo.post("batch", alone).json()["BatchItemResponse"][0]["QueryResponse"]
    assert len(vendors["Vendor"]) == count(demo, "Vendor") > 0


def test_batch_without_items_is_a_validation_fault(conn: Connection) -> None:
    response = conn.post("batch", {"Nothing": []})
    assert response.status_code == 400
    assert fault(response)["code"] == "2020"


def test_python_quickbooks_batch_create_update_delete(conn: Connection) -> None:
    customers = []
    for n in range(60):
        customer = Customer()
        customer.DisplayName = f"Bulk {n:02d}"
        customers.append(customer)
    created = batch_create(customers, qb=conn.qb)  # two requests of 30
    assert created.faults == []
    assert len(created.successes) == 60
    assert sorted(c.DisplayName for c in created.successes) == [f"Bulk {n:02d}" for n in range(60)]
    assert count(conn, "Customer", "DisplayName LIKE 'Bulk %'") == 60

    first = created.successes[:5]
    for customer in first:
        customer.CompanyName = "Bulk Co"
    updated = batch_update(first, qb=conn.qb)
    assert updated.faults == []
    assert {c.SyncToken for c in updated.successes} == {"1"}
    assert count(conn, "Customer", "CompanyName = 'Bulk Co'") == 5

    invoices = [new_invoice(conn.qb, c.Id) for c in created.successes[:3]]
    deleted = batch_delete(invoices, qb=conn.qb)
    assert deleted.faults == []
    assert count(conn, "Invoice") == 0


def test_python_quickbooks_batch_reports_faults_with_their_objects(conn: Connection) -> None:
    new_customer(conn.qb, "Already Here")
    fresh, clash = Customer(), Customer()
    fresh.DisplayName = "Fresh One"
    clash.DisplayName = "Already Here"
    result = batch_create([fresh, clash], qb=conn.qb)
    assert [c.DisplayName for c in result.successes] == ["Fresh One"]
    assert len(result.faults) == 1
    assert result.faults[0].original_object is clash
    assert result.faults[0].Error[0].code == "6240"
    assert Invoice.count(qb=conn.qb) == 0


def test_a_batch_of_queries_only_is_no_write_received(conn: Connection, admin: Admin) -> None:
    def received() -> dict[str, int]:
        company = admin.call("GET", f"/companies/{conn.realm_id}").json()
        return dict(company["writes_received"])

    before = received()
    reads = [{"bId": "q", "Query": "SELECT * FROM Customer"}]
    assert conn.post("batch", {"BatchItemRequest": reads}).status_code == 200
    assert received() == before
    create = {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Counted Once"}}
    assert conn.post("batch", {"BatchItemRequest": [*reads, create]}).status_code == 200
    after = received()
    assert after.get("batch", 0) == before.get("batch", 0) + 1
    assert after.get("batch.create", 0) == before.get("batch.create", 0) + 1
