"""An engine wired to a real emulator over HTTP, on SQLite and on PostgreSQL, and, for the
suites of the folders in `SCALE_OUT`, in the scale-out shape too: PostgreSQL, the service (what
the API runs) in the test's process deferring jobs, and two `ledgerbridge worker` processes
doing every sync pass (`World.sync` waits for them to drain the company)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dispatch.jobs import (
    SYNC_TASK,
    JobDispatcher,
    apply_job_schema,
    defer_sync,
    defer_sync_in,
)
from ledgerbridge.engine.push import PassReport, sync_company
from ledgerbridge.engine.service import Service
from ledgerbridge.engine.verify import verify
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.workers import Worker


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.05) as server:
        yield server


SHAPES = {
    "sqlite": (),
    "postgresql": (pytest.mark.postgres,),
    "postgresql-workers": (pytest.mark.postgres, pytest.mark.slow),
}
SCALE_OUT = {Path(__file__).parent / "failures", Path(__file__).parent / "e2e"}
"""The folders whose suites also run in the scale-out shape (`postgresql-workers`)."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "shape" not in metafunc.fixturenames:
        return
    shapes = ["sqlite", "postgresql"]
    if metafunc.definition.path.parent in SCALE_OUT:
        shapes.append("postgresql-workers")
    metafunc.parametrize(
        "shape", [pytest.param(s, marks=SHAPES[s], id=s) for s in shapes], indirect=True
    )


@pytest.fixture
def shape(request: pytest.FixtureRequest) -> str:
    """How the engine runs: `sqlite`, `postgresql`, or `postgresql-workers`."""
    found: str = request.param
    if found == "postgresql-workers" and request.node.get_closest_marker("in_process"):
        pytest.skip(str(request.node.get_closest_marker("in_process").args[0]))
    return found


@pytest.fixture
def database_url(shape: str, tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's directory, or a private schema of the PostgreSQL `test` database."""
    if shape == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledgerbridge.db'}"
        return
    with private_schema("lb_engine") as url:
        yield url


@dataclass
class World:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    key_id: str
    connection_id: str
    realm_id: str
    workers: list[Worker] = field(default_factory=list)  # the scale-out shape's
    reported: int = 0  # the scale-out shape's: the last history entry a drained sync reported

    def sync(self, connection_id: str | None = None) -> PassReport:
        """A sync pass over the connection: in this process, or, in the scale-out shape, by
        the worker processes, waited for until the company has no work left (the report is
        then read back from what the records' histories say happened)."""
        cid = connection_id or self.connection_id
        if not self.workers:
            return sync_company(self.ledger, cid)
        return drain(self, cid)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.emulator.url}/_emulator{path}", json=body, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def export(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", f"/companies/{self.realm_id}/export")
        return result

    def entities(self, entity: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.export()["entities"].get(entity, [])
        return rows


def connect(service: Service, key_id: str, connection_id: str, realm_id: str) -> None:
    """The OAuth dance: our authorize URL, the emulator's consent shortcut, our callback."""
    consent = service.begin_connect(key_id, connection_id)
    url = consent.authorize_url
    response = httpx.get(f"{url}&realm_id={realm_id}&approve=true", follow_redirects=False)
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    binding = consent.binding or ""
    service.complete_connect(query["state"][0], query["code"][0], query["realmId"][0], binding)


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    emulator: EmulatorServer,
    tmp_path: Path,
    database_url: str,
    shape: str,
) -> Iterator[World]:
    environ = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_DATABASE_URL": database_url,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        # the event-delivery suites' receivers listen on this machine: the operator allows it
        "LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS": "127.0.0.1",
    }
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    workers: list[Worker] = []
    if shape == "postgresql-workers":  # as `ledgerbridge serve` wires it on PostgreSQL
        apply_job_schema(ledger)
        dispatcher = JobDispatcher(ledger)
        service = Service(
            ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull, defer_in=defer_sync_in
        )
        workers = [
            Worker.start(name, {**os.environ, **environ}, tmp_path / f"{name}.log")
            for name in ("worker-one", "worker-two")
        ]
    else:
        service = Service(ledger)
    key_id, _ = service.create_key("test")
    realm = httpx.post(
        f"{emulator.url}/_emulator/companies", json={"name": "Sync Test Co"}, timeout=30
    ).json()["realm_id"]
    connection = service.create_connection(key_id, "Test", "emulator")
    connect(service, key_id, connection.id, realm)
    yield World(emulator, ledger, service, key_id, connection.id, realm, workers)
    try:
        verify_every_connection(request, emulator, ledger)
    finally:
        for worker in workers:
            worker.stop()
        for worker in workers:
            assert "Traceback" not in worker.output(), worker.output()[-3000:]
        ledger.db.dispose()


DRAIN_TIMEOUT = 90.0


def drain(world: World, connection_id: str) -> PassReport:
    """Ask for a sync (as the API does after a change) and wait until the workers have left
    the company nothing due and no job waiting or running; what they did is read back from
    the records' histories: everything since the last drain, since the workers start as soon
    as a record arrives, before the test asks."""
    ledger = world.ledger
    since = world.reported
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
    report = PassReport()
    if connection is None or connection.status != "active":
        report.stopped = "not_active"
        return report
    defer_sync(ledger, connection_id)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while not _drained(ledger, connection_id):
        assert time.monotonic() < deadline, (
            f"the workers did not drain {connection_id}: {_jobs(ledger)}\n"
            + "\n".join(w.output()[-2000:] for w in world.workers)
        )
        time.sleep(0.1)
    with ledger.db.session(readonly=True) as session:
        kinds = session.execute(
            text(
                "SELECT kind, count(*) FROM history WHERE connection_id = :cid AND id > :since"
                " GROUP BY kind"
            ),
            {"cid": connection_id, "since": since},
        ).all()
        world.reported = session.execute(
            text("SELECT coalesce(max(id), 0) FROM history")
        ).scalar_one()
        status = Connections(session).get_unscoped(connection_id)
    done = {kind: int(count) for kind, count in kinds}
    report.created = done.get("created", 0)
    report.updated = done.get("updated", 0)
    report.linked = done.get("linked", 0)
    report.removed = done.get("removed", 0)
    report.failed = done.get("error", 0)
    report.blocked = done.get("blocked", 0) + done.get("bypassed", 0)
    report.released = done.get("released", 0)  # held records a pushed one needed first
    if status is not None and status.status in ("disconnected", "suspended"):
        report.stopped = status.status
    return report


def _jobs(ledger: Ledger) -> list[Any]:
    with ledger.db.session(readonly=True) as session:
        jobs = session.execute(
            text(
                "SELECT id, task_name, status, lock, queueing_lock, scheduled_at, args"
                " FROM procrastinate_jobs ORDER BY id"
            )
        ).all()
        due = session.execute(
            text("SELECT type, app_id, status, held, next_attempt_at FROM sync_state")
        ).all()
    return [*map(tuple, jobs), "due:", *map(tuple, due), "now:", ledger.clock()]


def _drained(ledger: Ledger, connection_id: str) -> bool:
    with ledger.db.session(readonly=True) as session:
        waiting = session.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                " AND args->>'connection_id' = :cid AND task_name = :task"
                " AND (status = 'doing' OR scheduled_at IS NULL OR scheduled_at < now()"
                " + interval '10 seconds')"
            ),
            {"cid": connection_id, "task": SYNC_TASK},
        ).scalar_one()
        due = SyncStates(session).next_due_at(connection_id)
        connection = Connections(session).get_unscoped(connection_id)
    if connection is None or connection.status != "active":
        return waiting == 0  # disconnected or suspended: its records wait, nothing runs
    return waiting == 0 and (due is None or due > ledger.clock() + timedelta(seconds=10))


def verify_every_connection(
    request: pytest.FixtureRequest, emulator: EmulatorServer, ledger: Ledger
) -> None:
    """The invariant, after every end-to-end test of the engine: QuickBooks itself (read
    afresh, not the engine's account) holds every record that says synced, in every company
    the test connected. A test that leaves a mismatch on purpose names its code with
    ``@pytest.mark.verify_expects("code", ...)``. Scripted faults are cleared first: verify
    reads QuickBooks as it is, not as the test made it misbehave."""
    marker = request.node.get_closest_marker("verify_expects")
    expected = set(marker.args) if marker is not None else set()
    with ledger.db.session(readonly=True) as session:
        connected = [c for c in Connections(session).all_connected() if c.status == "active"]
    for connection in connected:
        httpx.delete(f"{emulator.url}/_emulator/companies/{connection.realm_id}/faults", timeout=30)
        report = verify(ledger, connection.id, flag=False)
        assert report.stopped is None, f"verify could not read QuickBooks: {report.stopped}"
        unexpected = [m.to_json() for m in report.mismatches if m.code not in expected]
        assert not unexpected, f"synced, but QuickBooks disagrees: {unexpected}"


# The folder says what kind a test is: the end-to-end suites (e2e/), the failure modes
# (failures/) and chaos (chaos/) are `slow`, run by `make test`; the tests directly in this
# folder run in the default `pytest` too.
_HERE = Path(__file__).parent
SLOW_FOLDERS = {_HERE / "e2e", _HERE / "failures", _HERE / "chaos"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(folder in item.path.parents for folder in SLOW_FOLDERS):
            item.add_marker(pytest.mark.slow)
