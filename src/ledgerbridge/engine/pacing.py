"""QuickBooks' limits for one company, shared by every process: a request is counted in the
company's sliding window (`storage.rate_windows`) before it is sent.

    wait = take(ledger, realm_id, batch=True)   # 0: counted, send it; else seconds to wait
    landed(ledger, realm_id, taken, batch=True) # answered: counted when it arrived, at latest
    pace(ledger, realm_id)                      # wait until counted (reads: pull, verify)

The window's length and counts are `ledger.rate_limits` (Intuit's: 500 requests and 40 batch
requests a minute).

Counting is a database write, which cost more than the request itself when QuickBooks answers
at once (a pull's twenty reads of a quiet company). So a process making several single
requests within one bucket of the window counts them ahead: 1, then 2, 4 and at most `AHEAD` at
a time (`_Spares`), each counted in the shared window before any is sent, kept in this process
and spent without a write until the bucket ends. Only a quiet company's window takes requests
ahead (`rate_windows.quiet_below`: at most half of what singles may use); above that every
request is counted alone, as before. What is sent is never more than what was counted, so the
limits hold across processes; what a bucket's end leaves unspent was counted for nothing (at
most `AHEAD - 1` a bucket, and only while the company is quiet). Batch requests are always
counted one by one.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ledgerbridge.engine.ports import Database, Ledger
from ledgerbridge.storage import rate_windows
from ledgerbridge.storage.rate_windows import RateWindows

__all__ = ["AHEAD", "landed", "pace", "take"]

AHEAD = 8  # the most single requests one process counts in one write


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
        wait, counted = RateWindows(session, clock=ledger.clock).take_ahead(
            realm_id,
            limit=limits.requests_per_minute,
            batch=batch,
            batch_limit=limits.batches_per_minute,
            window=limits.window_seconds,
            keep_for_batches=keep_for_batches,
            count=count,
            at=moment,
            ahead=ahead,
        )
    if counted and not batch:
        _SPARES.counted(ledger.db, realm_id, bucket, counted - 1)
    return wait


def landed(ledger: Ledger, realm_id: str, taken: datetime, *, batch: bool = False) -> None:
    """A request counted at `taken` was answered: counted again where QuickBooks counted it
    (when it arrived, at the latest now) if that is a later bucket (`RateWindows.landed`)."""
    window = ledger.rate_limits.window_seconds
    if not rate_windows.later_bucket(taken, ledger.clock(), window):
        return  # the same bucket: nothing to move (most requests)
    with ledger.db.session() as session:
        RateWindows(session, clock=ledger.clock).landed(realm_id, taken, batch=batch, window=window)


def pace(ledger: Ledger, realm_id: str, sleep: Callable[[float], None] = time.sleep) -> None:
    """Count one request, waiting first as long as the window is full."""
    while (wait := take(ledger, realm_id)) > 0:
        sleep(wait)


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
