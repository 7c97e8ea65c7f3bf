"""Start fresh (`service.start_fresh`) while a pull of the old company is under way: what that
pull read is never stored onto the connection, which now has another company (or none), and
its refusals are not the new company's, nor a push pass's (nor the answers the old company
gives to its writes). Each race is made to happen at one exact point: the
moment between the pull's reads and its storing them, the moment the pull reads the tokens,
and the moment the pull holds the connection to store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from ledgerbridge.core import conflicts
from ledgerbridge.engine import pull, tokens, twoway
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import outcomes
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.before_next_call import before_next_call
from tests.ledgerbridge.engine.conftest import World, connect
from tests.ledgerbridge.engine.failures.conftest import Person, put, sync, view
from tests.ledgerbridge.lock_waits import Racer

pytestmark = pytest.mark.in_process("the race is made at one point of a pull in this process")

OLD_CLIENT = "Old Books Client"


def _new_company(world: World) -> str:
    realm: str = world.admin("POST", "/companies", {"name": "New Books"})["realm_id"]
    return realm


def _customers_of(world: World, realm: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = world.admin("GET", f"/companies/{realm}/export")["entities"].get(
        "Customer", []
    )
    return found


def _start_fresh_in(world: World, realm: str) -> None:
    """A person disconnects, starts fresh, and connects `realm`."""
    world.service.disconnect(world.key_id, world.connection_id)
    world.service.start_fresh(world.key_id, world.connection_id, "ann")
    connect(world.service, world.key_id, world.connection_id, realm, world.http)


def _start_fresh_at(
    world: World, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, realm: str
) -> list[bool]:
    """The next call of `owner.name` (a step of a pass) is made after the person started
    fresh in `realm`; later calls are left alone. The list gets an item once it happened."""
    return before_next_call(monkeypatch, owner, name, lambda: _start_fresh_in(world, realm))


def _once_quickbooks_is_asked(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    before: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """`before` runs when the next client to QuickBooks is opened, `after` when it is closed
    (a pull's reads done, nothing stored yet); later clients are left alone."""
    opened = world.ledger.quickbooks

    @contextmanager
    def hooked(*args: Any, **kwargs: Any) -> Iterator[Any]:
        monkeypatch.setattr(world.ledger, "quickbooks", opened)
        if before is not None:
            before()
        client: AbstractContextManager[Any] = opened(*args, **kwargs)
        with client as inside:
            yield inside
        if after is not None:
            after()

    monkeypatch.setattr(world.ledger, "quickbooks", hooked)


def _the_record_lands_in(world: World, realm: str) -> None:
    """A record named as the old company's customer is created in the new company, and says
    synced to that object (not linked to the old company's)."""
    put(world, "customer", "c1", display_name=OLD_CLIENT)
    sync(world)
    made = [c for c in _customers_of(world, realm) if c["DisplayName"] == OLD_CLIENT]
    assert len(made) == 1
    shown = view(world, "customer", "c1")
    assert shown.status == "synced" and shown.quickbooks_id == made[0]["Id"]


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_first_read_of_the_old_company_ending_after_start_fresh_is_not_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read of the old company ends after the person started fresh in a new one:
    it stores nothing, neither the old company's realm, nor its objects, nor a cursor that
    would skip the new company's first read."""
    old = world.realm_id
    Person(world).create("Customer", {"DisplayName": OLD_CLIENT})
    new = _new_company(world)
    _once_quickbooks_is_asked(world, monkeypatch, after=lambda: _start_fresh_in(world, new))
    assert pull_company(world.ledger, world.connection_id).stopped == "not_active"
    shown = world.service.connection(world.key_id, world.connection_id)
    assert (shown.realm_id, shown.status) == (new, "active")
    _the_record_lands_in(world, new)
    assert [c["DisplayName"] for c in _customers_of(world, old)] == [OLD_CLIENT]


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_read_refused_for_the_new_company_s_token_leaves_the_new_connection_active(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old company's read meets the new company's token (read afresh from the database):
    QuickBooks refuses it, and the refusal is the old read's, not the new connection's: it
    stays active (not disconnected) and works."""
    new = _new_company(world)
    monkeypatch.setattr(tokens, "TOKEN_FRESH", 0.0)  # every request reads the stored token
    _once_quickbooks_is_asked(world, monkeypatch, before=lambda: _start_fresh_in(world, new))
    assert pull_company(world.ledger, world.connection_id).stopped == "not_active"
    shown = world.service.connection(world.key_id, world.connection_id)
    assert (shown.realm_id, shown.status) == (new, "active")
    _the_record_lands_in(world, new)


@pytest.mark.failure_mode("connection.wrong_company")
def test_start_fresh_while_a_pull_stores_the_old_company_forgets_what_it_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The person starts fresh while the old company's first read is being stored: Start
    fresh waits for that transaction, then forgets all it stored (on PostgreSQL it deleted
    the mirror around the copies not yet committed, which stayed)."""
    old = world.realm_id
    Person(world).create("Customer", {"DisplayName": OLD_CLIENT})
    new = _new_company(world)
    person = Racer(lambda: world.service.start_fresh(world.key_id, world.connection_id, "ann"))
    tell = twoway.tell

    def telling(session: Any, *args: Any, **kwargs: Any) -> int:
        monkeypatch.setattr(twoway, "tell", tell)
        # the mirror is stored, not committed: the person starts fresh, and waits for it
        person.start_within(world.ledger.db, session)
        return tell(session, *args, **kwargs)

    monkeypatch.setattr(twoway, "tell", telling)
    _once_quickbooks_is_asked(
        world,
        monkeypatch,
        after=lambda: world.service.disconnect(world.key_id, world.connection_id),
    )
    assert pull_company(world.ledger, world.connection_id).stopped is None
    person.finish()
    assert pull.mirror_is_empty(world.ledger, world.connection_id)
    connect(world.service, world.key_id, world.connection_id, new, world.http)
    _the_record_lands_in(world, new)
    assert [c["DisplayName"] for c in _customers_of(world, old)] == [OLD_CLIENT]


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_push_refused_for_the_new_company_s_token_leaves_the_new_connection_active(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push pass over the old company (its mirror fresh: no read first) meets the new
    company's token: the refusal stops the pass, and the new connection stays active."""
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "customer", "c1", display_name=OLD_CLIENT)
    monkeypatch.setattr(tokens, "TOKEN_FRESH", 0.0)  # every request reads the stored token
    _once_quickbooks_is_asked(world, monkeypatch, before=lambda: _start_fresh_in(world, new))
    assert sync(world).stopped == "not_active"
    shown = world.service.connection(world.key_id, world.connection_id)
    assert (shown.realm_id, shown.status) == (new, "active")
    _the_record_lands_in(world, new)


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_create_the_old_company_answers_after_start_fresh_is_not_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create sent to the old company is answered after the person started fresh in a new
    one: the answer is not stored onto the connection (it said synced, linked to the old
    company's object, and the new company never got the customer); the record is sent to
    the new company."""
    old = world.realm_id
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "customer", "c1", display_name=OLD_CLIENT)
    # the answer arrives: the person has started fresh
    _start_fresh_at(world, monkeypatch, outcomes, "store_successes", new)
    assert sync(world).stopped == "not_active"
    assert view(world, "customer", "c1").status == "pending"
    _the_record_lands_in(world, new)
    assert [c["DisplayName"] for c in _customers_of(world, old)] == [OLD_CLIENT]


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_stale_edit_reapplied_after_start_fresh_is_not_stored(
    world: World, monkeypatch: pytest.MonkeyPatch, person: Person
) -> None:
    """An edit QuickBooks refused as stale (someone edited the customer meanwhile) is read
    again and re-applied; the person starts fresh in a new company between the read and the
    re-applied write being stored: that write (the old company's Id and SyncToken) is not
    stored, so no later pass replays it to the new company."""
    new = _new_company(world)
    assert pull_company(world.ledger, world.connection_id).stopped is None
    put(world, "customer", "c1", display_name=OLD_CLIENT, notes="gate 4")
    sync(world)
    ours = next(c for c in world.entities("Customer") if c["DisplayName"] == OLD_CLIENT)
    person.update("Customer", ours["Id"], PrimaryPhone={"FreeFormNumber": "916-555-0100"})
    put(world, "customer", "c1", display_name=OLD_CLIENT, notes="gate 7")
    called = _start_fresh_at(world, monkeypatch, conflicts, "conflicts", new)
    assert sync(world).stopped == "not_active"
    assert called
    with world.ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(world.connection_id, "customer", "c1")
    assert state is not None and state.pending_request_id is None, state
    _the_record_lands_in(world, new)
