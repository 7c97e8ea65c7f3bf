"""Operator commands that read and show: `ledgerbridge verify | log | reconcile | checks | plan`.

    ledgerbridge verify CID [--json] [--no-flag] [--wait S]
                                               read QuickBooks afresh, check every "synced"
                                               (Desktop: at the Web Connector's next update)
    ledgerbridge log CID [--status S --type T --code C --q TEXT --limit N --cursor C]
    ledgerbridge reconcile CID [--format table|csv|json] [--all] [--limit N]
                                               the exceptions first, the rest summarised
    ledgerbridge checks CID [--run]            the setup checklist
    ledgerbridge plan CID                      the dry run: what a sync would do now

Listings are tables; `--json` prints what a script wants on stdout (progress, if any, goes
to stderr).
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ledgerbridge.cli.common import (
    EXIT_USAGE,
    AsJson,
    CliError,
    ConnectionId,
    asked,
    choice,
    connection_of,
    echo_json,
    operating,
)
from ledgerbridge.core import catalog, money
from ledgerbridge.core.reconcile import KIND_LABELS
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.engine.desktop import fixes
from ledgerbridge.engine.errors import InvalidCursor, Refused
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.verify import VerifyReport
from ledgerbridge.terminal import STATUSES, console

__all__ = ["app"]

app = typer.Typer()


def _row(table: Table, *cells: object) -> None:
    """A row of data, printed as it is: a name holding brackets is text, not console markup."""
    table.add_row(*(Text(str(cell)) for cell in cells))


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
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="QuickBooks Desktop: seconds to wait for the Web Connector's next update, "
            "which carries the verify out (default 900: the .qwc's 15-minute schedule).",
        ),
    ] = 900,
) -> None:
    """Read QuickBooks afresh and check every synced record against it. Exits 1 when a record
    said synced while QuickBooks holds something else (each is listed with both values). On
    QuickBooks Desktop the verify is carried out at the Web Connector's next update."""
    from ledgerbridge.engine.verify import verify as run_verify

    with (
        operating(connection_id) as (ledger, _, _key),
        Console(stderr=True).status("Reading QuickBooks..."),
    ):
        if connection_of(ledger, connection_id).environment == "desktop":
            report = _desktop_verify(ledger, connection_id, flag, wait)
        else:
            try:
                report = run_verify(ledger, connection_id, flag=flag)
            except ValueError as exc:  # no way to reach this connection's QuickBooks from here
                raise CliError(f"{exc} (LEDGERBRIDGE_QBO_EMULATOR_URL)") from None
    found = report.to_json()
    if as_json:
        echo_json(found)
    if report.stopped == "throttled" and report.waiting_until:
        until = datetime.fromisoformat(report.waiting_until)
        raise CliError(catalog.waiting_message(until, "verify again after it", outcome="not_read"))
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
                _row(
                    table,
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


def _desktop_verify(ledger: Ledger, connection_id: str, flag: bool, wait: float) -> VerifyReport:
    """QuickBooks Desktop cannot be called: the verify waits for the Web Connector's next
    update (served by the web process), and this waits for its report."""
    entry = fixes.request_verify(ledger, connection_id, "cli", flag=flag)
    deadline = time.monotonic() + wait
    while True:
        try:
            report = fixes.verify_report(ledger, entry)
        except Refused as refused:  # withdrawn: no session will carry it out
            raise CliError(f"{refused.reason} (audit log entry {entry})") from None
        if report is not None:
            return report
        if time.monotonic() >= deadline:
            raise CliError(
                f"the Web Connector did not call in within {wait:g} seconds: the verify waits "
                f"for its next update, and its report is kept in the audit log (entry {entry})"
            )
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


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
        _row(table, record.type, record.id, record.status, linked, problem)
    out = console()
    out.print(table)
    if page.next_cursor:
        out.print(f"More: --cursor {page.next_cursor}")


# --- reports ----------------------------------------------------------------------------------

# the report's sections of findings, and what the summary calls them
_FINDINGS = {
    "mismatches": "totals that differ",
    "open_balance_mismatches": "open balances that differ",
    "paid_in_quickbooks": "paid in QuickBooks (by anyone)",
    "deleted_in_quickbooks": "deleted in QuickBooks",
    "moved_in_quickbooks": "moved in QuickBooks",
    "voided_in_quickbooks": "voided in QuickBooks",
}
_FINDING_COLUMNS = ("section", "type", "id", "number", "code", "app", "QuickBooks", "difference")
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
    everything: Annotated[
        bool,
        typer.Option("--all", help="With the table: list every finding, not only the exceptions."),
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Exceptions listed at most (table).")] = 50,
) -> None:
    """The reconciliation report: first the exceptions (what disagrees between the app and
    QuickBooks because of something done in QuickBooks, not by ledgerbridge), most urgent
    first, as the dashboard's reconciliation page lists them; then the rest summarised."""
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
    _print_exceptions(out, report, limit)
    _print_summary(out, report)
    if everything:
        findings = Table(title="Every finding", title_justify="left")
        for column in _FINDING_COLUMNS:
            findings.add_column(column, overflow="fold")
        for row in _finding_rows(report):
            _row(
                findings,
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


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _amount(value: Any, currency: str) -> str:
    if value is None or value == "":
        return ""
    try:
        return money.formatted(Decimal(str(value)), currency)
    except InvalidOperation:
        return str(value)


def _print_exceptions(out: Console, report: dict[str, Any], limit: int) -> None:
    exceptions = report.get("exceptions") or []
    currency = str(report.get("currency") or "USD")
    if not exceptions:
        out.print(
            "Exceptions: none. Nothing disagrees between the app and QuickBooks beyond what "
            "ledgerbridge itself sent."
        )
        return
    by_kind = (report.get("summary") or {}).get("exceptions_by_kind") or {}
    counted = "; ".join(f"{KIND_LABELS.get(k, k)}: {n:,}" for k, n in by_kind.items() if n)
    out.print(
        f"Exceptions: {len(exceptions):,} thing{'s' if len(exceptions) != 1 else ''} "
        f"disagree{'s' if len(exceptions) == 1 else ''} between the app and QuickBooks, "
        f"not caused by ledgerbridge ({counted})."
    )
    table = Table(title="Exceptions, most urgent first", title_justify="left")
    for column in ("what happened", "record", "app id", "QuickBooks id"):
        table.add_column(column, overflow="fold")
    for column in ("app", "QuickBooks amount", "difference"):
        table.add_column(column, justify="right", no_wrap=True)
    for found in exceptions[:limit]:
        record = found.get("name") or (f"No. {found['number']}" if found.get("number") else "")
        _row(
            table,
            KIND_LABELS.get(str(found.get("kind")), str(found.get("kind"))),
            f"{str(found.get('type', '')).replace('_', ' ').capitalize()} {record}".strip(),
            str(found.get("id") or ""),
            str(found.get("quickbooks_id") or ""),
            _amount(found.get("app_amount"), currency),
            _amount(found.get("quickbooks_amount"), currency),
            _amount(found.get("difference"), currency),
        )
    out.print(table)
    if len(exceptions) > limit:
        out.print(f"... and {len(exceptions) - limit:,} more (--limit, or --format json)")


def _print_summary(out: Console, report: dict[str, Any]) -> None:
    currency = str(report.get("currency") or "USD")
    summary = report.get("summary") or {}
    totals = report["totals"]
    out.print("The rest, summarised:")
    compared, agreeing = summary.get("invoices_compared", 0), summary.get("invoices_agreeing", 0)
    paid, unread = summary.get("paid_by_the_app", 0), summary.get("not_in_mirror", 0)
    out.print(
        f"  {_counted(compared, 'invoice')} compared, {agreeing:,} "
        f"{'agrees' if agreeing == 1 else 'agree'}; {_counted(paid, 'invoice')} paid in "
        "QuickBooks by the app's own payments (sent by ledgerbridge: not exceptions); "
        f"{_counted(unread, 'linked record')} not yet read from QuickBooks."
    )
    out.print(
        f"  {_counted(totals['invoices'], 'linked invoice')}: app "
        f"{_amount(totals['app_total'], currency)}, QuickBooks "
        f"{_amount(totals['quickbooks_total'], currency)} (difference "
        f"{_amount(totals['difference'], currency)}); open balance app "
        f"{_amount(totals['app_open_balance'], currency)}, QuickBooks "
        f"{_amount(totals['quickbooks_open_balance'], currency)}"
    )
    sections = "; ".join(
        f"{len(report.get(section) or []):,} {label}" for section, label in _FINDINGS.items()
    )
    out.print(f"  Findings by section: {sections} (--all lists them)")
    links = Table(title="Links", title_justify="left")
    columns = ("records", "linked", "unlinked", "missing", "deleted", "inactive", "voided")
    links.add_column("type")
    for column in columns:
        links.add_column(column, justify="right")
    for record_type, health in report["links"].items():
        _row(links, record_type, *(f"{health.get(c, 0):,}" for c in columns))
    out.print(links)


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
        _row(table, check["title"], check["status"], check.get("code") or "", check["summary"])
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
        _row(
            table,
            record["step"],
            record["type"],
            record["id"],
            record.get("quickbooks_id") or "",
            first,
        )
    out.print(table)
    if len(listed) > limit:
        out.print(f"... and {len(listed) - limit} more (--limit, or --json for all)")
