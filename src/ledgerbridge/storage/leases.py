"""One worker per QuickBooks company at a time, across processes (`company_leases`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["Leases"]


class Leases:
    """One worker per QuickBooks company at a time, across processes, with an expiry."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = self._clock()
        t = tables.CompanyLease
        result = self._session.execute(
            update(t)
            .where(t.realm_id == name, or_(t.holder == holder, t.expires_at <= now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if getattr(result, "rowcount", 0):
            return True
        exists = self._session.execute(
            select(t.holder).where(t.realm_id == name)
        ).scalar_one_or_none()
        if exists is not None:
            return False
        self._session.execute(insert(t).values(realm_id=name, holder=holder, expires_at=now + ttl))
        return True

    def release(self, name: str, holder: str) -> None:
        t = tables.CompanyLease
        self._session.execute(delete(t).where(t.realm_id == name, t.holder == holder))

    def held(self, name: str) -> bool:
        """Whether someone holds `name` now (not expired)."""
        t = tables.CompanyLease
        found = self._session.execute(
            select(t.holder).where(t.realm_id == name, t.expires_at > self._clock())
        ).scalar_one_or_none()
        return found is not None
