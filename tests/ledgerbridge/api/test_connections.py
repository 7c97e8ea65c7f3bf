"""Connections: create, list, read, settings, mappings, disconnect, bulk resync, pull."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, get_args

import pytest

from ledgerbridge.api import schemas
from ledgerbridge.engine.service import DEFAULT_SETTINGS, NEW_CONNECTION_SETTINGS, SETTINGS
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.api.conftest import Stack, error_of, fields_of


def test_create_list_and_read_a_connection(stack: Stack) -> None:
    created = stack.connection("Main office", settings={"numbering": "prefix"})
    assert created["id"].startswith("con_")
    assert created["status"] == "not_connected"
    assert created["environment"] == "emulator"
    assert created["realm_id"] is None
    assert created["counts"] == {}
    assert {k: created["settings"][k] for k in DEFAULT_SETTINGS} == {
        **DEFAULT_SETTINGS,
        **NEW_CONNECTION_SETTINGS,  # a new connection is told what people make in QuickBooks
        "numbering": "prefix",
    }
    assert set(NEW_CONNECTION_SETTINGS.values()) == {"events"}

    assert stack.http.get("/v1/connections").json() == [created]
    assert stack.http.get(f"/v1/connections/{created['id']}").json() == created
    missing = stack.http.get("/v1/connections/con_nope")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


def test_a_connection_says_until_when_quickbooks_limits_make_it_wait(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The company's wait for QuickBooks' limits (a 429, its window full) is stored on the
    connection, not shown in any record: the connection says it while it lasts."""
    cid = stack.connection("Main office")["id"]
    assert stack.http.get(f"/v1/connections/{cid}").json()["waiting_until"] is None
    until = stack.ledger.clock() + timedelta(seconds=45)
    with stack.ledger.db.session() as session:
        SyncStates(session).delay_all(cid, until)
    shown = stack.http.get(f"/v1/connections/{cid}").json()
    assert datetime.fromisoformat(shown["waiting_until"]) == until
    with stack.ledger.db.session() as session:  # a wait over is not shown
        SyncStates(session).delay_all(cid, until + timedelta(seconds=1))
    # the module's ledger (`served`): its clock put back for the module's next tests
    monkeypatch.setattr(stack.ledger, "clock", lambda: until + timedelta(minutes=1))
    assert stack.http.get(f"/v1/connections/{cid}").json()["waiting_until"] is None


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"environment": "emulator"}, "name", "input.required"),
        ({"name": "", "environment": "emulator"}, "name", "input.invalid"),
        ({"name": "A", "environment": "staging"}, "environment", "input.invalid"),
        ({"name": 5, "environment": "emulator"}, "name", "input.invalid"),
        ({"name": "A", "environment": "emulator", "colour": 1}, "colour", "input.unknown_field"),
        (
            {"name": "A", "environment": "emulator", "settings": {"numbering": "sometimes"}},
            "settings.numbering",
            "input.invalid",
        ),
    ],
)
def test_create_names_the_faulty_field(
    stack: Stack, body: dict[str, Any], field: str, code: str
) -> None:
    response = stack.http.post("/v1/connections", json=body)
    assert fields_of(response) == [field]
    assert error_of(response)["problems"][0]["code"] == code


def test_a_blank_name_is_refused_by_the_service(stack: Stack) -> None:
    response = stack.http.post("/v1/connections", json={"name": "  ", "environment": "emulator"})
    assert fields_of(response) == ["name"]


def test_a_body_that_is_not_json_is_a_422(stack: Stack) -> None:
    response = stack.http.post(
        "/v1/connections", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert fields_of(response) == [None]
    assert "JSON" in error_of(response)["problems"][0]["message"]


def test_settings_change_only_the_fields_sent(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = stack.http.patch(
        f"/v1/connections/{cid}/settings",
        json={"numbering": "quickbooks", "auto_push": ["customer", "invoice"]},
    )
    assert response.status_code == 200, response.text
    settings = response.json()["settings"]
    assert settings["numbering"] == "quickbooks"
    assert settings["auto_push"] == ["customer", "invoice"]
    assert settings["closed_periods"] == DEFAULT_SETTINGS["closed_periods"]

    again = stack.http.patch(
        f"/v1/connections/{cid}/settings",
        json={"number_prefix": "W-", "events_url": "https://app.example/hooks"},
    )
    assert again.json()["settings"]["numbering"] == "quickbooks"
    assert again.json()["settings"]["number_prefix"] == "W-"
    assert again.json()["settings"]["events_url"] == "https://app.example/hooks"
    cleared = stack.http.patch(f"/v1/connections/{cid}/settings", json={"events_url": None})
    assert cleared.json()["settings"]["events_url"] is None


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        ({"numbering": "sometimes"}, "settings.numbering", "input.invalid"),
        ({"numbering": None}, "settings.numbering", "input.invalid"),
        ({"customer_email_required": "yes"}, "settings.customer_email_required", "input.invalid"),
        ({"auto_push": ["invoice", "estimate"]}, "settings.auto_push[1]", "input.invalid"),
        ({"number_prefix": "X" * 11}, "settings.number_prefix", "input.invalid"),
        ({"colour": "red"}, "settings.colour", "input.unknown_field"),
        ({"events_url": "ftp://x"}, "settings.events_url", "input.invalid"),
        ({"from_quickbooks_items": "all"}, "settings.from_quickbooks_items", "input.invalid"),
        # invoices from QuickBooks are read-only at first: told, never imported
        (
            {"from_quickbooks_invoices": "import"},
            "settings.from_quickbooks_invoices",
            "input.invalid",
        ),
        ({"from_quickbooks_vendors": None}, "settings.from_quickbooks_vendors", "input.invalid"),
        ({"from_quickbooks_payments": 1}, "settings.from_quickbooks_payments", "input.invalid"),
    ],
)
def test_a_bad_setting_is_a_422_naming_it(
    stack: Stack, patch: dict[str, Any], field: str, code: str
) -> None:
    created = stack.connection()
    cid = created["id"]
    response = stack.http.patch(f"/v1/connections/{cid}/settings", json=patch)
    assert fields_of(response) == [field]
    assert error_of(response)["problems"][0]["code"] == code
    assert stack.http.get(f"/v1/connections/{cid}").json()["settings"] == created["settings"]


def test_the_settings_schema_offers_the_service_choices() -> None:
    assert get_args(schemas.NameConflicts) == SETTINGS["name_conflicts"]
    assert get_args(schemas.Numbering) == SETTINGS["numbering"]
    assert get_args(schemas.ClosedPeriods) == SETTINGS["closed_periods"]
    assert get_args(schemas.QuickBooksChanges) == SETTINGS["quickbooks_changes"]
    assert get_args(schemas.FromQuickBooks) == SETTINGS["from_quickbooks_customers"]
    assert get_args(schemas.FromQuickBooksReadOnly) == SETTINGS["from_quickbooks_invoices"]
    assert set(DEFAULT_SETTINGS) <= set(schemas.ConnectionSettings.model_fields)


def test_mappings_are_replaced_and_read_back(stack: Stack) -> None:
    cid = stack.connection()["id"]
    assert stack.http.get(f"/v1/connections/{cid}/mappings").json() == {}
    mappings = {"tax_rates": {"CA": "3"}, "payment_methods": {"card": "2", "cash": "1"}}
    response = stack.http.put(f"/v1/connections/{cid}/mappings", json=mappings)
    assert response.status_code == 200, response.text
    assert response.json() == mappings
    assert stack.http.get(f"/v1/connections/{cid}/mappings").json() == mappings
    assert stack.wakes == [cid]


@pytest.mark.parametrize(
    ("mappings", "field", "code"),
    [
        ({"colours": {"red": "1"}}, "colours", "input.unknown_field"),
        ({"tax_rates": {"CA": ""}}, "tax_rates.CA", "input.invalid"),
        ({"tax_rates": {"CA": 3}}, "tax_rates.CA", "input.invalid"),
        ({"accounts": ["Sales"]}, "accounts", "input.invalid"),
        ({"classes": None}, "classes", "input.invalid"),
    ],
)
def test_bad_mappings_are_a_422_naming_the_field(
    stack: Stack, mappings: dict[str, Any], field: str, code: str
) -> None:
    cid = stack.connection()["id"]
    response = stack.http.put(f"/v1/connections/{cid}/mappings", json=mappings)
    assert fields_of(response) == [field]
    assert error_of(response)["problems"][0]["code"] == code
    assert stack.http.get(f"/v1/connections/{cid}/mappings").json() == {}


def test_sync_queues_a_selection_or_everything(stack: Stack) -> None:
    cid = stack.connection()["id"]
    records = f"/v1/connections/{cid}/records"
    for app_id in ("c-1", "c-2"):
        assert stack.http.put(f"{records}/customer/{app_id}", json={"display_name": app_id})
    assert stack.http.put(f"{records}/vendor/v-1", json={"display_name": "Supplier"})
    stack.wakes.clear()

    sync = f"/v1/connections/{cid}/sync"
    assert stack.http.post(sync).json() == {"queued": 3, "left": []}
    assert stack.http.post(sync, json={}).json() == {"queued": 3, "left": []}
    assert stack.http.post(sync, json={"type": "customer"}).json() == {"queued": 2, "left": []}
    assert stack.http.post(sync, json={"ids": ["c-2", "v-1"]}).json() == {"queued": 2, "left": []}
    assert stack.http.post(sync, json={"status": "error"}).json() == {"queued": 0, "left": []}
    assert stack.wakes == [cid] * 5
    assert fields_of(stack.http.post(sync, json={"type": "estimate"})) == ["type"]
    assert fields_of(stack.http.post(sync, json={"ids": "c-1"})) == ["ids"]


def test_pull_is_accepted_and_wakes_the_pull(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = stack.http.post(f"/v1/connections/{cid}/pull")
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "waiting_until": None}
    assert stack.pulls == [cid]

    # the company waits for QuickBooks' limits (a 429): the pull is queued, and reads only
    # once the wait ends, which the answer says
    until = stack.ledger.clock() + timedelta(seconds=45)
    with stack.ledger.db.session() as session:
        SyncStates(session).delay_all(cid, until)
    response = stack.http.post(f"/v1/connections/{cid}/pull")
    assert response.status_code == 202
    assert datetime.fromisoformat(response.json()["waiting_until"]) == until
    assert stack.pulls == [cid, cid]


def test_disconnect(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = stack.http.post(f"/v1/connections/{cid}/disconnect")
    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    assert stack.http.get(f"/v1/connections/{cid}").json()["status"] == "disconnected"


def test_start_fresh_is_refused_for_an_active_connection_and_resets_a_disconnected_one(
    stack: Stack,
) -> None:
    from tests.ledgerbridge.api.test_checks import _connected

    cid = _connected(stack, preset="empty")
    refused = stack.http.post(f"/v1/connections/{cid}/start_fresh")
    assert refused.status_code == 422
    assert "wrong company" in error_of(refused)["message"]
    checked = stack.http.post(f"/v1/connections/{cid}/check")  # not suspended: unchanged
    assert checked.status_code == 200 and checked.json()["status"] == "active"

    stack.http.post(f"/v1/connections/{cid}/disconnect")
    fresh = stack.http.post(f"/v1/connections/{cid}/start_fresh")
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["status"] == "not_connected"
    assert fresh.json()["realm_id"] is None
    other = stack.http.post(f"/v1/connections/{cid}/start_fresh", headers={})
    assert other.status_code == 200  # still allowed: nothing left to forget
    assert (
        stack.client(stack.new_key()).post(f"/v1/connections/{cid}/start_fresh").status_code == 404
    )
