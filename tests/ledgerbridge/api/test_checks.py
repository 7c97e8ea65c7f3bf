"""The setup checklist and the numbering start, through the HTTP API."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from ledgerbridge.engine.pull import pull_company
from tests.ledgerbridge.api.conftest import Stack, error_of, fields_of
from tests.ledgerbridge.tls import shared_tls


def _connected(stack: Stack, preset: str = "demo") -> str:
    """A connection made through the API to a new emulator company, pulled once."""
    cid = stack.connection()["id"]
    realm = httpx.post(
        f"{stack.emulator_url}/_emulator/companies",
        json={"name": "Summit Ridge", "preset": preset},
        timeout=60,
        verify=shared_tls(),
    ).json()["realm_id"]
    authorize = stack.http.get(f"/v1/connections/{cid}/connect").headers["location"]
    consent = httpx.get(
        f"{authorize}&realm_id={realm}&approve=true", timeout=10, verify=shared_tls()
    )
    callback = urlparse(consent.headers["location"])
    assert parse_qs(callback.query)["realmId"] == [realm]
    assert stack.http.get(consent.headers["location"]).status_code == 200  # the same browser
    pull_company(stack.ledger, cid)  # what the dispatcher does after connecting
    return cid


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in body["checks"]}


def test_a_connection_not_read_yet_gets_a_checklist_that_says_so(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = stack.http.get(f"/v1/connections/{cid}/checks")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"checked_at", "status", "checks"}
    assert body["checked_at"] and body["status"] == "warning"
    assert [c["id"] for c in body["checks"]] == ["numbering", "tax", "closed_books", "mappings"]
    assert all(c["actions"] == ["refresh"] for c in body["checks"])
    # read again: the stored one, not made again
    assert stack.http.get(f"/v1/connections/{cid}/checks").json() == body


def test_the_checklist_of_a_demo_company_and_the_numbering_start(stack: Stack) -> None:
    cid = _connected(stack)
    for number in ("1001", "1002"):
        put = stack.http.put(
            f"/v1/connections/{cid}/records/invoice/inv-{number}",
            json={
                "number": number,
                "customer_id": "c1",
                "date": "2026-01-05",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "5.00"}],
            },
        )
        assert put.status_code == 200, put.text
    first = stack.http.get(f"/v1/connections/{cid}/checks").json()
    assert _by_id(first)["numbering"]["status"] == "ok"  # made by the pull, before the invoices

    ran = stack.http.post(f"/v1/connections/{cid}/checks")
    assert ran.status_code == 200, ran.text
    checks = _by_id(ran.json())
    assert ran.json()["checked_at"] >= first["checked_at"]
    numbering = checks["numbering"]
    assert numbering["status"] == "warning"
    assert numbering["code"] == "invoice.number_sequence_overlap"
    assert numbering["actions"] == ["apply_numbering_start"]
    assert numbering["details"]["suggested_start"] == "1251"
    assert checks["closed_books"]["status"] == "warning"  # the demo's books are closed

    applied = stack.http.post(f"/v1/connections/{cid}/actions/apply_numbering_start")
    assert applied.status_code == 200, applied.text
    assert applied.json()["number"] == 1251 and applied.json()["next_number"] == "1251"
    assert _by_id(applied.json()["checks"])["numbering"]["status"] == "ok"
    connection = stack.http.get(f"/v1/connections/{cid}").json()
    assert connection["settings"]["number_start"] == 1251
    feed = stack.http.get(f"/v1/connections/{cid}/events").json()["items"]
    kinds = [e["type"] for e in feed]
    assert "connection.checks" in kinds
    (event,) = [e for e in feed if e["type"] == "connection.numbering_start_applied"]
    assert event["payload"] == {"number": 1251, "next_number": "1251"}

    again = stack.http.post(
        f"/v1/connections/{cid}/actions/apply_numbering_start", json={"number": 2000}
    )
    assert again.status_code == 200 and again.json()["number"] == 2000


def test_applying_without_a_number_to_start_after_is_a_422(stack: Stack) -> None:
    cid = stack.connection()["id"]
    action = f"/v1/connections/{cid}/actions/apply_numbering_start"
    assert fields_of(stack.http.post(action)) == ["number"]
    assert fields_of(stack.http.post(action, json={"number": 0})) == ["number"]
    assert fields_of(stack.http.post(action, json={"number": "12"})) == ["number"]
    assert stack.http.post(action, json={"numbr": 5}).status_code == 422
    ok = stack.http.post(action, json={"number": 300})
    assert ok.status_code == 200, ok.text
    assert ok.json()["next_number"] == "300"


def test_number_start_is_a_setting(stack: Stack) -> None:
    cid = stack.connection()["id"]
    settings = f"/v1/connections/{cid}/settings"
    assert stack.http.get(f"/v1/connections/{cid}").json()["settings"]["number_start"] is None
    assert (
        stack.http.patch(settings, json={"number_start": 42}).json()["settings"]["number_start"]
        == 42
    )
    assert fields_of(stack.http.patch(settings, json={"number_start": 0})) == [
        "settings.number_start"
    ]
    assert fields_of(stack.http.patch(settings, json={"number_start": "7"})) == [
        "settings.number_start"
    ]
    cleared = stack.http.patch(settings, json={"number_start": None})
    assert cleared.json()["settings"]["number_start"] is None


def test_a_key_only_sees_its_own_checks(stack: Stack) -> None:
    cid = stack.connection()["id"]
    other = stack.client(stack.new_key())
    for method, path in [
        ("GET", f"/v1/connections/{cid}/checks"),
        ("POST", f"/v1/connections/{cid}/checks"),
        ("POST", f"/v1/connections/{cid}/actions/apply_numbering_start"),
    ]:
        response = other.request(method, path)
        assert response.status_code == 404, (method, path)
        assert error_of(response)["code"] == "not_found"
        assert stack.client().request(method, path).status_code == 401
