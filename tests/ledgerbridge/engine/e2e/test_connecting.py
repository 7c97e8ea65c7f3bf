"""Signing in with Intuit (issue 13, failure 5), on SQLite and PostgreSQL, against the emulator's
real OAuth server: a state works once, for the browser that started it, for minutes; the company
is the one the grant proves; a grant that is not kept is revoked; a state that is not text is
the callback's 400 page, not a 500.

The ledger's HTTP transport is the real network with a `Recorder` in front, which notes the
token endpoint's answers (so a test can try a refresh token ledgerbridge dropped) and can hold
code exchanges at a barrier (so two callbacks reach the exchange together, if they can).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.adapters.qbo import Disconnected, oauth
from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.connecting import STATE_LIFETIME, Consent
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.tokens import Tokens
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.dashboard.conftest import in_process_client
from tests.ledgerbridge.tls import shared_tls

EXCHANGE = "/oauth2/v1/tokens/bearer"


class Recorder(httpx.BaseTransport):
    """The real network; token answers are noted, and exchanges wait at `barrier` when set
    (for at most a few seconds: a party that never comes only delays the one waiting, unless
    the test aborts the barrier once that party is done)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport(verify=shared_tls())  # the CA bundle loaded once
        self.grants: list[dict[str, Any]] = []
        self.barrier: threading.Barrier | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange = request.url.path == EXCHANGE and b"authorization_code" in request.read()
        if exchange and self.barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=5)
        response = self._inner.handle_request(request)
        if request.url.path == EXCHANGE:
            response.read()
            if response.is_success:
                self.grants.append(response.json())
        return response

    def close(self) -> None:
        self._inner.close()


@dataclass
class Rig:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    recorder: Recorder
    key_id: str

    def connection(self) -> str:
        return self.service.create_connection(self.key_id, "Main office", "emulator").id

    def company(self, name: str = "Company") -> str:
        url = f"{self.emulator.url}/_emulator/companies"
        made = httpx.post(url, json={"name": name}, timeout=30, verify=shared_tls())
        realm: str = made.json()["realm_id"]
        return realm

    def consent(self, started: Consent, realm_id: str) -> dict[str, str]:
        """The person approves `realm_id` on Intuit's page: the callback's query."""
        url = f"{started.authorize_url}&realm_id={realm_id}&approve=true"
        answer = httpx.get(url, verify=shared_tls())
        assert answer.status_code in (302, 303), answer.text
        query = parse_qs(urlparse(answer.headers["location"]).query)
        return {name: values[0] for name, values in query.items()}

    def refresh_works(self, refresh_token: str) -> bool:
        app = self.ledger.app("emulator")
        try:
            oauth.refresh(
                self.ledger.endpoints("emulator"),
                app.client_id,
                app.client_secret.value,
                refresh_token,
            )
        except Disconnected:
            return False
        return True

    def stored_refresh_token(self, connection_id: str) -> str:
        with self.ledger.db.session(readonly=True) as session:
            stored = Tokens(session).get(connection_id)
        assert stored is not None
        return self.ledger.cipher.decrypt(stored.refresh_token)


@pytest.fixture
def rig(emulator: EmulatorServer, tmp_path: Path, database_url: str) -> Iterator[Rig]:
    environ = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_DATABASE_URL": database_url,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
    }
    recorder = Recorder()
    ledger = build(load_settings(environ, data_dir=tmp_path), transport=recorder)
    ledger.db.migrate()
    service = Service(ledger)
    try:
        yield Rig(emulator, ledger, service, recorder, service.create_key("app")[0])
    finally:
        ledger.db.dispose()
        recorder.close()


def test_two_callbacks_racing_for_one_state_only_one_wins(rig: Rig) -> None:
    cid = rig.connection()
    started = rig.service.begin_connect(rig.key_id, cid)
    realm = rig.company()
    # Intuit's page approved twice (a double click, a replayed URL): two codes, one state
    callbacks = [rig.consent(started, realm), rig.consent(started, realm)]
    barrier = rig.recorder.barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def callback(query: dict[str, str]) -> None:
        try:
            rig.service.complete_connect(
                query["state"], query["code"], query["realmId"], started.binding or ""
            )
        except Invalid as invalid:
            outcomes.append(f"refused {invalid.problems[0].field}")
        else:
            outcomes.append("connected")
        finally:
            # a callback that is over will not reach the exchange: the other stops waiting
            # for it (both reaching the exchange still meet there first)
            barrier.abort()

    threads = [threading.Thread(target=callback, args=(query,)) for query in callbacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["connected", "refused state"]
    assert len(rig.recorder.grants) == 1  # the loser's code was never exchanged: no grant lost
    assert rig.service.connection(rig.key_id, cid).status == "active"


def test_a_second_callback_for_a_used_state_changes_nothing(rig: Rig) -> None:
    cid = rig.connection()
    started = rig.service.begin_connect(rig.key_id, cid)
    realm = rig.company()
    first, second = rig.consent(started, realm), rig.consent(started, realm)
    rig.service.complete_connect(first["state"], first["code"], realm, started.binding or "")
    kept = rig.stored_refresh_token(cid)
    with pytest.raises(Invalid) as refused:
        rig.service.complete_connect(second["state"], second["code"], realm, started.binding or "")
    assert refused.value.problems[0].field == "state"
    assert rig.stored_refresh_token(cid) == kept
    assert len(rig.recorder.grants) == 1


def test_a_state_expires_minutes_after_it_was_made(rig: Rig) -> None:
    cid = rig.connection()
    started = rig.service.begin_connect(rig.key_id, cid)
    query = rig.consent(started, rig.company())
    later = datetime.now(UTC) + STATE_LIFETIME
    rig.ledger.clock = lambda: later
    with pytest.raises(Invalid) as refused:
        rig.service.complete_connect(
            query["state"], query["code"], query["realmId"], started.binding or ""
        )
    assert refused.value.problems[0].field == "state"
    assert rig.service.connection(rig.key_id, cid).status == "not_connected"
    assert rig.recorder.grants == []


def test_a_state_is_good_only_with_the_secret_of_the_browser_that_started_it(rig: Rig) -> None:
    cid = rig.connection()
    started = rig.service.begin_connect(rig.key_id, cid)
    query = rig.consent(started, rig.company())
    for stranger in ("", "another browser's secret"):
        with pytest.raises(Invalid):
            rig.service.complete_connect(query["state"], query["code"], query["realmId"], stranger)
    assert rig.service.connection(rig.key_id, cid).status == "not_connected"
    # the attempts used nothing up: the person who started still connects
    rig.service.complete_connect(
        query["state"], query["code"], query["realmId"], started.binding or ""
    )
    assert rig.service.connection(rig.key_id, cid).status == "active"


def test_a_state_belongs_to_its_connection_and_a_new_one_replaces_it(rig: Rig) -> None:
    cid, other = rig.connection(), rig.connection()
    first = rig.service.begin_connect(rig.key_id, cid)
    rig.service.begin_connect(rig.key_id, other)  # another connection's sign-in leaves it be
    again = rig.service.begin_connect(rig.key_id, cid)
    realm = rig.company()
    stale = rig.consent(first, realm)
    with pytest.raises(Invalid):
        rig.service.complete_connect(stale["state"], stale["code"], realm, first.binding or "")
    fresh = rig.consent(again, realm)
    view = rig.service.complete_connect(fresh["state"], fresh["code"], realm, again.binding or "")
    assert (view.id, view.status) == (cid, "active")
    assert rig.service.connection(rig.key_id, other).status == "not_connected"


def test_a_link_for_a_script_binds_the_first_browser_that_opens_it_once(rig: Rig) -> None:
    cid = rig.connection()
    link = rig.service.connect_link(rig.key_id, cid)
    state = parse_qs(urlparse(link).query)["state"][0]
    opened = rig.service.bind_connect(state)
    assert opened is not None and opened.binding
    assert rig.service.bind_connect(state) is None  # a second browser gets nothing
    query = rig.consent(opened, rig.company())
    view = rig.service.complete_connect(state, query["code"], query["realmId"], opened.binding)
    assert view.status == "active"


def test_the_company_is_the_one_the_grant_proves_not_the_links_realm(rig: Rig) -> None:
    cid = rig.connection()
    started = rig.service.begin_connect(rig.key_id, cid)
    granted, named = rig.company("Granted Co"), rig.company("Named Co")
    query = rig.consent(started, granted)  # the person chose `granted` at Intuit ...
    view = rig.service.complete_connect(
        query["state"], query["code"], named, started.binding or ""
    )  # ... and the link was edited to name another company
    assert (view.status, view.realm_id, view.company_name) == ("active", granted, "Granted Co")


def test_a_grant_for_another_company_than_the_connections_is_revoked(rig: Rig) -> None:
    cid = rig.connection()
    first = rig.service.begin_connect(rig.key_id, cid)
    realm = rig.company("Original")
    query = rig.consent(first, realm)
    rig.service.complete_connect(query["state"], query["code"], realm, first.binding or "")
    kept = rig.stored_refresh_token(cid)

    again = rig.service.begin_connect(rig.key_id, cid)
    query = rig.consent(again, rig.company("Another"))
    view = rig.service.complete_connect(
        query["state"], query["code"], query["realmId"], again.binding or ""
    )
    assert view.status == "wrong_company"
    dropped = rig.recorder.grants[-1]["refresh_token"]
    assert not rig.refresh_works(dropped)  # revoked at Intuit, not left alive
    assert rig.stored_refresh_token(cid) == kept and rig.refresh_works(kept)


def test_reconnecting_the_same_company_goes_on_with_the_new_grant(rig: Rig) -> None:
    """Intuit keeps one connection per app and company: revoking the earlier token would end
    the new one too, so it is not revoked; the new grant is stored and works."""
    cid = rig.connection()
    realm = rig.company()
    for _ in range(2):
        started = rig.service.begin_connect(rig.key_id, cid)
        query = rig.consent(started, realm)
        rig.service.complete_connect(query["state"], query["code"], realm, started.binding or "")
    assert rig.service.connection(rig.key_id, cid).status == "active"
    assert rig.refresh_works(rig.stored_refresh_token(cid))


@pytest.mark.parametrize("state", ["a%00b", "%ED%A0%80", "bad%01state", "a%0Ab"])
def test_a_state_that_is_not_text_is_the_callbacks_400_page(rig: Rig, state: str) -> None:
    rig.connection()
    client = in_process_client(create_app(rig.service))
    for path in ("/v1/oauth/callback", "/v1/oauth/start"):
        answer = client.get(f"{path}?state={state}&code=c&realmId=1")
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert "Not connected" in answer.text
