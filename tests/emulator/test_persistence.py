"""`EmulatorServer(state_file=...)`: everything a client relies on survives a restart on the
same file (companies, objects with exact money, SyncTokens, deleted and voided transactions,
settings, requestid replays, apps and tokens); a server without a state file starts empty."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from qbo_emulator import persistence
from qbo_emulator.server import EmulatorServer
from tests.emulator.api_helpers import any_item_id, new_customer
from tests.emulator.conftest import Admin, authorize


class Client:
    """intuit-oauth + python-quickbooks on one company of one server."""

    def __init__(self, base: str, app: dict[str, Any], realm: str) -> None:
        self.base = base
        self.realm = realm
        self.auth: AuthClient = authorize(base, app, realm)
        self.qb = self.client()

    def client(self) -> QuickBooks:
        QuickBooks.api_url_v3 = f"{self.base}/v3"
        return QuickBooks(
            auth_client=self.auth,
            refresh_token=self.auth.refresh_token,
            company_id=self.realm,
            minorversion=75,
            use_decimal=True,
        )

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.auth.access_token}", "Accept": "application/json"}

    def get(self, path: str) -> requests.Response:
        return requests.get(
            f"{self.base}/v3/company/{self.realm}/{path}", headers=self.headers(), timeout=10
        )

    def post(self, path: str, body: Any, **params: str) -> requests.Response:
        return requests.post(
            f"{self.base}/v3/company/{self.realm}/{path}",
            headers=self.headers(),
            json=body,
            params=params,
            timeout=10,
        )

    def close(self) -> None:
        self.auth.close()
        if self.qb.session is not None:
            self.qb.session.close()


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        client.close()


def invoice_body(customer_id: str, item_id: str) -> dict[str, Any]:
    def line(qty: str, price: str) -> dict[str, Any]:
        return {
            "Amount": str(Decimal(qty) * Decimal(price)),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": {"value": item_id},
                "Qty": qty,
                "UnitPrice": price,
            },
        }

    return {"CustomerRef": {"value": customer_id}, "Line": [line("3", "19.99"), line("3", "0.1")]}


def test_state_survives_a_restart(tmp_path: Path, clients: list[Client]) -> None:
    state = tmp_path / "state.json"
    with EmulatorServer(state_file=state) as first:
        port = first.port
        admin = Admin(first.url)
        realm = admin.create_company("Persistent Plumbing")
        other_realm = admin.create_company("Second Company", preset="demo")
        app = admin.create_app(
            webhook_url="http://127.0.0.1:9/hooks", name="Kept App", refresh_token_policy="strict"
        )
        admin.patch_company(other_realm, {"refresh_token_policy": "strict"})
        admin.patch_company(
            realm,
            {
                "throttle": {"requests_per_minute": 321, "batch_per_minute": None},
                "preferences": {"SalesFormsPrefs": {"CustomTxnNumbers": True}},
            },
        )
        client = Client(first.url, app, realm)
        clients.append(client)

        customer = new_customer(client.qb, "Kept Customer")
        customer.Notes = "edited once"
        customer = customer.save(qb=client.qb)
        item = any_item_id(client.qb)
        kept = client.post("invoice", {**invoice_body(customer.Id, item), "DocNumber": "A-1"})
        assert kept.status_code == 200, kept.text
        kept_id = kept.json()["Invoice"]["Id"]
        assert Decimal(str(kept.json()["Invoice"]["TotalAmt"])) == Decimal("60.27")
        gone = client.post("invoice", invoice_body(customer.Id, item), requestid="make-gone")
        gone_id = gone.json()["Invoice"]["Id"]
        voided = client.post("invoice", invoice_body(customer.Id, item)).json()["Invoice"]
        deleted = client.post("invoice", {"Id": gone_id, "SyncToken": "0"}, operation="delete")
        assert deleted.status_code == 200
        void = client.post("invoice", {"Id": voided["Id"], "SyncToken": "0"}, operation="void")
        assert void.status_code == 200
        before = admin.export(realm)
        other_before = admin.export(other_realm)
        old_refresh = client.auth.refresh_token
        old_access = client.auth.access_token

    saved = json.loads(state.read_text())
    assert saved["version"] == 1
    assert old_refresh not in state.read_text()  # tokens are stored as hashes only
    assert old_access not in state.read_text()

    with EmulatorServer(port=port, state_file=state) as second:
        admin = Admin(second.url)
        realms = {c["realm_id"] for c in admin.call("GET", "/companies").json()["companies"]}
        assert realms == {realm, other_realm}
        after = admin.export(realm)
        for key in ("entities", "deleted", "voided", "throttle", "name", "counts"):
            assert after[key] == before[key], key
        assert admin.export(other_realm)["entities"] == other_before["entities"]
        assert after["deleted"] == {"Invoice": [gone_id]}
        assert after["voided"] == {"Invoice": [voided["Id"]]}
        assert after["throttle"]["requests_per_minute"] == 321
        assert admin.export(other_realm)["refresh_token_policy"] == "strict"
        apps = admin.call("GET", "/apps").json()["apps"]
        assert [(a["client_id"], a["name"], a["verifier_token"]) for a in apps] == [
            (app["client_id"], "Kept App", app["verifier_token"])
        ]

        # The old access token still works, and the old refresh token still refreshes.
        assert client.get(f"customer/{customer.Id}").status_code == 200
        assert client.qb.session is not None
        exact = Invoice.get(kept_id, qb=client.qb)
        assert exact.TotalAmt == Decimal("60.27")
        assert [line.Amount for line in exact.Line[:2]] == [Decimal("59.97"), Decimal("0.3")]
        assert Customer.get(customer.Id, qb=client.qb).SyncToken == "1"
        assert Customer.get(customer.Id, qb=client.qb).Notes == "edited once"
        client.auth.refresh(refresh_token=old_refresh)
        assert client.auth.refresh_token != old_refresh
        client.qb.session.close()
        client.qb = client.client()
        assert Customer.count(qb=client.qb) == 1

        # Deleted stays deleted, voided stays voided, replays are remembered, ids never reused.
        read_gone = client.get(f"invoice/{gone_id}")
        assert read_gone.status_code == 400
        assert read_gone.json()["Fault"]["Error"][0]["code"] == "610"
        assert Invoice.get(voided["Id"], qb=client.qb).TotalAmt == 0
        replay = client.post("invoice", invoice_body(customer.Id, item), requestid="make-gone")
        assert replay.json()["Invoice"]["Id"] == gone_id
        fresh = client.post("invoice", invoice_body(customer.Id, item)).json()["Invoice"]
        assert int(fresh["Id"]) > max(int(gone_id), int(voided["Id"]), int(kept_id))
        assert Invoice.count(qb=client.qb) == 3
        dup = client.post("invoice", {**invoice_body(customer.Id, item), "DocNumber": "A-1"})
        assert dup.status_code == 400
        assert dup.json()["Fault"]["Error"][0]["code"] == "6140"


def test_without_a_state_file_a_server_starts_empty(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        admin = Admin(server.url)
        admin.create_company("Forgotten")
        admin.create_app()
    with EmulatorServer() as server:
        admin = Admin(server.url)
        assert admin.call("GET", "/companies").json() == {"companies": []}
        assert admin.call("GET", "/apps").json() == {"apps": []}
    assert list(tmp_path.iterdir()) == []


def test_a_missing_state_file_is_created_at_stop(tmp_path: Path) -> None:
    state = tmp_path / "new-state.json"
    with EmulatorServer(state_file=state) as server:
        assert Admin(server.url).call("GET", "/companies").json() == {"companies": []}
        Admin(server.url).create_company("Brand New")
    assert [c["name"] for c in json.loads(state.read_text())["companies"]] == ["Brand New"]


def test_a_running_server_restored_to_a_snapshot_serves_it(clients: list[Client]) -> None:
    """`persistence.restore` into a server that is running (tests start each from one state):
    its routes answer from the snapshot's companies, apps, tokens and settings; what came
    after the snapshot is gone, and nothing counted against the limits is left."""
    with EmulatorServer() as server:
        admin = Admin(server.url)
        app = admin.create_app()
        kept = Client(server.url, app, admin.create_company("Kept"))
        clients.append(kept)
        made = kept.post("customer", {"DisplayName": "Before"})
        assert made.status_code == 200, made.text
        admin.patch_company(kept.realm, {"throttle": {"requests_per_minute": 2}})
        saved = persistence.snapshot(server.emulator)

        later = Client(server.url, app, kept.realm)  # a second sign-in, after the snapshot
        clients.append(later)
        admin.create_company("Later")
        answers = [kept.get("customer/1").status_code for _ in range(3)]
        assert 429 in answers  # the window is used up

        persistence.restore(server.emulator, saved)
        names = [c["name"] for c in admin.call("GET", "/companies").json()["companies"]]
        assert names == ["Kept"]
        found = kept.get("query?query=select%20*%20from%20Customer")  # the same token works
        assert found.status_code == 200, found.text  # (nothing counted: the first of two)
        customers = found.json()["QueryResponse"]["Customer"]
        assert [c["DisplayName"] for c in customers] == ["Before"]
        assert kept.get("customer/1").status_code == 200  # the second
        assert kept.get("customer/1").status_code == 429  # the saved limit of two holds
        admin.patch_company(kept.realm, {"throttle": {"requests_per_minute": 500}})
        refused = later.get(f"companyinfo/{kept.realm}")  # its token came after the snapshot
        assert refused.status_code == 401, refused.text
        with pytest.raises(AuthClientError) as ended:  # and the token endpoint knows it not
            later.auth.refresh()
        assert json.loads(ended.value.content)["error"] == "invalid_grant"
        kept.auth.refresh()  # the snapshot's grant refreshes there
