"""Shorten with a choice: keep the start (the default, as before), the end (an id's unique
part), both ends, or a value typed by a person, checked against QuickBooks' limit and the
field's rules. What QuickBooks holds afterwards is read from the emulator itself."""

from __future__ import annotations

import pytest

from ledgerbridge.engine.errors import Invalid
from ledgerbridge.storage.audit import Audit
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures._sales import map_check, synced_invoice
from tests.ledgerbridge.engine.failures.conftest import (
    Person,
    act,
    events,
    pull,
    put,
    sync,
    view,
)

STRIPE = "pi_3OaBcDeFgHiJkLmN0pQrStUv9XyZ"  # 31 characters; QuickBooks takes 21


def too_long_payment(world: World, person: Person, reference: str = STRIPE) -> None:
    synced_invoice(world)
    map_check(world, person)
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-05-10",
        amount="200.00",
        method="check",
        reference=reference,
        applied_to=[{"invoice_id": "inv-1", "amount": "200.00"}],
    )
    sync(world)
    problem = view(world, "payment", "pay-1").problem
    assert problem is not None and problem.code == "payment.reference_too_long"


def sent_reference(world: World) -> str:
    (paid,) = world.entities("Payment")
    return str(paid["PaymentRefNum"])


@pytest.mark.failure_mode("payment.reference_too_long")
def test_keeping_the_end_sends_exactly_the_tail_of_a_processors_id(
    world: World, person: Person
) -> None:
    too_long_payment(world, person)
    done = act(world, "payment", "pay-1", "shorten", keep="end")
    assert done.detail == {"field": "reference", "value": STRIPE[-21:]}
    (told,) = events(world, "record.overridden")
    assert told["payload"]["quickbooks_value"] == STRIPE[-21:]
    sync(world)
    assert sent_reference(world) == STRIPE[-21:]
    assert view(world, "payment", "pay-1").status == "synced"


def test_keeping_both_ends_joins_them_without_anything_between(
    world: World, person: Person
) -> None:
    too_long_payment(world, person)
    act(world, "payment", "pay-1", "shorten", keep="both")
    sync(world)
    assert sent_reference(world) == STRIPE[:11] + STRIPE[-10:]


def test_a_value_typed_by_a_person_is_sent_as_typed(world: World, person: Person) -> None:
    too_long_payment(world, person)
    act(world, "payment", "pay-1", "shorten", value="  stripe 9XyZ  ")
    sync(world)
    assert sent_reference(world) == "stripe 9XyZ"


def test_without_a_choice_shorten_keeps_the_start_as_before(world: World, person: Person) -> None:
    too_long_payment(world, person)
    act(world, "payment", "pay-1", "shorten")
    sync(world)
    assert sent_reference(world) == STRIPE[:21]


@pytest.mark.parametrize(
    ("params", "field", "said"),
    [
        ({"value": "x" * 22}, "value", "has 22 characters; QuickBooks accepts at most 21"),
        ({"value": "   "}, "value", "is empty"),
        ({"value": "ab\ncd"}, "value", "control character (U+000A)"),
        ({"value": "ab\x00cd"}, "value", "NUL"),
        ({"value": 42}, "value", "must be text"),
        ({"keep": "middle"}, "keep", "keep must be one of start, end, both"),
    ],
)
def test_a_value_that_cannot_be_sent_is_refused_naming_it_and_nothing_is_stored(
    world: World, person: Person, params: dict[str, object], field: str, said: str
) -> None:
    too_long_payment(world, person)
    with world.ledger.db.session(readonly=True) as session:
        audited = len(Audit(session).of(world.connection_id))
    with pytest.raises(Invalid) as refused:
        act(world, "payment", "pay-1", "shorten", **params)
    (problem,) = refused.value.problems
    assert problem.field == field and said in problem.message
    after = view(world, "payment", "pay-1")
    assert after.overrides == {} and after.status == "error"
    assert events(world, "record.overridden") == []
    with world.ledger.db.session(readonly=True) as session:
        assert len(Audit(session).of(world.connection_id)) == audited  # not even an attempt
    sync(world)
    assert world.entities("Payment") == []


def test_a_memo_is_cut_at_its_start_by_default_and_may_keep_its_end(world: World) -> None:
    """A customer's notes over 2,000 characters: the end kept is exactly the last 2,000."""
    pull(world)
    notes = "Gate code 4471. " + "n" * 2100 + " Dog: friendly."
    put(world, "customer", "k", display_name="Kim Notes", email="kim@ex.com", notes=notes)
    sync(world)
    problem = view(world, "customer", "k").problem
    assert problem is not None and problem.code == "record.field_too_long"
    act(world, "customer", "k", "shorten", keep="end")
    sync(world)
    (kim,) = [c for c in world.entities("Customer") if c["DisplayName"] == "Kim Notes"]
    assert kim["Notes"] == notes[-2000:].lstrip()
