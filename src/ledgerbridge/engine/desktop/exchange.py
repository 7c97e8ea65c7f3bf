"""The pass's side of a Desktop connection's work: each qbXML request queued in the database
for the connection's Web Connector sessions, and its answer awaited
(`adapters.qbd.client.Exchange`).

    pass (any process)                     database              web process (POST /qbwc)
    QbdClient.create -> exchange(key, doc) -> queued  ->  sendRequestXML: take_next -> sent
                        ... waits ...       <- answered <- receiveResponseXML: answer

A key names one request for good: asked again, an answered key answers its kept answer, and a
key handed to a session whose answer never came is `AnswerLost` (the client then settles the
write by a look-up). A request no session takes within `unsent_wait` is withdrawn (nothing
reached QuickBooks: `Unavailable`, not ambiguous), and the exchange then gives up at once for
the rest of the pass: the Web Connector is not polling, the records are retried later.

A request is the company's the caller read (the connection's `company_generation`, its Start
freshes so far): it is queued only while the connection still has that company, checked with
the connection's row held in the queueing transaction (`Connections.still_in`), else it is
`Unavailable` (not ambiguous: nothing reached QuickBooks). A Start fresh holds that row too,
so it comes either before the queueing (the request refused) or after it (the request, not yet
taken, withdrawn with the others: `DesktopRequests.withdraw_all`): a request built for the old
company file is never handed to a session of the new one, which would make there the object
the pass then cannot store, and the next pass makes again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ledgerbridge.adapters.qbd import AnswerLost
from ledgerbridge.adapters.qbo import Unavailable
from ledgerbridge.adapters.qbwc import qbxml
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.desktop_requests import DesktopRequests, StoredRequest
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = ["POLL", "QueuedExchange", "Waits", "changes", "nudge", "pause"]

POLL: Final = 0.05  # seconds between looks at the queue when nothing in this process nudges
_CHANGED = threading.Condition()
_nudges = [0]  # how many nudges this process has made (under _CHANGED)


def nudge() -> int:
    """The queue changed (committed): wake whoever in this process waits on it at once.
    Another process's waiters see it at their next look (`POLL`). Returns `changes()` as
    this nudge leaves it (to wait for the next one: `pause(since=...)`)."""
    with _CHANGED:
        _nudges[0] += 1
        _CHANGED.notify_all()
        return _nudges[0]


def changes() -> int:
    """The nudges so far: a waiter takes it before it looks, and `pause(since=...)` then
    returns at once when the queue changed meanwhile (no nudge is missed)."""
    with _CHANGED:
        return _nudges[0]


def pause(since: int | None = None) -> None:
    """Wait for the queue to change: a nudge from this process, or `POLL` seconds; not at
    all when it has changed since `changes()` gave `since`."""
    with _CHANGED:
        if since is not None and _nudges[0] != since:
            return
        _CHANGED.wait(POLL)


@dataclass(frozen=True)
class Waits:
    """How long the pass waits, in seconds of real time (not the ledger's clock)."""

    unsent: float = 240.0  # for a session to take a request (under the pass's 5-minute lease)
    answer: float = 600.0  # for QuickBooks' answer once a session has the request


class QueuedExchange:
    """`adapters.qbd.Exchange` over the `desktop_requests` queue (module docstring), for the
    connection's company as the caller read it: `generation`, its `company_generation`."""

    def __init__(
        self,
        ledger: Ledger,
        connection_id: str,
        waits: Waits = Waits(),
        *,
        generation: int,
        keep: Callable[[], None] | None = None,
    ) -> None:
        self._ledger = ledger
        self._cid = connection_id
        self._generation = generation
        # the pass's lease kept while it waits: an answer may take longer than the lease
        # lasts (`Waits.answer`), and a lease run out let another pass start meanwhile, this
        # one then stopped (`busy`) with the answer in hand
        self._keep = keep
        self._waits = waits
        self._silent = False  # a request went unsent: the Web Connector is not polling

    @property
    def qbxml_version(self) -> str:
        with self._ledger.db.session(readonly=True) as session:
            connector = WebConnectors(session).get(self._cid)
        reported = (connector.qbxml_version if connector else None) or qbxml.DEFAULT_VERSION
        major, _, minor = reported.partition(".")
        return qbxml.version_for(major, minor or "0")

    def exchange(self, key: str, document: str) -> str:
        if self._silent:
            raise Unavailable("the Web Connector is not polling", ambiguous=False)
        if self._ledger.stopping.is_set():
            raise Unavailable("ledgerbridge is stopping", ambiguous=False)
        with self._ledger.db.session() as session:
            requests = DesktopRequests(session, clock=self._ledger.clock)
            found = requests.get(self._cid, key)
            if found is None:
                # the connection's row held to the commit: a Start fresh waits for the request
                # queued, then withdraws it; one that came first is seen here
                if not Connections(session).still_in(self._cid, self._generation):
                    raise Unavailable("the connection started fresh", ambiguous=False)
                requests.queue(self._cid, key, document)
            elif found.state == "answered" and found.answer is not None:
                return found.answer
            elif found.state in ("sent", "lost"):
                requests.lose_unanswered(self._cid)
                raise AnswerLost(key)
        # the look waits first: the request was queued just now, only a change can answer it
        return self._await(key, nudge())

    def forget(self, key: str) -> None:
        with self._ledger.db.session() as session:
            DesktopRequests(session, clock=self._ledger.clock).forget(self._cid, key)

    def _await(self, key: str, seen: int) -> str:
        started = time.monotonic()
        sent_since: float | None = None
        while True:
            pause(seen)
            seen = changes()
            if self._keep is not None:
                self._keep()  # renewed when due: a write now and then, not at each look
            # a look is a read; the write lock is taken only when there is something to do
            # (withdraw, lose), so the pass's waiting never holds up the Web Connector's calls
            with self._ledger.db.session(readonly=True) as session:
                found = DesktopRequests(session).get(self._cid, key)
            now = time.monotonic()
            found = _waiting(found, key)
            if found.state == "answered" and found.answer is not None:
                return found.answer
            if found.state == "sent":
                sent_since = sent_since if sent_since is not None else now
            due_to_act = (
                self._ledger.stopping.is_set()
                or (found.state == "queued" and now - started > self._waits.unsent)
                or (sent_since is not None and now - sent_since > self._waits.answer)
            )
            if due_to_act:
                answer = self._act(key, started, sent_since)
                if answer is not None:
                    return answer

    def _act(self, key: str, started: float, sent_since: float | None) -> str | None:
        """The request as it is now, under the write lock: its answer, or an end of the wait
        (raised), or None to wait on."""
        waits = self._waits
        with self._ledger.db.session() as session:
            requests = DesktopRequests(session, clock=self._ledger.clock)
            found = requests.get(self._cid, key)
            now = time.monotonic()
            found = _waiting(found, key)
            if found.state == "answered" and found.answer is not None:
                return found.answer
            if self._ledger.stopping.is_set():  # the process ends: so does the wait
                if found.state == "queued" and requests.withdraw(self._cid, key):
                    raise Unavailable("ledgerbridge is stopping", ambiguous=False)
                requests.lose_unanswered(self._cid, "ledgerbridge stopped before the answer")
                raise AnswerLost(key)
            late = found.state == "queued" and now - started > self._waits.unsent
            if late and requests.withdraw(self._cid, key):
                self._silent = True
                raise Unavailable("no Web Connector session took the request", ambiguous=False)
            if found.state == "sent" and sent_since is not None and now - sent_since > waits.answer:
                requests.lose_unanswered(self._cid, "no answer came")
                raise AnswerLost(key)
        return None


def _waiting(found: StoredRequest | None, key: str) -> StoredRequest:
    """The request whose answer is awaited, answered or not yet; raises when the wait is over
    without one (withdrawn, or its answer lost)."""
    if found is None:
        raise Unavailable("the request was withdrawn", ambiguous=False)
    if found.state == "lost":
        raise AnswerLost(key)
    return found
