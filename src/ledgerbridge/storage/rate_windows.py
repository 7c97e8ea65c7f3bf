"""Requests to one QuickBooks company per minute, counted for every process (`rate_windows`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["RateWindows"]


class RateWindows:
    """Requests to one QuickBooks company per minute, counted for every process."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def take(
        self, realm_id: str, *, limit: int, batch: bool = False, batch_limit: int = 40
    ) -> float:
        """Count one request (and one batch) in this minute; 0 when allowed, else seconds until
        the next minute."""
        now = self._clock()
        start = now.replace(second=0, microsecond=0)
        t = tables.RateWindow
        used = self._session.execute(
            select(t.requests, t.batches)
            .where(t.realm_id == realm_id, t.window_start == start)
            .with_for_update()
        ).one_or_none()
        if used is None:
            self._session.execute(
                insert(t).values(
                    realm_id=realm_id, window_start=start, requests=1, batches=int(batch)
                )
            )
            self._session.execute(
                delete(t).where(
                    t.realm_id == realm_id, t.window_start < start - timedelta(minutes=5)
                )
            )
            return 0.0
        requests, batches = used
        if requests >= limit or (batch and batches >= batch_limit):
            return (start + timedelta(minutes=1) - now).total_seconds()
        self._session.execute(
            update(t)
            .where(t.realm_id == realm_id, t.window_start == start)
            .values(requests=t.requests + 1, batches=t.batches + int(batch))
        )
        return 0.0
