"""Delivering webhook notifications: batching, Intuit's retry schedule, hold-back, attempt log.

One daemon thread owns one ``httpx.Client``. Per target (one app endpoint) the dispatcher
keeps a FIFO of published events and at most one *head* notification, the batch being sent:

* a batch goes out ``batch_window`` seconds after the oldest waiting event was published;
* only ``200`` answered within ``timeout`` seconds acknowledges it; anything else is a failure
  and the same notification (same body, signature and ids) is retried after 10 s, 20 s, 30 s,
  5 min, 20 min, 2 h, 4 h, 6 h, then every 6 h, each multiplied by ``time_scale``;
* while the head fails, newer events for that target wait behind it, in order; other
  targets carry on. The worker sends one request at a time, so a target that lets requests
  time out delays the others by at most ``timeout`` per attempt.

Scheduling uses the injectable ``clock`` (seconds); HTTP timeouts and ``flush`` use real time.
"""

from __future__ import annotations

import functools
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from .payloads import ChangeEvent, WebhookTarget, encode_body, notification_headers

log = logging.getLogger(__name__)

RETRY_SCHEDULE: Final[tuple[float, ...]] = (
    10.0,
    20.0,
    30.0,
    5 * 60.0,
    20 * 60.0,
    2 * 3600.0,
    4 * 3600.0,
    6 * 3600.0,
)
MAX_EVENTS_PER_NOTIFICATION: Final = 1000
DELIVERY_LOG_LIMIT = 1000
FLUSH_RETRY_PAUSE: Final = 0.02  # during flush(), a failing head is retried this often
MIN_RETRY_PAUSE: Final = 0.001  # never retry in a tight loop, whatever time_scale says
MAX_IDLE_WAIT: Final = 60.0  # re-check at least this often (keeps waits within OS limits)


def retry_delay(failures: int) -> float:
    """Unscaled seconds between the ``failures``-th failed attempt and the next one."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    return RETRY_SCHEDULE[min(failures, len(RETRY_SCHEDULE)) - 1]


@dataclass(eq=False)
class _Notification:
    """One POST's worth of events; body and headers are built once, on the first attempt."""

    events: tuple[ChangeEvent, ...]
    attempts: int = 0
    failed_at: float = 0.0
    body: bytes = b""
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class _Queue:
    target: WebhookTarget
    waiting: deque[tuple[float, ChangeEvent]] = field(default_factory=deque)
    head: _Notification | None = None
    busy: bool = False  # the worker is sending the head right now

    def pending(self) -> int:
        return len(self.waiting) + (len(self.head.events) if self.head is not None else 0)


@dataclass(eq=False)
class _Run:
    """One start()..stop() lifetime of the worker; whoever finishes last closes the client."""

    client: httpx.Client
    thread: threading.Thread | None = None
    stopping: bool = False
    exited: bool = False
    detached: bool = False


@dataclass(frozen=True, slots=True)
class _Outcome:
    delivered: bool
    status: int | None
    error: str | None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, made once per process: loading the trusted certificates
    costs tens of milliseconds of CPU, paid by every dispatcher started (every emulator)."""
    return httpx.create_ssl_context()


def _non_negative(name: str, value: float) -> float:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


class WebhookDispatcher:
    """Batches change events per target and POSTs them, signed, from one background thread."""

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        batch_window: float = 1.0,
        timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._time_scale = _non_negative("time_scale", time_scale)
        self._batch_window = _non_negative("batch_window", batch_window)
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0, got {timeout!r}")
        self._timeout = float(timeout)
        self._transport = transport
        self._clock = clock
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # the worker waits here
        self._idle = threading.Condition(self._lock)  # flush() waits here
        self._queues: dict[WebhookTarget, _Queue] = {}
        self._log: deque[dict[str, Any]] = deque(maxlen=DELIVERY_LOG_LIMIT)
        self._flushing = 0
        self._run_state: _Run | None = None

    # -- settings -------------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        return self._time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        with self._lock:
            self._time_scale = _non_negative("time_scale", value)
            self._work.notify_all()

    @property
    def batch_window(self) -> float:
        return self._batch_window

    @batch_window.setter
    def batch_window(self, value: float) -> None:
        with self._lock:
            self._batch_window = _non_negative("batch_window", value)
            self._work.notify_all()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._run_state is not None:
                return
            client = httpx.Client(
                transport=self._transport,
                timeout=self._timeout,
                trust_env=False,
                verify=_tls_context(),
            )
            run = _Run(client)
            run.thread = threading.Thread(
                target=self._worker, args=(run,), name="qbo-webhooks", daemon=True
            )
            self._run_state = run
            run.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker (queued events stay queued) and close the HTTP client."""
        with self._lock:
            run = self._run_state
            if run is None:
                return
            self._run_state = None
            run.stopping = True
            self._work.notify_all()
            self._idle.notify_all()
        if run.thread is not None:
            run.thread.join(timeout)
        with self._lock:
            if run.exited:
                run.client.close()
            else:  # stuck in a request: the worker closes the client when it returns
                run.detached = True
                log.warning("webhook worker still busy after %.1f s; detached", timeout)

    # -- producer side --------------------------------------------------------------------

    def publish(self, target: WebhookTarget, event: ChangeEvent) -> None:
        now = self._clock()
        with self._lock:
            queue = self._queues.get(target)
            if queue is None:
                queue = self._queues[target] = _Queue(target)
            queue.waiting.append((now, event))
            self._work.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Send everything now, skipping batch windows and retry waits; True once nothing is
        pending. Without a running worker nothing can be sent: returns at once."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._flushing += 1
            self._work.notify_all()
            try:
                while self._pending_locked(None) and self._run_state is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._idle.wait(remaining)
                return self._pending_locked(None) == 0
            finally:
                self._flushing -= 1

    def deliveries(self, client_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._log)
        return [dict(e) for e in entries if client_id is None or e["client_id"] == client_id]

    def pending(self, client_id: str | None = None) -> int:
        with self._lock:
            return self._pending_locked(client_id)

    def clear(self, client_id: str | None = None) -> None:
        """Drop queued and failing notifications (an in-flight attempt's answer is ignored)."""
        with self._lock:
            for target, queue in list(self._queues.items()):
                if client_id is None or target.client_id == client_id:
                    queue.waiting.clear()
                    queue.head = None
                    if not queue.busy:
                        del self._queues[target]
            self._idle.notify_all()

    def _pending_locked(self, client_id: str | None) -> int:
        return sum(
            q.pending()
            for t, q in self._queues.items()
            if client_id is None or t.client_id == client_id
        )

    # -- worker ---------------------------------------------------------------------------

    def _worker(self, run: _Run) -> None:
        try:
            while not run.stopping:
                try:
                    self._step(run)
                except Exception:  # a bug must not end deliveries
                    log.exception("webhook worker error")
                    with self._lock:
                        self._work.wait(0.05)
        finally:
            with self._lock:
                run.exited = True
                if run.detached:
                    run.client.close()

    def _step(self, run: _Run) -> None:
        job = self._next_job(run)
        if job is None:
            return
        queue, notification = job
        try:
            entry, outcome = self._attempt(run.client, queue.target, notification)
            self._settle(queue, notification, entry, outcome)
        finally:
            with self._lock:
                queue.busy = False

    def _next_job(self, run: _Run) -> tuple[_Queue, _Notification] | None:
        """Block until some target is due (or stop); claim it, forming its head if needed."""
        with self._lock:
            while not run.stopping:
                now = self._clock()
                queue, due = self._earliest()
                if queue is not None and due <= now:
                    if queue.head is None:
                        count = min(len(queue.waiting), MAX_EVENTS_PER_NOTIFICATION)
                        events = tuple(queue.waiting.popleft()[1] for _ in range(count))
                        queue.head = _Notification(events)
                    queue.busy = True
                    return queue, queue.head
                self._work.wait(None if queue is None else min(due - now, MAX_IDLE_WAIT))
            return None

    def _earliest(self) -> tuple[_Queue | None, float]:
        best: _Queue | None = None
        best_due = 0.0
        for queue in self._queues.values():
            due = None if queue.busy else self._due(queue)
            if due is not None and (best is None or due < best_due):
                best, best_due = queue, due
        return best, best_due

    def _due(self, queue: _Queue) -> float | None:
        head = queue.head
        if head is not None:
            if head.attempts == 0:
                return float("-inf")
            pause = retry_delay(head.attempts) * self._time_scale
            if self._flushing:
                pause = min(pause, FLUSH_RETRY_PAUSE)
            return head.failed_at + max(pause, MIN_RETRY_PAUSE)
        if queue.waiting:
            return queue.waiting[0][0] + (0.0 if self._flushing else self._batch_window)
        return None

    def _attempt(
        self, client: httpx.Client, target: WebhookTarget, notification: _Notification
    ) -> tuple[dict[str, Any], _Outcome]:
        """One POST, outside the lock. Never raises: every problem is an attempt error."""
        notification.attempts += 1
        at = datetime.now(UTC)
        try:
            if not notification.body:
                notification.body = encode_body(target.format, notification.events)
                notification.text = notification.body.decode("utf-8")
                notification.headers = notification_headers(
                    notification.body, target.verifier_token, at
                )
            outcome = self._post(client, target.url, notification)
        except Exception as exc:
            log.exception("webhook attempt to %s failed unexpectedly", target.url)
            outcome = _Outcome(False, None, f"{type(exc).__name__}: {exc}")
        entry: dict[str, Any] = {
            "client_id": target.client_id,
            "url": target.url,
            "attempt": notification.attempts,
            "status": outcome.status,
            "error": outcome.error,
            "events": len(notification.events),
            "at": at.isoformat(),
            "delivered": outcome.delivered,
            "body": notification.text,
        }
        return entry, outcome

    def _post(self, client: httpx.Client, url: str, notification: _Notification) -> _Outcome:
        limit = self._timeout
        started = time.monotonic()
        try:
            response = client.post(
                url, content=notification.body, headers=notification.headers, timeout=limit
            )
        except httpx.TimeoutException as exc:
            return _Outcome(False, None, f"timeout: no answer within {limit:g} s ({exc!r})")
        except httpx.HTTPError as exc:
            return _Outcome(False, None, f"{type(exc).__name__}: {exc}")
        elapsed = time.monotonic() - started
        status = response.status_code
        if elapsed > limit:
            return _Outcome(False, status, f"timeout: answered after {elapsed:.3f} s > {limit:g} s")
        if status != 200:
            return _Outcome(False, status, f"HTTP {status}: only 200 acknowledges a notification")
        return _Outcome(True, status, None)

    def _settle(
        self,
        queue: _Queue,
        notification: _Notification,
        entry: dict[str, Any],
        outcome: _Outcome,
    ) -> None:
        with self._lock:
            self._log.append(entry)
            queue.busy = False
            if queue.head is notification:  # not cleared meanwhile
                if outcome.delivered:
                    queue.head = None
                else:
                    notification.failed_at = self._clock()
            if not queue.pending() and self._queues.get(queue.target) is queue:
                del self._queues[queue.target]
            self._idle.notify_all()
