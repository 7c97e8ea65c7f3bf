"""The sweep and Intuit's webhooks, on PostgreSQL: a company whose signed webhooks reach the
API is read by the sweep only once its last read is an hour old; the others at every sweep.

Intuit's notifications are posted to `POST /v1/qbo/webhooks` of the API served on a real
socket (wired as `ledgerbridge serve` wires it on PostgreSQL: a webhook queues a pull job),
signed with the emulator app's verifier token. What the sweep pulls is read from the job table
and from the requests the emulator answered for each company; the ledger's clock is moved to
make an hour pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest

from ledgerbridge.core.periodic_reads import NOTIFIED_READ_EVERY, NOTIFIED_WITHIN
from ledgerbridge.dispatch.jobs import (
    PULL_TASK,
    JobDispatcher,
    defer_sync_in,
    run_worker,
    sweep,
)
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.service import Service
from ledgerbridge.storage.connections import Connections
from qbo_emulator.server import free_port
from tests.ledgerbridge.api.conftest import ApiServer
from tests.ledgerbridge.dispatch.conftest import Bench
from tests.ledgerbridge.intuit_notices import marks_written, notification, sign
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls

pytestmark = pytest.mark.postgres

HOOK = "/v1/qbo/webhooks"


@dataclass
class Hooks:
    """The API on a real socket, and the verifier token Intuit signs with."""

    http: httpx.Client
    token: str

    def post(self, realm_id: str, *, signature: str | None = None) -> httpx.Response:
        """A notification that a customer of `realm_id` changed, signed (or as `signature`)."""
        body = notification(realm_id, "2026-03-01T10:00:00.000Z")
        if signature is None:
            signature = sign(body, self.token)
        return self.http.post(HOOK, content=body, headers={"intuit-signature": signature})


@pytest.fixture
def hooks(bench: Bench) -> Iterator[Hooks]:
    dispatcher = JobDispatcher(bench.ledger)
    service = Service(
        bench.ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull, defer_in=defer_sync_in
    )
    port = free_port()
    token = bench.ledger.app("emulator").verifier_token
    assert token is not None
    try:
        with (
            ApiServer(service, port),
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}", timeout=HTTP_TIMEOUT, verify=shared_tls()
            ) as http,
        ):
            yield Hooks(http, token.value)
    finally:
        service.close()


def _opening(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, *names: str
) -> tuple[list[tuple[str, str]], Callable[[timedelta], None]]:
    """How each test begins: the companies `names` connected and read once (`_read_company`:
    (connection id, realm id) each), and what moves the ledger's clock (`_clock_moved`)."""
    return [_read_company(bench, name) for name in names], _clock_moved(bench, monkeypatch)


def _read_company(bench: Bench, name: str) -> tuple[str, str]:
    """A connected company, read once, whose requests the emulator counts from now on."""
    connection_id, realm = bench.company(name)
    pull_company(bench.ledger, connection_id)
    bench.admin("POST", f"/companies/{realm}/faults", {"times": None, "action": {"latency_ms": 1}})
    return connection_id, realm


def _requests(bench: Bench, realm: str) -> int:
    """The requests the emulator answered for the company since `_read_company`."""
    return sum(int(f["hits"]) for f in bench.admin("GET", f"/companies/{realm}/faults")["faults"])


def _swept(bench: Bench) -> set[str]:
    """A sweep on an empty job table: the companies it queued a pull for."""
    bench.forget_jobs()
    pulls, _ = sweep(bench.ledger)
    swept = {j.args["connection_id"] for j in bench.jobs(PULL_TASK)}
    assert pulls == len(swept)
    return swept


def _run_jobs(bench: Bench) -> None:
    run_worker(bench.ledger, wait=False, poll_every=0.2, sweep_cron=None, cleanup_cron=None)


def _notified_at(bench: Bench, connection_id: str) -> datetime | None:
    with bench.ledger.db.session(readonly=True) as session:
        stored = Connections(session).get_unscoped(connection_id)
    assert stored is not None
    return stored.notified_at


def _clock_moved(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """What sets the ledger's clock that far from the real one (until the test ends)."""
    real: Callable[[], datetime] = bench.ledger.clock

    def move(by: timedelta) -> None:
        monkeypatch.setattr(bench.ledger, "clock", lambda: real() + by)

    return move


def test_a_notified_company_is_swept_only_once_its_last_read_is_an_hour_old(
    bench: Bench, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(hooked, hooked_realm), (quiet, quiet_realm)], clock_moved = _opening(
        bench, monkeypatch, "Hooked Co", "Quiet Co"
    )

    # a burst of Intuit's notifications for one company: each wakes its pull (one job waits
    # for them all), and the company is marked notified by one statement; the clock stands
    # still meanwhile (the real one could pass a minute between two posts on a loaded machine)
    start = bench.ledger.clock()
    monkeypatch.setattr(bench.ledger, "clock", lambda: start)
    with marks_written(bench.ledger.db.engine) as marks:
        for _ in range(4):
            assert hooks.post(hooked_realm).status_code == 200
    clock_moved(timedelta(0))
    assert len(marks) == 1, marks
    assert _notified_at(bench, hooked) == start and _notified_at(bench, quiet) is None
    woken = bench.jobs(PULL_TASK)
    assert [(j.args, j.queueing_lock) for j in woken] == [
        ({"connection_id": hooked}, f"pull:{hooked}")
    ]
    _run_jobs(bench)  # the webhook's pull reads the company at once, as before
    assert _requests(bench, hooked_realm) > 0
    read_by_webhook = _requests(bench, hooked_realm)

    # read less than an hour ago: the sweeps leave it to its webhooks, and pull the other
    assert _swept(bench) == {quiet}
    _run_jobs(bench)
    assert _requests(bench, hooked_realm) == read_by_webhook
    assert _requests(bench, quiet_realm) > 0
    assert _swept(bench) == {quiet}
    clock_moved(NOTIFIED_READ_EVERY - timedelta(minutes=10))
    assert _swept(bench) == {quiet}

    # its last read an hour old: the sweep reads it
    clock_moved(NOTIFIED_READ_EVERY + timedelta(minutes=1))
    assert _swept(bench) == {hooked, quiet}
    _run_jobs(bench)
    assert _requests(bench, hooked_realm) > read_by_webhook


def test_a_company_not_notified_for_a_day_is_swept_every_time(
    bench: Bench, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(lapsed, lapsed_realm), (forged, forged_realm)], clock_moved = _opening(
        bench, monkeypatch, "Lapsed Co", "Forged Co"
    )
    clock_moved(-NOTIFIED_WITHIN - timedelta(hours=1))  # its last webhook came over a day ago
    assert hooks.post(lapsed_realm).status_code == 200
    clock_moved(timedelta(0))
    notified = _notified_at(bench, lapsed)
    assert notified is not None and bench.ledger.clock() - notified > NOTIFIED_WITHIN
    # a notification whose signature does not match: nothing written, no pull woken
    assert hooks.post(forged_realm, signature="bm90IGEgc2lnbmF0dXJl").status_code == 401
    assert _notified_at(bench, forged) is None
    assert [j.args["connection_id"] for j in bench.jobs(PULL_TASK)] == [lapsed]
    _run_jobs(bench)  # the webhook's pull: the company read just now
    before = {realm: _requests(bench, realm) for realm in (lapsed_realm, forged_realm)}

    for _ in range(2):
        assert _swept(bench) == {lapsed, forged}
        _run_jobs(bench)
        for realm in (lapsed_realm, forged_realm):
            assert _requests(bench, realm) > before[realm]
            before[realm] = _requests(bench, realm)
