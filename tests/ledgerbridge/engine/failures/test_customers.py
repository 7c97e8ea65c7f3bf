"""Customers, properties and jobs: each failure provoked in the emulator, explained, fixed.

Every test ends by looking at QuickBooks itself (the emulator's export): one customer per name,
the name an action chose, nothing created twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.errors import Invalid, NotFound, Refused
from ledgerbridge.engine.health import requeue_stalled
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import (
    Person,
    act,
    by_name,
    events,
    merge,
    pull,
    put,
    sync,
    view,
)


def invoice_lines(item: str = "svc") -> list[dict[str, str]]:
    return [{"item_id": item, "quantity": "1", "unit_price": "90.00"}]


def later(world: World, minutes: float) -> None:
    """Move the engine's clock forward: time passes with nobody working the company."""
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=minutes)


# --- the app's own data -----------------------------------------------------------------------


@pytest.mark.failure_mode("customer.name_missing")
def test_a_customer_without_a_name_is_refused_at_the_door(world: World) -> None:
    """The app sends a customer with only an email: there is nothing QuickBooks could call it.
    The API refuses it (a 422 naming the field) and stores nothing; once it has a name it is
    sent."""
    pull(world)
    with pytest.raises(Invalid) as refused:
        put(world, "customer", "nameless", email="someone@example.com", phone="555-0100")
    (problem,) = refused.value.problems
    assert problem.code == catalog.CUSTOMER_NAME_MISSING
    assert problem.field == "display_name"
    assert "display_name" in problem.message
    assert problem.to_json()["field"] == "display_name"  # what the API's 422 lists
    with pytest.raises(NotFound):
        view(world, "customer", "nameless")
    assert sync(world).created == 0
    assert world.entities("Customer") == []

    put(world, "customer", "nameless", company_name="Someone Ltd", email="someone@example.com")
    sync(world)
    assert view(world, "customer", "nameless").status == "synced"
    assert list(by_name(world, "Customer")) == ["Someone Ltd"]


@pytest.mark.failure_mode("customer.email_invalid")
def test_a_connection_that_requires_emails_holds_back_a_customer_without_one(
    world: World,
) -> None:
    """The connection matches customers on billing email, so every customer needs one. A
    malformed address is refused at the door; a missing one is an error on the record that
    the app fixes (there is no button for it), and the corrected customer then goes through."""
    world.service.update_settings(
        world.key_id, world.connection_id, {"customer_email_required": True}
    )
    pull(world)
    with pytest.raises(Invalid) as refused:
        put(world, "customer", "eve", display_name="Eve Park", email="eve.example.com")
    assert [p.code for p in refused.value.problems] == [catalog.CUSTOMER_EMAIL_INVALID]
    assert refused.value.problems[0].field == "email"

    put(world, "customer", "eve", display_name="Eve Park")
    sync(world)
    record = view(world, "customer", "eve")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.CUSTOMER_EMAIL_INVALID
    assert record.problem.field == "email"
    assert record.problem.actions == ("edit_in_app",)
    assert "differentiate" not in record.actions and "edit_in_app" not in record.actions
    with pytest.raises(Refused, match="fixed in the app"):
        act(world, "customer", "eve", "edit_in_app")
    assert world.entities("Customer") == []

    put(world, "customer", "eve", display_name="Eve Park", email="eve@example.com")
    sync(world)
    assert view(world, "customer", "eve").status == "synced"
    assert (
        by_name(world, "Customer")["Eve Park"]["PrimaryEmailAddr"]["Address"] == "eve@example.com"
    )


@pytest.mark.failure_mode("customer.duplicate_in_app")
def test_two_app_customers_with_one_name_are_told_apart(world: World) -> None:
    """Two different people named John Smith in the app: QuickBooks takes one name once. The
    first (by app id) keeps it and is sent at once, whatever the order they are planned in;
    only the second asks. Differentiate sends it as "John Smith - 2"; both end up in
    QuickBooks."""
    pull(world)
    put(world, "customer", "js-1", first_name="John", last_name="Smith", email="js1@example.com")
    put(world, "customer", "js-2", first_name="John", last_name="Smith", email="js2@example.com")
    sync(world)
    second = view(world, "customer", "js-2")
    assert second.status == "error"
    assert second.problem is not None
    assert second.problem.code == catalog.CUSTOMER_DUPLICATE_IN_APP
    assert second.problem.actions == ("differentiate", "edit_in_app")
    assert "differentiate" in second.actions
    # the first keeps the name: it is in QuickBooks already, and offers nothing to refuse
    first = view(world, "customer", "js-1")
    assert first.status == "synced" and first.problem is None
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["John Smith"]

    done = act(world, "customer", "js-2", "differentiate")
    assert done.detail == {"field": "display_name", "value": "John Smith - 2"}
    sync(world)

    found = by_name(world, "Customer")
    assert set(found) == {"John Smith", "John Smith - 2"}
    assert found["John Smith"]["PrimaryEmailAddr"]["Address"] == "js1@example.com"
    assert found["John Smith - 2"]["PrimaryEmailAddr"]["Address"] == "js2@example.com"
    assert view(world, "customer", "js-1").status == "synced"
    assert view(world, "customer", "js-2").status == "synced"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["id"] == "js-2"
    assert told["payload"]["field"] == "display_name"
    assert told["payload"]["quickbooks_value"] == "John Smith - 2"


# --- a name already held in QuickBooks ---------------------------------------------------------


@pytest.mark.failure_mode("customer.exists_in_quickbooks")
def test_a_customer_already_in_quickbooks_with_the_same_email_is_linked(
    world: World, person: Person
) -> None:
    """The bookkeeper typed Cara Moss into QuickBooks before the first sync. Same name and same
    email: it is the same customer, linked by itself; nothing is created."""
    existing = person.create(
        "Customer", {"DisplayName": "Cara Moss", "PrimaryEmailAddr": {"Address": "cara@ex.com"}}
    )
    pull(world)
    put(world, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    report = sync(world)
    assert report.linked == 1 and report.created == 0
    record = view(world, "customer", "cara")
    assert record.status == "synced" and record.problem is None
    assert record.quickbooks_id == existing["Id"]
    assert list(by_name(world, "Customer")) == ["Cara Moss"]


@pytest.mark.failure_mode("customer.exists_in_quickbooks")
def test_a_customer_created_in_quickbooks_since_the_last_pull_is_still_linked(
    world: World, person: Person
) -> None:
    """The mirror is a minute behind: the bookkeeper has just typed Cara Moss into QuickBooks,
    with her email. QuickBooks refuses our create as a duplicate name (6240); the engine looks
    the holder up, sees the same email and links to it: one Cara Moss, linked."""
    pull(world)
    existing = person.create(
        "Customer", {"DisplayName": "Cara Moss", "PrimaryEmailAddr": {"Address": "cara@ex.com"}}
    )
    put(world, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    sync(world)
    assert list(by_name(world, "Customer")) == ["Cara Moss"]  # never a duplicate, even now
    record = view(world, "customer", "cara")
    assert record.status == "synced"
    assert record.quickbooks_id == existing["Id"]


@pytest.mark.failure_mode("customer.exists_in_quickbooks")
def test_a_same_name_customer_with_another_email_is_linked_when_a_person_says_so(
    world: World, person: Person
) -> None:
    """QuickBooks holds a Cara Moss with an older email: maybe her, maybe not. The engine
    asks; the office user clicks Link, and the app's customer follows the existing one."""
    existing = person.create(
        "Customer", {"DisplayName": "Cara Moss", "PrimaryEmailAddr": {"Address": "old@ex.com"}}
    )
    pull(world)
    put(world, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    sync(world)
    record = view(world, "customer", "cara")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS
    assert record.problem.params["quickbooks_id"] == existing["Id"]
    assert record.problem.actions == ("link", "differentiate")
    assert {"link", "differentiate"} <= set(record.actions)
    assert list(by_name(world, "Customer")) == ["Cara Moss"]

    done = act(world, "customer", "cara", "link", quickbooks_id=existing["Id"])
    assert done.record.status == "synced"
    assert done.record.quickbooks_id == existing["Id"]
    report = sync(world)
    assert report.created == 0
    assert list(by_name(world, "Customer")) == ["Cara Moss"]
    assert by_name(world, "Customer")["Cara Moss"]["Id"] == existing["Id"]
    (linked,) = events(world, "record.synced")
    assert linked["payload"]["how"] == "linked_by_person"

    # invoices of the app's customer now go to that QuickBooks customer
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(world, "invoice", "inv-1", customer_id="cara", date="2026-11-02", lines=invoice_lines())
    sync(world)
    (invoice,) = world.entities("Invoice")
    assert invoice["CustomerRef"]["value"] == existing["Id"]
    assert len(world.entities("Customer")) == 1


@pytest.mark.failure_mode("customer.exists_in_quickbooks")
def test_a_same_name_customer_that_is_someone_else_is_differentiated(
    world: World, person: Person
) -> None:
    """The Cara Moss in QuickBooks is another person: Differentiate sends ours as
    "Cara Moss - 2" and leaves theirs alone."""
    existing = person.create(
        "Customer", {"DisplayName": "Cara Moss", "PrimaryEmailAddr": {"Address": "old@ex.com"}}
    )
    pull(world)
    put(world, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@ex.com")
    sync(world)
    assert view(world, "customer", "cara").problem is not None

    act(world, "customer", "cara", "differentiate")
    sync(world)
    found = by_name(world, "Customer")
    assert set(found) == {"Cara Moss", "Cara Moss - 2"}
    assert found["Cara Moss"]["Id"] == existing["Id"]
    assert found["Cara Moss"]["SyncToken"] == "0"  # theirs untouched
    assert found["Cara Moss - 2"]["PrimaryEmailAddr"]["Address"] == "cara@ex.com"
    record = view(world, "customer", "cara")
    assert record.status == "synced"
    assert record.quickbooks_id == found["Cara Moss - 2"]["Id"]
    assert record.data["last_name"] == "Moss"  # the app's record itself is unchanged
    (told,) = events(world, "record.overridden")
    assert told["payload"]["quickbooks_value"] == "Cara Moss - 2"


@pytest.mark.failure_mode("customer.name_used_by_other_type")
def test_a_customer_named_like_a_vendor_is_differentiated(world: World, person: Person) -> None:
    """Maria Delgado is a subcontractor (a vendor) in QuickBooks and now also a customer in
    the app. Customers and vendors share names in QuickBooks: the customer goes as
    "Maria Delgado - 2"; the vendor is not touched."""
    vendor = person.create("Vendor", {"DisplayName": "Maria Delgado"})
    pull(world)
    put(world, "customer", "maria", display_name="Maria Delgado", email="maria@ex.com")
    sync(world)
    record = view(world, "customer", "maria")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE
    assert record.problem.params["quickbooks_type"] == "vendor"
    assert "vendor" in record.problem.title
    assert record.problem.actions == ("differentiate", "retry")
    assert world.entities("Customer") == []

    act(world, "customer", "maria", "differentiate")
    sync(world)
    assert list(by_name(world, "Customer")) == ["Maria Delgado - 2"]
    (still,) = world.entities("Vendor")
    assert still["Id"] == vendor["Id"]
    assert still["DisplayName"] == "Maria Delgado"
    assert still["SyncToken"] == "0"
    assert view(world, "customer", "maria").status == "synced"
    assert events(world, "record.overridden")[0]["payload"]["action"] == "differentiate"


@pytest.mark.failure_mode("customer.name_used_by_other_type")
def test_a_customer_named_like_a_vendor_goes_as_it_is_once_the_vendor_is_renamed(
    world: World, person: Person
) -> None:
    """The other way out: the bookkeeper renames the vendor in QuickBooks to "Maria Delgado
    (vendor)". Once the engine has seen the change (the pull a webhook triggers), Retry sends
    the customer under her own name."""
    vendor = person.create("Vendor", {"DisplayName": "Maria Delgado"})
    pull(world)
    put(world, "customer", "maria", display_name="Maria Delgado", email="maria@ex.com")
    sync(world)
    assert view(world, "customer", "maria").status == "error"

    person.update("Vendor", vendor["Id"], DisplayName="Maria Delgado (vendor)")
    pull(world)
    act(world, "customer", "maria", "retry")
    sync(world)
    assert list(by_name(world, "Customer")) == ["Maria Delgado"]
    assert [v["DisplayName"] for v in world.entities("Vendor")] == ["Maria Delgado (vendor)"]
    record = view(world, "customer", "maria")
    assert record.status == "synced" and record.overrides == {}
    assert events(world, "record.overridden") == []


# --- changes made in QuickBooks ------------------------------------------------------------------


@pytest.mark.failure_mode("customer.inactive_in_quickbooks")
def test_a_customer_made_inactive_in_quickbooks_is_reactivated_and_its_invoice_follows(
    world: World, person: Person
) -> None:
    """Someone made Bo Diaz inactive in QuickBooks: the next pull shows it on the record.
    The app then changes Bo and bills him: the change is held (pushing it would quietly undo
    the person's choice) and the invoice waits; Reactivate makes Bo active in QuickBooks and
    both go through on the next sync, by themselves."""
    pull(world)
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(world, "customer", "bo", display_name="Bo Diaz", email="bo@ex.com")
    sync(world)
    bo = by_name(world, "Customer")["Bo Diaz"]
    person.update("Customer", bo["Id"], DisplayName="Bo Diaz", Active=False)
    pull(world)
    seen = view(world, "customer", "bo")
    assert seen.problem is not None
    assert seen.problem.code == catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS
    assert any(h["kind"] == "drift" for h in seen.history)

    put(world, "customer", "bo", display_name="Bo Diaz", email="bo@ex.com", phone="555-0101")
    put(world, "invoice", "inv-1", customer_id="bo", date="2026-11-02", lines=invoice_lines())
    sync(world)
    record = view(world, "customer", "bo")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS
    assert record.problem.params["quickbooks_id"] == bo["Id"]
    assert record.problem.actions == ("reactivate", "accept_quickbooks")
    assert {"reactivate", "accept_quickbooks"} <= set(record.actions)
    invoice = view(world, "invoice", "inv-1")
    assert invoice.problem is not None
    assert invoice.problem.code == catalog.INVOICE_CUSTOMER_INACTIVE
    assert by_name(world, "Customer")["Bo Diaz"]["Active"] is False
    assert world.entities("Invoice") == []

    done = act(world, "customer", "bo", "reactivate")
    assert "active again" in done.summary
    assert by_name(world, "Customer")["Bo Diaz"]["Active"] is True
    sync(world)
    bo_after = by_name(world, "Customer")["Bo Diaz"]
    assert bo_after["Id"] == bo["Id"]
    assert bo_after["PrimaryPhone"]["FreeFormNumber"] == "555-0101"
    (created,) = world.entities("Invoice")
    assert created["CustomerRef"]["value"] == bo["Id"]
    assert view(world, "customer", "bo").status == "synced"
    assert view(world, "invoice", "inv-1").status == "synced"
    assert len(world.entities("Customer")) == 1


@pytest.mark.failure_mode("customer.inactive_in_quickbooks")
def test_a_customer_made_inactive_in_quickbooks_can_be_left_inactive(
    world: World, person: Person
) -> None:
    """The bookkeeper made Bo inactive on purpose. Keep QuickBooks' version: the app is told
    Bo is inactive, the record stops failing, and QuickBooks keeps him inactive."""
    pull(world)
    put(world, "customer", "bo", display_name="Bo Diaz", email="bo@ex.com")
    sync(world)
    bo = by_name(world, "Customer")["Bo Diaz"]
    deactivated = person.update("Customer", bo["Id"], DisplayName="Bo Diaz", Active=False)
    pull(world)
    assert view(world, "customer", "bo").status == "error"

    done = act(world, "customer", "bo", "accept_quickbooks")
    assert done.record.status == "synced"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "active"
    assert told["payload"]["app_value"] is True
    assert told["payload"]["quickbooks_value"] is False
    sync(world)
    pull(world)
    assert view(world, "customer", "bo").status == "synced"
    after = by_name(world, "Customer")["Bo Diaz"]
    assert after["Active"] is False
    assert after["SyncToken"] == deactivated["SyncToken"]  # nothing pushed over it


@pytest.mark.failure_mode("customer.parent_not_synced")
def test_a_property_waits_for_its_failed_parent_and_follows_it(
    world: World, person: Person
) -> None:
    """The property 1 Elm St belongs to Top Co, whose name a vendor already holds. The parent
    fails, the property is blocked (not failed) and names its blocker; once the parent is
    differentiated, the property goes through by itself, under it."""
    person.create("Vendor", {"DisplayName": "Top Co"})
    pull(world)
    put(world, "customer", "elm", display_name="1 Elm St", kind="property", parent_id="top")
    put(world, "customer", "top", display_name="Top Co", email="office@topco.example")
    sync(world)
    parent = view(world, "customer", "top")
    assert parent.problem is not None
    assert parent.problem.code == catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE
    child = view(world, "customer", "elm")
    assert child.status == "blocked"
    assert child.blocked_by == ("customer", "top")
    assert child.problem is not None
    assert child.problem.code == catalog.CUSTOMER_PARENT_NOT_SYNCED
    assert child.problem.field == "parent_id"
    assert child.problem.params["id"] == "top"
    assert child.problem.retriable
    assert world.entities("Customer") == []

    act(world, "customer", "top", "differentiate")
    sync(world)
    found = by_name(world, "Customer")
    assert set(found) == {"Top Co - 2", "1 Elm St"}
    assert found["1 Elm St"]["ParentRef"]["value"] == found["Top Co - 2"]["Id"]
    assert view(world, "customer", "elm").status == "synced"


@pytest.mark.failure_mode("customer.edited_concurrently")
def test_an_edit_of_another_field_in_quickbooks_meanwhile_is_kept(
    world: World, person: Person
) -> None:
    """5010: the bookkeeper added Dana's phone in QuickBooks after our last push, and the app
    changed her notes. The engine re-reads her and sends only the notes: both changes stay."""
    pull(world)
    put(world, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 4")
    sync(world)
    dana = by_name(world, "Customer")["Dana Fox"]
    person.update("Customer", dana["Id"], PrimaryPhone={"FreeFormNumber": "916-555-0100"})
    put(world, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 7")
    report = sync(world)
    assert report.updated == 1 and report.failed == 0
    after = by_name(world, "Customer")["Dana Fox"]
    assert after["Notes"] == "gate 7"
    assert after["PrimaryPhone"]["FreeFormNumber"] == "916-555-0100"
    record = view(world, "customer", "d")
    assert record.status == "synced" and record.problem is None
    assert any(h["kind"] == "stale_reapplied" for h in record.history)


def _both_change_notes(world: World, person: Person) -> str:
    """Dana's gate code: "gate 4" pushed, then "gate 5" in QuickBooks and "gate 7" in the app."""
    pull(world)
    put(world, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 4")
    sync(world)
    dana = by_name(world, "Customer")["Dana Fox"]
    person.update("Customer", dana["Id"], Notes="gate 5")
    put(world, "customer", "d", display_name="Dana Fox", email="dana@ex.com", notes="gate 7")
    sync(world)
    return str(dana["Id"])


@pytest.mark.failure_mode("customer.edited_concurrently")
def test_the_same_field_edited_on_both_sides_is_shown_and_quickbooks_version_kept(
    world: World, person: Person
) -> None:
    """Both sides changed Dana's notes. Nothing is overwritten silently: the record shows
    both values; Keep QuickBooks' version leaves "gate 5" and tells the app."""
    qbo_id = _both_change_notes(world, person)
    assert by_name(world, "Customer")["Dana Fox"]["Notes"] == "gate 5"  # not overwritten
    record = view(world, "customer", "d")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.CUSTOMER_EDITED_CONCURRENTLY
    assert record.problem.params["quickbooks_field"] == "Notes"
    assert record.problem.params["quickbooks_value"] == "gate 5"
    assert record.problem.params["app_value"] == "gate 7"
    assert record.problem.actions == ("accept_quickbooks", "retry")
    assert {"accept_quickbooks", "retry"} <= set(record.actions)

    act(world, "customer", "d", "accept_quickbooks")
    sync(world)
    after = by_name(world, "Customer")["Dana Fox"]
    assert after["Id"] == qbo_id
    assert after["Notes"] == "gate 5"
    assert view(world, "customer", "d").status == "synced"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "notes"
    assert told["payload"]["app_value"] == "gate 7"
    assert told["payload"]["quickbooks_value"] == "gate 5"


@pytest.mark.failure_mode("customer.edited_concurrently")
def test_the_same_field_edited_on_both_sides_is_overwritten_only_on_retry(
    world: World, person: Person
) -> None:
    """The office user decides the app is right: Retry sends "gate 7" over QuickBooks' value,
    knowingly, to the same customer."""
    qbo_id = _both_change_notes(world, person)
    assert view(world, "customer", "d").status == "error"
    act(world, "customer", "d", "retry")
    sync(world)
    after = by_name(world, "Customer")["Dana Fox"]
    assert after["Id"] == qbo_id
    assert after["Notes"] == "gate 7"
    assert view(world, "customer", "d").status == "synced"


@pytest.mark.failure_mode("customer.merged_in_quickbooks")
def test_a_customer_merged_in_quickbooks_follows_the_survivor(world: World, person: Person) -> None:
    """The bookkeeper found two QuickBooks customers for one client and merged ours into
    theirs; our invoice moved with it. After the next pull the app's customer is linked to
    the one that remains, the change is logged and told, and its next invoice goes there;
    nothing is re-created."""
    pull(world)
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@ex.com")
    put(world, "invoice", "inv-1", customer_id="ann", date="2026-11-02", lines=invoice_lines())
    sync(world)
    ours = by_name(world, "Customer")["Ann Lee"]
    theirs = person.create("Customer", {"DisplayName": "Ann Lee (Lee Plumbing)"})
    merge(world, "Customer", ours["Id"], theirs["Id"])
    pull(world)

    record = view(world, "customer", "ann")
    assert record.quickbooks_id == theirs["Id"]
    assert record.status == "synced" and record.problem is None
    (merged,) = [h for h in record.history if h["kind"] == "merged"]
    assert merged["detail"] == {
        "from_quickbooks_id": ours["Id"],
        "into_quickbooks_id": theirs["Id"],
    }
    (told,) = events(world, "customer.merged_in_quickbooks")
    assert told["payload"]["id"] == "ann"
    assert view(world, "invoice", "inv-1").status == "synced"  # moved by the merge, not "moved"

    put(world, "invoice", "inv-2", customer_id="ann", date="2026-11-09", lines=invoice_lines())
    sync(world)
    assert {i["CustomerRef"]["value"] for i in world.entities("Invoice")} == {theirs["Id"]}
    assert len(world.entities("Invoice")) == 2
    assert list(by_name(world, "Customer")) == ["Ann Lee (Lee Plumbing)"]


@pytest.mark.failure_mode("customer.merged_in_quickbooks")
def test_a_merge_the_engine_cannot_follow_is_linked_by_a_person(
    world: World, person: Person
) -> None:
    """Ann had no transactions yet, so nothing tells which customer she was merged into.
    The record says so; the office user links it to the one that remains; nothing is
    created again."""
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@ex.com")
    sync(world)
    ours = by_name(world, "Customer")["Ann Lee"]
    theirs = person.create("Customer", {"DisplayName": "Ann Lee (Lee Plumbing)"})
    merge(world, "Customer", ours["Id"], theirs["Id"])
    pull(world)

    record = view(world, "customer", "ann")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.CUSTOMER_MERGED_IN_QUICKBOOKS
    assert record.problem.actions == ("link", "unlink")
    assert {"link", "unlink"} <= set(record.actions)

    done = act(world, "customer", "ann", "link", quickbooks_id=theirs["Id"])
    assert done.record.quickbooks_id == theirs["Id"]
    assert done.record.status == "synced"
    report = sync(world)
    assert report.created == 0
    assert list(by_name(world, "Customer")) == ["Ann Lee (Lee Plumbing)"]


# --- properties and long texts -------------------------------------------------------------------


@pytest.mark.failure_mode("property.duplicate_name")
def test_two_properties_of_one_customer_with_one_name_are_told_apart(world: World) -> None:
    """Ann Lee has two service addresses the app both calls "Rental": differentiate sends
    the second as "Rental - 2", both under Ann."""
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@ex.com")
    put(world, "customer", "p1", display_name="Rental", kind="property", parent_id="ann")
    put(world, "customer", "p2", display_name="Rental", kind="property", parent_id="ann")
    sync(world)
    second = view(world, "customer", "p2")
    assert second.problem is not None
    assert second.problem.code == catalog.PROPERTY_DUPLICATE_NAME
    assert second.problem.actions == ("differentiate",)

    act(world, "customer", "p2", "differentiate")
    sync(world)
    found = by_name(world, "Customer")
    assert set(found) == {"Ann Lee", "Rental", "Rental - 2"}
    assert found["Rental"]["ParentRef"]["value"] == found["Ann Lee"]["Id"]
    assert found["Rental - 2"]["ParentRef"]["value"] == found["Ann Lee"]["Id"]
    assert view(world, "customer", "p1").status == "synced"
    assert view(world, "customer", "p2").status == "synced"


@pytest.mark.failure_mode("record.field_too_long")
def test_notes_too_long_for_quickbooks_are_shortened(world: World) -> None:
    """The app keeps long access notes; QuickBooks takes 2000 characters. The record says
    which field, how long and the limit; Shorten sends the first 2000 and tells the app."""
    pull(world)
    notes = "Key under the mat. " * 110  # 2090 characters
    put(world, "customer", "k", display_name="Kim Ode", email="kim@ex.com", notes=notes)
    sync(world)
    record = view(world, "customer", "k")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.RECORD_FIELD_TOO_LONG
    assert record.problem.field == "notes"
    assert record.problem.params["length"] == len(notes)
    assert record.problem.params["limit"] == 2000
    assert "2000" in record.problem.meaning
    assert "shorten" in record.actions

    act(world, "customer", "k", "shorten")
    sync(world)
    sent = by_name(world, "Customer")["Kim Ode"]["Notes"]
    assert len(sent) <= 2000
    assert notes.startswith(sent)
    assert view(world, "customer", "k").status == "synced"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "notes"
    assert told["payload"]["quickbooks_value"] == sent
    assert told["payload"]["app_value"] == notes


@pytest.mark.failure_mode("record.field_too_long")
def test_an_address_line_too_long_for_quickbooks_is_shortened(world: World) -> None:
    """A billing address line of 520 characters (directions pasted into it): QuickBooks
    takes 500. Shorten sends the first 500; the rest of the address goes as it is."""
    pull(world)
    line1 = "12 Oak St, " + "round the back past the barn, " * 17  # 521 characters
    address = {"line1": line1, "city": "Davis", "region": "CA", "postal_code": "95616"}
    put(world, "customer", "o", display_name="Oak Farm", billing_address=address)
    sync(world)
    record = view(world, "customer", "o")
    assert record.problem is not None
    assert record.problem.code == catalog.RECORD_FIELD_TOO_LONG
    assert record.problem.field == "billing_address.line1"
    assert record.problem.params["limit"] == 500

    act(world, "customer", "o", "shorten")
    sync(world)
    sent = by_name(world, "Customer")["Oak Farm"]["BillAddr"]
    assert len(sent["Line1"]) <= 500 and line1.startswith(sent["Line1"])
    assert sent["City"] == "Davis"
    assert events(world, "record.overridden")[0]["payload"]["field"] == "billing_address.line1"


# --- records nobody worked ---------------------------------------------------------------------


@pytest.mark.failure_mode("record.stalled")
@pytest.mark.in_process("moves the engine's clock, which the workers do not share")
def test_a_record_nobody_worked_is_queued_again(world: World) -> None:
    """The wake-up for a new customer was lost and no worker looked at it for twenty
    minutes. The engine's periodic check puts it back in line (the "edit and save again"
    fix, without the edit), the log says so, and it is sent once."""
    pull(world)
    put(world, "customer", "s", display_name="Sam Ruiz", email="sam@ex.com")
    assert requeue_stalled(world.ledger, world.connection_id) == 0  # not yet overdue
    later(world, 20)
    assert requeue_stalled(world.ledger, world.connection_id) == 1
    record = view(world, "customer", "s")
    assert record.status == "pending"
    (stalled,) = [h for h in record.history if h["kind"] == "stalled_requeued"]
    assert stalled["detail"]["minutes"] >= 15
    sync(world)
    assert view(world, "customer", "s").status == "synced"
    assert list(by_name(world, "Customer")) == ["Sam Ruiz"]


@pytest.mark.failure_mode("record.stalled")
@pytest.mark.in_process("moves the engine's clock, which the workers do not share")
def test_a_stalled_record_shows_it_until_it_goes_through(world: World) -> None:
    """While a re-queued record waits for its turn, the dashboard says why it is late
    ("Taking longer than expected", with the minutes); the message goes once it is sent."""
    pull(world)
    put(world, "customer", "s", display_name="Sam Ruiz", email="sam@ex.com")
    later(world, 20)
    assert requeue_stalled(world.ledger, world.connection_id) == 1
    record = view(world, "customer", "s")
    assert record.status == "pending"
    assert record.problem is not None
    assert record.problem.code == catalog.RECORD_STALLED
    assert int(record.problem.params["minutes"]) >= 15
    assert "retry" in record.actions
    sync(world)
    record = view(world, "customer", "s")
    assert record.status == "synced" and record.problem is None


@pytest.mark.failure_mode("record.stalled")
@pytest.mark.in_process("moves the engine's clock, which the workers do not share")
@pytest.mark.emulator_socket("the answer to a write is lost: a dropped connection")
def test_a_write_whose_answer_was_lost_is_settled_not_repeated(world: World) -> None:
    """QuickBooks created the customer but its answer was lost on the way back, and then
    nobody worked the company for hours. The record sits pending with its write in flight;
    the periodic check re-queues it and the next pass settles the write under its stored
    requestid: one customer, not two."""
    pull(world)
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"method": "POST", "entity": "batch"}, "action": {"drop_after_commit": True}},
    )
    put(world, "customer", "s", display_name="Sam Ruiz", email="sam@ex.com")
    first = sync(world)
    assert first.created == 0
    with world.ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(world.connection_id, "customer", "s")
    assert state is not None and state.status == "pending"
    assert state.pending_request_id is not None
    assert len(world.entities("Customer")) == 1  # QuickBooks did take it

    later(world, 240)
    assert requeue_stalled(world.ledger, world.connection_id) == 1
    record = view(world, "customer", "s")
    (stalled,) = [h for h in record.history if h["kind"] == "stalled_requeued"]
    assert stalled["detail"]["pending_write"] is True
    report = sync(world)
    assert report.created == 1  # settled by replay
    assert view(world, "customer", "s").status == "synced"
    assert list(by_name(world, "Customer")) == ["Sam Ruiz"]
