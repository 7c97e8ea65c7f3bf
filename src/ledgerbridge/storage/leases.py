"""One worker per QuickBooks company at a time, across processes (`company_leases`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import prepared, run, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["Leases"]


class Leases:
    """One worker per QuickBooks company at a time, across processes, with an expiry."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = self._clock()
        params = {"l_name": name, "l_holder": holder, "l_now": now, "l_until": now + ttl}
        result = run(self._session, prepared("leases.renew", _renew), params)
        if getattr(result, "rowcount", 0):
            return True
        exists = run(
            self._session, prepared("leases.holder", _holder), {"l_name": name}
        ).scalar_one_or_none()
        if exists is not None:
            return False
        run(self._session, prepared("leases.insert", _insert), params)
        return True

    def release(self, name: str, holder: str) -> None:
        params = {"l_name": name, "l_holder": holder}
        run(self._session, prepared("leases.release", _release), params)

    def held(self, name: str) -> bool:
        """Whether someone holds `name` now (not expired)."""
        params = {"l_name": name, "l_now": self._clock()}
        found = run(self._session, prepared("leases.held", _held), params).scalar_one_or_none()
        return found is not None


# Each pass takes and gives back its company's lease: statements built once (`_sql.prepared`).


def _held() -> Select[Any]:
    """The lease's holder, unless it has expired."""
    t = table(tables.CompanyLease)
    return select(t.c.holder).where(
        t.c.realm_id == bindparam("l_name"), t.c.expires_at > bindparam("l_now")
    )


def _renew() -> Update:
    """The lease taken again by its holder, or taken over once expired."""
    t = table(tables.CompanyLease)
    return (
        update(t)
        .where(
            t.c.realm_id == bindparam("l_name"),
            or_(t.c.holder == bindparam("l_holder"), t.c.expires_at <= bindparam("l_now")),
        )
        .values(holder=bindparam("l_holder"), expires_at=bindparam("l_until"))
    )


def _holder() -> Select[Any]:
    t = table(tables.CompanyLease)
    return select(t.c.holder).where(t.c.realm_id == bindparam("l_name"))


def _insert() -> Insert:
    t = table(tables.CompanyLease)
    return insert(t).values(
        realm_id=bindparam("l_name"),
        holder=bindparam("l_holder"),
        expires_at=bindparam("l_until"),
    )


def _release() -> Delete:
    t = table(tables.CompanyLease)
    return delete(t).where(t.c.realm_id == bindparam("l_name"), t.c.holder == bindparam("l_holder"))
