"""The app's record changes: one record put, many in one transaction, one deleted. Each is
stored with its sync work in one transaction (held when auto_push leaves its type out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.core import mapping
from ledgerbridge.core.adoption import Split, split_link
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
from ledgerbridge.engine import holding
from ledgerbridge.engine.errors import Invalid, NotFound
from ledgerbridge.engine.service._shared import (
    Wiring,
    check_app_id,
    defer_sync,
    invalid,
    owned_connection,
    wake_after_change,
)
from ledgerbridge.engine.service.sync_log import record
from ledgerbridge.engine.views import RecordView
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates, Wanted

__all__ = ["PUT_MANY", "Received", "delete_record", "put_record", "put_records"]

PUT_MANY = 1000  # records at most in one put_records


def _canonical(
    record_type: str, app_id: str, data: Mapping[str, Any], settings: Mapping[str, Any]
) -> tuple[dict[str, Any], Split]:
    """The record as stored and the QuickBooks id its `link` names (`core.adoption`), or
    Invalid naming the fields to correct: an id outside the grammar (`core.records.id_refused`),
    a `link` that is not one, what does not parse (text that is not text included), and a text
    so far over its QuickBooks limit (the connection's `field_limit_margin`) that it could
    only ever fail."""
    why = id_refused(app_id)
    if why is not None:
        raise invalid("id", why)
    split = split_link(data)
    if not isinstance(split, Split):
        raise Invalid(split)
    parsed = parse_record(record_type, split.data)
    if isinstance(parsed, list):
        raise Invalid(parsed)
    margin = settings.get("field_limit_margin", limits.DEFAULT_MARGIN)
    too_long = limits.beyond_margin(parsed, margin)
    if too_long:
        raise Invalid(too_long)
    return record_to_json(parsed), split


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


@dataclass(frozen=True, slots=True)
class _Checked:
    """A record that parsed (`_canonical`), for `_receive_many` to store."""

    type: str
    app_id: str
    canonical: dict[str, Any]
    link: Split


@dataclass(frozen=True, slots=True)
class _Stored:
    """What `_receive_many` did with a record: its version, held, and queued (there is sync
    work for the caller to defer in the transaction)."""

    version: int
    held: bool
    queued: bool


def put_record(
    service: Wiring,
    key_id: str,
    connection_id: str,
    record_type: str,
    app_id: str,
    data: Mapping[str, Any],
) -> RecordView:
    if record_type not in RECORD_TYPES:
        raise NotFound(f"record type {record_type}")
    with service.ledger.db.session() as session:
        connection = owned_connection(session, key_id, connection_id)
        canonical, link = _canonical(record_type, app_id, data, connection.settings)
        _, hold, queued = _receive(session, connection, record_type, app_id, canonical, link)
        if queued:
            defer_sync(service, session, connection_id)
    if not hold:
        wake_after_change(service, connection_id)
    return record(service, key_id, connection_id, record_type, app_id)


def put_records(
    service: Wiring, key_id: str, connection_id: str, records: Sequence[Incoming]
) -> list[Received]:
    """Many records in one transaction, at most PUT_MANY: each is stored as `put_record`
    stores one, and one that does not parse is refused alone, with its problems (the
    others are stored all the same). One answer per record, in order. The same record
    (type and id) twice is Invalid, naming every position, and nothing is stored."""
    if len(records) > PUT_MANY:
        raise invalid("records", f"at most {PUT_MANY} records at a time")
    duplicates = _duplicates(records)
    if duplicates:
        raise Invalid(duplicates)
    answers: list[Received] = []
    woken = queued = False
    with service.ledger.db.session() as session:
        connection = owned_connection(session, key_id, connection_id)
        if any(
            isinstance(incoming.data, Mapping) and isinstance(incoming.data.get("link"), Mapping)
            for incoming in records
        ):
            # before any record is stored: the order a pull takes (`_adoption_refusals`)
            Connections(session).lock(connection_id)
        refusals: dict[int, Invalid] = {}
        checked: list[_Checked] = []
        for index, incoming in enumerate(records):
            record_type, app_id = incoming.type, incoming.id
            try:
                if record_type not in RECORD_TYPES:
                    raise invalid("type", f"unknown record type {record_type!r}")
                canonical, link = _canonical(
                    record_type, app_id, incoming.data, connection.settings
                )
            except Invalid as refused:
                refusals[index] = refused
                continue
            checked.append(_Checked(record_type, app_id, canonical, link))
        outcomes = iter(_receive_many(session, connection, checked))
        for index, incoming in enumerate(records):
            outcome = refusals.get(index) or next(outcomes)
            if isinstance(outcome, Invalid):
                problems = tuple(outcome.problems)
                answers.append(Received(incoming.type, incoming.id, problems=problems))
                continue
            answers.append(
                Received(incoming.type, incoming.id, version=outcome.version, held=outcome.held)
            )
            woken, queued = woken or not outcome.held, queued or outcome.queued
        if queued:
            defer_sync(service, session, connection_id)  # one sync job for them all
    if woken:
        wake_after_change(service, connection_id)
    return answers


def _receive(
    session: Session,
    connection: StoredConnection,
    record_type: str,
    app_id: str,
    canonical: dict[str, Any],
    link: Split,
) -> tuple[int, bool, bool]:
    """One checked record stored as `_receive_many` stores it: (version, held, queued), or
    Invalid when its `link` cannot be."""
    checked = _Checked(record_type, app_id, canonical, link)
    (outcome,) = _receive_many(session, connection, [checked])
    if isinstance(outcome, Invalid):
        raise outcome
    return outcome.version, outcome.held, outcome.queued


def _receive_many(
    session: Session, connection: StoredConnection, items: Sequence[_Checked]
) -> list[_Stored | Invalid]:
    """Store checked records, each once, and the sync work of those that changed; for each,
    in order, what was done with it, or Invalid when its `link` cannot be (refused alone:
    nothing stored for it, see `_adoption_refusals`).

    As if each were received one after the other, in a few statements for them all: the
    records are locked and written by `Records.upsert_many`, their states read after that
    (a concurrent put of the same record has committed, or waits for this one), each decided
    here, then written by `SyncStates.want_many` and their history in one insert, entries in
    the order the records came.

    A record's `link` (checked) is the QuickBooks object the app said the record is, kept
    until the record is linked to it, or null: an adoption not done yet is cancelled. Either
    plans the record again (a `link` sent again after QuickBooks' object was read is how the
    app says "try now")."""
    connection_id = connection.id
    refused = _adoption_refusals(session, connection_id, items)
    kept = [(index, item) for index, item in enumerate(items) if index not in refused]
    keys = [(item.type, item.app_id) for _, item in kept]
    versions = Records(session).upsert_many(
        connection_id, [(item.type, item.app_id, item.canonical) for _, item in kept]
    )
    states = SyncStates(session)
    current = states.get_many(connection_id, keys)
    given = [(item.type, item.app_id) for _, item in kept if item.link.given]
    linked = Links(session).get_many(connection_id, given) if given else {}
    stored: dict[int, _Stored] = {}
    wanted: list[Wanted] = []
    happened: list[Happened] = []
    for (index, item), key, version in zip(kept, keys, versions, strict=True):
        hold = not holding.auto_pushed(connection.settings, item.type)
        state = current.get(key)
        adopt = item.link.quickbooks_id if item.link.given else None
        adopting = adopt is not None and key not in linked
        cancelling = (
            item.link.given
            and adopt is None
            and state is not None
            and state.adopt_qbo_id is not None
        )
        if state is not None and state.desired_version == version and not (adopting or cancelling):
            stored[index] = _Stored(version, hold, False)
            continue
        wanted.append(Wanted(*key, version, state, hold, adopting or cancelling, adopt))
        happened.append(Happened(*key, "received", detail={"version": version}))
        if hold and (state is None or not state.held):  # once, when it starts waiting
            happened.append(holding.held_entry(RecordKey(*key)))  # type: ignore[arg-type]
        stored[index] = _Stored(version, hold, not hold)
    states.want_many(connection_id, wanted)
    History(session).add_many(connection_id, happened)
    return [refused[index] if index in refused else stored[index] for index in range(len(items))]


def _adoption_refusals(
    session: Session, connection_id: str, items: Sequence[_Checked]
) -> dict[int, Invalid]:
    """The records (their positions) that cannot be the QuickBooks object their `link` names,
    each refused as Invalid: a write of it is still being settled (it may be creating one), it
    is linked to another one already, or that one is linked to another app record, or another
    app record waits to adopt it (sent with the same link, or an import acknowledged, not
    pushed yet): one object, one record. A record is checked against what the records before
    it in `items` leave (two naming one object: the second is refused), as if each were
    stored before the next is checked. The connection's row is held until the transaction
    ends (PostgreSQL; SQLite's writers take turns), so two requests naming one object at once
    are checked one after the other."""
    asking = [item for item in items if item.link.quickbooks_id is not None]
    if not asking:
        return {}
    Connections(session).lock(connection_id)
    states = SyncStates(session)
    links = Links(session)
    given = [(item.type, item.app_id) for item in items if item.link.given]
    before = states.get_many(connection_id, given)
    own = links.get_many(connection_id, given)
    wanted_by_entity: dict[str, list[str]] = {}
    for item in asking:
        entity = mapping.ENTITY[item.type]  # type: ignore[index]
        wanted_by_entity.setdefault(entity, []).append(str(item.link.quickbooks_id))
    holders = {
        (entity, qbo_id): holder
        for entity, qbo_ids in wanted_by_entity.items()
        for qbo_id, holder in links.by_quickbooks_many(connection_id, entity, qbo_ids).items()
    }
    waiting = states.adopters(
        connection_id, [(item.type, str(item.link.quickbooks_id)) for item in asking]
    )
    refused: dict[int, Invalid] = {}
    for index, item in enumerate(items):
        if not item.link.given:
            continue
        key = (item.type, item.app_id)
        state, adopt = before.get(key), item.link.quickbooks_id
        if adopt is not None:
            entity = mapping.ENTITY[item.type]  # type: ignore[index]
            others = [
                app_id for app_id in waiting.get((item.type, adopt), ()) if app_id != item.app_id
            ]
            problem = _adoption_refused(
                item.type,
                item.app_id,
                adopt,
                state,
                own.get(key),
                holders.get((entity, adopt)),
                others[0] if others else None,
            )
            if problem is not None:
                refused[index] = problem
                continue
        # what storing it does to who waits for which object, for the records after it
        adopting = adopt is not None and key not in own
        cancelling = adopt is None and state is not None and state.adopt_qbo_id is not None
        if not (adopting or cancelling):
            continue
        if state is not None and state.adopt_qbo_id is not None:
            was = waiting.get((item.type, state.adopt_qbo_id), [])
            if item.app_id in was:
                was.remove(item.app_id)
        if adopt is not None:  # none other waits for it (it was refused otherwise)
            waiting.setdefault((item.type, adopt), []).append(item.app_id)
    return refused


def _adoption_refused(
    record_type: str,
    app_id: str,
    adopt: str,
    state: StoredState | None,
    own: StoredLink | None,
    holder: StoredLink | None,
    waiting: str | None,
) -> Invalid | None:
    """Why the record cannot adopt QuickBooks object `adopt` (see `_adoption_refusals`), given
    its state, its own link, the app record linked to that object and the first other one
    waiting to adopt it; None: it can."""
    if state is not None and state.pending_request_id:
        return invalid(
            "link.quickbooks_id",
            f"{record_type} {app_id!a} is being written to QuickBooks now; send the link again "
            "once that write is settled (the record's status says when)",
        )
    entity = mapping.ENTITY[record_type]  # type: ignore[index]
    if own is not None and own.qbo_id != adopt:
        return invalid(
            "link.quickbooks_id",
            f"{record_type} {app_id!a} is linked to QuickBooks {own.qbo_entity} {own.qbo_id} "
            f"already; unlink it first to link it to {adopt}",
        )
    if holder is not None and (holder.type, holder.app_id) != (record_type, app_id):
        return invalid(
            "link.quickbooks_id",
            f"QuickBooks {entity} {adopt} is linked to app {holder.type} {holder.app_id!a} already",
        )
    if waiting is not None:
        return Invalid(
            [
                Problem(
                    "input.invalid",
                    "link.quickbooks_id",
                    f"QuickBooks {entity} {adopt} is to be adopted by app {record_type} "
                    f"{waiting!a} already (sent with this link, not pushed yet); one QuickBooks "
                    f"object stands for one app record",
                    {"other": f"{record_type}/{waiting}"},
                )
            ]
        )
    return None


def _note_held(
    session: Session, connection_id: str, key: RecordKey, before: StoredState | None, hold: bool
) -> None:
    """A held record's history says so, once, when it starts waiting."""
    if hold and (before is None or not before.held):
        holding.note_held(History(session), connection_id, key)


def delete_record(
    service: Wiring, key_id: str, connection_id: str, record_type: str, app_id: str
) -> RecordView:
    check_app_id(app_id)
    with service.ledger.db.session() as session:
        connection = owned_connection(session, key_id, connection_id)
        version = Records(session).mark_deleted(connection_id, record_type, app_id)
        if version is None:
            raise NotFound(f"{record_type} {app_id}")
        # only what is in QuickBooks has a removal to push; anything else settles locally
        linked = Links(session).get(connection_id, record_type, app_id) is not None
        hold = not holding.auto_pushed(connection.settings, record_type) and linked
        states = SyncStates(session)
        before = states.get(connection_id, record_type, app_id)
        states.want(connection_id, record_type, app_id, version, hold=hold)
        if not linked and before is not None and before.adopt_qbo_id is not None:
            # an adoption not done yet is taken back with the record: the object is free
            states.set_adopt(connection_id, record_type, app_id, None)
        History(session).add(connection_id, record_type, app_id, "deleted_in_app")
        key = RecordKey(record_type, app_id)  # type: ignore[arg-type]
        _note_held(session, connection_id, key, before, hold)
        if not hold:
            defer_sync(service, session, connection_id)
    if not hold:
        wake_after_change(service, connection_id)
    return record(service, key_id, connection_id, record_type, app_id)
