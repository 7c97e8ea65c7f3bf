"""The `ledgerbridge` command: its typer app, put together from the command modules, and
`main`, which runs it and turns expected failures into one line and an exit status."""

from __future__ import annotations

import sys

import httpx
import typer

from ledgerbridge.cli import connections, demo, keys, ops, reports, server, users
from ledgerbridge.cli.common import EXIT_FAILURE, CliError, first_line

__all__ = ["app", "main"]

app = typer.Typer(
    name="ledgerbridge",
    help="Keep a business application's records in step with QuickBooks.",
    no_args_is_help=True,
    add_completion=False,
)
# In this order `--help` lists them: the commands, then the groups.
app.add_typer(server.app)  # serve, worker, migrate
app.add_typer(ops.app)  # resolve, sync, pull
app.add_typer(reports.app)  # verify, log, reconcile, checks, plan
app.add_typer(demo.app)  # emulator, demo
app.add_typer(keys.keys_app, name="keys")
app.add_typer(users.users_app, name="users")
app.add_typer(connections.connections_app, name="connections")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="ledgerbridge", standalone_mode=True)
    except CliError as exc:
        print(f"ledgerbridge: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (httpx.HTTPError, OSError) as exc:
        print(f"ledgerbridge: error: {first_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except SystemExit as exc:  # the parser's way out, and uvicorn's when it cannot listen
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return EXIT_FAILURE
    return 0
