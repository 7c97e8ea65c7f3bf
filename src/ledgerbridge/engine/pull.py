"""The pull side: keep the mirror of a QuickBooks company current.

The first pull reads every list (customers, vendors, employees, items, accounts, classes, tax
codes and rates, payment methods, terms), the documents a sync can collide with (invoices, payments,
bills, purchases, purchase orders) and the preferences. Later pulls use change data capture from
a per-connection cursor (with a minute of overlap, since clocks differ); a cursor older than
QuickBooks' 30-day window means a full reload. QuickBooks answers change data capture with at
most 1000 objects, silently cutting the rest: a full answer is asked again entity by entity
(`_changes_since`), and an entity with that many changes alone is read by what changed since
the cursor (`MetaData.LastUpdatedTime`), checked by a count against the mirror's, or read
whole when the counts differ (a deletion). A full read of QuickBooks Online asks the first
page of every entity, the preferences and the company's information in one batch request
(`_read_whole`; a failed preferences or information item is read alone); only an entity with
more than that page is read again, a page a request. What a
pull reads goes into a temporary file (`_Spool`), whole before anything is stored, then into
the mirror a group of at most STORE_SIZE objects at a time: what one pull holds in memory is
a page and what people changed, not the company. What was read is stored only if the
connection still has the company read, checked with its row held (`_same_company`): a person
may Start fresh in another company while a read goes on. Webhooks only
wake a pull: the data always comes from a read, never from the notification itself.
"""

from __future__ import annotations

import functools
import pickle
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, TypeVar

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import (
    Disconnected,
    InUse,
    PageRead,
    QuickBooks,
    QuickBooksError,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine import checks as setup_checks
from ledgerbridge.engine import drift, keys, pacing, reconnecting, twoway
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Company, Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.mirror import Mirror, same_as_stored
from ledgerbridge.storage.scans import Scans
from ledgerbridge.storage.scratch import KeySet, Scratch
from ledgerbridge.storage.tokens import StoredTokens, Tokens, TokensRead

LISTS = (
    "Customer",
    "Vendor",
    "Employee",
    "Item",
    "Account",
    "Class",
    "TaxCode",
    "TaxRate",
    "PaymentMethod",
    "Term",
)
DOCUMENTS = (
    "Invoice",
    "Payment",
    "Bill",
    "Purchase",
    "PurchaseOrder",
    "SalesReceipt",
    "CreditMemo",
)
# change data capture does not carry tax codes and rates: a full read brings them
READ_IN_FULL_ONLY = ("TaxCode", "TaxRate")
CDC_ENTITIES = tuple(e for e in LISTS + DOCUMENTS if e not in READ_IN_FULL_ONLY)
OVERLAP = timedelta(minutes=1)
CDC_LIMIT = 1000  # the most objects QuickBooks answers one change-data-capture call with
CDC_WINDOW = timedelta(days=29)
PAGE_SIZE = 1000  # objects per read of a full read (QuickBooks answers at most 1000)
STORE_SIZE = 250
"""The most objects of a read stored (and held in memory) at once: the spool keeps a page in
pieces of this many, and they are stored a group of at most this many at a time. A page of a
thousand invoices parsed is some 7 MiB; held whole, two groups and the next page at once were
near 30 MiB, the largest part of a sync's peak memory."""
BATCH_READS = 30  # queries per batch request (QuickBooks takes at most 30 items)
FIRST_ROWS = 900
"""The rows the first pages of a full read ask in all, shared by the entities one batch
request reads (`_read_whole`): QuickBooks answers a batch with at most 1000 objects, and a
TaxCode query's first page brings its pseudo codes on top of the rows asked."""
FIRST_WIDE = {"Account": 250}
"""Entities whose first page asks more than an even share of FIRST_ROWS: a company holds
its chart of accounts from its first day (some hundred accounts)."""
SINGLETONS = ("Preferences", "CompanyInfo")  # read with a full read's first pages
READ_TRIES = 3  # times one read is asked when QuickBooks cannot answer it (`_Asking`)
_T = TypeVar("_T")


@dataclass
class PullReport:
    objects: int = 0
    unchanged: int = 0  # of `objects`: read back exactly as the mirror held them
    deleted: int = 0
    full: bool = False
    stopped: str | None = None
    # when stopped by QuickBooks' throttling or the company's window full ("rate_limited"):
    # seconds until a read may go
    retry_after: float | None = None
    # when stopped "throttled": until when the company waits (`connections.wait_until`)
    wait_until: datetime | None = None
    # stopped because QuickBooks could not answer the read (`Unavailable`: a server error, a
    # connection dropped, after the pull's own tries): a read to make again soon. Not for a
    # refusal that would be the same next time (`Rejected`), nor the company's state
    # (disconnected, suspended), nor a wait (`retry_after` says when instead)
    read_again: bool = False
    drift_report: drift.DriftReport | None = None
    told: int = 0  # quickbooks.* events: changes made in QuickBooks to unlinked objects


@dataclass(frozen=True)
class CompanyRead:
    """A company as one read-only transaction found it (`read_company`): its connection row,
    its change cursor and its tokens (with the moment they were read). A job reads this once
    and hands it to its pull, instead of the pull, its key check and its reconnect warning
    each reading the connection and tokens again; it is that moment's state and nothing more
    (the push pass reads its own under its lease, after the pull)."""

    connection: StoredConnection
    cursor: datetime | None
    tokens: TokensRead | None
    company: Company  # the company the connection had then (`Connections.still_has`)

    @property
    def stored_tokens(self) -> StoredTokens | None:
        return None if self.tokens is None else self.tokens.stored


def read_company(
    ledger: Ledger, connection_id: str, *, unpulled: bool = False
) -> CompanyRead | None:
    """The company's `CompanyRead`, in one transaction; None when there is no such
    connection, or (`unpulled`: a job's look for a company to learn first) when it is not an
    active company whose mirror is empty (never pulled): then its tokens are not read, as no
    pull follows to use them."""
    with ledger.db.session(readonly=True) as session:
        found = Connections(session).get_with_cursor(connection_id)
        if found is None:
            return None
        connection, cursor, company = found
        if unpulled and (
            connection.status != "active" or not mirror_is_empty_in(session, connection_id)
        ):
            return None
        stored = Tokens(session).get(connection_id)
        at = time.monotonic()
    tokens = None if stored is None else TokensRead(stored, at)
    return CompanyRead(connection, cursor, tokens, company)


def pull_company(
    ledger: Ledger,
    connection_id: str,
    *,
    also_in_full: tuple[str, ...] = (),
    desktop: bool = False,
    wait_within: float | None = None,
    company: CompanyRead | None = None,
    keep: Callable[[], None] | None = None,
) -> PullReport:
    """QuickBooks' changes into the mirror; `also_in_full`: entities read whole even on a
    change-data-capture pull (a refresh asked by a person reads READ_IN_FULL_ONLY so).
    Each read waits for room in the company's window (its writes may fill it for most of a
    minute); `wait_within`: a read that would wait longer than that in all stops the pull
    instead, nothing stored (`stopped` "rate_limited", `retry_after` the wait): a worker with
    other companies does not sleep through one company's full window.
    A company that waits for QuickBooks' limits (`connections.wait_until`: a 429, or its
    window full for longer than a pass waits, `SyncStates.delay_all`) is not read before its
    wait ends, whoever asks: `stopped` "throttled", `retry_after` and `wait_until` saying
    until when, no request sent (read during a 429's Retry-After, QuickBooks answers more
    429s and may throttle the company longer). A 429 met here is stored the same way, so
    every other pull, and the push pass, waits for it too.
    A QuickBooks Desktop connection is pulled only from its Web Connector's sessions
    (`desktop=True`, by modified date through the Desktop adapter's `cdc`). `company`: the
    company as the caller has just read it (`read_company`), not read again here. `keep`:
    the caller's lease kept while a Desktop answer is awaited (`Ledger.quickbooks`)."""
    report = PullReport()
    company = company or read_company(ledger, connection_id)
    connection = None if company is None else company.connection
    desktop_ok = desktop and connection is not None and connection.environment == "desktop"
    reachable = connection is not None and (connection.realm_id is not None or desktop_ok)
    if company is None or connection is None or not reachable or connection.status != "active":
        report.stopped = "not_active"
        return report
    if connection.realm_id is not None and _waits(ledger, connection, report):
        return report
    cursor = company.cursor
    connection = keys.opened(ledger, connection, company.stored_tokens)
    if connection is None:
        report.stopped = "keys_changed"
        return report
    # days pass without a token answer too
    reconnecting.check_as(ledger, connection, company.stored_tokens)
    started = ledger.clock()
    realm, cid, read_from = connection.realm_id, connection_id, company.company

    def pace(batch: bool) -> None:  # each read counted in the company's limits, as the writes
        if realm is not None:  # QuickBooks Desktop has no such limits
            pacing.pace(ledger, realm, batch=batch, within=wait_within)

    ask = _Asking(pace)

    with _Spool.new() as batches:  # what is read, kept on disk until stored, a page at a time
        with ledger.quickbooks(connection, tokens=company.tokens, keep=keep) as client:
            try:
                read_in_full: frozenset[str] = frozenset()
                if cursor is None or started - cursor > CDC_WINDOW:
                    report.full = True
                    if realm is None:  # Desktop: no batch, and no request limits to spare
                        for entity in LISTS + DOCUMENTS:
                            _read_in_full(client, entity, batches, ask)
                        preferences = ask(client.preferences)
                        info = ask(client.company_info)
                    else:
                        read = _read_whole(client, LISTS + DOCUMENTS, batches, ask)
                        preferences = read.get("Preferences") or ask(client.preferences)
                        info = read.get("CompanyInfo") or ask(client.company_info)
                    read_in_full = frozenset(LISTS + DOCUMENTS)
                else:
                    read_in_full = _changes_since(
                        client,
                        cursor - OVERLAP,
                        batches,
                        ask,
                        leave=frozenset(also_in_full),
                        held=None if realm is None else functools.partial(_held, ledger, cid),
                    )
                    for entity in also_in_full:
                        _read_in_full(client, entity, batches, ask)
                    read_in_full |= frozenset(also_in_full)
                    preferences = ask(client.preferences)
                    info = None
                if realm is not None:  # Desktop reads a list whole at once: nothing moves
                    _read_missed_links(ledger, cid, client, read_in_full, batches, ask)
            except (Disconnected, SubscriptionLapsed) as exc:
                status = "disconnected" if isinstance(exc, Disconnected) else "suspended"
                with ledger.db.session() as session:
                    if not _same_company(session, connection_id, read_from, cursor):
                        # refused because the company changed meanwhile (another company's
                        # token, or none after a Start fresh): not the connection's refusal
                        report.stopped = "not_active"
                        return report
                    Connections(session).set_status(connection_id, status)
                    Events(session).append(
                        connection_id, "connection.status_changed", {"status": status}
                    )
                report.stopped = status
                return report
            except pacing.WindowFull as full:
                report.stopped, report.retry_after = "rate_limited", full.retry_after
                return report
            except Throttled as exc:  # as the push pass says it, and stored as it stores it
                report.stopped, report.retry_after = "throttled", exc.retry_after
                _wait_for_quickbooks(ledger, connection_id, read_from, cursor, exc, report)
                return report
            except QuickBooksError as exc:  # other refusals by the adapter's own name
                report.stopped = type(exc).__name__
                report.read_again = isinstance(exc, Unavailable)
                return report
        with ledger.db.session() as session:
            # one pull stores at a time per company, whoever runs it (the worker under the
            # company's lease, or a person's refresh, Resync or Refresh action outside it):
            # the second compares with what the first stored, so a change is told once
            # (PostgreSQL: the connection's row held; SQLite's writers take turns already);
            # and only while the connection still has the company read (`_same_company`)
            if not _same_company(session, connection_id, read_from, cursor):
                report.stopped = "not_active"
                return report
            mirror = Mirror(session, connection_id, clock=ledger.clock)
            changes = drift.Changes(full_entities=read_in_full, scratch=batches.scratch)
            for pages in _together(batches.pages()):
                _store_pages(mirror, changes, report, pages)
                del pages  # let go before the next group is read back: one group at a time
            mirror.put_preferences(preferences)
            # what people changed under linked records: same transaction as the mirror
            report.drift_report = drift.detect(session, connection_id, changes, clock=ledger.clock)
            # what people made in QuickBooks that no app record is linked to: told to the app
            # (not on the first pull: what the company held before is not news)
            report.told = twoway.tell(
                session, connection, changes, first=cursor is None, clock=ledger.clock
            )
            connections = Connections(session)
            if info is not None and info.get("CompanyName"):
                connections.set_company(
                    connection_id, connection.realm_id, str(info["CompanyName"])
                )
            connections.set_pulled(connection_id, started, ledger.clock())
    setup_checks.after_pull(ledger, connection, full=report.full, started=started)
    return report


def _waits(ledger: Ledger, connection: StoredConnection, report: PullReport) -> bool:
    """Whether the company waits for QuickBooks' limits now (its `wait_until` is later): then
    `report` says so ("throttled", until when), and nothing is read."""
    now = ledger.clock()
    until = connection.waiting(now)
    if until is None:
        return False
    report.stopped, report.wait_until = "throttled", until
    report.retry_after = (until - now).total_seconds()
    return True


def _wait_for_quickbooks(
    ledger: Ledger,
    connection_id: str,
    company: Company,
    cursor: datetime | None,
    exc: Throttled,
    report: PullReport,
) -> None:
    """QuickBooks answered a read with 429: the company's wait stored on its connection
    (`pacing.wait_for_quickbooks`), only while the connection still has the company read,
    and said in `report`."""
    now = ledger.clock()
    until = pacing.wait_for_quickbooks(
        ledger, connection_id, company, exc.retry_after, cursor=cursor is not None, now=now
    )
    if until is None:
        return
    report.wait_until = until
    report.retry_after = (until - now).total_seconds()


def _same_company(
    session: Session, connection_id: str, company: Company, cursor: datetime | None
) -> bool:
    """Whether the connection, its row held from here to the end of the transaction, still
    has the company a pull read (`Connections.still_has`: the same realm, or on Desktop the
    same company file), and a change cursor still there if the pull began from one. A read
    takes minutes (a big company's first one), outside any transaction; a person may
    meanwhile Start fresh (`service.admin.start_fresh`: the realm or company file, the cursor
    and the mirror forgotten) and connect another company, or the same one again. What the
    pull read is then not stored (`stopped` "not_active"): stored, the old company's realm,
    mirror and cursor were written back onto the connection, which then held another
    company's objects to link records to, and skipped the new company's first full read."""
    return Connections(session).still_has(connection_id, company, cursor=cursor is not None)


Page = tuple[str, list[dict[str, Any]]]
"""A page read: its entity and its objects as QuickBooks answered them."""


def _together(pages: Iterable[Page]) -> Iterator[list[Page]]:
    """The pages in the order read, in groups of at most STORE_SIZE objects (a bigger page
    alone), stored a group at a time: a quiet company's pages, an object or two of each
    entity, in a few statements instead of two a page."""
    group: list[Page] = []
    size = 0
    for page in pages:
        if group and size + len(page[1]) > STORE_SIZE:
            yield group
            group, size = [], 0
        group.append(page)
        size += len(page[1])
    if group:
        yield group


def _store_pages(
    mirror: Mirror, changes: drift.Changes, report: PullReport, pages: list[Page]
) -> None:
    """Pages read into the mirror, and what they changed into `changes`: the copies held read
    in one query, the fresh ones written in one upsert and the deleted ones marked in one
    update an entity (a few more for more than 500 objects)."""
    live = [(e, str(obj["Id"])) for e, objs in pages for obj in objs if not _gone(obj)]
    held = mirror.get_among(live)
    # their last copy, locked: a deletion ledgerbridge itself is storing is waited for
    # (it marks the copy deleted), so it never reads as one made in QuickBooks
    dead: dict[str, list[str]] = {}
    for entity, objects in pages:
        for obj in objects:
            if _gone(obj):
                dead.setdefault(entity, []).append(str(obj["Id"]))
    last = {
        (entity, qbo_id): copy
        for entity, ids in sorted(dead.items())
        for qbo_id, copy in mirror.get_many(entity, ids, lock=True).items()
    }
    fresh: dict[tuple[str, str], MirrorObject] = {}  # to store, in the order read
    marked: dict[tuple[str, str], None] = {}  # to mark deleted
    seen: list[drift.Seen] = []  # what was read, for `changes`
    for entity, objects in pages:
        for obj in objects:
            key = (entity, str(obj["Id"]))
            if _gone(obj):
                copy = fresh.pop(key, None) or last.get(key)
                held.pop(key, None)  # read again later on: new to the mirror
                marked[key] = None
                changes.gone.add(key)
                if copy is not None:
                    changes.gone_copies[key] = copy
                report.deleted += 1
                continue
            marked.pop(key, None)  # deleted, then back: stored as read
            after = MirrorObject.from_quickbooks(entity, obj)
            stored = fresh.get(key) or held.get(key)
            same = same_as_stored(stored, after)
            if same:  # what the push pass just wrote, or a re-read: held already
                report.unchanged += 1
            else:
                fresh[key] = after
            before = stored if entity in drift.WATCHED else None
            seen.append((before, after, not same))
            report.objects += 1
    changes.saw_many(seen)
    mirror.mark_deleted_many(marked)
    mirror.put_many(fresh.values())


def _gone(obj: dict[str, Any]) -> bool:
    """A deleted object's stub (change data capture's)."""
    return obj.get("status") == "Deleted"


def _select(
    entity: str,
    *,
    count: bool = False,
    since: datetime | None = None,
    ids: Collection[str] = (),
) -> str:
    """The query reading every object of `entity` (inactive ones of a list too), or counting
    them (`count`), or reading those changed since `since` (by `MetaData.LastUpdatedTime`,
    to the second, rounded down), oldest change first, or those of `ids`."""
    listed = entity in LISTS and entity not in READ_IN_FULL_ONLY
    conditions = ["Active IN (true, false)"] if listed else []
    if ids:
        quoted = ", ".join(
            "'" + qbo_id.replace("\\", "\\\\").replace("'", "\\'") + "'" for qbo_id in ids
        )
        conditions.insert(0, f"Id IN ({quoted})")
    if since is not None:
        moment = since.astimezone(UTC).isoformat(timespec="seconds")
        conditions.insert(0, f"MetaData.LastUpdatedTime >= '{moment}'")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = f" ORDERBY {_UPDATED}" if since is not None and not count else ""
    return f"SELECT {'COUNT(*)' if count else '*'} FROM {entity}{where}{order}"


_UPDATED = "MetaData.LastUpdatedTime"


def _changes_since(
    client: QuickBooks,
    since: datetime,
    into: _Spool,
    ask: _Asking,
    *,
    leave: frozenset[str] = frozenset(),
    held: Held | None = None,
) -> frozenset[str]:
    """QuickBooks' changes since `since` into `into` (but those of `leave`, read in full by
    the caller); returns the entities read in full instead.

    QuickBooks answers a change-data-capture call with at most CDC_LIMIT objects and says
    nothing of the rest (the entities asked last lose theirs). An answer that full is asked
    again one entity at a time. An entity with that many changes on its own is read by what
    changed (`_read_changed`: the objects whose `MetaData.LastUpdatedTime` is `since` or
    later, page by page) when `held` can tell how many objects the mirror would then hold
    and QuickBooks holds exactly as many: none gone unseen. Else (a count that differs, a
    QuickBooks Desktop company: `held` None) it is read in full, page by page (a linked
    object it no longer holds is then gone, as after a full load). Each request goes through
    `ask` (counted in the company's limits, asked again when QuickBooks could not answer).
    """
    batches = ask(lambda: client.cdc(CDC_ENTITIES, since))
    if sum(len(rows) for rows in batches.values()) < CDC_LIMIT:
        for entity, rows in batches.items():
            if entity not in leave:
                into.add(entity, rows)
        return frozenset()
    full: set[str] = set()
    for entity in batches:
        if entity in leave:
            continue
        if entity not in CDC_ENTITIES:  # answered unasked: kept as the first answer had it
            into.add(entity, batches[entity])
            continue
        batches[entity] = []  # the answer cut short is not needed any more
        rows = ask(functools.partial(client.cdc, [entity], since)).get(entity, [])
        if len(rows) >= CDC_LIMIT:
            del rows
            if held is None or not _read_changed(client, entity, since, into, ask, held):
                _read_in_full(client, entity, into, ask)
                full.add(entity)
        else:
            into.add(entity, rows)
    return frozenset(full)


Held = Callable[[str, KeySet], int]
"""How many objects of an entity the mirror holds once the objects of these ids (kept in the
pull's scratch) are stored (those it holds already and the ones it does not: `_held`)."""


def _read_changed(
    client: QuickBooks, entity: str, since: datetime, into: _Spool, ask: _Asking, held: Held
) -> bool:
    """The objects of `entity` changed since `since` (`MetaData.LastUpdatedTime`), a page at
    a time into `into`; True when that is all that changed: QuickBooks holds as many objects
    of the entity as the mirror will once they are stored. A query answers no deleted
    object, so a deletion shows only as a count that differs: then False, and the caller
    reads the entity in full (what was added here is read again there: stored once).

    QuickBooks is counted first: an object made between the count and the read makes the
    mirror's count the larger (read in full: safe), and one deleted after the count is after
    this pull's start too, so the next pull's change data capture tells it.

    Paged by key, not by position: each page is the oldest changes from the last page's
    latest `MetaData.LastUpdatedTime` on (what that page held of that second is read again
    and dropped). Paged by position, an object deleted on an earlier page moved every later
    one up a place and the one at the page's edge was on neither page, unseen by the count
    (the mirror still holds the deleted one): its edit lost. Here a deletion moves nothing,
    and an edit during the read moves its object later: read later in this read, or by the
    next pull (its cursor is this pull's start). A full page of one second (more changes in
    it than a page holds) cannot be paged so: False, read in full."""
    total = ask(functools.partial(client.count, _select(entity, count=True)))
    # the ids read, kept on disk: a long pass's writes read back are tens of thousands
    ids = into.scratch.keys(f"pull.changed.{entity}")
    # (Id, SyncToken) of the copies read of the second the next page starts from, the only
    # ones it can answer again (`_edge`): not every copy read, thousands after a long pass
    read: set[tuple[str, str]] = set()
    after = since
    while True:
        changed = _select(entity, since=after)
        page = ask(functools.partial(client.query_page, changed, 1, PAGE_SIZE))
        fresh = [row for row in page if _copy(row) not in read]
        into.add(entity, fresh)
        ids.add_many((entity, str(row["Id"])) for row in fresh)
        if len(page) < PAGE_SIZE:
            break
        first, last = _updated(page[0]), _updated(page[-1])
        if first is None or last is None or last <= first:
            return False  # a page of one second (or no time to page by): read in full
        read = _edge(page, last)
        after = last
    return held(entity, ids) == total


def _edge(page: list[dict[str, Any]], last: datetime) -> set[tuple[str, str]]:
    """The copies of `page` the next page (changed since `last`, to the second) can answer
    again: those of that second. The pages before it ended on an earlier second (each page
    ends later than it starts), so this page holds every copy of `last` read so far; an
    object with no time to page by is kept too, whatever a query makes of it."""
    return {_copy(row) for row in page if _updated(row) in (last, None)}


def _copy(row: dict[str, Any]) -> tuple[str, str]:
    return str(row["Id"]), str(row.get("SyncToken", ""))


def _updated(row: dict[str, Any]) -> datetime | None:
    """The row's `MetaData.LastUpdatedTime` to the second (as a query compares it), or None
    when it has none QuickBooks could be asked from."""
    meta = row.get("MetaData")
    text = meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0)


def _held(ledger: Ledger, connection_id: str, entity: str, ids: KeySet) -> int:
    """`Held` for the connection's mirror: its live objects of `entity` and, of `ids`, those
    it does not hold yet (looked up a chunk of ids at a time)."""
    with ledger.db.session(readonly=True) as session:
        mirror = Mirror(session, connection_id)
        live = sum(len(mirror.live_among(entity, chunk)) for chunk in ids.chunks(entity))
        return mirror.count(entity) + ids.count(entity) - live


def _read_in_full(
    client: QuickBooks, entity: str, into: _Spool, ask: _Asking, start: int = 1
) -> None:
    """Every object of `entity` (from position `start` on), a page at a time into `into` (as
    `QuickBooks.query` reads), each page's request through `ask`. Paged by position: an
    object deleted on an earlier page while it reads moves the one at a page's edge off both
    (`_read_missed_links` reads the linked ones so missed again by Id)."""
    while True:
        page = ask(functools.partial(client.query_page, _select(entity), start, PAGE_SIZE))
        into.add(entity, page, whole=True)
        if len(page) < PAGE_SIZE:
            return
        start += PAGE_SIZE


def _read_whole(
    client: QuickBooks, entities: tuple[str, ...], into: _Spool, ask: _Asking
) -> dict[str, dict[str, Any]]:
    """Every object of `entities` into `into`, and the SINGLETONS (the preferences and the
    company's information) returned by name: the first page of each read together, a batch
    request for BATCH_READS of them that share FIRST_ROWS rows (an even share each, some
    three dozen, Account 250), then each entity whose first page came back full read again
    from its start by `_read_in_full`, a page of PAGE_SIZE a request (single requests:
    QuickBooks allows a company 500 a minute, and batch requests 40, which the push pass's
    writes need). Read again from the start, not on from the small first page: reads paged by
    position and seconds apart would lose the object at the first page's edge whenever one
    before it is deleted between them, and an entity of up to PAGE_SIZE objects stays one
    request that no deletion can shift. A company whose entities each fit their share is read
    in one request instead of nineteen.

    QuickBooks answers each item of a batch on its own. An entity's item that failed fails
    the batch as the query alone would fail (`ask` sends it again when QuickBooks could not
    answer). A singleton's does not: it is missing from what is returned and the caller reads
    it alone, through its own endpoint and `ask` (a read the batch did not answer), so that
    one failed item does not throw the whole read away; only a 429 stops the read at once,
    as it would alone."""
    reads = [(entity, _select(entity)) for entity in entities]
    reads += [(name, f"SELECT * FROM {name}") for name in SINGLETONS]
    found: dict[str, dict[str, Any]] = {}
    for at in range(0, len(reads), BATCH_READS):
        part = reads[at : at + BATCH_READS]
        wide = {entity: FIRST_WIDE[entity] for entity, _ in part if entity in FIRST_WIDE}
        even = (FIRST_ROWS - sum(wide.values())) // max(1, len(part) - len(wide))
        asked = [PageRead(text, 1, wide.get(entity, even)) for entity, text in part]
        singles = [entity in SINGLETONS for entity, _ in part]
        pages = ask(functools.partial(_read_batch, client, asked, singles), batch=True)
        for read, (entity, _), page in zip(asked, part, pages, strict=True):
            if entity in SINGLETONS:
                if page:
                    found[entity] = page[0]
                continue
            if len(page) < read.size:
                into.add(entity, page, whole=True)
            else:  # more follow: read again from the start (see the docstring)
                _read_in_full(client, entity, into, ask)
    return found


def _read_batch(
    client: QuickBooks, reads: list[PageRead], spared: list[bool]
) -> list[list[dict[str, Any]]]:
    """The pages of `reads` in one batch request; the first item that failed is raised
    (the whole batch then fails, as `_read_whole` says), but for the items `spared`, which
    come back as an empty page unless QuickBooks throttled them."""
    pages: list[list[dict[str, Any]]] = []
    for page, spare in zip(client.query_pages(reads), spared, strict=True):
        if isinstance(page, QuickBooksError):
            if not spare or isinstance(page, Throttled):
                raise page
            page = []
        pages.append(page)
    return pages


MISSED_CHUNK = 100  # ids per query reading again the linked objects a full read missed


def _read_missed_links(
    ledger: Ledger,
    connection_id: str,
    client: QuickBooks,
    entities: Collection[str],
    into: _Spool,
    ask: _Asking,
) -> None:
    """The linked objects of the entities read in full that the read did not answer, read
    again by Id into `into`: a full read missing a linked object says QuickBooks deleted it
    (`drift`), but a full read pages by position (QuickBooks offers no stable order to page
    by key: `Id` takes only `=` and `IN`, and many objects can share one time), so an object
    deleted on an earlier page while it read moves the one at a page's edge off both. Read
    by Id, an object still held is stored as read; only one QuickBooks no longer answers is
    gone. Most pulls miss none: no request."""
    if not entities:
        return
    missed: dict[str, list[str]] = {}
    with ledger.db.session(readonly=True) as session:
        # the links' keys a page at a time, looked up among the ids read a chunk at a time
        linked = Scans(session, connection_id).linked_objects(entities)
        for entity, qbo_id in into.whole.missing(linked):
            missed.setdefault(entity, []).append(qbo_id)
    for entity, ids in missed.items():
        for start in range(0, len(ids), MISSED_CHUNK):
            chunk = ids[start : start + MISSED_CHUNK]
            query = _select(entity, ids=chunk)
            into.add(entity, ask(functools.partial(client.query_page, query, 1, PAGE_SIZE)))


class _Asking:
    """How the pull sends each read: counted first in the company's limits (`pace`), and
    asked again at once, up to READ_TRIES times in all, when QuickBooks could not answer it
    (a server error, a connection dropped: `Unavailable`). A read changes nothing, and
    Intuit's advice for a 500 is to send it again; without this, one failed request among the
    dozens of a full read would throw the whole read away (stored only when whole), and a
    company whose first read keeps meeting such faults would never be read at all."""

    def __init__(self, pace: Callable[[bool], None]) -> None:
        self._pace = pace

    def __call__(self, read: Callable[[], _T], *, batch: bool = False) -> _T:
        """`read`'s answer; `batch`: it is a batch request (counted as one too)."""
        for attempt in range(1, READ_TRIES + 1):
            self._pace(batch)
            try:
                return read()
            except Unavailable as exc:
                if isinstance(exc, Throttled | InUse) or attempt == READ_TRIES:
                    raise
        raise AssertionError("unreachable")


class _Spool:
    """What a pull read, kept in a temporary file until the mirror takes it: the read comes
    first and whole (a read QuickBooks refuses half-way stores nothing, and no transaction
    is held open while QuickBooks answers), then it is stored a page at a time, so a full
    read of a big company never sits in memory whole. Pickled, as the adapter parsed it
    (amounts stay Decimals): written and read back by this process only."""

    def __init__(self, file: IO[bytes], scratch: Scratch) -> None:
        self._file = file
        self.scratch = scratch  # the pull's keys and changed copies, on disk too
        self.whole = scratch.keys("pull.whole")  # the ids of pages read whole (`add`)

    @classmethod
    @contextmanager
    def new(cls) -> Iterator[_Spool]:
        """A spool over a temporary file and a scratch database, gone when the block ends."""
        with (
            tempfile.TemporaryFile(prefix="ledgerbridge-pull-") as file,
            Scratch.new() as scratch,
        ):
            yield cls(file, scratch)

    def add(self, entity: str, rows: list[dict[str, Any]], *, whole: bool = False) -> None:
        """One page (every one, even empty: an entity read with nothing in it is stored),
        kept in pieces of at most STORE_SIZE objects, each given back on its own (`pages`).
        `whole`: a page of an entity read in full, whose ids are kept (`whole`, on disk: a
        full read of a big company's invoices is tens of thousands); the ids of what changed
        are not needed."""
        for start in range(0, max(len(rows), 1), STORE_SIZE):
            piece = rows[start : start + STORE_SIZE]
            pickle.dump((entity, piece), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        if whole:
            self.whole.add_many((entity, str(row["Id"])) for row in rows)

    def pages(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """The pages in the order read, a page of more than STORE_SIZE objects in pieces."""
        self._file.flush()
        self._file.seek(0)
        while True:
            try:
                entity, rows = pickle.load(self._file)  # our own file
            except EOFError:
                return
            yield entity, rows


def mirror_is_empty(ledger: Ledger, connection_id: str) -> bool:
    with ledger.db.session(readonly=True) as session:
        return mirror_is_empty_in(session, connection_id)


def mirror_is_empty_in(session: Session, connection_id: str) -> bool:
    """`mirror_is_empty` in the caller's transaction."""
    return Mirror(session, connection_id).preferences() == {}
