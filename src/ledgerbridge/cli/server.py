"""`ledgerbridge serve | worker | migrate`: the processes, and the database schema.

`serve` and `worker` migrate the database first (an atomic no-op when it is up to date); what
they start (the dispatcher of the database, the service, the HTTP API, procrastinate's worker)
is wired by `bootstrap.wiring`.
"""

from __future__ import annotations

import logging
import signal
import threading
from enum import StrEnum
from types import FrameType
from typing import Annotated

import typer

from ledgerbridge.bootstrap import Ledger, wiring
from ledgerbridge.cli.common import opened
from ledgerbridge.dispatch import MAX_CONCURRENCY

__all__ = ["Level", "LogLevel", "app"]

log = logging.getLogger("ledgerbridge.cli")

app = typer.Typer()


def _check_redirect(ledger: Ledger) -> None:
    if ledger.settings.qbo_client_id and ledger.settings.qbo_redirect_uri is None:
        log.warning(
            "LEDGERBRIDGE_QBO_REDIRECT_URI is not set: QuickBooks will send people back to %s, "
            "which must be a redirect URI of the app's keys; set it to your public URL's "
            "/v1/oauth/callback",
            ledger.redirect_uri(),
        )
    else:
        log.info("QuickBooks sends people back to %s", ledger.redirect_uri())


class Level(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


def _configure_logging(level: Level) -> None:
    logging.basicConfig(
        level=level.value.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


LogLevel = Annotated[Level, typer.Option(help="How much to log.")]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000,
    log_level: LogLevel = Level.info,
) -> None:
    """Serve the HTTP API (and run the sync work in this process)."""
    _configure_logging(log_level)
    with opened() as ledger:
        ledger.public_url = wiring.public_url(host, port)
        dispatcher = wiring.dispatcher_for(ledger)
        if ledger.db.dialect == "postgresql":
            log.info(
                "PostgreSQL: sync and pull jobs run in `ledgerbridge worker` processes; "
                "start at least one"
            )
        _check_redirect(ledger)
        service = wiring.service_for(ledger, dispatcher)
        dispatcher.start()
        try:
            wiring.serve_api(service, host=host, port=port, log_level=log_level.value)
        finally:
            service.close()  # the Desktop passes of this process end before the database
            dispatcher.stop()


@app.command()
def worker(
    log_level: LogLevel = Level.info,
    heartbeat_every: Annotated[
        float,
        typer.Option(
            help="PostgreSQL: seconds between this worker's heartbeats.", min=0.1, max=3600
        ),
    ] = 10.0,
    stalled_after: Annotated[
        float,
        typer.Option(
            help="PostgreSQL: seconds without heartbeats after which a worker is presumed dead "
            "and its jobs are queued again (several heartbeats' worth).",
            min=0.5,
            max=86400,
        ),
    ] = 60.0,
    poll_every: Annotated[
        float,
        typer.Option(
            help="PostgreSQL: seconds between looks for jobs missed by NOTIFY, and for jobs "
            "queued for later that came due (a company's next turn after its QuickBooks "
            "window filled).",
            min=0.1,
            max=3600,
        ),
    ] = 1.0,
    concurrency: Annotated[
        int,
        typer.Option(
            help="PostgreSQL: jobs this worker runs at once, each in a thread, never two of one "
            "company. A job mostly waits for QuickBooks' answers: more than 1 lets one process "
            "work other companies meanwhile (its Python code still runs on one core at a time).",
            min=1,
            max=MAX_CONCURRENCY,
        ),
    ] = 1,
) -> None:
    """Run the sync work without the HTTP API, until interrupted."""
    _configure_logging(log_level)
    if stalled_after <= heartbeat_every:
        raise typer.BadParameter(
            "must be longer than --heartbeat-every", param_hint="--stalled-after"
        )
    with opened() as ledger:
        if ledger.db.dialect == "postgresql":
            # stops cleanly on SIGINT/SIGTERM
            wiring.run_jobs(
                ledger,
                heartbeat_every=heartbeat_every,
                stalled_after=stalled_after,
                poll_every=poll_every,
                concurrency=concurrency,
            )
            return
        dispatcher = wiring.dispatcher_for(ledger)
        stop = threading.Event()

        def _terminate(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _terminate)
        dispatcher.start()
        log.info("worker running; Ctrl-C or SIGTERM stops it")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            dispatcher.stop()
            signal.signal(signal.SIGTERM, previous)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    with opened():
        typer.echo("The database schema is up to date.")
