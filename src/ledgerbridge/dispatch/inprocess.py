"""The embedded dispatcher: one background thread that syncs and pulls companies.

`wake(connection_id)` asks for a sync pass soon; `wake_pull(connection_id)` for a pull. Besides
wake-ups, the thread looks at every connected company each `poll` seconds (records whose retry
time has come become due without anyone waking them) and pulls each company every
`pull_every` (change data capture), so nothing depends on a wake-up arriving.

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
from collections.abc import Callable

from ledgerbridge.engine.desktop import health as desktop_health
from ledgerbridge.engine.health import check_connection, requeue_stalled
from ledgerbridge.engine.notify import deliver_events
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import new_holder, sync_company
from ledgerbridge.storage.connections import Connections
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
        """One round over every connected company (also what tests call directly)."""
        with self._wakeup:
            wanted_sync = set(self._sync_wanted)
            wanted_pull = set(self._pull_wanted)
            self._sync_wanted.clear()
            self._pull_wanted.clear()
        now = self._clock()
        self._desktop_round(now)
        with self._ledger.db.session(readonly=True) as session:
            connections = [
                c
                for c in Connections(session).all_connected()
                if c.status in ("active", "suspended")
            ]
        for connection in connections:
            cid = connection.id
            try:
                if connection.status == "suspended":
                    back = self._check_due(cid, now) and check_connection(self._ledger, cid)
                    if back != "active":
                        deliver_events(self._ledger, cid)
                        continue
                    wanted_sync.add(cid)  # back: the backlog drains now
                else:
                    self._last_check.pop(cid, None)
                    if now - self._last_health.get(cid, -1e18) >= self._health_every:
                        self._last_health[cid] = now
                        requeue_stalled(self._ledger, cid)
                due_pull = now - self._last_pull.get(cid, -1e18) >= self._pull_every
                if cid in wanted_pull or due_pull:
                    self._last_pull[cid] = now
                    pull_company(self._ledger, cid)
                if cid in wanted_sync or self._has_due(cid):
                    sync_company(self._ledger, cid, holder=self._holder)
                    self.passes += 1
                deliver_events(self._ledger, cid)
            except Exception:  # one company's failure must not stop the others
                log.exception("sync of connection %s failed", cid)

    def _desktop_round(self, now: float) -> None:
        """QuickBooks Desktop connections: their Web Connectors checked for silence every
        `health_every`, their events delivered every round (their work runs in the Web
        Connector's sessions, not here)."""
        try:
            last = self._last_desktop_health
            if last is None or now - last >= self._health_every:
                self._last_desktop_health = now
                desktop_health.check_all(self._ledger)
            with self._ledger.db.session(readonly=True) as session:
                desktop = [c.connection_id for c in WebConnectors(session).all()]
            for cid in desktop:
                deliver_events(self._ledger, cid)
        except Exception:  # the Online companies' round goes on
            log.exception("the Web Connectors' round failed")

    def _check_due(self, connection_id: str, now: float) -> bool:
        """Whether a suspended company is due for a check (`check_every` after it was first
        seen suspended, then every `check_every`)."""
        last = self._last_check.setdefault(connection_id, now)
        if now - last < self._check_every:
            return False
        self._last_check[connection_id] = now
        return True

    def _has_due(self, connection_id: str) -> bool:
        with self._ledger.db.session(readonly=True) as session:
            due = SyncStates(session).next_due_at(connection_id)
        return due is not None and due <= self._ledger.clock()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                if self._stopping:
                    return
                if not (self._sync_wanted or self._pull_wanted):
                    self._wakeup.wait(self._poll)
                if self._stopping:
                    return
            self.run_once()
