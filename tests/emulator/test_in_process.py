"""qbo_emulator.testing: the emulator's app as an in-process httpx transport."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qbo_emulator.emulator import Emulator
from qbo_emulator.server import EmulatorServer
from qbo_emulator.testing import NeedsSocket, in_process


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with (
        in_process(Emulator()) as transport,
        httpx.Client(transport=transport, base_url="http://qbo.test") as http,
    ):
        yield http


def token(http: httpx.Client, realm: str) -> dict[str, str]:
    app = http.post("/_emulator/apps", json={"redirect_uris": ["http://localhost/cb"]}).json()
    tokens = http.post(
        f"/_emulator/companies/{realm}/connect", json={"client_id": app["client_id"]}
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}


def test_the_api_answers_as_over_http(client: httpx.Client) -> None:
    realm = client.post("/_emulator/companies", json={"name": "In Process"}).json()["realm_id"]
    headers = token(client, realm)
    created = client.post(
        f"/v3/company/{realm}/customer", json={"DisplayName": "Ann"}, headers=headers
    )
    assert created.status_code == 200, created.text
    assert created.headers["intuit_tid"]
    again = client.post(
        f"/v3/company/{realm}/customer", json={"DisplayName": "Ann"}, headers=headers
    )
    assert again.status_code == 400
    assert again.json()["Fault"]["Error"][0]["code"] == "6240"
    exported = client.get(f"/_emulator/companies/{realm}/export").json()
    assert [c["DisplayName"] for c in exported["entities"]["Customer"]] == ["Ann"]


def test_a_scripted_dropped_connection_asks_for_a_socket(client: httpx.Client) -> None:
    realm = client.post("/_emulator/companies", json={"name": "Drops"}).json()["realm_id"]
    headers = token(client, realm)
    client.post(
        f"/_emulator/companies/{realm}/faults",
        json={"match": {"method": "POST"}, "action": {"drop_after_commit": True}},
    )
    with pytest.raises(NeedsSocket, match="real socket"):
        client.post(f"/v3/company/{realm}/customer", json={"DisplayName": "Bo"}, headers=headers)


def test_with_an_origin_only_the_emulators_requests_stay_in_process() -> None:
    """The server and the transport share one emulator; a request to another origin (here a
    second server) goes over a real connection."""
    with (
        EmulatorServer() as server,
        EmulatorServer() as elsewhere,
        in_process(server.emulator, origin=server.url) as transport,
        httpx.Client(transport=transport) as http,
    ):
        made = http.post(f"{server.url}/_emulator/companies", json={"name": "Shared"})
        assert made.status_code == 201
        seen = httpx.get(f"{server.url}/_emulator/companies", timeout=10).json()
        assert made.json()["realm_id"] in str(seen)
        http.post(f"{elsewhere.url}/_emulator/companies", json={"name": "Over There"})
        assert server.emulator.company_names() == [(made.json()["realm_id"], "Shared")]
        assert [name for _, name in elsewhere.emulator.company_names()] == ["Over There"]


def test_a_client_closing_leaves_the_transport_open_for_the_others() -> None:
    with in_process(Emulator()) as transport:
        with httpx.Client(transport=transport, base_url="http://qbo.test") as first:
            first.get("/_emulator/companies")
        with httpx.Client(transport=transport, base_url="http://qbo.test") as second:
            assert second.get("/_emulator/companies").status_code == 200
    with pytest.raises(RuntimeError, match="closed"):
        httpx.Client(transport=transport).get("http://qbo.test/_emulator/companies")
