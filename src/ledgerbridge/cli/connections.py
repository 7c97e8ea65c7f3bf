"""`ledgerbridge connections list | show | create | connect-url | disconnect`: connections to
QuickBooks companies, looked up whoever owns them (the service is then asked with the owner's
key)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import AsJson, ConnectionId, asked, echo_json, operating
from ledgerbridge.core.status import DUE, Status
from ledgerbridge.engine.drain import problem_counts
from ledgerbridge.engine.views import ConnectionView
from ledgerbridge.storage.connections import Connections
from ledgerbridge.terminal import console, problems_table, statuses_table

__all__ = ["connections_app"]

connections_app = typer.Typer(help="Connections to QuickBooks companies.", no_args_is_help=True)


def _connection_row(table: Table, view: ConnectionView) -> None:
    counts = view.counts
    table.add_row(
        view.id,
        view.name,
        view.environment,
        view.status,
        view.company_name or "",
        str(counts.get(Status.SYNCED, 0)),
        str(sum(counts.get(s, 0) for s in DUE)),
        str(counts.get(Status.ERROR, 0)),
        (view.last_pull_at or "")[:19],
    )


@connections_app.command("list")
def connections_list(
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="Only this API key's connections.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Every connection (or one API key's), with its status and record counts."""
    with operating() as (ledger, service, _):
        with ledger.db.session(readonly=True) as session:
            stored = Connections(session).list_all()
        views = [
            (c.api_key_id, service.connection(c.api_key_id, c.id))
            for c in stored
            if key_id is None or c.api_key_id == key_id
        ]
    if as_json:
        echo_json([{**view.to_json(), "api_key_id": key} for key, view in views])
        return
    table = Table(title="Connections", title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("name", "env", "status", "company"):
        table.add_column(column, overflow="fold")
    for column in ("synced", "waiting", "errors"):
        table.add_column(column, justify="right")
    table.add_column("last pull", overflow="fold")
    for _, view in views:
        _connection_row(table, view)
    console().print(table)


@connections_app.command("show")
def connections_show(connection_id: ConnectionId, as_json: AsJson = False) -> None:
    """A connection: status, company, records by status and problems by code."""
    with operating(connection_id) as (ledger, service, key_id):
        view = service.connection(key_id, connection_id)
        problems = problem_counts(ledger, connection_id)
    if as_json:
        echo_json({**view.to_json(), "api_key_id": key_id, "problems": dict(problems)})
        return
    out = console()
    out.print(f"[bold]{view.name}[/] ({view.id}), API key {key_id}")
    out.print(f"status {view.status}, {view.environment}, company {view.company_name or '-'}")
    out.print(f"realm {view.realm_id or '-'}, last pull {view.last_pull_at or 'never'}")
    if view.environment != "desktop":  # the Web Connector calls in: QuickBooks has no webhooks
        out.print(f"last webhook from QuickBooks {view.webhooks_seen_at or 'none yet'}")
    if view.problem is not None:  # the connection's own (QuickBooks' words may hold brackets)
        out.print(
            f"problem {view.problem.code}: {view.problem.title}", markup=False, soft_wrap=True
        )
        out.print(view.problem.meaning, markup=False, soft_wrap=True)
        for number, step in enumerate(view.problem.fix, 1):
            out.print(f"  {number}. {step}", markup=False, soft_wrap=True)
    out.print(statuses_table(view.counts))
    if problems:
        out.print(problems_table(problems))


@connections_app.command("create")
def connections_create(
    name: Annotated[str, typer.Option("--name", help="What the connection is called.")],
    key_id: Annotated[str, typer.Option("--key-id", help="The API key (key_...) owning it.")],
    environment: Annotated[
        str, typer.Option(help="emulator, sandbox, production or desktop.")
    ] = "emulator",
    as_json: AsJson = False,
) -> None:
    """Make a connection for an API key; connect it with `connect-url`."""
    with operating() as (_, service, _key):
        view = asked(lambda: service.create_connection(key_id, name, environment))
    if as_json:
        echo_json(view.to_json())
        return
    typer.echo(f"Created connection {view.id} ({view.name}, {view.environment}).")
    if view.environment == "desktop":
        typer.echo(
            "Add its .qwc file to the Web Connector on the QuickBooks PC: the connection's page "
            f"in the dashboard, or GET /v1/connections/{view.id}/qwc."
        )
        return
    typer.echo(f"Connect it: ledgerbridge connections connect-url {view.id}")


@connections_app.command("connect-url")
def connections_connect_url(connection_id: ConnectionId, as_json: AsJson = False) -> None:
    """A link a person opens (once, within minutes) to connect the company: it leads through
    the running server, which remembers that browser, to QuickBooks' consent page."""
    with operating(connection_id) as (_, service, key_id):
        url = asked(lambda: service.connect_link(key_id, connection_id))
        environment = service.connection(key_id, connection_id).environment
    if as_json:
        echo_json({"url": url})
        return
    typer.echo(url)
    if environment == "emulator":
        typer.echo(
            "(emulator: on its consent page, add &realm_id=REALM&approve=true to the address "
            "to skip the form)"
        )


@connections_app.command("disconnect")
def connections_disconnect(connection_id: ConnectionId, as_json: AsJson = False) -> None:
    """Forget the connection's tokens; its records wait (pending) until it is connected again."""
    with operating(connection_id) as (_, service, key_id):
        view = asked(lambda: service.disconnect(key_id, connection_id))
    if as_json:
        echo_json(view.to_json())
        return
    typer.echo(f"{view.id} is now {view.status}.")
