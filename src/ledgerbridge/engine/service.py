"""The application layer: what the HTTP API, the CLI and the dashboard ask of ledgerbridge.

Every method takes the caller's API key id and only sees that key's connections. Record
changes and the sync work they cause are committed together; `wake(connection_id)` then tells
the dispatcher there is work (a lost wake-up only delays it: due work is derived from the
sync state).

`defer_in(session, connection_id)`, when set (PostgreSQL: `dispatch.jobs.defer_sync_in`), is
called inside the transaction of `put_record`, `put_records`, `delete_record`, `action` and
`request_sync`, so the sync job commits with the record change, or not at all; those methods
then do not call `wake`. It must absorb "a job is already waiting" itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters import delivery
from ledgerbridge.core import text
from ledgerbridge.core.preflight import limits
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import (
    RECORD_TYPES,
    Incoming,
    RecordKey,
    id_refused,
    parse_record,
    record_to_json,
)
from ledgerbridge.core.status import Status
from ledgerbridge.crypto import CipherError
from ledgerbridge.engine import actions, connecting, holding, notify, recheck, verify, waiting
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.errors import Invalid, NotFound
from ledgerbridge.engine.ports import Ledger, OnlineLedger
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.views import ConnectionView, ProblemView, RecordView
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Page, Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates
from ledgerbridge.storage.tokens import Tokens

ENVIRONMENTS = ("emulator", "sandbox", "production")
PUT_MANY = 1000  # records at most in one put_records
SETTINGS = {
    "name_conflicts": ("ask", "differentiate", "link_on_email"),
    "numbering": ("app", "quickbooks", "prefix"),
    "closed_periods": ("error", "move_to_open_day"),
    "quickbooks_changes": ("ask", "app_wins", "quickbooks_wins"),
}
DEFAULT_SETTINGS: dict[str, Any] = {
    "name_conflicts": "ask",
    "numbering": "app",
    "number_prefix": "",
    "number_start": None,
    "closed_periods": "error",
    "quickbooks_changes": "ask",
    "customer_email_required": False,
    "auto_push": list(RECORD_TYPES),
    "field_limit_margin": limits.DEFAULT_MARGIN,
}
MAX_MARGIN = 1000  # percent: field_limit_margin at most


@dataclass
class Resync:
    """What a bulk resync did: records queued, and those left as they are (with the reason)."""

    queued: int = 0
    left: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"queued": self.queued, "left": list(self.left)}


@dataclass(frozen=True)
class ActionResult:
    action: str
    summary: str
    detail: dict[str, Any]
    record: RecordView

    def to_json(self) -> dict[str, Any]:
        """The record as `GET` shows it, with what the action did under `result`."""
        return {
            **self.record.to_json(),
            "result": {"action": self.action, "summary": self.summary, "detail": self.detail},
        }


def _invalid(field: str, message: str) -> Invalid:
    return Invalid([Problem("input.invalid", field, message)])


def _canonical(
    record_type: str, app_id: str, data: Mapping[str, Any], settings: Mapping[str, Any]
) -> dict[str, Any]:
    """The record as stored, or Invalid naming the fields to correct: an id outside the
    grammar (`core.records.id_refused`), what does not parse (text that is not text included),
    and a text so far over its QuickBooks limit (the connection's `field_limit_margin`) that
    it could only ever fail."""
    why = id_refused(app_id)
    if why is not None:
        raise _invalid("id", why)
    parsed = parse_record(record_type, data)
    if isinstance(parsed, list):
        raise Invalid(parsed)
    margin = settings.get("field_limit_margin", limits.DEFAULT_MARGIN)
    too_long = limits.beyond_margin(parsed, margin)
    if too_long:
        raise Invalid(too_long)
    return record_to_json(parsed)


def _text_field(field: str, value: object, *, what: str = "") -> None:
    """Invalid naming `field` when `value` is a string that is not text (`core.text`)."""
    if isinstance(value, str):
        why = text.refused(value) or text.too_large(value)
        if why is not None:
            raise _invalid(field, f"{what or field} {why}")


def _app_id(app_id: str) -> None:
    """A record id read from a path or a form: text, or Invalid naming `id` (the grammar is
    asked only where an id enters, so a record stored before it stays reachable)."""
    _text_field("id", app_id, what="the record id")


def _duplicates(records: Sequence[Incoming]) -> list[Problem]:
    """Every position of a (type, id) sent more than once in one request: which copy would win
    is not for the server to guess."""
    positions: dict[tuple[str, str], list[int]] = {}
    for index, incoming in enumerate(records):
        positions.setdefault((incoming.type, incoming.id), []).append(index)
    found: list[tuple[int, Problem]] = []
    for (record_type, app_id), where in positions.items():
        if len(where) < 2:
            continue
        named = ", ".join(f"records[{index}]" for index in where)
        for index in where:
            found.append(
                (
                    index,
                    Problem(
                        "input.invalid",
                        f"records[{index}].id",
                        f"{record_type} {app_id!a} is sent {len(where)} times ({named}); send each "
                        "record once",
                        {"positions": named},
                    ),
                )
            )
    return [problem for _, problem in sorted(found, key=lambda pair: pair[0])]


@dataclass(frozen=True)
class Received:
    """What `put_records` did with one record: stored (its version; held when auto_push leaves
    its type out) or refused (its problems; nothing stored)."""

    type: str
    id: str
    version: int | None = None
    held: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def stored(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        if self.problems:
            return {
                "type": self.type,
                "id": self.id,
                "stored": False,
                "problems": [problem.to_json() for problem in self.problems],
            }
        return {
            "type": self.type,
            "id": self.id,
            "stored": True,
            "version": self.version,
            "held": self.held,
        }


@dataclass
class Service:
    ledger: OnlineLedger
    wake: Callable[[str], None] = lambda connection_id: None
    wake_pull: Callable[[str], None] = lambda connection_id: None
    # dispatch.jobs: a sync job deferred inside the record change's transaction (see above)
    defer_in: Callable[[Session, str], object] | None = None

    def _changed(self, session: Session, connection_id: str) -> None:
        """Inside the transaction of a record change: its sync job, if jobs are wired."""
        if self.defer_in is not None:
            self.defer_in(session, connection_id)

    def _wake_after_change(self, connection_id: str) -> None:
        """After the commit: a wake-up. With jobs, the one deferred in the transaction may have
        been a no-op: a job already waiting holds the company's queueing lock, and that job
        may start before this change commits and find nothing due. A deferral after the commit
        closes the gap (a no-op in turn when a job still waits, which then sees the change)."""
        self.wake(connection_id)

    # --- keys ---------------------------------------------------------------------------------

    def create_key(self, name: str) -> tuple[str, str]:
        with self.ledger.db.session() as session:
            return ApiKeys(session).create(name)

    def authenticate(self, secret: str) -> str | None:
        with self.ledger.db.session(readonly=True) as session:
            return ApiKeys(session).authenticate(secret)

    # --- connections ----------------------------------------------------------------------------

    def _connection(self, session: Any, key_id: str, connection_id: str) -> StoredConnection:
        found = Connections(session).get(connection_id, key_id)
        if found is None:
            raise NotFound(f"connection {connection_id}")
        return found

    def _view(self, session: Any, connection: StoredConnection) -> ConnectionView:
        return ConnectionView(
            id=connection.id,
            name=connection.name,
            environment=connection.environment,
            status=connection.status,
            realm_id=connection.realm_id,
            company_name=connection.company_name,
            counts=SyncStates(session).counts(connection.id),
            last_pull_at=connection.last_pull_at.isoformat() if connection.last_pull_at else None,
            settings={
                **DEFAULT_SETTINGS,
                **connection.settings,
                "events_secret": self._events_secret(session, connection),
            },
            problem=ProblemView.of(connection.problem) if connection.problem else None,
        )

    def _check_events_url(self, settings: Mapping[str, Any]) -> None:
        """An events_url must be https to a public address (http and other addresses only to
        hosts the operator allows): its name is resolved now, and again at every delivery."""
        url = settings.get("events_url")
        if url is None:
            return
        reason = delivery.check(url, self.ledger.settings.events_allow_http_hosts)
        if reason is not None:
            raise _invalid("settings.events_url", f"events_url {reason}")

    def _events_secret(self, session: Session, connection: StoredConnection) -> str | None:
        """Shown to the connection's owner in its settings; None when this server's keys
        cannot decrypt it (the connection's problem then says why)."""
        try:
            return notify.events_secret(self.ledger, session, connection)
        except CipherError:
            return None

    def create_connection(
        self, key_id: str, name: str, environment: str, settings: Mapping[str, Any] | None = None
    ) -> ConnectionView:
        if not name or not name.strip():
            raise _invalid("name", "name is required")
        _text_field("name", name)
        if environment not in ENVIRONMENTS:
            raise _invalid("environment", f"environment must be one of {', '.join(ENVIRONMENTS)}")
        checked = validate_settings(settings or {})
        self._check_events_url(checked)
        with self.ledger.db.session() as session:
            stored = Connections(session).create(key_id, name.strip(), environment, checked)
            notify.new_events_secret(self.ledger, session, stored.id)
            return self._view(session, stored)

    def connections(self, key_id: str) -> list[ConnectionView]:
        with self.ledger.db.session(readonly=True) as session:
            return [self._view(session, c) for c in Connections(session).list(key_id)]

    def connection(self, key_id: str, connection_id: str) -> ConnectionView:
        with self.ledger.db.session(readonly=True) as session:
            return self._view(session, self._connection(session, key_id, connection_id))

    def update_settings(
        self, key_id: str, connection_id: str, patch: Mapping[str, Any]
    ) -> ConnectionView:
        checked = validate_settings(patch)
        self._check_events_url(checked)
        released = 0
        with self.ledger.db.session() as session:
            current = self._connection(session, key_id, connection_id)
            merged = {**current.settings, **checked}
            notify.seal_plain_secret(self.ledger, session, connection_id, merged)
            Connections(session).set_settings(connection_id, merged)
            if "auto_push" in checked:
                released = self._release_types(session, connection_id, checked["auto_push"])
            before = {**DEFAULT_SETTINGS, **current.settings}
            waiting_for = waiting.for_settings(before, checked)
            if waiting_for:
                found = waiting.release(
                    session, connection_id, waiting_for, by="settings", clock=self.ledger.clock
                )
                if found:
                    self._changed(session, connection_id)
                released += len(found)
            view = self._view(session, self._connection(session, key_id, connection_id))
        if released:
            self._wake_after_change(connection_id)
        return view

    def _release_types(self, session: Session, connection_id: str, types: list[str]) -> int:
        """auto_push takes these types in: their held records are due now."""
        states, history = SyncStates(session), History(session)
        released = 0
        for record_type in dict.fromkeys(types):
            for state in states.all(connection_id, record_type=record_type, held=True):
                released += holding.release(states, history, connection_id, state, by="settings")
        if released:
            self._changed(session, connection_id)
        return released

    def mappings(self, key_id: str, connection_id: str) -> dict[str, Any]:
        with self.ledger.db.session(readonly=True) as session:
            return dict(self._connection(session, key_id, connection_id).mappings)

    def set_mappings(
        self, key_id: str, connection_id: str, mappings: Mapping[str, Any]
    ) -> dict[str, Any]:
        for section, values in mappings.items():
            if section not in ("tax_rates", "payment_methods", "accounts", "classes"):
                raise _invalid(
                    section, "mappings hold tax_rates, payment_methods, accounts, classes"
                )
            if not isinstance(values, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in values.items()
            ):
                raise _invalid(section, f"{section} maps app values to QuickBooks ids (strings)")
            for key, value in values.items():
                shown = json.dumps(key)[:60]  # escaped: the answer never quotes it raw
                _text_field(section, key, what=f"the app value {shown}")
                _text_field(section, value, what=f"the QuickBooks id of {shown}")
        with self.ledger.db.session() as session:
            before = self._connection(session, key_id, connection_id).mappings
            Connections(session).set_mappings(connection_id, dict(mappings))
            found = waiting.release(
                session,
                connection_id,
                waiting.for_mappings(before, mappings),
                by="mapping",
                clock=self.ledger.clock,
            )
            if found:
                self._changed(session, connection_id)
        self.wake(connection_id)
        return dict(mappings)

    # --- connecting a company (engine.connecting says what guards a sign-in) ------------------

    def begin_connect(self, key_id: str, connection_id: str) -> connecting.Consent:
        """A sign-in bound to the browser that will keep `binding` in its cookie.
        `ValueError` when the environment has no QuickBooks app."""
        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
        return connecting.begin(self.ledger, connection, bind=True)

    def connect_link(self, key_id: str, connection_id: str) -> str:
        """A link for a script or the CLI to hand to the person's browser: it opens once and
        binds the sign-in to the browser that opened it (`/v1/oauth/start`)."""
        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
        consent = connecting.begin(self.ledger, connection, bind=False)
        return connecting.start_link(self.ledger, connection.environment, consent.state)

    def bind_connect(self, state: str) -> connecting.Consent | None:
        """A browser opening a link of `connect_link`: None when it is unknown, expired or was
        opened before."""
        return connecting.bind(self.ledger, state)

    def complete_connect(
        self, state: str, code: str, realm_id: str, binding: str
    ) -> ConnectionView:
        """The OAuth callback, from the browser holding `binding`: tokens stored encrypted for
        the company the grant proves. `Invalid` naming `state` or `realmId` when nothing was
        stored; `QuickBooksError` when Intuit refused the code."""
        try:
            taken = connecting.complete(self.ledger, state, code, realm_id, binding)
        except connecting.NotSignedIn as refused:
            raise _invalid(refused.field, refused.message) from None
        with self.ledger.db.session(readonly=True) as session:
            connection = Connections(session).get_unscoped(taken.connection_id)
            assert connection is not None
            view = self._view(session, connection)
        self.wake_pull(taken.connection_id)
        self.wake(taken.connection_id)
        return view

    def disconnect(self, key_id: str, connection_id: str) -> ConnectionView:
        with self.ledger.db.session() as session:
            self._connection(session, key_id, connection_id)
            Tokens(session).remove(connection_id)
            Connections(session).set_status(connection_id, "disconnected")
            return self._view(session, self._connection(session, key_id, connection_id))

    def check_connection(self, key_id: str, connection_id: str) -> ConnectionView:
        """A suspended connection's Retry: QuickBooks is asked again; active again on success
        (its backlog drains by itself)."""
        from ledgerbridge.engine.health import check_connection

        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
        if check_connection(self.ledger, connection_id) == "active":
            self.wake(connection_id)
        return self.connection(key_id, connection_id)

    def start_fresh(self, key_id: str, connection_id: str, actor: str) -> ConnectionView:
        """After connection.wrong_company, when the move to another company is meant: every
        link and the mirror of the old company are forgotten, the records wait (pending), and
        the next connect may pick any company; records are then matched against it."""
        with self.ledger.db.session() as session:
            connection = self._connection(session, key_id, connection_id)
            if connection.status not in ("wrong_company", "disconnected", "not_connected"):
                raise _invalid(
                    "action",
                    f"starting fresh is for a connection to the wrong company, not an "
                    f"{connection.status} one: disconnect it first",
                )
            unlinked = Links(session).remove_all(connection_id)
            Mirror(session, connection_id).forget()
            Tokens(session).remove(connection_id)
            connections = Connections(session)
            connections.forget_company(connection_id)
            connections.set_status(connection_id, "not_connected")
            states = SyncStates(session)
            for state in states.all(connection_id):
                states.unsync(connection_id, state.type, state.app_id)
                if state.status != Status.BYPASSED:
                    states.want(connection_id, state.type, state.app_id, state.desired_version)
            Audit(session).add(
                connection_id,
                actor,
                "start_fresh",
                before={"realm_id": connection.realm_id, "status": connection.status},
                after={"realm_id": None, "status": "not_connected", "unlinked": unlinked},
            )
            Events(session).append(
                connection_id,
                "connection.status_changed",
                {"status": "not_connected", "reason": "start_fresh", "unlinked": unlinked},
            )
            return self._view(session, self._connection(session, key_id, connection_id))

    # --- records --------------------------------------------------------------------------------

    def put_record(
        self,
        key_id: str,
        connection_id: str,
        record_type: str,
        app_id: str,
        data: Mapping[str, Any],
    ) -> RecordView:
        if record_type not in RECORD_TYPES:
            raise NotFound(f"record type {record_type}")
        with self.ledger.db.session() as session:
            connection = self._connection(session, key_id, connection_id)
            canonical = _canonical(record_type, app_id, data, connection.settings)
            _, hold, queued = self._receive(session, connection, record_type, app_id, canonical)
            if queued:
                self._changed(session, connection_id)
        if not hold:
            self._wake_after_change(connection_id)
        return self.record(key_id, connection_id, record_type, app_id)

    def put_records(
        self, key_id: str, connection_id: str, records: Sequence[Incoming]
    ) -> list[Received]:
        """Many records in one transaction, at most PUT_MANY: each is stored as `put_record`
        stores one, and one that does not parse is refused alone, with its problems (the
        others are stored all the same). One answer per record, in order. The same record
        (type and id) twice is Invalid, naming every position, and nothing is stored."""
        if len(records) > PUT_MANY:
            raise _invalid("records", f"at most {PUT_MANY} records at a time")
        duplicates = _duplicates(records)
        if duplicates:
            raise Invalid(duplicates)
        answers: list[Received] = []
        woken = queued = False
        with self.ledger.db.session() as session:
            connection = self._connection(session, key_id, connection_id)
            for incoming in records:
                record_type, app_id = incoming.type, incoming.id
                try:
                    if record_type not in RECORD_TYPES:
                        raise _invalid("type", f"unknown record type {record_type!r}")
                    canonical = _canonical(record_type, app_id, incoming.data, connection.settings)
                except Invalid as refused:
                    answers.append(Received(record_type, app_id, problems=tuple(refused.problems)))
                    continue
                version, hold, changed = self._receive(
                    session, connection, record_type, app_id, canonical
                )
                answers.append(Received(record_type, app_id, version=version, held=hold))
                woken, queued = woken or not hold, queued or changed
            if queued:
                self._changed(session, connection_id)  # one sync job for them all
        if woken:
            self._wake_after_change(connection_id)
        return answers

    def _receive(
        self,
        session: Session,
        connection: StoredConnection,
        record_type: str,
        app_id: str,
        canonical: Mapping[str, Any],
    ) -> tuple[int, bool, bool]:
        """Store a checked record and, when it changed, its sync work: (version, held, queued:
        there is sync work for the caller to defer in the transaction)."""
        connection_id = connection.id
        hold = not holding.auto_pushed(connection.settings, record_type)
        version = Records(session).upsert(connection_id, record_type, app_id, canonical)
        states = SyncStates(session)
        state = states.get(connection_id, record_type, app_id)
        if state is not None and state.desired_version == version:
            return version, hold, False
        states.want(connection_id, record_type, app_id, version, hold=hold, current=state)
        History(session).add(
            connection_id, record_type, app_id, "received", detail={"version": version}
        )
        key = RecordKey(record_type, app_id)  # type: ignore[arg-type]
        self._note_held(session, connection_id, key, state, hold)
        return version, hold, not hold

    @staticmethod
    def _note_held(
        session: Session, connection_id: str, key: RecordKey, before: StoredState | None, hold: bool
    ) -> None:
        """A held record's history says so, once, when it starts waiting."""
        if hold and (before is None or not before.held):
            holding.note_held(History(session), connection_id, key)

    def delete_record(
        self, key_id: str, connection_id: str, record_type: str, app_id: str
    ) -> RecordView:
        _app_id(app_id)
        with self.ledger.db.session() as session:
            connection = self._connection(session, key_id, connection_id)
            version = Records(session).mark_deleted(connection_id, record_type, app_id)
            if version is None:
                raise NotFound(f"{record_type} {app_id}")
            # only what is in QuickBooks has a removal to push; anything else settles locally
            hold = not holding.auto_pushed(connection.settings, record_type) and (
                Links(session).get(connection_id, record_type, app_id) is not None
            )
            states = SyncStates(session)
            before = states.get(connection_id, record_type, app_id)
            states.want(connection_id, record_type, app_id, version, hold=hold)
            History(session).add(connection_id, record_type, app_id, "deleted_in_app")
            key = RecordKey(record_type, app_id)  # type: ignore[arg-type]
            self._note_held(session, connection_id, key, before, hold)
            if not hold:
                self._changed(session, connection_id)
        if not hold:
            self._wake_after_change(connection_id)
        return self.record(key_id, connection_id, record_type, app_id)

    def record(self, key_id: str, connection_id: str, record_type: str, app_id: str) -> RecordView:
        _app_id(app_id)
        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
            return record_view(self.ledger, session, connection, record_type, app_id)

    def still_pending(self, key_id: str, connection_id: str, record_type: str, app_id: str) -> bool:
        """Whether a `?wait=` on the record has something left to wait for: it is pending and
        due (not held back by auto_push). One small query, asked again and again by a wait."""
        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
            state = SyncStates(session).get(connection_id, record_type, app_id)
        return state is None or (state.status == Status.PENDING and not state.held)

    def records(
        self,
        key_id: str,
        connection_id: str,
        *,
        status: str | None = None,
        record_type: str | None = None,
        code: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[RecordView]:
        """The sync log; `q` keeps records whose id, name or number contains it."""
        for name, value in (("q", q), ("code", code), ("status", status), ("cursor", cursor)):
            _text_field(name, value)  # whichever edge asked: API, dashboard or CLI
        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
            page = Records(session).list(
                connection_id,
                status=status,
                type=record_type,
                code=code,
                q=q,
                cursor=cursor,
                limit=limit,
            )
            items = [
                record_view(self.ledger, session, connection, r.type, r.app_id, history=False)
                for r in page.items
            ]
            return Page(items, page.next_cursor)

    def events(
        self, key_id: str, connection_id: str, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
            return [
                {
                    "id": e.id,
                    "type": e.type,
                    "payload": dict(e.payload),
                    "created_at": e.created_at.isoformat(),
                }
                for e in Events(session).list_after(connection_id, after, limit)
            ]

    # --- actions ----------------------------------------------------------------------------------

    def action(
        self,
        key_id: str,
        connection_id: str,
        record_type: str,
        app_id: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
    ) -> ActionResult:
        """Run one of the record's actions (`engine.actions`); `Refused` says why it cannot."""
        _app_id(app_id)
        for name, value in (params or {}).items():
            _text_field(str(name), name, what="a choice's name")
            _text_field(str(name), value)
        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
        if record_type not in RECORD_TYPES:
            raise NotFound(f"record type {record_type}")
        try:
            done = actions.run(
                self.ledger,
                connection,
                RecordKey(record_type, app_id),
                action,
                dict(params or {}),
                actor or f"api-key:{key_id}",
            )
        except LookupError as missing:
            raise NotFound(f"{record_type} {app_id}") from missing
        if done.wake:
            self.wake(connection_id)
        return ActionResult(
            action,
            done.summary,
            dict(done.detail),
            self.record(key_id, connection_id, record_type, app_id),
        )

    def reconciliation(self, key_id: str, connection_id: str) -> dict[str, Any]:
        """The drift report: app and QuickBooks side by side (engine.reconciliation)."""
        from ledgerbridge.engine.reconciliation import reconciliation

        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
        return reconciliation(self.ledger, connection_id)

    def verify(self, key_id: str, connection_id: str, *, flag: bool = True) -> dict[str, Any]:
        """Read QuickBooks afresh and check every synced record against it; each mismatch
        becomes the record's problem (engine.verify)."""
        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
        return verify.verify(self.ledger, connection_id, flag=flag).to_json()

    def plan(self, key_id: str, connection_id: str) -> dict[str, Any]:
        """The dry run: what a sync would do now, writing nothing (engine.dryrun)."""
        from ledgerbridge.engine.dryrun import dry_run

        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
        return dry_run(self.ledger, connection_id)

    def request_sync(
        self,
        key_id: str,
        connection_id: str,
        selection: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
    ) -> int:
        """Bulk resync (`resync`): how many records are due again."""
        return self.resync(key_id, connection_id, selection, actor=actor).queued

    def resync(
        self,
        key_id: str,
        connection_id: str,
        selection: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
    ) -> Resync:
        """Bulk resync: every record matching the selection (type, status, ids) is due again,
        like Retry on each: this is also the push request that releases held records
        (`engine.holding`), and a record whose problem comes from QuickBooks and still holds
        there is left in place with the reason (`engine.recheck`), after QuickBooks' latest
        changes are read. Each record gets a history entry and an audit entry, as a single
        action would."""
        selection = selection or {}
        for index, app_id in enumerate(selection.get("ids") or []):
            _text_field(f"ids[{index}]", app_id, what="the record id")
        actor = actor or f"api-key:{key_id}"
        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
        if connection.status == "active":
            pull_company(self.ledger, connection_id)  # one change-data-capture call
            with self.ledger.db.session(readonly=True) as session:
                connection = self._connection(session, key_id, connection_id)
        result = Resync()
        surroundings = Surroundings(connection)
        with self.ledger.db.session() as session:
            states, history = SyncStates(session), History(session)
            audit = Audit(session, clock=self.ledger.clock)
            wanted_ids = set(selection.get("ids") or [])
            for state in states.all(
                connection_id, record_type=selection.get("type"), status=selection.get("status")
            ):
                if wanted_ids and state.app_id not in wanted_ids:
                    continue
                if state.status == Status.BYPASSED:
                    continue
                left = recheck.still_holds(session, surroundings, state)
                if left is not None:
                    summary = f"left as it is: {left.reason}"
                    result.left.append(
                        {
                            "type": state.type,
                            "id": state.app_id,
                            "code": left.problem.code,
                            "reason": left.reason,
                        }
                    )
                else:
                    holding.push_request(states, history, connection_id, state, by="sync_request")
                    summary = "queued to be sent again"
                    result.queued += 1
                history.add(
                    connection_id,
                    state.type,
                    state.app_id,
                    "action:resync",
                    detail={"by": actor, "result": summary},
                )
                audit.add(
                    connection_id,
                    actor,
                    "resync",
                    record_type=state.type,
                    record_id=state.app_id,
                    before={"status": state.status, "problem": state.problem},
                    after={"result": summary, "selection": dict(selection)},
                )
            if result.queued:
                self._changed(session, connection_id)
        self._wake_after_change(connection_id)
        return result

    def request_pull(self, key_id: str, connection_id: str) -> None:
        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
        self.wake_pull(connection_id)

    # --- setup checks (engine.checks) ------------------------------------------------------------

    def checks(self, key_id: str, connection_id: str, *, run: bool = False) -> dict[str, Any]:
        """The last setup checklist with `checked_at`; made now if there is none, or `run`."""
        from ledgerbridge.engine import checks

        with self.ledger.db.session(readonly=True) as session:
            connection = self._connection(session, key_id, connection_id)
        if run or connection.checks is None:
            checks.run_checks(self.ledger, connection_id)
        return checks.stored_checks(self.ledger, connection_id) or {}

    def apply_numbering_start(
        self, key_id: str, connection_id: str, number: int | None = None
    ) -> dict[str, Any]:
        """The app continues its invoice numbers from the first safe number (or `number`)."""
        from ledgerbridge.engine import checks

        with self.ledger.db.session(readonly=True) as session:
            self._connection(session, key_id, connection_id)
        if number is not None and (type(number) is not int or number < 1):
            raise _invalid("number", "number must be a positive whole number")
        try:
            return checks.apply_numbering_start(self.ledger, connection_id, key_id, number)
        except checks.NoNumberToApply as exc:
            raise _invalid("number", str(exc)) from None

    def receive_webhook(self, body: bytes, signature: str | None) -> int:
        """Intuit's notification: checked, then every connection of the realms it names pulls.
        Returns how many connections were woken; raises `Invalid` for a bad signature."""
        from ledgerbridge.adapters.qbo import webhooks

        verifiers = {
            app.verifier_token.value for app in self.ledger.known_apps() if app.verifier_token
        }
        if not any(webhooks.verify_signature(body, signature, v) for v in verifiers):
            raise _invalid("intuit-signature", "the notification's signature does not match")
        notices = webhooks.parse_notification(body)
        realms = {n.realm_id for n in notices}
        with self.ledger.db.session(readonly=True) as session:
            found = [c for c in Connections(session).all_connected() if c.realm_id in realms]
        targets = [c.id for c in found]
        if any(n.operation == "Merge" for n in notices):
            from ledgerbridge.engine.drift import remember_merges

            with self.ledger.db.session() as session:  # the pull re-links the merged customer
                remember_merges(session, [(c.id, c.realm_id) for c in found], notices)
        for connection_id in targets:
            self.wake_pull(connection_id)
        return len(targets)


def validate_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in settings.items():
        _text_field(f"settings.{json.dumps(key)[1:-1]}", key, what="a setting's name")
        _text_field(f"settings.{key}", value)
        if key in SETTINGS:
            if value not in SETTINGS[key]:
                raise _invalid(
                    f"settings.{key}", f"{key} must be one of {', '.join(SETTINGS[key])}"
                )
        elif key == "number_prefix":
            if not isinstance(value, str) or len(value) > 10:
                raise _invalid(
                    "settings.number_prefix", "number_prefix is text of at most 10 characters"
                )
        elif key == "number_start":
            if value is not None and (type(value) is not int or value < 1):
                raise _invalid("settings.number_start", "a positive whole number, or null")
        elif key == "customer_email_required":
            if not isinstance(value, bool):
                raise _invalid("settings.customer_email_required", "must be true or false")
        elif key == "events_url":
            if value is not None and (
                not isinstance(value, str) or not value.startswith(("http://", "https://"))
            ):
                raise _invalid("settings.events_url", "events_url must be an http(s) URL or null")
        elif key == "auto_push":
            if not isinstance(value, list) or not set(value) <= set(RECORD_TYPES):
                raise _invalid("settings.auto_push", "a list of record types")
            if len(set(value)) != len(value):
                raise _invalid("settings.auto_push", "a list of record types, each once")
        elif key == "field_limit_margin":
            if type(value) is not int or not 0 <= value <= MAX_MARGIN:
                raise _invalid(
                    "settings.field_limit_margin", f"a whole number of percent, 0 to {MAX_MARGIN}"
                )
        else:
            raise Invalid(
                [Problem("input.unknown_field", f"settings.{key}", f"unknown setting {key}")]
            )
        checked[key] = value
    return checked


def record_view(
    ledger: Ledger,
    session: Any,
    connection: StoredConnection,
    record_type: str,
    app_id: str,
    *,
    history: bool = True,
) -> RecordView:
    stored = Records(session).get(connection.id, record_type, app_id)
    if stored is None:
        raise NotFound(f"{record_type} {app_id}")
    state = SyncStates(session).get(connection.id, record_type, app_id)
    link = Links(session).get(connection.id, record_type, app_id)
    problem = ProblemView.of(state.problem) if state and state.problem else None
    return RecordView(
        type=record_type,
        id=app_id,
        status=state.status if state else Status.PENDING,
        version=stored.version,
        deleted=stored.deleted,
        data=stored.data,
        quickbooks_id=link.qbo_id if link else None,
        quickbooks_number=link.doc_number if link else None,
        quickbooks_url=_qbo_url(ledger, connection, link.qbo_entity, link.qbo_id) if link else None,
        problem=problem,
        blocked_by=(state.blocked_by_type, state.blocked_by_id)
        if state and state.blocked_by_type and state.blocked_by_id
        else None,
        history=tuple(History(session).of(connection.id, record_type, app_id)) if history else (),
        actions=actions.offered(state, link is not None) if state else (),
        overrides=dict(state.overrides) if state and state.overrides else {},
        held=bool(state and state.held),
    )


def _qbo_url(ledger: Ledger, connection: StoredConnection, entity: str, qbo_id: str) -> str:
    page = {"Purchase": "expense", "SalesReceipt": "salesreceipt"}.get(entity, entity.lower())
    if connection.environment == "production":
        return f"https://app.qbo.intuit.com/app/{page}?txnId={qbo_id}"
    if connection.environment == "sandbox":
        return f"https://app.sandbox.qbo.intuit.com/app/{page}?txnId={qbo_id}"
    base = ledger.settings.qbo_emulator_url or ""
    return f"{base}/_emulator/companies/{connection.realm_id}/export#{entity}/{qbo_id}"
