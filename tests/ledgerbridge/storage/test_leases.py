"""The company lease (`Leases`): one holder at a time, taken again by its holder, taken over
once expired, on SQLite and on PostgreSQL (two holders racing for a lease never held:
test_postgres_concurrency.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledgerbridge.storage.db import Database
from ledgerbridge.storage.leases import Leases

TTL = timedelta(minutes=5)
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def acquire(db: Database, holder: str, at: datetime = NOW, name: str = "connection:c1") -> bool:
    with db.session() as session:
        return Leases(session, clock=lambda: at).acquire(name, holder, TTL)


def held(db: Database, at: datetime = NOW, name: str = "connection:c1") -> bool:
    with db.session() as session:
        return Leases(session, clock=lambda: at).held(name)


def renew(db: Database, holder: str, at: datetime, name: str = "connection:c1") -> bool:
    with db.session() as session:
        return Leases(session, clock=lambda: at).renew(name, holder, TTL)


def release(db: Database, holder: str, name: str = "connection:c1") -> None:
    with db.session() as session:
        Leases(session).release(name, holder)


def test_a_lease_is_held_by_one_holder_until_released(db: Database) -> None:
    assert not held(db)
    assert acquire(db, "one")
    assert held(db)
    assert not acquire(db, "two")  # someone else holds it
    assert acquire(db, "one")  # its holder takes it again (renewed)
    release(db, "two")  # not its holder: nothing changes
    assert not acquire(db, "two")
    release(db, "one")
    assert not held(db)
    assert acquire(db, "two")


def test_an_expired_lease_is_taken_over(db: Database) -> None:
    assert acquire(db, "one")
    assert not acquire(db, "two", NOW + TTL - timedelta(seconds=1))
    assert not held(db, NOW + TTL)
    assert acquire(db, "two", NOW + TTL)
    assert not acquire(db, "one", NOW + TTL)  # the old holder lost it
    assert held(db, NOW + TTL)


def test_leases_of_two_companies_are_apart(db: Database) -> None:
    assert acquire(db, "one", name="connection:c1")
    assert acquire(db, "two", name="connection:c2")
    assert not acquire(db, "two", name="connection:c1")


def test_a_holder_renews_its_lease_and_learns_when_it_was_taken_over(db: Database) -> None:
    assert not renew(db, "one", NOW)  # never taken: nothing to renew
    assert acquire(db, "one")
    later = NOW + TTL - timedelta(seconds=1)
    assert renew(db, "one", later)  # held until `later` + TTL now
    assert not acquire(db, "two", NOW + TTL)  # not expired at the first expiry
    assert not renew(db, "two", later)  # only its holder renews it
    assert renew(db, "one", later + TTL + timedelta(seconds=5))  # expired, but nobody took it
    gone = later + 3 * TTL
    assert acquire(db, "two", gone)  # expired and taken over
    assert not renew(db, "one", gone)  # the old holder learns it lost it
    release(db, "two")
    assert not renew(db, "one", gone)  # taken and given back meanwhile: still lost
