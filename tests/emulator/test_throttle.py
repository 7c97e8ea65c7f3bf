"""Throttling: requests per minute per company, requests in flight per company and app, batch
requests per minute; 429 with fault 3001 over any limit. The real defaults are checked, then
lowered through the admin API so that the limits are reached quickly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer

from qbo_emulator.faults import QBOFault
from qbo_emulator.model.store import Throttle
from qbo_emulator.server import EmulatorServer
from qbo_emulator.testing import HeldLatency
from qbo_emulator.throttle import Limiter
from tests.emulator.api_helpers import fault
from tests.emulator.conftest import Admin, Connection


def assert_throttled(response: requests.Response) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["Fault"]["type"] == "SERVICE"
    error = fault(response)
    assert error["code"] == "3001"
    assert "ThrottleExceeded" in error["Message"]
    assert error["Detail"] == "The request limit was reached.  Try again later"


def test_real_defaults(conn: Connection, admin: Admin) -> None:
    summary = admin.call("GET", f"/companies/{conn.realm_id}").json()
    assert summary["throttle"] == {
        "requests_per_minute": 500,
        "concurrent": 10,
        "batch_per_minute": 40,
        "window_seconds": 60.0,
    }
    assert summary["throttle_refused"] == 0


def test_requests_per_minute(connect: Callable[..., Connection], admin: Admin) -> None:
    conn = connect(name="Busy")
    other = connect(name="Quiet")
    admin.patch_company(conn.realm_id, {"throttle": {"requests_per_minute": 5}})
    admin.patch_company(other.realm_id, {"throttle": {"requests_per_minute": 5}})
    # Connecting made no API call: five requests are admitted, the sixth is not.
    answers = [conn.get("companyinfo/" + conn.realm_id) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert_throttled(conn.get("customer/1"))
    assert_throttled(conn.query("SELECT * FROM Customer"))
    with pytest.raises(ValidationException) as raised:
        Customer.all(qb=conn.qb)
    assert raised.value.error_code == 3001

    # Refused requests do not count, and the other company has its own window.
    assert other.query("SELECT COUNT(*) FROM Account").status_code == 200

    # Every refusal is counted, for the company refused only.
    assert admin.call("GET", f"/companies/{conn.realm_id}").json()["throttle_refused"] == 3
    assert admin.call("GET", f"/companies/{other.realm_id}").json()["throttle_refused"] == 0

    # null switches the limit off.
    admin.patch_company(conn.realm_id, {"throttle": {"requests_per_minute": None}})
    assert all(conn.get("companyinfo/" + conn.realm_id).status_code == 200 for _ in range(10))
    summary = admin.call("GET", f"/companies/{conn.realm_id}").json()
    assert summary["throttle"]["requests_per_minute"] is None


def test_requests_per_minute_through_python_quickbooks(conn: Connection, admin: Admin) -> None:
    admin.patch_company(conn.realm_id, {"throttle": {"requests_per_minute": 3}})
    outcomes: list[int] = []
    for _ in range(6):
        try:
            Customer.count(qb=conn.qb)
            outcomes.append(200)
        except ValidationException as exc:
            outcomes.append(exc.error_code)
    assert outcomes.count(3001) >= 3
    assert outcomes[-1] == 3001


def test_concurrent_requests(
    connect: Callable[..., Connection],
    admin: Admin,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn = connect(name="Crowded")
    second_app = connect(realm_id=conn.realm_id)
    # the ten are held until the eleventh and the other app's request have been answered
    # (their latency only bounds the hold): none has ended when the eleventh arrives, however
    # busy the machine, and none is held longer than that
    held_requests = HeldLatency()
    monkeypatch.setattr(emulator.emulator, "latency", held_requests.wait)
    slow = admin.call(
        "POST",
        f"/companies/{conn.realm_id}/faults",
        {"match": {"method": "GET"}, "times": None, "action": {"latency_ms": 60_000}},
    )
    assert slow.status_code == 201
    limiter = emulator.emulator.limiter
    key = (conn.realm_id, conn.app["client_id"])
    sessions = [requests.Session() for _ in range(10)]
    try:

        def hold(session: requests.Session) -> int:
            url = conn.url(f"companyinfo/{conn.realm_id}")
            return session.get(url, headers=conn.headers(), timeout=90).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            held = [pool.submit(hold, s) for s in sessions]
            try:
                deadline = time.monotonic() + 5
                while limiter._in_flight.get(key, 0) < 10:
                    assert time.monotonic() < deadline, "ten requests never got in flight"
                    time.sleep(0.005)
                assert_throttled(conn.post("customer", {"DisplayName": "Eleventh"}))
                # The limit is per company and app: another app on the same company gets in.
                other = second_app.post("customer", {"DisplayName": "Other App"})
                assert other.status_code == 200, other.text
            finally:
                held_requests.release()
            assert [f.result() for f in held] == [200] * 10
    finally:
        for session in sessions:
            session.close()
        admin.call("DELETE", f"/companies/{conn.realm_id}/faults")
    assert conn.post("customer", {"DisplayName": "After"}).status_code == 200


def test_concurrency_limit_can_be_switched_off(conn: Connection, admin: Admin) -> None:
    admin.patch_company(conn.realm_id, {"throttle": {"concurrent": None}})
    admin.call(
        "POST",
        f"/companies/{conn.realm_id}/faults",
        {"match": {"method": "GET"}, "times": 12, "action": {"latency_ms": 200}},
    )
    barrier = threading.Barrier(12)

    def call() -> int:
        barrier.wait()
        return conn.get(f"companyinfo/{conn.realm_id}").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: call(), range(12)))
    assert statuses == [200] * 12


def test_batch_requests_per_minute(conn: Connection, admin: Admin) -> None:
    admin.patch_company(conn.realm_id, {"throttle": {"batch_per_minute": 2}})
    batch = {"BatchItemRequest": [{"bId": "q", "Query": "SELECT COUNT(*) FROM Customer"}]}
    assert conn.post("batch", batch).status_code == 200
    assert conn.post("batch", batch).status_code == 200
    assert_throttled(conn.post("batch", batch))
    # Ordinary requests are not batch requests.
    assert conn.query("SELECT COUNT(*) FROM Customer").status_code == 200

    admin.patch_company(conn.realm_id, {"throttle": {"batch_per_minute": None}})
    assert conn.post("batch", batch).status_code == 200


def test_bad_throttle_settings_are_refused(conn: Connection, admin: Admin) -> None:
    for body, field in (
        ({"throttle": {"requests_per_minute": 0}}, "throttle.requests_per_minute"),
        ({"throttle": {"concurrent": "ten"}}, "throttle.concurrent"),
        ({"throttle": {"per_second": 10}}, "throttle.per_second"),
        ({"throttle": {"window_seconds": 0}}, "throttle.window_seconds"),
        ({"throttle": {"window_seconds": None}}, "throttle.window_seconds"),
        ({"throttle": 5}, "throttle"),
    ):
        response = admin.call("PATCH", f"/companies/{conn.realm_id}", body)
        assert response.status_code == 422
        assert response.json()["field"] == field


def test_a_shorter_window_keeps_the_counts_and_speeds_the_clock_up() -> None:
    now = [100.0]
    limiter = Limiter(clock=lambda: now[0])
    limits = Throttle(requests_per_minute=3, concurrent=None, batch_per_minute=1, window_seconds=6)

    def admitted(*, batch: bool = False) -> bool:
        try:
            limiter.acquire("r1", "app", limits, batch=batch)
        except QBOFault:
            return False
        limiter.release("r1", "app")
        return True

    assert admitted(batch=True)
    assert not admitted(batch=True)  # one batch a "minute" of 6 seconds
    assert admitted() and admitted()
    assert not admitted()  # three requests a window
    now[0] += 5.9
    assert not admitted()
    now[0] += 0.2  # the first requests left the 6-second window
    assert admitted(batch=True)
    assert limiter.refused == {"r1": 3}
