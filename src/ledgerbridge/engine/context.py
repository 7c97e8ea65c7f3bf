"""What surrounds a record when the engine decides its next step, read from the database.

    surroundings = Surroundings(connection)
    gathered = surroundings.situation(session, key, state)  # the planner's Situation
    step = surroundings.plan(session, gathered)             # core.planner.plan, wired

The push pass (`engine.push`) and the dry run (`engine.dryrun`) decide with these same
pieces: the situation (record with the overrides of actions applied, link, dependencies,
pending write), preflight's subject (links, app records, same-name siblings, the mirror) and
the references a QuickBooks body needs. Read-only: nothing here writes.

A dry run also tells the surroundings what it expects the records before to become
(`assume`): a dependency it would create or link counts as linked for the records after it,
and one it would refuse or block counts with that status; the push pass assumes nothing.

Other records' links, linked objects and app data, the lists a body names (accounts, classes,
payment methods) and the company's preferences are remembered for `MEMO_SECONDS` (an item on a
thousand invoices is read once, not a thousand times); the record being planned is always read
afresh: its own link decides between creating and updating. Whoever writes a link tells
the surroundings (`learned`), and the push pass starts every round with a clean memo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog, drift, graph, mapping, overrides, planner
from ledgerbridge.core.mirror import PERSON_ENTITIES, MirrorObject, name_key
from ledgerbridge.core.preflight import (
    Mappings,
    Policies,
    Subject,
    Verdict,
    preflight,
    pushed_number,
)
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    Customer,
    Item,
    Record,
    RecordKey,
    RecordType,
    Vendor,
    display_name,
    parse_record,
)
from ledgerbridge.core.status import Status
from ledgerbridge.storage.connections import StoredConnection
from ledgerbridge.storage.db import canonical_json
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records, StoredRecord
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = [
    "MEMO_SECONDS",
    "NEW_ID",
    "Gathered",
    "Surroundings",
    "all_records",
    "mappings_of",
    "policies_of",
    "unreadable",
]

# name indexes (`Surroundings.siblings`) kept for the next passes: (database, connection,
# type) -> (what they were built from, the index, how many records it holds), the most
# recently used last. Only an index of `NAME_INDEX_KEPT_FROM` records or more is kept: a
# smaller one is a page read again, and keeping it would push out the large companies'
# (a worker going round ten large companies between hundreds of small ones' first syncs read
# each large company's names again at every slice while 16 of any size were kept). At most
# `NAME_INDEXES_KEPT` indexes and `NAME_INDEX_RECORDS_KEPT` records in all (about 200 bytes
# a record).
_NAME_INDEXES: dict[tuple[str, str, str], tuple[Any, dict[str, list[RecordKey]], int]] = {}
_NAME_INDEXES_LOCK = threading.Lock()
NAME_INDEXES_KEPT = 64
NAME_INDEX_KEPT_FROM = 500
NAME_INDEX_RECORDS_KEPT = 250_000

NEW_ID = "new:"  # the QuickBooks id a dry run gives an object it would create: "new:item/i-1"
MEMO_SECONDS = 10.0  # how long other records' links and data are taken as read

_K = TypeVar("_K")
_V = TypeVar("_V")


def policies_of(settings: Mapping[str, Any], environment: str = "") -> Policies:
    """The connection's settings that preflight applies (`environment`: the connection's,
    "desktop" for QuickBooks Desktop's own limits)."""
    return Policies(
        desktop=environment == "desktop",
        name_conflicts=settings.get("name_conflicts", "ask"),
        numbering=settings.get("numbering", "app"),
        number_prefix=settings.get("number_prefix", ""),
        closed_periods=settings.get("closed_periods", "error"),
        customer_email_required=bool(settings.get("customer_email_required", False)),
    )


def mappings_of(stored: Mapping[str, Any]) -> Mappings:
    """The connection's mappings as preflight and the bodies read them."""
    return Mappings(
        tax_codes=dict(stored.get("tax_rates", {})),
        payment_methods=dict(stored.get("payment_methods", {})),
        accounts=dict(stored.get("accounts", {})),
        classes=dict(stored.get("classes", {})),
    )


def unreadable(stored: StoredRecord) -> Problem:
    """The problem of a record whose stored copy cannot be read back (it fails alone)."""
    reason = stored.unreadable or "its stored copy cannot be read"
    return Problem(
        catalog.RECORD_UNREADABLE,
        None,
        f"{stored.type} {stored.app_id!a} cannot be read back: {reason}; send it again",
        {"reason": reason},
    )


def all_records(session: Session, connection_id: str) -> dict[RecordKey, StoredRecord]:
    """Every record of the connection (the deleted ones too), by key."""
    found: dict[RecordKey, StoredRecord] = {}
    records = Records(session)
    cursor = None
    while True:
        page = records.list(connection_id, cursor=cursor, limit=500)
        for stored in page.items:
            found[RecordKey(stored.type, stored.app_id)] = stored  # type: ignore[arg-type]
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


@dataclass(frozen=True, slots=True)
class _Prefetched:
    """One record as `Surroundings.prefetch` read it (parsed with `overrides`)."""

    stored: StoredRecord | None
    link: StoredLink | None
    parsed: Record | list[Problem] | None
    overrides: Mapping[str, Any] | None


@dataclass(frozen=True)
class Gathered:
    """A record's situation and what carrying its step out needs."""

    situation: planner.Situation
    link: StoredLink | None
    version: int


class Surroundings:
    """One company's records, links and mirror as the planner and preflight see them."""

    def __init__(
        self,
        connection: StoredConnection,
        *,
        memo_seconds: float = MEMO_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cid = connection.id
        self.policies = policies_of(connection.settings, connection.environment)
        self.on_change: planner.OnChange = connection.settings.get("quickbooks_changes", "ask")
        self.mappings = mappings_of(connection.mappings)
        # app records by QuickBooks name key, per type, built once (for preflight)
        self._names: dict[str, dict[str, list[RecordKey]]] = {}
        # a dry run's expectations: links it would make, statuses it would leave
        self._assumed_links: dict[RecordKey, StoredLink] = {}
        self._assumed_owners: dict[tuple[str, str], RecordKey] = {}
        self._assumed_statuses: dict[RecordKey, str] = {}
        # what was read already (see the module's docstring)
        self._memo_seconds = memo_seconds
        self._monotonic = monotonic
        self._memo_since = monotonic()
        self._links: dict[RecordKey, StoredLink | None] = {}
        self._objects: dict[tuple[str, str], MirrorObject | None] = {}
        self._records: dict[RecordKey, Record | None] = {}
        self._named: dict[tuple[str, str], MirrorObject | None] = {}  # accounts, classes...
        self._preferences: dict[str, Mapping[str, Any]] = {}
        # what `prefetch` read for the records planned next, in the caller's transaction
        self._prefetched: dict[RecordKey, _Prefetched] = {}
        self._dependency_statuses: dict[tuple[str, str], str | None] = {}
        self._numbered: dict[tuple[str, str], list[MirrorObject]] = {}
        # (column, entity, key) -> the objects holding it: the names, emails and SKUs the
        # records planned next are looked up by (`_FOUND_AHEAD`), read by `prefetch` too
        self._found: dict[tuple[str, str, str], list[MirrorObject]] = {}

    # --- the memo ------------------------------------------------------------------------------

    def forget(self) -> None:
        """Read everything afresh from now on."""
        self._links.clear()
        self._objects.clear()
        self._records.clear()
        self._named.clear()
        self._preferences.clear()
        self._memo_since = self._monotonic()

    def learned(self, key: RecordKey, link: StoredLink | None, obj: MirrorObject | None) -> None:
        """`key` was just linked to `link` (None: unlinked), whose object is now `obj`."""
        self._links[key] = link
        if link is not None:
            self._objects[(link.qbo_entity, link.qbo_id)] = obj

    def _stale_memo(self) -> None:
        if self._monotonic() - self._memo_since > self._memo_seconds:
            self.forget()

    def _remembered(self, memo: dict[_K, _V], key: _K, read: Callable[[], _V]) -> _V:
        self._stale_memo()
        if key in memo:
            return memo[key]
        found = memo[key] = read()
        return found

    # --- reading ahead ---------------------------------------------------------------------

    def prefetch(self, session: Session, due: Sequence[tuple[RecordKey, StoredState]]) -> None:
        """Read together what `situation` reads for each of these records (the records, their
        links, their dependencies' statuses and links): a few statements in all instead of a
        few for each. What is read holds for `session`'s transaction: the caller `discard`s it
        when that ends, and writes nothing meanwhile."""
        keys = [(key.type, key.app_id) for key, _ in due]
        records = Records(session).get_many(self.cid, keys)
        links = Links(session).get_many(self.cid, keys)
        dependencies: set[RecordKey] = set()
        for key, state in due:
            stored = records.get((key.type, key.app_id))
            parsed: Record | list[Problem] | None = None
            if stored is not None and stored.unreadable is None and not stored.deleted:
                parsed = parse_record(key.type, overrides.apply(stored.data, state.overrides))
                if not isinstance(parsed, list):
                    dependencies.update(graph.dependencies(parsed))
            self._prefetched[key] = _Prefetched(
                stored, links.get((key.type, key.app_id)), parsed, state.overrides
            )
        wanted = [(d.type, d.app_id) for d in dependencies]
        found = SyncStates(session).statuses(self.cid, wanted)
        self._dependency_statuses.update({k: found.get(k) for k in wanted})
        self._stale_memo()
        unknown = [d for d in dependencies if d not in self._links]
        if unknown:
            linked = Links(session).get_many(self.cid, [(d.type, d.app_id) for d in unknown])
            for d in unknown:
                self._links[d] = linked.get((d.type, d.app_id))
        # the objects the dependencies are linked to (preflight compares with them)
        objects: dict[str, set[str]] = {}
        for d in dependencies:
            target = self._links.get(d)
            if target is not None and (target.qbo_entity, target.qbo_id) not in self._objects:
                objects.setdefault(target.qbo_entity, set()).add(target.qbo_id)
        mirror = Mirror(session, self.cid)
        for entity, ids in objects.items():
            held = mirror.get_many(entity, ids)
            for qbo_id in ids:
                self._objects[(entity, qbo_id)] = held.get(qbo_id)
        # the documents of the numbers the records would send (look-up before create)
        numbers: dict[str, set[str]] = {}
        for key, _ in due:
            ahead = self._prefetched.get(key)
            number = getattr(ahead.parsed, "number", None) if ahead is not None else None
            sent = pushed_number(number, self.policies) if isinstance(number, str) else None
            if sent:
                numbers.setdefault(mapping.ENTITY[key.type], set()).add(sent)
        for entity, wanted_numbers in numbers.items():
            for number, held_objects in mirror.numbered_many(entity, wanted_numbers).items():
                self._numbered[(entity, number)] = held_objects
        # the names, emails and SKUs preflight looks the records up by (the same look-ups,
        # a statement per column and entity instead of a few for each record)
        wanted_keys: dict[tuple[str, str], set[str]] = {}
        for key, _ in due:
            ahead = self._prefetched.get(key)
            parsed_record = ahead.parsed if ahead is not None else None
            for column, entity, value in _found_ahead(parsed_record):
                found_key = name_key(value)
                if found_key is not None:
                    wanted_keys.setdefault((column, entity), set()).add(found_key)
        for (column, entity), values in wanted_keys.items():
            for value, held_objects in mirror.found_many(column, entity, values).items():
                self._found[(column, entity, value)] = held_objects

    def read_ahead(self, key: RecordKey) -> bool:
        """Whether `prefetch` read `key` (and `situation` has not used it yet)."""
        return key in self._prefetched

    def discard(self) -> None:
        """Forget what `prefetch` read (its transaction ended)."""
        self._prefetched.clear()
        self._dependency_statuses.clear()
        self._numbered.clear()
        self._found.clear()

    def _statuses(
        self, session: Session, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        known = self._dependency_statuses
        if all(k in known for k in keys):
            return {k: s for k in keys if (s := known[k]) is not None}
        return SyncStates(session).statuses(self.cid, keys)

    # --- a dry run's expectations ------------------------------------------------------------

    def assume(self, key: RecordKey, *, status: str, link: StoredLink | None = None) -> None:
        """Plan the records after `key` as if it had been worked: linked to `link` (created or
        found) and left with `status`."""
        self._assumed_statuses[key] = status
        if link is not None:
            self._assumed_links[key] = link
            self._assumed_owners[(link.qbo_entity, link.qbo_id)] = key

    def link(self, session: Session, key: RecordKey, *, fresh: bool = False) -> StoredLink | None:
        """What `key` is (or would be) linked to; `fresh`: read now, whatever the memo holds."""
        assumed = self._assumed_links.get(key)
        if assumed is not None:
            return assumed
        if fresh:
            self._links.pop(key, None)
        return self._remembered(
            self._links, key, lambda: Links(session).get(self.cid, key.type, key.app_id)
        )

    def owner(self, session: Session, entity: str, qbo_id: str) -> RecordKey | None:
        """The app record a QuickBooks object is (or would be) linked to."""
        assumed = self._assumed_owners.get((entity, qbo_id))
        if assumed is not None:
            return assumed
        found = Links(session).by_quickbooks(self.cid, entity, qbo_id)
        return RecordKey(found.type, found.app_id) if found else None  # type: ignore[arg-type]

    # --- the planner's situation -------------------------------------------------------------

    def situation(
        self, session: Session, key: RecordKey, state: StoredState
    ) -> Gathered | list[Problem] | None:
        """The record's situation; its problems when the stored data does not parse; None
        when the app never sent it."""
        ahead = self._prefetched.pop(key, None)
        if ahead is not None and ahead.overrides != state.overrides:
            ahead = None  # read for another state of the record
        stored = ahead.stored if ahead else Records(session).get(self.cid, key.type, key.app_id)
        if stored is None:
            return None
        if stored.unreadable is not None:
            return [unreadable(stored)]
        record: Record | None = None
        if not stored.deleted:
            parsed = (
                ahead.parsed
                if ahead is not None and ahead.parsed is not None
                else parse_record(key.type, overrides.apply(stored.data, state.overrides))
            )
            if isinstance(parsed, list):
                return parsed
            record = parsed
            # what a record after it that names it reads (`app_record`), already parsed
            self._stale_memo()
            self._records.setdefault(key, record)
        if ahead is not None and key not in self._assumed_links:
            self._links[key] = link = ahead.link
        else:
            link = self.link(session, key, fresh=True)
        dependencies = []
        if record is not None:
            deps = graph.dependencies(record)
            statuses = self._statuses(session, [(d.type, d.app_id) for d in deps])
            for dep in deps:
                status = self._assumed_statuses.get(dep) or statuses.get((dep.type, dep.app_id))
                dependencies.append(
                    planner.Dependency(
                        dep,
                        status,  # type: ignore[arg-type]
                        self.link(session, dep) is not None,
                    )
                )
        pending = None
        if state.pending_request_id and state.pending_operation and state.pending_body is not None:
            pending = planner.Pending(
                state.pending_request_id,
                state.pending_operation,  # type: ignore[arg-type]
                state.pending_body,
            )
        situation = planner.Situation(
            key=key,
            record=record,
            version=stored.version,
            link=planner.Link(
                link.qbo_id,
                link.sync_token,
                link.pushed,
                state.synced_version,
                link.doc_number,
                self.held(session, link, record, state),
            )
            if link
            else None,
            pending=pending,
            dependencies=tuple(dependencies),
            bypassed=state.status == Status.BYPASSED,
            on_change=self.on_change,
            adopt=self.adopt(session, key, state.adopt_qbo_id) if link is None else None,
        )
        return Gathered(situation, link, stored.version)

    def adopt(self, session: Session, key: RecordKey, qbo_id: str | None) -> planner.Adopt | None:
        """The QuickBooks object the app said the record is, as the mirror holds it now, and
        the other app record already linked to it, if any."""
        if qbo_id is None:
            return None
        entity = mapping.ENTITY[key.type]
        mirror = Mirror(session, self.cid)
        target = None if mirror.is_deleted(entity, qbo_id) else mirror.get(entity, qbo_id)
        owner = self.owner(session, entity, qbo_id)
        return planner.Adopt(entity, qbo_id, target, owner if owner != key else None)

    def held(
        self, session: Session, link: StoredLink, record: Record | None, state: StoredState
    ) -> planner.Held | None:
        """The linked object as the mirror holds it now (read afresh), with the live QuickBooks
        ids of the record's parties; None when the mirror has never seen it, or holds a copy
        older than our last write."""
        mirror = Mirror(session, self.cid)
        current = mirror.get(link.qbo_entity, link.qbo_id)
        if current is None and not mirror.is_deleted(link.qbo_entity, link.qbo_id):
            return None
        if current is not None and drift.is_stale(current, link.sync_token):
            return None  # a copy read before our last write: not what QuickBooks holds now
        self._objects[(link.qbo_entity, link.qbo_id)] = current
        parties: dict[str, str] = {}
        customer: str | None = None
        if record is not None:
            for field, party in drift.parties(record).items():
                found = self.link(session, party)
                if found is None or mirror.is_deleted(found.qbo_entity, found.qbo_id):
                    continue
                parties[field] = found.qbo_id
            customer = parties.pop(drift.INVOICE_PARTY, None) if drift.is_invoice(record) else None
        return planner.Held(current, customer, parties, overrides.kept(state.overrides))

    def plan(self, session: Session, gathered: Gathered) -> planner.Step:
        """`core.planner.plan` with this company's preflight and bodies."""
        key = gathered.situation.key
        return planner.plan(
            gathered.situation,
            lambda record: self.preflight(session, key, record, gathered.link),
            lambda record: mapping.to_quickbooks(key, record, self.refs(session)),
        )

    # --- bodies and preflight ----------------------------------------------------------------

    def refs(self, session: Session) -> mapping.Refs:
        m = self.mappings

        def linked(key: RecordKey) -> str | None:
            found = self.link(session, key)
            return found.qbo_id if found else None

        def by_name(entity: str, table: Mapping[str, str]) -> mapping.Lookup:
            def look(name: str) -> str | None:
                if name in table:
                    return table[name]
                obj = self.named_list(session, entity, name)
                return obj.qbo_id if obj is not None and obj.active else None

            return look

        return mapping.Refs(
            linked=linked,
            account=by_name("Account", m.accounts),
            tax_code=lambda rate: m.tax_codes.get(rate),
            payment_method=by_name("PaymentMethod", m.payment_methods),
            klass=by_name("Class", m.classes),
        )

    def linked_object(self, session: Session, key: RecordKey) -> MirrorObject | None:
        """The QuickBooks object `key` is (or would be) linked to, as the mirror has it."""
        found = self.link(session, key)
        return None if found is None else self._object_of(session, found)

    def _object_of(
        self, session: Session, link: StoredLink, *, fresh: bool = False
    ) -> MirrorObject:
        """The mirror's copy of what `link` points at (a bare reference if it has none);
        `fresh`: read now, whatever the memo holds."""
        where = (link.qbo_entity, link.qbo_id)
        if fresh:
            self._objects.pop(where, None)
        obj = self._remembered(self._objects, where, lambda: Mirror(session, self.cid).get(*where))
        return obj or MirrorObject(link.qbo_entity, link.qbo_id, link.sync_token)

    def app_record(self, session: Session, key: RecordKey) -> Record | None:
        """Another app record, with the overrides of actions applied (None: absent, deleted or
        not parsable)."""
        return self._remembered(self._records, key, lambda: self._read_record(session, key))

    def _read_record(self, session: Session, key: RecordKey) -> Record | None:
        stored = Records(session).get(self.cid, key.type, key.app_id)
        if stored is None or stored.deleted or stored.unreadable is not None:
            return None
        state = SyncStates(session).get(self.cid, key.type, key.app_id)
        data = overrides.apply(stored.data, state.overrides if state else None)
        parsed = parse_record(key.type, data)
        return None if isinstance(parsed, list) else parsed

    def preflight(
        self, session: Session, key: RecordKey, record: Record, link: StoredLink | None
    ) -> Verdict:
        subject = Subject(
            key=key,
            record=record,
            linked=self._object_of(session, link, fresh=True) if link else None,
            links=lambda other: self.linked_object(session, other),
            app_records=lambda other: self.app_record(session, other),
            siblings=lambda record_type, name: self.siblings(session, record_type, name),
            pushed_type=(link.pushed or {}).get("Type") if link else None,
            linked_by=lambda entity, qbo_id: self.owner(session, entity, qbo_id),
        )
        mirror = _PreferencesRemembered(session, self.cid, self)
        return preflight(subject, mirror, self.policies, self.mappings)

    def named_list(self, session: Session, entity: str, name: str) -> MirrorObject | None:
        """An account, class or payment method by name, as the bodies read it (remembered:
        the push pass never writes those lists)."""
        return self._remembered(
            self._named, (entity, name), lambda: Mirror(session, self.cid).named(entity, name)
        )

    def preferences(self, session: Session) -> Mapping[str, Any]:
        """The company's preferences as the mirror holds them (every record's preflight reads
        them)."""
        return self._remembered(
            self._preferences, "", lambda: Mirror(session, self.cid).preferences()
        )

    def siblings(self, session: Session, record_type: RecordType, name: str) -> list[RecordKey]:
        """The app records of a type that would get this name in QuickBooks."""
        cache = self._names
        if record_type not in cache:
            cache[record_type] = self._name_index(session, record_type)
        return list(cache[record_type].get(name_key(name) or "", []))

    def _name_index(self, session: Session, record_type: RecordType) -> dict[str, list[RecordKey]]:
        """The app records of a type by QuickBooks name key. Built from every record of the
        type, so kept for the next passes of this process (`_NAME_INDEXES`) while neither the
        records of the type nor their overrides change."""
        records = Records(session)
        changed = SyncStates(session).overridden(self.cid, record_type)
        seen = (records.fingerprint(self.cid, record_type), canonical_json(changed))
        where = (repr(session.get_bind().engine.url), self.cid, record_type)
        with _NAME_INDEXES_LOCK:  # shared by a process's threads (jobs, Desktop passes)
            kept = _NAME_INDEXES.pop(where, None)
        if kept is not None and kept[0] == seen:
            index, size = kept[1], kept[2]
        else:
            index = self._read_names(records, record_type, changed)
            size = sum(len(keys) for keys in index.values())
        if size >= NAME_INDEX_KEPT_FROM:
            with _NAME_INDEXES_LOCK:
                _NAME_INDEXES[where] = (seen, index, size)
                while len(_NAME_INDEXES) > NAME_INDEXES_KEPT or (
                    len(_NAME_INDEXES) > 1
                    and sum(kept[2] for kept in _NAME_INDEXES.values()) > NAME_INDEX_RECORDS_KEPT
                ):
                    del _NAME_INDEXES[next(iter(_NAME_INDEXES))]
        return index

    def _read_names(
        self, records: Records, record_type: RecordType, changed: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, list[RecordKey]]:
        index: dict[str, list[RecordKey]] = {}
        cursor = None
        while True:
            page = records.list(self.cid, type=record_type, cursor=cursor, limit=500)
            for stored in page.items:
                if stored.deleted:
                    continue
                data = overrides.apply(stored.data, changed.get(stored.app_id))
                parsed = parse_record(record_type, data)
                if isinstance(parsed, Customer | Vendor):
                    label = display_name(parsed)
                elif isinstance(parsed, Item):
                    label = parsed.name
                else:
                    continue
                index.setdefault(name_key(label) or "", []).append(
                    RecordKey(record_type, stored.app_id)
                )
            if page.next_cursor is None:
                return index
            cursor = page.next_cursor


# the lists the bodies name, never written by the push pass: remembered (`named_list`)
_LISTS = frozenset({"Account", "Class", "PaymentMethod"})


def _found_ahead(record: Record | list[Problem] | None) -> list[tuple[str, str, str]]:
    """(column, entity, value) of the mirror's look-ups preflight makes for `record` by name,
    email or SKU (`core.preflight`: the name's holder, the customer, vendor or item that is
    the record), read ahead by `Surroundings.prefetch`."""
    if isinstance(record, Customer):
        name = display_name(record)
        return [("name_key", entity, name) for entity in PERSON_ENTITIES] + [
            ("email_key", "Customer", record.email or "")
        ]
    if isinstance(record, Vendor):
        return [("name_key", entity, display_name(record)) for entity in PERSON_ENTITIES]
    if isinstance(record, Item):
        found = [("name_key", "Item", record.name)]
        return [*found, ("sku", "Item", record.sku)] if record.sku else found
    return []


class _PreferencesRemembered(Mirror):
    """The stored mirror, with the company's preferences and the lists by name from the
    surroundings' memo, and the numbered documents and the names, emails and SKUs
    `Surroundings.prefetch` read in this same transaction (any other look-up: the mirror)."""

    def __init__(self, session: Session, cid: str, surroundings: Surroundings) -> None:
        super().__init__(session, cid)
        self._surroundings = surroundings
        self._own_session = session

    def preferences(self) -> Mapping[str, Any]:
        return self._surroundings.preferences(self._own_session)

    def numbered(self, entity: str, doc_number: str) -> list[MirrorObject]:
        found = self._surroundings._numbered.get((entity, doc_number))
        return list(found) if found is not None else super().numbered(entity, doc_number)

    def _ahead(self, column: str, entity: str, value: str) -> list[MirrorObject] | None:
        key = name_key(value)
        return None if key is None else self._surroundings._found.get((column, entity, key))

    def person_named(self, name: str) -> MirrorObject | None:
        held = [self._ahead("name_key", entity, name) for entity in PERSON_ENTITIES]
        if any(found is None for found in held):
            return super().person_named(name)
        return next((found[0] for found in held if found), None)

    def named(self, entity: str, name: str) -> MirrorObject | None:
        if entity in _LISTS:
            return self._surroundings.named_list(self._own_session, entity, name)
        found = self._ahead("name_key", entity, name)
        if found is None:
            return super().named(entity, name)
        return found[0] if found else None

    def with_email(self, entity: str, email: str) -> list[MirrorObject]:
        found = self._ahead("email_key", entity, email)
        return list(found) if found is not None else super().with_email(entity, email)

    def with_sku(self, sku: str) -> MirrorObject | None:
        found = self._ahead("sku", "Item", sku)
        if found is None:
            return super().with_sku(sku)
        return found[0] if found else None
