"""Who may use the dashboard: users made with `ledgerbridge users create`, signing in (throttled,
`core.sign_in`) to sessions kept on the server.

user = create_user(ledger, "office@example.com", key_id, "a long password")
outcome = sign_in(ledger, "office@example.com", "a long password", address="203.0.113.7")
    # SignedIn(user, session_id, expires_at), Failed(), sign_in.Wait(seconds) or sign_in.Locked
user = session_user(ledger, outcome.session_id)           # None once the session ended
sign_out(ledger, outcome.session_id)

Managing users (the `ledgerbridge users` commands): `list_users`, `reset_password` (ends the
user's sessions), `delete_user` (ends them too), `unlock`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ledgerbridge.core import sign_in as throttle
from ledgerbridge.core.text import refused
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.sign_in_attempts import SignInAttempts
from ledgerbridge.storage.users import EmailTaken, StoredUser, UnknownKey, Users, normalize_email
from ledgerbridge.storage.web_sessions import WebSessions

__all__ = [
    "MIN_PASSWORD",
    "SESSION_LIFETIME",
    "DashboardUser",
    "Failed",
    "SignInOutcome",
    "SignedIn",
    "UserRefused",
    "UserSummary",
    "check_password",
    "create_user",
    "delete_user",
    "list_users",
    "reset_password",
    "session_user",
    "sign_in",
    "sign_out",
    "unlock",
]

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)
SEEN_EVERY = timedelta(minutes=1)  # how often a session's last use is written
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserRefused(ValueError):
    """The user cannot be made or changed: the message says why, for the person at the
    terminal."""


@dataclass(frozen=True)
class DashboardUser:
    id: str
    email: str
    key_id: str  # the API key whose connections the user sees

    @staticmethod
    def of(stored: StoredUser) -> DashboardUser:
        return DashboardUser(stored.id, stored.email, stored.api_key_id)

    @property
    def actor(self) -> str:
        """Who acted, for the audit log."""
        return f"dashboard:{self.email}"


@dataclass(frozen=True)
class SignedIn:
    user: DashboardUser
    session_id: str  # the cookie's: a bearer secret, kept on the server only hashed
    expires_at: datetime


@dataclass(frozen=True)
class Failed:
    """The email and password do not match an account (which of the two, never said)."""


SignInOutcome = SignedIn | Failed | throttle.Wait | throttle.Locked


@dataclass(frozen=True)
class UserSummary:
    id: str
    email: str
    key_id: str
    created_at: datetime
    last_sign_in_at: datetime | None
    locked_since: datetime | None


def _users(ledger: Ledger, session: Session) -> Users:
    """The users, hashing new passwords at the configured cost."""
    return Users(session, clock=ledger.clock, scrypt_n=ledger.settings.password_scrypt_n)


def _password_refused(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    why = refused(password)
    return f"the password {why}" if why else None


def create_user(ledger: Ledger, email: str, key_id: str, password: str) -> DashboardUser:
    if refused(email) or not _EMAIL.match(email.strip()):
        raise UserRefused(f"{email!r} is not an email address")
    problem = _password_refused(password)
    if problem:
        raise UserRefused(problem)
    try:
        with ledger.db.session() as session:
            stored = _users(ledger, session).create(email, key_id, password)
            SignInAttempts(session, clock=ledger.clock).unlock(email)  # a past user's count
    except UnknownKey:
        raise UserRefused(f"there is no live API key {key_id}") from None
    except EmailTaken:
        raise UserRefused(f"a user with the email {email.strip()} exists already") from None
    return DashboardUser.of(stored)


def check_password(ledger: Ledger, email: str, password: str) -> DashboardUser | None:
    """The user, when the email and password match; None whatever went wrong. Nothing is
    counted and no session starts: for operators' tools; people sign in with `sign_in`."""
    with ledger.db.session(readonly=True) as session:
        stored = _users(ledger, session).authenticate(email, password)
    return DashboardUser.of(stored) if stored else None


def sign_in(ledger: Ledger, email: str, password: str, *, address: str) -> SignInOutcome:
    """Sign in from the client `address`: refused without looking at the password while the
    account or the address must wait (`core.sign_in`); a new session when it matches."""
    with ledger.db.session(readonly=True) as session:
        must_wait = SignInAttempts(session, clock=ledger.clock).refusal(email, address)
    if must_wait is not None:
        return must_wait
    with ledger.db.session() as session:
        verdict = SignInAttempts(session, clock=ledger.clock).begin(email, address)
    if not isinstance(verdict, throttle.Go):
        return verdict
    user = check_password(ledger, email, password)  # the hash is computed outside any lock
    if user is None:
        if verdict.locks:
            log.warning(
                "dashboard sign-in for %r locked after too many failed attempts (the last from "
                "%s); `ledgerbridge users unlock` lifts it",
                normalize_email(email),
                address,
            )
        with ledger.db.session() as session:
            SignInAttempts(session, clock=ledger.clock).forget_stale()
        return Failed()
    with ledger.db.session() as session:
        SignInAttempts(session, clock=ledger.clock).succeeded(email, address)
        sessions = WebSessions(session, clock=ledger.clock)
        sessions.forget_expired()
        session_id, expires_at = sessions.start(user.id, SESSION_LIFETIME)
        users = _users(ledger, session)
        users.signed_in(user.id)
        users.strengthen(user.id, password)  # a hash made at a lower cost than configured
    return SignedIn(user, session_id, expires_at)


def session_user(ledger: Ledger, session_id: str) -> DashboardUser | None:
    """Who is signed in with `session_id`; None once it ended or expired, or when the user or
    their key is gone."""
    with ledger.db.session(readonly=True) as session:
        found = WebSessions(session, clock=ledger.clock).find(session_id)
    if found is None:
        return None
    if ledger.clock() - found.last_seen_at >= SEEN_EVERY:
        with ledger.db.session() as session:
            WebSessions(session, clock=ledger.clock).seen(session_id)
    return DashboardUser.of(found.user)


def sign_out(ledger: Ledger, session_id: str) -> None:
    """End the session: its cookie signs nobody in from now on."""
    with ledger.db.session() as session:
        WebSessions(session, clock=ledger.clock).end(session_id)


def list_users(ledger: Ledger) -> list[UserSummary]:
    with ledger.db.session(readonly=True) as session:
        users = Users(session).list_all()
        locked = SignInAttempts(session, clock=ledger.clock).locked(u.email for u in users)
    return [
        UserSummary(
            u.id, u.email, u.api_key_id, u.created_at, u.last_sign_in_at, locked.get(u.email)
        )
        for u in users
    ]


def _checked(email: str) -> str:
    """`email` when it is text; `UserRefused` naming it otherwise (it goes to the database)."""
    why = refused(email)
    if why is not None:
        raise UserRefused(f"the email {why}")
    return email


def _user(users: Users, email: str) -> StoredUser:
    found = users.named(_checked(email))
    if found is None:
        raise UserRefused(f"there is no user {email.strip()}")
    return found


def reset_password(ledger: Ledger, email: str, password: str) -> DashboardUser:
    """Give the user a new password; every session they had ends."""
    problem = _password_refused(password)
    if problem:
        raise UserRefused(problem)
    with ledger.db.session() as session:
        users = _users(ledger, session)
        stored = _user(users, email)
        users.set_password(stored.id, password)
    return DashboardUser.of(stored)


def delete_user(ledger: Ledger, email: str) -> DashboardUser:
    """Remove the user: their sessions end, and they can no longer sign in."""
    with ledger.db.session() as session:
        users = Users(session, clock=ledger.clock)
        stored = _user(users, email)
        users.delete(stored.id)
        SignInAttempts(session, clock=ledger.clock).unlock(stored.email)
    return DashboardUser.of(stored)


def unlock(ledger: Ledger, email: str) -> bool:
    """Lift the lock on the account and forget its failed sign-ins; False when it had none
    (the email need not belong to a user: failures are counted for any email typed)."""
    with ledger.db.session() as session:
        return SignInAttempts(session, clock=ledger.clock).unlock(_checked(email))
