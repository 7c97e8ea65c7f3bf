"""The auto_push setting over HTTP: records of the other types are held (stored, pending, not
due, no wake-up) until a push request, the retry action or the setting releases them."""

from __future__ import annotations

from typing import Any

from tests.ledgerbridge.api.conftest import Stack

CUSTOMER = {"display_name": "Ann Lee"}
INVOICE: dict[str, Any] = {
    "customer_id": "c-1",
    "date": "2026-03-01",
    "lines": [{"description": "Labor", "quantity": "2", "unit_price": "12.50"}],
}


def _held_connection(stack: Stack, auto_push: list[str]) -> tuple[str, str]:
    cid = stack.connection(settings={"auto_push": auto_push})["id"]
    stack.wakes.clear()
    return cid, f"/v1/connections/{cid}/records"


def _kinds(view: dict[str, Any]) -> list[str]:
    return [h["kind"] for h in view["history"]]


def test_a_record_of_a_type_left_out_is_stored_held_and_wakes_nobody(stack: Stack) -> None:
    cid, records = _held_connection(stack, ["invoice", "payment"])
    view = stack.http.put(f"{records}/customer/c-1", json=CUSTOMER).json()
    assert (view["status"], view["held"]) == ("pending", True)
    assert _kinds(view) == ["held", "received"]
    held = view["history"][0]["detail"]
    assert held["reason"] == "auto_push" and "waits for a push request" in held["message"]
    assert view["actions"] == ["retry", "bypass", "link"]
    assert stack.wakes == []

    changed = stack.http.put(f"{records}/customer/c-1", json={"display_name": "Ann Lee-Park"})
    assert changed.json()["held"] is True
    assert _kinds(changed.json()) == ["received", "held", "received"]  # held once
    assert stack.wakes == []

    invoice = stack.http.put(f"{records}/invoice/inv-1", json=INVOICE).json()
    assert (invoice["status"], invoice["held"]) == ("pending", False)
    assert _kinds(invoice) == ["received"]
    assert stack.wakes == [cid]

    log = stack.http.get(records).json()["items"]
    assert {(r["id"], r["held"]) for r in log} == {("c-1", True), ("inv-1", False)}
    counts = stack.http.get(f"/v1/connections/{cid}").json()["counts"]
    assert counts == {"pending": 2}


def test_a_sync_request_releases_what_it_selects(stack: Stack) -> None:
    cid, records = _held_connection(stack, ["invoice"])
    stack.http.put(f"{records}/customer/c-1", json=CUSTOMER)
    stack.http.put(f"{records}/customer/c-2", json={"display_name": "Bo Diaz"})
    stack.http.put(f"{records}/vendor/v-1", json={"display_name": "Supplier"})

    sync = f"/v1/connections/{cid}/sync"
    assert stack.http.post(sync, json={"type": "vendor"}).json() == {"queued": 1, "left": []}
    vendor = stack.http.get(f"{records}/vendor/v-1").json()
    assert (vendor["status"], vendor["held"]) == ("pending", False)
    assert vendor["history"][0]["kind"] == "action:resync"  # audited like a single action
    released = vendor["history"][1]
    assert released["kind"] == "released"
    assert released["detail"]["by"] == "sync_request"
    assert stack.http.get(f"{records}/customer/c-1").json()["held"] is True

    assert stack.http.post(sync, json={"ids": ["c-2"]}).json() == {"queued": 1, "left": []}
    assert stack.http.get(f"{records}/customer/c-2").json()["held"] is False
    assert stack.http.get(f"{records}/customer/c-1").json()["held"] is True
    assert stack.wakes == [cid, cid]


def test_the_retry_action_releases_a_held_record(stack: Stack) -> None:
    _, records = _held_connection(stack, ["invoice"])
    stack.http.put(f"{records}/customer/c-1", json=CUSTOMER)
    retried = stack.http.post(f"{records}/customer/c-1/actions/retry")
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["status"], body["held"]) == ("pending", False)
    assert body["result"]["summary"] == "released: queued to be sent"
    assert _kinds(body)[:2] == ["action:retry", "released"]
    assert body["history"][1]["detail"]["by"] == "retry"


def test_taking_a_type_into_auto_push_releases_its_held_records(stack: Stack) -> None:
    cid, records = _held_connection(stack, ["invoice"])
    stack.http.put(f"{records}/customer/c-1", json=CUSTOMER)
    stack.http.put(f"{records}/vendor/v-1", json={"display_name": "Supplier"})
    settings = f"/v1/connections/{cid}/settings"

    unrelated = stack.http.patch(settings, json={"numbering": "quickbooks"})
    assert unrelated.status_code == 200
    assert stack.wakes == []
    patched = stack.http.patch(settings, json={"auto_push": ["invoice", "vendor"]})
    assert patched.json()["settings"]["auto_push"] == ["invoice", "vendor"]
    vendor = stack.http.get(f"{records}/vendor/v-1").json()
    assert vendor["held"] is False
    assert vendor["history"][0]["detail"]["by"] == "settings"
    assert stack.http.get(f"{records}/customer/c-1").json()["held"] is True
    assert stack.wakes == [cid]

    # a vendor sent from now on goes at once; customers still wait
    vendor = stack.http.put(f"{records}/vendor/v-2", json={"display_name": "Other"}).json()
    assert vendor["held"] is False
    assert stack.http.put(f"{records}/customer/c-2", json=CUSTOMER).json()["held"] is True


def test_a_delete_of_a_record_never_pushed_is_not_held(stack: Stack) -> None:
    _, records = _held_connection(stack, ["invoice"])
    stack.http.put(f"{records}/customer/c-1", json=CUSTOMER)
    deleted = stack.http.delete(f"{records}/customer/c-1").json()
    assert deleted["deleted"] is True
    assert deleted["held"] is False  # nothing in QuickBooks to remove: nothing to wait for


def test_the_dry_run_marks_held_records(stack: Stack) -> None:
    cid, records = _held_connection(stack, ["invoice"])
    stack.http.put(f"{records}/customer/c-1", json=CUSTOMER)
    stack.http.put(f"{records}/invoice/inv-1", json=INVOICE)
    plan = stack.http.post(f"/v1/connections/{cid}/plan").json()
    # the invoice would be pushed, and would take its held customer along, first
    assert [(r["id"], r["step"], r["held"]) for r in plan["records"]] == [
        ("c-1", "create", True),
        ("inv-1", "create", False),
    ]


def test_the_record_schema_documents_held(stack: Stack) -> None:
    spec = stack.client().get("/openapi.json").json()
    record = spec["components"]["schemas"]["RecordOut"]
    assert "held" in record["properties"] and "held" in record["required"]
    settings = spec["components"]["schemas"]["ConnectionSettings"]["properties"]
    assert "held" in settings["auto_push"]["description"]


def test_a_read_that_waits_answers_a_held_record_at_once(stack: Stack) -> None:
    _, records = _held_connection(stack, ["invoice"])
    stack.http.put(f"{records}/customer/c-1", json=CUSTOMER)
    # nothing will push it: waiting 30 s for it to leave pending would only waste the caller's
    view = stack.http.get(f"{records}/customer/c-1", params={"wait": 30}, timeout=5).json()
    assert (view["status"], view["held"]) == ("pending", True)
