"""Record-level failures met in QuickBooks Desktop show the same catalog codes as QuickBooks
Online's (tests/ledgerbridge/engine/failures), through the API: a name in use (3100), a stale
EditSequence (3200), a record deleted (3120), an invalid reference (3140), a record in use by
another user (3170-3176), a closed period; and a value too long for Desktop is refused before
sending, naming the field.

"A person in QuickBooks" acts on the company file directly (the emulator's qbXML, as the
admin API's `POST /companies/{id}/qbxml` does), after ledgerbridge last read it, so that
QuickBooks itself refuses the write.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qbd_emulator.model import Lock
from qbd_emulator.webconnector.simulator import WebConnector
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_push_e2e import connected, exported, put, record, sessions


def person(desktop: Desktop, request: str) -> Any:
    """A person's change in QuickBooks: one request, answered by the company file."""
    document = (
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
        f'<QBXMLMsgsRq onError="stopOnError">{request}</QBXMLMsgsRq></QBXML>'
    )
    answer, error = desktop.emulator.process_direct(desktop.company, document)
    assert error is None and 'statusCode="0"' in answer, answer
    return answer


def listed(desktop: Desktop, kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in exported(desktop).get(kind, []) if r.get("Name") == name]
    return found


def problem(desktop: Desktop, record_type: str, app_id: str) -> dict[str, Any]:
    view = record(desktop, record_type, app_id)
    assert view["problem"] is not None, view
    found: dict[str, Any] = view["problem"]
    return found


def ready(desktop: Desktop) -> WebConnector:
    connector = connected(desktop)
    put(desktop, "item", "svc", name="Service Call", unit_price="95.00", income_account="Services")
    return connector


def invoice(desktop: Desktop, app_id: str, customer: str, number: str, **extra: Any) -> None:
    put(
        desktop,
        "invoice",
        app_id,
        customer_id=customer,
        number=number,
        date=extra.pop("day", "2026-11-20"),
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00"}],
        **extra,
    )


def test_a_name_in_use_is_customer_exists_in_quickbooks(desktop: Desktop) -> None:
    connector = ready(desktop)
    person(
        desktop,
        "<CustomerAddRq><CustomerAdd><Name>Cara Moss</Name><Email>old@ex.com</Email>"
        "</CustomerAdd></CustomerAddRq>",
    )
    put(desktop, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    sessions(connector)
    found = problem(desktop, "customer", "cara")
    assert found["code"] == "customer.exists_in_quickbooks"
    assert found["params"]["quickbooks_id"] == listed(desktop, "Customer", "Cara Moss")["ListID"]
    assert [c["Name"] for c in exported(desktop)["Customer"]].count("Cara Moss") == 1


def test_a_name_in_use_with_the_same_email_is_linked(desktop: Desktop) -> None:
    connector = ready(desktop)
    person(
        desktop,
        "<CustomerAddRq><CustomerAdd><Name>Cara Moss</Name><Email>cara@ex.com</Email>"
        "</CustomerAdd></CustomerAddRq>",
    )
    put(desktop, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    sessions(connector)
    view = record(desktop, "customer", "cara")
    assert view["status"] == "synced", view
    assert view["quickbooks_id"] == listed(desktop, "Customer", "Cara Moss")["ListID"]


def _dana(desktop: Desktop, connector: WebConnector) -> dict[str, Any]:
    put(desktop, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 4")
    sessions(connector)
    return listed(desktop, "Customer", "Dana Fox")


def test_a_stale_edit_sequence_is_read_again_and_reapplied(desktop: Desktop) -> None:
    connector = ready(desktop)
    dana = _dana(desktop, connector)
    person(
        desktop,
        f"<CustomerModRq><CustomerMod><ListID>{dana['ListID']}</ListID>"
        f"<EditSequence>{dana['EditSequence']}</EditSequence><Phone>916-555-0100</Phone>"
        "</CustomerMod></CustomerModRq>",
    )
    put(desktop, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 7")
    sessions(connector)
    after = listed(desktop, "Customer", "Dana Fox")
    assert after["Notes"] == "gate 7" and after["Phone"] == "916-555-0100"
    view = record(desktop, "customer", "d")
    assert view["status"] == "synced", view
    assert any(h["kind"] == "stale_reapplied" for h in view["history"])


def test_the_same_field_edited_on_both_sides_is_edited_concurrently(desktop: Desktop) -> None:
    connector = ready(desktop)
    dana = _dana(desktop, connector)
    person(
        desktop,
        f"<CustomerModRq><CustomerMod><ListID>{dana['ListID']}</ListID>"
        f"<EditSequence>{dana['EditSequence']}</EditSequence><Notes>gate 5</Notes>"
        "</CustomerMod></CustomerModRq>",
    )
    put(desktop, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 7")
    sessions(connector)
    assert problem(desktop, "customer", "d")["code"] == "customer.edited_concurrently"
    assert listed(desktop, "Customer", "Dana Fox")["Notes"] == "gate 5"  # not overwritten


def test_an_invoice_deleted_in_quickbooks_is_invoice_deleted(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    invoice(desktop, "inv-1", "c", "7001")
    sessions(connector)
    (pushed,) = exported(desktop)["Invoice"]
    person(
        desktop,
        f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{pushed['TxnID']}</TxnID></TxnDelRq>",
    )
    invoice(desktop, "inv-1", "c", "7001", memo="gate code 12")
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "invoice.deleted_in_quickbooks"
    assert "Invoice" not in exported(desktop) or not exported(desktop)["Invoice"]


def test_a_reference_to_a_customer_deleted_in_quickbooks_stops_the_invoice(
    desktop: Desktop,
) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    eve = listed(desktop, "Customer", "Eve Park")
    person(
        desktop,
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{eve['ListID']}</ListID>"
        "</ListDelRq>",
    )
    invoice(desktop, "inv-1", "c", "7002")
    sessions(connector)
    # QuickBooks' 3140 "invalid reference to QuickBooks Customer": Online's 610 on CustomerRef
    assert problem(desktop, "invoice", "inv-1")["code"] == "invoice.customer_inactive"
    assert not exported(desktop).get("Invoice")


def test_a_record_in_use_by_another_user_is_retried_later(desktop: Desktop) -> None:
    connector = ready(desktop)
    dana = _dana(desktop, connector)
    desktop.company.locks[dana["ListID"]] = Lock(dana["ListID"], 3175, None)
    put(desktop, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 9")
    sessions(connector)
    view = record(desktop, "customer", "d")
    assert view["status"] == "pending", view  # retried later, not an error of the record
    assert view["problem"]["code"] == "record.in_use_in_quickbooks"
    assert "open or being edited by someone" in view["problem"]["meaning"]
    assert listed(desktop, "Customer", "Dana Fox")["Notes"] == "gate 4"
    del desktop.company.locks[dana["ListID"]]  # the other user closed the customer's window
    desktop.clock.advance(hours=1)
    sessions(connector)
    assert listed(desktop, "Customer", "Dana Fox")["Notes"] == "gate 9"
    assert record(desktop, "customer", "d")["status"] == "synced"


def test_a_transaction_in_a_closed_period_is_invoice_closed_period(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    desktop.company.closing_date = date(2026, 11, 30)  # after ledgerbridge read the preferences
    invoice(desktop, "inv-1", "c", "7003", day="2026-11-15")
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "invoice.closed_period"
    assert not exported(desktop).get("Invoice")


def test_a_name_too_long_for_desktop_is_refused_before_sending(desktop: Desktop) -> None:
    connector = ready(desktop)
    name = "Northern California Property Management Group"  # 45: Online takes it, Desktop 41
    put(desktop, "customer", "long", display_name=name)
    sessions(connector)
    found = problem(desktop, "customer", "long")
    assert found["code"] == "record.field_too_long"
    assert found["params"]["field"] == "name"
    assert found["params"]["limit"] == "41" and found["params"]["length"] == str(len(name))
    assert name not in [c["Name"] for c in exported(desktop)["Customer"]]
    assert not any(name[:41] == c["Name"] for c in exported(desktop)["Customer"])  # never cut


def test_a_pull_by_modified_date_sees_an_invoice_deleted_in_quickbooks(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    invoice(desktop, "inv-1", "c", "7004")
    sessions(connector)
    (pushed,) = exported(desktop)["Invoice"]
    person(
        desktop,
        f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{pushed['TxnID']}</TxnID></TxnDelRq>",
    )
    desktop.clock.advance(minutes=16)  # the next scheduled session pulls (no webhooks)
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "invoice.deleted_in_quickbooks"
