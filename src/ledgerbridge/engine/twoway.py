"""From QuickBooks to the app: the changes people made in QuickBooks to objects no app record is
linked to, told as `quickbooks.created`, `.updated`, `.deactivated` and `.deleted` events.

    told = tell(session, connection, changes, first=False, clock=clock)

Called by `engine.pull.pull_company` in the transaction that updated the mirror, after drift
(a change to a linked object is drift's, never an event here). What the connection wants per
type is `core.twoway.mode`; the object's shape is `core.lists.canonical` (a payment:
`core.twoway.payment`, only when it pays one of the app's invoices; an invoice: its customer
named by the app's id when linked, read-only). What cannot round-trip carries its
`core.lists.restriction`. In `import` mode the object is also kept as an import the app
acknowledges (`storage.imports`), in the same transaction as its event; a deletion in
QuickBooks takes an import not acknowledged away.

No echo of ledgerbridge's own writes:
- an object it wrote is linked (the link, the mirror's copy and the record's outcome are
  stored in one transaction), and what it wrote reads back unchanged from the mirror's copy;
- a create under way (its requestid stored, its outcome not) may already be in QuickBooks with
  no link yet: an unlinked object seen as created while a create of its type is under way is
  held (a note in the mirror, `HELD`) and looked at again by later pulls, when that create has
  settled: linked by then, it is ledgerbridge's own and never told. The creates under way are
  read before the links, so a create whose outcome commits in between is seen linked;
- a deletion ledgerbridge is storing is waited for by the pull (`engine.pull` locks the copies
  of what was deleted), and its copy reads as deleted already.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.core import lists, twoway
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine.drift import Changes
from ledgerbridge.storage.connections import StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.imports import Imports
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["HELD", "payload", "tell", "told_of"]

HELD = "QuickBooksChangeHeld"
"""Mirror notes keyed "Entity/id": a creation seen while a create of its type was under way."""

_RECORD_TYPE = {entity: type_[:-1] for type_, entity in twoway.TYPES.items()}
_TYPE_OF = {entity: type_ for type_, entity in twoway.TYPES.items()}

Candidate = tuple[str, str, str, MirrorObject]  # entity, QuickBooks id, what happened, copy
_CHUNK = 500  # changed objects whose links are read together


def tell(
    session: Session,
    connection: StoredConnection,
    changes: Changes,
    *,
    first: bool,
    clock: Clock = utcnow,
) -> int:
    """Append the events of what people changed in QuickBooks; returns how many. An import
    whose object QuickBooks deleted leaves whatever the type's mode is now (it may have left
    `import` since the object was kept)."""
    _drop_deleted_imports(Imports(session, connection.id, clock=clock), changes)
    wanted = {e for e in twoway.TYPES.values() if twoway.mode(connection.settings, e) != "off"}
    if first or not wanted:
        return 0
    mirror = Mirror(session, connection.id, clock=clock)
    teller = _Teller(session, connection, mirror, clock)
    # what changed, a chunk at a time, the linked objects (ledgerbridge's own writes, or
    # drift's) let go at once: thousands of customers whose balance a long pass's invoices
    # moved were all held, with their copies, to be found linked and dropped
    candidates: dict[tuple[str, str], Candidate] = {}
    part: list[Candidate] = []
    for (entity, qbo_id), (before, after) in changes.changed():
        if entity in wanted:
            part.append((entity, qbo_id, twoway.what_happened(before, after), after))
            if len(part) == _CHUNK:
                candidates.update(((c[0], c[1]), c) for c in teller.unlinked(part))
                part = []
    candidates.update(((c[0], c[1]), c) for c in teller.unlinked(part))
    del part
    for (entity, qbo_id), copy in changes.gone_copies.items():
        if entity in wanted:
            candidates[(entity, qbo_id)] = (entity, qbo_id, "deleted", copy)
    for note in mirror.all_of(HELD):
        mirror.drop(HELD, note.qbo_id)  # held again below if its create is still under way
        entity, qbo_id = str(note.data.get("entity")), str(note.data.get("id"))
        current = mirror.get(entity, qbo_id)
        if entity in wanted and current is not None and (entity, qbo_id) not in candidates:
            candidates[(entity, qbo_id)] = (entity, qbo_id, "created", current)
    if not candidates:
        return 0
    return teller.tell(candidates.values())


def _drop_deleted_imports(imports: Imports, changes: Changes) -> None:
    """The imports of objects QuickBooks deleted: nothing left to acknowledge."""
    for entity, qbo_id in sorted(changes.gone):
        if entity in _TYPE_OF:
            imports.drop(entity, qbo_id)


class _Teller:
    def __init__(
        self, session: Session, connection: StoredConnection, mirror: Mirror, clock: Clock
    ) -> None:
        self.session = session
        self.connection = connection
        self.cid = connection.id
        self.mirror = mirror
        self.links = Links(session)
        self.events = Events(session, clock=clock)
        self.imports = Imports(session, connection.id, clock=clock)
        self.clock = clock
        self._creating: dict[str, bool] = {}

    def creating(self, entity: str) -> bool:
        """Whether a create of the entity's type is under way: asked once an entity, before
        any of its links is read (see the module's docstring)."""
        if entity not in self._creating:
            states = SyncStates(self.session)
            self._creating[entity] = states.creating(self.cid, _RECORD_TYPE[entity])
        return self._creating[entity]

    def _linked(self, found: list[Candidate]) -> dict[str, set[str]]:
        """Of `found`, the ids linked to an app record, by entity (a query an entity)."""
        linked: dict[str, set[str]] = {}
        for entity in dict.fromkeys(entity for entity, *_ in found):
            self.creating(entity)  # creates under way first, links after
            ids = [qbo_id for e, qbo_id, *_ in found if e == entity]
            linked[entity] = set(self.links.by_quickbooks_many(self.cid, entity, ids))
        return linked

    def unlinked(self, part: list[Candidate]) -> list[Candidate]:
        """The candidates of `part` no app record is linked to (the others are never told)."""
        linked = self._linked(part)
        return [c for c in part if c[1] not in linked[c[0]]]

    def tell(self, candidates: Iterable[Candidate]) -> int:
        found = sorted(candidates, key=lambda c: (c[0], _number(c[1])))
        linked = self._linked(found)
        creating = {entity: self.creating(entity) for entity in linked}
        adopting: dict[str, set[str]] = {}
        for entity in creating:
            ids = [qbo_id for e, qbo_id, *_ in found if e == entity]
            # acknowledged (or sent with its link), not pushed yet: the app has it already
            adopting[entity] = self.imports.adopting(entity, ids)
        told: list[tuple[str, dict[str, Any]]] = []
        imported: list[tuple[str, str, str]] = []
        for entity, qbo_id, happened, copy in found:
            if qbo_id in linked[entity]:
                continue  # ledgerbridge's own, or drift's
            if happened == "created" and creating[entity]:
                note = {"entity": entity, "id": qbo_id}
                self.mirror.put(MirrorObject(HELD, f"{entity}/{qbo_id}", data=note))
                continue
            found_told = told_of(self.session, self.connection, self.mirror, entity, copy)
            if found_told is None:
                continue
            importing = (
                twoway.mode(self.connection.settings, entity) == "import"
                and "import" in twoway.modes_of(_TYPE_OF[entity])  # never a read-only type
                and qbo_id not in adopting[entity]
            )
            if importing and happened == "deleted":
                importing = False  # its import dropped already (`_drop_deleted_imports`)
            elif importing:
                imported.append((entity, qbo_id, found_told.record_type))
            told.append(
                (
                    f"quickbooks.{happened}",
                    payload(entity, qbo_id, copy, found_told, imported=importing),
                )
            )
        self.imports.add_many(imported, since=self.clock())
        self.events.append_many(self.cid, told)
        return len(told)


def told_of(
    session: Session,
    connection: StoredConnection,
    mirror: Mirror,
    entity: str,
    copy: MirrorObject,
) -> twoway.Told | None:
    """What the app is told of `copy` (None: not the app's business: a payment of none of its
    invoices)."""
    links = Links(session)
    if entity == "Payment":
        return _payment(links, connection, mirror, copy)
    shown = lists.canonical(entity, copy.data)
    record = dict(shown.record)
    if entity == "Invoice" and shown.parent_quickbooks_id is not None:
        customer = links.by_quickbooks(connection.id, "Customer", shown.parent_quickbooks_id)
        record["customer_id"] = customer.app_id if customer is not None else None
    return twoway.Told(
        shown.record_type or _RECORD_TYPE[entity],
        record,
        parent_quickbooks_id=shown.parent_quickbooks_id if entity != "Invoice" else None,
    )


def payload(
    entity: str, qbo_id: str, copy: MirrorObject, told: twoway.Told, *, imported: bool
) -> dict[str, Any]:
    """An event's payload (and an import's entry): the object in the app's shape, what of it
    cannot round-trip, and whether it waits for the app's acknowledgement."""
    restricted = lists.restriction(entity, copy.data)
    found: dict[str, Any] = {
        "type": told.record_type,
        "quickbooks_id": qbo_id,
        "entity": entity,
        "record": dict(told.record),
        # invoices from QuickBooks are read-only at first: nothing is written back to them
        "read_only": entity == "Invoice" or (restricted is not None and restricted.read_only),
        "restriction": restricted.to_json() if restricted is not None else None,
    }
    if imported:
        found["import"] = "pending"
    if told.parent_quickbooks_id is not None:
        found["parent_quickbooks_id"] = told.parent_quickbooks_id
    if told.problem is not None:
        found["problem"] = {
            "code": told.problem.code,
            "field": told.problem.field,
            "message": told.problem.message,
            "params": dict(told.problem.params),
        }
    return found


def _payment(
    links: Links, connection: StoredConnection, mirror: Mirror, copy: MirrorObject
) -> twoway.Told | None:
    """Only a payment of one of the app's invoices is the app's business."""
    cid = connection.id
    paid = [qbo_id for qbo_id, _ in twoway.invoices_paid(copy.data)]
    invoices = links.by_quickbooks_many(cid, "Invoice", paid)
    if not invoices:
        return None
    customer_ref = copy.data.get("CustomerRef")
    customer = (
        links.by_quickbooks(cid, "Customer", str(customer_ref.get("value")))
        if isinstance(customer_ref, Mapping) and customer_ref.get("value")
        else None
    )
    names = {obj.qbo_id: obj.name or "" for obj in mirror.all_of("PaymentMethod") if obj.name}
    return twoway.payment(
        copy.data,
        invoices={qbo_id: link.app_id for qbo_id, link in invoices.items()},
        customer_id=customer.app_id if customer else None,
        methods=twoway.methods_back(connection.mappings),
        method_names=names,
    )


def _number(qbo_id: str) -> tuple[int, str]:
    return (int(qbo_id), "") if qbo_id.isdigit() else (0, qbo_id)
