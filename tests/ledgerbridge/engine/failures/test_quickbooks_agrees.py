""" "Synced" means QuickBooks agrees: Retry and resync never hide a problem QuickBooks still has,
edits made in QuickBooks are seen (and formatting never is), a saved mapping releases what
waited for it, the first of two same-named records keeps its name, bulk actions are audited.

Every outcome is read from the emulator's export; the verify after each test (conftest)
checks every "synced" of the test against QuickBooks itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.verify import verify
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import (
    Person,
    act,
    by_name,
    events,
    pull,
    put,
    sync,
    view,
)

LINES = [{"item_id": "svc", "quantity": "1", "unit_price": "299.00"}]


def setup_sales(world: World) -> None:
    pull(world)
    put(world, "item", "svc", name="Service Call", unit_price="299.00", income_account="Services")
    put(world, "customer", "bo", display_name="Bo Diaz", email="bo@ex.com")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="bo",
        date="2026-11-02",
        number="A-7",
        lines=LINES,
        memo="Thanks",
    )
    sync(world)
    for record_type, app_id in (("item", "svc"), ("customer", "bo"), ("invoice", "inv-1")):
        assert view(world, record_type, app_id).status == "synced"


def one(rows: list[dict[str, Any]], **match: object) -> dict[str, Any]:
    (found,) = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    return found


def resync(world: World, **selection: Any) -> Any:
    return world.service.resync(world.key_id, world.connection_id, selection, actor="test")


# --- 1. Retry and resync never clear a problem QuickBooks still has ---------------------------


def inactive_cy(world: World, person: Person) -> None:
    """Cy is synced, then made inactive in QuickBooks; the app bills Cy meanwhile."""
    setup_sales(world)
    put(world, "customer", "cy", display_name="Cy Park", email="cy@ex.com")
    sync(world)
    cy = by_name(world, "Customer")["Cy Park"]
    person.update("Customer", cy["Id"], DisplayName="Cy Park", Active=False)
    pull(world)
    put(world, "invoice", "inv-2", customer_id="cy", date="2026-11-03", lines=LINES)
    sync(world)
    assert view(world, "customer", "cy").problem.code == catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS  # type: ignore[union-attr]
    assert view(world, "invoice", "inv-2").problem.code == catalog.INVOICE_CUSTOMER_INACTIVE  # type: ignore[union-attr]


def test_retry_on_a_customer_inactive_in_quickbooks_reactivates_it(
    world: World, person: Person
) -> None:
    inactive_cy(world, person)

    done = act(world, "customer", "cy", "retry")

    assert "reactivated in QuickBooks because the app has it active" in done.summary
    assert by_name(world, "Customer")["Cy Park"]["Active"] is True
    sync(world)
    assert view(world, "customer", "cy").status == "synced"
    assert view(world, "invoice", "inv-2").status == "synced"
    (invoice,) = [i for i in world.entities("Invoice") if i["CustomerRef"]["value"] != "1"]
    assert invoice["CustomerRef"]["value"] == by_name(world, "Customer")["Cy Park"]["Id"]


def test_resync_leaves_a_customer_inactive_in_quickbooks_and_its_invoice_as_they_are(
    world: World, person: Person
) -> None:
    """A bulk resync does not reactivate anything in QuickBooks: the customer QuickBooks has
    inactive, and the invoice waiting for it, are left as they are with the reason and the
    button that fixes it, and no pass turns them synced."""
    inactive_cy(world, person)
    result = resync(world)
    left = {(i["id"], i["code"]) for i in result.left}
    assert left == {
        ("cy", catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS),
        ("inv-2", catalog.INVOICE_CUSTOMER_INACTIVE),
    }
    assert all("Reactivate" in i["reason"] for i in result.left)
    sync(world)
    seen = view(world, "customer", "cy")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS
    assert by_name(world, "Customer")["Cy Park"]["Active"] is False
    invoice = view(world, "invoice", "inv-2")
    assert invoice.problem is not None and invoice.problem.code == catalog.INVOICE_CUSTOMER_INACTIVE
    assert len(world.entities("Invoice")) == 1


def test_retry_and_resync_leave_a_customer_merged_away_in_place(
    world: World, person: Person
) -> None:
    """Bo was merged into a customer another app customer is linked to: Retry cannot undo a
    merge, and it says so instead of turning the record synced."""
    setup_sales(world)
    put(world, "customer", "cy", display_name="Cy Park", email="cy@ex.com")
    sync(world)
    customers = by_name(world, "Customer")
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/merge",
        {
            "entity": "Customer",
            "from_id": customers["Bo Diaz"]["Id"],
            "into_id": customers["Cy Park"]["Id"],
        },
    )
    pull(world)
    assert view(world, "customer", "bo").problem.code == catalog.CUSTOMER_MERGED_IN_QUICKBOOKS  # type: ignore[union-attr]

    done = act(world, "customer", "bo", "retry")
    assert done.summary.startswith("left as it is: QuickBooks merged this customer")
    assert done.record.status == "error"
    result = resync(world)
    assert ("bo", catalog.CUSTOMER_MERGED_IN_QUICKBOOKS) in [
        (i["id"], i["code"]) for i in result.left
    ]
    sync(world)
    pull(world)  # Refresh from QuickBooks
    sync(world)
    seen = view(world, "customer", "bo")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == catalog.CUSTOMER_MERGED_IN_QUICKBOOKS


def test_retry_on_an_invoice_deleted_in_quickbooks_is_left_with_its_fixes(
    world: World, person: Person
) -> None:
    setup_sales(world)
    invoice = one(world.entities("Invoice"), DocNumber="A-7")
    person.delete("Invoice", invoice["Id"])
    pull(world)

    done = act(world, "invoice", "inv-1", "retry")

    assert "Recreate" in done.summary and done.summary.startswith("left as it is")
    sync(world)
    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == catalog.INVOICE_DELETED_IN_QUICKBOOKS
    assert world.entities("Invoice") == []


def test_a_lie_left_from_before_is_found_by_the_next_plan_not_kept(
    world: World, person: Person
) -> None:
    """A record marked synced while QuickBooks has it inactive (as an older version could
    leave it): a resync plans it against the mirror and the problem comes back."""
    inactive_cy(world, person)
    with world.ledger.db.session() as session:  # the old behaviour: cleared with nothing sent
        SyncStates(session).finish(
            world.connection_id, "customer", "cy", status="synced", synced_version=1
        )
    resync(world, type="customer")
    sync(world)
    seen = view(world, "customer", "cy")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS


# --- 2. edits in QuickBooks are seen; formatting never is -------------------------------------


@pytest.mark.failure_mode("record.changed_in_quickbooks")
def test_a_quantity_changed_in_quickbooks_is_a_problem_and_the_apps_version_goes_back(
    world: World, person: Person
) -> None:
    setup_sales(world)
    invoice = one(world.entities("Invoice"), DocNumber="A-7")
    line = dict(invoice["Line"][0])
    line["SalesItemLineDetail"] = {**line["SalesItemLineDetail"], "Qty": 5}
    line["Amount"] = 1495
    person.update("Invoice", invoice["Id"], Line=[line])
    pull(world)

    seen = view(world, "invoice", "inv-1")
    assert seen.status == "error"
    assert seen.problem is not None
    assert seen.problem.code == catalog.RECORD_CHANGED_IN_QUICKBOOKS
    assert seen.problem.params["app_total"] == "299.00"
    assert seen.problem.params["quickbooks_total"] == "1,495.00"
    assert "1,495.00 in QuickBooks and 299.00 in the app" in seen.problem.meaning
    assert seen.problem.actions == ("send_app_version", "accept_quickbooks")
    (told,) = [e for e in events(world) if e["type"] == "record.changed_in_quickbooks"]
    assert told["payload"]["id"] == "inv-1"

    done = act(world, "invoice", "inv-1", "send_app_version")
    assert "the app's lines will be sent over QuickBooks' changes" in done.summary
    sync(world)
    after = one(world.entities("Invoice"), DocNumber="A-7")
    assert after["TotalAmt"] in (299, 299.0, "299.00")
    assert after["Line"][0]["SalesItemLineDetail"]["Qty"] == 1
    assert view(world, "invoice", "inv-1").status == "synced"


@pytest.mark.failure_mode("record.changed_in_quickbooks")
def test_keep_quickbooks_version_of_an_edit_tells_the_app_and_stays_synced(
    world: World, person: Person
) -> None:
    setup_sales(world)
    invoice = one(world.entities("Invoice"), DocNumber="A-7")
    person.update("Invoice", invoice["Id"], PrivateNote="Customer asked for net 30")
    pull(world)
    assert view(world, "invoice", "inv-1").problem.code == catalog.RECORD_CHANGED_IN_QUICKBOOKS  # type: ignore[union-attr]

    act(world, "invoice", "inv-1", "accept_quickbooks")
    sync(world)

    assert view(world, "invoice", "inv-1").status == "synced"
    (kept,) = [e for e in events(world) if e["type"] == "record.quickbooks_kept"]
    assert kept["payload"]["quickbooks_values"] == {"PrivateNote": "Customer asked for net 30"}
    sync(world)
    pull(world)
    assert view(world, "invoice", "inv-1").status == "synced"
    after = one(world.entities("Invoice"), DocNumber="A-7")
    assert after["PrivateNote"] == "Customer asked for net 30"
    # the app changes the memo itself later: its value goes to QuickBooks again
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="bo",
        date="2026-11-02",
        number="A-7",
        lines=LINES,
        memo="Net 15",
    )
    sync(world)
    assert one(world.entities("Invoice"), DocNumber="A-7")["PrivateNote"] == "Net 15"
    assert view(world, "invoice", "inv-1").status == "synced"


@pytest.mark.parametrize("policy", ["app_wins", "quickbooks_wins"])
def test_the_connection_setting_decides_without_asking(
    world: World, person: Person, policy: str
) -> None:
    world.service.update_settings(world.key_id, world.connection_id, {"quickbooks_changes": policy})
    setup_sales(world)
    bo = by_name(world, "Customer")["Bo Diaz"]
    person.update("Customer", bo["Id"], PrimaryEmailAddr={"Address": "bo@elsewhere.com"})
    pull(world)
    sync(world)

    assert view(world, "customer", "bo").status == "synced"
    email = by_name(world, "Customer")["Bo Diaz"]["PrimaryEmailAddr"]["Address"]
    if policy == "app_wins":
        assert email == "bo@ex.com"
    else:
        assert email == "bo@elsewhere.com"
        (kept,) = [e for e in events(world) if e["type"] == "record.quickbooks_kept"]
        assert kept["payload"]["id"] == "bo"


def test_every_entity_written_read_back_and_pulled_shows_no_drift(world: World) -> None:
    """Every record type with its fields filled, synced, then read back in full: no record
    changes status, no drift, no update is sent, and a resync sends nothing either."""
    pull(world)
    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"check": "2"}}
    )
    put(
        world,
        "customer",
        "ann",
        first_name="Ann",
        last_name="Lee",
        company_name="Lee Co",
        email="ann@ex.com",
        phone="555-0100",
        notes="Gate code 4411",
        billing_address={
            "line1": "1 Main St",
            "city": "Austin",
            "region": "TX",
            "postal_code": "07801",
            "country": "US",
        },
    )
    put(
        world,
        "customer",
        "ann-home",
        display_name="Ann Lee - Home",
        parent_id="ann",
        kind="property",
    )
    put(
        world,
        "vendor",
        "v1",
        display_name="Pipe Supply",
        email="ap@pipe.example",
        phone="555-0200",
        address={"line1": "9 Dock Rd", "city": "Austin"},
    )
    put(
        world,
        "item",
        "svc",
        name="Service Call",
        sku="SVC-1",
        unit_price="129.00",
        description="One visit",
        income_account="Services",
        taxable=False,
    )
    put(
        world,
        "item",
        "pipe",
        name="Copper Pipe",
        type="non_inventory",
        unit_price="12.50",
        purchase_cost="7.25",
        income_account="Services",
        expense_account="Job Materials",
    )
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann-home",
        date="2026-11-02",
        due_date="2026-12-02",
        number="A-100",
        memo="Thanks",
        lines=[
            {"item_id": "svc", "quantity": "1", "unit_price": "129.00"},
            {"item_id": "pipe", "quantity": "2.5", "unit_price": "12.50", "description": "copper"},
        ],
    )
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann-home",
        date="2026-11-03",
        amount="50.00",
        method="check",
        reference="CHK 1001",
        applied_to=[{"invoice_id": "inv-1", "amount": "50.00"}],
        posted=True,
    )
    put(
        world,
        "bill",
        "bill-1",
        vendor_id="v1",
        vendor_document_number="PS-88",
        date="2026-11-01",
        due_date="2026-12-01",
        memo="Pipes",
        lines=[
            {"expense_account": "Job Materials", "amount": "80.10"},
            {"item_id": "pipe", "amount": "14.50", "customer_id": "ann"},
        ],
    )
    put(
        world,
        "receipt",
        "rec-1",
        vendor_id="v1",
        date="2026-11-01",
        payment_type="check",
        payment_account="Checking",
        lines=[{"expense_account": "Job Materials", "amount": "19.99", "description": "fittings"}],
    )
    put(
        world,
        "purchase_order",
        "po-1",
        vendor_id="v1",
        date="2026-11-01",
        number="PO-9",
        memo="rush",
        lines=[{"item_id": "pipe", "quantity": "10", "unit_price": "7.25"}],
    )
    sync(world)
    statuses = world.service.connection(world.key_id, world.connection_id).counts
    assert statuses == {"synced": 10}, [
        (r.type, r.id, r.problem)
        for r in world.service.records(
            world.key_id, world.connection_id, status="error", limit=20
        ).items
    ]
    with world.ledger.db.session() as session:  # a full read of QuickBooks, as after 30 days
        from ledgerbridge.storage import tables

        session.query(tables.Connection).filter_by(id=world.connection_id).update(
            {"cdc_cursor": None}
        )
    report = pull(world)
    assert report.full
    assert report.drift_report is not None and report.drift_report.flagged == 0
    result = resync(world)
    assert result.queued == 10 and result.left == []
    passed = sync(world)
    assert (passed.created, passed.updated, passed.failed) == (0, 0, 0)
    assert world.service.connection(world.key_id, world.connection_id).counts == {"synced": 10}
    checked = verify(world.ledger, world.connection_id)
    assert checked.checked == 10 and checked.agreed == 10 and checked.mismatches == []


def test_verify_finds_what_no_pull_has_seen_and_says_both_values(
    world: World, person: Person
) -> None:
    setup_sales(world)
    bo = by_name(world, "Customer")["Bo Diaz"]
    person.update("Customer", bo["Id"], PrimaryEmailAddr={"Address": "bo@typo.example"})

    report = verify(world.ledger, world.connection_id)

    assert report.checked == 3 and report.agreed == 2 and report.read == 3
    (found,) = report.mismatches
    assert (found.type, found.id, found.code) == ("customer", "bo", "record.changed_in_quickbooks")
    assert (found.field, found.app_value, found.quickbooks_value) == (
        "PrimaryEmailAddr.Address",
        "bo@ex.com",
        "bo@typo.example",
    )
    seen = view(world, "customer", "bo")
    assert seen.status == "error" and seen.problem is not None
    assert any(h["kind"] == "verify_mismatch" for h in seen.history)
    again = verify(world.ledger, world.connection_id)
    assert again.mismatches == [] and again.confirmed == 1


# --- 3. a saved mapping releases what waited for it -------------------------------------------


def test_a_saved_payment_method_mapping_releases_the_payments_waiting_for_it(
    world: World,
) -> None:
    setup_sales(world)
    put(
        world,
        "payment",
        "pay-1",
        customer_id="bo",
        date="2026-11-03",
        amount="299.00",
        method="venmo",
        applied_to=[{"invoice_id": "inv-1", "amount": "299.00"}],
        posted=True,
    )
    put(
        world,
        "payment",
        "pay-2",
        customer_id="bo",
        date="2026-11-03",
        amount="1.00",
        method="zelle",
        applied_to=[{"invoice_id": "inv-1", "amount": "1.00"}],
        posted=True,
    )
    sync(world)
    assert view(world, "payment", "pay-1").problem.code == catalog.PAYMENT_METHOD_NOT_MAPPED  # type: ignore[union-attr]

    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"venmo": "2"}}
    )

    waiting = view(world, "payment", "pay-1")
    assert waiting.status == "pending"
    assert any(h["kind"] == "released" and h["detail"]["by"] == "mapping" for h in waiting.history)
    assert view(world, "payment", "pay-2").status == "error"  # zelle still has no mapping
    sync(world)
    assert view(world, "payment", "pay-1").status == "synced"
    (payment,) = world.entities("Payment")
    assert payment["PaymentMethodRef"]["value"] == "2"


def test_a_changed_setting_releases_what_it_decides(world: World) -> None:
    pull(world)
    world.service.update_settings(
        world.key_id, world.connection_id, {"customer_email_required": True}
    )
    put(world, "customer", "dee", display_name="Dee Ray")
    sync(world)
    assert view(world, "customer", "dee").problem.code == catalog.CUSTOMER_EMAIL_INVALID  # type: ignore[union-attr]
    world.service.update_settings(
        world.key_id, world.connection_id, {"customer_email_required": False}
    )
    assert view(world, "customer", "dee").status == "pending"
    sync(world)
    assert view(world, "customer", "dee").status == "synced"


# --- 4. two records, one name: the first keeps it, whatever the order -------------------------


@pytest.mark.parametrize("order", [("p-a", "p-b"), ("p-b", "p-a")])
def test_two_properties_named_alike_the_first_keeps_its_name(
    world: World, order: tuple[str, str]
) -> None:
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@ex.com")
    for app_id in order:
        put(world, "customer", app_id, display_name="12 Oak St", parent_id="ann", kind="property")
    sync(world)

    assert view(world, "customer", "p-a").status == "synced"
    other = view(world, "customer", "p-b")
    assert other.status == "error" and other.problem is not None
    assert other.problem.code in (
        catalog.PROPERTY_DUPLICATE_NAME,
        catalog.CUSTOMER_DUPLICATE_IN_APP,
    )
    assert "differentiate" in other.actions
    done = act(world, "customer", "p-b", "differentiate")
    assert '"12 Oak St - 2"' in done.summary
    sync(world)
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == ["12 Oak St", "12 Oak St - 2", "Ann Lee"]


@pytest.mark.in_process(
    "sets both records failing by hand, which workers already sending them would race"
)
def test_differentiate_on_the_record_that_keeps_its_name_renames_it_instead_of_refusing(
    world: World,
) -> None:
    """A record left failing by an older version although it ranks first: Differentiate,
    which it offers, renames it rather than refusing; the other then keeps the name."""
    pull(world)
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@ex.com")
    sync(world)
    put(world, "customer", "p-a", display_name="12 Oak St", parent_id="ann", kind="property")
    put(world, "customer", "p-b", display_name="12 Oak St", parent_id="ann", kind="property")
    problem = {
        "code": catalog.PROPERTY_DUPLICATE_NAME,
        "field": "display_name",
        "message": "app customer p-b would also be named 12 Oak St",
        "params": {"name": "12 Oak St", "app_id": "p-b"},
    }
    with world.ledger.db.session() as session:
        for app_id in ("p-a", "p-b"):
            SyncStates(session).finish(
                world.connection_id, "customer", app_id, status="error", problem=problem
            )
    assert "differentiate" in view(world, "customer", "p-a").actions

    done = act(world, "customer", "p-a", "differentiate")

    assert '"12 Oak St - 2"' in done.summary
    act(world, "customer", "p-b", "retry")
    sync(world)
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == ["12 Oak St", "12 Oak St - 2", "Ann Lee"]
    assert view(world, "customer", "p-a").status == "synced"
    assert view(world, "customer", "p-b").status == "synced"


# --- 5. bulk actions are audited like single ones ---------------------------------------------


def test_a_bulk_resync_writes_each_records_history_and_the_audit_log(world: World) -> None:
    setup_sales(world)
    result = resync(world, type="customer")
    assert result.queued == 1
    record = view(world, "customer", "bo")
    (entry,) = [h for h in record.history if h["kind"] == "action:resync"]
    assert entry["detail"] == {"by": "test", "result": "queued to be sent again"}
    with world.ledger.db.session(readonly=True) as session:
        audited = Audit(session).of(world.connection_id)
    resyncs = [a for a in audited if a.action == "resync"]
    assert [(a.record_type, a.record_id, a.actor) for a in resyncs] == [("customer", "bo", "test")]
    sync(world)
    assert view(world, "customer", "bo").status == "synced"
