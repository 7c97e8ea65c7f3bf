"""Repositories for the reconciler: sync state, links, the mirror, history, tokens, company
leases and the shared rate window. Same rules as `repositories`: a session given by the caller,
frozen values out, INSERT/UPDATE statements in, no business rules: what a change does to a
record's status is asked of `core.status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledgerbridge.core import status as statuses
from ledgerbridge.core.mirror import PERSON_ENTITIES, MirrorObject, name_key
from ledgerbridge.core.status import Status
from ledgerbridge.storage import tables
from ledgerbridge.storage.db import canonical_json
from ledgerbridge.storage.repositories import Clock
from ledgerbridge.storage.tables import utcnow

Key = tuple[str, str]  # (type, app_id)

DUE_STATUSES = statuses.DUE
_T = TypeVar("_T")
_CHUNK = 500  # ids per IN (...) and rows per upsert statement


def _chunks(values: Iterable[_T]) -> Iterator[list[_T]]:
    """`values` without repeats, _CHUNK at a time (for IN (...) lists)."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start : start + _CHUNK]


def _upsert(
    session: Session, table: Any, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """Insert the rows, or update those whose `keys` exist already: a statement per 500."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    changed = [name for name in rows[0] if name not in keys]
    statement = upsert.on_conflict_do_update(
        index_elements=[getattr(table, name) for name in keys],
        set_={name: getattr(upsert.excluded, name) for name in changed},
    )
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, rows[start : start + _CHUNK])


def _workable() -> ColumnElement[bool]:
    """Rows the reconciler may work: not held, or held with a write of ours still to settle
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
        row = self._session.execute(
            select(tables.SyncState).where(*self._where(connection_id, type, app_id))
        ).scalar_one_or_none()
        return None if row is None else _state(row)

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

    def due(self, connection_id: str, now: datetime, limit: int = 500) -> list[StoredState]:
        t = tables.SyncState
        rows = self._session.execute(
            select(t)
            .where(
                t.connection_id == connection_id,
                t.status.in_(DUE_STATUSES),
                _workable(),
                or_(t.next_attempt_at.is_(None), t.next_attempt_at <= now),
            )
            .order_by(t.id)
            .limit(limit)
        ).scalars()
        return [_state(r) for r in rows]

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

    def in_batch(self, connection_id: str, batch_id: str) -> list[StoredState]:
        """The records whose pending write is an item of the batch `batch_id`."""
        t = tables.SyncState
        rows = self._session.execute(
            select(t).where(
                t.connection_id == connection_id, t.pending_request_id.like(f"{batch_id}:%")
            )
        ).scalars()
        return [_state(r) for r in rows]

    def next_due_at(self, connection_id: str) -> datetime | None:
        t = tables.SyncState
        value: datetime | None = self._session.execute(
            select(func.min(t.next_attempt_at)).where(
                t.connection_id == connection_id, t.status.in_(DUE_STATUSES), _workable()
            )
        ).scalar_one_or_none()
        return value

    def statuses(self, connection_id: str, keys: Iterable[Key]) -> dict[Key, str]:
        wanted = set(keys)
        if not wanted:
            return {}
        t = tables.SyncState
        rows = self._session.execute(
            select(t.type, t.app_id, t.status).where(
                t.connection_id == connection_id, t.app_id.in_({k[1] for k in wanted})
            )
        )
        return {(r.type, r.app_id): r.status for r in rows if (r.type, r.app_id) in wanted}

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
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(
                pending_request_id=request_id,
                pending_operation=operation,
                pending_body=dict(body),
                updated_at=self._clock(),
            )
        )

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
        values: dict[str, Any] = {
            "status": status,
            "problem": dict(problem) if problem is not None else None,
            "blocked_by_type": blocked_by[0] if blocked_by else None,
            "blocked_by_id": blocked_by[1] if blocked_by else None,
            "next_attempt_at": next_attempt_at,
            "updated_at": self._clock(),
        }
        if not keep_pending:
            values.update(pending_request_id=None, pending_operation=None, pending_body=None)
        if not statuses.keeps_hold(status):
            values["held"] = False
        if synced_version is not None:
            values["synced_version"] = synced_version
        if attempts is not None:
            values["attempts"] = attempts
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(**values)
        )

    def set_overrides(
        self, connection_id: str, type: str, app_id: str, overrides: Mapping[str, Any] | None
    ) -> None:
        """Replace the record's overrides (None or empty: the app's values go as they are)."""
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(overrides=dict(overrides) if overrides else None, updated_at=self._clock())
        )

    def unsync(self, connection_id: str, type: str, app_id: str) -> None:
        """Forget which version was pushed: the record is compared with QuickBooks again."""
        self._session.execute(
            update(tables.SyncState)
            .where(*self._where(connection_id, type, app_id))
            .values(synced_version=None, updated_at=self._clock())
        )

    def release_blocked(self, connection_id: str, by: Key) -> int:
        """Records blocked by `by` become due again (their blocker synced)."""
        return self.release_blocked_many(connection_id, [by])

    def release_blocked_many(self, connection_id: str, blockers: Iterable[Key]) -> int:
        """Records blocked by any of `blockers` become due again: a statement per 500."""
        t = tables.SyncState
        released = 0
        for chunk in _chunks(blockers):
            result = self._session.execute(
                update(t)
                .where(
                    t.connection_id == connection_id,
                    t.status == Status.BLOCKED,
                    tuple_(t.blocked_by_type, t.blocked_by_id).in_(chunk),
                )
                .values(
                    status=statuses.after_blocker_synced(Status.BLOCKED),
                    next_attempt_at=self._clock(),
                    problem=None,
                    blocked_by_type=None,
                    blocked_by_id=None,
                )
            )
            released += int(getattr(result, "rowcount", 0) or 0)
        return released

    def delay_all(self, connection_id: str, until: datetime) -> None:
        """A company-wide wait (throttled, unavailable): nothing is due before `until`."""
        t = tables.SyncState
        self._session.execute(
            update(t)
            .where(t.connection_id == connection_id, t.status.in_(DUE_STATUSES), _workable())
            .where(or_(t.next_attempt_at.is_(None), t.next_attempt_at < until))
            .values(next_attempt_at=until)
        )

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


@dataclass(frozen=True, slots=True)
class StoredLink:
    type: str
    app_id: str
    qbo_entity: str
    qbo_id: str
    sync_token: str
    doc_number: str | None
    pushed: Mapping[str, Any] | None


def same_as_stored(stored: MirrorObject | None, fresh: MirrorObject) -> bool:
    """Whether a copy just read from QuickBooks is the one the mirror holds already (the
    stored one has decimal strings where the fresh one has Decimals)."""
    if stored is None or stored.sync_token != fresh.sync_token:
        return False
    return canonical_json(dict(stored.data)) == canonical_json(dict(fresh.data))


class Links:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, connection_id: str, type: str, app_id: str) -> StoredLink | None:
        t = tables.Link
        row = self._session.execute(
            select(t).where(t.connection_id == connection_id, t.type == type, t.app_id == app_id)
        ).scalar_one_or_none()
        return None if row is None else stored_link(row)

    def by_quickbooks(self, connection_id: str, entity: str, qbo_id: str) -> StoredLink | None:
        t = tables.Link
        row = self._session.execute(
            select(t).where(
                t.connection_id == connection_id, t.qbo_entity == entity, t.qbo_id == qbo_id
            )
        ).scalar_one_or_none()
        return None if row is None else stored_link(row)

    def by_quickbooks_many(
        self, connection_id: str, entity: str, qbo_ids: Iterable[str]
    ) -> dict[str, StoredLink]:
        """`by_quickbooks` for many ids of one entity (a query per 500): id -> link."""
        t = tables.Link
        found: dict[str, StoredLink] = {}
        for chunk in _chunks(qbo_ids):
            rows = self._session.execute(
                select(t).where(
                    t.connection_id == connection_id, t.qbo_entity == entity, t.qbo_id.in_(chunk)
                )
            ).scalars()
            for row in rows:
                found[row.qbo_id] = stored_link(row)
        return found

    def put(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        *,
        entity: str,
        qbo_id: str,
        sync_token: str,
        doc_number: str | None,
        pushed: Mapping[str, Any] | None,
    ) -> None:
        link = StoredLink(type, app_id, entity, qbo_id, sync_token, doc_number, pushed)
        self.put_many(connection_id, [link])

    def put_many(self, connection_id: str, links: Iterable[StoredLink]) -> None:
        """Links made or renewed, an upsert per 500; the last of a record given twice wins."""
        latest = {(link.type, link.app_id): link for link in links}
        rows = [
            {
                "connection_id": connection_id,
                "type": link.type,
                "app_id": link.app_id,
                "qbo_entity": link.qbo_entity,
                "qbo_id": link.qbo_id,
                "sync_token": link.sync_token,
                "doc_number": link.doc_number,
                "pushed": dict(link.pushed) if link.pushed is not None else None,
            }
            for link in latest.values()
        ]
        _upsert(self._session, tables.Link, ("connection_id", "type", "app_id"), rows)

    def remove_all(self, connection_id: str) -> int:
        """Forget every link of the connection (starting fresh in another company)."""
        t = tables.Link
        result = self._session.execute(delete(t).where(t.connection_id == connection_id))
        return int(getattr(result, "rowcount", 0) or 0)

    def remove(self, connection_id: str, type: str, app_id: str) -> None:
        t = tables.Link
        self._session.execute(
            delete(t).where(t.connection_id == connection_id, t.type == type, t.app_id == app_id)
        )


def stored_link(row: Any) -> StoredLink:
    """A `links` row as the engine sees it."""
    return StoredLink(
        type=row.type,
        app_id=row.app_id,
        qbo_entity=row.qbo_entity,
        qbo_id=row.qbo_id,
        sync_token=row.sync_token,
        doc_number=row.doc_number,
        pushed=row.pushed,
    )


def mirror_object(row: Any) -> MirrorObject:
    """A `mirror` row as the QuickBooks object it holds."""
    if row.data.get("Id"):
        return MirrorObject.from_quickbooks(row.qbo_entity, row.data)
    return MirrorObject(row.qbo_entity, row.qbo_id, row.sync_token, data=row.data)


class Mirror:
    """The stored mirror of one company, with the look-ups of `core.mirror.MirrorView`."""

    PREFERENCES = ("Preferences", "1")

    def __init__(self, session: Session, connection_id: str, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._cid = connection_id
        self._clock = clock

    def _values(self, obj: MirrorObject) -> dict[str, Any]:
        return {
            "sync_token": obj.sync_token,
            "active": obj.active,
            "name_key": name_key(obj.name),
            "email_key": name_key(obj.email),
            "doc_number": obj.doc_number,
            "sku": name_key(obj.sku),
            "parent_id": obj.parent_id,
            "data": dict(obj.data),
            "deleted": False,
            "updated_at": self._clock(),
        }

    def put(self, obj: MirrorObject) -> None:
        self.put_many([obj])

    def put_many(self, objects: Iterable[MirrorObject]) -> None:
        """`put` for many objects, a few statements in all (an upsert per 500); the last copy
        of an object given twice wins."""
        latest = {(obj.entity, obj.qbo_id): obj for obj in objects}
        rows = [
            {"connection_id": self._cid, "qbo_entity": e, "qbo_id": i, **self._values(obj)}
            for (e, i), obj in latest.items()
        ]
        _upsert(self._session, tables.MirrorEntry, ("connection_id", "qbo_entity", "qbo_id"), rows)

    def forget(self) -> None:
        """Drop the whole mirror of the connection (its company changes)."""
        t = tables.MirrorEntry
        self._session.execute(delete(t).where(t.connection_id == self._cid))

    def mark_deleted(self, entity: str, qbo_id: str) -> None:
        t = tables.MirrorEntry
        self._session.execute(
            update(t)
            .where(t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id == qbo_id)
            .values(deleted=True, updated_at=self._clock())
        )

    def _select(self, *conditions: Any) -> list[MirrorObject]:
        t = tables.MirrorEntry
        rows = self._session.execute(
            select(t)
            .where(t.connection_id == self._cid, t.deleted.is_(False), *conditions)
            .order_by(t.id)
        ).scalars()
        return [mirror_object(row) for row in rows]

    def get(self, entity: str, qbo_id: str) -> MirrorObject | None:
        t = tables.MirrorEntry
        found = self._select(t.qbo_entity == entity, t.qbo_id == qbo_id)
        return found[0] if found else None

    def get_many(self, entity: str, qbo_ids: Iterable[str]) -> dict[str, MirrorObject]:
        """`get` for many ids of one entity (a query per 500): id -> object, for those held."""
        t = tables.MirrorEntry
        found: dict[str, MirrorObject] = {}
        for chunk in _chunks(qbo_ids):
            for obj in self._select(t.qbo_entity == entity, t.qbo_id.in_(chunk)):
                found[obj.qbo_id] = obj
        return found

    def is_deleted(self, entity: str, qbo_id: str) -> bool:
        t = tables.MirrorEntry
        return bool(
            self._session.execute(
                select(t.deleted).where(
                    t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id == qbo_id
                )
            ).scalar_one_or_none()
        )

    def person_named(self, name: str) -> MirrorObject | None:
        t = tables.MirrorEntry
        for entity in PERSON_ENTITIES:
            found = self._select(t.qbo_entity == entity, t.name_key == name_key(name))
            if found:
                return found[0]
        return None

    def named(self, entity: str, name: str) -> MirrorObject | None:
        t = tables.MirrorEntry
        found = self._select(t.qbo_entity == entity, t.name_key == name_key(name))
        return found[0] if found else None

    def with_email(self, entity: str, email: str) -> list[MirrorObject]:
        t = tables.MirrorEntry
        return self._select(t.qbo_entity == entity, t.email_key == name_key(email))

    def with_sku(self, sku: str) -> MirrorObject | None:
        t = tables.MirrorEntry
        found = self._select(t.qbo_entity == "Item", t.sku == name_key(sku))
        return found[0] if found else None

    def numbered(self, entity: str, doc_number: str) -> list[MirrorObject]:
        t = tables.MirrorEntry
        return self._select(t.qbo_entity == entity, t.doc_number == doc_number)

    def doc_numbers(self, entity: str) -> set[str]:
        """Every document number used by a (not deleted) object of `entity`."""
        t = tables.MirrorEntry
        rows = self._session.execute(
            select(t.doc_number).where(
                t.connection_id == self._cid,
                t.qbo_entity == entity,
                t.deleted.is_(False),
                t.doc_number.is_not(None),
            )
        ).scalars()
        return {str(number) for number in rows}

    def unlinked_doc_numbers(self, entity: str) -> tuple[str, ...]:
        """The numbers of the (not deleted) documents of `entity` no app record is linked to,
        in the order they were first seen."""
        mirror, link = tables.MirrorEntry, tables.Link
        linked = (
            select(link.id)
            .where(
                link.connection_id == mirror.connection_id,
                link.qbo_entity == mirror.qbo_entity,
                link.qbo_id == mirror.qbo_id,
            )
            .exists()
        )
        rows = self._session.execute(
            select(mirror.doc_number)
            .where(
                mirror.connection_id == self._cid,
                mirror.qbo_entity == entity,
                mirror.deleted.is_(False),
                mirror.doc_number.is_not(None),
                ~linked,
            )
            .order_by(mirror.id)
        ).scalars()
        return tuple(str(number) for number in rows if number)

    def preferences(self) -> Mapping[str, Any]:
        found = self.get(*self.PREFERENCES)
        return found.data if found else {}

    def put_preferences(self, prefs: Mapping[str, Any]) -> None:
        self.put(
            MirrorObject("Preferences", "1", str(prefs.get("SyncToken", "0")), data=dict(prefs))
        )

    def count(self, entity: str) -> int:
        t = tables.MirrorEntry
        return int(
            self._session.execute(
                select(func.count()).where(
                    t.connection_id == self._cid, t.qbo_entity == entity, t.deleted.is_(False)
                )
            ).scalar_one()
        )


@dataclass(frozen=True, slots=True)
class Happened:
    """One entry of `History.add_many`."""

    type: str
    app_id: str
    kind: str
    request_id: str | None = None
    detail: Mapping[str, Any] | None = None


class History:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def add(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        kind: str,
        *,
        request_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        self.add_many(connection_id, [Happened(type, app_id, kind, request_id, detail)])

    def add_many(self, connection_id: str, entries: Iterable[Happened]) -> None:
        """Many entries, one statement."""
        now = self._clock()
        rows = [
            {
                "connection_id": connection_id,
                "type": entry.type,
                "app_id": entry.app_id,
                "kind": entry.kind,
                "request_id": entry.request_id,
                "detail": dict(entry.detail) if entry.detail else None,
                "at": now,
            }
            for entry in entries
        ]
        if rows:
            self._session.execute(insert(tables.HistoryEntry), rows)

    def of(
        self, connection_id: str, type: str, app_id: str, limit: int = 100
    ) -> list[dict[str, Any]]:
        t = tables.HistoryEntry
        rows = self._session.execute(
            select(t)
            .where(t.connection_id == connection_id, t.type == type, t.app_id == app_id)
            .order_by(t.id.desc())
            .limit(limit)
        ).scalars()
        return [
            {"at": r.at.isoformat(), "kind": r.kind, "request_id": r.request_id, "detail": r.detail}
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class StoredTokens:
    access_token: str  # encrypted
    refresh_token: str  # encrypted
    access_expires_at: datetime
    refresh_expires_at: datetime
    key_id: str
    version: int


class Tokens:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, connection_id: str, *, for_update: bool = False) -> StoredTokens | None:
        t = tables.Token
        query = select(t).where(t.connection_id == connection_id)
        if for_update:
            query = query.with_for_update()
        row = self._session.execute(query).scalar_one_or_none()
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


class RateWindows:
    """Requests to one QuickBooks company per minute, counted for every process."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def take(
        self, realm_id: str, *, limit: int, batch: bool = False, batch_limit: int = 40
    ) -> float:
        """Count one request (and one batch) in this minute; 0 when allowed, else seconds until
        the next minute."""
        now = self._clock()
        start = now.replace(second=0, microsecond=0)
        t = tables.RateWindow
        used = self._session.execute(
            select(t.requests, t.batches)
            .where(t.realm_id == realm_id, t.window_start == start)
            .with_for_update()
        ).one_or_none()
        if used is None:
            self._session.execute(
                insert(t).values(
                    realm_id=realm_id, window_start=start, requests=1, batches=int(batch)
                )
            )
            self._session.execute(
                delete(t).where(
                    t.realm_id == realm_id, t.window_start < start - timedelta(minutes=5)
                )
            )
            return 0.0
        requests, batches = used
        if requests >= limit or (batch and batches >= batch_limit):
            return (start + timedelta(minutes=1) - now).total_seconds()
        self._session.execute(
            update(t)
            .where(t.realm_id == realm_id, t.window_start == start)
            .values(requests=t.requests + 1, batches=t.batches + int(batch))
        )
        return 0.0
