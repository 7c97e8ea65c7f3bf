"""One sync pass over a company: drain its due records in dependency order.

    report = sync_company(ledger, connection_id)

See docs/architecture.md ("The reconciler"). Each record goes through `core.planner.plan`; the
step is carried out here. A write's `requestid` is stored and committed before the call and
reused when the write is settled after a crash or a lost answer. Connection-level failures stop
the pass without touching the records; record-level faults become the record's problem.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from ledgerbridge.adapters.qbo import (
    BatchItem,
    Disconnected,
    QboClient,
    QuickBooksError,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.bootstrap import Ledger
from ledgerbridge.core import (
    catalog,
    classify,
    conflicts,
    drift,
    graph,
    mapping,
    overrides,
    planner,
)
from ledgerbridge.core.mirror import PERSON_ENTITIES, MirrorObject
from ledgerbridge.core.preflight import Verdict
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    Customer,
    Item,
    Record,
    RecordKey,
    Vendor,
    display_name,
    parse_record,
)
from ledgerbridge.core.retry import Backoff, throttled_until
from ledgerbridge.engine import holding, keys
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.tokens import ConnectionTokens
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.rate_windows import RateWindows
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
WAIT = timedelta(seconds=2)
MIRROR_FRESH = timedelta(seconds=30)  # older than this, a pass reads QuickBooks' changes first
BATCH_SIZE = 30  # QuickBooks' limit of operations in one batch request
BACKOFF = Backoff()


@dataclass
class PassReport:
    created: int = 0
    updated: int = 0
    linked: int = 0
    removed: int = 0
    failed: int = 0
    blocked: int = 0
    waiting: int = 0
    unchanged: int = 0
    looked_up: int = 0  # name holders read from QuickBooks after a 6240: planned again
    released: int = 0  # held records a record being pushed needs first (engine.holding)
    stopped: str | None = None  # why the pass ended early (connection-level)

    @property
    def progressed(self) -> int:
        done = self.created + self.updated + self.linked + self.removed + self.unchanged
        return done + self.looked_up + self.released

    def add(self, other: PassReport) -> None:
        """Count `other`'s work in too (a run of several passes)."""
        for counter in dataclasses.fields(PassReport):
            mine, theirs = getattr(self, counter.name), getattr(other, counter.name)
            if isinstance(mine, int) and isinstance(theirs, int):
                setattr(self, counter.name, mine + theirs)


@dataclass(frozen=True, slots=True)
class _Success:
    """A write QuickBooks carried out (or an object found to link to), to be stored."""

    key: RecordKey
    version: int | None  # the app version it carried; None: settled, not known
    entity: str
    result: Mapping[str, Any]  # the object as QuickBooks answered
    pushed: Mapping[str, Any] | None  # what was sent; None: keep what the link had
    kind: str  # the history entry: created, linked, updated, ...


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sync_company(
    ledger: Ledger, connection_id: str, *, holder: str | None = None, max_rounds: int = 20
) -> PassReport:
    report = PassReport()
    holder = holder or new_holder()
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
    if connection is None or connection.realm_id is None or connection.status != "active":
        report.stopped = "not_active"
        return report
    lease = f"connection:{connection_id}"
    with ledger.db.session() as session:
        if not Leases(session, clock=ledger.clock).acquire(lease, holder, LEASE):
            report.stopped = "busy"
            return report
    # from here on the lease is released on every path, whatever fails: a lease kept by a
    # failed pass would stop every other process from syncing the company for LEASE
    try:
        _run(ledger, connection, report, max_rounds)
    finally:
        with ledger.db.session() as session:
            Leases(session, clock=ledger.clock).release(lease, holder)
    return report


def _run(ledger: Ledger, connection: StoredConnection, report: PassReport, rounds: int) -> None:
    """The pass under the company's lease: the keys checked, the mirror freshened, then up to
    `rounds` rounds over the due records."""
    assert connection.realm_id is not None
    if not keys.tokens_open(ledger, connection.id):
        report.stopped = "keys_changed"
        return
    _freshen_mirror(ledger, connection)
    tokens = ConnectionTokens(ledger, connection.id, connection.environment)
    with ledger.client(connection.environment, connection.realm_id, tokens) as client:
        try:
            worker = _Pass(ledger, connection, client, report)
            for _ in range(rounds):
                if not worker.round():
                    break
        except _Stop as stop:
            report.stopped = stop.reason


def _freshen_mirror(ledger: Ledger, connection: StoredConnection) -> None:
    """Look-up before create, for a whole pass at once: when the mirror is older than
    MIRROR_FRESH and there is work, QuickBooks' changes are read first (one change-data-capture
    call), so something just created in QuickBooks is linked to, not created again."""
    now = ledger.clock()
    if connection.last_pull_at is not None and now - connection.last_pull_at < MIRROR_FRESH:
        return
    with ledger.db.session(readonly=True) as session:
        due = SyncStates(session).next_due_at(connection.id)
    if due is None or due > now:
        return
    from ledgerbridge.engine.pull import pull_company

    pull_company(ledger, connection.id)


class _Pass:
    def __init__(
        self, ledger: Ledger, connection: StoredConnection, client: QboClient, report: PassReport
    ) -> None:
        self.ledger = ledger
        self.connection = connection
        self.cid = connection.id
        self.client = client
        self.report = report
        # how the records, links and mirror look to the planner (shared with engine.dryrun)
        self.surroundings = Surroundings(connection)
        self._looked_up: set[RecordKey] = set()  # 6240 holders read from QuickBooks this pass
        self._released: set[RecordKey] = set()  # held records released for a dependent (Wait)
        # creates waiting to go out together: entity -> [(key, state, body, version)]
        self._queue: dict[str, list[tuple[RecordKey, StoredState, dict[str, Any], int]]] = {}

    # --- the round ------------------------------------------------------------------------------

    def round(self) -> bool:
        """Work every due record once; True when another round may make progress."""
        now = self.ledger.clock()
        with self.ledger.db.session(readonly=True) as session:
            due = SyncStates(session).due(self.cid, now)
            parents = self._customer_parents(session, due)
        if not due:
            return False
        self.surroundings.forget()  # what others did meanwhile is read again
        keys = [RecordKey(s.type, s.app_id) for s in due]  # type: ignore[arg-type]
        by_key = {RecordKey(s.type, s.app_id): s for s in due}  # type: ignore[arg-type]
        before = self.report.progressed
        for key in graph.depth_order(keys, parents):
            self._one(key, by_key[key])
        self._flush_all()
        return self.report.progressed > before

    def _customer_parents(
        self, session: Any, due: list[StoredState]
    ) -> dict[RecordKey, RecordKey | None]:
        parents: dict[RecordKey, RecordKey | None] = {}
        records = Records(session)
        for state in due:
            if state.type != "customer":
                continue
            stored = records.get(self.cid, "customer", state.app_id)
            parent = stored.data.get("parent_id") if stored else None
            parents[RecordKey("customer", state.app_id)] = (
                RecordKey("customer", parent) if parent and isinstance(parent, str) else None
            )
        return parents

    # --- one record -------------------------------------------------------------------------------

    def _one(self, key: RecordKey, state: StoredState) -> None:
        ledger = self.ledger
        with ledger.db.session(readonly=True) as session:
            situation, context = self._situation(session, key, state)
            if situation is None:
                return
            flush_first = self._waits_on_queue(situation)
            if not flush_first:
                step = planner.plan(
                    situation,
                    lambda record: self._preflight(session, key, record, context),
                    lambda record: mapping.to_quickbooks(key, record, self._refs(session)),
                )
        if flush_first:
            # a record it depends on is queued for a batch: send that first, then plan again
            self._flush_all()
            self._one(key, state)
            return
        if isinstance(step, planner.Create | planner.Update) and step.adjustments:
            self._adjusted(key, step.adjustments)
        if isinstance(step, planner.Create):
            entity = mapping.ENTITY[key.type]
            queue = self._queue.setdefault(entity, [])
            queue.append((key, state, step.body, int(context["version"])))
            if len(queue) == BATCH_SIZE:
                self._flush(entity)
            return
        if isinstance(step, planner.Settle) and ":" in step.pending.request_id:
            self._settle_batch(step.pending.request_id.split(":", 1)[0])
            return
        try:
            self._carry_out(key, state, situation, step, context)
        except (Disconnected, SubscriptionLapsed, Throttled) as exc:
            self._connection_level(exc, [key])
        except Unavailable as exc:
            self._retry_later(key, state, exc)

    def _situation(
        self, session: Any, key: RecordKey, state: StoredState
    ) -> tuple[planner.Situation | None, dict[str, Any]]:
        gathered = self.surroundings.situation(session, key, state)
        if gathered is None:
            return None, {}
        if isinstance(gathered, list):  # what the app sent no longer parses
            self._finish(key, "error", problem=gathered[0])
            return None, {}
        situation = gathered.situation
        context = {"link": gathered.link, "version": gathered.version, "record": situation.record}
        return situation, context

    def _refs(self, session: Any) -> mapping.Refs:
        return self.surroundings.refs(session)

    def _preflight(
        self, session: Any, key: RecordKey, record: Record, context: Mapping[str, Any]
    ) -> Verdict:
        return self.surroundings.preflight(session, key, record, context.get("link"))

    # --- batches of creates ------------------------------------------------------------------

    def _waits_on_queue(self, situation: planner.Situation) -> bool:
        if not self._queue:
            return False
        queued = {k for items in self._queue.values() for k, *_ in items}
        return any(d.key in queued for d in situation.dependencies)

    def _flush_all(self) -> None:
        for entity in list(self._queue):
            self._flush(entity)

    def _flush(self, entity: str) -> None:
        """Send up to 30 queued creates as one batch, each item's requestid stored first."""
        items = self._queue.pop(entity, [])
        if not items:
            return
        batch_id = uuid.uuid4().hex
        with self.ledger.db.session() as session:
            states = SyncStates(session, clock=self.ledger.clock)
            sent = []
            for index, (key, _, body, _) in enumerate(items):
                request_id = f"{batch_id}:{index}"
                states.start_write(self.cid, key.type, key.app_id, request_id, "create", body)
                sent.append(Happened(key.type, key.app_id, "create_sent", request_id=request_id))
            History(session, clock=self.ledger.clock).add_many(self.cid, sent)
        # committed: a lost answer is settled by replaying the whole batch under its requestid
        self._send_batch(
            entity,
            batch_id,
            [(index, key, body, version) for index, (key, _, body, version) in enumerate(items)],
            {key: state for key, state, _, _ in items},
        )

    def _settle_batch(self, batch_id: str) -> None:
        """Replay a batch whose answer was lost, under its own requestid: QuickBooks answers
        with what it did the first time, and every item is settled from that answer."""
        with self.ledger.db.session(readonly=True) as session:
            members = SyncStates(session).in_batch(self.cid, batch_id)
        members.sort(key=lambda m: int((m.pending_request_id or ":0").split(":", 1)[1]))
        if not members:
            return
        entity = mapping.ENTITY[members[0].type]  # type: ignore[index]
        items: list[tuple[int, RecordKey, dict[str, Any], int | None]] = []
        states = {}
        for member in members:
            key = RecordKey(member.type, member.app_id)  # type: ignore[arg-type]
            index = int((member.pending_request_id or ":0").split(":", 1)[1])
            # the item keeps its place (bId) of the first send: QuickBooks answers a replay with
            # its first answer, keyed by those bIds; settled writes are compared with the app's
            # current version afterwards
            items.append((index, key, dict(member.pending_body or {}), None))
            states[key] = member
        self._send_batch(entity, batch_id, items, states)

    def _send_batch(
        self,
        entity: str,
        batch_id: str,
        items: list[tuple[int, RecordKey, dict[str, Any], int | None]],
        states: Mapping[RecordKey, StoredState],
    ) -> None:
        try:
            self._take_rate(batch=True)
            results = self.client.batch(
                [BatchItem(f"b{index}", "create", entity, body) for index, _, body, _ in items],
                request_id=batch_id,
            )
        except (Disconnected, SubscriptionLapsed, Throttled) as exc:
            self._connection_level(exc, [key for _, key, _, _ in items])
            return
        except Unavailable as exc:
            for _, key, _, _ in items:
                self._retry_later(key, states[key], exc)
            return
        except Rejected as exc:  # the batch request itself was refused: each item says so
            for _, key, _, _ in items:
                self._rejected(key, entity, "create", exc)
            return
        created = []
        for (_, key, body, version), result in zip(items, results, strict=True):
            if result.fault is not None:
                self._rejected(key, entity, "create", result.fault)
            elif result.entity is not None:
                created.append(_Success(key, version, entity, result.entity, body, "created"))
        self._store_successes(created)
        self.report.created += len(created)

    # --- carrying a step out ---------------------------------------------------------------------

    def _carry_out(
        self,
        key: RecordKey,
        state: StoredState,
        situation: planner.Situation,
        step: planner.Step,
        context: Mapping[str, Any],
    ) -> None:
        version = int(context["version"])
        entity = mapping.ENTITY[key.type]
        if isinstance(step, planner.Nothing):
            if situation.bypassed:
                return
            if step.pushed is not None and context["link"] is not None:
                found = dataclasses.replace(context["link"], pushed=dict(step.pushed))
                with self.ledger.db.session() as session:
                    Links(session).put_many(self.cid, [found])
                self.surroundings.learned(key, found, None)
            self._finish(key, "synced", synced_version=version)
            self.report.unchanged += 1
        elif isinstance(step, planner.Keep):
            self._keep(key, state, step, version)
        elif isinstance(step, planner.Draft):
            waiting = (
                Problem(catalog.PAYMENT_NOT_POSTED, "posted", "not posted in the app yet", {})
                if key.type == "payment"
                else None
            )
            self._finish(key, "draft", problem=waiting)
        elif isinstance(step, planner.Wait):
            self.report.released += self._release_held(key, situation)
            # what waits for records released in this pass goes again in the next round, after
            # them (dependency order), instead of a while later
            soon = any(d.key in self._released for d in situation.dependencies)
            later = self.ledger.clock() + (timedelta(0) if soon else WAIT)
            self._finish(key, "pending", next_attempt_at=later, keep_pending=True)
            self.report.waiting += 1
        elif isinstance(step, planner.Block):
            self._finish(
                key, "blocked", problem=step.problem, blocked_by=(step.by.type, step.by.app_id)
            )
            self.report.blocked += 1
        elif isinstance(step, planner.Refuse):
            self._finish(key, "error", problem=step.problems[0])
            self.report.failed += 1
        elif isinstance(step, planner.Bypass):
            self._bypass(key, step.problem)
        elif isinstance(step, planner.LinkExisting):
            target = step.target
            # synced when it already holds what the record sends; otherwise planned once more,
            # to send what it lacks
            self._store_success(
                key,
                version if step.holds is not None else None,
                entity,
                dict(target.data) or {"Id": target.qbo_id, "SyncToken": target.sync_token},
                pushed=step.holds,
                kind="linked",
            )
            self.report.linked += 1
        elif isinstance(step, planner.Create):
            self._write(key, state, entity, "create", step.body, version)
        elif isinstance(step, planner.Update):
            link = context["link"]
            token = (
                _newest_token(link.sync_token, situation)
                if step.over_quickbooks
                else link.sync_token  # an edit in QuickBooks meanwhile: 5010, then compared
            )
            body = {**step.body, "Id": link.qbo_id, "SyncToken": token, "sparse": True}
            self._write(key, state, entity, "update", body, version, full=step.full)
        elif isinstance(step, planner.Remove):
            link = context["link"]
            if step.operation == "deactivate":
                body = {
                    "Id": link.qbo_id,
                    "SyncToken": link.sync_token,
                    "sparse": True,
                    "Active": False,
                }
                self._write(key, state, entity, "update", body, version, full=None)
            else:
                body = {"Id": link.qbo_id, "SyncToken": link.sync_token}
                self._write(key, state, entity, step.operation, body, version)
        elif isinstance(step, planner.Settle):
            pending = step.pending
            self._send(
                key,
                entity,
                pending.operation,
                dict(pending.body),
                pending.request_id,
                None,  # settled: re-checked against the app's current version afterwards
                full=None if pending.operation != "create" else dict(pending.body),
            )

    def _keep(self, key: RecordKey, state: StoredState, step: planner.Keep, version: int) -> None:
        """The connection keeps QuickBooks' changes (`quickbooks_changes: quickbooks_wins`): its
        values are remembered as kept, the app is told them, and the record is synced (or
        planned again, when the app changed other fields to send)."""
        problem = step.drift.problem
        with self.ledger.db.session() as session:
            links = Links(session)
            link = links.get(self.cid, key.type, key.app_id)
            seen = Mirror(session, self.cid).get(link.qbo_entity, link.qbo_id) if link else None
            if link is not None and seen is not None:  # the next write is not stale
                fresh = dataclasses.replace(link, sync_token=seen.sync_token)
                links.put_many(self.cid, [fresh])
                self.surroundings.learned(key, fresh, seen)
            states = SyncStates(session, clock=self.ledger.clock)
            current = states.get(self.cid, key.type, key.app_id)
            states.set_overrides(
                self.cid,
                key.type,
                key.app_id,
                overrides.with_kept(current.overrides or {} if current else {}, step.kept),
            )
            states.finish(
                self.cid,
                key.type,
                key.app_id,
                status="pending" if step.then_update else "synced",
                synced_version=None if step.then_update else version,
                next_attempt_at=self.ledger.clock() if step.then_update else None,
            )
            detail = {"by": "quickbooks_changes", **problem.params}
            History(session, clock=self.ledger.clock).add(
                self.cid, key.type, key.app_id, "quickbooks_kept", detail=detail
            )
            Events(session, clock=self.ledger.clock).append(
                self.cid,
                "record.quickbooks_kept",
                {"type": key.type, "id": key.app_id, **problem.params},
            )
        self.report.unchanged += 1

    def _release_held(self, key: RecordKey, situation: planner.Situation) -> int:
        """A record that is pushed never waits for a held one (auto_push leaves its type out):
        the held records it needs in QuickBooks first are released, their history naming it."""
        needed = [d.key for d in situation.dependencies if not d.linked and d.status == "pending"]
        if not needed:
            return 0
        released = 0
        with self.ledger.db.session() as session:
            states = SyncStates(session, clock=self.ledger.clock)
            history = History(session, clock=self.ledger.clock)
            for dependency in needed:
                state = states.get(self.cid, dependency.type, dependency.app_id)
                if state is not None and holding.release(
                    states, history, self.cid, state, by="dependency", needed_by=key
                ):
                    self._released.add(dependency)
                    released += 1
        return released

    def _write(
        self,
        key: RecordKey,
        state: StoredState,
        entity: str,
        operation: str,
        body: dict[str, Any],
        version: int,
        *,
        full: Mapping[str, Any] | None = None,
    ) -> None:
        request_id = uuid.uuid4().hex
        with self.ledger.db.session() as session:
            SyncStates(session, clock=self.ledger.clock).start_write(
                self.cid, key.type, key.app_id, request_id, operation, body
            )
            History(session, clock=self.ledger.clock).add(
                self.cid, key.type, key.app_id, f"{operation}_sent", request_id=request_id
            )
        # committed: a crash from here on is settled by replaying this requestid
        self._send(
            key,
            entity,
            operation,
            body,
            request_id,
            version,
            full=full if full is not None else body,
        )

    def _send(
        self,
        key: RecordKey,
        entity: str,
        operation: str,
        body: dict[str, Any],
        request_id: str,
        version: int | None,
        *,
        full: Mapping[str, Any] | None,
    ) -> None:
        self._take_rate()
        try:
            if operation == "create":
                result = self.client.create(entity, body, request_id=request_id)
            elif operation == "update":
                result = self.client.update(entity, body, request_id=request_id, sparse=True)
            elif operation == "delete":
                self.client.delete(entity, body["Id"], body["SyncToken"], request_id=request_id)
                result = None
            else:
                result = self.client.void(
                    entity, body["Id"], body["SyncToken"], request_id=request_id
                )
        except Rejected as exc:
            if exc.first.code == "5010" and operation == "update":
                self._stale(key, entity, body, version, full)
                return
            if exc.first.code == "610" and operation in ("delete", "void"):
                self._removed(key, version)
                return
            self._rejected(key, entity, operation, exc)
            return
        if operation in ("delete",) or result is None:
            self._removed(key, version)
            return
        pushed = dict(full) if full is not None else None
        if pushed is not None:
            pushed = {k: v for k, v in pushed.items() if k not in ("Id", "SyncToken", "sparse")}
        self._store_success(key, version, entity, result, pushed=pushed, kind=f"{operation}d")
        if operation == "create":
            self.report.created += 1
        elif operation == "void":
            self.report.removed += 1
        else:
            self.report.updated += 1

    def _stale(
        self,
        key: RecordKey,
        entity: str,
        body: dict[str, Any],
        version: int | None,
        full: Mapping[str, Any] | None,
    ) -> None:
        """5010: someone edited it in QuickBooks; re-read and re-apply only our changes, once."""
        current = self.client.read(entity, str(body["Id"]))
        if current is None:
            self._finish(
                key,
                "error",
                problem=Problem(
                    drift.DELETED_CODES.get(key.type, catalog.RECEIPT_STALE_REFERENCE),
                    None,
                    "deleted in QuickBooks",
                    {},
                ),
            )
            return
        with self.ledger.db.session(readonly=True) as session:
            link = Links(session).get(self.cid, key.type, key.app_id)
        clashes = conflicts.conflicts(body, link.pushed if link else None, current)
        if clashes and link is not None:
            self._conflict(key, entity, link, current, clashes)
            return
        retry = {**body, "SyncToken": current["SyncToken"]}
        request_id = uuid.uuid4().hex
        with self.ledger.db.session() as session:
            SyncStates(session).start_write(
                self.cid, key.type, key.app_id, request_id, "update", retry
            )
            History(session).add(
                self.cid, key.type, key.app_id, "stale_reapplied", request_id=request_id
            )
        try:
            result = self.client.update(entity, retry, request_id=request_id, sparse=True)
        except Rejected as exc:
            self._rejected(key, entity, "update", exc)
            return
        pushed = {k: v for k, v in (full or {}).items() if k not in ("Id", "SyncToken", "sparse")}
        self._store_success(key, version, entity, result, pushed=pushed or None, kind="updated")
        self.report.updated += 1

    def _conflict(
        self,
        key: RecordKey,
        entity: str,
        link: StoredLink,
        current: Mapping[str, Any],
        clashes: list[conflicts.Conflict],
    ) -> None:
        """Someone changed in QuickBooks a field we change too: shown, not overwritten. What
        QuickBooks holds becomes the last-known copy, so Retry sends ours over it knowingly."""
        first = clashes[0]
        known = dataclasses.replace(
            link,
            sync_token=str(current["SyncToken"]),
            doc_number=current.get("DocNumber"),
            pushed={**(link.pushed or {}), **{c.field: c.theirs for c in clashes}},
        )
        obj = MirrorObject.from_quickbooks(entity, current)
        with self.ledger.db.session() as session:
            Links(session).put_many(self.cid, [known])
            Mirror(session, self.cid, clock=self.ledger.clock).put(obj)
        self.surroundings.learned(key, known, obj)
        fields = ", ".join(c.field for c in clashes)
        self._finish(
            key,
            "error",
            problem=Problem(
                catalog.CUSTOMER_EDITED_CONCURRENTLY,
                None,
                f"{fields} changed in QuickBooks since the last push and in the app too",
                {
                    "quickbooks_field": first.field,
                    "quickbooks_value": conflicts.shown(first.theirs),
                    "app_value": conflicts.shown(first.ours),
                    "fields": fields,
                },
            ),
        )
        self.report.failed += 1

    def _removed(self, key: RecordKey, version: int | None) -> None:
        """Deleted in QuickBooks (by us, or gone already): unlinked, and gone from the mirror
        too, so no later look-up links a new record to it."""
        with self.ledger.db.session() as session:
            links = Links(session)
            gone = links.get(self.cid, key.type, key.app_id)
            if gone is not None:
                Mirror(session, self.cid, clock=self.ledger.clock).mark_deleted(
                    gone.qbo_entity, gone.qbo_id
                )
            links.remove(self.cid, key.type, key.app_id)
            SyncStates(session, clock=self.ledger.clock).finish(
                self.cid, key.type, key.app_id, status="synced", synced_version=version
            )
            History(session, clock=self.ledger.clock).add(self.cid, key.type, key.app_id, "removed")
        self.surroundings.learned(key, None, None)
        self.report.removed += 1

    # --- outcomes ---------------------------------------------------------------------------------

    def _store_success(
        self,
        key: RecordKey,
        version: int | None,
        entity: str,
        result: Mapping[str, Any],
        *,
        pushed: Mapping[str, Any] | None,
        kind: str,
    ) -> None:
        self._store_successes([_Success(key, version, entity, result, pushed, kind)])

    def _store_successes(self, successes: list[_Success]) -> None:
        """What QuickBooks did, stored in one transaction (a batch's creates together): the
        link, the object in the mirror, the record synced, its history and event."""
        stored: list[tuple[_Success, StoredLink, MirrorObject | None]] = []
        with self.ledger.db.session() as session:
            links = Links(session)
            states = SyncStates(session, clock=self.ledger.clock)
            for done in successes:
                key, result = done.key, done.result
                pushed = done.pushed
                if pushed is None:
                    previous = links.get(self.cid, key.type, key.app_id)
                    pushed = previous.pushed if previous else None
                link = StoredLink(
                    type=key.type,
                    app_id=key.app_id,
                    qbo_entity=done.entity,
                    qbo_id=str(result["Id"]),
                    sync_token=str(result.get("SyncToken", "0")),
                    doc_number=result.get("DocNumber"),
                    pushed=pushed,
                )
                whole = "Id" in result and len(result) > 2  # more than a bare reference
                stored.append(
                    (
                        done,
                        link,
                        MirrorObject.from_quickbooks(done.entity, result) if whole else None,
                    )
                )
                # a settled write (version None): which app version it carried is not known,
                # so the record is compared with the app's current version once more
                settled = done.version is None
                states.finish(
                    self.cid,
                    key.type,
                    key.app_id,
                    status="pending" if settled else "synced",
                    synced_version=done.version,
                    next_attempt_at=self.ledger.clock() if settled else None,
                    attempts=0,
                )
            links.put_many(self.cid, [link for _, link, _ in stored])
            Mirror(session, self.cid, clock=self.ledger.clock).put_many(
                obj for _, _, obj in stored if obj is not None
            )
            states.release_blocked_many(
                self.cid, [(d.key.type, d.key.app_id) for d in successes if d.version is not None]
            )
            History(session, clock=self.ledger.clock).add_many(
                self.cid,
                [
                    Happened(
                        d.key.type,
                        d.key.app_id,
                        d.kind,
                        detail={"quickbooks_id": link.qbo_id, "sync_token": link.sync_token},
                    )
                    for d, link, _ in stored
                ],
            )
            Events(session, clock=self.ledger.clock).append_many(
                self.cid,
                [
                    (
                        "record.synced",
                        {
                            "type": d.key.type,
                            "id": d.key.app_id,
                            "quickbooks_id": link.qbo_id,
                            "quickbooks_number": d.result.get("DocNumber"),
                            "how": d.kind,
                        },
                    )
                    for d, link, _ in stored
                ],
            )
        for done, link, obj in stored:
            self.surroundings.learned(done.key, link, obj)

    def _finish(
        self,
        key: RecordKey,
        status: str,
        *,
        problem: Problem | None = None,
        blocked_by: tuple[str, str] | None = None,
        synced_version: int | None = None,
        next_attempt_at: datetime | None = None,
        keep_pending: bool = False,
    ) -> None:
        with self.ledger.db.session() as session:
            states = SyncStates(session, clock=self.ledger.clock)
            before = states.get(self.cid, key.type, key.app_id)
            states.finish(
                self.cid,
                key.type,
                key.app_id,
                status=status,
                problem=problem.to_json() if problem else None,
                blocked_by=blocked_by,
                synced_version=synced_version,
                next_attempt_at=next_attempt_at,
                keep_pending=keep_pending,
            )
            if status == "synced":
                states.release_blocked(self.cid, (key.type, key.app_id))
            changed = (
                before is None
                or before.status != status
                or (problem is not None and (before.problem or {}).get("code") != problem.code)
            )
            if changed and status in ("error", "blocked"):
                History(session, clock=self.ledger.clock).add(
                    self.cid,
                    key.type,
                    key.app_id,
                    status,
                    detail=problem.to_json() if problem else None,
                )
                Events(session, clock=self.ledger.clock).append(
                    self.cid,
                    f"record.{'failed' if status == 'error' else 'blocked'}",
                    {"type": key.type, "id": key.app_id, "code": problem.code if problem else None},
                )

    def _adjusted(self, key: RecordKey, adjustments: tuple[Problem, ...]) -> None:
        """A policy changed what goes to QuickBooks (a date moved to the open period, a name
        differentiated): the app is told, once per change, before it is sent."""
        with self.ledger.db.session() as session:
            history = History(session, clock=self.ledger.clock)
            told = {
                (h["detail"] or {}).get("code")
                for h in history.of(self.cid, key.type, key.app_id)
                if h["kind"] == "adjusted"
            }
            for adjustment in adjustments:
                if adjustment.code in told:
                    continue
                history.add(self.cid, key.type, key.app_id, "adjusted", detail=adjustment.to_json())
                Events(session, clock=self.ledger.clock).append(
                    self.cid,
                    "record.adjusted",
                    {
                        "type": key.type,
                        "id": key.app_id,
                        "code": adjustment.code,
                        "field": adjustment.field,
                        "message": adjustment.message,
                        **adjustment.params,
                    },
                )

    def _bypass(self, key: RecordKey, problem: Problem) -> None:
        with self.ledger.db.session() as session:
            SyncStates(session, clock=self.ledger.clock).finish(
                self.cid, key.type, key.app_id, status="bypassed", problem=problem.to_json()
            )
            History(session, clock=self.ledger.clock).add(
                self.cid, key.type, key.app_id, "bypassed", detail=problem.to_json()
            )
            Events(session, clock=self.ledger.clock).append(
                self.cid,
                "payment.bypassed",
                {"type": key.type, "id": key.app_id, "code": problem.code, **problem.params},
            )
        self.report.blocked += 1

    def _rejected(self, key: RecordKey, entity: str, operation: str, exc: Rejected) -> None:
        fault = exc.first
        result = classify.classify(
            fault,
            classify.FaultContext(entity=entity, operation=operation, record_type=key.type),  # type: ignore[arg-type]
        )
        code = result.code
        if code in _NAME_TAKEN and operation == "create" and self._look_up_holder(key):
            # someone created it in QuickBooks since the last pull: now that the mirror knows
            # the holder, preflight decides at once (linked on its email or SKU, or a problem
            # naming it)
            self._finish(key, "pending", next_attempt_at=self.ledger.clock())
            self.report.looked_up += 1
            return
        if code in (catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS, catalog.VENDOR_EXISTS_IN_QUICKBOOKS):
            code = self._name_holder_code(key, code)
        params = {**result.params, "quickbooks_code": fault.code}
        self._finish(
            key,
            "error",
            problem=Problem(code, fault.element, fault.detail or fault.message, params),
        )
        self.report.failed += 1

    def _look_up_holder(self, key: RecordKey) -> bool:
        """6240 on a create: read who holds the name from QuickBooks into the mirror; True when
        the mirror did not know the holder (worth planning the record again), once a pass."""
        if key in self._looked_up:
            return False
        self._looked_up.add(key)
        with self.ledger.db.session(readonly=True) as session:
            stored = Records(session).get(self.cid, key.type, key.app_id)
            state = SyncStates(session).get(self.cid, key.type, key.app_id)
            data = (
                overrides.apply(stored.data, state.overrides if state else None) if stored else {}
            )
        record = parse_record(key.type, data) if stored else None
        entities: tuple[str, ...]
        if isinstance(record, Customer | Vendor):
            name, entities = display_name(record), PERSON_ENTITIES
        elif isinstance(record, Item):
            name, entities = record.name, ("Item",)
        else:
            return False
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        found: list[tuple[str, dict[str, Any]]] = []
        for entity in entities:
            field = "Name" if entity == "Item" else "DisplayName"
            try:
                rows = self.client.query(
                    f"SELECT * FROM {entity} WHERE {field} = '{quoted}' AND Active IN (true, false)"
                )
            except Rejected:
                continue
            found += [(entity, row) for row in rows]
        with self.ledger.db.session() as session:
            mirror = Mirror(session, self.cid, clock=self.ledger.clock)
            new = [(e, row) for e, row in found if mirror.get(e, str(row["Id"])) is None]
            for entity, row in found:
                mirror.put(MirrorObject.from_quickbooks(entity, row))
        self.surroundings.forget()  # objects it knew may have changed
        return bool(new)

    def _name_holder_code(self, key: RecordKey, code: str) -> str:
        """6240 says only "the name is taken": the mirror tells by whom."""
        with self.ledger.db.session(readonly=True) as session:
            stored = Records(session).get(self.cid, key.type, key.app_id)
            record = parse_record(key.type, stored.data) if stored else None
            if not isinstance(record, Customer | Vendor):
                return code
            holder = Mirror(session, self.cid).person_named(display_name(record))
        own = "Customer" if key.type == "customer" else "Vendor"
        if holder is not None and holder.entity != own:
            return (
                catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE
                if key.type == "customer"
                else catalog.VENDOR_NAME_USED_BY_OTHER_TYPE
            )
        return code

    def _retry_later(self, key: RecordKey, state: StoredState, exc: Unavailable) -> None:
        attempts = state.attempts + 1
        when = BACKOFF.next_attempt(self.ledger.clock(), attempts)
        with self.ledger.db.session() as session:
            SyncStates(session, clock=self.ledger.clock).finish(
                self.cid,
                key.type,
                key.app_id,
                status="pending",
                problem=Problem(
                    catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE, None, str(exc), {}
                ).to_json(),
                next_attempt_at=when,
                attempts=attempts,
                keep_pending=True,
            )
            History(session, clock=self.ledger.clock).add(
                self.cid,
                key.type,
                key.app_id,
                "unavailable",
                detail={"ambiguous": exc.ambiguous, "retry_at": when.isoformat()},
            )

    def _connection_level(self, exc: QuickBooksError, keys: list[RecordKey]) -> None:
        """Stop the pass: the company waits (throttled) or changes status; its records stay
        pending. A write refused for a lapsed subscription (6190) was not applied, so its
        stored requestid is dropped: replaying it would only repeat the refusal."""
        now = self.ledger.clock()
        with self.ledger.db.session() as session:
            states = SyncStates(session, clock=self.ledger.clock)
            connections = Connections(session)
            if isinstance(exc, Throttled):
                states.delay_all(self.cid, throttled_until(now, exc.retry_after))
                raise _Stop("throttled")
            if isinstance(exc, SubscriptionLapsed):
                for key in keys:
                    states.finish(self.cid, key.type, key.app_id, status="pending")
            status = "disconnected" if isinstance(exc, Disconnected) else "suspended"
            connections.set_status(self.cid, status)
            Events(session, clock=self.ledger.clock).append(
                self.cid, "connection.status_changed", {"status": status}
            )
        raise _Stop(status)

    def _take_rate(self, *, batch: bool = False) -> None:
        """QuickBooks' limits for one company, counted for every process: 500 requests and 40
        batch requests a minute (`ledger.rate_limits`). Over them, the company waits for the
        next minute."""
        realm = self.connection.realm_id or ""
        limits = self.ledger.rate_limits
        with self.ledger.db.session() as session:
            wait = RateWindows(session, clock=self.ledger.clock).take(
                realm,
                limit=limits.requests_per_minute,
                batch=batch,
                batch_limit=limits.batches_per_minute,
            )
            if wait > 0:
                SyncStates(session).delay_all(
                    self.cid, self.ledger.clock() + timedelta(seconds=wait)
                )
        if wait > 0:
            raise _Stop("rate_limited")


def preview(
    ledger: Ledger,
    connection: StoredConnection,
    key: RecordKey,
    *,
    name_conflicts: Literal["ask", "differentiate", "link_on_email"] | None = None,
) -> tuple[Record, Verdict] | None:
    """What preflight says of one record now (None: deleted or not a valid record), optionally
    under another name-conflict policy. Reads only; calls nobody."""
    surroundings = Surroundings(connection)
    if name_conflicts is not None:
        surroundings.policies = dataclasses.replace(
            surroundings.policies, name_conflicts=name_conflicts
        )
    with ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(connection.id, key.type, key.app_id)
        stored = Records(session).get(connection.id, key.type, key.app_id)
        if state is None or stored is None or stored.deleted:
            return None
        parsed = parse_record(key.type, overrides.apply(stored.data, state.overrides))
        if isinstance(parsed, list):
            return None
        link = Links(session).get(connection.id, key.type, key.app_id)
        return parsed, surroundings.preflight(session, key, parsed, link)


_NAME_TAKEN = (
    catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
    catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
    catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE,
    catalog.VENDOR_NAME_USED_BY_OTHER_TYPE,
)


def _newest_token(ours: str, situation: planner.Situation) -> str:
    """The SyncToken of the QuickBooks copy the planner compared the record with, when a
    person's edit there moved it on and the update was decided knowing that edit (sending the
    app's values over it is the point); else the link's."""
    held = situation.link.held if situation.link is not None else None
    seen = held.current.sync_token if held is not None and held.current is not None else None
    try:
        return seen if seen is not None and int(seen) > int(ours) else ours
    except ValueError:
        return ours


def new_holder() -> str:
    return f"worker-{secrets.token_hex(4)}"
