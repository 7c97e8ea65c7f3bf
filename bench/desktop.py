"""What the Web Connector round trip costs a Desktop sync, against the company file's own work.

    .venv/bin/python -m bench.desktop              # 300 customers
    .venv/bin/python -m bench.desktop --records 60 # smoke run (make bench)

Two measurements on the same machine, in one run (so other load weighs on both alike):

1. the sync: `--records` customers handed to ledgerbridge (SQLite), then the emulated Web
   Connector's sessions (in-process transport, no pause between calls) until nothing is due:
   the whole path, SOAP envelope, `desktop_requests` queue, push pass, qbXML, company file;
2. the company file alone: the same customers added by the Desktop adapter straight into
   another company file (no Web Connector, no engine).

3. the Online pass on the same customers: handed to another ledgerbridge (SQLite), then
   `terminal.drain` against the QuickBooks Online emulator in its own process (`bench.emulator`),
   so this process's CPU is ledgerbridge's alone.

Printed: records, sessions, round trips, seconds, milliseconds per record for each, their ratio
(the price of the inverted conversation and the engine's bookkeeping per record); CPU
milliseconds per record of this process for the Desktop sync, the company file alone, the
Desktop sync less the company file's share (ledgerbridge's own), and the Online pass, with the
ratio Desktop / Online (records a second and CPU per record); and peak memory. Nothing is
asserted: figures, not a test. On a shared machine compare the CPU figures, not the seconds.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.emulator import EmulatorProcess, free_port
from bench.sync import fresh_engine, hand_over_bulk
from ledgerbridge.adapters.qbd import AnswerLost, QbdClient
from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import build
from ledgerbridge.core.records import Incoming
from ledgerbridge.demo.quickbooks import DemoCompany
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.terminal import drain
from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.testing import asgi_transport
from qbd_emulator.webconnector.simulator import WebConnector


class _Direct:
    """The adapter's exchange straight into a company file."""

    qbxml_version = "13.0"

    def __init__(self, emulator: Emulator, company: Company) -> None:
        self.emulator, self.company = emulator, company

    def exchange(self, key: str, document: str) -> str:
        answer, error = self.emulator.process_direct(self.company, document)
        if error is not None:
            raise AnswerLost(str(error))
        return answer

    def forget(self, key: str) -> None:
        """Nothing is kept."""


def _customers(count: int) -> list[Incoming]:
    return [
        Incoming("customer", f"c{n}", {"display_name": f"Customer {n:05}", "email": f"c{n}@x.io"})
        for n in range(count)
    ]


def _sync(records: int, directory: Path) -> dict[str, Any]:
    ledger = build(load_settings({}, data_dir=directory))
    ledger.db.migrate()
    service = Service(ledger)
    key_id, _ = service.create_key("bench")
    connection = service.create_connection(key_id, "Bench books", "desktop")
    credentials = service.web_connector_password(key_id, connection.id)
    emulator = Emulator()
    company = emulator.create_company("Bench Books", preset="demo")
    with asgi_transport(create_app(service)) as transport:
        connector = WebConnector(
            emulator,
            url="https://bench.test/qbwc",
            username=credentials["username"],
            password=credentials["password"],
            company_id=company.id,
            noop_delay=0,
            transport=transport,
        )
        connector.run_session()  # the company read in
        service.put_records(key_id, connection.id, _customers(records))
        started, cpu = time.perf_counter(), _cpu()
        sessions = trips = 0
        while True:
            log = connector.run_session()
            sessions += 1
            trips += sum(1 for c in log.calls if c.method == "receiveResponseXML")
            if log.outcome != "done":
                break
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    held = sum(1 for r in company.all_records() if r.type == "Customer")
    ledger.db.dispose()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "sessions": sessions - 1,
        "trips": trips,
        "held": held,
    }


def _cpu() -> float:
    """User plus system CPU seconds of this process (every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _direct(records: int) -> tuple[float, float]:
    emulator = Emulator()
    qb = QbdClient(_Direct(emulator, emulator.create_company("Direct", preset="demo")))
    started, cpu = time.perf_counter(), _cpu()
    for n in range(records):
        qb.create("Customer", {"DisplayName": f"Customer {n:05}"}, request_id=f"r{n}")
    return time.perf_counter() - started, _cpu() - cpu


def _online(records: int, directory: Path) -> tuple[float, float]:
    """The Online pass on the same customers, the QuickBooks Online emulator in its own
    process: seconds and this process's CPU seconds for the drain."""
    server = EmulatorProcess("127.0.0.1", free_port("127.0.0.1"))
    server.start()
    try:
        url = f"http://{server.host}:{server.port}"
        company = DemoCompany.create(url, name="Bench Online", preset="blank")
        engine = fresh_engine(directory, url, company)
        try:
            hand_over_bulk(engine, _customers(records))
            started, cpu = time.perf_counter(), _cpu()
            drain(engine.ledger, engine.connection_id, progress=False)
            return time.perf_counter() - started, _cpu() - cpu
        finally:
            engine.ledger.db.dispose()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=300)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as directory:
        sync = _sync(n, Path(directory) / "desktop")
        online, online_cpu = _online(n, Path(directory) / "online")
    direct, direct_cpu = _direct(n)
    per_sync = sync["seconds"] * 1000 / n
    per_direct = direct * 1000 / n
    per_online = online * 1000 / n
    cpu_sync, cpu_direct, cpu_online = (
        sync["cpu"] * 1000 / n,
        direct_cpu * 1000 / n,
        online_cpu * 1000 / n,
    )
    cpu_own = max(0.0, cpu_sync - cpu_direct)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records                      {n} (in the company file: {sync['held']})")
    print(f"sessions, round trips        {sync['sessions']}, {sync['trips']}")
    print(f"through the Web Connector    {sync['seconds']:.1f} s, {per_sync:.1f} ms a record")
    print(f"the company file alone       {direct:.1f} s, {per_direct:.1f} ms a record")
    print(f"ratio                        {per_sync / per_direct:.1f}x")
    print(f"the Online pass              {online:.1f} s, {per_online:.1f} ms a record")
    print(
        f"records a second             Desktop {n / sync['seconds']:.1f}, Online {n / online:.1f}"
        f" (Desktop / Online {online / sync['seconds']:.2f})"
    )
    print(
        f"CPU ms a record              Desktop {cpu_sync:.1f} (the company file alone "
        f"{cpu_direct:.1f}: ledgerbridge's own {cpu_own:.1f}), Online {cpu_online:.1f}"
    )
    print(f"CPU ratio Desktop / Online   {cpu_own / cpu_online:.1f}x (ledgerbridge's own CPU)")
    print(f"peak memory                  {peak:.0f} MB")


if __name__ == "__main__":
    main()
