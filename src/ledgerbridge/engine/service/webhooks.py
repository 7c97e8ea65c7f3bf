"""Intuit's webhooks: a notification checked, and every connection of its companies woken to
pull."""

from __future__ import annotations

from ledgerbridge.adapters.qbo import webhooks
from ledgerbridge.engine.drift import remember_merges
from ledgerbridge.engine.service._shared import Wiring, invalid
from ledgerbridge.storage.connections import Connections

__all__ = ["receive_webhook"]


def receive_webhook(service: Wiring, body: bytes, signature: str | None) -> int:
    """Intuit's notification: checked, then every connection of the realms it names pulls.
    Returns how many connections were woken; raises `Invalid` for a bad signature."""
    verifiers = {
        app.verifier_token.value for app in service.ledger.known_apps() if app.verifier_token
    }
    if not any(webhooks.verify_signature(body, signature, v) for v in verifiers):
        raise invalid("intuit-signature", "the notification's signature does not match")
    notices = webhooks.parse_notification(body)
    realms = {n.realm_id for n in notices}
    with service.ledger.db.session(readonly=True) as session:
        found = [c for c in Connections(session).all_connected() if c.realm_id in realms]
    targets = [c.id for c in found]
    if any(n.operation == "Merge" for n in notices):
        with service.ledger.db.session() as session:  # the pull re-links the merged customer
            remember_merges(session, [(c.id, c.realm_id) for c in found], notices)
    for connection_id in targets:
        service.wake_pull(connection_id)
    return len(targets)
