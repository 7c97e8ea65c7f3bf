"""Procrastinate jobs on PostgreSQL: one waiting job per company, shared by worker processes.

Against the in-process emulator over HTTP and a private PostgreSQL schema (procrastinate's
tables go there too). The workers are real subprocesses running `run_worker`, with short
heartbeats so a killed one is presumed dead within seconds.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import event, text

from ledgerbridge.adapters.qbo import FixedToken, QboClient
from ledgerbridge.bootstrap import Ledger, RateLimits
from ledgerbridge.core.records import Incoming
from ledgerbridge.dispatch import jobs as jobs_module
from ledgerbridge.dispatch.jobs import (
    BUSY_RETRY,
    PULL_TASK,
    RETRY_BASE,
    SYNC_TASK,
    JobDispatcher,
    apply_job_schema,
    defer_sync_in,
    run_sync,
    run_worker,
    sweep,
)
from ledgerbridge.engine import pacing
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates
from qbo_emulator.testing import HeldLatency
from tests.ledgerbridge.dispatch.conftest import Bench
from tests.ledgerbridge.throttling import (
    RETRY_AFTER,
    answers_429,
    answers_again,
    requests_counted,
    wait_over,
)
from tests.ledgerbridge.workers import Worker

pytestmark = pytest.mark.postgres


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class _Rollback(Exception):
    pass


def test_the_schema_lives_in_the_private_schema_and_applies_once(bench: Bench) -> None:
    assert apply_job_schema(bench.ledger) is False  # the fixture applied it
    tables = {
        row[0]
        for row in bench.rows(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name LIKE 'procrastinate%'"
        )
    }
    assert {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"} <= tables
    assert bench.rows("SELECT to_regclass('public.procrastinate_jobs')")[0][0] is None


def test_a_worker_schedules_the_sweep_unless_told_not_to(bench: Bench) -> None:
    def scheduled(app: Any) -> list[str]:
        return [t.task.name for t in app.periodic_registry.periodic_tasks.values()]

    default = scheduled(jobs_module.job_app(bench.ledger))
    assert jobs_module.SWEEP_TASK in default
    assert jobs_module.CLEANUP_TASK in default
    quiet = jobs_module.job_app(bench.ledger, sweep_cron=None, cleanup_cron=None)
    # a test's worker started in the ten minutes after the cleanup's tick (03:17 UTC) ran
    # the day's cleanup first: the test suites' workers schedule neither
    assert scheduled(quiet) == []
    assert jobs_module.SWEEP_TASK in quiet.tasks  # still runs when another worker queues it
    assert jobs_module.CLEANUP_TASK in quiet.tasks


def test_a_burst_of_changes_queues_one_sync_job_per_company(bench: Bench) -> None:
    first, _ = bench.company("Burst One")
    second, _ = bench.company("Burst Two")

    # a transaction that rolls back takes its job with it
    with pytest.raises(_Rollback), bench.ledger.db.session() as session:
        Records(session).upsert(second, "customer", "ghost", {"display_name": "Ghost"})
        assert defer_sync_in(session, second) is not None
        raise _Rollback
    assert bench.jobs() == []

    bench.put_customers(first, 20, "First")
    bench.put_customers(second, 20, "Second")

    jobs = bench.jobs()
    assert [(j.status, j.args["connection_id"]) for j in jobs] == [
        ("todo", first),
        ("todo", second),
    ]
    assert [(j.lock, j.queueing_lock) for j in jobs] == [
        (f"connection:{first}", f"sync:{first}"),
        (f"connection:{second}", f"sync:{second}"),
    ]
    # every change committed although its job was already waiting
    for connection_id in (first, second):
        page = bench.service.records(bench.key_id, connection_id, limit=100)
        assert len(page.items) == 20
        assert {r.status for r in page.items} == {"pending"}

    # the sweep: a pull for every company; their syncs are already waiting
    assert sweep(bench.ledger) == (2, 0)
    assert sweep(bench.ledger) == (0, 0)
    assert len(bench.jobs(PULL_TASK)) == 2
    assert len(bench.jobs()) == 2

    # wake-ups after the fact (serve's dispatcher) find the same waiting jobs, but for the
    # sweep's pulls: a webhook's pull has its own (it always reads, and goes first)
    dispatcher = JobDispatcher(bench.ledger)
    dispatcher.wake(first)
    dispatcher.wake_pull(second)
    dispatcher.wake_pull(second)
    assert len(bench.jobs()) == 2 and len(bench.jobs(PULL_TASK)) == 3
    assert {j.queueing_lock for j in bench.jobs(PULL_TASK)} == {
        f"pull-sweep:{first}",
        f"pull-sweep:{second}",
        f"pull:{second}",
    }


def test_a_bulk_upsert_queues_one_sync_job_with_its_records(bench: Bench) -> None:
    connection_id, _ = bench.company("Bulk")
    incoming = [Incoming("customer", f"c{n}", {"display_name": f"Bulk {n}"}) for n in range(50)]
    answers = bench.service.put_records(
        bench.key_id, connection_id, [*incoming, Incoming("customer", "bad", {"colour": 1})]
    )
    assert [a.stored for a in answers] == [True] * 50 + [False]
    jobs = bench.jobs()
    assert [(j.status, j.args["connection_id"]) for j in jobs] == [("todo", connection_id)]
    page = bench.service.records(bench.key_id, connection_id, limit=100)
    assert len(page.items) == 50 and {r.status for r in page.items} == {"pending"}


def test_a_pass_that_raises_is_retried_later_with_backoff(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_id, _ = bench.company("Flaky Co")
    bench.put_customers(connection_id, 1, "Flaky")
    bench.forget_jobs()  # as if a worker had taken the job: this test runs it in-process

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(jobs_module, "sync_company", broken)
    with pytest.raises(RuntimeError):
        run_sync(bench.ledger, connection_id)
    (retry,) = bench.jobs()
    assert retry.status == "todo"
    assert retry.args == {"connection_id": connection_id, "attempt": 1}
    assert RETRY_BASE - 2 < retry.wait <= RETRY_BASE

    bench.forget_jobs()
    with pytest.raises(RuntimeError):
        run_sync(bench.ledger, connection_id, attempt=jobs_module.MAX_ATTEMPTS)
    assert bench.jobs() == []  # given up: the sweep picks the company up


def test_leftover_work_is_followed_up_when_it_comes_due(bench: Bench) -> None:
    connection_id, realm = bench.company("Later Co")
    bench.put_customers(connection_id, 2, "Later")  # the same app ids: updates
    bench.forget_jobs()
    bench.admin(  # the batch of creates, not the first read's batch of queries
        "POST",
        f"/companies/{realm}/faults",
        {"match": {"entity": "batch", "writes": True}, "times": 1, "action": {"status": 503}},
    )
    run_sync(bench.ledger, connection_id)
    assert bench.synced() == 0  # the batch of both creates waits for its retry time
    (follow_up,) = bench.jobs()
    assert follow_up.status == "todo"
    assert jobs_module.FOLLOW_UP_GAP.total_seconds() - 2 < follow_up.wait <= 6

    # the company's lease held by some other process: try again a little later
    bench.forget_jobs()
    with bench.ledger.db.session() as session:
        Leases(session).acquire(f"connection:{connection_id}", "someone", timedelta(minutes=1))
    run_sync(bench.ledger, connection_id)
    (busy,) = bench.jobs()
    assert BUSY_RETRY - 2 < busy.wait <= BUSY_RETRY


def test_a_pull_job_meeting_a_full_window_is_queued_again_for_when_it_has_room(
    bench: Bench,
) -> None:
    """The company's requests are used up for most of a minute (its writes filled the window):
    a pull job does not hold its worker asleep until then; it stops, reads nothing, and is
    queued again for when the window has room."""
    connection_id, realm = bench.company("Full Co")
    pull_company(bench.ledger, connection_id)
    bench.forget_jobs()
    bench.ledger.rate_limits = RateLimits(5, 1)  # type: ignore[misc]
    while pacing.take(bench.ledger, realm) <= 0:
        pass  # the window filled, as a company's own writes fill it
    assert pacing.take(bench.ledger, realm, count=False) > 30  # most of a minute

    outcome = jobs_module.run_pull(bench.ledger, connection_id)

    assert "stopped=rate_limited" in outcome
    (again,) = bench.jobs(PULL_TASK)
    assert again.status == "todo" and again.wait > jobs_module.PULL_WAIT
    assert bench.jobs(SYNC_TASK) == []


def test_a_pull_job_quickbooks_does_not_answer_is_read_again_with_backoff(bench: Bench) -> None:
    """QuickBooks answers the company's read 503 each time (its three tries): a wake-up's
    pull job (a webhook's, a person's) is queued again with backoff, as a job that raised is,
    and not left to the sweep (which reads a company whose webhooks arrive only hourly). The
    sweep's own pull is not (its company's cursor stays old: the next sweep reads it), nor a
    pull of a company no longer active."""
    connection_id, realm = bench.company("Down Co")
    pull_company(bench.ledger, connection_id)
    bench.forget_jobs()
    down = {"times": None, "action": {"status": 503}}
    bench.admin("POST", f"/companies/{realm}/faults", down)

    outcome = jobs_module.run_pull(bench.ledger, connection_id)

    assert "stopped=Unavailable" in outcome
    assert requests_counted(bench, realm) > 0
    (again,) = bench.jobs(PULL_TASK)
    assert again.status == "todo" and again.args["attempt"] == 1
    assert RETRY_BASE - 2 < again.wait <= RETRY_BASE

    bench.forget_jobs()
    swept = bench.ledger.clock().isoformat()  # after the company's last read
    outcome = jobs_module.run_pull(bench.ledger, connection_id, asked_at=swept)
    assert "stopped=Unavailable" in outcome
    assert bench.jobs(PULL_TASK) == []

    with bench.ledger.db.session() as session:
        Connections(session).set_status(connection_id, "disconnected")
    assert "stopped=not_active" in jobs_module.run_pull(bench.ledger, connection_id)
    assert bench.jobs(PULL_TASK) == []


def _wait_until(bench: Bench, connection_id: str) -> Any:
    (row,) = bench.rows("SELECT wait_until FROM connections WHERE id = :id", id=connection_id)
    return row[0]


def test_no_pull_job_reads_a_company_waiting_for_quickbooks_before_its_wait_ends(
    bench: Bench,
) -> None:
    """QuickBooks answered the company's write 429 with a Retry-After (stored once, on the
    connection): the sweep's pull and a webhook's pull send QuickBooks nothing during the
    wait (QuickBooks answers a read then with more 429s, and can throttle the company
    longer); each is queued again, one job, for the moment the wait ends, and reads then."""
    connection_id, realm = bench.company("Waiting Co")
    pull_company(bench.ledger, connection_id)  # read once
    bench.put_customers(connection_id, 2, "Waiting")
    answers_429(bench, realm, writes=True)
    run_sync(bench.ledger, connection_id)  # its writes answered 429: the company waits
    assert _wait_until(bench, connection_id) is not None
    bench.forget_jobs()
    bench.admin("DELETE", f"/companies/{realm}/faults")
    answers_429(bench, realm)  # and QuickBooks answers every request 429 meanwhile

    assert sweep(bench.ledger) == (1, 0)  # its pull; no sync (the company waits)
    run_worker(bench.ledger, wait=False, poll_every=0.2, sweep_cron=None, cleanup_cron=None)
    assert requests_counted(bench, realm) == 0
    (swept, again) = bench.jobs(PULL_TASK)
    assert swept.status == "succeeded"
    assert again.status == "todo" and RETRY_AFTER - 5 < again.wait <= RETRY_AFTER

    JobDispatcher(bench.ledger).wake_pull(connection_id)  # a webhook: the pull waiting does it
    assert len(bench.jobs(PULL_TASK)) == 2
    bench.forget_jobs()
    JobDispatcher(bench.ledger).wake_pull(connection_id)  # none waiting: a pull of its own
    run_worker(bench.ledger, wait=False, poll_every=0.2, sweep_cron=None, cleanup_cron=None)
    assert requests_counted(bench, realm) == 0
    (woken, again) = bench.jobs(PULL_TASK)
    assert woken.status == "succeeded" and again.status == "todo"

    # the wait over (QuickBooks answers again): the pull reads
    answers_again(bench, realm)
    wait_over(bench.ledger, connection_id)
    outcome = jobs_module.run_pull(bench.ledger, connection_id)
    assert "stopped=None" in outcome and requests_counted(bench, realm) > 0


def test_a_sync_jobs_first_pull_reads_nothing_while_its_company_waits(bench: Bench) -> None:
    """A company never read whose first read QuickBooks answered 429: the wait is stored, so
    neither the pass's own read after it nor the next sync job's first pull asks QuickBooks
    again before the wait ends (each read then earned another 429); the job is followed up
    for the moment the wait ends."""
    connection_id, realm = bench.company("First Co")
    bench.put_customers(connection_id, 2, "First")
    bench.forget_jobs()
    answers_429(bench, realm)

    run_sync(bench.ledger, connection_id)
    assert requests_counted(bench, realm) == 1  # the first pull's read met the 429, no other
    assert _wait_until(bench, connection_id) is not None
    (follow_up,) = bench.jobs(SYNC_TASK)
    assert RETRY_AFTER - 5 < follow_up.wait <= RETRY_AFTER

    run_sync(bench.ledger, connection_id)  # a record's wake-up during the wait
    assert requests_counted(bench, realm) == 1


def test_two_worker_processes_share_the_companies(bench: Bench) -> None:
    companies = [bench.company(f"Shared {n}") for n in range(4)]
    expected: dict[str, set[str]] = {}
    for n, (connection_id, realm) in enumerate(companies):
        expected[realm] = bench.put_customers(connection_id, 50, f"Shared{n} Customer")
        # a slow first batch makes every pass last over a second, so both workers get work
        bench.admin(
            "POST",
            f"/companies/{realm}/faults",
            {
                "match": {"method": "POST", "entity": "batch"},
                "times": 1,
                "action": {"latency_ms": 1000},
            },
        )
    assert len(bench.jobs()) == 4

    one = bench.start_worker("one")
    two = bench.start_worker("two")
    wait_for(lambda: bench.synced() == 200, 45, "200 synced customers")

    # while both are registered: who ran what (procrastinate clears it when a worker leaves)
    workers = {j.worker_id for j in bench.jobs() if j.status == "succeeded"}
    assert len(workers) == 2 and None not in workers, bench.jobs()
    assert bench.registered_workers() == 2

    for realm, names in expected.items():
        customers = bench.customers(realm)
        assert len(customers) == 50
        assert set(customers) == names

    assert one.stop(signal.SIGINT) == 0, one.output()
    assert two.stop(signal.SIGTERM) == 0, two.output()
    assert bench.registered_workers() == 0  # both left cleanly
    for worker in (one, two):
        assert "Starting job ledgerbridge.sync_connection" in worker.output()
        assert "Traceback" not in worker.output(), worker.output()


def test_one_worker_with_concurrency_syncs_a_company_while_another_waits_for_quickbooks(
    bench: Bench,
) -> None:
    """`ledgerbridge worker --concurrency 2`: while one company's answer from QuickBooks is
    awaited, the same process syncs another company (with 1, the second waits behind it)."""
    slow_id, slow_realm = bench.company("Slow Co")
    quick_id, quick_realm = bench.company("Quick Co")
    slow = bench.put_customers(slow_id, 10, "Slow Customer")  # its job is queued first
    quick = bench.put_customers(quick_id, 10, "Quick Customer")
    bench.admin(
        "POST",
        f"/companies/{slow_realm}/faults",
        {"match": {"entity": "batch", "writes": True}, "times": 1, "action": {"latency_ms": 60000}},
    )
    held = HeldLatency()
    bench.emulator.emulator.latency = held.wait
    try:
        worker = Worker.cli(
            "both",
            ["--concurrency", "2", "--poll-every", "0.5"],
            bench.environ,
            bench.tmp_path / "both.log",
        )
        bench.workers.append(worker)
        faults = f"/companies/{slow_realm}/faults"
        wait_for(lambda: bench.admin("GET", faults)["faults"][0]["hits"] == 1, 30, "slow batch")
        wait_for(lambda: sorted(bench.customers(quick_realm)) == sorted(quick), 30, "quick co")
        assert bench.customers(slow_realm) == []  # its batch is still under way
    finally:
        held.release()
        bench.emulator.emulator.latency = asyncio.sleep
    wait_for(lambda: sorted(bench.customers(slow_realm)) == sorted(slow), 30, "slow co")
    assert worker.stop() == 0, worker.output()
    assert "Traceback" not in worker.output(), worker.output()


def test_a_killed_worker_is_replaced_and_nothing_is_sent_twice(bench: Bench) -> None:
    connection_id, realm = bench.company("Crash Co")
    names = bench.put_customers(connection_id, 40, "Crash Customer")
    faults = f"/companies/{realm}/faults"
    batch_post = {"entity": "batch", "writes": True}  # not the first read's batch of queries
    # a quick batch of 30 creates, then a batch of 10 that hangs: the worker is killed while
    # it is in flight
    bench.admin("POST", faults, {"match": batch_post, "times": 1, "action": {"latency_ms": 1}})
    bench.admin("POST", faults, {"match": batch_post, "times": 1, "action": {"latency_ms": 3000}})

    doomed = bench.start_worker("doomed")

    def hanging() -> bool:
        return bool(bench.admin("GET", faults)["faults"][1]["hits"] == 1)

    wait_for(hanging, 30, "the second batch")
    assert doomed.stop(signal.SIGKILL) == -signal.SIGKILL
    assert bench.synced() == 30
    (stalled,) = bench.jobs()
    assert stalled.status == "doing"

    heir = bench.start_worker("heir")
    wait_for(lambda: bench.synced() == 40, 30, "40 synced customers")

    customers = bench.customers(realm)
    assert sorted(customers) == sorted(names)  # each exactly once
    jobs = bench.jobs()
    assert jobs[0].id == stalled.id and jobs[0].status == "failed"
    assert [j.status for j in jobs[1:]][-1] == "succeeded"
    assert heir.stop() == 0, heir.output()
    assert "was stalled" in heir.output()


def test_a_worker_that_does_not_wait_drains_the_queue_and_returns(bench: Bench) -> None:
    connection_id, realm = bench.company("Drain Co")
    names = bench.put_customers(connection_id, 5, "Drain")
    run_worker(bench.ledger, wait=False, poll_every=0.2, cleanup_cron=None)
    assert sorted(bench.customers(realm)) == sorted(names)
    assert [j.status for j in bench.jobs()] == ["succeeded"]
    assert bench.registered_workers() == 0


def test_jobs_send_the_events_they_make_to_the_apps_url(bench: Bench) -> None:
    """Workers, not only the embedded dispatcher, deliver events: a synced record's event
    reaches the app's URL signed, from the sync job itself; the sweep sends what is left."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
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
    try:
        connection_id, realm = bench.company("Events Co")
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        bench.service.update_settings(bench.key_id, connection_id, {"events_url": url})
        bench.put_customers(connection_id, 2, "Told")
        run_worker(bench.ledger, wait=False, poll_every=0.2, cleanup_cron=None)
        assert sorted(bench.customers(realm)) == ["Told 0", "Told 1"]
        synced = [
            e["payload"]["id"]
            for body in received
            for e in body["events"]
            if e["type"] == "record.synced"
        ]
        assert sorted(synced) == ["c0", "c1"]  # from the job, before any sweep
        assert {body["connection_id"] for body in received} == {connection_id}

        # An event made outside any job waits for the sweep, which sends it.
        before = len(received)
        with bench.ledger.db.session() as session:
            Events(session).append(
                connection_id, "connection.status_changed", {"status": "active", "by": "test"}
            )
        sweep(bench.ledger)
        later = [e["payload"] for body in received[before:] for e in body["events"]]
        assert {"status": "active", "by": "test"} in later
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_small_company_is_picked_before_the_next_slice_of_a_large_one(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    large, large_realm = bench.company("Large Co")
    small, small_realm = bench.company("Small Co")
    large_names = bench.put_customers(large, 4, "Large")
    bench.forget_jobs()
    monkeypatch.setattr(jobs_module, "SLICE", 0.0)  # every pass yields after one record

    run_sync(bench.ledger, large)  # a slice of the large company's first sync
    (continuation,) = bench.jobs()
    assert continuation.status == "todo"
    small_names = bench.put_customers(small, 3, "Small")  # records arrive meanwhile
    run_worker(bench.ledger, wait=False, poll_every=0.2, cleanup_cron=None)

    started = bench.rows(
        "SELECT j.args->>'connection_id' FROM procrastinate_events e"
        " JOIN procrastinate_jobs j ON j.id = e.job_id"
        " WHERE e.type = 'started' AND j.task_name = :task ORDER BY e.at, e.id",
        task=SYNC_TASK,
    )
    order = [row[0] for row in started]
    assert order[0] == small, order  # picked first, though the large one's job was older
    assert order.count(large) >= 3  # the large company went on, slice after slice
    assert sorted(bench.customers(small_realm)) == sorted(small_names)
    assert sorted(bench.customers(large_realm)) == sorted(large_names)


def test_a_slice_ends_early_while_a_job_above_it_waits(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    large, large_realm = bench.company("Long Co")
    small, _ = bench.company("Waiting Co")
    bench.put_customers(large, 40, "Long")
    bench.forget_jobs()
    bench.put_customers(small, 1, "Waiting")  # its job waits at the default priority
    monkeypatch.setattr(jobs_module, "EARLY_YIELD_AFTER", 0.0)
    monkeypatch.setattr(jobs_module, "WAITING_LOOK", 0.0)
    continuation = jobs_module.CONTINUATION_PRIORITY

    outcome = run_sync(bench.ledger, large, priority=continuation)  # a slice of 10 s
    assert "stopped=yielded" in outcome, outcome
    assert bench.synced() < 40  # the slice ended well before the large company's end

    bench.forget_jobs()  # none waits above it now: the slice goes on to the company's end
    outcome = run_sync(bench.ledger, large, priority=continuation)
    assert "stopped=None" in outcome, outcome
    assert len(bench.customers(large_realm)) == 40


def test_a_job_its_companys_earlier_job_holds_back_does_not_end_a_slice(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    # procrastinate runs a company's jobs in order (its lock): a pull due now waits behind the
    # company's sync retried later at the same priority, so no worker could run it yet
    held, _ = bench.company("Held Co")
    bench.forget_jobs()
    monkeypatch.setattr(jobs_module, "EARLY_YIELD_AFTER", 0.0)
    monkeypatch.setattr(jobs_module, "WAITING_LOOK", 0.0)
    with bench.ledger.db.session() as session:
        assert jobs_module._defer_on(session, SYNC_TASK, held, delay=300) is not None
        assert jobs_module._defer_on(session, PULL_TASK, held) is not None
    continuation = jobs_module.CONTINUATION_PRIORITY
    assert jobs_module._waiting_above(bench.ledger, continuation)() is False

    free, _ = bench.company("Free Co")  # a job a worker could take now does count
    with bench.ledger.db.session() as session:
        assert jobs_module._defer_on(session, PULL_TASK, free) is not None
    assert jobs_module._waiting_above(bench.ledger, continuation)() is True


def test_a_large_backlog_waits_behind_the_companies_with_little_to_do(bench: Bench) -> None:
    large, _ = bench.company("Backlog Co")
    small, _ = bench.company("Few Co")
    records = [
        Incoming("customer", f"c{n}", {"display_name": f"Backlog {n}"})
        for n in range(jobs_module.LARGE_BACKLOG + 1)
    ]
    bench.service.put_records(bench.key_id, large, records)
    bench.put_customers(small, 3, "Few")
    priorities = {
        row[0]: row[1]
        for row in bench.rows(
            "SELECT args->>'connection_id', priority FROM procrastinate_jobs"
            " WHERE task_name = :task",
            task=SYNC_TASK,
        )
    }
    assert priorities == {large: jobs_module.CONTINUATION_PRIORITY, small: 0}


def counted_pulls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The companies the jobs' pulls read, in order (each read goes on as before)."""
    reads: list[str] = []
    real_pull = jobs_module.pull_company

    def counted(ledger: Ledger, cid: str, **options: Any) -> Any:
        reads.append(cid)
        return real_pull(ledger, cid, **options)

    monkeypatch.setattr(jobs_module, "pull_company", counted)
    return reads


def test_the_sweeps_pulls_wait_behind_new_records_and_skip_a_company_read_since(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_id, realm = bench.company("Swept Co")
    names = bench.put_customers(connection_id, 3, "Swept")  # its sync waits (never pulled)
    now = bench.ledger.clock
    with monkeypatch.context() as earlier:  # the sweep, a while before the worker's turn
        earlier.setattr(bench.ledger, "clock", lambda: now() - 2 * jobs_module.CLOCK_MARGIN)
        assert sweep(bench.ledger) == (1, 0)
    (pull_job,) = bench.jobs(PULL_TASK)
    assert "asked_at" in pull_job.args
    priority = bench.rows("SELECT priority FROM procrastinate_jobs WHERE id = :id", id=pull_job.id)
    assert priority[0][0] == jobs_module.CONTINUATION_PRIORITY

    reads = counted_pulls(monkeypatch)
    run_worker(bench.ledger, wait=False, poll_every=0.2, sweep_cron=None, cleanup_cron=None)

    started = bench.rows(
        "SELECT j.task_name FROM procrastinate_events e"
        " JOIN procrastinate_jobs j ON j.id = e.job_id"
        " WHERE e.type = 'started' ORDER BY e.at, e.id"
    )
    assert [row[0] for row in started] == [SYNC_TASK, PULL_TASK]  # the records first
    assert reads == [connection_id]  # the sync's first pull; the sweep's pull did not read again
    assert sorted(bench.customers(realm)) == sorted(names)
    assert [j.status for j in bench.jobs(PULL_TASK)] == ["succeeded"]

    # a pull asked after the last read does read, and so does one asked so little before it
    # that two processes' clocks could disagree on which came first; one asked without a
    # moment always does
    (began,) = bench.rows("SELECT cdc_cursor FROM connections WHERE id = :id", id=connection_id)
    margin = jobs_module.CLOCK_MARGIN
    jobs_module.run_pull(bench.ledger, connection_id, asked_at=(began[0] - margin).isoformat())
    assert len(reads) == 1
    jobs_module.run_pull(bench.ledger, connection_id, asked_at=(began[0] - margin / 2).isoformat())
    assert len(reads) == 2
    # after the cursor those reads left (taken from the first read's, a read that began more
    # than a second and the margin after it, under load, made the pull skip)
    (began,) = bench.rows("SELECT cdc_cursor FROM connections WHERE id = :id", id=connection_id)
    later = (began[0] + timedelta(seconds=1)).isoformat()
    jobs_module.run_pull(bench.ledger, connection_id, asked_at=later)
    jobs_module.run_pull(bench.ledger, connection_id)
    assert len(reads) == 4


def test_a_wake_while_the_sweeps_pull_waits_queues_a_pull_of_its_own(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook's or a person's pull is not absorbed by the sweep's waiting one (which waits
    behind every continuation and ends at once when the company was read since the sweep)."""
    connection_id, realm = bench.company("Hooked Co")
    pull_company(bench.ledger, connection_id)  # the company read once
    bench.forget_jobs()
    now = bench.ledger.clock
    with monkeypatch.context() as earlier:
        earlier.setattr(bench.ledger, "clock", lambda: now() - timedelta(minutes=1))
        assert sweep(bench.ledger) == (1, 0)  # its pull waits (a backlog elsewhere)
    pull_company(bench.ledger, connection_id)  # a person's Refresh, after the sweep
    # then someone adds a customer in QuickBooks, and Intuit's webhook wakes a pull
    tokens = bench.admin(
        "POST", f"/companies/{realm}/connect", {"client_id": bench.ledger.app("emulator").client_id}
    )
    with QboClient(
        f"{bench.emulator.url}/v3",
        realm,
        FixedToken(tokens["access_token"]),
        transport=bench.ledger.transport,
    ) as person:
        made = person.create("Customer", {"DisplayName": "Walk-in after the read"}, request_id="r1")
    JobDispatcher(bench.ledger).wake_pull(connection_id)

    waiting = bench.rows(
        "SELECT priority, args ? 'asked_at' FROM procrastinate_jobs"
        " WHERE task_name = :task ORDER BY id",
        task=PULL_TASK,
    )
    assert waiting == [(jobs_module.CONTINUATION_PRIORITY, True), (0, False)]

    reads = counted_pulls(monkeypatch)
    run_worker(bench.ledger, wait=False, poll_every=0.2, sweep_cron=None, cleanup_cron=None)
    assert reads == [connection_id]  # the wake's pull read; the sweep's ended (read since)
    assert [j.status for j in bench.jobs(PULL_TASK)] == ["succeeded", "succeeded"]
    with bench.ledger.db.session(readonly=True) as session:
        assert Mirror(session, connection_id).get("Customer", str(made["Id"])) is not None


def test_a_first_sync_job_reads_its_connection_and_tokens_once_a_stage(bench: Bench) -> None:
    """A company's first job (its first pull, then a push pass) reads the connection's row
    once for the pull (with its tokens and change cursor), once as the pull stores (locked),
    once for the setup checks (locked), once with the push pass's lease (its tokens too),
    once locked as each batch's writes are stored before they go and once as its answers are
    (the company still the pass's: after a Start fresh neither is stored) and once for the
    events: not again in every step (eleven
    reads of the row, five of the tokens and 27 transactions before)."""
    connection_id, realm = bench.company("Once Co")
    bench.put_customers(connection_id, 3, "Once")
    bench.forget_jobs()
    statements: list[str] = []
    transactions: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = bench.ledger.db.engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", lambda *args: transactions.append(1))
    try:
        outcome = run_sync(bench.ledger, connection_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert outcome.startswith("created=3 ")
    assert sorted(bench.customers(realm)) == ["Once 0", "Once 1", "Once 2"]
    # a read of the connection's row itself, not a statement of the records' that asks in a
    # subquery whether their company waits for QuickBooks' limits (`connections.wait_until`)
    connection_reads = [s for s in statements if s.startswith("SELECT connections.")]
    token_reads = [s for s in statements if s.startswith("SELECT") and " FROM tokens " in s]
    assert len(connection_reads) <= 7, "\n".join(s[:60] + s[-90:] for s in connection_reads)
    assert len(token_reads) <= 2, token_reads
    assert len(transactions) <= 20


def _stored_companies(bench: Bench, count: int, start: int = 0) -> list[str]:
    """`count` active connections stored without QuickBooks (the sweep only queues jobs),
    every third with a record due."""
    made = []
    with bench.ledger.db.session() as session:
        connections = Connections(session)
        for index in range(start, start + count):
            stored = connections.create(bench.key_id, f"Stored {index}", "emulator")
            connections.set_company(stored.id, f"8{index:015d}", f"Stored {index}")
            connections.set_status(stored.id, "active")
            if index % 3 == 0:
                SyncStates(session).want(stored.id, "customer", "c1", 1)
            made.append(stored.id)
    return made


def _statements(bench: Bench, call: Callable[[], Any]) -> tuple[int, Any]:
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(str(args[2]))

    event.listen(bench.ledger.db.engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(bench.ledger.db.engine, "before_cursor_execute", count)
    return len(counted), result


def test_a_sweeps_statements_do_not_grow_with_the_companies(bench: Bench) -> None:
    """The due syncs, stalled records and pending events are each found in one query for all
    companies, the pulls queued in one insert: ten times the companies, the same statements
    (before: four more a company)."""
    few = _stored_companies(bench, 3)
    small, queued = _statements(bench, lambda: sweep(bench.ledger))
    assert queued == (3, 1)
    bench.forget_jobs()
    many = few + _stored_companies(bench, 27, start=3)
    large, queued = _statements(bench, lambda: sweep(bench.ledger))
    assert queued == (30, 10)
    assert large == small
    pulls = bench.jobs(PULL_TASK)
    assert sorted(j.args["connection_id"] for j in pulls) == sorted(many)
    assert {j.queueing_lock for j in pulls} == {f"pull-sweep:{cid}" for cid in many}
    assert {j.lock for j in pulls} == {f"connection:{cid}" for cid in many}
    assert all("asked_at" in j.args for j in pulls)
    priorities = bench.rows(
        "SELECT DISTINCT priority FROM procrastinate_jobs WHERE task_name = :t", t=PULL_TASK
    )
    assert [p[0] for p in priorities] == [jobs_module.CONTINUATION_PRIORITY]
    syncs = bench.jobs()
    assert sorted(j.args["connection_id"] for j in syncs) == sorted(many[::3])


def test_a_sweep_queues_the_pulls_not_waiting_yet_and_none_twice(bench: Bench) -> None:
    companies = _stored_companies(bench, 4)
    with bench.ledger.db.session() as session:  # one company's sweep pull waits already
        jobs_module._defer_many_on(
            session,
            PULL_TASK,
            companies[:1],
            priority=jobs_module.CONTINUATION_PRIORITY,
            asked_at=bench.ledger.clock(),
        )
    assert sweep(bench.ledger)[0] == 3
    assert sweep(bench.ledger)[0] == 0
    waiting = sorted(j.args["connection_id"] for j in bench.jobs(PULL_TASK))
    assert waiting == sorted(companies)


def test_the_sweep_requeues_a_stalled_record_of_one_company_among_many(bench: Bench) -> None:
    companies = _stored_companies(bench, 6)
    stalled = companies[1]
    with bench.ledger.db.session() as session:
        SyncStates(session).want(stalled, "customer", "late", 1)
    long_ago = bench.ledger.clock() - timedelta(hours=2)
    with bench.ledger.db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE sync_state SET updated_at = :at, next_attempt_at = :later"
                " WHERE connection_id = :cid AND app_id = 'late'"
            ),
            {"at": long_ago, "later": long_ago + timedelta(minutes=1), "cid": stalled},
        )
    assert sweep(bench.ledger) == (6, 3)  # companies 0 and 3 due already, and the stalled one
    (row,) = bench.rows(
        "SELECT status, problem, next_attempt_at FROM sync_state"
        " WHERE connection_id = :cid AND app_id = 'late'",
        cid=stalled,
    )
    assert row.status == "pending" and row.problem["code"] == "record.stalled"
    assert {j.args["connection_id"] for j in bench.jobs()} == {companies[0], companies[3], stalled}


def test_a_later_sync_job_reads_the_tokens_only_with_its_lease(bench: Bench) -> None:
    """A job of a company already pulled makes no first pull: its look at the company
    (whether the mirror is empty) reads no tokens, only the push pass's lease transaction
    does (two reads before: one unused)."""
    connection_id, realm = bench.company("Later Co")
    bench.put_customers(connection_id, 2, "Early")
    bench.forget_jobs()
    run_sync(bench.ledger, connection_id)  # the first job: the company pulled
    bench.put_customers(connection_id, 2, "Later")  # the same app ids: updates
    bench.forget_jobs()
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = bench.ledger.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        outcome = run_sync(bench.ledger, connection_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert outcome.startswith("created=0 updated=2 ")
    assert sorted(bench.customers(realm)) == ["Later 0", "Later 1"]
    token_reads = [s for s in statements if s.startswith("SELECT") and " FROM tokens " in s]
    assert len(token_reads) == 1, token_reads
