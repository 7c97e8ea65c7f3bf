"""Vendors and their documents (receipts, bills): each failure provoked in the emulator,
explained, fixed, and the outcome read back from QuickBooks itself."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.errors import Refused
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import (
    Person,
    act,
    by_name,
    events,
    merge,
    merge_notice,
    pull,
    put,
    sync,
    view,
)


def put_receipt(world: World, app_id: str, vendor_id: str, **changes: object) -> None:
    """A receipt (QuickBooks Purchase): materials paid by check at the supplier's counter."""
    data: dict[str, object] = {
        "vendor_id": vendor_id,
        "vendor_document_number": "INV-77",
        "date": "2026-11-02",
        "payment_type": "check",
        "payment_account": "Checking",
        "lines": [{"expense_account": "Job Materials", "amount": "42.50"}],
        **changes,
    }
    put(world, "receipt", app_id, **data)


# --- vendors ---------------------------------------------------------------------------------


@pytest.mark.failure_mode("vendor.exists_in_quickbooks")
def test_a_vendor_already_in_quickbooks_with_no_other_email_is_linked(
    world: World, person: Person
) -> None:
    """Pine Supply is in QuickBooks already, with the same email: it is the same supplier,
    linked by itself, and nothing is created."""
    existing = person.create(
        "Vendor", {"DisplayName": "Pine Supply", "PrimaryEmailAddr": {"Address": "ap@pine.example"}}
    )
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply", email="ap@pine.example")
    report = sync(world)
    assert report.linked == 1 and report.created == 0
    assert view(world, "vendor", "pine").quickbooks_id == existing["Id"]
    assert list(by_name(world, "Vendor")) == ["Pine Supply"]


@pytest.mark.failure_mode("vendor.exists_in_quickbooks")
def test_a_same_name_vendor_with_another_email_is_linked_when_a_person_says_so(
    world: World, person: Person
) -> None:
    """QuickBooks' Pine Supply has another email (their old accounts-payable address): the
    engine does not guess. The office user clicks Link; the vendor's receipts then go to the
    existing QuickBooks vendor and no second Pine Supply appears."""
    existing = person.create(
        "Vendor",
        {"DisplayName": "Pine Supply", "PrimaryEmailAddr": {"Address": "old@pine.example"}},
    )
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply", email="ap@pine.example")
    put_receipt(world, "r1", "pine")
    sync(world)
    record = view(world, "vendor", "pine")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.VENDOR_EXISTS_IN_QUICKBOOKS
    assert record.problem.params["quickbooks_id"] == existing["Id"]
    assert record.problem.actions == ("link", "differentiate")
    assert {"link", "differentiate"} <= set(record.actions)
    receipt = view(world, "receipt", "r1")
    assert receipt.status == "blocked"
    assert receipt.blocked_by == ("vendor", "pine")

    done = act(world, "vendor", "pine", "link")  # to the one the problem names
    assert done.detail == {"quickbooks_id": existing["Id"]}
    report = sync(world)
    assert report.created == 1  # the receipt, nothing else
    assert list(by_name(world, "Vendor")) == ["Pine Supply"]
    assert by_name(world, "Vendor")["Pine Supply"]["Id"] == existing["Id"]
    (purchase,) = world.entities("Purchase")
    assert purchase["EntityRef"]["value"] == existing["Id"]
    assert view(world, "vendor", "pine").status == "synced"
    assert view(world, "receipt", "r1").status == "synced"


@pytest.mark.failure_mode("vendor.name_used_by_other_type")
def test_a_vendor_named_like_a_customer_is_differentiated(world: World, person: Person) -> None:
    """Pine Supply buys from us too, so it is a customer in QuickBooks. The same name cannot
    be a vendor as well: Differentiate sends the vendor as "Pine Supply - 2"; the customer is
    not touched."""
    customer = person.create("Customer", {"DisplayName": "Pine Supply"})
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply", email="ap@pine.example")
    sync(world)
    record = view(world, "vendor", "pine")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.VENDOR_NAME_USED_BY_OTHER_TYPE
    assert record.problem.params["quickbooks_type"] == "customer"
    assert record.problem.actions == ("differentiate", "retry")
    assert world.entities("Vendor") == []

    act(world, "vendor", "pine", "differentiate")
    sync(world)
    assert list(by_name(world, "Vendor")) == ["Pine Supply - 2"]
    (still,) = world.entities("Customer")
    assert (still["Id"], still["DisplayName"], still["SyncToken"]) == (
        customer["Id"],
        "Pine Supply",
        "0",
    )
    assert view(world, "vendor", "pine").status == "synced"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "display_name"
    assert told["payload"]["quickbooks_value"] == "Pine Supply - 2"


@pytest.mark.failure_mode("vendor.inactive_in_quickbooks")
def test_a_vendor_made_inactive_in_quickbooks_is_reactivated_and_its_receipt_follows(
    world: World, person: Person
) -> None:
    """Someone made Pine Supply inactive in QuickBooks; the next pull shows it on the vendor.
    Then a receipt from Pine Supply arrives from the app: QuickBooks would refuse it. The
    office user clicks Reactivate on the receipt; the vendor is active again in QuickBooks
    and the receipt (and the vendor's own record) go through on the next sync."""
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply", email="ap@pine.example")
    sync(world)
    pine = by_name(world, "Vendor")["Pine Supply"]
    person.update("Vendor", pine["Id"], Active=False)
    pull(world)
    record = view(world, "vendor", "pine")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.VENDOR_INACTIVE_IN_QUICKBOOKS
    assert record.problem.actions == ("reactivate", "accept_quickbooks")
    assert "reactivate" in record.actions

    put_receipt(world, "r1", "pine")
    sync(world)
    assert world.entities("Purchase") == []
    receipt = view(world, "receipt", "r1")
    assert receipt.status == "error"
    assert receipt.problem is not None
    assert receipt.problem.code == catalog.VENDOR_INACTIVE_IN_QUICKBOOKS
    assert receipt.problem.field == "vendor_id"
    assert "reactivate" in receipt.actions
    # keeping the vendor inactive is decided on the vendor, not on one of its receipts
    with pytest.raises(Refused, match="uses a vendor made inactive in QuickBooks"):
        act(world, "receipt", "r1", "accept_quickbooks")

    done = act(world, "receipt", "r1", "reactivate")
    assert "active again" in done.summary
    assert by_name(world, "Vendor")["Pine Supply"]["Active"] is True
    sync(world)
    (purchase,) = world.entities("Purchase")
    assert purchase["EntityRef"]["value"] == pine["Id"]
    assert view(world, "receipt", "r1").status == "synced"
    assert view(world, "vendor", "pine").status == "synced"
    assert list(by_name(world, "Vendor")) == ["Pine Supply"]
    assert by_name(world, "Vendor")["Pine Supply"]["Active"] is True


def put_bill(world: World, app_id: str, vendor_id: str, number: str, amount: str) -> None:
    put(
        world,
        "bill",
        app_id,
        vendor_id=vendor_id,
        vendor_document_number=number,
        date="2026-11-03",
        lines=[{"expense_account": "Job Materials", "amount": amount}],
    )


@pytest.mark.failure_mode("vendor.merged_in_quickbooks")
def test_a_vendor_merged_in_quickbooks_follows_the_survivor(world: World, person: Person) -> None:
    """The bookkeeper found Pine Supply twice in QuickBooks and merged ours into theirs; our
    bill and receipt moved with it. After the next pull the app's vendor is linked to the one
    that remains, the change is logged and told, the documents stay synced (moved by the
    merge, not changed), and the vendor's next bill goes there; nothing is re-created."""
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply", email="ap@pine.example")
    put_bill(world, "b1", "pine", "7001", "10.00")
    put_receipt(world, "r1", "pine")
    sync(world)
    ours = by_name(world, "Vendor")["Pine Supply"]
    theirs = person.create("Vendor", {"DisplayName": "Pine Supply Co"})
    merge(world, "Vendor", ours["Id"], theirs["Id"])
    pull(world)

    record = view(world, "vendor", "pine")
    assert record.quickbooks_id == theirs["Id"]
    assert record.status == "synced" and record.problem is None
    (merged,) = [h for h in record.history if h["kind"] == "vendor_merged"]
    assert merged["detail"] == {
        "from_quickbooks_id": ours["Id"],
        "into_quickbooks_id": theirs["Id"],
    }
    (told,) = events(world, "vendor.merged_in_quickbooks")
    assert told["payload"]["id"] == "pine"
    assert told["payload"]["into_quickbooks_id"] == theirs["Id"]
    # moved by the merge (QuickBooks' own export says where they are), not changed
    (bill,) = world.entities("Bill")
    (expense,) = world.entities("Purchase")
    assert bill["VendorRef"]["value"] == expense["EntityRef"]["value"] == theirs["Id"]
    assert view(world, "bill", "b1").status == "synced"
    assert view(world, "receipt", "r1").status == "synced"
    assert events(world, "record.changed_in_quickbooks") == []

    put_bill(world, "b2", "pine", "7002", "12.00")
    sync(world)
    assert {b["VendorRef"]["value"] for b in world.entities("Bill")} == {theirs["Id"]}
    assert len(world.entities("Bill")) == 2
    assert view(world, "bill", "b2").status == "synced"
    assert list(by_name(world, "Vendor")) == ["Pine Supply Co"]
    pull(world)
    assert len(events(world, "vendor.merged_in_quickbooks")) == 1  # told once


@pytest.mark.failure_mode("vendor.merged_in_quickbooks")
def test_a_vendor_merge_the_engine_cannot_follow_waits_for_a_notice_or_a_person(
    world: World, person: Person
) -> None:
    """Oak Lumber had no documents yet, so nothing tells which vendor it was merged into: the
    record says so (it is not "synced" to a vendor QuickBooks no longer has). QuickBooks' merge
    notice names the survivor, and the next pull follows it; a second merge the office links
    by hand; nothing is created again."""
    pull(world)
    put(world, "vendor", "oak", display_name="Oak Lumber")
    put(world, "vendor", "elm", display_name="Elm Timber")
    sync(world)
    vendors = by_name(world, "Vendor")
    oak_id, elm_id = vendors["Oak Lumber"]["Id"], vendors["Elm Timber"]["Id"]
    into_oak = person.create("Vendor", {"DisplayName": "Oak Lumber Ltd"})
    into_elm = person.create("Vendor", {"DisplayName": "Elm Timber Ltd"})
    merge(world, "Vendor", oak_id, into_oak["Id"])
    merge(world, "Vendor", elm_id, into_elm["Id"])
    pull(world)

    for app_id, gone in (("oak", oak_id), ("elm", elm_id)):
        record = view(world, "vendor", app_id)
        assert record.status == "error"
        assert record.problem is not None
        assert record.problem.code == catalog.VENDOR_MERGED_IN_QUICKBOOKS
        assert record.problem.params == {"from_quickbooks_id": gone}
        assert record.problem.actions == ("link", "unlink")
        assert {"link", "unlink"} <= set(record.actions)

    assert merge_notice(world, "Vendor", into_oak["Id"], oak_id) == 1
    pull(world)
    oak = view(world, "vendor", "oak")
    assert oak.quickbooks_id == into_oak["Id"] and oak.problem is None

    done = act(world, "vendor", "elm", "link", quickbooks_id=into_elm["Id"])
    assert done.record.quickbooks_id == into_elm["Id"]
    assert done.record.status == "synced"
    report = sync(world)
    assert report.created == 0
    assert view(world, "vendor", "oak").status == "synced"
    assert sorted(by_name(world, "Vendor")) == ["Elm Timber Ltd", "Oak Lumber Ltd"]


# --- vendor documents ------------------------------------------------------------------------


@pytest.mark.failure_mode("receipt.vendor_document_number_taken")
def test_a_vendor_document_number_used_twice_is_made_unique(world: World) -> None:
    """Pine Supply printed invoice INV-77 twice (two counter sales on one ticket). QuickBooks
    takes one number once per vendor: Differentiate sends the second with the date added, and
    the app is told which number QuickBooks holds."""
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply")
    put_receipt(world, "r1", "pine")
    sync(world)
    put_receipt(world, "r2", "pine", lines=[{"expense_account": "Job Materials", "amount": "8"}])
    sync(world)
    record = view(world, "receipt", "r2")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN
    assert record.problem.field == "vendor_document_number"
    assert record.problem.params["suggested"] == "INV-77-261102"
    assert record.problem.actions == ("differentiate",)
    assert len(world.entities("Purchase")) == 1

    done = act(world, "receipt", "r2", "differentiate")
    assert done.detail == {"value": "INV-77-261102"}
    sync(world)
    numbers = sorted(p["DocNumber"] for p in world.entities("Purchase"))
    assert numbers == ["INV-77", "INV-77-261102"]
    assert view(world, "receipt", "r2").status == "synced"
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "vendor_document_number"
    assert told["payload"]["app_value"] == "INV-77"
    assert told["payload"]["quickbooks_value"] == "INV-77-261102"


@pytest.mark.failure_mode("receipt.vendor_document_number_taken")
def test_two_bills_with_one_vendor_number_sent_together_are_made_unique(world: World) -> None:
    """Two bills from Oak Lumber both numbered 7001 reach QuickBooks in the same batch:
    QuickBooks takes the first and refuses the second (6140). Differentiate sends it as
    7001 plus its date; QuickBooks ends with both, numbered apart."""
    pull(world)
    put(world, "vendor", "oak", display_name="Oak Lumber")
    for app_id, amount in (("b1", "10.00"), ("b2", "12.00")):
        put(
            world,
            "bill",
            app_id,
            vendor_id="oak",
            vendor_document_number="7001",
            date="2026-11-03",
            lines=[{"expense_account": "Job Materials", "amount": amount}],
        )
    sync(world)
    assert [b["DocNumber"] for b in world.entities("Bill")] == ["7001"]
    refused = view(world, "bill", "b2")
    assert refused.status == "error"
    assert refused.problem is not None
    assert refused.problem.code == catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN
    assert refused.problem.params["quickbooks_code"] == "6140"
    assert "differentiate" in refused.actions

    act(world, "bill", "b2", "differentiate")
    sync(world)
    bills = {b["DocNumber"]: b for b in world.entities("Bill")}
    assert set(bills) == {"7001", "7001-261103"}
    assert Decimal(str(bills["7001-261103"]["TotalAmt"])) == Decimal("12.00")
    assert view(world, "bill", "b1").status == "synced"
    assert view(world, "bill", "b2").status == "synced"


@pytest.mark.failure_mode("receipt.stale_reference")
def test_a_receipt_deleted_and_recreated_in_the_app_never_reuses_the_old_entry(
    world: World,
) -> None:
    """The app deletes a receipt and enters it again under a new id. Links belong to one app
    record, so the old reference cannot travel: the deleted receipt's expense is removed from
    QuickBooks and the new one gets an expense of its own."""
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply")
    put_receipt(world, "r1", "pine")
    sync(world)
    (old,) = world.entities("Purchase")

    world.service.delete_record(world.key_id, world.connection_id, "receipt", "r1")
    put_receipt(world, "r1-again", "pine")
    sync(world)
    (new,) = world.entities("Purchase")
    assert new["Id"] != old["Id"]
    assert view(world, "receipt", "r1").quickbooks_id is None
    again = view(world, "receipt", "r1-again")
    assert again.status == "synced"
    assert again.quickbooks_id == new["Id"]


@pytest.mark.failure_mode("receipt.stale_reference")
def test_a_reference_to_an_expense_gone_from_quickbooks_is_reset_by_unlink(
    world: World, person: Person
) -> None:
    """The receipt's expense was deleted in QuickBooks, unseen (no pull since). The app's
    next change meets "object not found": the record says its reference is stale and offers
    Unlink; after it, the receipt is sent as a new expense, once."""
    pull(world)
    put(world, "vendor", "pine", display_name="Pine Supply")
    put_receipt(world, "r1", "pine")
    sync(world)
    (old,) = world.entities("Purchase")
    person.delete("Purchase", old["Id"])

    put_receipt(world, "r1", "pine", memo="tile adhesive")
    sync(world)
    record = view(world, "receipt", "r1")
    assert record.status == "error"
    assert record.problem is not None
    assert record.problem.code == catalog.RECEIPT_STALE_REFERENCE
    assert record.problem.actions == ("unlink",)
    assert "unlink" in record.actions
    assert world.entities("Purchase") == []

    act(world, "receipt", "r1", "unlink")
    (told,) = events(world, "record.unlinked")
    assert told["payload"]["quickbooks_id"] == old["Id"]
    sync(world)
    (new,) = world.entities("Purchase")
    assert new["Id"] != old["Id"]
    assert new["PrivateNote"] == "tile adhesive"
    record = view(world, "receipt", "r1")
    assert record.status == "synced"
    assert record.quickbooks_id == new["Id"]
    with pytest.raises(Refused, match="unlink does not apply to this record"):
        act(world, "receipt", "r1", "unlink")
