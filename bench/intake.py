"""The cost of the intake alone: `Service.put_records`, 1,000 records a call, on PostgreSQL and
SQLite, with no sync and no QuickBooks behind it.

    .venv/bin/python -m bench.intake                        # both databases, 5,000 records
    .venv/bin/python -m bench.intake --db postgres --records 20000
    .venv/bin/python -m bench.intake --against /tmp/before/src --rounds 3

Three phases on a fresh database (a fresh schema of LEDGERBRIDGE_BENCH_POSTGRES, as bench.fleet
takes; a fresh SQLite file), the records of bench.sync's workload (half customers, half
invoices): `new` hands them all over, `same` hands them over again unchanged, `changed` hands
them over with every customer's email and every invoice's memo changed. Each prints this
process's CPU per record (from `time.process_time`, the database server's own work apart), the
wall time per record and the statements sent per record (an executemany counts as one).

With `--against SRC` every round runs twice, in two fresh processes, alternating: once with
the code under SRC (the `src` folder of another checkout: the code before a change) on the
import path, once with this checkout's, and prints the CPU per record of each and their ratio,
with the load average before and after. It prints, never asserts timings."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

PHASES = ("new", "same", "changed")


def _measure(database: str, records: int) -> dict[str, dict[str, float]]:
    """One run in this process: phase -> CPU us, wall us and statements per record."""
    from bench.ceiling import changed, sizes_of
    from bench.sync import workload
    from ledgerbridge.bootstrap import build
    from ledgerbridge.engine.service import PUT_MANY, Service
    from ledgerbridge.settings import load_settings

    incoming = workload(sizes_of(records), 0, dt.date(2026, 12, 1))
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch, _database(database, Path(scratch)) as url:
        environ = {**os.environ, "LEDGERBRIDGE_DATABASE_URL": url}
        ledger = build(load_settings(environ, data_dir=Path(scratch)))
        ledger.db.migrate()
        service = Service(ledger)
        key_id, _ = service.create_key("bench")
        connection_id = service.create_connection(key_id, "Bench intake", "emulator").id
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        event.listen(ledger.db.engine, "before_cursor_execute", count)
        for phase, batch in zip(PHASES, (incoming, incoming, changed(incoming)), strict=True):
            statements[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for start in range(0, len(batch), PUT_MANY):
                answers = service.put_records(
                    key_id, connection_id, batch[start : start + PUT_MANY]
                )
                if not all(answer.stored for answer in answers):
                    raise SystemExit(f"{phase}: a record was refused")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            results[phase] = {
                "cpu_us": cpu / len(batch) * 1e6,
                "wall_us": wall / len(batch) * 1e6,
                "statements": statements[0] / len(batch),
            }
        ledger.db.dispose()
    return results


@contextlib.contextmanager
def _database(kind: str, scratch: Path) -> Iterator[str]:
    """A fresh database's URL: a schema of the bench PostgreSQL, or a SQLite file."""
    if kind == "sqlite":
        yield f"sqlite:///{scratch / 'ledgerbridge.db'}"
        return
    from bench.fleet import schema

    with schema() as url:
        yield url


def _in_process(src: str | None, database: str, records: int) -> dict[str, dict[str, float]]:
    """`_measure` in a fresh process, with `src` first on the import path (None: this one)."""
    environ = dict(os.environ)
    if src is not None:
        environ["PYTHONPATH"] = os.pathsep.join([src, str(Path.cwd())])
    argv = [sys.executable, "-m", "bench.intake", "--db", database, "--records", str(records)]
    done = subprocess.run([*argv, "--json"], env=environ, check=True, capture_output=True)
    figures: dict[str, dict[str, float]] = json.loads(done.stdout)
    return figures


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.intake", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", help="another checkout's src folder (the code before)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    databases = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    if args.json:
        print(json.dumps(_measure(databases[0], args.records)))
        return 0
    for database in databases:
        for round_ in range(1, args.rounds + 1):
            print(f"[{database}, round {round_}, {args.records:,} records] load {_load()}")
            runs: dict[str, dict[str, dict[str, float]]] = {}
            if not args.against:
                runs["this"] = _in_process(None, database, args.records)
            else:  # the order alternates from round to round
                order = ("before", "after") if round_ % 2 else ("after", "before")
                for name in order:
                    src = args.against if name == "before" else None
                    runs[name] = _in_process(src, database, args.records)
                runs = {name: runs[name] for name in ("before", "after")}
            for phase in PHASES:
                line = f"  {phase:<8}"
                for name, figures in runs.items():
                    got = figures[phase]
                    line += (
                        f" {name} {got['cpu_us']:7.0f} us CPU, {got['wall_us']:7.0f} us wall, "
                        f"{got['statements']:5.2f} statements /record;"
                    )
                if "before" in runs:
                    ratio = runs["after"][phase]["cpu_us"] / runs["before"][phase]["cpu_us"]
                    line += f" CPU after/before {ratio:.2f}"
                print(line, flush=True)
            print(f"  load {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
