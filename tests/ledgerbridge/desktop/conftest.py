"""Fixtures: ledgerbridge's API (the Web Connector service included) over SQLite or PostgreSQL,
a Desktop connection with its Web Connector password, and the Desktop emulator in the tests'
process whose Web Connector simulator calls the service's `/qbwc`.

How the API is reached (`Desktop.transport`): in this process by default, through the app's
ASGI interface (`qbd_emulator.testing.asgi_transport`: no socket, no server to start and stop
for each test; the test's client, the simulator and `Desktop.client()` all go that way); over a
real socket on `localhost` (uvicorn in a thread, as QBWC calls from the PC) for a test marked
``@pytest.mark.desktop_socket("why")`` (the SOAP endpoint's hostile bodies and independent
clients, the sessions of the Web Connector as QBWC makes them). Either way each test has its
own app, service and database; the socket's server is the module's (`socket_server`: started
once, it hands each request to the app of the test running). The simulator, like QBWC, takes
plain http on `localhost` only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.testing import asgi_transport
from qbd_emulator.webconnector.simulator import WebConnector
from qbo_emulator.server import ServerThread, free_port
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
    url: str  # http://localhost:<port> (a socket), or http://localhost (in this process)
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
    # the API in this process (no socket), or None: served on a socket at `url`
    transport: httpx.BaseTransport | None = None

    def client(self, **options: Any) -> httpx.Client:
        """Another client of the API (a browser, an app without the key), reaching it the way
        the test's own client does; closed by the caller."""
        options.setdefault("timeout", 30)
        return httpx.Client(
            base_url=self.url, transport=self.transport, verify=shared_tls(), **options
        )

    def connector(self, password: str | None = None, **options: Any) -> WebConnector:
        """A Web Connector on the PC, added with the connection's .qwc file; it calls the
        service the fixture's way (`transport`) unless `options` names another."""
        options.setdefault("transport", self.transport)
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


class SocketServer:
    """uvicorn on a free port of `localhost`, from a thread (`qbo_emulator.server.ServerThread`:
    started and stopped with no fixed wait), handing each request to the app of the test
    running (`serving`); one per module: a server started and stopped per test cost a fifth of
    a second of waiting for its loop's ticks."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self._app: ASGIApp | None = None
        config = uvicorn.Config(
            self._dispatch,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            interface="asgi3",
        )
        self._server = ServerThread(config, name="desktop-api", what="the API")

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is None:  # between tests: no app to answer
            raise RuntimeError("no test is being served")
        await app(scope, receive, send)

    def serving(self, app: ASGIApp) -> ExitStack:
        """Serve `app` until the returned context ends."""
        self._app = app
        stack = ExitStack()
        stack.callback(setattr, self, "_app", None)
        return stack

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(timeout=10)


@pytest.fixture(scope="module")
def socket_server() -> Iterator[SocketServer]:
    """The module's socket for the tests marked `desktop_socket` (started on first use)."""
    server = SocketServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


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
def desktop(
    request: pytest.FixtureRequest, tmp_path: Any, database: dict[str, str]
) -> Iterator[Desktop]:
    # Web Connector passwords hashed at a test's cost, as the dashboard suites' (conftest)
    environ = {**database, "LEDGERBRIDGE_PASSWORD_SCRYPT_N": "16"}
    ledger = build(load_settings(environ, data_dir=tmp_path))
    if database:
        ledger.db.migrate()
    clock = Clock()
    ledger.clock = clock
    service = Service(ledger)
    key_id, key = service.create_key("desktop")
    emulator = Emulator()
    company = emulator.create_company("Summit Ridge Builders", preset="demo")
    transport: httpx.BaseTransport | None = None
    try:
        with ExitStack() as stack:
            if request.node.get_closest_marker("desktop_socket"):
                server: SocketServer = request.getfixturevalue("socket_server")
                url = server.url
                stack.enter_context(server.serving(create_app(service)))
            else:
                url = "http://localhost"
                transport = stack.enter_context(asgi_transport(create_app(service)))
            http = stack.enter_context(
                httpx.Client(
                    base_url=url,
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=30,
                    verify=shared_tls(),
                    transport=transport,
                )
            )
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
                transport,
            )
    finally:
        service.close()  # a pass still waiting for the Web Connector ends before the database
        ledger.db.dispose()
