"""`ledgerbridge keys create | list | rotate | revoke`: API keys for the HTTP API (a secret is
printed once, as the last line; listings never show one)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.bootstrap import wiring
from ledgerbridge.cli.common import EXIT_USAGE, AsJson, CliError, echo_json, opened
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections
from ledgerbridge.terminal import console

__all__ = ["keys_app"]

keys_app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)


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
    with opened() as ledger:
        key_id, secret = wiring.service_for(ledger).create_key(name.strip())
    if as_json:
        typer.echo(json.dumps({"id": key_id, "name": name.strip(), "key": secret}))
        return
    typer.echo(f"Created API key {key_id} ({name.strip()}). It is shown only now:")
    typer.echo(secret)


@keys_app.command("list")
def keys_list(as_json: AsJson = False) -> None:
    """Every API key (never its secret), with its connections; revoked ones say when."""
    with opened() as ledger, ledger.db.session(readonly=True) as session:
        keys = ApiKeys(session).list_all()
        owned: dict[str, int] = {}
        for connection in Connections(session).list_all():
            owned[connection.api_key_id] = owned.get(connection.api_key_id, 0) + 1
    rows = [
        {
            "id": key.id,
            "name": key.name,
            "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            "connections": owned.get(key.id, 0),
        }
        for key in keys
    ]
    if as_json:
        echo_json(rows)
        return
    table = Table(title="API keys", title_justify="left")
    for column in ("id", "name", "created", "revoked"):
        table.add_column(column, overflow="fold")
    table.add_column("connections", justify="right")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["name"]),
            str(row["created_at"])[:19],
            str(row["revoked_at"] or "")[:19],
            str(row["connections"]),
        )
    console().print(table)


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key (key_...).", show_default=False)],
    as_json: AsJson = False,
) -> None:
    """A new secret for a key (printed once, as the last line); the old one stops at once.
    The key keeps its id, its connections and its dashboard users."""
    with opened() as ledger, ledger.db.session() as session:
        secret = ApiKeys(session).rotate(key_id)
    if secret is None:
        raise CliError(f"there is no live API key {key_id}")
    if as_json:
        echo_json({"id": key_id, "key": secret})
        return
    typer.echo(f"New secret for {key_id}; the old one no longer works. It is shown only now:")
    typer.echo(secret)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key (key_...).", show_default=False)],
) -> None:
    """Revoke a key: its API calls stop, and its dashboard users are signed out."""
    with opened() as ledger, ledger.db.session() as session:
        revoked = ApiKeys(session).revoke(key_id)
    if not revoked:
        raise CliError(f"there is no live API key {key_id}")
    typer.echo(f"Revoked {key_id}.")
