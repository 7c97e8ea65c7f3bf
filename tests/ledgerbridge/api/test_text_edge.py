"""Text is valid Unicode text or it is refused, on SQLite and PostgreSQL alike: a lone surrogate
(the JSON escape an app sends when it cut an emoji in half), NUL or another control character in
any string that enters (a record's fields, nested ones too, its id, a connection's name,
mappings, settings, query and path parameters) is a 422 naming the field, and nothing is
stored. A record QuickBooks can never take (a text far over its limit, or over 1 MB) is a 422
too; a little over its limit is stored, and the sync offers Shorten. Duplicate ids in one bulk
request and ids the single-record routes cannot reach are refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from ledgerbridge.bootstrap import build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import free_port
from tests.ledgerbridge.api.conftest import ApiServer, error_of, fields_of
from tests.ledgerbridge.storage.conftest import (
    BACKENDS,
    _fresh_database,
)
from tests.ledgerbridge.tls import shared_tls

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Service]]:
    directory = tmp_path_factory.mktemp("text-edge")
    with _fresh_database(str(request.param), directory / "db") as url:
        ledger = build(load_settings({"LEDGERBRIDGE_DATABASE_URL": url}, data_dir=directory))
        ledger.db.migrate()
        service = Service(ledger)
        port = free_port()
        try:
            with ApiServer(service, port):
                yield f"http://127.0.0.1:{port}", service
        finally:
            ledger.db.dispose()


@pytest.fixture
def http(server: tuple[str, Service]) -> Iterator[httpx.Client]:
    url, service = server
    _, secret = service.create_key("text")
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30, verify=shared_tls()
    ) as client:
        yield client


@pytest.fixture
def cid(http: httpx.Client) -> str:
    created = http.post("/v1/connections", json={"name": "Main office", "environment": "emulator"})
    assert created.status_code == 201, created.text
    found: str = created.json()["id"]
    return found


def put_raw(http: httpx.Client, path: str, body: str) -> httpx.Response:
    """A PUT of JSON text as written (escapes such as \\ud800 reach the server as they are)."""
    return http.put(path, content=body.encode(), headers=JSON)


# --- record bodies ----------------------------------------------------------------------------

BAD_BODIES = [
    ("customer", r'{"display_name": "Bad \ud800 name"}', "display_name", "lone surrogate"),
    ("customer", r'{"display_name": "Bad \udfff"}', "display_name", "lone surrogate"),
    ("customer", r'{"display_name": "Bad \u0000 name"}', "display_name", "NUL"),
    ("customer", r'{"display_name": "Ann", "email": "a\u0007@b.c"}', "email", "U+0007"),
    ("customer", r'{"display_name": "Two\nlines"}', "display_name", "U+000A"),
    (
        "customer",
        r'{"display_name": "Ann", "billing_address": {"city": "Sp\u0000ringfield"}}',
        "billing_address.city",
        "NUL",
    ),
    (
        "invoice",
        r'{"customer_id": "c-1", "date": "2026-01-02", "lines": ['
        r'{"quantity": "1", "unit_price": "1"}, {"quantity": "1", "unit_price": "1"}, '
        r'{"quantity": "1", "unit_price": "1", "description": "cut \ud83d"}]}',
        "lines[2].description",
        "lone surrogate",
    ),
    (
        "invoice",
        r'{"customer_id": "c-\u0000", "date": "2026-01-02", '
        r'"lines": [{"quantity": "1", "unit_price": "1"}]}',
        "customer_id",
        "NUL",
    ),
    (
        "invoice",
        r'{"customer_id": "c-1", "date": "2026-01-0\u0000", '
        r'"lines": [{"quantity": "1", "unit_price": "1\u0000"}]}',
        "date",
        "NUL",
    ),
    ("item", r'{"name": "Pipe", "type": "service", "sku": "\ufffe"}', "sku", "non-character"),
]


@pytest.mark.parametrize(
    ("record_type", "body", "field", "named"),
    BAD_BODIES,
    ids=[f"{case[0]}-{case[2]}-{i}" for i, case in enumerate(BAD_BODIES)],
)
def test_text_that_is_not_text_is_a_422_naming_the_field_and_nothing_is_stored(
    http: httpx.Client, cid: str, record_type: str, body: str, field: str, named: str
) -> None:
    path = f"/v1/connections/{cid}/records/{record_type}/r-1"
    response = put_raw(http, path, body)
    assert field in fields_of(response)
    problem = next(p for p in error_of(response)["problems"] if p["field"] == field)
    assert named in problem["message"]
    assert http.get(path).status_code == 404
    listed = http.get(f"/v1/connections/{cid}/records")
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_free_text_fields_keep_their_line_breaks(http: httpx.Client, cid: str) -> None:
    body = {
        "display_name": "Ann Lee",
        "notes": "Gate code 4411\r\nDog:\tfriendly",
        "billing_address": {"line1": "Unit 4\n12 Oak St", "city": "Springfield"},
    }
    response = http.put(f"/v1/connections/{cid}/records/customer/c-1", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["notes"] == body["notes"]


def test_a_field_name_that_is_not_text_is_named_escaped(http: httpx.Client, cid: str) -> None:
    response = put_raw(
        http, f"/v1/connections/{cid}/records/customer/c-1", r'{"display_name": "A", "\ud800": 1}'
    )
    assert fields_of(response) == ['"\\ud800"']
    assert error_of(response)["problems"][0]["code"] == "input.unknown_field"


def test_bulk_refuses_the_bad_record_alone(http: httpx.Client, cid: str) -> None:
    body = (
        r'{"records": [{"type": "customer", "id": "c-1", "data": {"display_name": "Ann"}},'
        r'{"type": "customer", "id": "c-2", "data": {"display_name": "Bad \ud800"}},'
        r'{"type": "customer", "id": "c-3", "data": {"display_name": "N\u0000L"}}]}'
    )
    response = http.post(f"/v1/connections/{cid}/records", content=body.encode(), headers=JSON)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["stored"], answer["refused"]) == (1, 2)
    assert [item["stored"] for item in answer["items"]] == [True, False, False]
    assert answer["items"][1]["problems"][0]["field"] == "display_name"
    assert http.get(f"/v1/connections/{cid}/records/customer/c-2").status_code == 404
    assert http.get(f"/v1/connections/{cid}/records/customer/c-3").status_code == 404


# --- record ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("app_id", ["a/b", ".", "..", "a\x00b", "tab\there", " ", "x" * 201])
def test_an_id_the_single_record_routes_cannot_reach_is_refused_by_bulk(
    http: httpx.Client, cid: str, app_id: str
) -> None:
    records = [
        {"type": "customer", "id": "fine", "data": {"display_name": "Fine"}},
        {"type": "customer", "id": app_id, "data": {"display_name": "Odd"}},
    ]
    answer = http.post(f"/v1/connections/{cid}/records", json={"records": records}).json()
    assert [item["stored"] for item in answer["items"]] == [True, False]
    assert [p["field"] for p in answer["items"][1]["problems"]] == ["id"]
    ids = [r["id"] for r in http.get(f"/v1/connections/{cid}/records").json()["items"]]
    assert ids == ["fine"]


@pytest.mark.parametrize("quoted", ["a%00b", "a%2Fb", "tab%09here"])
def test_an_id_that_is_not_text_or_holds_a_slash_is_refused_by_put(
    http: httpx.Client, cid: str, quoted: str
) -> None:
    response = http.put(f"/v1/connections/{cid}/records/customer/{quoted}", json={"name": "x"})
    if "%2F" in quoted:  # a "/" splits the path: no route takes it
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    else:
        assert fields_of(response) == ["id"]
    assert http.get(f"/v1/connections/{cid}/records").json()["items"] == []
    for method in ("GET", "DELETE"):
        read = http.request(method, f"/v1/connections/{cid}/records/customer/{quoted}")
        assert read.status_code in (404, 422)
        assert read.status_code == 404 or fields_of(read) == ["id"]


def test_duplicate_ids_in_one_bulk_request_are_a_422_naming_both(
    http: httpx.Client, cid: str
) -> None:
    records = [
        {"type": "customer", "id": "c-1", "data": {"display_name": "First"}},
        {"type": "vendor", "id": "c-1", "data": {"display_name": "Another type: fine"}},
        {"type": "customer", "id": "c-2", "data": {"display_name": "Other"}},
        {"type": "customer", "id": "c-1", "data": {"display_name": "Last"}},
    ]
    response = http.post(f"/v1/connections/{cid}/records", json={"records": records})
    assert fields_of(response) == ["records[0].id", "records[3].id"]
    for problem in error_of(response)["problems"]:
        assert "records[0], records[3]" in problem["message"]
    assert http.get(f"/v1/connections/{cid}/records").json()["items"] == []


# --- connections, mappings, settings, parameters ----------------------------------------------


def test_a_connection_name_that_is_not_text_is_refused(http: httpx.Client) -> None:
    body = r'{"name": "Main \u0000 office", "environment": "emulator"}'
    response = http.post("/v1/connections", content=body.encode(), headers=JSON)
    assert fields_of(response) == ["name"]
    surrogate = r'{"name": "Main \ud800", "environment": "emulator"}'
    response = http.post("/v1/connections", content=surrogate.encode(), headers=JSON)
    assert fields_of(response) == ["name"]
    assert http.get("/v1/connections").json() == []


@pytest.mark.parametrize(
    "body",
    [
        r'{"tax_rates": {"C\u0000A": "3"}}',
        r'{"tax_rates": {"CA": "3\u0000"}}',
        r'{"payment_methods": {"venmo\ud800": "2"}}',
    ],
)
def test_mapping_keys_and_values_that_are_not_text_are_refused(
    http: httpx.Client, cid: str, body: str
) -> None:
    response = http.put(f"/v1/connections/{cid}/mappings", content=body.encode(), headers=JSON)
    assert fields_of(response)[0] in ("tax_rates", "payment_methods")
    assert http.get(f"/v1/connections/{cid}/mappings").json() == {}


def test_settings_that_are_not_text_are_refused(http: httpx.Client, cid: str) -> None:
    path = f"/v1/connections/{cid}/settings"
    response = http.patch(path, content=rb'{"number_prefix": "F\u0000"}', headers=JSON)
    assert fields_of(response) == ["settings.number_prefix"]
    response = http.patch(path, content=rb'{"number_prefix": "F\ud800"}', headers=JSON)
    assert fields_of(response) == ["settings.number_prefix"]
    settings = http.get(f"/v1/connections/{cid}").json()["settings"]
    assert settings["number_prefix"] == ""


def test_query_and_path_parameters_that_are_not_text_are_refused(
    http: httpx.Client, cid: str
) -> None:
    records = f"/v1/connections/{cid}/records"
    assert fields_of(http.get(records, params={"q": "a\x00b"})) == ["q"]
    assert fields_of(http.get(records, params={"code": "\x00"})) == ["code"]
    forged = [
        "2026-01-01T00:00:00+00:00",
        "customer",
        "a\x00b",
    ]
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    assert fields_of(http.get(records, params={"cursor": cursor})) == ["cursor"]
    assert fields_of(http.get("/v1/connections/con_%00x")) == ["connection_id"]
    assert fields_of(http.get(f"/v1/connections/{cid}/events", params={"after": "1\x00"}))
    sync = http.post(f"/v1/connections/{cid}/sync", json={"ids": ["a\x00b"]})
    assert fields_of(sync) == ["ids[0]"]


# --- what QuickBooks can never take -----------------------------------------------------------


def test_a_text_far_over_its_quickbooks_limit_is_a_422_and_a_little_over_is_stored(
    http: httpx.Client, cid: str
) -> None:
    records = f"/v1/connections/{cid}/records"
    # display names: QuickBooks takes 500; the default margin (100%) stores up to 1,000
    within = http.put(f"{records}/customer/c-1", json={"display_name": "A" * 1000})
    assert within.status_code == 200, within.text
    beyond = http.put(f"{records}/customer/c-2", json={"display_name": "A" * 1001})
    assert fields_of(beyond) == ["display_name"]
    problem = error_of(beyond)["problems"][0]
    assert problem["code"] == "record.field_too_long"
    assert problem["params"] == {"field": "display name", "length": 1001, "limit": 500}
    assert http.get(f"{records}/customer/c-2").status_code == 404
    # a 1.5 MB note (QuickBooks takes 2,000): within the body limit, far beyond the margin
    note = http.put(f"{records}/customer/c-3", json={"display_name": "N", "notes": "n" * 1_500_000})
    assert fields_of(note) == ["notes"]
    # a 20 MB one is a body too large for the route, refused before it is read
    huge = http.put(
        f"{records}/customer/c-3", json={"display_name": "N", "notes": "n" * 20_000_000}
    )
    assert huge.status_code == 413, huge.text
    assert http.get(f"{records}/customer/c-3").status_code == 404
    # a payment reference: its own code
    payment = {
        "customer_id": "c-1",
        "date": "2026-01-02",
        "amount": "1.00",
        "method": "card",
        "reference": "R" * 43,
    }
    response = http.put(f"{records}/payment/p-1", json=payment)
    assert error_of(response)["problems"][0]["code"] == "payment.reference_too_long"


def test_the_margin_is_a_connection_setting(http: httpx.Client, cid: str) -> None:
    records = f"/v1/connections/{cid}/records"
    patched = http.patch(f"/v1/connections/{cid}/settings", json={"field_limit_margin": 0})
    assert patched.status_code == 200, patched.text
    assert patched.json()["settings"]["field_limit_margin"] == 0
    assert http.put(f"{records}/customer/c-1", json={"display_name": "A" * 500}).status_code == 200
    assert fields_of(http.put(f"{records}/customer/c-2", json={"display_name": "A" * 501})) == [
        "display_name"
    ]
    refused = http.patch(f"/v1/connections/{cid}/settings", json={"field_limit_margin": -1})
    assert fields_of(refused) == ["settings.field_limit_margin"]


def test_text_over_one_megabyte_is_refused_whatever_the_field(http: httpx.Client, cid: str) -> None:
    item = {
        "name": "Pipe",
        "type": "service",
        "income_account": "é" * 500_001,  # no QuickBooks limit here; 1,000,002 bytes
    }
    response = http.put(f"/v1/connections/{cid}/records/item/i-1", json=item)
    assert fields_of(response) == ["income_account"]
    assert "1 MB" in error_of(response)["problems"][0]["message"]
