"""A Desktop connection's sync, carried out through its Web Connector sessions: the
`engine.ports.DesktopWork` the Web Connector service asks for requests.

    authenticate      due(connection): a pass is running, requests are queued, fixes wait,
                      records are due, or the last pull by modified date is older than `EVERY`
    sendRequestXML    next_request: the pass is started (a thread of this process, under the
                      connection's lease) if none runs; the oldest queued request is handed out,
                      waiting up to `wait` seconds for the pass to queue one; NOT_READY (NoOp)
                      while the pass prepares its next call; None when it has ended
    receiveResponseXML take_response: the answer kept for the pass; the percentage of the due
                      records done (at most 99 while the pass runs), 100 when it has ended

The pass is the engine's own: the fixes a person asked for that need QuickBooks itself
(`fixes`: a Link, a Reactivate, a lists refresh...), then a pull by modified date
(`engine.pull`, through the Desktop adapter's `cdc`) when one is due, then the push pass
(`engine.push.sync_company`) when records are due. Its QuickBooks calls go through
`exchange.QueuedExchange`, so the pass and the SOAP calls may be in different threads or
processes: they meet in the `desktop_requests` table.

A request handed out and never answered (the session ended, or asked for the next one first)
is marked lost when the next request is asked for: the pass settles that write by a look-up
(`adapters.qbd.client`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from ledgerbridge.engine import pull
from ledgerbridge.engine.desktop import fixes
from ledgerbridge.engine.desktop.exchange import changes, nudge, pause
from ledgerbridge.engine.ports import (
    NOT_READY,
    DesktopSession,
    Ledger,
    NotReady,
    QbxmlRequest,
    Taken,
)
from ledgerbridge.engine.push import new_holder, sync_company
from ledgerbridge.engine.push.lease import LEASE
from ledgerbridge.engine.push.work import HeldLease, Stop
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.desktop_actions import DesktopActions
from ledgerbridge.storage.desktop_requests import DesktopRequests, StoredRequest
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["EVERY", "KEEP_ANSWERS", "DesktopPasses"]

log = logging.getLogger(__name__)

EVERY: Final = timedelta(minutes=15)
"""A pull by modified date is due this long after the last (the .qwc's RunEveryNMinutes)."""
KEEP_ANSWERS: Final = timedelta(days=7)


@dataclass
class _Run:
    total: int  # due records when the pass began
    thread: threading.Thread | None = None
    ended: bool = False  # its work is over (its thread may still be finishing)

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and not self.ended


@dataclass
class DesktopPasses:
    """`DesktopWork` running the engine's passes (module docstring). One per process."""

    ledger: Ledger
    wait: float = 1.0  # seconds a session's call waits for the pass before NoOp
    every: timedelta = EVERY
    _runs: dict[str, _Run] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- DesktopWork ----------------------------------------------------------------------------

    def due(self, connection_id: str) -> bool:
        if self._alive_here(connection_id):
            return True
        with self.ledger.db.session(readonly=True) as session:  # one read for all of it
            return (
                self._held_elsewhere(session, connection_id)
                or DesktopRequests(session).has_queued(connection_id)
                or self._work_due(session, connection_id)
            )

    def next_request(self, session: DesktopSession) -> QbxmlRequest | NotReady | None:
        cid = session.connection_id
        with self.ledger.db.session() as db:
            requests = DesktopRequests(db, clock=self.ledger.clock)
            # asked for the next one: what was handed out before and not answered is lost
            requests.lose_unanswered(
                cid, "the Web Connector asked for the next request without answering"
            )
            # the pass running here has most often queued its next request already (it was
            # waited for by the last answer): handed out in the same transaction
            taken = requests.take_next(cid) if self._alive_here(cid) else None
        if taken is not None:
            return QbxmlRequest(taken.key, taken.document)
        self._start(cid)
        deadline = time.monotonic() + self.wait
        while True:
            taken = self._take_next(cid)
            if taken is not None:
                return QbxmlRequest(taken.key, taken.document)
            if not self.running(cid):
                with self.ledger.db.session() as db:
                    taken = DesktopRequests(db, clock=self.ledger.clock).take_next(cid)
                return QbxmlRequest(taken.key, taken.document) if taken else None
            if time.monotonic() >= deadline:
                return NOT_READY
            pause()

    def _take_next(self, cid: str) -> StoredRequest | None:
        """The oldest queued request, marked sent; looked for first without the write lock
        (most looks, while the pass prepares its next call, find none)."""
        with self.ledger.db.session(readonly=True) as db:
            if not DesktopRequests(db).has_queued(cid):
                return None
        with self.ledger.db.session() as db:
            return DesktopRequests(db, clock=self.ledger.clock).take_next(cid)

    def take_response(self, session: DesktopSession, request_id: str, response: str) -> Taken:
        cid = session.connection_id
        with self.ledger.db.session() as db:
            kept = DesktopRequests(db, clock=self.ledger.clock).answer(cid, request_id, response)
        seen = nudge()
        if not kept:
            return Taken(-1, f"ledgerbridge did not ask for {request_id!r}.")
        # the pass's next request (or its end) answers how far the session is: waited for
        # from the pass's next nudge (its look at the answer comes first)
        deadline = time.monotonic() + self.wait
        while self.running(cid) and time.monotonic() < deadline:
            pause(seen)
            seen = changes()
            with self.ledger.db.session(readonly=True) as db:
                if DesktopRequests(db).has_queued(cid):
                    return Taken(self._percent(db, cid))
        with self.ledger.db.session(readonly=True) as db:
            if not self.running(cid) and not DesktopRequests(db).has_queued(cid):
                return Taken(100)
            return Taken(self._percent(db, cid))

    # --- the pass -------------------------------------------------------------------------------

    def running(self, connection_id: str) -> bool:
        if self._alive_here(connection_id):
            return True
        with self.ledger.db.session(readonly=True) as session:
            return self._held_elsewhere(session, connection_id)

    def _held_elsewhere(self, session: Session, connection_id: str) -> bool:
        """Whether another process's pass holds the connection's lease."""
        return Leases(session, clock=self.ledger.clock).held(f"connection:{connection_id}")

    def _alive_here(self, connection_id: str) -> bool:
        """Whether the connection's pass runs in this process."""
        with self._lock:
            run = self._runs.get(connection_id)
            return run is not None and run.alive

    def close(self, timeout: float = 10.0) -> None:
        """The process shuts down: passes running here stop waiting for their Web Connector
        (`Ledger.stopping`; a request handed out is settled by a look-up next time) and end
        before the database closes; none starts after. Waits up to `timeout` seconds."""
        self.ledger.stopping.set()
        nudge()
        with self._lock:
            threads = [run.thread for run in self._runs.values() if run.thread is not None]
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _start(self, connection_id: str) -> None:
        if self.ledger.stopping.is_set():
            return
        if self._alive_here(connection_id):
            return
        with self.ledger.db.session(readonly=True) as session:  # one read for all of it
            if self._held_elsewhere(session, connection_id):
                return
            if not self._work_due(session, connection_id):
                return
        holder = new_holder()
        taken_at = self.ledger.clock()
        with self.ledger.db.session() as session:
            if not Leases(session, clock=self.ledger.clock).acquire(
                f"connection:{connection_id}", holder, LEASE
            ):
                return
        run = _Run(total=self._due_count(connection_id))
        run.thread = threading.Thread(
            target=self._guarded(
                connection_id, run, lambda: self._pass(connection_id, holder, taken_at)
            ),
            name=f"desktop-pass-{connection_id}",
            daemon=True,
        )
        with self._lock:
            self._runs[connection_id] = run
        run.thread.start()

    def _guarded(
        self, connection_id: str, run: _Run, work: Callable[[], None]
    ) -> Callable[[], None]:
        def target() -> None:
            try:
                work()
            except Exception:  # logged; the records stay due for the next session
                log.exception("the Desktop pass of %s failed", connection_id)
            finally:
                # over before the nudge: a session it wakes sees the pass ended at once, not
                # the thread still alive (then waiting a whole `POLL` for no further nudge)
                run.ended = True
                nudge()  # a session waiting for the pass's next request learns it has ended

        return target

    def _pass(self, connection_id: str, holder: str, taken_at: datetime) -> None:
        """The session's work under the connection's lease (taken at `taken_at`): waiting
        fixes, a pull, then the push pass. The lease is kept while an answer is awaited (up to
        `Waits.answer`, twice the lease) by the fixes and the pull as by the push pass; found
        taken by another process meanwhile, the work stops there, storing nothing more."""
        lease = f"connection:{connection_id}"
        keep = functools.partial(HeldLease(lease, holder, LEASE, taken_at).keep, self.ledger)
        try:
            with self.ledger.db.session() as session:
                DesktopRequests(session).forget_answered(self.ledger.clock() - KEEP_ANSWERS)
            fixes.carry_out_waiting(self.ledger, connection_id, keep)  # a person waits for these
            if self._pull_due(connection_id):
                pull.pull_company(self.ledger, connection_id, desktop=True, keep=keep)
            if self._records_due(connection_id):
                sync_company(self.ledger, connection_id, holder=holder, desktop=True)
        except Stop as stop:
            log.info("the Desktop pass of %s stopped: %s", connection_id, stop.reason)
        finally:
            with self.ledger.db.session() as session:
                Leases(session, clock=self.ledger.clock).release(lease, holder)

    # --- what is due ----------------------------------------------------------------------------

    def _work_due(self, session: Session, connection_id: str) -> bool:
        """A fix waits (`fixes.waiting`), records are due, or a pull is."""
        return (
            DesktopActions(session).any_waiting(connection_id)
            or self._records_due_in(session, connection_id)
            or self._pull_due_in(session, connection_id)
        )

    def _records_due(self, connection_id: str) -> bool:
        with self.ledger.db.session(readonly=True) as session:
            return self._records_due_in(session, connection_id)

    def _records_due_in(self, session: Session, connection_id: str) -> bool:
        due = SyncStates(session).next_due_at(connection_id)
        return due is not None and due <= self.ledger.clock()

    def _pull_due(self, connection_id: str) -> bool:
        with self.ledger.db.session(readonly=True) as session:
            return self._pull_due_in(session, connection_id)

    def _pull_due_in(self, session: Session, connection_id: str) -> bool:
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            return False
        last = connection.last_pull_at
        return last is None or self.ledger.clock() - last >= self.every

    def _due_count(self, connection_id: str) -> int:
        with self.ledger.db.session(readonly=True) as session:
            return SyncStates(session).count_due(connection_id, self.ledger.clock())

    def _percent(self, db: Session, connection_id: str) -> int:
        with self._lock:
            run = self._runs.get(connection_id)
        total = run.total if run is not None else 0
        if total <= 0:
            return 50
        due = SyncStates(db).count_due(connection_id, self.ledger.clock())
        done = max(0, total - due)
        return max(1, min(99, done * 100 // total))
