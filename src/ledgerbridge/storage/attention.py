"""The reads behind the dashboard's overview and its "Everything that needs a person" view: one
connection's records in error and blocked ones, by key, and what the pulls learnt of changes
made in QuickBooks. Read-only; each returns frozen values or plain mappings.

    seen = Attention(session, connection_id)
    seen.in_error()                       # the records in error, with when their row changed
    seen.error_counts()                   # how many records in error, by problem code
    seen.blocked()                        # every blocked record and the record it waits for
    seen.error_codes(keys)                # the problem code of those of these keys in error
    seen.statuses(keys)                   # the sync status of those of these keys held
    seen.record_data(keys)                # the app's data of those of these keys it sent
    seen.changes_since(since, kinds)      # records a kind of change reached, by type and code
    seen.created_unlinked_since(since, entities)  # objects made in QuickBooks, linked to none
    seen.first_mirrored()                 # when the first pull wrote the mirror

What a code, a status or a change means is decided above (`dashboard.overview`,
`dashboard.needs`); keys are (record type, app id), read CHUNK at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select, tuple_
from sqlalchemy.orm import Session

from ledgerbridge.core.status import Status
from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import chunks, table

__all__ = [
    "Attention",
    "Blocked",
    "ChangeCount",
    "Created",
    "InError",
    "Key",
    "change_code",
]

Key = tuple[str, str]  # (record type, app id)


@dataclass(frozen=True)
class Blocked:
    """A record waiting for another (`blocker`); `activity`: when its row last changed."""

    key: Key
    blocker: Key
    activity: datetime | None


@dataclass(frozen=True)
class InError:
    """A record in error; `activity`: when its row last changed."""

    key: Key
    activity: datetime | None


@dataclass(frozen=True)
class ChangeCount:
    """How many records of one type one kind of change in QuickBooks reached (`code`: the
    problem it stands for, `change_code`; None when the entry names none)."""

    type: str
    code: str | None
    records: int


@dataclass(frozen=True)
class Created:
    """A QuickBooks object of the mirror; `create_time`: its `MetaData.CreateTime` as stored
    (QuickBooks' time stamp, or whatever the object held)."""

    entity: str
    create_time: Any


def change_code(kinds: Mapping[str, str | None]) -> ColumnElement[Any]:
    """The problem code a history entry of a change in QuickBooks stands for, as SQL: the code
    `kinds` gives its kind, else the code its detail names."""
    h = tables.HistoryEntry
    return case(
        *((h.kind == kind, literal(c)) for kind, c in kinds.items() if c is not None),
        else_=h.detail["code"].as_string(),
    )


class Attention:
    def __init__(self, session: Session, connection_id: str) -> None:
        self._session = session
        self._connection_id = connection_id

    def in_error(self) -> list[InError]:
        s = tables.SyncState
        rows = self._session.execute(
            select(s.type, s.app_id, s.updated_at).where(
                s.connection_id == self._connection_id, s.status == Status.ERROR
            )
        ).all()
        return [InError((t, a), at) for t, a, at in rows]

    def error_counts(self) -> list[tuple[str | None, int]]:
        """(problem code, records in error with it), a row a code (None: the problem names
        none)."""
        s = tables.SyncState
        code = s.problem["code"].as_string()
        rows = self._session.execute(
            select(code, func.count())
            .where(s.connection_id == self._connection_id, s.status == Status.ERROR)
            .group_by(code)
        ).all()
        return [(None if c is None else str(c), int(n)) for c, n in rows]

    def blocked(self) -> list[Blocked]:
        """Every blocked record of the connection with the record it waits for."""
        s = tables.SyncState
        rows = self._session.execute(
            select(s.type, s.app_id, s.blocked_by_type, s.blocked_by_id, s.updated_at).where(
                s.connection_id == self._connection_id,
                s.status == Status.BLOCKED,
                s.blocked_by_type.is_not(None),
                s.blocked_by_id.is_not(None),
            )
        ).all()
        return [Blocked((t, a), (str(bt), str(bi)), at) for t, a, bt, bi, at in rows]

    def error_codes(self, keys: Iterable[Key]) -> dict[Key, str | None]:
        """The problem code of each of these records that is in error (the others are left
        out; None: its problem names none)."""
        s = tables.SyncState
        code = s.problem["code"].as_string()
        found: dict[Key, str | None] = {}
        for chunk in chunks(keys):
            rows = self._session.execute(
                select(s.type, s.app_id, code).where(
                    s.connection_id == self._connection_id,
                    s.status == Status.ERROR,
                    tuple_(s.type, s.app_id).in_(chunk),
                )
            ).all()
            found.update({(t, a): None if c is None else str(c) for t, a, c in rows})
        return found

    def statuses(self, keys: Iterable[Key]) -> dict[Key, str]:
        """The sync status of each of these records that has one."""
        found = self._by_key(tables.SyncState, "status", keys)
        return {key: str(status) for key, status in found.items()}

    def record_data(self, keys: Iterable[Key]) -> dict[Key, Any]:
        """The app's latest data of each of these records it sent (the others are left out)."""
        return self._by_key(tables.Record, "data", keys)

    def _by_key(
        self, entity: type[tables.Base], column: str, keys: Iterable[Key]
    ) -> dict[Key, Any]:
        """`column` of the entity's rows of these keys (those it has)."""
        t = table(entity)
        found: dict[Key, Any] = {}
        for chunk in chunks(keys):
            rows = self._session.execute(
                select(t.c.type, t.c.app_id, t.c[column]).where(
                    t.c.connection_id == self._connection_id,
                    tuple_(t.c.type, t.c.app_id).in_(chunk),
                )
            ).all()
            found.update({(t_, a): value for t_, a, value in rows})
        return found

    def changes_since(self, since: datetime, kinds: Mapping[str, str | None]) -> list[ChangeCount]:
        """The history entries of these `kinds` (kind -> the code it stands for, `change_code`)
        written at or after `since`: the records they reached, by record type and code."""
        h = tables.HistoryEntry
        named = change_code(kinds)
        rows = self._session.execute(
            select(h.type, named, func.count(func.distinct(h.app_id)))
            .where(
                h.connection_id == self._connection_id,
                h.at >= since,
                h.kind.in_(list(kinds)),
            )
            .group_by(h.type, named)
        ).all()
        return [ChangeCount(str(t), None if c is None else str(c), int(n)) for t, c, n in rows]

    def created_unlinked_since(self, since: datetime, entities: Iterable[str]) -> list[Created]:
        """The mirror's objects of these entities written at or after `since`, not deleted,
        that no app record is linked to (objects ledgerbridge created always are)."""
        m, link = tables.MirrorEntry, tables.Link
        linked = exists().where(
            and_(
                link.connection_id == m.connection_id,
                link.qbo_entity == m.qbo_entity,
                link.qbo_id == m.qbo_id,
            )
        )
        stamp = m.data["MetaData"]["CreateTime"].as_string()
        rows = self._session.execute(
            select(m.qbo_entity, stamp).where(
                m.connection_id == self._connection_id,
                m.updated_at >= since,
                m.deleted.is_(False),
                m.qbo_entity.in_(list(entities)),
                ~linked,
            )
        ).all()
        return [Created(str(entity), value) for entity, value in rows]

    def first_mirrored(self) -> datetime | None:
        """When the mirror's oldest object was written (None: the mirror is empty)."""
        m = tables.MirrorEntry
        first: datetime | None = self._session.execute(
            select(func.min(m.updated_at)).where(m.connection_id == self._connection_id)
        ).scalar_one()
        return first
