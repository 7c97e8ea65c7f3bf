"""Do this process's secret keys open a connection's stored tokens?

    if not keys.tokens_open(ledger, connection_id):
        ...  # the connection has the problem connection.secret_keys_changed; stop quietly

Tokens are encrypted with `LEDGERBRIDGE_SECRET_KEYS`. A server started with other keys (a key
dropped before the tokens were rotated to the new one, another machine's keys, a typo that is
still a valid key) cannot decrypt them. That used to look like nothing: the connection read
`active`, records stayed pending without a problem, and only a traceback each pass in the log
said why. Now every pass and check asks here first: a connection whose tokens do not open gets the
problem `connection.secret_keys_changed` (shown with the connection by the API and the
dashboard), the work stops without a traceback, and the problem goes away by itself on the
first pass after the right key is back (or after a reconnect, which stores new tokens).
"""

from __future__ import annotations

import dataclasses
import logging

from ledgerbridge.core import catalog
from ledgerbridge.core.problems import Problem
from ledgerbridge.crypto import CipherError
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.tokens import StoredTokens, Tokens

__all__ = ["KEYS_CHANGED", "opened", "tokens_open"]

log = logging.getLogger(__name__)

KEYS_CHANGED = Problem(
    catalog.CONNECTION_SECRET_KEYS_CHANGED,
    None,
    "the stored tokens cannot be decrypted with the keys of LEDGERBRIDGE_SECRET_KEYS",
    {},
)


def tokens_open(ledger: Ledger, connection_id: str) -> bool:
    """True when the connection's tokens decrypt (or it has none); records or clears the
    connection's problem when that changed, with one log line when it appears."""
    with ledger.db.session(readonly=True) as session:
        stored = Tokens(session).get(connection_id)
        connection = Connections(session).get_unscoped(connection_id)
    return connection is not None and opened(ledger, connection, stored) is not None


def opened(
    ledger: Ledger, connection: StoredConnection, stored: StoredTokens | None
) -> StoredConnection | None:
    """`tokens_open` of a connection and its tokens as the caller read them (together): the
    connection as it stands afterwards (its problem recorded or cleared), or None when this
    process's keys do not open the tokens."""
    opens = True
    if stored is not None:
        try:
            ledger.cipher.decrypt(stored.access_token)
            ledger.cipher.decrypt(stored.refresh_token)
        except CipherError:
            opens = False
    shown = (connection.problem or {}).get("code") == catalog.CONNECTION_SECRET_KEYS_CHANGED
    if opens != shown:  # closed and shown, or open and not shown: as it should be
        return connection if opens else None
    problem = None if opens else KEYS_CHANGED.to_json()
    with ledger.db.session() as session:
        Connections(session).set_problem(connection.id, problem)
    if not opens:
        log.warning(
            "connection %s: its QuickBooks tokens cannot be decrypted with the keys of "
            "LEDGERBRIDGE_SECRET_KEYS (changed since they were stored?); nothing is synced until "
            "the key that encrypted them is back, or the connection is reconnected",
            connection.id,
        )
        return None
    log.info("connection %s: its tokens decrypt again; syncing resumes", connection.id)
    return dataclasses.replace(connection, problem=problem)
