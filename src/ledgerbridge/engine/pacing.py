"""QuickBooks' limits for one company, shared by every process: a request is counted in the
company's sliding window (`storage.rate_windows`) before it is sent.

    wait = take(ledger, realm_id, batch=True)   # 0: counted, send it; else seconds to wait
    landed(ledger, realm_id, taken, batch=True) # answered: counted when it arrived, at latest
    pace(ledger, realm_id)                      # wait until counted (reads: pull, verify)

The window's length and counts are `ledger.rate_limits` (Intuit's: 500 requests and 40 batch
requests a minute).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage import rate_windows
from ledgerbridge.storage.rate_windows import RateWindows

__all__ = ["landed", "pace", "take"]


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
    window; `count=False`: only ask."""
    limits = ledger.rate_limits
    with ledger.db.session() as session:
        return RateWindows(session, clock=ledger.clock).take(
            realm_id,
            limit=limits.requests_per_minute,
            batch=batch,
            batch_limit=limits.batches_per_minute,
            window=limits.window_seconds,
            keep_for_batches=keep_for_batches,
            count=count,
            at=at,
        )


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
