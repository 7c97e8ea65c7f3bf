"""The warning ahead of the end of a connection's sign-in (`connection.reconnect_soon`).

    reconnecting.check(ledger, connection_id)      # after each token answer and each pull pass
    reconnecting.shown(ledger, connection)         # the problem as the API and dashboard show it
    reconnecting.reconnect_url(ledger, environment, realm_id)   # the Reconnect URL for a company

Each token answer tells when the refresh token ends (stored as the tokens' `refresh_expires_at`,
`engine.tokens.store_grant`). Within `core.reconnect.WARN_BEFORE` of that end an active
connection shows the problem `connection.reconnect_soon`, with the date in words; the API and
the dashboard show it with the connection, with the link of the reconnect page added
(`/v1/oauth/reconnect?realmId=...`, next to the OAuth callback), and syncing goes on as usual.
A reconnect stores a new grant and the check after it clears the warning. When the end passes,
QuickBooks refuses the refresh (`invalid_grant`): the connection becomes `disconnected`
(`connection.disconnected`), as for any lost authorization, and the warning is no longer shown
(`shown`).

The connection's problem holds one problem: another one (the secret keys changed) is never
replaced by the warning, which waits for it to clear.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urljoin

from ledgerbridge.core import catalog, reconnect
from ledgerbridge.engine.ports import Ledger, OnlineLedger
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.tokens import StoredTokens, Tokens

__all__ = ["check", "check_as", "reconnect_url", "shown"]

log = logging.getLogger(__name__)


def reconnect_url(ledger: OnlineLedger, environment: str, realm_id: str) -> str | None:
    """The page that starts a reconnect for the company (the app's Reconnect URL at Intuit);
    None when the environment has no QuickBooks app."""
    try:
        callback = ledger.app(environment).redirect_uri
    except ValueError:
        return None
    return f"{urljoin(callback, 'reconnect')}?{urlencode({'realmId': realm_id})}"


def shown(ledger: OnlineLedger, connection: StoredConnection) -> Mapping[str, Any] | None:
    """The connection's stored problem as it is shown: the warning only on an active connection
    (a disconnected one says so itself), with the reconnect page's link."""
    problem = connection.problem
    if problem is None or problem.get("code") != catalog.CONNECTION_RECONNECT_SOON:
        return problem
    if connection.status != "active" or not connection.realm_id:
        return None
    url = reconnect_url(ledger, connection.environment, connection.realm_id)
    return {**problem, "params": {**(problem.get("params") or {}), "reconnect_url": url}}


def check(ledger: Ledger, connection_id: str) -> bool:
    """Show or clear the connection's reconnect warning; True when it is shown afterwards."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        stored = Tokens(session).get(connection_id)
    if connection is None:
        return False
    return check_as(ledger, connection, stored)


def check_as(ledger: Ledger, connection: StoredConnection, stored: StoredTokens | None) -> bool:
    """`check` of a connection and its tokens as the caller read them (together); a change is
    made only if the stored problem is still one the warning may replace."""
    connection_id = connection.id
    current = connection.problem
    if current is not None and current.get("code") != catalog.CONNECTION_RECONNECT_SOON:
        return False  # another problem of the connection speaks first
    warning = None
    if stored is not None and connection.status == "active" and connection.realm_id:
        warning = reconnect.warning(stored.refresh_expires_at, ledger.clock())
    wanted = warning.to_json() if warning is not None else None
    if wanted == (dict(current) if current is not None else None):
        return wanted is not None
    with ledger.db.session() as session:
        connections = Connections(session)
        fresh = connections.get_unscoped(connection_id)
        if fresh is None or (fresh.problem or {}).get("code") not in (
            None,
            catalog.CONNECTION_RECONNECT_SOON,
        ):
            return False  # changed meanwhile
        connections.set_problem(connection_id, wanted)
    if warning is not None and current is None:
        log.warning(
            "connection %s: QuickBooks stops accepting its sign-in on %s; reconnect before then",
            connection_id,
            warning.params["date"],
        )
    return wanted is not None
