"""Where each record stands (`sync_state`): its status and problem, what blocks it, when it is
due, the write it has under way. No business rules here: what a change does to a record's status
is asked of `core.status`."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Update,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

from ledgerbridge.core import status as statuses
from ledgerbridge.core.status import Status
from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import (
    CHUNK,
    by_type,
    chunks,
    keyed_select,
    prepared,
    run,
    run_many,
    table,
)
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = [
    "DUE_STATUSES",
    "DroppedWrite",
    "Finished",
    "Key",
    "StoredState",
    "SyncStates",
    "Wanted",
    "Write",
]

Key = tuple[str, str]  # (type, app_id)
DUE_STATUSES = statuses.DUE


def _workable() -> ColumnElement[bool]:
    """Rows the push pass may work: not held, or held with a write of ours still to settle
    (a held record waits for a push request, but what was already sent is always settled)."""
    t = tables.SyncState
    return or_(t.held.is_(False), t.pending_request_id.is_not(None))


@dataclass(frozen=True, slots=True)
class StoredState:
    type: str
    app_id: str
    status: str
    problem: Mapping[str, Any] | None
    blocked_by_type: str | None
    blocked_by_id: str | None
    attempts: int
    next_attempt_at: datetime | None
    pending_request_id: str | None
    pending_operation: str | None
    pending_body: Mapping[str, Any] | None
    desired_version: int
    synced_version: int | None
    updated_at: datetime
    overrides: Mapping[str, Any] | None = None
    held: bool = False  # waits for a push request (auto_push leaves its type out)
    adopt_qbo_id: str | None = None  # the QuickBooks object the app said it is, until linked


def _state(row: Any) -> StoredState:
    return StoredState(
        type=row.type,
        app_id=row.app_id,
        status=row.status,
        problem=row.problem,
        blocked_by_type=row.blocked_by_type,
        blocked_by_id=row.blocked_by_id,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        pending_request_id=row.pending_request_id,
        pending_operation=row.pending_operation,
        pending_body=row.pending_body,
        desired_version=row.desired_version,
        synced_version=row.synced_version,
        updated_at=row.updated_at,
        overrides=row.overrides,
        held=row.held,
        adopt_qbo_id=row.adopt_qbo_id,
    )


@dataclass(frozen=True, slots=True)
class Write:
    """A write about to be sent (`SyncStates.start_writes`): its requestid, operation, body."""

    type: str
    app_id: str
    request_id: str
    operation: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DroppedWrite:
    """A write under way that Start fresh forgot (`SyncStates.start_over`): its requestid."""

    type: str
    app_id: str
    request_id: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The outcome of working one record (`SyncStates.finish_many`; see `finish`)."""

    type: str
    app_id: str
    status: str
    problem: Mapping[str, Any] | None = None
    blocked_by: Key | None = None
    synced_version: int | None = None
    next_attempt_at: datetime | None = None
    attempts: int | None = None
    keep_pending: bool = False


@dataclass(frozen=True, slots=True)
class Wanted:
    """One record of `SyncStates.want_many` (see `want`): its new version, its state as the
    caller read it in this transaction (None: it has none), and with `set_adopt` the
    QuickBooks object it is to adopt from now on (`adopt_qbo_id`; None: none)."""

    type: str
    app_id: str
    version: int
    current: StoredState | None
    hold: bool | None = None
    set_adopt: bool = False
    adopt_qbo_id: str | None = None


_BY_APP = (("connection_id", "w_cid"), ("type", "w_type"), ("app_id", "w_app"))
_one_row = functools.partial(keyed_select, tables.SyncState, _BY_APP)
_some_rows = functools.partial(keyed_select, tables.SyncState, _BY_APP, many=True)


def _adopters_of() -> Select[Any]:
    t = table(tables.SyncState)
    return (
        select(t.c.type, t.c.app_id, t.c.adopt_qbo_id)
        .where(
            t.c.connection_id == bindparam("w_cid"),
            tuple_(t.c.type, t.c.adopt_qbo_id).in_(bindparam("pairs", expanding=True)),
        )
        .order_by(t.c.id)
    )


def _due_where() -> list[ColumnElement[bool]]:
    """A connection's (`w_cid`) rows a pass may work, due now or later (`_workable`)."""
    t = table(tables.SyncState)
    return [
        t.c.connection_id == bindparam("w_cid"),
        t.c.status.in_(DUE_STATUSES),
        or_(t.c.held.is_(False), t.c.pending_request_id.is_not(None)),
    ]


def _company_waits(after: Any, connection_id: Any) -> ColumnElement[bool]:
    """Whether the connection waits for QuickBooks' limits past `after` (`delay_all`): none of
    its records is due before its wait ends, whatever their own retry times."""
    c = table(tables.Connection)
    return exists().where(c.c.id == connection_id, c.c.wait_until > after)


def _stalled(columns: list[Any], before: Any, connection_id: Any = None) -> Select[Any]:
    """`SyncStates.stalled`'s rows (`columns` of them): pending since `before` (not changed, no
    retry time after it), and either nothing of their company worked since `before` or
    something after them in the passes' order (`id`) was. The last worked record of each
    company is found once (one scan of the recent rows), not once a pending record."""
    t = tables.SyncState
    worked = aliased(tables.SyncState)
    recent = select(worked.connection_id, func.max(worked.id).label("last_id")).where(
        worked.updated_at > before, worked.status != Status.PENDING
    )
    query = select(*columns)
    if connection_id is not None:
        recent = recent.where(worked.connection_id == connection_id)
        query = query.where(t.connection_id == connection_id)
    last = recent.group_by(worked.connection_id).subquery()
    return query.outerjoin(last, last.c.connection_id == t.connection_id).where(
        t.status == Status.PENDING,
        t.updated_at <= before,
        or_(t.next_attempt_at.is_(None), t.next_attempt_at <= before),
        ~_company_waits(before, t.connection_id),  # nor its company's wait after it
        or_(last.c.last_id.is_(None), t.id < last.c.last_id),
    )


def _stalled_of_one() -> Select[Any]:
    """`_stalled` of one connection (`w_cid`), its rows' columns in the order of
    `StoredState`'s fields, oldest first: built once (building it cost ten times running it)."""
    t = tables.SyncState
    wanted = [getattr(t, f.name) for f in fields(StoredState)]
    return _stalled(wanted, bindparam("w_before"), bindparam("w_cid")).order_by(t.id)


# What a Desktop session and each pass ask before working (is anything due, and when, how
# much): built once, as the statements of the pass itself (a statement built for each call
# cost three times what it runs for).


def _next_due_at() -> Select[Any]:
    """The earliest retry time of the connection's records, and the connection's own wait."""
    c = table(tables.Connection)
    wait = select(c.c.wait_until).where(c.c.id == bindparam("w_cid")).scalar_subquery()
    return select(func.min(table(tables.SyncState).c.next_attempt_at), wait).where(*_due_where())


def _due_now() -> list[ColumnElement[bool]]:
    """A connection's (`w_cid`) workable rows due at `w_now`: their retry time come, and the
    company not waiting for QuickBooks' limits."""
    t = table(tables.SyncState)
    return [
        *_due_where(),
        or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= bindparam("w_now")),
        ~_company_waits(bindparam("w_now"), bindparam("w_cid")),
    ]


def _count_due() -> Select[Any]:
    return select(func.count()).where(*_due_now())


def _adoption_due() -> Select[Any]:
    t = table(tables.SyncState)
    return (
        select(t.c.id)
        .where(*_due_now(), t.c.adopt_qbo_id.is_not(None), t.c.next_attempt_at.is_not(None))
        .limit(1)
    )


def _due() -> Select[Any]:
    """The rows a pass works now, oldest first (built once: every pass reads them), their
    columns in the order of `StoredState`'s fields."""
    t = table(tables.SyncState)
    return (
        select(*(t.c[f.name] for f in fields(StoredState)))
        .where(*_due_now())
        .order_by(t.c.id)
        .limit(bindparam("w_limit"))
    )


def _row_update() -> Update:
    """An UPDATE of one row by its key; the columns set are the other parameters given."""
    t = table(tables.SyncState)
    return update(t).where(
        t.c.connection_id == bindparam("w_cid"),
        t.c.type == bindparam("w_type"),
        t.c.app_id == bindparam("w_app"),
    )


def _statuses_of() -> Select[Any]:
    t = table(tables.SyncState)
    return select(t.c.type, t.c.app_id, t.c.status).where(
        t.c.connection_id == bindparam("w_cid"),
        t.c.type == bindparam("w_type"),
        t.c.app_id.in_(bindparam("ids", expanding=True)),
    )


def _overridden() -> Select[Any]:
    t = table(tables.SyncState)
    return select(t.c.app_id, t.c.overrides).where(
        t.c.connection_id == bindparam("w_cid"),
        t.c.type == bindparam("w_type"),
        t.c.overrides.is_not(None),
    )


def _release_blocked() -> Update:
    t = table(tables.SyncState)
    return update(t).where(
        t.c.connection_id == bindparam("w_cid"),
        t.c.status == Status.BLOCKED,
        tuple_(t.c.blocked_by_type, t.c.blocked_by_id).in_(bindparam("w_blockers", expanding=True)),
    )


class _Unread:
    """Not read by the caller."""


_UNREAD = _Unread()


class SyncStates:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def _where(self, connection_id: str, type: str, app_id: str) -> tuple[Any, ...]:
        t = tables.SyncState
        return (t.connection_id == connection_id, t.type == type, t.app_id == app_id)

    def get(self, connection_id: str, type: str, app_id: str) -> StoredState | None:
        statement = prepared("sync_state.get", _one_row)
        row = run(
            self._session, statement, {"w_cid": connection_id, "w_type": type, "w_app": app_id}
        ).one_or_none()
        return None if row is None else _state(row)

    def held(self, connection_id: str, type: str, app_id: str) -> StoredState | None:
        """`get`, the row held until the transaction ends (PostgreSQL: FOR UPDATE; SQLite's
        write transaction holds the database already): for a change a person decided on what
        was read before, checked against what is stored now. A pass storing a write's
        requestid for the record waits for it, or is waited for."""
        statement = prepared("sync_state.held", lambda: _one_row().with_for_update())
        row = run(
            self._session, statement, {"w_cid": connection_id, "w_type": type, "w_app": app_id}
        ).one_or_none()
        return None if row is None else _state(row)

    def get_many(self, connection_id: str, keys: Iterable[Key]) -> dict[Key, StoredState]:
        """`get` for many keys (a query per type and 500): key -> state, for those held."""
        statement = prepared("sync_state.get_many", _some_rows)
        found: dict[Key, StoredState] = {}
        for type_, ids in by_type(keys):
            params = {"w_cid": connection_id, "w_type": type_, "ids": ids}
            for row in run(self._session, statement, params):
                found[(row.type, row.app_id)] = _state(row)
        return found

    def want(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        version: int,
        *,
        hold: bool | None = None,
        current: StoredState | _Unread | None = _UNREAD,
    ) -> None:
        """The app sent a new version: make the record due now (its pending write stays).

        `hold=True` keeps it pending but out of the due work until a later `hold=False`
        releases it (the connection's auto_push leaves its type out); `None` leaves the
        record held or not as it was (a new record is not held). `current`: its state as the
        caller just read it in this transaction (not read again)."""
        now = self._clock()
        existing = (
            self.get(connection_id, type, app_id) if isinstance(current, _Unread) else current
        )
        if existing is None:
            self._session.execute(
                insert(tables.SyncState).values(
                    connection_id=connection_id,
                    type=type,
                    app_id=app_id,
                    status=statuses.after_new_version(None),
                    attempts=0,
                    next_attempt_at=now,
                    desired_version=version,
                    held=bool(hold),
                    updated_at=now,
                )
            )
            return
        status = statuses.after_new_version(existing.status)
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(
                status=status,
                desired_version=version,
                attempts=0,
                next_attempt_at=now,
                problem=existing.problem if statuses.problem_stays(status) else None,
                blocked_by_type=None,
                blocked_by_id=None,
                held=existing.held if hold is None else hold,
                updated_at=now,
            )
        )

    def want_many(self, connection_id: str, wanted: Iterable[Wanted]) -> None:
        """`want` for many records, each once, their states read by the caller in this
        transaction: one multi-row insert for those without a state, an executemany for the
        others (one per set of columns). Each record is stamped with its own clock reading.
        Core statements: rows loaded as ORM objects in this session are not refreshed (the
        intake, its caller, loads none)."""
        new: list[dict[str, Any]] = []
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for one in wanted:
            now = self._clock()
            existing = one.current
            if existing is None:
                new.append(
                    {
                        "connection_id": connection_id,
                        "type": one.type,
                        "app_id": one.app_id,
                        "status": statuses.after_new_version(None),
                        "attempts": 0,
                        "next_attempt_at": now,
                        "desired_version": one.version,
                        "held": bool(one.hold),
                        "updated_at": now,
                        "adopt_qbo_id": one.adopt_qbo_id if one.set_adopt else None,
                    }
                )
                continue
            status = statuses.after_new_version(existing.status)
            values: dict[str, Any] = {
                "w_cid": connection_id,
                "w_type": one.type,
                "w_app": one.app_id,
                "status": status,
                "desired_version": one.version,
                "attempts": 0,
                "next_attempt_at": now,
                "problem": existing.problem if statuses.problem_stays(status) else None,
                "blocked_by_type": None,
                "blocked_by_id": None,
                "held": existing.held if one.hold is None else one.hold,
                "updated_at": now,
            }
            if one.set_adopt:
                values["adopt_qbo_id"] = one.adopt_qbo_id
            by_columns.setdefault(tuple(values), []).append(values)
        if new:
            statement = prepared("sync_state.insert", lambda: insert(table(tables.SyncState)))
            for start in range(0, len(new), CHUNK):
                run(self._session, statement, new[start : start + CHUNK])
        update_row = prepared("sync_state.update_row", _row_update)
        for rows in by_columns.values():
            run(self._session, update_row, rows)

    def due(self, connection_id: str, now: datetime, limit: int = 500) -> list[StoredState]:
        params = {"w_cid": connection_id, "w_now": now, "w_limit": limit}
        rows = run(self._session, prepared("sync_state.due", _due), params)
        return [StoredState(*r) for r in rows]  # type: ignore[call-arg]  # the fields' order

    def count_due(self, connection_id: str, now: datetime) -> int:
        """How many records `due` would hand out now, without a limit: one count, no rows."""
        statement = prepared("sync_state.count_due", _count_due)
        found = run(self._session, statement, {"w_cid": connection_id, "w_now": now}).scalar_one()
        return int(found)

    def all(
        self,
        connection_id: str,
        *,
        record_type: str | None = None,
        status: str | None = None,
        held: bool | None = None,
    ) -> list[StoredState]:
        t = tables.SyncState
        query = select(t).where(t.connection_id == connection_id)
        if record_type:
            query = query.where(t.type == record_type)
        if status:
            query = query.where(t.status == status)
        if held is not None:
            query = query.where(t.held.is_(held))
        return [_state(r) for r in self._session.execute(query.order_by(t.id)).scalars()]

    def outlines(self, connection_id: str) -> list[tuple[str, str, str, Mapping[str, Any] | None]]:
        """(type, app id, status, problem) of each of the connection's records: what a
        checklist reads of all of them, without building a whole `StoredState` for each."""
        t = tables.SyncState
        rows = self._session.execute(
            select(t.type, t.app_id, t.status, t.problem)
            .where(t.connection_id == connection_id)
            .order_by(t.id)
        )
        return [(row.type, row.app_id, row.status, row.problem) for row in rows]

    def overridden(self, connection_id: str, record_type: str) -> dict[str, Mapping[str, Any]]:
        """The overrides of the records of a type that have some: app id -> overrides."""
        params = {"w_cid": connection_id, "w_type": record_type}
        rows = run(self._session, prepared("sync_states.overridden", _overridden), params)
        return {row.app_id: row.overrides for row in rows if row.overrides}

    def overridden_among(
        self, connection_id: str, record_types: Iterable[str]
    ) -> dict[tuple[str, str], Mapping[str, Any]]:
        """`overridden` for several types in one query: (type, app id) -> overrides."""
        t = tables.SyncState
        rows = self._session.execute(
            select(t.type, t.app_id, t.overrides).where(
                t.connection_id == connection_id,
                t.type.in_(list(record_types)),
                t.overrides.is_not(None),
            )
        )
        return {(row.type, row.app_id): row.overrides for row in rows if row.overrides}

    def in_batch(self, connection_id: str, batch_id: str) -> list[StoredState]:
        """The records whose pending write is an item of the batch `batch_id`."""
        t = tables.SyncState
        rows = self._session.execute(
            select(t).where(
                t.connection_id == connection_id, t.pending_request_id.like(f"{batch_id}:%")
            )
        ).scalars()
        return [_state(r) for r in rows]

    def due_beyond(self, connection_id: str, count: int) -> bool:
        """Does the company have more than `count` records due (now or later)? Reads at most
        `count + 1` rows."""
        t = tables.SyncState
        some = (
            select(t.id)
            .where(t.connection_id == connection_id, t.status.in_(DUE_STATUSES), _workable())
            .limit(count + 1)
            .subquery()
        )
        found = self._session.execute(select(func.count()).select_from(some)).scalar_one()
        return int(found) > count

    def next_due_at(self, connection_id: str) -> datetime | None:
        """When the connection's first record comes due (None: none will), its company's wait
        for QuickBooks' limits (`delay_all`) included."""
        statement = prepared("sync_state.next_due_at", _next_due_at)
        values: list[datetime | None] = list(
            run(self._session, statement, {"w_cid": connection_id}).one()
        )
        first, wait = values
        if first is None or wait is None:
            return first
        return max(first, wait)

    def due_connections(self, now: datetime) -> set[str]:
        """The connections with a record due by `now` (`next_due_at` at or before it), in one
        query for every connection (the sweep's: not one a connection)."""
        t = tables.SyncState
        rows = self._session.execute(
            select(t.connection_id)
            .where(t.status.in_(DUE_STATUSES), _workable(), t.next_attempt_at <= now)
            .where(~_company_waits(now, t.connection_id))
            .distinct()
        )
        return {str(cid) for (cid,) in rows}

    def stalling_connections(self, before: datetime) -> set[str]:
        """The connections with a record `stalled` finds, in one query for every connection."""
        t = tables.SyncState
        rows = self._session.execute(_stalled([t.connection_id], before).distinct())
        return {str(cid) for (cid,) in rows}

    def stalled(self, connection_id: str, before: datetime) -> list[StoredState]:
        """A connection's records pending since `before` or earlier (neither changed nor
        waiting for a retry time since) that nobody is working: its passes take due records
        oldest first (`due`), so a record is stalled when no record of the company was worked
        (synced, failed, ...) since `before`, or when one after it in that order was (the
        passes went past it). A large company's backlog waiting its turns behind records
        worked now is not stalled however long it waits."""
        statement = prepared("sync_state.stalled", _stalled_of_one)
        rows = run(self._session, statement, {"w_cid": connection_id, "w_before": before})
        return [StoredState(*r) for r in rows]  # type: ignore[call-arg]  # the fields' order

    def requeue(
        self, connection_id: str, problems: Mapping[Key, Mapping[str, Any]], before: datetime
    ) -> set[Key]:
        """Stalled records (`stalled`) due again, each shown with its problem: what `want` at
        the same version then `finish` as pending (`keep_pending`) do, for many records at
        once, an UPDATE per type and 500 records (their problems in one CASE): due now, no
        retries counted, no blocker; their version, hold and write under way kept. A record
        worked since `before` meanwhile (no longer pending, or changed) is left as it is; the
        keys of those made due."""
        t = table(tables.SyncState)
        now = self._clock()
        done: set[Key] = set()
        for type_, ids in by_type(problems):
            grouped: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
            for app_id in ids:  # records with the same problem (as many minutes) share a value
                problem = problems[(type_, app_id)]
                grouped.setdefault(json.dumps(problem, sort_keys=True), (problem, []))[1].append(
                    app_id
                )
            values = [literal(dict(p), tables.JsonDocument) for p, _ in grouped.values()]
            shown: Any = values[0]
            if len(values) > 1:
                shown = case(
                    *(
                        (t.c.app_id.in_(some), value)
                        for (_, some), value in zip(grouped.values(), values, strict=True)
                    )
                )
            statement = (
                update(t)
                .where(
                    t.c.connection_id == connection_id,
                    t.c.type == type_,
                    t.c.app_id.in_(ids),
                    t.c.status == Status.PENDING,
                    t.c.updated_at <= before,
                    or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= before),
                )
                .values(**_due_again(now, shown), updated_at=now)
                .returning(t.c.app_id)
            )
            done.update((type_, app_id) for app_id in self._session.execute(statement).scalars())
        return done

    def adoption_due(self, connection_id: str, now: datetime) -> bool:
        """Is a record waiting to adopt a QuickBooks object (`adopt_qbo_id`) due by `now`?"""
        statement = prepared("sync_state.adoption_due", _adoption_due)
        found = run(self._session, statement, {"w_cid": connection_id, "w_now": now}).first()
        return found is not None

    def statuses(self, connection_id: str, keys: Iterable[Key]) -> dict[Key, str]:
        wanted = set(keys)
        if not wanted:
            return {}
        statement = prepared("sync_state.statuses", _statuses_of)
        found: dict[Key, str] = {}
        for type_, ids in by_type(wanted):
            params = {"w_cid": connection_id, "w_type": type_, "ids": ids}
            for r in run(self._session, statement, params):
                found[(r.type, r.app_id)] = r.status
        return found

    def start_write(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        request_id: str,
        operation: str,
        body: Mapping[str, Any],
    ) -> None:
        """Remember a write before it is sent (the caller commits before calling QuickBooks)."""
        self.start_writes(connection_id, [Write(type, app_id, request_id, operation, body)])

    def start_writes(self, connection_id: str, writes: Iterable[Write]) -> None:
        """`start_write` for many records (a batch's creates), one statement."""
        now = self._clock()
        rows = [
            {
                "w_cid": connection_id,
                "w_type": w.type,
                "w_app": w.app_id,
                "pending_request_id": w.request_id,
                "pending_operation": w.operation,
                "pending_body": dict(w.body),
                "updated_at": now,
            }
            for w in writes
        ]
        run_many(self._session, prepared("sync_state.update_row", _row_update), rows)

    def drop_write(self, connection_id: str, type: str, app_id: str) -> None:
        """Forget the write under way: QuickBooks refused it, so it did nothing and replaying
        its requestid would only repeat the refusal (the record is planned afresh)."""
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(
                pending_request_id=None,
                pending_operation=None,
                pending_body=None,
                updated_at=self._clock(),
            )
        )

    def creating(self, connection_id: str, type: str) -> bool:
        """Whether a create of a record of `type` is under way (its requestid stored, its
        outcome not yet): QuickBooks may hold the object before its link is stored."""
        t = tables.SyncState
        found = self._session.execute(
            select(t.id)
            .where(
                t.connection_id == connection_id,
                t.type == type,
                t.pending_operation == "create",
                t.pending_request_id.is_not(None),
            )
            .limit(1)
        ).first()
        return found is not None

    def finish(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        *,
        status: str,
        problem: Mapping[str, Any] | None = None,
        blocked_by: Key | None = None,
        synced_version: int | None = None,
        next_attempt_at: datetime | None = None,
        attempts: int | None = None,
        keep_pending: bool = False,
    ) -> None:
        """Store the outcome of working the record. Only a `pending` record stays held: any
        other outcome ends the hold (the next change from the app may hold it again)."""
        self.finish_many(
            connection_id,
            [
                Finished(
                    type,
                    app_id,
                    status,
                    problem,
                    blocked_by,
                    synced_version,
                    next_attempt_at,
                    attempts,
                    keep_pending,
                )
            ],
        )

    def finish_many(self, connection_id: str, outcomes: Iterable[Finished]) -> None:
        """`finish` for many records: one statement for each set of columns they change."""
        now = self._clock()
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for done in outcomes:
            values: dict[str, Any] = {
                "w_cid": connection_id,
                "w_type": done.type,
                "w_app": done.app_id,
                "status": done.status,
                "problem": dict(done.problem) if done.problem is not None else None,
                "blocked_by_type": done.blocked_by[0] if done.blocked_by else None,
                "blocked_by_id": done.blocked_by[1] if done.blocked_by else None,
                "next_attempt_at": done.next_attempt_at,
                "updated_at": now,
            }
            if not done.keep_pending:
                values.update(pending_request_id=None, pending_operation=None, pending_body=None)
            if not statuses.keeps_hold(done.status):
                values["held"] = False
            if done.synced_version is not None:
                values["synced_version"] = done.synced_version
            if done.attempts is not None:
                values["attempts"] = done.attempts
            by_columns.setdefault(tuple(values), []).append(values)
        statement = prepared("sync_state.update_row", _row_update)
        for rows in by_columns.values():
            run_many(self._session, statement, rows)

    def set_overrides(
        self, connection_id: str, type: str, app_id: str, overrides: Mapping[str, Any] | None
    ) -> None:
        """Replace the record's overrides (None or empty: the app's values go as they are)."""
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(overrides=dict(overrides) if overrides else None, updated_at=self._clock())
        )

    def set_adopt(self, connection_id: str, type: str, app_id: str, qbo_id: str | None) -> None:
        """The QuickBooks object the record is to be linked to instead of created (None:
        none, or linked now)."""
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(adopt_qbo_id=qbo_id)
        )

    def adopters(
        self, connection_id: str, wanted: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[str]]:
        """The app records waiting to adopt each of these (type, QuickBooks id) pairs (sent
        with the object's link, not linked by a push yet; a query per 500): pair -> their app
        ids, the first to ask first; pairs none waits for are left out."""
        statement = prepared("sync_state.adopters", _adopters_of)
        found: dict[tuple[str, str], list[str]] = {}
        for chunk in chunks(wanted):
            for row in run(self._session, statement, {"w_cid": connection_id, "pairs": chunk}):
                found.setdefault((row.type, row.adopt_qbo_id), []).append(row.app_id)
        return found

    def clear_adopt(self, connection_id: str, type: str, app_id: str, qbo_id: str) -> None:
        """The record's adoption of `qbo_id` is done: forgotten, unless the app has named
        another object since."""
        t = tables.SyncState
        self._session.execute(
            update(t)
            .where(*self._where(connection_id, type, app_id), t.adopt_qbo_id == qbo_id)
            .values(adopt_qbo_id=None)
        )

    def unsync(self, connection_id: str, type: str, app_id: str) -> None:
        """Forget which version was pushed: the record is compared with QuickBooks again."""
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(synced_version=None, updated_at=self._clock())
        )

    def start_over(self, connection_id: str) -> list[DroppedWrite]:
        """Every record of the connection as Start fresh leaves it (`service.admin.start_fresh`:
        another company is next): what `unsync`, `drop_write` for a write under way and `want`
        at its own version do one record at a time, in three statements however many records
        the connection has (a loop made three or four a record: several hundred thousand in
        one transaction for a large company). Every record is compared with QuickBooks again
        and its write under way forgotten (its requestid and body are the old company's);
        every record but a bypassed one (a person decided) is pending and due now, no retries
        counted, no problem, no blocker, its version and hold kept. The writes dropped, in
        the order of the records, for their history."""
        t = table(tables.SyncState)
        now = self._clock()
        mine = t.c.connection_id == connection_id
        under_way = t.c.pending_request_id.is_not(None)
        # the writes under way read as they are dropped, in one statement: RETURNING gives a
        # row's values after the update (SQLite; PostgreSQL before 18), so this one leaves
        # the requestid it returns, and the next drops it with every record's synced version
        returned = self._session.execute(
            update(t)
            .where(mine, under_way)
            .values(pending_operation=None, pending_body=None)
            .returning(t.c.id, t.c.type, t.c.app_id, t.c.pending_request_id)
        ).all()
        dropped = [
            DroppedWrite(row.type, row.app_id, row.pending_request_id)
            for row in sorted(returned, key=lambda row: row.id)
        ]
        self._session.execute(
            update(t)
            .where(mine)
            .values(synced_version=None, pending_request_id=None, updated_at=now)
        )
        self._session.execute(
            update(t).where(mine, t.c.status != Status.BYPASSED).values(**_due_again(now, None))
        )
        return dropped

    def release_blocked(self, connection_id: str, by: Key) -> int:
        """Records blocked by `by` become due again (their blocker synced)."""
        return self.release_blocked_many(connection_id, [by])

    def release_blocked_many(self, connection_id: str, blockers: Iterable[Key]) -> int:
        """Records blocked by any of `blockers` become due again: a statement per 500."""
        statement = prepared("sync_state.release_blocked", _release_blocked)
        released = 0
        for chunk in chunks(blockers):
            result = run(
                self._session,
                statement,
                {
                    "w_cid": connection_id,
                    "w_blockers": chunk,
                    "status": statuses.after_blocker_synced(Status.BLOCKED),
                    "next_attempt_at": self._clock(),
                    "problem": None,
                    "blocked_by_type": None,
                    "blocked_by_id": None,
                },
            )
            released += int(getattr(result, "rowcount", 0) or 0)
        return released

    def delay_all(self, connection_id: str, until: datetime) -> None:
        """A company-wide wait (QuickBooks' 429, the company's window full): none of its
        records is due before `until`. One row, the connection's (`wait_until`, the later of
        two waits kept), whatever the records: `due`, `count_due`, `next_due_at`,
        `due_connections` and `stalled` read it. Written into each due record instead, a large
        company's backlog was rewritten whole at every stop of its window."""
        c = tables.Connection
        self._session.execute(
            update(c)
            .where(c.id == connection_id, or_(c.wait_until.is_(None), c.wait_until < until))
            .values(wait_until=until)
        )

    def any_failing(self, connection_id: str, code: str, type: str | None = None) -> bool:
        """Whether a record (of `type`) fails with `code`: the company's failing states only
        (its status index), not every record. `Records.list` by status and code walks the
        company's records in their order and finds none only at their end (8 ms a call on
        average in bench.fleet at 5% of its size, asked at every pull by drift's merge check)."""
        t = tables.SyncState
        query = select(t.id).where(
            t.connection_id == connection_id,
            t.status == Status.ERROR,
            t.problem["code"].as_string() == code,
        )
        if type is not None:
            query = query.where(t.type == type)
        return self._session.execute(query.limit(1)).first() is not None

    def problem_counts(self, connection_id: str) -> list[tuple[str, int]]:
        """How many records each problem code stops now, most first."""
        t = tables.SyncState
        code = t.problem["code"].as_string()
        rows = self._session.execute(
            select(code, func.count())
            .where(t.connection_id == connection_id, t.problem.is_not(None), code.is_not(None))
            .group_by(code)
        ).all()
        return sorted(((str(c), int(n)) for c, n in rows), key=lambda row: (-row[1], row[0]))

    def counts(self, connection_id: str) -> dict[str, int]:
        t = tables.SyncState
        rows = self._session.execute(
            select(t.status, func.count())
            .where(t.connection_id == connection_id)
            .group_by(t.status)
        )
        return {status: int(count) for status, count in rows}


def _due_again(now: datetime, problem: Any) -> dict[str, Any]:
    """The values of a record made pending and due `now` again, as a new version would make
    it: no retries counted, no blocker, `problem` shown (None: none)."""
    return {
        "status": statuses.after_new_version(Status.PENDING),
        "attempts": 0,
        "next_attempt_at": now,
        "problem": problem,
        "blocked_by_type": None,
        "blocked_by_id": None,
    }
