"""A QuickBooks Desktop connection's health: what its Web Connector reports about the PC, and
its silence.

    record(session, clock, connection_id, code, params)  # a problem the Web Connector reported
    clear(session, clock, connection_id, codes)          # ... no longer so (a session went on)
    refused(session, clock, connector)                   # a call with a wrong password
    heard_from(session, clock, connection_id)            # a call: the silence is over
    check_all(ledger) -> int                             # the sweep: who has gone silent

The connection holds one problem (`connections.problem`, shown with it by the API and the
dashboard in the catalog's words, Desktop wording where it differs). Each change of it is the
event `connection.problem_changed` ({code, previous}); the silence also moves the status:

    active | wrong_company | not_connected --(no call for the set time)--> connector_offline
    connector_offline --(the next call, whatever it brings)--> the status it had before

(any other status, such as disconnected, is silent on purpose: never shown silent, and a
silence shown before is cleared)

with a `connection.status_changed` event each way. The set time is the connection's setting
`web_connector_silent_minutes` (`core.web_connector.silent_after`: three updates of the .qwc
schedule unless set). The dispatchers' periodic health round calls `check_all`; the Web
Connector service calls the others as the calls arrive, so a problem clears at once when the
condition does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog, web_connector
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.web_connectors import StoredConnector, WebConnectors

__all__ = [
    "OFFLINE",
    "PROBLEM_CHANGED",
    "STATUS_CHANGED",
    "check_all",
    "clear",
    "heard_from",
    "moment",
    "record",
    "refused",
]

log = logging.getLogger(__name__)

OFFLINE: Final = "connector_offline"
PROBLEM_CHANGED: Final = "connection.problem_changed"
STATUS_CHANGED: Final = "connection.status_changed"
_DESKTOP: Final = "desktop"
_WATCHED: Final = frozenset({"active", "wrong_company", "not_connected", OFFLINE})
"""The statuses whose silence is a problem: a connection the office disconnected is silent on
purpose (a silence shown before it was disconnected is cleared)."""

Clock = Callable[[], datetime]


def moment(at: datetime) -> str:
    """A moment as the problem's words show it (UTC, to the minute)."""
    return f"{at:%Y-%m-%d %H:%M} UTC"


def record(
    session: Session,
    clock: Clock,
    connection_id: str,
    code: str,
    params: Mapping[str, Any],
    message: str = "",
) -> bool:
    """Make `code` the connection's problem (with its event when the code changes); True when
    anything changed."""
    connections = Connections(session)
    stored = connections.get_unscoped(connection_id)
    if stored is None:
        return False
    previous = _code(stored)
    problem = {
        "code": code,
        "message": message or catalog.title(code),
        "params": {k: v for k, v in params.items() if v is not None},
    }
    if not connections.set_problem(connection_id, problem):
        return False
    if previous != code:
        Events(session, clock=clock).append(
            connection_id, PROBLEM_CHANGED, {"code": code, "previous": previous}
        )
        log.info("connection %s: %s (was %s)", connection_id, code, previous)
    return True


def clear(
    session: Session,
    clock: Clock,
    connection_id: str,
    codes: Collection[str],
    stored: StoredConnection | None = None,
) -> bool:
    """Clear the connection's problem when it is one of `codes` (with its event); `stored`:
    the connection as this transaction last read it, when the caller has it (else read)."""
    connections = Connections(session)
    stored = stored or connections.get_unscoped(connection_id)
    if stored is None or _code(stored) not in codes:
        return False
    connections.set_problem(connection_id, None)
    Events(session, clock=clock).append(
        connection_id, PROBLEM_CHANGED, {"code": None, "previous": _code(stored)}
    )
    log.info("connection %s: %s cleared", connection_id, _code(stored))
    return True


def refused(session: Session, clock: Clock, connector: StoredConnector) -> None:
    """The Web Connector called with a wrong password (already counted on `connector`): it is
    not silent, and past `core.web_connector.REFUSED_AFTER` in a row the connection says so."""
    heard_from(session, clock, connector.connection_id)
    if web_connector.refused_enough(connector.refusals):
        record(
            session,
            clock,
            connector.connection_id,
            catalog.CONNECTION_WEB_CONNECTOR_PASSWORD_REFUSED,
            {
                "times": connector.refusals,
                "last_at": moment(connector.refused_at) if connector.refused_at else None,
            },
            "the Web Connector's password was refused",
        )


def heard_from(
    session: Session, clock: Clock, connection_id: str, stored: StoredConnection | None = None
) -> bool:
    """The Web Connector called: a connection shown silent gets its status back; True when
    that changed anything. `stored`: the connection as this transaction last read it, when
    the caller has it (else read)."""
    connections = Connections(session)
    stored = stored or connections.get_unscoped(connection_id)
    if stored is None:
        return False
    silent = _code(stored) == catalog.CONNECTION_WEB_CONNECTOR_SILENT
    if stored.status != OFFLINE and not silent:
        return False
    back = str(((stored.problem or {}).get("params") or {}).get("previous") or "active")
    if silent:
        clear(session, clock, connection_id, {catalog.CONNECTION_WEB_CONNECTOR_SILENT})
    if stored.status == OFFLINE:
        connections.set_status(connection_id, back)
        Events(session, clock=clock).append(
            connection_id, STATUS_CHANGED, {"status": back, "previous": OFFLINE}
        )
        log.info("connection %s: the Web Connector called again", connection_id)
    return True


def check_all(ledger: Ledger) -> int:
    """Every Desktop connection checked for silence (shown or cleared); how many are silent.

    One read of every Web Connector and Desktop connection; a write (re-read in its own
    transaction, `_check`) only for those whose silence changes."""
    with ledger.db.session(readonly=True) as session:
        connectors = WebConnectors(session).all()
        desktop = {c.id: c for c in Connections(session).list_all() if c.environment == _DESKTOP}
    now = ledger.clock()
    silent = 0
    for connector in connectors:
        stored = desktop.get(connector.connection_id)
        if stored is None:
            continue
        after = web_connector.silent_after(stored.settings)
        quiet = stored.status in _WATCHED and web_connector.is_silent(
            connector.last_contact, now, after
        )
        shown = stored.status == OFFLINE or _code(stored) == catalog.CONNECTION_WEB_CONNECTOR_SILENT
        if quiet == shown:
            silent += quiet
            continue
        try:
            silent += _check(ledger, connector.connection_id)
        except Exception:  # one connection's failure must not stop the round
            log.exception("Web Connector check of connection %s failed", connector.connection_id)
    return silent


def _check(ledger: Ledger, connection_id: str) -> bool:
    clock = ledger.clock
    with ledger.db.session() as session:
        # the Web Connector's row first, locked: a call being recorded in another process is
        # waited for and read, never overwritten with connector_offline (nor told twice by two
        # rounds at once)
        connector = WebConnectors(session, clock=clock).get(connection_id, lock=True)
        stored = Connections(session).get_unscoped(connection_id)
        if stored is None or connector is None or stored.environment != _DESKTOP:
            return False
        if stored.status not in _WATCHED:  # disconnected: silent on purpose
            clear(session, clock, connection_id, {catalog.CONNECTION_WEB_CONNECTOR_SILENT})
            return False
        after = web_connector.silent_after(stored.settings)
        last = connector.last_contact
        if not web_connector.is_silent(last, clock(), after):
            heard_from(session, clock, connection_id)  # a longer set time, or a call meanwhile
            return False
        assert last is not None
        if stored.status == OFFLINE:
            return True
        _go_silent(session, clock, stored, last, int(after.total_seconds() // 60))
        return True


def _go_silent(
    session: Session, clock: Clock, stored: StoredConnection, last: datetime, minutes: int
) -> None:
    record(
        session,
        clock,
        stored.id,
        catalog.CONNECTION_WEB_CONNECTOR_SILENT,
        {
            "last_seen": moment(last),
            "every_minutes": web_connector.RUN_EVERY_MINUTES,
            "silent_after_minutes": minutes,
            "previous": stored.status,
        },
        f"no call from the Web Connector since {moment(last)}",
    )
    Connections(session).set_status(stored.id, OFFLINE)
    Events(session, clock=clock).append(
        stored.id,
        STATUS_CHANGED,
        {"status": OFFLINE, "previous": stored.status, "last_seen_at": last.isoformat()},
    )
    log.warning("connection %s: no call from its Web Connector since %s", stored.id, moment(last))


def _code(stored: StoredConnection) -> str | None:
    code = (stored.problem or {}).get("code")
    return str(code) if code else None
