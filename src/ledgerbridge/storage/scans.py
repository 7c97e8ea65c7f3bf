"""Whole-company reads for reports and dry runs: every link, every mirror object of an entity.

The repositories of `storage.links` and `storage.mirror` answer one record or one key at a time,
as the push pass asks; a report over a whole company reads each table once instead. Read-only,
in a session the caller gives; frozen values out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.storage import tables
from ledgerbridge.storage.links import StoredLink, stored_link
from ledgerbridge.storage.mirror import mirror_object

__all__ = ["Scans", "SeenObject"]


@dataclass(frozen=True, slots=True)
class SeenObject:
    """A QuickBooks object as the mirror last saw it; ``deleted`` when QuickBooks said so."""

    obj: MirrorObject
    deleted: bool


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

    def mirror(
        self, entity: str, *, party: str | None = None, deleted: bool = False
    ) -> list[SeenObject]:
        """The mirror's objects of `entity` (of one customer or vendor when `party` is given:
        a document's CustomerRef, VendorRef or EntityRef), the deleted ones too if asked."""
        t = tables.MirrorEntry
        query = select(t).where(t.connection_id == self._cid, t.qbo_entity == entity)
        if party is not None:
            query = query.where(t.parent_id == party)
        if not deleted:
            query = query.where(t.deleted.is_(False))
        rows = self._session.execute(query.order_by(t.id)).scalars()
        return [SeenObject(mirror_object(row), bool(row.deleted)) for row in rows]
