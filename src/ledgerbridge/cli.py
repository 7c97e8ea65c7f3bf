"""`ledgerbridge`: serve the API, run a worker, migrate the database, make API keys.

    ledgerbridge serve --host 127.0.0.1 --port 8000   the HTTP API, with the in-process dispatcher
    ledgerbridge worker                               the dispatcher alone, until interrupted
    ledgerbridge migrate                              bring the database schema up to date
    ledgerbridge keys create --name NAME              a new API key: its secret is the last line
    ledgerbridge keys list | rotate K | revoke K      keys (no secrets); a new secret; revoke one
    ledgerbridge users create | list | delete | reset-password | unlock   dashboard users
    ledgerbridge resolve CONNECTION TYPE ID ACTION    run a one-click fix on a record's problem

Settings come from the environment (`ledgerbridge.settings`). An expected failure (a malformed
setting, a database that cannot be opened) prints one line on stderr and exits 1; usage errors
exit 2. `serve`, `worker` and `keys create` migrate the database first (an atomic no-op when it
is up to date).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from types import FrameType
from typing import Annotated, Protocol

import httpx
import typer
import uvicorn
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from ledgerbridge.api import create_app, logs
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dispatch import jobs
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import SettingsError, load_settings

__all__ = ["CliError", "Dispatcher", "app", "main"]

log = logging.getLogger("ledgerbridge.cli")

EXIT_FAILURE = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="ledgerbridge",
    help="Keep a business application's records in step with QuickBooks.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
users_app = typer.Typer(help="People who sign in to the dashboard.", no_args_is_help=True)
app.add_typer(users_app, name="users")


class CliError(Exception):
    """A failure the user can act on: printed as one line, no traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Dispatcher(Protocol):
    """What the CLI needs of `ledgerbridge.dispatch.inprocess.InProcessDispatcher(ledger)`."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wake(self, connection_id: str) -> None: ...

    def wake_pull(self, connection_id: str) -> None: ...


def _first_line(exc: BaseException) -> str:
    # A driver error says what is wrong on its first line; SQLAlchemy appends SQL and a link.
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0]


@contextmanager
def _ledger() -> Iterator[Ledger]:
    """The composition root from the environment, migrated; disposed at the end."""
    try:
        ledger = build(load_settings())
        ledger.db.migrate()
        if ledger.db.dialect == "postgresql":
            jobs.apply_job_schema(ledger)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    except (SQLAlchemyError, CommandError, OSError, ValueError) as exc:
        # ValueError: a database URL that SQLAlchemy or `Database` cannot take.
        raise CliError(f"the database cannot be used: {_first_line(exc)}") from None
    try:
        yield ledger
    finally:
        ledger.db.dispose()


def _dispatcher(ledger: Ledger) -> Dispatcher:
    """In-process on SQLite; procrastinate jobs (run by `ledgerbridge worker`) on PostgreSQL."""
    if ledger.db.dialect == "postgresql":
        return jobs.JobDispatcher(ledger)
    return InProcessDispatcher(ledger)


def _service(ledger: Ledger, dispatcher: Dispatcher) -> Service:
    defer_in = jobs.defer_sync_in if isinstance(dispatcher, jobs.JobDispatcher) else None
    return Service(ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull, defer_in=defer_in)


def _public_url(host: str, port: int) -> str:
    """This server's URL for QuickBooks' redirects and webhooks (all addresses: loopback)."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in reachable:
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"


def _check_redirect(ledger: Ledger) -> None:
    if ledger.settings.qbo_client_id and ledger.settings.qbo_redirect_uri is None:
        log.warning(
            "LEDGERBRIDGE_QBO_REDIRECT_URI is not set: QuickBooks will send people back to %s, "
            "which must be a redirect URI of the app's keys; set it to your public URL's "
            "/v1/oauth/callback",
            ledger.redirect_uri(),
        )
    else:
        log.info("QuickBooks sends people back to %s", ledger.redirect_uri())


class Level(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


def _configure_logging(level: Level) -> None:
    logging.basicConfig(
        level=level.value.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


LogLevel = Annotated[Level, typer.Option(help="How much to log.")]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000,
    log_level: LogLevel = Level.info,
) -> None:
    """Serve the HTTP API (and run the sync work in this process)."""
    _configure_logging(log_level)
    with _ledger() as ledger:
        ledger.public_url = _public_url(host, port)
        dispatcher = _dispatcher(ledger)
        if isinstance(dispatcher, jobs.JobDispatcher):
            log.info(
                "PostgreSQL: sync and pull jobs run in `ledgerbridge worker` processes; "
                "start at least one"
            )
        _check_redirect(ledger)
        api = create_app(_service(ledger, dispatcher))
        dispatcher.start()
        try:
            uvicorn.run(
                api,
                host=host,
                port=port,
                log_level=log_level.value,
                log_config=logs.uvicorn_log_config(),
                lifespan="off",
            )
        finally:
            dispatcher.stop()


@app.command()
def worker(log_level: LogLevel = Level.info) -> None:
    """Run the sync work without the HTTP API, until interrupted."""
    _configure_logging(log_level)
    with _ledger() as ledger:
        if ledger.db.dialect == "postgresql":
            jobs.run_worker(ledger)  # stops cleanly on SIGINT/SIGTERM
            return
        dispatcher = _dispatcher(ledger)
        stop = threading.Event()

        def _terminate(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _terminate)
        dispatcher.start()
        log.info("worker running; Ctrl-C or SIGTERM stops it")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            dispatcher.stop()
            signal.signal(signal.SIGTERM, previous)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    with _ledger():
        typer.echo("The database schema is up to date.")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what the key is for.")],
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"id", "name", "key"} for scripts.')
    ] = False,
) -> None:
    """Make an API key. The secret is printed once, as the last line."""
    if not name.strip():
        raise CliError("--name must not be blank", EXIT_USAGE)
    with _ledger() as ledger:
        key_id, secret = Service(ledger).create_key(name.strip())
    if as_json:
        typer.echo(json.dumps({"id": key_id, "name": name.strip(), "key": secret}))
        return
    typer.echo(f"Created API key {key_id} ({name.strip()}). It is shown only now:")
    typer.echo(secret)


@app.command()
def resolve(
    connection_id: Annotated[str, typer.Argument(help="The connection (con_...).")],
    record_type: Annotated[str, typer.Argument(help="customer, item, invoice, payment, ...")],
    record_id: Annotated[str, typer.Argument(help="The app's id of the record.")],
    action: Annotated[str, typer.Argument(help="retry, bypass, differentiate, link, ...")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A choice for the action, as key=value (repeatable)."),
    ] = None,
    actor: Annotated[str, typer.Option(help="Who acts, for the audit log.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run one of the actions a record's problem offers; refused ones say why (exit 1)."""
    import getpass
    import json

    from ledgerbridge.engine.errors import NotFound, Refused
    from ledgerbridge.storage.connections import Connections

    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--param takes key=value, not {item!r}", EXIT_USAGE)
        params[key] = value
    with _ledger() as ledger:
        with ledger.db.session(readonly=True) as session:
            connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            raise CliError(f"no connection {connection_id}")
        service = Service(ledger)
        who = actor or f"cli:{getpass.getuser()}"
        try:
            result = service.action(
                connection.api_key_id,
                connection_id,
                record_type,
                record_id,
                action,
                params,
                actor=who,
            )
        except Refused as refused:
            raise CliError(f"{action} refused: {refused.reason}") from None
        except NotFound as missing:
            raise CliError(f"{missing.what} was not found") from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, default=str))
        return
    record = result.record
    typer.echo(f"{action}: {result.summary}")
    typer.echo(f"{record_type} {record_id} is now {record.status}")
    if record.problem is not None:
        typer.echo(f"problem: {record.problem.code}: {record.problem.title}")
    if record.actions:
        typer.echo(f"actions: {', '.join(record.actions)}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="ledgerbridge", standalone_mode=True)
    except CliError as exc:
        print(f"ledgerbridge: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (httpx.HTTPError, OSError) as exc:
        print(f"ledgerbridge: error: {_first_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except SystemExit as exc:  # the parser's way out, and uvicorn's when it cannot listen
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return EXIT_FAILURE
    return 0


# The operator commands (connections, sync, log, pull, reconcile, checks, plan, emulator, demo)
# and the dashboard users' register themselves on `app`.
from ledgerbridge import cli_ops, cli_users  # noqa: E402, F401

if __name__ == "__main__":
    from ledgerbridge.cli import main as _main  # the imported module's `app` has cli_ops' commands

    sys.exit(_main())
