"""Issue 13, failure 7: `events_url` cannot aim the server's signed POSTs inward.

It accepted `http://127.0.0.1:...`, `http://169.254.169.254/...`, `http://localhost:5432/`,
and the server posted there. Now: https only (http only to hosts the operator allows), every
address the host resolves to must be public, when the setting is made (a 422 naming
`settings.events_url`) and again at each delivery, which connects to the very address it
checked and never follows a redirect.

The resolver is the only thing replaced (`socket.getaddrinfo`, for names under `.test`, which
resolve nowhere): nothing here leaves this machine.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.notify import deliver_events
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import SettingsError, load_settings
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.events import Events
from tests.ledgerbridge.api.conftest import Stack, fields_of

POSTGRES_URL = os.environ.get(
    "LEDGERBRIDGE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PUBLIC = "93.184.215.14"  # a public address (never connected to: see the tests)
NAME = "events.app.test"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What names under `.test` resolve to (tests fill it); every other name as before."""
    answers: dict[str, list[str]] = {}
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in answers:
            family = {4: socket.AF_INET, 6: socket.AF_INET6}
            return [
                (family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]
            ]
        return original(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


# --- when the setting is made: a 422 naming the field ------------------------------------------

REFUSED = [
    ("http://127.0.0.1:9/hooks", "must be https"),
    ("https://127.0.0.1:9/hooks", "loopback"),
    ("https://localhost:5432/", "loopback"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[::1]:8080/hooks", "loopback"),
    ("https://10.20.30.40/hooks", "private"),
    ("https://192.168.1.10/hooks", "private"),
    ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
    ("https://0.0.0.0:8000/", "private"),
    ("http://app.example/hooks", "must be https"),
    ("https://user:pass@app.example/hooks", "user name or password"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_an_inward_events_url_is_a_422_naming_the_setting(stack: Stack, url: str, why: str) -> None:
    cid = stack.connection()["id"]
    answer = stack.http.patch(f"/v1/connections/{cid}/settings", json={"events_url": url})
    assert fields_of(answer) == ["settings.events_url"]
    assert why in answer.json()["error"]["message"]
    created = stack.http.post(
        "/v1/connections",
        json={"name": "Inward", "environment": "emulator", "settings": {"events_url": url}},
    )
    assert fields_of(created) == ["settings.events_url"]
    settings = stack.http.get(f"/v1/connections/{cid}").json()["settings"]
    assert settings.get("events_url") is None  # nothing stored


def test_a_name_resolving_to_loopback_is_refused(
    stack: Stack, resolver: dict[str, list[str]]
) -> None:
    cid = stack.connection()["id"]
    resolver[NAME] = [PUBLIC, "127.0.0.1"]  # one bad address is enough
    answer = stack.http.patch(
        f"/v1/connections/{cid}/settings", json={"events_url": f"https://{NAME}/hooks"}
    )
    assert fields_of(answer) == ["settings.events_url"]
    assert "loopback address (127.0.0.1)" in answer.json()["error"]["message"]

    resolver[NAME] = [PUBLIC]
    accepted = stack.http.patch(
        f"/v1/connections/{cid}/settings", json={"events_url": f"https://{NAME}/hooks"}
    )
    assert accepted.status_code == 200
    assert accepted.json()["settings"]["events_url"] == f"https://{NAME}/hooks"
    # a name that does not resolve yet is judged at each delivery instead
    later = stack.http.patch(
        f"/v1/connections/{cid}/settings", json={"events_url": "https://app.example/hooks"}
    )
    assert later.status_code == 200


# --- at delivery: refused again, pinned to the address checked, redirects not followed ----------


class Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.01)  # how often it looks whether to stop: close() waits that long
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@dataclass
class Books:
    ledger: Ledger
    service: Service
    key_id: str
    connection_id: str

    def store_url(self, url: str) -> None:
        """As a row written before these checks existed: straight into storage."""
        with self.ledger.db.session() as session:
            connections = Connections(session)
            current = connections.get_unscoped(self.connection_id)
            assert current is not None
            connections.set_settings(self.connection_id, {**current.settings, "events_url": url})
            Events(session).append(self.connection_id, "record.synced", {"id": "c-1"})

    def undelivered(self) -> int:
        with self.ledger.db.session(readonly=True) as session:
            return len(Events(session).undelivered(self.connection_id, 100))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def books_on(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Books]]:
    """`books_on(allow=..., transport=...)`: a ledger on the backend with one connection."""
    environ = {"LEDGERBRIDGE_DATA_DIR": str(tmp_path)}
    admin = None
    schema = f"lb_events_{secrets.token_hex(5)}"
    if request.param == "postgresql":
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        environ["LEDGERBRIDGE_DATABASE_URL"] = url.render_as_string(hide_password=False)
    made: list[Ledger] = []

    def make(allow: str = "", transport: httpx.BaseTransport | None = None) -> Books:
        settings = load_settings(
            {**environ, "LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS": allow}, data_dir=tmp_path
        )
        ledger = build(settings, transport=transport)
        ledger.db.migrate()
        made.append(ledger)
        service = Service(ledger)
        key_id, _ = service.create_key("app")
        connection = service.create_connection(key_id, "Books", "emulator")
        return Books(ledger, service, key_id, connection.id)

    try:
        yield make
    finally:
        for ledger in made:
            ledger.db.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:{port}/hooks",
        "https://127.0.0.1:{port}/hooks",
        "https://localhost:{port}/",
    ],
)
def test_a_stored_inward_url_is_refused_at_delivery(
    books_on: Callable[..., Books], listener: Listener, address: str
) -> None:
    books = books_on()
    books.store_url(address.format(port=listener.port))
    assert deliver_events(books.ledger, books.connection_id) == 0
    assert listener.connections == 0  # not even a connection was opened
    assert books.undelivered() == 1  # kept: the feed still has it


def test_a_name_rebound_to_loopback_after_the_setting_is_refused_at_delivery(
    books_on: Callable[..., Books], listener: Listener, resolver: dict[str, list[str]]
) -> None:
    books = books_on()
    resolver[NAME] = [PUBLIC]
    url = f"https://{NAME}:{listener.port}/hooks"
    books.service.update_settings(books.key_id, books.connection_id, {"events_url": url})
    resolver[NAME] = ["127.0.0.1"]  # DNS rebinding: public when checked, loopback now
    books.store_url(url)  # an event to deliver
    assert deliver_events(books.ledger, books.connection_id) == 0
    assert listener.connections == 0
    assert books.undelivered() == 1


def test_delivery_connects_to_the_address_it_checked(
    books_on: Callable[..., Books], resolver: dict[str, list[str]]
) -> None:
    """The request goes to the IP address checked, the URL's host in Host and as the TLS
    server name: the name is not resolved a second time when connecting. (The transport
    answers in place of the network: nothing is sent to the public address.)"""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    books = books_on(transport=httpx.MockTransport(answer))
    resolver[NAME] = [PUBLIC]
    url = f"https://{NAME}:8443/hooks?app=1"
    books.service.update_settings(books.key_id, books.connection_id, {"events_url": url})
    books.store_url(url)
    resolver[NAME] = [PUBLIC]
    assert deliver_events(books.ledger, books.connection_id) == 1
    (request,) = seen
    assert request.url.host == PUBLIC and request.url.port == 8443
    assert request.url.raw_path == b"/hooks?app=1"
    assert request.headers["host"] == f"{NAME}:8443"
    assert request.extensions["sni_hostname"] == NAME


def test_a_redirect_is_not_followed(books_on: Callable[..., Books], listener: Listener) -> None:
    """The receiver (a host the operator allows) answers 302 to another local port: the
    events wait, and nothing reaches the redirect's target."""
    hits: list[str] = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{listener.port}/steal")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    # serve_forever's poll (default half a second) is how long shutdown() waits
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        books = books_on(allow="127.0.0.1")
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        books.service.update_settings(books.key_id, books.connection_id, {"events_url": url})
        books.store_url(url)
        assert deliver_events(books.ledger, books.connection_id) == 0
        assert deliver_events(books.ledger, books.connection_id) == 0
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert hits == ["/hooks", "/hooks"]
    assert listener.connections == 0
    assert books.undelivered() == 1


def test_the_operators_allowance_keeps_local_receivers_possible(
    books_on: Callable[..., Books], listener: Listener
) -> None:
    url = f"http://localhost:{listener.port}/hooks"
    refused = books_on()
    with pytest.raises(Invalid) as exc:
        refused.service.update_settings(refused.key_id, refused.connection_id, {"events_url": url})
    assert exc.value.problems[0].field == "settings.events_url"
    allowed = books_on(allow="localhost")
    view = allowed.service.update_settings(
        allowed.key_id, allowed.connection_id, {"events_url": url}
    )
    assert view.settings["events_url"] == url
    allowed.store_url(url)
    deliver_events(allowed.ledger, allowed.connection_id)  # the listener answers nothing
    assert listener.connections == 1  # but it was reached


def test_the_allowance_is_read_from_the_environment(tmp_path: Path) -> None:
    environ = {"LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS": "127.0.0.1, Hooks.Internal. ,[::1],"}
    settings = load_settings(environ, data_dir=tmp_path)
    assert settings.events_allow_http_hosts == frozenset({"127.0.0.1", "hooks.internal", "::1"})
    assert load_settings({}, data_dir=tmp_path).events_allow_http_hosts == frozenset()
    with pytest.raises(SettingsError, match="LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS"):
        load_settings({"LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS": "http://x/"}, data_dir=tmp_path)
