"""What the workers did during a bench.fleet run, read from procrastinate's own tables.

    spans = job_spans(connection, kinds)      every job that started: its kind, company, times
    print_durations(spans)                    each kind's count, total, p50, p95, worst
    waits = first_job_waits(spans, arrivals, workers)
    print_waits(waits)                        what each small company waited behind

A job's start is its `started` event, its end its `succeeded`, `failed` or `aborted` one (a job
still running at the end of the run ends then). A small company's wait is the time from its
records' arrival (the wall clock at their commit: PostgreSQL runs on this machine, so its
`now()` and this process's `time.time()` read the same clock) to the start of its first sync
job. Meanwhile the workers ran other jobs: their worker-seconds, divided by the number of
workers, split that wait into the time spent behind the large companies' jobs (their slices,
their pulls), behind other small companies' jobs, behind the sweep and the rest, and the time
no worker was busy (the job not yet visible, a worker between jobs, polling).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

__all__ = [
    "FirstJobWait",
    "JobSpan",
    "first_job_waits",
    "job_spans",
    "print_durations",
    "print_waits",
]

SYNC_TASK = "ledgerbridge.sync_connection"
PULL_TASK = "ledgerbridge.pull_connection"
SWEEP_TASK = "ledgerbridge.sweep"
_ENDS = ("succeeded", "failed", "aborted")


@dataclass(frozen=True)
class JobSpan:
    job_id: int
    kind: str  # "small sync", "large sync", "small pull", "large pull", "sweep", "other"
    group: str  # "small", "large", "other": whose work it was
    connection_id: str | None
    start: float  # epoch seconds
    end: float
    swept: bool = False  # a pull the sweep queued (it carries the sweep's moment)


@dataclass(frozen=True)
class FirstJobWait:
    connection_id: str
    waited: float  # arrival to the first sync job's start
    behind_large: float  # seconds of that wait the workers spent on large companies' jobs
    behind_small: float  # ... on other small companies' jobs
    behind_other: float  # ... on the sweep, on its own earlier jobs (a sweep's pull), the rest
    idle: float  # ... on nothing
    first_job: float  # the first sync job's own duration


def job_spans(connection: Connection, groups: Mapping[str, str], now: float) -> list[JobSpan]:
    """Every job that started, oldest first; `groups`: connection id -> "small" or "large"."""
    rows = connection.execute(
        text(
            "SELECT j.id, j.task_name, j.args->>'connection_id', j.args ? 'asked_at',"
            " extract(epoch FROM min(e.at) FILTER (WHERE e.type = 'started')),"
            " extract(epoch FROM max(e.at) FILTER (WHERE e.type::text = ANY(:ends)))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " GROUP BY j.id, j.task_name, j.args"
            " HAVING bool_or(e.type = 'started')"
            " ORDER BY 5"
        ),
        {"ends": list(_ENDS)},
    ).all()
    spans = []
    for job_id, task, cid, swept, start, end in rows:
        group = groups.get(cid, "other") if cid is not None else "other"
        if task == SWEEP_TASK:
            kind = "sweep"
        elif task in (SYNC_TASK, PULL_TASK) and group != "other":
            kind = f"{group} {'sync' if task == SYNC_TASK else 'pull'}"
        else:
            kind = "other"
        spans.append(
            JobSpan(
                int(job_id),
                kind,
                group,
                cid,
                float(start),
                float(end) if end is not None else max(now, float(start)),
                bool(swept),
            )
        )
    return spans


class _Busy:
    """Worker-seconds spent on a set of jobs up to any moment (a piecewise linear function)."""

    def __init__(self, spans: Iterable[JobSpan]) -> None:
        changes: dict[float, int] = defaultdict(int)
        for span in spans:
            changes[span.start] += 1
            changes[span.end] -= 1
        self._times = sorted(changes)
        self._total: list[float] = []
        self._slope: list[int] = []
        total, slope, last = 0.0, 0, self._times[0] if self._times else 0.0
        for moment in self._times:
            total += slope * (moment - last)
            slope += changes[moment]
            last = moment
            self._total.append(total)
            self._slope.append(slope)

    def upto(self, moment: float) -> float:
        index = bisect.bisect_right(self._times, moment) - 1
        if index < 0:
            return 0.0
        return self._total[index] + self._slope[index] * (moment - self._times[index])

    def between(self, start: float, end: float) -> float:
        return self.upto(end) - self.upto(start) if end > start else 0.0


def _overlap(span: JobSpan, start: float, end: float) -> float:
    return max(0.0, min(span.end, end) - max(span.start, start))


def first_job_waits(
    spans: Sequence[JobSpan], arrivals: Mapping[str, float], workers: int
) -> list[FirstJobWait]:
    """For each small company that arrived (`arrivals`: connection id -> epoch seconds) and
    whose first sync job started: its wait and what the workers did meanwhile."""
    by_group = {
        group: _Busy(s for s in spans if s.group == group) for group in ("small", "large", "other")
    }
    own: dict[str, list[JobSpan]] = defaultdict(list)
    first: dict[str, JobSpan] = {}
    for span in spans:
        if span.connection_id is None:
            continue
        own[span.connection_id].append(span)
        if span.kind == "small sync" and span.connection_id not in first:
            first[span.connection_id] = span
    waits = []
    for cid, arrived in arrivals.items():
        job = first.get(cid)
        if job is None:
            continue
        begin, end = arrived, max(arrived, job.start)
        mine = sum(_overlap(s, begin, end) for s in own[cid] if s is not job)
        large = by_group["large"].between(begin, end)
        small = by_group["small"].between(begin, end) - mine
        other = by_group["other"].between(begin, end) + mine
        waited = end - begin
        waits.append(
            FirstJobWait(
                cid,
                waited,
                large / workers,
                small / workers,
                other / workers,
                max(0.0, waited - (large + small + other) / workers),
                job.end - job.start,
            )
        )
    return waits


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(label: str, values: Sequence[float]) -> str:
    return (
        f"    {label:<34} p50 {quantile(values, 0.5):6.2f} s  p95 {quantile(values, 0.95):6.2f} s"
        f"  worst {quantile(values, 1.0):6.2f} s"
    )


def print_durations(spans: Sequence[JobSpan]) -> None:
    """Each kind of job: how many, their seconds in all, p50, p95 and worst."""
    kinds: dict[str, list[float]] = defaultdict(list)
    for span in spans:
        kinds[span.kind].append(span.end - span.start)
    print("  jobs by kind (procrastinate's events): count, seconds in all, p50, p95, worst")
    for kind in ("small sync", "small pull", "large sync", "large pull", "sweep", "other"):
        durations = kinds.get(kind)
        if not durations:
            continue
        print(
            f"    {kind:<11} {len(durations):6d} {sum(durations):8.1f} s"
            f"  p50 {quantile(durations, 0.5):6.2f} s  p95 {quantile(durations, 0.95):6.2f} s"
            f"  worst {quantile(durations, 1.0):6.2f} s"
        )
    for group in ("small", "large"):
        pulls = [s for s in spans if s.kind == f"{group} pull"]
        syncs = sum(s.kind == f"{group} sync" for s in spans)
        if pulls:
            swept = sum(s.swept for s in pulls)
            print(
                f"    {group} pulls {len(pulls)} for {syncs} sync jobs: {swept} the sweep's,"
                f" {len(pulls) - swept} others (wake-ups: webhooks, refreshes; windows full;"
                " retries)"
            )


def print_waits(waits: Sequence[FirstJobWait], arrived: int) -> None:
    """A small company's wait for its first sync job, and what it waited behind."""
    print(
        f"  small companies, arrival to their first sync job's start ({len(waits)} of {arrived}"
        " started; the workers' seconds meanwhile / workers):"
    )
    print(_line("waited in all", [w.waited for w in waits]))
    print(_line("waited behind large companies", [w.behind_large for w in waits]))
    print(_line("waited behind other small companies", [w.behind_small for w in waits]))
    print(_line("waited behind the sweep, the rest", [w.behind_other for w in waits]))
    print(_line("no worker busy", [w.idle for w in waits]))
    print(_line("the first sync job itself", [w.first_job for w in waits]))
