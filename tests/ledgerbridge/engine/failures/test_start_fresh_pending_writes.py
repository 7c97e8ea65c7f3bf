"""A write stored for the old company (its requestid and body: the OLD company's ids) is never
sent to the NEW company after a Start fresh: one answered after it is dropped with the rest of
the old company at Start fresh, and one a pass would store after it is not stored (the pass
stops); nor is a pass's own conclusion about the old company (nothing to do) stored after it.
Found by the review of 2026-12-07."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import faults, outcomes, steps
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import put, sync, view
from tests.ledgerbridge.engine.failures.test_start_fresh_races import (
    _customers_of,
    _new_company,
    _start_fresh_at,
)

pytestmark = pytest.mark.in_process("the race is made at one point of a pass in this process")


def _create_in(world: World, realm: str, body: dict[str, Any]) -> None:
    """A person creates a customer in `realm` (a company the engine is not connected to)."""
    tokens = world.admin(
        "POST", f"/companies/{realm}/connect", {"client_id": world.ledger.app("emulator").client_id}
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    url = f"{world.emulator.url}/v3/company/{realm}/customer"
    if world.http is not None:
        response = world.http.request("POST", url, headers=headers, json=body)
    else:
        response = httpx.request("POST", url, headers=headers, json=body, timeout=30)
    assert response.status_code == 200, response.text


def _renamed_while_a_new_company_holds_its_id(world: World) -> str:
    """c1 synced to the old company, then renamed in the app (a sparse update with the old
    company's Id and SyncToken is due); a new company whose own customer has that Id: its
    realm."""
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "customer", "c1", display_name="Old Books Client")
    assert sync(world).stopped is None
    old_id = max(int(c["Id"]) for c in _customers_of(world, world.realm_id))
    n = 0
    while max((int(c["Id"]) for c in _customers_of(world, new)), default=0) < old_id:
        _create_in(world, new, {"DisplayName": f"Their customer {n}"})
        n += 1
    put(world, "customer", "c1", display_name="Old Books Client Renamed")
    return new


def _nothing_renamed_after_two_passes(world: World, new: str) -> None:
    """Two more passes leave every customer of the new company its own name."""
    before = {c["Id"]: c["DisplayName"] for c in _customers_of(world, new)}
    sync(world)
    sync(world)
    after = {c["Id"]: c["DisplayName"] for c in _customers_of(world, new)}
    renamed = {i: (before[i], after[i]) for i in before if before[i] != after.get(i)}
    assert renamed == {}, f"the new company's own customers were overwritten: {renamed}"


@pytest.mark.failure_mode("connection.wrong_company")
def test_an_update_answered_after_start_fresh_is_not_replayed_onto_the_new_company(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """c1 is synced to the old company; its rename goes as a sparse update (the old
    company's Id and SyncToken) and is answered after the person started fresh in a new
    company, whose own customer has the same Id. That customer must not be renamed."""
    new = _renamed_while_a_new_company_holds_its_id(world)
    # the answer arrives: the person has started fresh
    _start_fresh_at(world, monkeypatch, outcomes, "store_successes", new)
    assert sync(world).stopped == "not_active"
    _nothing_renamed_after_two_passes(world, new)


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_write_planned_before_start_fresh_is_not_stored_after_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass over the old company planned c1's rename (the old company's Id and SyncToken);
    the person starts fresh in a new company before the pass stores the write to send it.
    The write is not stored (the pass stops), so nothing is ever replayed to the new
    company, whose own customer with the same Id keeps its name."""
    new = _renamed_while_a_new_company_holds_its_id(world)
    # after the plan, before the write is stored
    _start_fresh_at(world, monkeypatch, faults, "take_batch_storing", new)
    assert sync(world).stopped == "not_active"
    _nothing_renamed_after_two_passes(world, new)
    assert view(world, "customer", "c1").status == "synced"
    made = [c for c in _customers_of(world, new) if c["DisplayName"] == "Old Books Client Renamed"]
    assert len(made) == 1


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_record_found_unchanged_after_start_fresh_is_not_said_synced(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass over the old company planned c1 (synced there, sent again unchanged) as
    nothing to do; the person starts fresh in a new company before the pass stores that. c1
    must not say synced: the new company has no such customer, and c1 must reach it."""
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "customer", "c1", display_name="Old Books Client")
    assert sync(world).stopped is None
    put(world, "customer", "c1", display_name="Old Books Client", email="a@example.com")
    put(world, "customer", "c1", display_name="Old Books Client")
    # between the pass's plan and its storing
    called = _start_fresh_at(world, monkeypatch, steps, "_nothing", new)
    sync(world)
    assert called, "the pass did not find c1 unchanged"
    sync(world)
    sync(world)
    made = [c for c in _customers_of(world, new) if c["DisplayName"] == "Old Books Client"]
    shown = view(world, "customer", "c1")
    assert len(made) == 1 and shown.status == "synced", (shown.status, made)
