"""The whole loop with real parts: a person creates a customer in QuickBooks, the emulator's
signed webhook reaches ledgerbridge's API, the dispatcher pulls, and seconds later the app's
customer with the same email is linked to it instead of being created twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.service import Service
from ledgerbridge.storage.mirror import Mirror
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.api.conftest import ApiServer, ledger_served_at
from tests.ledgerbridge.tls import shared_tls


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[EmulatorServer, Service, str]]:
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.1) as emulator:
        ledger, port, url = ledger_served_at(emulator.url, tmp_path)
        # a long poll and pull period: only the webhook can make the pull happen quickly
        dispatcher = InProcessDispatcher(ledger, poll=30, pull_every=3600)
        service = Service(ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull)
        dispatcher.start()
        try:
            with ApiServer(service, port):
                yield emulator, service, url
        finally:
            dispatcher.stop()
            ledger.db.dispose()


def test_a_customer_made_in_quickbooks_is_matched_seconds_after_its_webhook(
    live: tuple[EmulatorServer, Service, str],
) -> None:
    emulator, service, url = live
    _, secret = service.create_key("app")
    http = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10, verify=shared_tls()
    )
    try:
        realm = httpx.post(
            f"{emulator.url}/_emulator/companies", json={"name": "Live Co"}, verify=shared_tls()
        ).json()["realm_id"]
        cid = http.post("/v1/connections", json={"name": "Live", "environment": "emulator"}).json()[
            "id"
        ]
        authorize = http.get(f"/v1/connections/{cid}/connect").headers["location"]
        consent = httpx.get(f"{authorize}&realm_id={realm}&approve=true", verify=shared_tls())
        callback = urlparse(consent.headers["location"])
        assert http.get(f"{callback.path}?{callback.query}").status_code == 200
        client_id = parse_qs(urlparse(authorize).query)["client_id"][0]

        # a person adds the customer in QuickBooks (through the API, with the app's tokens)
        tokens = httpx.post(
            f"{emulator.url}/_emulator/companies/{realm}/connect",
            json={"client_id": client_id},
            verify=shared_tls(),
        ).json()
        made = httpx.post(
            f"{emulator.url}/v3/company/{realm}/customer",
            json={"DisplayName": "Gale Ortiz", "PrimaryEmailAddr": {"Address": "gale@example.com"}},
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Accept": "application/json",
            },
            verify=shared_tls(),
        ).json()["Customer"]
        created_at = time.monotonic()

        ledger = service.ledger
        seen = None
        while time.monotonic() - created_at < 15:
            with ledger.db.session(readonly=True) as session:
                seen = Mirror(session, cid).get("Customer", made["Id"])
            if seen is not None:
                break
            time.sleep(0.05)
        assert seen is not None, "the webhook did not bring the customer into the mirror"
        lag = time.monotonic() - created_at
        assert lag < 10

        # the app now sends the same customer: linked, not duplicated
        put = http.put(
            f"/v1/connections/{cid}/records/customer/gale",
            json={"first_name": "Gale", "last_name": "Ortiz", "email": "gale@example.com"},
        )
        assert put.status_code == 200, put.text
        deadline = time.monotonic() + 15
        view = put.json()
        while view["status"] != "synced" and time.monotonic() < deadline:
            time.sleep(0.05)
            view = http.get(f"/v1/connections/{cid}/records/customer/gale").json()
        assert view["status"] == "synced", view
        assert view["quickbooks_id"] == made["Id"]
        export = httpx.get(
            f"{emulator.url}/_emulator/companies/{realm}/export", verify=shared_tls()
        ).json()
        assert len(export["entities"]["Customer"]) == 1
        print(f"\nmirror had the QuickBooks customer {lag:.2f} s after it was created")
    finally:
        http.close()


def test_a_vendor_made_in_quickbooks_is_told_to_the_app_after_its_webhook(
    live: tuple[EmulatorServer, Service, str],
) -> None:
    """Two-way: with the pull period an hour long, only the webhook can bring the vendor a
    person made in QuickBooks into the events feed (a new connection has `events`)."""
    emulator, service, url = live
    _, secret = service.create_key("app")
    http = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10, verify=shared_tls()
    )
    try:
        realm = httpx.post(
            f"{emulator.url}/_emulator/companies", json={"name": "Two Co"}, verify=shared_tls()
        ).json()["realm_id"]
        made = http.post("/v1/connections", json={"name": "Two", "environment": "emulator"})
        cid = made.json()["id"]
        assert made.json()["settings"]["from_quickbooks_vendors"] == "events"
        authorize = http.get(f"/v1/connections/{cid}/connect").headers["location"]
        consent = httpx.get(f"{authorize}&realm_id={realm}&approve=true", verify=shared_tls())
        callback = urlparse(consent.headers["location"])
        assert http.get(f"{callback.path}?{callback.query}").status_code == 200
        client_id = parse_qs(urlparse(authorize).query)["client_id"][0]
        deadline = time.monotonic() + 15  # the first pull (what was there before is not news)
        while http.get(f"/v1/connections/{cid}").json()["last_pull_at"] is None:
            assert time.monotonic() < deadline, "the first pull did not happen"
            time.sleep(0.05)

        tokens = httpx.post(
            f"{emulator.url}/_emulator/companies/{realm}/connect",
            json={"client_id": client_id},
            verify=shared_tls(),
        ).json()
        vendor = httpx.post(
            f"{emulator.url}/v3/company/{realm}/vendor",
            json={"DisplayName": "Rain Supply"},
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Accept": "application/json",
            },
            verify=shared_tls(),
        ).json()["Vendor"]

        told: list[dict[str, object]] = []
        deadline = time.monotonic() + 15
        while not told and time.monotonic() < deadline:
            time.sleep(0.05)
            told = [
                e
                for e in http.get(f"/v1/connections/{cid}/events").json()["items"]
                if e["type"] == "quickbooks.created"
            ]
        assert len(told) == 1, "the webhook did not bring the vendor to the app"
        payload = told[0]["payload"]
        assert isinstance(payload, dict)
        assert payload["quickbooks_id"] == vendor["Id"] and payload["type"] == "vendor"
        assert payload["record"]["display_name"] == "Rain Supply"
    finally:
        http.close()


def test_the_echo_of_our_own_write_wakes_no_pull_and_a_persons_edit_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator's real webhooks: the one for the customer ledgerbridge created wakes no
    pull (the mirror holds the write's answer); a person's edit a second later wakes one,
    and the edit reaches the mirror as QuickBooks holds it."""
    woken: list[tuple[bytes, int]] = []
    pulled: list[str] = []
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=1.0) as emulator:
        ledger, port, _url = ledger_served_at(emulator.url, tmp_path)
        dispatcher = InProcessDispatcher(ledger, poll=30, pull_every=3600)
        service = Service(
            ledger, wake=dispatcher.wake, wake_pull=lambda cid: (pulled.append(cid), None)[1]
        )
        receive = service.receive_webhook

        def received(body: bytes, signature: str | None) -> int:
            count = receive(body, signature)
            woken.append((body, count))
            return count

        monkeypatch.setattr(service, "receive_webhook", received)
        try:
            with ApiServer(service, port):
                key_id, _ = service.create_key("app")
                realm = httpx.post(
                    f"{emulator.url}/_emulator/companies",
                    json={"name": "Echo Co"},
                    verify=shared_tls(),
                ).json()["realm_id"]
                cid = service.create_connection(key_id, "Echo", "emulator").id
                started = service.begin_connect(key_id, cid)
                consent = httpx.get(
                    f"{started.authorize_url}&realm_id={realm}&approve=true", verify=shared_tls()
                )
                query = parse_qs(urlparse(consent.headers["location"]).query)
                service.complete_connect(
                    query["state"][0], query["code"][0], query["realmId"][0], started.binding or ""
                )
                pulled.clear()  # the connection's own first pull asked
                service.put_record(key_id, cid, "customer", "c1", {"display_name": "Echo Park"})
                dispatcher.run_once()  # the first pull, then the push of the customer
                view = service.record(key_id, cid, "customer", "c1")
                assert view.status == "synced", view
                qbo_id = view.quickbooks_id
                assert qbo_id is not None

                def about(verb: str) -> list[int]:
                    return [
                        count
                        for body, count in woken
                        if f'"name":"Customer","id":"{qbo_id}"'.encode() in body
                        and verb.encode() in body
                    ]

                deadline = time.monotonic() + 15
                while not about('"operation":"Create"') and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert about('"operation":"Create"') == [0]  # our own write's echo: no pull
                assert pulled == [], woken

                time.sleep(1.1)  # a person's edit in a later second than the write
                tokens = httpx.post(
                    f"{emulator.url}/_emulator/companies/{realm}/connect",
                    json={"client_id": ledger.app("emulator").client_id},
                    verify=shared_tls(),
                ).json()
                headers = {
                    "Authorization": f"Bearer {tokens['access_token']}",
                    "Accept": "application/json",
                }
                base = f"{emulator.url}/v3/company/{realm}/customer"
                current = httpx.get(f"{base}/{qbo_id}", headers=headers, verify=shared_tls())
                edited = httpx.post(
                    base,
                    json={
                        "Id": qbo_id,
                        "SyncToken": current.json()["Customer"]["SyncToken"],
                        "sparse": True,
                        "CompanyName": "Park Plumbing",
                    },
                    headers=headers,
                    verify=shared_tls(),
                ).json()["Customer"]
                deadline = time.monotonic() + 15
                while not about('"operation":"Update"') and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert about('"operation":"Update"') == [1]
                assert pulled == [cid]
                dispatcher.wake_pull(cid)
                dispatcher.run_once()
                with ledger.db.session(readonly=True) as session:
                    seen = Mirror(session, cid).get("Customer", qbo_id)
                export = httpx.get(
                    f"{emulator.url}/_emulator/companies/{realm}/export", verify=shared_tls()
                ).json()
                (exported,) = export["entities"]["Customer"]
                assert seen is not None
                assert seen.sync_token == exported["SyncToken"] == edited["SyncToken"]
                assert seen.data["CompanyName"] == exported["CompanyName"] == "Park Plumbing"
        finally:
            ledger.db.dispose()
