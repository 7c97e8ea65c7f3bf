"""Who may use the dashboard: users made with `ledgerbridge users create`.

user = create_user(ledger, "office@example.com", key_id, "a long password")
signed_in = sign_in(ledger, "office@example.com", "a long password")   # or None
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.storage.users import EmailTaken, StoredUser, UnknownKey, Users

__all__ = [
    "MIN_PASSWORD",
    "DashboardUser",
    "UserRefused",
    "create_user",
    "sign_in",
    "user_by_id",
]

MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserRefused(ValueError):
    """The user cannot be made: the message says why, for the person at the terminal."""


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


def create_user(ledger: Ledger, email: str, key_id: str, password: str) -> DashboardUser:
    if not _EMAIL.match(email.strip()):
        raise UserRefused(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD:
        raise UserRefused(f"the password must have at least {MIN_PASSWORD} characters")
    try:
        with ledger.db.session() as session:
            stored = Users(session, clock=ledger.clock).create(email, key_id, password)
    except UnknownKey:
        raise UserRefused(f"there is no live API key {key_id}") from None
    except EmailTaken:
        raise UserRefused(f"a user with the email {email.strip()} exists already") from None
    return DashboardUser.of(stored)


def sign_in(ledger: Ledger, email: str, password: str) -> DashboardUser | None:
    """The user, when the email and password match; None whatever went wrong."""
    with ledger.db.session(readonly=True) as session:
        stored = Users(session).authenticate(email, password)
    return DashboardUser.of(stored) if stored else None


def user_by_id(ledger: Ledger, user_id: str) -> DashboardUser | None:
    with ledger.db.session(readonly=True) as session:
        stored = Users(session).get(user_id)
    return DashboardUser.of(stored) if stored else None
