"""Throughput of the QuickBooks Online emulator over real HTTP.

    .venv/bin/python -m bench.emulator            # full run, about a minute
    .venv/bin/python -m bench.emulator --quick    # smoke run: one 1 s round, 2,000 records

The emulator runs as its own process (`qbo_emulator.cli serve`, one uvicorn worker), so the load
generator does not share its interpreter; with two or more CPUs it is pinned to one of them and
the clients to the others, so that they do not steal its time slices (`--no-pin` to switch off).
`--clients` processes each drive one keep-alive `http.client.HTTPConnection`, one request at a
time, for `--seconds` (or `--count` requests in all); a round's rate is every completed request
over the wall time from the common start to the last finish. Every measurement has `--rounds`
rounds and the fastest counts: other work on the machine only ever slows a round down. Each
round also reports the emulator's own CPU time per request (from /proc), which does not depend on
how fast the clients are, and how much CPU other processes took meanwhile.

Phases:
  1. empty: queries by DisplayName, queries by Id and reads by Id over a few seed customers, then
     simple writes (create a Customer), each round into a new company on a freshly reset emulator;
  2. a company filled to `--records` customers through the batch endpoint (30 per batch);
  3. the same measurements on that company (its write rounds start at `--records` and grow).

Targets, reported PASS/FAIL (the exit status is 0 whatever they say, unless the run breaks):
  * at least 1,000 simple writes/s with the emulator in one process;
  * at `--records` customers no more than 20% slower than empty, for writes and every query.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import multiprocessing
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import orjson

WRITES_TARGET = 1000.0  # simple writes per second, emulator in one process
MAX_SLOWDOWN = 0.20  # at the full size, at most 20% slower than empty
BATCH_SIZE = 30  # QuickBooks' limit per batch request
BUSY_MACHINE = 0.25  # other processes using more than this share of a core disturb the rates
THROTTLE_OFF = {"requests_per_minute": None, "concurrent": None, "batch_per_minute": None}
REDIRECT_URI = "http://localhost:9/callback"

GIVEN = (
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Liam", "Maya", "Nico", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
)  # fmt: skip
FAMILY = (
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Patel", "Quist", "Rossi", "Silva",
    "Tanaka",
)  # fmt: skip

# Measured operations, in the order they run on each company.
QUERY_NAME = "query by DisplayName"
QUERY_ID = "query by Id"
READ_ID = "read by Id"
WRITE = "write (create Customer)"
MEASURED = (QUERY_NAME, QUERY_ID, READ_ID, WRITE)
FILL = "fill (batch create)"


class BenchError(RuntimeError):
    """The run itself broke (as opposed to a target being missed)."""


# --- names ----------------------------------------------------------------------------------


def customer(tag: str, client: int, index: int, seed: int) -> dict[str, Any]:
    """A deterministic customer: the DisplayName is unique per (tag, client, index)."""
    rng = random.Random(f"{seed}:{tag}:{client}:{index}")
    given = rng.choice(GIVEN)
    family = rng.choice(FAMILY)
    key = f"{tag}{client}-{index:06d}"
    return {
        "DisplayName": f"{given} {family} {key}",
        "GivenName": given,
        "FamilyName": family,
        "CompanyName": f"{family} & Co {key}",
        "PrimaryEmailAddr": {"Address": f"{given}.{family}.{key}@example.com".lower()},
        "Notes": "created by bench.emulator",
    }


def quoted(text: str) -> str:
    """A query-language string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- one HTTP client ------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What one client process does."""

    kind: str
    host: str
    port: int
    realm_id: str
    token: str
    client: int
    seed: int
    tag: str = ""
    seconds: float = 5.0
    count: int | None = None  # requests for this client; overrides `seconds`
    names: tuple[str, ...] = ()  # existing DisplayNames, for name queries
    ids: tuple[str, ...] = ()  # existing Ids, for id queries and reads
    batches: tuple[int, ...] = ()  # FILL: the first record index of each batch
    records: int = 0  # FILL: records in all (the last batch may be short)


@dataclass
class Outcome:
    client: int
    ops: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    written: list[tuple[str, str]] = field(default_factory=list)  # (Id, DisplayName)
    started: float = 0.0
    ended: float = 0.0
    cpu: float = 0.0  # CPU seconds this client process used
    failure: str | None = None


class _Client:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.base = f"/v3/company/{job.realm_id}"
        self.headers = {
            "Authorization": f"Bearer {job.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.job.host, self.job.port, timeout=60)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = self._connect()
            raise


def _error(outcome: Outcome, text: str) -> None:
    outcome.errors += 1
    if len(outcome.samples) < 5:
        outcome.samples.append(text[:300])


def _run_fill(job: Job, client: _Client, outcome: Outcome) -> None:
    path = f"{client.base}/batch"
    for first in job.batches:
        items = [
            {
                "bId": str(index),
                "operation": "create",
                "Customer": customer(job.tag, 0, index, job.seed),
            }
            for index in range(first, min(first + BATCH_SIZE, job.records))
        ]
        began = time.perf_counter()
        try:
            status, data = client.call("POST", path, orjson.dumps({"BatchItemRequest": items}))
        except (OSError, http.client.HTTPException) as exc:
            _error(outcome, f"batch: {exc!r}")
            continue
        outcome.latencies.append(time.perf_counter() - began)
        if status != 200:
            _error(outcome, f"batch: HTTP {status}: {data[:200]!r}")
            continue
        for answer in orjson.loads(data)["BatchItemResponse"]:
            row = answer.get("Customer")
            if row is None:
                _error(outcome, f"batch item {answer.get('bId')}: {answer.get('Fault')}")
            else:
                outcome.ops += 1
                outcome.written.append((row["Id"], row["DisplayName"]))


def _measured_request(job: Job, rng: random.Random, index: int) -> tuple[str, str, bytes | None]:
    base = f"/v3/company/{job.realm_id}"
    if job.kind == WRITE:
        body = orjson.dumps(customer(job.tag, job.client, index, job.seed))
        return "POST", f"{base}/customer", body
    if job.kind == QUERY_NAME:
        text = f"select * from Customer where DisplayName = {quoted(rng.choice(job.names))}"
        return "GET", f"{base}/query?query={urllib.parse.quote(text)}", None
    if job.kind == QUERY_ID:
        text = f"select * from Customer where Id = {quoted(rng.choice(job.ids))}"
        return "GET", f"{base}/query?query={urllib.parse.quote(text)}", None
    if job.kind == READ_ID:
        return "GET", f"{base}/customer/{rng.choice(job.ids)}", None
    raise BenchError(f"unknown job kind {job.kind}")


# What a correct answer contains (a 200 with no customer in it is an error too).
_EXPECTED = {
    WRITE: b'"Customer":{',
    QUERY_NAME: b'"Customer":[{',
    QUERY_ID: b'"Customer":[{',
    READ_ID: b'"Customer":{',
}


def _run_measured(job: Job, client: _Client, outcome: Outcome) -> None:
    rng = random.Random(f"{job.seed}:{job.kind}:{job.client}")
    expected = _EXPECTED[job.kind]
    deadline = outcome.started + job.seconds
    index = 0
    while (index < job.count) if job.count is not None else (time.monotonic() < deadline):
        method, path, body = _measured_request(job, rng, index)
        index += 1
        began = time.perf_counter()
        try:
            status, data = client.call(method, path, body)
        except (OSError, http.client.HTTPException) as exc:
            _error(outcome, f"{method} {path}: {exc!r}")
            continue
        outcome.latencies.append(time.perf_counter() - began)
        if status != 200 or expected not in data:
            _error(outcome, f"{method} {path}: HTTP {status}: {data[:200]!r}")
            continue
        outcome.ops += 1
        if job.kind == WRITE:
            row = orjson.loads(data)["Customer"]
            outcome.written.append((row["Id"], row["DisplayName"]))


def _worker(job: Job, start: Barrier, results: Queue[Outcome]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    outcome = Outcome(job.client)
    cpu_before = time.process_time()
    try:
        client = _Client(job)
        start.wait(timeout=60)
        outcome.started = time.monotonic()
        if job.kind == FILL:
            _run_fill(job, client, outcome)
        else:
            _run_measured(job, client, outcome)
        outcome.ended = time.monotonic()
        client.conn.close()
    except BaseException:
        outcome.failure = traceback.format_exc()
        start.abort()  # nobody waits for a client that will not come
    outcome.cpu = time.process_time() - cpu_before
    results.put(outcome)


def _context() -> ForkContext | SpawnContext:
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_clients(jobs: Sequence[Job]) -> list[Outcome]:
    """Runs the jobs in parallel processes that start together; every process is gone after."""
    ctx = _context()
    results: Queue[Outcome] = ctx.Queue()
    start = ctx.Barrier(len(jobs) + 1)
    procs = [ctx.Process(target=_worker, args=(job, start, results), daemon=True) for job in jobs]
    try:
        for proc in procs:
            proc.start()
        with contextlib.suppress(threading.BrokenBarrierError):  # a client failed: see below
            start.wait(timeout=60)
        outcomes: list[Outcome] = []
        while len(outcomes) < len(procs):
            try:
                outcomes.append(results.get(timeout=1.0))
            except queue.Empty:
                if not any(proc.is_alive() for proc in procs):
                    # One last look: a result may have arrived as the last process exited.
                    with contextlib.suppress(queue.Empty):
                        outcomes.append(results.get(timeout=1.0))
                        continue
                    raise BenchError("a client process died without reporting") from None
        for proc in procs:
            proc.join(timeout=10)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
        results.join_thread()
    failures = [o.failure for o in outcomes if o.failure]
    if failures:
        raise BenchError("a client process failed:\n" + failures[0])
    return sorted(outcomes, key=lambda o: o.client)


# --- the emulator process -------------------------------------------------------------------


def cpu_plan(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """CPUs for the emulator and for the clients: the emulator gets one to itself, so that the
    load generator does not steal its time slices (None: no pinning)."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, set(cpus[1:])


def die_with_parent() -> None:
    """SIGTERM to this process when its parent dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _child_setup(cpus: set[int] | None) -> Callable[[], None]:
    def setup() -> None:
        """In the emulator, before exec: pinned to `cpus`, gone with the benchmark."""
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
        die_with_parent()

    return setup


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class EmulatorProcess:
    """`qbo_emulator.cli serve` in its own session, stopped with SIGINT (then SIGKILL)."""

    def __init__(self, host: str, port: int, cpus: set[int] | None = None) -> None:
        self.host = host
        self.port = port
        self.cpus = cpus
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "qbo_emulator.cli",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_child_setup(self.cpus),
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"the emulator exited with status {self.proc.returncode}")
            try:
                status, _ = self.admin_raw("GET", "/_emulator/health")
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"the emulator did not answer on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def admin_raw(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            payload = None if body is None else orjson.dumps(body)
            conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.admin_raw(method, path, body)
        if status not in (200, 201):
            raise BenchError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return orjson.loads(data)

    def proc_status(self, key: str) -> int | None:
        """A memory figure from /proc/<pid>/status, in KiB (None where there is no /proc)."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the emulator has used."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Realm:
    realm_id: str
    token: str


def new_company(server: EmulatorProcess, client_id: str, name: str) -> Realm:
    realm_id = str(server.admin("POST", "/_emulator/companies", {"name": name})["realm_id"])
    server.admin("PATCH", f"/_emulator/companies/{realm_id}", {"throttle": THROTTLE_OFF})
    tokens = server.admin(
        "POST", f"/_emulator/companies/{realm_id}/connect", {"client_id": client_id}
    )
    return Realm(realm_id, str(tokens["access_token"]))


def customer_count(server: EmulatorProcess, realm: Realm) -> int:
    counts = server.admin("GET", f"/_emulator/companies/{realm.realm_id}")["counts"]
    return int(counts.get("Customer", 0))


# --- measurements ---------------------------------------------------------------------------


def machine_cpu_seconds() -> float | None:
    """User and system CPU time of the whole machine (every process), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    user, nice, system = (int(x) for x in fields[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def python_speed() -> float:
    """CPU seconds this process takes for a plain Python loop of 10 million steps, the best
    of three: the machine's speed at the interpreter's own work, printed beside a CPU figure
    so that figures taken on different machines can be set side by side."""
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()  # this thread's alone, whatever others run
        for _step in range(10_000_000):
            pass
        best = min(best, time.thread_time() - start)
    return best


@dataclass
class Measurement:
    name: str
    ops: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float | None  # CPU seconds the emulator used meanwhile
    others_cpu: float | None  # CPU seconds used by processes that are not the benchmark's
    samples: list[str]

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_share(self) -> float | None:
        """The share of one core the emulator used (near 1.0: the emulator is the bottleneck)."""
        return None if self.server_cpu is None else self.server_cpu / self.seconds

    @property
    def others_share(self) -> float | None:
        """The share of one core other processes on the machine used: the disturbance."""
        return None if self.others_cpu is None else self.others_cpu / self.seconds

    @property
    def cpu_per_op(self) -> float | None:
        """Emulator CPU seconds per request: its cost, whatever the clients managed."""
        return None if self.server_cpu is None or not self.ops else self.server_cpu / self.ops

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def line(self, label: str) -> str:
        share, per_op, others = self.cpu_share, self.cpu_per_op, self.others_share
        cpu = (
            "n/a" if share is None or per_op is None else f"{share:4.0%} {per_op * 1e6:3.0f} us/req"
        )
        disturbance = "" if others is None else f"  others {others:4.0%}"
        return (
            f"  {label:<30} {self.rate:6.0f}/s {self.ops:6d} ok {self.errors:3d} err  "
            f"p50 {self.percentile(0.5) * 1000:5.2f} ms p99 {self.percentile(0.99) * 1000:5.2f} ms"
            f"  emulator {cpu}{disturbance}"
        )


def measure(
    server: EmulatorProcess, label: str, jobs: Sequence[Job]
) -> tuple[Measurement, list[Outcome]]:
    machine_before, own_before = machine_cpu_seconds(), time.process_time()
    cpu_before = server.cpu_seconds()
    outcomes = run_clients(jobs)
    cpu_after = server.cpu_seconds()
    machine_after, own_after = machine_cpu_seconds(), time.process_time()
    started = min(o.started for o in outcomes)
    elapsed = max(o.ended for o in outcomes) - started
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    others = None
    if server_cpu is not None and machine_before is not None and machine_after is not None:
        ours = server_cpu + sum(o.cpu for o in outcomes) + own_after - own_before
        others = max(0.0, machine_after - machine_before - ours)
    result = Measurement(
        name=jobs[0].kind,
        ops=sum(o.ops for o in outcomes),
        errors=sum(o.errors for o in outcomes),
        seconds=elapsed,
        latencies=[x for o in outcomes for x in o.latencies],
        server_cpu=server_cpu,
        others_cpu=others,
        samples=[s for o in outcomes for s in o.samples][:5],
    )
    print(result.line(label), flush=True)
    for sample in result.samples:
        print(f"      error: {sample}", flush=True)
    return result, outcomes


def fill(
    server: EmulatorProcess, realm: Realm, records: int, processes: int, seed: int, tag: str
) -> tuple[Measurement, list[tuple[str, str]]]:
    """Creates `records` customers through the batch endpoint, from `processes` clients."""
    starts = list(range(0, records, BATCH_SIZE))
    processes = min(processes, len(starts))
    jobs = [
        Job(
            kind=FILL,
            host=server.host,
            port=server.port,
            realm_id=realm.realm_id,
            token=realm.token,
            client=client,
            seed=seed,
            tag=tag,
            batches=tuple(starts[client::processes]),
            records=records,
        )
        for client in range(processes)
    ]
    result, outcomes = measure(server, f"fill, {records:,} records", jobs)
    return result, [w for o in outcomes for w in o.written]


@dataclass
class Results:
    """Every round of every measured operation on one company."""

    rounds: dict[str, list[Measurement]] = field(default_factory=dict)

    def add(self, result: Measurement) -> None:
        self.rounds.setdefault(result.name, []).append(result)

    def best(self, kind: str) -> Measurement:
        """The fastest round: interference from other processes only ever slows a round."""
        return max(self.rounds[kind], key=lambda m: m.rate)

    def cheapest(self, kind: str) -> float | None:
        costs = [c for m in self.rounds[kind] if (c := m.cpu_per_op) is not None]
        return min(costs) if costs else None

    def errors(self) -> int:
        return sum(m.errors for ms in self.rounds.values() for m in ms)


def _jobs(
    kind: str,
    server: EmulatorProcess,
    realm: Realm,
    existing: Sequence[tuple[str, str]],
    args: argparse.Namespace,
    tag: str,
) -> list[Job]:
    per_client = None if args.count is None else max(1, args.count // args.clients)
    return [
        Job(
            kind=kind,
            host=server.host,
            port=server.port,
            realm_id=realm.realm_id,
            token=realm.token,
            client=client,
            seed=args.seed,
            tag=tag,
            seconds=args.seconds,
            count=per_client,
            names=tuple(n for _, n in existing) if kind == QUERY_NAME else (),
            ids=tuple(i for i, _ in existing) if kind in (QUERY_ID, READ_ID) else (),
        )
        for client in range(args.clients)
    ]


def measure_queries(
    server: EmulatorProcess,
    realm: Realm,
    existing: Sequence[tuple[str, str]],
    args: argparse.Namespace,
    results: Results,
) -> None:
    if not existing:
        raise BenchError("no customers to query")
    for kind in (QUERY_NAME, QUERY_ID, READ_ID):
        for number in range(args.rounds):
            jobs = _jobs(kind, server, realm, existing, args, "")
            result, _ = measure(server, f"{kind}, #{number + 1}", jobs)
            results.add(result)


# --- report ---------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ratio(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None or before == 0 else after / before


def report(
    empty: Results,
    full: Results,
    records: int,
    fill_result: Measurement,
    server: EmulatorProcess,
    rounds: int,
) -> None:
    size = f"{records // 1000}k" if records % 1000 == 0 else str(records)
    header = f"{'metric':<26} {'empty':>9} {size:>9} {'ratio':>7}  {'target':<24} {'result'}"
    rule = "-" * (len(header) + 4)
    best = "best" if rounds == 1 else f"best of {rounds} rounds"
    print(f"\nrequests per second ({best}; ratio = {size} / empty)")
    print(header)
    print(rule)
    rows: list[tuple[str, str, str, str, str, bool]] = []
    write_empty = empty.best(WRITE).rate
    rows.append(
        (
            "writes/s (absolute)",
            f"{write_empty:9.0f}",
            f"{full.best(WRITE).rate:9.0f}",
            "",
            f">= {WRITES_TARGET:,.0f}/s (empty)",
            write_empty >= WRITES_TARGET,
        )
    )
    for kind in MEASURED:
        before, after = empty.best(kind).rate, full.best(kind).rate
        ratio = _ratio(before, after) or 0.0
        label = "writes/s" if kind == WRITE else f"{kind}/s"
        rows.append(
            (
                label,
                f"{before:9.0f}",
                f"{after:9.0f}",
                f"{ratio:7.2f}",
                f"ratio >= {1 - MAX_SLOWDOWN:.2f}",
                ratio >= 1 - MAX_SLOWDOWN,
            )
        )
    for label, before_text, after_text, ratio_text, target, ok in rows:
        print(
            f"{label:<26} {before_text:>9} {after_text:>9} {ratio_text:>7}  "
            f"{target:<24} {_verdict(ok)}"
        )
    print(rule)
    print("emulator CPU per request, microseconds (lowest of rounds; independent of the clients)")
    for kind in MEASURED:
        before_cost, after_cost = empty.cheapest(kind), full.cheapest(kind)
        cost_ratio = _ratio(before_cost, after_cost)
        print(
            f"{kind:<26} "
            + " ".join(
                "      n/a" if c is None else f"{c * 1e6:9.0f}" for c in (before_cost, after_cost)
            )
            + ("" if cost_ratio is None else f" {cost_ratio:7.2f}")
        )
    print(rule)
    counted = [r.best(kind) for r in (empty, full) for kind in MEASURED]
    disturbance = [d for m in counted if (d := m.others_share) is not None]
    if disturbance:
        worst = max(disturbance)
        print(
            f"other processes on the machine during the counted rounds: up to {worst:.0%} "
            "of a core"
            + (
                "  (WARNING: a busy machine; compare the CPU-per-request figures instead)"
                if worst > BUSY_MACHINE
                else ""
            )
        )
    print(f"errors (non-200 or wrong answer): {empty.errors() + full.errors()}")
    print(
        f"fill: {fill_result.ops:,} customers in {fill_result.seconds:.1f} s "
        f"({fill_result.rate:,.0f} records/s, {fill_result.errors} errors)"
    )
    peak = server.proc_status("VmHWM")
    rss = server.proc_status("VmRSS")
    peak_text = "n/a" if peak is None else f"{peak / 1024:.0f} MiB"
    rss_text = "n/a" if rss is None else f"{rss / 1024:.0f} MiB"
    print(f"emulator peak memory (VmHWM): {peak_text}   (VmRSS now {rss_text})")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    pinning = (
        f"emulator pinned to CPU {sorted(server.cpus)}, clients on the other {usable}"
        if server.cpus
        else "no pinning"
    )
    print(f"client machine CPUs: {os.cpu_count()} ({pinning})")
    passed = sum(1 for row in rows if row[5])
    print(f"targets: {passed}/{len(rows)} PASS")


# --- main -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.emulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--clients", type=int, default=2, help="client processes (default 2)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="length of each round (default 2)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds of each measurement; the best counts (default 3)",
    )
    parser.add_argument(
        "--count", type=int, default=None, help="requests per measurement instead of a duration"
    )
    parser.add_argument(
        "--records", type=int, default=None, help="customers in the full company (default 20000)"
    )
    parser.add_argument(
        "--seed-records",
        type=int,
        default=None,
        help="customers created in the empty company before its queries (default 100)",
    )
    parser.add_argument(
        "--fill-clients", type=int, default=None, help="processes filling the company (default 3)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for names and choices")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: one 1 s round, 2,000 records"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not give the emulator a CPU of its own (clients on the others)",
    )
    return parser


def _settings(argv: Sequence[str] | None) -> argparse.Namespace:
    args = _parser().parse_args(argv)
    defaults = (1.0, 2000, 50, 1) if args.quick else (2.0, 20_000, 100, 3)
    if args.seconds is None:
        args.seconds = defaults[0]
    if args.rounds is None:
        args.rounds = defaults[3]
    if args.records is None:
        args.records = defaults[1]
    if args.seed_records is None:
        args.seed_records = defaults[2]
    if args.fill_clients is None:
        args.fill_clients = 3
    counts = (args.clients, args.fill_clients, args.records, args.seed_records, args.rounds)
    if min(counts) < 1:
        _parser().error(
            "--clients, --fill-clients, --records, --seed-records and --rounds must be >= 1"
        )
    return args


def run(args: argparse.Namespace, server: EmulatorProcess) -> None:
    amount = f"{args.count} requests" if args.count else f"{args.seconds:g} s"
    pinning = (
        f"emulator pinned to CPU {sorted(server.cpus)}, clients to the others"
        if server.cpus
        else "no CPU pinning"
    )
    print(
        f"emulator pid {server.pid} on {server.host}:{server.port}; {args.clients} client "
        f"processes; {args.rounds} x {amount} per measurement; {os.cpu_count()} CPUs; {pinning}",
        flush=True,
    )
    with contextlib.suppress(OSError), open("/proc/loadavg", encoding="ascii") as loadavg:
        print(f"load average before the run: {' '.join(loadavg.read().split()[:3])}")
    app = server.admin("POST", "/_emulator/apps", {"redirect_uris": [REDIRECT_URI]})
    client_id = str(app["client_id"])

    print(f"\n[1] empty company: queries over {args.seed_records} seed customers, then writes")
    empty = Results()
    small = new_company(server, client_id, "Bench empty company")
    _, seeded = fill(server, small, args.seed_records, 1, args.seed, "S")
    measure_queries(server, small, seeded, args, empty)
    for number in range(args.rounds):
        # Every round writes into a new company on a freshly reset emulator: empty means empty.
        server.admin("POST", "/_emulator/reset")
        fresh = new_company(server, client_id, f"Bench empty company {number + 1}")
        jobs = _jobs(WRITE, server, fresh, (), args, f"E{number}")
        result, _ = measure(server, f"write, #{number + 1}", jobs)
        empty.add(result)
    server.admin("POST", "/_emulator/reset")

    print(f"\n[2] filling a company to {args.records:,} customers (batches of {BATCH_SIZE})")
    large = new_company(server, client_id, "Bench full company")
    fill_result, filled = fill(server, large, args.records, args.fill_clients, args.seed, "F")
    count = customer_count(server, large)
    print(f"  {count:,} customers in {fill_result.seconds:.1f} s", flush=True)
    if count < args.records:
        print(f"  warning: only {count:,} of {args.records:,} customers were created")

    print(f"\n[3] company with {count:,} customers: queries, then writes")
    full = Results()
    measure_queries(server, large, filled, args, full)
    for number in range(args.rounds):
        before = customer_count(server, large)
        jobs = _jobs(WRITE, server, large, (), args, f"K{number}")
        result, _ = measure(server, f"write, #{number + 1} (from {before:,})", jobs)
        full.add(result)
    report(empty, full, args.records, fill_result, server, args.rounds)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def with_emulator(host: str, pin: bool, body: Callable[[EmulatorProcess], None]) -> int:
    """`body` against an emulator process of its own (on a CPU of its own when `pin`), this
    process on the others; the exit status: 0, 1 when the run broke, 130 when interrupted
    (Ctrl-C or `kill`)."""
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C too, even when this process was started with SIGINT ignored (a background job of
    # a shell without job control): else it polls on after its workers have stopped
    signal.signal(signal.SIGINT, _interrupt)
    server_cpus, own_cpus = cpu_plan(pin)
    server = EmulatorProcess(host, free_port(host), server_cpus)
    try:
        server.start()
        if own_cpus is not None:
            os.sched_setaffinity(0, own_cpus)  # inherited by the client processes
        body(server)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _settings(argv)
    return with_emulator(args.host, not args.no_pin, lambda server: run(args, server))


if __name__ == "__main__":
    sys.exit(main())
