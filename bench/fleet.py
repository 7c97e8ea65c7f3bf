"""Many companies, many workers: first syncs on PostgreSQL by `ledgerbridge worker` processes.

    .venv/bin/python -m bench.fleet                  # 1,000 companies of 50 records, 10 of
                                                     # 20,000: hours on a small machine
    .venv/bin/python -m bench.fleet --scale 0.01     # 10 small, 10 large of 200: minutes
    .venv/bin/python -m bench.fleet --quick          # --scale 0.01, the make bench run

`--scale` multiplies the number of small companies and the records of each large one (10 large
companies stay 10, 50 records a small one stay 50). For each count of workers (`--workers`, by
default 1, 2 and 4), on a fresh PostgreSQL schema (`LEDGERBRIDGE_BENCH_POSTGRES`, by default the
`test` database at 127.0.0.1), against one emulator process with QuickBooks' real limits on every
company (500 requests and 40 batch requests a minute, 10 in flight):

  1. every company is created in the emulator and connected (not timed);
  2. the workers start; the large companies' records are handed over (`put_records`, which
     queues each company's sync job), then the small companies' one company after another,
     while the large ones run; each small company's arrival is the moment its records were
     committed;
  3. the run ends when no record is pending (looked for every POLL seconds, during the
     handover too: a small company synced while others arrive is seen synced then).

With `--arrive-over SECONDS` the small companies arrive spread evenly over that many seconds (new
customers coming in during the day) instead of one after another as fast as the handover goes.

With `--backlog` every record is handed over before the workers start: the handover (this
process's own intake, on the same cores) then bounds nothing, and the ratio between worker
counts is the workers' alone; there are no arrival times then.

With `--own-sessions` each worker starts in a session of its own (setsid), as separate services
(systemd units, containers) are. On Linux with autogroup scheduling
(`kernel.sched_autogroup_enabled`, printed at the start) the processes of one session share one
group's slice of the CPUs: on a machine that other work keeps busy, workers started in this
process's session (the default) share the slice this process, the emulator and one worker had,
so a second worker there adds no CPU. With their own sessions each worker gets a group's slice:
that measures what the workers do with CPUs of their own, at the other work's expense.

QuickBooks' limits bound a run: a company takes at most 1,660 writes a minute (bench.ceiling),
so the largest company's first sync takes at least its writes over that, however many workers
run (20,001 records: 12 full minutes). The report prints that floor and what it leaves: when one
worker already finishes near it, no second worker can double anything. With `--no-limits` the
companies have none: what is measured is then the workers', PostgreSQL's and the emulator's
work on these cores alone (the ratio between worker counts is the engine's own scaling): the
workers are then `bench.unlimited_worker`s, which pace no company to QuickBooks' limits (before
2026-12-07 they still did, and `--no-limits` measured the limits all the same).

The emulator answers at once, on the same cores: a worker's job then spends its time computing,
and two workers on two cores can only share them. QuickBooks answers over the internet, and a
job spends most of its time waiting for it. `--latency MS` makes every request of every company
wait that long before it is answered (an emulator fault on each company; waiting costs the
emulator no CPU), and `--concurrency N` has each worker run N jobs at once
(`ledgerbridge worker --concurrency`), so that one process works other companies while each
waits.

The clock starts once every worker has registered with procrastinate (a worker's start-up, its
imports and its pool, is printed apart and not counted: a fleet's workers are long-running).
Reported for each count of workers: records per second (every record, from the first handover,
or the workers' readiness with `--backlog`, to the last synced) and its ratio to one worker's
(issue 19 asks 1.6 from 1 to 2 workers on 2 cores), the time from arrival to synced of the
small companies (median, p95, worst: none should wait behind a large one), then, from
procrastinate's own tables (`bench.fleet_jobs`), each kind of job's durations (a small company's
syncs and pulls, a large company's slices and pulls, the sweep) and what each small company's
wait for its first sync job was spent behind (the large companies' jobs, the other small
companies', the rest, no job at all), why the large companies were idle between their sync jobs
(waiting for QuickBooks' window to have room: the window stops, their count and p50; waiting
for a worker; behind their own pulls) and their idle share of their time, the workers' CPU per
record and peak memory, requests refused with 429 in every company (the shared limits hold
across workers: 0), the emulator's peak memory, and how many CPUs the machine kept busy
meanwhile (/proc/stat), split into the workers', PostgreSQL's (its processes on this machine:
a backend that ends during the run is not counted), the emulator's and the rest (this process,
any other work): a machine whose CPUs are all busy with one worker can give a second
nothing. Ctrl-C (or SIGTERM) stops it within seconds: the workers get STOP_GRACE seconds in
all to end, then are killed, the bench schema is dropped (its leftover connections ended first)
and the emulator stopped; a worker that exits during a run ends the run too. It prints, never
asserts timings; the machine and its load are printed too: with the
emulator, PostgreSQL and the workers on two cores, the ratios say more than the rates.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.ceiling import LIMIT, sizes_of
from bench.emulator import THROTTLE_OFF, BenchError, EmulatorProcess, with_emulator
from bench.fleet_jobs import (
    FirstJobWait,
    JobSpan,
    LargeIdle,
    first_job_waits,
    idle_summary,
    job_spans,
    large_idle,
    print_durations,
    print_idle,
    print_waits,
)
from bench.sync import workload
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.core.records import Incoming
from ledgerbridge.demo.quickbooks import DemoCompany
from ledgerbridge.demo.run import connect
from ledgerbridge.dispatch import MAX_CONCURRENCY
from ledgerbridge.dispatch.jobs import apply_job_schema, defer_sync_in
from ledgerbridge.engine.service import PUT_MANY, Service
from ledgerbridge.settings import load_settings

POSTGRES = os.environ.get(
    "LEDGERBRIDGE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SMALL, SMALL_RECORDS, LARGE, LARGE_RECORDS = 1000, 50, 10, 20_000
LIMITS = {"requests_per_minute": 500, "concurrent": 10, "batch_per_minute": 40}
POLL = 0.25  # seconds between looks at the companies' statuses
AUTOGROUP = "/proc/sys/kernel/sched_autogroup_enabled"
STOP_GRACE = 15.0  # seconds the workers have in all to end once asked (a slice is 10)


@dataclass(frozen=True)
class Company:
    name: str
    realm_id: str
    key_id: str
    connection_id: str
    records: list[Incoming]


@dataclass
class Run:
    workers: int
    records: int = 0
    seconds: float = 0.0
    handover: float = 0.0  # seconds the records took to hand over (the workers ran meanwhile)
    waits: list[float] = field(default_factory=list)  # small companies: arrival to synced
    cpu: float = 0.0  # the workers' CPU seconds, from their first job on
    startup: float = 0.0  # seconds from starting the workers to all of them taking jobs
    emulator_cpu: float = 0.0  # the emulator's CPU seconds during the run
    machine_busy: float = 0.0  # CPUs the whole machine kept busy during the run, on average
    postgres_cpu: float = 0.0  # PostgreSQL's processes' CPU seconds during the run
    peak_mib: float = 0.0  # the largest worker's peak memory
    refused: int = 0
    unfinished: int = 0  # records still pending at the end (a timeout)
    spans: list[JobSpan] = field(default_factory=list)  # every job that started (bench.fleet_jobs)
    first_waits: list[FirstJobWait] = field(default_factory=list)  # small: arrival to first job
    arrivals: int = 0  # small companies whose arrival was timed
    idle: LargeIdle = field(default_factory=LargeIdle)  # large companies between sync jobs
    largest: int = 0  # the records of the largest company

    @property
    def fewest_seconds(self) -> float:
        """What QuickBooks' limits allow at best: the largest company's writes, every full
        window of `LIMIT` waited out (the companies run side by side, each in its own limits)."""
        return ((self.largest - 1) // LIMIT) * 60.0 if self.largest else 0.0

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@contextlib.contextmanager
def schema() -> Iterator[str]:
    """A fresh schema of the bench database (dropped afterwards): its URL."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"bench_fleet_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    # every connection to it named after it, so that none left over can hold its drop up
    url = make_url(POSTGRES).update_query_dict(
        {"options": f"-csearch_path={name}", "application_name": name}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


@dataclass(frozen=True)
class BenchLedger:
    """A ledger on a fresh bench schema, its Service, and the environ a worker needs to share it."""

    ledger: Ledger
    service: Service
    environ: dict[str, str]


@contextlib.contextmanager
def bench_ledger(url: str, scratch: Path) -> Iterator[BenchLedger]:
    """A ledger on a fresh schema (`schema`) against the emulator at `url`: migrated,
    procrastinate's schema applied, its Service deferring each sync job in the same transaction
    as the records; its engine disposed, then the schema dropped, afterwards."""
    with schema() as database_url:
        environ = {
            **os.environ,
            "LEDGERBRIDGE_DATABASE_URL": database_url,
            "LEDGERBRIDGE_QBO_EMULATOR_URL": url,
            "LEDGERBRIDGE_DATA_DIR": str(scratch),
        }
        ledger = build(load_settings(environ, data_dir=scratch))
        try:
            ledger.db.migrate()
            apply_job_schema(ledger)
            yield BenchLedger(ledger, Service(ledger, defer_in=defer_sync_in), environ)
        finally:
            ledger.db.dispose()


def companies(
    service: Service,
    url: str,
    counts: list[tuple[str, int, int]],
    limits: bool = True,
    latency_ms: int = 0,
) -> list[Company]:
    """(prefix, companies, records each): each created in the emulator (with QuickBooks' real
    limits unless `limits` is false; answering every request after `latency_ms`), and
    connected."""
    made = []
    today = dt.date.today()
    for prefix, number, records in counts:
        for index in range(number):
            name = f"{prefix} {index:04d}"
            company = DemoCompany.create(url, name=name, preset="blank")
            # the emulator's companies have QuickBooks' limits by default: off, they are unset
            company.admin("PATCH", "", {"throttle": LIMITS if limits else THROTTLE_OFF})
            connected = connect(service, company, name, name)
            if latency_ms:  # every request from now on (the set-up's own are not timed)
                action = {"latency_ms": latency_ms}
                company.admin("POST", "/faults", {"match": {}, "times": None, "action": action})
            incoming = workload(sizes_of(records), index, today)
            made.append(
                Company(name, company.realm_id, connected.key_id, connected.connection.id, incoming)
            )
    return made


def hand_over(service: Service, company: Company) -> None:
    for start in range(0, len(company.records), PUT_MANY):
        chunk = company.records[start : start + PUT_MANY]
        service.put_records(company.key_id, company.connection_id, chunk)


def pending(ledger: Ledger) -> dict[str, int]:
    """Records still pending, by connection (absent: none pending): every row read, so only
    to confirm the end and count what a timeout left (`pending_among` while the run goes)."""
    with ledger.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT connection_id, count(*) FROM sync_state WHERE status = 'pending'"
                " GROUP BY connection_id"
            )
        ).all()
    return {str(cid): int(count) for cid, count in rows}


def pending_among(ledger: Ledger, connection_ids: Collection[str]) -> set[str]:
    """Which of these companies still have a record pending: an index probe each (the
    bench's look every POLL seconds would otherwise read every sync state, a cost on the
    CPUs it measures that grows with the run: 8 ms at 12,560 records here, more each size)."""
    if not connection_ids:
        return set()
    with ledger.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c FROM unnest(CAST(:ids AS varchar[])) AS c WHERE EXISTS"
                " (SELECT 1 FROM sync_state s WHERE s.connection_id = c"
                " AND s.status = 'pending')"
            ),
            {"ids": list(connection_ids)},
        ).all()
    return {str(cid) for (cid,) in rows}


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of every CPU since boot, from /proc/stat ((0, 0) without it)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL process on this machine, by pid (its backends too)."""
    found: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/comm", encoding="ascii") as comm:
                if comm.read().strip() != "postgres":
                    continue
            found[int(entry)] = proc_cpu(int(entry))
    return found


def wait_until_ready(ledger: Ledger, count: int, procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Until `count` workers have registered with procrastinate (they take jobs from then on):
    a worker's start-up (imports, its pool, its schema check) is not its throughput."""
    while True:
        with ledger.db.engine.connect() as connection:
            ready = connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar()
        if int(ready or 0) >= count:
            return
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError("a worker exited while starting: see its log in the scratch folder")
        time.sleep(0.05)


def start_workers(
    count: int,
    environ: dict[str, str],
    logs: Path,
    own_sessions: bool = False,
    limits: bool = True,
    concurrency: int = 1,
) -> list[subprocess.Popen[bytes]]:
    """`ledgerbridge worker`s running `concurrency` jobs each; without `limits`,
    `bench.unlimited_worker`s (the same worker pacing no company to QuickBooks' limits: a
    worker's own limits are not a setting)."""
    command = [sys.executable, "-m", "bench.unlimited_worker"]
    if limits:
        command = [
            str(Path(sys.executable).parent / "ledgerbridge"),
            "worker",
            "--log-level",
            "warning",
        ]
    command += ["--concurrency", str(concurrency)]
    workers = []
    for n in range(count):
        log = (logs / f"worker-{n}.log").open("wb")
        workers.append(
            subprocess.Popen(
                command, env=environ, stdout=log, stderr=log, start_new_session=own_sessions
            )
        )
    return workers


def stop_workers(procs: Sequence[subprocess.Popen[bytes]], grace: float = STOP_GRACE) -> None:
    """SIGTERM to every worker, `grace` seconds for all of them to end (a job under way is
    finished first), then SIGKILL to any left."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_once(
    server: EmulatorProcess,
    workers: int,
    scale: float,
    scratch: Path,
    timeout: float,
    backlog: bool = False,
    own_sessions: bool = False,
    arrive_over: float = 0.0,
    limits: bool = True,
    latency_ms: int = 0,
    concurrency: int = 1,
) -> Run:
    url = f"http://{server.host}:{server.port}"
    server.admin("POST", "/_emulator/reset")
    result = Run(workers)
    with bench_ledger(url, scratch) as bench:
        ledger, service = bench.ledger, bench.service
        small_count = max(1, round(SMALL * scale))
        large_records = max(SMALL_RECORDS, round(LARGE_RECORDS * scale))
        started = time.perf_counter()
        large = companies(service, url, [("Large", LARGE, large_records)], limits, latency_ms)
        small = companies(service, url, [("Small", small_count, SMALL_RECORDS)], limits, latency_ms)
        result.largest = max(len(c.records) for c in large + small)
        print(
            f"  {len(large) + len(small):,} companies created and connected in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        result.records = sum(len(c.records) for c in large + small)
        arrived: dict[str, float] = {}
        arrived_at: dict[str, float] = {}  # the same moments by the wall clock (PostgreSQL's)
        if backlog:  # everything handed over first: the workers' own throughput
            handed = time.perf_counter()
            for company in large + small:
                hand_over(service, company)
            result.handover = time.perf_counter() - handed
        launched = time.perf_counter()
        procs = start_workers(workers, bench.environ, scratch, own_sessions, limits, concurrency)
        try:
            wait_until_ready(ledger, workers, procs)
            began = time.perf_counter()
            result.startup = began - launched
            cpu_at_start = sum(proc_cpu(p.pid) for p in procs)
            emulator_at_start = server.cpu_seconds() or 0.0
            busy_at_start, total_at_start = machine_busy_jiffies()
            postgres_at_start = postgres_cpu()
            synced: dict[str, float] = {}
            looked = 0.0
            # the companies handed over and not yet seen with nothing pending
            unseen: set[str] = {c.connection_id for c in large + small} if backlog else set()

            def look(*, ending: bool = True) -> set[str]:
                """The companies handed over with records pending now (those seen with none
                are not asked again; once the handover is over, `ending`, an end is confirmed
                over every record: `pending`); the companies that arrived and have none,
                synced now."""
                nonlocal looked
                waiting = pending_among(ledger, unseen)
                if not waiting and ending:  # seemingly done: confirmed over every sync state
                    waiting = set(pending(ledger))
                looked = time.perf_counter()
                unseen.clear()
                unseen.update(waiting)
                for cid in arrived.keys() - synced.keys() - waiting:
                    synced[cid] = looked
                return waiting

            if not backlog:
                for company in large:
                    hand_over(service, company)
                    unseen.add(company.connection_id)
                spread = time.perf_counter()
                for index, company in enumerate(small):
                    due = spread + arrive_over * index / len(small)
                    while True:  # the companies synced meanwhile are seen as they are
                        if time.perf_counter() - looked >= POLL:
                            look(ending=False)
                        left = due - time.perf_counter()
                        if left <= 0:
                            break
                        time.sleep(min(left, POLL))
                    hand_over(service, company)
                    unseen.add(company.connection_id)
                    arrived[company.connection_id] = time.perf_counter()
                    arrived_at[company.connection_id] = time.time()
                result.handover = time.perf_counter() - began
            while True:
                waiting = look()
                now = looked
                if not waiting:
                    break
                if now - began > timeout:
                    result.unfinished = sum(pending(ledger).values())
                    break
                if any(proc.poll() is not None for proc in procs):
                    raise BenchError("a worker exited during the run: see its log")
                time.sleep(POLL)
            result.seconds = time.perf_counter() - began
            busy, total = machine_busy_jiffies()
            if total > total_at_start:
                result.machine_busy = (
                    (busy - busy_at_start) / (total - total_at_start) * (os.cpu_count() or 1)
                )
            result.emulator_cpu = (server.cpu_seconds() or 0.0) - emulator_at_start
            result.postgres_cpu = sum(  # a backend started during the run counts from 0
                cpu - postgres_at_start.get(pid, 0.0) for pid, cpu in postgres_cpu().items()
            )
            result.waits = sorted(synced[c] - arrived[c] for c in synced)
            result.cpu = sum(proc_cpu(p.pid) for p in procs) - cpu_at_start
            result.peak_mib = max(proc_hwm_mib(p.pid) for p in procs)
            groups = {c.connection_id: "large" for c in large}
            groups.update({c.connection_id: "small" for c in small})
            with ledger.db.engine.connect() as connection:
                result.spans = job_spans(connection, groups, time.time())
            result.first_waits = first_job_waits(result.spans, arrived_at, workers * concurrency)
            result.arrivals = len(arrived_at)
            result.idle = large_idle(result.spans)
        finally:
            stop_workers(procs)
    summaries = server.admin("GET", "/_emulator/companies")
    rows = summaries["companies"] if isinstance(summaries, dict) else summaries
    result.refused = sum(int(c.get("throttle_refused", 0)) for c in rows)
    return result


def quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def report(runs: Sequence[Run], server: EmulatorProcess, limits: bool = True) -> None:
    one = next((r for r in runs if r.workers == 1), runs[0])
    print(
        f"\n{'workers':>7} {'records':>8} {'seconds':>8} {'rec/s':>7} {'vs 1':>5}"
        f" {'small p50':>9} {'p95':>6} {'worst':>6} {'CPU ms/rec':>10} {'peak MiB':>8} {'429s':>5}"
    )
    for run in runs:
        print(
            f"{run.workers:7d} {run.records:8,d} {run.seconds:8.1f} {run.rate:7.1f}"
            f" {run.rate / one.rate:5.2f} {quantile(run.waits, 0.5):8.1f}s"
            f" {quantile(run.waits, 0.95):5.1f}s {quantile(run.waits, 1.0):5.1f}s"
            f" {run.cpu / run.records * 1000:10.2f} {run.peak_mib:8.0f} {run.refused:5d}"
        )
        seconds = run.seconds or 1.0
        known = (run.cpu + run.postgres_cpu + run.emulator_cpu) / seconds
        print(
            f"{'':7} CPUs busy {run.machine_busy:.2f} of {os.cpu_count()}: workers "
            f"{run.cpu / seconds:.2f}, PostgreSQL {run.postgres_cpu / seconds:.2f}, emulator "
            f"{run.emulator_cpu / seconds:.2f}, the rest (this process, other work) "
            f"{max(0.0, run.machine_busy - known):.2f};"
            f" start-up {run.startup:.1f} s (not counted)"
        )
        if run.unfinished:
            print(f"  NOT FINISHED: {run.unfinished:,} records still pending at the timeout")
    hwm = server.proc_status("VmHWM")
    print(f"emulator peak memory (VmHWM): {'n/a' if hwm is None else f'{hwm / 1024:.0f} MiB'}")
    two = next((r for r in runs if r.workers == 2), None)
    if two is not None:
        print(f"throughput 2 workers / 1 worker: {two.rate / one.rate:.2f} (target 1.6)")
    floor = one.fewest_seconds
    if limits and floor:
        # the workers cannot make QuickBooks take a company's writes faster than its limits
        print(
            f"QuickBooks' limits: the largest company's {one.largest:,} writes take at least "
            f"{floor:.0f} s ({LIMIT:,} a minute), whatever the workers; the most any count of "
            f"workers can be over 1 worker's {one.seconds:.0f} s here: "
            f"{one.seconds / floor:.2f} times"
        )
        for run in runs:
            print(f"  {run.workers} worker(s): {run.seconds / floor:.2f} times that floor")
    print("large companies between their sync jobs (bench.fleet_jobs):")
    for run in runs:
        print(f"  {run.workers} worker(s): {idle_summary(run.idle)}")
    worst = max(quantile(r.waits, 0.95) for r in runs)
    print(f"small companies, p95 arrival to synced, worst run: {worst:.1f} s")
    print(f"requests refused with 429, all runs: {sum(r.refused for r in runs)} (target 0)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fleet", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="companies and records scale")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--quick", action="store_true", help="--scale 0.01")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="hand every record over before the workers start (their throughput alone, not "
        "bounded by the handover; no arrival-to-synced times)",
    )
    parser.add_argument(
        "--own-sessions",
        action="store_true",
        help="start each worker in a session of its own (its own autogroup of the scheduler)",
    )
    parser.add_argument(
        "--arrive-over",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="spread the small companies' arrivals evenly over this many seconds (new "
        "customers during the day; default 0: one after another, as fast as possible)",
    )
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="companies without QuickBooks' limits: what the workers, PostgreSQL and the "
        "emulator do on these cores alone (the limits bound the large companies otherwise)",
    )
    parser.add_argument(
        "--latency",
        type=int,
        default=0,
        metavar="MS",
        help="every request of every company answered after this many milliseconds (the "
        "emulator answers at once: QuickBooks over the internet does not; default 0)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="jobs each worker runs at once (`ledgerbridge worker --concurrency`; default 1)",
    )
    parser.add_argument("--timeout", type=float, default=7200.0, help="seconds a run may take")
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    scale = 0.01 if args.quick else args.scale
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if scale <= 0 or not counts or min(counts) < 1:
        _parser().error("--scale must be positive and --workers at least 1 each")
    if not 0 <= args.latency <= 120_000 or not 1 <= args.concurrency <= MAX_CONCURRENCY:
        _parser().error(f"--latency must be 0 to 120000, --concurrency 1 to {MAX_CONCURRENCY}")
    logging.getLogger("ledgerbridge.crypto").setLevel(logging.ERROR)

    def body(server: EmulatorProcess) -> None:
        with contextlib.suppress(OSError), open("/proc/loadavg", encoding="ascii") as loadavg:
            print(f"load average before the run: {' '.join(loadavg.read().split()[:3])}")
        with contextlib.suppress(OSError), open(AUTOGROUP, encoding="ascii") as autogroup:
            enabled = autogroup.read().strip() == "1"
            print(
                f"autogroup scheduling {'on' if enabled else 'off'}; workers in "
                f"{'sessions of their own' if args.own_sessions else 'this session'}"
            )
        print(
            f"{os.cpu_count()} CPUs shared by the emulator (pid {server.pid}), PostgreSQL and "
            f"the workers; scale {scale:g}",
            flush=True,
        )
        if args.no_limits:
            print("companies without QuickBooks' limits (--no-limits)")
        if args.latency:
            print(f"every request answered after {args.latency} ms (--latency)")
        if args.concurrency > 1:
            print(f"each worker runs {args.concurrency} jobs at once (--concurrency)")
        if args.backlog:
            print("arrivals: every record handed over before the workers start (--backlog)")
        elif args.arrive_over > 0:
            print(f"arrivals: the small companies' spread over {args.arrive_over:g} s")
        else:
            print("arrivals: the small companies' one after another, as fast as possible")
        runs = []
        for count in counts:
            print(f"\n[{count} worker{'s' if count > 1 else ''}]", flush=True)
            with tempfile.TemporaryDirectory(prefix="bench-fleet-") as scratch:
                run = run_once(
                    server,
                    count,
                    scale,
                    Path(scratch),
                    args.timeout,
                    args.backlog,
                    args.own_sessions,
                    args.arrive_over,
                    not args.no_limits,
                    args.latency,
                    args.concurrency,
                )
            runs.append(run)
            print_durations(run.spans)
            if run.first_waits:
                print_waits(run.first_waits, run.arrivals)
            print_idle(run.idle)
            when = "before the workers started" if args.backlog else "in the first"
            print(
                f"  {run.records:,} records in {run.seconds:.1f} s ({run.rate:.1f}/s; handed "
                f"over {when} {run.handover:.1f} s); "
                f"small p95 {quantile(run.waits, 0.95):.1f} s; 429s {run.refused}",
                flush=True,
            )
        report(runs, server, not args.no_limits)

    return with_emulator(args.host, False, body)


if __name__ == "__main__":
    sys.exit(main())
