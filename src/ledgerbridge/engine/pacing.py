"""QuickBooks' limits for one company, shared by every process: a request is counted in the
company's sliding window (`storage.rate_windows`) before it is sent.

    wait = take(ledger, realm_id, batch=True)   # 0: counted, send it; else seconds to wait
    pace(ledger, realm_id)                      # wait until counted (reads: pull, verify)

The window's length and counts are `ledger.rate_limits` (Intuit's: 500 requests and 40 batch
requests a minute).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.rate_windows import RateWindows

__all__ = ["pace", "take"]


def take(
    ledger: Ledger, realm_id: str, *, batch: bool = False, keep_for_batches: bool = False
) -> float:
    """Count one request now; 0 when it may go, else the seconds until it may (not counted).
    `keep_for_batches`: a single request leaves the batch requests' share of the window."""
    limits = ledger.rate_limits
    with ledger.db.session() as session:
        return RateWindows(session, clock=ledger.clock).take(
            realm_id,
            limit=limits.requests_per_minute,
            batch=batch,
            batch_limit=limits.batches_per_minute,
            window=limits.window_seconds,
            keep_for_batches=keep_for_batches,
        )


def pace(ledger: Ledger, realm_id: str, sleep: Callable[[float], None] = time.sleep) -> None:
    """Count one request, waiting first as long as the window is full."""
    while (wait := take(ledger, realm_id)) > 0:
        sleep(wait)
