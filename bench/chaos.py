"""Chaos at scale: many companies' first syncs on PostgreSQL through every fault at once.

    .venv/bin/python -m bench.chaos              # 10 companies of 2,000 records, a worker
                                                 # killed every 20 s: about half an hour
    .venv/bin/python -m bench.chaos --quick      # 4 companies of 300, a kill every 5 s
    .venv/bin/python -m bench.chaos --companies 20 --records 500 --workers 3 --kill-every 10
    .venv/bin/python -m bench.chaos --fleet      # bench.fleet's companies: 1,000 of 50 records
                                                 # and 10 of 20,000 (--scale 0.05: 50 and 1,000)

Against one emulator process with QuickBooks' real limits on every company (500 requests and
40 batch requests a minute, 10 in flight), `--workers` `ledgerbridge worker` processes (2 by
default) sync the companies' records (half customers, half invoices, one item each) while:

- 5% of writes (every POST: batches, single writes, queries) are committed and their answer
  dropped (the connection broken), and 5% of all requests answer 500;
- every `--burst-every` seconds a company meets a burst of 429 (its next 3 requests; Retry-After
  `--retry-after` seconds; 0 sends none, and the engine then waits Intuit's minute);
- every `--expire-every` seconds a company's access token expires;
- every `--kill-every` seconds the oldest worker is killed with SIGKILL and a new one started
  (once every worker is taking jobs and something was synced since the last kill).

The workers presume a killed one dead after 2 s (`--stalled-after`). When nothing is pending,
the faults are cleared and each company is counted in the emulator's export: every customer
(by DisplayName), item (by Name) and invoice (by DocNumber) of the records handed over must be
there exactly once, and nothing else. Printed: records synced, in error, pending; the objects
in QuickBooks, missing and duplicated; the faults the emulator served; kills; `verify`'s
mismatches (QuickBooks read afresh against every synced record); the time and records per
second. The tests' CI-sized run of the same is tests/ledgerbridge/engine/chaos/
test_fleet_chaos.py; this prints and never asserts (its exit status is 1 when a count is
wrong, so that a run can be scripted).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.emulator import EmulatorProcess, with_emulator
from bench.fleet import (
    LARGE,
    LARGE_RECORDS,
    SMALL,
    SMALL_RECORDS,
    Company,
    bench_ledger,
    companies,
)
from ledgerbridge.bootstrap import Ledger
from ledgerbridge.engine.service import PUT_MANY
from ledgerbridge.engine.verify import verify

FAULT_SHARE = 0.05
POLL = 0.25


@dataclass
class Tally:
    records: int = 0
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    in_quickbooks: int = 0
    missing: int = 0
    duplicated: int = 0  # objects beyond the first of one name or number
    unexpected: int = 0  # objects no record asked for
    faults: collections.Counter[str] = field(default_factory=collections.Counter)
    kills: int = 0
    started: int = 0
    expiries: int = 0
    bursts: int = 0
    mismatches: int = 0
    unverified: int = 0  # companies verify could not read

    @property
    def clean(self) -> bool:
        return (
            self.statuses == {"synced": self.records}
            and self.in_quickbooks == self.records
            and not (self.missing or self.duplicated or self.unexpected)
            and not (self.mismatches or self.unverified)
        )


class Fleet:
    """The worker processes; the oldest is killed and replaced on demand."""

    def __init__(self, count: int, environ: dict[str, str], logs: Path, flags: list[str]):
        self._environ, self._logs, self._flags = environ, logs, flags
        self.started = 0
        self.procs = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        command = [str(Path(sys.executable).parent / "ledgerbridge"), "worker", "--log-level"]
        with (self._logs / f"worker-{self.started}.log").open("wb") as log:
            return subprocess.Popen(
                [*command, "warning", *self._flags], env=self._environ, stdout=log, stderr=log
            )

    def kill_oldest(self) -> None:
        proc = self.procs.pop(0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.procs.append(self._start())

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def statuses(ledger: Ledger) -> dict[str, int]:
    with ledger.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT status, count(*) FROM sync_state GROUP BY status"))
        return {str(status): int(count) for status, count in rows}


def taking_jobs(ledger: Ledger, heartbeat: float) -> int:
    with ledger.db.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM procrastinate_workers"
                    " WHERE last_heartbeat > now() - make_interval(secs => :within)"
                ),
                {"within": heartbeat * 3},
            ).scalar_one()
        )


def install_faults(server: EmulatorProcess, realm_id: str, seed: int) -> None:
    faults: list[dict[str, Any]] = [
        {"match": {"method": "POST"}, "action": {"drop_after_commit": True}},
        {"match": {}, "action": {"status": 500}},
    ]
    for offset, body in enumerate(faults):
        server.admin(
            "POST",
            f"/_emulator/companies/{realm_id}/faults",
            {**body, "times": None, "probability": FAULT_SHARE, "seed": seed * 10 + offset},
        )


def count_in_quickbooks(server: EmulatorProcess, company: Company, tally: Tally) -> None:
    entities = server.admin("GET", f"/_emulator/companies/{company.realm_id}/export")["entities"]
    found: collections.Counter[tuple[str, str]] = collections.Counter()
    for row in entities.get("Customer", []):
        found["customer", str(row["DisplayName"])] += 1
    for row in entities.get("Item", []):
        found["item", str(row["Name"])] += 1
    for row in entities.get("Invoice", []):
        found["invoice", str(row.get("DocNumber"))] += 1
    wanted = {
        (r.type, str(r.data.get("display_name") or r.data.get("name") or r.data.get("number")))
        for r in company.records
    }
    for key, count in found.items():
        if key in wanted:
            tally.in_quickbooks += 1
            tally.duplicated += count - 1
        elif key[0] != "item":  # a blank company's own items are not the records'
            tally.unexpected += count
    tally.missing += len(wanted - found.keys())


def shape(args: argparse.Namespace) -> list[tuple[str, int, int]]:
    """The companies to make: (name prefix, how many, records each, without the item)."""
    if args.fleet:
        small = max(1, round(SMALL * args.scale))
        large = max(SMALL_RECORDS, round(LARGE_RECORDS * args.scale))
        return [("Large", LARGE, large), ("Small", small, SMALL_RECORDS)]
    return [("Chaos", args.companies, args.records)]


def run(server: EmulatorProcess, args: argparse.Namespace, scratch: Path) -> Tally:
    url = f"http://{server.host}:{server.port}"
    server.admin("POST", "/_emulator/reset")
    tally = Tally()
    heartbeat = 0.5
    flags = [
        "--heartbeat-every",
        str(heartbeat),
        "--stalled-after",
        str(args.stalled_after),
        "--poll-every",
        "0.5",
    ]
    with bench_ledger(url, scratch) as bench:
        ledger, service = bench.ledger, bench.service
        made = companies(service, url, shape(args))
        for index, company in enumerate(made):
            install_faults(server, company.realm_id, index)
        tally.records = sum(len(c.records) for c in made)
        print(f"  {len(made)} companies, {tally.records:,} records", flush=True)
        fleet = Fleet(args.workers, bench.environ, scratch, flags)
        try:
            began = time.perf_counter()
            # handed over a chunk at a time inside the loop, so the chaos runs meanwhile
            chunks = [
                (company, company.records[at : at + PUT_MANY])
                for company in made
                for at in range(0, len(company.records), PUT_MANY)
            ]
            next_kill = began + args.kill_every
            next_expiry, next_burst = began + args.expire_every, began + args.burst_every
            synced_at_kill = 0
            while True:
                handing = time.perf_counter()
                while chunks and time.perf_counter() - handing < POLL:  # then a look round
                    company, chunk = chunks.pop(0)
                    service.put_records(company.key_id, company.connection_id, chunk)
                counts = statuses(ledger)
                done = counts.get("synced", 0) + counts.get("error", 0)
                now = time.perf_counter()
                if done == tally.records or now - began > args.timeout:
                    break
                if (
                    now >= next_kill
                    and counts.get("synced", 0) > synced_at_kill
                    and taking_jobs(ledger, heartbeat) >= args.workers
                ):
                    fleet.kill_oldest()
                    tally.kills += 1
                    next_kill, synced_at_kill = now + args.kill_every, counts.get("synced", 0)
                if now >= next_expiry:
                    realm = made[tally.expiries % len(made)].realm_id
                    server.admin("POST", "/_emulator/tokens/expire", {"realm_id": realm})
                    tally.expiries += 1
                    next_expiry = now + args.expire_every
                if now >= next_burst:
                    action: dict[str, object] = {"status": 429}
                    if args.retry_after:
                        action["retry_after"] = args.retry_after
                    realm = made[tally.bursts % len(made)].realm_id
                    server.admin(
                        "POST",
                        f"/_emulator/companies/{realm}/faults",
                        {"times": 3, "action": action},
                    )
                    tally.bursts += 1
                    next_burst = now + args.burst_every
                if not chunks:
                    time.sleep(POLL)
            tally.seconds = time.perf_counter() - began
        finally:
            fleet.stop()
        tally.started = fleet.started
        tally.statuses = statuses(ledger)
        for company in made:
            path = f"/_emulator/companies/{company.realm_id}/faults"
            for fault in server.admin("GET", path)["faults"]:
                action = fault["action"]
                kind = "dropped" if action.get("drop_after_commit") else str(action["status"])
                tally.faults[kind] += int(fault["hits"])
            server.admin("DELETE", path)
            count_in_quickbooks(server, company, tally)
            report = verify(ledger, company.connection_id, flag=False)
            tally.unverified += report.stopped is not None
            tally.mismatches += len(report.mismatches)
    return tally


def report(tally: Tally) -> None:
    others = {k: v for k, v in tally.statuses.items() if k != "synced"}
    print(
        f"\nrecords: {tally.records:,}; synced {tally.statuses.get('synced', 0):,}"
        f" (others: {others or 'none'}) in {tally.seconds:.1f} s,"
        f" {tally.records / tally.seconds if tally.seconds else 0:.1f} records/s"
    )
    print(
        f"in QuickBooks (the emulator's export): {tally.in_quickbooks:,} of {tally.records:,}"
        f" records found; missing {tally.missing}, duplicates {tally.duplicated},"
        f" objects no record asked for {tally.unexpected}"
    )
    print(
        f"chaos: {tally.kills} SIGKILLs ({tally.started} workers started),"
        f" {tally.expiries} token expiries, {tally.bursts} bursts of 429;"
        f" the emulator dropped {tally.faults['dropped']} answers after commit,"
        f" answered {tally.faults['500']} requests with 500 and {tally.faults['429']} with 429"
    )
    print(
        f"verify: {tally.mismatches} mismatches"
        + (f", {tally.unverified} companies could not be read" if tally.unverified else "")
    )
    print("every record exactly once, none lost, verify clean:", "yes" if tally.clean else "NO")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument("--records", type=int, default=2000, help="records per company")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds")
    parser.add_argument("--expire-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--burst-every", type=float, default=15.0, help="seconds")
    parser.add_argument("--retry-after", type=int, default=5, help="a 429 burst's Retry-After")
    parser.add_argument("--stalled-after", type=float, default=2.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=7200.0, help="seconds")
    parser.add_argument("--quick", action="store_true", help="4 companies of 300, kill every 5 s")
    parser.add_argument(
        "--fleet",
        action="store_true",
        help="bench.fleet's companies instead of --companies and --records: "
        f"{SMALL:,} of {SMALL_RECORDS} records and {LARGE} of {LARGE_RECORDS:,}, times --scale",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="with --fleet: bench.fleet's --scale"
    )
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        args.companies, args.records, args.kill_every = 4, 300, 5.0
        args.expire_every, args.burst_every = 5.0, 6.0
    if args.companies < 1 or args.records < 2 or args.workers < 1:
        _parser().error("--companies and --workers at least 1, --records at least 2")
    if not 0 < args.scale <= 1:
        _parser().error("--scale must be more than 0 and at most 1")
    logging.getLogger("ledgerbridge.crypto").setLevel(logging.ERROR)
    outcome: list[Tally] = []

    def body(server: EmulatorProcess) -> None:
        with contextlib.suppress(OSError), open("/proc/loadavg", encoding="ascii") as loadavg:
            print(f"load average before the run: {' '.join(loadavg.read().split()[:3])}")
        print(
            f"{os.cpu_count()} CPUs shared by the emulator, PostgreSQL and {args.workers} workers",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="bench-chaos-") as scratch:
            outcome.append(run(server, args, Path(scratch)))
        report(outcome[0])

    status = with_emulator(args.host, False, body)
    return status or (0 if outcome and outcome[0].clean else 1)


if __name__ == "__main__":
    sys.exit(main())
