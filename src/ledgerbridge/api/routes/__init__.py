"""The `/v1` routes, one module per resource; each exposes `router`."""

from ledgerbridge.api.routes import connections, events, health, oauth, records, webhooks

ROUTERS = (
    health.router,
    connections.router,
    oauth.router,
    records.router,
    events.router,
    webhooks.router,
)

__all__ = ["ROUTERS"]
