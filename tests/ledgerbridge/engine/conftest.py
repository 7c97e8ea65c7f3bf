"""An engine wired to the emulator, on SQLite and on PostgreSQL, and, for the suites of the
folders in `SCALE_OUT`, in the scale-out shape too: PostgreSQL, the service (what the API runs)
in the test's process deferring jobs, and two `ledgerbridge worker` processes doing every sync
pass (`World.sync` waits for them to drain the company).

How the engine reaches the emulator (`quickbooks_transport`): on SQLite through the emulator's
app in this process (`qbo_emulator.testing.EmulatorTransport`: no socket, no TLS context per
client); over a real socket on PostgreSQL, in the scale-out shape (the workers are other
processes), in the chaos folder (`SOCKET_FOLDERS`) and for a test marked
``@pytest.mark.emulator_socket("why")`` (a dropped connection, a timeout). Either way one
`Emulator` answers, so a test's own HTTP calls to `emulator.url` see what the engine did.
A SQLite database starts as a copy of the session's migrated template (`sqlite_template`),
not migrated again; `world`'s, as a copy of the module's signed-in start (`signed_in`: a key and
a connection through the OAuth dance, with the emulator's state just after it, restored for
each test)."""

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
from sqlalchemy import text, update

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
from ledgerbridge.storage import tables
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates
from qbo_emulator import persistence
from qbo_emulator.clock import MovableClock
from qbo_emulator.server import EmulatorServer
from qbo_emulator.testing import EmulatorTransport, in_process
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.sqlite_template import SqliteTemplate
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls
from tests.ledgerbridge.workers import Worker


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """The module's emulator; its OAuth server's clock moves forward when a test says
    (`emulator_later`), not only with time."""
    with EmulatorServer(
        webhook_time_scale=0.001, webhook_batch_window=0.05, oauth_clock=MovableClock()
    ) as server:
        yield server


def emulator_later(emulator: EmulatorServer, seconds: float) -> None:
    """The emulator's OAuth server `seconds` later (the end of a grant reached without
    waiting for it); the module's later tests see that time too, as if they ran later."""
    clock = emulator.emulator.oauth_clock
    assert isinstance(clock, MovableClock), clock
    clock.advance(seconds)


@pytest.fixture(scope="module")
def emulator_in_process(emulator: EmulatorServer) -> Iterator[EmulatorTransport]:
    """The module's emulator (the same state as `emulator`) as an in-process transport; what
    goes elsewhere (an app's events receiver) still goes over a socket."""
    with in_process(emulator.emulator, origin=emulator.url) as transport:
        yield transport


@pytest.fixture
def quickbooks_transport(request: pytest.FixtureRequest, shape: str) -> httpx.BaseTransport | None:
    """How this test's engine reaches the emulator: the in-process transport on SQLite, or
    None (a real socket) on PostgreSQL, with workers, or when the test is marked
    `emulator_socket`."""
    if shape != "sqlite" or request.node.get_closest_marker("emulator_socket"):
        return None
    if any(folder in request.node.path.parents for folder in SOCKET_FOLDERS):
        return None
    transport: EmulatorTransport = request.getfixturevalue("emulator_in_process")
    return transport


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
def database_url(shape: str, tmp_path: Path, sqlite_template: SqliteTemplate) -> Iterator[str]:
    """SQLite in the test's directory (a copy of the migrated template: at head already), or a
    private schema of the PostgreSQL `test` database (empty: `world` migrates it)."""
    if shape == "sqlite":
        yield sqlite_template.copy_into(tmp_path)
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
    # the test's own calls to the emulator (admin, export), by the engine's way to it; a World
    # made without one calls over a socket
    http: httpx.Client | None = None

    def sync(self, connection_id: str | None = None) -> PassReport:
        """A sync pass over the connection: in this process, or, in the scale-out shape, by
        the worker processes, waited for until the company has no work left (the report is
        then read back from what the records' histories say happened)."""
        cid = connection_id or self.connection_id
        if not self.workers:
            return sync_company(self.ledger, cid)
        return drain(self, cid)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.emulator.url}/_emulator{path}"
        if self.http is not None:
            response = self.http.request(method, url, json=body)
        else:
            response = httpx.request(method, url, json=body, timeout=30, verify=shared_tls())
        response.raise_for_status()
        return response.json()

    def export(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", f"/companies/{self.realm_id}/export")
        return result

    def entities(self, entity: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.export()["entities"].get(entity, [])
        return rows


def connect(
    service: Service,
    key_id: str,
    connection_id: str,
    realm_id: str,
    http: httpx.Client | None = None,
) -> None:
    """The OAuth dance: our authorize URL, the emulator's consent shortcut, our callback
    (`http`: the client that plays the browser; a new one over a socket without it)."""
    consent = service.begin_connect(key_id, connection_id)
    url = f"{consent.authorize_url}&realm_id={realm_id}&approve=true"
    if http is not None:
        response = http.get(url, follow_redirects=False)
    else:
        response = httpx.get(url, follow_redirects=False, timeout=HTTP_TIMEOUT, verify=shared_tls())
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    binding = consent.binding or ""
    service.complete_connect(query["state"][0], query["code"][0], query["realmId"][0], binding)


def _environ(emulator: EmulatorServer, database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_DATABASE_URL": database_url,
        "LEDGERBRIDGE_DATA_DIR": str(data_dir),
        # the event-delivery suites' receivers listen on this machine: the operator allows it
        "LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS": "127.0.0.1",
        # Web Connector and dashboard passwords hashed at a test's cost (production: 2^14)
        "LEDGERBRIDGE_PASSWORD_SCRYPT_N": "16",
    }


@dataclass(frozen=True)
class SignedIn:
    """`world`'s start on SQLite, made once per module (`signed_in`): the data directory of a
    ledger with an API key and a connection signed in to a new company of the module's
    emulator, through the OAuth dance, and the emulator's state just after it."""

    files: dict[str, tuple[bytes, int]]  # the data directory's files: content, mode
    emulator_state: bytes  # qbo_emulator.persistence.snapshot
    key_id: str
    connection_id: str
    realm_id: str

    def copy_into(self, data_dir: Path) -> None:
        """The data directory's files written into `data_dir` (its database replaced)."""
        for name, (content, mode) in self.files.items():
            path = data_dir / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            path.chmod(mode)


@pytest.fixture(scope="module")
def signed_in(
    emulator: EmulatorServer,
    sqlite_template: SqliteTemplate,
    tmp_path_factory: pytest.TempPathFactory,
) -> SignedIn:
    """What every `world` on SQLite starts from, made as `world` makes it on PostgreSQL (a key,
    a company, a connection, the OAuth dance) once per module rather than once per test: each
    test gets a copy of the data directory and the emulator back as it was just after the
    dance (`persistence.restore`: the company, its grant and tokens as issued, nothing counted
    against the limits), so it starts exactly where the dance left both sides."""
    directory = tmp_path_factory.mktemp("signed-in")
    url = sqlite_template.copy_into(directory)
    ledger = build(load_settings(_environ(emulator, url, directory), data_dir=directory))
    try:
        service = Service(ledger)
        key_id, _ = service.create_key("test")
        made = httpx.post(
            f"{emulator.url}/_emulator/companies",
            json={"name": "Sync Test Co"},
            timeout=30,
            verify=shared_tls(),
        )
        realm = made.json()["realm_id"]
        connection = service.create_connection(key_id, "Test", "emulator")
        connect(service, key_id, connection.id, realm)
    finally:
        ledger.db.dispose()  # the last connection closing checkpoints the WAL into the file
    files = {
        path.name: (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in sorted(directory.iterdir())
    }
    assert not any(name.endswith(("-wal", "-shm")) for name in files), sorted(files)
    return SignedIn(files, persistence.snapshot(emulator.emulator), key_id, connection.id, realm)


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    emulator: EmulatorServer,
    tmp_path: Path,
    database_url: str,
    shape: str,
    quickbooks_transport: httpx.BaseTransport | None,
) -> Iterator[World]:
    environ = _environ(emulator, database_url, tmp_path)
    signed: SignedIn | None = None
    if shape == "sqlite":  # the module's signed-in start, copied (`signed_in`)
        signed = request.getfixturevalue("signed_in")
        signed.copy_into(tmp_path)
        persistence.restore(emulator.emulator, signed.emulator_state)
    ledger = build(load_settings(environ, data_dir=tmp_path), transport=quickbooks_transport)
    if shape != "sqlite":  # a SQLite database is a copy of the migrated template
        ledger.db.migrate()
    http = httpx.Client(transport=quickbooks_transport, timeout=30, verify=shared_tls())
    workers: list[Worker] = []
    if shape == "postgresql-workers":  # as `ledgerbridge serve` wires it on PostgreSQL
        apply_job_schema(ledger)
        dispatcher = JobDispatcher(ledger)
        service = Service(
            ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull, defer_in=defer_sync_in
        )
        # two processes, the second running two jobs at once (`--concurrency 2`)
        workers = [
            Worker.start(
                name, {**os.environ, **environ}, tmp_path / f"{name}.log", concurrency=jobs
            )
            for name, jobs in (("worker-one", 1), ("worker-two", 2))
        ]
    else:
        service = Service(ledger)
    if signed is not None:
        key_id, connection_id, realm = signed.key_id, signed.connection_id, signed.realm_id
    else:
        key_id, _ = service.create_key("test")
        realm = http.post(
            f"{emulator.url}/_emulator/companies", json={"name": "Sync Test Co"}
        ).json()["realm_id"]
        connection_id = service.create_connection(key_id, "Test", "emulator").id
        connect(service, key_id, connection_id, realm, http)
    yield World(emulator, ledger, service, key_id, connection_id, realm, workers, http=http)
    try:
        verify_every_connection(request, emulator, ledger, http)
    finally:
        http.close()
        Worker.stop_all(workers)
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
    request: pytest.FixtureRequest, emulator: EmulatorServer, ledger: Ledger, http: httpx.Client
) -> None:
    """The invariant, after every end-to-end test of the engine: QuickBooks itself (read
    afresh, not the engine's account) holds every record that says synced, in every company
    the test connected. A test that leaves a mismatch on purpose names its code with
    ``@pytest.mark.verify_expects("code", ...)``. Scripted faults are cleared first: verify
    reads QuickBooks as it is, not as the test made it misbehave; and so is the companies'
    wait for the 429s they scripted (`connections.wait_until`), which verify honours."""
    marker = request.node.get_closest_marker("verify_expects")
    expected = set(marker.args) if marker is not None else set()
    with ledger.db.session(readonly=True) as session:
        connected = [c for c in Connections(session).all_connected() if c.status == "active"]
    with ledger.db.session() as session:
        session.execute(update(tables.Connection).values(wait_until=None))
    for connection in connected:
        http.delete(f"{emulator.url}/_emulator/companies/{connection.realm_id}/faults")
        report = verify(ledger, connection.id, flag=False)
        assert report.stopped is None, f"verify could not read QuickBooks: {report.stopped}"
        unexpected = [m.to_json() for m in report.mismatches if m.code not in expected]
        assert not unexpected, f"synced, but QuickBooks disagrees: {unexpected}"


# The folder says what kind a test is: the tests directly in this folder, the end-to-end
# suites (e2e/) and the failure modes (failures/) run in the default `pytest` on SQLite (their
# PostgreSQL shapes are marked `postgres`, the scale-out shape `slow` too: see SHAPES); chaos
# (chaos/: the chaos and scale suites) is `slow`, run by `make test` only.
_HERE = Path(__file__).parent
SLOW_FOLDERS = {_HERE / "chaos"}
SOCKET_FOLDERS = {_HERE / "chaos"}
"""The folders whose suites always reach the emulator over a real socket: chaos drops
connections and answers, which only a socket can do."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(folder in item.path.parents for folder in SLOW_FOLDERS):
            item.add_marker(pytest.mark.slow)
