"""What people made in QuickBooks that the app is to acknowledge (`from_quickbooks_*` = import,
and the initial import), and the initial import's progress.

Both are kept beside the mirror, as notes in its table (no table of their own): an import is the
note `IMPORT` keyed "Entity/id" (the object itself stays the mirror's copy, always current), the
progress of a connection's initial import the note `RUN` keyed "1". An import leaves when the
app acknowledges it (`drop`), or when QuickBooks deletes the object; one whose object an app
record is linked to meanwhile (look-up before create, an adoption the app sent itself), or that
an app record waits to adopt (acknowledged, not pushed yet), is no longer listed or counted,
and is not kept again (`add_many`).

    imports = Imports(session, connection_id)
    imports.add_many([("Customer", "58", "customer")], since=now)
    page = imports.page(record_type="customer", after=None, limit=50)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, or_, select

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.storage import tables
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["IMPORT", "RUN", "Imports", "Pending"]

IMPORT = "QuickBooksImport"
RUN = "QuickBooksImportRun"


@dataclass(frozen=True, slots=True)
class Pending:
    """One import waiting for the app: the QuickBooks object (`entity`, `qbo_id`), the app's
    record type it reads as, since when it waits, and the mirror's current copy (None:
    deleted since)."""

    row_id: int
    entity: str
    qbo_id: str
    record_type: str
    since: str | None
    copy: MirrorObject | None


class Imports:
    def __init__(self, session: Any, connection_id: str, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._cid = connection_id
        self._clock = clock
        self._mirror = Mirror(session, connection_id, clock=clock)

    @staticmethod
    def key(entity: str, qbo_id: str) -> str:
        return f"{entity}/{qbo_id}"

    def add_many(self, found: Iterable[tuple[str, str, str]], *, since: datetime) -> int:
        """(entity, QuickBooks id, record type) as waiting for the app; one waiting already
        keeps its first `since`; one an app record waits to adopt is not kept (`adopting`). How
        many are kept."""
        wanted = {self.key(e, i): (e, i, t) for e, i, t in found}
        for entity in {e for e, _, _ in wanted.values()}:
            taken = self.adopting(entity, [i for e, i, _ in wanted.values() if e == entity])
            for qbo_id in taken:
                wanted.pop(self.key(entity, qbo_id), None)
        held = {n.qbo_id: n for n in self._notes(list(wanted))}
        notes = []
        for key, (entity, qbo_id, record_type) in wanted.items():
            earlier = held.get(key)
            first = earlier.data.get("since") if earlier is not None else since.isoformat()
            data = {"entity": entity, "id": qbo_id, "type": record_type, "since": first}
            notes.append(MirrorObject(IMPORT, key, data=data))
        self._mirror.put_many(notes)
        return len(notes)

    def drop(self, entity: str, qbo_id: str) -> bool:
        """The import of that object gone (acknowledged, deleted in QuickBooks); whether one
        waited."""
        key = self.key(entity, qbo_id)
        waited = bool(self._notes([key]))
        self._mirror.drop(IMPORT, key)
        return waited

    def get(self, entity: str, qbo_id: str, *, lock: bool = False) -> Pending | None:
        """The import of that object, if it waits; `lock`: its row held until the transaction
        ends (PostgreSQL), so an acknowledgement of it under way elsewhere is waited for (and
        the import found gone)."""
        t = tables.MirrorEntry
        query = select(t.id, t.data).where(*self._waiting(), t.qbo_id == self.key(entity, qbo_id))
        row = self._session.execute(query.with_for_update(of=t) if lock else query).one_or_none()
        return None if row is None else self._pending(row.id, row.data)

    def adopting(self, entity: str, qbo_ids: Iterable[str]) -> set[str]:
        """Those of `qbo_ids` (objects of `entity`) an app record waits to adopt: acknowledged
        (or sent with `link.quickbooks_id`), not linked by a push yet."""
        record_type = _TYPE_OF.get(entity)
        ids = list(qbo_ids)
        if record_type is None or not ids:
            return set()
        t = tables.SyncState
        found = self._session.execute(
            select(t.adopt_qbo_id).where(
                t.connection_id == self._cid, t.type == record_type, t.adopt_qbo_id.in_(ids)
            )
        ).scalars()
        return {str(qbo_id) for qbo_id in found}

    def _waiting(self) -> tuple[Any, ...]:
        """The conditions of an import still waiting: not an object an app record has been
        linked to since (a look-up before create, an adoption sent by the app itself), nor one
        an app record waits to adopt."""
        t, link, state = tables.MirrorEntry, tables.Link, tables.SyncState
        linked = (
            select(link.id)
            .where(
                link.connection_id == t.connection_id,
                (link.qbo_entity + "/" + link.qbo_id) == t.qbo_id,
            )
            .exists()
        )
        adopting = (
            select(state.id)
            .where(
                state.connection_id == t.connection_id,
                state.adopt_qbo_id.is_not(None),
                or_(
                    *(
                        and_(
                            state.type == of,
                            (literal(f"{entity}/") + state.adopt_qbo_id) == t.qbo_id,
                        )
                        for entity, of in _TYPE_OF.items()
                    )
                ),
            )
            .exists()
        )
        return (
            t.connection_id == self._cid,
            t.qbo_entity == IMPORT,
            t.deleted.is_(False),
            ~linked,
            ~adopting,
        )

    def page(self, *, record_type: str | None, after: int | None, limit: int) -> list[Pending]:
        """Up to `limit` imports in the order they came, after the row `after`."""
        t = tables.MirrorEntry
        query = select(t.id, t.data).where(*self._waiting())
        if after is not None:
            query = query.where(t.id > after)
        if record_type is not None:
            query = query.where(t.qbo_id.like(f"{_entity_of(record_type)}/%"))
        rows = self._session.execute(query.order_by(t.id).limit(limit)).all()
        return [self._pending(row.id, row.data) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many imports wait, per record type."""
        t = tables.MirrorEntry
        keys = self._session.execute(select(t.qbo_id).where(*self._waiting())).scalars()
        counts: dict[str, int] = {}
        for key in keys:  # "Entity/id": the entity is the key's head
            record_type = _TYPE_OF.get(str(key).split("/", 1)[0], "")
            counts[record_type] = counts.get(record_type, 0) + 1
        return counts

    def adopter(self, record_type: str, qbo_id: str) -> str | None:
        """The app record (its id) of `record_type` waiting to adopt QuickBooks object `qbo_id`
        (an acknowledged import the push pass has not linked yet)."""
        t = tables.SyncState
        found = self._session.execute(
            select(t.app_id)
            .where(t.connection_id == self._cid, t.type == record_type, t.adopt_qbo_id == qbo_id)
            .limit(1)
        ).scalar_one_or_none()
        return str(found) if found is not None else None

    def progress(self) -> Mapping[str, Any] | None:
        """The initial import's progress, as last stored."""
        found = self._mirror.get(RUN, "1")
        return found.data if found is not None else None

    def set_progress(self, progress: Mapping[str, Any]) -> None:
        self._mirror.put(MirrorObject(RUN, "1", data=dict(progress)))

    def _notes(self, keys: list[str]) -> list[MirrorObject]:
        return list(self._mirror.get_many(IMPORT, keys).values()) if keys else []

    def _pending(self, row_id: int, data: Mapping[str, Any]) -> Pending:
        entity, qbo_id = str(data.get("entity")), str(data.get("id"))
        return Pending(
            row_id,
            entity,
            qbo_id,
            str(data.get("type")),
            data.get("since") if isinstance(data.get("since"), str) else None,
            self._mirror.get(entity, qbo_id),
        )


_TYPE_OF = {"Customer": "customer", "Vendor": "vendor", "Item": "item", "Payment": "payment"}


def _entity_of(record_type: str) -> str:
    for entity, of in _TYPE_OF.items():
        if of == record_type:
            return entity
    return record_type
