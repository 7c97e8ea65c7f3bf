"""QuickBooks Desktop connections: the Web Connector's calls (`engine.desktop.webconnector`),
its .qwc file and its password."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ledgerbridge.adapters.qbwc import qwc
from ledgerbridge.core import web_connector as wc_rules
from ledgerbridge.engine.desktop.lookups import LookUps
from ledgerbridge.engine.desktop.passes import EVERY
from ledgerbridge.engine.desktop.webconnector import DESKTOP, WebConnectorService
from ledgerbridge.engine.errors import Refused
from ledgerbridge.engine.service._shared import Wiring, invalid, owned_connection
from ledgerbridge.engine.service.settings import DEFAULT_SETTINGS
from ledgerbridge.engine.views import ProblemView
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = [
    "qbwc_call",
    "qwc_file",
    "web_connector",
    "web_connector_password",
    "web_connector_status",
]


def web_connector(service: Wiring) -> WebConnectorService:
    """The Web Connector service, its work from `service.desktop_work` (the engine's passes,
    `engine.desktop.passes`; else the session-start look-ups)."""
    work = service.desktop_work if service.desktop_work is not None else LookUps(service.ledger)
    return WebConnectorService(service.ledger, work)


def qbwc_call(
    service: Wiring, method: str, params: Mapping[str, str], address: str = ""
) -> str | int | list[str]:
    """One call of the Web Connector (`POST /qbwc`) from the client at `address`, already read
    from its envelope."""
    return web_connector(service).call(method, params, address)


def _desktop(connection: StoredConnection) -> None:
    if connection.environment != DESKTOP:
        raise invalid(
            "environment", "only a QuickBooks Desktop connection (environment desktop) has one"
        )


def qwc_file(service: Wiring, key_id: str, connection_id: str, base_url: str) -> bytes:
    """The .qwc file of the connection's Web Connector, for the service at `base_url`;
    `Refused` when the Web Connector would not take that address (plain http:// elsewhere
    than localhost), rather than a file that fails on the PC."""
    base = base_url.rstrip("/")
    refusal = wc_rules.app_url_refusal(f"{base}/qbwc")
    with service.ledger.db.session() as session:
        connection = owned_connection(session, key_id, connection_id)
        _desktop(connection)
        if refusal is not None:
            raise Refused(refusal)
        connector = WebConnectors(session, clock=service.ledger.clock).ensure(
            connection.id, connection.id
        )
    return qwc.render(
        qwc.QwcFile(
            app_name=f"ledgerbridge {connection.name}"[:64],
            app_url=f"{base}/qbwc",
            app_support=f"{base}/dashboard",
            username=connector.username,
            owner_id=connector.owner_id,
            file_id=connector.file_id,
            every_minutes=int(EVERY.total_seconds() // 60),
        )
    )


def web_connector_password(service: Wiring, key_id: str, connection_id: str) -> dict[str, str]:
    """A new password for the connection's Web Connector (the old one stops working): shown
    this once, kept only hashed. A disconnected Desktop connection is connected again by it
    (not_connected until the next session shows its company file)."""
    password = secrets.token_urlsafe(18)
    with service.ledger.db.session() as session:
        connection = owned_connection(session, key_id, connection_id)
        _desktop(connection)
        connectors = WebConnectors(
            session,
            clock=service.ledger.clock,
            scrypt_n=service.ledger.settings.password_scrypt_n,
        )
        connector = connectors.ensure(connection.id, connection.id)
        connectors.set_password(connection.id, password)
        if connection.status == "disconnected":
            Connections(session).set_status(connection.id, "not_connected")
            Events(session, clock=service.ledger.clock).append(
                connection.id, "connection.status_changed", {"status": "not_connected"}
            )
    return {"username": connector.username, "password": password}


def web_connector_status(service: Wiring, key_id: str, connection_id: str) -> dict[str, Any]:
    """What the connection's Web Connector last reported: the company file, its closing date
    and qbXML version, when it was last seen, its progress, the last error, how its last
    session ended, the look-ups; and the connection's status and problem (the silence after
    `silent_after_minutes`, QuickBooks closed, the password refused...: `engine.desktop.health`)."""
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
        _desktop(connection)
        connector = WebConnectors(session).get(connection.id)
    after = wc_rules.silent_after({**DEFAULT_SETTINGS, **connection.settings})
    health = {
        "status": connection.status,
        "problem": (
            ProblemView.of(connection.problem, desktop=True).to_json()
            if connection.problem
            else None
        ),
        "silent_after_minutes": int(after.total_seconds() // 60),
    }
    if connector is None:
        return dict.fromkeys(_STATUS_FIELDS) | {"has_password": False, "refusals": 0} | health
    return health | {
        "username": connector.username,
        "has_password": connector.has_password,
        "owner_id": connector.owner_id,
        "file_id": connector.file_id,
        "company_file": connector.company_file,
        "company_name": connector.company_name,
        "closing_date": connector.closing_date,
        "qbxml_version": connector.qbxml_version,
        "last_seen_at": _iso(connector.last_seen_at),
        "last_done_at": _iso(connector.last_done_at),
        "progress": connector.progress,
        "last_error": connector.last_error,
        "last_error_at": _iso(connector.last_error_at),
        "found": dict(connector.found) if connector.found else None,
        "last_outcome": connector.last_outcome,
        "last_outcome_at": _iso(connector.last_outcome_at),
        "refusals": connector.refusals,
        "refused_at": _iso(connector.refused_at),
    }


_STATUS_FIELDS = (
    "username",
    "owner_id",
    "file_id",
    "company_file",
    "company_name",
    "closing_date",
    "qbxml_version",
    "last_seen_at",
    "last_done_at",
    "progress",
    "last_error",
    "last_error_at",
    "found",
    "last_outcome",
    "last_outcome_at",
    "refused_at",
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
