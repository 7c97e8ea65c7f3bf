"""What the demo prints: the summary after the syncs, and how to reach what it serves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledgerbridge.core import catalog
from ledgerbridge.demo.company_file import CompanyFileCount
from ledgerbridge.engine.drain import DrainReport, problem_counts
from ledgerbridge.engine.service import Service
from ledgerbridge.terminal import problems_table, statuses_table

__all__ = ["Outcome", "Summary", "counting", "show", "show_access", "summarize"]

_REPORT_LISTS = ("deleted_in_quickbooks", "moved_in_quickbooks", "voided_in_quickbooks")


@dataclass(frozen=True)
class Summary:
    counts: Mapping[str, int]  # records per status
    problems: Sequence[tuple[str, int]]  # (code, records) on records now
    checks: Sequence[Mapping[str, Any]]  # the setup checks that are not ok
    findings: Mapping[str, int]  # reconciliation report: code -> findings
    refused: Mapping[str, str]  # app id -> code, refused at the door

    @property
    def record_codes(self) -> frozenset[str]:
        return frozenset(code for code, _ in self.problems)

    @property
    def check_codes(self) -> frozenset[str]:
        return frozenset(str(c["code"]) for c in self.checks if c.get("code"))

    @property
    def codes(self) -> frozenset[str]:
        """Every code the demo shows: on records, in the checklist and the report, at the door."""
        return (
            self.record_codes
            | self.check_codes
            | frozenset(self.findings)
            | frozenset(self.refused.values())
        )


@dataclass
class Outcome:
    """What the demo did, up to the summary."""

    emulator_url: str
    realm_id: str
    key_id: str
    key_secret: str
    connection_id: str
    records: int
    syncs: list[DrainReport] = field(default_factory=list)
    summary: Summary | None = None
    seconds_to_summary: float = 0.0
    company_file: CompanyFileCount | None = None  # the Desktop demo: its export's count


def summarize(
    service: Service, key_id: str, connection_id: str, refused: Mapping[str, str]
) -> Summary:
    view = service.connection(key_id, connection_id)
    checks = service.checks(key_id, connection_id)
    drift = service.reconciliation(key_id, connection_id)
    findings: Counter[str] = Counter(m["code"] for m in drift["mismatches"])
    for name in _REPORT_LISTS:
        findings.update(item["code"] for item in drift[name])
    return Summary(
        counts=dict(view.counts),
        problems=problem_counts(service.ledger, connection_id),
        checks=[c for c in checks.get("checks", []) if c.get("status") != "ok"],
        findings=dict(findings),
        refused=dict(refused),
    )


def show(out: Console, summary: Summary, syncs: Sequence[DrainReport], seconds: float) -> None:
    out.rule("[bold]Summary")
    out.print(statuses_table(summary.counts, heading="Records by status"))
    out.print(problems_table(list(summary.problems), heading="Problems by code"))
    if summary.checks:
        table = Table(title="Setup checklist", title_justify="left")
        for column in ("check", "status", "code", "what to do"):
            table.add_column(column, overflow="fold")
        for check in summary.checks:
            table.add_row(check["id"], check["status"], check.get("code") or "", check["summary"])
        out.print(table)
    if summary.findings:
        table = Table(title="Reconciliation report", title_justify="left")
        table.add_column("code", no_wrap=True)
        table.add_column("what it means", overflow="fold")
        table.add_column("findings", justify="right")
        for code, count in sorted(summary.findings.items()):
            table.add_row(code, catalog.title(code), str(count))
        out.print(table)
    for app_id, code in summary.refused.items():
        out.print(f"Refused at the door (HTTP 422): {app_id}: {code}: {catalog.title(code)}")
    for n, sync in enumerate(syncs, 1):
        out.print(
            f"Sync {n}: {sync.created} created, {sync.linked} linked, {sync.updated} updated "
            f"in {sync.passes} passes, {sync.seconds:.0f} s "
            f"({sync.waited:.0f} s waiting for QuickBooks' rate limit)"
        )
    minutes, rest = divmod(round(seconds), 60)
    out.print(f"[bold]Reached the summary in {minutes} min {rest:02d} s")


def show_access(
    out: Console,
    base: str,
    outcome: Outcome,
    sign_in: tuple[str, str] | None,
    data_dir: Path,
) -> None:
    out.rule("[bold]Serving")
    out.print(f"HTTP API      {base}/v1   (OpenAPI: {base}/docs)")
    out.print(f"API key       {outcome.key_secret}")
    out.print(f"Connection    {outcome.connection_id}")
    out.print(f"  curl -s {base}/v1/connections/{outcome.connection_id}/records?status=error \\")
    out.print(f'       -H "Authorization: Bearer {outcome.key_secret}"')
    if sign_in is not None:
        out.print(f"Dashboard     {base}/dashboard   sign in as {sign_in[0]} / {sign_in[1]}")
    out.print(f"QuickBooks    {outcome.emulator_url}   realm {outcome.realm_id}")
    out.print(
        f"  the company as JSON: {outcome.emulator_url}/_emulator/companies/"
        f"{outcome.realm_id}/export"
    )
    cli = f"LEDGERBRIDGE_DATA_DIR={data_dir} .venv/bin/ledgerbridge"
    out.print(f"CLI           {cli} log {outcome.connection_id} --status error")
    out.print(f"              {cli} reconcile {outcome.connection_id}")
    reads = (
        f"LEDGERBRIDGE_DATA_DIR={data_dir} LEDGERBRIDGE_QBO_EMULATOR_URL={outcome.emulator_url} "
        ".venv/bin/ledgerbridge"
    )
    out.print(f"              {reads} verify {outcome.connection_id}", soft_wrap=True)
    out.print("Ctrl-C stops.")


@contextmanager
def counting(out: Console, label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar the body advances by `done` per call."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out) as progress:
        task = progress.add_task(label, total=total)

        def advance(done: int) -> None:
            progress.advance(task, done)

        yield advance
