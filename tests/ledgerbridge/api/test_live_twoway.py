"""Two-way, end to end through the HTTP API and the emulator over real sockets: a person creates
a customer, an item, a vendor and a payment inside QuickBooks; each reaches the lists API and the
events feed (webhooks on: the pull they wake; webhooks off: change data capture on the pull
period); the app acknowledges them (adoption); edits then flow both ways with no duplicate in
the emulator's export and no echo; the bundle and inventory rules hold; a payment by a method
the app does not take is explained."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.core import catalog
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.service import Service
from qbo_emulator.emulator import Seeder
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.api.conftest import ApiServer, ledger_served_at
from tests.ledgerbridge.tls import shared_tls

T = TypeVar("T")
WAIT = 20.0  # seconds at most for what a webhook or a pull brings (a loaded machine)


@dataclass
class Live:
    emulator: EmulatorServer
    service: Service
    url: str
    webhooks: bool


@pytest.fixture(params=["webhooks", "change_data_capture"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    webhooks = request.param == "webhooks"
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.1) as emulator:
        ledger, port, url = ledger_served_at(emulator.url, tmp_path)
        # webhooks on: only they can make a pull happen soon (an hour between pulls);
        # off: the pull period (change data capture) is all there is
        dispatcher = InProcessDispatcher(
            ledger, poll=30 if webhooks else 0.5, pull_every=3600 if webhooks else 0.3
        )
        service = Service(ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull)
        dispatcher.start()
        try:
            with ApiServer(service, port):
                yield Live(emulator, service, url, webhooks)
        finally:
            dispatcher.stop()
            ledger.db.dispose()


def until(what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


class QuickBooksPerson:
    """Someone working in QuickBooks itself, through the emulator's API with a token of theirs."""

    def __init__(self, emulator: EmulatorServer, realm: str, client_id: str) -> None:
        tokens = httpx.post(
            f"{emulator.url}/_emulator/companies/{realm}/connect",
            json={"client_id": client_id},
            verify=shared_tls(),
        ).json()
        self.base = f"{emulator.url}/v3/company/{realm}"
        self.headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json",
        }

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.base}/{entity.lower()}", json=body, headers=self.headers, verify=shared_tls()
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()[entity]
        return found

    def update(self, entity: str, qbo_id: str, **fields: Any) -> dict[str, Any]:
        current = httpx.get(
            f"{self.base}/{entity.lower()}/{qbo_id}", headers=self.headers, verify=shared_tls()
        )
        token = current.json()[entity]["SyncToken"]
        body = {"Id": qbo_id, "SyncToken": token, "sparse": True, **fields}
        return self.create(entity, body)

    def query(self, text: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.base}/query", params={"query": text}, headers=self.headers, verify=shared_tls()
        )
        section = answer.json()["QueryResponse"]
        rows: list[dict[str, Any]] = next((v for v in section.values() if isinstance(v, list)), [])
        return rows


def test_what_people_make_in_quickbooks_reaches_the_app_and_is_adopted(live: Live) -> None:
    emulator, service = live.emulator, live.service
    _, secret = service.create_key("app")
    http = httpx.Client(
        base_url=live.url,
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
        verify=shared_tls(),
    )
    try:
        realm = httpx.post(
            f"{emulator.url}/_emulator/companies", json={"name": "Two Co"}, verify=shared_tls()
        ).json()["realm_id"]
        cid = http.post("/v1/connections", json={"name": "Two", "environment": "emulator"}).json()[
            "id"
        ]
        settings = {
            "from_quickbooks_customers": "import",
            "from_quickbooks_vendors": "import",
            "from_quickbooks_items": "import",
            "from_quickbooks_payments": "import",
            "quickbooks_changes": "quickbooks_wins",
        }
        answer = http.patch(f"/v1/connections/{cid}/settings", json=settings)
        assert answer.status_code == 200, answer.text
        authorize = http.get(f"/v1/connections/{cid}/connect").headers["location"]
        consent = httpx.get(f"{authorize}&realm_id={realm}&approve=true", verify=shared_tls())
        callback = urlparse(consent.headers["location"])
        assert http.get(f"{callback.path}?{callback.query}").status_code == 200
        client_id = parse_qs(urlparse(authorize).query)["client_id"][0]
        if not live.webhooks:
            answer = httpx.patch(
                f"{emulator.url}/_emulator/apps/{client_id}",
                json={"webhook_url": ""},
                verify=shared_tls(),
            )
            assert answer.status_code == 200, answer.text
        until(
            "the first pull",
            lambda: http.get(f"/v1/connections/{cid}").json()["last_pull_at"],
        )

        def told(kind: str | None = None) -> list[dict[str, Any]]:
            items = http.get(f"/v1/connections/{cid}/events", params={"limit": 1000}).json()
            return [
                e
                for e in items["items"]
                if e["type"].startswith("quickbooks.") and (kind is None or e["type"] == kind)
            ]

        def listed(list_name: str, qbo_id: str) -> dict[str, Any] | None:
            page = http.get(f"/v1/connections/{cid}/quickbooks/{list_name}", params={"limit": 200})
            return next((e for e in page.json()["items"] if e["quickbooks_id"] == qbo_id), None)

        def export() -> dict[str, list[dict[str, Any]]]:
            found = httpx.get(
                f"{emulator.url}/_emulator/companies/{realm}/export", verify=shared_tls()
            ).json()
            entities: dict[str, list[dict[str, Any]]] = found["entities"]
            return entities

        def synced(record_type: str, app_id: str) -> dict[str, Any]:
            path = f"/v1/connections/{cid}/records/{record_type}/{app_id}"
            return until(
                f"{record_type} {app_id} synced",
                lambda: (view := http.get(path).json())["status"] == "synced" and view,
            )

        # --- a person works in QuickBooks ---------------------------------------------------
        person = QuickBooksPerson(emulator, realm, client_id)
        (services,) = person.query("SELECT * FROM Account WHERE Name = 'Services'")
        accounts = {a["Name"]: a["Id"] for a in person.query("SELECT * FROM Account")}
        customer = person.create(
            "Customer",
            {"DisplayName": "Gale Ortiz", "PrimaryEmailAddr": {"Address": "gale@example.com"}},
        )
        item = person.create(
            "Item",
            {
                "Name": "Gutter Clean",
                "Type": "Service",
                "UnitPrice": 80,
                "IncomeAccountRef": {"value": services["Id"]},
            },
        )
        heater = person.create(
            "Item",
            {
                "Name": "50 Gal Water Heater",
                "Type": "Inventory",
                "TrackQtyOnHand": True,
                "QtyOnHand": 5,
                "InvStartDate": "2026-01-01",
                "UnitPrice": 1200,
                "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
                "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
                "AssetAccountRef": {"value": accounts["Inventory Asset"]},
            },
        )
        vendor = person.create("Vendor", {"DisplayName": "Rain Supply"})

        for list_name, made in (
            ("customers", customer),
            ("items", item),
            ("items", heater),
            ("vendors", vendor),
        ):
            entry = until(
                f"{list_name} {made['Id']} listed",
                lambda name=list_name, qbo_id=made["Id"]: listed(name, qbo_id),
            )
            assert entry["linked_to"] is None
        created = until(
            "four quickbooks.created events",
            lambda: (found := told("quickbooks.created")) and len(found) >= 4 and found,
        )
        by_id = {(e["payload"]["entity"], e["payload"]["quickbooks_id"]): e for e in created}
        assert set(by_id) == {
            ("Customer", customer["Id"]),
            ("Item", item["Id"]),
            ("Item", heater["Id"]),
            ("Vendor", vendor["Id"]),
        }
        assert by_id[("Customer", customer["Id"])]["payload"]["record"]["email"] == (
            "gale@example.com"
        )
        heater_told = by_id[("Item", heater["Id"])]["payload"]
        assert heater_told["read_only"] is False
        assert heater_told["restriction"]["code"] == catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED
        assert heater_told["restriction"]["fields"] == ["type"]
        assert all(e["payload"]["import"] == "pending" for e in created)
        imports = http.get(f"/v1/connections/{cid}/quickbooks/imports").json()
        assert imports["waiting"] == {"customer": 1, "item": 2, "vendor": 1}

        # --- the app acknowledges them: adopted, nothing created ----------------------------
        before = {e: len(rows) for e, rows in export().items()}
        for record_type, made, app_id in (
            ("customer", customer, "c-gale"),
            ("item", item, "i-gutter"),
            ("item", heater, "i-heater"),
            ("vendor", vendor, "v-rain"),
        ):
            answer = http.post(
                f"/v1/connections/{cid}/quickbooks/imports/{record_type}/{made['Id']}/acknowledge",
                json={"id": app_id},
            )
            assert answer.status_code == 200, answer.text
            assert synced(record_type, app_id)["quickbooks_id"] == made["Id"]
        assert http.get(f"/v1/connections/{cid}/quickbooks/imports").json()["items"] == []
        assert {e: len(rows) for e, rows in export().items()} == before
        assert listed("customers", customer["Id"])["linked_to"] == {  # type: ignore[index]
            "type": "customer",
            "id": "c-gale",
        }

        # --- a payment recorded in QuickBooks against the app's invoice ----------------------
        methods = {m["Name"]: m["Id"] for m in person.query("SELECT * FROM PaymentMethod")}
        answer = http.put(
            f"/v1/connections/{cid}/mappings",
            json={"payment_methods": {"check": methods["Check"]}},
        )
        assert answer.status_code == 200, answer.text
        answer = http.put(
            f"/v1/connections/{cid}/records/invoice/inv-1",
            json={
                "customer_id": "c-gale",
                "date": "2026-05-04",
                "lines": [{"item_id": "i-gutter", "quantity": "2", "unit_price": "80.00"}],
            },
        )
        assert answer.status_code == 200, answer.text
        invoice_id = synced("invoice", "inv-1")["quickbooks_id"]
        paid = []
        for method, total in (("Check", 100), ("Visa", 60)):
            paid.append(
                person.create(
                    "Payment",
                    {
                        "CustomerRef": {"value": customer["Id"]},
                        "TotalAmt": total,
                        "TxnDate": "2026-05-06",
                        "PaymentMethodRef": {"value": methods[method]},
                        "Line": [
                            {
                                "Amount": total,
                                "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
                            }
                        ],
                    },
                )
            )
        by_check, by_visa = paid
        payments = until(
            "two payments told",
            lambda: (
                (
                    found := [
                        e["payload"]
                        for e in told("quickbooks.created")
                        if e["payload"]["type"] == "payment"
                    ]
                )
                and len(found) == 2
                and found
            ),
        )
        found_payments = {p["quickbooks_id"]: p for p in payments}
        check = found_payments[by_check["Id"]]
        assert check["record"]["method"] == "check" and "problem" not in check
        assert check["record"]["customer_id"] == "c-gale"
        assert check["record"]["applied_to"][0]["invoice_id"] == "inv-1"
        visa = found_payments[by_visa["Id"]]
        assert visa["record"]["method"] is None
        assert visa["problem"]["code"] == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP
        refused = http.post(
            f"/v1/connections/{cid}/quickbooks/imports/payment/{by_visa['Id']}/acknowledge",
            json={"id": "p-visa"},
        )
        assert refused.status_code == 422
        (problem,) = refused.json()["error"]["problems"]
        assert problem["code"] == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP
        answer = http.post(
            f"/v1/connections/{cid}/quickbooks/imports/payment/{by_check['Id']}/acknowledge",
            json={"id": "p-check"},
        )
        assert answer.status_code == 200, answer.text
        assert synced("payment", "p-check")["quickbooks_id"] == by_check["Id"]
        assert len(export()["Payment"]) == 2

        # --- edits both ways: no duplicate, no echo -------------------------------------------
        told_so_far = len(told())
        answer = http.put(
            f"/v1/connections/{cid}/records/customer/c-gale",
            json={"display_name": "Gale Ortiz", "email": "gale@example.com", "phone": "555-0101"},
        )
        assert answer.status_code == 200, answer.text
        until(
            "the app's phone in QuickBooks",
            lambda: any(
                c.get("PrimaryPhone", {}).get("FreeFormNumber") == "555-0101"
                for c in export()["Customer"]
                if c["Id"] == customer["Id"]
            ),
        )
        person.update("Vendor", vendor["Id"], DisplayName="Rain Supply Co")
        until(
            "the vendor's new name in the list",
            lambda: (
                (entry := listed("vendors", vendor["Id"]))
                and entry["record"]["display_name"] == "Rain Supply Co"
            ),
        )
        # QuickBooks' edit of a linked object is told on the app's record (kept: quickbooks_wins)
        kept = until(
            "record.quickbooks_kept for v-rain",
            lambda: [
                e["payload"]
                for e in http.get(f"/v1/connections/{cid}/events", params={"limit": 1000}).json()[
                    "items"
                ]
                if e["type"] == "record.quickbooks_kept" and e["payload"].get("id") == "v-rain"
            ],
        )
        assert "Rain Supply Co" in str(kept[0]), kept  # QuickBooks' value, named
        answer = http.post(f"/v1/connections/{cid}/quickbooks/refresh")
        assert answer.status_code == 200, answer.text
        assert len(told()) == told_so_far  # neither our write nor a linked object's change
        after = export()
        assert [len(after[e]) for e in ("Customer", "Vendor", "Item", "Payment")] == [
            before["Customer"],
            before["Vendor"],
            before["Item"],
            2,
        ]

        # --- what cannot round-trip is said, not broken ----------------------------------------
        answer = http.put(
            f"/v1/connections/{cid}/records/item/i-heater",
            json={
                "name": "50 Gal Water Heater",
                "type": "non_inventory",
                "unit_price": "1200.00",
                "income_account": "Sales of Product Income",
                "expense_account": "Cost of Goods Sold",
            },
        )
        assert answer.status_code == 200, answer.text
        path = f"/v1/connections/{cid}/records/item/i-heater"
        view = until("the heater refused", lambda: (v := http.get(path).json())["problem"] and v)
        assert view["problem"]["code"] == catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED
        (stocked,) = [i for i in export()["Item"] if i["Id"] == heater["Id"]]
        assert stocked["Type"] == "Inventory" and stocked["SyncToken"] == heater["SyncToken"]

        bundle = Seeder(emulator.emulator.company(realm)).insert_readonly(
            "Item",
            {
                "Name": "Spring Tune-up Kit",
                "Type": "Group",
                "Active": True,
                "ItemGroupDetail": {
                    "ItemGroupLine": [{"ItemRef": {"value": item["Id"]}, "Qty": 1}]
                },
            },
        )
        answer = http.post(f"/v1/connections/{cid}/quickbooks/refresh")
        assert answer.status_code == 200, answer.text
        entry = until("the bundle listed", lambda: listed("items", bundle["Id"]))
        assert entry["read_only"] is True
        assert entry["restriction"]["code"] == catalog.ITEM_BUNDLE_READ_ONLY
        refused = http.post(
            f"/v1/connections/{cid}/quickbooks/imports/item/{bundle['Id']}/acknowledge",
            json={"id": "kit"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["problems"][0]["code"] == catalog.ITEM_BUNDLE_READ_ONLY
        # the app names it anyway, then changes it: refused before any call
        answer = http.put(
            f"/v1/connections/{cid}/records/item/kit",
            json={
                "name": "Spring Tune-up Kit",
                "type": "service",
                "unit_price": "99.00",
                "income_account": "Services",
                "link": {"quickbooks_id": bundle["Id"]},
            },
        )
        assert answer.status_code == 200, answer.text
        synced("item", "kit")  # linked; QuickBooks' values kept (quickbooks_wins)
        answer = http.put(
            f"/v1/connections/{cid}/records/item/kit",
            json={
                "name": "Spring Tune-up Kit",
                "type": "service",
                "unit_price": "98.00",
                "income_account": "Services",
            },
        )
        assert answer.status_code == 200, answer.text
        kit = f"/v1/connections/{cid}/records/item/kit"
        view = until("the bundle refused", lambda: (v := http.get(kit).json())["problem"] and v)
        assert view["problem"]["code"] == catalog.ITEM_BUNDLE_READ_ONLY
        (group,) = [i for i in export()["Item"] if i["Id"] == bundle["Id"]]
        assert group["SyncToken"] == bundle["SyncToken"] and Decimal(
            str(group.get("UnitPrice") or 0)
        ) != Decimal("99")
    finally:
        http.close()
