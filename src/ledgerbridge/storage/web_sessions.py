"""Signed-in dashboard sessions, kept on the server so that ending one takes effect at once.

    with db.session() as session:
        session_id, expires_at = WebSessions(session).start(user_id, timedelta(hours=12))
    with db.session(readonly=True) as session:
        live = WebSessions(session).find(session_id)     # None once ended or expired

Only the SHA-256 of a session id is stored: the id is a bearer secret (the cookie carries it),
and a copy of the table must not sign anyone in. A session is live while its row exists, it has
not expired, its user exists and the user's API key is live. `end` is sign-out; `Users`
ends every session of a user whose password changes or who is deleted.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage.tables import Clock, utcnow
from ledgerbridge.storage.users import StoredUser

__all__ = ["StoredWebSession", "WebSessions"]

_NO_SYNC = {"synchronize_session": False}


def _hashed(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredWebSession:
    user: StoredUser
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class WebSessions:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def start(self, user_id: str, lifetime: timedelta) -> tuple[str, datetime]:
        """A new session of the user: its id (shown only now) and when it expires."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + lifetime
        self._session.execute(
            insert(tables.UserSession).values(
                id_hash=_hashed(session_id),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )
        return session_id, expires_at

    def find(self, session_id: str) -> StoredWebSession | None:
        """The session, while it is live (see the module docstring)."""
        s, user, key = tables.UserSession, tables.User, tables.ApiKey
        row = self._session.execute(
            select(
                user.id,
                user.api_key_id,
                user.email,
                user.created_at,
                user.last_sign_in_at,
                s.created_at.label("started_at"),
                s.last_seen_at,
                s.expires_at,
            )
            .join(user, user.id == s.user_id)
            .join(key, key.id == user.api_key_id)
            .where(
                s.id_hash == _hashed(session_id),
                s.expires_at > self._clock(),
                key.revoked_at.is_(None),
            )
        ).one_or_none()
        if row is None:
            return None
        stored = StoredUser(row.id, row.api_key_id, row.email, row.created_at, row.last_sign_in_at)
        return StoredWebSession(stored, row.started_at, row.last_seen_at, row.expires_at)

    def seen(self, session_id: str) -> None:
        """Note that the session was used now."""
        s = tables.UserSession
        self._session.execute(
            update(s).where(s.id_hash == _hashed(session_id)).values(last_seen_at=self._clock()),
            execution_options=_NO_SYNC,
        )

    def end(self, session_id: str) -> bool:
        """End the session (sign-out); False when it had ended already."""
        s = tables.UserSession
        result = self._session.execute(
            delete(s).where(s.id_hash == _hashed(session_id)).returning(s.id_hash),
            execution_options=_NO_SYNC,
        )
        return result.first() is not None

    def forget_expired(self) -> int:
        """Delete expired sessions' rows; how many went."""
        s = tables.UserSession
        result = self._session.execute(
            delete(s).where(s.expires_at <= self._clock()).returning(s.id_hash),
            execution_options=_NO_SYNC,
        )
        return len(result.all())
