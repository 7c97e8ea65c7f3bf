"""Change data capture: what changed since a time, grouped by entity, deletions as stubs after
the live objects, at most 30 days back and 1000 objects per answer. Time is moved with the
admin `clock` setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from qbo_emulator import operations
from qbo_emulator.model.specs import SPECS
from qbo_emulator.server import EmulatorServer
from tests.emulator.api_helpers import any_item_id, fault, new_customer, new_invoice
from tests.emulator.conftest import Admin, Connection

PACIFIC = ZoneInfo("America/Los_Angeles")


def iso(moment: datetime) -> str:
    return moment.astimezone(PACIFIC).replace(microsecond=0).isoformat()


def cdc(conn: Connection, entities: str, since: datetime | str) -> list[dict[str, Any]]:
    changed_since = since if isinstance(since, str) else iso(since)
    response = conn.get("cdc", entities=entities, changedSince=changed_since, minorversion=75)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"CDCResponse", "time"}
    groups: list[dict[str, Any]] = body["CDCResponse"][0]["QueryResponse"]
    return groups


def group(groups: list[dict[str, Any]], entity: str) -> list[dict[str, Any]]:
    found = [g for g in groups if entity in g]
    assert len(found) == 1, groups
    assert found[0]["startPosition"] == 1
    assert found[0]["maxResults"] == len(found[0][entity])
    rows: list[dict[str, Any]] = found[0][entity]
    return rows


@pytest.fixture
def history(conn: Connection, admin: Admin) -> dict[str, Any]:
    """Writes at two moments, ten days ago and five days ago; nothing since."""
    now = datetime.now(UTC).replace(microsecond=0)
    item = any_item_id(conn.qb)
    admin.patch_company(conn.realm_id, {"clock": (now - timedelta(days=10)).isoformat()})
    old = new_customer(conn.qb, "Old Customer")
    untouched = new_customer(conn.qb, "Untouched")
    old_invoice = new_invoice(conn.qb, old.Id, item_id=item)
    kept_invoice = new_invoice(conn.qb, untouched.Id, item_id=item)

    admin.patch_company(conn.realm_id, {"clock": (now - timedelta(days=5)).isoformat()})
    fresh = new_customer(conn.qb, "Fresh Customer")
    old.Notes = "changed"
    old = old.save(qb=conn.qb)
    new_one = new_invoice(conn.qb, fresh.Id, amount="75.00", item_id=item)
    short_lived = new_invoice(conn.qb, fresh.Id, amount="5.00", item_id=item)
    short_lived.delete(qb=conn.qb)
    Invoice.get(old_invoice.Id, qb=conn.qb).delete(qb=conn.qb)

    admin.patch_company(conn.realm_id, {"clock": None})
    return {
        "now": now,
        "old": old,
        "untouched": untouched,
        "fresh": fresh,
        "new_invoice": new_one,
        "kept_invoice": kept_invoice,
        "deleted": [short_lived.Id, old_invoice.Id],
    }


def test_created_updated_and_deleted_since(conn: Connection, history: dict[str, Any]) -> None:
    since = history["now"] - timedelta(days=6)
    groups = cdc(conn, "Customer,Invoice", since)
    assert [next(k for k in g if k[0].isupper()) for g in groups] == ["Customer", "Invoice"]

    customers = group(groups, "Customer")
    assert [c["Id"] for c in customers] == [history["fresh"].Id, history["old"].Id]
    assert customers[1]["Notes"] == "changed"
    assert customers[1]["SyncToken"] == "1"
    times = [c["MetaData"]["LastUpdatedTime"] for c in customers]
    assert times == sorted(times)

    invoices = group(groups, "Invoice")
    live, stubs = invoices[:1], invoices[1:]
    assert live[0]["Id"] == history["new_invoice"].Id
    assert live[0]["TotalAmt"] == 75
    assert [s["Id"] for s in stubs] == history["deleted"]
    for stub in stubs:
        assert set(stub) == {"domain", "status", "Id", "MetaData"}
        assert stub["domain"] == "QBO"
        assert stub["status"] == "Deleted"
        assert set(stub["MetaData"]) == {"LastUpdatedTime"}

    everything = cdc(conn, "Customer,Invoice", history["now"] - timedelta(days=11))
    assert {c["Id"] for c in group(everything, "Customer")} == {
        history["old"].Id,
        history["untouched"].Id,
        history["fresh"].Id,
    }
    # A deleted object appears once, as a stub, not also as a live object.
    invoice_ids = [i["Id"] for i in group(everything, "Invoice")]
    assert sorted(invoice_ids, key=int) == sorted(
        [history["kept_invoice"].Id, history["new_invoice"].Id, *history["deleted"]], key=int
    )


def test_only_the_asked_entities_and_grouping(conn: Connection, history: dict[str, Any]) -> None:
    since = history["now"] - timedelta(days=6)
    only_invoices = cdc(conn, "Invoice", since)
    assert len(only_invoices) == 1
    assert "Customer" not in only_invoices[0]
    reversed_order = cdc(conn, "invoice,customer", since)
    assert [g.get("Invoice") is not None for g in reversed_order] == [True, False]
    assert len(group(reversed_order, "Customer")) == 2


def test_nothing_changed(conn: Connection, history: dict[str, Any]) -> None:
    response = conn.get(
        "cdc", entities="Customer,Invoice", changedSince=iso(history["now"] - timedelta(days=3))
    )
    assert response.status_code == 200
    assert response.json()["CDCResponse"] == [{"QueryResponse": [{}]}]


def test_python_quickbooks_parses_the_answer(conn: Connection, history: dict[str, Any]) -> None:
    since = history["now"] - timedelta(days=6)
    # python-quickbooks sends a datetime without an offset: the company's (Pacific) time.
    naive_local = since.astimezone(PACIFIC).replace(tzinfo=None)
    result = change_data_capture([Customer, Invoice], naive_local, qb=conn.qb)
    assert [c.DisplayName for c in result.Customer] == ["Fresh Customer", "Old Customer"]
    invoices = list(result.Invoice)
    assert invoices[0].Id == history["new_invoice"].Id
    assert [i.Id for i in invoices[1:]] == history["deleted"]
    assert all(getattr(i, "status", None) == "Deleted" for i in invoices[1:])

    with_offset = change_data_capture([Customer], iso(since), qb=conn.qb)
    assert [c.Id for c in with_offset.Customer] == [c.Id for c in result.Customer]


def test_changed_since_at_most_thirty_days_back(conn: Connection) -> None:
    now = datetime.now(UTC)
    assert cdc(conn, "Customer", now - timedelta(days=29, hours=23)) == [{}]
    response = conn.get("cdc", entities="Customer", changedSince=iso(now - timedelta(days=31)))
    assert response.status_code == 400
    error = fault(response)
    assert error["element"] == "changedSince"
    assert error["code"] == "2190"
    with pytest.raises(ValidationException):
        change_data_capture([Customer], iso(now - timedelta(days=45)), qb=conn.qb)


def test_missing_or_bad_parameters(conn: Connection) -> None:
    since = iso(datetime.now(UTC) - timedelta(days=1))
    missing_entities = conn.get("cdc", changedSince=since)
    assert missing_entities.status_code == 400
    assert fault(missing_entities)["code"] == "2020"
    missing_since = conn.get("cdc", entities="Customer")
    assert missing_since.status_code == 400
    assert fault(missing_since)["code"] == "2020"
    bad_date = conn.get("cdc", entities="Customer", changedSince="last tuesday")
    assert bad_date.status_code == 400
    assert fault(bad_date)["code"] == "2060"
    unsupported = conn.get("cdc", entities="TaxCode", changedSince=since)
    assert unsupported.status_code == 400
    assert fault(unsupported)["code"] == "500"


def test_at_most_a_thousand_objects_per_answer(conn: Connection, emulator: EmulatorServer) -> None:
    since = datetime.now(UTC) - timedelta(minutes=5)
    emu = emulator.emulator
    company = emu.company(conn.realm_id)
    with emu.operation(company) as ctx:
        for n in range(1010):
            operations.create(ctx, SPECS["Customer"], {"DisplayName": f"Many {n:04d}"})
    new_customer(conn.qb, "One More")  # and one through the API, after them

    customers = group(cdc(conn, "Customer", since), "Customer")
    assert len(customers) == 1000
    assert [c["DisplayName"] for c in customers[:2]] == ["Many 0000", "Many 0001"]
    assert len({c["Id"] for c in customers}) == 1000

    both = cdc(conn, "Customer,Invoice", since)
    assert sum(len(g.get("Customer", [])) + len(g.get("Invoice", [])) for g in both) == 1000
