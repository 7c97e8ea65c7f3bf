"""What the app and office staff read back: one record as `GET` shows it, the sync log, whether
a record is still pending (for `?wait=`), and the events of a connection."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ledgerbridge.core.status import Status
from ledgerbridge.engine import actions
from ledgerbridge.engine.errors import NotFound
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.service._shared import Wiring, check_app_id, owned_connection, text_field
from ledgerbridge.engine.views import ProblemView, RecordView
from ledgerbridge.storage.connections import StoredConnection
from ledgerbridge.storage.desktop_actions import DesktopActions
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.records import Page, Records, StoredRecord
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = ["events", "record", "record_view", "record_views", "records", "still_pending"]


def record(
    service: Wiring, key_id: str, connection_id: str, record_type: str, app_id: str
) -> RecordView:
    check_app_id(app_id)
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
        return record_view(service.ledger, session, connection, record_type, app_id)


def still_pending(
    service: Wiring, key_id: str, connection_id: str, record_type: str, app_id: str
) -> bool:
    """Whether a `?wait=` on the record has something left to wait for: it is pending and
    due (not held back by auto_push). One small query, asked again and again by a wait."""
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
        state = SyncStates(session).get(connection_id, record_type, app_id)
    return state is None or (state.status == Status.PENDING and not state.held)


def records(
    service: Wiring,
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
        text_field(name, value)  # whichever edge asked: API, dashboard or CLI
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
        page = Records(session).list(
            connection_id,
            status=status,
            type=record_type,
            code=code,
            q=q,
            cursor=cursor,
            limit=limit,
        )
        keys = [(r.type, r.app_id) for r in page.items]
        items = record_views(service.ledger, session, connection, keys)
        return Page(items, page.next_cursor)


def events(
    service: Wiring, key_id: str, connection_id: str, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
        return [
            {
                "id": e.id,
                "type": e.type,
                "payload": dict(e.payload),
                "created_at": e.created_at.isoformat(),
            }
            for e in Events(session).list_after(connection_id, after, limit)
        ]


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
    found = History(session).of(connection.id, record_type, app_id) if history else ()
    view = _view(ledger, connection, stored, state, link, tuple(found))
    fix = DesktopActions(session).get(connection.id, record_type, app_id)
    if fix is None:
        return view
    waiting = {
        "action": fix.action,
        "for": "web_connector",
        "since": fix.queued_at.isoformat(),
        "by": fix.actor,
    }
    return dataclasses.replace(view, waiting=waiting)


def record_views(
    ledger: Ledger, session: Any, connection: StoredConnection, keys: Sequence[tuple[str, str]]
) -> list[RecordView]:
    """`record_view` without history for many records in three queries (not three a record),
    in the order of `keys`; a key whose record is gone is left out."""
    stored = Records(session).get_many(connection.id, keys)
    states = SyncStates(session).get_many(connection.id, keys)
    links = Links(session).get_many(connection.id, keys)
    return [
        _view(ledger, connection, stored[key], states.get(key), links.get(key), ())
        for key in keys
        if key in stored
    ]


def _view(
    ledger: Ledger,
    connection: StoredConnection,
    stored: StoredRecord,
    state: StoredState | None,
    link: StoredLink | None,
    history: tuple[Mapping[str, Any], ...],
) -> RecordView:
    desktop = connection.environment == "desktop"  # QuickBooks Desktop's own words, if any
    problem = ProblemView.of(state.problem, desktop=desktop) if state and state.problem else None
    return RecordView(
        type=stored.type,
        id=stored.app_id,
        status=state.status if state else Status.PENDING,
        version=stored.version,
        deleted=stored.deleted,
        data=stored.data,
        quickbooks_id=link.qbo_id if link else None,
        quickbooks_number=link.doc_number if link else None,
        quickbooks_url=_qbo_url(ledger, connection, link.qbo_entity, link.qbo_id)
        if link and connection.realm_id is not None
        else None,  # QuickBooks Desktop has no web page of a record
        problem=problem,
        blocked_by=(state.blocked_by_type, state.blocked_by_id)
        if state and state.blocked_by_type and state.blocked_by_id
        else None,
        history=history,
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
