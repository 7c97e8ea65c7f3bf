"""Events reach the app's URL signed, in order, and are marked delivered only on a 2xx."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledgerbridge.engine.notify import SIGNATURE_HEADER, deliver_events
from ledgerbridge.engine.pull import pull_company
from tests.ledgerbridge.engine.conftest import World


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.signatures: list[str] = []
        self.fail = 0


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.fail:
                state.fail -= 1
                self.send_response(503)
            else:
                state.bodies.append(body)
                state.signatures.append(self.headers[SIGNATURE_HEADER])
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # serve_forever's poll (default half a second) is how long shutdown() waits
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.in_process(
    "deliveries are driven by hand here; workers send each job's events themselves "
    "(tests/ledgerbridge/dispatch/test_jobs.py)"
)
def test_events_are_signed_and_delivered_once(world: World, receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    service = world.service
    service.update_settings(world.key_id, world.connection_id, {"events_url": url})
    secret = service.connection(world.key_id, world.connection_id).settings["events_secret"]
    pull_company(world.ledger, world.connection_id)
    service.put_record(world.key_id, world.connection_id, "customer", "c1", {"display_name": "Eve"})
    world.sync()

    state.fail = 1
    assert deliver_events(world.ledger, world.connection_id) == 0  # 503: kept for later
    delivered = deliver_events(world.ledger, world.connection_id)
    assert delivered >= 1
    assert deliver_events(world.ledger, world.connection_id) == 0  # nothing left

    body = state.bodies[0]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert state.signatures[0] == expected
    events = json.loads(body)["events"]
    assert [e["type"] for e in events] == ["connection.status_changed", "record.synced"]
    assert events[1]["payload"]["id"] == "c1"
    feed = service.events(world.key_id, world.connection_id)
    assert [e["id"] for e in feed] == [e["id"] for e in events]


def test_bad_events_url_is_refused_naming_the_setting(world: World) -> None:
    from ledgerbridge.engine.errors import Invalid

    with pytest.raises(Invalid) as exc:
        world.service.update_settings(world.key_id, world.connection_id, {"events_url": "ftp://x"})
    assert exc.value.problems[0].field == "settings.events_url"
