"""The planner's decisions, one situation at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerbridge.core import catalog
from ledgerbridge.core.mapping import Body
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.planner import (
    Adopt,
    Block,
    Bypass,
    Create,
    Dependency,
    Draft,
    Link,
    LinkExisting,
    Nothing,
    Pending,
    Refuse,
    Remove,
    Settle,
    Situation,
    Update,
    Verdict,
    Wait,
    plan,
)
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Record, RecordKey, parse_record

CUSTOMER = RecordKey("customer", "c1")
INVOICE = RecordKey("invoice", "inv1")


def parse(record_type: str, **data: Any) -> Record:
    record = parse_record(record_type, data)
    assert not isinstance(record, list), record
    return record


def fine(_: Record) -> Verdict:
    return Verdict()


def body_of(record: Record) -> Body | list[Problem]:
    return {"DisplayName": getattr(record, "display_name", None) or "x", "Active": True}


def situation(record: Record | None, **kw: Any) -> Situation:
    return Situation(key=kw.pop("key", CUSTOMER), record=record, version=kw.pop("version", 1), **kw)


ANN = parse("customer", display_name="Ann Lee")


def test_new_record_is_created() -> None:
    step = plan(situation(ANN), fine, body_of)
    assert isinstance(step, Create)
    assert step.body["DisplayName"] == "Ann Lee"


def test_unsettled_write_is_settled_first() -> None:
    pending = Pending("req-1", "create", {"DisplayName": "Ann Lee"})
    assert plan(situation(ANN, pending=pending), fine, body_of) == Settle(pending)


def test_unchanged_linked_record_needs_nothing() -> None:
    link = Link("58", "0", {"DisplayName": "Ann Lee", "Active": True}, synced_version=1)
    assert plan(situation(ANN, link=link), fine, body_of) == Nothing()


def test_changed_record_sends_only_what_changed() -> None:
    link = Link("58", "0", {"DisplayName": "Ann Li", "Active": True}, synced_version=1)
    step = plan(situation(ANN, link=link, version=2), fine, body_of)
    assert isinstance(step, Update)
    assert step.body == {"DisplayName": "Ann Lee"}


def test_a_new_version_with_the_same_body_is_nothing_to_push() -> None:
    link = Link("58", "0", {"DisplayName": "Ann Lee", "Active": True}, synced_version=1)
    assert plan(situation(ANN, link=link, version=2), fine, body_of) == Nothing()


def test_drafts_wait_in_the_app() -> None:
    payment = parse(
        "payment", customer_id="c1", date="2026-11-01", amount="5.00", method="cash", posted=False
    )
    assert plan(situation(payment, key=RecordKey("payment", "p")), fine, body_of) == Draft()


def test_dependencies_wait_or_block() -> None:
    invoice = parse(
        "invoice",
        customer_id="c1",
        date="2026-11-01",
        lines=[{"quantity": "1", "unit_price": "5"}],
    )
    waiting = situation(invoice, key=INVOICE, dependencies=[Dependency(CUSTOMER, "pending", False)])
    assert plan(waiting, fine, body_of) == Wait(CUSTOMER)
    failed = situation(invoice, key=INVOICE, dependencies=[Dependency(CUSTOMER, "error", False)])
    step = plan(failed, fine, body_of)
    assert isinstance(step, Block)
    assert step.by == CUSTOMER
    assert step.problem.code == catalog.INVOICE_CUSTOMER_NOT_SYNCED
    missing = situation(invoice, key=INVOICE, dependencies=[Dependency(CUSTOMER, None, False)])
    assert isinstance(plan(missing, fine, body_of), Block)
    linked = situation(invoice, key=INVOICE, dependencies=[Dependency(CUSTOMER, "synced", True)])
    assert isinstance(plan(linked, fine, body_of), Create)


def test_preflight_refuses_or_links() -> None:
    problem = Problem(catalog.RECORD_FIELD_TOO_LONG, "display_name", "too long")
    assert plan(situation(ANN), lambda _: Verdict(problems=(problem,)), body_of) == Refuse(
        (problem,)
    )
    found = MirrorObject("Customer", "77", name="Ann Lee", email="ann@example.com")
    assert plan(situation(ANN), lambda _: Verdict(link_to=found), body_of) == LinkExisting(found)


def test_an_adopted_record_is_linked_to_the_object_the_app_named() -> None:
    def refuses(_: Record) -> Verdict:  # the named object holds the name: not asked
        raise AssertionError("preflight is not asked for an adoption")

    same = MirrorObject("Customer", "58", data={"DisplayName": "Ann Lee", "Active": True})
    step = plan(situation(ANN, adopt=Adopt("Customer", "58", same)), refuses, body_of)
    assert step == LinkExisting(same, body_of(ANN), adopted=True)  # type: ignore[arg-type]

    other = MirrorObject("Customer", "58", data={"DisplayName": "Ann B. Lee", "Active": True})
    step = plan(situation(ANN, adopt=Adopt("Customer", "58", other)), refuses, body_of)
    assert step == LinkExisting(other, None, adopted=True, expected=body_of(ANN))  # type: ignore[arg-type]

    missing = plan(situation(ANN, adopt=Adopt("Customer", "58", None)), refuses, body_of)
    assert isinstance(missing, Refuse)
    assert [(p.code, p.field) for p in missing.problems] == [
        (catalog.RECORD_LINK_TARGET_MISSING, "link.quickbooks_id")
    ]
    taken = plan(
        situation(ANN, adopt=Adopt("Customer", "58", same, RecordKey("customer", "c2"))),
        refuses,
        body_of,
    )
    assert isinstance(taken, Refuse)
    assert taken.problems[0].code == catalog.RECORD_LINK_TARGET_TAKEN
    assert taken.problems[0].params["other"] == "customer/c2"


def test_an_adoption_waits_for_what_the_record_needs_and_ends_once_linked() -> None:
    named = MirrorObject("Invoice", "9", data={})
    invoice = parse(
        "invoice",
        customer_id="c1",
        date="2026-11-02",
        lines=[{"description": "x", "quantity": "1", "unit_price": "1.00"}],
    )
    waiting = situation(
        invoice,
        key=INVOICE,
        adopt=Adopt("Invoice", "9", named),
        dependencies=(Dependency(CUSTOMER, "pending", False),),
    )
    assert isinstance(plan(waiting, fine, body_of), Wait)
    linked = situation(ANN, adopt=Adopt("Customer", "58", None), link=Link("58", "0", None, None))
    assert not isinstance(plan(linked, fine, body_of), Refuse)


def test_policy_adjusted_record_is_what_gets_pushed() -> None:
    adjusted = parse("customer", display_name="Ann Lee - 2")
    step = plan(situation(ANN), lambda _: Verdict(adjusted=adjusted), body_of)
    assert isinstance(step, Create)
    assert step.body["DisplayName"] == "Ann Lee - 2"


def test_deleted_in_the_app() -> None:
    link = Link("58", "3", {}, synced_version=1)
    assert plan(situation(None, link=link), fine, body_of) == Remove("deactivate")
    assert plan(situation(None, key=INVOICE, link=link), fine, body_of) == Remove("delete")
    assert plan(situation(None), fine, body_of) == Nothing(synced=False)


def test_voided_invoice_is_voided_in_quickbooks_once_linked() -> None:
    void = parse(
        "invoice",
        customer_id="c1",
        date="2026-11-01",
        status="void",
        lines=[{"quantity": "1", "unit_price": "5"}],
    )
    link = Link("130", "1", {}, synced_version=1)
    assert plan(situation(void, key=INVOICE, link=link), fine, body_of) == Remove("void")
    assert plan(situation(void, key=INVOICE), fine, body_of) == Nothing(synced=False)


def test_bypassed_records_are_left_alone() -> None:
    assert plan(situation(ANN, bypassed=True), fine, body_of) == Nothing(synced=False)


def test_a_payment_for_invoices_paid_in_quickbooks_is_bypassed_not_failed() -> None:
    payment = parse(
        "payment",
        customer_id="c1",
        date="2026-11-03",
        amount="50.00",
        method="check",
        applied_to=[{"invoice_id": "inv1", "amount": "50.00"}],
        posted=True,
    )
    key = RecordKey("payment", "p1")

    def paid(balance: str) -> Callable[[Record], Verdict]:
        problem = Problem(
            catalog.PAYMENT_INVOICE_ALREADY_PAID,
            "applied_to[0].invoice_id",
            "paid",
            {"open_balance": balance, "number": "1001", "quickbooks_id": "9"},
        )
        return lambda _: Verdict(problems=(problem,))

    step = plan(situation(payment, key=key), paid("0.00"), body_of)
    assert isinstance(step, Bypass)
    assert step.problem.code == catalog.INVOICE_PAID_IN_QUICKBOOKS
    assert step.problem.params["number"] == "1001"
    # partly open: paying more than is left is a problem for a person, not a bypass
    assert isinstance(plan(situation(payment, key=key), paid("20.00"), body_of), Refuse)
