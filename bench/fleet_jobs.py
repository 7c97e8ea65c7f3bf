"""What the workers did during a bench.fleet run, read from procrastinate's own tables.

    spans = job_spans(connection, kinds)      every job that started: its kind, company, times
    print_durations(spans)                    each kind's count, total, p50, p95, worst
    waits = first_job_waits(spans, arrivals, workers)
    print_waits(waits)                        what each small company waited behind
    idle = large_idle(spans)
    print_idle(idle)                          why the large companies were idle between slices

A job's start is its `started` event, its end its `succeeded`, `failed` or `aborted` one (a job
still running at the end of the run ends then). A small company's wait is the time from its
records' arrival (the wall clock at their commit: PostgreSQL runs on this machine, so its
`now()` and this process's `time.time()` read the same clock) to the start of its first sync
job. Meanwhile the workers ran other jobs: their worker-seconds, divided by the number of
workers, split that wait into the time spent behind the large companies' jobs (their slices,
their pulls), behind other small companies' jobs, behind the sweep and the rest, and the time
no worker was busy (the job not yet visible, a worker between jobs, polling).

A large company's gaps: from the end of each of its sync jobs to the start of its next one, up
to its last (the company still had records due: its last sync job is the one that ends its
first sync). procrastinate does not keep a job's result (the `stopped=...` string `run_sync`
returns: procrastinate_jobs has no result column in 3.10), so why a pass stopped is inferred
from the next job's row:

- `scheduled_at` after the earlier job's end: the next pass was queued for later. With the
  earlier job succeeded and the next at `CONTINUATION_PRIORITY`, that is `_follow_up`: the
  company's earliest due record comes due then, which in bench.fleet is QuickBooks' request
  window being full (`wait_for_rate` stopped the pass, "rate_limited", and `delay_all` moved the
  company's records to the window's end; QuickBooks unavailable or a dependency waited for would
  look the same, and the emulator of bench.fleet has neither). These are the "window stops":
  their wait is the time from the earlier job's end to `scheduled_at`. At priority 0 it is a
  "busy" pass's retry (`BUSY_RETRY`); after a failed job, a retry's backoff: "other scheduled".
- The rest of the gap, from max(end, scheduled_at) to the start, the job could run: the time
  the company's own other jobs (its pulls, which hold the same procrastinate lock) ran is
  counted apart, the remainder is the wait for a worker (every worker busy, or between polls).
  A yielded slice (its 10 s over) is re-queued at once (`scheduled_at` NULL): all of its gap is
  that wait.

The idle share is the gaps' seconds over the companies' own time, from the start of each one's
first sync job to the end of its last (the time before its first job starts is not in it).
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

__all__ = [
    "FirstJobWait",
    "JobSpan",
    "LargeIdle",
    "SyncGap",
    "first_job_waits",
    "idle_summary",
    "job_spans",
    "large_idle",
    "print_durations",
    "print_idle",
    "print_waits",
    "sync_gap",
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
    scheduled_at: float | None = None  # epoch seconds; None: it could run once queued
    priority: int = 0
    status: str = "succeeded"  # procrastinate's: "succeeded", "failed", "aborted", "doing"


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
            " extract(epoch FROM max(e.at) FILTER (WHERE e.type::text = ANY(:ends))),"
            " extract(epoch FROM j.scheduled_at), j.priority, j.status::text"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " GROUP BY j.id"
            " HAVING bool_or(e.type = 'started')"
            " ORDER BY 5"
        ),
        {"ends": list(_ENDS)},
    ).all()
    spans = []
    for job_id, task, cid, swept, start, end, scheduled, priority, status in rows:
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
                float(scheduled) if scheduled is not None else None,
                int(priority),
                str(status),
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


@dataclass(frozen=True)
class SyncGap:
    """A large company between two of its sync jobs (see the module's docstring)."""

    connection_id: str
    seconds: float  # the earlier job's end to the next one's start
    scheduled: float  # of which: until the next job's scheduled_at (0: it could run at once)
    why: str  # the scheduled part's cause: "window", "other" (busy, a retry), "" (none)
    own_jobs: float  # of the rest: the company's own other jobs (its pulls) running

    @property
    def worker(self) -> float:
        """The time the next job could run and no worker took it."""
        return max(0.0, self.seconds - self.scheduled - self.own_jobs)


@dataclass(frozen=True)
class LargeIdle:
    companies: int = 0  # large companies with a sync job that started
    active: float = 0.0  # their seconds, each from its first sync job's start to its last's end
    gaps: tuple[SyncGap, ...] = ()

    def _of(self, why: str) -> list[float]:
        return [g.scheduled for g in self.gaps if g.why == why and g.scheduled > 0]

    @property
    def window_stops(self) -> list[float]:
        """Each window stop's wait: the earlier job's end to the next one's scheduled_at."""
        return self._of("window")

    @property
    def other_scheduled(self) -> list[float]:
        return self._of("other")

    @property
    def idle(self) -> float:
        return sum(g.seconds for g in self.gaps)

    @property
    def share(self) -> float:
        return self.idle / self.active if self.active else 0.0


def sync_gap(after: JobSpan, before: JobSpan, own: Iterable[JobSpan]) -> SyncGap:
    """The gap from the sync job `after` to the company's next one `before`; `own`: the
    company's other jobs (those that are neither), whose running time after the next job
    could run is counted apart from the wait for a worker."""
    seconds = max(0.0, before.start - after.end)
    scheduled, why = 0.0, ""
    if before.scheduled_at is not None and before.scheduled_at > after.end:
        scheduled = min(seconds, before.scheduled_at - after.end)
        continuation = before.priority < 0 and after.status == "succeeded"
        why = "window" if continuation else "other"
    ready = after.end + scheduled
    own_jobs = min(seconds - scheduled, sum(_overlap(s, ready, before.start) for s in own))
    return SyncGap(after.connection_id or "", seconds, scheduled, why, own_jobs)


def large_idle(spans: Sequence[JobSpan]) -> LargeIdle:
    """Every large company's gaps between consecutive sync jobs, first to last."""
    own: dict[str, list[JobSpan]] = defaultdict(list)
    for span in spans:
        if span.group == "large" and span.connection_id is not None:
            own[span.connection_id].append(span)
    gaps: list[SyncGap] = []
    active = 0.0
    companies = 0
    for jobs in own.values():
        syncs = sorted((s for s in jobs if s.kind == "large sync"), key=lambda s: s.start)
        if not syncs:
            continue
        companies += 1
        active += max(s.end for s in syncs) - syncs[0].start
        others = [s for s in jobs if s.kind != "large sync"]
        gaps.extend(sync_gap(a, b, others) for a, b in itertools.pairwise(syncs))
    return LargeIdle(companies, active, tuple(gaps))


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


def _total(label: str, values: Sequence[float]) -> str:
    if not values:
        return f"    {label:<34} none"
    return (
        f"    {label:<34} {len(values):4d} of them, {sum(values):8.1f} s in all,"
        f" p50 {quantile(values, 0.5):6.2f} s, worst {quantile(values, 1.0):6.2f} s"
    )


def print_idle(idle: LargeIdle) -> None:
    """Why the large companies were idle between their sync jobs (the module's docstring)."""
    if not idle.gaps:
        if idle.companies:
            print("  large companies between their sync jobs: none (one sync job each)")
        return
    gaps = idle.gaps
    print(
        f"  large companies between their sync jobs ({idle.companies} companies, {len(gaps)}"
        " gaps from a job's end to the next one's start, up to each one's last):"
    )
    print(_total("waiting for QuickBooks' window", idle.window_stops))
    print(_total("waiting for a worker", [g.worker for g in gaps if g.worker > 0]))
    print(_total("behind its own pulls", [g.own_jobs for g in gaps if g.own_jobs > 0]))
    print(_total("other scheduled (busy, retries)", idle.other_scheduled))
    print(f"    {idle_summary(idle)}")


def idle_summary(idle: LargeIdle) -> str:
    """One line: the large companies' idle share, window stops, worker waits."""
    stops = idle.window_stops
    p50 = f" (p50 {quantile(stops, 0.5):.1f} s) {sum(stops):.1f} s in all" if stops else ""
    worker = sum(g.worker for g in idle.gaps)
    return (
        f"idle {idle.idle:.1f} s of {idle.active:.1f} s (each company's first sync job's start"
        f" to its last's end): {idle.share:.1%}; {len(stops)} window stops{p50};"
        f" waiting for a worker {worker:.1f} s"
    )
