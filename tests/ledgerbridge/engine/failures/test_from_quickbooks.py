"""From QuickBooks to the app: what a person makes in QuickBooks itself reaches the events feed
as `quickbooks.*` events with the record in the app's shape, read by change data capture (the
webhook-woken pull is in tests/ledgerbridge/api/test_live_webhooks.py); ledgerbridge's own writes
and changes to linked objects never do."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.health import requeue_stalled
from ledgerbridge.engine.twoway import HELD
from ledgerbridge.storage.mirror import Mirror
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures._sales import (
    map_check,
    method_id,
    quickbooks_id,
    synced_invoice,
    their_payment,
)
from tests.ledgerbridge.engine.failures.conftest import Person, events, pull, put, sync


def told(world: World) -> list[dict[str, Any]]:
    """The quickbooks.* events, oldest first."""
    return [e for e in events(world) if e["type"].startswith("quickbooks.")]


def test_a_customer_an_item_and_a_vendor_made_in_quickbooks_are_told(
    world: World, person: Person
) -> None:
    pull(world)
    customer = person.create(
        "Customer",
        {"DisplayName": "Gale Ortiz", "PrimaryEmailAddr": {"Address": "gale@example.com"}},
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

    found = {(e["payload"]["type"], e["payload"]["quickbooks_id"]): e for e in told(world)}
    assert set(found) == {
        ("customer", customer["Id"]),
        ("item", item["Id"]),
        ("vendor", vendor["Id"]),
    }
    assert {e["type"] for e in found.values()} == {"quickbooks.created"}
    gale = found[("customer", customer["Id"])]["payload"]
    assert gale["entity"] == "Customer"
    assert gale["record"]["display_name"] == "Gale Ortiz"
    assert gale["record"]["email"] == "gale@example.com"
    assert gale["record"]["active"] is True
    gutter = found[("item", item["Id"])]["payload"]["record"]
    assert (gutter["name"], gutter["type"]) == ("Gutter Clean", "service")
    assert Decimal(gutter["unit_price"]) == 80
    assert gutter["income_account"] == "Services"

    person.update("Customer", customer["Id"], Active=False, DisplayName="Gale Ortiz")
    person.update("Vendor", vendor["Id"], DisplayName="Rain Supply Co")
    pull(world)
    pull(world)  # read again: nothing new is told twice
    later = told(world)[3:]
    assert [(e["type"], e["payload"]["quickbooks_id"]) for e in later] == [
        ("quickbooks.deactivated", customer["Id"]),
        ("quickbooks.updated", vendor["Id"]),
    ]
    assert later[1]["payload"]["record"]["display_name"] == "Rain Supply Co"


def test_what_ledgerbridge_wrote_and_changes_to_linked_objects_are_not_told(
    world: World, person: Person
) -> None:
    synced_invoice(world)  # a customer, an item and an invoice ledgerbridge created
    put(world, "vendor", "rain", display_name="Rain Supply")
    sync(world)
    pull(world)
    assert told(world) == []

    person.update("Customer", quickbooks_id(world, "customer", "ann"), Notes="called twice")
    person.update("Vendor", quickbooks_id(world, "vendor", "rain"), DisplayName="Rain Supply Co")
    pull(world)
    assert told(world) == []  # drift's business, not a change of an unlinked object


@pytest.mark.in_process("moves the engine's clock, which the workers do not share")
@pytest.mark.emulator_socket("the answer to a write is lost: a dropped connection")
def test_a_create_whose_answer_was_lost_is_not_told_as_made_in_quickbooks(
    world: World,
) -> None:
    """QuickBooks created ledgerbridge's customer but the answer was lost: QuickBooks holds an
    unlinked customer while the create is under way. The pull holds it back; once the create
    is settled (linked by replaying its requestid) it is known as ledgerbridge's own."""
    pull(world)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "POST", "entity": "batch"}, "action": {"drop_after_commit": True}},
    )
    put(world, "customer", "s", display_name="Sam Ruiz", email="sam@ex.com")
    assert sync(world).created == 0
    assert len(world.entities("Customer")) == 1  # QuickBooks did take it
    pull(world)
    assert told(world) == []  # held while the create is under way

    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=240)
    assert requeue_stalled(world.ledger, world.connection_id) == 1
    assert sync(world).created == 1  # settled by replay: linked
    pull(world)
    assert told(world) == []
    with world.ledger.db.session(readonly=True) as session:
        assert Mirror(session, world.connection_id).all_of(HELD) == []


def test_a_payment_made_in_quickbooks_comes_back_as_the_apps_payment(
    world: World, person: Person
) -> None:
    invoice = synced_invoice(world)
    map_check(world, person)
    pull(world)
    by_check = their_payment(person, invoice, 50, "2026-05-06", reference="1042")
    person.update(
        "Payment",
        by_check["Id"],
        PaymentMethodRef={"value": method_id(person, "Check")},
    )
    by_visa = their_payment(person, invoice, 30, "2026-05-07")
    person.update("Payment", by_visa["Id"], PaymentMethodRef={"value": method_id(person, "Visa")})
    # a payment of an invoice the app does not know is not the app's business
    other = person.create(
        "Invoice",
        {
            "CustomerRef": invoice["CustomerRef"],
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]
                    },
                }
            ],
        },
    )
    their_payment(person, other, 10, "2026-05-07")
    pull(world)

    found = {
        e["payload"]["quickbooks_id"]: e for e in told(world) if e["payload"]["type"] == "payment"
    }
    assert set(found) == {by_check["Id"], by_visa["Id"]}
    # the invoice made in QuickBooks is told too, read-only, its customer by the app's id
    (their_invoice,) = [e["payload"] for e in told(world) if e["payload"]["type"] == "invoice"]
    assert their_invoice["quickbooks_id"] == other["Id"] and their_invoice["read_only"] is True
    assert their_invoice["record"]["customer_id"] == "ann"
    assert Decimal(their_invoice["record"]["total"]) == 10
    check = found[by_check["Id"]]
    assert check["type"] == "quickbooks.created"
    assert check["payload"]["type"] == "payment" and "problem" not in check["payload"]
    record = check["payload"]["record"]
    (applied,) = record.pop("applied_to")
    assert Decimal(record.pop("amount")) == Decimal(applied.pop("amount")) == 50
    assert applied == {"invoice_id": "inv-1", "invoice_quickbooks_id": invoice["Id"]}
    assert record == {
        "customer_id": "ann",
        "customer_quickbooks_id": invoice["CustomerRef"]["value"],
        "date": "2026-05-06",
        "method": "check",
        "reference": "1042",
        "posted": True,
    }
    visa = found[by_visa["Id"]]["payload"]
    assert visa["record"]["method"] is None
    assert visa["record"]["applied_to"][0]["invoice_id"] == "inv-1"
    assert visa["problem"]["code"] == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP
    assert visa["problem"]["params"] == {"name": "Visa"}

    person.delete("Payment", by_visa["Id"])
    pull(world)
    (deleted,) = [
        e
        for e in told(world)
        if e["type"] == "quickbooks.deleted" and e["payload"]["type"] == "payment"
    ]
    assert deleted["payload"]["quickbooks_id"] == by_visa["Id"]
    assert Decimal(deleted["payload"]["record"]["amount"]) == 30


def test_off_tells_nothing_and_hostile_values_are_refused(world: World, person: Person) -> None:
    off = {f"from_quickbooks_{t}": "off" for t in ("customers", "vendors", "items", "payments")}
    shown = world.service.update_settings(world.key_id, world.connection_id, off)
    assert {k: shown.settings[k] for k in off} == off
    pull(world)
    person.create("Customer", {"DisplayName": "Gale Ortiz"})
    person.create("Vendor", {"DisplayName": "Rain Supply"})
    pull(world)
    assert told(world) == []

    for value in ("all", "EVENTS", 1, None, ["events"]):
        with pytest.raises(Invalid) as refused:
            world.service.update_settings(
                world.key_id, world.connection_id, {"from_quickbooks_items": value}
            )
        assert refused.value.problems[0].field == "settings.from_quickbooks_items"
