"""QuickBooks' own lists for the app and the dashboard's Link picker: `quickbooks_list` reads
one list from the mirror (searched, filtered, paged), `refresh_quickbooks` reads QuickBooks'
changes into the mirror now and says whether it is current.

Every answer carries the mirror's freshness (`Freshness`): the moment as of which QuickBooks'
changes are in the mirror (the start of its last successful read) and when that read ended.

A refresh is the engine's pull (`engine.pull`: change data capture, the tax codes and rates
read whole), run while the caller waits at most `wait` seconds: past that the answer says the
mirror is not current yet (`current` False) and the read goes on by itself. A refresh asked
while one of the same connection is under way in this process waits for that one
(`Refreshes`) instead of reading QuickBooks twice at once. A company that
cannot be read gets `Unreachable` at once, naming why: not connected, disconnected, suspended,
over QuickBooks' rate limit (with its wait), QuickBooks not answering, the secret keys changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog
from ledgerbridge.core.lists import LISTS, SEARCHABLE, Restriction, canonical, restriction
from ledgerbridge.engine.desktop.fixes import request_lists_refresh
from ledgerbridge.engine.errors import Unreachable
from ledgerbridge.engine.pull import READ_IN_FULL_ONLY, PullReport, pull_company
from ledgerbridge.engine.service._shared import Wiring, invalid, owned_connection, text_field
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.mirror_lists import ListedObject, MirrorLists, Search
from ledgerbridge.storage.records import Page

__all__ = [
    "MAX_SEARCH",
    "MAX_WAIT",
    "Freshness",
    "QuickBooksEntry",
    "QuickBooksPage",
    "Refreshed",
    "Refreshes",
    "quickbooks_list",
    "refresh_quickbooks",
]

MAX_SEARCH = 200  # characters of a search: longer than any name, email or SKU QuickBooks keeps
MAX_WAIT = 60.0  # seconds a refresh may hold its caller
MAX_LIMIT = 200


@dataclass(frozen=True)
class Freshness:
    """How current the mirror is: QuickBooks' changes up to `as_of` are in it (None: never
    read), read by the pull that ended at `pulled_at`."""

    as_of: datetime | None
    pulled_at: datetime | None

    def age_seconds(self, now: datetime) -> int | None:
        return None if self.as_of is None else max(0, int((now - self.as_of).total_seconds()))

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "pulled_at": self.pulled_at.isoformat() if self.pulled_at else None,
            "age_seconds": self.age_seconds(now),
        }


@dataclass(frozen=True)
class QuickBooksEntry:
    """One QuickBooks object of a list, in the app's shape (`core.lists.canonical`)."""

    list: str
    quickbooks_id: str
    name: str
    active: bool
    record_type: str | None
    record: Mapping[str, Any]
    parent_quickbooks_id: str | None
    linked_type: str | None
    linked_id: str | None
    sync_token: str
    restriction: Restriction | None = None

    def to_json(self) -> dict[str, Any]:
        linked = (
            {"type": self.linked_type, "id": self.linked_id}
            if self.linked_type is not None and self.linked_id is not None
            else None
        )
        return {
            "quickbooks_id": self.quickbooks_id,
            "name": self.name,
            "active": self.active,
            "record_type": self.record_type,
            "record": dict(self.record),
            "parent_quickbooks_id": self.parent_quickbooks_id,
            "linked_to": linked,
            "sync_token": self.sync_token,
            "read_only": self.restriction is not None and self.restriction.read_only,
            "restriction": self.restriction.to_json() if self.restriction else None,
        }


@dataclass(frozen=True)
class QuickBooksPage:
    list: str
    items: tuple[QuickBooksEntry, ...]
    next_cursor: str | None
    freshness: Freshness
    now: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "list": self.list,
            "items": [entry.to_json() for entry in self.items],
            "next_cursor": self.next_cursor,
            "mirror": self.freshness.to_json(self.now),
        }


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: `current` when the read ended within the wait."""

    current: bool
    freshness: Freshness
    now: datetime
    objects: int = 0
    deleted: int = 0
    waiting_for: str | None = None  # "web_connector": QuickBooks Desktop reads at its session

    def to_json(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "changed": self.objects,
            "deleted": self.deleted,
            "mirror": self.freshness.to_json(self.now),
            "waiting_for": self.waiting_for,
        }


@dataclass
class _Run:
    """One refresh's read of QuickBooks, in its own thread: its report, or what it raised."""

    read: Callable[[], PullReport]
    report: PullReport | None = None
    failure: BaseException | None = None
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, name="refresh", daemon=True)

    def _run(self) -> None:
        try:
            self.report = self.read()
        except BaseException as failure:  # handed to the caller, who answers for it
            self.failure = failure


class Refreshes:
    """The refreshes under way in this process, at most one per connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}

    def start(self, connection_id: str, read: Callable[[], PullReport]) -> _Run:
        """The connection's refresh under way, or a new one running `read`. Ended runs are
        let go (what one raised holds its frames, a database connection among them)."""
        with self._lock:
            self._runs = {cid: r for cid, r in self._runs.items() if r.thread.is_alive()}
            run = self._runs.get(connection_id)
            if run is None or not run.thread.is_alive():
                run = self._runs[connection_id] = _Run(read)
                run.thread.start()
            return run

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the refreshes under way (the process stops)."""
        with self._lock:
            threads = [run.thread for run in self._runs.values()]
        _join(threads, timeout)


def _join(threads: list[threading.Thread], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


class Refreshing(Wiring, Protocol):
    """The service's wiring with the refreshes under way (`Service.refreshes`)."""

    @property
    def refreshes(self) -> Refreshes: ...


def _entry(list_name: str, listed: ListedObject) -> QuickBooksEntry:
    obj = listed.obj
    read = canonical(obj.entity, obj.data)
    return QuickBooksEntry(
        list=list_name,
        quickbooks_id=obj.qbo_id,
        name=obj.name or "",
        active=obj.active,
        record_type=read.record_type,
        record=read.record,
        parent_quickbooks_id=read.parent_quickbooks_id,
        linked_type=listed.linked_type,
        linked_id=listed.linked_id,
        sync_token=obj.sync_token,
        restriction=restriction(obj.entity, obj.data),
    )


def _search_text(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    text_field(field, value)
    if len(value) > MAX_SEARCH:
        raise invalid(field, f"{field} is longer than {MAX_SEARCH} characters")
    return value


def _freshness(session: Session, connection_id: str) -> Freshness:
    connections = Connections(session)
    found = connections.get_unscoped(connection_id)
    return Freshness(connections.cdc_cursor(connection_id), found.last_pull_at if found else None)


def freshness(service: Wiring, connection_id: str) -> Freshness:
    with service.ledger.db.session(readonly=True) as session:
        return _freshness(session, connection_id)


def quickbooks_list(
    service: Wiring,
    key_id: str,
    connection_id: str,
    list_name: str,
    *,
    q: str | None = None,
    name: str | None = None,
    email: str | None = None,
    sku: str | None = None,
    active: bool | None = None,
    linked: bool | None = None,
    parent: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> QuickBooksPage:
    """One of QuickBooks' lists (`core.lists.LISTS`) as the mirror holds it, in name order."""
    text_field("list", list_name)
    entity = LISTS.get(list_name)
    if entity is None:
        raise invalid(
            "list",
            f"there is no QuickBooks list {list_name[:40]!r}: use one of " + ", ".join(LISTS),
        )
    given = {"q": q, "name": name, "email": email, "sku": sku, "parent": parent}
    search = {key: _search_text(key, value) for key, value in given.items()}
    for only, lists in SEARCHABLE.items():
        if search[only] is not None and list_name not in lists:
            raise invalid(only, f"{only} applies only to " + " and ".join(sorted(lists)))
    if cursor is not None:
        text_field("cursor", cursor)
        if len(cursor) > 4 * MAX_SEARCH:
            raise invalid("cursor", "this cursor was not given out by this listing")
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"limit is between 1 and {MAX_LIMIT}")
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
        fresh = _freshness(session, connection_id)  # read first: the list is at least as new
        page: Page[ListedObject] = MirrorLists(session).page(
            connection_id,
            entity,
            Search(active=active, linked=linked, **search),
            cursor=cursor,
            limit=limit,
        )
    return QuickBooksPage(
        list_name,
        tuple(_entry(list_name, listed) for listed in page.items),
        page.next_cursor,
        fresh,
        service.ledger.clock(),
    )


_STOPPED = {
    "not_connected": (
        "connection.not_connected",
        "this connection is not connected to a QuickBooks company yet: connect it first",
    ),
    "wrong_company": (
        "connection.wrong_company",
        "this connection was signed in to another QuickBooks company: reconnect it to its own",
    ),
    "disconnected": (
        "connection.disconnected",
        "QuickBooks disconnected this connection: connect it again, then refresh",
    ),
    "suspended": (
        "connection.suspended",
        "the QuickBooks company's subscription has lapsed: QuickBooks cannot be read now",
    ),
    "keys_changed": (
        "connection.secret_keys_changed",
        "the server's secret keys cannot open this connection's stored tokens: restore the "
        "key that encrypted them, or reconnect the connection",
    ),
    "throttled": (
        "quickbooks.throttled",
        "QuickBooks asks this company to slow down: refresh again after the wait",
    ),
}


def _stopped(report: PullReport, status: str) -> Unreachable:
    """Why a pull stopped, as the caller's problem (`status`: the connection's, read after)."""
    why = status if report.stopped == "not_active" else report.stopped or ""
    code, message = _STOPPED.get(
        why, ("quickbooks.unavailable", f"QuickBooks could not be read now ({why}): try later")
    )
    if why == "throttled" and report.wait_until is not None:
        message = catalog.waiting_message(
            report.wait_until, "refresh again then", outcome="not_read"
        )
    return Unreachable(code, message, retry_after=report.retry_after)


def refresh_quickbooks(
    service: Refreshing, key_id: str, connection_id: str, *, wait: float = 30.0
) -> Refreshed:
    """Read QuickBooks' changes into the mirror now, waiting `wait` seconds at most."""
    if not 0 <= wait <= MAX_WAIT:
        raise invalid("wait", f"wait is between 0 and {MAX_WAIT:g} seconds")
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    if connection.environment == "desktop" and connection.status == "active":
        # QuickBooks Desktop cannot be called: its Web Connector's next session reads the lists
        request_lists_refresh(service.ledger, connection_id, f"api-key:{key_id}")
        now = service.ledger.clock()
        return Refreshed(False, freshness(service, connection_id), now, waiting_for="web_connector")
    if connection.status != "active" or connection.realm_id is None:
        raise _stopped(PullReport(stopped="not_active"), connection.status)
    run = service.refreshes.start(
        connection_id,
        lambda: pull_company(service.ledger, connection_id, also_in_full=READ_IN_FULL_ONLY),
    )
    run.thread.join(wait)
    now = service.ledger.clock()
    if run.failure is not None:
        raise run.failure
    if run.report is None:  # still reading: it goes on by itself
        return Refreshed(False, freshness(service, connection_id), now)
    report = run.report
    if report.stopped is not None:
        with service.ledger.db.session(readonly=True) as session:
            status = owned_connection(session, key_id, connection_id).status
        raise _stopped(report, status)
    return Refreshed(True, freshness(service, connection_id), now, report.objects, report.deleted)
