"""Payments: each failure provoked in the emulator, then resolved; the outcome (above all: a
payment is never recorded twice) is read back from the emulator itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.engine.errors import Refused
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures._sales import (
    amount,
    invoice_in_quickbooks,
    map_check,
    method_id,
    one,
    quickbooks_id,
    synced_invoice,
    their_payment,
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


def payment(world: World, app_id: str = "pay-1", **data: Any) -> None:
    """The app records Ann's check of 200.00 for invoice inv-1 (`data` replaces defaults)."""
    fields: dict[str, Any] = {
        "customer_id": "ann",
        "date": "2026-05-10",
        "amount": "200.00",
        "method": "check",
        "reference": "4411",
        "applied_to": [{"invoice_id": "inv-1", "amount": data.get("amount", "200.00")}],
        **data,
    }
    put(world, "payment", app_id, **fields)


def problem_code(world: World, app_id: str) -> str | None:
    problem = view(world, "payment", app_id).problem
    return problem.code if problem is not None else None


# --- payment.invoice_not_synced --------------------------------------------------------------


@pytest.mark.failure_mode("payment.invoice_not_synced")
def test_a_payment_sent_before_its_invoice_waits_for_it(world: World, person: Person) -> None:
    """The app sends the payment before the invoice it pays: the invoice goes to QuickBooks
    first, then the payment, applied to it."""
    pull(world)
    map_check(world, person)
    payment(world)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-04",
        lines=[{"item_id": "svc", "quantity": "2", "unit_price": "100.00"}],
    )

    report = sync(world)

    assert report.failed == 0 and report.blocked == 0, report
    (paid,) = world.entities("Payment")
    assert paid["Line"][0]["LinkedTxn"][0]["TxnId"] == quickbooks_id(world, "invoice", "inv-1")
    assert amount(invoice_in_quickbooks(world, "inv-1")["Balance"]) == 0


@pytest.mark.failure_mode("payment.invoice_not_synced")
def test_a_payment_whose_invoice_fails_is_blocked_until_the_invoice_goes(
    world: World, person: Person
) -> None:
    """The invoice fails (its tax rate has no mapping), so the payment is blocked by it, not
    failed, and names it. Once the tax rate is mapped and the invoice retried, both go."""
    pull(world)
    map_check(world, person)
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "item", "svc", name="Service Call", income_account="Services")
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="ann",
        date="2026-05-04",
        tax_rate_id="exempt",
        lines=[{"item_id": "svc", "quantity": "2", "unit_price": "100.00"}],
    )
    payment(world)
    sync(world)

    blocked = view(world, "payment", "pay-1")
    assert blocked.status == "blocked" and blocked.blocked_by == ("invoice", "inv-1")
    assert blocked.problem is not None and blocked.problem.code == "payment.invoice_not_synced"
    assert world.entities("Payment") == []

    (exempt,) = person.query("SELECT * FROM TaxCode WHERE Name = 'Out of state'")
    world.service.set_mappings(
        world.key_id,
        world.connection_id,
        {
            "payment_methods": {"check": method_id(person, "Check")},
            "tax_rates": {"exempt": str(exempt["Id"])},
        },
    )
    act(world, "invoice", "inv-1", "retry")
    sync(world)

    assert view(world, "payment", "pay-1").status == "synced"
    assert len(world.entities("Payment")) == 1


# --- payment.already_in_quickbooks -----------------------------------------------------------


@pytest.mark.failure_mode("payment.already_in_quickbooks")
def test_a_payment_already_entered_in_quickbooks_is_linked_when_it_matches_exactly(
    world: World, person: Person
) -> None:
    """The office already keyed Ann's check into QuickBooks: same customer, amount, date and
    check number. The app's payment is linked to it; nothing is created twice."""
    created = synced_invoice(world)
    map_check(world, person)
    theirs = their_payment(person, created, 200, "2026-05-10", "4411")
    pull(world)
    payment(world)

    report = sync(world)

    assert report.linked == 1 and report.created == 0, report
    assert view(world, "payment", "pay-1").status == "synced"
    assert quickbooks_id(world, "payment", "pay-1") == theirs["Id"]
    assert [p["Id"] for p in world.entities("Payment")] == [theirs["Id"]]


@pytest.mark.failure_mode("payment.already_in_quickbooks")
@pytest.mark.in_process("the payment must still be waiting when the office keys theirs")
def test_a_waiting_payment_matching_one_keyed_into_quickbooks_is_linked_not_bypassed(
    world: World, person: Person
) -> None:
    """The app's payment is waiting to go out when the office keys the same check (same
    number) into QuickBooks, and a pull comes first. It is still the same payment: linked, not
    set aside, so the app knows its QuickBooks id."""
    created = synced_invoice(world)
    map_check(world, person)
    payment(world)
    theirs = their_payment(person, created, 200, "2026-05-10", "4411")
    pull(world)
    sync(world)

    assert [p["Id"] for p in world.entities("Payment")] == [theirs["Id"]]
    assert view(world, "payment", "pay-1").status == "synced"
    assert quickbooks_id(world, "payment", "pay-1") == theirs["Id"]


def near_duplicate(world: World, person: Person) -> dict[str, Any]:
    """QuickBooks has a payment like the app's (customer, amount, date) under another check
    number; the app's payment stops before the call."""
    created = synced_invoice(world)
    map_check(world, person)
    theirs = their_payment(person, created, 200, "2026-05-10", "CHK-4411")
    pull(world)
    payment(world)
    sync(world)
    seen = view(world, "payment", "pay-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "payment.already_in_quickbooks"
    assert seen.problem.params["quickbooks_id"] == theirs["Id"]
    assert {"link", "bypass"} <= set(seen.actions)
    return theirs


@pytest.mark.failure_mode("payment.already_in_quickbooks")
def test_a_payment_nearly_matching_one_in_quickbooks_is_bypassed(
    world: World, person: Person
) -> None:
    """Bypass: the app's payment is marked handled (the app is told), never sent, never
    retried: QuickBooks keeps exactly one payment."""
    theirs = near_duplicate(world, person)

    act(world, "payment", "pay-1", "bypass")
    sync(world)
    world.service.request_sync(world.key_id, world.connection_id)
    sync(world)

    assert view(world, "payment", "pay-1").status == "bypassed"
    assert [e["payload"]["id"] for e in events(world, "record.bypassed")] == ["pay-1"]
    assert [p["Id"] for p in world.entities("Payment")] == [theirs["Id"]]


@pytest.mark.failure_mode("payment.already_in_quickbooks")
def test_a_payment_nearly_matching_one_in_quickbooks_is_linked_on_request(
    world: World, person: Person
) -> None:
    """Link: it is the same payment with a typo in the check number; the app's payment is
    linked to QuickBooks' one (the one the problem names)."""
    theirs = near_duplicate(world, person)

    act(world, "payment", "pay-1", "link")
    sync(world)

    assert view(world, "payment", "pay-1").status == "synced"
    assert quickbooks_id(world, "payment", "pay-1") == theirs["Id"]
    assert len(world.entities("Payment")) == 1


# --- payment.invoice_already_paid ------------------------------------------------------------


def partly_paid(world: World, person: Person) -> dict[str, Any]:
    """Ann paid 150.00 of the 200.00 at the counter, entered in QuickBooks; the app then
    records a payment of 100.00 for the same invoice: more than the 50.00 left."""
    created = synced_invoice(world)
    map_check(world, person)
    theirs = their_payment(person, created, 150, "2026-05-08", None)
    pull(world)
    payment(world, amount="100.00")
    sync(world)
    seen = view(world, "payment", "pay-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "payment.invoice_already_paid"
    assert seen.problem.params["open_balance"] == "50.00"
    assert "50.00" in seen.problem.meaning
    assert {"bypass", "retry"} <= set(seen.actions)
    assert [p["Id"] for p in world.entities("Payment")] == [theirs["Id"]]
    return theirs


@pytest.mark.failure_mode("payment.invoice_already_paid")
def test_a_payment_for_an_invoice_already_paid_in_quickbooks_is_bypassed(
    world: World, person: Person
) -> None:
    """Bypass: the app's payment is set aside; QuickBooks keeps only the counter payment."""
    theirs = partly_paid(world, person)

    act(world, "payment", "pay-1", "bypass")
    sync(world)

    assert view(world, "payment", "pay-1").status == "bypassed"
    assert [p["Id"] for p in world.entities("Payment")] == [theirs["Id"]]
    assert amount(invoice_in_quickbooks(world, "inv-1")["Balance"]) == 50


@pytest.mark.failure_mode("payment.invoice_already_paid")
def test_a_payment_for_an_invoice_paid_wrongly_in_quickbooks_goes_once_theirs_is_deleted(
    world: World, person: Person
) -> None:
    """The counter payment was entered by mistake: the office deletes it in QuickBooks and
    clicks Retry; the app's payment goes in, and it is the only one."""
    theirs = partly_paid(world, person)
    person.delete("Payment", theirs["Id"])
    pull(world)

    act(world, "payment", "pay-1", "retry")
    sync(world)

    assert view(world, "payment", "pay-1").status == "synced"
    (ours,) = world.entities("Payment")
    assert ours["Id"] == quickbooks_id(world, "payment", "pay-1")
    assert amount(invoice_in_quickbooks(world, "inv-1")["Balance"]) == 100


# --- payment.customer_mismatch ---------------------------------------------------------------


@pytest.mark.failure_mode("payment.customer_mismatch")
def test_a_payment_for_another_customers_invoice_is_fixed_in_the_app(
    world: World, person: Person
) -> None:
    """The app records Bob's payment against Ann's invoice. It is refused before the call;
    the only fix is in the app (the action says so). Once the app corrects the customer, the
    payment goes to Ann's invoice."""
    synced_invoice(world)
    map_check(world, person)
    put(world, "customer", "bob", display_name="Bob Stone")
    payment(world, customer_id="bob")
    sync(world)

    seen = view(world, "payment", "pay-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "payment.customer_mismatch"
    assert seen.problem.actions == ("edit_in_app",)
    with pytest.raises(Refused, match="fixed in the app"):
        act(world, "payment", "pay-1", "edit_in_app")
    assert world.entities("Payment") == []

    payment(world, customer_id="ann")
    sync(world)

    (paid,) = world.entities("Payment")
    assert paid["CustomerRef"]["value"] == quickbooks_id(world, "customer", "ann")
    assert view(world, "payment", "pay-1").status == "synced"


# --- payment.not_posted ----------------------------------------------------------------------


@pytest.mark.failure_mode("payment.not_posted")
def test_an_unposted_payment_is_a_draft_until_posted(world: World, person: Person) -> None:
    """A payment saved but not posted in the app is a draft: not an error, not sent. Once the
    app posts it, it goes by itself."""
    synced_invoice(world)
    map_check(world, person)
    payment(world, posted=False)
    sync(world)

    seen = view(world, "payment", "pay-1")
    assert seen.status == "draft"
    assert seen.problem is None or seen.problem.code == "payment.not_posted"
    assert world.entities("Payment") == []

    payment(world, posted=True)
    sync(world)

    assert view(world, "payment", "pay-1").status == "synced"
    assert len(world.entities("Payment")) == 1


@pytest.mark.failure_mode("payment.not_posted")
def test_an_unposted_payment_says_why_it_waits(world: World, person: Person) -> None:
    """The draft explains itself with payment.not_posted ("post it in the app")."""
    synced_invoice(world)
    map_check(world, person)
    payment(world, posted=False)
    sync(world)

    problem = view(world, "payment", "pay-1").problem
    assert problem is not None and problem.code == "payment.not_posted"


# --- payment.reference_too_long --------------------------------------------------------------


@pytest.mark.failure_mode("payment.reference_too_long")
def test_a_payment_reference_too_long_for_quickbooks_is_shortened(
    world: World, person: Person
) -> None:
    """The card processor's confirmation code has 32 characters; QuickBooks takes 21. It is
    stopped before the call; Shorten sends the first 21 and tells the app."""
    synced_invoice(world)
    map_check(world, person)
    code = "CONF-8F2A9C4E7B1D-2026-05-10-0001"
    payment(world, reference=code)
    sync(world)

    seen = view(world, "payment", "pay-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "payment.reference_too_long"
    assert seen.problem.params["length"] == len(code)
    assert "shorten" in seen.actions
    assert world.entities("Payment") == []

    act(world, "payment", "pay-1", "shorten")
    (told,) = events(world, "record.overridden")
    assert told["payload"]["field"] == "reference"
    sync(world)

    (paid,) = world.entities("Payment")
    assert paid["PaymentRefNum"] == code[:21] and len(paid["PaymentRefNum"]) == 21
    assert view(world, "payment", "pay-1").status == "synced"


# --- payment.method_not_mapped ---------------------------------------------------------------


@pytest.mark.failure_mode("payment.method_not_mapped")
def test_a_payment_method_without_a_mapping_waits_for_it(world: World, person: Person) -> None:
    """The app takes payments by "zelle", which is not mapped to a QuickBooks payment method.
    The payment is an error pointing to the mapping; once mapped, Retry sends it."""
    synced_invoice(world)
    payment(world, method="zelle")
    sync(world)

    seen = view(world, "payment", "pay-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "payment.method_not_mapped"
    assert "mapping" in " ".join(seen.problem.fix)
    assert world.entities("Payment") == []

    transfer = method_id(person, "ACH/Bank Transfer")
    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"zelle": transfer}}
    )
    act(world, "payment", "pay-1", "retry")
    sync(world)

    (paid,) = world.entities("Payment")
    assert paid["PaymentMethodRef"]["value"] == transfer
    assert view(world, "payment", "pay-1").status == "synced"


# --- payment.deleted_in_quickbooks -----------------------------------------------------------


def payment_deleted(world: World, person: Person, *, pulled: bool = True) -> str:
    """The app's payment is in QuickBooks; someone deletes it there. Its old id."""
    synced_invoice(world)
    map_check(world, person)
    payment(world)
    sync(world)
    old = quickbooks_id(world, "payment", "pay-1")
    person.delete("Payment", old)
    if pulled:
        pull(world)
    else:  # the app edits it before any pull: QuickBooks answers that it is gone
        payment(world, reference="4411-B")
        sync(world)
    seen = view(world, "payment", "pay-1")
    assert seen.status == "error"
    assert seen.problem is not None and seen.problem.code == "payment.deleted_in_quickbooks"
    assert {"recreate", "unlink", "accept_deletion"} <= set(seen.actions)
    assert world.entities("Payment") == []
    return old


@pytest.mark.failure_mode("payment.deleted_in_quickbooks")
def test_a_payment_deleted_in_quickbooks_is_recreated(world: World, person: Person) -> None:
    """Recreate: the payment goes into QuickBooks again as last sent, exactly once, and the
    invoice is paid again."""
    old = payment_deleted(world, person)

    act(world, "payment", "pay-1", "recreate")
    sync(world)
    sync(world)

    (again,) = world.entities("Payment")
    assert again["Id"] != old and again["PaymentRefNum"] == "4411"
    assert amount(invoice_in_quickbooks(world, "inv-1")["Balance"]) == 0
    assert view(world, "payment", "pay-1").status == "synced"


@pytest.mark.failure_mode("payment.deleted_in_quickbooks")
def test_a_payment_deleted_in_quickbooks_is_unlinked_and_sent_again(
    world: World, person: Person
) -> None:
    """QuickBooks refuses the app's edit because the payment is gone; Unlink forgets it, and
    on Retry the app's current version (new reference) goes in as a new payment."""
    payment_deleted(world, person, pulled=False)

    act(world, "payment", "pay-1", "unlink")
    assert view(world, "payment", "pay-1").quickbooks_id is None
    act(world, "payment", "pay-1", "retry")
    sync(world)

    (again,) = world.entities("Payment")
    assert again["PaymentRefNum"] == "4411-B"
    assert view(world, "payment", "pay-1").status == "synced"


@pytest.mark.failure_mode("payment.deleted_in_quickbooks")
def test_a_payment_deleted_on_purpose_in_quickbooks_stays_deleted(
    world: World, person: Person
) -> None:
    """Accept deletion: the app is told, the payment is set aside, and the invoice stays
    unpaid in QuickBooks."""
    payment_deleted(world, person)

    act(world, "payment", "pay-1", "accept_deletion")
    sync(world)

    assert view(world, "payment", "pay-1").status == "bypassed"
    assert [e["payload"]["id"] for e in events(world, "record.deletion_accepted")] == ["pay-1"]
    assert world.entities("Payment") == []
    assert amount(one(world.entities("Invoice"))["Balance"]) == 200
