"""QuickBooks' limits for one company, shared by every process: a request is counted in the
company's sliding window (`storage.rate_windows`) before it is sent.

    wait = take(ledger, realm_id, batch=True)   # 0: counted, send it; else seconds to wait
    landed(ledger, realm_id, taken, batch=True) # answered: counted when it arrived, at latest
    pace(ledger, realm_id)                      # wait until counted (reads: pull, verify)
    client = Paced(client, lambda: pace(ledger, realm_id))  # every request of it counted first

`Paced` is for the calls made outside the push pass and the pull (which count their own):
a person's one-click fixes, the initial import.

The window's length and counts are `ledger.rate_limits` (Intuit's: 500 requests and 40 batch
requests a minute).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from ledgerbridge.adapters.qbo import BatchItem, BatchResult, QuickBooks
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage import rate_windows
from ledgerbridge.storage.rate_windows import RateWindows

__all__ = ["Paced", "WindowFull", "landed", "pace", "take"]


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
