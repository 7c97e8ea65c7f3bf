"""Operator commands that read and show: `ledgerbridge verify | log | reconcile | checks | plan`.

    ledgerbridge verify CID [--json] [--no-flag] read QuickBooks afresh, check every "synced"
    ledgerbridge log CID [--status S --type T --code C --q TEXT --limit N --cursor C]
    ledgerbridge reconcile CID [--format table|csv|json]
    ledgerbridge checks CID [--run]            the setup checklist
    ledgerbridge plan CID                      the dry run: what a sync would do now

Listings are tables; `--json` prints what a script wants on stdout (progress, if any, goes
to stderr).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.cli.common import (
    EXIT_USAGE,
    AsJson,
    CliError,
    ConnectionId,
    asked,
    choice,
    echo_json,
    operating,
)
from ledgerbridge.core import catalog
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.engine.errors import InvalidCursor
from ledgerbridge.terminal import STATUSES, console

__all__ = ["app"]

app = typer.Typer()


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
        operating(connection_id) as (ledger, _, _key),
        Console(stderr=True).status("Reading QuickBooks..."),
    ):
        try:
            report = run_verify(ledger, connection_id, flag=flag)
        except ValueError as exc:  # no way to reach this connection's QuickBooks from here
            raise CliError(f"{exc} (LEDGERBRIDGE_QBO_EMULATOR_URL)") from None
    found = report.to_json()
    if as_json:
        echo_json(found)
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
    choice(status, STATUSES, "--status")
    choice(record_type, RECORD_TYPES, "--type")
    choice(code, frozenset(catalog.ENTRIES), "--code")
    with operating(connection_id) as (_, service, key_id):
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
        echo_json({"items": items, "next_cursor": page.next_cursor})
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
    choice(output, ("table", "csv", "json"), "--format")
    with operating(connection_id) as (_, service, key_id):
        report = service.reconciliation(key_id, connection_id)
    if output == "json":
        echo_json(report)
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
    invoices = "invoice" if totals["invoices"] == 1 else "invoices"
    out.print(
        f"{totals['invoices']} linked {invoices}: app {totals['app_total']}, QuickBooks "
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
    with operating(connection_id) as (_, service, key_id):
        checklist = asked(lambda: service.checks(key_id, connection_id, run=run))
    if as_json:
        echo_json(checklist)
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
    with operating(connection_id) as (_, service, key_id):
        dry = service.plan(key_id, connection_id)
    if as_json:
        echo_json(dry)
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
