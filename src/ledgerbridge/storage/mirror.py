"""What was seen of a company's QuickBooks objects (`mirror`), with the look-ups of
`core.mirror.MirrorView`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import CompoundSelect, Select, bindparam, delete, func, select, union_all, update
from sqlalchemy.orm import Session

from ledgerbridge.core.mirror import PERSON_ENTITIES, MirrorObject, name_key
from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import CHUNK, by_type, chunks, prepared, run, table, upsert
from ledgerbridge.storage.db import canonical_json
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["Mirror", "last_updated_among", "mirror_object", "same_as_stored"]


def same_as_stored(stored: MirrorObject | None, fresh: MirrorObject) -> bool:
    """Whether a copy just read from QuickBooks is the one the mirror holds already (the
    stored one has decimal strings where the fresh one has Decimals)."""
    if stored is None or stored.sync_token != fresh.sync_token:
        return False
    return canonical_json(dict(stored.data)) == canonical_json(dict(fresh.data))


def mirror_object(row: Any) -> MirrorObject:
    """A `mirror` row as the QuickBooks object it holds."""
    if row.data.get("Id"):
        return MirrorObject.from_quickbooks(row.qbo_entity, row.data)
    return MirrorObject(row.qbo_entity, row.qbo_id, row.sync_token, data=row.data)


def _by(column: str, *, many: bool = False) -> Callable[[], Select[Any]]:
    """The (not deleted) entries of an entity whose `column` holds a value (`w_value`), or one
    of many values (`many`: `w_values`, an expanding IN), first stored first."""

    def build() -> Select[Any]:
        t = table(tables.MirrorEntry)
        value = (
            t.c[column].in_(bindparam("w_values", expanding=True))
            if many
            else t.c[column] == bindparam("w_value")
        )
        return (
            select(t)
            .where(
                t.c.connection_id == bindparam("w_cid"),
                t.c.deleted.is_(False),
                t.c.qbo_entity == bindparam("w_entity"),
                value,
            )
            .order_by(t.c.id)
        )

    return build


def _among(*, lock: bool) -> Select[Any]:
    """The (not deleted) entries of an entity among some ids (an expanding IN), first stored
    first; `lock`: held to the end of the transaction (PostgreSQL)."""
    t = table(tables.MirrorEntry)
    query = (
        select(t)
        .where(
            t.c.connection_id == bindparam("w_cid"),
            t.c.deleted.is_(False),
            t.c.qbo_entity == bindparam("w_entity"),
            t.c.qbo_id.in_(bindparam("w_ids", expanding=True)),
        )
        .order_by(t.c.id)
    )
    return query.with_for_update() if lock else query


def _among_entities(count: int) -> CompoundSelect[Any]:
    """`_among` (not locked) for `count` entities at once, one branch each (`w_entity_N`,
    `w_ids_N`): each finds its rows by the (connection, entity, id) index."""
    t = table(tables.MirrorEntry)
    return union_all(
        *(
            select(t).where(
                t.c.connection_id == bindparam("w_cid"),
                t.c.deleted.is_(False),
                t.c.qbo_entity == bindparam(f"w_entity_{n}"),
                t.c.qbo_id.in_(bindparam(f"w_ids_{n}", expanding=True)),
            )
            for n in range(count)
        )
    )


def _deleted_flag() -> Select[Any]:
    t = table(tables.MirrorEntry)
    return select(t.c.deleted).where(
        t.c.connection_id == bindparam("w_cid"),
        t.c.qbo_entity == bindparam("w_entity"),
        t.c.qbo_id == bindparam("w_value"),
    )


def last_updated_among(
    session: Session, connection_ids: Iterable[str], keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str, str], str]:
    """What the mirrors of these connections hold of these objects ((entity, QuickBooks id)
    keys): each held, not deleted one's `MetaData.LastUpdatedTime` as QuickBooks wrote it, by
    (connection id, entity, id); an object without one is left out. One query (the objects of
    a webhook notification are few: more than `CHUNK` ids or entities take one a chunk)."""
    cids, wanted = list(dict.fromkeys(connection_ids)), set(keys)
    if not cids or not wanted:
        return {}
    t = table(tables.MirrorEntry)
    stamp = t.c.data["MetaData"]["LastUpdatedTime"].as_string()
    found: dict[tuple[str, str, str], str] = {}
    for ids in chunks(sorted({qbo_id for _, qbo_id in wanted})):
        statement = select(t.c.connection_id, t.c.qbo_entity, t.c.qbo_id, stamp).where(
            t.c.connection_id.in_(cids),
            t.c.qbo_entity.in_(sorted({entity for entity, _ in wanted})),
            t.c.qbo_id.in_(ids),
            t.c.deleted.is_(False),
        )
        for cid, entity, qbo_id, value in session.execute(statement):
            if (entity, qbo_id) in wanted and isinstance(value, str):
                found[(cid, entity, qbo_id)] = value
    return found


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
        upsert(self._session, tables.MirrorEntry, ("connection_id", "qbo_entity", "qbo_id"), rows)

    def forget(self) -> None:
        """Drop the whole mirror of the connection (its company changes)."""
        t = tables.MirrorEntry
        self._session.execute(delete(t).where(t.connection_id == self._cid))

    def drop(self, entity: str, qbo_id: str) -> None:
        """Remove one entry outright (a note kept under its own entity name)."""
        t = tables.MirrorEntry
        self._session.execute(
            delete(t).where(
                t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id == qbo_id
            )
        )

    def all_of(self, entity: str) -> list[MirrorObject]:
        """Every (not deleted) entry of `entity`, in the order first stored."""
        t = tables.MirrorEntry
        return self._select(t.qbo_entity == entity)

    def mark_deleted(self, entity: str, qbo_id: str) -> None:
        t = tables.MirrorEntry
        self._session.execute(
            update(t)
            .where(t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id == qbo_id)
            .values(deleted=True, updated_at=self._clock())
        )

    def mark_deleted_many(self, keys: Iterable[tuple[str, str]]) -> None:
        """`mark_deleted` for (entity, id) keys: a statement per entity (and 500 ids)."""
        t = tables.MirrorEntry
        for entity, ids in by_type(keys):
            self._session.execute(
                update(t)
                .where(t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id.in_(ids))
                .values(deleted=True, updated_at=self._clock())
            )

    def _select(self, *conditions: Any, lock: bool = False) -> list[MirrorObject]:
        t = tables.MirrorEntry
        query = (
            select(table(t))  # rows, not ORM objects: read, never changed through the session
            .where(t.connection_id == self._cid, t.deleted.is_(False), *conditions)
            .order_by(t.id)
        )
        rows = self._session.execute(query.with_for_update() if lock else query)
        return [mirror_object(row) for row in rows]

    def _find(self, column: str, entity: str, value: str | None) -> list[MirrorObject]:
        """The entries of `entity` whose `column` is `value` (None: holds none)."""
        if value is None:
            t = tables.MirrorEntry
            return self._select(t.qbo_entity == entity, getattr(t, column).is_(None))
        params = {"w_cid": self._cid, "w_entity": entity, "w_value": value}
        rows = run(self._session, prepared(("mirror.by", column), _by(column)), params)
        return [mirror_object(row) for row in rows]

    def get(self, entity: str, qbo_id: str) -> MirrorObject | None:
        found = self._find("qbo_id", entity, qbo_id)
        return found[0] if found else None

    def get_many(
        self, entity: str, qbo_ids: Iterable[str], *, lock: bool = False
    ) -> dict[str, MirrorObject]:
        """`get` for many ids of one entity (a query per 500): id -> object, for those held;
        `lock`: their rows held until the transaction ends (PostgreSQL), so a write under way
        to them is waited for and its outcome read."""
        statement = prepared(("mirror.get_many", lock), functools.partial(_among, lock=lock))
        found: dict[str, MirrorObject] = {}
        for chunk in chunks(qbo_ids):
            params = {"w_cid": self._cid, "w_entity": entity, "w_ids": chunk}
            for row in run(self._session, statement, params):
                obj = mirror_object(row)
                found[obj.qbo_id] = obj
        return found

    def get_among(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], MirrorObject]:
        """`get_many` for the (entity, id) keys of several entities: (entity, id) -> object,
        for those held, a query per CHUNK keys (each entity's ids in their own branch of it,
        found by the index)."""
        found: dict[tuple[str, str], MirrorObject] = {}
        groups = list(by_type(keys))
        at = 0
        while at < len(groups):
            part: list[tuple[str, list[str]]] = []
            size = 0
            while at < len(groups) and (not part or size + len(groups[at][1]) <= CHUNK):
                part.append(groups[at])
                size += len(groups[at][1])
                at += 1
            statement = prepared(
                ("mirror.get_among", len(part)), functools.partial(_among_entities, len(part))
            )
            params: dict[str, Any] = {"w_cid": self._cid}
            for n, (entity, ids) in enumerate(part):
                params[f"w_entity_{n}"], params[f"w_ids_{n}"] = entity, ids
            for row in run(self._session, statement, params):
                obj = mirror_object(row)
                found[(obj.entity, obj.qbo_id)] = obj
        return found

    def live_among(self, entity: str, qbo_ids: Iterable[str]) -> set[str]:
        """Which of these ids of `entity` the mirror holds (not deleted): ids only, a query
        per 500."""
        t = tables.MirrorEntry
        found: set[str] = set()
        for chunk in chunks(qbo_ids):
            found.update(
                self._session.execute(
                    select(t.qbo_id).where(
                        t.connection_id == self._cid,
                        t.qbo_entity == entity,
                        t.qbo_id.in_(chunk),
                        t.deleted.is_(False),
                    )
                ).scalars()
            )
        return found

    def is_deleted(self, entity: str, qbo_id: str) -> bool:
        params = {"w_cid": self._cid, "w_entity": entity, "w_value": qbo_id}
        found = run(self._session, prepared("mirror.deleted", _deleted_flag), params)
        return bool(found.scalar_one_or_none())

    def person_named(self, name: str) -> MirrorObject | None:
        key = name_key(name)
        for entity in PERSON_ENTITIES:
            found = self._find("name_key", entity, key)
            if found:
                return found[0]
        return None

    def named(self, entity: str, name: str) -> MirrorObject | None:
        found = self._find("name_key", entity, name_key(name))
        return found[0] if found else None

    def with_email(self, entity: str, email: str) -> list[MirrorObject]:
        return self._find("email_key", entity, name_key(email))

    def with_sku(self, sku: str) -> MirrorObject | None:
        found = self._find("sku", "Item", name_key(sku))
        return found[0] if found else None

    def numbered(self, entity: str, doc_number: str) -> list[MirrorObject]:
        return self._find("doc_number", entity, doc_number)

    def numbered_many(self, entity: str, numbers: Iterable[str]) -> dict[str, list[MirrorObject]]:
        """`numbered` for many numbers (a query per 500): number -> its objects, every number
        asked (an empty list for one nobody holds)."""
        t = table(tables.MirrorEntry)
        found: dict[str, list[MirrorObject]] = {}
        for chunk in chunks(numbers):
            for number in chunk:
                found[number] = []
            rows = self._session.execute(
                select(t)
                .where(
                    t.c.connection_id == self._cid,
                    t.c.deleted.is_(False),
                    t.c.qbo_entity == entity,
                    t.c.doc_number.in_(chunk),
                )
                .order_by(t.c.id)
            )
            for row in rows:
                found[row.doc_number].append(mirror_object(row))
        return found

    def found_many(
        self, column: str, entity: str, values: Iterable[str]
    ) -> dict[str, list[MirrorObject]]:
        """`_find` for many values of one column (a query per 500): value -> its objects, first
        stored first, every value asked (an empty list for one nobody holds). Values as the
        column stores them (`name_key` of a name, an email or a SKU)."""
        statement = prepared(("mirror.found_many", column), _by(column, many=True))
        found: dict[str, list[MirrorObject]] = {}
        for chunk in chunks(values):
            for value in chunk:
                found[value] = []
            params = {"w_cid": self._cid, "w_entity": entity, "w_values": chunk}
            for row in run(self._session, statement, params):
                found[row._mapping[column]].append(mirror_object(row))
        return found

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
