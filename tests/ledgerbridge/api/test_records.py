"""Records: upsert, validation problems, read, delete, the sync log, and actions."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.ledgerbridge.api.conftest import Stack, error_of, fields_of

INVOICE: dict[str, Any] = {
    "customer_id": "c-1",
    "date": "2025-03-01",
    "lines": [{"item_id": "i-1", "quantity": "2", "unit_price": "12.50"}],
}


@pytest.fixture
def records(stack: Stack) -> str:
    """The records path of a new connection."""
    return f"/v1/connections/{stack.connection()['id']}/records"


def test_put_returns_the_view_pending(stack: Stack, records: str) -> None:
    response = stack.http.put(f"{records}/invoice/inv-1", json=INVOICE)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["type"] == "invoice"
    assert view["id"] == "inv-1"
    assert view["status"] == "pending"
    assert view["version"] == 1
    assert view["deleted"] is False
    assert view["data"]["customer_id"] == "c-1"
    assert view["data"]["lines"][0]["unit_price"] == "12.5"
    assert view["quickbooks_id"] is None
    assert view["problem"] is None
    assert [h["kind"] for h in view["history"]] == ["received"]

    same = stack.http.put(f"{records}/invoice/inv-1", json=INVOICE).json()
    assert same["version"] == 1
    changed = stack.http.put(f"{records}/invoice/inv-1", json={**INVOICE, "memo": "x"}).json()
    assert changed["version"] == 2
    assert stack.http.get(f"{records}/invoice/inv-1").json() == changed


def test_a_float_amount_is_a_422_naming_the_line_field(stack: Stack, records: str) -> None:
    bad = {**INVOICE, "lines": [{"quantity": "1", "unit_price": 12.5}]}
    response = stack.http.put(f"{records}/invoice/inv-1", json=bad)
    assert fields_of(response) == ["lines[0].unit_price"]
    problem = error_of(response)["problems"][0]
    assert problem["code"] == "input.invalid"
    assert "12.5" in problem["message"]
    assert problem["params"] == {}
    assert "lines[0].unit_price" in error_of(response)["message"]
    assert stack.http.get(f"{records}/invoice/inv-1").status_code == 404


def test_an_unknown_field_is_a_422_input_unknown_field(stack: Stack, records: str) -> None:
    response = stack.http.put(f"{records}/customer/c-1", json={"display_name": "A", "colour": 1})
    assert fields_of(response) == ["colour"]
    assert error_of(response)["problems"][0]["code"] == "input.unknown_field"


def test_a_link_is_taken_beside_the_fields_and_a_bad_one_names_its_field(
    stack: Stack, records: str
) -> None:
    bad = stack.http.put(
        f"{records}/customer/c-1", json={"display_name": "A", "link": {"quickbooks_id": 58}}
    )
    assert fields_of(bad) == ["link.quickbooks_id"]
    assert stack.http.get(f"{records}/customer/c-1").status_code == 404
    good = stack.http.put(
        f"{records}/customer/c-1", json={"display_name": "A", "link": {"quickbooks_id": "58"}}
    )
    assert good.status_code == 200, good.text
    assert "link" not in good.json()["data"]  # not a field of the record
    plan = stack.http.post(records.removesuffix("/records") + "/plan").json()
    (entry,) = plan["records"]  # QuickBooks (as last read: never) has no customer 58
    assert (entry["step"], entry["problems"][0]["code"]) == ("refuse", "record.link_target_missing")
    assert plan["counts"]["refuse"] == 1 and plan["counts"]["create"] == 0


def test_a_body_that_is_not_an_object_is_a_422(stack: Stack, records: str) -> None:
    response = stack.http.put(f"{records}/customer/c-1", json=["display_name"])
    assert fields_of(response) == [None]


def test_an_unknown_record_type_is_a_404(stack: Stack, records: str) -> None:
    response = stack.http.put(f"{records}/estimate/e-1", json={})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert stack.http.get(f"{records}/customer/nobody").status_code == 404


def test_delete_marks_the_record_deleted(stack: Stack, records: str) -> None:
    stack.http.put(f"{records}/customer/c-1", json={"display_name": "Acme"})
    response = stack.http.delete(f"{records}/customer/c-1")
    assert response.status_code == 200
    view = response.json()
    assert view["deleted"] is True
    assert view["version"] == 2
    assert view["status"] == "pending"
    assert stack.http.get(f"{records}/customer/c-1").json()["deleted"] is True
    assert stack.http.delete(f"{records}/customer/c-2").status_code == 404


def test_the_sync_log_pages_with_a_cursor(stack: Stack, records: str) -> None:
    ids = [f"c-{n}" for n in range(5)]
    for app_id in ids:
        stack.http.put(f"{records}/customer/{app_id}", json={"display_name": app_id})
    stack.http.put(f"{records}/vendor/v-1", json={"display_name": "Supplier"})

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"type": "customer", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = stack.http.get(records, params=params).json()
        assert page["items"], page
        assert all(item["type"] == "customer" for item in page["items"])
        assert all(item["history"] == [] for item in page["items"])
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ids
    assert pages == 3

    everything = stack.http.get(records).json()
    assert len(everything["items"]) == 6
    assert everything["next_cursor"] is None
    assert [i["id"] for i in stack.http.get(records, params={"q": "V-"}).json()["items"]] == ["v-1"]
    assert stack.http.get(records, params={"status": "synced"}).json()["items"] == []
    assert len(stack.http.get(records, params={"status": "pending"}).json()["items"]) == 6


def test_a_search_finds_matches_across_pages(stack: Stack, records: str) -> None:
    # The matches are the oldest and the newest of 13 records: the search is made by the
    # database over all of them, so one page of 3 holds both (and a page is never empty).
    stack.http.put(f"{records}/customer/c-0", json={"display_name": "Harbor Plumbing"})
    for n in range(1, 11):
        stack.http.put(f"{records}/customer/c-{n}", json={"display_name": f"Client {n}"})
    stack.http.put(f"{records}/vendor/v-1", json={"display_name": "Harbour Supplies"})
    stack.http.put(f"{records}/vendor/v-2", json={"display_name": "harbor freight"})

    page = stack.http.get(records, params={"q": "HARBOR", "limit": 3}).json()
    assert [(i["type"], i["id"]) for i in page["items"]] == [
        ("customer", "c-0"),
        ("vendor", "v-2"),
    ]
    assert page["next_cursor"] is None

    found: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"q": "c-1", "limit": 1}  # by id: c-1 and c-10
        if cursor:
            params["cursor"] = cursor
        page = stack.http.get(records, params=params).json()
        assert len(page["items"]) == 1, page  # never an empty page with a cursor
        found += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert found == ["c-1", "c-10"]
    assert stack.http.get(records, params={"q": "nobody"}).json() == {
        "items": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"type": "estimate"}, "type"),
        ({"status": "lost"}, "status"),
    ],
)
def test_bad_listing_parameters_are_a_422(
    stack: Stack, records: str, params: dict[str, Any], field: str
) -> None:
    assert fields_of(stack.http.get(records, params=params)) == [field]


def test_bypass_undo_bypass_and_retry(stack: Stack, records: str) -> None:
    stack.http.put(f"{records}/customer/c-1", json={"display_name": "Acme"})
    actions = f"{records}/customer/c-1/actions"

    bypassed = stack.http.post(f"{actions}/bypass")
    assert bypassed.status_code == 200, bypassed.text
    assert bypassed.json()["status"] == "bypassed"
    listed = stack.http.get(records, params={"status": "bypassed"}).json()["items"]
    assert [item["id"] for item in listed] == ["c-1"]

    back = stack.http.post(f"{actions}/undo_bypass").json()
    assert back["status"] == "pending"
    refused = stack.http.post(f"{actions}/undo_bypass")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "action.refused"
    assert "offers retry, bypass, link" in refused.json()["error"]["message"]

    retried = stack.http.post(f"{actions}/retry").json()
    assert retried["status"] == "pending"
    kinds = [h["kind"] for h in retried["history"]]
    assert kinds[:3] == ["action:retry", "action:undo_bypass", "action:bypass"]

    assert stack.http.post(f"{actions}/teleport").json()["error"]["code"] == "action.refused"
    assert stack.http.post(f"{records}/customer/c-9/actions/retry").status_code == 404


def test_a_read_with_wait_answers_once_the_record_leaves_pending(
    stack: Stack, records: str
) -> None:
    stack.http.put(f"{records}/customer/c-1", json={"display_name": "Acme"})
    settled = threading.Timer(
        0.3, lambda: stack.http.post(f"{records}/customer/c-1/actions/bypass")
    )
    settled.start()
    try:
        view = stack.http.get(f"{records}/customer/c-1", params={"wait": 20}, timeout=30).json()
    finally:
        settled.join()
    assert view["status"] == "bypassed"
    # a record that is not pending answers at once, whatever the wait
    again = stack.http.get(f"{records}/customer/c-1", params={"wait": 20}).json()
    assert again["status"] == "bypassed"
    assert again["history"][0]["kind"] == "action:bypass"


def test_a_wait_beyond_thirty_seconds_is_a_422_naming_it(stack: Stack, records: str) -> None:
    stack.http.put(f"{records}/customer/c-1", json={"display_name": "Acme"})
    response = stack.http.get(f"{records}/customer/c-1", params={"wait": 31})
    assert response.status_code == 422
    assert "wait" in fields_of(response)


def test_a_bulk_upsert_stores_the_good_records_and_refuses_each_bad_one(
    stack: Stack, records: str
) -> None:
    body = {
        "records": [
            {"type": "customer", "id": "c-1", "data": {"display_name": "Acme"}},
            {"type": "invoice", "id": "inv-1", "data": {**INVOICE, "memo": 7}},
            {"type": "estimate", "id": "e-1", "data": {}},
            {"type": "invoice", "id": "inv-2", "data": INVOICE},
            {"type": "customer", "id": "", "data": {"display_name": "Nobody"}},
        ]
    }
    response = stack.http.post(records, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["stored"], answer["refused"]) == (2, 3)
    items = answer["items"]
    assert [(i["type"], i["id"], i["stored"]) for i in items] == [
        ("customer", "c-1", True),
        ("invoice", "inv-1", False),
        ("estimate", "e-1", False),
        ("invoice", "inv-2", True),
        ("customer", "", False),
    ]
    assert items[0]["version"] == 1 and items[0]["held"] is False
    assert [p["field"] for p in items[1]["problems"]] == ["memo"]
    assert items[2]["problems"][0]["field"] == "type"
    assert items[4]["problems"][0]["field"] == "id"

    # each stored one reads as its own PUT would have left it; the refused ones do not exist
    view = stack.http.get(f"{records}/invoice/inv-2").json()
    assert (view["status"], view["version"]) == ("pending", 1)
    assert [h["kind"] for h in view["history"]] == ["received"]
    assert stack.http.get(f"{records}/invoice/inv-1").status_code == 404

    # the same again changes nothing; a change is a new version
    again = stack.http.post(
        records,
        json={
            "records": [
                {"type": "customer", "id": "c-1", "data": {"display_name": "Acme"}},
                {"type": "invoice", "id": "inv-2", "data": {**INVOICE, "memo": "x"}},
            ]
        },
    ).json()
    assert [i["version"] for i in again["items"]] == [1, 2]
    history = stack.http.get(f"{records}/customer/c-1").json()["history"]
    assert [h["kind"] for h in history] == ["received"]


def test_a_bulk_upsert_of_too_many_records_is_a_422_naming_records(
    stack: Stack, records: str
) -> None:
    one = {"type": "customer", "id": "c", "data": {"display_name": "A"}}
    response = stack.http.post(records, json={"records": [one] * 1001})
    assert fields_of(response) == ["records"]
    assert stack.http.get(f"{records}/customer/c").status_code == 404
    response = stack.http.post(records, json={"records": [{"type": "customer", "id": "c"}]})
    assert fields_of(response) == ["records[0].data"]


@pytest.mark.parametrize("hostile", ["5\x008", "\ud800", "9" * 100_000, " ", "58' OR '1'='1", "-1"])
def test_a_hostile_link_is_refused_naming_its_field_and_nothing_is_stored(
    stack: Stack, records: str, hostile: str
) -> None:
    """The adoption claim looks the QuickBooks id up in the database (under the connection's
    lock): a NUL, a lone surrogate, a huge or odd id is refused first, never a 500."""
    body = json.dumps({"display_name": "A", "link": {"quickbooks_id": hostile}})
    answer = stack.http.put(
        f"{records}/customer/c-h",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code in (400, 422), answer.text
    if answer.status_code == 422:
        assert fields_of(answer) == ["link.quickbooks_id"]
    assert stack.http.get(f"{records}/customer/c-h").status_code == 404
