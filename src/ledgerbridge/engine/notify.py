"""Events delivered to the app's own URL, signed, in order, at least once.

When a connection's settings name an `events_url`, undelivered events are POSTed there in
batches, oldest first: `{"connection_id": ..., "events": [{"id", "type", "payload",
"created_at"}]}` with the header `X-Ledgerbridge-Signature: sha256=<hex HMAC-SHA256 of the raw
body keyed by the connection's events_secret>`. Only a 2xx answer marks them delivered; anything
else leaves them for the next round (the app dedupes by event id). The pollable feed
(`GET /v1/connections/{cid}/events?after=`) carries the same events either way.

The events secret is kept encrypted with the secret keys, like the OAuth tokens: whoever reads
the database (a backup, a copied file) cannot forge signed events with it. Where events may go
is `core.destinations`' rule, applied by `adapters.delivery` at every delivery (https, public
addresses, the address checked is the one connected to, no redirects followed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters import delivery
from ledgerbridge.crypto import CipherError
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Ledgerbridge-Signature"
BATCH = 100
LEGACY_KEY = "events_secret"  # where the secret lived in plain text before migration 0007


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- the events secret, encrypted at rest --------------------------------------------------------


def new_events_secret(ledger: Ledger, session: Session, connection_id: str) -> None:
    """Make the connection's events secret, stored encrypted with the secret keys."""
    sealed = ledger.cipher.encrypt(secrets.token_urlsafe(32))
    Connections(session).set_events_secret(connection_id, sealed)


def events_secret(ledger: Ledger, session: Session, connection: StoredConnection) -> str | None:
    """The connection's events secret in clear, for signing and for its owner to see.

    Stored encrypted (`connections.events_secret`) since migration 0007; a secret still in
    plain text in the settings (a database migrated without the keys) is read as it is until
    the settings are next written (`seal_plain_secret`). Raises `CipherError` when the keys
    cannot decrypt it."""
    sealed = Connections(session).events_secret(connection.id)
    if sealed is not None:
        return ledger.cipher.decrypt(sealed)
    plain = connection.settings.get(LEGACY_KEY)
    return plain if isinstance(plain, str) else None


def seal_plain_secret(
    ledger: Ledger, session: Session, connection_id: str, settings: dict[str, Any]
) -> None:
    """Move a plain-text events secret out of `settings` (changed in place) into its encrypted
    column, unless the column holds one already."""
    plain = settings.pop(LEGACY_KEY, None)
    connections = Connections(session)
    if isinstance(plain, str) and connections.events_secret(connection_id) is None:
        connections.set_events_secret(connection_id, ledger.cipher.encrypt(plain))


def _current_secret(ledger: Ledger, connection: StoredConnection) -> str | None:
    """The secret to sign with; encrypted again with the newest key when an older one did
    (after a key rotation), so the old key can be dropped later."""
    with ledger.db.session(readonly=True) as session:
        secret = events_secret(ledger, session, connection)
        sealed = Connections(session).events_secret(connection.id)
    if secret is not None and sealed is not None and not ledger.cipher.is_current(sealed):
        with ledger.db.session() as session:
            Connections(session).set_events_secret(connection.id, ledger.cipher.encrypt(secret))
    return secret


def deliver_events(ledger: Ledger, connection_id: str, *, timeout: float = 5.0) -> int:
    """Deliver what is pending; returns how many events the app acknowledged."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            return 0
        url = connection.settings.get("events_url")
        if not url:
            return 0
        pending = Events(session).undelivered(connection_id, BATCH)
    if not pending:
        return 0
    try:
        secret = _current_secret(ledger, connection)
    except CipherError:  # the connection's problem says so (engine.keys); events wait
        log.warning("events of %s wait: its events secret cannot be decrypted", connection_id)
        return 0
    if not secret:
        return 0
    body = json.dumps(
        {
            "connection_id": connection_id,
            "events": [
                {
                    "id": e.id,
                    "type": e.type,
                    "payload": dict(e.payload),
                    "created_at": e.created_at.isoformat(),
                }
                for e in pending
            ],
        },
        separators=(",", ":"),
    ).encode()
    try:
        status = delivery.post(
            url,
            body,
            {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
            allowed=ledger.settings.events_allow_http_hosts,
            transport=ledger.transport,
            timeout=timeout,
        )
    except delivery.Refused as refused:
        log.warning("events of %s not sent: events_url %s", connection_id, refused.reason)
        return 0
    except delivery.DeliveryError as exc:
        log.warning("event delivery to %s failed: %s", url, exc)
        return 0
    if not 200 <= status < 300:  # a redirect too: never followed
        log.warning("event delivery to %s answered %s", url, status)
        return 0
    with ledger.db.session() as session:
        Events(session, clock=ledger.clock).mark_delivered([e.id for e in pending])
    return len(pending)
