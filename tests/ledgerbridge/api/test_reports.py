"""The reconciliation report, verify and the dry-run plan over HTTP: shapes, scoping, errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import sync_company
from tests.ledgerbridge.api.conftest import Stack, error_of
from tests.ledgerbridge.tls import shared_tls

STEPS = {
    "create",
    "link",
    "adopt",
    "update",
    "refuse",
    "blocked",
    "draft",
    "nothing",
    "remove",
    "settle",
}
TYPES = {"customer", "vendor", "item", "invoice", "payment", "receipt", "bill", "purchase_order"}


def test_the_report_of_a_new_connection_is_empty_and_complete(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = stack.http.get(f"/v1/connections/{cid}/reconciliation")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["connection_id"] == cid
    assert report["mirror_pulled_at"] is None
    assert set(report["links"]) == TYPES
    assert report["links"]["invoice"] == {
        "records": 0,
        "linked": 0,
        "unlinked": 0,
        "missing": 0,
        "deleted": 0,
        "inactive": 0,
        "voided": 0,
    }
    assert report["totals"] == {
        "invoices": 0,
        "app_total": "0.00",
        "quickbooks_total": "0.00",
        "difference": "0.00",
        "app_open_balance": "0.00",
        "quickbooks_open_balance": "0.00",
        "open_balance_difference": "0.00",
    }
    for listing in (
        "mismatches",
        "open_balance_mismatches",
        "paid_in_quickbooks",
        "deleted_in_quickbooks",
        "moved_in_quickbooks",
        "voided_in_quickbooks",
    ):
        assert report[listing] == []
    assert report["statuses"] == dict.fromkeys(
        ["pending", "synced", "error", "blocked", "bypassed", "draft"], 0
    )


def test_the_plan_of_a_company_not_connected_creates_everything(stack: Stack) -> None:
    cid = stack.connection()["id"]
    records = f"/v1/connections/{cid}/records"
    stack.http.put(f"{records}/customer/c-1", json={"display_name": "Ann Lee"})
    invoice = {
        "customer_id": "c-1",
        "date": "2026-03-01",
        "lines": [{"description": "Labor", "quantity": "2", "unit_price": "12.50"}],
    }
    stack.http.put(f"{records}/invoice/inv-1", json=invoice)
    stack.http.put(f"{records}/invoice/inv-2", json={**invoice, "customer_id": "nobody"})
    stack.wakes.clear()

    response = stack.http.post(f"/v1/connections/{cid}/plan")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert set(plan["counts"]) == STEPS
    assert plan["counts"]["create"] == 2 and plan["counts"]["blocked"] == 1
    assert [(r["type"], r["id"], r["step"]) for r in plan["records"]] == [
        ("customer", "c-1", "create"),
        ("invoice", "inv-1", "create"),
        ("invoice", "inv-2", "blocked"),
    ]
    blocked = plan["records"][2]
    assert blocked["blocked_by"] == {"type": "customer", "id": "nobody"}
    (problem,) = blocked["problems"]
    assert set(problem) == {"code", "field", "message", "title", "actions", "params"}
    assert problem["code"] == "invoice.customer_not_synced"
    assert stack.wakes == []  # a plan queues nothing
    after = stack.http.get(f"{records}/invoice/inv-1").json()
    assert after["status"] == "pending"
    assert [h["kind"] for h in after["history"]] == ["received"]  # the plan left no trace


def test_a_key_sees_only_its_own_connections(stack: Stack) -> None:
    cid = stack.connection()["id"]
    other = stack.client(stack.new_key())
    for method, path in (("GET", "reconciliation"), ("POST", "plan"), ("POST", "verify")):
        response = other.request(method, f"/v1/connections/{cid}/{path}")
        assert response.status_code == 404, response.text
        assert error_of(response)["code"] == "not_found"
        unknown = stack.http.request(method, f"/v1/connections/con_unknown/{path}")
        assert unknown.status_code == 404
        anonymous = stack.client().request(method, f"/v1/connections/{cid}/{path}")
        assert anonymous.status_code == 401
        assert error_of(anonymous)["code"] == "auth.invalid_key"


def _connect(stack: Stack, cid: str, realm: str) -> None:
    start = stack.http.get(f"/v1/connections/{cid}/connect")
    consent = httpx.get(
        f"{start.headers['location']}&realm_id={realm}&approve=true",
        timeout=10,
        verify=shared_tls(),
    )
    callback = consent.headers["location"]
    assert parse_qs(urlparse(callback).query)["realmId"] == [realm]
    assert stack.http.get(callback).status_code == 200  # the browser that started


def test_the_plan_links_what_the_company_holds_and_the_report_follows(stack: Stack) -> None:
    cid = stack.connection()["id"]
    realm = stack.company("Holds Data Co")
    _connect(stack, cid, realm)
    tokens = httpx.post(
        f"{stack.emulator_url}/_emulator/companies/{realm}/connect",
        json={"client_id": stack.ledger.app("emulator").client_id},
        timeout=10,
        verify=shared_tls(),
    ).json()
    created = httpx.post(
        f"{stack.emulator_url}/v3/company/{realm}/customer",
        json={"DisplayName": "Cara Moss", "PrimaryEmailAddr": {"Address": "cara@example.com"}},
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=10,
        verify=shared_tls(),
    ).json()["Customer"]
    pull_company(stack.ledger, cid)
    records = f"/v1/connections/{cid}/records"
    stack.http.put(
        f"{records}/customer/cara",
        json={"first_name": "Cara", "last_name": "Moss", "email": "cara@example.com"},
    )

    plan = stack.http.post(f"/v1/connections/{cid}/plan").json()
    assert plan["mirror_pulled_at"] is not None
    (entry,) = plan["records"]
    assert (entry["step"], entry["quickbooks_id"]) == ("link", created["Id"])

    sync_company(stack.ledger, cid)
    report = stack.http.get(f"/v1/connections/{cid}/reconciliation").json()
    assert report["links"]["customer"]["linked"] == 1
    assert report["statuses"]["synced"] == 1
    assert stack.http.get(f"{records}/customer/cara").json()["quickbooks_id"] == created["Id"]


def test_verify_checks_every_synced_record_against_quickbooks_read_afresh(stack: Stack) -> None:
    cid = stack.connection()["id"]
    not_yet = stack.http.post(f"/v1/connections/{cid}/verify").json()
    assert not_yet["stopped"] == "not_active" and not_yet["checked"] == 0
    realm = stack.company("Verify Co")
    _connect(stack, cid, realm)
    records = f"/v1/connections/{cid}/records"
    stack.http.put(f"{records}/customer/dee", json={"display_name": "Dee Ray", "email": "d@x.io"})
    sync_company(stack.ledger, cid)

    clean = stack.http.post(f"/v1/connections/{cid}/verify")
    assert clean.status_code == 200, clean.text
    assert {k: clean.json()[k] for k in ("checked", "agreed", "read", "mismatches")} == {
        "checked": 1,
        "agreed": 1,
        "read": 1,
        "mismatches": [],
    }

    tokens = httpx.post(
        f"{stack.emulator_url}/_emulator/companies/{realm}/connect",
        json={"client_id": stack.ledger.app("emulator").client_id},
        timeout=10,
        verify=shared_tls(),
    ).json()
    person = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    base = f"{stack.emulator_url}/v3/company/{realm}"
    (dee,) = httpx.get(
        f"{base}/query",
        params={"query": "SELECT * FROM Customer"},
        headers=person,
        verify=shared_tls(),
    ).json()["QueryResponse"]["Customer"]
    changed = {"Id": dee["Id"], "SyncToken": dee["SyncToken"], "sparse": True, "Active": False}
    assert (
        httpx.post(
            f"{base}/customer", json=changed, headers=person, verify=shared_tls()
        ).status_code
        == 200
    )

    report = stack.http.post(f"/v1/connections/{cid}/verify").json()
    (found,) = report["mismatches"]
    assert found == {
        "type": "customer",
        "id": "dee",
        "quickbooks_id": dee["Id"],
        "code": "customer.inactive_in_quickbooks",
        "field": "Active",
        "app_value": "yes",
        "quickbooks_value": "no",
        "message": f"QuickBooks Customer {dee['Id']} was made inactive in QuickBooks",
    }
    assert report["flagged"] == 1
    shown = stack.http.get(f"{records}/customer/dee").json()
    assert shown["status"] == "error"
    assert shown["problem"]["code"] == "customer.inactive_in_quickbooks"
