"""Dashboard users: an email, a password (kept only as a salted scrypt hash) and the API key
whose connections the person sees.

    with db.session() as session:
        user = Users(session).create("office@example.com", key_id, "a long password")
    with db.session(readonly=True) as session:
        signed_in = Users(session).authenticate("office@example.com", "a long password")

`authenticate` answers None alike for an unknown email and a wrong password, and spends the
same work on both (a hash is computed either way), so a failed sign-in tells nothing about
which emails exist. A user whose API key was revoked is treated as unknown. A new password and
deleting the user end the user's dashboard sessions in the same transaction. Same rules as
`repositories`: a session given by the caller, frozen values out, INSERT/UPDATE statements in.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, insert, select, true, update
from sqlalchemy.orm import Session

from ledgerbridge.settings import DEFAULT_PASSWORD_SCRYPT_N
from ledgerbridge.storage import tables
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = [
    "EmailTaken",
    "StoredUser",
    "UnknownKey",
    "Users",
    "hash_password",
    "normalize_email",
    "verify_password",
]

USER_PREFIX = "usr_"
# scrypt's cost: N from the settings (`DEFAULT_PASSWORD_SCRYPT_N` unless an operator, or a test
# suite, says otherwise), r=8 and p=1.
_R, _P, _LENGTH = 8, 1, 32
_MAXMEM = 2**26  # 64 MiB: room for N up to 2^15 (the settings' range)
_SCHEME = "scrypt"
_NO_SYNC = {"synchronize_session": False}


class EmailTaken(ValueError):
    """Another user already signs in with this email."""


class UnknownKey(ValueError):
    """There is no live API key with this id."""


@dataclass(frozen=True, slots=True)
class StoredUser:
    id: str
    api_key_id: str
    email: str
    created_at: datetime
    last_sign_in_at: datetime | None = None


def normalize_email(email: str) -> str:
    """Emails compare without regard to case or surrounding spaces."""
    return email.strip().casefold()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(
    password: str, *, salt: bytes | None = None, n: int = DEFAULT_PASSWORD_SCRYPT_N
) -> str:
    """``scrypt$N$r$p$salt$hash``: the parameters travel with the hash, so they can grow."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=_LENGTH, maxmem=_MAXMEM
    )
    return f"{_SCHEME}${n}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = _unb64(digest)
        computed = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_MAXMEM,
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, expected)


def _cost(stored: str) -> int:
    """The scrypt N a stored hash was made with (0 when it cannot be read)."""
    parts = stored.split("$")
    try:
        return int(parts[1]) if len(parts) == 6 and parts[0] == _SCHEME else 0
    except ValueError:
        return 0


@functools.cache
def decoy_hash(n: int) -> str:
    """Compared against when the email is unknown, so that both failures cost the same (made
    on first use, once per cost, not at import)."""
    return hash_password("not a password", salt=b"\0" * 16, n=n)


class Users:
    def __init__(
        self, session: Session, *, clock: Clock = utcnow, scrypt_n: int = DEFAULT_PASSWORD_SCRYPT_N
    ) -> None:
        self._session = session
        self._clock = clock
        self._scrypt_n = scrypt_n  # the cost of the hashes made here (`Settings`)

    def create(self, email: str, api_key_id: str, password: str) -> StoredUser:
        """A new user of the key's connections; `EmailTaken`, `UnknownKey` otherwise."""
        address = normalize_email(email)
        key = tables.ApiKey
        live = self._session.execute(
            select(key.id).where(key.id == api_key_id, key.revoked_at.is_(None))
        ).first()
        if live is None:
            raise UnknownKey(api_key_id)
        taken = self._session.execute(
            select(tables.User.id).where(tables.User.email == address)
        ).first()
        if taken is not None:
            raise EmailTaken(address)
        user = StoredUser(
            USER_PREFIX + secrets.token_urlsafe(12), api_key_id, address, self._clock()
        )
        self._session.execute(
            insert(tables.User).values(
                id=user.id,
                api_key_id=user.api_key_id,
                email=user.email,
                password_hash=hash_password(password, n=self._scrypt_n),
                created_at=user.created_at,
            )
        )
        return user

    def get(self, user_id: str) -> StoredUser | None:
        found = self._row(tables.User.id == user_id)
        return found[0] if found else None

    def by_email(self, email: str) -> StoredUser | None:
        found = self._row(tables.User.email == normalize_email(email))
        return found[0] if found else None

    def authenticate(self, email: str, password: str) -> StoredUser | None:
        """The user, when the email and password match; None for any failure."""
        found = self._row(tables.User.email == normalize_email(email))
        stored_hash = found[1] if found else decoy_hash(self._scrypt_n)
        matches = verify_password(password, stored_hash)
        if found is None or not matches:
            return None
        return found[0]

    def set_password(self, user_id: str, password: str) -> bool:
        """A new password; every session the user has is ended. False: no such user."""
        user = tables.User
        result = self._session.execute(
            update(user)
            .where(user.id == user_id)
            .values(password_hash=hash_password(password, n=self._scrypt_n))
            .returning(user.id),
            execution_options=_NO_SYNC,
        )
        changed = result.first() is not None
        self._end_sessions(user_id)
        return changed

    def strengthen(self, user_id: str, password: str) -> bool:
        """The user's hash made again at the configured cost when it was made at a lower one
        (an operator raised `password_scrypt_n`): only at a sign-in, when the password is
        known. Sessions go on. True when it was made again."""
        user = tables.User
        stored = self._session.execute(
            select(user.password_hash).where(user.id == user_id)
        ).scalar_one_or_none()
        if stored is None or _cost(stored) >= self._scrypt_n:
            return False
        result = self._session.execute(
            update(user)
            .where(user.id == user_id, user.password_hash == stored)
            .values(password_hash=hash_password(password, n=self._scrypt_n))
            .returning(user.id),
            execution_options=_NO_SYNC,
        )
        return result.first() is not None

    def signed_in(self, user_id: str) -> None:
        """Note that the user signed in now."""
        user = tables.User
        self._session.execute(
            update(user).where(user.id == user_id).values(last_sign_in_at=self._clock()),
            execution_options=_NO_SYNC,
        )

    def delete(self, user_id: str) -> bool:
        """Remove the user and end their sessions; False when there was no such user."""
        self._end_sessions(user_id)
        user = tables.User
        result = self._session.execute(
            delete(user).where(user.id == user_id).returning(user.id), execution_options=_NO_SYNC
        )
        return result.first() is not None

    def named(self, email: str) -> StoredUser | None:
        """The user with this email, whether or not their key is live (for operators)."""
        found = self._listed(tables.User.email == normalize_email(email))
        return found[0] if found else None

    def list_all(self) -> list[StoredUser]:
        """Every user, whether or not their key is live, by email."""
        return self._listed(true())

    def _listed(self, condition: ColumnElement[bool]) -> list[StoredUser]:
        user = tables.User
        rows = self._session.execute(
            select(user.id, user.api_key_id, user.email, user.created_at, user.last_sign_in_at)
            .where(condition)
            .order_by(user.email)
        )
        return [StoredUser(*row) for row in rows]

    def _end_sessions(self, user_id: str) -> None:
        sessions = tables.UserSession
        self._session.execute(
            delete(sessions).where(sessions.user_id == user_id), execution_options=_NO_SYNC
        )

    def _row(self, condition: ColumnElement[bool]) -> tuple[StoredUser, str] | None:
        """The user matching `condition` whose API key is live (revoking the key ends its
        users' sign-ins and sessions), with the password hash."""
        user, key = tables.User, tables.ApiKey
        row = self._session.execute(
            select(
                user.id,
                user.api_key_id,
                user.email,
                user.created_at,
                user.last_sign_in_at,
                user.password_hash,
            )
            .join(key, key.id == user.api_key_id)
            .where(condition, key.revoked_at.is_(None))
        ).one_or_none()
        if row is None:
            return None
        stored = StoredUser(row.id, row.api_key_id, row.email, row.created_at, row.last_sign_in_at)
        return stored, row.password_hash
