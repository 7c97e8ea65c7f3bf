"""Drift seen from the pull side: what people changed in QuickBooks under linked records.

    changes = Changes(full_entities=...)      # filled by the pull while it updates the mirror
    report = detect(session, connection_id, changes, clock=clock)

Called by `engine.pull.pull_company` in the transaction that updated the mirror. In order:

1. a full load makes every linked object it no longer returns "gone";
2. merges first: a linked customer or vendor gone from QuickBooks was merged into another
   (QuickBooks never deletes either). The survivor is the one a merge notice named
   (`remember_merges`, from webhooks) or the one its transactions (and a customer's
   sub-customers) moved to; the app's record is re-linked to it and stays synced. When the
   survivor is unknown, or already linked to another app record, the record fails with
   ``customer.merged_in_quickbooks`` (``vendor.merged_in_quickbooks``) and is looked at again
   on every pull. Invoices (bills, purchase orders) moved by a merge are therefore never
   "moved" or "changed";
3. every other changed or gone object linked to an app record is compared with it
   (`core.drift.drift`), and `core.drift.decide` says whether the record is flagged, cleared
   (it becomes due again) or left alone;
4. an invoice paid in QuickBooks sets its app payments that are not in QuickBooks aside
   (`payments`);
5. a customer, vendor, item or class active in QuickBooks releases the records that failed
   because it was inactive (dependents retry by themselves).

Each change is told once (history entry and event), since a finding equal to the record's
current problem changes nothing.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo.webhooks import ChangeNotice
from ledgerbridge.core import catalog, compare, mapping, overrides
from ledgerbridge.core import drift as rules
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.records import Record, RecordKey, parse_record
from ledgerbridge.core.status import Status
from ledgerbridge.engine.paid import settle_paid_invoices
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records, StoredRecord
from ledgerbridge.storage.scans import Scans
from ledgerbridge.storage.scratch import KeySet, Scratch
from ledgerbridge.storage.sync_states import StoredState, SyncStates
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["MERGE_HINTS", "WATCHED", "Changes", "DriftReport", "detect", "remember_merges"]

WATCHED = frozenset(mapping.ENTITY.values()) | {"SalesReceipt", "CreditMemo"}
"""Entities whose earlier mirror copy drift needs (links, merges, payments)."""
MERGE_HINTS: Mapping[str, str] = {"Customer": "CustomerMerge", "Vendor": "VendorMerge"}
"""Mirror entries keyed by a merged-away customer's (vendor's) id: ``{"into": survivor id}``."""
_MERGED_KINDS: Mapping[str, str] = {"Customer": "merged", "Vendor": "vendor_merged"}
"""The history entry of a merge followed."""

_DOCUMENTS = frozenset(mapping.ENTITY[t] for t in rules.DELETED_CODES)
_RELEASED_BY: Mapping[str, tuple[str, ...]] = {
    entity: tuple(c for c, e in rules.STOPPED_BY_INACTIVE.items() if e == entity)
    for entity in dict.fromkeys(rules.STOPPED_BY_INACTIVE.values())
}  # entity -> the codes its reactivation clears

ObjectKey = tuple[str, str]  # (entity, QuickBooks id)
CHUNK = 500  # changed objects whose links are read together


@dataclass
class Changes:
    """What one pull saw: objects changed (with the mirror's copy from before) and gone.

    Filled a group of objects at a time (`saw_many`), and kept in the pull's `scratch` (a
    temporary database on disk), not in memory: of an object read back as the mirror held it,
    only its key, and that only for an entity read in full, whose linked objects not seen are
    gone (`_missing`); of an object changed, both copies. A freshening pull during a big first
    sync reads back tens of thousands of the pass's own writes (whole entities when their
    pages cannot be paged by time) and thousands of customers whose balance the new invoices
    moved: held here, they were the largest part of the sync's peak memory. Read back a chunk
    at a time (`changed`). What it holds in memory grows only with what QuickBooks deleted."""

    full_entities: frozenset[str] = frozenset()  # read in full: a linked object missing is gone
    gone: set[ObjectKey] = field(default_factory=set)
    # the mirror's last copy of what was deleted (of the entities QuickBooks deletes)
    gone_copies: dict[ObjectKey, MirrorObject] = field(default_factory=dict)
    scratch: Scratch = field(default_factory=Scratch)  # the pull's: where the rest is kept
    _entities: set[str] = field(default_factory=set)  # the entities of what changed

    @property
    def seen(self) -> KeySet:
        """Every object read of `full_entities`."""
        return self.scratch.keys("drift.seen")

    def saw(
        self, before: MirrorObject | None, after: MirrorObject, *, changed: bool = True
    ) -> None:
        """`saw_many` for one object."""
        self.saw_many([(before, after, changed)])

    def saw_many(self, group: Sequence[Seen]) -> None:
        """Objects read, in the order read, each with the mirror's copy from before and
        whether it differs from it. `changed=False`: read back exactly as the mirror held it
        (above all, what the push pass itself just wrote), which cannot show drift: only its
        key is kept (of an entity read in full), unless it changed earlier in the pull (read
        twice: the later copy counts)."""
        self.seen.add_many(
            (a.entity, a.qbo_id) for _, a, _ in group if a.entity in self.full_entities
        )
        copies = self.scratch.copies("drift.changed")
        held = copies.keys_among((a.entity, a.qbo_id) for _, a, changed in group if not changed)
        kept: list[tuple[ObjectKey, bytes]] = []
        for before, after, changed in group:
            key = (after.entity, after.qbo_id)
            if changed or key in held:
                held.add(key)
                self._entities.add(after.entity)
                kept.append((key, _dumped(before, after)))
        copies.put_many(kept)

    def changed(self) -> Iterator[tuple[ObjectKey, tuple[MirrorObject | None, MirrorObject]]]:
        """What differs from the mirror's copy, of what was seen, in the order first seen:
        read back from the scratch a chunk at a time (the caller may write meanwhile)."""
        for chunk in self.scratch.copies("drift.changed").chunks():
            for key, value in chunk:
                yield key, _loaded(value)

    def any_changed(self, entities: Iterable[str]) -> bool:
        """Whether an object of one of `entities` changed."""
        return not self._entities.isdisjoint(entities)


Seen = tuple[MirrorObject | None, MirrorObject, bool]  # before, after, changed (`saw_many`)
_FIELDS = tuple(f.name for f in dataclasses.fields(MirrorObject) if f.name != "data")


def _dumped(before: MirrorObject | None, after: MirrorObject) -> bytes:
    """A changed object's two copies as kept in the scratch (a mapping proxy cannot be
    pickled: its fields and a plain dict)."""
    return pickle.dumps((_fields(before), _fields(after)), protocol=pickle.HIGHEST_PROTOCOL)


def _fields(obj: MirrorObject | None) -> tuple[Any, ...] | None:
    if obj is None:
        return None
    return (*(getattr(obj, name) for name in _FIELDS), dict(obj.data))


def _loaded(value: bytes) -> tuple[MirrorObject | None, MirrorObject]:
    before, after = pickle.loads(value)  # our own scratch's
    found = _object(after)
    assert found is not None
    return _object(before), found


def _object(fields: tuple[Any, ...] | None) -> MirrorObject | None:
    if fields is None:
        return None
    values = dict(zip(_FIELDS, fields[:-1], strict=True))
    return MirrorObject(**values, data=MappingProxyType(fields[-1]))


@dataclass
class DriftReport:
    flagged: int = 0
    cleared: int = 0
    merged: int = 0
    bypassed: int = 0


def detect(
    session: Session, connection_id: str, changes: Changes, *, clock: Clock = utcnow
) -> DriftReport:
    return _Detector(session, connection_id, changes, clock).run()


def release_reactivated(
    session: Session, connection_id: str, active: Iterable[ObjectKey], *, clock: Clock = utcnow
) -> list[RecordKey]:
    """The records that failed because one of these QuickBooks objects was inactive, due again
    now that it is active (history and event `drift_cleared`); returns them."""
    return _Detector(session, connection_id, Changes(), clock).release(active)


def remember_merges(
    session: Session,
    connections: Iterable[tuple[str, str | None]],
    notices: Iterable[ChangeNotice],
) -> int:
    """Keep what merge notices say (customer or vendor X went into Y) for the next pull of each
    connection (id, realm id) of the notice's company. Returns how many were kept."""
    merges = [
        n for n in notices if n.operation == "Merge" and n.entity in MERGE_HINTS and n.deleted_id
    ]
    kept = 0
    for connection_id, realm_id in connections:
        mirror = Mirror(session, connection_id)
        for notice in merges:
            if notice.realm_id == realm_id:
                hint = {"into": notice.entity_id}
                kind = MERGE_HINTS[notice.entity]
                mirror.put(MirrorObject(kind, str(notice.deleted_id), data=hint))
                kept += 1
    return kept


class _Detector:
    def __init__(self, session: Session, cid: str, changes: Changes, clock: Clock) -> None:
        self.session = session
        self.cid = cid
        self.changes = changes
        self.clock = clock
        self.links = Links(session)
        self.states = SyncStates(session, clock=clock)
        self.records = Records(session, clock=clock)
        self.mirror = Mirror(session, cid, clock=clock)
        self.history = History(session, clock=clock)
        self.events = Events(session, clock=clock)
        self.report = DriftReport()
        self._policy: str | None = None

    def run(self) -> DriftReport:
        if self.changes.full_entities:
            self._missing()
        self._merges()
        for entity, qbo_id in sorted(self.changes.gone):
            if entity in _DOCUMENTS:  # lists are merged or made inactive, never deleted
                self._look_at(self.links.by_quickbooks(self.cid, entity, qbo_id), None)
        # what changed, a chunk at a time (never all at once: thousands of copies after a
        # long pass), the links of each chunk's watched objects read a query an entity
        watched: dict[str, list[MirrorObject]] = {}
        for (entity, _), (_, after) in self.changes.changed():
            if entity in WATCHED:
                watched.setdefault(entity, []).append(after)
                if sum(len(objects) for objects in watched.values()) >= CHUNK:
                    self._look_at_changed(watched)
                    watched = {}
        self._look_at_changed(watched)
        if self.changes.any_changed(["Invoice"]):
            paid = (
                (before, after)
                for (entity, _), (before, after) in self.changes.changed()
                if entity == "Invoice" and rules.is_paid(after)
            )
            self.report.bypassed += settle_paid_invoices(
                self.session, self.cid, paid, clock=self.clock
            )
        self._reactivated()
        return self.report

    def _look_at_changed(self, watched: Mapping[str, list[MirrorObject]]) -> None:
        for entity, objects in watched.items():
            links = self.links.by_quickbooks_many(self.cid, entity, [o.qbo_id for o in objects])
            for after in objects:
                self._look_at(links.get(after.qbo_id), after)

    # --- 1. a full load: linked objects it no longer returns are gone ---------------------------

    def _missing(self) -> None:
        scans = Scans(self.session, self.cid)
        # keys only (a big company's links' bodies are not read), a page at a time, looked up
        # in what was seen a chunk at a time; marked once all are read (not while paging)
        linked = scans.linked_objects(self.changes.full_entities)
        missing = [key for key in self.changes.seen.missing(linked) if key not in self.changes.gone]
        for key in missing:
            self.mirror.mark_deleted(*key)
            self.changes.gone.add(key)

    # --- 2. merges --------------------------------------------------------------------------------

    def _merges(self) -> None:
        """The merges to follow (customers and vendors gone now, and those a merge's code
        still fails for whose copy is gone), then each followed: where their transactions
        moved is read from the pull's changed copies once for all of them (`rules.moved_to`),
        not once a merge."""
        merges: list[tuple[str, str]] = []
        for entity, code in rules.MERGED_CODES.items():
            done = {qbo_id for gone_entity, qbo_id in self.changes.gone if gone_entity == entity}
            merges += [(entity, qbo_id) for qbo_id in sorted(done)]
            # merges not followed yet: a notice or a move may tell the survivor now, or it is
            # free
            record_type = entity.lower()
            for stored in self._failing(code, record_type):
                link = self.links.get(self.cid, record_type, stored.app_id)
                if link is None or link.qbo_id in done:
                    continue
                if self.mirror.is_deleted(entity, link.qbo_id):
                    merges.append((entity, link.qbo_id))
                    done.add(link.qbo_id)
        if not merges:
            return
        # what was read back unchanged moved nowhere: the changed pairs are every move
        moved = rules.moved_to(merges, (pair for _, pair in self.changes.changed()))
        for entity, qbo_id in merges:
            self._merged(entity, qbo_id, moved.get((entity, qbo_id)))

    def _merged(self, entity: str, gone_id: str, moved: set[str] | None) -> None:
        """The app record linked to the customer or vendor (`entity`) `gone_id`, merged away in
        QuickBooks: re-linked to the one that remains, or failing with the merge's code.
        `moved`: where its transactions moved (`rules.moved_to`)."""
        link = self.links.by_quickbooks(self.cid, entity, gone_id)
        if link is None:
            return
        key = RecordKey(link.type, link.app_id)  # type: ignore[arg-type]
        state = self.states.get(self.cid, key.type, key.app_id)
        if state is None or state.pending_request_id or self._record(key, state) is None:
            return  # the write in flight settles first; a record the app deleted stays gone
        code = rules.MERGED_CODES[entity]
        hint = self.mirror.get(MERGE_HINTS[entity], gone_id)
        named = str(hint.data.get("into") or "") if hint is not None else ""
        survivor = rules.survivor_of(gone_id, moved, named or None) or _told_into(state, code)
        target = self.mirror.get(entity, survivor) if survivor else None
        other = self.links.by_quickbooks(self.cid, entity, survivor) if survivor else None
        if target is None or (other is not None and other.app_id != key.app_id):
            problem = rules.merged_problem(
                gone_id, survivor, other.app_id if other is not None else None, entity=entity
            )
            self._apply(key, state, rules.Drift(problem, code), gone_id)
            return
        self.links.put(
            self.cid,
            key.type,
            key.app_id,
            entity=entity,
            qbo_id=target.qbo_id,
            sync_token=target.sync_token,
            doc_number=None,
            pushed=link.pushed,
        )
        self._keep_survivor(key, state, link.pushed, target)
        detail = {"from_quickbooks_id": gone_id, "into_quickbooks_id": target.qbo_id}
        self.history.add(self.cid, key.type, key.app_id, _MERGED_KINDS[entity], detail=detail)
        self.events.append(self.cid, code, {"type": key.type, "id": key.app_id, **detail})
        if state.status == Status.ERROR and _code(state) == code:
            self.states.want(self.cid, key.type, key.app_id, state.desired_version)
        self.report.merged += 1

    def _keep_survivor(
        self,
        key: RecordKey,
        state: StoredState,
        pushed: Mapping[str, Any] | None,
        survivor: MirrorObject,
    ) -> None:
        """A merge is a person's choice in QuickBooks: what the survivor holds otherwise than
        the app's customer (its name, its email...) is kept, not reported as a change; the
        app is told the survivor in the merge event, and a later change of the app's own
        values is sent again."""
        found = compare.differences(pushed or {}, survivor.data)
        if not found:
            return
        fields = list(dict.fromkeys(d.field for d in found))
        kept = {**(overrides.kept(state.overrides) or {})}
        kept.update(rules.kept_values(fields, pushed or {}, survivor.data))
        self.states.set_overrides(
            self.cid, key.type, key.app_id, overrides.with_kept(state.overrides or {}, kept)
        )

    # --- 3. one linked record -------------------------------------------------------------------

    def _look_at(self, link: StoredLink | None, current: MirrorObject | None) -> None:
        """A linked record whose QuickBooks object changed (`current`) or is gone (None)."""
        if link is None:
            return
        if current is not None and rules.is_stale(current, link.sync_token):
            return  # read before our last write: the next pull brings the newer copy
        key = RecordKey(link.type, link.app_id)  # type: ignore[arg-type]
        state = self.states.get(self.cid, key.type, key.app_id)
        record = self._record(key, state) if state is not None else None
        if state is None or record is None:
            return
        parties = self._parties(record)
        linked = rules.Linked(
            key,
            record,
            link.qbo_id,
            link.doc_number,
            link.pushed,
            current,
            kept=overrides.kept(state.overrides),
            parties=parties,
        )
        found = rules.judge(linked)
        self._apply(key, state, found, link.qbo_id)

    def _apply(
        self, key: RecordKey, state: StoredState, found: rules.Drift | None, qbo_id: str
    ) -> None:
        step = rules.decide(_standing(state), found, qbo_id)
        if (
            isinstance(step, rules.Flag)
            and step.drift.problem.code == catalog.RECORD_CHANGED_IN_QUICKBOOKS
            and self._on_change() != "ask"
        ):
            # the connection decides without asking (`quickbooks_changes`): the sync pass
            # sends the app's values back, or keeps QuickBooks' and tells the app
            self.states.want(self.cid, key.type, key.app_id, state.desired_version)
            self.states.unsync(self.cid, key.type, key.app_id)
            problem = step.drift.problem.to_json()
            self.history.add(
                self.cid, key.type, key.app_id, "changed_in_quickbooks", detail=problem
            )
            self.report.flagged += 1
            return
        if isinstance(step, rules.Flag):
            problem = step.drift.problem.to_json()
            self.states.finish(self.cid, key.type, key.app_id, status=Status.ERROR, problem=problem)
            self.history.add(self.cid, key.type, key.app_id, "drift", detail=problem)
            self.events.append(self.cid, step.drift.event, step.drift.payload(key))
            self.report.flagged += 1
        elif isinstance(step, rules.Clear):
            self._clear(key, state, step.code)

    def _clear(self, key: RecordKey, state: StoredState, code: str) -> None:
        """The drift went away in QuickBooks: the record is due again, its problem gone."""
        self.states.want(self.cid, key.type, key.app_id, state.desired_version)
        self.history.add(self.cid, key.type, key.app_id, "drift_cleared", detail={"code": code})
        self.events.append(
            self.cid, "record.drift_cleared", {"type": key.type, "id": key.app_id, "code": code}
        )
        self.report.cleared += 1

    def _on_change(self) -> str:
        """The connection's `quickbooks_changes` setting (ask, app_wins, quickbooks_wins)."""
        if self._policy is None:
            connection = Connections(self.session).get_unscoped(self.cid)
            settings = connection.settings if connection is not None else {}
            self._policy = str(settings.get("quickbooks_changes", "ask"))
        return self._policy

    def _record(self, key: RecordKey, state: StoredState) -> Record | None:
        """The record as it goes to QuickBooks: the app's data with the actions' overrides."""
        stored = self.records.get(self.cid, key.type, key.app_id)
        if stored is None or stored.deleted:
            return None  # the app deleted it: the push pass removes it from QuickBooks
        parsed = parse_record(key.type, overrides.apply(stored.data, state.overrides))
        return None if isinstance(parsed, list) else parsed

    def _parties(self, record: Record) -> dict[str, str]:
        """The live QuickBooks ids of the records `record` names (`core.drift.parties`)."""
        found: dict[str, str] = {}
        for where, party in rules.parties(record).items():
            link = self.links.get(self.cid, party.type, party.app_id)
            if link is not None and not self.mirror.is_deleted(link.qbo_entity, link.qbo_id):
                found[where] = link.qbo_id
        return found

    # --- 5. reactivated in QuickBooks: what failed because of it is due again --------------------

    def _reactivated(self) -> None:
        if not self.changes.any_changed(_RELEASED_BY):
            return
        self.release(key for key, (_, after) in self.changes.changed() if after.active)

    def release(self, active: Iterable[ObjectKey]) -> list[RecordKey]:
        ids: dict[str, set[str]] = {}  # code -> the QuickBooks ids active again
        failing: dict[str, bool] = {}  # code -> whether a record fails with it
        for entity, qbo_id in active:
            for code in _RELEASED_BY.get(entity, ()):
                if code not in failing:
                    failing[code] = self.states.any_failing(self.cid, code)
                if failing[code]:  # else no id is kept: thousands when many moved
                    ids.setdefault(code, set()).add(qbo_id)
        released: list[RecordKey] = []
        for code, active_ids in ids.items():
            for stored in self._failing(code):
                key = RecordKey(stored.type, stored.app_id)  # type: ignore[arg-type]
                state = self.states.get(self.cid, key.type, key.app_id)
                if state is None or state.status != Status.ERROR or state.pending_request_id:
                    continue
                params = (state.problem or {}).get("params") or {}
                if _code(state) == code and str(params.get("quickbooks_id")) in active_ids:
                    self._clear(key, state, code)
                    released.append(key)
        return released

    def _failing(self, code: str, record_type: str | None = None) -> list[StoredRecord]:
        if not self.states.any_failing(self.cid, code, record_type):
            return []  # the usual case, asked at every pull: no walk through the records
        found: list[StoredRecord] = []
        cursor = None
        while True:
            page = self.records.list(
                self.cid, status=Status.ERROR, code=code, type=record_type, cursor=cursor, limit=500
            )
            found.extend(page.items)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor


def _told_into(state: StoredState, code: str) -> str | None:
    """The survivor an earlier pull found for a merge it could not follow (`code`: the
    merge's, a customer's or a vendor's)."""
    if _code(state) != code:
        return None
    into = ((state.problem or {}).get("params") or {}).get("into_quickbooks_id")
    return str(into) if into else None


def _code(state: StoredState) -> str | None:
    code = (state.problem or {}).get("code")
    return str(code) if code else None


def _standing(state: StoredState) -> rules.Standing:
    problem: Mapping[str, Any] = state.problem or {}
    return rules.Standing(
        status=state.status,
        code=_code(state),
        params=problem.get("params") or {},
        writing=state.pending_request_id is not None,
    )
