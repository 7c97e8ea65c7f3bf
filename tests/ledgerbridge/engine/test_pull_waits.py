"""A company that waits for QuickBooks' limits (`connections.wait_until`: QuickBooks answered
429 with a Retry-After) is not read by any pull before the wait ends: the engine's own pull,
the embedded dispatcher's (a webhook's wake-up), a person's refresh, Refresh now and verify.
Read during a 429's wait, QuickBooks answers more 429s and can throttle the company longer.
Counted by the emulator: every request during the wait meets a scripted 429 (as QuickBooks
itself answers then), whose `hits` count them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ledgerbridge.core import catalog
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.errors import Refused, Unreachable
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.verify import verify
from ledgerbridge.storage.connections import Connections
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.quickbooks_person import Person
from tests.ledgerbridge.throttling import (
    RETRY_AFTER,
    answers_429,
    answers_again,
    requests_counted,
    wait_over,
)


def _throttled_by_quickbooks(world: World) -> datetime:
    """The company read once, a customer put, and its write answered 429 with Retry-After:
    the push pass stores the company's wait; then QuickBooks answers every request 429 until
    the test clears it. Returns the wait stored."""
    pull_company(world.ledger, world.connection_id)
    answers_429(world, world.realm_id, writes=True)
    world.service.put_record(
        world.key_id, world.connection_id, "customer", "c1", {"display_name": "Held Up"}
    )
    assert world.sync().stopped == "throttled"
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None and connection.wait_until is not None
    assert connection.wait_until > world.ledger.clock() + timedelta(seconds=RETRY_AFTER - 5)
    world.admin("DELETE", f"/companies/{world.realm_id}/faults")
    answers_429(world, world.realm_id)
    return connection.wait_until


def _requests(world: World) -> int:
    """The requests the emulator answered for the company since the 429s were scripted."""
    return requests_counted(world, world.realm_id)


def _dana_in_quickbooks(world: World) -> dict[str, Any]:
    """A customer made in QuickBooks by a person (what a Link reads): its object."""
    person = Person(world)
    try:
        made: dict[str, Any] = person.create("Customer", DisplayName="Dana Ortiz")
    finally:
        person.close()
    return made


def _dana_in_quickbooks_and_the_app(world: World) -> dict[str, Any]:
    """`_dana_in_quickbooks`, the company read, and the app's record of her (c2) to link."""
    theirs = _dana_in_quickbooks(world)
    pull_company(world.ledger, world.connection_id)
    world.service.put_record(
        world.key_id, world.connection_id, "customer", "c2", {"display_name": "Dana Ortiz"}
    )
    return theirs


def _bo_inactive_in_quickbooks(world: World) -> dict[str, Any]:
    """Customer bo sent to QuickBooks, made inactive there by a person, the company read,
    and then changed in the app: its push is refused (`customer.inactive_in_quickbooks`, an
    error Reactivate and Retry fix by making it active there). Its QuickBooks object."""
    world.service.put_record(
        world.key_id, world.connection_id, "customer", "bo", {"display_name": "Bo Diaz"}
    )
    world.sync()
    (bo,) = world.entities("Customer")
    person = Person(world)
    try:
        person.update("Customer", bo["Id"], DisplayName="Bo Diaz", Active=False)
    finally:
        person.close()
    pull_company(world.ledger, world.connection_id)
    changed = {"display_name": "Bo Diaz", "phone": "555-0101"}
    world.service.put_record(world.key_id, world.connection_id, "customer", "bo", changed)
    world.sync()
    record = world.service.record(world.key_id, world.connection_id, "customer", "bo")
    assert record.status == "error" and record.problem is not None, record
    assert record.problem.code == catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS
    assert {"reactivate", "retry"} <= set(record.actions)
    return bo


def _active_in_quickbooks(world: World, obj: dict[str, Any]) -> bool:
    """Whether QuickBooks has the customer active (its export)."""
    (found,) = [c for c in world.entities("Customer") if c["Id"] == obj["Id"]]
    return bool(found["Active"])


def _refused_for_the_wait(
    world: World,
    action: tuple[str, str, str, dict[str, Any]],
    until: datetime,
    outcome: catalog.WaitOutcome,
    said: str,
) -> None:
    """The person's `action` (type, id, action, params) refused while the company waits until
    `until`, saying so and what became of it (`said`), and QuickBooks sent nothing."""
    with pytest.raises(Refused) as refused:
        world.service.action(world.key_id, world.connection_id, *action)
    reason = refused.value.reason
    assert reason == catalog.waiting_message(until, "try again after it", outcome=outcome)
    assert reason.endswith(f": {said}, try again after it")
    assert _requests(world) == 0


def _wait_ends(world: World) -> None:
    """The wait over: QuickBooks answers again (each request still counted), and the stored
    wait is in the past."""
    answers_again(world, world.realm_id)
    wait_over(world.ledger, world.connection_id)


def test_no_pull_reads_a_company_waiting_for_quickbooks_until_its_wait_ends(
    world: World,
) -> None:
    until = _throttled_by_quickbooks(world)
    ledger, cid = world.ledger, world.connection_id

    report = pull_company(ledger, cid)  # the engine's own pull (a job's, a sync's first)
    assert _requests(world) == 0
    assert report.stopped == "throttled" and report.wait_until == until
    assert report.retry_after is not None and report.retry_after > RETRY_AFTER - 5

    dispatcher = InProcessDispatcher(ledger)  # the embedded dispatcher: a webhook's wake-up
    dispatcher.wake_pull(cid)
    dispatcher.run_once()
    assert _requests(world) == 0

    # a person's refresh is told until when; "Refresh now" queues a pull, told the same
    with pytest.raises(Unreachable) as refused:
        world.service.refresh_quickbooks(world.key_id, cid, wait=10)
    assert refused.value.code == "quickbooks.throttled"
    assert until.strftime("%H:%M:%S") in refused.value.message
    assert refused.value.retry_after is not None and refused.value.retry_after > 20
    assert world.service.request_pull(world.key_id, cid) == until

    checked = verify(ledger, cid)  # verify reads the company too: not now
    assert checked.stopped == "throttled" and checked.waiting_until == until.isoformat()

    world.service.start_import(world.key_id, cid, ["customers"])  # nor the initial import
    world.service.import_runs.wait(cid, 60)
    stopped = world.service.import_progress(world.key_id, cid)
    assert (stopped["state"], stopped["reason"]) == ("stopped", "throttled")
    assert stopped["retry_after"] is not None and stopped["retry_after"] > 20

    assert _requests(world) == 0  # not one request reached QuickBooks during the wait

    _wait_ends(world)
    assert world.service.request_pull(world.key_id, cid) is None
    assert pull_company(ledger, cid).stopped is None
    assert _requests(world) > 0  # read once the wait is over
    world.sync()
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Held Up"]


def _waits(world: World) -> datetime | None:
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None
    return connection.waiting(world.ledger.clock())


def test_a_429_met_by_verify_or_the_import_makes_the_company_wait_as_a_pulls_does(
    world: World,
) -> None:
    """Verify and the initial import store the wait of a 429 they meet (its Retry-After) as
    a pull and the push pass do: the next pull asks QuickBooks nothing before it ends (before,
    it read straight into the same Retry-After)."""
    ledger, cid = world.ledger, world.connection_id
    pull_company(ledger, cid)
    world.service.put_record(world.key_id, cid, "customer", "c1", {"display_name": "Checked"})
    world.sync()
    answers_429(world, world.realm_id)

    checked = verify(ledger, cid)
    assert checked.stopped == "throttled"
    until = _waits(world)
    assert until is not None and checked.waiting_until == until.isoformat()
    asked = _requests(world)
    assert asked == 1  # verify's read, answered 429
    assert pull_company(ledger, cid).stopped == "throttled"
    assert _requests(world) == asked  # the pull waited

    with ledger.db.engine.begin() as connection:  # the wait forgotten: the import meets one
        connection.execute(
            text("UPDATE connections SET wait_until = NULL WHERE id = :id"), {"id": cid}
        )
    world.service.start_import(world.key_id, cid, ["customers"])
    world.service.import_runs.wait(cid, 60)
    stopped = world.service.import_progress(world.key_id, cid)
    assert (stopped["state"], stopped["reason"]) == ("stopped", "throttled")
    assert _waits(world) is not None
    asked = _requests(world)
    assert pull_company(ledger, cid).stopped == "throttled"
    assert _requests(world) == asked


def test_the_embedded_dispatcher_reads_a_company_again_when_its_429s_wait_ends(
    world: World,
) -> None:
    """The embedded dispatcher's pull met by a 429 (Retry-After 30 s) comes due again when the
    wait ends: not before, a webhook's wake-up during the wait included, and not a whole
    `pull_every` (300 s) later. Its clock and the ledger's move together, by the test."""
    ledger, cid = world.ledger, world.connection_id
    start, moved = ledger.clock(), [0.0]
    ledger.clock = lambda: start + timedelta(seconds=moved[0])  # type: ignore[method-assign]
    dispatcher = InProcessDispatcher(ledger, pull_every=300.0, clock=lambda: moved[0])
    dispatcher.run_once()  # the company's first pull, answered
    answers_429(world, world.realm_id)

    moved[0] = 300.0
    dispatcher.run_once()  # its next pull, answered 429
    assert _requests(world) == 1
    assert _waits(world) == start + timedelta(seconds=300 + RETRY_AFTER)

    moved[0] = 310.0
    dispatcher.wake_pull(cid)  # a webhook: the pull waits too
    dispatcher.run_once()
    assert _requests(world) == 1

    moved[0] = 300.0 + RETRY_AFTER - 1
    answers_again(world, world.realm_id)  # QuickBooks would answer, and the stored wait is
    wait_over(ledger, cid)  # over a second early: only the dispatcher's schedule holds it
    dispatcher.run_once()
    assert _requests(world) == 0

    moved[0] = 300.0 + RETRY_AFTER
    dispatcher.run_once()  # the wait's end: read, 270 s before `pull_every` says
    assert _requests(world) > 0


def test_a_one_click_fix_reads_nothing_while_the_company_waits_for_quickbooks(
    world: World,
) -> None:
    """A person's fix that reads QuickBooks (Link reads the customer chosen) while the company
    waits for QuickBooks' limits is refused saying until when, as a pull is, and QuickBooks is
    sent nothing (before, it read into the wait: one more 429); after the wait it links."""
    theirs = _dana_in_quickbooks(world)
    until = _throttled_by_quickbooks(world)
    world.service.put_record(
        world.key_id, world.connection_id, "customer", "c2", {"display_name": "Dana Ortiz"}
    )
    link = ("customer", "c2", "link", {"quickbooks_id": theirs["Id"]})

    _refused_for_the_wait(world, link, until, "not_read", "QuickBooks was not read")

    _wait_ends(world)
    done = world.service.action(world.key_id, world.connection_id, *link)
    assert done.summary == f"linked to QuickBooks Customer {theirs['Id']}"
    assert _requests(world) == 1  # the customer read


def test_a_one_click_fix_that_writes_says_nothing_was_sent_while_the_company_waits(
    world: World,
) -> None:
    """Reactivate (it reads the customer made inactive, then makes it active) while the
    company waits for QuickBooks' limits: refused saying until when and that no change was sent
    to QuickBooks (before: "QuickBooks was not read", as if the fix only read), and QuickBooks
    is sent nothing; after the wait it reactivates."""
    bo = _bo_inactive_in_quickbooks(world)
    until = _throttled_by_quickbooks(world)
    reactivate = ("customer", "bo", "reactivate", {})

    said = "no change was sent to QuickBooks"
    _refused_for_the_wait(world, reactivate, until, "not_sent", said)
    assert _active_in_quickbooks(world, bo) is False

    _wait_ends(world)
    world.service.action(world.key_id, world.connection_id, *reactivate)
    assert _active_in_quickbooks(world, bo) is True


def test_retry_sends_no_reactivation_into_the_wait_its_own_pull_met(world: World) -> None:
    """Retry on a customer QuickBooks has inactive (the app active) reads QuickBooks' changes
    first, then reactivates it there. When that read is answered 429, the company waits, and
    Retry reads the connection again before reactivating (`resend._afresh`): the reactivation
    is refused by the wait, not sent into it (QuickBooks would answer 429 again and may
    throttle the company longer). The emulator counts every request from the 429s on: the
    pull's read, and nothing after it."""
    bo = _bo_inactive_in_quickbooks(world)
    answers_429(world, world.realm_id)

    done = world.service.action(world.key_id, world.connection_id, "customer", "bo", "retry", {})
    assert _requests(world) == 1  # the pull's change-data-capture read, answered 429
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None and connection.wait_until is not None
    assert connection.wait_until > world.ledger.clock() + timedelta(seconds=RETRY_AFTER - 5)
    told = catalog.waiting_message(connection.wait_until, "try again after it", outcome="not_sent")
    assert done.summary == f"left as it is: {told}"
    assert _active_in_quickbooks(world, bo) is False

    _wait_ends(world)
    done = world.service.action(world.key_id, world.connection_id, "customer", "bo", "retry", {})
    assert done.summary.startswith("reactivated in QuickBooks because the app has it active")
    assert _active_in_quickbooks(world, bo) is True


def test_a_429_a_one_click_fix_meets_makes_the_company_wait_as_a_pulls_does(
    world: World,
) -> None:
    """QuickBooks answers a fix's read 429: the person is told until when (not "try again in a
    moment"), the company's wait is stored, and no pull reads it before the wait ends (before,
    the next pull read into QuickBooks' Retry-After)."""
    theirs = _dana_in_quickbooks_and_the_app(world)
    answers_429(world, world.realm_id)
    link = ("customer", "c2", "link", {"quickbooks_id": theirs["Id"]})

    with pytest.raises(Refused) as refused:
        world.service.action(world.key_id, world.connection_id, *link)
    assert _requests(world) == 1  # the customer's read, answered 429
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None and connection.wait_until is not None
    assert connection.wait_until > world.ledger.clock() + timedelta(seconds=RETRY_AFTER - 5)
    assert refused.value.reason == catalog.waiting_message(
        connection.wait_until, "try again after it", outcome="not_read"
    )
    assert pull_company(world.ledger, world.connection_id).stopped == "throttled"
    assert _requests(world) == 1  # the pull read nothing during the wait


def test_a_one_click_fix_sits_out_a_wait_shorter_than_a_person_waits(world: World) -> None:
    """The company waits a moment (its window full: the pass stores that wait as it stores a
    429's): a fix waits it out, as it waits for room in the window, and links (refused at once
    before, told QuickBooks had answered 429)."""
    theirs = _dana_in_quickbooks_and_the_app(world)
    answers_again(world, world.realm_id)  # each request counted
    with world.ledger.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE connections SET wait_until = :at WHERE id = :id"),
            {"at": world.ledger.clock() + timedelta(seconds=1), "id": world.connection_id},
        )
    link = ("customer", "c2", "link", {"quickbooks_id": theirs["Id"]})
    done = world.service.action(world.key_id, world.connection_id, *link)
    assert done.summary == f"linked to QuickBooks Customer {theirs['Id']}"
    assert _requests(world) == 1  # the customer read, once the wait was over
