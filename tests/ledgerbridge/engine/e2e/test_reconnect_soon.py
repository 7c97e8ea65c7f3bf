"""Refresh tokens that end (issue 17, deliverable 7), on SQLite and PostgreSQL, against the
emulator's real OAuth server with the company's maximum life scaled down: the warning ahead of
the end (what it says, checked against the emulator's own end of the grant), the reconnect page
that clears it, and the end itself, which disconnects the connection as QuickBooks does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.core import catalog, reconnect
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.tokens import Tokens
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.dashboard.conftest import in_process_client
from tests.ledgerbridge.engine.conftest import emulator_later
from tests.ledgerbridge.tls import shared_tls

DAY = 86_400


@dataclass
class Rig:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    key_id: str
    secret: str

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        url = f"{self.emulator.url}/_emulator{path}"
        answer = httpx.request(method, url, json=body, verify=shared_tls())
        assert answer.is_success, answer.text
        return answer

    def company(self, **body: Any) -> str:
        realm: str = self.admin("POST", "/companies", {"name": "Harbor Tile", **body}).json()[
            "realm_id"
        ]
        return realm

    def connect(self, cid: str, realm: str) -> None:
        started = self.service.begin_connect(self.key_id, cid)
        query = approve(started.authorize_url, realm)
        self.service.complete_connect(query["state"], query["code"], realm, started.binding or "")

    def api(self) -> httpx.Client:
        client = in_process_client(create_app(self.service))
        client.headers["Authorization"] = f"Bearer {self.secret}"
        return client

    def refresh_expires_at(self, cid: str) -> Any:
        with self.ledger.db.session(readonly=True) as session:
            stored = Tokens(session).get(cid)
        assert stored is not None
        return stored.refresh_expires_at


def approve(authorize_url: str, realm: str) -> dict[str, str]:
    """The person approves `realm` on Intuit's page: the callback's query."""
    answer = httpx.get(f"{authorize_url}&realm_id={realm}&approve=true", verify=shared_tls())
    assert answer.status_code in (302, 303), answer.text
    query = parse_qs(urlparse(answer.headers["location"]).query)
    return {name: values[0] for name, values in query.items()}


@pytest.fixture
def rig(emulator: EmulatorServer, tmp_path: Path, database_url: str) -> Iterator[Rig]:
    environ = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_DATABASE_URL": database_url,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
    }
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    service = Service(ledger)
    key_id, secret = service.create_key("app")
    try:
        yield Rig(emulator, ledger, service, key_id, secret)
    finally:
        ledger.db.dispose()


@pytest.mark.failure_mode("connection.disconnected")
def test_warned_ahead_reconnected_from_the_page_then_ended(rig: Rig) -> None:
    realm = rig.company(refresh_token_max_life=20 * DAY)  # five years, scaled down to 20 days
    cid = rig.service.create_connection(rig.key_id, "Main office", "emulator").id
    rig.connect(cid, realm)

    # the token answer said 20 days: inside the 30 days of the warning
    ends = rig.refresh_expires_at(cid)
    family = rig.emulator.emulator.oauth
    claimed_end = time.time() + 20 * DAY
    assert family.realm_max_life(realm) == 20 * DAY
    assert abs(ends.timestamp() - claimed_end) < 60  # the emulator's own end of the grant
    with rig.api() as api:
        shown = api.get(f"/v1/connections/{cid}").json()
    assert shown["status"] == "active"  # a warning: syncing goes on
    problem = shown["problem"]
    assert problem["code"] == catalog.CONNECTION_RECONNECT_SOON
    date = reconnect.spoken_date(ends)
    assert problem["params"]["date"] == date
    assert (
        f"QuickBooks will stop accepting ledgerbridge's sign-in for this company on {date}; "
        "reconnect before then." in problem["meaning"]
    )
    link = problem["params"]["reconnect_url"]
    assert link.endswith(f"/v1/oauth/reconnect?realmId={realm}")
    assert link in problem["fix"][0] and problem["actions"] == ["reconnect"]
    assert pull_company(rig.ledger, cid).stopped is None  # the pass works and keeps the warning
    assert rig.service.connection(rig.key_id, cid).problem is not None

    # The person follows the link (Intuit's Reconnect URL); the company is back on five years
    rig.admin("PATCH", f"/companies/{realm}", {"refresh_token_max_life": None})
    with in_process_client(create_app(rig.service)) as browser:
        path = urlparse(link)
        started = browser.get(f"{path.path}?{path.query}")
        assert started.status_code == 302, started.text
        query = approve(started.headers["location"], realm)
        back = browser.get("/v1/oauth/callback", params=query)
    assert back.status_code == 200, back.text
    view = rig.service.connection(rig.key_id, cid)
    assert view.status == "active" and view.problem is None
    assert rig.refresh_expires_at(cid) - ends > timedelta(days=60)  # the new grant's 100 days

    # The end: QuickBooks refuses the refresh, the connection is disconnected
    rig.admin("PATCH", f"/companies/{realm}", {"refresh_token_max_life": 1})
    emulator_later(rig.emulator, 1.1)  # past the emulator's end of the grant, on its OAuth clock
    rig.admin("POST", "/tokens/expire", {"realm_id": realm})  # the next call must refresh
    assert family.apps_connected_to(realm) == []  # QuickBooks: the app is no longer connected
    assert pull_company(rig.ledger, cid).stopped == "disconnected"
    view = rig.service.connection(rig.key_id, cid)
    assert view.status == "disconnected"
    assert view.problem is None  # the status speaks, not the warning
    with rig.ledger.db.session(readonly=True) as session:
        kinds = [(e.type, e.payload.get("status")) for e in Events(session).list_after(cid)]
    assert ("connection.status_changed", "disconnected") in kinds


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("realmId=", 400),
        ("realmId=abc", 400),
        ("realmId=" + "1" * 33, 400),
        # not text (NUL, control characters): the same plain page, like the other sign-in pages
        ("realmId=1%00", 400),
        ("realmId=1%0A2", 400),
        ("realmId=%ED%A0%80", 400),
        ("realmId=%3Cscript%3Ealert(1)%3C/script%3E", 400),
        ("realmId=..%2F..%2Fetc", 400),
        ("realmId=-1", 400),
        ("realmId=9999999999", 404),  # a company nobody here holds
        ("realm_id=9999999999", 400),  # the parameter is realmId
    ],
)
def test_the_reconnect_page_answers_hostile_links_with_a_plain_page(
    rig: Rig, query: str, status: int
) -> None:
    with in_process_client(create_app(rig.service)) as browser:
        answer = browser.get(f"/v1/oauth/reconnect?{query}")
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in answer.headers
    assert "<script>" not in answer.text


def test_the_reconnect_page_leaves_a_working_connection_alone(rig: Rig) -> None:
    """Anyone can open the page with any realmId: a connection that needs nothing answers as
    an unknown company does, and its sign-in under way is not replaced."""
    realm = rig.company()
    cid = rig.service.create_connection(rig.key_id, "Main office", "emulator").id
    rig.connect(cid, realm)
    under_way = rig.service.begin_connect(rig.key_id, cid)
    with in_process_client(create_app(rig.service)) as browser:
        answer = browser.get(f"/v1/oauth/reconnect?realmId={realm}")
        unknown = browser.get("/v1/oauth/reconnect?realmId=9999999998")
    assert answer.status_code == 404 and "set-cookie" not in answer.headers
    assert answer.text == unknown.text  # the page does not tell which companies are here
    query = approve(under_way.authorize_url, realm)
    rig.service.complete_connect(query["state"], query["code"], realm, under_way.binding or "")
    assert rig.service.connection(rig.key_id, cid).status == "active"


def test_a_reconnect_from_the_page_keeps_the_company_or_changes_nothing(rig: Rig) -> None:
    """A stranger who opens the page and signs in to their own company does not make the
    connection `wrong_company`: that grant is revoked and nothing changes."""
    realm = rig.company(refresh_token_max_life=10 * DAY)
    cid = rig.service.create_connection(rig.key_id, "Main office", "emulator").id
    rig.connect(cid, realm)
    before = rig.service.connection(rig.key_id, cid)
    assert before.problem is not None and before.problem.code == catalog.CONNECTION_RECONNECT_SOON
    theirs = rig.company(name="Stranger's Books")
    with in_process_client(create_app(rig.service)) as browser:
        started = browser.get(f"/v1/oauth/reconnect?realmId={realm}")
        assert started.status_code == 302
        query = approve(started.headers["location"], theirs)
        back = browser.get("/v1/oauth/callback", params=query)
    assert back.status_code == 400 and "nothing was changed" in back.text
    after = rig.service.connection(rig.key_id, cid)
    assert (after.status, after.realm_id) == ("active", realm)
    assert after.problem is not None and after.problem.code == catalog.CONNECTION_RECONNECT_SOON
    assert rig.emulator.emulator.oauth.apps_connected_to(theirs) == []  # revoked at Intuit
