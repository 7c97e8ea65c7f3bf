"""The `/v1` routes, one module per resource; each exposes `router`."""

from ledgerbridge.api.routes import (
    checks,
    connections,
    events,
    health,
    oauth,
    qbwc,
    quickbooks,
    records,
    reports,
    webhooks,
)

ROUTERS = (
    health.router,
    connections.router,
    checks.router,
    oauth.router,
    records.router,
    quickbooks.router,
    events.router,
    reports.router,
    webhooks.router,
    qbwc.router,
)

__all__ = ["ROUTERS"]
