"""Invoices (and purchase orders deleted in QuickBooks): each failure provoked in the emulator,
then resolved; the outcome is read back from the emulator itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.engine.checks import run_checks
from ledgerbridge.engine.errors import Invalid, NotFound, Refused
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures._sales import (
    account_id,
    amount,
    close_books,
    invoice_in_quickbooks,
    line_items,
    map_check,
    one,
    quickbooks_id,
    synced_invoice,
    their_payment,
    use_custom_numbers,
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

LINES = [{"item_id": "svc", "quantity": "2", "unit_price": "100.00"}]


def customer_and_item(world: World) -> None:
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@example.com")
    put(world, "item", "svc", name="Service Call", unit_price="100.00", income_account="Services")


def invoice(world: World, app_id: str = "inv-1", **data: Any) -> None:
    """The app sends an invoice of 200.00 for Ann (fields in `data` replace the defaults)."""
    fields: dict[str, Any] = {
        "customer_id": "ann",
        "number": "1001",
        "date": "2026-05-04",
        "lines": LINES,
        **data,
    }
    put(world, "invoice", app_id, **fields)


def problem_code(world: World, record_type: str, app_id: str) -> str | None:
    problem = view(world, record_type, app_id).problem
    return problem.code if problem is not None else None


# --- invoice.no_lines ------------------------------------------------------------------------


@pytest.mark.failure_mode("invoice.no_lines")
def test_an_invoice_without_lines_is_refused_when_the_app_sends_it(world: World) -> None:
    """The app sends an invoice with no lines. ledgerbridge cannot store it: the app gets the
    code at once (a 422 over HTTP), and nothing is kept or sent to QuickBooks."""
    pull(world)
    customer_and_item(world)

    with pytest.raises(Invalid) as refused:
        invoice(world, lines=[])

    assert [p.code for p in refused.value.problems] == ["invoice.no_lines"]
    with pytest.raises(NotFound):
        view(world, "invoice", "inv-1")
    sync(world)
    assert world.entities("Invoice") == []


@pytest.mark.failure_mode("invoice.no_lines")
def test_an_invoice_emptied_in_the_app_keeps_its_lines_in_quickbooks(world: World) -> None:
    """An invoice already in QuickBooks; the app then tries to remove all its lines. The change
    is refused to the app and QuickBooks' invoice keeps its lines and total."""
    before = synced_invoice(world)

    with pytest.raises(Invalid) as refused:
        invoice(world, lines=[])
    sync(world)

    assert refused.value.problems[0].code == "invoice.no_lines"
    after = invoice_in_quickbooks(world, "inv-1")
    assert after["SyncToken"] == before["SyncToken"]
    assert amount(after["TotalAmt"]) == 200
    assert view(world, "invoice", "inv-1").status == "synced"


# --- invoice.customer_not_synced / invoice.item_not_synced -----------------------------------


@pytest.mark.failure_mode("invoice.customer_not_synced", "invoice.item_not_synced")
def test_an_invoice_sent_before_its_customer_and_item_waits_for_them(world: World) -> None:
    """The app sends the invoice first, then its item and customer. The sync puts the customer
    and the item into QuickBooks first, then the invoice, which names both."""
    pull(world)
    invoice(world)
    customer_and_item(world)

    report = sync(world)

    assert report.failed == 0 and report.blocked == 0, report
    created = invoice_in_quickbooks(world, "inv-1")
    assert created["CustomerRef"]["value"] == quickbooks_id(world, "customer", "ann")
    assert line_items(created) == [quickbooks_id(world, "item", "svc")]


@pytest.mark.failure_mode("invoice.customer_not_synced")
def test_an_invoice_whose_customer_fails_is_blocked_until_the_customer_is_fixed(
    world: World, person: Person
) -> None:
    """Ann's name is held by a vendor in QuickBooks, so her customer record fails. Her invoice
    is blocked (not failed) and names the customer it waits for; once the office
    differentiates the customer, the invoice follows by itself."""
    person.create("Vendor", {"DisplayName": "Ann Lee"})
    pull(world)
    customer_and_item(world)
    invoice(world)
    sync(world)

    assert problem_code(world, "customer", "ann") == "customer.name_used_by_other_type"
    blocked = view(world, "invoice", "inv-1")
    assert blocked.status == "blocked"
    assert blocked.blocked_by == ("customer", "ann")
    assert blocked.problem is not None and blocked.problem.code == "invoice.customer_not_synced"
    assert world.entities("Invoice") == []

    act(world, "customer", "ann", "differentiate")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    created = invoice_in_quickbooks(world, "inv-1")
    customer = one(world.entities("Customer"), Id=created["CustomerRef"]["value"])
    assert customer["DisplayName"] == "Ann Lee - 2"


@pytest.mark.failure_mode("invoice.item_not_synced")
def test_an_invoice_whose_item_fails_is_blocked_until_the_item_is_fixed(
    world: World, person: Person
) -> None:
    """The invoice's item names an income account QuickBooks lacks, so the item fails and the
    invoice is blocked by it. Mapping the account and retrying the item releases the
    invoice."""
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "item", "svc", name="Service Call", income_account="Field Labor")
    invoice(world)
    sync(world)

    assert problem_code(world, "item", "svc") == "item.account_missing"
    blocked = view(world, "invoice", "inv-1")
    assert blocked.status == "blocked" and blocked.blocked_by == ("item", "svc")
    assert blocked.problem is not None and blocked.problem.code == "invoice.item_not_synced"
    assert world.entities("Invoice") == []

    world.service.set_mappings(
        world.key_id,
        world.connection_id,
        {"accounts": {"Field Labor": account_id(person, "Services")}},
    )
    act(world, "item", "svc", "retry")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    assert line_items(invoice_in_quickbooks(world, "inv-1")) == [
        quickbooks_id(world, "item", "svc")
    ]


# --- invoice.customer_inactive ---------------------------------------------------------------


def deactivate(person: Person, entity: str, qbo_id: str) -> None:
    current = person.read(entity, qbo_id)
    person.update(entity, qbo_id, Active=False, DisplayName=current["DisplayName"])


@pytest.mark.failure_mode("invoice.customer_inactive")
@pytest.mark.parametrize("pulled", [True, False], ids=["seen_on_pull", "refused_by_quickbooks"])
def test_an_invoice_for_a_customer_made_inactive_reactivates_the_customer(
    world: World, person: Person, pulled: bool
) -> None:
    """Ann is in QuickBooks; a bookkeeper makes her inactive there. Her next invoice stops
    (before the call when the change was pulled, from QuickBooks' refusal when not), offering
    Reactivate; once clicked, Ann is active in QuickBooks and the invoice goes through."""
    pull(world)
    customer_and_item(world)
    sync(world)
    customer_id = quickbooks_id(world, "customer", "ann")
    deactivate(person, "Customer", customer_id)
    if pulled:
        pull(world)
    invoice(world)
    sync(world)

    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "invoice.customer_inactive"
    assert "reactivate" in seen.actions
    assert world.entities("Invoice") == []

    act(world, "invoice", "inv-1", "reactivate")
    assert person.read("Customer", customer_id)["Active"] is True
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    assert invoice_in_quickbooks(world, "inv-1")["CustomerRef"]["value"] == customer_id


# --- invoice.number_conflict -----------------------------------------------------------------


def their_invoice(person: Person, number: str) -> dict[str, Any]:
    """Someone types an invoice straight into QuickBooks, for a walk-in customer."""
    walk_in = person.query("SELECT * FROM Customer WHERE DisplayName = 'Walk-in Sales'")
    if not walk_in:
        walk_in = [person.create("Customer", {"DisplayName": "Walk-in Sales"})]
    item = person.query("SELECT * FROM Item WHERE Name = 'Counter Sale'")
    if not item:
        services = {"value": account_id(person, "Services")}
        item = [
            person.create(
                "Item", {"Name": "Counter Sale", "Type": "Service", "IncomeAccountRef": services}
            )
        ]
    return person.create(
        "Invoice",
        {
            "DocNumber": number,
            "CustomerRef": {"value": walk_in[0]["Id"]},
            "TxnDate": "2026-05-01",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 40,
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": item[0]["Id"]},
                        "Qty": 1,
                        "UnitPrice": 40,
                    },
                }
            ],
        },
    )


def numbering_of(world: World) -> dict[str, Any]:
    """The setup checklist's invoice numbers, made now from the current data."""
    check = run_checks(world.ledger, world.connection_id).get("numbering")
    assert check is not None
    found: dict[str, Any] = check.details["invoice"]
    return found


def number_taken(world: World, person: Person, *, pulled: bool = True) -> dict[str, Any]:
    """QuickBooks refuses duplicate numbers, and someone used 1001 there before the app."""
    use_custom_numbers(world)
    pull(world)
    theirs = their_invoice(person, "1001")
    if pulled:
        pull(world)
    customer_and_item(world)
    invoice(world)
    sync(world)
    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "invoice.number_conflict"
    assert {"renumber", "retry"} <= set(seen.actions)
    assert [i["Id"] for i in world.entities("Invoice")] == [theirs["Id"]]
    return theirs


@pytest.mark.failure_mode("invoice.number_conflict")
@pytest.mark.verify_expects("record.changed_in_quickbooks", "invoice.amount_mismatch")
@pytest.mark.in_process("the second invoice must still be waiting when the first is linked")
def test_linking_one_of_two_invoices_to_their_number_takes_the_suggestion_from_the_other(
    world: World, person: Person
) -> None:
    """Two app invoices carry the number of one invoice typed into QuickBooks: both suggest
    linking to it. Once a person links the first, the second no longer suggests it (its Link
    would only be refused: "already linked"); it is planned again."""
    use_custom_numbers(world)
    pull(world)
    theirs = their_invoice(person, "1001")
    pull(world)
    customer_and_item(world)
    invoice(world)
    invoice(world, "inv-2")
    sync(world)
    for app_id in ("inv-1", "inv-2"):
        seen = view(world, "invoice", app_id)
        assert seen.problem is not None and seen.problem.code == "invoice.number_conflict"
        assert seen.problem.params.get("quickbooks_id") == theirs["Id"]

    act(world, "invoice", "inv-1", "link", quickbooks_id=theirs["Id"])
    other = view(world, "invoice", "inv-2")  # planned again at once, its old problem gone
    assert other.status == "pending" and other.problem is None, other
    sync(world)
    other = view(world, "invoice", "inv-2")
    assert other.problem is not None and other.problem.code == "invoice.number_conflict"
    assert "link" not in other.problem.actions  # the dashboard suggests no link for it
    with pytest.raises(Refused, match="already linked to app invoice inv-1"):
        act(world, "invoice", "inv-2", "link", quickbooks_id=theirs["Id"])
    assert [i["Id"] for i in world.entities("Invoice")] == [theirs["Id"]]


@pytest.mark.failure_mode("invoice.number_conflict")
def test_a_number_used_in_quickbooks_gives_our_invoice_the_next_free_number(
    world: World, person: Person
) -> None:
    """Renumber (ours): the app's invoice goes in as 1002, the app is told its new number, and
    QuickBooks' own 1001 is untouched. The setup checklist, made again, no longer counts 1001
    as a clash."""
    theirs = number_taken(world, person)
    assert numbering_of(world)["overlapping"]["examples"] == ["1001"]

    done = act(world, "invoice", "inv-1", "renumber", target="ours")
    assert numbering_of(world)["overlapping"]["count"] == 0  # the number it is sent with now
    assert done.detail["number"] == "1002"
    (told,) = events(world, "record.number_assigned")
    assert told["payload"] == {
        "type": "invoice",
        "id": "inv-1",
        "number": "1002",
        "previous": "1001",
    }
    sync(world)

    numbers = {i["Id"]: i["DocNumber"] for i in world.entities("Invoice")}
    ours = quickbooks_id(world, "invoice", "inv-1")
    assert numbers == {theirs["Id"]: "1001", ours: "1002"}
    assert view(world, "invoice", "inv-1").quickbooks_number == "1002"


@pytest.mark.failure_mode("invoice.number_conflict")
@pytest.mark.parametrize("pulled", [True, False], ids=["seen_on_pull", "refused_by_quickbooks"])
def test_a_number_used_in_quickbooks_renumbers_their_invoice(
    world: World, person: Person, pulled: bool
) -> None:
    """Renumber (QuickBooks): the invoice typed into QuickBooks by mistake takes the next free
    number, and the app's invoice keeps 1001. Works whether the conflict was seen in the
    mirror or only from QuickBooks' refusal (6140)."""
    theirs = number_taken(world, person, pulled=pulled)

    done = act(world, "invoice", "inv-1", "renumber", target="quickbooks")
    assert done.detail["to"] == "1002"
    sync(world)

    numbers = {i["Id"]: i["DocNumber"] for i in world.entities("Invoice")}
    ours = quickbooks_id(world, "invoice", "inv-1")
    assert numbers == {theirs["Id"]: "1002", ours: "1001"}
    assert view(world, "invoice", "inv-1").status == "synced"
    assert events(world, "record.number_assigned") == []  # the app's number did not change


@pytest.mark.failure_mode("invoice.number_conflict")
def test_renumbering_an_invoice_that_is_ours_is_refused(world: World, person: Person) -> None:
    """The number is held by another of the app's own invoices (linked to it): renumbering
    that one from here is refused, with the reason; renumbering ours still works."""
    use_custom_numbers(world)
    synced_invoice(world, "inv-0", number="1001")
    invoice(world, "inv-1", number="1001")
    sync(world)
    assert problem_code(world, "invoice", "inv-1") == "invoice.number_conflict"

    with pytest.raises(Refused, match="belongs to app invoice inv-0"):
        act(world, "invoice", "inv-1", "renumber", target="quickbooks")
    act(world, "invoice", "inv-1", "renumber")
    sync(world)

    assert sorted(i["DocNumber"] for i in world.entities("Invoice")) == ["1001", "1002"]


# --- invoice.number_sequence_overlap ---------------------------------------------------------


@pytest.mark.failure_mode("invoice.number_sequence_overlap")
def test_an_app_sequence_running_into_quickbooks_numbers_gets_a_safe_start(
    world: World, person: Person
) -> None:
    """QuickBooks already holds invoices 1001-1003 typed in there; the app's own numbering also
    starts at 1001. The setup checklist warns with the first safe number; applying it tells the
    app to continue from 1004, and the warning clears. On a record the action is refused and
    points to the checklist."""
    use_custom_numbers(world)
    for number in ("1001", "1002", "1003"):
        their_invoice(person, number)
    customer_and_item(world)
    invoice(world, "inv-1", number="1001")
    pull(world)

    checks = world.service.checks(world.key_id, world.connection_id, run=True)
    numbering = one(checks["checks"], id="numbering")
    assert numbering["status"] == "warning"
    assert numbering["code"] == "invoice.number_sequence_overlap"
    assert numbering["actions"] == ["apply_numbering_start"]
    assert numbering["details"]["suggested_start"] == "1004"
    with pytest.raises(Refused, match="setup checklist"):
        act(world, "invoice", "inv-1", "apply_numbering_start")

    applied = world.service.apply_numbering_start(world.key_id, world.connection_id)

    assert applied["next_number"] == "1004"
    (told,) = events(world, "connection.numbering_start_applied")
    assert told["payload"] == {"number": 1004, "next_number": "1004"}
    # the app continues from there: its invoice goes in under 1004, next to QuickBooks' own
    invoice(world, "inv-1", number="1004")
    sync(world)
    assert invoice_in_quickbooks(world, "inv-1")["DocNumber"] == "1004"
    checks = world.service.checks(world.key_id, world.connection_id, run=True)
    assert one(checks["checks"], id="numbering")["status"] == "ok"


# --- invoice.closed_period -------------------------------------------------------------------


@pytest.mark.failure_mode("invoice.closed_period")
def test_an_invoice_in_closed_books_moves_to_the_first_open_day(world: World) -> None:
    """The books are closed up to 31 March; the invoice is dated 15 March. It is stopped
    before the call; Move to open period dates it 1 April in QuickBooks, and the app is told
    of the date QuickBooks has."""
    pull(world)
    close_books(world, "2026-03-31")
    pull(world)
    customer_and_item(world)
    invoice(world, date="2026-03-15")
    sync(world)

    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "invoice.closed_period"
    assert seen.problem.params["closing_date"] == "2026-03-31"
    assert "shift_to_open_period" in seen.actions
    assert world.entities("Invoice") == []

    act(world, "invoice", "inv-1", "shift_to_open_period")
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "date"
    assert told["payload"]["quickbooks_value"] == "2026-04-01"
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    assert invoice_in_quickbooks(world, "inv-1")["TxnDate"] == "2026-04-01"


@pytest.mark.failure_mode("invoice.closed_period")
def test_a_connection_set_to_move_closed_dates_sends_them_on_the_first_open_day(
    world: World,
) -> None:
    """With the connection's closed-period policy set to "move to open day", an invoice dated
    in the closed period goes straight in, dated the day after closing."""
    world.service.update_settings(
        world.key_id, world.connection_id, {"closed_periods": "move_to_open_day"}
    )
    close_books(world, "2026-03-31")
    pull(world)
    customer_and_item(world)
    invoice(world, date="2026-03-15")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    assert invoice_in_quickbooks(world, "inv-1")["TxnDate"] == "2026-04-01"


@pytest.mark.failure_mode("invoice.closed_period")
def test_a_date_moved_by_the_policy_is_told_to_the_app(world: World) -> None:
    """Under "move to open day" the app is told the date QuickBooks holds, as when a person
    clicks Move to open period."""
    world.service.update_settings(
        world.key_id, world.connection_id, {"closed_periods": "move_to_open_day"}
    )
    close_books(world, "2026-03-31")
    pull(world)
    customer_and_item(world)
    invoice(world, date="2026-03-15")
    sync(world)

    told = [e for e in events(world) if e["payload"].get("id") == "inv-1"]
    assert any("2026-04-01" in str(e["payload"]) for e in told), told


@pytest.mark.failure_mode("invoice.closed_period")
def test_an_invoice_whose_quickbooks_copy_is_in_closed_books_cannot_be_moved(
    world: World,
) -> None:
    """The invoice went to QuickBooks in March; then the books were closed. An edit from the
    app is stopped, and moving it to the open period is refused with the reason: QuickBooks
    will not change its copy until the period is reopened."""
    synced_invoice(world, date="2026-03-15")
    close_books(world, "2026-03-31")
    pull(world)
    invoice(world, date="2026-03-15", memo="gate code 4411")
    sync(world)

    assert problem_code(world, "invoice", "inv-1") == "invoice.closed_period"
    with pytest.raises(Refused, match="reopen the period"):
        act(world, "invoice", "inv-1", "shift_to_open_period")
    assert "PrivateNote" not in invoice_in_quickbooks(world, "inv-1")


# --- invoice.deleted_in_quickbooks -----------------------------------------------------------


def deleted_in_quickbooks(world: World, person: Person, *, pulled: bool = True) -> str:
    """An invoice in QuickBooks that someone deleted there; its old QuickBooks id."""
    first = synced_invoice(world)
    person.delete("Invoice", first["Id"])
    if pulled:
        pull(world)
    else:  # the app edits it before any pull: QuickBooks answers that it is gone
        invoice(world, memo="second visit booked")
        sync(world)
    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "invoice.deleted_in_quickbooks"
    assert {"recreate", "unlink", "accept_deletion"} <= set(seen.actions)
    assert world.entities("Invoice") == []
    return str(first["Id"])


@pytest.mark.failure_mode("invoice.deleted_in_quickbooks")
def test_an_invoice_deleted_in_quickbooks_is_recreated_from_what_was_sent(
    world: World, person: Person
) -> None:
    """Someone deletes the invoice in QuickBooks. The pull flags it (and tells the app);
    Recreate puts a new invoice into QuickBooks with what was last sent, once."""
    old_id = deleted_in_quickbooks(world, person)
    told = events(world, "record.deleted_in_quickbooks")
    assert [e["payload"]["id"] for e in told] == ["inv-1"]

    act(world, "invoice", "inv-1", "recreate")
    sync(world)
    sync(world)

    (again,) = world.entities("Invoice")
    assert again["Id"] != old_id
    assert again["DocNumber"] == "1001" and amount(again["TotalAmt"]) == 200
    assert again["CustomerRef"]["value"] == quickbooks_id(world, "customer", "ann")
    assert line_items(again) == [quickbooks_id(world, "item", "svc")]
    assert view(world, "invoice", "inv-1").status == "synced"
    assert view(world, "invoice", "inv-1").quickbooks_id == again["Id"]


@pytest.mark.failure_mode("invoice.deleted_in_quickbooks")
def test_an_invoice_deleted_in_quickbooks_is_unlinked_and_sent_again(
    world: World, person: Person
) -> None:
    """QuickBooks refuses the app's edit because the invoice is gone. Unlink forgets the
    deleted one; on Retry the app's current version (with its new memo) goes in as a new
    invoice."""
    deleted_in_quickbooks(world, person, pulled=False)

    act(world, "invoice", "inv-1", "unlink")
    (told,) = events(world, "record.unlinked")
    assert told["payload"]["id"] == "inv-1"
    assert view(world, "invoice", "inv-1").quickbooks_id is None
    act(world, "invoice", "inv-1", "retry")
    sync(world)

    (again,) = world.entities("Invoice")
    assert again["PrivateNote"] == "second visit booked"
    assert view(world, "invoice", "inv-1").status == "synced"


@pytest.mark.failure_mode("invoice.deleted_in_quickbooks")
def test_an_invoice_deleted_on_purpose_in_quickbooks_stays_deleted(
    world: World, person: Person
) -> None:
    """The deletion was meant: Accept deletion sets the invoice aside (bypassed), the app is
    told, and no sync brings it back."""
    deleted_in_quickbooks(world, person)

    act(world, "invoice", "inv-1", "accept_deletion")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "bypassed"
    assert [e["payload"]["id"] for e in events(world, "record.deletion_accepted")] == ["inv-1"]
    assert world.entities("Invoice") == []


# --- invoice.moved_in_quickbooks -------------------------------------------------------------


def moved_to_bob(world: World, person: Person, *, bob_in_app: bool) -> tuple[str, str]:
    """Someone moves the app's invoice to Bob Stone in QuickBooks; (Ann's id, Bob's id)."""
    first = synced_invoice(world)
    if bob_in_app:
        put(world, "customer", "bob", display_name="Bob Stone")
        sync(world)
        bob = quickbooks_id(world, "customer", "bob")
    else:
        bob = str(person.create("Customer", {"DisplayName": "Bob Stone"})["Id"])
    person.update("Invoice", first["Id"], CustomerRef={"value": bob})
    pull(world)
    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "invoice.moved_in_quickbooks"
    assert seen.problem.params["quickbooks_customer_id"] == bob
    assert {"move_back", "accept_quickbooks"} <= set(seen.actions)
    assert [e["payload"]["id"] for e in events(world, "invoice.moved_in_quickbooks")] == ["inv-1"]
    return str(first["CustomerRef"]["value"]), bob


@pytest.mark.failure_mode("invoice.moved_in_quickbooks")
def test_an_invoice_moved_to_another_customer_in_quickbooks_is_moved_back(
    world: World, person: Person
) -> None:
    """Move back: QuickBooks' invoice is Ann's again, and nothing else about it changed."""
    ann, _ = moved_to_bob(world, person, bob_in_app=False)

    act(world, "invoice", "inv-1", "move_back")
    sync(world)

    moved_back = invoice_in_quickbooks(world, "inv-1")
    assert moved_back["CustomerRef"]["value"] == ann
    assert amount(moved_back["TotalAmt"]) == 200
    assert view(world, "invoice", "inv-1").status == "synced"
    assert len(world.entities("Invoice")) == 1


@pytest.mark.failure_mode("invoice.moved_in_quickbooks")
def test_an_invoice_moved_in_quickbooks_can_stay_with_the_new_customer(
    world: World, person: Person
) -> None:
    """Keep QuickBooks' version: the invoice stays with Bob in QuickBooks and the app is told
    its invoice now belongs to its customer "bob"."""
    _, bob = moved_to_bob(world, person, bob_in_app=True)

    act(world, "invoice", "inv-1", "accept_quickbooks")
    sync(world)

    (told,) = events(world, "invoice.customer_changed")
    assert told["payload"]["customer_id"] == "bob"
    assert invoice_in_quickbooks(world, "inv-1")["CustomerRef"]["value"] == bob
    assert view(world, "invoice", "inv-1").status == "synced"


@pytest.mark.failure_mode("invoice.moved_in_quickbooks")
def test_keeping_a_move_to_a_customer_the_app_lacks_is_refused(
    world: World, person: Person
) -> None:
    """Bob is not a customer of the app: keeping QuickBooks' customer is refused, saying why,
    and nothing changes until the office moves the invoice back."""
    moved_to_bob(world, person, bob_in_app=False)

    with pytest.raises(Refused, match="not linked to a customer of the app"):
        act(world, "invoice", "inv-1", "accept_quickbooks")
    assert problem_code(world, "invoice", "inv-1") == "invoice.moved_in_quickbooks"


# --- invoice.voided_in_quickbooks ------------------------------------------------------------


def voided_in_quickbooks(world: World, person: Person) -> str:
    first = synced_invoice(world)
    person.void("Invoice", first["Id"])
    pull(world)
    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "invoice.voided_in_quickbooks"
    assert {"accept_quickbooks", "recreate"} <= set(seen.actions)
    assert [e["payload"]["id"] for e in events(world, "invoice.voided_in_quickbooks")] == ["inv-1"]
    return str(first["Id"])


@pytest.mark.failure_mode("invoice.voided_in_quickbooks")
def test_an_invoice_voided_in_quickbooks_is_shown_and_can_stay_voided(
    world: World, person: Person
) -> None:
    """Someone voids the invoice in QuickBooks. The pull shows it voided and tells the app;
    Keep QuickBooks' version leaves it voided and no longer sends it."""
    voided_id = voided_in_quickbooks(world, person)

    act(world, "invoice", "inv-1", "accept_quickbooks")
    invoice(world, memo="edited after the void")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "bypassed"
    (voided,) = world.entities("Invoice")
    assert voided["Id"] == voided_id and amount(voided["TotalAmt"]) == 0
    assert "edited after the void" not in str(voided.get("PrivateNote"))


@pytest.mark.failure_mode("invoice.voided_in_quickbooks")
def test_an_invoice_voided_by_mistake_is_recreated(world: World, person: Person) -> None:
    """Voided by mistake: Recreate adds the invoice again as last sent; the voided one stays
    on record in QuickBooks."""
    voided_id = voided_in_quickbooks(world, person)

    act(world, "invoice", "inv-1", "recreate")
    sync(world)

    invoices = {i["Id"]: i for i in world.entities("Invoice")}
    assert len(invoices) == 2 and amount(invoices[voided_id]["TotalAmt"]) == 0
    again = invoice_in_quickbooks(world, "inv-1")
    assert again["Id"] != voided_id and amount(again["TotalAmt"]) == 200
    assert view(world, "invoice", "inv-1").status == "synced"


# --- invoice.paid_in_quickbooks --------------------------------------------------------------


@pytest.mark.failure_mode("invoice.paid_in_quickbooks")
@pytest.mark.in_process("the app's payment must still be waiting when the office is paid")
def test_an_invoice_paid_in_quickbooks_sets_the_apps_payment_aside(
    world: World, person: Person
) -> None:
    """The app records Ann's check but it has not gone out yet; meanwhile the office receives
    the money in QuickBooks itself. After the pull the app's payment is bypassed (the app is
    told), and no sync ever sends it: QuickBooks holds exactly one payment."""
    created = synced_invoice(world)
    map_check(world, person)
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-10",
        amount="200.00",
        method="check",
        reference="4411",
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )
    their_payment(person, created, 200, "2026-05-09")

    pull(world)

    seen = view(world, "payment", "pay-1")
    assert seen.status == "bypassed"
    assert seen.problem is not None and seen.problem.code == "invoice.paid_in_quickbooks"
    assert [e["payload"]["id"] for e in events(world, "payment.bypassed")] == ["pay-1"]
    assert [e["payload"]["id"] for e in events(world, "invoice.paid_in_quickbooks")] == ["inv-1"]

    sync(world)
    sync(world)

    assert len(world.entities("Payment")) == 1
    assert amount(invoice_in_quickbooks(world, "inv-1")["Balance"]) == 0
    assert view(world, "payment", "pay-1").status == "bypassed"


@pytest.mark.failure_mode("invoice.paid_in_quickbooks")
def test_a_payment_sent_after_its_invoice_was_paid_in_quickbooks_is_set_aside(
    world: World, person: Person
) -> None:
    """The invoice was paid in QuickBooks (and pulled) before the app sent its own payment,
    taken on another day: the sync sets the app's payment aside instead of paying twice."""
    created = synced_invoice(world)
    map_check(world, person)
    their_payment(person, created, 200, "2026-05-09")
    pull(world)
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-12",
        amount="200.00",
        method="check",
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )

    sync(world)

    seen = view(world, "payment", "pay-1")
    assert seen.status == "bypassed"
    assert seen.problem is not None and seen.problem.code == "invoice.paid_in_quickbooks"
    assert "undo_bypass" in seen.actions
    assert len(world.entities("Payment")) == 1


# --- invoice.amount_mismatch -----------------------------------------------------------------


@pytest.mark.failure_mode("invoice.amount_mismatch")
def test_an_invoice_total_changed_in_quickbooks_shows_in_the_reconciliation_report(
    world: World, person: Person
) -> None:
    """A bookkeeper changes the quantity on the invoice in QuickBooks (3 visits, not 2). The
    reconciliation report lists the invoice with both totals."""
    created = synced_invoice(world)
    line = dict(created["Line"][0])
    line["Amount"] = 300
    line["SalesItemLineDetail"] = {**line["SalesItemLineDetail"], "Qty": 3}
    person.update("Invoice", created["Id"], Line=[line])
    pull(world)

    report = world.service.reconciliation(world.key_id, world.connection_id)

    (mismatch,) = report["mismatches"]
    assert mismatch["code"] == "invoice.amount_mismatch"
    assert mismatch["id"] == "inv-1" and mismatch["quickbooks_id"] == created["Id"]
    assert amount(mismatch["app_total"]) == 200
    assert amount(mismatch["quickbooks_total"]) == 300
    assert amount(mismatch["difference"]) == 100


@pytest.mark.failure_mode("invoice.amount_mismatch")
def test_an_invoice_taxed_by_quickbooks_shows_both_totals_and_the_tax(
    world: World, person: Person
) -> None:
    """The app sends a taxable invoice without tax amounts; QuickBooks works the tax out
    (Placer County, 7.25%). The report shows both totals and QuickBooks' tax."""
    (placer,) = person.query("SELECT * FROM TaxCode WHERE Name = 'Placer County'")
    world.service.set_mappings(
        world.key_id, world.connection_id, {"tax_rates": {"placer": str(placer["Id"])}}
    )
    created = synced_invoice(
        world,
        tax_rate_id="placer",
        lines=[{"item_id": "svc", "quantity": "2", "unit_price": "100.00", "taxable": True}],
    )
    pull(world)

    report = world.service.reconciliation(world.key_id, world.connection_id)

    (mismatch,) = report["mismatches"]
    assert mismatch["code"] == "invoice.amount_mismatch"
    assert amount(mismatch["app_total"]) == 200
    assert amount(mismatch["quickbooks_total"]) == amount(created["TotalAmt"]) == 214.5
    assert amount(mismatch["quickbooks_tax"]) == 14.5


# --- purchase_order.deleted_in_quickbooks ----------------------------------------------------


def purchase_order_deleted(world: World, person: Person) -> str:
    pull(world)
    put(world, "vendor", "valley", display_name="Valley Supply")
    put(
        world,
        "item",
        "pipe",
        name="Copper Pipe 1/2in",
        type="non_inventory",
        income_account="Sales of Product Income",
        expense_account="Job Materials",
    )
    put(
        world,
        "purchase_order",
        "po-1",
        number="PO-7",
        vendor_id="valley",
        date="2026-05-04",
        lines=[{"item_id": "pipe", "quantity": "10", "unit_price": "4.25"}],
    )
    report = sync(world)
    assert report.failed == 0, report
    (order,) = world.entities("PurchaseOrder")
    person.delete("PurchaseOrder", order["Id"])
    pull(world)
    seen = view(world, "purchase_order", "po-1")
    assert seen.problem is not None
    assert seen.problem.code == "purchase_order.deleted_in_quickbooks"
    assert {"recreate", "unlink", "accept_deletion"} <= set(seen.actions)
    return str(order["Id"])


@pytest.mark.failure_mode("purchase_order.deleted_in_quickbooks")
def test_a_purchase_order_deleted_in_quickbooks_is_recreated(world: World, person: Person) -> None:
    """Someone deletes the purchase order in QuickBooks; Recreate adds it again as last sent."""
    old_id = purchase_order_deleted(world, person)

    act(world, "purchase_order", "po-1", "recreate")
    sync(world)

    (again,) = world.entities("PurchaseOrder")
    assert again["Id"] != old_id and again["DocNumber"] == "PO-7"
    assert amount(again["TotalAmt"]) == amount("42.50")
    assert view(world, "purchase_order", "po-1").status == "synced"


@pytest.mark.failure_mode("purchase_order.deleted_in_quickbooks")
@pytest.mark.parametrize("action", ["unlink", "accept_deletion"])
def test_a_purchase_order_deleted_in_quickbooks_is_unlinked_or_left_deleted(
    world: World, person: Person, action: str
) -> None:
    """Unlink sends the app's purchase order again as a new one; Accept deletion leaves
    QuickBooks without it for good."""
    purchase_order_deleted(world, person)

    act(world, "purchase_order", "po-1", action)
    sync(world)

    orders = world.entities("PurchaseOrder")
    if action == "unlink":
        assert [o["DocNumber"] for o in orders] == ["PO-7"]
        assert view(world, "purchase_order", "po-1").status == "synced"
    else:
        assert orders == []
        assert view(world, "purchase_order", "po-1").status == "bypassed"
