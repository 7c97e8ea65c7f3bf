"""Shared fixtures: a real emulator on a real socket, and real clients connected to it.

`emulator` is one server per test module; each test makes its own company (`company`) so tests
never see each other's data. `connect(realm_id)` runs the OAuth flow with intuit-oauth and returns
a python-quickbooks client, exactly as a user of the emulator would.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks

from qbo_emulator.clock import MovableClock
from qbo_emulator.server import EmulatorServer

REDIRECT_URI = "http://localhost:8000/callback"

# python-quickbooks talks through requests-oauthlib, which refuses plain http unless told that
# this is a local test set-up.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


@dataclass
class Connection:
    """A company connected to an app: the tokens and a ready python-quickbooks client."""

    base: str
    realm_id: str
    app: dict[str, Any]
    auth: AuthClient
    qb: QuickBooks

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.auth.access_token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    def url(self, path: str) -> str:
        return f"{self.base}/v3/company/{self.realm_id}/{path.lstrip('/')}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url(path), headers=self.headers(), params=params, timeout=10)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return requests.post(
            self.url(path), headers=self.headers(), json=body, params=params, timeout=10
        )

    def query(self, text: str) -> requests.Response:
        headers = {**self.headers(), "Content-Type": "application/text"}
        return requests.post(self.url("query"), headers=headers, data=text, timeout=10)


class Admin:
    """The emulator's admin API."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.base}/_emulator{path}", json=body, timeout=30)

    def create_app(self, **body: Any) -> dict[str, Any]:
        body.setdefault("redirect_uris", [REDIRECT_URI])
        response = self.call("POST", "/apps", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def create_company(self, name: str = "Test Company", **body: Any) -> str:
        response = self.call("POST", "/companies", {"name": name, **body})
        assert response.status_code == 201, response.text
        realm: str = response.json()["realm_id"]
        return realm

    def patch_company(self, realm_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.call("PATCH", f"/companies/{realm_id}", body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def export(self, realm_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/companies/{realm_id}/export")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """The module's emulator; its OAuth server's clock moves forward when a test says
    (`oauth_later`), not only with time."""
    with EmulatorServer(
        webhook_time_scale=0.001, webhook_batch_window=0.05, oauth_clock=MovableClock()
    ) as server:
        yield server


def oauth_later(emulator: EmulatorServer, seconds: float) -> None:
    """The emulator's OAuth server `seconds` later (a grant's end reached without waiting)."""
    clock = emulator.emulator.oauth_clock
    assert isinstance(clock, MovableClock), clock
    clock.advance(seconds)


@pytest.fixture
def admin(emulator: EmulatorServer) -> Admin:
    return Admin(emulator.url)


def authorize(base: str, app: dict[str, Any], realm_id: str) -> AuthClient:
    """The OAuth flow with intuit-oauth: consent shortcut, code exchange."""
    auth = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        environment=f"{base}/.well-known/openid_configuration",
    )
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="test-state")
    response = requests.get(
        f"{url}&realm_id={realm_id}&approve=true", allow_redirects=False, timeout=10
    )
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    auth.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])
    return auth


@pytest.fixture
def connect(emulator: EmulatorServer, admin: Admin) -> Iterator[Callable[..., Connection]]:
    """connect(realm_id=None, **company) -> Connection; makes a company when none is given."""
    opened: list[Connection] = []

    def _connect(
        realm_id: str | None = None, app: dict[str, Any] | None = None, **company: Any
    ) -> Connection:
        realm = realm_id or admin.create_company(**company)
        app = app or admin.create_app()
        auth = authorize(emulator.url, app, realm)
        QuickBooks.api_url_v3 = f"{emulator.url}/v3"
        qb = QuickBooks(
            auth_client=auth,
            refresh_token=auth.refresh_token,
            company_id=realm,
            minorversion=75,
        )
        connection = Connection(emulator.url, realm, app, auth, qb)
        opened.append(connection)
        return connection

    yield _connect
    for connection in opened:
        connection.auth.close()
        if connection.qb.session is not None:
            connection.qb.session.close()


@pytest.fixture
def conn(connect: Callable[..., Connection]) -> Connection:
    """A fresh empty company (chart of accounts, tax codes, terms...) connected to a fresh app."""
    return connect()


@pytest.fixture
def demo(connect: Callable[..., Connection]) -> Connection:
    """A fresh demo company connected to a fresh app."""
    return connect(name="Summit Ridge Builders", preset="demo")
