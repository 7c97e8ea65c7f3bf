"""Webhook notifications: payload shapes, signatures, batching, retries, hold-back, flush, stop.

Deliveries go over real HTTP to small ``ThreadingHTTPServer`` receivers on 127.0.0.1; retry
timing uses a tiny ``time_scale`` or an injected clock, so the module runs in a few seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from quickbooks import QuickBooks

import qbo_emulator.webhooks.dispatcher as dispatcher_module
from qbo_emulator.webhooks import (
    RETRY_SCHEDULE,
    ChangeEvent,
    Operation,
    WebhookDispatcher,
    WebhookFormat,
    WebhookTarget,
    cloudevents_payload,
    legacy_payload,
    retry_delay,
    sign,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
TOKEN = "verifier-token-0123456789"


# -- helpers ------------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for handlers still answering


class Receiver:
    """An HTTP endpoint recording every POST; can fail the next N requests or answer slowly."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.fail_next = 0
        self.fail_status = 500
        self.slow_next = 0
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 200
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        status = receiver.fail_status
                    delay = 0.0
                    if receiver.slow_next > 0:
                        receiver.slow_next -= 1
                        delay = receiver.delay
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.requests.append(Received(headers, body, status, time.monotonic()))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the dispatcher gave up waiting
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.002)


def wait_for_attempts(d: WebhookDispatcher, count: int) -> None:
    wait_until(lambda: len(d.deliveries()) >= count)


def event(
    entity_id: str = "1",
    *,
    realm: str = "1185883450",
    entity: str = "Customer",
    operation: Operation = "Create",
    deleted_id: str | None = None,
) -> ChangeEvent:
    moment = datetime(2015, 10, 5, 14, 42, 19, tzinfo=PACIFIC)
    return ChangeEvent(realm, entity, entity_id, operation, moment, deleted_id)


def target(url: str, fmt: WebhookFormat = "legacy", client_id: str = "app-1") -> WebhookTarget:
    return WebhookTarget(client_id=client_id, url=url, verifier_token=TOKEN, format=fmt)


def entity_ids(request: Received) -> list[str]:
    payload = request.json()
    if isinstance(payload, list):
        return [e["intuitentityid"] for e in payload]
    return [
        e["id"] for n in payload["eventNotifications"] for e in n["dataChangeEvent"]["entities"]
    ]


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def receiver(receivers: Callable[[], Receiver]) -> Receiver:
    return receivers()


@pytest.fixture
def dispatchers() -> Iterator[Callable[..., WebhookDispatcher]]:
    made: list[WebhookDispatcher] = []

    def make(**kwargs: Any) -> WebhookDispatcher:
        kwargs.setdefault("batch_window", 0.01)
        kwargs.setdefault("time_scale", 0.001)
        made.append(WebhookDispatcher(**kwargs))
        made[-1].start()
        return made[-1]

    yield make
    for d in made:
        d.stop()


# -- payloads -----------------------------------------------------------------------------


def test_sign_is_base64_hmac_sha256_and_python_quickbooks_accepts_it() -> None:
    body = b'{"eventNotifications":[]}'
    expected = base64.b64encode(hmac.new(TOKEN.encode(), body, hashlib.sha256).digest())
    assert sign(body, TOKEN) == expected.decode()
    qb = QuickBooks(minorversion=75)
    assert qb.validate_webhook_signature(body.decode(), sign(body, TOKEN), TOKEN)
    assert not qb.validate_webhook_signature(body.decode(), sign(body, "other"), TOKEN)


def test_legacy_payload_matches_intuit_sample() -> None:
    winter = datetime(2016, 1, 15, 9, 0, 0, tzinfo=PACIFIC)
    events = [
        event("1"),
        event("7", realm="99", entity="Invoice", operation="Update"),
        event("27", operation="Merge", deleted_id="12"),
        ChangeEvent("99", "Invoice", "8", "Delete", winter, deleted_id="ignored"),
    ]
    assert legacy_payload(events) == {
        "eventNotifications": [
            {
                "realmId": "1185883450",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Customer",
                            "id": "1",
                            "operation": "Create",
                            "lastUpdated": "2015-10-05T14:42:19-0700",
                        },
                        {
                            "name": "Customer",
                            "id": "27",
                            "operation": "Merge",
                            "lastUpdated": "2015-10-05T14:42:19-0700",
                            "deletedId": "12",
                        },
                    ]
                },
            },
            {
                "realmId": "99",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Invoice",
                            "id": "7",
                            "operation": "Update",
                            "lastUpdated": "2015-10-05T14:42:19-0700",
                        },
                        {
                            "name": "Invoice",
                            "id": "8",
                            "operation": "Delete",
                            "lastUpdated": "2016-01-15T09:00:00-0800",
                        },
                    ]
                },
            },
        ]
    }


def test_cloudevents_payload_shape() -> None:
    ops: list[tuple[Operation, str]] = [
        ("Create", "created"),
        ("Update", "updated"),
        ("Delete", "deleted"),
        ("Merge", "merged"),
        ("Void", "voided"),
        ("Emailed", "emailed"),
    ]
    events = [event(str(i), entity="JournalEntry", operation=op) for i, (op, _) in enumerate(ops)]
    events.append(event("27", operation="Merge", deleted_id="12"))
    events.append(event("5", realm="42"))
    payload = cloudevents_payload(events)
    assert len(payload) == len(events)
    for item, (_, verb) in zip(payload, ops, strict=False):
        assert item["type"] == f"qbo.journalentry.{verb}.v1"
    first = payload[0]
    assert set(first) == {
        "specversion",
        "id",
        "source",
        "type",
        "datacontenttype",
        "time",
        "intuitentityid",
        "intuitaccountid",
        "data",
    }
    assert first["specversion"] == "1.0"
    assert uuid.UUID(first["id"]).version == 4
    assert first["source"].startswith("intuit.") and len(first["source"]) > len("intuit.")
    assert first["datacontenttype"] == "application/json"
    assert first["time"] == "2015-10-05T21:42:19.000Z"
    assert (first["intuitentityid"], first["intuitaccountid"]) == ("0", "1185883450")
    assert first["data"] == {}
    assert payload[3]["data"] == {}  # a merge without a deleted id
    assert payload[6]["type"] == "qbo.customer.merged.v1"
    assert payload[6]["data"] == {"deletedid": "12"}
    assert len({item["id"] for item in payload}) == len(payload)
    assert payload[0]["source"] == cloudevents_payload([event()])[0]["source"]  # stable
    assert payload[7]["source"] != payload[0]["source"]  # one per company
    assert payload[7]["intuitaccountid"] == "42"


def test_change_event_validation() -> None:
    naive = datetime(2015, 10, 5, 14, 42, 19)
    with pytest.raises(ValueError, match="timezone-aware"):
        ChangeEvent("1", "Customer", "1", "Create", naive)
    with pytest.raises(ValueError, match="operation"):
        ChangeEvent("1", "Customer", "1", "Upsert", naive.replace(tzinfo=UTC))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format"):
        WebhookTarget("c", "http://x", "t", "xml")  # type: ignore[arg-type]
    offset = timezone(timedelta(hours=5, minutes=30))
    stamp = legacy_payload([ChangeEvent("1", "Item", "3", "Void", naive.replace(tzinfo=offset))])
    assert stamp["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["lastUpdated"] == (
        "2015-10-05T14:42:19+0530"
    )


def test_retry_delay_follows_intuit_schedule() -> None:
    minutes, hours = 60.0, 3600.0
    expected = [10, 20, 30, 5 * minutes, 20 * minutes, 2 * hours, 4 * hours, 6 * hours]
    assert [retry_delay(n) for n in range(1, 9)] == expected
    assert tuple(expected) == RETRY_SCHEDULE
    assert retry_delay(9) == retry_delay(50) == 6 * hours
    with pytest.raises(ValueError):
        retry_delay(0)


# -- delivery over HTTP ---------------------------------------------------------------------


def test_signed_legacy_notification_with_headers_and_several_realms(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(batch_window=0.05)
    t = target(receiver.url)
    for e in [event("1"), event("2", realm="77"), event("3"), event("4", realm="77")]:
        d.publish(t, e)
    wait_until(lambda: d.pending() == 0)
    (request,) = receiver.received()
    h = request.headers
    assert h["content-type"] == "application/json; charset=utf-8"
    assert h["intuit-notification-schema-version"] == "0.1"
    assert h["user-agent"] == "intuit_notification_server/0.1"
    assert uuid.UUID(h["intuit-t-id"])
    created = datetime.fromisoformat(h["intuit-created-time"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    digest = hmac.new(TOKEN.encode(), request.body, hashlib.sha256).digest()
    assert base64.b64decode(h["intuit-signature"]) == digest
    qb = QuickBooks(minorversion=75)
    assert qb.validate_webhook_signature(request.body.decode(), h["intuit-signature"], TOKEN)
    notifications = request.json()["eventNotifications"]
    assert [n["realmId"] for n in notifications] == ["1185883450", "77"]
    assert [[e["id"] for e in n["dataChangeEvent"]["entities"]] for n in notifications] == [
        ["1", "3"],
        ["2", "4"],
    ]
    (entry,) = d.deliveries()
    assert entry["client_id"] == "app-1" and entry["url"] == receiver.url
    assert (entry["attempt"], entry["status"], entry["error"]) == (1, 200, None)
    assert entry["delivered"] is True and entry["events"] == 4
    assert entry["body"] == request.body.decode()
    assert datetime.fromisoformat(entry["at"]).tzinfo is not None


def test_cloudevents_notification_over_http(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers()
    d.publish(target(receiver.url, "cloudevents"), event("27", operation="Merge", deleted_id="12"))
    assert d.flush(timeout=3)
    (request,) = receiver.received()
    assert request.headers["intuit-signature"] == sign(request.body, TOKEN)
    (item,) = request.json()
    assert item["type"] == "qbo.customer.merged.v1"
    assert item["data"] == {"deletedid": "12"}
    assert item["intuitentityid"] == "27"


def test_burst_is_batched_into_few_posts_in_order(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(batch_window=0.1)
    t = target(receiver.url)
    for i in range(200):
        d.publish(t, event(str(i), realm=f"r{i % 3}"))
    assert d.pending() == 200
    wait_until(lambda: d.pending() == 0)
    requests = receiver.received()
    assert 1 <= len(requests) <= 3
    ids = [i for r in requests for i in entity_ids(r)]
    assert sorted(ids, key=int) == [str(i) for i in range(200)]
    for r in requests:  # per realm, in publish order
        for n in r.json()["eventNotifications"]:
            got = [int(e["id"]) for e in n["dataChangeEvent"]["entities"]]
            assert got == sorted(got)


def test_retry_schedule_with_injected_clock(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    clock = FakeClock()
    d = dispatchers(clock=clock, batch_window=0, time_scale=1.0)
    t = target(receiver.url)
    receiver.fail_next = 10
    d.publish(t, event("0"))
    wait_until(lambda: len(d.deliveries()) == 1)
    wakes = 0
    for failures in range(1, 11):
        due = clock.now + retry_delay(failures)
        if failures <= 5:  # not a moment early
            clock.now = due - 0.5
            wakes += 1
            d.publish(t, event(f"w{wakes}"))  # wakes the worker; held back behind the head
            time.sleep(0.03)
            assert len(d.deliveries()) == failures
        clock.now = due
        wakes += 1
        d.publish(t, event(f"w{wakes}"))
        wait_for_attempts(d, failures + 1)
    wait_until(lambda: d.pending() == 0)
    log = d.deliveries()
    assert [e["attempt"] for e in log[:11]] == list(range(1, 12))
    assert [e["status"] for e in log[:11]] == [500] * 10 + [200]
    assert all(e["events"] == 1 and e["body"] == log[0]["body"] for e in log[:11])
    (last,) = log[11:]
    assert (last["attempt"], last["delivered"], last["events"]) == (1, True, wakes)
    assert entity_ids(receiver.received()[-1]) == [f"w{i}" for i in range(1, wakes + 1)]


def test_failed_notification_is_retried_on_scaled_schedule(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(time_scale=0.002, batch_window=0)
    receiver.fail_next = 3
    d.publish(target(receiver.url), event("1"))
    wait_until(lambda: d.pending() == 0)
    log = d.deliveries()
    assert [(e["attempt"], e["status"], e["delivered"]) for e in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 500, False),
        (4, 200, True),
    ]
    assert all("HTTP 500" in e["error"] for e in log[:3])
    times = [datetime.fromisoformat(e["at"]) for e in log]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    for gap, delay in zip(gaps, RETRY_SCHEDULE, strict=False):
        assert delay * 0.002 - 0.002 <= gap < 2.0
    requests = receiver.received()
    assert len({r.body for r in requests}) == 1  # the same notification, re-sent
    assert len({r.headers["intuit-signature"] for r in requests}) == 1


def test_later_events_wait_behind_failing_head_but_other_targets_do_not(
    receivers: Callable[[], Receiver], dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    failing, healthy = receivers(), receivers()
    d = dispatchers(time_scale=0.01, batch_window=0.01)
    a, b = target(failing.url, client_id="a"), target(healthy.url, "cloudevents", client_id="b")
    failing.fail_next = 2
    d.publish(a, event("a1"))
    wait_until(lambda: len(failing.received()) == 1)
    d.publish(a, event("a2"))
    d.publish(a, event("a3"))
    d.publish(b, event("b1"))
    wait_until(lambda: d.pending("b") == 0)
    assert d.pending("a") == 3
    wait_until(lambda: d.pending() == 0)
    got = failing.received()
    assert [entity_ids(r) for r in got] == [["a1"], ["a1"], ["a1"], ["a2", "a3"]]
    assert [r.status for r in got] == [500, 500, 200, 200]
    assert healthy.received()[0].at < got[2].at
    assert [e["attempt"] for e in d.deliveries("a")] == [1, 2, 3, 1]


def test_slow_answer_counts_as_failure(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(timeout=0.1, batch_window=0)
    receiver.slow_next, receiver.delay = 1, 0.4
    d.publish(target(receiver.url), event("1"))
    wait_until(lambda: d.pending() == 0)
    first, second = d.deliveries()
    assert (first["status"], first["delivered"]) == (None, False)
    assert "timeout" in first["error"]
    assert (second["attempt"], second["status"], second["delivered"]) == (2, 200, True)


@pytest.mark.parametrize("status", [201, 204, 404, 503])
def test_only_200_acknowledges(
    status: int, receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(batch_window=0)
    receiver.fail_next, receiver.fail_status = 1, status
    d.publish(target(receiver.url), event("1"))
    wait_until(lambda: d.pending() == 0)
    assert [(e["status"], e["delivered"]) for e in d.deliveries()] == [
        (status, False),
        (200, True),
    ]


def test_flush_skips_batch_window_and_retry_waits(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(batch_window=30.0, time_scale=1.0)
    receiver.fail_next = 2
    for i in range(3):
        d.publish(target(receiver.url), event(str(i)))
    time.sleep(0.05)
    assert receiver.received() == [] and d.pending() == 3
    started = time.monotonic()
    assert d.flush(timeout=3)
    assert time.monotonic() - started < 2
    assert [r.status for r in receiver.received()] == [500, 500, 200]
    assert entity_ids(receiver.received()[-1]) == ["0", "1", "2"]
    assert d.pending() == 0


def test_flush_gives_up_on_dead_endpoint_and_clear_drops_events(
    dispatchers: Callable[..., WebhookDispatcher],
) -> None:
    d = dispatchers(time_scale=1.0)
    d.publish(target(dead_url()), event("1"))
    assert d.flush(timeout=0.2) is False
    assert d.pending() == 1
    log = d.deliveries()
    assert 1 <= len(log) <= 30
    assert all(e["status"] is None and e["error"] and not e["delivered"] for e in log)
    d.clear("someone-else")
    assert d.pending() == 1
    d.clear("app-1")
    assert d.pending() == 0 and d.pending("app-1") == 0
    assert d.flush(timeout=1)


def test_pending_and_deliveries_filter_by_client(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(batch_window=30.0)
    d.publish(target(receiver.url, client_id="x"), event("1"))
    d.publish(target(receiver.url, client_id="y"), event("2"))
    d.publish(target(receiver.url, client_id="y"), event("3"))
    assert (d.pending(), d.pending("x"), d.pending("y"), d.pending("z")) == (3, 1, 2, 0)
    assert d.flush()
    assert [e["events"] for e in d.deliveries("y")] == [2]
    assert len(d.deliveries()) == 2 and d.deliveries("z") == []


def test_settings_can_change_at_run_time(
    receiver: Receiver, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    d = dispatchers(batch_window=100.0, time_scale=1000.0)
    d.publish(target(receiver.url), event("1"))
    time.sleep(0.03)
    assert receiver.received() == []
    receiver.fail_next = 1
    d.batch_window = 0
    wait_until(lambda: len(receiver.received()) == 1)
    time.sleep(0.03)
    assert d.pending() == 1  # next retry is 10 s x 1000 away
    d.time_scale = 0.001
    wait_until(lambda: d.pending() == 0)
    assert d.time_scale == 0.001 and d.batch_window == 0
    with pytest.raises(ValueError):
        d.time_scale = -1


def test_start_is_idempotent_and_stop_is_clean(receiver: Receiver) -> None:
    def workers() -> int:
        return sum(t.name == "qbo-webhooks" and t.is_alive() for t in threading.enumerate())

    before = workers()
    d = WebhookDispatcher(batch_window=0)
    d.start()
    d.start()
    assert workers() == before + 1
    started = time.monotonic()
    d.stop()
    assert time.monotonic() - started < 1
    assert workers() == before
    d.stop()
    d.publish(target(receiver.url), event("1"))  # queued while stopped
    assert d.flush(timeout=0.1) is False and d.pending() == 1
    d.start()
    try:
        assert d.flush(timeout=3)
        assert len(receiver.received()) == 1
    finally:
        d.stop()


def test_worker_survives_unexpected_errors(dispatchers: Callable[..., WebhookDispatcher]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return httpx.Response(200)

    d = dispatchers(transport=httpx.MockTransport(handler), batch_window=0)
    d.publish(target("http://receiver.test/hook"), event("1"))
    wait_until(lambda: d.pending() == 0)
    first, second = d.deliveries()
    assert first["error"] == "RuntimeError: boom" and first["status"] is None
    assert second["delivered"] is True
    assert calls[1].headers["intuit-signature"] == sign(calls[1].content, TOKEN)


def test_delivery_log_is_bounded(
    monkeypatch: pytest.MonkeyPatch, dispatchers: Callable[..., WebhookDispatcher]
) -> None:
    monkeypatch.setattr(dispatcher_module, "DELIVERY_LOG_LIMIT", 5)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500)

    d = dispatchers(transport=httpx.MockTransport(handler), batch_window=0, time_scale=0.00001)
    d.publish(target("http://receiver.test/hook"), event("1"))
    wait_until(lambda: len(calls) >= 7)
    log = d.deliveries()
    assert len(log) == 5
    attempts = [e["attempt"] for e in log]
    assert attempts == list(range(attempts[0], attempts[0] + 5)) and attempts[0] > 1
