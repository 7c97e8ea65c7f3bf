"""API keys (`api_keys`): the secret is shown once, at creation; only its SHA-256 is stored."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import NO_SYNC, columns, prepared, run, sha256, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["API_KEY_PREFIX", "API_SECRET_PREFIX", "ApiKeys", "StoredKey"]

API_KEY_PREFIX = "key_"
API_SECRET_PREFIX = "lbk_"


@dataclass(frozen=True)
class StoredKey:
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeys:
    """API keys. The secret is shown once, at creation; only its SHA-256 is stored."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def create(self, name: str) -> tuple[str, str]:
        """A new key: returns (key id, secret)."""
        key_id = API_KEY_PREFIX + secrets.token_urlsafe(12)
        secret = API_SECRET_PREFIX + secrets.token_urlsafe(32)
        self._session.execute(
            insert(tables.ApiKey).values(
                id=key_id, name=name, key_hash=sha256(secret), created_at=self._clock()
            )
        )
        return key_id, secret

    def authenticate(self, secret: str) -> str | None:
        """The id of the live key whose secret this is, or None."""
        digest = sha256(secret)
        row = run(
            self._session, prepared("api_keys.authenticate", _live_key), {"k_hash": digest}
        ).one_or_none()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        return str(row.id)

    def list_all(self) -> list[StoredKey]:
        """Every key, oldest first, revoked ones included (never a secret or its hash)."""
        key = tables.ApiKey
        rows = self._session.execute(
            select(*columns(key, StoredKey)).order_by(key.created_at, key.id)
        )
        return [StoredKey(**row._mapping) for row in rows]

    def rotate(self, key_id: str) -> str | None:
        """A new secret for a live key (the old one stops at once); None when there is no
        such live key. The key keeps its id, so its connections and dashboard users stay."""
        secret = API_SECRET_PREFIX + secrets.token_urlsafe(32)
        key = tables.ApiKey
        statement = (
            update(key)
            .where(key.id == key_id, key.revoked_at.is_(None))
            .values(key_hash=sha256(secret))
            .returning(key.id)
        )
        found = self._session.execute(statement, execution_options=NO_SYNC).first()
        return secret if found is not None else None

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when there is no such live key."""
        key = tables.ApiKey
        statement = (
            update(key)
            .where(key.id == key_id, key.revoked_at.is_(None))
            .values(revoked_at=self._clock())
            .returning(key.id)
        )
        return self._session.execute(statement, execution_options=NO_SYNC).first() is not None


def _live_key() -> Select[Any]:
    """The live key of a secret's digest (`k_hash`): read by every API request (built once)."""
    key = table(tables.ApiKey)
    return select(key.c.id, key.c.key_hash).where(
        key.c.key_hash == bindparam("k_hash"), key.c.revoked_at.is_(None)
    )
