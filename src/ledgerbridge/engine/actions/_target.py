"""What an action works on: one record with its state, link and problem, and the shared moves
actions make (re-queue, override a field, tell the app, talk to QuickBooks)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import QuickBooks, Throttled
from ledgerbridge.core import catalog, overrides
from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine import pacing
from ledgerbridge.engine.errors import Refused, Withdrawn
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Company, Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import StoredLink
from ledgerbridge.storage.records import StoredRecord
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = ["ACTION_WAIT", "STARTED_FRESH", "Done", "Refused", "Target"]

ACTION_WAIT = 15.0
"""Seconds at most a person's action waits for the company's rate window, in all."""
STARTED_FRESH = (
    "the connection started fresh while the Web Connector carried it out: what QuickBooks "
    "answered (the old company file's) was not stored"
)
"""Why a Desktop fix under way at a Start fresh stored nothing (`Withdrawn`, its audit entry)."""


@dataclass(frozen=True)
class Done:
    """What an action did: a sentence for the person, and the figures for the audit log."""

    summary: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    wake: bool = True  # the record (or others) became due: wake the dispatcher


@dataclass(frozen=True)
class Target:
    ledger: Ledger
    connection: StoredConnection
    key: RecordKey
    state: StoredState
    stored: StoredRecord
    link: StoredLink | None
    params: Mapping[str, Any]  # what the caller passed with the action
    # carried out in a QuickBooks Desktop Web Connector session (`engine.desktop.passes`)
    in_session: bool = False
    # that session's pass's lease, kept while an answer is awaited (`Ledger.quickbooks`)
    keep: Callable[[], None] | None = None
    # the company that session's pass read: what the action learns is stored only while the
    # connection still has it (`storing`); None (a person's action, run while they wait): as is
    company: Company | None = None

    @property
    def cid(self) -> str:
        return self.connection.id

    @property
    def problem(self) -> Mapping[str, Any]:
        return self.state.problem or {}

    @property
    def code(self) -> str | None:
        code = self.problem.get("code")
        return str(code) if code else None

    def problem_param(self, name: str) -> Any:
        return (self.problem.get("params") or {}).get(name)

    def param(self, name: str) -> Any:
        """The caller's value for `name`, else the problem's."""
        value = self.params.get(name)
        return value if value not in (None, "") else self.problem_param(name)

    @contextmanager
    def storing(self) -> Iterator[Session]:
        """A transaction for what the action stores. Carried out in a Web Connector session
        (`company`), it first holds the connection's row and checks that the connection still
        has the company the session's pass read (`Connections.still_has`, as the pass's own
        conclusions are stored: `engine.push.work.storing`): a person may Start fresh while
        the session awaits QuickBooks' answer, and what the old company file answered (its
        ListIDs, its objects) is then stored nowhere: `Withdrawn`."""
        with self.ledger.db.session() as session:
            if self.company is not None and not Connections(session).still_has(
                self.cid, self.company
            ):
                raise Withdrawn(STARTED_FRESH)
            yield session

    # --- moves on the record -----------------------------------------------------------------

    def want(self, session: Session) -> None:
        """Make the record due again (a pending write stays to be settled)."""
        SyncStates(session, clock=self.ledger.clock).want(
            self.cid, self.key.type, self.key.app_id, self.state.desired_version
        )

    def override(self, session: Session, path: str, value: Any, *, action: str) -> None:
        """Send `value` at `path` to QuickBooks instead of the app's value; tell the app."""
        data = self.stored.data
        current = overrides.with_kept(
            overrides.active(data, self.state.overrides), overrides.kept(self.state.overrides)
        )
        current[path] = overrides.make(data, path, value)
        SyncStates(session, clock=self.ledger.clock).set_overrides(
            self.cid, self.key.type, self.key.app_id, current
        )
        Events(session, clock=self.ledger.clock).append(
            self.cid,
            "record.overridden",
            {
                "type": self.key.type,
                "id": self.key.app_id,
                "field": path,
                "app_value": current[path]["app"],
                "quickbooks_value": value,
                "action": action,
            },
        )

    def note(self, session: Session, kind: str, detail: Mapping[str, Any] | None = None) -> None:
        History(session, clock=self.ledger.clock).add(
            self.cid, self.key.type, self.key.app_id, kind, detail=dict(detail or {})
        )

    def event(self, session: Session, type: str, payload: Mapping[str, Any]) -> None:
        Events(session, clock=self.ledger.clock).append(
            self.cid, type, {"type": self.key.type, "id": self.key.app_id, **payload}
        )

    @contextmanager
    def client(self, *, writes: bool) -> Iterator[QuickBooks]:
        """The company's QuickBooks, every request counted first in its rate window (shared
        with the push pass and the pulls of every process), waited for while the person waits
        at most `ACTION_WAIT` seconds in all: longer, and the action is refused saying when to
        try again. A company that waits for QuickBooks' limits (`connections.wait_until`, a
        429's Retry-After, its window full) is sent nothing before the wait ends, as no pull,
        verify or import reads it: a wait within `ACTION_WAIT` is sat out, a longer one
        refused saying until when; a 429 the action meets starts such a wait. `writes`: the
        action changes QuickBooks (not only reads it), as the refusal says of it."""
        connection = self.connection
        desktop = connection.environment == "desktop"
        if desktop and not self.in_session:
            raise Refused("QuickBooks Desktop is reached only in a Web Connector session")
        realm = connection.realm_id
        if (realm is None and not desktop) or connection.status != "active":
            raise Refused(
                f"the connection is {connection.status}: reconnect QuickBooks first, then try again"
            )
        if realm is None:  # QuickBooks Desktop: no rate limits, one request per round trip
            with self.ledger.quickbooks(connection, keep=self.keep) as client:
                yield client
            return
        waited: list[float] = []
        now = self.ledger.clock()
        until = connection.waiting(now)
        if until is not None:
            # a 429's Retry-After (asked again, QuickBooks throttles for longer), or the
            # company's window full for a moment (the pass stores that wait too): a wait the
            # person can sit out is waited for, a longer one refused saying until when
            wait = (until - now).total_seconds()
            if wait > ACTION_WAIT:
                unsent: catalog.WaitOutcome = "not_sent" if writes else "not_read"
                raise Refused(catalog.waiting_message(until, "try again after it", outcome=unsent))
            waited.append(wait)
            time.sleep(wait)

        def pace(*, batch: bool = False) -> None:
            def sleep(seconds: float) -> None:
                waited.append(seconds)
                time.sleep(seconds)

            pacing.pace(self.ledger, realm, sleep, batch=batch, within=ACTION_WAIT - sum(waited))

        with self.ledger.quickbooks(connection) as client:
            try:
                yield pacing.Paced(client, pace)
            except pacing.WindowFull as full:
                raise Refused(
                    "this company's QuickBooks requests are used up for the moment (its limit "
                    f"per minute); try again in {max(1, round(full.retry_after))} seconds"
                ) from full
            except (Throttled, Refused) as failure:
                # a 429 (raised, or the cause of the action's refusal): the company waits, as
                # after a pull's, verify's or the import's (no one asks again before it ends)
                throttled = failure if isinstance(failure, Throttled) else failure.__cause__
                if not isinstance(throttled, Throttled):
                    raise
                until = pacing.wait_for_quickbooks(
                    self.ledger, connection.id, Company.online(connection), throttled.retry_after
                )
                if until is None:  # the company changed meanwhile (Start fresh): as it was
                    raise
                cut: catalog.WaitOutcome = "not_finished" if writes else "not_read"
                raise Refused(
                    catalog.waiting_message(until, "try again after it", outcome=cut)
                ) from throttled
