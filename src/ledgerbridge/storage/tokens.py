"""A connection's OAuth tokens (`tokens`), encrypted by the caller, with a version that grows at
every change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import prepared, run, table

__all__ = ["StoredTokens", "Tokens", "TokensRead"]


@dataclass(frozen=True, slots=True)
class StoredTokens:
    access_token: str  # encrypted
    refresh_token: str  # encrypted
    access_expires_at: datetime
    refresh_expires_at: datetime
    key_id: str
    version: int


@dataclass(frozen=True, slots=True)
class TokensRead:
    """Stored tokens as one read found them, and when: `at`, a `time.monotonic()` moment (a
    QuickBooks client uses such an access token as a read of its own that old,
    `engine.tokens.TOKEN_FRESH`)."""

    stored: StoredTokens
    at: float


class Tokens:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, connection_id: str, *, for_update: bool = False) -> StoredTokens | None:
        if for_update:
            statement = prepared("tokens.get_for_update", lambda: _get().with_for_update())
        else:
            statement = prepared("tokens.get", _get)
        row = run(self._session, statement, {"t_connection": connection_id}).one_or_none()
        if row is None:
            return None
        return StoredTokens(
            row.access_token,
            row.refresh_token,
            row.access_expires_at,
            row.refresh_expires_at,
            row.key_id,
            row.version,
        )

    def put(
        self,
        connection_id: str,
        *,
        access_token: str,
        refresh_token: str,
        access_expires_at: datetime,
        refresh_expires_at: datetime,
        key_id: str,
    ) -> int:
        t = tables.Token
        values = {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "access_expires_at": access_expires_at,
            "refresh_expires_at": refresh_expires_at,
            "key_id": key_id,
        }
        current = self.get(connection_id)
        if current is None:
            self._session.execute(
                insert(t).values(connection_id=connection_id, version=1, **values)
            )
            return 1
        self._session.execute(
            update(t)
            .where(t.connection_id == connection_id)
            .values(version=current.version + 1, **values)
        )
        return current.version + 1

    def remove(self, connection_id: str) -> None:
        self._session.execute(
            delete(tables.Token).where(tables.Token.connection_id == connection_id)
        )


def _get() -> Select[Any]:
    """A connection's tokens (built once: `storage._sql.prepared`, as every request reads them)."""
    t = table(tables.Token)
    return select(
        t.c.access_token,
        t.c.refresh_token,
        t.c.access_expires_at,
        t.c.refresh_expires_at,
        t.c.key_id,
        t.c.version,
    ).where(t.c.connection_id == bindparam("t_connection"))
