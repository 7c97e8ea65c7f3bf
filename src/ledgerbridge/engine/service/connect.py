"""Connecting a company: a sign-in begun for a browser, or a link handed to one, and the OAuth
callback that stores the tokens (`engine.connecting` says what guards a sign-in)."""

from __future__ import annotations

from ledgerbridge.engine import connecting
from ledgerbridge.engine.desktop.webconnector import DESKTOP
from ledgerbridge.engine.service._shared import Wiring, invalid, owned_connection
from ledgerbridge.engine.service.admin import connection_view
from ledgerbridge.engine.views import ConnectionView
from ledgerbridge.storage.connections import Connections, StoredConnection

__all__ = ["begin_connect", "bind_connect", "complete_connect", "connect_link", "reconnect"]


def begin_connect(service: Wiring, key_id: str, connection_id: str) -> connecting.Consent:
    """A sign-in bound to the browser that will keep `binding` in its cookie.
    `ValueError` when the environment has no QuickBooks app."""
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    _online(connection)
    return connecting.begin(service.ledger, connection, bind=True)


def connect_link(service: Wiring, key_id: str, connection_id: str) -> str:
    """A link for a script or the CLI to hand to the person's browser: it opens once and
    binds the sign-in to the browser that opened it (`/v1/oauth/start`)."""
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    _online(connection)
    consent = connecting.begin(service.ledger, connection, bind=False)
    return connecting.start_link(service.ledger, connection.environment, consent.state)


def _online(connection: StoredConnection) -> None:
    """A QuickBooks Desktop connection has no sign-in: the Web Connector on the PC connects."""
    if connection.environment == DESKTOP:
        raise invalid(
            "environment",
            "a QuickBooks Desktop connection connects through the Web Connector: add its .qwc "
            "file to the Web Connector on the QuickBooks PC",
        )


def reconnect(service: Wiring, realm_id: str) -> connecting.Consent | None:
    """The reconnect page (no API key: Intuit opens it with the company's realmId): a sign-in
    for the one connection of that company that needs a reconnect, bound to the browser that
    keeps its secret; None when there is none (`engine.connecting.reconnect`)."""
    return connecting.reconnect(service.ledger, realm_id)


def bind_connect(service: Wiring, state: str) -> connecting.Consent | None:
    """A browser opening a link of `connect_link`: None when it is unknown, expired or was
    opened before."""
    return connecting.bind(service.ledger, state)


def complete_connect(
    service: Wiring, state: str, code: str, realm_id: str, binding: str
) -> ConnectionView:
    """The OAuth callback, from the browser holding `binding`: tokens stored encrypted for
    the company the grant proves. `Invalid` naming `state` or `realmId` when nothing was
    stored; `QuickBooksError` when Intuit refused the code."""
    try:
        taken = connecting.complete(service.ledger, state, code, realm_id, binding)
    except connecting.NotSignedIn as refused:
        raise invalid(refused.field, refused.message) from None
    with service.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(taken.connection_id)
        assert connection is not None
        view = connection_view(service, session, connection)
    service.wake_pull(taken.connection_id)
    service.wake(taken.connection_id)
    return view
