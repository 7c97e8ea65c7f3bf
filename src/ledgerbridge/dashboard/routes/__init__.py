"""The dashboard's pages, one module per page; each exposes `router`."""

from ledgerbridge.dashboard.routes import (
    auth,
    connections,
    health,
    link_picker,
    log,
    mappings,
    record,
    settings,
    setup,
)

ROUTERS = (
    auth.router,
    connections.router,
    log.router,
    record.router,
    link_picker.router,
    mappings.router,
    settings.router,
    setup.router,
    health.router,
)

__all__ = ["ROUTERS"]
