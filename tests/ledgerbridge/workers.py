"""`ledgerbridge worker` processes for the tests: real subprocesses running `run_worker` on the
test's PostgreSQL schema, with short polls and heartbeats (a killed one is presumed dead within
seconds) and no periodic sweep: on a new job table procrastinate would defer one at each
worker's start, and its pull of every company would land at a moment no test chose (a test
that says "no pull has seen this change" would race it). The sweep has tests of its own.
Used by the job tests and by the engine suites' scale-out shape."""

from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.child_processes import stop

__all__ = ["WORKER", "Worker"]

WORKER = """
import logging, sys
from ledgerbridge.bootstrap import build
from ledgerbridge.dispatch.jobs import run_worker
from ledgerbridge.settings import load_settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
logging.getLogger("httpx").setLevel(logging.WARNING)
ledger = build(load_settings())
try:
    run_worker(ledger, name=sys.argv[1], concurrency=int(sys.argv[2]), poll_every=0.5,
               heartbeat_every=0.5, stalled_after=2.0, sweep_cron=None, cleanup_cron=None)
finally:
    ledger.db.dispose()
"""


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path

    @classmethod
    def start(
        cls, name: str, environ: dict[str, str], log_path: Path, *, concurrency: int = 1
    ) -> Worker:
        """A worker running `concurrency` jobs at once."""
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER, name, str(concurrency)],
            env=environ,
            stdout=log,
            stderr=log,
        )
        return cls(name, process, log, log_path)

    @classmethod
    def cli(cls, name: str, args: list[str], environ: dict[str, str], log_path: Path) -> Worker:
        """`ledgerbridge worker` itself, with `args` (its own sweep and cleanup scheduled, as
        a deployed worker's are)."""
        log = log_path.open("wb")
        command = str(Path(sys.executable).parent / "ledgerbridge")
        process = subprocess.Popen([command, "worker", *args], env=environ, stdout=log, stderr=log)
        return cls(name, process, log, log_path)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` and wait for the worker to end: its exit code. No deadline of its own: a
        worker finishes its running jobs first, and under load a sync slice can outlast any
        fixed wait (CI once waited 20 s for one); a worker that never ends is a hang, which the
        run's timeout stops, the worker then killed (`child_processes.stop`)."""
        try:
            return stop(self.process, sig)
        finally:
            self.log.close()

    @staticmethod
    def stop_all(workers: list[Worker]) -> None:
        """Stop every worker: SIGTERM to all before waiting for any (they finish their running
        jobs side by side; a second signal would stop one at once), each one waited for and its
        log closed even when another's wait fails."""
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        with ExitStack() as every:  # each callback runs, whatever the others raise
            for worker in workers:
                every.callback(worker.stop, 0)  # signal 0: already told, only waited for

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")
