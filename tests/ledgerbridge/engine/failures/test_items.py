"""Items, accounts, classes and tax: each failure provoked in the emulator, then resolved.

The final state is always read back from the emulator (its export, or a person's query), not
from what the engine says it did.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ledgerbridge.engine.actions import remote
from ledgerbridge.engine.errors import Refused
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World, connect
from tests.ledgerbridge.engine.failures._sales import (
    account_id,
    amount,
    invoice_in_quickbooks,
    line_items,
    one,
    quickbooks_id,
    synced_item,
)
from tests.ledgerbridge.engine.failures.conftest import (
    Person,
    act,
    events,
    pull,
    put,
    sync,
    view,
)

INVOICE = {
    "customer_id": "ann",
    "date": "2026-05-04",
    "lines": [{"item_id": "gutters", "quantity": "1", "unit_price": "180.00"}],
}


def invoice_for_gutters(world: World) -> None:
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "invoice", "inv-1", **INVOICE)


# --- item.not_matched -----------------------------------------------------------------------


@pytest.mark.failure_mode("item.not_matched")
def test_an_invoice_item_missing_from_quickbooks_is_created_by_the_item_sync_first(
    world: World,
) -> None:
    """The app invoices "Gutter Cleaning", an item QuickBooks has never heard of (no link, no
    SKU or name match). The invoice is not refused: the item goes to QuickBooks first through
    the item sync, then the invoice, which names it."""
    pull(world)
    invoice_for_gutters(world)
    put(world, "item", "gutters", name="Gutter Cleaning", income_account="Services")

    plan = world.service.plan(world.key_id, world.connection_id)
    steps = {(r["type"], r["id"]): r["step"] for r in plan["records"]}
    assert steps[("item", "gutters")] == "create"
    assert steps[("invoice", "inv-1")] == "create"  # not refused: the item goes first

    report = sync(world)

    assert report.failed == 0 and report.created == 3, report
    item = one(world.entities("Item"), Name="Gutter Cleaning")
    assert line_items(invoice_in_quickbooks(world, "inv-1")) == [item["Id"]]
    assert view(world, "item", "gutters").quickbooks_id == item["Id"]


@pytest.mark.failure_mode("item.not_matched")
def test_an_invoice_item_already_in_quickbooks_is_linked_by_sku_or_name(
    world: World, person: Person
) -> None:
    """QuickBooks already sells two of the app's items: one under another name but the same
    SKU, one under the same name without a SKU. Both are linked, never created again, and the
    invoice uses QuickBooks' own items."""
    services = account_id(person, "Services")
    by_sku = person.create(
        "Item",
        {
            "Name": "Gutters (2 story)",
            "Sku": "GUT-2",
            "Type": "Service",
            "IncomeAccountRef": {"value": services},
        },
    )
    by_name = person.create(
        "Item", {"Name": "Trip Charge", "Type": "Service", "IncomeAccountRef": {"value": services}}
    )
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "item", "gutters", name="Gutter Cleaning", sku="GUT-2", income_account="Services")
    put(world, "item", "trip", name="Trip Charge", income_account="Services")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-04",
        lines=[
            {"item_id": "gutters", "quantity": "1", "unit_price": "180.00"},
            {"item_id": "trip", "quantity": "1", "unit_price": "45.00"},
        ],
    )

    report = sync(world)

    assert report.failed == 0 and report.linked == 2, report
    assert len(world.entities("Item")) == 2  # nothing created twice
    assert quickbooks_id(world, "item", "gutters") == by_sku["Id"]
    assert quickbooks_id(world, "item", "trip") == by_name["Id"]
    assert line_items(invoice_in_quickbooks(world, "inv-1")) == [by_sku["Id"], by_name["Id"]]


def _gutters_labor(person: Person) -> dict[str, Any]:
    """QuickBooks' own item for the app's "Gutter Cleaning", under a name and no SKU in common
    (nothing matches it to the app's item): its object."""
    return person.create(
        "Item",
        {
            "Name": "Gutters - labor",
            "Type": "Service",
            "IncomeAccountRef": {"value": account_id(person, "Services")},
        },
    )


@pytest.mark.failure_mode("item.not_matched")
@pytest.mark.in_process("the person links before the first sync: workers would sync it at once")
def test_an_item_kept_under_another_name_in_quickbooks_is_linked_by_a_person(
    world: World, person: Person
) -> None:
    """QuickBooks has the item as "Gutters - labor": no SKU, no name in common, so the engine
    would add "Gutter Cleaning". Before the first sync, the office clicks Link on the item and
    picks QuickBooks' one; the invoice then uses it and no duplicate item appears."""
    theirs = _gutters_labor(person)
    pull(world)
    invoice_for_gutters(world)
    put(world, "item", "gutters", name="Gutter Cleaning", income_account="Services")
    assert "link" in view(world, "item", "gutters").actions

    done = act(world, "item", "gutters", "link", quickbooks_id=theirs["Id"])
    assert done.record.status == "synced"
    assert any(
        e["payload"].get("how") == "linked_by_person" for e in events(world, "record.synced")
    )

    report = sync(world)

    assert report.failed == 0, report
    assert [i["Name"] for i in world.entities("Item")] == ["Gutters - labor"]
    assert line_items(invoice_in_quickbooks(world, "inv-1")) == [theirs["Id"]]


@pytest.mark.failure_mode("item.not_matched")
@pytest.mark.in_process("a pass's write is played in this process while the person links")
@pytest.mark.parametrize("meanwhile", ["writing", "linked"])
def test_a_link_is_refused_when_a_sync_took_the_record_since_the_person_looked(
    world: World, person: Person, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    """The person opened the item and clicked Link while a sync pass was about to create it:
    the pass stored its write's requestid (or had already created and linked it) while Link
    read QuickBooks' object. Stored anyway, the link would leave the pass's "Gutter Cleaning"
    in QuickBooks beside "Gutters - labor"; Link is refused, and the record keeps what the
    pass did."""
    theirs = _gutters_labor(person)
    pull(world)
    put(world, "item", "gutters", name="Gutter Cleaning", income_account="Services")
    assert "link" in view(world, "item", "gutters").actions
    read = remote._read

    def pass_meanwhile(client: Any, entity: str, qbo_id: str) -> dict[str, Any]:
        found = read(client, entity, qbo_id)
        with world.ledger.db.session() as session:
            if meanwhile == "writing":
                SyncStates(session).start_write(
                    world.connection_id, "item", "gutters", "rid-1", "create", {"Name": "x"}
                )
            else:
                Links(session).put(
                    world.connection_id,
                    "item",
                    "gutters",
                    entity="Item",
                    qbo_id="999",
                    sync_token="0",
                    doc_number=None,
                    pushed=None,
                )
        return found

    monkeypatch.setattr(remote, "_read", pass_meanwhile)
    with pytest.raises(Refused, match="meanwhile"):
        act(world, "item", "gutters", "link", quickbooks_id=theirs["Id"])
    with world.ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(world.connection_id, "item", "gutters")
        link = Links(session).get(world.connection_id, "item", "gutters")
    assert state is not None and state.status != "synced"
    if meanwhile == "writing":
        assert state.pending_request_id == "rid-1" and link is None
    else:
        assert link is not None and link.qbo_id == "999"


# --- item.exists_in_quickbooks -----------------------------------------------------------------


def quickbooks_item(person: Person, name: str, sku: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "Name": name,
        "Type": "Service",
        "IncomeAccountRef": {"value": account_id(person, "Services")},
    }
    if sku:
        body["Sku"] = sku
    return person.create("Item", body)


@pytest.mark.failure_mode("item.exists_in_quickbooks")
def test_an_item_with_the_same_name_and_sku_is_linked_automatically(
    world: World, person: Person
) -> None:
    """Someone already keyed "Gutter Cleaning" into QuickBooks with the app's SKU: the same
    item. It is linked without asking anyone."""
    theirs = quickbooks_item(person, "Gutter Cleaning", "GUT-1")
    pull(world)
    put(world, "item", "gutters", name="Gutter Cleaning", sku="GUT-1", income_account="Services")

    report = sync(world)

    assert report.linked == 1 and report.created == 0, report
    assert view(world, "item", "gutters").status == "synced"
    assert quickbooks_id(world, "item", "gutters") == theirs["Id"]
    assert len(world.entities("Item")) == 1


@pytest.mark.failure_mode("item.exists_in_quickbooks")
def test_an_item_with_the_same_name_and_another_sku_is_differentiated(
    world: World, person: Person
) -> None:
    """QuickBooks' "Gutter Cleaning" carries another SKU: maybe another item. The office is
    asked; it clicks Differentiate, and the app's item goes in as "Gutter Cleaning - 2". The
    app is told the name it has in QuickBooks."""
    theirs = quickbooks_item(person, "Gutter Cleaning", "OLD-7")
    pull(world)
    put(world, "item", "gutters", name="Gutter Cleaning", sku="GUT-1", income_account="Services")
    sync(world)

    seen = view(world, "item", "gutters")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.exists_in_quickbooks"
    assert {"link", "differentiate"} <= set(seen.actions)
    assert len(world.entities("Item")) == 1

    done = act(world, "item", "gutters", "differentiate")
    assert done.detail["value"] == "Gutter Cleaning - 2"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "name"
    assert told["payload"]["quickbooks_value"] == "Gutter Cleaning - 2"
    sync(world)

    items = {i["Name"]: i for i in world.entities("Item")}
    assert set(items) == {"Gutter Cleaning", "Gutter Cleaning - 2"}
    assert items["Gutter Cleaning"]["Id"] == theirs["Id"]
    assert items["Gutter Cleaning - 2"]["Sku"] == "GUT-1"
    assert view(world, "item", "gutters").status == "synced"


@pytest.mark.failure_mode("item.exists_in_quickbooks")
def test_an_item_with_the_same_name_and_no_sku_in_quickbooks_is_linked_on_request(
    world: World, person: Person
) -> None:
    """QuickBooks' "Gutter Cleaning" has no SKU at all; the office knows it is the same item
    and clicks Link: linked to the one the problem names, nothing created."""
    theirs = quickbooks_item(person, "Gutter Cleaning", None)
    pull(world)
    put(world, "item", "gutters", name="Gutter Cleaning", sku="GUT-1", income_account="Services")
    sync(world)
    problem = view(world, "item", "gutters").problem
    assert problem is not None and problem.code == "item.exists_in_quickbooks"

    act(world, "item", "gutters", "link", quickbooks_id=theirs["Id"])
    sync(world)

    assert [i["Id"] for i in world.entities("Item")] == [theirs["Id"]]
    assert view(world, "item", "gutters").status == "synced"
    assert quickbooks_id(world, "item", "gutters") == theirs["Id"]


# --- item.inactive_in_quickbooks ---------------------------------------------------------------


def make_inactive(person: Person, entity: str, qbo_id: str) -> None:
    """In QuickBooks: the item (or class, customer...) is made inactive."""
    current = person.read(entity, qbo_id)
    name_field = "Name" if entity in ("Item", "Class") else "DisplayName"
    person.update(entity, qbo_id, Active=False, **{name_field: current[name_field]})


@pytest.mark.failure_mode("item.inactive_in_quickbooks")
@pytest.mark.parametrize("pulled", [True, False], ids=["seen_on_pull", "refused_by_quickbooks"])
def test_an_invoice_using_an_item_made_inactive_in_quickbooks_reactivates_it(
    world: World, person: Person, pulled: bool
) -> None:
    """The item is in QuickBooks; a bookkeeper makes it inactive there. The next invoice that
    uses it stops (before the call when the change was pulled, from QuickBooks' refusal when
    not) and offers Reactivate; once clicked, the item is active again in QuickBooks and the
    invoice goes through by itself."""
    pull(world)
    item_id = synced_item(world)
    make_inactive(person, "Item", item_id)
    if pulled:
        pull(world)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-04",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "100.00"}],
    )
    sync(world)

    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.inactive_in_quickbooks"
    assert "reactivate" in seen.actions
    assert world.entities("Invoice") == []

    act(world, "invoice", "inv-1", "reactivate")
    assert person.read("Item", item_id)["Active"] is True
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    assert line_items(invoice_in_quickbooks(world, "inv-1")) == [item_id]


@pytest.mark.failure_mode("item.inactive_in_quickbooks")
def test_an_item_made_inactive_in_quickbooks_is_seen_on_pull_and_reactivated(
    world: World, person: Person
) -> None:
    """Pulling changes shows the item itself as inactive in QuickBooks (the app still has it
    active); Reactivate makes it active in QuickBooks again and the item is synced."""
    pull(world)
    item_id = synced_item(world)
    make_inactive(person, "Item", item_id)
    pull(world)

    seen = view(world, "item", "svc")
    assert seen.problem is not None and seen.problem.code == "item.inactive_in_quickbooks"
    assert {"reactivate", "accept_quickbooks"} <= set(seen.actions)

    act(world, "item", "svc", "reactivate")
    sync(world)

    assert one(world.entities("Item"), Id=item_id)["Active"] is True
    assert view(world, "item", "svc").status == "synced"


@pytest.mark.failure_mode("item.inactive_in_quickbooks")
def test_an_item_left_inactive_in_quickbooks_tells_the_app(world: World, person: Person) -> None:
    """The office decides the item should stay inactive: Keep QuickBooks' version. The app is
    told (the item is inactive), and later syncs leave QuickBooks' item inactive."""
    pull(world)
    item_id = synced_item(world)
    make_inactive(person, "Item", item_id)
    pull(world)
    assert view(world, "item", "svc").status == "error"

    act(world, "item", "svc", "accept_quickbooks")
    sync(world)

    told = events(world, "record.overridden")
    assert [(e["payload"]["field"], e["payload"]["quickbooks_value"]) for e in told] == [
        ("active", False)
    ]
    assert view(world, "item", "svc").status == "synced"
    assert one(world.entities("Item"), Id=item_id)["Active"] is False


# --- item.account_mismatch -------------------------------------------------------------------


def move_item_account(person: Person, item_id: str, account: str) -> None:
    """In QuickBooks: the bookkeeper books the item's sales to another income account."""
    current = person.read("Item", item_id)
    person.update(
        "Item",
        item_id,
        Name=current["Name"],
        IncomeAccountRef={"value": account_id(person, account)},
    )


def mismatched_item(world: World, person: Person) -> str:
    pull(world)
    item_id = synced_item(world)
    move_item_account(person, item_id, "Sales of Product Income")
    pull(world)
    seen = view(world, "item", "svc")
    assert seen.problem is not None and seen.problem.code == "item.account_mismatch", seen
    assert {"accept_quickbooks", "align_account"} <= set(seen.actions)
    assert seen.problem.params["quickbooks_account_id"] == account_id(
        person, "Sales of Product Income"
    )
    return item_id


@pytest.mark.failure_mode("item.account_mismatch")
def test_an_item_account_changed_in_quickbooks_is_taken_over(world: World, person: Person) -> None:
    """A bookkeeper moves the item to "Sales of Product Income" in QuickBooks. After the pull
    the item shows the mismatch; Keep QuickBooks' version takes their account: the app is
    told, and the next sync does not put the old account back."""
    item_id = mismatched_item(world, person)

    act(world, "item", "svc", "accept_quickbooks")
    sync(world)

    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "income_account"
    assert told["payload"]["quickbooks_value"] == "Sales of Product Income"
    item = one(world.entities("Item"), Id=item_id)
    assert item["IncomeAccountRef"]["value"] == account_id(person, "Sales of Product Income")
    assert view(world, "item", "svc").status == "synced"


@pytest.mark.failure_mode("item.account_mismatch")
@pytest.mark.parametrize("direction", ["push", "take"])
def test_an_item_account_changed_in_quickbooks_is_aligned(
    world: World, person: Person, direction: str
) -> None:
    """Align account, either way: ``push`` sends the app's account ("Services") to QuickBooks
    again; ``take`` keeps QuickBooks' ("Sales of Product Income")."""
    item_id = mismatched_item(world, person)

    act(world, "item", "svc", "align_account", direction=direction)
    sync(world)

    wanted = "Services" if direction == "push" else "Sales of Product Income"
    item = one(world.entities("Item"), Id=item_id)
    assert item["IncomeAccountRef"]["value"] == account_id(person, wanted)
    assert view(world, "item", "svc").status == "synced"
    # a second sync changes nothing more
    sync(world)
    assert one(world.entities("Item"), Id=item_id)["SyncToken"] == item["SyncToken"]


@pytest.mark.failure_mode("item.account_mismatch")
def test_an_item_account_quickbooks_refuses_is_explained_and_remapped(
    world: World, person: Person
) -> None:
    """The app books an item's sales to "Accounts Receivable (A/R)", which QuickBooks refuses
    for an item (6430). The item shows the account mismatch; neither account action can work
    yet (there is no QuickBooks item to align), and each says why. Mapping the app's account to
    "Services" and retrying creates the item."""
    pull(world)
    put(world, "item", "svc", name="Service Call", income_account="Accounts Receivable (A/R)")
    sync(world)

    seen = view(world, "item", "svc")
    assert seen.problem is not None and seen.problem.code == "item.account_mismatch"
    assert world.entities("Item") == []
    with pytest.raises(Refused, match="refresh first"):
        act(world, "item", "svc", "accept_quickbooks")
    with pytest.raises(Refused, match="not linked"):
        act(world, "item", "svc", "align_account")

    services = account_id(person, "Services")
    world.service.set_mappings(
        world.key_id, world.connection_id, {"accounts": {"Accounts Receivable (A/R)": services}}
    )
    act(world, "item", "svc", "retry")
    sync(world)

    item = one(world.entities("Item"), Name="Service Call")
    assert item["IncomeAccountRef"]["value"] == services
    assert view(world, "item", "svc").status == "synced"


# --- item.account_missing --------------------------------------------------------------------


@pytest.mark.failure_mode("item.account_missing")
def test_an_item_naming_an_account_quickbooks_lacks_waits_for_a_mapping(
    world: World, person: Person
) -> None:
    """The app books lawn care to "Lawn Care Income", which the chart of accounts does not
    have. Nothing is sent; the problem points to the account mapping. Once "Lawn Care Income"
    is mapped to "Services", Retry sends the item with that account."""
    pull(world)
    put(world, "item", "mow", name="Mowing", income_account="Lawn Care Income")
    sync(world)

    seen = view(world, "item", "mow")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.account_missing"
    assert seen.problem.field == "income_account"
    assert "mapping" in " ".join(seen.problem.fix)
    assert "retry" in seen.actions
    assert world.entities("Item") == []

    services = account_id(person, "Services")
    world.service.set_mappings(
        world.key_id, world.connection_id, {"accounts": {"Lawn Care Income": services}}
    )
    act(world, "item", "mow", "retry")
    sync(world)

    item = one(world.entities("Item"), Name="Mowing")
    assert item["IncomeAccountRef"]["value"] == services
    assert view(world, "item", "mow").status == "synced"


@pytest.mark.failure_mode("item.account_missing")
def test_an_item_naming_an_account_made_inactive_in_quickbooks_is_stopped(
    world: World, person: Person
) -> None:
    """The account "Billable Expense Income" exists but was made inactive in QuickBooks: an
    item booked there is stopped before the call, naming the account."""
    billable = account_id(person, "Billable Expense Income")
    current = person.read("Account", billable)
    person.update("Account", billable, Active=False, Name=current["Name"])
    pull(world)
    put(world, "item", "fee", name="Permit Fee", income_account="Billable Expense Income")
    sync(world)

    problem = view(world, "item", "fee").problem
    assert problem is not None and problem.code == "item.account_missing"
    assert "Billable Expense Income" in problem.meaning
    assert world.entities("Item") == []


# --- item.bundle_read_only -------------------------------------------------------------------


@pytest.mark.failure_mode("item.bundle_read_only")
def test_a_bundle_from_the_app_is_never_sent(world: World) -> None:
    """The app sends a bundle. QuickBooks refuses bundles from other programs, so nothing is
    sent: the item is read-only with a clear reason, and Keep QuickBooks' version sets it
    aside (bypassed) so that it stops showing as a failure."""
    pull(world)
    put(world, "item", "kit", name="Spring Tune-up Kit", type="bundle")
    sync(world)

    seen = view(world, "item", "kit")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.bundle_read_only"
    assert "bundle" in seen.problem.meaning
    assert "accept_quickbooks" in seen.actions
    assert world.entities("Item") == []

    act(world, "item", "kit", "accept_quickbooks")
    sync(world)

    assert view(world, "item", "kit").status == "bypassed"
    assert world.entities("Item") == []
    assert [e["payload"]["code"] for e in events(world, "record.quickbooks_accepted")] == [
        "item.bundle_read_only"
    ]


@pytest.mark.failure_mode("item.bundle_read_only")
def test_edits_to_a_bundle_pulled_from_quickbooks_are_refused(world: World) -> None:
    """A company that already sells a bundle made in QuickBooks. The app's item of that name
    links to it; when the app later changes the item, the change is refused with a clear
    reason, Keep QuickBooks' version drops it, and the bundle in QuickBooks stays as it was."""
    realm = httpx.post(
        f"{world.emulator.url}/_emulator/companies",
        json={"name": "Bundle Co", "preset": "demo"},
        timeout=120,
    ).json()["realm_id"]
    demo = demo_world(world, realm)
    pull(demo)
    (bundle,) = [i for i in demo.entities("Item") if i["Type"] == "Group"]
    put(demo, "item", "kit", name=bundle["Name"], type="service")
    sync(demo)
    assert quickbooks_id(demo, "item", "kit") == bundle["Id"]
    assert view(demo, "item", "kit").status == "synced"

    put(demo, "item", "kit", name=bundle["Name"], type="service", unit_price="99.00")
    sync(demo)

    seen = view(demo, "item", "kit")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.bundle_read_only"
    assert "QuickBooks itself" in " ".join(seen.problem.fix)

    act(demo, "item", "kit", "accept_quickbooks")  # drop the app's change
    sync(demo)

    assert view(demo, "item", "kit").status == "bypassed"
    after = one(demo.entities("Item"), Id=bundle["Id"])
    assert after["SyncToken"] == bundle["SyncToken"] and after["Type"] == "Group"


def demo_world(world: World, realm: str) -> World:
    """A second connection of the same app and key, to another QuickBooks company."""
    connection = world.service.create_connection(world.key_id, "Demo", "emulator")
    connect(world.service, world.key_id, connection.id, realm)
    return World(
        world.emulator,
        world.ledger,
        world.service,
        world.key_id,
        connection.id,
        realm,
        world.workers,  # the same worker processes (the scale-out shape) work it
    )


# --- item.type_change_not_allowed -------------------------------------------------------------

WATER_HEATER = {
    "name": "50 Gal Water Heater",
    "type": "inventory",
    "unit_price": "1200.00",
    "income_account": "Sales of Product Income",
    "expense_account": "Cost of Goods Sold",
    "asset_account": "Inventory Asset",
    "quantity_on_hand": "5",
    "inventory_start_date": "2026-01-01",
}


@pytest.mark.failure_mode("item.type_change_not_allowed")
def test_an_inventory_item_cannot_become_non_inventory(world: World) -> None:
    """The water heater is a stocked item in QuickBooks. The app changes it to a non-stocked
    one: refused before the call with the reason; it can only be fixed in the app. Changing it
    back syncs, and QuickBooks' item stayed an inventory item throughout."""
    pull(world)
    item_id = synced_item(world, "wh", **WATER_HEATER)
    put(world, "item", "wh", **{**WATER_HEATER, "type": "non_inventory"})
    sync(world)

    seen = view(world, "item", "wh")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.type_change_not_allowed"
    assert "edit_in_app" in seen.problem.actions
    with pytest.raises(Refused, match="fixed in the app"):
        act(world, "item", "wh", "edit_in_app")
    assert one(world.entities("Item"), Id=item_id)["Type"] == "Inventory"

    put(world, "item", "wh", **{**WATER_HEATER, "unit_price": "1250.00"})
    sync(world)

    item = one(world.entities("Item"), Id=item_id)
    assert item["Type"] == "Inventory"
    assert amount(item["UnitPrice"]) == 1250
    assert view(world, "item", "wh").status == "synced"


# --- item.inventory_start_date ---------------------------------------------------------------


def invoice_before_stock_start(world: World) -> str:
    pull(world)
    item_id = synced_item(world, "wh", **{**WATER_HEATER, "inventory_start_date": "2026-06-01"})
    put(world, "customer", "ann", display_name="Ann Lee")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-15",
        lines=[{"item_id": "wh", "quantity": "1", "unit_price": "1200.00"}],
    )
    sync(world)
    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "item.inventory_start_date"
    assert seen.problem.params["start_date"] == "2026-06-01"
    assert "retry" in seen.actions and "edit_in_app" in seen.problem.actions
    assert world.entities("Invoice") == []
    return item_id


@pytest.mark.failure_mode("item.inventory_start_date")
def test_an_invoice_before_the_stock_start_date_goes_once_the_date_moves_in_quickbooks(
    world: World, person: Person
) -> None:
    """The invoice is dated 15 May, the water heater's stock starts 1 June in QuickBooks. The
    bookkeeper moves the item's start date back in QuickBooks; once that is pulled, Retry sends
    the invoice."""
    item_id = invoice_before_stock_start(world)
    current = person.read("Item", item_id)
    person.update("Item", item_id, Name=current["Name"], InvStartDate="2026-05-01")

    pull(world)
    act(world, "invoice", "inv-1", "retry")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    invoice = invoice_in_quickbooks(world, "inv-1")
    assert invoice["TxnDate"] == "2026-05-15"
    assert line_items(invoice) == [item_id]


@pytest.mark.failure_mode("item.inventory_start_date")
def test_an_invoice_before_the_stock_start_date_goes_once_redated_in_the_app(
    world: World,
) -> None:
    """Or the app dates the invoice on the start date: it goes by itself."""
    invoice_before_stock_start(world)
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-06-01",
        lines=[{"item_id": "wh", "quantity": "1", "unit_price": "1200.00"}],
    )
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    assert invoice_in_quickbooks(world, "inv-1")["TxnDate"] == "2026-06-01"


# --- class.inactive_in_quickbooks ------------------------------------------------------------


@pytest.mark.failure_mode("class.inactive_in_quickbooks")
@pytest.mark.parametrize("pulled", [True, False], ids=["seen_on_pull", "refused_by_quickbooks"])
def test_an_invoice_with_a_class_made_inactive_reactivates_it(
    world: World, person: Person, pulled: bool
) -> None:
    """The company tracks crews as classes. "North Crew" was made inactive in QuickBooks; an
    invoice line for that crew stops (before the call when the change was pulled, from
    QuickBooks' refusal when not). Reactivate makes the class active in QuickBooks again and
    the invoice goes with it."""
    crew = person.create("Class", {"Name": "North Crew"})
    pull(world)
    make_inactive(person, "Class", crew["Id"])
    if pulled:
        pull(world)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-04",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "100.00", "class": "North Crew"}],
    )
    sync(world)

    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "class.inactive_in_quickbooks"
    assert "reactivate" in seen.actions
    assert world.entities("Invoice") == []

    act(world, "invoice", "inv-1", "reactivate")
    assert person.read("Class", crew["Id"])["Active"] is True
    sync(world)

    invoice = invoice_in_quickbooks(world, "inv-1")
    assert invoice["Line"][0]["SalesItemLineDetail"]["ClassRef"]["value"] == crew["Id"]


# --- tax.rate_not_mapped ---------------------------------------------------------------------


@pytest.mark.failure_mode("tax.rate_not_mapped")
@pytest.mark.parametrize("rate", ["placer-7.25", "exempt-0"])
def test_an_invoice_with_an_unmapped_tax_rate_waits_for_the_mapping(
    world: World, person: Person, rate: str
) -> None:
    """The app taxes the invoice at a rate (a 0% rate too) that has no QuickBooks tax code. It
    is an error pointing to the tax mapping; once mapped, Retry sends the invoice with the
    mapped tax code."""
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-04",
        tax_rate_id=rate,
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "100.00", "taxable": True}],
    )
    sync(world)

    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "tax.rate_not_mapped"
    assert "tax mapping" in " ".join(seen.problem.fix)
    assert "retry" in seen.actions
    assert world.entities("Invoice") == []

    code_name = "Placer County" if rate == "placer-7.25" else "Out of state"
    (tax_code,) = person.query(f"SELECT * FROM TaxCode WHERE Name = '{code_name}'")
    world.service.set_mappings(
        world.key_id, world.connection_id, {"tax_rates": {rate: str(tax_code["Id"])}}
    )
    act(world, "invoice", "inv-1", "retry")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    invoice = invoice_in_quickbooks(world, "inv-1")
    assert invoice["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == str(tax_code["Id"])
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"


@pytest.mark.failure_mode("item.not_matched")
def test_an_invoice_naming_an_item_the_app_never_sent_waits_for_it(world: World) -> None:
    """The invoice names an item that is neither linked nor sent by the app: nothing can be
    matched or created, so the invoice is blocked with item.not_matched, naming the item; once
    the app sends the item, both go through by themselves."""
    pull(world)
    invoice_for_gutters(world)
    sync(world)
    blocked = view(world, "invoice", "inv-1")
    assert blocked.status == "blocked"
    assert blocked.problem is not None and blocked.problem.code == "item.not_matched"
    assert blocked.blocked_by == ("item", "gutters")
    assert world.entities("Invoice") == []

    put(world, "item", "gutters", name="Gutter Cleaning", income_account="Services")
    sync(world)
    assert view(world, "invoice", "inv-1").status == "synced"
    item = one(world.entities("Item"), Name="Gutter Cleaning")
    assert line_items(invoice_in_quickbooks(world, "inv-1")) == [item["Id"]]
