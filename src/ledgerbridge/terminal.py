"""What the command line shows: sync passes with a progress bar, and tables of statuses and
problems. Shared by `ledgerbridge sync` (cli_ops) and `ledgerbridge demo`.

    report = drain(ledger, connection_id, console)   # sync until only far-off retries remain

`drain` runs `engine.push.sync_company` in passes in this thread, waits out QuickBooks'
rate limit between them, and shows records done / total from the sync state, read by a
second thread (the passes themselves report per pass, not per record).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.core import catalog
from ledgerbridge.engine.push import PassReport, new_holder, sync_company
from ledgerbridge.storage.sync import SyncStates

__all__ = [
    "STATUSES",
    "DrainReport",
    "console",
    "drain",
    "problem_counts",
    "problems_table",
    "progress_bar",
    "statuses_table",
]

STATUSES = ("synced", "pending", "blocked", "error", "bypassed", "draft")
STATUS_LABELS = {
    "synced": "synced",
    "pending": "pending",
    "blocked": "blocked",
    "error": "needs attention (error)",
    "bypassed": "bypassed",
    "draft": "draft",
}
WAITING = ("rate_limited", "throttled", "busy")  # the pass stopped early; the work is still due
QUIET = timedelta(seconds=20)  # due later than this: a retry for later, not this run's work
IDLE_PASSES = 5  # passes in a row without progress: the rest is stuck, stop


PIPED_WIDTH = 160  # tables written to a file or a pipe are not squeezed into 80 columns


def console() -> Console:
    """A console on stdout (looked up at each print, so tests can capture it)."""
    width = None if sys.stdout.isatty() else PIPED_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width)


@dataclass
class DrainReport(PassReport):
    """The passes of one `drain`, their work added up."""

    passes: int = 0
    seconds: float = 0.0
    waited: float = 0.0  # seconds spent waiting for QuickBooks' rate limit
    counts: dict[str, int] = field(default_factory=dict)
    # `stopped`: the connection cannot sync (not_active, disconnected, ...)

    def add(self, report: PassReport) -> None:
        super().add(report)
        self.passes += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "passes": self.passes,
            "created": self.created,
            "updated": self.updated,
            "linked": self.linked,
            "failed": self.failed,
            "blocked": self.blocked,
            "seconds": round(self.seconds, 1),
            "waited_for_rate_limit": round(self.waited, 1),
            "stopped": self.stopped,
            "counts": dict(self.counts),
        }


def counts(ledger: Ledger, connection_id: str) -> dict[str, int]:
    with ledger.db.session(readonly=True) as session:
        return SyncStates(session).counts(connection_id)


def _next_due(ledger: Ledger, connection_id: str) -> float | None:
    """Seconds until the next record is due (negative: due now); None: nothing is due."""
    with ledger.db.session(readonly=True) as session:
        due = SyncStates(session).next_due_at(connection_id)
    return None if due is None else (due - ledger.clock()).total_seconds()


def drain(
    ledger: Ledger,
    connection_id: str,
    out: Console | None = None,
    *,
    label: str = "Syncing",
    sleep: Callable[[float], None] = time.sleep,
    progress: bool = True,
) -> DrainReport:
    """Sync passes until the connection has no work due soon (see the module docstring);
    `progress=False`: no bar (nor its thread), nothing printed."""
    report = DrainReport()
    started = time.monotonic()
    holder = new_holder()
    idle = 0
    bar = (
        progress_bar(ledger, connection_id, out or console(), label) if progress else nullcontext()
    )
    with bar:
        while True:
            one = sync_company(ledger, connection_id, holder=holder, max_rounds=3)
            report.add(one)
            if one.stopped is not None and one.stopped not in WAITING:
                report.stopped = one.stopped
                break
            due = _next_due(ledger, connection_id)
            if one.stopped in WAITING:
                pause = 1.0 if due is None else min(max(due, 0.2), 65.0)
                report.waited += pause
                sleep(pause)
                continue
            idle = 0 if one.progressed or one.failed or one.blocked else idle + 1
            if due is None or due > QUIET.total_seconds() or idle >= IDLE_PASSES:
                break
            if due > 0:
                sleep(due)
    report.seconds = time.monotonic() - started
    report.counts = counts(ledger, connection_id)
    return report


@contextmanager
def progress_bar(ledger: Ledger, connection_id: str, out: Console, label: str) -> Iterator[None]:
    """A bar of records done (any status but pending) out of all, refreshed from the
    database by a thread of its own while the body works."""
    stop = threading.Event()
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=False) as progress:
        task = progress.add_task(label, total=None, detail="")

        def refresh() -> None:
            now = counts(ledger, connection_id)
            total = sum(now.values())
            done = total - now.get("pending", 0)
            detail = ", ".join(f"{now[s]} {s}" for s in STATUSES if now.get(s) and s != "pending")
            progress.update(task, completed=done, total=total or None, detail=detail)

        def poll() -> None:
            while not stop.wait(0.5):
                refresh()

        watcher = threading.Thread(target=poll, name="ledgerbridge-progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            refresh()


# --- tables -----------------------------------------------------------------------------------


def problem_counts(ledger: Ledger, connection_id: str) -> list[tuple[str, int]]:
    """How many records each problem code holds now, most first."""
    with ledger.db.session(readonly=True) as session:
        return SyncStates(session).problem_counts(connection_id)


def statuses_table(by_status: Mapping[str, int], *, heading: str = "Records") -> Table:
    table = Table(title=heading, title_justify="left")
    table.add_column("status", no_wrap=True)
    table.add_column("records", justify="right")
    for status in STATUSES:
        table.add_row(STATUS_LABELS[status], str(by_status.get(status, 0)))
    table.add_row("[bold]total", f"[bold]{sum(by_status.values())}")
    return table


def problems_table(rows: list[tuple[str, int]], *, heading: str = "Problems by code") -> Table:
    table = Table(title=heading, title_justify="left")
    table.add_column("code", no_wrap=True)
    table.add_column("what it means", overflow="fold")
    table.add_column("records", justify="right")
    for code, count in rows:
        table.add_row(code, catalog.title(code), str(count))
    return table
