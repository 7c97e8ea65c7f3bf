"""What a small company's first job costs on PostgreSQL: a fresh company's first pull and push.

    .venv/bin/python -m bench.first_job                   # 8 companies of 51 records
    .venv/bin/python -m bench.first_job --profile 20      # and cProfile's 20 costliest calls

On a fresh PostgreSQL schema (bench.fleet's `LEDGERBRIDGE_BENCH_POSTGRES`), against one
emulator process with QuickBooks' limits on every company (as bench.fleet), `--companies`
companies are created and connected and their 51 records handed over (bench.fleet's small
companies, not timed); then the body of each company's first sync job (`dispatch.jobs.run_sync`:
the first pull of a company never pulled, then one push pass under its lease, then the events
and the next job) runs in this process, company after company. Reported for each part, per
company (median and the cheapest of them): this process's CPU seconds, wall seconds, and the
SQL statements it sent (counted on the ledger's engine). The first company is a warm-up (the
statements compiled, the emulator's first requests) and is not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import logging
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.ceiling import sizes_of
from bench.emulator import EmulatorProcess, with_emulator
from bench.fleet import LIMITS, SMALL_RECORDS, bench_ledger
from bench.sync import workload
from ledgerbridge.bootstrap import Ledger
from ledgerbridge.demo.quickbooks import DemoCompany
from ledgerbridge.demo.run import connect
from ledgerbridge.dispatch import jobs
from ledgerbridge.engine.service import PUT_MANY

PARTS = ("pull_company", "sync_company", "run_sync")


class Meter:
    """CPU, wall and statements of the parts of one job, by name."""

    def __init__(self, ledger: Ledger) -> None:
        self.statements = 0
        self.transactions = 0
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, list[int]] = defaultdict(list)
        self.begun: dict[str, list[int]] = defaultdict(list)
        self.kinds: dict[str, int] = defaultdict(int)
        self.texts: dict[str, int] = defaultdict(int)  # each statement's first words
        self.recording = True

        def count(*args: Any) -> None:
            self.statements += 1
            statement = str(args[2]).lstrip().split(None, 1)[0].upper() if args[2] else "?"
            self.kinds[statement] += 1
            flat = " ".join(str(args[2]).split())
            head, _, tail = flat.partition(" FROM ")
            self.texts[f"{head[:60]} FROM {tail[:140]}" if tail else flat[:200]] += 1

        def began(*args: Any) -> None:
            self.transactions += 1

        event.listen(ledger.db.engine, "before_cursor_execute", count)
        event.listen(ledger.db.engine, "begin", began)

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        cpu, wall, statements = time.process_time(), time.perf_counter(), self.statements
        transactions = self.transactions
        try:
            yield
        finally:
            if self.recording:
                self.cpu[name].append(time.process_time() - cpu)
                self.wall[name].append(time.perf_counter() - wall)
                self.counts[name].append(self.statements - statements)
                self.begun[name].append(self.transactions - transactions)


def metered(meter: Meter, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with meter.part(name):
            return call(*args, **kwargs)

    return wrapper


def run(server: EmulatorProcess, count: int, profile: int, statements: bool, scratch: Path) -> None:
    url = f"http://{server.host}:{server.port}"
    server.admin("POST", "/_emulator/reset")
    with bench_ledger(url, scratch) as bench:
        ledger, service = bench.ledger, bench.service
        today = dt.date.today()
        made = []
        for index in range(count + 1):
            name = f"Small {index:04d}"
            company = DemoCompany.create(url, name=name, preset="blank")
            company.admin("PATCH", "", {"throttle": LIMITS})
            connected = connect(service, company, name, name)
            records = workload(sizes_of(SMALL_RECORDS), index, today)
            for start in range(0, len(records), PUT_MANY):
                service.put_records(
                    connected.key_id, connected.connection.id, records[start : start + PUT_MANY]
                )
            made.append(connected.connection.id)
        meter = Meter(ledger)
        names = vars(jobs)  # the job's own references to the engine's calls, metered
        real = {part: names[part] for part in ("pull_company", "sync_company")}
        names.update({part: metered(meter, part, call) for part, call in real.items()})
        profiler = cProfile.Profile()
        try:
            for index, connection_id in enumerate(made):
                meter.recording = index > 0  # the first is a warm-up
                if index == 1:
                    meter.kinds.clear()
                    meter.texts.clear()
                with meter.part("run_sync"):
                    if profile and index > 0:
                        profiler.enable()
                    outcome = jobs.run_sync(ledger, connection_id)
                    profiler.disable()
                if index == 0:
                    print(f"  warm-up job: {outcome}")
        finally:
            names.update(real)
        report(meter, count, statements)
        if profile:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats("ledgerbridge", profile)
            stats.sort_stats("tottime").print_stats(profile)


def report(meter: Meter, count: int, statements: bool) -> None:
    records = len(workload(sizes_of(SMALL_RECORDS), 0, dt.date.today()))
    print(f"\na small company's first sync job ({records} records), {count} companies:")
    print(
        f"  {'part':<14} {'CPU s (median, least)':>22} {'wall s (median)':>16}"
        f" {'statements':>11} {'transactions':>13}"
    )
    for part in PARTS:
        cpu, wall, counts = meter.cpu[part], meter.wall[part], meter.counts[part]
        begun = meter.begun[part]
        if not cpu:
            continue
        print(
            f"  {part:<14} {statistics.median(cpu):10.3f} {min(cpu):10.3f}"
            f" {statistics.median(wall):16.3f} {statistics.median(counts):11.0f}"
            f" {statistics.median(begun):13.0f}"
        )
    kinds = ", ".join(
        f"{kind} {n / count:.0f}" for kind, n in sorted(meter.kinds.items(), key=lambda i: -i[1])
    )
    print(f"  statements a job by kind: {kinds}")
    if statements:
        for sql, n in sorted(meter.texts.items(), key=lambda i: -i[1]):
            print(f"  {n / count:5.1f}  {sql}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.first_job", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--companies", type=int, default=8, help="companies measured")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's top N")
    parser.add_argument("--statements", action="store_true", help="each statement's count a job")
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.getLogger("ledgerbridge.crypto").setLevel(logging.ERROR)

    def body(server: EmulatorProcess) -> None:
        with tempfile.TemporaryDirectory(prefix="bench-first-job-") as scratch:
            run(server, max(1, args.companies), args.profile, args.statements, Path(scratch))

    return with_emulator(args.host, False, body)


if __name__ == "__main__":
    sys.exit(main())
