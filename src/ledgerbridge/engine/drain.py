"""Sync a connection until only far-off retries remain: push passes in this thread.

    report = drain(ledger, connection_id)   # `ledgerbridge sync`, the demo, the sync benchmark

`drain` runs `sync_company` in passes, waits out QuickBooks' rate limit between them (and for
records due within `QUIET`), and stops when nothing is due soon, when `IDLE_PASSES` passes in a
row made no progress, or when the connection cannot sync. It draws nothing: `terminal.drain`
shows a progress bar from `counts` while it works.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.push import PassReport, new_holder, sync_company
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["IDLE_PASSES", "QUIET", "WAITING", "DrainReport", "counts", "drain", "problem_counts"]

WAITING = ("rate_limited", "throttled", "busy")  # the pass stopped early; the work is still due
QUIET = timedelta(seconds=20)  # due later than this: a retry for later, not this run's work
IDLE_PASSES = 5  # passes in a row without progress: the rest is stuck, stop


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


def drain(
    ledger: Ledger, connection_id: str, *, sleep: Callable[[float], None] = time.sleep
) -> DrainReport:
    """Sync passes until the connection has no work due soon (see the module docstring)."""
    report = DrainReport()
    started = time.monotonic()
    holder = new_holder()
    idle = 0
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


def counts(ledger: Ledger, connection_id: str) -> dict[str, int]:
    """How many records each status holds now."""
    with ledger.db.session(readonly=True) as session:
        return SyncStates(session).counts(connection_id)


def problem_counts(ledger: Ledger, connection_id: str) -> list[tuple[str, int]]:
    """How many records each problem code holds now, most first."""
    with ledger.db.session(readonly=True) as session:
        return SyncStates(session).problem_counts(connection_id)


def _next_due(ledger: Ledger, connection_id: str) -> float | None:
    """Seconds until the next record is due (negative: due now); None: nothing is due."""
    with ledger.db.session(readonly=True) as session:
        due = SyncStates(session).next_due_at(connection_id)
    return None if due is None else (due - ledger.clock()).total_seconds()
