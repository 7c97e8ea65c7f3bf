"""auto_push end to end: the app talks to the HTTP API, the engine to the emulator over HTTP.

Records of a type left out of the connection's auto_push are held: stored, pending, and not
pushed by a sync pass, until a push request (POST .../sync with a selection), a record that
needs them, or the setting taking their type in releases them. What QuickBooks holds is read
from the emulator's export, not from the engine's own word.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import PassReport
from qbo_emulator.server import free_port
from tests.ledgerbridge.api.conftest import ApiServer
from tests.ledgerbridge.engine.conftest import World, connect

LINES = [{"item_id": "svc", "quantity": "2", "unit_price": "62.50"}]


@dataclass
class App:
    """The business app: an API key of its own, one connection, the API over HTTP."""

    world: World
    http: httpx.Client
    cid: str
    realm_id: str

    def put(self, record_type: str, app_id: str, **data: Any) -> dict[str, Any]:
        response = self.http.put(
            f"/v1/connections/{self.cid}/records/{record_type}/{app_id}", json=data
        )
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    def get(self, record_type: str, app_id: str) -> dict[str, Any]:
        response = self.http.get(f"/v1/connections/{self.cid}/records/{record_type}/{app_id}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    def settings(self, **patch: Any) -> dict[str, Any]:
        response = self.http.patch(f"/v1/connections/{self.cid}/settings", json=patch)
        assert response.status_code == 200, response.text
        settings: dict[str, Any] = response.json()["settings"]
        return settings

    def request_sync(self, **selection: Any) -> int:
        response = self.http.post(f"/v1/connections/{self.cid}/sync", json=selection)
        assert response.status_code == 200, response.text
        queued: int = response.json()["queued"]
        return queued

    def sync(self) -> PassReport:
        """A pass over the company: in this process, or by the workers (the scale-out shape)."""
        report = self.world.sync(self.cid)
        assert report.stopped is None, report
        return report

    def entities(self, entity: str) -> list[dict[str, Any]]:
        export = self.world.admin("GET", f"/companies/{self.realm_id}/export")
        rows: list[dict[str, Any]] = export["entities"].get(entity, [])
        return rows


def released(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [h["detail"] for h in view["history"] if h["kind"] == "released"]


@pytest.fixture
def app_for(world: World) -> Iterator[Any]:
    """`app_for(auto_push)`: a new connection with that setting, connected to a new company."""
    port = free_port()
    key_id, secret = world.service.create_key("the app")
    clients: list[httpx.Client] = []

    def make(auto_push: list[str]) -> App:
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        clients.append(http)
        response = http.post(
            "/v1/connections",
            json={"name": "Held", "environment": "emulator", "settings": {"auto_push": auto_push}},
        )
        assert response.status_code == 201, response.text
        cid = response.json()["id"]
        realm = world.admin("POST", "/companies", {"name": "Auto Push Co"})["realm_id"]
        connect(world.service, key_id, cid, realm)
        pull_company(world.ledger, cid)
        return App(world, http, cid, realm)

    with ApiServer(world.service, port):
        try:
            yield make
        finally:
            for client in clients:
                client.close()


def test_held_records_wait_for_a_push_request_or_a_record_that_needs_them(app_for: Any) -> None:
    app: App = app_for(["invoice", "payment"])

    # a customer alone: stored, pending and held; a sync pass leaves it out of QuickBooks
    customer = app.put("customer", "c-1", first_name="Ann", last_name="Lee", email="a@x.com")
    assert (customer["status"], customer["held"]) == ("pending", True)
    assert [h["kind"] for h in customer["history"]] == ["held", "received"]
    assert app.sync().created == 0
    assert app.entities("Customer") == []
    assert (app.get("customer", "c-1")["status"], app.get("customer", "c-1")["held"]) == (
        "pending",
        True,
    )

    # an invoice for it is pushed at once, and takes its held customer and item along, first
    app.put("item", "svc", name="Service Call", unit_price="62.50", income_account="Services")
    invoice = app.put("invoice", "inv-1", customer_id="c-1", date="2026-11-02", lines=LINES)
    assert invoice["held"] is False
    report = app.sync()
    assert (report.created, report.released, report.failed) == (3, 2, 0), report
    (qb_customer,) = app.entities("Customer")
    (qb_item,) = app.entities("Item")
    (qb_invoice,) = app.entities("Invoice")
    assert qb_customer["DisplayName"] == "Ann Lee"
    assert qb_invoice["CustomerRef"]["value"] == qb_customer["Id"]
    assert qb_invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == qb_item["Id"]
    customer = app.get("customer", "c-1")
    assert (customer["status"], customer["held"]) == ("synced", False)
    assert customer["quickbooks_id"] == qb_customer["Id"]
    (why,) = released(customer)
    assert why["by"] == "dependency"
    assert why["needed_by"] == {"type": "invoice", "id": "inv-1"}
    assert "invoice inv-1 needs it in QuickBooks first" in why["message"]
    created_at = {
        key: next(h["at"] for h in app.get(*key)["history"] if h["kind"] == "created")
        for key in (("customer", "c-1"), ("invoice", "inv-1"))
    }
    assert created_at[("customer", "c-1")] <= created_at[("invoice", "inv-1")]
    assert app.get("invoice", "inv-1")["status"] == "synced"
    assert app.sync().created == 0  # once each
    assert [len(app.entities(e)) for e in ("Customer", "Item", "Invoice")] == [1, 1, 1]

    # a change to the synced customer is held as well: QuickBooks keeps the old email
    changed = app.put("customer", "c-1", first_name="Ann", last_name="Lee", email="ann@x.com")
    assert (changed["status"], changed["held"]) == ("pending", True)
    assert app.sync().updated == 0
    assert app.entities("Customer")[0]["SyncToken"] == "0"

    # a held vendor goes when a sync of its type is requested
    app.put("vendor", "v-1", display_name="Pipe Supply Co")
    app.sync()
    assert app.entities("Vendor") == []
    assert app.request_sync(type="vendor") == 1
    assert app.get("vendor", "v-1")["held"] is False
    assert app.sync().created == 1
    (qb_vendor,) = app.entities("Vendor")
    vendor = app.get("vendor", "v-1")
    assert (vendor["status"], vendor["quickbooks_id"]) == ("synced", qb_vendor["Id"])
    assert released(vendor)[0]["by"] == "sync_request"

    # customers join auto_push: the held change goes, as an update of the same customer
    assert app.settings(auto_push=["invoice", "payment", "customer"])["auto_push"] == [
        "invoice",
        "payment",
        "customer",
    ]
    assert app.get("customer", "c-1")["held"] is False
    assert app.sync().updated == 1
    (qb_customer,) = app.entities("Customer")
    assert qb_customer["PrimaryEmailAddr"]["Address"] == "ann@x.com"
    customer = app.get("customer", "c-1")
    assert customer["status"] == "synced"
    assert [r["by"] for r in released(customer)] == ["settings", "dependency"]
    # and a new customer now goes by itself
    assert app.put("customer", "c-2", display_name="Bo Diaz")["held"] is False
    assert app.sync().created == 1
    assert len(app.entities("Customer")) == 2


def test_a_payment_takes_its_held_invoice_property_and_parent_along(app_for: Any) -> None:
    app: App = app_for(["payment"])
    mapped = app.http.put(
        f"/v1/connections/{app.cid}/mappings", json={"payment_methods": {"check": "2"}}
    )
    assert mapped.status_code == 200, mapped.text
    app.put("customer", "c-1", first_name="Ann", last_name="Lee", email="ann@example.com")
    app.put("customer", "p-1", display_name="12 Oak St", kind="property", parent_id="c-1")
    app.put("item", "svc", name="Service Call", unit_price="62.50", income_account="Services")
    app.put("invoice", "inv-1", customer_id="p-1", date="2026-11-02", number="5001", lines=LINES)
    assert app.sync().created == 0
    assert all(app.get(*key)["held"] for key in [("customer", "c-1"), ("invoice", "inv-1")])

    app.put(
        "payment",
        "pay-1",
        customer_id="p-1",
        date="2026-11-03",
        amount="125.00",
        method="check",
        applied_to=[{"invoice_id": "inv-1", "amount": "125.00"}],
    )
    report = app.sync()  # one pass: every record the payment needs, in dependency order
    assert (report.created, report.released, report.failed) == (5, 4, 0), report
    customers = {c["DisplayName"]: c for c in app.entities("Customer")}
    assert customers["12 Oak St"]["ParentRef"]["value"] == customers["Ann Lee"]["Id"]
    (qb_invoice,) = app.entities("Invoice")
    assert Decimal(str(qb_invoice["Balance"])) == Decimal("0")
    assert len(app.entities("Payment")) == 1
    needed_by = {
        key: released(app.get(*key))[0]["needed_by"]
        for key in [("customer", "p-1"), ("invoice", "inv-1"), ("customer", "c-1"), ("item", "svc")]
    }
    assert needed_by == {
        ("customer", "p-1"): {"type": "payment", "id": "pay-1"},
        ("invoice", "inv-1"): {"type": "payment", "id": "pay-1"},
        ("customer", "c-1"): {"type": "customer", "id": "p-1"},
        ("item", "svc"): {"type": "invoice", "id": "inv-1"},
    }
    pushed = [("customer", "c-1"), ("customer", "p-1"), ("invoice", "inv-1"), ("payment", "pay-1")]
    for key in pushed:
        view = app.get(*key)
        assert (view["status"], view["held"]) == ("synced", False), view
