"""Failed sign-ins counted in the database (`storage.sign_in_attempts`) and the dashboard's
server-side sessions (`storage.web_sessions`), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ledgerbridge.core.sign_in import Go, Locked, Wait
from ledgerbridge.storage import tables
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.sign_in_attempts import SignInAttempts
from ledgerbridge.storage.users import Users
from ledgerbridge.storage.web_sessions import WebSessions

from .conftest import Owner

PASSWORD = "correct horse battery staple"
EMAIL = "office@example.com"
START = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _begin(db: Database, clock: Clock, address: str, email: str = EMAIL) -> Go | Wait | Locked:
    with db.session() as session:
        return SignInAttempts(session, clock=clock).begin(email, address)


def test_every_process_counts_the_same_failures(db: Database, migrated_url: str) -> None:
    clock = Clock()
    other = Database(migrated_url)  # another server process
    try:
        verdicts = [_begin(db if n % 2 else other, clock, "10.0.0.1") for n in range(6)]
    finally:
        other.dispose()
    assert verdicts == [Go()] * 5 + [Wait(1)]
    clock.now += timedelta(seconds=1)
    assert _begin(db, clock, "10.0.0.2") == Go()
    assert _begin(db, clock, "10.0.0.3") == Wait(2)  # the account's wait, from any address


def test_a_burst_at_once_lets_exactly_the_free_attempts_through(
    db: Database, migrated_url: str
) -> None:
    clock = Clock()
    start = threading.Barrier(12)
    verdicts: list[object] = []
    failures: list[BaseException] = []

    def attempt(n: int) -> None:
        process = Database(migrated_url)
        try:
            start.wait(timeout=30)
            verdicts.append(_begin(process, clock, f"10.0.0.{n}"))
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            process.dispose()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert verdicts.count(Go()) == 5 and verdicts.count(Wait(1)) == 7


def test_a_right_password_clears_the_account_and_its_shares_not_the_address(
    db: Database,
) -> None:
    clock = Clock()
    for _ in range(4):
        assert _begin(db, clock, "10.0.0.1") == Go()
    assert _begin(db, clock, "10.0.0.1", "other@example.com") == Go()
    assert _begin(db, clock, "10.0.0.1") == Go()  # this one has the right password
    with db.session() as session:
        SignInAttempts(session, clock=clock).succeeded(EMAIL, "10.0.0.1")
    with db.session(readonly=True) as session:
        rows = session.execute(select(tables.SignInTally.kind, tables.SignInTally.failures))
        left = sorted((row.kind, row.failures) for row in rows)
    # the address keeps the five failures it had before the attempt that proved right
    assert left == [("account", 1), ("address", 5), ("share", 1)]


def test_a_locked_account_stays_locked_until_unlocked_and_stale_counts_go(db: Database) -> None:
    clock = Clock()
    for n in range(50):
        clock.now += timedelta(minutes=20)
        assert _begin(db, clock, f"10.0.0.{n % 5}") == Go(locks=n == 49)
    locked_at = clock.now
    clock.now += timedelta(days=3)
    assert _begin(db, clock, "10.0.0.9") == Locked(locked_at)
    assert _begin(db, clock, "10.0.0.9", "other@example.com") == Go()
    clock.now += timedelta(days=2)
    with db.session() as session:
        attempts = SignInAttempts(session, clock=clock)
        assert attempts.locked([EMAIL, "other@example.com"]) == {EMAIL: locked_at}
        gone = attempts.forget_stale()  # the addresses' and shares' counts, never the lock
    # five addresses and their shares; the other account, .9 and its share of it; and the
    # share of the locked account that .9 got when its attempt was refused (no failure)
    assert gone == 5 + 5 + 3 + 1
    with db.session() as session:
        assert SignInAttempts(session, clock=clock).unlock(" OFFICE@example.com ")
    assert _begin(db, clock, "10.0.0.9") == Go()
    with db.session() as session:
        assert SignInAttempts(session, clock=clock).locked([EMAIL]) == {}


def test_a_session_is_kept_hashed_and_ends_at_sign_out_expiry_or_a_new_password(
    db: Database, owner: Owner
) -> None:
    clock = Clock()
    with db.session() as session:
        user = Users(session, clock=clock).create(EMAIL, owner.api_key_id, PASSWORD)
        sessions = WebSessions(session, clock=clock)
        first, expires = sessions.start(user.id, timedelta(hours=12))
        second, _ = sessions.start(user.id, timedelta(hours=12))
        third, _ = sessions.start(user.id, timedelta(hours=12))
    assert expires == START + timedelta(hours=12)
    with db.session(readonly=True) as session:
        found = WebSessions(session, clock=clock).find(first)
        kept = session.scalars(select(tables.UserSession.id_hash)).all()
    assert found is not None and found.user.id == user.id and found.expires_at == expires
    assert first not in kept and len(kept) == 3  # only hashes at rest
    with db.session() as session:
        assert WebSessions(session, clock=clock).end(first)
        assert not WebSessions(session, clock=clock).end(first)
    with db.session(readonly=True) as session:
        assert WebSessions(session, clock=clock).find(first) is None
        assert WebSessions(session, clock=clock).find(second) is not None
    with db.session() as session:
        assert Users(session, clock=clock).set_password(user.id, "a brand new password")
    with db.session(readonly=True) as session:
        assert WebSessions(session, clock=clock).find(second) is None
        assert WebSessions(session, clock=clock).find(third) is None
    with db.session() as session:
        late, _ = WebSessions(session, clock=clock).start(user.id, timedelta(hours=12))
    clock.now += timedelta(hours=12)
    with db.session() as session:
        assert WebSessions(session, clock=clock).find(late) is None
        assert WebSessions(session, clock=clock).forget_expired() == 1


def test_deleting_a_user_or_revoking_the_key_ends_the_sessions(db: Database, owner: Owner) -> None:
    clock = Clock()
    with db.session() as session:
        users = Users(session, clock=clock)
        ann = users.create("ann@example.com", owner.api_key_id, PASSWORD)
        bo = users.create("bo@example.com", owner.api_key_id, PASSWORD)
        anns, _ = WebSessions(session, clock=clock).start(ann.id, timedelta(hours=1))
        bos, _ = WebSessions(session, clock=clock).start(bo.id, timedelta(hours=1))
        users.signed_in(ann.id)
    with db.session(readonly=True) as session:
        listed = Users(session).list_all()
        assert [(u.email, u.last_sign_in_at) for u in listed] == [
            ("ann@example.com", START),
            ("bo@example.com", None),
        ]
        assert Users(session).named(" Bo@Example.com") == bo
    with db.session() as session:
        assert Users(session).delete(ann.id)
        assert not Users(session).delete(ann.id)
    with db.session(readonly=True) as session:
        assert WebSessions(session, clock=clock).find(anns) is None
        assert WebSessions(session, clock=clock).find(bos) is not None
        assert Users(session).named("ann@example.com") is None
    with db.session() as session:
        ApiKeys(session).revoke(owner.api_key_id)
    with db.session(readonly=True) as session:
        assert WebSessions(session, clock=clock).find(bos) is None
        assert Users(session).named("bo@example.com") == bo  # still there, for operators
