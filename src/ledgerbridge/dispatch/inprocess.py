"""The embedded dispatcher: one background thread that syncs and pulls companies.

`wake(connection_id)` asks for a sync pass soon; `wake_pull(connection_id)` for a pull. Besides
wake-ups, the thread looks at every connected company each `poll` seconds (records whose retry
time has come become due without anyone waking them) and pulls each company every
`pull_every` (change data capture), so nothing depends on a wake-up arriving; but a company
whose signed webhooks are known to arrive (one named it within a day, `connections.notified_at`)
is pulled on that schedule only once its last read is an hour old, as the jobs' sweep does
(`core.periodic_reads.read_due`): its webhooks wake its pulls meanwhile. A company that waits
for QuickBooks' limits (`connections.wait_until`) is not read during its wait: its pull (a
wake-up's too) is owed, and made when the wait ends, whatever the webhooks' schedule says; a
pull that failed otherwise is owed after `pull_every`.

Health (`engine.health`): every `health_every` seconds an active company's stalled records are
queued again; a suspended company is checked again `check_every` seconds after it was first
seen suspended (and every `check_every` after that), and synced at once when it is back.
QuickBooks Desktop connections (no company id: the Web Connector calls in instead) are checked
for a silent Web Connector every `health_every` (`engine.desktop.health.check_all`), and their
events delivered to the app every round, as the Online companies' are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from ledgerbridge.core.periodic_reads import read_due
from ledgerbridge.engine.desktop import health as desktop_health
from ledgerbridge.engine.health import STALLED_AFTER, check_connection, requeue_stalled
from ledgerbridge.engine.notify import deliver_events
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import new_holder, sync_company
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.web_connectors import WebConnectors

log = logging.getLogger(__name__)


class InProcessDispatcher:
    def __init__(
        self,
        ledger: Ledger,
        *,
        poll: float = 5.0,
        pull_every: float = 300.0,
        health_every: float = 60.0,
        check_every: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger = ledger
        self._poll = poll
        self._pull_every = pull_every
        self._health_every = health_every
        self._check_every = check_every
        self._last_health: dict[str, float] = {}
        self._last_desktop_health: float | None = None
        self._last_check: dict[str, float] = {}  # suspended companies: when last checked
        self._clock = clock
        self._holder = new_holder()
        self._wakeup = threading.Condition()
        self._sync_wanted: set[str] = set()
        self._pull_wanted: set[str] = set()
        self._last_pull: dict[str, float] = {}
        self._pull_owed: dict[str, float] = {}  # company: when a pull owed to it is due
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.passes = 0

    def wake(self, connection_id: str) -> None:
        with self._wakeup:
            self._sync_wanted.add(connection_id)
            self._wakeup.notify()

    def wake_pull(self, connection_id: str) -> None:
        with self._wakeup:
            self._pull_wanted.add(connection_id)
            self._wakeup.notify()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="ledgerbridge-dispatch", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> None:
        """One round over every connected company (also what tests call directly).

        Each company is checked (suspended) or has its stalled records queued again, then is
        pulled, synced and has its events sent, in that order, as each is due; a company whose
        step fails is left out of its later steps this round. Which companies have stalled
        records, due records and events to send are each read in one query for all of them
        (as the job sweep does), not once a company. A company synced sends its events right
        after its pass (a statement or two: its settings, its undelivered events), so that
        the app does not hear of them only after every other company's pass this round; the
        others' (a pull's, an action's, a health change's) are sent at the round's end."""
        now = self._clock()
        with self._wakeup:
            wanted_sync = set(self._sync_wanted)
            self._sync_wanted.clear()
            for cid in self._pull_wanted:
                # owed until a pull of the company runs: a round that fails first, or one that
                # leaves the company out of its steps, keeps it for the next
                self._pull_owed[cid] = min(self._pull_owed.get(cid, now), now)
            self._pull_wanted.clear()
        desktop = self._desktop_round(now)
        with self._ledger.db.session(readonly=True) as session:
            found = [
                (c, cursor)
                for c, cursor in Connections(session).all_connected_with_cursors()
                if c.status in ("active", "suspended")
            ]
        connections = [c for c, _ in found]
        reads = self._reads_due(found, now)
        failed: set[str] = set()
        working = self._health(connections, now, wanted_sync, failed)
        for cid in working:
            if cid in reads:
                self._last_pull[cid] = now
                self._pull_owed.pop(cid, None)
                self._step(self._pull, cid, failed)
        with self._ledger.db.session(readonly=True) as session:
            due = SyncStates(session).due_connections(self._ledger.clock())
        sent: set[str] = set()
        for cid in working:
            wanted = cid in wanted_sync or cid in due
            if wanted and cid not in failed and self._step(self._sync, cid, failed):
                self.passes += 1
                # its events go now, not after every other company's pass this round
                if self._step(deliver_events, cid, failed):
                    sent.add(cid)
        with self._ledger.db.session(readonly=True) as session:
            waiting = Events(session).awaiting_delivery()
        for cid in [c.id for c in connections] + desktop:
            if cid in waiting and cid not in failed and cid not in sent:
                self._step(deliver_events, cid, failed)

    def _reads_due(
        self, found: Sequence[tuple[StoredConnection, datetime | None]], now: float
    ) -> set[str]:
        """The companies whose pull is due this round: those a pull is owed (a wake-up's, one
        stopped by a wait for QuickBooks once the wait is over, one QuickBooks did not answer a
        period later: `_pull`); and the others `pull_every` after their last pull, unless their
        webhooks are known to arrive and their last read (the change cursor, read in the
        round's query of the connections) is younger than an hour (`read_due`). A pull owed to
        a company no longer connected is dropped."""
        at = self._ledger.clock()
        known = {c.id for c, _ in found}
        for gone in [cid for cid in self._pull_owed if cid not in known]:
            del self._pull_owed[gone]
        due = {cid for cid, until in self._pull_owed.items() if now >= until}
        for c, cursor in found:
            periodic = now - self._last_pull.get(c.id, -1e18) >= self._pull_every
            if periodic and read_due(c.notified_at, cursor, at):
                due.add(c.id)
        return due

    def _pull(self, ledger: Ledger, connection_id: str) -> None:
        """The company's pull. One that did not read the company through for a passing reason
        is owed, whatever the webhooks' schedule says (a webhook's changes are read once
        QuickBooks lets them be): one that the company's wait for QuickBooks' limits or its
        full window stopped (`pull_company` reads nothing then) when the wait ends, not a
        whole `pull_every` later; one QuickBooks did not answer (`read_again`), or that failed
        here (the database), after `pull_every`, as any company's was before webhooks counted.
        A refusal that would be the same again, or the company's state (disconnected,
        suspended), waits for the schedule or a person."""
        try:
            report = pull_company(ledger, connection_id)
        except Exception:
            self._pull_owed[connection_id] = self._clock() + self._pull_every
            raise
        if report.retry_after is not None:
            self._pull_owed[connection_id] = self._clock() + report.retry_after
        elif report.read_again:
            self._pull_owed[connection_id] = self._clock() + self._pull_every

    def _sync(self, ledger: Ledger, connection_id: str) -> None:
        sync_company(ledger, connection_id, holder=self._holder)

    def _health(
        self,
        connections: list[StoredConnection],
        now: float,
        wanted_sync: set[str],
        failed: set[str],
    ) -> list[str]:
        """Suspended companies checked when due, stalled records of active ones queued again
        every `health_every` (those that may hold some found in one query): the companies to
        pull and sync this round (a suspended one only once it is back)."""
        active = [c.id for c in connections if c.status == "active"]
        health = {c for c in active if now - self._last_health.get(c, -1e18) >= self._health_every}
        stalling: set[str] = set()
        if health:
            with self._ledger.db.session(readonly=True) as session:
                before = self._ledger.clock() - STALLED_AFTER
                stalling = SyncStates(session).stalling_connections(before)
        working: list[str] = []
        for connection in connections:
            cid = connection.id
            if connection.status == "suspended":
                try:
                    back = self._check_due(cid, now) and check_connection(self._ledger, cid)
                except Exception:  # one company's failure must not stop the others
                    log.exception("sync of connection %s failed", cid)
                    failed.add(cid)
                    continue
                if back != "active":
                    continue  # its events are still sent
                wanted_sync.add(cid)  # back: the backlog drains now
            else:
                self._last_check.pop(cid, None)
                if cid in health:
                    self._last_health[cid] = now
                    if cid in stalling and not self._step(requeue_stalled, cid, failed):
                        continue
            working.append(cid)
        return working

    def _step(self, step: Callable[[Ledger, str], object], cid: str, failed: set[str]) -> bool:
        """One company's step; a failure is logged, the company left out of its later steps."""
        try:
            step(self._ledger, cid)
        except Exception:  # one company's failure must not stop the others
            log.exception("sync of connection %s failed", cid)
            failed.add(cid)
            return False
        return True

    def _desktop_round(self, now: float) -> list[str]:
        """QuickBooks Desktop connections: their Web Connectors checked for silence every
        `health_every`; returned, for their events to be delivered with the others' (their
        work runs in the Web Connector's sessions, not here)."""
        try:
            last = self._last_desktop_health
            if last is None or now - last >= self._health_every:
                self._last_desktop_health = now
                desktop_health.check_all(self._ledger)
            with self._ledger.db.session(readonly=True) as session:
                return [c.connection_id for c in WebConnectors(session).all()]
        except Exception:  # the Online companies' round goes on
            log.exception("the Web Connectors' round failed")
            return []

    def _check_due(self, connection_id: str, now: float) -> bool:
        """Whether a suspended company is due for a check (`check_every` after it was first
        seen suspended, then every `check_every`)."""
        last = self._last_check.setdefault(connection_id, now)
        if now - last < self._check_every:
            return False
        self._last_check[connection_id] = now
        return True

    def _run(self) -> None:
        while True:
            with self._wakeup:
                if self._stopping:
                    return
                if not (self._sync_wanted or self._pull_wanted):
                    self._wakeup.wait(self._poll)
                if self._stopping:
                    return
            try:
                self.run_once()
            except Exception:  # a round's own reads failed (the database): the next round tries
                log.exception("a dispatcher round failed")
