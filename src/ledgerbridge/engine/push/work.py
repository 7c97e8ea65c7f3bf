"""What one push pass carries from stage to stage.

`Pass` is the pass over one company under its lease: the QuickBooks client, what the planner
sees (`Surroundings`), the report, and what the pass remembers between records (creates queued
for a batch, names looked up, held records released). `Due` is the record at hand, as it was
read for planning its step. `Stop` ends the pass early for a connection-level reason.
`HeldLease` is the company's lease as the pass holds it, renewed as the pass goes.

Everything a pass concludes is written through `Pass.storing()` (a lint-like test,
tests/ledgerbridge/engine/test_push_storing.py, finds any other writing session in push/): the
connection's row held and its company checked, the lease kept, then what the caller stores, in
one transaction. There is no way to store without the check, so none to forget it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import QuickBooks
from ledgerbridge.core import planner
from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Company, Connections, StoredConnection
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.links import StoredLink
from ledgerbridge.storage.sync_states import StoredState

__all__ = [
    "AlonePace",
    "Due",
    "HeldLease",
    "Outgoing",
    "Pass",
    "PassReport",
    "Queued",
    "Stop",
    "storing",
]


@dataclass
class PassReport:
    created: int = 0
    updated: int = 0
    linked: int = 0
    removed: int = 0
    failed: int = 0
    blocked: int = 0
    waiting: int = 0
    unchanged: int = 0
    looked_up: int = 0  # name holders read from QuickBooks after a 6240: planned again
    released: int = 0  # held records a record being pushed needs first (engine.holding)
    stopped: str | None = None  # why the pass ended early (connection-level)

    @property
    def progressed(self) -> int:
        done = self.created + self.updated + self.linked + self.removed + self.unchanged
        return done + self.looked_up + self.released

    def add(self, other: PassReport) -> None:
        """Count `other`'s work in too (a run of several passes)."""
        for counter in dataclasses.fields(PassReport):
            mine, theirs = getattr(self, counter.name), getattr(other, counter.name)
            if isinstance(mine, int) and isinstance(theirs, int):
                setattr(self, counter.name, mine + theirs)


class Stop(Exception):
    """The pass ends here (`reason` becomes `PassReport.stopped`); the records stay due."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class HeldLease:
    """The company's lease as the pass holds it (`push.lease`), kept while the pass runs
    however long it takes (a company of thousands of records, a slow QuickBooks, waits for
    its window): once a third of `duration` has gone since it was taken or last renewed, it
    is renewed (`Leases.renew`, one statement), before the next round or record, or in the
    transaction that stores the pass's next conclusion (`storing`): a pass makes a renewal
    every `duration / 3` at most, however many records it works. A renewal counts
    (`renewed_at`) once its transaction has committed: one rolled back renewed nothing, and
    the next transaction renews it again. When the renewal finds it another's (it expired,
    and another process took it), the pass stops at once (`busy`, retried as a lease found
    held is), that transaction and everything after it unstored: two passes never race on
    the same records. Stored as long as it has not been found lost, a conclusion is stored
    at most `duration / 3` after the last renewal, with two thirds of the lease still to
    run."""

    name: str
    holder: str
    duration: timedelta
    renewed_at: datetime  # taken or last renewed (the ledger's clock), committed

    def due(self, now: datetime) -> bool:
        return now - self.renewed_at >= self.duration / 3

    def keep(self, ledger: Ledger) -> None:
        """Renewed when due, in a transaction of its own; `Stop("busy")` when lost."""
        if not self.due(ledger.clock()):
            return
        with ledger.db.session() as own:
            renewed = self.renew_in(ledger, own)
        self.committed(renewed)

    def renew_in(self, ledger: Ledger, session: Session) -> datetime | None:
        """Renewed when due, in the caller's transaction (`session`); `Stop("busy")` when
        lost. Returns when it was renewed (None: not due), for `committed` once that
        transaction has committed."""
        now = ledger.clock()
        if not self.due(now):
            return None
        if not Leases(session, clock=ledger.clock).renew(self.name, self.holder, self.duration):
            raise Stop("busy")
        return now

    def committed(self, renewed: datetime | None) -> None:
        """The transaction that renewed the lease at `renewed` (`renew_in`) committed."""
        if renewed is not None:
            self.renewed_at = renewed


@contextmanager
def storing(
    ledger: Ledger, connection_id: str, company: Company, lease: HeldLease | None
) -> Iterator[Session]:
    """`Pass.storing`, for a pass not begun yet (`push.lease`: the records put off after a
    throttled first read)."""
    with ledger.db.session() as session:
        # the connection's row first, before anything the caller stores (as a pull storing
        # its read and Start fresh take it)
        if not Connections(session).still_has(connection_id, company):
            raise Stop("not_active")
        renewed = lease.renew_in(ledger, session) if lease is not None else None
        yield session
    # committed (a block that raised rolled the renewal back with the rest)
    if lease is not None:
        lease.committed(renewed)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A write a step sends: its operation (create, update, delete or void; a deactivation is
    an update), the body, and what is remembered as pushed once it is done (`full`; None:
    the body itself)."""

    operation: str
    body: dict[str, Any]
    full: Mapping[str, Any] | None = None

    @property
    def pushed(self) -> Mapping[str, Any]:
        return self.full if self.full is not None else self.body


@dataclass(frozen=True, slots=True)
class Queued:
    """A write waiting to go out in a batch: the record, its sync state when the round read
    it, the write, and the app version it carries."""

    key: RecordKey
    state: StoredState
    write: Outgoing
    version: int


@dataclass(slots=True)
class AlonePace:
    """How long the last writes sent alone together took, a write (seconds of the ledger's
    clock; 0 before any): how many more fit before a batch request is free again."""

    seconds: float = 0.0

    def fitting(self, queued: int, before: float) -> int:
        """Of `queued` writes, how many go alone in `before` seconds (at least one)."""
        if self.seconds <= 0:
            return queued
        return max(1, min(queued, int(before / self.seconds)))


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass over a company, under its lease."""

    ledger: Ledger
    connection: StoredConnection
    client: QuickBooks
    report: PassReport
    # how the records, links and mirror look to the planner (shared with engine.dryrun)
    surroundings: Surroundings
    # the company the connection had when the pass began: its conclusions are stored only
    # while it still has it (`storing`)
    company: Company
    looked_up: set[RecordKey] = field(default_factory=set)  # 6240 holders read this pass
    released: set[RecordKey] = field(default_factory=set)  # held records released (Wait)
    # writes waiting to go out together in batch requests, by entity
    queue: dict[str, list[Queued]] = field(default_factory=dict)
    # how a short wait for QuickBooks' limits is waited out (tests pass their own)
    pause: Callable[[float], None] = time.sleep
    until: datetime | None = None  # the pass yields its worker at this time (a time slice)
    # asked now and then during a slice: True when others wait for the worker (yield now)
    yield_early: Callable[[], bool] | None = None
    alone: AlonePace = field(default_factory=AlonePace)  # writes sent alone, their pace
    lease: HeldLease | None = None  # the company's lease, kept as the pass goes (None: none)

    @property
    def cid(self) -> str:
        return self.connection.id

    def storing(self) -> AbstractContextManager[Session]:
        """The one transaction in which the pass stores what it concluded, committed when the
        block ends: the connection's row held first, to its end (as a pull storing its read
        and Start fresh hold it), and the pass stopped (`not_active`) unless the connection
        still has the pass's company (`Connections.still_has`: the same realm, or on Desktop
        the same company file): a person may Start fresh in another company while a pass
        runs, and what the pass learnt of the old one (links, synced, a write's Id and
        SyncToken, a backoff) must not land on the new one. The pass's lease is renewed here
        too when due (`HeldLease`), and the pass stopped (`busy`) if another process took it
        meanwhile: nothing is stored by a pass that lost it."""
        return storing(self.ledger, self.cid, self.company, self.lease)


@dataclass(frozen=True, slots=True)
class Due:
    """One due record as the pass read it to plan its step: what carrying the step out needs
    (the record itself is `situation.record`)."""

    key: RecordKey
    state: StoredState  # its sync state when the round began
    situation: planner.Situation
    link: StoredLink | None  # its link, read with the situation
    version: int  # the app version the step carries
