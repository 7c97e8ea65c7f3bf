"""What the entry points start from a ledger: the service with its dispatcher, the HTTP API
served, the job worker.

    ledger = migrated(load_settings())                 # every command of `ledgerbridge`
    dispatcher = dispatcher_for(ledger)               # in-process on SQLite, jobs on PostgreSQL
    service = service_for(ledger, dispatcher)
    serve_api(service, host="127.0.0.1", port=8000, log_level="info")

The command line and the demo call these; they decide nothing themselves about which dispatcher
a database takes or how the service learns of new work.

The web (the API, the dashboard, uvicorn) is imported by the two functions that serve it, and
procrastinate's jobs (with psycopg) only on PostgreSQL: a command such as `ledgerbridge keys
create` or `worker` on SQLite needs neither, and each process of the command line would
otherwise load them (about a second of CPU).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from ledgerbridge.bootstrap.ledger import Ledger, build
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import Settings

__all__ = [
    "CannotListen",
    "Dispatcher",
    "api_in_thread",
    "dispatcher_for",
    "migrated",
    "public_url",
    "run_jobs",
    "serve_api",
    "service_for",
]


class Dispatcher(Protocol):
    """What a process needs of its dispatcher (`InProcessDispatcher`, `jobs.JobDispatcher`)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wake(self, connection_id: str) -> None: ...

    def wake_pull(self, connection_id: str) -> None: ...


class CannotListen(Exception):
    """The HTTP API did not start listening (the message says where)."""


def migrated(settings: Settings) -> Ledger:
    """`build`, its database brought up to date (and procrastinate's tables on PostgreSQL):
    the ledger every command of `ledgerbridge` opens. Dispose of its database when done."""
    ledger = build(settings)
    ledger.db.migrate()
    if ledger.db.dialect == "postgresql":
        from ledgerbridge.dispatch import jobs

        jobs.apply_job_schema(ledger)
    return ledger


def dispatcher_for(ledger: Ledger) -> Dispatcher:
    """In-process on SQLite; procrastinate jobs (run by `ledgerbridge worker`) on PostgreSQL."""
    if ledger.db.dialect == "postgresql":
        from ledgerbridge.dispatch import jobs

        return jobs.JobDispatcher(ledger)
    return InProcessDispatcher(ledger)


def service_for(ledger: Ledger, dispatcher: Dispatcher | None = None) -> Service:
    """The service, waking `dispatcher` when there is work (a job deferred in the same
    transaction on PostgreSQL); without one, a command's own service that wakes nobody."""
    if dispatcher is None:
        return Service(ledger)
    defer_in = None
    if not isinstance(dispatcher, InProcessDispatcher):
        from ledgerbridge.dispatch import jobs

        if isinstance(dispatcher, jobs.JobDispatcher):
            defer_in = jobs.defer_sync_in
    return Service(ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull, defer_in=defer_in)


def public_url(host: str, port: int) -> str:
    """This server's URL for QuickBooks' redirects and webhooks (all addresses: loopback)."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in reachable:
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"


def serve_api(service: Service, *, host: str, port: int, log_level: str) -> None:
    """The HTTP API (and the dashboard) in this thread until interrupted; `SystemExit` when it
    cannot listen (uvicorn's way)."""
    import uvicorn

    from ledgerbridge.api import create_app, logs

    uvicorn.run(
        create_app(service),
        host=host,
        port=port,
        log_level=log_level,
        log_config=logs.uvicorn_log_config(),
        lifespan="off",
    )


@contextmanager
def api_in_thread(service: Service, host: str, port: int) -> Iterator[None]:
    """The HTTP API (and the dashboard) from a thread while the block runs; `CannotListen`
    when it does not start within 15 seconds."""
    import uvicorn

    from ledgerbridge.api import create_app, logs

    config = uvicorn.Config(
        create_app(service),
        host=host,
        port=port,
        log_level="warning",
        log_config=logs.uvicorn_log_config(),
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ledgerbridge-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise CannotListen(f"the HTTP API could not listen on {host}:{port}")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run_jobs(
    ledger: Ledger,
    *,
    heartbeat_every: float = 10.0,
    stalled_after: float = 60.0,
    poll_every: float = 1.0,
    concurrency: int = 1,
) -> None:
    """`ledgerbridge worker` on PostgreSQL: procrastinate's worker runs the sync and pull jobs
    until SIGINT or SIGTERM (a worker silent for `stalled_after` seconds is presumed dead),
    `concurrency` at once."""
    from ledgerbridge.dispatch import jobs

    jobs.run_worker(
        ledger,
        heartbeat_every=heartbeat_every,
        stalled_after=stalled_after,
        poll_every=poll_every,
        concurrency=concurrency,
    )
