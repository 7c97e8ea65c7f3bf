"""Fixtures for the dashboard: the app in-process (FastAPI's TestClient), a signed-in client,
and the CSRF token of a page.

`site` is one module's set-up: a migrated SQLite database in a temporary directory, a
`Service` whose wake-ups are recorded (nothing syncs unless a test says so), an emulator
for the tests that connect, and the app (`site.app`: `create_app(service)`, made once, since
FastAPI prepares an app's routes on its first request, a quarter of a second of CPU). `office`
gives each test a new API key, a dashboard user of that key and a client of its own, signed
in; since a user sees only its key's connections, and a client holds its own cookies, tests
are apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dashboard.accounts import create_user
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.in_process import TestClient
from tests.ledgerbridge.sqlite_template import SqliteTemplate
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls

PASSWORD = "correct horse battery staple"
BASE = "http://testserver"
CHEAP_PASSWORDS = {"LEDGERBRIDGE_PASSWORD_SCRYPT_N": "16"}
"""The settings of a test suite's dashboard: passwords hashed at a tiny cost (scrypt's N=16, not
the production 16384), since every test signs a user in and the suites try hundreds of wrong
passwords. What is checked is the same: a salted scrypt hash, compared in constant time. The
production cost is the default of the settings (tests/ledgerbridge/test_settings.py)."""


def emulator_company(emulator_url: str, **company: object) -> str:
    """A new company in the emulator, made with `company` (its name and settings): its realm
    id."""
    made = httpx.post(
        f"{emulator_url}/_emulator/companies",
        json=company,
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    )
    made.raise_for_status()
    return str(made.json()["realm_id"])


def in_process_client(app: Any) -> httpx.Client:
    """FastAPI's TestClient, its requests on the process's one event loop
    (tests/ledgerbridge/in_process.py)."""
    client: httpx.Client = TestClient(app, base_url=BASE, follow_redirects=False)
    return client


def csrf_of(html: str) -> str:
    """The CSRF token a page carries in its forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Site:
    ledger: Ledger
    service: Service
    emulator: EmulatorServer
    data_dir: Path
    wakes: list[str] = field(default_factory=list)
    _app: Any = None

    @property
    def app(self) -> Any:
        """The module's app (`create_app(self.service)`), made on first use."""
        if self._app is None:
            self._app = create_app(self.service)
        return self._app


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    emulator: EmulatorServer,
    sqlite_template: SqliteTemplate,
) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("dashboard")
    sqlite_template.copy_into(data_dir)  # at head: no migration to run
    env = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_QBO_REDIRECT_URI": f"{BASE}/v1/oauth/callback",
        **CHEAP_PASSWORDS,
    }
    ledger = build(load_settings(env, data_dir=data_dir))
    wakes: list[str] = []
    service = Service(ledger, wake=wakes.append, wake_pull=lambda connection_id: None)
    try:
        yield Site(ledger, service, emulator, data_dir, wakes)
    finally:
        service.close()
        ledger.db.dispose()


@dataclass
class Office:
    """One account's dashboard user, signed in."""

    site: Site
    key_id: str
    email: str
    client: httpx.Client

    @property
    def service(self) -> Service:
        return self.site.service

    def connection(self, name: str = "Main office") -> str:
        return self.service.create_connection(self.key_id, name, "emulator").id

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """A POST from a page's form: with the session's CSRF token."""
        token = csrf_of(self.client.get("/dashboard/connections").text)
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/dashboard/login")
    return client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
    )


@pytest.fixture
def office(site: Site, request: pytest.FixtureRequest) -> Iterator[Office]:
    key_id, _ = site.service.create_key("test")
    email = f"{request.node.name[:40]}-{key_id[-6:]}@example.com".lower()
    create_user(site.ledger, email, key_id, PASSWORD)
    client = in_process_client(site.app)
    response = sign_in(client, email)
    assert response.status_code == 303, response.text
    try:
        yield Office(site, key_id, email, client)
    finally:
        client.close()


# The browser tests' fixtures (Playwright, headless Chromium, the stack on real sockets).
from tests.ledgerbridge.dashboard.browser import browser, desk, live, screenshots  # noqa: E402, F401
