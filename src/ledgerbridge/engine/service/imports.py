"""What people made in QuickBooks, kept for the app to acknowledge (`from_quickbooks_*` =
`import`, and the initial import): listed (`quickbooks_imports`), acknowledged
(`acknowledge_import`), and the initial import started and followed (`start_import`,
`import_progress`).

Acknowledging an import with the app's id stores the app's record as `put_record` does, with
`link.quickbooks_id` naming the object: the push pass adopts it (links it, creates nothing), and
the import leaves the list in the same transaction. Without data of its own the app's record is
the import's (`core.twoway.import_record`); with `id` null the app declines it (it just leaves).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledgerbridge.core import lists, twoway
from ledgerbridge.engine import initial_import
from ledgerbridge.engine.errors import Invalid, NotFound, Refused
from ledgerbridge.engine.service._shared import (
    Wiring,
    defer_sync,
    invalid,
    owned_connection,
    text_field,
    wake_after_change,
)
from ledgerbridge.engine.service.changes import _canonical, _receive
from ledgerbridge.engine.service.sync_log import record
from ledgerbridge.engine.twoway import payload, told_of
from ledgerbridge.engine.views import RecordView
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.imports import Imports, Pending
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror

__all__ = [
    "IMPORT_TYPES",
    "ImportRuns",
    "Importing",
    "acknowledge_import",
    "import_progress",
    "quickbooks_imports",
    "start_import",
]

IMPORT_TYPES = ("customer", "vendor", "item", "payment")
MAX_LIMIT = 200


class ImportRuns:
    """The initial imports running in this process, at most one per connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, threading.Thread] = {}

    def start(self, connection_id: str, run: Any) -> bool:
        """Start `run` unless one runs for the connection; whether it started."""
        with self._lock:
            running = self._runs.get(connection_id)
            if running is not None and running.is_alive():
                return False
            thread = threading.Thread(target=run, name="initial-import", daemon=True)
            self._runs[connection_id] = thread
            thread.start()
            return True

    def busy(self, connection_id: str) -> bool:
        with self._lock:
            running = self._runs.get(connection_id)
            return running is not None and running.is_alive()

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for every run (the process stops)."""
        with self._lock:
            threads = list(self._runs.values())
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait(self, connection_id: str, timeout: float) -> None:
        """Wait for the connection's run (tests, the command line)."""
        with self._lock:
            running = self._runs.get(connection_id)
        if running is not None:
            running.join(timeout)


class Importing(Wiring, Protocol):
    """The service's wiring with the initial imports under way (`Service.import_runs`)."""

    @property
    def import_runs(self) -> ImportRuns: ...


@dataclass(frozen=True)
class ImportsPage:
    items: tuple[dict[str, Any], ...]
    next_cursor: str | None
    waiting: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "items": list(self.items),
            "next_cursor": self.next_cursor,
            "waiting": dict(self.waiting),
        }


def _entry(session: Any, connection: Any, mirror: Mirror, pending: Pending) -> dict[str, Any]:
    copy = pending.copy
    told = told_of(session, connection, mirror, pending.entity, copy) if copy else None
    if copy is None or told is None:
        found: dict[str, Any] = {
            "type": pending.record_type,
            "quickbooks_id": pending.qbo_id,
            "entity": pending.entity,
            "record": None,
            "read_only": True,
            "restriction": None,
        }
    else:
        found = payload(pending.entity, pending.qbo_id, copy, told, imported=True)
    found["since"] = pending.since
    found.pop("import", None)
    return found


def quickbooks_imports(
    service: Wiring,
    key_id: str,
    connection_id: str,
    *,
    record_type: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ImportsPage:
    """The imports waiting for the app's acknowledgement, in the order they came."""
    if record_type is not None and record_type not in IMPORT_TYPES:
        raise invalid("type", "type is one of " + ", ".join(IMPORT_TYPES))
    after: int | None = None
    if cursor is not None:
        text_field("cursor", cursor)
        if not cursor.isdigit() or len(cursor) > 18:
            raise invalid("cursor", "this cursor was not given out by this listing")
        after = int(cursor)
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"limit is between 1 and {MAX_LIMIT}")
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
        imports = Imports(session, connection_id)
        found = imports.page(record_type=record_type, after=after, limit=limit + 1)
        mirror = Mirror(session, connection_id)
        items = tuple(_entry(session, connection, mirror, p) for p in found[:limit])
        waiting = imports.counts()
    next_cursor = str(found[limit - 1].row_id) if len(found) > limit else None
    return ImportsPage(items, next_cursor, waiting)


def acknowledge_import(
    service: Wiring,
    key_id: str,
    connection_id: str,
    record_type: str,
    quickbooks_id: str,
    app_id: str | None,
    data: Mapping[str, Any] | None = None,
) -> RecordView | None:
    """The app's answer to one import: its id (the app's record adopts the object), or None
    (declined). The app's record view, or None when declined."""
    if record_type not in IMPORT_TYPES:
        raise NotFound(f"record type {record_type}")
    text_field("quickbooks_id", quickbooks_id)
    entity = twoway.TYPES[f"{record_type}s"]
    with service.ledger.db.session() as session:
        connection = owned_connection(session, key_id, connection_id)
        # the connection's row first, as a pull storing its changes takes it (before the
        # imports it keeps or drops): one order, no deadlock
        Connections(session).lock(connection_id)
        imports = Imports(session, connection_id, clock=service.ledger.clock)
        # locked: two acknowledgements of one import at once are one after the other, and the
        # second finds it gone (never two app records adopting one QuickBooks object)
        pending = imports.get(entity, quickbooks_id, lock=True)
        if pending is None:
            raise NotFound(f"import of QuickBooks {entity} {quickbooks_id}")
        if app_id is None:
            imports.drop(entity, quickbooks_id)
            return None
        if pending.copy is None:
            raise Refused(f"QuickBooks {entity} {quickbooks_id} was deleted: decline it")
        given = data if data is not None else _record_of(session, connection, pending)
        canonical, link = _canonical(
            record_type,
            app_id,
            {**given, "link": {"quickbooks_id": quickbooks_id}},
            connection.settings,
        )
        _, hold, queued = _receive(session, connection, record_type, app_id, canonical, link)
        imports.drop(entity, quickbooks_id)
        if queued:
            defer_sync(service, session, connection_id)
    if not hold:
        wake_after_change(service, connection_id)
    return record(service, key_id, connection_id, record_type, app_id)


def _record_of(session: Any, connection: Any, pending: Pending) -> Mapping[str, Any]:
    """The import as the app's record, or Invalid naming why it cannot be one as it is."""
    assert pending.copy is not None
    mirror = Mirror(session, connection.id)
    told = told_of(session, connection, mirror, pending.entity, pending.copy)
    if told is None:
        raise invalid("data", "this payment pays none of the app's invoices: send its data")
    parent_id = None
    if told.parent_quickbooks_id is not None and pending.entity == "Customer":
        parent = Links(session).by_quickbooks(connection.id, "Customer", told.parent_quickbooks_id)
        parent_id = (
            parent.app_id
            if parent is not None
            # acknowledged, not linked yet: the record that adopts it
            else Imports(session, connection.id).adopter("customer", told.parent_quickbooks_id)
        )
    built = twoway.import_record(
        told,
        parent_id=parent_id,
        restricted=lists.restriction(pending.entity, pending.copy.data),
    )
    if isinstance(built, list):
        raise Invalid(built)
    return built


def start_import(
    service: Importing, key_id: str, connection_id: str, lists_: Sequence[str] | None = None
) -> tuple[bool, Mapping[str, Any]]:
    """Start the initial import of `lists_` (default: all of `initial_import.LISTS`), going on
    from where a stopped one of the same lists stopped; whether it started (False: one runs
    already), and its progress."""
    chosen = tuple(lists_) if lists_ else tuple(initial_import.LISTS)
    for index, name in enumerate(chosen):
        text_field(f"lists[{index}]", name)
        if name not in initial_import.LISTS:
            raise invalid(f"lists[{index}]", "lists are " + ", ".join(initial_import.LISTS))
    if len(set(chosen)) != len(chosen):
        raise invalid("lists", "each list once")
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    if connection.environment == "desktop":
        raise Refused(
            "a QuickBooks Desktop connection has no initial import yet: its Web Connector looks "
            "the company file's customers up by itself"
        )
    if connection.status != "active" or connection.realm_id is None:
        raise Refused(
            f"the connection is {connection.status.replace('_', ' ')}: connect it to its "
            "QuickBooks company first"
        )
    ledger = service.ledger
    runs = service.import_runs
    with ledger.db.session() as session:
        # one process decides at a time: a run of another API process (its progress moving)
        # is not started again beside it
        Connections(session).lock(connection_id)
        imports = Imports(session, connection_id, clock=ledger.clock)
        earlier = initial_import.settled(imports.progress(), ledger.clock())
        elsewhere = earlier is not None and earlier.get("state") == "running"
        if elsewhere or runs.busy(connection_id):
            resume = None
        else:
            resume = initial_import.resumed(earlier, chosen)
            # seen at once, anywhere
            imports.set_progress(initial_import.fresh(ledger.clock, chosen, resume))
    if elsewhere:
        return False, import_progress(service, key_id, connection_id)
    began = runs.start(
        connection_id, lambda: initial_import.run(ledger, connection_id, chosen, resume)
    )
    return began, import_progress(service, key_id, connection_id)


def import_progress(service: Wiring, key_id: str, connection_id: str) -> Mapping[str, Any]:
    """The initial import's progress, and how many imports wait per type."""
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
        imports = Imports(session, connection_id)
        found = initial_import.settled(imports.progress(), service.ledger.clock())
        waiting = imports.counts()
    progress: dict[str, Any] = dict(found) if found is not None else {"state": "never", "lists": {}}
    lists_ = progress.get("lists")
    if isinstance(lists_, Mapping):
        # in the lists' own order (PostgreSQL's JSON keeps none)
        order = list(initial_import.LISTS)
        lists_ = dict(
            sorted(lists_.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
        )
        progress["lists"] = lists_
        total = sum(int(v.get("total") or 0) for v in lists_.values() if isinstance(v, Mapping))
        read = sum(int(v.get("read") or 0) for v in lists_.values() if isinstance(v, Mapping))
        progress["percent"] = 100 if total == 0 else min(100, round(100 * read / total))
        if any(isinstance(v, Mapping) and v.get("total") is None for v in lists_.values()):
            # a list not counted yet: not all of it read, whatever the others say
            progress["percent"] = min(progress["percent"], 99)
    progress["waiting"] = waiting
    return progress
