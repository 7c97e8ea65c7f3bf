"""An engine wired to a real emulator over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.service import Service
from ledgerbridge.engine.verify import verify
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.repositories import Connections
from qbo_emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.05) as server:
        yield server


POSTGRES_URL = os.environ.get(
    "LEDGERBRIDGE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's directory, or a private schema of the PostgreSQL `test` database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledgerbridge.db'}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = f"lb_engine_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@dataclass
class World:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    key_id: str
    connection_id: str
    realm_id: str

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
    url = service.connect_url(key_id, connection_id)
    response = httpx.get(f"{url}&realm_id={realm_id}&approve=true", follow_redirects=False)
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    service.complete_connect(query["state"][0], query["code"][0], query["realmId"][0])


@pytest.fixture
def world(
    request: pytest.FixtureRequest, emulator: EmulatorServer, tmp_path: Path, database_url: str
) -> Iterator[World]:
    settings = load_settings(
        {"LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url, "LEDGERBRIDGE_DATABASE_URL": database_url},
        data_dir=tmp_path,
    )
    ledger = build(settings)
    ledger.db.migrate()
    service = Service(ledger)
    key_id, _ = service.create_key("test")
    realm = httpx.post(
        f"{emulator.url}/_emulator/companies", json={"name": "Sync Test Co"}, timeout=30
    ).json()["realm_id"]
    connection = service.create_connection(key_id, "Test", "emulator")
    connect(service, key_id, connection.id, realm)
    yield World(emulator, ledger, service, key_id, connection.id, realm)
    try:
        verify_every_connection(request, emulator, ledger)
    finally:
        ledger.db.dispose()


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


# The default `pytest` run keeps one quick end-to-end sample of the engine; the other suites
# here (failure modes, drift, checks, health, chaos, reports) are `slow`: `make test` runs them.
_QUICK = {"test_sync_e2e.py", "test_tokens.py", "test_notify.py", "test_surroundings_memo.py"}
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents and item.path.name not in _QUICK:
            item.add_marker(pytest.mark.slow)
