"""The app's records, sent through the HTTP API, pushed through the emulated Web Connector into
the emulated Desktop company file: every record there exactly once, as the company file's own
export says, including an answer lost on the way back and a Web Connector stopped half-way.

The Web Connector simulator calls ledgerbridge's `/qbwc` in this process (the `desktop`
fixture's transport; tests/ledgerbridge/desktop/test_web_connector.py calls it over a real
socket on localhost); the push pass runs in the service's own thread and meets the sessions in
the `desktop_requests` queue.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.api import create_app
from qbd_emulator.testing import asgi_transport
from qbd_emulator.webconnector.simulator import SessionLog, WebConnector
from tests.ledgerbridge.desktop.conftest import Desktop


def put(desktop: Desktop, record_type: str, app_id: str, **data: Any) -> None:
    answer = desktop.http.put(
        f"/v1/connections/{desktop.connection['id']}/records/{record_type}/{app_id}", json=data
    )
    assert answer.status_code in (200, 201), answer.text


def record(desktop: Desktop, record_type: str, app_id: str) -> dict[str, Any]:
    answer = desktop.http.get(
        f"/v1/connections/{desktop.connection['id']}/records/{record_type}/{app_id}"
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def sessions(connector: WebConnector, most: int = 6) -> list[SessionLog]:
    """Sessions until one finds nothing to do (each one as QBWC's schedule would start it)."""
    logs = []
    for _ in range(most):
        log = connector.run_session()
        logs.append(log)
        if log.outcome == "nothing to do":
            return logs
        assert log.outcome == "done", log.to_json()
    raise AssertionError([log.to_json() for log in logs])


def exported(desktop: Desktop) -> dict[str, list[dict[str, Any]]]:
    """What the company file holds, by type (its export: QuickBooks' own state)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in desktop.company.all_records():
        out.setdefault(rec.type, []).append({**rec.data, "EditSequence": str(rec.edit_sequence)})
    return out


def connected(desktop: Desktop) -> WebConnector:
    """The Web Connector added on the PC, its first session run (the company read in). The
    test's clock is set past the wall clock, which stamps the records received."""
    desktop.clock.now = datetime.now(UTC) + timedelta(minutes=1)
    connector = desktop.connector()
    logs = sessions(connector)
    assert logs[0].outcome == "done"
    assert desktop.stored_connection()["status"] == "active"
    return connector


def field_service(desktop: Desktop, held_back: tuple[str, ...] = ()) -> None:
    """A small field-service business: customers with jobs, a vendor, three kinds of items,
    an invoice and its payment, a bill, receipts paid by check and by card, an order (those
    whose app ids are `held_back` left out, to be put later with `put_held`)."""
    for record_type, app_id, data in FIELD_SERVICE:
        if app_id not in held_back:
            put(desktop, record_type, app_id, **data)


def put_held(desktop: Desktop, app_id: str) -> None:
    """One record of the field-service business, put on its own."""
    record_type, data = next((t, d) for t, i, d in FIELD_SERVICE if i == app_id)
    put(desktop, record_type, app_id, **data)


FIELD_SERVICE: list[tuple[str, str, dict[str, Any]]] = [
    ("customer", "c1", {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"}),
    ("customer", "c1-job", {"display_name": "12 Oak St", "kind": "property", "parent_id": "c1"}),
    ("customer", "c2", {"company_name": "Birch Dental", "display_name": "Birch Dental"}),
    ("vendor", "v1", {"company_name": "Ridge Supply", "display_name": "Ridge Supply"}),
    (
        "item",
        "svc",
        {"name": "Service Call", "unit_price": "95.00", "income_account": "Services"},
    ),
    (
        "item",
        "part",
        {
            "name": "Valve",
            "type": "non_inventory",
            "sku": "VLV-100",
            "unit_price": "40.00",
            "income_account": "Sales",
        },
    ),
    (
        "item",
        "stock",
        {
            "name": "Filter",
            "type": "inventory",
            "sku": "FLT-9",
            "unit_price": "15.00",
            "purchase_cost": "6.00",
            "income_account": "Sales",
            "expense_account": "Cost of Goods Sold",
            "asset_account": "Inventory Asset",
            "quantity_on_hand": "10",
            "inventory_start_date": "2026-11-01",
        },
    ),
    (
        "invoice",
        "inv-1",
        {
            "customer_id": "c1-job",
            "number": "5001",
            "date": "2026-11-20",
            "lines": [
                {"item_id": "svc", "quantity": "1", "unit_price": "95.00"},
                {"item_id": "part", "quantity": "2", "unit_price": "40.00"},
            ],
        },
    ),
    (
        "payment",
        "pay-1",
        {
            "customer_id": "c1-job",
            "date": "2026-11-25",
            "amount": "175.00",
            "method": "check",
            "reference": "1001",
            "applied_to": [{"invoice_id": "inv-1", "amount": "175.00"}],
        },
    ),
    (
        "bill",
        "bill-1",
        {
            "vendor_id": "v1",
            "vendor_document_number": "RS-77",
            "date": "2026-11-21",
            "lines": [{"expense_account": "Job Materials", "amount": "60.00"}],
        },
    ),
    (
        "receipt",
        "rc-check",
        {
            "vendor_id": "v1",
            "date": "2026-11-22",
            "payment_type": "check",
            "payment_account": "Checking",
            "lines": [{"expense_account": "Fuel", "amount": "48.20"}],
        },
    ),
    (
        "receipt",
        "rc-card",
        {
            "vendor_id": "v1",
            "date": "2026-11-23",
            "payment_type": "credit_card",
            "payment_account": "Company Card",
            "lines": [{"expense_account": "Office Supplies", "amount": "12.99"}],
        },
    ),
    (
        "purchase_order",
        "po-1",
        {
            "vendor_id": "v1",
            "number": "PO-12",
            "date": "2026-11-24",
            "lines": [{"item_id": "stock", "quantity": "5", "unit_price": "6.00"}],
        },
    ),
]


def map_payment_methods(desktop: Desktop) -> None:
    method = next(
        r.id
        for r in desktop.company.all_records()
        if r.type == "PaymentMethod" and r.data.get("Name") == "Check"
    )
    answer = desktop.http.put(
        f"/v1/connections/{desktop.connection['id']}/mappings",
        json={"payment_methods": {"check": method}},
    )
    assert answer.status_code == 200, answer.text


RECORDS = [
    ("customer", "c1"),
    ("customer", "c1-job"),
    ("customer", "c2"),
    ("vendor", "v1"),
    ("item", "svc"),
    ("item", "part"),
    ("item", "stock"),
    ("invoice", "inv-1"),
    ("payment", "pay-1"),
    ("bill", "bill-1"),
    ("receipt", "rc-check"),
    ("receipt", "rc-card"),
    ("purchase_order", "po-1"),
]


def check_company(desktop: Desktop) -> None:
    """Every record in the company file exactly once, as the app sent it."""
    held = exported(desktop)
    names = [c["Name"] for c in held["Customer"]]
    for name in ("Ann Lee", "12 Oak St", "Birch Dental"):
        assert names.count(name) == 1, names
    job = next(c for c in held["Customer"] if c["Name"] == "12 Oak St")
    assert job["FullName"] == "Ann Lee:12 Oak St"
    assert [v["Name"] for v in held["Vendor"]].count("Ridge Supply") == 1
    assert [i["Name"] for i in held["ItemService"]].count("Service Call") == 1
    (valve,) = [i for i in held["ItemNonInventory"] if i["Name"] == "Valve"]
    assert valve["ManufacturerPartNumber"] == "VLV-100"
    (filt,) = [i for i in held["ItemInventory"] if i["Name"] == "Filter"]
    assert filt["ManufacturerPartNumber"] == "FLT-9"
    (invoice,) = [t for t in held["Invoice"] if t.get("RefNumber") == "5001"]
    assert invoice["CustomerRef"]["ListID"] == job["ListID"]
    assert len(invoice["InvoiceLineRet"]) == 2
    (payment,) = held["ReceivePayment"]
    assert Decimal(payment["TotalAmount"]) == Decimal("175.00")
    assert [a["TxnID"] for a in payment["AppliedToTxnRet"]] == [invoice["TxnID"]]
    (bill,) = held["Bill"]
    assert bill["RefNumber"] == "RS-77"
    (check,) = held["Check"]
    assert Decimal(check["ExpenseLineRet"][0]["Amount"]) == Decimal("48.20")
    (charge,) = held["CreditCardCharge"]
    assert Decimal(charge["ExpenseLineRet"][0]["Amount"]) == Decimal("12.99")
    (order,) = held["PurchaseOrder"]
    assert order["RefNumber"] == "PO-12"
    for record_type, app_id in RECORDS:
        view = record(desktop, record_type, app_id)
        assert view["status"] == "synced", view


def test_the_records_reach_the_desktop_company_once_each(desktop: Desktop) -> None:
    connector = connected(desktop)
    map_payment_methods(desktop)
    field_service(desktop)
    logs = sessions(connector)
    pushed = logs[0]
    percents = [c.answer for c in pushed.calls if c.method == "receiveResponseXML"]
    assert percents[-1] == 100 and all(0 <= p < 100 for p in percents[:-1]), percents
    check_company(desktop)
    invoice = record(desktop, "invoice", "inv-1")
    assert invoice["quickbooks_id"] == next(
        r.id for r in desktop.company.all_records() if r.type == "Invoice"
    )
    # an edit in the app is a Mod with the EditSequence QuickBooks gave
    put(desktop, "customer", "c2", company_name="Birch Dental Group", display_name="Birch Dental")
    sessions(connector)
    (birch,) = [c for c in exported(desktop)["Customer"] if c["Name"] == "Birch Dental"]
    assert birch["CompanyName"] == "Birch Dental Group"


def test_a_lost_answer_is_settled_by_a_look_up_never_a_second_add(desktop: Desktop) -> None:
    connector = connected(desktop)
    map_payment_methods(desktop)
    field_service(desktop)
    connector.lose_answers = 1  # the first write's answer
    first = connector.run_session()
    assert first.outcome == "answer lost", first.to_json()
    lost = [c.answer for c in first.calls if c.method == "sendRequestXML"][-1]
    assert "<CustomerAddRq" in lost  # QuickBooks applied a write whose answer never came
    assert [c["Name"] for c in exported(desktop)["Customer"]].count("Ann Lee") == 1
    desktop.clock.advance(minutes=3)  # past the lost session's busy window
    sessions(connector)
    check_company(desktop)


@pytest.mark.parametrize(
    ("app_id", "request_tag"),
    [
        ("inv-1", "InvoiceAddRq"),
        ("pay-1", "ReceivePaymentAddRq"),
        ("bill-1", "BillAddRq"),
        ("rc-check", "CheckAddRq"),
        ("rc-card", "CreditCardChargeAddRq"),
        ("po-1", "PurchaseOrderAddRq"),
    ],
)
def test_a_transaction_add_whose_answer_is_lost_is_found_by_its_payee_never_added_twice(
    desktop: Desktop, app_id: str, request_tag: str
) -> None:
    """QuickBooks applied a transaction Add whose answer never came: the next session finds it
    by the payee (an EntityFilter query) and our ExternalGUID, and adds nothing again."""
    connector = connected(desktop)
    map_payment_methods(desktop)
    after = ("pay-1",) if app_id == "inv-1" else ()  # a payment waits for its invoice
    field_service(desktop, held_back=(app_id, *after))
    sessions(connector)  # everything else in the company file first
    put_held(desktop, app_id)
    connector.lose_answers = 1  # the Add's answer
    first = connector.run_session()
    assert first.outcome == "answer lost", first.to_json()
    lost = [c.answer for c in first.calls if c.method == "sendRequestXML"][-1]
    assert f"<{request_tag}" in lost, lost
    for later in after:
        put_held(desktop, later)
    desktop.clock.advance(minutes=3)  # past the lost session's busy window
    sessions(connector)
    check_company(desktop)  # the transaction there exactly once, every record synced


def test_a_web_connector_stopped_half_way_goes_on_next_time(desktop: Desktop) -> None:
    connector = connected(desktop)
    map_payment_methods(desktop)
    field_service(desktop)
    connector.halt_after_exchanges = 4
    first = connector.run_session()
    assert first.outcome == "halted", first.to_json()
    held = exported(desktop)
    assert "Ann Lee" in [c["Name"] for c in held["Customer"]]  # some there, not all yet
    assert len(held.get("Invoice", [])) == 0
    desktop.clock.advance(minutes=3)
    sessions(connector)
    check_company(desktop)


def test_ledgerbridge_stopping_mid_pass_ends_the_pass_and_goes_on_when_started_again(
    desktop: Desktop,
) -> None:
    """`ledgerbridge serve` stopping while a pass waits for the Web Connector: the pass ends
    before the database closes (its request taken back or settled later by a look-up), and the
    next run puts every record in the company file once."""
    connector = connected(desktop)
    map_payment_methods(desktop)
    field_service(desktop)
    connector.halt_after_exchanges = 4
    assert connector.run_session().outcome == "halted"
    desktop.service.close(timeout=30)
    assert [t.name for t in threading.enumerate() if t.name.startswith("desktop-pass-")] == []
    desktop.ledger.stopping.clear()  # the process started again
    desktop.clock.advance(minutes=3)
    sessions(connector)
    check_company(desktop)


def test_through_the_in_process_transport_without_a_socket(desktop: Desktop) -> None:
    app: Any = desktop.service
    with asgi_transport(create_app(app)) as transport:
        desktop.clock.now = datetime.now(UTC) + timedelta(minutes=1)
        connector = desktop.connector(transport=transport)
        sessions(connector)
        map_payment_methods(desktop)
        field_service(desktop)
        sessions(connector)
    check_company(desktop)


def test_a_quickbooks_older_than_qbxml_8_gets_nothing_until_it_is_updated(
    desktop: Desktop,
) -> None:
    """Every Add carries ExternalGUID (qbXML 8.0+): a QuickBooks whose Web Connector reports
    7.0 is a connection problem, not one parse error per record. The session sends nothing
    after the host answer, the records wait, and once QuickBooks reports 13.0 the next
    session puts every record in the company file exactly once and the problem is gone."""
    desktop.company.qbxml_version = "7.0"  # QuickBooks 2008 on the PC
    desktop.clock.now = datetime.now(UTC) + timedelta(minutes=1)
    connector = desktop.connector()
    map_payment_methods(desktop)
    field_service(desktop)
    before = exported(desktop)
    old = connector.run_session()
    assert old.outcome != "done", old.to_json()
    methods = [call.method for call in old.calls]
    assert methods.count("sendRequestXML") == 1 and "receiveResponseXML" not in methods, methods
    (said,) = [c.answer for c in old.calls if c.method == "getLastError"]
    assert "too old" in said and "qbXML 7.0" in said and "8.0" in said, said
    assert exported(desktop) == before  # nothing reached the company file
    for record_type, app_id in RECORDS:
        assert record(desktop, record_type, app_id)["status"] == "pending"
    shown = desktop.stored_connection()
    assert shown["problem"]["code"] == "connection.quickbooks_too_old"
    assert shown["problem"]["params"]["qbxml_version"] == "7.0"
    assert desktop.status()["qbxml_version"] == "7.0"
    desktop.clock.advance(minutes=16)
    again = connector.run_session()  # still 7.0: the same, nothing sent
    assert "receiveResponseXML" not in [call.method for call in again.calls]
    assert exported(desktop) == before

    desktop.company.qbxml_version = "13.0"  # QuickBooks updated on the PC
    desktop.clock.advance(minutes=16)
    sessions(connector)
    check_company(desktop)
    assert desktop.stored_connection()["problem"] is None
    assert desktop.status()["qbxml_version"] == "13.0"
    events = desktop.http.get(f"/v1/connections/{desktop.connection['id']}/events").json()
    changes = [
        (e["payload"]["code"], e["payload"]["previous"])
        for e in events["items"]
        if e["type"] == "connection.problem_changed"
    ]
    assert changes == [
        ("connection.quickbooks_too_old", None),
        (None, "connection.quickbooks_too_old"),
    ], changes


def test_the_company_file_moved_on_the_pc_is_still_the_connections_file(desktop: Desktop) -> None:
    """The file's identity is the FileID the Web Connector wrote into it, not its path: moved
    to another folder (or reached as \\\\server\\share instead of a drive letter) it is the same
    file, its new path recorded, records sent there once; a file elsewhere without that
    FileID is another file."""
    connector = connected(desktop)
    first_path = desktop.status()["company_file"]
    desktop.company.file_path = r"\\OFFICE-PC\QuickBooks\Summit Ridge Builders.QBW"
    map_payment_methods(desktop)
    field_service(desktop)
    sessions(connector)
    assert desktop.stored_connection()["status"] == "active"
    assert desktop.stored_connection()["problem"] is None
    assert desktop.status()["company_file"] == desktop.company.file_path != first_path
    check_company(desktop)

    # a file elsewhere without our FileID (a copy restored from a backup before the Web
    # Connector was added, say): another file
    desktop.company.data_ext.pop(connector.owner_id.upper(), None)
    desktop.company.file_path = r"C:\Backups\Summit Ridge Builders.QBW"
    desktop.clock.advance(minutes=16)
    assert connector.run_session().outcome != "done"
    assert desktop.stored_connection()["status"] == "wrong_company"
