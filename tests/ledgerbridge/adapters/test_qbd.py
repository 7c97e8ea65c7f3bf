"""The Desktop adapter against the Desktop emulator's company file, without the Web Connector
(`qbd_direct.DirectExchange`): qbXML in schema order, Desktop's field limits, the status codes
classified as Online's, ids and EditSequences, iterators, lost answers settled by a look-up,
the pull by modified date with deletions. What QuickBooks holds is read from the company file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledgerbridge.adapters.qbd import QbdClient, errors, schema
from ledgerbridge.adapters.qbo import Rejected, Unavailable
from ledgerbridge.core import catalog
from ledgerbridge.core.classify import FaultContext, classify
from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from tests.ledgerbridge.adapters.qbd_direct import DirectExchange


@pytest.fixture
def company() -> tuple[Emulator, Company]:
    emulator = Emulator()
    return emulator, emulator.create_company("Adapter Co", preset="demo")


@pytest.fixture
def exchange(company: tuple[Emulator, Company]) -> DirectExchange:
    return DirectExchange(*company)


@pytest.fixture
def qb(exchange: DirectExchange) -> QbdClient:
    return QbdClient(exchange)


def held(exchange: DirectExchange, kind: str) -> list[dict[str, Any]]:
    return [dict(r.data) for r in exchange.company.all_records() if r.type == kind]


def account(qb: QbdClient, name: str) -> str:
    (found,) = [a for a in qb.query("SELECT * FROM Account") if a["Name"] == name]
    return str(found["Id"])


def code_of(exc: Rejected, entity: str, operation: str = "create") -> str:
    ctx = FaultContext(entity=entity, operation=operation)  # type: ignore[arg-type]
    return classify(exc.first, ctx).code


# --- schema order and limits ------------------------------------------------------------------


def test_elements_are_written_in_schema_order_whatever_the_order_given() -> None:
    values = {"Email": "a@x.com", "Notes": "n", "Name": "Acme", "BillAddress": {"City": "Reno"}}
    written = schema.element("CustomerAdd", values)
    assert [child.tag for child in written] == ["Name", "BillAddress", "Email", "Notes"]
    line = {"Amount": "5.00", "ItemRef": {"ListID": "1"}, "TxnLineID": "-1", "Quantity": "1"}
    mod = schema.element(
        "InvoiceMod", {"EditSequence": "7", "TxnID": "9", "InvoiceLineMod": [line]}
    )
    assert [child.tag for child in mod] == ["TxnID", "EditSequence", "InvoiceLineMod"]
    assert [c.tag for c in mod.find("InvoiceLineMod")] == [  # type: ignore[union-attr]
        "TxnLineID",
        "ItemRef",
        "Quantity",
        "Amount",
    ]


@pytest.mark.parametrize(
    ("tag", "values", "entity", "code", "field", "limit"),
    [
        ("CustomerAdd", {"Name": "N" * 42}, "Customer", catalog.RECORD_FIELD_TOO_LONG, "name", 41),
        ("ItemServiceAdd", {"Name": "I" * 32}, "Item", catalog.RECORD_FIELD_TOO_LONG, "name", 31),
        (
            "InvoiceAdd",
            {"RefNumber": "1" * 12},
            "Invoice",
            catalog.RECORD_FIELD_TOO_LONG,
            "number",
            11,
        ),
        (
            "ItemNonInventoryAdd",
            {"Name": "ok", "ManufacturerPartNumber": "S" * 32},
            "Item",
            catalog.RECORD_FIELD_TOO_LONG,
            "SKU",
            31,
        ),
        (
            "ReceivePaymentAdd",
            {"RefNumber": "R" * 21},
            "Payment",
            catalog.PAYMENT_REFERENCE_TOO_LONG,
            None,
            20,
        ),
    ],
)
def test_a_value_too_long_for_desktop_is_a_problem_naming_the_field(
    tag: str, values: dict[str, Any], entity: str, code: str, field: str | None, limit: int
) -> None:
    with pytest.raises(schema.TooLong) as caught:
        schema.element(tag, values)
    fault = errors.field_fault(caught.value)
    found = classify(fault.first, FaultContext(entity=entity, operation="create"))
    assert found.code == code
    assert found.params["limit"] == str(limit)
    if field is not None:
        assert found.params["field"] == field


def test_the_client_refuses_a_long_name_before_sending(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    with pytest.raises(Rejected) as caught:
        qb.create("Customer", {"DisplayName": "x" * 45}, request_id="long")
    assert code_of(caught.value, "Customer") == catalog.RECORD_FIELD_TOO_LONG
    assert exchange.sent == []  # nothing reached QuickBooks, nothing was cut short


# --- status codes, classified as Online's -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "entity", "operation", "code"),
    [
        (
            3100,
            'The name "Acme" of the list element is already in use.',
            "Customer",
            "create",
            catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
        ),
        (
            3100,
            'The name "Acme" of the list element is already in use.',
            "Vendor",
            "create",
            catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
        ),
        (
            3100,
            'The name "Valve" of the list element is already in use.',
            "Item",
            "create",
            catalog.ITEM_EXISTS_IN_QUICKBOOKS,
        ),
        (
            3200,
            'The provided edit sequence "5" is out-of-date.',
            "Customer",
            "update",
            catalog.CUSTOMER_EDITED_CONCURRENTLY,
        ),
        (
            3120,
            'Object "1-1" specified in the request cannot be found.',
            "Invoice",
            "update",
            catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        ),
        (
            3120,
            'Object "1-1" specified in the request cannot be found.',
            "Payment",
            "update",
            catalog.PAYMENT_DELETED_IN_QUICKBOOKS,
        ),
        (
            3140,
            'There is an invalid reference to QuickBooks Customer "X" in the Invoice.',
            "Invoice",
            "create",
            catalog.INVOICE_CUSTOMER_INACTIVE,
        ),
        (
            3140,
            'There is an invalid reference to QuickBooks Item "X" in the Invoice line.',
            "Invoice",
            "create",
            catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
        ),
        (
            3140,
            'There is an invalid reference to QuickBooks Vendor "X" in the Bill.',
            "Bill",
            "create",
            catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
        ),
        (
            3140,
            'There is an invalid reference to QuickBooks Class "Residential" in the Invoice '
            "line.  QuickBooks error message: The list element is inactive.",
            "Invoice",
            "create",
            catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        ),
        (
            3140,
            'There is an invalid reference to QuickBooks Class "Gone" in the Bill line.  '
            "QuickBooks error message: Invalid argument.  The specified record does not exist "
            "in the list.",
            "Bill",
            "create",
            catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        ),
        (
            3180,
            'There was an error when saving a Invoice, element "1001".  QuickBooks error '
            "message: The transaction date is on or before the closing date of the company file.",
            "Invoice",
            "create",
            catalog.INVOICE_CLOSED_PERIOD,
        ),
        (
            3260,
            "Insufficient permission level to perform this action.",
            "Invoice",
            "create",
            catalog.CONNECTION_PERMISSION_MISSING,
        ),
        (
            3210,
            'The "AppliedToTxnAdd payment amount" field has an invalid value "129.43".  '
            "QuickBooks error message: You cannot pay more than the amount due.",
            "Payment",
            "create",
            catalog.PAYMENT_INVOICE_ALREADY_PAID,
        ),
        (3999, "Something new.", "Invoice", "create", catalog.QUICKBOOKS_UNKNOWN_ERROR),
    ],
)
def test_desktop_status_codes_classify_as_online_faults_do(
    status: int, message: str, entity: str, operation: str, code: str
) -> None:
    error = errors.translate(status, "Error", message, request="XRq", operation=operation)
    assert isinstance(error, Rejected)
    assert code_of(error, entity, operation) == code
    assert error.first.detail.startswith(message)  # QuickBooks' words kept for the log
    assert str(status) in error.first.message


def test_desktop_3100_and_3200_are_never_online_authorization_faults() -> None:
    for status in (3100, 3200):
        error = errors.translate(status, "Error", "x", request="CustomerAddRq", operation="create")
        found = code_of(error, "Customer")  # type: ignore[arg-type]
        assert found not in (catalog.CONNECTION_DISCONNECTED, catalog.CONNECTION_TOKEN_EXPIRED)


@pytest.mark.parametrize("status", [3170, 3175, 3176, 1000, 3231])
def test_a_record_in_use_or_a_passing_failure_is_retried_later(status: int) -> None:
    error = errors.translate(status, "Error", "in use", request="CustomerModRq", operation="update")
    assert isinstance(error, Unavailable) and not error.ambiguous


# --- the company file, through the adapter ----------------------------------------------------


def test_customers_with_jobs_items_and_documents_round_trip(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    acme = qb.create("Customer", {"DisplayName": "Acme", "GivenName": "Al"}, request_id="c1")
    job = qb.create(
        "Customer", {"DisplayName": "Roof", "ParentRef": {"value": acme["Id"]}}, request_id="c2"
    )
    assert job["FullyQualifiedName"] == "Acme:Roof" and job["ParentRef"]["value"] == acme["Id"]
    sales = account(qb, "Sales")
    part = qb.create(
        "Item",
        {
            "Name": "Valve",
            "Type": "NonInventory",
            "Sku": "VLV-1",
            "UnitPrice": "4.00",
            "IncomeAccountRef": {"value": sales},
        },
        request_id="i1",
    )
    assert part["Sku"] == "VLV-1" and part["Type"] == "NonInventory"
    (stored,) = [i for i in held(exchange, "ItemNonInventory") if i["Name"] == "Valve"]
    assert stored["ManufacturerPartNumber"] == "VLV-1"
    invoice = qb.create(
        "Invoice",
        {
            "CustomerRef": {"value": job["Id"]},
            "DocNumber": "9001",
            "TxnDate": "2026-11-02",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": "8.00",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": part["Id"]},
                        "Qty": "2",
                        "UnitPrice": "4.00",
                    },
                }
            ],
        },
        request_id="v1",
    )
    assert invoice["DocNumber"] == "9001" and str(invoice["TotalAmt"]) == "8.00"
    # a sparse update keeps what it does not name; the EditSequence is the SyncToken
    changed = qb.update(
        "Invoice",
        {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "PrivateNote": "hi"},
        request_id="v2",
    )
    assert changed["PrivateNote"] == "hi" and changed["SyncToken"] != invoice["SyncToken"]
    assert len(changed["Line"]) == 1
    with pytest.raises(Rejected) as stale:
        qb.update(
            "Invoice",
            {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "PrivateNote": "again"},
            request_id="v3",
        )
    assert code_of(stale.value, "Invoice", "update") == catalog.CUSTOMER_EDITED_CONCURRENTLY
    voided = qb.void("Invoice", invoice["Id"], changed["SyncToken"], request_id="v4")
    assert str(voided["TotalAmt"]) == "0.00"
    assert qb.read("Invoice", invoice["Id"]) is not None
    qb.delete("Invoice", invoice["Id"], voided["SyncToken"], request_id="v5")
    assert qb.read("Invoice", invoice["Id"]) is None


def test_a_name_in_use_meets_the_holder_and_look_ups_ask_for_every_status(qb: QbdClient) -> None:
    first = qb.create("Vendor", {"DisplayName": "Ridge", "Active": False}, request_id="a")
    with pytest.raises(Rejected) as taken:
        qb.create("Customer", {"DisplayName": "ridge"}, request_id="b")  # one name space
    assert code_of(taken.value, "Customer") == catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS
    found = qb.query("SELECT * FROM Vendor WHERE DisplayName = 'Ridge' AND Active IN (true, false)")
    assert [v["Id"] for v in found] == [first["Id"]] and found[0]["Active"] is False


def test_a_large_list_comes_through_an_iterator(qb: QbdClient, exchange: DirectExchange) -> None:
    for n in range(230):
        qb.create("Customer", {"DisplayName": f"Customer {n:03}"}, request_id=f"c{n}")
    exchange.sent.clear()
    rows = qb.query("SELECT * FROM Customer WHERE Active IN (true, false)")
    assert len({r["Id"] for r in rows}) == len(held(exchange, "Customer")) >= 230
    starts = [d for d in exchange.sent if 'iterator="Start"' in d]
    continues = [d for d in exchange.sent if 'iterator="Continue"' in d]
    assert len(starts) == 1 and len(continues) >= 2


def test_a_lost_answer_is_settled_by_a_look_up_before_any_resend(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    body = {"DisplayName": "Lost Co"}
    exchange.lose_next = 1  # QuickBooks applies the Add; its answer never comes back
    with pytest.raises(Unavailable) as lost:
        qb.create("Customer", body, request_id="w1")
    assert lost.value.ambiguous
    again = qb.create("Customer", body, request_id="w1")  # the engine's replay, same id
    assert [c["Name"] for c in held(exchange, "Customer")].count("Lost Co") == 1
    assert again["Id"] == next(
        c["ListID"] for c in held(exchange, "Customer") if c["Name"] == "Lost Co"
    )
    assert sum("<CustomerAddRq" in d for d in exchange.sent) == 1  # never re-added


def test_a_lost_write_quickbooks_never_applied_is_sent_again(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    jobless = qb.create("Customer", {"DisplayName": "Park"}, request_id="p")
    exchange.answers["inv"] = None  # handed to a session that broke before QuickBooks had it
    made = qb.create(
        "Invoice",
        {"CustomerRef": {"value": jobless["Id"]}, "TxnDate": "2026-11-02", "Line": []},
        request_id="inv",
    )
    assert [t["TxnID"] for t in held(exchange, "Invoice")] == [made["Id"]]


def test_a_pull_by_modified_date_brings_changes_and_deletions(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=5)
    kept = qb.create("Customer", {"DisplayName": "Kept"}, request_id="k")
    gone = qb.create("Customer", {"DisplayName": "Gone"}, request_id="g")
    qb.delete("Customer", gone["Id"], gone["SyncToken"], request_id="d")
    changes = qb.cdc(["Customer", "Invoice"], since)
    ids = {row["Id"]: row for row in changes["Customer"]}
    assert kept["Id"] in ids and ids[gone["Id"]] == {"Id": gone["Id"], "status": "Deleted"}
    assert qb.preferences()["SalesFormsPrefs"]["CustomTxnNumbers"] is True


def test_payments_and_purchase_orders_have_no_void_in_desktop(qb: QbdClient) -> None:
    who = qb.create("Customer", {"DisplayName": "Payer"}, request_id="w")
    paid = qb.create(
        "Payment",
        {"CustomerRef": {"value": who["Id"]}, "TotalAmt": "5.00", "TxnDate": "2026-11-02"},
        request_id="p",
    )
    with pytest.raises(Rejected) as refused:
        qb.void("Payment", paid["Id"], paid["SyncToken"], request_id="pv")
    assert code_of(refused.value, "Payment", "void") == catalog.QUICKBOOKS_UNKNOWN_ERROR


def test_queries_the_adapter_cannot_answer_are_refused(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    with pytest.raises(ValueError, match="cannot answer"):
        qb.query("SELECT * FROM Customer WHERE Balance > '0'")
    assert exchange.sent == []


def test_a_page_of_a_query_is_its_slice_of_the_whole_list(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    """The initial import and the pull read QuickBooks' lists page by page; qbXML has no
    offset, so the first page reads the list whole and the pages after it are cut from that
    read, in the same order: one read of the list, not one per page. A short page is the last."""
    every = qb.query("SELECT * FROM Account")
    assert len(every) > 3
    before = len(exchange.sent)
    pages = [
        qb.query_page("SELECT * FROM Account", start, 3) for start in range(1, len(every) + 1, 3)
    ]
    one_read = len(exchange.sent) - before
    assert [row["Id"] for page in pages for row in page] == [row["Id"] for row in every]
    assert len(pages[-1]) <= 3
    before = len(exchange.sent)
    assert qb.query("SELECT * FROM Account") == every
    assert one_read == len(exchange.sent) - before  # as many requests as reading it once
    assert qb.query_page("SELECT * FROM Account", len(every) + 1, 3) == []
    for start, size in [(0, 3), (1, 0), (1, 1001)]:
        with pytest.raises(ValueError):
            qb.query_page("SELECT * FROM Account", start, size)


def test_classes_are_read_sent_as_class_refs_and_made_active_again(
    qb: QbdClient, exchange: DirectExchange
) -> None:
    found = {c["FullyQualifiedName"]: c for c in qb.query("SELECT * FROM Class")}
    assert set(found) == {"Residential", "Commercial", "Commercial:Retail"}
    retail = found["Commercial:Retail"]
    assert retail["Name"] == "Retail" and retail["SubClass"] is True
    assert retail["ParentRef"]["value"] == found["Commercial"]["Id"]
    customer = qb.create("Customer", {"DisplayName": "Class Act"}, request_id="c")
    item = qb.query("SELECT * FROM Item WHERE Name = 'Labor'")[0]
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "ClassRef": {"value": found["Residential"]["Id"]},
        "TxnDate": "2026-11-20",
        "DocNumber": "C-1",
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": "95.00",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item["Id"]},
                    "Qty": "1",
                    "UnitPrice": "95.00",
                    "ClassRef": {"value": retail["Id"]},
                },
            }
        ],
    }
    made = qb.create("Invoice", body, request_id="inv")
    assert made["ClassRef"]["value"] == found["Residential"]["Id"]
    assert made["Line"][0]["SalesItemLineDetail"]["ClassRef"] == {
        "value": retail["Id"],
        "name": "Commercial:Retail",
    }
    (held_invoice,) = held(exchange, "Invoice")
    assert held_invoice["ClassRef"]["ListID"] == found["Residential"]["Id"]
    # made inactive in QuickBooks: QuickBooks refuses it (3140), classified as the class's
    current = qb.read("Class", retail["Id"])
    assert current is not None
    qb.update(
        "Class",
        {"Id": retail["Id"], "SyncToken": current["SyncToken"], "Active": False},
        request_id="off",
    )
    body["DocNumber"] = "C-2"
    with pytest.raises(Rejected) as refused:
        qb.create("Invoice", body, request_id="inv-2")
    assert code_of(refused.value, "Invoice") == catalog.CLASS_INACTIVE_IN_QUICKBOOKS
    found_class = classify(refused.value.first, FaultContext(entity="invoice", operation="create"))
    # QuickBooks quotes the ClassRef as sent, its ListID: never shown as the class's name (the
    # engine names it from the mirror or the record)
    assert found_class.params == {"quickbooks_id": retail["Id"]}
    assert f'Class "{retail["Id"]}"' in refused.value.first.detail
    assert "The list element is inactive" in refused.value.first.detail
    off = qb.read("Class", retail["Id"])
    assert off is not None and off["Active"] is False
    on = qb.update(
        "Class",
        {"Id": retail["Id"], "SyncToken": off["SyncToken"], "Active": True, "Name": "Retail"},
        request_id="on",
    )
    assert on["Active"] is True and on["FullyQualifiedName"] == "Commercial:Retail"
    assert qb.create("Invoice", body, request_id="inv-3")["DocNumber"] == "C-2"
    since = datetime.now(UTC) - timedelta(hours=1)
    changed = qb.cdc(["Class"], since)["Class"]
    assert retail["Id"] in {c["Id"] for c in changed}
