"""Adopt instead of create: the app sends a record with `"link": {"quickbooks_id": ...}` for an
object people made in QuickBooks first. It is linked, never created; what it holds otherwise is
sent or asked about as the connection's `quickbooks_changes` setting says. Every outcome is read
back from the emulator's own export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.core.records import Incoming
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import Person, act, pull, put, sync, view

MARIA = {"display_name": "Maria Lopez", "email": "maria@example.com", "phone": "555-0100"}


def maria_in_quickbooks(person: Person, phone: str = "555-0100") -> dict[str, Any]:
    return person.create(
        "Customer",
        {
            "DisplayName": "Maria Lopez",
            "PrimaryEmailAddr": {"Address": "maria@example.com"},
            "PrimaryPhone": {"FreeFormNumber": phone},
        },
    )


def customers(world: World) -> list[dict[str, Any]]:
    return world.entities("Customer")


def problem_fields(found: Invalid) -> list[str | None]:
    return [p.field for p in found.problems]


def test_a_customer_made_in_quickbooks_first_is_adopted_not_created(
    world: World, person: Person
) -> None:
    made = maria_in_quickbooks(person)
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})

    plan = world.service.plan(world.key_id, world.connection_id)
    assert plan["counts"]["adopt"] == 1 and plan["counts"]["create"] == 0
    (entry,) = plan["records"]
    assert (entry["step"], entry["quickbooks_id"]) == ("adopt", made["Id"])

    report = sync(world)
    assert report.created == 0 and report.linked == 1
    assert [c["Id"] for c in customers(world)] == [made["Id"]]  # nothing made twice
    seen = view(world, "customer", "c-maria")
    assert seen.status == "synced" and seen.quickbooks_id == made["Id"]

    # later changes go to that same object
    put(world, "customer", "c-maria", **{**MARIA, "phone": "555-0199"})
    sync(world)
    (only,) = customers(world)
    assert only["Id"] == made["Id"] and only["PrimaryPhone"]["FreeFormNumber"] == "555-0199"


def test_what_the_app_holds_otherwise_is_asked_about_by_default(
    world: World, person: Person
) -> None:
    made = maria_in_quickbooks(person, phone="555-0777")
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    sync(world)

    seen = view(world, "customer", "c-maria")
    assert seen.quickbooks_id == made["Id"]
    assert seen.status == "error" and seen.problem is not None
    assert seen.problem.code == catalog.RECORD_CHANGED_IN_QUICKBOOKS
    (only,) = customers(world)
    assert only["PrimaryPhone"]["FreeFormNumber"] == "555-0777"  # nothing sent over it yet

    act(world, "customer", "c-maria", "send_app_version")
    sync(world)
    (only,) = customers(world)
    assert only["Id"] == made["Id"] and only["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    assert view(world, "customer", "c-maria").status == "synced"


@pytest.mark.parametrize(
    ("policy", "phone_in_quickbooks"),
    [("app_wins", "555-0100"), ("quickbooks_wins", "555-0777")],
)
def test_the_connection_setting_decides_without_asking(
    world: World, person: Person, policy: str, phone_in_quickbooks: str
) -> None:
    world.service.update_settings(world.key_id, world.connection_id, {"quickbooks_changes": policy})
    made = maria_in_quickbooks(person, phone="555-0777")
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    sync(world)
    sync(world)

    (only,) = customers(world)
    assert only["Id"] == made["Id"]
    assert only["PrimaryPhone"]["FreeFormNumber"] == phone_in_quickbooks
    assert view(world, "customer", "c-maria").status == "synced"


def test_an_invoice_entered_in_quickbooks_is_adopted_with_its_customer(
    world: World, person: Person
) -> None:
    made = maria_in_quickbooks(person)
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    put(world, "item", "i-call", name="Service call", unit_price="90.00", income_account="Services")
    sync(world)
    item_id = view(world, "item", "i-call").quickbooks_id
    assert item_id is not None
    invoice = person.create(
        "Invoice",
        {
            "CustomerRef": {"value": made["Id"]},
            "DocNumber": "7001",
            "TxnDate": "2026-11-02",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 90.0,
                    "Description": "Service call",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": item_id},
                        "Qty": 1,
                        "UnitPrice": 90.0,
                    },
                }
            ],
        },
    )
    pull(world)
    put(
        world,
        "invoice",
        "inv-7001",
        number="7001",
        customer_id="c-maria",
        date="2026-11-02",
        lines=[
            {
                "item_id": "i-call",
                "description": "Service call",
                "quantity": "1",
                "unit_price": "90.00",
            }
        ],
        link={"quickbooks_id": invoice["Id"]},
    )
    sync(world)
    assert [i["Id"] for i in world.entities("Invoice")] == [invoice["Id"]]
    assert view(world, "invoice", "inv-7001").quickbooks_id == invoice["Id"]


@pytest.mark.failure_mode("record.link_target_missing")
def test_an_object_quickbooks_does_not_have_is_a_problem_and_nothing_is_created(
    world: World,
) -> None:
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": "9999"})
    sync(world)
    seen = view(world, "customer", "c-maria")
    assert seen.status == "error" and seen.problem is not None
    assert seen.problem.code == catalog.RECORD_LINK_TARGET_MISSING
    assert seen.problem.field == "link.quickbooks_id"
    assert "Customer 9999" in seen.problem.meaning
    assert customers(world) == []


@pytest.mark.failure_mode("record.link_target_taken")
def test_an_object_linked_to_another_record_is_refused_naming_the_field(
    world: World, person: Person
) -> None:
    made = maria_in_quickbooks(person)
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    sync(world)
    with pytest.raises(Invalid) as taken:
        put(world, "customer", "c-other", display_name="Other", link={"quickbooks_id": made["Id"]})
    assert problem_fields(taken.value) == ["link.quickbooks_id"]
    assert "c-maria" in taken.value.problems[0].message
    with pytest.raises(Invalid) as relinked:
        put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": "12345"})
    assert problem_fields(relinked.value) == ["link.quickbooks_id"]
    assert "unlink it first" in relinked.value.problems[0].message
    # sending the link it has already changes nothing
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    assert view(world, "customer", "c-maria").quickbooks_id == made["Id"]
    assert len(customers(world)) == 1


@pytest.mark.parametrize(
    ("link", "field"),
    [
        ("58", "link"),
        ({"quickbooks_id": 58}, "link.quickbooks_id"),
        ({"quickbooks_id": ""}, "link.quickbooks_id"),
        ({"quickbooks_id": "5 8"}, "link.quickbooks_id"),
        ({"quickbooks_id": "58\x00"}, "link.quickbooks_id"),
        ({"quickbooks_id": "9" * 41}, "link.quickbooks_id"),
        ({"quickbooks_id": "58", "entity": "Vendor"}, "link.entity"),
    ],
)
def test_a_link_that_is_not_one_is_refused_and_nothing_stored(
    world: World, link: object, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        put(world, "customer", "c-maria", **MARIA, link=link)
    assert problem_fields(refused.value) == [field]
    found = world.service.put_records(
        world.key_id,
        world.connection_id,
        [
            Incoming("customer", "c-maria", {**MARIA, "link": link}),
            Incoming("customer", "c-bo", {"display_name": "Bo Diaz"}),
        ],
    )
    assert [a.stored for a in found] == [False, True]
    assert [p.field for p in found[0].problems] == [field]
    with pytest.raises(Exception, match="c-maria"):
        view(world, "customer", "c-maria")


def test_many_records_at_once_may_each_name_their_object(world: World, person: Person) -> None:
    made = maria_in_quickbooks(person)
    pull(world)
    found = world.service.put_records(
        world.key_id,
        world.connection_id,
        [
            Incoming("customer", "c-maria", {**MARIA, "link": {"quickbooks_id": made["Id"]}}),
            Incoming("customer", "c-bo", {"display_name": "Bo Diaz"}),
        ],
    )
    assert all(a.stored for a in found)
    report = sync(world)
    assert report.created == 1 and report.linked == 1
    assert sorted(c["DisplayName"] for c in customers(world)) == ["Bo Diaz", "Maria Lopez"]


@pytest.mark.failure_mode("record.link_target_taken")
def test_two_records_naming_one_object_link_one_and_the_other_says_why(
    world: World, person: Person
) -> None:
    """The second record naming an object the first waits to adopt is refused when sent; two
    stored all the same (before that check existed) are planned and pushed as one object, one
    record: the dry run and the pass link the first they work and refuse the other."""
    made = maria_in_quickbooks(person)
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    with pytest.raises(Invalid) as refused:
        put(world, "customer", "c-maria-2", **MARIA, link={"quickbooks_id": made["Id"]})
    assert problem_fields(refused.value) == ["link.quickbooks_id"]
    assert refused.value.problems[0].params["other"] == "customer/c-maria"
    put(world, "customer", "c-maria-2", **MARIA)
    with world.ledger.db.session() as session:  # as stored before the check at the PUT
        SyncStates(session).set_adopt(world.connection_id, "customer", "c-maria-2", made["Id"])

    plan = world.service.plan(world.key_id, world.connection_id)
    assert (plan["counts"]["adopt"], plan["counts"]["refuse"]) == (1, 1), plan
    (planned,) = [e for e in plan["records"] if e["step"] == "refuse"]
    assert planned["problems"][0]["code"] == catalog.RECORD_LINK_TARGET_TAKEN
    assert planned["problems"][0]["field"] == "link.quickbooks_id"
    sync(world)

    seen = {app_id: view(world, "customer", app_id) for app_id in ("c-maria", "c-maria-2")}
    linked = [v for v in seen.values() if v.quickbooks_id == made["Id"]]
    refused = [v for v in seen.values() if v.quickbooks_id is None]
    assert len(linked) == 1 and len(refused) == 1
    problem = refused[0].problem
    assert problem is not None and problem.code == catalog.RECORD_LINK_TARGET_TAKEN
    assert problem.params["other"] == f"customer/{linked[0].id}"
    assert [c["Id"] for c in customers(world)] == [made["Id"]]


def test_link_null_cancels_an_adoption_and_the_record_is_sent_as_new(world: World) -> None:
    pull(world)
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": "9999"})
    sync(world)
    assert view(world, "customer", "c-maria").status == "error"
    put(world, "customer", "c-maria", **MARIA)  # no link: the request stands
    sync(world)
    assert view(world, "customer", "c-maria").status == "error"
    assert customers(world) == []

    put(world, "customer", "c-maria", **MARIA, link=None)  # the app takes it back
    sync(world)
    (made,) = customers(world)
    seen = view(world, "customer", "c-maria")
    assert seen.status == "synced" and seen.quickbooks_id == made["Id"]


def test_the_same_link_sent_again_once_quickbooks_has_it_is_tried_again(
    world: World, person: Person
) -> None:
    """The app named an object QuickBooks did not hold yet (as last read); once it is there,
    sending the record again with the same link is "try now"."""
    pull(world)
    made = maria_in_quickbooks(person)  # not read yet: the mirror does not know it
    put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
    report = sync(world)
    seen = view(world, "customer", "c-maria")
    if seen.quickbooks_id is None:  # the pass did not read QuickBooks' changes first
        assert seen.problem is not None
        assert seen.problem.code == catalog.RECORD_LINK_TARGET_MISSING
        pull(world)
        put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": made["Id"]})
        report = sync(world)
    assert report.created == 0
    assert view(world, "customer", "c-maria").quickbooks_id == made["Id"]
    assert [c["Id"] for c in customers(world)] == [made["Id"]]


@pytest.mark.in_process("a write left unsettled between two steps of the test")
@pytest.mark.emulator_socket("an answer dropped after QuickBooks committed the write")
def test_a_link_is_refused_while_a_create_of_the_record_is_unsettled(world: World) -> None:
    """The create's answer was lost: QuickBooks may hold the customer now. Naming another
    object then would make two; the link waits until the write is settled."""
    pull(world)
    put(world, "customer", "c-maria", **MARIA)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "POST"}, "times": 1, "action": {"drop_after_commit": True}},
    )
    sync(world)
    assert view(world, "customer", "c-maria").quickbooks_id is None  # the answer was lost
    with pytest.raises(Invalid) as refused:
        put(world, "customer", "c-maria", **MARIA, link={"quickbooks_id": "1"})
    assert problem_fields(refused.value) == ["link.quickbooks_id"]
    for _ in range(4):  # the write is settled with its requestid when it comes due again
        base = world.ledger.clock
        world.ledger.clock = lambda base=base: base() + timedelta(minutes=30)  # type: ignore[misc]
        sync(world)
    (only,) = customers(world)
    assert view(world, "customer", "c-maria").quickbooks_id == only["Id"]
