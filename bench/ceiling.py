"""A company's first sync at QuickBooks' pace, against the most QuickBooks' limits allow.

    .venv/bin/python -m bench.ceiling                  # 3,000 records (60 s windows), then
                                                       # 30,000 (20 s windows): about 10 minutes
    .venv/bin/python -m bench.ceiling --quick          # 3,000 records, 15 s windows: a minute
    .venv/bin/python -m bench.ceiling --records 3000 --window 60
    .venv/bin/python -m bench.ceiling --quick --updates  # the same records synced first, then
                                                       # every one changed: updates measured
    .venv/bin/python -m bench.ceiling --quick --phases   # and ledgerbridge's CPU by stage of
                                                       # its passes (bench.phases)

QuickBooks Online allows a company 500 requests a minute, 40 of them batch requests of up to 30
operations, 10 in flight: at most 40 x 30 + 460 = 1,660 writes a minute. The emulator enforces
exactly that over a sliding window (its own process, as in bench.emulator); ledgerbridge runs in
this one on a fresh SQLite database, its `RateLimits` the same. `--window` shortens the
emulator's "minute" (the throttle's `window_seconds`) and the engine's alike, keeping the
counts: 30,000 records are measured in minutes instead of the 18 a real minute needs.

The records (half customers, half invoices, one item, as bench.sync builds them) are handed
over in bulk, then `terminal.drain` syncs them; the run ends when none is due. With `--updates`
the records are synced first (not timed), one window is waited out (the windows start empty, as
a first sync's do), and then every customer (a new email) and every invoice (a new memo) is
changed: what is measured is those updates, counted by the emulator as they arrived
(`writes_received`: in batch requests or alone).

Reported for each size: writes per window ("minute") and their ratio to 1,660 (the figure
issue 19 asks to be at least 0.95); since the windows slide and start empty, the first window's
burst is free, so the ratio of a short run can pass 1.0: the second ratio, the fewest seconds the
limits allow (every full window of 1,660 writes waited out; the last one's writes counted as
instant) over the seconds taken, is the stricter one. Also: requests refused with 429 (must be
0), the sync passes, the peak memory of this process and the emulator's. It prints, never
asserts timings; the exit status is 0 unless the run breaks.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.emulator import EmulatorProcess, with_emulator
from bench.phases import Phases
from bench.sync import Engine as _Engine
from bench.sync import (
    Sizes,
    company_counts,
    expected_counts,
    hand_over_bulk,
    peak_rss_mib,
    workload,
)
from ledgerbridge.bootstrap import DEFAULT_REDIRECT, RateLimits, sqlite_ledger
from ledgerbridge.core.records import Incoming
from ledgerbridge.demo.quickbooks import DemoCompany
from ledgerbridge.demo.run import connect
from ledgerbridge.engine.drain import problem_counts
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.service import Service
from ledgerbridge.terminal import drain

REQUESTS, BATCHES, BATCH_SIZE, IN_FLIGHT = 500, 40, 30, 10  # Intuit's limits, a company
LIMIT = BATCHES * BATCH_SIZE + (REQUESTS - BATCHES)  # 1,660 writes a window


@dataclass(frozen=True)
class Result:
    records: int
    window: float
    seconds: float
    written: int  # writes that reached QuickBooks (the emulator's `writes_received`)
    batches: int  # of them, batch requests
    refused: int  # requests the emulator refused with 429
    passes: int
    waited: float  # seconds drain slept between passes
    cpu: float  # CPU seconds of this process during the sync
    emulator_cpu: float | None
    problems: list[str]
    phases: list[str] = field(default_factory=list)  # --phases: CPU by stage

    @property
    def per_window(self) -> float:
        return self.written / self.seconds * self.window

    @property
    def fewest_seconds(self) -> float:
        """What the limits allow at best: every full window of LIMIT writes waited out."""
        return ((self.written - 1) // LIMIT) * self.window

    def lines(self) -> list[str]:
        unit = "minute" if self.window == 60 else f"{self.window:g} s window"
        bound = (
            f"{self.fewest_seconds / self.seconds:5.2f}"
            if self.fewest_seconds
            else "  n/a (fits one window)"
        )
        emulator = (
            "n/a"
            if self.emulator_cpu is None
            else f"{self.emulator_cpu / self.records * 1000:.1f} ms"
        )
        return [
            f"  {self.written:,} writes in {self.seconds:.1f} s ({self.passes} passes, "
            f"{self.waited:.1f} s waiting between them), {self.batches} batch requests",
            f"  writes per {unit}: {self.per_window:,.0f}; limit {LIMIT:,}; "
            f"ratio {self.per_window / LIMIT:5.2f}",
            f"  fewest seconds the limits allow / seconds taken: {bound}",
            f"  requests refused with 429: {self.refused}",
            f"  CPU per record: ledgerbridge {self.cpu / self.records * 1000:.1f} ms "
            f"({self.cpu / self.seconds:.0%} of the wall time), emulator {emulator}",
        ]


def sizes_of(records: int) -> Sizes:
    """Half customers, half invoices, one item (3,001 records for 3,000)."""
    return Sizes(customers=records // 2, items=1, invoices=records - records // 2)


def changed(records: Sequence[Incoming]) -> list[Incoming]:
    """Every customer with a new email and every invoice with a new memo (items unchanged)."""
    out = []
    for record in records:
        if record.type == "customer":
            email = str(record.data["email"]).replace("@", ".changed@")
            out.append(Incoming(record.type, record.id, {**record.data, "email": email}))
        elif record.type == "invoice":
            out.append(Incoming(record.type, record.id, {**record.data, "memo": "Changed"}))
    return out


def run_one(
    server: EmulatorProcess,
    scratch: Path,
    records: int,
    window: float,
    updates: bool = False,
    phases: bool = False,
) -> Result:
    url = f"http://{server.host}:{server.port}"
    server.admin("POST", "/_emulator/reset")
    company = DemoCompany.create(url, name=f"Ceiling {records}", preset="blank")
    throttle: dict[str, float | int] = {
        "requests_per_minute": REQUESTS,
        "concurrent": IN_FLIGHT,
        "batch_per_minute": BATCHES,
    }
    ledger = sqlite_ledger(scratch / f"ceiling-{records}", url, DEFAULT_REDIRECT)
    if window != 60:
        throttle["window_seconds"] = window
        ledger.rate_limits = RateLimits(REQUESTS, BATCHES, window_seconds=window)  # type: ignore[call-arg,unused-ignore]
    company.admin("PATCH", "", {"throttle": throttle})
    service = Service(ledger)
    connected = connect(service, company, "bench", "Ceiling")
    engine = _Engine(ledger, service, connected.key_id, connected.connection.id)
    incoming = workload(sizes_of(records), 1, dt.date.today())
    measured = incoming
    try:
        pull_company(ledger, engine.connection_id)
        hand_over_bulk(engine, incoming)
        if updates:  # the first sync, not timed; then every record changed
            drain(ledger, engine.connection_id, progress=False)
            time.sleep(window)
            measured = changed(incoming)
            hand_over_bulk(engine, measured)
        before = _received(server, company.realm_id)
        emulator_before, cpu_before = server.cpu_seconds(), time.process_time()
        staged = Phases()
        began = time.perf_counter()
        with staged if phases else contextlib.nullcontext():
            report = drain(ledger, engine.connection_id, progress=False)
        seconds = time.perf_counter() - began
        cpu, emulator_after = time.process_time() - cpu_before, server.cpu_seconds()
        counted = problem_counts(ledger, engine.connection_id)
        problems = [f"{code}: {count}" for code, count in counted]
    finally:
        ledger.db.dispose()
    expected = expected_counts(incoming)
    held = company_counts(server, company.realm_id)
    if held != expected:
        problems.append(f"QuickBooks holds {held}, expected {expected}")
    arrived = _received(server, company.realm_id) - before
    written = sum(n for kind, n in arrived.items() if kind != "batch")
    if updates and arrived != Counter(
        {"batch": arrived["batch"], "batch.update": arrived["batch.update"]}
        | ({"update": arrived["update"]} if arrived["update"] else {})
    ):
        problems.append(f"writes other than updates arrived: {dict(arrived)}")
    if written < len(measured):
        problems.append(f"{written} writes arrived for {len(measured)} records changed")
    summary = server.admin("GET", f"/_emulator/companies/{company.realm_id}")
    return Result(
        records=len(measured),
        window=window,
        seconds=seconds,
        written=written,
        batches=arrived["batch"],
        refused=int(summary.get("throttle_refused", 0)),
        passes=report.passes,
        waited=report.waited,
        cpu=cpu,
        emulator_cpu=(
            None
            if emulator_before is None or emulator_after is None
            else emulator_after - emulator_before
        ),
        problems=problems,
        phases=staged.lines() if phases else [],
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ceiling", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--records", type=int, action="append", help="records of one run (repeatable)"
    )
    parser.add_argument(
        "--window",
        type=float,
        action="append",
        help="seconds of the limits' window for each --records (default 60; 20 from 10,000)",
    )
    parser.add_argument("--quick", action="store_true", help="3,000 records, 15 s windows")
    parser.add_argument(
        "--updates", action="store_true", help="measure every record changed after its sync"
    )
    parser.add_argument(
        "--phases", action="store_true", help="ledgerbridge's CPU by stage of its passes too"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-pin", action="store_true", help="no CPU of its own for the emulator")
    return parser


def plan(args: argparse.Namespace) -> list[tuple[int, float]]:
    if args.quick:
        return [(3000, 15.0)]
    sizes = args.records or [3000, 30000]
    windows = args.window or [60.0 if n < 10_000 else 20.0 for n in sizes]
    if len(windows) != len(sizes) or min(sizes) < 2 or min(windows) <= 0:
        _parser().error("one positive --window for each --records (at least 2 records)")
    return list(zip(sizes, windows, strict=True))


def _received(server: EmulatorProcess, realm_id: str) -> Counter[str]:
    summary = server.admin("GET", f"/_emulator/companies/{realm_id}")
    return Counter({k: int(v) for k, v in summary.get("writes_received", {}).items()})


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs = plan(args)
    logging.getLogger("ledgerbridge.crypto").setLevel(logging.ERROR)

    def body(server: EmulatorProcess) -> None:
        print(
            f"emulator pid {server.pid}; limits a window: {REQUESTS} requests, {BATCHES} batch "
            f"requests of {BATCH_SIZE}, {IN_FLIGHT} in flight: at most {LIMIT:,} writes",
            flush=True,
        )
        with contextlib.suppress(OSError), open("/proc/loadavg", encoding="ascii") as loadavg:
            print(f"load average before the run: {' '.join(loadavg.read().split()[:3])}")
        print(f"{os.cpu_count()} CPUs (the machine may be shared: see the load average)")
        results = []
        with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as scratch:
            for records, window in runs:
                kind = ", every record changed after its first sync" if args.updates else ""
                print(f"\n[{records:,} records, {window:g} s windows{kind}]", flush=True)
                result = run_one(server, Path(scratch), records, window, args.updates, args.phases)
                results.append(result)
                for line in result.lines() + result.phases:
                    print(line, flush=True)
                for problem in result.problems:
                    print(f"  NOT CLEAN: {problem}", flush=True)
        print(f"\npeak memory of this process (ru_maxrss): {peak_rss_mib():.0f} MiB")
        hwm = server.proc_status("VmHWM")
        print(f"emulator peak memory (VmHWM): {'n/a' if hwm is None else f'{hwm / 1024:.0f} MiB'}")
        worst = min(r.per_window / LIMIT for r in results)
        bounded = [r.fewest_seconds / r.seconds for r in results if r.fewest_seconds]
        refused = sum(r.refused for r in results)
        clean = all(not r.problems for r in results)
        strict = f"{min(bounded):.2f}" if bounded else "n/a (every run fits one window)"
        print(
            f"lowest ratio, the fewest seconds the limits allow / seconds taken: {strict}"
            f" (target 0.95); writes per window / the limit: {worst:.2f}"
            " (a run of few windows passes 1.0: its first window's burst is free)"
        )
        print(f"429s: {refused} (target 0); {'every record synced' if clean else 'NOT CLEAN'}")

    return with_emulator(args.host, not args.no_pin, body)


if __name__ == "__main__":
    sys.exit(main())
