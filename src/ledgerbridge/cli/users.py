"""`ledgerbridge users`: the people who sign in to the dashboard:

    ledgerbridge users create --email E --key-id K [--password-stdin] [--json]
    ledgerbridge users list [--json]              email, key, created, last sign-in, locked
    ledgerbridge users reset-password EMAIL [--password-stdin]   ends the user's sessions
    ledgerbridge users delete EMAIL               ends them too
    ledgerbridge users unlock EMAIL               lifts a lock from too many failed sign-ins

A password is asked for (hidden, twice) or read from the first line of stdin with
`--password-stdin`, never taken from the command line, where other users of the machine and
the shell's history would see it. (`create --password` still works for old scripts, unlisted.)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import EXIT_USAGE, CliError, opened
from ledgerbridge.dashboard import accounts
from ledgerbridge.terminal import console

__all__ = ["read_password", "users_app"]

users_app = typer.Typer(help="People who sign in to the dashboard.", no_args_is_help=True)

Email = Annotated[str, typer.Argument(help="The user's email.", show_default=False)]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (for scripts)."
    ),
]


def read_password(from_stdin: bool) -> str:
    """The new password: stdin's first line, or asked for hidden and twice."""
    if not from_stdin:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    if not line:
        raise CliError("--password-stdin: stdin is empty", EXIT_USAGE)
    return line.removesuffix("\n").removesuffix("\r")


@contextmanager
def _refusals() -> Iterator[None]:
    """What `accounts` refuses (`UserRefused`) is the command's error, in its words."""
    try:
        yield
    except accounts.UserRefused as refused:
        raise CliError(str(refused)) from None


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option("--email", help="What the person signs in with.")],
    key_id: Annotated[
        str, typer.Option("--key-id", help="The API key (key_...) whose connections they see.")
    ],
    password_stdin: PasswordStdin = False,
    password: Annotated[str | None, typer.Option(hidden=True)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"id", "email", "key_id"} for scripts.')
    ] = False,
) -> None:
    """Let a person sign in to the dashboard at /dashboard (asks for the password)."""
    if password is None:
        password = read_password(password_stdin)
    with opened() as ledger, _refusals():
        user = accounts.create_user(ledger, email, key_id, password)
    if as_json:
        typer.echo(json.dumps({"id": user.id, "email": user.email, "key_id": user.key_id}))
        return
    typer.echo(f"Created dashboard user {user.email} ({user.id}) for API key {user.key_id}.")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every dashboard user: their key, when they were made and last signed in, and whether
    too many failed sign-ins locked them out."""
    with opened() as ledger:
        users = accounts.list_users(ledger)
    rows = [
        {
            "id": user.id,
            "email": user.email,
            "key_id": user.key_id,
            "created_at": _when(user.created_at),
            "last_sign_in_at": _when(user.last_sign_in_at),
            "locked_since": _when(user.locked_since),
        }
        for user in users
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Dashboard users", title_justify="left")
    for column in ("email", "key", "created", "last sign-in", "locked since"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["email"]),
            str(row["key_id"]),
            str(row["created_at"])[:19],
            str(row["last_sign_in_at"] or "never")[:19],
            str(row["locked_since"] or "")[:19],
        )
    console().print(table)


@users_app.command("reset-password")
def users_reset_password(email: Email, password_stdin: PasswordStdin = False) -> None:
    """Give a user a new password (asked for); every session they have ends."""
    password = read_password(password_stdin)
    with opened() as ledger, _refusals():
        user = accounts.reset_password(ledger, email, password)
    typer.echo(f"New password for {user.email}; their sessions have ended.")


@users_app.command("delete")
def users_delete(email: Email) -> None:
    """Remove a user: their sessions end and they can no longer sign in."""
    with opened() as ledger, _refusals():
        user = accounts.delete_user(ledger, email)
    typer.echo(f"Deleted dashboard user {user.email} ({user.id}).")


@users_app.command("unlock")
def users_unlock(email: Email) -> None:
    """Let an account sign in again after too many failed attempts (its count starts over)."""
    with opened() as ledger, _refusals():
        unlocked = accounts.unlock(ledger, email)
    if unlocked:
        typer.echo(f"Unlocked {email.strip()}: its failed sign-ins are forgotten.")
    else:
        typer.echo(f"{email.strip()} had no failed sign-ins to forget.")
