"""From QuickBooks to the app, `import` mode and the initial import: what people made in
QuickBooks is kept as imports the app acknowledges with its own ids; an acknowledged import is
adopted by the next push (linked, nothing created), read back from the emulator's export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.errors import Invalid, NotFound
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures._sales import (
    map_check,
    method_id,
    synced_invoice,
    their_payment,
)
from tests.ledgerbridge.engine.failures.conftest import Person, events, pull, put, sync, view
from tests.ledgerbridge.lock_waits import blocked_by

IMPORT_ALL = {f"from_quickbooks_{t}": "import" for t in ("customers", "vendors", "items")}


def waiting(world: World, record_type: str | None = None) -> list[dict[str, Any]]:
    page = world.service.quickbooks_imports(
        world.key_id, world.connection_id, record_type=record_type, limit=200
    )
    return list(page.items)


def acknowledge(
    world: World, record_type: str, qbo_id: str, app_id: str | None, **data: Any
) -> Any:
    return world.service.acknowledge_import(
        world.key_id, world.connection_id, record_type, qbo_id, app_id, data or None
    )


def count(world: World, entity: str) -> int:
    return len(world.entities(entity))


def test_what_people_make_in_quickbooks_is_kept_until_the_app_acknowledges_it(
    world: World, person: Person
) -> None:
    world.service.update_settings(world.key_id, world.connection_id, IMPORT_ALL)
    pull(world)
    gale = person.create(
        "Customer",
        {"DisplayName": "Gale Ortiz", "PrimaryEmailAddr": {"Address": "gale@example.com"}},
    )
    job = person.create(
        "Customer",
        # billed with its parent, as the app's jobs are (the app's records have no field for it)
        {
            "DisplayName": "Roof at Gale's",
            "ParentRef": {"value": gale["Id"]},
            "BillWithParent": True,
        },
    )
    (services,) = person.query("SELECT * FROM Account WHERE Name = 'Services'")
    item = person.create(
        "Item",
        {
            "Name": "Gutter Clean",
            "Type": "Service",
            "UnitPrice": 80,
            "IncomeAccountRef": {"value": services["Id"]},
        },
    )
    vendor = person.create("Vendor", {"DisplayName": "Rain Supply"})
    pull(world)

    told = [e for e in events(world) if e["type"] == "quickbooks.created"]
    assert {e["payload"]["quickbooks_id"] for e in told} >= {gale["Id"], item["Id"], vendor["Id"]}
    assert all(e["payload"]["import"] == "pending" for e in told)
    kept = {(e["type"], e["quickbooks_id"]) for e in waiting(world)}
    assert kept == {
        ("customer", gale["Id"]),
        ("customer", job["Id"]),
        ("item", item["Id"]),
        ("vendor", vendor["Id"]),
    }
    assert [e["quickbooks_id"] for e in waiting(world, "vendor")] == [vendor["Id"]]
    page = world.service.quickbooks_imports(world.key_id, world.connection_id, limit=1)
    assert page.waiting == {"customer": 2, "item": 1, "vendor": 1} and page.next_cursor

    # the job first: its parent is no app record yet
    with pytest.raises(Invalid) as refused:
        acknowledge(world, "customer", job["Id"], "j-roof")
    assert refused.value.problems[0].field == "parent_id"
    acknowledge(world, "customer", gale["Id"], "c-gale")
    acknowledge(world, "customer", job["Id"], "j-roof")
    acknowledge(world, "item", item["Id"], "i-gutter")
    acknowledge(world, "vendor", vendor["Id"], "v-rain")
    assert waiting(world) == []
    with pytest.raises(NotFound):
        acknowledge(world, "vendor", vendor["Id"], "v-other")

    before = {e: count(world, e) for e in ("Customer", "Item", "Vendor")}
    report = sync(world)
    assert report.created == 0 and report.linked == 4
    assert {e: count(world, e) for e in before} == before  # nothing made twice
    for record_type, app_id, made in (
        ("customer", "c-gale", gale),
        ("customer", "j-roof", job),
        ("item", "i-gutter", item),
        ("vendor", "v-rain", vendor),
    ):
        seen = view(world, record_type, app_id)
        assert (seen.status, seen.quickbooks_id) == ("synced", made["Id"]), (
            seen.data,
            seen.problem,
        )

    # edits then flow both ways: the app's to the same object, QuickBooks' told on the record
    put(
        world,
        "customer",
        "c-gale",
        display_name="Gale Ortiz",
        email="gale@example.com",
        phone="555-0101",
    )
    sync(world)
    (ours,) = [c for c in world.entities("Customer") if c["Id"] == gale["Id"]]
    assert ours["PrimaryPhone"]["FreeFormNumber"] == "555-0101"
    person.update("Vendor", vendor["Id"], DisplayName="Rain Supply Co")
    pull(world)
    pull(world)
    later = [e for e in events(world) if e["type"].startswith("quickbooks.")][len(told) :]
    assert later == []  # neither ledgerbridge's own write nor a linked object's change
    assert {e: count(world, e) for e in before} == before


def test_a_declined_import_leaves_and_nothing_is_stored(world: World, person: Person) -> None:
    world.service.update_settings(world.key_id, world.connection_id, IMPORT_ALL)
    pull(world)
    one = person.create("Vendor", {"DisplayName": "Gone Supply"})
    two = person.create("Vendor", {"DisplayName": "Unwanted Supply"})
    pull(world)
    assert len(waiting(world)) == 2
    person.update("Vendor", one["Id"], Active=False)
    pull(world)
    (inactive,) = [e for e in waiting(world) if e["quickbooks_id"] == one["Id"]]
    assert inactive["record"]["active"] is False  # the current copy, made inactive

    assert acknowledge(world, "vendor", two["Id"], None) is None  # declined
    assert [e["quickbooks_id"] for e in waiting(world)] == [one["Id"]]
    assert list(world.service.records(world.key_id, world.connection_id).items) == []


def test_a_payment_made_in_quickbooks_is_imported_with_the_apps_method(
    world: World, person: Person
) -> None:
    world.service.update_settings(
        world.key_id, world.connection_id, {"from_quickbooks_payments": "import"}
    )
    invoice = synced_invoice(world)
    map_check(world, person)
    pull(world)
    by_check = their_payment(person, invoice, 50, "2026-05-06", reference="1042")
    person.update("Payment", by_check["Id"], PaymentMethodRef={"value": method_id(person, "Check")})
    by_visa = their_payment(person, invoice, 30, "2026-05-07")
    person.update("Payment", by_visa["Id"], PaymentMethodRef={"value": method_id(person, "Visa")})
    pull(world)

    kept = {e["quickbooks_id"]: e for e in waiting(world, "payment")}
    assert set(kept) == {by_check["Id"], by_visa["Id"]}
    assert kept[by_visa["Id"]]["problem"]["code"] == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP
    # a method the app does not take is explained, and the payment is not the app's as it is
    with pytest.raises(Invalid) as refused:
        acknowledge(world, "payment", by_visa["Id"], "p-visa")
    assert refused.value.problems[0].code == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP

    person.delete("Payment", by_visa["Id"])  # deleted in QuickBooks: nothing to acknowledge
    pull(world)
    assert [e["quickbooks_id"] for e in waiting(world)] == [by_check["Id"]]

    acknowledge(world, "payment", by_check["Id"], "p-check")
    payments = count(world, "Payment")
    report = sync(world)
    assert report.created == 0
    assert count(world, "Payment") == payments
    seen = view(world, "payment", "p-check")
    assert (seen.status, seen.quickbooks_id) == ("synced", by_check["Id"])


def test_the_initial_import_pages_through_quickbooks_lists_with_its_progress(
    world: World, person: Person
) -> None:
    """A company with data before the app came: every customer, vendor and item no app
    record is linked to is kept for the app; the progress counts QuickBooks' own objects."""
    made = [person.create("Customer", {"DisplayName": f"Customer {n:02d}"}) for n in range(5)]
    person.create("Vendor", {"DisplayName": "Old Vendor"})
    person.create("Item", {"Name": "Old Category", "Type": "Category"})
    pull(world)
    # one the app holds already, linked by its first push
    put(
        world, "customer", "mine", display_name="Customer 00", link={"quickbooks_id": made[0]["Id"]}
    )
    sync(world)
    assert view(world, "customer", "mine").status == "synced"

    began, progress = world.service.start_import(world.key_id, world.connection_id)
    assert began and progress["state"] in ("running", "done")
    world.service.import_runs.wait(world.connection_id, 60)
    done = world.service.import_progress(world.key_id, world.connection_id)
    assert done["state"] == "done" and done["percent"] == 100
    export = world.export()["entities"]
    lists = done["lists"]
    for name, entity in (("customers", "Customer"), ("vendors", "Vendor"), ("items", "Item")):
        assert lists[name]["total"] == lists[name]["read"] == len(export.get(entity, []))
    assert lists["customers"]["imported"] == len(export["Customer"]) - 1  # "mine" is linked
    categories = [i for i in export["Item"] if i.get("Type") == "Category"]
    assert lists["items"]["imported"] == len(export["Item"]) - len(categories)
    assert done["waiting"]["customer"] == len(export["Customer"]) - 1

    # the app imports them, then adopts them, before its first push: nothing made twice
    for entry in waiting(world):
        app_id = f"{entry['type']}-{entry['quickbooks_id']}"
        acknowledge(world, entry["type"], entry["quickbooks_id"], app_id)
    customers, items = count(world, "Customer"), count(world, "Item")
    report = sync(world)
    assert report.created == 0
    assert (count(world, "Customer"), count(world, "Item")) == (customers, items)
    # a second import finds them linked: nothing left to acknowledge
    world.service.start_import(world.key_id, world.connection_id, ["customers"])
    world.service.import_runs.wait(world.connection_id, 60)
    again = world.service.import_progress(world.key_id, world.connection_id)
    assert again["lists"]["customers"]["imported"] == 0 and waiting(world) == []


def test_a_category_is_read_only_and_cannot_be_adopted(world: World, person: Person) -> None:
    category = person.create("Item", {"Name": "Plumbing", "Type": "Category"})
    pull(world)
    page = world.service.quickbooks_list(world.key_id, world.connection_id, "items", name="Plumb")
    (entry,) = page.items
    shown = entry.to_json()
    assert shown["read_only"] is True
    assert shown["restriction"]["code"] == catalog.ITEM_CATEGORY_READ_ONLY

    put(
        world,
        "item",
        "plumbing",
        name="Plumbing",
        income_account="Services",
        link={"quickbooks_id": category["Id"]},
    )
    sync(world)
    seen = view(world, "item", "plumbing")
    assert seen.problem is not None and seen.problem.code == catalog.ITEM_CATEGORY_READ_ONLY
    (after,) = [i for i in world.entities("Item") if i["Id"] == category["Id"]]
    assert after["Type"] == "Category" and after["SyncToken"] == category["SyncToken"]
    assert Decimal(0) == Decimal(str(after.get("UnitPrice", 0) or 0))


def test_an_import_the_app_links_another_way_is_no_longer_waiting(
    world: World, person: Person
) -> None:
    world.service.update_settings(world.key_id, world.connection_id, IMPORT_ALL)
    pull(world)
    made = person.create(
        "Vendor", {"DisplayName": "Rain Supply", "PrimaryEmailAddr": {"Address": "r@ex.com"}}
    )
    pull(world)
    assert [e["quickbooks_id"] for e in waiting(world)] == [made["Id"]]
    # the app sends its vendor naming the object itself (or the same email finds it)
    put(world, "vendor", "v-rain", display_name="Rain Supply", email="r@ex.com")
    sync(world)
    assert view(world, "vendor", "v-rain").quickbooks_id == made["Id"]
    assert waiting(world) == []
    page = world.service.quickbooks_imports(world.key_id, world.connection_id)
    assert page.waiting == {}
    with pytest.raises(NotFound):
        acknowledge(world, "vendor", made["Id"], "v-other")
    assert count(world, "Vendor") == 1


@pytest.mark.in_process("moves the engine's clock past QuickBooks' throttle")
def test_an_initial_import_throttled_by_quickbooks_stops_and_resumes(
    world: World, person: Person
) -> None:
    """Reads count against the company's limits like every call: over them, the import stops
    saying so, and started again it goes on from where it stopped, reading nothing twice."""
    for n in range(4):
        person.create("Vendor", {"DisplayName": f"Vendor {n}"})
    pull(world)
    world.admin("PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": 2}})
    world.service.start_import(world.key_id, world.connection_id, ["customers", "vendors"])
    world.service.import_runs.wait(world.connection_id, 60)
    stopped = world.service.import_progress(world.key_id, world.connection_id)
    assert (stopped["state"], stopped["reason"]) == ("stopped", "throttled")
    assert stopped["retry_after"] is not None and stopped["percent"] < 100

    world.admin(
        "PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": None}}
    )
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=2)
    world.service.start_import(world.key_id, world.connection_id, ["customers", "vendors"])
    world.service.import_runs.wait(world.connection_id, 60)
    done = world.service.import_progress(world.key_id, world.connection_id)
    assert done["state"] == "done" and done["resumed"] is True
    export = world.export()["entities"]
    assert done["lists"]["vendors"]["read"] == len(export["Vendor"]) == 4
    assert done["lists"]["customers"]["read"] == len(export.get("Customer", []))
    assert sorted(e["record"]["display_name"] for e in waiting(world, "vendor")) == [
        f"Vendor {n}" for n in range(4)
    ]


def test_an_initial_import_ends_when_the_process_stops_and_resumes_after(
    world: World, person: Person
) -> None:
    """`ledgerbridge serve` stopping (`Service.close`): the import stops between two reads,
    shown interrupted, and the next start goes on from its counts."""
    for n in range(3):
        person.create("Vendor", {"DisplayName": f"Vendor {n}"})
    pull(world)
    world.ledger.stopping.set()
    try:
        world.service.start_import(world.key_id, world.connection_id, ["vendors"])
        world.service.import_runs.wait(world.connection_id, 60)
    finally:
        world.ledger.stopping.clear()  # the process started again
    stopped = world.service.import_progress(world.key_id, world.connection_id)
    assert (stopped["state"], stopped["reason"]) == ("stopped", "interrupted")
    assert waiting(world, "vendor") == []
    world.service.start_import(world.key_id, world.connection_id, ["vendors"])
    world.service.import_runs.wait(world.connection_id, 60)
    done = world.service.import_progress(world.key_id, world.connection_id)
    assert done["state"] == "done" and done["lists"]["vendors"]["read"] == 3


def test_an_acknowledged_import_edited_in_quickbooks_before_its_push_is_not_listed_again(
    world: World, person: Person
) -> None:
    """Acknowledged, the object waits for the push that links it (held here: vendors are not
    pushed on arrival). An edit in QuickBooks meanwhile, or another initial import, must not
    offer it to the app again: a second acknowledgement would make a second app record of the
    same QuickBooks vendor."""
    settings = {**IMPORT_ALL, "auto_push": ["customer", "item", "invoice", "payment"]}
    world.service.update_settings(world.key_id, world.connection_id, settings)
    pull(world)
    made = person.create("Vendor", {"DisplayName": "Rain Supply"})
    pull(world)
    acknowledge(world, "vendor", made["Id"], "v-rain")
    assert waiting(world) == []
    assert view(world, "vendor", "v-rain").quickbooks_id is None  # not linked yet

    person.update("Vendor", made["Id"], DisplayName="Rain Supply Co")
    pull(world)
    assert waiting(world) == []
    (updated,) = [e for e in events(world) if e["type"] == "quickbooks.updated"]
    assert "import" not in updated["payload"]
    page = world.service.quickbooks_imports(world.key_id, world.connection_id)
    assert page.waiting == {}

    world.service.start_import(world.key_id, world.connection_id, ["vendors"])
    world.service.import_runs.wait(world.connection_id, 60)
    done = world.service.import_progress(world.key_id, world.connection_id)
    assert done["state"] == "done" and done["lists"]["vendors"]["imported"] == 0
    assert waiting(world) == [] and done["waiting"] == {}
    with pytest.raises(NotFound):
        acknowledge(world, "vendor", made["Id"], "v-rain-again")


@pytest.mark.in_process("makes the import's own database write fail in this process")
def test_an_initial_import_that_fails_unexpectedly_says_stopped_not_running(
    world: World, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database going away mid-import (or any fault but QuickBooks'): the progress must not
    say "running" for ever with nothing running."""
    from sqlalchemy.exc import OperationalError

    from ledgerbridge.engine import initial_import

    person.create("Vendor", {"DisplayName": "Old Vendor"})
    pull(world)

    def lost(*args: Any, **kwargs: Any) -> int:
        raise OperationalError("INSERT ...", None, Exception("server closed the connection"))

    monkeypatch.setattr(initial_import, "_keep", lost)
    began, _ = world.service.start_import(world.key_id, world.connection_id, ["vendors"])
    assert began
    world.service.import_runs.wait(world.connection_id, 60)
    assert not world.service.import_runs.busy(world.connection_id)
    stopped = world.service.import_progress(world.key_id, world.connection_id)
    assert (stopped["state"], stopped["reason"]) == ("stopped", "error")
    assert stopped["finished_at"] is not None

    monkeypatch.undo()
    world.service.start_import(world.key_id, world.connection_id, ["vendors"])
    world.service.import_runs.wait(world.connection_id, 60)
    done = world.service.import_progress(world.key_id, world.connection_id)
    assert done["state"] == "done" and [e["record"]["display_name"] for e in waiting(world)] == [
        "Old Vendor"
    ]


def test_an_initial_import_running_in_another_process_is_not_started_twice(
    world: World, person: Person
) -> None:
    """Several API processes: one runs the import (its progress moving, stored), a start in
    another process must answer started false, not read the whole lists again beside it; a run
    whose process died (its progress still, for longer than `initial_import.STALE`) is shown
    stopped, interrupted, and goes on where it stopped when started again."""
    from ledgerbridge.engine import initial_import

    person.create("Vendor", {"DisplayName": "Old Vendor"})
    pull(world)
    # another process's run, as it stores its progress after its first page
    progress = initial_import.started(world.ledger, world.connection_id, ["vendors"])
    progress["lists"]["vendors"].update(total=1, read=0, imported=0)
    initial_import.beat(world.ledger, world.connection_id, progress)

    began, shown = world.service.start_import(world.key_id, world.connection_id, ["vendors"])
    assert not began and shown["state"] == "running"
    assert not world.service.import_runs.busy(world.connection_id)

    base = world.ledger.clock
    world.ledger.clock = lambda: base() + initial_import.STALE + timedelta(minutes=1)
    dead = world.service.import_progress(world.key_id, world.connection_id)
    assert (dead["state"], dead["reason"]) == ("stopped", "interrupted")
    began, _ = world.service.start_import(world.key_id, world.connection_id, ["vendors"])
    assert began
    world.service.import_runs.wait(world.connection_id, 60)
    done = world.service.import_progress(world.key_id, world.connection_id)
    assert done["state"] == "done" and done["resumed"] is True
    assert [e["record"]["display_name"] for e in waiting(world)] == ["Old Vendor"]


def test_two_acknowledgements_of_one_import_at_once_make_one_app_record(
    world: World, person: Person
) -> None:
    """Two requests (two API processes) acknowledge the same import with two app ids at the
    same moment: the second must find it gone, not store a second app record waiting to
    adopt the same QuickBooks vendor."""
    import threading

    from ledgerbridge.storage.imports import Imports

    world.service.update_settings(world.key_id, world.connection_id, IMPORT_ALL)
    pull(world)
    made = person.create("Vendor", {"DisplayName": "Rain Supply"})
    pull(world)
    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            acknowledge(world, "vendor", made["Id"], "v-rain-2")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with world.ledger.db.session() as session:  # the first acknowledgement, under way
        imports = Imports(session, world.connection_id, clock=world.ledger.clock)
        assert imports.get("Vendor", made["Id"], lock=True) is not None
        imports.drop("Vendor", made["Id"])
        other = threading.Thread(target=second)
        other.start()
        # the second reaches the import while the first is not committed
        blocked_by(world.ledger.db, session, other)
    other.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], NotFound), outcome
    with pytest.raises(NotFound):
        view(world, "vendor", "v-rain-2")
