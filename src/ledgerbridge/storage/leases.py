"""One worker per QuickBooks company at a time, across processes (`company_leases`).

Taking a lease is one statement, an insert that updates the row it meets only when the
caller holds it already or it has expired (`INSERT ... ON CONFLICT DO UPDATE ... WHERE`): of
two workers taking a lease nobody held, the second's insert waits for the first's and then
finds the row held, and is told so (False). Taken in three statements (renew, look, insert),
both found no row and inserted it, and the second failed on the duplicate key (PostgreSQL:
its job failed) instead of hearing that someone else holds the lease.

A holder working longer than the lease's duration renews it as it goes (`renew`, one UPDATE of
its own row): the lease then never expires under it. Should it have expired and been taken by
another (or taken and given back: the row gone), the renewal says so (False), and the holder
stops writing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Delete, Select, Update, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
        """Whether `holder` holds `name` now, until `ttl` from now: taken when nobody held it
        or it had expired, renewed when `holder` held it; False while another holds it."""
        now = self._clock()
        params = {"l_name": name, "l_holder": holder, "l_now": now, "l_until": now + ttl}
        dialect = self._session.get_bind().dialect.name
        statement = prepared(("leases.take", dialect), lambda: _take(dialect))
        return run(self._session, statement, params).first() is not None

    def renew(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Whether `holder` still holds `name`, now until `ttl` from now: False when the row is
        another's or gone (the lease expired and was taken over meanwhile). A lease of its own
        that expired but was never taken is renewed: nobody else worked under it."""
        params = {"l_name": name, "l_holder": holder, "l_until": self._clock() + ttl}
        return run(self._session, prepared("leases.renew", _renew), params).first() is not None

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


def _take(dialect: str) -> Any:
    """The lease inserted, or its row taken again by its holder or taken over once expired;
    a row held by another is left as it is (no row returned). On PostgreSQL an insert that
    meets another transaction's uncommitted row waits for it, then decides on the row that
    transaction committed."""
    t = table(tables.CompanyLease)
    added = postgresql.insert(t) if dialect == "postgresql" else sqlite.insert(t)
    added = added.values(
        realm_id=bindparam("l_name"),
        holder=bindparam("l_holder"),
        expires_at=bindparam("l_until"),
    )
    return added.on_conflict_do_update(
        index_elements=[t.c.realm_id],
        set_={"holder": added.excluded.holder, "expires_at": added.excluded.expires_at},
        where=or_(t.c.holder == bindparam("l_holder"), t.c.expires_at <= bindparam("l_now")),
    ).returning(t.c.holder)


def _renew() -> Update:
    """The holder's own row given a later expiry (its holder returned; no row: not its own)."""
    t = table(tables.CompanyLease)
    return (
        update(t)
        .where(t.c.realm_id == bindparam("l_name"), t.c.holder == bindparam("l_holder"))
        .values(expires_at=bindparam("l_until"))
        .returning(t.c.holder)
    )


def _release() -> Delete:
    t = table(tables.CompanyLease)
    return delete(t).where(t.c.realm_id == bindparam("l_name"), t.c.holder == bindparam("l_holder"))
