"""A connection's OAuth tokens, as the QuickBooks client asks for them.

Refreshing happens once at a time per connection across every process: the refresh runs inside
a transaction that holds the connection's token row (SELECT ... FOR UPDATE on PostgreSQL, the
write lock on SQLite), and the rotated refresh token is committed before the new access token is
handed out. A process that waited finds the token already refreshed and uses it.

Every answer also tells when the refresh token ends (`refresh_expires_at`, stored with the
tokens); after each refresh `engine.reconnecting` shows or clears the warning ahead of that end.
"""

from __future__ import annotations

from ledgerbridge.adapters.qbo import Disconnected, TokenGrant, oauth
from ledgerbridge.engine import reconnecting
from ledgerbridge.engine.ports import Ledger, OnlineLedger
from ledgerbridge.storage.tokens import Tokens


class ConnectionTokens:
    def __init__(self, ledger: OnlineLedger, connection_id: str, environment: str) -> None:
        self._ledger = ledger
        self._connection_id = connection_id
        self._environment = environment

    def access_token(self) -> str:
        with self._ledger.db.session(readonly=True) as session:
            stored = Tokens(session).get(self._connection_id)
        if stored is None:
            raise Disconnected("the connection has no tokens: connect it to QuickBooks first")
        return self._ledger.cipher.decrypt(stored.access_token)

    def refreshed_access_token(self, stale: str) -> str:
        ledger = self._ledger
        with ledger.db.session() as session:
            tokens = Tokens(session)
            stored = tokens.get(self._connection_id, for_update=True)
            if stored is None:
                raise Disconnected("the connection has no tokens: connect it to QuickBooks first")
            current = ledger.cipher.decrypt(stored.access_token)
            if current != stale and stored.access_expires_at > ledger.clock():
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
