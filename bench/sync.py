"""Throughput of ledgerbridge's first sync, against the bare QuickBooks calls it makes.

    .venv/bin/python -m bench.sync            # full run, about two minutes (make bench-sync)
    .venv/bin/python -m bench.sync --quick    # smoke run: 240 records, one round, seconds

Sizes: `--customers` (default 300), `--items` (80), `--invoices` (2,000, of 1 to 3 lines each).

The emulator runs as its own process (`qbo_emulator.cli serve`, as in bench.emulator), pinned to
one CPU when there are two or more (`--no-pin` to switch off); ledgerbridge runs in this one, on
a fresh SQLite database per round, connected through the emulator's consent shortcut to a fresh
blank company whose rate limits are off, as `ledgerbridge demo` does. The records are clean
(customers, service and non-inventory items, invoices of 1 to 3 lines): every one should end
synced, and the run says clearly when one did not.

Phases, in every round (`--rounds`; the fastest round counts, since other work on the machine
only ever slows a round down), after one round on 30 records that is not counted (first calls
are slower):
  1. handover: every record through `Service.put_records` (1,000 a call, one transaction each)
     into the database the sync then reads, against the same records through `Service.put_record`
     one at a time into another fresh database;
  2. first sync: `terminal.drain` (`sync_company` passes until nothing is due) creates every
     record in the emulated company;
  3. baseline: the same QuickBooks objects (the bodies ledgerbridge builds,
     `core.mapping.to_quickbooks`) created in another fresh company through the batch endpoint,
     30 a batch, over one keep-alive `http.client` connection: the calls a sync cannot do
     without, and nothing else;
  4. loop: the loop a developer writes with python-quickbooks (and intuit-oauth for the
     token), one request per record, sequential, in another fresh company with its throttle
     off as well: each record's body (the same mapping) read into python-quickbooks' object
     (`Customer.from_json(...)`) and saved with a requestid, the Ids QuickBooks answers taken
     for the records after it.

Reported: records per second of each, the ratios bulk / one at a time, ledgerbridge / baseline
(below 1.0: the share of the bare calls' speed the engine keeps) and ledgerbridge / loop (above
1.0: faster than the loop, which cannot batch), CPU seconds per record
of this process and of the emulator (from /proc; the emulator's own cost apart), how much CPU
other processes took meanwhile, this process's peak memory (ru_maxrss) after each phase, and
with `--trace-memory` the peak of Python allocations during one extra, untimed sync (tracemalloc
slows the sync down too much to trace a timed one). It prints, never asserts timings; the exit
status is 0 unless the run breaks.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import http.client
import json
import logging
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from bench.emulator import (
    BUSY_MACHINE,
    REDIRECT_URI,
    BenchError,
    EmulatorProcess,
    Realm,
    machine_cpu_seconds,
    new_company,
    python_speed,
    with_emulator,
)
from ledgerbridge.bootstrap import DEFAULT_REDIRECT, Ledger, sqlite_ledger
from ledgerbridge.core import mapping
from ledgerbridge.core.records import Incoming, Record, RecordKey, parse_record, record_type
from ledgerbridge.demo import pools
from ledgerbridge.demo.quickbooks import DemoCompany
from ledgerbridge.demo.run import connect, unthrottle
from ledgerbridge.engine.drain import DrainReport, problem_counts
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import BATCH_SIZE
from ledgerbridge.engine.service import PUT_MANY, Service
from ledgerbridge.terminal import drain

ENTITIES = {t: mapping.ENTITY[t] for t in ("customer", "item", "invoice")}  # what is measured
INCOME = {"service": "Services", "non_inventory": "Sales of Product Income"}

# The three measured paths, as the results name them.
BULK = "handover, put_records"
SINGLE = "handover, put_record"
SYNC = "first sync (ledgerbridge)"
BASELINE = "baseline (batch calls)"
LOOP = "loop (python-quickbooks)"


# --- the records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    customers: int
    items: int
    invoices: int


WARM_UP = Sizes(5, 5, 20)  # records through every path before the rounds, not counted


def workload(sizes: Sizes, seed: int, today: dt.date) -> list[Incoming]:
    """Clean, deterministic records in dependency order: customers, items, invoices."""
    return list(each_record(sizes, seed, today))


def each_record(sizes: Sizes, seed: int, today: dt.date) -> Iterator[Incoming]:
    """`workload`'s records one at a time (a large company's never all in memory at once)."""
    rng = random.Random(seed)
    for index in range(sizes.customers):
        first, last = rng.choice(pools.FIRST_NAMES), rng.choice(pools.LAST_NAMES)
        city = rng.choice(pools.CITIES)
        yield (
            Incoming(
                "customer",
                f"c{index:05d}",
                {
                    "display_name": f"{first} {last} {index + 1:05d}",
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first}.{last}.{index + 1}@example.com".lower(),
                    "phone": f"(916) 555-{index % 10_000:04d}",
                    "billing_address": {
                        "line1": f"{rng.randint(100, 9999)} {rng.choice(pools.STREETS)}",
                        "city": city.name,
                        "region": city.region,
                        "postal_code": city.postal_code,
                        "country": "US",
                    },
                },
            )
        )
    products = [("service", p) for p in pools.SERVICES] + [
        ("non_inventory", p) for p in pools.MATERIALS
    ]
    prices: list[Decimal] = []
    for index in range(sizes.items):
        kind, product = products[index % len(products)]
        lap = index // len(products)
        prices.append(Decimal(product.price))
        data: dict[str, Any] = {
            "name": product.name if lap == 0 else f"{product.name} ({lap + 1})",
            "sku": product.sku if lap == 0 else f"{product.sku}-{lap + 1}",
            "type": kind,
            "description": product.description,
            "unit_price": product.price,
            "income_account": INCOME[kind],
        }
        if product.cost is not None:
            data["purchase_cost"] = product.cost
        yield Incoming("item", f"i{index:05d}", data)
    for index in range(sizes.invoices):
        date = today - dt.timedelta(days=rng.randint(0, 90))
        lines = []
        for _ in range(rng.randint(1, 3)):
            item = rng.randrange(sizes.items)
            lines.append(
                {
                    "item_id": f"i{item:05d}",
                    "quantity": str(rng.randint(1, 4)),
                    "unit_price": str(prices[item]),
                }
            )
        yield (
            Incoming(
                "invoice",
                f"n{index:05d}",
                {
                    "number": f"B{index + 1:05d}",
                    "customer_id": f"c{rng.randrange(sizes.customers):05d}",
                    "date": date.isoformat(),
                    "due_date": (date + dt.timedelta(days=30)).isoformat(),
                    "lines": lines,
                },
            )
        )


def parsed(records: Sequence[Incoming]) -> list[tuple[RecordKey, Record]]:
    out = []
    for incoming in records:
        record = parse_record(incoming.type, incoming.data)
        if isinstance(record, list):
            raise BenchError(f"{incoming.type} {incoming.id} does not parse: {record[0].message}")
        out.append((RecordKey(record_type(record), incoming.id), record))
    return out


def expected_counts(records: Sequence[Incoming]) -> dict[str, int]:
    return dict(Counter(ENTITIES[r.type] for r in records))


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Timing:
    """One measured run of one path."""

    name: str
    records: int
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of this process
    emulator_cpu: float | None = None
    others_cpu: float | None = None  # CPU seconds of processes that are not the benchmark's

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def per_record(self, seconds: float | None) -> float | None:
        return None if seconds is None or not self.records else seconds / self.records

    def line(self) -> str:
        def us(seconds: float | None) -> str:
            cost = self.per_record(seconds)
            return "   n/a" if cost is None else f"{cost * 1e6:6.0f}"

        others = (
            "" if self.others_cpu is None else f"  others {self.others_cpu / self.seconds:4.0%}"
        )
        return (
            f"  {self.name:<26} {self.records:6d} rec {self.seconds:7.2f} s {self.rate:7.0f}/s"
            f"  CPU us/rec: ours {us(self.cpu)} emulator {us(self.emulator_cpu)}{others}"
        )


class Stopwatch:
    """Wall time, this process's CPU, the emulator's CPU and everyone else's, over a block."""

    def __init__(self, server: EmulatorProcess, *, show: bool = True) -> None:
        self.server = server
        self.show = show

    @contextlib.contextmanager
    def measure(self, timing: Timing) -> Iterator[Timing]:
        machine, emulator = machine_cpu_seconds(), self.server.cpu_seconds()
        cpu, began = time.process_time(), time.perf_counter()
        yield timing
        timing.seconds = time.perf_counter() - began
        timing.cpu = time.process_time() - cpu
        machine_after, emulator_after = machine_cpu_seconds(), self.server.cpu_seconds()
        if emulator is not None and emulator_after is not None:
            timing.emulator_cpu = emulator_after - emulator
            if machine is not None and machine_after is not None:
                ours = timing.cpu + timing.emulator_cpu
                timing.others_cpu = max(0.0, machine_after - machine - ours)
        if self.show:
            print(timing.line(), flush=True)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --- ledgerbridge ---------------------------------------------------------------------------


@dataclass
class Engine:
    """ledgerbridge on a fresh database, with one connection (connected or not)."""

    ledger: Ledger
    service: Service
    key_id: str
    connection_id: str


def fresh_engine(data_dir: Path, url: str, company: DemoCompany | None) -> Engine:
    """A new database; with `company`, connected to it (rate limits off) and QuickBooks read."""
    ledger = sqlite_ledger(data_dir, url, DEFAULT_REDIRECT)
    service = Service(ledger)  # no dispatcher: this thread runs the sync passes
    if company is None:
        key_id, _ = service.create_key("bench")
        connection_id = service.create_connection(key_id, "Bench handover", "emulator").id
        return Engine(ledger, service, key_id, connection_id)
    unthrottle(company, ledger)
    connected = connect(service, company, "bench", "Bench sync")
    pull_company(ledger, connected.connection.id)
    return Engine(ledger, service, connected.key_id, connected.connection.id)


def hand_over_bulk(engine: Engine, records: Sequence[Incoming]) -> None:
    for start in range(0, len(records), PUT_MANY):
        chunk = records[start : start + PUT_MANY]
        answers = engine.service.put_records(engine.key_id, engine.connection_id, chunk)
        refused = [a for a in answers if not a.stored]
        if refused:
            first = refused[0]
            raise BenchError(
                f"{len(refused)} records refused, {first.type} {first.id}: "
                f"{first.problems[0].message}"
            )


def hand_over_one_by_one(engine: Engine, records: Sequence[Incoming]) -> None:
    put = engine.service.put_record
    for incoming in records:
        put(engine.key_id, engine.connection_id, incoming.type, incoming.id, incoming.data)


def check_sync(engine: Engine, report: DrainReport, records: int) -> list[str]:
    """What is not as a clean first sync leaves it (empty: every record synced)."""
    found: list[str] = []

    def check(what: str, expected: object, actual: object) -> None:
        if expected != actual:
            found.append(f"{what}: expected {expected}, found {actual}")

    check("ledgerbridge statuses", {"synced": records}, report.counts)
    check("sync stopped", None, report.stopped)
    check("records failed, blocked", (0, 0), (report.failed, report.blocked))
    check("problems by code", [], problem_counts(engine.ledger, engine.connection_id))
    return found


# --- the baseline ---------------------------------------------------------------------------


class BareQuickBooks:
    """The Accounting API's batch endpoint over one keep-alive connection, nothing more."""

    def __init__(self, server: EmulatorProcess, realm: Realm) -> None:
        self.path = f"/v3/company/{realm.realm_id}/batch"
        self.headers = {
            "Authorization": f"Bearer {realm.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        self.conn.connect()
        assert self.conn.sock is not None
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        self.conn.close()

    def create(self, entity: str, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Up to 30 objects in one batch request (with a requestid, as every write of
        ledgerbridge has); the objects as QuickBooks stored them, in order."""
        items = [
            {"bId": str(index), "operation": "create", entity: body}
            for index, body in enumerate(bodies)
        ]
        query = f"?requestid={uuid.uuid4().hex}&minorversion=75"
        payload = orjson.dumps({"BatchItemRequest": items})
        self.conn.request("POST", self.path + query, body=payload, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise BenchError(f"baseline batch: HTTP {response.status}: {data[:300]!r}")
        created = []
        for answer in orjson.loads(data)["BatchItemResponse"]:
            if entity not in answer:
                raise BenchError(f"baseline {entity}: {str(answer.get('Fault'))[:300]}")
            created.append(answer[entity])
        return created


def account_ids(server: EmulatorProcess, realm: Realm) -> dict[str, str]:
    """The company's accounts by name."""
    exported = server.admin("GET", f"/_emulator/companies/{realm.realm_id}/export")
    return {a["Name"]: a["Id"] for a in exported["entities"].get("Account", [])}


def create_directly(
    client: BareQuickBooks, records: Sequence[tuple[RecordKey, Record]], accounts: dict[str, str]
) -> None:
    """Every record in dependency order, 30 to a batch, each body built by ledgerbridge's own
    mapping from the Ids QuickBooks gave the records it references."""
    ids: dict[RecordKey, str] = {}
    refs = mapping.Refs(
        linked=ids.get,
        account=accounts.get,
        tax_code=lambda _: None,
        payment_method=lambda _: None,
        klass=lambda _: None,
    )
    for of_type, entity in ENTITIES.items():
        todo = [(key, record) for key, record in records if key.type == of_type]
        for start in range(0, len(todo), BATCH_SIZE):
            chunk = todo[start : start + BATCH_SIZE]
            bodies = []
            for key, record in chunk:
                body = mapping.to_quickbooks(key, record, refs)
                if isinstance(body, list):
                    raise BenchError(f"baseline {key}: {body[0].message}")
                bodies.append(body)
            for (key, _), created in zip(chunk, client.create(entity, bodies), strict=True):
                ids[key] = str(created["Id"])


class DeveloperLoop:
    """python-quickbooks over intuit-oauth, connected as its users connect: one request per
    record (`obj.save(qb=..., request_id=...)`), sequential."""

    def __init__(self, server: EmulatorProcess, app: dict[str, Any], realm: Realm) -> None:
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator is plain http
        from intuitlib.client import AuthClient
        from quickbooks import QuickBooks
        from quickbooks.objects.customer import Customer
        from quickbooks.objects.invoice import Invoice
        from quickbooks.objects.item import Item

        url = f"http://{server.host}:{server.port}"
        self.auth = AuthClient(
            app["client_id"],
            app["client_secret"],
            REDIRECT_URI,
            environment=f"{url}/.well-known/openid_configuration",
            access_token=realm.token,
            realm_id=realm.realm_id,
        )
        QuickBooks.api_url_v3 = f"{url}/v3"
        self.qb = QuickBooks(auth_client=self.auth, company_id=realm.realm_id, minorversion=75)
        self.classes: dict[str, Any] = {"Customer": Customer, "Item": Item, "Invoice": Invoice}

    def close(self) -> None:
        if self.qb.session is not None:
            self.qb.session.close()

    def create(self, entity: str, body: dict[str, Any]) -> str:
        """One object saved; its QuickBooks Id."""
        # the developer's own values: plain JSON numbers, as their objects would hold them
        plain = json.loads(json.dumps(body, default=float))
        saved = self.classes[entity].from_json(plain).save(qb=self.qb, request_id=uuid.uuid4().hex)
        return str(saved.Id)


def create_in_loop(
    loop: DeveloperLoop, records: Sequence[tuple[RecordKey, Record]], accounts: dict[str, str]
) -> None:
    """Every record in dependency order, one request each, each body built by ledgerbridge's
    own mapping from the Ids QuickBooks gave the records it references."""
    ids: dict[RecordKey, str] = {}
    refs = mapping.Refs(
        linked=ids.get,
        account=accounts.get,
        tax_code=lambda _: None,
        payment_method=lambda _: None,
        klass=lambda _: None,
    )
    for of_type, entity in ENTITIES.items():
        for key, record in records:
            if key.type != of_type:
                continue
            body = mapping.to_quickbooks(key, record, refs)
            if isinstance(body, list):
                raise BenchError(f"loop {key}: {body[0].message}")
            ids[key] = loop.create(entity, body)


# --- one round ------------------------------------------------------------------------------


def company_counts(server: EmulatorProcess, realm_id: str) -> dict[str, int]:
    counts = server.admin("GET", f"/_emulator/companies/{realm_id}")["counts"]
    return {entity: int(counts.get(entity, 0)) for entity in ENTITIES.values()}


@dataclass
class Round:
    timings: dict[str, Timing] = field(default_factory=dict)
    passes: int = 0  # sync passes the first sync took
    problems: list[str] = field(default_factory=list)  # empty: every record synced
    rss: dict[str, float] = field(default_factory=dict)  # phase -> ru_maxrss after it, MiB


@dataclass(frozen=True)
class Setting:
    """What every round shares."""

    server: EmulatorProcess
    app: dict[str, Any]  # the baseline's and the loop's app
    records: Sequence[Incoming]
    scratch: Path  # one directory a database

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def client_id(self) -> str:
        return str(self.app["client_id"])


def run_round(setting: Setting, number: int, *, show: bool = True) -> Round:
    """Fresh emulator state and fresh databases: handover, first sync, baseline."""
    server, records = setting.server, setting.records
    server.admin("POST", "/_emulator/reset")
    watch, result, total = Stopwatch(server, show=show), Round(), len(records)
    company = DemoCompany.create(setting.url, name=f"Bench sync {number}", preset="blank")
    engine = fresh_engine(setting.scratch / f"sync-{number}", setting.url, company)
    single = fresh_engine(setting.scratch / f"one-by-one-{number}", setting.url, None)
    try:
        with watch.measure(Timing(BULK, total)) as timing:
            hand_over_bulk(engine, records)
        result.timings[BULK] = timing
        with watch.measure(Timing(SINGLE, total)) as timing:
            hand_over_one_by_one(single, records)
        result.timings[SINGLE] = timing
        result.rss["handover"] = peak_rss_mib()
        with watch.measure(Timing(SYNC, total)) as timing:
            report = drain(engine.ledger, engine.connection_id, progress=False)
        result.timings[SYNC] = timing
        result.rss["first sync"] = peak_rss_mib()
        result.passes = report.passes
        result.problems = check_sync(engine, report, total)
    finally:
        engine.ledger.db.dispose()
        single.ledger.db.dispose()
    expected = expected_counts(records)
    synced = company_counts(server, company.realm_id)
    if synced != expected:
        result.problems.append(
            f"QuickBooks objects (ledgerbridge): expected {expected}, found {synced}"
        )
    for problem in result.problems if show else ():
        print(f"  NOT CLEAN: {problem}", flush=True)

    realm = new_company(server, setting.client_id, f"Bench baseline {number}")
    accounts, keyed = account_ids(server, realm), parsed(records)
    client = BareQuickBooks(server, realm)
    try:
        with watch.measure(Timing(BASELINE, total)) as timing:
            create_directly(client, keyed, accounts)
        result.timings[BASELINE] = timing
    finally:
        client.close()
    result.rss["baseline"] = peak_rss_mib()
    direct = company_counts(server, realm.realm_id)
    if direct != expected:
        result.problems.append(
            f"QuickBooks objects (baseline): expected {expected}, found {direct}"
        )

    realm = new_company(server, setting.client_id, f"Bench loop {number}")
    accounts = account_ids(server, realm)
    loop = DeveloperLoop(server, setting.app, realm)
    try:
        with watch.measure(Timing(LOOP, total)) as timing:
            create_in_loop(loop, keyed, accounts)
        result.timings[LOOP] = timing
    finally:
        loop.close()
    looped = company_counts(server, realm.realm_id)
    if looped != expected:
        result.problems.append(f"QuickBooks objects (loop): expected {expected}, found {looped}")
    return result


def traced_sync(setting: Setting) -> int:
    """tracemalloc's peak (bytes) during one more first sync, not timed."""
    setting.server.admin("POST", "/_emulator/reset")
    company = DemoCompany.create(setting.url, name="Bench traced sync", preset="blank")
    engine = fresh_engine(setting.scratch / "traced", setting.url, company)
    try:
        hand_over_bulk(engine, setting.records)
        tracemalloc.start()
        try:
            report = drain(engine.ledger, engine.connection_id, progress=False)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        problems = check_sync(engine, report, len(setting.records))
    finally:
        engine.ledger.db.dispose()
    if problems:
        print(f"  traced sync not clean: {'; '.join(problems)}")
    return peak


# --- memory at two sizes ---------------------------------------------------------------------


def memory_sizes(total: int) -> Sizes:
    """A company of `total` records in the workload's proportions (an eighth customers)."""
    customers = max(1, total // 8)
    items = max(1, min(80, total // 10))
    return Sizes(customers, items, max(1, total - customers - items))


def _status_kib(key: str) -> int | None:
    """A figure of /proc/self/status (VmRSS, VmHWM), in KiB; None off Linux."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return None


def _reset_peak() -> bool:
    """Start this process's peak resident memory (VmHWM) again from now (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def memory_child(total: int, url: str, seed: int) -> dict[str, Any]:
    """One first sync of a `total`-record company in this (fresh) process: the records handed
    over a thousand at a time, never all in memory, then the peak resident memory of the sync
    alone (VmHWM, reset after the handover) against the memory before it."""
    sizes = memory_sizes(total)
    today = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
        company = DemoCompany.create(url, name=f"Bench memory {total}", preset="blank")
        engine = fresh_engine(Path(scratch), url, company)
        try:
            chunk: list[Incoming] = []
            for incoming in each_record(sizes, seed, today):
                chunk.append(incoming)
                if len(chunk) == PUT_MANY:
                    hand_over_bulk(engine, chunk)
                    chunk = []
            hand_over_bulk(engine, chunk)
            del chunk
            gc.collect()
            before = _status_kib("VmRSS")
            reset = _reset_peak()
            cpu, began = time.process_time(), time.perf_counter()
            report = drain(engine.ledger, engine.connection_id, progress=False)
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
            peak = _status_kib("VmHWM") if reset else None
            problems = check_sync(engine, report, total)
        finally:
            engine.ledger.db.dispose()
    return {
        "records": total,
        "before_kib": before,
        "peak_kib": peak,
        "seconds": seconds,
        "cpu": cpu,
        "problems": problems,
    }


def measure_memory(server: EmulatorProcess, totals: Sequence[int], seed: int) -> None:
    """Each size's first sync in a fresh process; their peaks side by side, and the ratio."""
    url = f"http://{server.host}:{server.port}"
    print(
        f"peak memory of a first sync at {', '.join(f'{t:,}' for t in totals)} records", flush=True
    )
    found = []
    for total in totals:
        command = [sys.executable, "-m", "bench.sync", "--memory-child", str(total)]
        command += ["--emulator-url", url, "--seed", str(seed)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"the {total:,}-record sync failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        found.append(result)
        peak, before = result["peak_kib"], result["before_kib"]
        shown = "n/a" if peak is None else f"{peak / 1024:.0f} MiB"
        grew = "" if peak is None or before is None else f" ({(peak - before) / 1024:+.0f} MiB)"
        clean = "clean" if not result["problems"] else f"NOT CLEAN: {result['problems']}"
        print(
            f"  {total:9,} records: peak {shown}{grew} over {before / 1024:.0f} MiB before the "
            f"sync; {result['seconds']:.1f} s, {result['cpu'] / total * 1e6:.0f} us CPU a "
            f"record; {clean}",
            flush=True,
        )
    small, large = found[0], found[-1]
    if small["peak_kib"] and large["peak_kib"]:
        ratio = large["peak_kib"] / small["peak_kib"]
        print(
            f"peak memory {large['records']:,} / {small['records']:,} records: {ratio:.2f} "
            f"(flat: 1.0; the records grew {large['records'] / small['records']:.0f}x)"
        )


# --- report ---------------------------------------------------------------------------------


def best(rounds: Sequence[Round], name: str) -> Timing:
    """The fastest round: interference from other processes only ever slows a round."""
    return max((r.timings[name] for r in rounds), key=lambda t: t.rate)


def cheapest(rounds: Sequence[Round], name: str, cost: Callable[[Timing], float | None]) -> str:
    timings = [r.timings[name] for r in rounds]
    costs = [c for t in timings if (c := t.per_record(cost(t))) is not None]
    return "n/a" if not costs else f"{min(costs) * 1e6:,.0f}"


def report(
    rounds: Sequence[Round], sizes: Sizes, server: EmulatorProcess, traced: int | None
) -> None:
    total = sizes.customers + sizes.items + sizes.invoices
    counted = "best" if len(rounds) == 1 else f"best of {len(rounds)} rounds"
    print(
        f"\nresults ({counted}; {total:,} records: {sizes.customers:,} customers, "
        f"{sizes.items:,} items, {sizes.invoices:,} invoices)"
    )
    header = (
        f"{'path':<28} {'records/s':>10} {'seconds':>8} {'CPU us/rec ours':>16} {'emulator':>9}"
    )
    rule = "-" * len(header)
    print(header)
    print(rule)
    for name in (BULK, SINGLE, SYNC, BASELINE, LOOP):
        timing = best(rounds, name)
        ours = cheapest(rounds, name, lambda t: t.cpu)
        emulator = cheapest(rounds, name, lambda t: t.emulator_cpu)
        print(f"{name:<28} {timing.rate:10,.0f} {timing.seconds:8.2f} {ours:>16} {emulator:>9}")
    print(rule)
    bulk, single = best(rounds, BULK).rate, best(rounds, SINGLE).rate
    synced, direct = best(rounds, SYNC).rate, best(rounds, BASELINE).rate
    print(f"{'handover: put_records / put_record':<44} {bulk / single:7.2f}")
    # both measured in the same round (the same load), the best round's
    one_run = max(r.timings[SYNC].rate / r.timings[LOOP].rate for r in rounds)
    print(
        f"{'first sync: ledgerbridge / loop':<44} {one_run:7.2f}"
        "   (both in one round; above 1.0: faster than the python-quickbooks loop)"
    )
    print(
        f"{'first sync: ledgerbridge / baseline':<44} {synced / direct:7.2f}"
        f"   (the bare calls are {direct / synced:.1f}x as fast)"
    )
    fastest = best(rounds, SYNC)
    print(
        f"{'first sync: ledgerbridge CPU per record':<44} {fastest.cpu / total * 1000:7.2f} ms"
        f"   ({fastest.cpu / fastest.seconds:.0%} of its wall time; the rest waits for "
        "QuickBooks and SQLite)"
    )
    speed = python_speed()
    print(
        f"{'this machine: a 10-million-step Python loop':<44} {speed:7.2f} s"
        "   (CPU figures scale with it: set them side by side with another machine's by it)"
    )
    print(rule)
    passes = sorted({r.passes for r in rounds})
    print(f"sync passes (terminal.drain) in each first sync: {', '.join(map(str, passes))}")
    phases = ", ".join(f"{mib:.0f} MiB after {phase}" for phase, mib in rounds[0].rss.items())
    print(
        f"peak memory of this process (ru_maxrss): {phases} (round 1); "
        f"{peak_rss_mib():.0f} MiB at the end"
    )
    if traced is not None:
        print(f"tracemalloc peak during an untimed first sync: {traced / 2**20:.1f} MiB")
    hwm = server.proc_status("VmHWM")
    print(f"emulator peak memory (VmHWM): {'n/a' if hwm is None else f'{hwm / 1024:.0f} MiB'}")
    shares = [
        t.others_cpu / t.seconds
        for r in rounds
        for t in r.timings.values()
        if t.others_cpu is not None and t.seconds > 0
    ]
    if shares:
        worst = max(shares)
        warning = (
            "  (WARNING: a busy machine; the ratios hold better)" if worst > BUSY_MACHINE else ""
        )
        print(f"other processes on the machine meanwhile: up to {worst:.0%} of a core{warning}")
    problems = [f"round {n}: {p}" for n, r in enumerate(rounds, 1) for p in r.problems]
    if problems:
        print(f"NOT CLEAN ({len(problems)}): the figures above count records that did not sync")
        for problem in problems:
            print(f"  {problem}")
    else:
        print(f"clean: all {total:,} records synced in every round, none failed or blocked")


# --- main -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--customers", type=int, default=None, help="customers (default 300)")
    parser.add_argument("--items", type=int, default=None, help="items (default 80)")
    parser.add_argument("--invoices", type=int, default=None, help="invoices (default 2000)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds of every phase; the best counts (default 3)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for names and choices")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 40 customers, 20 items, 180 invoices, one round",
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="one more, untimed first sync under tracemalloc (its peak of Python allocations)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="peak memory of a first sync at two sizes instead (--memory-sizes), each in a "
        "fresh process, and their ratio",
    )
    parser.add_argument(
        "--memory-sizes",
        default=None,
        help="the two company sizes of --memory (default 10000,100000; 1000,10000 with --quick)",
    )
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--emulator-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not give the emulator a CPU of its own (this process on the others)",
    )
    return parser


def _settings(argv: Sequence[str] | None) -> argparse.Namespace:
    args = _parser().parse_args(argv)
    defaults = (40, 20, 180, 1) if args.quick else (300, 80, 2000, 3)
    for name, default in zip(("customers", "items", "invoices", "rounds"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if min(args.customers, args.items, args.invoices, args.rounds) < 1:
        _parser().error("--customers, --items, --invoices and --rounds must be >= 1")
    return args


def run(args: argparse.Namespace, server: EmulatorProcess, scratch: Path) -> None:
    sizes = Sizes(args.customers, args.items, args.invoices)
    records = workload(sizes, args.seed, dt.date.today())
    pinning = (
        f"emulator pinned to CPU {sorted(server.cpus)}, this process to the others"
        if server.cpus
        else "no CPU pinning"
    )
    print(
        f"emulator pid {server.pid} on {server.host}:{server.port}; {len(records):,} records; "
        f"{args.rounds} round{'s' if args.rounds > 1 else ''}; {os.cpu_count()} CPUs; {pinning}",
        flush=True,
    )
    with contextlib.suppress(OSError), open("/proc/loadavg", encoding="ascii") as loadavg:
        print(f"load average before the run: {' '.join(loadavg.read().split()[:3])}")
    app = server.admin("POST", "/_emulator/apps", {"redirect_uris": [REDIRECT_URI]})
    setting = Setting(server, app, records, scratch)
    # Every path once on a few records first, so that no round pays for first calls (imports,
    # SQLAlchemy's statement cache, the emulator's warm-up) and the paths start equal.
    warm_up = workload(WARM_UP, args.seed, dt.date.today())
    run_round(Setting(server, app, warm_up, scratch), 0, show=False)
    rounds = []
    for number in range(1, args.rounds + 1):
        print(f"\n[round {number}] handover, first sync, baseline", flush=True)
        rounds.append(run_round(setting, number))
    traced = None
    if args.trace_memory:
        print("\n[traced] one more first sync under tracemalloc, not timed", flush=True)
        traced = traced_sync(setting)
    report(rounds, sizes, server, traced)


def main(argv: Sequence[str] | None = None) -> int:
    args = _settings(argv)
    # every scratch database gets a development key, as it should: no warning for each
    logging.getLogger("ledgerbridge.crypto").setLevel(logging.ERROR)
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child, args.emulator_url, args.seed)))
        return 0
    if args.memory:
        default = "1000,10000" if args.quick else "10000,100000"
        totals = [int(n) for n in (args.memory_sizes or default).split(",")]
        return with_emulator(
            args.host, not args.no_pin, lambda server: measure_memory(server, totals, args.seed)
        )

    def body(server: EmulatorProcess) -> None:
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as scratch:
            run(args, server, Path(scratch))

    return with_emulator(args.host, not args.no_pin, body)


if __name__ == "__main__":
    sys.exit(main())
