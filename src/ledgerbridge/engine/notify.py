"""Events delivered to the app's own URL, signed, in order, at least once.

When a connection's settings name an `events_url`, undelivered events are POSTed there in
batches, oldest first: `{"connection_id": ..., "events": [{"id", "type", "payload",
"created_at"}]}` with the header `X-Ledgerbridge-Signature: sha256=<hex HMAC-SHA256 of the raw
body keyed by the connection's events_secret>`. Only a 2xx answer marks them delivered; anything
else leaves them for the next round (the app dedupes by event id). The pollable feed
(`GET /v1/connections/{cid}/events?after=`) carries the same events either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import httpx

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.storage.repositories import Connections, Events

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Ledgerbridge-Signature"
BATCH = 100


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_events(ledger: Ledger, connection_id: str, *, timeout: float = 5.0) -> int:
    """Deliver what is pending; returns how many events the app acknowledged."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            return 0
        url = connection.settings.get("events_url")
        secret = connection.settings.get("events_secret")
        if not url or not secret:
            return 0
        pending = Events(session).undelivered(connection_id, BATCH)
    if not pending:
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
        with httpx.Client(transport=ledger.transport, timeout=timeout) as http:
            response = http.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
            )
    except httpx.HTTPError as exc:
        log.warning("event delivery to %s failed: %s", url, exc)
        return 0
    if not response.is_success:
        log.warning("event delivery to %s answered %s", url, response.status_code)
        return 0
    with ledger.db.session() as session:
        Events(session, clock=ledger.clock).mark_delivered([e.id for e in pending])
    return len(pending)
