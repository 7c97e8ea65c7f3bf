"""Dispatch on PostgreSQL: procrastinate jobs, shared by any number of `ledgerbridge worker`s.

The same entry points as the embedded dispatcher (`dispatch.inprocess`), run as jobs of a
procrastinate queue that lives in ledgerbridge's own database (and schema: the tables follow
the connection's `search_path`):

    apply_job_schema(ledger)              `ledgerbridge migrate`: procrastinate's tables, once
    defer_sync_in(session, connection_id) a sync job, inside the caller's transaction
    JobDispatcher(ledger)                 `wake` / `wake_pull` for `Service` in `ledgerbridge serve`
    run_worker(ledger, concurrency=1)     `ledgerbridge worker`: runs jobs until SIGINT/SIGTERM
    job_app(ledger)                       the procrastinate `App` itself (opens nothing)

Jobs (all in the queue `ledgerbridge`, so a database shared with other procrastinate apps is
fine):

- `ledgerbridge.sync_connection(connection_id)`: one `sync_company` pass (after a first pull
  when the company was never pulled). `ledgerbridge.pull_connection(connection_id)`:
  `pull_company`. Both carry `lock="connection:<id>"` (one job at a time per company, across
  all workers) and a queueing lock per task and company (`sync:<id>`, `pull:<id>`), so a burst
  of record changes leaves at most one job waiting per company; a second deferral while one
  waits is not an error (it is the same work). The sweep's pulls have their own
  (`pull-sweep:<id>`): a webhook's pull is never absorbed by the sweep's, which waits as a
  continuation and may end without reading.
- Fairness: a sync job's pass works for at most `SLICE` seconds (`sync_company`'s `slice_seconds`;
  ten: a pass has a cost of its own, the lease, the keys, a fresh mirror, and much shorter slices
  spend the workers on that), then yields: the company's next pass is queued at once, but as a
  continuation (`CONTINUATION_PRIORITY`, below the default 0 of a job queued for new records):
  procrastinate takes the highest priority first, then the oldest, so a company whose records just
  arrived is picked before the next slice of a large company's first sync, and the large ones
  share the workers turn by turn. A company with more than `LARGE_BACKLOG` records due gets a
  continuation's priority from its first job, so a thousand records handed over at once do not put
  a small company behind them either. A slice also ends early, after `EARLY_YIELD_AFTER`
  seconds, once a job of a higher priority waits that a worker could run (looked for in the job
  table every `WAITING_LOOK` seconds): records handed over while every worker runs a large
  company's slice wait a second or two, not the rest of the slices.
- When a pass leaves due work (rate limit, QuickBooks unavailable, a dependency to wait for), the
  job queues the next pass for when that work comes due (at least `FOLLOW_UP_GAP` later, at most
  one sweep away), as a continuation too. A sync or pull that raises is retried with exponential
  backoff (`RETRY_BASE` doubling up to `RETRY_CAP`, `MAX_ATTEMPTS` times): the failed job stays
  `failed` in procrastinate's table and a new job is queued for later. procrastinate's own retry
  is not used: it moves the same row back to `todo`, which fails on the queueing lock when another
  job for the company is already waiting and leaves the job `doing` forever (procrastinate issues
  #1446, #1543).
- `ledgerbridge.sweep`, periodic (every 5 minutes, deduplicated across workers by procrastinate):
  a pull for every active connection and a sync for every connection with due work, so nothing
  depends on a wake-up; but a company whose webhooks are known to reach us (a signed
  notification named it within `NOTIFIED_WITHIN`, a day: `connections.notified_at`, which
  `engine.service.webhooks` keeps) is pulled by the sweep only once its last read is
  `NOTIFIED_READ_EVERY` old (an hour: what bounds a missed webhook's change), as its webhooks
  wake its pulls meanwhile (`core.periodic_reads.read_due`, which the embedded
  dispatcher asks too). Its pulls wait as continuations do (behind any
  company's new records) and are skipped when a read of the company began after the sweep, by
  `CLOCK_MARGIN` at least (the two moments come from two processes' clocks; a worker's start
  on a new job table sweeps at once: the first syncs read each company themselves). Before
  that, its health round (`engine.health`): suspended connections are checked again (inline;
  one back to active gets its pull and sync here), the stalled records of active ones are made
  due again, and Desktop connections whose Web Connector stopped calling are shown silent
  (`engine.desktop.health`).
  After it, every connection's pending events go to the app's `events_url` (Desktop connections'
  too), in a random order and for at most `DELIVERY_BUDGET` seconds a sweep, so that apps that do
  not answer cannot hold the sweep up. What has work is found in one query each (the due syncs,
  the companies that may hold stalled records, those with events pending), which companies to
  pull is decided on the connections' rows (read in one query with their change cursors), and
  the pulls are queued in one insert: a sweep's statements do not grow with the companies.
- Events: each sync and pull job sends the events it made to the app's `events_url` when it
  ends (raised or not), as the embedded dispatcher does every round; a delivery that fails
  leaves them pending for the next job or sweep and never fails the job.
  `ledgerbridge.remove_old_jobs`, daily: finished jobs older than `KEEP_JOBS_HOURS` are
  deleted.
- Stalled jobs: every worker sends procrastinate heartbeats (`heartbeat_every`) and, at start
  and every `stalled_after / 2` seconds, looks for `doing` jobs whose worker stopped sending
  them for `stalled_after` seconds (or was pruned). Such a job is marked `failed` and, for a
  sync or pull, a fresh job is queued for the company (the push pass settles any write the
  dead worker had started with its stored `requestid`, so nothing is sent twice).

The push pass's own company lease is taken with one holder for every job (`JOB_HOLDER`):
procrastinate's `lock` already keeps two jobs of a company apart (a unique index), and a job
that replaces a dead worker's job must not wait for the dead worker's lease to expire. The
lease still keeps jobs apart from any other process syncing with another holder.

Deferring "in the same transaction": `defer_sync_in(session, connection_id)` inserts the job
through the SQLAlchemy session's own psycopg connection (procrastinate's `connection=` option
of `configure`), inside a savepoint, so the job exists if and only if the caller's transaction
commits, and a queueing-lock conflict rolls back only the savepoint. `Service(ledger,
defer_in=defer_sync_in)` calls it in `put_record`, `delete_record`, `action` and
`request_sync`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import re
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import procrastinate
import psycopg
from procrastinate import exceptions as procrastinate_errors
from procrastinate import schema as procrastinate_schema
from procrastinate.jobs import Job
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ledgerbridge.core.periodic_reads import CLOCK_MARGIN, read_due
from ledgerbridge.dispatch import MAX_CONCURRENCY
from ledgerbridge.engine.desktop import health as desktop_health
from ledgerbridge.engine.health import STALLED_AFTER, check_connection, requeue_stalled
from ledgerbridge.engine.notify import deliver_events
from ledgerbridge.engine.pacing import PULL_WAIT
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.pull import pull_company, read_company
from ledgerbridge.engine.push import sync_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = [
    "CONTINUATION_PRIORITY",
    "JOB_HOLDER",
    "LARGE_BACKLOG",
    "PULL_TASK",
    "QUEUE",
    "SLICE",
    "SYNC_TASK",
    "JobDispatcher",
    "JobsLedger",
    "apply_job_schema",
    "company_lock",
    "defer_pull",
    "defer_pull_in",
    "defer_sync",
    "defer_sync_in",
    "job_app",
    "recover_stalled",
    "run_pull",
    "run_sync",
    "run_worker",
    "sweep",
]

log = logging.getLogger(__name__)


class JobsLedger(Ledger, Protocol):
    """The engine's ports with the database itself: procrastinate keeps its tables, and opens
    its own connections, in the ledger's PostgreSQL database."""

    @property
    def db(self) -> Database: ...


QUEUE = "ledgerbridge"
SYNC_TASK = "ledgerbridge.sync_connection"
PULL_TASK = "ledgerbridge.pull_connection"
SWEEP_TASK = "ledgerbridge.sweep"
CLEANUP_TASK = "ledgerbridge.remove_old_jobs"
COMPANY_TASKS = {SYNC_TASK: "sync", PULL_TASK: "pull"}

JOB_HOLDER = "procrastinate"  # the push pass's lease holder for every job (see above)
SWEEP_CRON = "*/5 * * * *"
SWEEP_PERIOD = timedelta(minutes=5)
CLEANUP_CRON = "17 3 * * *"
KEEP_JOBS_HOURS = 72
FOLLOW_UP_GAP = timedelta(seconds=5)  # a pass that leaves due work waits at least this much
SLICE = 10.0  # seconds a sync job works one company before the next company's turn
CONTINUATION_PRIORITY = -1  # a company's next pass, below a job for records just arrived (0)
LARGE_BACKLOG = 100  # records due: more, and the company's first job waits as a continuation
EARLY_YIELD_AFTER = 1.0  # seconds of a slice before it may end early for jobs waiting above it
WAITING_LOOK = 1.0  # seconds between a slice's looks for such jobs
RETRY_BASE = 10.0  # seconds before the first retry of a job that raised; doubles each time
RETRY_CAP = 300.0
MAX_ATTEMPTS = 5  # retries of one failing job; then the sweep picks the company up (within
# 5 minutes, within the hour for one whose webhooks arrive: `core.periodic_reads`)
BUSY_RETRY = 30.0  # the company's lease is held by a process that is not a job
_SCHEMA_LOCK = 0x4C42_4A6F_6253_6368  # PostgreSQL advisory lock key: "LBJobSch"
_STAMP = "procrastinate {version} (applied by ledgerbridge)"
_STAMP_PATTERN = re.compile(r"^procrastinate (\d+(?:\.\d+)*)")


def company_lock(connection_id: str) -> str:
    """The procrastinate lock of a company: one job at a time, whatever its task."""
    return f"connection:{connection_id}"


def _queueing_lock(task_name: str, connection_id: str, *, swept: bool = False) -> str:
    """At most one waiting job per task and company. The sweep's pulls have a lock of their
    own, so that a wake-up (a webhook, a person's refresh) always queues a pull of its own, at
    the default priority and without the sweep's moment, instead of riding on the sweep's
    (which waits behind every continuation and may end without a read, `run_pull`)."""
    task = COMPANY_TASKS[task_name]
    return f"{task}-sweep:{connection_id}" if swept else f"{task}:{connection_id}"


# --- deferring --------------------------------------------------------------------------------


@functools.cache
def _deferral_app() -> procrastinate.App:
    """An app that only defers, on connections it is given (its own pool is never opened)."""
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector())


def _defer_on(
    session: Session,
    task_name: str,
    connection_id: str,
    *,
    delay: float = 0.0,
    attempt: int = 0,
    priority: int = 0,
    asked_at: datetime | None = None,
) -> int | None:
    """Insert a company job through `session`'s connection, in its transaction (`priority`:
    higher first; a continuation is `CONTINUATION_PRIORITY`; `asked_at`, a pull's: any read
    of the company begun since then does it, `run_pull`).

    Returns the job id, or None when a job of this task is already waiting for the company
    (its queueing lock; a pull with `asked_at` has one of its own): the waiting job does the
    same work. The insert runs in a savepoint, so that conflict leaves the caller's
    transaction usable.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        raise ValueError(
            "procrastinate jobs need PostgreSQL; SQLite uses the in-process dispatcher"
        )
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise ValueError("procrastinate jobs need the psycopg (3) driver")
    if driver.info.transaction_status == TransactionStatus.IDLE:
        # nothing ran yet: begin the caller's transaction, or the savepoint below would be a
        # transaction of its own, committed whatever the caller does
        session.execute(text("SELECT 1"))
    deferrer = _deferral_app().configure_task(
        task_name,
        queue=QUEUE,
        lock=company_lock(connection_id),
        queueing_lock=_queueing_lock(task_name, connection_id, swept=asked_at is not None),
        schedule_at=datetime.now(UTC) + timedelta(seconds=delay) if delay > 0 else None,
        priority=priority,
        connection=driver,
    )
    kwargs: dict[str, Any] = {"connection_id": connection_id}
    if attempt:
        kwargs["attempt"] = attempt
    if asked_at is not None:
        kwargs["asked_at"] = asked_at.isoformat()
    try:
        # psycopg's savepoint, on the very connection the insert uses (SQLAlchemy would emit
        # its own only when it next runs a statement, too late to undo a failed insert)
        with driver.transaction():
            return deferrer.defer(**kwargs)
    except procrastinate_errors.AlreadyEnqueued:
        return None


def defer_sync_in(session: Session, connection_id: str) -> int | None:
    """A sync job for the company, committed (or rolled back) with `session`'s transaction.

    What `Service.defer_in` calls inside the transaction that changes records. Returns the
    job id, or None when a sync job is already waiting for this company. A company with more
    than `LARGE_BACKLOG` records due waits behind the others (`CONTINUATION_PRIORITY`).
    """
    large = SyncStates(session).due_beyond(connection_id, LARGE_BACKLOG)
    priority = CONTINUATION_PRIORITY if large else 0
    return _defer_on(session, SYNC_TASK, connection_id, priority=priority)


def defer_pull_in(session: Session, connection_id: str) -> int | None:
    """A pull job for the company, in `session`'s transaction (None: one is waiting)."""
    return _defer_on(session, PULL_TASK, connection_id)


def defer_sync(ledger: Ledger, connection_id: str) -> int | None:
    """A sync job for the company, in a transaction of its own."""
    with ledger.db.session() as session:
        return defer_sync_in(session, connection_id)


def defer_pull(ledger: Ledger, connection_id: str) -> int | None:
    """A pull job for the company, in a transaction of its own."""
    with ledger.db.session() as session:
        return defer_pull_in(session, connection_id)


class JobDispatcher:
    """What `ledgerbridge serve` wires into `Service` on PostgreSQL (no work in that process).

        dispatcher = JobDispatcher(ledger)
        Service(ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull,
                defer_in=dispatcher.defer_in)

    `wake` and `wake_pull` queue a job after the fact (a connection made, mappings changed, a
    webhook); a failure to queue is logged, not raised: the periodic sweep finds the work.
    `start` and `stop` do nothing: `ledgerbridge worker` processes run the jobs.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @staticmethod
    def defer_in(session: Session, connection_id: str) -> None:
        defer_sync_in(session, connection_id)

    def wake(self, connection_id: str) -> None:
        try:
            defer_sync(self._ledger, connection_id)
        except Exception:
            log.exception("could not queue a sync of connection %s", connection_id)

    def wake_pull(self, connection_id: str) -> None:
        try:
            defer_pull(self._ledger, connection_id)
        except Exception:
            log.exception("could not queue a pull of connection %s", connection_id)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


# --- the schema -------------------------------------------------------------------------------


def _version(text_value: str) -> tuple[int, ...]:
    """(3, 10, 0) from "3.10.0", "03.10.00" or "3.10.0rc1" (a pre-release counts as its release)."""
    return tuple(int(part) for part in re.findall(r"\d+", text_value)[:3])


def _migrations(after: tuple[int, ...], upto: tuple[int, ...]) -> Iterator[Path]:
    folder = Path(procrastinate_schema.SchemaManager.get_migrations_path())
    for path in sorted(folder.glob("*.sql")):
        version = _version(path.name.split("_", 1)[0])
        if after < version <= upto:
            yield path


def _run_script(connection: Connection, script: str) -> None:
    # several statements, no parameters: the driver's placeholders escaped, as procrastinate's
    # own SchemaManager does; errors arrive as SQLAlchemy's
    connection.exec_driver_sql(script.replace("%", "%%"))


def apply_job_schema(ledger: JobsLedger) -> bool:
    """Create (or upgrade) procrastinate's tables in the ledger's database; True if it did.

    Idempotent and safe to run from several processes at once (an advisory lock). The tables,
    types and functions go to the first schema of the connection's `search_path`. The
    procrastinate version is stamped on `procrastinate_jobs` (a table comment); a newer
    procrastinate applies its migrations since that version. A schema found without the
    stamp was installed by someone else and is left alone.
    """
    if ledger.db.dialect != "postgresql":
        raise ValueError("procrastinate jobs need PostgreSQL")
    current = procrastinate.__version__
    with ledger.db.engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        found = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if found is None:
            _run_script(connection, procrastinate_schema.SchemaManager.get_schema())
        else:
            comment = connection.execute(
                text("SELECT obj_description('procrastinate_jobs'::regclass, 'pg_class')")
            ).scalar()
            match = _STAMP_PATTERN.match(comment or "")
            if match is None:
                log.info("procrastinate's schema is present and managed elsewhere: left alone")
                return False
            stamped = _version(match.group(1))
            if stamped >= _version(current):
                return False
            for path in _migrations(stamped, _version(current)):
                log.info("applying procrastinate migration %s", path.name)
                _run_script(connection, path.read_text(encoding="utf-8"))
        stamp = _STAMP.format(version=current).replace("'", "''")
        _run_script(connection, f"COMMENT ON TABLE procrastinate_jobs IS '{stamp}'")
    return True


# --- the jobs ---------------------------------------------------------------------------------


def _conninfo(ledger: Ledger) -> str:
    """libpq connection string of the ledger's database (with its `options`, search_path)."""
    url = make_url(ledger.settings.database_url)
    extra = {key: value for key, value in url.query.items() if isinstance(value, str)}
    return make_conninfo(
        "",
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        **extra,
    )


def _waiting_above(ledger: Ledger, priority: int) -> Callable[[], bool]:
    """A slice's question "do jobs above mine wait?": False for its first `EARLY_YIELD_AFTER`
    seconds, then asked of the job table at most every `WAITING_LOOK` seconds. A job counts
    when a worker could take it now: due, and neither running nor waiting ahead of it is a job
    of its company's lock (procrastinate's own rule)."""
    started = time.monotonic()
    looked = started

    def ask() -> bool:
        nonlocal looked
        now = time.monotonic()
        if now - started < EARLY_YIELD_AFTER or now - looked < WAITING_LOOK:
            return False
        looked = now
        try:
            with ledger.db.session(readonly=True) as session:
                found = session.execute(_WAITING_ABOVE, {"queue": QUEUE, "p": priority})
                return bool(found.scalar())
        except Exception:  # the slice goes on to its end, as before
            log.exception("could not look for waiting jobs")
            return False

    return ask


# procrastinate's own rule for a job it may fetch (`procrastinate_fetch_job_v2`): due, and no
# job of its lock running, nor waiting ahead of it (a higher priority, or the same and queued
# first), even one scheduled later: a company's pull due now waits behind its sync retried later
_WAITING_ABOVE = text(
    "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs j"
    " WHERE j.queue_name = :queue AND j.status = 'todo' AND j.priority > :p"
    " AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
    " AND (j.lock IS NULL OR NOT EXISTS (SELECT 1 FROM procrastinate_jobs d"
    " WHERE d.lock = j.lock AND (d.status = 'doing' OR (d.status = 'todo'"
    " AND (d.priority > j.priority OR (d.priority = j.priority AND d.id < j.id)))))))"
)


def _follow_up(ledger: Ledger, connection_id: str, *, gap: timedelta) -> int | None:
    """Queue the next sync for when the company's earliest due record comes due, if soon."""
    now = ledger.clock()
    with ledger.db.session() as session:
        due = SyncStates(session).next_due_at(connection_id)
        if due is None or due > now + SWEEP_PERIOD:
            return None  # nothing due, or the sweep comes first
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None or connection.status != "active":
            return None
        delay = max(due - now, gap).total_seconds()
        return _defer_on(
            session, SYNC_TASK, connection_id, delay=delay, priority=CONTINUATION_PRIORITY
        )


def _pull_later(ledger: Ledger, connection_id: str, seconds: float) -> int | None:
    """Queue the company's pull again for when its window has room, or its wait for
    QuickBooks' limits ends (a continuation: records just handed over go first; one job, its
    queueing lock keeps it single: a pull already waiting ends the same way when it runs
    before the wait has)."""
    with ledger.db.session() as session:
        return _defer_on(
            session, PULL_TASK, connection_id, delay=seconds, priority=CONTINUATION_PRIORITY
        )


def _retry_later(ledger: Ledger, task_name: str, connection_id: str, attempt: int) -> None:
    """After a job raised: the same work again later, with exponential backoff."""
    if attempt >= MAX_ATTEMPTS:
        log.error(
            "%s of connection %s failed %d times: left to the periodic sweep",
            COMPANY_TASKS[task_name],
            connection_id,
            attempt + 1,
        )
        return
    delay = min(RETRY_BASE * 2**attempt, RETRY_CAP)
    try:
        with ledger.db.session() as session:
            _defer_on(session, task_name, connection_id, delay=delay, attempt=attempt + 1)
    except Exception:
        log.exception("could not queue a retry for connection %s", connection_id)


DELIVERY_BUDGET = 60.0
"""Seconds a sweep spends sending pending events (each app's URL may take its 5 s timeout);
what is left waits for the next sweep or the company's next job."""


def _deliver(ledger: Ledger, connection_id: str) -> None:
    """The company's pending events sent to the app's `events_url`, if it has one; a failure
    leaves them pending for the next job or sweep (and never fails the job)."""
    try:
        deliver_events(ledger, connection_id)
    except Exception:
        log.exception("events of connection %s could not be delivered", connection_id)


def run_sync(
    ledger: Ledger, connection_id: str, attempt: int = 0, priority: int | None = None
) -> str:
    """The body of a sync job (also callable directly): one pass, then what comes next; the
    events it made sent to the app. `priority`, the job's own: its slice ends early, after
    `EARLY_YIELD_AFTER`, once a job of a higher priority waits that a worker could run (a
    company's new records waiting behind a large company's slice)."""
    early = None if priority is None else _waiting_above(ledger, priority)
    try:
        company = read_company(ledger, connection_id, unpulled=True)
        if company is not None:  # active, never pulled: learn the company first
            pull_company(ledger, connection_id, company=company)
        report = sync_company(
            ledger, connection_id, holder=JOB_HOLDER, slice_seconds=SLICE, yield_early=early
        )
    except Exception:
        _retry_later(ledger, SYNC_TASK, connection_id, attempt)
        _deliver(ledger, connection_id)  # a connection lost or suspended is told too
        raise
    _deliver(ledger, connection_id)
    if report.stopped == "busy":
        with ledger.db.session() as session:
            _defer_on(session, SYNC_TASK, connection_id, delay=BUSY_RETRY)
    elif report.stopped == "yielded":  # its time slice is over: the next pass, after others
        with ledger.db.session() as session:
            _defer_on(session, SYNC_TASK, connection_id, priority=CONTINUATION_PRIORITY)
    elif report.stopped not in ("not_active", "keys_changed"):  # those wait for the sweep
        _follow_up(ledger, connection_id, gap=FOLLOW_UP_GAP)
    return (
        f"created={report.created} updated={report.updated} linked={report.linked} "
        f"failed={report.failed} stopped={report.stopped}"
    )


def run_pull(
    ledger: Ledger, connection_id: str, attempt: int = 0, asked_at: str | None = None
) -> str:
    """The body of a pull job: the mirror brought up to date, then any sync it made due; the
    events it made (changes in QuickBooks) sent to the app.

    `asked_at` (the sweep's pulls): a read of the company that began after that moment (a
    sync's first pull, its fresh mirror, a person's refresh; `CLOCK_MARGIN` after) has already
    brought QuickBooks' changes up to it into the mirror, so the job ends without reading the
    company again. A wake-up's pull (a webhook) never carries one: it always reads, but not
    while the company waits for QuickBooks' limits (`connections.wait_until`, a 429, its
    window full): then it reads nothing and is queued again for the moment the wait ends
    (`pull_company` stops "throttled" or "rate_limited"; `_pull_later`). A wake-up's read
    QuickBooks did not answer is made again with backoff, as a job that raised is
    (`_retry_later`)."""
    if asked_at is not None and _read_since(ledger, connection_id, asked_at):
        return "objects=0 deleted=0 stopped=read_since_asked"
    try:
        report = pull_company(ledger, connection_id, wait_within=PULL_WAIT)
    except Exception:
        _retry_later(ledger, PULL_TASK, connection_id, attempt)
        _deliver(ledger, connection_id)
        raise
    _deliver(ledger, connection_id)
    if report.stopped is None:
        _follow_up(ledger, connection_id, gap=timedelta(0))
    elif report.stopped in ("rate_limited", "throttled"):
        # the company's window is full, or it waits for QuickBooks' 429 (`wait_until`): the
        # pull is read once the wait ends, not during it
        _pull_later(ledger, connection_id, report.retry_after or PULL_WAIT)
    elif report.read_again and asked_at is None:
        # QuickBooks did not answer a wake-up's read (a webhook's, a person's): read again
        # with backoff, as after a job that raised; the sweep reads a company whose webhooks
        # arrive only hourly. A sweep's own pull is not: its company's cursor stays old, so
        # the next sweep reads it anyway
        _retry_later(ledger, PULL_TASK, connection_id, attempt)
    return f"objects={report.objects} deleted={report.deleted} stopped={report.stopped}"


def _read_since(ledger: Ledger, connection_id: str, asked_at: str) -> bool:
    """Whether a pull of the company began after `asked_at` (its change cursor, which a pull
    sets to the moment its read began). The two moments come from two processes' clocks (the
    sweep's, the pulling one's): a read counts only when it began `CLOCK_MARGIN` after, so
    that a reader's clock running ahead never makes a read begun before the sweep look like
    one begun after it (a read begun within the margin is done again: one read more, never
    one less)."""
    asked = datetime.fromisoformat(asked_at)
    with ledger.db.session(readonly=True) as session:
        cursor = Connections(session).cdc_cursor(connection_id)
    if cursor is None:
        return False
    if cursor.tzinfo is None:  # stored naive means UTC (as `tables.utcnow` writes)
        cursor = cursor.replace(tzinfo=UTC)
    if asked.tzinfo is None:
        asked = asked.replace(tzinfo=UTC)
    return cursor >= asked + CLOCK_MARGIN


def sweep(ledger: Ledger) -> tuple[int, int]:
    """A pull for the active connections, a sync for those with due work: (pulls, syncs).

    Every active company is pulled except one whose webhooks are known to reach us (a signed
    notification named it within `NOTIFIED_WITHIN`) and whose last read is younger than
    `NOTIFIED_READ_EVERY` (`read_due`; its webhooks wake its pulls meanwhile), decided on
    the connections' rows the sweep reads anyway. Counts the jobs queued now (a job already
    waiting is not counted). The pulls wait as continuations do (`CONTINUATION_PRIORITY`:
    records just handed over go first, and a thousand companies' pulls never stand before
    them) and carry the sweep's moment, so a company read since (its first sync's own pull)
    is not read again (`run_pull`). Suspended
    connections are checked first, and stalled records made due again (`_health`); then the
    events still pending are sent to the app (those of Desktop connections, whose work runs in
    the Web Connector's sessions, and of connections with no job to run).

    Its cost grows with the companies that have work, not with all of them: the due syncs,
    the stalled records and the pending events are each found in one query for every
    connection, and the pulls are queued in one insert (`_defer_many_on`).
    """
    _health(ledger)
    now = ledger.clock()
    with ledger.db.session() as session:
        found = Connections(session).all_connected_with_cursors()
        connected = [c for c, _ in found]
        active = [c.id for c in connected if c.status == "active"]
        read = [
            c.id
            for c, cursor in found
            if c.status == "active" and read_due(c.notified_at, cursor, now)
        ]
        due = SyncStates(session).due_connections(now)
        pulls = _defer_many_on(
            session, PULL_TASK, read, priority=CONTINUATION_PRIORITY, asked_at=now
        )
        syncs = 0
        for connection_id in active:
            if connection_id in due:
                syncs += _defer_on(session, SYNC_TASK, connection_id) is not None
    with ledger.db.session(readonly=True) as session:
        waiting = Events(session).awaiting_delivery()
        every = {c.id for c in connected}
        every.update(c.connection_id for c in WebConnectors(session).all())
    ready = sorted(waiting & every)
    random.shuffle(ready)  # an app that does not answer delays others only now and then
    deadline = time.monotonic() + DELIVERY_BUDGET
    for connection_id in ready:
        if time.monotonic() >= deadline:
            break  # the rest at the next sweep (or their next job)
        _deliver(ledger, connection_id)
    return pulls, syncs


def _defer_many_on(
    session: Session,
    task_name: str,
    connection_ids: Sequence[str],
    *,
    priority: int,
    asked_at: datetime,
) -> int:
    """`_defer_on` for many companies at once (the sweep's pulls): the companies whose job
    already waits are left out (one query on the queueing locks), the others' jobs inserted
    in one statement, in a savepoint. Should another process queue one of them meanwhile
    (the insert fails on its queueing lock), they are queued one at a time instead. Returns
    how many were queued."""
    locks = {
        _queueing_lock(task_name, cid, swept=True): cid for cid in dict.fromkeys(connection_ids)
    }
    if not locks:
        return 0
    waiting = session.execute(
        text(
            "SELECT queueing_lock FROM procrastinate_jobs"
            " WHERE status = 'todo' AND queueing_lock = ANY(:locks)"
        ),
        {"locks": list(locks)},
    ).scalars()
    for lock in waiting:
        locks.pop(lock, None)
    wanted = list(locks.values())
    if not wanted:
        return 0
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise ValueError("procrastinate jobs need the psycopg (3) driver")
    app = _deferral_app()
    kwargs = {"asked_at": asked_at.isoformat()}
    new_jobs = [
        app.configure_task(
            task_name,
            queue=QUEUE,
            lock=company_lock(cid),
            queueing_lock=_queueing_lock(task_name, cid, swept=True),
            priority=priority,
        ).make_new_job(connection_id=cid, **kwargs)
        for cid in wanted
    ]
    try:
        with driver.transaction():  # a savepoint: the session's transaction began above
            app.job_manager.batch_defer_jobs(new_jobs, connection=driver)
        return len(new_jobs)
    except procrastinate_errors.AlreadyEnqueued:
        queued = (
            _defer_on(session, task_name, cid, priority=priority, asked_at=asked_at)
            for cid in wanted
        )
        return sum(job is not None for job in queued)


def _health(ledger: Ledger) -> None:
    """Suspended connections checked again; stalled records of active ones due again; Desktop
    connections whose Web Connector has gone silent shown so (`engine.desktop.health`). The
    active companies that may hold stalled records are found in one query for all."""
    try:
        desktop_health.check_all(ledger)
    except Exception:  # the Online companies' round goes on
        log.exception("the Web Connectors' health round failed")
    with ledger.db.session(readonly=True) as session:
        connections = [(c.id, c.status) for c in Connections(session).all_connected()]
        stalling = SyncStates(session).stalling_connections(ledger.clock() - STALLED_AFTER)
    for connection_id, status in connections:
        try:
            if status == "suspended":
                check_connection(ledger, connection_id)
            elif status == "active" and connection_id in stalling:
                requeue_stalled(ledger, connection_id)
        except Exception:  # one company's failure must not stop the sweep
            log.exception("health check of connection %s failed", connection_id)


def job_app(
    ledger: JobsLedger,
    *,
    pool_size: int = 4,
    sweep_cron: str | None = SWEEP_CRON,
    cleanup_cron: str | None = CLEANUP_CRON,
) -> procrastinate.App:
    """The procrastinate app of this ledger: its connector and its tasks. Opens nothing.

    `sweep_cron=None`, `cleanup_cron=None`: the task exists (another worker may schedule it)
    but this app schedules none. procrastinate defers, at a worker's start, a periodic task
    whose last tick it has not deferred yet (within ten minutes), so a worker on a new job
    table sweeps at once."""
    if ledger.db.dialect != "postgresql":
        raise ValueError(
            "procrastinate jobs need PostgreSQL; SQLite uses the in-process dispatcher"
        )
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=_conninfo(ledger), min_size=1, max_size=max(2, pool_size)
        ),
        worker_defaults={"queues": [QUEUE]},
    )

    @app.task(name=SYNC_TASK, queue=QUEUE, pass_context=True)
    def sync_connection(
        context: procrastinate.JobContext, connection_id: str, attempt: int = 0
    ) -> str:
        return run_sync(ledger, connection_id, attempt, priority=context.job.priority)

    @app.task(name=PULL_TASK, queue=QUEUE)
    def pull_connection(connection_id: str, attempt: int = 0, asked_at: str | None = None) -> str:
        return run_pull(ledger, connection_id, attempt, asked_at)

    @app.task(name=SWEEP_TASK, queue=QUEUE, queueing_lock=SWEEP_TASK)
    def sweep_connections(timestamp: int) -> str:
        pulls, syncs = sweep(ledger)
        return f"pulls={pulls} syncs={syncs}"

    if sweep_cron is not None:
        app.periodic(cron=sweep_cron)(sweep_connections)

    @app.task(name=CLEANUP_TASK, queue=QUEUE, queueing_lock=CLEANUP_TASK)
    async def remove_old_jobs(timestamp: int) -> None:
        await app.job_manager.delete_old_jobs(
            nb_hours=KEEP_JOBS_HOURS,
            queue=QUEUE,
            include_failed=True,
            include_cancelled=True,
            include_aborted=True,
        )

    if cleanup_cron is not None:
        app.periodic(cron=cleanup_cron)(remove_old_jobs)

    return app


# --- stalled jobs -----------------------------------------------------------------------------


def _requeue_stalled(ledger: Ledger, job: Job) -> bool:
    """Mark a stalled job failed and queue its work again, in one transaction."""
    with ledger.db.session() as session:
        status = session.execute(
            text("SELECT status FROM procrastinate_jobs WHERE id = :id FOR UPDATE SKIP LOCKED"),
            {"id": job.id},
        ).scalar()
        if status != "doing":
            return False  # finished meanwhile, or another worker is recovering it
        session.execute(
            text("SELECT procrastinate_finish_job_v1(:id, 'failed', false)"), {"id": job.id}
        )
        connection_id = job.task_kwargs.get("connection_id")
        if job.task_name in COMPANY_TASKS and isinstance(connection_id, str):
            _defer_on(session, job.task_name, connection_id)
    log.warning("job %s was stalled (its worker stopped): its work is queued again", job.id)
    return True


async def recover_stalled(app: procrastinate.App, ledger: Ledger, stalled_after: float) -> int:
    """Requeue the jobs of workers silent for `stalled_after` seconds; how many were."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=stalled_after
    )
    recovered = 0
    for job in stalled:
        recovered += await asyncio.to_thread(_requeue_stalled, ledger, job)
    return recovered


async def _recovery_loop(app: procrastinate.App, ledger: Ledger, stalled_after: float) -> None:
    while True:
        try:
            await recover_stalled(app, ledger, stalled_after)
        except Exception:
            log.exception("looking for stalled jobs failed")
        await asyncio.sleep(max(stalled_after / 2, 0.1))


# --- the worker -------------------------------------------------------------------------------


def run_worker(
    ledger: JobsLedger,
    *,
    concurrency: int = 1,
    wait: bool = True,
    name: str | None = None,
    poll_every: float = 1.0,
    heartbeat_every: float = 10.0,
    stalled_after: float = 60.0,
    sweep_cron: str | None = SWEEP_CRON,
    cleanup_cron: str | None = CLEANUP_CRON,
) -> None:
    """Run jobs until SIGINT or SIGTERM (or, with `wait=False`, until none is left).

    The first signal stops fetching jobs and lets the running ones finish (a sync pass is
    bounded); a second one exits at once (a job cut short is recovered as stalled by the
    other workers, and the write it had started is settled with its `requestid`).
    `concurrency` jobs run at once, each in a thread. `poll_every` is the polling interval: new
    jobs are announced by LISTEN/NOTIFY, but a job queued for later (a large company's next
    slice, once its QuickBooks window has room: about every minute) is found only by a look, so
    at 5 s a company lost 2.5 s of each minute's window on average. A worker silent for
    `stalled_after` seconds (heartbeats every `heartbeat_every`) is presumed dead. `sweep_cron`:
    when the sweep runs (None: this worker schedules none; the test suites' workers, whose tests
    say when a company is pulled). `cleanup_cron`: when finished jobs are removed (None: this
    worker schedules none; the test suites' workers, whose tests read the job table: started in
    the ten minutes after 03:17 UTC, a worker would otherwise run the day's cleanup first).
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be 1 to {MAX_CONCURRENCY}")
    app = job_app(
        ledger, pool_size=concurrency + 3, sweep_cron=sweep_cron, cleanup_cron=cleanup_cron
    )
    asyncio.run(
        _serve(
            app,
            ledger,
            concurrency=concurrency,
            wait=wait,
            name=name or f"ledgerbridge-{os.getpid()}",
            poll_every=poll_every,
            heartbeat_every=heartbeat_every,
            stalled_after=stalled_after,
        )
    )


async def _serve(
    app: procrastinate.App,
    ledger: Ledger,
    *,
    concurrency: int,
    wait: bool,
    name: str,
    poll_every: float,
    heartbeat_every: float,
    stalled_after: float,
) -> None:
    loop = asyncio.get_running_loop()
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                name=name,
                concurrency=concurrency,
                wait=wait,
                fetch_job_polling_interval=poll_every,
                update_heartbeat_interval=heartbeat_every,
                stalled_worker_timeout=stalled_after,
                install_signal_handlers=False,
            )
        )
        stops = 0

        def on_signal(signum: int) -> None:
            nonlocal stops
            stops += 1
            if stops == 1:
                log.info("%s: finishing the running jobs, then stopping", signal.strsignal(signum))
                worker.cancel()  # procrastinate stops gracefully when cancelled
            else:
                log.warning("stopping at once")
                os._exit(128 + signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        recovery = asyncio.create_task(_recovery_loop(app, ledger, stalled_after))
        try:
            await asyncio.wait({worker})
        finally:
            recovery.cancel()
            with suppress(asyncio.CancelledError):
                await recovery
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        if not worker.cancelled():
            worker.result()  # a worker that failed raises here
    log.info("worker %s stopped", name)
