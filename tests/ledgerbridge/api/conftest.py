"""Fixtures: the HTTP API on a real socket, over SQLite in `tmp_path`, next to a real emulator.

`served` is one module's set-up: a migrated database, a `Service` whose wake-ups are recorded
(no dispatcher runs, so records stay where the API put them) and the API served by uvicorn from
a thread on a free port, next to an emulator. `stack` gives each test a new API key and an
authenticated `httpx.Client`; since a key sees only its own connections, and each test makes
its own emulator companies, tests do not see each other's data.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import uvicorn

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer, ServerThread, free_port
from tests.ledgerbridge.sqlite_template import SqliteTemplate
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls


class ApiServer:
    """`create_app(service)` served by uvicorn from a background thread (stopped at once,
    without uvicorn's tenth-of-a-second waits: `qbo_emulator.server.ServerThread`)."""

    def __init__(self, service: Service, port: int, host: str = "127.0.0.1") -> None:
        self.url = f"http://{host}:{port}"
        self.app = create_app(service)
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = ServerThread(config, name="ledgerbridge-api", what="the API", daemon=False)

    def __enter__(self) -> ApiServer:
        self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop()


@dataclass
class Stack:
    url: str
    emulator_url: str
    data_dir: Path
    ledger: Ledger
    service: Service
    key: str
    http: httpx.Client
    wakes: list[str] = field(default_factory=list)
    pulls: list[str] = field(default_factory=list)
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self, key: str | None = None, **headers: str) -> httpx.Client:
        """Another client of the API: with `key` as its API key, or with none."""
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        client = httpx.Client(
            base_url=self.url, headers=headers, timeout=HTTP_TIMEOUT, verify=shared_tls()
        )
        self._clients.append(client)
        return client

    def new_key(self, name: str = "other") -> str:
        return self.service.create_key(name)[1]

    def connection(self, name: str = "Main office", **body: Any) -> dict[str, Any]:
        """A new connection to the emulator, made through the API."""
        response = self.http.post(
            "/v1/connections", json={"name": name, "environment": "emulator", **body}
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def company(self, name: str = "Test Company") -> str:
        """A new emulator company: its realm id."""
        response = httpx.post(
            f"{self.emulator_url}/_emulator/companies",
            json={"name": name},
            timeout=HTTP_TIMEOUT,
            verify=shared_tls(),
        )
        assert response.status_code == 201, response.text
        realm: str = response.json()["realm_id"]
        return realm

    def close(self) -> None:
        for client in [self.http, *self._clients]:
            client.close()


@dataclass
class Served:
    """One module's API: its database, service (wake-ups recorded) and server."""

    url: str
    data_dir: Path
    ledger: Ledger
    service: Service
    wakes: list[str]
    pulls: list[str]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.05) as server:
        yield server


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    emulator: EmulatorServer,
    sqlite_template: SqliteTemplate,
) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("ledgerbridge")
    sqlite_template.copy_into(data_dir)  # at head: no migration to run
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_QBO_REDIRECT_URI": f"{url}/v1/oauth/callback",
    }
    ledger = build(load_settings(env, data_dir=data_dir))
    wakes: list[str] = []
    pulls: list[str] = []
    service = Service(ledger, wake=wakes.append, wake_pull=pulls.append)
    try:
        with ApiServer(service, port):
            yield Served(url, data_dir, ledger, service, wakes, pulls)
    finally:
        service.close()
        ledger.db.dispose()


@pytest.fixture
def stack(served: Served, emulator: EmulatorServer) -> Iterator[Stack]:
    """A new API key on the module's server: tests are apart because a key sees only its
    own connections (and each test makes its own emulator companies)."""
    served.wakes.clear()
    served.pulls.clear()
    _, secret = served.service.create_key("test")
    http = httpx.Client(
        base_url=served.url,
        headers={"Authorization": f"Bearer {secret}"},
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    )
    stack = Stack(
        served.url,
        emulator.url,
        served.data_dir,
        served.ledger,
        served.service,
        secret,
        http,
        served.wakes,
        served.pulls,
    )
    try:
        yield stack
    finally:
        stack.close()


class Raw:
    """One HTTP/1.1 connection over a plain socket: what a client that announces a body and
    then waits does, which no HTTP library lets a test do."""

    def __init__(self, url: str) -> None:
        where = urlparse(url)
        self.host = f"{where.hostname}:{where.port}"
        self.sock = socket.create_connection((where.hostname, where.port), timeout=30)
        self.buffer = b""

    def send_head(self, method: str, path: str, headers: dict[str, str]) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def send_chunk(self, data: bytes) -> None:
        self.sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        """The next response: status, headers (lower-case names) and body."""
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def close(self) -> None:
        self.sock.close()


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of an error answer."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


def fields_of(response: httpx.Response) -> list[str | None]:
    """The fields a 422 answer names, in order."""
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "input.invalid"
    return [problem["field"] for problem in error["problems"]]


def ledger_served_at(emulator_url: str, data_dir: Path, **env: str) -> tuple[Ledger, int, str]:
    """A migrated ledger against the emulator at `emulator_url`, its OAuth callback and public
    URL on a free port of this machine (where the caller serves it, an `ApiServer`): the
    ledger, the port and its URL. `env`: more settings (`LEDGERBRIDGE_DATABASE_URL`...)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator_url,
        "LEDGERBRIDGE_QBO_REDIRECT_URI": f"{url}/v1/oauth/callback",
        **env,
    }
    ledger = build(load_settings(settings, data_dir=data_dir))
    ledger.public_url = url
    ledger.db.migrate()
    return ledger, port, url
