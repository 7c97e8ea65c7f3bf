"""`ledgerbridge`: serve the API, run a worker, migrate the database, make API keys.

    ledgerbridge serve --host 127.0.0.1 --port 8000   the HTTP API, with the in-process dispatcher
    ledgerbridge worker                               the dispatcher alone, until interrupted
    ledgerbridge migrate                              bring the database schema up to date
    ledgerbridge keys create --name NAME              a new API key: its secret is the last line
    ledgerbridge keys list | rotate K | revoke K      keys (no secrets); a new secret; revoke one
    ledgerbridge users create | list | delete | reset-password | unlock   dashboard users
    ledgerbridge resolve CONNECTION TYPE ID ACTION    run a one-click fix on a record's problem

and the operator commands (connections, sync, log, pull, verify, reconcile, checks, plan,
emulator, demo: `ops`, `reports`, `connections`, `demo`). One module per group of commands,
put together in `app`; what they open and start is wired by `ledgerbridge.bootstrap`.

Settings come from the environment (`ledgerbridge.settings`). An expected failure (a malformed
setting, a database that cannot be opened) prints one line on stderr and exits 1; usage errors
exit 2. `serve`, `worker` and `keys create` migrate the database first (an atomic no-op when it
is up to date).
"""

from ledgerbridge.cli.app import app, main
from ledgerbridge.cli.common import CliError

__all__ = ["CliError", "app", "main"]
