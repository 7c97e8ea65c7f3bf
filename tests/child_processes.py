"""Child processes a test starts (`ledgerbridge serve` and `worker`, the emulators' command
lines): waited for until they do what the test waits for, and until they end once told to
stop, with no deadline of their own.

A child runs at the priority of the run that started it, and a plain pytest run on a shared
machine is started at idle priority (`chrt -i 0 nice -n 19`) next to a benchmark: importing
ledgerbridge, about 2 s of CPU, then took from 8 to 65 s of wall-clock time. A fixed wait of
20 s failed tests whose child was only slow, not stuck (`ledgerbridge serve` "timed out
waiting for the API to answer"). The wait now ends when the child answers, or at once when it
ends first (an error, with its output); a child that neither answers nor ends is a hang, which
the run's timeout stops (pyproject's `timeout`, pytest-timeout), its child then killed by
`stop` as the test unwinds."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

__all__ = ["stop", "wait_until"]

LOOK_EVERY = 0.05  # seconds between looks


def wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[Any],
    what: str,
    output: Callable[[], str] = lambda: "",
) -> None:
    """Return once `ready()` holds; AssertionError as soon as `process` has ended instead
    (`output()`: what it printed, for the message)."""
    while not ready():
        assert process.poll() is None, f"exited {process.returncode} before {what}: {output()}"
        time.sleep(LOOK_EVERY)


def stop(process: subprocess.Popen[Any], signum: int = signal.SIGTERM) -> int:
    """Send `signum` (if still running) and wait for the process to end: its exit code. A wait
    cut short (the run's timeout) kills it, so that no child outlives its test."""
    if process.poll() is None:
        process.send_signal(signum)
    try:
        return process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
