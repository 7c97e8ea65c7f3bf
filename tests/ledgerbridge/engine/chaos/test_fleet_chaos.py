"""Chaos at scale, CI-sized (issue 19, point 4): several companies on PostgreSQL synced by two
`ledgerbridge worker` processes, against the emulator over HTTP where 5% of writes lose their
answer after the commit, 5% of requests meet a server error, bursts of 429 come and go, the
companies' access tokens expire, and a worker is killed with SIGKILL every few seconds (a new
one started in its place). Afterwards every record is in QuickBooks exactly once (counted in
the emulator's export by DisplayName, Name and DocNumber), none is lost or left in error, and
`ledgerbridge verify` finds nothing to report. `bench/chaos.py` runs the same at a larger
size and prints its counts."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.core.records import Incoming
from ledgerbridge.dispatch.jobs import apply_job_schema, defer_sync_in
from ledgerbridge.engine.service import PUT_MANY, Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.engine.conftest import connect
from tests.ledgerbridge.postgres import private_schema

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

COMPANIES = 3
CUSTOMERS, ITEMS, INVOICES = 30, 6, 40  # a company's records (76)
KILL_EVERY = 3.0  # seconds between two SIGKILLs of a worker (at least)
SLICES = 3  # parts of each company's records, the next handed over after a SIGKILL
EXPIRE_EVERY = 5.0  # seconds between two expiries of a company's access token
BURST_EVERY = 6.0  # seconds between two bursts of 429 (3 requests each) at a company
SETTLE = 150.0  # seconds the whole run may take to leave nothing pending
WORKER_FLAGS = ["--heartbeat-every", "0.5", "--stalled-after", "2", "--poll-every", "0.5"]


@dataclass(frozen=True)
class Company:
    realm_id: str
    connection_id: str
    records: list[Incoming]


def records_of(index: int) -> list[Incoming]:
    """Customers, items and invoices of one company, each name and number its own."""
    rng = random.Random(index)
    out = [
        Incoming("customer", f"c{n}", {"display_name": f"Chaos {index} Customer {n}"})
        for n in range(CUSTOMERS)
    ]
    out += [
        Incoming(
            "item",
            f"i{n}",
            {
                "name": f"Chaos Service {n}",
                "unit_price": f"{20 + n}.50",
                "income_account": "Services",
            },
        )
        for n in range(ITEMS)
    ]
    for n in range(INVOICES):
        item = rng.randrange(ITEMS)
        line = {
            "item_id": f"i{item}",
            "quantity": str(rng.randint(1, 3)),
            "unit_price": f"{20 + item}.50",
        }
        out.append(
            Incoming(
                "invoice",
                f"v{n}",
                {
                    "number": f"{index}-{n:04d}",
                    "customer_id": f"c{rng.randrange(CUSTOMERS)}",
                    "date": "2026-11-02",
                    "lines": [line],
                },
            )
        )
    return out


class Fleet:
    """`ledgerbridge worker` processes, one of which is killed (SIGKILL) and replaced on
    demand."""

    def __init__(self, environ: dict[str, str], logs: Path, size: int) -> None:
        self._environ = environ
        self._logs = logs
        self.started = 0
        self.killed = 0
        self.procs: list[subprocess.Popen[bytes]] = [self._start() for _ in range(size)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        command = [str(Path(sys.executable).parent / "ledgerbridge"), "worker", "--log-level"]
        with (self._logs / f"worker-{self.started}.log").open("wb") as log:
            return subprocess.Popen(
                [*command, "warning", *WORKER_FLAGS], env=self._environ, stdout=log, stderr=log
            )

    def kill_oldest(self) -> None:
        """SIGKILL the worker started first, and start another in its place."""
        proc = self.procs.pop(0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.killed += 1
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

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
            for p in sorted(self._logs.glob("worker-*.log"))
        )


def _verify(connection_id: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`ledgerbridge verify --json --no-flag` of the connection, as an operator runs it."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "ledgerbridge"),
            "verify",
            connection_id,
            "--json",
            "--no-flag",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def running(environ: dict[str, str], logs: Path, size: int) -> Iterator[Fleet]:
    fleet = Fleet(environ, logs, size)
    try:
        yield fleet
    finally:
        fleet.stop()


def hand_over(service: Service, key_id: str, companies: list[Company], index: int) -> int:
    """Slice `index` of every company's records handed over (`put_records`); the slices
    handed over now. Each company's records go in SLICES parts, the next only once a worker
    was killed since the last: on a fast machine the whole run takes seconds, and a kill
    every KILL_EVERY seconds alone could come too late to meet any work."""
    for company in companies:
        size = -(-len(company.records) // SLICES)
        part = company.records[index * size : (index + 1) * size]
        for at in range(0, len(part), PUT_MANY):
            service.put_records(key_id, company.connection_id, part[at : at + PUT_MANY])
    return index + 1


def statuses(ledger: Ledger) -> dict[str, int]:
    with ledger.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT status, count(*) FROM sync_state GROUP BY status"))
        return {str(status): int(count) for status, count in rows}


def taking_jobs(ledger: Ledger) -> int:
    """Workers registered with procrastinate and sending heartbeats (every half second)."""
    with ledger.db.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM procrastinate_workers"
                    " WHERE last_heartbeat > now() - interval '1.5 seconds'"
                )
            ).scalar_one()
        )


def diagnosis(ledger: Ledger) -> str:
    """What holds the records that are not synced: status, problem, when due, jobs."""
    with ledger.db.engine.connect() as connection:
        states = connection.execute(
            text(
                "SELECT status, problem->>'code', count(*), min(next_attempt_at), max(attempts)"
                " FROM sync_state WHERE status <> 'synced' GROUP BY 1, 2"
            )
        ).all()
        jobs = connection.execute(
            text(
                "SELECT task_name, status, count(*), min(scheduled_at) FROM procrastinate_jobs"
                " GROUP BY 1, 2"
            )
        ).all()
        now = connection.execute(text("SELECT now()")).scalar_one()
    return f"now {now}\nrecords: {[tuple(r) for r in states]}\njobs: {[tuple(j) for j in jobs]}"


def chaos_faults(admin: httpx.Client, realm_id: str, seed: int) -> None:
    """5% of writes answered with a dropped connection after the commit, 5% of requests with
    a server error (reads too), for as long as the run lasts; and, so that a company meets
    both whatever the dice say (a CI-sized company makes only some dozens of requests, its
    first read one), its first two POSTs dropped after the commit (the first read's batch,
    then its first writes) and the next two requests that meet no other fault answered 500."""
    for body in (
        {"match": {"method": "POST"}, "action": {"drop_after_commit": True}},
        {"match": {}, "action": {"status": 500}},
    ):
        response = admin.post(
            f"/companies/{realm_id}/faults",
            json={**body, "times": None, "probability": 0.05, "seed": seed},
        )
        response.raise_for_status()
        seed += 1000
    for body in (
        {"match": {"method": "POST"}, "action": {"drop_after_commit": True}},
        {"match": {}, "action": {"status": 500}},
    ):
        admin.post(f"/companies/{realm_id}/faults", json={**body, "times": 2}).raise_for_status()


def test_companies_sync_exactly_once_through_chaos_and_killed_workers(tmp_path: Path) -> None:
    with (
        EmulatorServer() as emulator,
        private_schema("lb_chaos") as database_url,
        httpx.Client(base_url=f"{emulator.url}/_emulator", timeout=30) as admin,
        contextlib.ExitStack() as cleanup,
    ):
        environ = {
            **os.environ,
            "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
            "LEDGERBRIDGE_DATABASE_URL": database_url,
            "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        }
        ledger = build(load_settings(environ, data_dir=tmp_path))
        cleanup.callback(ledger.db.dispose)  # also when an assertion fails
        ledger.db.migrate()
        apply_job_schema(ledger)
        service = Service(ledger, defer_in=defer_sync_in)
        key_id, _ = service.create_key("chaos")
        companies = []
        for index in range(COMPANIES):
            realm = admin.post("/companies", json={"name": f"Chaos {index}"}).json()["realm_id"]
            connection = service.create_connection(key_id, f"Chaos {index}", "emulator")
            connect(service, key_id, connection.id, realm)
            chaos_faults(admin, realm, seed=index)
            companies.append(Company(realm, connection.id, records_of(index)))
        total = sum(len(c.records) for c in companies)
        kills = expiries = bursts = synced_at_kill = 0
        started = time.monotonic()
        with running(environ, tmp_path, size=2) as fleet:
            handed = hand_over(service, key_id, companies, 0)
            next_kill, next_expiry, next_burst = (started + d for d in (KILL_EVERY, 1.0, 2.0))
            while True:
                counts = statuses(ledger)
                if counts.get("synced", 0) + counts.get("error", 0) == total:
                    break
                now = time.monotonic()
                assert now - started < SETTLE, (
                    f"{counts} after {SETTLE} s\n{diagnosis(ledger)}\n{fleet.logs()}"
                )
                # the oldest worker killed every KILL_EVERY seconds, and at once while a slice
                # of the records waits for its kill, once every worker is taking jobs (a worker
                # starting on a loaded machine takes seconds: killed before it works, it would
                # prove nothing) and something was synced since
                if (
                    (now >= next_kill or kills < handed)
                    and counts.get("synced", 0) > synced_at_kill
                    and taking_jobs(ledger) >= len(fleet.procs)
                ):
                    fleet.kill_oldest()
                    kills += 1
                    next_kill, synced_at_kill = now + KILL_EVERY, counts.get("synced", 0)
                if kills >= handed < SLICES:  # the next slice once the last one met a kill
                    handed = hand_over(service, key_id, companies, handed)
                if now >= next_expiry:
                    realm = companies[expiries % COMPANIES].realm_id
                    admin.post("/tokens/expire", json={"realm_id": realm}).raise_for_status()
                    expiries += 1
                    next_expiry = now + EXPIRE_EVERY
                if now >= next_burst:
                    realm = companies[bursts % COMPANIES].realm_id
                    burst = {"times": 3, "action": {"status": 429, "retry_after": 2}}
                    admin.post(f"/companies/{realm}/faults", json=burst).raise_for_status()
                    bursts += 1
                    next_burst = now + BURST_EVERY
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            hits = collections.Counter[str]()
            for company in companies:
                listed = admin.get(f"/companies/{company.realm_id}/faults").json()["faults"]
                for fault in listed:
                    action = fault["action"]
                    kind = "dropped" if action.get("drop_after_commit") else str(action["status"])
                    hits[kind] += fault["hits"]
                admin.delete(f"/companies/{company.realm_id}/faults").raise_for_status()
        logs = fleet.logs()
        assert statuses(ledger) == {"synced": total}, f"{diagnosis(ledger)}\n{logs}"
        print(
            f"\n{total} records of {COMPANIES} companies synced in {elapsed:.1f} s through "
            f"{kills} SIGKILLs ({fleet.started} workers started), {expiries} token expiries, "
            f"{bursts} bursts of 429; the emulator answered {hits['dropped']} writes with a "
            f"dropped connection, {hits['500']} requests with 500, {hits['429']} with 429"
        )
        assert kills >= 2 and hits["dropped"] > 0 and hits["500"] > 0 and hits["429"] > 0

        # QuickBooks' own word: each record exactly once, nothing else
        for index, company in enumerate(companies):
            export = admin.get(f"/companies/{company.realm_id}/export").json()["entities"]
            found = {
                "customer": collections.Counter(c["DisplayName"] for c in export["Customer"]),
                "item": collections.Counter(
                    i["Name"] for i in export["Item"] if i["Name"].startswith("Chaos ")
                ),
                "invoice": collections.Counter(i["DocNumber"] for i in export["Invoice"]),
            }
            expected: dict[str, collections.Counter[str]] = {
                kind: collections.Counter() for kind in found
            }
            for record in company.records:
                name = record.data.get("display_name") or record.data.get("name")
                expected[record.type][str(name or record.data["number"])] += 1
            assert found == expected, f"company {index}"

        # and `ledgerbridge verify` agrees with QuickBooks for every company
        for company in companies:
            verified = _verify(company.connection_id, environ)
            report: dict[str, Any] = json.loads(verified.stdout)
            if report.get("stopped") == "throttled":
                # the last burst of 429s left the company a wait: verify reads nothing before
                # it ends (as its message says), and is asked again after it, as a person would
                until = datetime.fromisoformat(report["waiting_until"])
                time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.5)
                verified = _verify(company.connection_id, environ)
                report = json.loads(verified.stdout)
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert report["mismatches"] == [] and report["checked"] == len(company.records)
