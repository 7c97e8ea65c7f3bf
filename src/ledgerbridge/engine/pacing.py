"""QuickBooks' limits for one company, shared by every process: a request is counted in the
company's sliding window (`storage.rate_windows`) before it is sent.

    wait = take(ledger, realm_id, batch=True)   # 0: counted, send it; else seconds to wait
    wait, counted = take_many(ledger, realm_id, 30)  # up to 30 single requests at once
    wait = take_batch_in(session, ledger, realm_id)  # a batch request, in the caller's session
    landed(ledger, realm_id, taken, batch=True) # answered: counted when it arrived, at latest
    landed_many(ledger, realm_id, taken, answered)  # the same for requests counted together
    pace(ledger, realm_id)                      # wait until counted (reads: pull, verify)
    client = Paced(client, functools.partial(pace, ledger, realm_id))  # each request counted

`Paced` is for the calls made outside the push pass and the pull (which count their own):
a person's one-click fixes, the initial import.

The window's length and counts are `ledger.rate_limits` (Intuit's: 500 requests and 40 batch
requests a minute).

Counting is a database write, which cost more than the request itself when QuickBooks answers at
once (a pull's twenty reads of a quiet company). So a process making several single requests
within one bucket of the window counts them ahead: 1, then 2, 4 and at most `AHEAD` at a time
(`_Spares`), each counted in the shared window before any is sent, kept in this process and
spent without a write until the bucket ends. Only a quiet company's window takes requests ahead
(`rate_windows.quiet_below`: at most half of what singles may use); above that every request is
counted alone, as before. What is sent is never more than what was counted, so the limits hold
across processes; what a bucket's end leaves unspent was counted for nothing (at most `AHEAD -
1` a bucket, and only while the company is quiet). Batch requests are always counted one by one;
a push pass counts its batch request in the transaction that stores the batch's requestids
(`take_batch_in`), one commit for both: nothing is counted when that transaction does not
commit, and nothing is sent before it has. Single requests a caller sends at once (a push pass's
writes going alone together) are counted at once, as many as the window has room for
(`take_many`), and moved to their answers' buckets together once all are answered
(`landed_many`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import (
    BatchItem,
    BatchResult,
    PageRead,
    QuickBooks,
    QuickBooksError,
)
from ledgerbridge.core.retry import throttled_until
from ledgerbridge.engine.ports import Database, Ledger
from ledgerbridge.storage import rate_windows
from ledgerbridge.storage.connections import Company, Connections
from ledgerbridge.storage.rate_windows import RateWindows
from ledgerbridge.storage.sync_states import SyncStates

__all__ = [
    "AHEAD",
    "FRESHEN_WAIT",
    "PULL_WAIT",
    "Paced",
    "WindowFull",
    "landed",
    "landed_many",
    "pace",
    "take",
    "take_batch_in",
    "take_many",
    "wait_for_quickbooks",
]

AHEAD = 8  # the most single requests one process counts in one write

# How long a read may wait for room in the company's window, in seconds in all (`pace`'s
# `within`): a read that would wait longer is left for later, the worker not held asleep.
FRESHEN_WAIT = 5.0
"""A time slice's freshening read (the push pass's pull before its rounds; its own writes fill
the window): longer, and the read is left for later (a stale mirror lets the pass go on; a
company never read waits for its window)."""
PULL_WAIT = 2.0
"""A pull job: longer, and the job is deferred until the window has room (by what the window
said, else by this)."""


def take(
    ledger: Ledger,
    realm_id: str,
    *,
    batch: bool = False,
    keep_for_batches: bool = False,
    count: bool = True,
    at: datetime | None = None,
) -> float:
    """Count one request at `at` (now); 0 when it may go, else the seconds until it may (not
    counted). `keep_for_batches`: a single request leaves the batch requests' share of the
    window; `count=False`: only ask. A single request counted ahead by this process in the
    same bucket goes without a write."""
    limits = ledger.rate_limits
    moment = at or ledger.clock()
    bucket = rate_windows.bucket_of(moment, limits.window_seconds)
    if not batch and _SPARES.spend(ledger.db, realm_id, bucket, spend=count):
        return 0.0
    ahead = _SPARES.ahead(ledger.db, realm_id, bucket) if count and not batch else 0
    with ledger.db.session() as session:
        wait, counted = _take_ahead(
            session,
            ledger,
            realm_id,
            batch=batch,
            at=moment,
            keep_for_batches=keep_for_batches,
            count=count,
            ahead=ahead,
        )
    if counted and not batch:
        _SPARES.counted(ledger.db, realm_id, bucket, counted - 1)
    return wait


def take_batch_in(
    session: Session, ledger: Ledger, realm_id: str, *, at: datetime | None = None
) -> float:
    """`take` of a batch request at `at` (now) in the caller's transaction (`session`): 0 when
    it may go, counted once that transaction commits, together with what the caller writes in
    it; else the seconds until it may go (nothing counted)."""
    wait, _ = _take_ahead(session, ledger, realm_id, batch=True, at=at or ledger.clock())
    return wait


def _take_ahead(
    session: Session,
    ledger: Ledger,
    realm_id: str,
    *,
    batch: bool,
    at: datetime,
    keep_for_batches: bool = False,
    count: bool = True,
    ahead: int = 0,
) -> tuple[float, int]:
    """`RateWindows.take_ahead` with the ledger's limits, in `session`."""
    limits = ledger.rate_limits
    return RateWindows(session, clock=ledger.clock).take_ahead(
        realm_id,
        limit=limits.requests_per_minute,
        batch=batch,
        batch_limit=limits.batches_per_minute,
        window=limits.window_seconds,
        keep_for_batches=keep_for_batches,
        count=count,
        at=at,
        ahead=ahead,
    )


def landed(ledger: Ledger, realm_id: str, taken: datetime, *, batch: bool = False) -> None:
    """A request counted at `taken` was answered: counted again where QuickBooks counted it
    (when it arrived, at the latest now) if that is a later bucket (`RateWindows.landed`)."""
    window = ledger.rate_limits.window_seconds
    if not rate_windows.later_bucket(taken, ledger.clock(), window):
        return  # the same bucket: nothing to move (most requests)
    with ledger.db.session() as session:
        RateWindows(session, clock=ledger.clock).landed(realm_id, taken, batch=batch, window=window)


def take_many(
    ledger: Ledger,
    realm_id: str,
    most: int,
    *,
    keep_for_batches: bool = False,
    at: datetime | None = None,
) -> tuple[float, int]:
    """Count up to `most` single requests at `at` (now), to be sent at once, one after
    another: as many as the window has room for, in one database write (those this process
    counted ahead in the bucket spent first). Returns (0, how many were counted) or (the
    seconds until one may go, 0)."""
    limits = ledger.rate_limits
    moment = at or ledger.clock()
    bucket = rate_windows.bucket_of(moment, limits.window_seconds)
    spent = 0
    while spent < most and _SPARES.spend(ledger.db, realm_id, bucket, spend=True):
        spent += 1
    if spent == most:
        return 0.0, spent
    with ledger.db.session() as session:
        wait, counted = RateWindows(session, clock=ledger.clock).take_ahead(
            realm_id,
            limit=limits.requests_per_minute,
            batch_limit=limits.batches_per_minute,
            window=limits.window_seconds,
            keep_for_batches=keep_for_batches,
            at=moment,
            more=most - spent - 1,
        )
    if spent:
        return 0.0, spent + counted
    return wait, counted


def landed_many(
    ledger: Ledger, realm_id: str, taken: datetime, answered: Sequence[datetime]
) -> None:
    """Single requests counted together at `taken` (`take_many`) were answered at
    `answered`: each moved to the bucket of its answer when that is a later one, in one
    database write (`landed`)."""
    window = ledger.rate_limits.window_seconds
    late: dict[datetime, list[datetime]] = {}  # by the bucket of the answer
    for at in answered:
        if rate_windows.later_bucket(taken, at, window):
            late.setdefault(rate_windows.bucket_of(at, window), []).append(at)
    if not late:
        return
    with ledger.db.session() as session:
        windows = RateWindows(session, clock=ledger.clock)
        for _, ats in sorted(late.items()):
            # an answer's own moment, not its bucket's start (floored again, a bucket's start
            # can fall a hair short, in the bucket before)
            windows.landed(realm_id, taken, window=window, answered=max(ats), requests=len(ats))


class WindowFull(Exception):
    """The company's window stays full for longer than the caller would wait (`pace`'s
    `within`): `retry_after` seconds at least."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"the company's QuickBooks requests are used up for {retry_after:.0f} s")
        self.retry_after = retry_after


def pace(
    ledger: Ledger,
    realm_id: str,
    sleep: Callable[[float], None] = time.sleep,
    *,
    batch: bool = False,
    within: float | None = None,
) -> None:
    """Count one request, waiting first as long as the window is full; `within`: WindowFull
    instead of waiting longer than that in all."""
    waited = 0.0
    while (wait := take(ledger, realm_id, batch=batch)) > 0:
        if within is not None and waited + wait > within:
            raise WindowFull(wait)
        sleep(wait)
        waited += wait


class Paced:
    """A QuickBooks client whose every request is counted first by `pace` (called with
    `batch=True` before a batch request): nothing sent through it escapes the company's
    window."""

    def __init__(self, client: QuickBooks, pace: Callable[..., None]) -> None:
        self._client = client
        self._pace = pace

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.close()

    def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        self._pace()
        return self._client.create(entity, body, request_id=request_id)

    def update(
        self, entity: str, body: Mapping[str, Any], *, request_id: str, sparse: bool = True
    ) -> dict[str, Any]:
        self._pace()
        return self._client.update(entity, body, request_id=request_id, sparse=sparse)

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> None:
        self._pace()
        self._client.delete(entity, entity_id, sync_token, request_id=request_id)

    def void(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str
    ) -> dict[str, Any]:
        self._pace()
        return self._client.void(entity, entity_id, sync_token, request_id=request_id)

    def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        self._pace()
        return self._client.read(entity, entity_id)

    def query(
        self, text: str, *, before_page: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        def each_page() -> None:  # one request a page
            self._pace()
            if before_page is not None:
                before_page()

        return self._client.query(text, before_page=each_page)

    def query_page(self, text: str, start: int, size: int) -> list[dict[str, Any]]:
        self._pace()
        return self._client.query_page(text, start, size)

    def query_pages(
        self, reads: Sequence[PageRead]
    ) -> list[list[dict[str, Any]] | QuickBooksError]:
        self._pace(batch=True)
        return self._client.query_pages(reads)

    def count(self, text: str) -> int:
        self._pace()
        return self._client.count(text)

    def batch(self, items: Sequence[BatchItem], *, request_id: str) -> list[BatchResult]:
        self._pace(batch=True)
        return self._client.batch(items, request_id=request_id)

    def cdc(self, entities: Sequence[str], since: datetime) -> dict[str, list[dict[str, Any]]]:
        self._pace()
        return self._client.cdc(entities, since)

    def preferences(self) -> dict[str, Any]:
        self._pace()
        return self._client.preferences()

    def company_info(self) -> dict[str, Any]:
        self._pace()
        return self._client.company_info()


@dataclass
class _Spare:
    """Single requests this process counted ahead in one bucket of a company's window."""

    bucket: datetime
    left: int = 0  # counted, not sent yet
    writes: int = 1  # writes that counted in this bucket (each counts twice as many ahead)


class _Spares:
    """The requests each company's window holds for this process (per database: a process can
    hold several), spent while their bucket lasts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_db: weakref.WeakKeyDictionary[Database, dict[str, _Spare]] = (
            weakref.WeakKeyDictionary()
        )

    def spend(self, db: Database, realm_id: str, bucket: datetime, *, spend: bool) -> bool:
        """One counted ahead in `bucket`: taken (`spend`) or only found; False when none."""
        with self._lock:
            spare = self._by_db.get(db, {}).get(realm_id)
            if spare is None or spare.bucket != bucket or spare.left <= 0:
                return False
            if spend:
                spare.left -= 1
            return True

    def ahead(self, db: Database, realm_id: str, bucket: datetime) -> int:
        """How many to count ahead with the next request: none for a bucket's first request
        (one request alone is counted as it is), then 1, 3, 7 (to AHEAD in all) as they go."""
        with self._lock:
            spare = self._by_db.get(db, {}).get(realm_id)
            if spare is None or spare.bucket != bucket:
                return 0
            return min(1 << spare.writes, AHEAD) - 1

    def counted(self, db: Database, realm_id: str, bucket: datetime, ahead: int) -> None:
        """A write counted a request and `ahead` more in `bucket`."""
        with self._lock:
            spares = self._by_db.setdefault(db, {})
            spare = spares.get(realm_id)
            if spare is None or spare.bucket != bucket:
                spares[realm_id] = _Spare(bucket, left=ahead)
                return
            spare.left += ahead
            spare.writes += 1


_SPARES = _Spares()


def wait_for_quickbooks(
    ledger: Ledger,
    connection_id: str,
    company: Company,
    retry_after: float | None,
    *,
    cursor: bool = False,
    now: datetime | None = None,
) -> datetime | None:
    """QuickBooks answered 429 to a read of `company`: the company's wait stored on its
    connection (`SyncStates.delay_all`: the Retry-After, at most `retry.MAX_THROTTLE_WAIT`,
    else `retry.THROTTLE_WAIT`), as the push pass stores a 429 of its own, so that no pull,
    verify, import or pass asks again before it ends. Only while the connection still has the
    company (`Connections.still_has`, `cursor` as a pull's check asks): a Start fresh forgets
    the wait, and a new company must not inherit the old one's. Until when, or None when not
    stored. `now`: the moment the wait counts from (by default the ledger's clock now)."""
    until = throttled_until(ledger.clock() if now is None else now, retry_after)
    with ledger.db.session() as session:
        if not Connections(session).still_has(connection_id, company, cursor=cursor):
            return None
        SyncStates(session).delay_all(connection_id, until)
    return until
