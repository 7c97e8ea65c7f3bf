"""What every command of `ledgerbridge` shares: its error, the ledger it opens, the look-ups
and the output of the operator commands.

An expected failure (`CliError`: a malformed setting, a database that cannot be opened, a
refusal) prints one line on stderr and exits 1 (`app.main`); usage errors exit 2. Operator
commands have database access: connections are looked up whoever owns them (the service is
then asked with the owner's key).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from ledgerbridge.bootstrap import Ledger, wiring
from ledgerbridge.engine.errors import Invalid, NotFound
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import SettingsError, load_settings
from ledgerbridge.storage.connections import Connections, StoredConnection

__all__ = [
    "EXIT_FAILURE",
    "EXIT_USAGE",
    "AsJson",
    "CliError",
    "ConnectionId",
    "asked",
    "choice",
    "connection_of",
    "echo_json",
    "first_line",
    "opened",
    "operating",
]

T = TypeVar("T")

EXIT_FAILURE = 1
EXIT_USAGE = 2

ConnectionId = Annotated[str, typer.Argument(help="The connection (con_...).", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class CliError(Exception):
    """A failure the user can act on: printed as one line, no traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def first_line(exc: BaseException) -> str:
    # A driver error says what is wrong on its first line; SQLAlchemy appends SQL and a link.
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0]


@contextmanager
def opened() -> Iterator[Ledger]:
    """The composition root from the environment, migrated; disposed at the end."""
    try:
        ledger = wiring.migrated(load_settings())
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    except (SQLAlchemyError, CommandError, OSError, ValueError) as exc:
        # ValueError: a database URL that SQLAlchemy or `Database` cannot take.
        raise CliError(f"the database cannot be used: {first_line(exc)}") from None
    try:
        yield ledger
    finally:
        ledger.db.dispose()


@contextmanager
def operating(connection_id: str | None = None) -> Iterator[tuple[Ledger, Service, str]]:
    """The ledger, a service, and the API key owning `connection_id` (unscoped look-up)."""
    with opened() as ledger:
        key_id = ""
        if connection_id is not None:
            key_id = connection_of(ledger, connection_id).api_key_id
        yield ledger, wiring.service_for(ledger), key_id


def connection_of(ledger: Ledger, connection_id: str) -> StoredConnection:
    with ledger.db.session(readonly=True) as session:
        found = Connections(session).get_unscoped(connection_id)
    if found is None:
        raise CliError(f"no connection {connection_id}")
    return found


def asked(call: Callable[[], T]) -> T:
    """The service's answer; its refusals become one-line errors."""
    try:
        return call()
    except NotFound as missing:
        raise CliError(f"{missing.what} was not found") from None
    except Invalid as invalid:
        raise CliError(str(invalid)) from None


def choice(value: str | None, allowed: tuple[str, ...] | frozenset[str], option: str) -> None:
    if value is not None and value not in allowed:
        raise CliError(f"{option} must be one of {', '.join(sorted(allowed))}", EXIT_USAGE)


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))
