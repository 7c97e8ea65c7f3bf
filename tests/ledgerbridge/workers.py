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
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")
