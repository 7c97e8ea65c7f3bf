"""QboClient against the emulator over real HTTP: writes with requestid, reads, queries with
paging, batch, change data capture, and the singletons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from ledgerbridge.adapters.qbo import BatchItem, QboClient, QuickBooks, Rejected, Unavailable
from ledgerbridge.adapters.qbo.client import api_base
from qbo_emulator.server import EmulatorServer, free_port
from tests.ledgerbridge.adapters.qbo.conftest import (
    Admin,
    Company,
    customer,
    invoice,
    new_request_id,
    service_item,
)


def test_api_base_per_environment() -> None:
    assert api_base("production") == "https://quickbooks.api.intuit.com/v3"
    assert api_base("sandbox") == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert api_base("emulator", "http://127.0.0.1:8765/") == "http://127.0.0.1:8765/v3"
    with pytest.raises(ValueError, match="emulator's URL"):
        api_base("emulator")


def test_the_client_meets_the_adapter_contract(qb: QboClient) -> None:
    contract: QuickBooks = qb
    assert "realm_id" in repr(contract)


def test_create_read_and_sparse_update(company: Company) -> None:
    qb = company.client
    made = qb.create("Customer", {"DisplayName": "Acme", "Notes": "first"}, request_id="c-1")
    assert made["SyncToken"] == "0"
    assert qb.read("Customer", made["Id"]) == made

    changed = qb.update(
        "Customer",
        {"Id": made["Id"], "SyncToken": made["SyncToken"], "CompanyName": "Acme Ltd"},
        request_id="u-1",
    )
    assert changed["SyncToken"] == "1"
    assert changed["CompanyName"] == "Acme Ltd"
    assert changed["Notes"] == "first"  # sparse: fields not sent are kept
    assert changed["DisplayName"] == "Acme"

    with pytest.raises(ValueError, match="SyncToken"):
        qb.update("Customer", {"Id": made["Id"], "Notes": "x"}, request_id="u-2")


def test_every_request_sends_minorversion_and_every_write_its_requestid(company: Company) -> None:
    qb = company.client
    made = customer(qb, "Params")
    qb.read("Customer", made["Id"])
    qb.update("Customer", {"Id": made["Id"], "SyncToken": "0", "Notes": "n"}, request_id="w-2")
    qb.count("SELECT COUNT(*) FROM Customer")
    requests = company.transport.requests
    assert requests and all(r.url.params["minorversion"] == "75" for r in requests)
    writes = [r for r in requests if r.url.path.endswith("/customer")]
    assert [r.method for r in writes] == ["POST", "POST"]
    assert writes[1].url.params["requestid"] == "w-2"
    assert all("requestid" not in r.url.params for r in requests if r.method == "GET")
    assert all(r.headers["authorization"].startswith("Bearer ") for r in requests)


def test_money_travels_as_exact_decimals(company: Company) -> None:
    qb = company.client
    buyer = customer(qb, "Decimal Buyer")
    made = invoice(qb, buyer["Id"], service_item(qb), amount="1234567.89")
    assert made["TotalAmt"] == Decimal("1234567.89")
    assert isinstance(made["Line"][0]["Amount"], Decimal)


def test_the_same_request_id_twice_writes_once(company: Company) -> None:
    qb = company.client
    request_id = new_request_id()
    first = qb.create("Customer", {"DisplayName": "Once"}, request_id=request_id)
    second = qb.create("Customer", {"DisplayName": "Once"}, request_id=request_id)
    assert second == first
    assert qb.count("SELECT COUNT(*) FROM Customer WHERE DisplayName = 'Once'") == 1


def test_a_write_whose_answer_is_lost_is_ambiguous_and_settled_by_replay(
    company: Company, admin: Admin
) -> None:
    qb = company.client
    admin.add_fault(
        company.realm_id, {"method": "POST", "entity": "customer"}, {"drop_after_commit": True}
    )
    request_id = new_request_id()
    with pytest.raises(Unavailable) as lost:
        qb.create("Customer", {"DisplayName": "Lost Answer"}, request_id=request_id)
    assert lost.value.ambiguous is True
    assert lost.value.faults == ()

    # The engine retries the same logical write with the same request id.
    replayed = qb.create("Customer", {"DisplayName": "Lost Answer"}, request_id=request_id)
    assert replayed["DisplayName"] == "Lost Answer"
    assert qb.count("SELECT COUNT(*) FROM Customer WHERE DisplayName = 'Lost Answer'") == 1


def test_a_write_that_times_out_is_ambiguous(
    connect: Callable[..., Company], emulator: EmulatorServer, admin: Admin
) -> None:
    company = connect(timeout=0.1)
    # Both attempts are slow: the first times out while QuickBooks still works on it, the second
    # (with time to wait) arrives after the first committed and gets its answer again.
    admin.add_fault(
        company.realm_id, {"method": "POST", "entity": "customer"}, {"latency_ms": 300}, times=2
    )
    request_id = new_request_id()
    with pytest.raises(Unavailable) as timed_out:
        company.client.create("Customer", {"DisplayName": "Slow"}, request_id=request_id)
    assert timed_out.value.ambiguous is True
    assert "ReadTimeout" in str(timed_out.value)

    base = api_base("emulator", emulator.url)
    with QboClient(base, company.realm_id, company.tokens, timeout=10) as patient:
        settled = patient.create("Customer", {"DisplayName": "Slow"}, request_id=request_id)
        assert settled["DisplayName"] == "Slow"
        assert patient.count("SELECT COUNT(*) FROM Customer WHERE DisplayName = 'Slow'") == 1


def test_a_read_that_times_out_is_not_ambiguous(
    connect: Callable[..., Company], admin: Admin
) -> None:
    company = connect(timeout=0.1)
    admin.add_fault(company.realm_id, {"method": "GET"}, {"latency_ms": 300})
    with pytest.raises(Unavailable) as timed_out:
        company.client.preferences()
    assert timed_out.value.ambiguous is False


def test_a_write_that_cannot_connect_is_not_ambiguous(company: Company) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with (
        QboClient(api_base("emulator", closed), company.realm_id, company.tokens) as qb,
        pytest.raises(Unavailable) as refused,
    ):
        qb.create("Customer", {"DisplayName": "Nowhere"}, request_id=new_request_id())
    assert refused.value.ambiguous is False


def test_read_of_a_deleted_or_unknown_object_is_none(company: Company) -> None:
    qb = company.client
    buyer = customer(qb, "Deleted Invoice Buyer")
    made = invoice(qb, buyer["Id"], service_item(qb))
    assert qb.read("Invoice", made["Id"]) is not None
    qb.delete("Invoice", made["Id"], made["SyncToken"], request_id=new_request_id())
    assert qb.read("Invoice", made["Id"]) is None
    assert qb.read("Customer", "999999") is None


def balance(qb: QboClient, invoice_id: str) -> Decimal:
    found = qb.read("Invoice", invoice_id)
    assert found is not None
    return Decimal(found["Balance"])


def test_void_an_invoice_and_a_payment(company: Company) -> None:
    qb = company.client
    buyer = customer(qb, "Void Buyer")
    item = service_item(qb)
    voided = invoice(qb, buyer["Id"], item)
    result = qb.void("Invoice", voided["Id"], voided["SyncToken"], request_id=new_request_id())
    assert result["TotalAmt"] == 0
    assert result["PrivateNote"].startswith("Voided")

    paid = invoice(qb, buyer["Id"], item, amount="40.00")
    payment = qb.create(
        "Payment",
        {
            "CustomerRef": {"value": buyer["Id"]},
            "TotalAmt": Decimal("40.00"),
            "Line": [
                {
                    "Amount": Decimal("40.00"),
                    "LinkedTxn": [{"TxnId": paid["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
        request_id=new_request_id(),
    )
    assert balance(qb, paid["Id"]) == 0
    qb.void("Payment", payment["Id"], payment["SyncToken"], request_id=new_request_id())
    assert balance(qb, paid["Id"]) == Decimal("40")
    operations = [
        (r.url.params.get("operation"), r.url.params.get("include"))
        for r in company.transport.requests
        if r.url.params.get("operation")
    ]
    assert operations == [("void", None), ("update", "void")]


def test_query_pages_past_a_thousand_rows(company: Company, admin: Admin) -> None:
    qb = company.client
    admin.patch_company(company.realm_id, throttle={"batch_per_minute": None})
    for start in range(0, 1020, 30):
        items = [
            BatchItem(f"b{n}", "create", "Customer", {"DisplayName": f"Bulk {n:04d}"})
            for n in range(start, start + 30)
        ]
        results = qb.batch(items, request_id=new_request_id())
        assert all(r.fault is None for r in results)

    rows = qb.query("SELECT * FROM Customer WHERE DisplayName LIKE 'Bulk%' ORDERBY DisplayName")
    assert len(rows) == 1020
    assert rows[0]["DisplayName"] == "Bulk 0000" and rows[-1]["DisplayName"] == "Bulk 1019"
    assert len({row["Id"] for row in rows}) == 1020
    pages = [
        r.content.decode() for r in company.transport.requests if r.url.path.endswith("/query")
    ]
    assert pages[-2].endswith("STARTPOSITION 1 MAXRESULTS 1000")
    assert pages[-1].endswith("STARTPOSITION 1001 MAXRESULTS 1000")
    assert qb.count("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE 'Bulk%'") == 1020
    assert qb.query("SELECT * FROM Customer WHERE DisplayName = 'Nobody'") == []


def test_query_refuses_its_own_paging_and_counts(qb: QboClient) -> None:
    with pytest.raises(ValueError, match="pages by itself"):
        qb.query("SELECT * FROM Customer MAXRESULTS 10")
    with pytest.raises(ValueError, match="count"):
        qb.query("select count(*) from Customer")
    with pytest.raises(ValueError, match="COUNT"):
        qb.count("SELECT * FROM Customer")
    # Words inside string literals are data, not clauses.
    assert qb.query("SELECT * FROM Customer WHERE DisplayName = 'MAXRESULTS 5'") == []


def test_batch_returns_each_item_s_outcome_in_order(company: Company) -> None:
    qb = company.client
    taken = customer(qb, "Taken Name")
    results = qb.batch(
        [
            BatchItem("new", "create", "Customer", {"DisplayName": "Fresh Name"}),
            BatchItem("dup", "create", "Customer", {"DisplayName": "Taken Name"}),
            BatchItem(
                "upd",
                "update",
                "Customer",
                {"Id": taken["Id"], "SyncToken": "0", "sparse": True, "Notes": "batched"},
            ),
        ],
        request_id=new_request_id(),
    )
    assert [r.bid for r in results] == ["new", "dup", "upd"]
    assert results[0].entity is not None and results[0].entity["DisplayName"] == "Fresh Name"
    assert results[1].entity is None
    assert isinstance(results[1].fault, Rejected)
    assert results[1].fault.first.code == "6240"
    assert results[1].fault.first.status == 200  # the batch answer's
    assert results[1].fault.first.intuit_tid
    assert results[2].entity is not None and results[2].entity["Notes"] == "batched"


def test_batch_limits(qb: QboClient) -> None:
    items = [BatchItem(f"b{n}", "create", "Customer", {"DisplayName": f"N{n}"}) for n in range(31)]
    with pytest.raises(ValueError, match="at most 30"):
        qb.batch(items, request_id=new_request_id())
    with pytest.raises(ValueError, match="unique"):
        qb.batch(items[:1] * 2, request_id=new_request_id())
    with pytest.raises(ValueError, match="bid"):
        qb.batch(
            [BatchItem("b" * 11, "create", "Customer", {"DisplayName": "x"})],
            request_id=new_request_id(),
        )
    assert qb.batch([], request_id=new_request_id()) == []


def test_cdc_returns_changes_and_deleted_stubs(company: Company) -> None:
    qb = company.client
    since = datetime.now(UTC) - timedelta(minutes=5)
    buyer = customer(qb, "CDC Buyer")
    gone = invoice(qb, buyer["Id"], service_item(qb))
    qb.delete("Invoice", gone["Id"], gone["SyncToken"], request_id=new_request_id())

    changes = qb.cdc(["Customer", "Invoice", "Vendor"], since)
    assert [c["Id"] for c in changes["Customer"]] == [buyer["Id"]]
    assert changes["Invoice"] == [
        {
            "domain": "QBO",
            "status": "Deleted",
            "Id": gone["Id"],
            "MetaData": changes["Invoice"][0]["MetaData"],
        }
    ]
    assert changes["Vendor"] == []
    with pytest.raises(ValueError, match="timezone"):
        qb.cdc(["Customer"], datetime.now())


def test_preferences_and_company_info(company: Company) -> None:
    qb = company.client
    assert "SalesFormsPrefs" in qb.preferences()
    assert qb.company_info()["CompanyName"] == "Test Company"


def test_request_ids_must_fit_quickbooks_limits(qb: QboClient) -> None:
    with pytest.raises(ValueError, match="request_id"):
        qb.create("Customer", {"DisplayName": "x"}, request_id="")
    with pytest.raises(ValueError, match="request_id"):
        qb.create("Customer", {"DisplayName": "x"}, request_id="r" * 51)


def test_the_client_uses_the_transport_it_is_given(company: Company) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Preferences": {"Id": "1"}}, headers={"intuit_tid": "t"})

    with QboClient(
        "https://example.invalid/v3", "1", company.tokens, transport=httpx.MockTransport(handler)
    ) as qb:
        assert qb.preferences() == {"Id": "1"}
