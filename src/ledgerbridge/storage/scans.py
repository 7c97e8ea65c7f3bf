"""Whole-company reads for reports and dry runs: every link, every mirror object of an entity.

The repositories of `storage.links` and `storage.mirror` answer one record or one key at a time,
as the push pass asks; a report over a whole company reads each table once instead. Read-only,
in a session the caller gives; frozen values out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.storage import tables
from ledgerbridge.storage.links import StoredLink, stored_link
from ledgerbridge.storage.mirror import mirror_object

__all__ = ["LINKED_PAGE", "RecordRow", "Scans", "SeenObject", "StateRow"]

LINKED_PAGE = 1000  # link keys an entity a query (`Scans.linked_objects`)


@dataclass(frozen=True, slots=True)
class SeenObject:
    """A QuickBooks object as the mirror last saw it; ``deleted`` when QuickBooks said so."""

    obj: MirrorObject
    deleted: bool


@dataclass(frozen=True, slots=True)
class RecordRow:
    """An app record as a report reads it: its data only when asked for (else None)."""

    type: str
    app_id: str
    deleted: bool
    data: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class StateRow:
    """A record's sync status and the values actions gave its fields."""

    type: str
    app_id: str
    status: str
    overrides: Mapping[str, Any] | None


class Scans:
    def __init__(self, session: Session, connection_id: str) -> None:
        self._session = session
        self._cid = connection_id

    def links(self) -> list[StoredLink]:
        """Every link of the connection, in the order they were made."""
        t = tables.Link
        rows = self._session.execute(
            select(t).where(t.connection_id == self._cid).order_by(t.id)
        ).scalars()
        return [stored_link(row) for row in rows]

    def linked_objects(
        self, entities: Collection[str], *, page: int = LINKED_PAGE
    ) -> Iterator[tuple[str, str]]:
        """The (QuickBooks entity, id) of every link of the connection to one of `entities`:
        the keys only, not the links' pushed bodies, read `page` keys an entity a statement
        (each entity's in id order, found by the links' (connection, entity, id) key), never
        all at once: a pull that read a whole entity looks for its linked objects among what
        it read, tens of thousands in a big company. Every entity's next page is asked in one
        statement (a UNION ALL of their index scans), so a company with few links costs one
        statement, not one an entity (a first pull reads some twenty entities whole).
        Statements may run between two pages (each read whole). Each entity's keys come in
        the database's id order; the entities' pages are interleaved."""
        t = tables.Link
        after = dict.fromkeys(sorted(entities), "")
        while after:
            pages = [
                select(t.qbo_entity, t.qbo_id)
                .where(t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id > start)
                .order_by(t.qbo_id)
                .limit(page)
                .subquery()
                for entity, start in after.items()
            ]
            # ordered by the database (its collation decides what `>` the next page means)
            both = union_all(*(select(p) for p in pages)).subquery()
            rows = self._session.execute(
                select(both).order_by(both.c.qbo_entity, both.c.qbo_id)
            ).all()
            found: dict[str, list[str]] = {entity: [] for entity in after}
            for entity, qbo_id in rows:
                found[entity].append(str(qbo_id))
            after = {}
            for entity, ids in found.items():
                yield from ((entity, qbo_id) for qbo_id in ids)
                if len(ids) == page:
                    after[entity] = ids[-1]

    def records(self, *, read: Collection[str]) -> list[RecordRow]:
        """Every record of the connection (the deleted ones too); the data of the types in
        `read` only, so that a report over thousands of records decodes only what it reads."""
        t = tables.Record
        wanted = list(read)
        rows = self._session.execute(
            select(t.type, t.app_id, t.deleted, t.data).where(
                t.connection_id == self._cid, t.type.in_(wanted)
            )
        ).all()
        rest = self._session.execute(
            select(t.type, t.app_id, t.deleted).where(
                t.connection_id == self._cid, t.type.not_in(wanted)
            )
        ).all()
        found = [RecordRow(r.type, r.app_id, bool(r.deleted), r.data) for r in rows]
        return found + [RecordRow(r.type, r.app_id, bool(r.deleted), None) for r in rest]

    def states(self) -> list[StateRow]:
        """Every sync state row's status and overrides."""
        t = tables.SyncState
        rows = self._session.execute(
            select(t.type, t.app_id, t.status, t.overrides).where(t.connection_id == self._cid)
        ).all()
        return [StateRow(r.type, r.app_id, r.status, r.overrides) for r in rows]

    def link_keys(self) -> list[StoredLink]:
        """Every link of the connection without the body last pushed (``pushed`` is None)."""
        t = tables.Link
        rows = self._session.execute(
            select(t.type, t.app_id, t.qbo_entity, t.qbo_id, t.sync_token, t.doc_number)
            .where(t.connection_id == self._cid)
            .order_by(t.id)
        ).all()
        return [
            StoredLink(r.type, r.app_id, r.qbo_entity, r.qbo_id, r.sync_token, r.doc_number, None)
            for r in rows
        ]

    def mirror_states(self, entity: str) -> list[SeenObject]:
        """The mirror's objects of `entity` (the deleted ones too) with what a report needs to
        tell their state: the keys (active, number, party) without the document, which is read
        only for those whose note says "Voided" (`core.reconcile.is_voided` reads its total).
        A fraction of the cost of `mirror` for thousands of payments, expenses and bills."""
        t = tables.MirrorEntry
        note = t.data["PrivateNote"].as_string()
        rows = self._session.execute(
            select(t.qbo_id, t.sync_token, t.active, t.doc_number, t.parent_id, t.deleted, note)
            .where(t.connection_id == self._cid, t.qbo_entity == entity)
            .order_by(t.id)
        ).all()
        voided = {r.qbo_id for r in rows if isinstance(r[6], str) and r[6].startswith("Voided")}
        full = {one.obj.qbo_id: one for one in (self._documents(entity, voided) if voided else [])}
        found = []
        for r in rows:
            if r.qbo_id in full:
                found.append(full[r.qbo_id])
                continue
            obj = MirrorObject(
                entity,
                r.qbo_id,
                r.sync_token,
                active=bool(r.active),
                doc_number=r.doc_number,
                parent_id=r.parent_id,
            )
            found.append(SeenObject(obj, bool(r.deleted)))
        return found

    def _documents(self, entity: str, qbo_ids: Collection[str]) -> list[SeenObject]:
        t = tables.MirrorEntry
        rows = self._session.execute(
            select(t.qbo_entity, t.qbo_id, t.sync_token, t.data, t.deleted).where(
                t.connection_id == self._cid, t.qbo_entity == entity, t.qbo_id.in_(list(qbo_ids))
            )
        ).all()
        return [SeenObject(mirror_object(row), bool(row.deleted)) for row in rows]

    def mirror(
        self, entity: str, *, party: str | None = None, deleted: bool = False
    ) -> list[SeenObject]:
        """The mirror's objects of `entity` (of one customer or vendor when `party` is given:
        a document's CustomerRef, VendorRef or EntityRef), the deleted ones too if asked."""
        t = tables.MirrorEntry
        query = select(t.qbo_entity, t.qbo_id, t.sync_token, t.data, t.deleted).where(
            t.connection_id == self._cid, t.qbo_entity == entity
        )
        if party is not None:
            query = query.where(t.parent_id == party)
        if not deleted:
            query = query.where(t.deleted.is_(False))
        rows = self._session.execute(query.order_by(t.id)).all()
        return [SeenObject(mirror_object(row), bool(row.deleted)) for row in rows]
