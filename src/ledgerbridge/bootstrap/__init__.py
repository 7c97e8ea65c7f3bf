"""The composition root: the only place that wires anything, imported only by the entry points
(`ledgerbridge.cli`, `ledgerbridge.demo`).

- `bootstrap.ledger`: the engine's ports filled (`Ledger`, `build`, `sqlite_ledger`), re-exported
  here.
- `bootstrap.wiring`: what the entry points start from a ledger: the migrated ledger of the
  environment, the dispatcher of its database, the `Service` wired to it, the HTTP API served,
  the job worker. Imported by its own name (`from ledgerbridge.bootstrap import wiring`), so
  that building a ledger does not load the web.
"""

from ledgerbridge.bootstrap.ledger import (
    DEFAULT_REDIRECT,
    Ledger,
    QboApp,
    RateLimits,
    build,
    sqlite_ledger,
)

__all__ = ["DEFAULT_REDIRECT", "Ledger", "QboApp", "RateLimits", "build", "sqlite_ledger"]
