"""QuickBooks' own lists for the app, end to end through the HTTP API: people create
customers (and a job), vendors, items inside QuickBooks (the emulator); the app refreshes,
lists and searches them, sees which ones are linked to its records, pages through them, and
gets a clear answer for hostile parameters and for a company that cannot be read."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.api import create_app
from qbo_emulator.server import EmulatorServer
from qbo_emulator.testing import HeldLatency
from tests.ledgerbridge.dashboard.conftest import in_process_client
from tests.ledgerbridge.engine.conftest import World, connect
from tests.ledgerbridge.engine.failures.conftest import put, sync
from tests.ledgerbridge.engine.quickbooks_person import Person


@pytest.fixture
def api(world: World) -> Iterator[httpx.Client]:
    """The HTTP API of the world's service, with the world's own key."""
    key_id, secret = world.service.create_key("lists")
    world.key_id = key_id
    connection = world.service.create_connection(key_id, "Lists", "emulator")
    connect(world.service, key_id, connection.id, world.realm_id, world.http)
    world.connection_id = connection.id
    client = in_process_client(create_app(world.service))
    client.headers["Authorization"] = f"Bearer {secret}"
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def person(world: World) -> Iterator[Person]:
    found = Person(world)
    yield found
    found.close()


def lists(api: httpx.Client, world: World, which: str, /, **params: Any) -> httpx.Response:
    return api.get(f"/v1/connections/{world.connection_id}/quickbooks/{which}", params=params)


def listed(api: httpx.Client, world: World, which: str, /, **params: Any) -> dict[str, Any]:
    answer = lists(api, world, which, **params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refresh(api: httpx.Client, world: World, **params: Any) -> httpx.Response:
    return api.post(f"/v1/connections/{world.connection_id}/quickbooks/refresh", params=params)


def names(page: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in page["items"]]


def problem_fields(answer: httpx.Response) -> list[str | None]:
    return [p["field"] for p in answer.json()["error"]["problems"]]


def their_company(person: Person) -> dict[str, dict[str, Any]]:
    """What people keep in QuickBooks: two customers (one inactive), a job under one, a
    vendor, two items."""
    harbor = person.create(
        "Customer",
        DisplayName="Harbor Dental",
        PrimaryEmailAddr={"Address": "Office@HarborDental.example"},
        PrimaryPhone={"FreeFormNumber": "555-0101"},
        BillAddr={"Line1": "1 Pier Rd", "City": "Portland", "PostalCode": "97201"},
    )
    job = person.create(
        "Customer",
        DisplayName="Harbor Dental - Suite 4",
        ParentRef={"value": harbor["Id"]},
        Job=True,
        BillWithParent=True,
    )
    gone = person.create("Customer", DisplayName="Old Mill Bakery")
    person.update("Customer", gone["Id"], Active=False)
    vendor = person.create(
        "Vendor", DisplayName="Acme Supply", PrimaryEmailAddr={"Address": "ap@acme.example"}
    )
    income = person.account("Services")
    drill = person.create(
        "Item",
        Name="Drill Kit",
        Sku="DK-220",
        Type="Service",
        UnitPrice=149.5,
        IncomeAccountRef={"value": income},
    )
    visit = person.create(
        "Item", Name="Site Visit", Type="Service", UnitPrice=90, IncomeAccountRef={"value": income}
    )
    return {
        "harbor": harbor,
        "job": job,
        "gone": gone,
        "vendor": vendor,
        "drill": drill,
        "visit": visit,
    }


def test_what_people_created_in_quickbooks_is_listed_in_the_apps_shape(
    world: World, api: httpx.Client, person: Person
) -> None:
    made = their_company(person)
    never = listed(api, world, "customers")
    assert never["items"] == [] and never["mirror"]["as_of"] is None  # never read yet

    done = refresh(api, world)
    assert done.status_code == 200, done.text
    assert done.json()["current"] is True and done.json()["mirror"]["as_of"] is not None

    customers = listed(api, world, "customers")
    assert names(customers) == ["Harbor Dental", "Harbor Dental - Suite 4", "Old Mill Bakery"]
    assert customers["mirror"] == done.json()["mirror"] | {
        "age_seconds": customers["mirror"]["age_seconds"]
    }
    harbor, job, gone = customers["items"]
    assert harbor["quickbooks_id"] == made["harbor"]["Id"]
    assert harbor["record_type"] == "customer" and harbor["linked_to"] is None
    assert harbor["record"] == {
        "display_name": "Harbor Dental",
        "first_name": None,
        "last_name": None,
        "company_name": None,
        "email": "Office@HarborDental.example",
        "phone": "555-0101",
        "billing_address": {
            "line1": "1 Pier Rd",
            "line2": None,
            "city": "Portland",
            "region": None,
            "postal_code": "97201",
            "country": None,
        },
        "parent_id": None,
        "kind": "customer",
        "active": True,
        "notes": None,
    }
    assert job["record"]["kind"] == "job"
    assert job["parent_quickbooks_id"] == made["harbor"]["Id"]
    assert gone["active"] is False and gone["record"]["active"] is False

    # a customer's jobs, searches by name, email (any case), active or not
    jobs = listed(api, world, "customers", parent=made["harbor"]["Id"])
    assert names(jobs) == ["Harbor Dental - Suite 4"]
    assert names(listed(api, world, "customers", q="SUITE")) == ["Harbor Dental - Suite 4"]
    assert names(listed(api, world, "customers", email="office@harbor")) == ["Harbor Dental"]
    assert names(listed(api, world, "customers", q="harbordental.example")) == ["Harbor Dental"]
    assert names(listed(api, world, "customers", active="false")) == ["Old Mill Bakery"]
    assert "Old Mill Bakery" not in names(listed(api, world, "customers", active="true"))
    assert names(listed(api, world, "customers", q="100%")) == []  # % is itself, not a wildcard

    items = listed(api, world, "items", sku="dk-2")
    assert names(items) == ["Drill Kit"]
    (drill,) = items["items"]
    assert drill["record"]["sku"] == "DK-220" and drill["record"]["type"] == "service"
    assert drill["record"]["unit_price"] == "149.5"
    assert drill["record"]["income_account"] == "Services"
    assert names(listed(api, world, "items", q="dk-220")) == ["Drill Kit"]
    (vendor,) = listed(api, world, "vendors", q="acme")["items"]
    assert vendor["record_type"] == "vendor" and vendor["record"]["email"] == "ap@acme.example"

    # the lists the app has no records of come with the fields they are picked by
    accounts = listed(api, world, "accounts", name="services")
    assert accounts["items"] and accounts["items"][0]["record_type"] is None
    assert accounts["items"][0]["record"]["account_type"]
    for other in ("employees", "classes", "tax_codes", "tax_rates", "payment_methods", "terms"):
        assert "items" in listed(api, world, other)
    assert listed(api, world, "terms")["items"], "the company's terms are listed"
    assert listed(api, world, "payment_methods")["items"]


def test_linked_objects_say_which_app_record_and_the_unlinked_are_found(
    world: World, api: httpx.Client, person: Person
) -> None:
    made = their_company(person)
    put(world, "customer", "app-harbor", display_name="Harbor Dental", email="x@example.com")
    put(world, "customer", "app-new", display_name="Brand New Customer")
    assert refresh(api, world).status_code == 200
    link = api.post(
        f"/v1/connections/{world.connection_id}/records/customer/app-harbor/actions/link",
        json={"quickbooks_id": made["harbor"]["Id"]},
    )
    assert link.status_code == 200, link.text
    sync(world)  # app-new is created in QuickBooks by ledgerbridge: linked too
    assert refresh(api, world).status_code == 200

    linked = listed(api, world, "customers", linked="true")
    assert {e["name"]: e["linked_to"] for e in linked["items"]} == {
        "Harbor Dental": {"type": "customer", "id": "app-harbor"},
        "Brand New Customer": {"type": "customer", "id": "app-new"},
    }
    unlinked = listed(api, world, "customers", linked="false")
    assert names(unlinked) == ["Harbor Dental - Suite 4", "Old Mill Bakery"]
    assert all(entry["linked_to"] is None for entry in unlinked["items"])
    # the link is QuickBooks' own object: nothing was created for app-harbor
    assert sorted(c["DisplayName"] for c in world.entities("Customer")) == [
        "Brand New Customer",
        "Harbor Dental",
        "Harbor Dental - Suite 4",
        "Old Mill Bakery",
    ]


def test_a_refresh_brings_changes_made_in_quickbooks_since(
    world: World, api: httpx.Client, person: Person
) -> None:
    made = their_company(person)
    first = refresh(api, world).json()
    person.update("Customer", made["harbor"]["Id"], DisplayName="Harbor Dental Group")
    person.create("Vendor", DisplayName="Zephyr Parts")
    stale = listed(api, world, "customers", q="harbor dental group")
    assert stale["items"] == []  # not read yet: the answer says how old the list is
    assert stale["mirror"]["as_of"] == first["mirror"]["as_of"]

    again = refresh(api, world)
    assert again.status_code == 200 and again.json()["current"] is True
    assert again.json()["changed"] >= 2
    assert again.json()["mirror"]["as_of"] > first["mirror"]["as_of"]
    renamed = listed(api, world, "customers", q="harbor dental group")
    assert [e["quickbooks_id"] for e in renamed["items"]] == [made["harbor"]["Id"]]
    assert "Zephyr Parts" in names(listed(api, world, "vendors"))


def test_pages_follow_the_cursor_through_the_whole_list_once(
    world: World, api: httpx.Client, person: Person
) -> None:
    for n in range(7):
        person.create("Customer", DisplayName=f"Patron {n:02d}")
    assert refresh(api, world).status_code == 200
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = listed(api, world, "customers", limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [e["quickbooks_id"] for e in page["items"]]
        pages += 1
        assert page["mirror"]["as_of"] is not None
        cursor = page["next_cursor"]
        if cursor is None:
            break
    every = listed(api, world, "customers", limit=200)
    assert seen == [e["quickbooks_id"] for e in every["items"]]
    assert len(seen) == len(set(seen)) == len(every["items"])
    assert pages == -(-len(seen) // 3)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["a", "b"]').decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["\\u0000", 1]').decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"[" * 5000).decode()}, "cursor"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "Harbor\x00Dental"}, "q"),
        ({"name": "bad\x1b[31m"}, "name"),
        ({"email": "a@b", "limit": "5"}, None),  # fine on customers
        ({"sku": "DK"}, "sku"),  # customers have no SKU
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"active": "maybe"}, "active"),
        ({"linked": "\x00"}, "linked"),
    ],
)
def test_hostile_parameters_are_refused_naming_the_field(
    world: World, api: httpx.Client, params: dict[str, str], field: str | None
) -> None:
    answer = lists(api, world, "customers", **params)
    if field is None:
        assert answer.status_code == 200, answer.text
        return
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "input.invalid"
    assert field in problem_fields(answer), answer.text


def test_an_unknown_list_and_a_bad_wait_are_refused_naming_the_field(
    world: World, api: httpx.Client
) -> None:
    for name in ("invoices", "Customers", "customers%00", "x" * 5000):
        answer = lists(api, world, name)
        assert answer.status_code == 422, (name, answer.text)
        assert problem_fields(answer) == ["list"], answer.text
    by_get = lists(api, world, "refresh")  # a GET of the refresh is no list
    assert by_get.status_code == 405 and by_get.headers["Allow"] == "POST"
    for wait in ("-1", "61", "soon", "nan"):
        answer = refresh(api, world, wait=wait)
        assert answer.status_code == 422, (wait, answer.text)
        assert problem_fields(answer) == ["wait"]
    other = api.get("/v1/connections/con_nope/quickbooks/customers")
    assert other.status_code == 404


def test_a_company_that_cannot_be_read_gets_a_clear_answer_at_once(
    world: World, api: httpx.Client
) -> None:
    assert refresh(api, world).status_code == 200
    # QuickBooks asks the company to slow down: 429 with its wait, the lists as they were
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "GET"}, "times": 50, "action": {"status": 429}},
    )
    throttled = refresh(api, world)
    assert throttled.status_code == 429, throttled.text
    assert throttled.json()["error"]["code"] == "quickbooks.throttled"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert listed(api, world, "customers")["mirror"]["as_of"] is not None
    world.admin("DELETE", f"/companies/{world.realm_id}/faults")
    # the 429 is stored as the company's wait: a refresh during it is told so, reading nothing
    again = refresh(api, world)
    assert again.status_code == 429 and "makes this company wait until" in again.text
    with world.ledger.db.engine.begin() as connection:  # the wait over
        connection.execute(text("UPDATE connections SET wait_until = NULL"))

    # a connection never connected, and one QuickBooks disconnected
    fresh = api.post("/v1/connections", json={"name": "Unconnected", "environment": "emulator"})
    unconnected = api.post(f"/v1/connections/{fresh.json()['id']}/quickbooks/refresh")
    assert unconnected.status_code == 409
    assert unconnected.json()["error"]["code"] == "connection.not_connected"
    empty = api.get(f"/v1/connections/{fresh.json()['id']}/quickbooks/vendors").json()
    assert empty["items"] == [] and empty["mirror"]["as_of"] is None

    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "GET"}, "times": 50, "action": {"status": 403, "code": "3100"}},
    )
    gone = refresh(api, world)
    assert gone.status_code == 409, gone.text
    assert gone.json()["error"]["code"] == "connection.disconnected"
    world.admin("DELETE", f"/companies/{world.realm_id}/faults")


def test_a_refresh_answers_after_its_wait_while_quickbooks_is_slow_and_the_read_goes_on(
    world: World,
    api: httpx.Client,
    person: Person,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert refresh(api, world).status_code == 200
    person.create("Customer", DisplayName="Slow Lane Dairy")
    # QuickBooks' answer to the read is held until the first refresh has answered (a minute
    # at most), not slow for a fixed time that a busy machine might outlast
    held = HeldLatency()
    monkeypatch.setattr(emulator.emulator, "latency", held.wait)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "GET"}, "times": 1, "action": {"latency_ms": 60_000}},
    )
    try:
        waited = refresh(api, world, wait="0.2")
        assert waited.status_code == 202, waited.text
        assert waited.json()["current"] is False
        assert waited.json()["mirror"]["as_of"] is not None  # as current as the last read
    finally:
        held.release()
    done = refresh(api, world, wait="60")  # waits for the read under way, not a second one
    assert done.status_code == 200 and done.json()["current"] is True
    assert done.json()["mirror"]["as_of"] > waited.json()["mirror"]["as_of"]
    assert "Slow Lane Dairy" in names(listed(api, world, "customers", q="slow lane"))
