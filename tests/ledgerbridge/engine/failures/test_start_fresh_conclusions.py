"""A pass's own conclusions about the old company are never stored for the new one after a
Start fresh: a removal said synced (`write.removed`), an unavailable QuickBooks' backoff
(`faults.retry_later`) and QuickBooks' values kept under `quickbooks_wins` (`steps._keep`).
Each race is made at one point: the person starts fresh in another company right before
that store; the pass stops (`not_active`) and the record is planned afresh against the new
company. These were the stores the review of 2026-12-07 found outside the company check."""

from __future__ import annotations

import pytest

from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import faults, steps, write
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import Person, put, sync, view
from tests.ledgerbridge.engine.failures.test_start_fresh_races import (
    _customers_of,
    _new_company,
    _start_fresh_at,
)
from tests.ledgerbridge.engine.failures.test_vendors import put_receipt

pytestmark = pytest.mark.in_process("the race is made at one point of a pass in this process")

CLIENT = "Old Books Client"


def _kinds(world: World, record_type: str, app_id: str) -> list[str]:
    return [h["kind"] for h in view(world, record_type, app_id).history]


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_removal_answered_after_start_fresh_is_not_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app deletes a receipt; the old company deletes its expense, and the person starts
    fresh in a new company before the pass stores that: the record is not said synced nor
    "removed" (a deletion in a company the connection no longer has), and the new company
    gets nothing."""
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "vendor", "pine", display_name="Pine Supply")
    put_receipt(world, "r1", "pine")
    assert sync(world).stopped is None
    assert len(world.entities("Purchase")) == 1
    world.service.delete_record(world.key_id, world.connection_id, "receipt", "r1")
    # QuickBooks answered the delete: the person has started fresh
    called = _start_fresh_at(world, monkeypatch, write, "removed", new)
    assert sync(world).stopped == "not_active"
    assert called, "the pass did not remove r1"
    assert world.entities("Purchase") == []  # the old company did delete it
    shown = view(world, "receipt", "r1")
    assert shown.status == "pending" and "removed" not in _kinds(world, "receipt", "r1"), (
        shown.status,
        _kinds(world, "receipt", "r1"),
    )
    sync(world)
    exported = world.admin("GET", f"/companies/{new}/export")["entities"]
    assert exported.get("Purchase", []) == []


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_backoff_for_the_old_company_is_not_stored_after_start_fresh(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old company does not answer a create (503), and the person starts fresh in a new
    company before the pass stores the backoff: the record is not put off (no retry counted,
    no "QuickBooks unavailable", due now), and the next pass creates it in the new company."""
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"writes": True}, "times": 1, "action": {"status": 503}},
    )
    put(world, "customer", "c1", display_name=CLIENT)
    # QuickBooks was unavailable: the person has started fresh
    called = _start_fresh_at(world, monkeypatch, faults, "retry_later", new)
    assert sync(world).stopped == "not_active"
    assert called, "the pass did not put c1 off"
    shown = view(world, "customer", "c1")
    assert shown.problem is None and "unavailable" not in _kinds(world, "customer", "c1"), (
        shown.problem,
        _kinds(world, "customer", "c1"),
    )
    sync(world)  # at once: c1 waits for no backoff
    made = [c for c in _customers_of(world, new) if c["DisplayName"] == CLIENT]
    assert len(made) == 1
    shown = view(world, "customer", "c1")
    assert shown.status == "synced" and shown.quickbooks_id == made[0]["Id"]


@pytest.mark.failure_mode("connection.wrong_company")
def test_quickbooks_values_kept_for_the_old_company_are_not_stored_after_start_fresh(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection keeps QuickBooks' changes (`quickbooks_wins`); a person changed c1's
    email in the old company, and the person starts fresh in a new company before the pass
    stores the kept value: c1 is not said synced (the new company never had it) nor given
    the old company's email, and the next pass creates it in the new company as the app
    has it."""
    world.service.update_settings(
        world.key_id, world.connection_id, {"quickbooks_changes": "quickbooks_wins"}
    )
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "customer", "c1", display_name=CLIENT, email="client@ex.com")
    assert sync(world).stopped is None
    ours = next(c for c in _customers_of(world, world.realm_id) if c["DisplayName"] == CLIENT)
    Person(world).update("Customer", ours["Id"], PrimaryEmailAddr={"Address": "old@books.com"})
    assert pull_company(world.ledger, world.connection_id).stopped is None
    # the pass decided to keep QuickBooks' email: the person has started fresh
    called = _start_fresh_at(world, monkeypatch, steps, "_keep", new)
    assert sync(world).stopped == "not_active"
    assert called, "the pass did not keep QuickBooks' values"
    shown = view(world, "customer", "c1")
    assert shown.status == "pending" and "quickbooks_kept" not in _kinds(world, "customer", "c1")
    sync(world)
    made = [c for c in _customers_of(world, new) if c["DisplayName"] == CLIENT]
    assert len(made) == 1
    assert made[0]["PrimaryEmailAddr"]["Address"] == "client@ex.com"
    shown = view(world, "customer", "c1")
    assert shown.status == "synced" and shown.quickbooks_id == made[0]["Id"]
