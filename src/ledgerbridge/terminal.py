"""What the command line shows: sync passes with a progress bar, and tables of statuses and
problems. Shared by `ledgerbridge sync` (the cli package) and `ledgerbridge demo`.

    report = drain(ledger, connection_id, console)   # sync until only far-off retries remain

`drain` runs the engine's `engine.drain.drain` in this thread and shows records done / total
from the sync state (`engine.drain.counts`), read by a second thread (the passes themselves
report per pass, not per record). Drawing only: the passes and the queries are the engine's.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext

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

from ledgerbridge.core import catalog
from ledgerbridge.core.status import Status
from ledgerbridge.engine import drain as draining
from ledgerbridge.engine.drain import DrainReport
from ledgerbridge.engine.ports import Ledger

__all__ = [
    "STATUSES",
    "console",
    "drain",
    "problems_table",
    "progress_bar",
    "statuses_table",
]

STATUSES = (
    Status.SYNCED,
    Status.PENDING,
    Status.BLOCKED,
    Status.ERROR,
    Status.BYPASSED,
    Status.DRAFT,
)
"""The order the terminal lists statuses in."""
STATUS_LABELS = {status: str(status) for status in STATUSES} | {
    Status.ERROR: "needs attention (error)"
}


PIPED_WIDTH = 160  # tables written to a file or a pipe are not squeezed into 80 columns


def console() -> Console:
    """A console on stdout (looked up at each print, so tests can capture it)."""
    width = None if sys.stdout.isatty() else PIPED_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width)


def drain(
    ledger: Ledger,
    connection_id: str,
    out: Console | None = None,
    *,
    label: str = "Syncing",
    sleep: Callable[[float], None] = time.sleep,
    progress: bool = True,
) -> DrainReport:
    """`engine.drain.drain` under a progress bar on `out` (the console by default);
    `progress=False`: no bar (nor its thread), nothing printed."""
    bar = (
        progress_bar(ledger, connection_id, out or console(), label) if progress else nullcontext()
    )
    with bar:
        return draining.drain(ledger, connection_id, sleep=sleep)


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
            now = draining.counts(ledger, connection_id)
            total = sum(now.values())
            done = total - now.get(Status.PENDING, 0)
            others = [s for s in STATUSES if now.get(s) and s != Status.PENDING]
            detail = ", ".join(f"{now[s]} {s}" for s in others)
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
