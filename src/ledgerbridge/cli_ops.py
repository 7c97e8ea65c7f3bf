"""Operator commands of `ledgerbridge`, registered into `ledgerbridge.cli.app` (cli.py imports
this module at its end):

    ledgerbridge connections list | show CID | create --name N --key-id K | connect-url CID
                             | disconnect CID
    ledgerbridge sync CID [--type T --status S --id ID ... [--queue]]   a pass now, with progress
    ledgerbridge log CID [--status S --type T --code C --q TEXT --limit N --cursor C]
    ledgerbridge pull CID                      refresh from QuickBooks now
    ledgerbridge reconcile CID [--format table|csv|json]
    ledgerbridge verify CID [--json] [--no-flag] read QuickBooks afresh, check every "synced"
    ledgerbridge checks CID [--run]            the setup checklist
    ledgerbridge plan CID                      the dry run: what a sync would do now
    ledgerbridge emulator serve|demo ...       the QuickBooks Online emulator (qbo-emulator)
    ledgerbridge demo [--records small|full]   the whole product on this machine

An operator tool with database access: connections are looked up whoever owns them (the
service is then asked with the owner's key). Listings are tables; `--json` prints what a
script wants on stdout (progress, if any, goes to stderr). Errors print one line, exit 1;
usage errors exit 2 (`ledgerbridge.cli.main`).
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.cli import EXIT_USAGE, CliError, _ledger, app, keys_app
from ledgerbridge.core import catalog
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.core.status import DUE, Status
from ledgerbridge.engine.errors import Invalid, NotFound
from ledgerbridge.engine.service import Service
from ledgerbridge.engine.views import ConnectionView
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.records import InvalidCursor
from ledgerbridge.terminal import (
    STATUSES,
    console,
    drain,
    problem_counts,
    problems_table,
    statuses_table,
)

__all__ = ["connections_app"]

T = TypeVar("T")

connections_app = typer.Typer(help="Connections to QuickBooks companies.", no_args_is_help=True)
app.add_typer(connections_app, name="connections")

ConnectionId = Annotated[str, typer.Argument(help="The connection (con_...).", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@contextmanager
def _operating(connection_id: str | None = None) -> Iterator[tuple[Ledger, Service, str]]:
    """The ledger, a service, and the API key owning `connection_id` (unscoped look-up)."""
    with _ledger() as ledger:
        key_id = ""
        if connection_id is not None:
            key_id = _connection(ledger, connection_id).api_key_id
        yield ledger, Service(ledger), key_id


def _connection(ledger: Ledger, connection_id: str) -> StoredConnection:
    with ledger.db.session(readonly=True) as session:
        found = Connections(session).get_unscoped(connection_id)
    if found is None:
        raise CliError(f"no connection {connection_id}")
    return found


def _asked(call: Callable[[], T]) -> T:
    """The service's answer; its refusals become one-line errors."""
    try:
        return call()
    except NotFound as missing:
        raise CliError(f"{missing.what} was not found") from None
    except Invalid as invalid:
        raise CliError(str(invalid)) from None


def _choice(value: str | None, allowed: tuple[str, ...] | frozenset[str], option: str) -> None:
    if value is not None and value not in allowed:
        raise CliError(f"{option} must be one of {', '.join(sorted(allowed))}", EXIT_USAGE)


# --- connections ------------------------------------------------------------------------------


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
    with _operating() as (ledger, service, _):
        with ledger.db.session(readonly=True) as session:
            stored = Connections(session).list_all()
        views = [
            (c.api_key_id, service.connection(c.api_key_id, c.id))
            for c in stored
            if key_id is None or c.api_key_id == key_id
        ]
    if as_json:
        _echo_json([{**view.to_json(), "api_key_id": key} for key, view in views])
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
    with _operating(connection_id) as (ledger, service, key_id):
        view = service.connection(key_id, connection_id)
        problems = problem_counts(ledger, connection_id)
    if as_json:
        _echo_json({**view.to_json(), "api_key_id": key_id, "problems": dict(problems)})
        return
    out = console()
    out.print(f"[bold]{view.name}[/] ({view.id}), API key {key_id}")
    out.print(f"status {view.status}, {view.environment}, company {view.company_name or '-'}")
    out.print(f"realm {view.realm_id or '-'}, last pull {view.last_pull_at or 'never'}")
    out.print(statuses_table(view.counts))
    if problems:
        out.print(problems_table(problems))


@connections_app.command("create")
def connections_create(
    name: Annotated[str, typer.Option("--name", help="What the connection is called.")],
    key_id: Annotated[str, typer.Option("--key-id", help="The API key (key_...) owning it.")],
    environment: Annotated[str, typer.Option(help="emulator, sandbox or production.")] = "emulator",
    as_json: AsJson = False,
) -> None:
    """Make a connection for an API key; connect it with `connect-url`."""
    with _operating() as (_, service, _key):
        view = _asked(lambda: service.create_connection(key_id, name, environment))
    if as_json:
        _echo_json(view.to_json())
        return
    typer.echo(f"Created connection {view.id} ({view.name}, {view.environment}).")
    typer.echo(f"Connect it: ledgerbridge connections connect-url {view.id}")


@connections_app.command("connect-url")
def connections_connect_url(connection_id: ConnectionId, as_json: AsJson = False) -> None:
    """A link a person opens (once, within minutes) to connect the company: it leads through
    the running server, which remembers that browser, to QuickBooks' consent page."""
    with _operating(connection_id) as (_, service, key_id):
        url = _asked(lambda: service.connect_link(key_id, connection_id))
        environment = service.connection(key_id, connection_id).environment
    if as_json:
        _echo_json({"url": url})
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
    with _operating(connection_id) as (_, service, key_id):
        view = _asked(lambda: service.disconnect(key_id, connection_id))
    if as_json:
        _echo_json(view.to_json())
        return
    typer.echo(f"{view.id} is now {view.status}.")


# --- sync, pull -------------------------------------------------------------------------------


@app.command()
def sync(
    connection_id: ConnectionId,
    record_type: Annotated[
        str | None, typer.Option("--type", help="Resync only records of this type.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="Resync only records in this status.")] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="Resync this record (repeatable).")
    ] = None,
    queue: Annotated[
        bool, typer.Option("--queue", help="Only queue the resync; a worker does it.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Sync a connection now, with a progress bar (filters: a bulk resync first).

    With --type, --status or --id the records that match are made due again first; --queue
    only does that, and leaves the sync to the worker.
    """
    _choice(record_type, RECORD_TYPES, "--type")
    _choice(status, STATUSES, "--status")
    selection = {k: v for k, v in (("type", record_type), ("status", status), ("ids", ids)) if v}
    result: dict[str, Any] = {}
    with _operating(connection_id) as (ledger, service, key_id):
        if selection or queue:
            resync = _asked(
                lambda: service.resync(
                    key_id, connection_id, selection, actor=f"cli:{getpass.getuser()}"
                )
            )
            result["queued"], result["left"] = resync.queued, resync.left
            if not as_json:
                typer.echo(f"{resync.queued} records are due again.")
                for item in resync.left:
                    typer.echo(f"Left as it is: {item['type']} {item['id']}: {item['reason']}")
        if not queue:
            out = Console(stderr=True) if as_json else console()
            report = drain(ledger, connection_id, out)
            result["sync"] = report.to_json()
            if report.stopped == "not_active":
                status_now = _connection(ledger, connection_id).status
                raise CliError(f"{connection_id} is {status_now}: nothing was synced")
    if as_json:
        _echo_json(result)
    elif "sync" in result:
        done = result["sync"]
        console().print(
            f"{done['created']} created, {done['linked']} linked, {done['updated']} updated, "
            f"{done['failed']} failed in {done['passes']} passes ({done['seconds']} s)"
        )
        console().print(statuses_table(done["counts"]))


@app.command()
def pull(connection_id: ConnectionId, as_json: AsJson = False) -> None:
    """Refresh from QuickBooks now: its changes, and what they mean for linked records."""
    from ledgerbridge.engine.pull import pull_company

    with (
        _operating(connection_id) as (ledger, _, _key),
        Console(stderr=True).status("Reading QuickBooks..."),
    ):
        try:
            report = pull_company(ledger, connection_id)
        except ValueError as exc:  # no way to reach this connection's QuickBooks from here
            raise CliError(f"{exc} (LEDGERBRIDGE_QBO_EMULATOR_URL)") from None
    drift = report.drift_report
    found = {
        "objects": report.objects,
        "deleted": report.deleted,
        "full": report.full,
        "stopped": report.stopped,
        "drift": vars(drift) if drift is not None else None,
    }
    if report.stopped is not None:
        if as_json:
            _echo_json(found)
        raise CliError(f"the pull stopped: {report.stopped}")
    if as_json:
        _echo_json(found)
        return
    kind = "full read" if report.full else "changes"
    typer.echo(f"Pulled {report.objects} objects ({kind}), {report.deleted} deleted.")
    if drift is not None:
        typer.echo(
            f"Drift: {drift.flagged} records flagged, {drift.cleared} cleared, "
            f"{drift.merged} merged, {drift.bypassed} payments bypassed."
        )


@app.command()
def verify(
    connection_id: ConnectionId,
    as_json: AsJson = False,
    flag: Annotated[
        bool,
        typer.Option(
            "--flag/--no-flag", help="Turn each mismatch into the record's problem (default)."
        ),
    ] = True,
) -> None:
    """Read QuickBooks afresh and check every synced record against it. Exits 1 when a record
    said synced while QuickBooks holds something else (each is listed with both values)."""
    from ledgerbridge.engine.verify import verify as run_verify

    with (
        _operating(connection_id) as (ledger, _, _key),
        Console(stderr=True).status("Reading QuickBooks..."),
    ):
        try:
            report = run_verify(ledger, connection_id, flag=flag)
        except ValueError as exc:  # no way to reach this connection's QuickBooks from here
            raise CliError(f"{exc} (LEDGERBRIDGE_QBO_EMULATOR_URL)") from None
    found = report.to_json()
    if as_json:
        _echo_json(found)
    if report.stopped is not None:
        raise CliError(f"QuickBooks could not be read: {report.stopped}")
    if not as_json:
        out = console()
        typer.echo(
            f"Checked {report.checked} linked records against {report.read} objects read from "
            f"QuickBooks in {report.requests} queries: {report.agreed} synced and agreeing, "
            f"{report.confirmed} with a problem QuickBooks bears out, {report.not_synced} not "
            f"synced, {len(report.mismatches)} mismatches."
        )
        if report.mismatches:
            table = Table(title="Said synced, but QuickBooks disagrees", title_justify="left")
            for column in ("record", "code", "field", "app", "QuickBooks"):
                table.add_column(column)
            for m in report.mismatches:
                table.add_row(
                    f"{m.type} {m.id}",
                    m.code,
                    m.field or "",
                    m.app_value or "",
                    m.quickbooks_value or "",
                )
            out.print(table)
            if flag:
                out.print(f"{report.flagged} records now show their problem in the sync log.")
    if report.mismatches:
        raise typer.Exit(1)


# --- the sync log -----------------------------------------------------------------------------


@app.command()
def log(
    connection_id: ConnectionId,
    status: Annotated[str | None, typer.Option(help="synced, pending, error, ...")] = None,
    record_type: Annotated[
        str | None, typer.Option("--type", help="customer, invoice, payment, ...")
    ] = None,
    code: Annotated[str | None, typer.Option(help="The problem's code.")] = None,
    q: Annotated[str | None, typer.Option(help="Id, name or number contains this.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Records per page.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="The page after this cursor.")] = None,
    as_json: AsJson = False,
) -> None:
    """The sync log: each record's status and problem, filtered like the dashboard's."""
    _choice(status, STATUSES, "--status")
    _choice(record_type, RECORD_TYPES, "--type")
    _choice(code, frozenset(catalog.ENTRIES), "--code")
    with _operating(connection_id) as (_, service, key_id):
        try:
            page = service.records(
                key_id,
                connection_id,
                status=status,
                record_type=record_type,
                code=code,
                q=q,
                cursor=cursor,
                limit=limit,
            )
        except InvalidCursor:
            raise CliError("--cursor is not one this command printed", EXIT_USAGE) from None
    if as_json:
        items = [{k: v for k, v in r.to_json().items() if k != "history"} for r in page.items]
        _echo_json({"items": items, "next_cursor": page.next_cursor})
        return
    table = Table(title=f"Sync log ({len(page.items)} records)", title_justify="left")
    table.add_column("type", no_wrap=True)
    table.add_column("id", no_wrap=True)
    for column in ("status", "QuickBooks", "problem"):
        table.add_column(column, overflow="fold")
    for record in page.items:
        number = f" #{record.quickbooks_number}" if record.quickbooks_number else ""
        linked = f"{record.quickbooks_id}{number}" if record.quickbooks_id else ""
        problem = ""
        if record.problem is not None:
            problem = f"{record.problem.code}: {record.problem.title}"
        if record.blocked_by is not None:
            problem += f" (waits for {record.blocked_by[0]} {record.blocked_by[1]})"
        table.add_row(record.type, record.id, record.status, linked, problem)
    out = console()
    out.print(table)
    if page.next_cursor:
        out.print(f"More: --cursor {page.next_cursor}")


# --- reports ----------------------------------------------------------------------------------

_FINDINGS = (
    "mismatches",
    "open_balance_mismatches",
    "paid_in_quickbooks",
    "deleted_in_quickbooks",
    "moved_in_quickbooks",
    "voided_in_quickbooks",
)
_CSV_COLUMNS = (
    "section",
    "type",
    "id",
    "number",
    "quickbooks_id",
    "code",
    "app_amount",
    "quickbooks_amount",
    "difference",
)


def _finding_rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for section in _FINDINGS:
        for item in report[section]:
            yield {
                "section": section,
                "type": item.get("type", "invoice"),
                "id": item["id"],
                "number": item.get("number") or "",
                "quickbooks_id": item.get("quickbooks_id") or "",
                "code": item.get("code") or "",
                "app_amount": item.get("app_total") or item.get("app_open_balance") or "",
                "quickbooks_amount": item.get("quickbooks_total")
                or item.get("quickbooks_open_balance")
                or "",
                "difference": item.get("difference") or "",
            }


@app.command()
def reconcile(
    connection_id: ConnectionId,
    output: Annotated[
        str, typer.Option("--format", help="table, csv (one row per finding) or json.")
    ] = "table",
) -> None:
    """The reconciliation report: the app and QuickBooks side by side."""
    _choice(output, ("table", "csv", "json"), "--format")
    with _operating(connection_id) as (_, service, key_id):
        report = service.reconciliation(key_id, connection_id)
    if output == "json":
        _echo_json(report)
        return
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_finding_rows(report))
        sys.stdout.write(buffer.getvalue())
        return
    out = console()
    totals = report["totals"]
    out.print(
        f"{totals['invoices']} linked invoices: app {totals['app_total']}, QuickBooks "
        f"{totals['quickbooks_total']} (difference {totals['difference']}); open balance app "
        f"{totals['app_open_balance']}, QuickBooks {totals['quickbooks_open_balance']}"
    )
    links = Table(title="Links", title_justify="left")
    columns = ("records", "linked", "unlinked", "missing", "deleted", "inactive", "voided")
    links.add_column("type")
    for column in columns:
        links.add_column(column, justify="right")
    for record_type, health in report["links"].items():
        links.add_row(record_type, *(str(health.get(c, 0)) for c in columns))
    out.print(links)
    findings = Table(title="Findings", title_justify="left")
    for column in ("section", "type", "id", "number", "code", "app", "QuickBooks", "difference"):
        findings.add_column(column, overflow="fold")
    for row in _finding_rows(report):
        findings.add_row(
            row["section"],
            row["type"],
            row["id"],
            str(row["number"]),
            row["code"],
            str(row["app_amount"]),
            str(row["quickbooks_amount"]),
            str(row["difference"]),
        )
    out.print(findings)


@app.command()
def checks(
    connection_id: ConnectionId,
    run: Annotated[bool, typer.Option("--run", help="Check again now.")] = False,
    as_json: AsJson = False,
) -> None:
    """The setup checklist: numbering, sales tax, closed books, mappings."""
    with _operating(connection_id) as (_, service, key_id):
        checklist = _asked(lambda: service.checks(key_id, connection_id, run=run))
    if as_json:
        _echo_json(checklist)
        return
    table = Table(title=f"Setup checklist: {checklist.get('status', '?')}", title_justify="left")
    for column in ("check", "status", "code", "summary"):
        table.add_column(column, overflow="fold")
    for check in checklist.get("checks", []):
        table.add_row(check["title"], check["status"], check.get("code") or "", check["summary"])
    out = console()
    out.print(table)
    if checklist.get("checked_at"):
        out.print(f"Checked at {checklist['checked_at']}")


@app.command()
def plan(
    connection_id: ConnectionId,
    limit: Annotated[int, typer.Option(min=1, help="Records listed at most.")] = 50,
    as_json: AsJson = False,
) -> None:
    """The dry run: what a sync would create, link, update or refuse now (writes nothing)."""
    with _operating(connection_id) as (_, service, key_id):
        dry = service.plan(key_id, connection_id)
    if as_json:
        _echo_json(dry)
        return
    out = console()
    out.print(", ".join(f"{n} {step}" for step, n in dry["counts"].items() if n) or "nothing")
    table = Table(title="What a sync would do", title_justify="left")
    for column in ("step", "type", "id"):
        table.add_column(column, no_wrap=True)
    for column in ("QuickBooks", "problem"):
        table.add_column(column, overflow="fold")
    listed = [r for r in dry["records"] if r["step"] != "nothing"]
    for record in listed[:limit]:
        problems = record.get("problems") or []
        first = f"{problems[0]['code']}: {catalog.title(problems[0]['code'])}" if problems else ""
        table.add_row(
            record["step"], record["type"], record["id"], record.get("quickbooks_id") or "", first
        )
    out.print(table)
    if len(listed) > limit:
        out.print(f"... and {len(listed) - limit} more (--limit, or --json for all)")


# --- the emulator, the demo -------------------------------------------------------------------


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator(ctx: typer.Context) -> None:
    """The QuickBooks Online emulator (`ledgerbridge emulator serve --port 8765`).

    The same as `qbo-emulator`: every argument goes to it.
    """
    from qbo_emulator.cli import main as emulator_main

    try:
        code = emulator_main(list(ctx.args))
    except SystemExit as done:  # argparse: --help, or a usage error
        code = done.code if isinstance(done.code, int) else EXIT_USAGE
    raise typer.Exit(code)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="The HTTP API's port.", min=1, max=65535)] = 8000,
    emulator_port: Annotated[
        int, typer.Option(help="The QuickBooks emulator's port.", min=1, max=65535)
    ] = 8765,
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its database (started fresh).")
    ] = Path("var/demo"),
    records: Annotated[
        str, typer.Option(help="full (about 8,400 records) or small (about 300).")
    ] = "full",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving after the summary.")
    ] = True,
    quickbooks_pace: Annotated[
        bool,
        typer.Option(
            "--quickbooks-pace",
            help="Keep QuickBooks' rate limits (40 batches a minute): about 9 minutes to sync.",
        ),
    ] = False,
) -> None:
    """The whole product on this machine, with nothing else running.

    An emulated QuickBooks company, a field-service business's records synced (with every
    failure mode on show), a summary, then the HTTP API and the dashboard until Ctrl-C.
    """
    from ledgerbridge.demo.run import DemoError, Options, run

    _choice(records, ("small", "full"), "--records")
    options = Options(
        port=port,
        emulator_port=emulator_port,
        data_dir=data_dir,
        records="small" if records == "small" else "full",
        serve=serve,
        quickbooks_pace=quickbooks_pace,
    )
    try:
        run(options, console())
    except DemoError as failed:
        raise CliError(str(failed)) from None


# --- API keys ------------------------------------------------------------------------------


@keys_app.command("list")
def keys_list(as_json: AsJson = False) -> None:
    """Every API key (never its secret), with its connections; revoked ones say when."""
    with _ledger() as ledger, ledger.db.session(readonly=True) as session:
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
        _echo_json(rows)
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
    with _ledger() as ledger, ledger.db.session() as session:
        secret = ApiKeys(session).rotate(key_id)
    if secret is None:
        raise CliError(f"there is no live API key {key_id}")
    if as_json:
        _echo_json({"id": key_id, "key": secret})
        return
    typer.echo(f"New secret for {key_id}; the old one no longer works. It is shown only now:")
    typer.echo(secret)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key (key_...).", show_default=False)],
) -> None:
    """Revoke a key: its API calls stop, and its dashboard users are signed out."""
    with _ledger() as ledger, ledger.db.session() as session:
        revoked = ApiKeys(session).revoke(key_id)
    if not revoked:
        raise CliError(f"there is no live API key {key_id}")
    typer.echo(f"Revoked {key_id}.")
