"""What one push pass carries from stage to stage.

`Pass` is the pass over one company under its lease: the QuickBooks client, what the planner
sees (`Surroundings`), the report, and what the pass remembers between records (creates queued
for a batch, names looked up, held records released). `Due` is the record at hand, as it was
read for planning its step. `Stop` ends the pass early for a connection-level reason.
`HeldLease` is the company's lease as the pass holds it, renewed as the pass goes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import QuickBooks
from ledgerbridge.core import planner
from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Company, StoredConnection
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.links import StoredLink
from ledgerbridge.storage.sync_states import StoredState

__all__ = ["AlonePace", "Due", "HeldLease", "Outgoing", "Pass", "PassReport", "Queued", "Stop"]


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
    transaction that stores the pass's next conclusion (`outcomes.same_company`): a pass makes
    a renewal every `duration / 3` at most, however many records it works. When the renewal finds it
    another's (it expired, and another process took it), the pass stops at once (`busy`,
    retried as a lease found held is), that transaction and everything after it unstored:
    two passes never race on the same records. Stored as long as it has not been found lost,
    a conclusion is stored at most `duration / 3` after the last renewal, with two thirds of
    the lease still to run."""

    name: str
    holder: str
    duration: timedelta
    renewed_at: datetime  # taken or last renewed (the ledger's clock)

    def due(self, now: datetime) -> bool:
        return now - self.renewed_at >= self.duration / 3

    def keep(self, ledger: Ledger, session: Session | None = None) -> None:
        """Renewed when due, in `session` (the caller's transaction) or in one of its own;
        `Stop("busy")` when lost."""
        now = ledger.clock()
        if not self.due(now):
            return
        if session is None:
            with ledger.db.session() as own:
                kept = Leases(own, clock=ledger.clock).renew(self.name, self.holder, self.duration)
        else:
            kept = Leases(session, clock=ledger.clock).renew(self.name, self.holder, self.duration)
        if not kept:
            raise Stop("busy")
        self.renewed_at = now


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
    # while it still has it (`outcomes.same_company`)
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


@dataclass(frozen=True, slots=True)
class Due:
    """One due record as the pass read it to plan its step: what carrying the step out needs
    (the record itself is `situation.record`)."""

    key: RecordKey
    state: StoredState  # its sync state when the round began
    situation: planner.Situation
    link: StoredLink | None  # its link, read with the situation
    version: int  # the app version the step carries
