"""ledgerbridge's CPU seconds by stage of its sync passes, for a benchmark that wants to say
where the time went (`bench.ceiling --phases`).

    with Phases() as phases:
        drain(ledger, connection_id)
    for line in phases.lines():
        print(line)

Each stage's functions are wrapped for the block (and put back after it) and timed with
`time.process_time`, no profiler: a stage called inside another counts in its own line only,
and what no stage holds is "other". The stages are the engine's own functions (`Stage`), so a
renamed one fails here, at once, not silently.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ledgerbridge.core import planner
from ledgerbridge.engine import context
from ledgerbridge.engine.push import batch, faults, lease, rounds, write
from ledgerbridge.storage.sync_states import SyncStates


@dataclass(frozen=True)
class Stage:
    label: str
    owner: Any  # a module or a class
    name: str


STAGES = (
    Stage("freshening pull", lease, "_freshen_mirror"),
    Stage("due list", SyncStates, "due"),
    Stage("customer parents", rounds, "_customer_parents"),
    Stage("read-ahead (prefetch)", context.Surroundings, "prefetch"),
    Stage("situation", context.Surroundings, "situation"),
    Stage("plan and preflight", planner, "plan"),
    Stage("batch requests", batch, "_send_batch"),
    Stage("writes alone, together", batch, "_send_alone"),
    Stage("single write requests", write, "request"),
    Stage("window: room asked", faults, "room"),
    Stage("window: counted", faults, "take_now"),
    Stage("window: waits", faults, "wait_for_rate"),
)


class Phases:
    """CPU seconds and calls by stage while the block runs (see the module's docstring)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.total = 0.0
        self._stack: list[str] = []
        self._undo: list[tuple[Any, str, Any]] = []
        self._began = 0.0

    def __enter__(self) -> Phases:
        for stage in STAGES:
            real = getattr(stage.owner, stage.name)  # AttributeError: the stage moved
            self._undo.append((stage.owner, stage.name, stage.owner.__dict__[stage.name]))
            setattr(stage.owner, stage.name, self._timed(stage.label, real))
        self._began = time.process_time()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.total = time.process_time() - self._began
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def _timed(self, label: str, real: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(real)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(label)
            began = time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                spent = time.process_time() - began
                self._stack.pop()
                self.seconds[label] = self.seconds.get(label, 0.0) + spent
                self.calls[label] = self.calls.get(label, 0) + 1
                if self._stack:  # counted in its own line, not its caller's too
                    caller = self._stack[-1]
                    self.seconds[caller] = self.seconds.get(caller, 0.0) - spent

        return timed

    def lines(self) -> list[str]:
        other = self.total - sum(self.seconds.values())
        rows = sorted(self.seconds.items(), key=lambda row: -row[1])
        out = [f"  CPU by stage: {self.total:.2f} s in all"]
        for label, sec in rows:
            out.append(f"    {label:24s} {sec:6.2f} s  {self.calls[label]:6,} calls")
        out.append(f"    {'other':24s} {other:6.2f} s")
        return out
