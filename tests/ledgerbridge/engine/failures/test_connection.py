"""Connection-level failures: they change the connection's status, never turn pending records
into errors, and the backlog drains by itself once the cause is gone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.engine.errors import Refused
from ledgerbridge.storage.tokens import Tokens
from tests.ledgerbridge.engine.conftest import World, connect, emulator_later
from tests.ledgerbridge.engine.failures.conftest import (
    Person,
    act,
    events,
    pull,
    put,
    sync,
    view,
)

# QuickBooks' connection faults (throttling, outages, expired and revoked tokens, a lapsed
# subscription) are met and timed by the pass itself, with the engine's clock moved by the
# tests: they run with the pass in this process, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.in_process("the pass's own clock and connection faults")


def customers(world: World, count: int) -> None:
    for n in range(count):
        put(world, "customer", f"c{n}", display_name=f"Client {n}", email=f"c{n}@example.com")


def counts(world: World) -> dict[str, int]:
    return dict(world.service.connection(world.key_id, world.connection_id).counts)


def later(world: World, minutes: float) -> None:
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=minutes)


def new_company(world: World, name: str) -> str:
    realm: str = world.admin("POST", "/companies", {"name": name})["realm_id"]
    return realm


def export_of(world: World, realm: str, entity: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = world.admin("GET", f"/companies/{realm}/export")[
        "entities"
    ].get(entity, [])
    return found


@pytest.mark.failure_mode("connection.token_expired")
def test_an_expired_access_token_is_refreshed_silently(world: World) -> None:
    """QuickBooks answers 401 once the hour is up: the engine refreshes, stores the rotated
    refresh token, and carries on; nobody sees a problem."""
    customers(world, 2)
    with world.ledger.db.session() as session:
        before = Tokens(session).get(world.connection_id)
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    report = sync(world)
    assert report.stopped is None and report.created == 2
    with world.ledger.db.session() as session:
        after = Tokens(session).get(world.connection_id)
    assert before is not None and after is not None and after.version > before.version
    assert counts(world) == {"synced": 2}
    assert len(world.entities("Customer")) == 2


@pytest.mark.failure_mode("connection.disconnected")
def test_a_disconnected_company_waits_and_drains_after_reconnect(world: World) -> None:
    """Someone disconnects the app in QuickBooks: the connection says so, the records stay
    pending (not errors), and after one reconnect they reach QuickBooks by themselves."""
    world.admin("POST", f"/companies/{world.realm_id}/disconnect")
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    customers(world, 3)
    report = sync(world)
    assert report.stopped == "disconnected"
    assert world.service.connection(world.key_id, world.connection_id).status == "disconnected"
    assert counts(world) == {"pending": 3}
    assert view(world, "customer", "c0").problem is None
    assert world.entities("Customer") == []
    assert any(e["payload"].get("status") == "disconnected" for e in events(world))

    connect(world.service, world.key_id, world.connection_id, world.realm_id)  # Reconnect
    assert world.service.connection(world.key_id, world.connection_id).status == "active"
    sync(world)
    assert counts(world) == {"synced": 3}
    assert sorted(c["DisplayName"] for c in world.entities("Customer")) == [
        "Client 0",
        "Client 1",
        "Client 2",
    ]


@pytest.mark.failure_mode("connection.reconnect_soon", "connection.disconnected")
def test_a_sign_in_that_ends_is_announced_then_disconnects_and_drains_after_reconnect(
    world: World,
) -> None:
    """QuickBooks ends a sign-in after five years at most (scaled down to 10 days here): the
    connection warns ahead and keeps syncing; at the end it is disconnected, records wait; one
    reconnect clears everything and the backlog drains."""
    world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_max_life": 10 * 86_400})
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})  # the next call refreshes
    customers(world, 1)
    sync(world)
    shown = world.service.connection(world.key_id, world.connection_id)
    assert shown.status == "active" and counts(world) == {"synced": 1}
    assert shown.problem is not None and shown.problem.code == "connection.reconnect_soon"
    assert shown.problem.params["reconnect_url"].endswith(f"realmId={world.realm_id}")

    world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_max_life": 1})
    emulator_later(world.emulator, 1.1)  # past the emulator's end of the grant, on its OAuth clock
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    customers(world, 3)
    assert sync(world).stopped == "disconnected"
    ended = world.service.connection(world.key_id, world.connection_id)
    assert ended.status == "disconnected" and ended.problem is None
    assert counts(world) == {"synced": 1, "pending": 2}
    assert view(world, "customer", "c1").problem is None

    world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_max_life": None})
    connect(world.service, world.key_id, world.connection_id, world.realm_id)  # Reconnect
    back = world.service.connection(world.key_id, world.connection_id)
    assert back.status == "active" and back.problem is None
    sync(world)
    assert counts(world) == {"synced": 3}


@pytest.mark.failure_mode("connection.wrong_company")
def test_a_reconnect_to_another_company_stops_until_the_original_is_chosen(world: World) -> None:
    """Reconnecting lands in another company: nothing is pushed there; reconnecting to the
    original company resumes where it stopped."""
    customers(world, 1)
    sync(world)
    other = new_company(world, "Somebody Else's Books")
    world.service.disconnect(world.key_id, world.connection_id)
    connect(world.service, world.key_id, world.connection_id, other)
    connection = world.service.connection(world.key_id, world.connection_id)
    assert connection.status == "wrong_company"
    assert connection.realm_id == world.realm_id  # the links' company is kept
    put(world, "customer", "late", display_name="Late Client")
    assert sync(world).stopped == "not_active"
    assert export_of(world, other, "Customer") == []

    connect(world.service, world.key_id, world.connection_id, world.realm_id)
    assert world.service.connection(world.key_id, world.connection_id).status == "active"
    sync(world)
    assert sorted(c["DisplayName"] for c in world.entities("Customer")) == [
        "Client 0",
        "Late Client",
    ]
    assert export_of(world, other, "Customer") == []


@pytest.mark.failure_mode("connection.wrong_company")
def test_starting_fresh_in_the_new_company_rematches_everything(world: World) -> None:
    """The move is meant: Start fresh forgets the old links, the next connect may pick the new
    company, and records are matched there (an existing customer with the same email is
    linked, not duplicated) or created."""
    customers(world, 2)
    sync(world)
    other = new_company(world, "New Books")
    person = Person(
        World(world.emulator, world.ledger, world.service, world.key_id, world.connection_id, other)
    )
    existing = person.create(
        "Customer",
        {"DisplayName": "Client 0", "PrimaryEmailAddr": {"Address": "c0@example.com"}},
    )
    with pytest.raises(Exception, match="wrong company"):
        world.service.start_fresh(world.key_id, world.connection_id, "ann")
    world.service.disconnect(world.key_id, world.connection_id)
    connect(world.service, world.key_id, world.connection_id, other)
    assert world.service.connection(world.key_id, world.connection_id).status == "wrong_company"

    fresh = world.service.start_fresh(world.key_id, world.connection_id, "ann")
    assert fresh.status == "not_connected" and fresh.realm_id is None
    assert counts(world) == {"pending": 2}
    connect(world.service, world.key_id, world.connection_id, other)
    assert world.service.connection(world.key_id, world.connection_id).realm_id == other
    sync(world)
    assert counts(world) == {"synced": 2}
    in_new = {c["DisplayName"]: c["Id"] for c in export_of(world, other, "Customer")}
    assert in_new == {"Client 0": existing["Id"], "Client 1": in_new["Client 1"]}
    assert view(world, "customer", "c0").quickbooks_id == existing["Id"]
    assert len(world.entities("Customer")) == 2  # the old company is untouched


@pytest.mark.failure_mode("connection.throttled")
def test_throttling_delays_the_company_and_fails_nothing(world: World) -> None:
    """QuickBooks answers 429: the whole company waits, no record turns into an error, and the
    backlog is sent once the minute is over."""
    # the first read is one request (a batch): the window is full when the writes come
    world.admin("PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": 1}})
    for n in range(6):
        put(world, "customer", f"p{n}", display_name=f"Patron {n}")
    first = sync(world)
    assert first.stopped == "throttled"
    assert "error" not in counts(world)
    world.admin(
        "PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": None}}
    )
    for _ in range(5):
        later(world, 2)
        sync(world)
        if counts(world) == {"synced": 6}:
            break
    assert counts(world) == {"synced": 6}
    assert len(world.entities("Customer")) == 6


@pytest.mark.failure_mode("connection.throttled")
def test_a_write_throttled_puts_the_company_off_until_quickbooks_allows(world: World) -> None:
    """QuickBooks answers a write 429: the whole company waits (a minute, without a
    Retry-After). A pass before then sends nothing; one after it sends the backlog."""
    pull(world)  # the copy is fresh: the pass writes at once, no read first
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"writes": True}, "times": 1, "action": {"status": 429}},
    )
    customers(world, 3)
    assert sync(world).stopped == "throttled"
    assert world.entities("Customer") == []
    sync(world)  # still within the wait
    assert world.entities("Customer") == []
    later(world, 2)
    assert sync(world).stopped is None
    assert len(world.entities("Customer")) == 3


@pytest.mark.failure_mode("connection.quickbooks_unavailable")
@pytest.mark.emulator_socket("the answer to a write is lost: a dropped connection")
def test_an_outage_and_a_lost_answer_never_create_twice(world: World) -> None:
    """QuickBooks fails with 500s, then commits a write but the answer is lost: the records wait
    (pending, with the reason), and the lost write is settled by replaying its requestid."""
    world.admin(  # the writes meet the faults, not the reads (a first read is a POST too)
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"writes": True}, "times": 2, "action": {"status": 503}},
    )
    put(world, "customer", "a", display_name="Ada Stone")
    sync(world)
    state = view(world, "customer", "a")
    assert state.status == "pending"
    assert state.problem is not None and state.problem.code == "connection.quickbooks_unavailable"
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"writes": True}, "times": 1, "action": {"drop_after_commit": True}},
    )
    for _ in range(4):
        later(world, 30)
        sync(world)
    assert view(world, "customer", "a").status == "synced"
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Ada Stone"]


@pytest.mark.failure_mode("connection.disconnected")
def test_a_pass_whose_freshening_read_is_refused_as_disconnected_stops_there(
    world: World,
) -> None:
    """The pass's copy of QuickBooks is stale, so it reads QuickBooks' changes first; that read
    is refused (403: the app's access revoked). The connection is marked disconnected and the
    pass stops there, before any write: nothing is sent to a company the engine itself has just
    found it may not reach, and the records wait (pending)."""
    pull(world)
    put(world, "customer", "a", display_name="Ada Stone")
    later(world, 1)  # the copy is older than half a minute: the pass reads the changes first
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"writes": False}, "times": 1, "action": {"status": 403}},
    )
    report = sync(world)
    assert report.stopped == "disconnected"
    assert world.service.connection(world.key_id, world.connection_id).status == "disconnected"
    assert world.entities("Customer") == []
    assert view(world, "customer", "a").status == "pending"


@pytest.mark.failure_mode("mirror.stale")
def test_a_customer_just_created_in_quickbooks_is_linked_not_duplicated(
    world: World, person: Person
) -> None:
    """A person creates customers in QuickBooks; the app sends the same ones soon after. When
    the engine's copy of QuickBooks is older than half a minute a pass reads QuickBooks' changes
    first; when it is fresher and QuickBooks refuses the name, the engine reads the holder at
    once. Either way the customer is linked, never created twice."""
    pull(world)  # the copy is fresh now
    gil = person.create(
        "Customer", {"DisplayName": "Gil Park", "PrimaryEmailAddr": {"Address": "gil@example.com"}}
    )
    put(world, "customer", "gil", display_name="Gil Park", email="gil@example.com")
    sync(world)  # within the fresh window: refused (6240), the holder read, linked on its email
    linked = view(world, "customer", "gil")
    assert linked.status == "synced" and linked.quickbooks_id == gil["Id"]

    ivy = person.create(
        "Customer", {"DisplayName": "Ivy Chen", "PrimaryEmailAddr": {"Address": "ivy@example.com"}}
    )
    put(world, "customer", "ivy", display_name="Ivy Chen", email="ivy@example.com")
    later(world, 1)  # the copy is stale: the pass reads QuickBooks' changes first
    report = sync(world)
    assert report.linked == 1 and report.looked_up == 0 and report.created == 0
    assert view(world, "customer", "ivy").quickbooks_id == ivy["Id"]
    assert sorted(c["DisplayName"] for c in world.entities("Customer")) == ["Gil Park", "Ivy Chen"]


@pytest.mark.failure_mode("quickbooks.unknown_error")
def test_an_unknown_fault_keeps_the_raw_details_and_can_be_retried(world: World) -> None:
    """A fault nobody has classified: its raw code, message and detail are kept for support;
    Copy details hands them over; Retry sends it again once QuickBooks accepts it."""
    world.admin(  # the batch of the write, not the first read's batch of queries
        "POST",
        f"/companies/{world.realm_id}/faults",
        {
            "match": {"entity": "batch", "writes": True},
            "times": 1,
            "action": {"status": 400, "code": "9876"},
        },
    )
    put(world, "customer", "z", display_name="Zed Hill")
    sync(world)
    failed = view(world, "customer", "z")
    assert failed.status == "error"
    assert failed.problem is not None and failed.problem.code == "quickbooks.unknown_error"
    assert failed.problem.params.get("quickbooks_code") == "9876"
    assert {"retry", "copy_details"} <= set(failed.actions)
    details = act(world, "customer", "z", "copy_details")
    assert details.detail["problem"]["params"]["quickbooks_code"] == "9876"
    with pytest.raises(Refused, match="does not apply"):
        act(world, "customer", "z", "differentiate")
    act(world, "customer", "z", "retry")
    sync(world)
    assert view(world, "customer", "z").status == "synced"
    assert [c["DisplayName"] for c in world.entities("Customer")] == ["Zed Hill"]


@pytest.mark.failure_mode("connection.subscription_inactive")
def test_a_lapsed_subscription_suspends_until_a_check_succeeds(world: World) -> None:
    """The company's subscription lapses: QuickBooks refuses writes (6190). The connection is
    suspended, nothing is retried and no record fails; once the subscription is paid, the
    connection's Retry (a check) makes it active and the backlog drains, each record once."""
    world.admin("PATCH", f"/companies/{world.realm_id}", {"subscription_status": "CANCELLED"})
    customers(world, 3)
    assert sync(world).stopped == "suspended"
    connection = world.service.connection(world.key_id, world.connection_id)
    assert connection.status == "suspended"
    assert counts(world) == {"pending": 3}
    assert sync(world).stopped == "not_active"  # nothing retried while suspended
    still = world.service.check_connection(world.key_id, world.connection_id)
    assert still.status == "suspended"  # QuickBooks still says the subscription lapsed

    world.admin("PATCH", f"/companies/{world.realm_id}", {"subscription_status": "PAID"})
    back = world.service.check_connection(world.key_id, world.connection_id)
    assert back.status == "active"
    sync(world)
    assert counts(world) == {"synced": 3}
    assert sorted(c["DisplayName"] for c in world.entities("Customer")) == [
        "Client 0",
        "Client 1",
        "Client 2",
    ]
    statuses = [e["payload"]["status"] for e in events(world, "connection.status_changed")]
    assert statuses[-2:] == ["suspended", "active"]
