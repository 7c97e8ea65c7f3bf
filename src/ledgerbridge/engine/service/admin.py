"""A key's connections: created, read, their settings and mappings changed, disconnected,
checked again after a suspension, and started fresh after a move to another company."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.crypto import CipherError
from ledgerbridge.engine import health, holding, notify, reconnecting, waiting
from ledgerbridge.engine.desktop.webconnector import DESKTOP
from ledgerbridge.engine.service._shared import (
    Wiring,
    defer_sync,
    invalid,
    owned_connection,
    text_field,
    wake_after_change,
)
from ledgerbridge.engine.service.settings import (
    DEFAULT_SETTINGS,
    ENVIRONMENTS,
    NEW_CONNECTION_SETTINGS,
    check_events_url,
    validate_settings,
)
from ledgerbridge.engine.views import ConnectionView, ProblemView
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.desktop_actions import DesktopActions
from ledgerbridge.storage.desktop_requests import DesktopRequests
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.tokens import Tokens
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = [
    "check_connection",
    "connection",
    "connection_view",
    "connections",
    "create_connection",
    "disconnect",
    "mappings",
    "set_mappings",
    "start_fresh",
    "update_settings",
]


def connection_view(service: Wiring, session: Any, connection: StoredConnection) -> ConnectionView:
    """The connection as its owner sees it: counts per status, its settings over the defaults
    (its events secret included), its problem."""
    problem = reconnecting.shown(service.ledger, connection)
    return ConnectionView(
        id=connection.id,
        name=connection.name,
        environment=connection.environment,
        status=connection.status,
        realm_id=connection.realm_id,
        company_name=connection.company_name,
        counts=SyncStates(session).counts(connection.id),
        last_pull_at=connection.last_pull_at.isoformat() if connection.last_pull_at else None,
        webhooks_seen_at=connection.notified_at.isoformat() if connection.notified_at else None,
        settings={
            **DEFAULT_SETTINGS,
            **connection.settings,
            "events_secret": _events_secret(service, session, connection),
        },
        problem=(
            ProblemView.of(problem, desktop=connection.environment == DESKTOP) if problem else None
        ),
        waiting_until=(
            None
            if (until := connection.waiting(service.ledger.clock())) is None
            else until.isoformat()
        ),
    )


def _events_secret(service: Wiring, session: Session, connection: StoredConnection) -> str | None:
    """Shown to the connection's owner in its settings; None when this server's keys
    cannot decrypt it (the connection's problem then says why)."""
    try:
        return notify.events_secret(service.ledger, session, connection)
    except CipherError:
        return None


def create_connection(
    service: Wiring,
    key_id: str,
    name: str,
    environment: str,
    settings: Mapping[str, Any] | None = None,
) -> ConnectionView:
    if not name or not name.strip():
        raise invalid("name", "name is required")
    text_field("name", name)
    if environment not in ENVIRONMENTS:
        raise invalid("environment", f"environment must be one of {', '.join(ENVIRONMENTS)}")
    checked = validate_settings(settings or {})
    check_events_url(service, checked)
    with service.ledger.db.session() as session:
        stored = Connections(session).create(
            key_id, name.strip(), environment, {**NEW_CONNECTION_SETTINGS, **checked}
        )
        notify.new_events_secret(service.ledger, session, stored.id)
        return connection_view(service, session, stored)


def connections(service: Wiring, key_id: str) -> list[ConnectionView]:
    with service.ledger.db.session(readonly=True) as session:
        return [connection_view(service, session, c) for c in Connections(session).list(key_id)]


def connection(service: Wiring, key_id: str, connection_id: str) -> ConnectionView:
    with service.ledger.db.session(readonly=True) as session:
        return connection_view(service, session, owned_connection(session, key_id, connection_id))


def update_settings(
    service: Wiring, key_id: str, connection_id: str, patch: Mapping[str, Any]
) -> ConnectionView:
    checked = validate_settings(patch)
    check_events_url(service, checked)
    released = 0
    with service.ledger.db.session() as session:
        current = owned_connection(session, key_id, connection_id)
        merged = {**current.settings, **checked}
        notify.seal_plain_secret(service.ledger, session, connection_id, merged)
        Connections(session).set_settings(connection_id, merged)
        if "auto_push" in checked:
            released = _release_types(service, session, connection_id, checked["auto_push"])
        before = {**DEFAULT_SETTINGS, **current.settings}
        waiting_for = waiting.for_settings(before, checked)
        if waiting_for:
            found = waiting.release(
                session, connection_id, waiting_for, by="settings", clock=service.ledger.clock
            )
            if found:
                defer_sync(service, session, connection_id)
            released += len(found)
        view = connection_view(service, session, owned_connection(session, key_id, connection_id))
    if released:
        wake_after_change(service, connection_id)
    return view


def _release_types(service: Wiring, session: Session, connection_id: str, types: list[str]) -> int:
    """auto_push takes these types in: their held records are due now."""
    states, history = SyncStates(session), History(session)
    released = 0
    for record_type in dict.fromkeys(types):
        for state in states.all(connection_id, record_type=record_type, held=True):
            released += holding.release(states, history, connection_id, state, by="settings")
    if released:
        defer_sync(service, session, connection_id)
    return released


def mappings(service: Wiring, key_id: str, connection_id: str) -> dict[str, Any]:
    with service.ledger.db.session(readonly=True) as session:
        return dict(owned_connection(session, key_id, connection_id).mappings)


def set_mappings(
    service: Wiring, key_id: str, connection_id: str, mappings: Mapping[str, Any]
) -> dict[str, Any]:
    for section, values in mappings.items():
        if section not in ("tax_rates", "payment_methods", "accounts", "classes"):
            raise invalid(section, "mappings hold tax_rates, payment_methods, accounts, classes")
        if not isinstance(values, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in values.items()
        ):
            raise invalid(section, f"{section} maps app values to QuickBooks ids (strings)")
        for key, value in values.items():
            shown = json.dumps(key)[:60]  # escaped: the answer never quotes it raw
            text_field(section, key, what=f"the app value {shown}")
            text_field(section, value, what=f"the QuickBooks id of {shown}")
    with service.ledger.db.session() as session:
        before = owned_connection(session, key_id, connection_id).mappings
        Connections(session).set_mappings(connection_id, dict(mappings))
        found = waiting.release(
            session,
            connection_id,
            waiting.for_mappings(before, mappings),
            by="mapping",
            clock=service.ledger.clock,
        )
        if found:
            defer_sync(service, session, connection_id)
    service.wake(connection_id)
    return dict(mappings)


def disconnect(service: Wiring, key_id: str, connection_id: str) -> ConnectionView:
    with service.ledger.db.session() as session:
        owned_connection(session, key_id, connection_id)
        Tokens(session).remove(connection_id)
        Connections(session).set_status(connection_id, "disconnected")
        return connection_view(service, session, owned_connection(session, key_id, connection_id))


def check_connection(service: Wiring, key_id: str, connection_id: str) -> ConnectionView:
    """A suspended connection's Retry: QuickBooks is asked again; active again on success
    (its backlog drains by itself)."""
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
    if health.check_connection(service.ledger, connection_id) == "active":
        service.wake(connection_id)
    return connection(service, key_id, connection_id)


def start_fresh(service: Wiring, key_id: str, connection_id: str, actor: str) -> ConnectionView:
    """After connection.wrong_company, when the move to another company is meant: every
    link and the mirror of the old company are forgotten, the records wait (pending), and
    the next connect may pick any company; records are then matched against it.

    The connection's row is held first (PostgreSQL), as a pull holds it to store what it read:
    a pull storing the old company now is waited for, then forgotten with the rest. Deleted
    before the row was held, the mirror kept what that pull had not yet committed (its new
    copies, invisible to the deletion), and the old company's objects stayed in the mirror
    the next company's records are matched against. A Desktop connection's company is the
    file its Web Connector's sessions opened: forgotten too (its Web Connector's row is held
    before the connection's, as the Web Connector's calls take them), with its open sessions
    (ended: they opened the old file), the requests no session has taken yet and the fixes
    still waiting for a session (asked of the old file:
    its ListIDs), so that a pass over the old file stores nothing more and sends nothing to
    the new one. The connection's company generation goes up (`connections.Company`): what a
    pass read before is another company's, even where nothing else tells them apart. The
    records' states change in a few statements, however many records
    (`SyncStates.start_over`)."""
    with service.ledger.db.session() as session:
        # a Desktop connection's Web Connector row before the connection's, in the order
        # every Web Connector call takes them (a session recording its company file holds
        # the first and waits for the second): the other way round, the two deadlocked
        web_connectors = WebConnectors(session, clock=service.ledger.clock)
        desktop = web_connectors.get(connection_id, lock=True) is not None
        Connections(session).lock(connection_id)
        connection = owned_connection(session, key_id, connection_id)
        if connection.status not in ("wrong_company", "disconnected", "not_connected"):
            raise invalid(
                "action",
                f"starting fresh is for a connection to the wrong company, not an "
                f"{connection.status} one: disconnect it first",
            )
        unlinked = Links(session).remove_all(connection_id)
        Mirror(session, connection_id).forget()
        Tokens(session).remove(connection_id)
        connections = Connections(session)
        connections.forget_company(connection_id)
        if desktop:  # its company is the file its sessions opened (`connections.Company`)
            web_connectors.forget_company(connection_id)
            # the sessions open now opened the old file: ended, they are handed nothing more
            # (the new company's requests, once a session of the new file has started its
            # pass, were handed to whichever session asked, and the old file answered them)
            # and no answer of theirs is taken; what they were handed is lost (the old pass
            # settles it, storing nothing), what no session took yet withdrawn
            web_connectors.end_sessions(connection_id)
            requests = DesktopRequests(session)
            requests.lose_unanswered(connection_id, "the connection started fresh")
            requests.withdraw_all(connection_id)
            DesktopActions(session, clock=service.ledger.clock).withdraw_all(connection_id)
        connections.set_status(connection_id, "not_connected")
        # every record compared with QuickBooks again and, but a bypassed one, wanted again;
        # a write stored for the old company (sent, its answer not stored) dropped: replayed,
        # its body (the old company's ids and SyncTokens) would go to whatever company is
        # connected next; the record is planned afresh against it instead
        dropped = [
            Happened(
                write.type,
                write.app_id,
                "write_dropped",
                request_id=write.request_id,
                detail={"reason": "start_fresh", "realm_id": connection.realm_id},
            )
            for write in SyncStates(session).start_over(connection_id)
        ]
        History(session).add_many(connection_id, dropped)
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
        return connection_view(service, session, owned_connection(session, key_id, connection_id))
