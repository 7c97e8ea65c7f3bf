"""A connection's OAuth tokens, as the QuickBooks client asks for them.

Refreshing happens once at a time per connection across every process: the refresh runs inside
a transaction that holds the connection's token row (SELECT ... FOR UPDATE on PostgreSQL, the
write lock on SQLite), and the rotated refresh token is committed before the new access token is
handed out. A process that waited finds the token already refreshed and uses it.

Every answer also tells when the refresh token ends (`refresh_expires_at`, stored with the
tokens); after each refresh `engine.reconnecting` shows or clears the warning ahead of that end.

The access token read from the database is used for `TOKEN_FRESH` seconds (never past its
expiry) before it is read again, rather than a transaction for every request: a token another
process refreshed meanwhile is seen then, or at once when QuickBooks refuses the old one (the
refusal asks `refreshed_access_token`, which reads the stored token under the lock first).
A caller that has just read the tokens itself (a job's first read of its company, `read=`)
hands that read over: it counts as the client's own read, from the moment it was made, so the
first request goes without reading them again and the token is read afresh at the same age.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from ledgerbridge.adapters.qbo import Disconnected, TokenGrant, oauth
from ledgerbridge.engine import reconnecting
from ledgerbridge.engine.ports import Ledger, OnlineLedger
from ledgerbridge.storage.tokens import Tokens, TokensRead

TOKEN_FRESH = 5.0  # seconds an access token read from the database is used as it is


class ConnectionTokens:
    def __init__(
        self,
        ledger: OnlineLedger,
        connection_id: str,
        environment: str,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        read: TokensRead | None = None,
    ) -> None:
        self._ledger = ledger
        self._connection_id = connection_id
        self._environment = environment
        self._monotonic = monotonic
        # the token last read or refreshed: (token, when read (monotonic), when it expires)
        self._known: tuple[str, float, datetime] | None = None
        self._read = read  # the caller's read, decrypted when first asked

    def access_token(self) -> str:
        read, self._read = self._read, None
        if read is not None and self._known is None:
            token = self._ledger.cipher.decrypt(read.stored.access_token)
            self._known = (token, read.at, read.stored.access_expires_at)
        known = self._known
        if (
            known is not None
            and self._monotonic() - known[1] < TOKEN_FRESH
            and known[2] > self._ledger.clock()
        ):
            return known[0]
        with self._ledger.db.session(readonly=True) as session:
            stored = Tokens(session).get(self._connection_id)
        if stored is None:
            self._known = None
            raise Disconnected("the connection has no tokens: connect it to QuickBooks first")
        token = self._ledger.cipher.decrypt(stored.access_token)
        self._known = (token, self._monotonic(), stored.access_expires_at)
        return token

    def refreshed_access_token(self, stale: str) -> str:
        ledger = self._ledger
        with ledger.db.session() as session:
            tokens = Tokens(session)
            stored = tokens.get(self._connection_id, for_update=True)
            if stored is None:
                raise Disconnected("the connection has no tokens: connect it to QuickBooks first")
            current = ledger.cipher.decrypt(stored.access_token)
            if current != stale and stored.access_expires_at > ledger.clock():
                self._known = (current, self._monotonic(), stored.access_expires_at)
                return current  # another worker refreshed meanwhile
            app = ledger.app(self._environment)
            grant = oauth.refresh(
                ledger.endpoints(self._environment),
                app.client_id,
                app.client_secret.value,
                ledger.cipher.decrypt(stored.refresh_token),
                transport=ledger.transport,
            )
            store_grant(ledger, tokens, self._connection_id, grant)
        self._known = (grant.access_token, self._monotonic(), grant.access_expires_at)
        # committed: the rotated refresh token is safe before the access token is used
        reconnecting.check(ledger, self._connection_id)  # the answer told the refresh token's end
        return grant.access_token


def store_grant(ledger: Ledger, tokens: Tokens, connection_id: str, grant: TokenGrant) -> None:
    tokens.put(
        connection_id,
        access_token=ledger.cipher.encrypt(grant.access_token),
        refresh_token=ledger.cipher.encrypt(grant.refresh_token),
        access_expires_at=grant.access_expires_at,
        refresh_expires_at=grant.refresh_expires_at,
        key_id="1",
    )
