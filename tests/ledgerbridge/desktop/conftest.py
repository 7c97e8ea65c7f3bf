"""Fixtures: ledgerbridge's API (the Web Connector service included) on a real socket over
SQLite, a Desktop connection with its Web Connector password, and the Desktop emulator in the
tests' process whose Web Connector simulator polls `http://localhost:<port>/qbwc` (the
simulator, like QBWC, takes plain http on `localhost` only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.webconnector.simulator import WebConnector
from qbo_emulator.server import free_port
from tests.ledgerbridge.api.conftest import ApiServer
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.sqlite_template import SqliteTemplate
from tests.ledgerbridge.tls import shared_tls


class Clock:
    """A clock the tests move (no test sleeps)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Desktop:
    url: str  # http://localhost:<port>
    ledger: Ledger
    service: Service
    clock: Clock
    http: httpx.Client  # with the API key
    emulator: Emulator
    company: Company
    connection: dict[str, Any]
    username: str
    password: str
    key_id: str = ""

    def connector(self, password: str | None = None, **options: Any) -> WebConnector:
        """A Web Connector on the PC, added with the connection's .qwc file."""
        qwc = self.qwc()
        return self.emulator.add_connector(
            WebConnector(
                self.emulator,
                url=qwc["AppURL"],
                username=qwc["UserName"],
                password=self.password if password is None else password,
                company_id=self.company.id,
                owner_id=qwc["OwnerID"],
                file_id=qwc["FileID"],
                noop_delay=0,
                **options,
            )
        )

    def qwc(self) -> dict[str, str]:
        from lxml import etree

        response = self.http.get(f"/v1/connections/{self.connection['id']}/qwc")
        assert response.status_code == 200, response.text
        root = etree.fromstring(response.content)
        found = {child.tag: (child.text or "") for child in root}
        found["RunEveryNMinutes"] = root.findtext("Scheduler/RunEveryNMinutes") or ""
        return found

    def status(self) -> dict[str, Any]:
        response = self.http.get(f"/v1/connections/{self.connection['id']}/web-connector")
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def stored_connection(self) -> dict[str, Any]:
        response = self.http.get(f"/v1/connections/{self.connection['id']}")
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tmp_path: Any, sqlite_template: SqliteTemplate
) -> Iterator[dict[str, str]]:
    """The settings' environment: SQLite (a copy of the migrated template), or a private
    schema of the PostgreSQL `test` database (migrated by `desktop`)."""
    if request.param == "sqlite":
        sqlite_template.copy_into(tmp_path)
        yield {}
        return
    with private_schema("lb_desktop") as url:
        yield {"LEDGERBRIDGE_DATABASE_URL": url}


@pytest.fixture
def desktop(tmp_path: Any, database: dict[str, str]) -> Iterator[Desktop]:
    port = free_port()
    # Web Connector passwords hashed at a test's cost, as the dashboard suites' (conftest)
    environ = {**database, "LEDGERBRIDGE_PASSWORD_SCRYPT_N": "16"}
    ledger = build(load_settings(environ, data_dir=tmp_path))
    if database:
        ledger.db.migrate()
    clock = Clock()
    ledger.clock = clock
    service = Service(ledger)
    key_id, key = service.create_key("desktop")
    url = f"http://localhost:{port}"
    emulator = Emulator()
    company = emulator.create_company("Summit Ridge Builders", preset="demo")
    try:
        with (
            ApiServer(service, port),
            httpx.Client(
                base_url=url,
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
                verify=shared_tls(),
            ) as http,
        ):
            created = http.post(
                "/v1/connections", json={"name": "Summit books", "environment": "desktop"}
            )
            assert created.status_code == 201, created.text
            connection = created.json()
            made = http.post(f"/v1/connections/{connection['id']}/web-connector-password")
            assert made.status_code == 200, made.text
            credentials = made.json()
            yield Desktop(
                url,
                ledger,
                service,
                clock,
                http,
                emulator,
                company,
                connection,
                credentials["username"],
                credentials["password"],
                key_id,
            )
    finally:
        service.close()  # a pass still waiting for the Web Connector ends before the database
        ledger.db.dispose()
