"""Fixtures of the dispatch suites: PostgreSQL (a private schema, procrastinate's tables
there too), the ledger migrated, a service deferring sync jobs in its transactions, and the
module's emulator over HTTP (`Bench`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dispatch.jobs import SYNC_TASK, apply_job_schema, defer_sync_in
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.engine.conftest import connect
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.workers import Worker


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.05) as server:
        yield server


@pytest.fixture
def database_url() -> Iterator[str]:
    """A private schema of the `test` database, through the connection's search_path."""
    with private_schema("lb_jobs") as url:
        yield url


@dataclass
class Bench:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    key_id: str
    environ: dict[str, str]
    tmp_path: Path
    workers: list[Worker] = field(default_factory=list)

    def company(self, name: str) -> tuple[str, str]:
        """A connected company: (connection id, realm id)."""
        realm = httpx.post(
            f"{self.emulator.url}/_emulator/companies", json={"name": name}, timeout=30
        ).json()["realm_id"]
        connection = self.service.create_connection(self.key_id, name, "emulator")
        connect(self.service, self.key_id, connection.id, realm)
        return connection.id, realm

    def put_customers(self, connection_id: str, count: int, prefix: str) -> set[str]:
        names = {f"{prefix} {n}" for n in range(count)}
        for n in range(count):
            self.service.put_record(
                self.key_id, connection_id, "customer", f"c{n}", {"display_name": f"{prefix} {n}"}
            )
        return names

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.emulator.url}/_emulator{path}", json=body, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def customers(self, realm_id: str) -> list[str]:
        export = self.admin("GET", f"/companies/{realm_id}/export")
        return [c["DisplayName"] for c in export["entities"].get("Customer", [])]

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.ledger.db.engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def jobs(self, task_name: str = SYNC_TASK) -> list[Any]:
        return self.rows(
            "SELECT id, status, lock, queueing_lock, args, worker_id,"
            " extract(epoch FROM scheduled_at - now()) AS wait"
            " FROM procrastinate_jobs WHERE task_name = :task ORDER BY id",
            task=task_name,
        )

    def forget_jobs(self) -> None:
        with self.ledger.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM procrastinate_jobs"))

    def synced(self) -> int:
        return int(self.rows("SELECT count(*) FROM sync_state WHERE status = 'synced'")[0][0])

    def start_worker(self, name: str) -> Worker:
        worker = Worker.start(name, self.environ, self.tmp_path / f"{name}.log")
        self.workers.append(worker)
        return worker

    def registered_workers(self) -> int:
        return int(self.rows("SELECT count(*) FROM procrastinate_workers")[0][0])


@pytest.fixture
def bench(emulator: EmulatorServer, tmp_path: Path, database_url: str) -> Iterator[Bench]:
    environ = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_DATABASE_URL": database_url,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS": "127.0.0.1",  # the test's own events receiver
    }
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    apply_job_schema(ledger)
    service = Service(ledger, defer_in=defer_sync_in)
    key_id, _ = service.create_key("jobs")
    run = Bench(emulator, ledger, service, key_id, {**os.environ, **environ}, tmp_path)
    try:
        yield run
    finally:
        for worker in run.workers:
            worker.stop(signal.SIGKILL)
        ledger.db.dispose()
