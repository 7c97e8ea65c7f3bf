"""Requests to one QuickBooks company in the last minute, counted for every process
(`rate_windows`).

QuickBooks counts a company's requests over a sliding minute (500 requests, 40 of them batch
requests). Each row holds what was sent in one short bucket (`BUCKETS` to a window: half a second
of Intuit's minute); a request is allowed when the buckets that may still be inside QuickBooks'
window, counted generously (the whole bucket, plus `MARGIN` for the time a request takes to
arrive), leave room for it. A refused request learns how long until the bucket that holds it
back leaves the window.

A single request may also be asked to leave the batch requests their share (`keep_for_batches`):
then singles use at most `limit - batch_limit` requests of a window, so that 30 writes in a batch
are never kept out by one write alone. `count=False` only asks (nothing is counted).

A single request of a quiet company (its window at most half full, `quiet_below`) may count a
few more ahead in the same bucket (`take_ahead`): the process that counted them sends them
before the bucket ends without asking again (`engine.pacing`), or they stay counted unsent. What
is sent is still never more than what was counted, whichever process counted it. Writes about to
go alone together (a full queue while the batch requests are used up) are counted together too,
as many as the window has room for (`more`), full or not.

QuickBooks counts a request when it arrives, which can be later than when it was counted here
(a busy machine, a slow network): once answered, `landed` moves it to the bucket of its answer
when that is a later one, so the window here never ends before QuickBooks' does. Requests
counted together (`more`) and sent one after another are moved on by their caller before one
goes out later than `MARGIN` after they were counted (`push.singles`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Delete, Insert, Select, Update, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import prepared, run, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["BUCKETS", "MARGIN", "RateWindows", "bucket_of", "later_bucket", "quiet_below"]

BUCKETS = 120  # buckets in one window: half a second of a 60-second window
MARGIN = timedelta(milliseconds=250)  # a request counted now may reach QuickBooks this much later

_Row = tuple[datetime, int, int]  # bucket start, requests, batches


class RateWindows:
    """Requests to one QuickBooks company in the last window, counted for every process."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def take(
        self,
        realm_id: str,
        *,
        limit: int,
        batch: bool = False,
        batch_limit: int = 40,
        window: float = 60.0,
        keep_for_batches: bool = False,
        count: bool = True,
        at: datetime | None = None,
    ) -> float:
        """Count one request (a batch request with `batch`) at `at` (now by default); 0 when
        allowed, else the seconds until the request would be allowed (nothing counted)."""
        wait, _ = self.take_ahead(
            realm_id,
            limit=limit,
            batch=batch,
            batch_limit=batch_limit,
            window=window,
            keep_for_batches=keep_for_batches,
            count=count,
            at=at,
        )
        return wait

    def take_ahead(
        self,
        realm_id: str,
        *,
        limit: int,
        batch: bool = False,
        batch_limit: int = 40,
        window: float = 60.0,
        keep_for_batches: bool = False,
        count: bool = True,
        at: datetime | None = None,
        ahead: int = 0,
        more: int = 0,
    ) -> tuple[float, int]:
        """`take`, and, for a single request of a quiet company, up to `ahead` more single
        requests counted at once in the same bucket, to be sent before it ends: only while the
        window, with them, holds at most half of what singles may use (`quiet_below`). `more`:
        up to that many more single requests, as many as the window has room for, quiet or not
        (writes sent at once, one after another). Returns (0, how many were counted: 1 + those
        ahead or more) or (the seconds to wait, 0)."""
        now = at or self._clock()
        bucket = window / BUCKETS
        start = _floor(now, bucket)
        reach = timedelta(seconds=window + bucket) + MARGIN  # a bucket counts this long
        # Read unlocked while the company is quiet: locking on every request costs PostgreSQL
        # a write each, and far below the limit two processes adding at once cannot pass it.
        # Near it the company's window is read again under a lock held to the end of the
        # transaction, so that two processes (a pass, a person's fix, an import) never both take
        # the last request; a batch request takes the lock before it reads at all. SQLite's
        # writers take turns already.
        if batch:  # always under the lock: taken before its one read
            self._lock(realm_id)
        rows = self._read(realm_id, now - reach)
        requests = sum(r for _, r, _ in rows)
        near = requests + 1 + ahead + more > quiet_below(limit, batch_limit)
        if not batch and near and self._lock(realm_id):
            rows = self._read(realm_id, now - reach)
            requests = sum(r for _, r, _ in rows)
        batches = sum(b for _, _, b in rows)
        wait = 0.0
        if requests >= limit:
            wait = _until_out(rows, requests - limit + 1, lambda r: r[1], now, reach)
        if batch and batches >= batch_limit:
            over = batches - batch_limit + 1
            wait = max(wait, _until_out(rows, over, lambda r: r[2], now, reach))
        singles_limit = limit - batch_limit  # (no share to keep when batches may take all)
        if not batch and keep_for_batches and 0 < singles_limit <= requests - batches:
            over = requests - batches - singles_limit + 1
            wait = max(wait, _until_out(rows, over, lambda r: r[1] - r[2], now, reach))
        if wait > 0 or not count:
            return wait, 0
        extra = 0
        if ahead > 0 and not batch:
            extra = max(0, min(ahead, quiet_below(limit, batch_limit) - requests - 1))
        if more > 0 and not batch:
            room = limit - requests  # this request's and the others'
            if keep_for_batches and singles_limit > 0:
                room = min(room, singles_limit - (requests - batches))
            extra = max(extra, min(more, room - 1))
        self._add(realm_id, start, rows, batch, now - 2 * reach, 1 + extra)
        return 0.0, 1 + extra

    def _read(self, realm_id: str, since: datetime) -> list[_Row]:
        found = run(
            self._session,
            prepared("rate_windows.read", _buckets),
            {"w_realm": realm_id, "w_since": since},
        )
        return [(row.window_start, row.requests, row.batches) for row in found]

    def _lock(self, realm_id: str) -> bool:
        """Hold the company's window until the transaction ends (PostgreSQL: an advisory lock
        on the realm); whether a lock was taken (not on SQLite, whose writers take turns)."""
        if self._session.get_bind().dialect.name != "postgresql":
            return False
        self._session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"rate_window:{realm_id}"},
        )
        return True

    def landed(
        self,
        realm_id: str,
        taken: datetime,
        *,
        batch: bool = False,
        window: float = 60.0,
        answered: datetime | None = None,
        requests: int = 1,
    ) -> None:
        """A request counted at `taken` was answered now (or at `answered`; `requests` single
        requests counted together and answered in the same bucket): moved to the bucket of the
        answer when that is a later one (QuickBooks counted it on arrival, at the latest
        then)."""
        bucket = window / BUCKETS
        was, now = _floor(taken, bucket), _floor(answered or self._clock(), bucket)
        if now <= was:
            return
        moved = 1 if batch else requests
        t = tables.RateWindow
        self._session.execute(
            update(t)
            .where(t.realm_id == realm_id, t.window_start == was, t.requests >= moved)
            .values(requests=t.requests - moved, batches=t.batches - int(batch))
        )
        row = self._session.execute(
            select(t.window_start, t.requests, t.batches)
            .where(t.realm_id == realm_id, t.window_start == now)
            .with_for_update()
        ).one_or_none()
        rows = [] if row is None else [(row.window_start, row.requests, row.batches)]
        self._add(realm_id, now, rows, batch, None, moved)

    def _add(
        self,
        realm_id: str,
        start: datetime,
        rows: Sequence[_Row],
        batch: bool,
        forget_before: datetime | None,
        requests: int = 1,
    ) -> None:
        """`requests` more (one by default) in the bucket at `start` (`rows`: the buckets read,
        oldest first); a batch request is always one."""
        if rows and rows[-1][0] == start:
            params = {
                "w_realm": realm_id,
                "w_start": start,
                "w_requests": requests,
                "w_batches": int(batch),
            }
            run(self._session, prepared("rate_windows.add", _bucket_add), params)
        else:
            # another process may make the same bucket at the same moment (PostgreSQL, two
            # workers): its row then takes this request too, instead of a duplicate key
            dialect = self._session.get_bind().dialect.name
            params = {
                "w_realm": realm_id,
                "w_start": start,
                "w_requests": requests,
                "w_batches": int(batch),
            }
            made = prepared(("rate_windows.new", dialect), lambda: _bucket_new(dialect))
            run(self._session, made, params)
            if forget_before is not None:
                forget = prepared("rate_windows.forget", _buckets_forget)
                run(self._session, forget, {"w_realm": realm_id, "w_before": forget_before})


def _buckets() -> Select[Any]:
    """A company's buckets after a moment, oldest first (built once: `storage._sql.prepared`,
    as every request of a pass reads them)."""
    t = table(tables.RateWindow)
    return (
        select(t.c.window_start, t.c.requests, t.c.batches)
        .where(t.c.realm_id == bindparam("w_realm"), t.c.window_start > bindparam("w_since"))
        .order_by(t.c.window_start)
    )


def _bucket_new(dialect: str) -> Insert:
    """A company's new bucket, or more in it when another process made it at the same
    moment."""
    t = table(tables.RateWindow)
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = {
        "realm_id": "w_realm",
        "window_start": "w_start",
        "requests": "w_requests",
        "batches": "w_batches",
    }
    added = make(t).values({t.c[c]: bindparam(p, type_=t.c[c].type) for c, p in names.items()})
    return added.on_conflict_do_update(
        index_elements=[t.c.realm_id, t.c.window_start],
        set_={
            "requests": t.c.requests + added.excluded.requests,
            "batches": t.c.batches + added.excluded.batches,
        },
    )


def _buckets_forget() -> Delete:
    """A company's buckets at or before a moment (long out of every window)."""
    t = table(tables.RateWindow)
    return delete(t).where(
        t.c.realm_id == bindparam("w_realm"), t.c.window_start <= bindparam("w_before")
    )


def _bucket_add() -> Update:
    """More requests (and batch requests) in a company's bucket that exists."""
    t = table(tables.RateWindow)
    return (
        update(t)
        .where(t.c.realm_id == bindparam("w_realm"), t.c.window_start == bindparam("w_start"))
        .values(
            requests=t.c.requests + bindparam("w_requests"),
            batches=t.c.batches + bindparam("w_batches"),
        )
    )


def quiet_below(limit: int, batch_limit: int) -> int:
    """The most requests a window may hold, those counted ahead included, for requests to be
    counted ahead at all: half of what singles may use (of a limit the batch requests may take
    whole, half of it)."""
    singles = limit - batch_limit if limit > batch_limit else limit
    return singles // 2


def bucket_of(moment: datetime, window: float) -> datetime:
    """The start of the bucket that holds `moment` (for windows of `window` seconds)."""
    return _floor(moment, window / BUCKETS)


def later_bucket(taken: datetime, now: datetime, window: float) -> bool:
    """Is `now` in a later bucket than `taken` (for windows of `window` seconds)?"""
    bucket = window / BUCKETS
    return _floor(now, bucket) > _floor(taken, bucket)


def _floor(moment: datetime, seconds: float) -> datetime:
    """The start of the bucket of `seconds` that holds `moment`."""
    stamp = moment.timestamp()
    return datetime.fromtimestamp(math.floor(stamp / seconds) * seconds, tz=UTC)


def _until_out(
    rows: Sequence[_Row], over: int, count: Callable[[_Row], int], now: datetime, reach: timedelta
) -> float:
    """Seconds until the oldest buckets holding `over` of what `count` counts leave the
    window (at least a millisecond: a refusal always waits)."""
    seen = 0
    for row in rows:
        seen += count(row)
        if seen >= over:
            return max((row[0] + reach - now).total_seconds(), 0.001)
    return max((rows[-1][0] + reach - now).total_seconds(), 0.001) if rows else 0.001
