"""Fixtures: a real emulator on a real socket, and companies connected through this adapter's own
OAuth code (discovery, consent shortcut, code exchange), with a `QboClient` on each.

`emulator` is one server per test module; every test makes its own app and company, so tests never
see each other's data, throttle windows or tokens.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.adapters.qbo import oauth
from ledgerbridge.adapters.qbo.client import QboClient, api_base
from ledgerbridge.adapters.qbo.oauth import OAuthEndpoints, TokenGrant
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.tls import shared_tls

REDIRECT_URI = "http://localhost:8000/callback"
REFRESH_TOKEN_POLICIES = ("grace", "strict")
"""The emulator's refresh-token policies: Intuit's (the same token for a day, a replaced one
working a day longer) and single-use rotation. The token tests run under both."""


def new_request_id() -> str:
    """What the engine does once per logical write (and stores before the first attempt)."""
    return uuid.uuid4().hex


class Admin:
    """The emulator's admin API under /_emulator."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=f"{base}/_emulator", timeout=30, verify=shared_tls())

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.is_success, response.text
        return response.json()

    def create_app(self, **body: Any) -> dict[str, Any]:
        body.setdefault("redirect_uris", [REDIRECT_URI])
        app: dict[str, Any] = self.call("POST", "/apps", body)
        return app

    def create_company(self, **body: Any) -> str:
        body.setdefault("name", "Test Company")
        realm: str = self.call("POST", "/companies", body)["realm_id"]
        return realm

    def patch_company(self, realm_id: str, **body: Any) -> None:
        self.call("PATCH", f"/companies/{realm_id}", body)

    def add_fault(
        self, realm_id: str, match: dict[str, Any], action: dict[str, Any], **rest: Any
    ) -> None:
        self.call(
            "POST", f"/companies/{realm_id}/faults", {"match": match, "action": action, **rest}
        )

    def close(self) -> None:
        self.http.close()


class RecordingTransport(httpx.BaseTransport):
    """The real network, with every request kept for the test to look at."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Tokens:
    """A TokenSource as the engine will have one: the latest grant, rotated through
    `oauth.refresh` (the engine persists the new refresh token first; here it is kept)."""

    endpoints: OAuthEndpoints
    client_id: str
    client_secret: str = field(repr=False)
    grant: TokenGrant
    refreshes: int = 0

    def access_token(self) -> str:
        return self.grant.access_token

    def refreshed_access_token(self, stale: str) -> str:
        if stale == self.grant.access_token:
            self.refreshes += 1
            self.grant = oauth.refresh(
                self.endpoints, self.client_id, self.client_secret, self.grant.refresh_token
            )
        return self.grant.access_token


def consent_code(authorize: str, realm_id: str) -> tuple[str, dict[str, list[str]]]:
    """The consent page's non-interactive shortcut: the code Intuit would redirect with."""
    with httpx.Client(timeout=10, verify=shared_tls()) as http:
        response = http.get(f"{authorize}&realm_id={realm_id}&approve=true")
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    return query["code"][0], query


@dataclass
class Company:
    """A company connected to an app through this adapter's OAuth code, with a client on it."""

    realm_id: str
    app: dict[str, Any]
    tokens: Tokens
    client: QboClient
    transport: RecordingTransport


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.05) as server:
        yield server


@pytest.fixture
def admin(emulator: EmulatorServer) -> Iterator[Admin]:
    admin = Admin(emulator.url)
    yield admin
    admin.close()


@pytest.fixture
def endpoints(emulator: EmulatorServer) -> OAuthEndpoints:
    return oauth.discover(oauth.discovery_url("emulator", emulator.url))


@pytest.fixture
def connect(
    emulator: EmulatorServer, admin: Admin, endpoints: OAuthEndpoints
) -> Iterator[Callable[..., Company]]:
    """connect(realm_id=None, app=None, timeout=30.0, **company) -> Company."""
    opened: list[QboClient] = []

    def _connect(
        realm_id: str | None = None,
        app: dict[str, Any] | None = None,
        timeout: float = 30.0,
        **company: Any,
    ) -> Company:
        realm = realm_id or admin.create_company(**company)
        app = app or admin.create_app()
        url = oauth.authorize_url(endpoints, app["client_id"], REDIRECT_URI, state="s-1")
        code, query = consent_code(url, realm)
        assert query["state"] == ["s-1"] and query["realmId"] == [realm]
        grant = oauth.exchange_code(
            endpoints, app["client_id"], app["client_secret"], code, REDIRECT_URI
        )
        tokens = Tokens(endpoints, app["client_id"], app["client_secret"], grant)
        transport = RecordingTransport()
        client = QboClient(
            api_base("emulator", emulator.url), realm, tokens, transport=transport, timeout=timeout
        )
        opened.append(client)
        return Company(realm, app, tokens, client, transport)

    yield _connect
    for client in opened:
        client.close()


@pytest.fixture(params=REFRESH_TOKEN_POLICIES)
def refresh_token_policy(request: pytest.FixtureRequest) -> str:
    """Each refresh-token policy in turn (for the tests about tokens)."""
    policy: str = request.param
    return policy


@pytest.fixture
def company(connect: Callable[..., Company]) -> Company:
    """A fresh empty company (chart of accounts, tax codes...) connected to a fresh app."""
    return connect()


@pytest.fixture
def qb(company: Company) -> QboClient:
    return company.client


# --- helpers for data --------------------------------------------------------------------------


def service_item(qb: QboClient) -> str:
    """The id of a service item, made on the first income account."""
    income = qb.query("SELECT * FROM Account WHERE AccountType = 'Income'")
    item = qb.create(
        "Item",
        {"Name": "Services", "Type": "Service", "IncomeAccountRef": {"value": income[0]["Id"]}},
        request_id=new_request_id(),
    )
    item_id: str = item["Id"]
    return item_id


def customer(qb: QboClient, name: str) -> dict[str, Any]:
    return qb.create("Customer", {"DisplayName": name}, request_id=new_request_id())


def invoice(
    qb: QboClient, customer_id: str, item_id: str, amount: str = "100.00"
) -> dict[str, Any]:
    body = {
        "CustomerRef": {"value": customer_id},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal(amount),
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item_id},
                    "Qty": 1,
                    "UnitPrice": Decimal(amount),
                },
            }
        ],
    }
    return qb.create("Invoice", body, request_id=new_request_id())


# --- a webhook endpoint ------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A local webhook endpoint that keeps every POST it gets (and answers 200)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.deliveries.append(Delivery(headers, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/qbo-webhooks"

    def received(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the handlers


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()
