"""In-memory company data: one table per entity, with the indexes that keep look-ups O(1).

A table holds QuickBooks JSON objects exactly as they are returned (money as `Decimal`), keyed by
Id in creation order, plus the bookkeeping QuickBooks does not show: when each row last changed,
which transactions were deleted (for change data capture), voided or deposited.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from qbo_emulator.model.specs import PERSON_ENTITIES, SPECS, EntitySpec

Row = dict[str, Any]


def index_key(value: Any) -> str | None:
    """The case-insensitive key a field value is indexed (and compared) under."""
    if value is None:
        return None
    if isinstance(value, dict):
        for sub in ("value", "Address", "FreeFormNumber"):
            if sub in value:
                return index_key(value[sub])
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


@dataclass(slots=True)
class Deleted:
    id: str
    at: datetime


class Table:
    """The rows of one entity in one company."""

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.rows: dict[str, Row] = {}
        self.updated_at: dict[str, datetime] = {}
        self.deleted: dict[str, Deleted] = {}
        self.voided: set[str] = set()
        self.deposited: set[str] = set()
        self.next_id = 1
        self._indexes: dict[str, dict[str, set[str]]] = {f: {} for f in spec.indexed}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows.values())

    def get(self, entity_id: str) -> Row | None:
        return self.rows.get(entity_id)

    def allocate_id(self) -> str:
        entity_id = str(self.next_id)
        self.next_id += 1
        return entity_id

    def put(self, row: Row, at: datetime) -> None:
        """Insert or replace a row (by its Id), keeping every index true."""
        entity_id: str = row["Id"]
        old = self.rows.get(entity_id)
        if old is not None:
            self._unindex(old)
        self.rows[entity_id] = row
        self.updated_at[entity_id] = at
        self._index(row)
        if int(entity_id) >= self.next_id:
            self.next_id = int(entity_id) + 1

    def touch(self, entity_id: str, at: datetime) -> None:
        self.updated_at[entity_id] = at

    def remove(self, entity_id: str, at: datetime) -> Row:
        row = self.rows.pop(entity_id)
        self._unindex(row)
        self.updated_at.pop(entity_id, None)
        self.deleted[entity_id] = Deleted(entity_id, at)
        self.voided.discard(entity_id)
        self.deposited.discard(entity_id)
        return row

    def has_index(self, path: str) -> bool:
        return path == "Id" or path in self._indexes

    def lookup(self, path: str, values: Iterable[object]) -> list[Row] | None:
        """Rows whose `path` equals one of `values` (case-insensitively), in Id order."""
        if path == "Id":
            found = [self.rows[v] for v in {str(v).strip() for v in values} if v in self.rows]
        elif path in self._indexes:
            index = self._indexes[path]
            ids: set[str] = set()
            for value in values:
                key = index_key(value)
                if key is not None:
                    ids |= index.get(key, set())
            found = [self.rows[i] for i in ids]
        else:
            return None
        found.sort(key=lambda r: int(r["Id"]))
        return found

    def matching(self, path: str, value: object) -> list[Row]:
        """Rows whose indexed `path` equals `value` (case-insensitively), in no set order: for
        a sum, without `lookup`'s sort by Id (a customer's balance adds up every invoice of
        hers after each write); none when `path` is not indexed."""
        index = self._indexes.get(path)
        key = index_key(value)
        if index is None or key is None:
            return []
        rows = self.rows
        return [rows[i] for i in index.get(key, ())]

    def first(self, path: str, value: object) -> Row | None:
        rows = self.lookup(path, (value,))
        return rows[0] if rows else None

    def _index(self, row: Row) -> None:
        for path, index in self._indexes.items():
            key = index_key(row.get(path))
            if key is not None:
                index.setdefault(key, set()).add(row["Id"])

    def _unindex(self, row: Row) -> None:
        for path, index in self._indexes.items():
            key = index_key(row.get(path))
            if key is not None:
                ids = index.get(key)
                if ids is not None:
                    ids.discard(row["Id"])
                    if not ids:
                        del index[key]


@dataclass(slots=True)
class Throttle:
    """Per-company limits; None switches a limit off. The "minute" of the per-minute limits
    lasts `window_seconds` (Intuit's 60 by default; shorter for benchmarks that keep the
    counts and speed the clock up)."""

    requests_per_minute: int | None = 500
    concurrent: int | None = 10
    batch_per_minute: int | None = 40
    window_seconds: float = 60.0

    def to_json(self) -> dict[str, int | float | None]:
        return {
            "requests_per_minute": self.requests_per_minute,
            "concurrent": self.concurrent,
            "batch_per_minute": self.batch_per_minute,
            "window_seconds": self.window_seconds,
        }


@dataclass(slots=True)
class ScriptedFault:
    """A fault injected through the admin API for requests that match.

    `probability` (0 < p <= 1): each matching request meets the fault with that chance,
    drawn from the fault's own generator (seeded with `seed` when given, for a run that can
    be repeated); a request that escapes it is checked against the next fault. `times` counts
    the requests that met it. `retry_after`: the seconds a scripted 429 asks the client to
    wait (a `Retry-After` header). `in_batch`: the fault meets the matching items of a batch
    request one by one (the item's answer is the fault), not whole requests. `writes`: True
    meets only requests that write (a create, update, delete, void, send, upload, or a batch
    with a write among its items), False only reads (a read, a query, change data capture, a
    batch of queries only); None either (an item of a batch: a write item or a query item)."""

    id: str
    method: str | None
    entity: str | None
    operation: str | None
    times: int | None
    status: int | None = None
    code: str | None = None
    drop_after_commit: bool = False
    latency_ms: int = 0
    hits: int = 0
    probability: float = 1.0
    seed: int | None = None
    retry_after: int | None = None
    in_batch: bool = False
    writes: bool | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.rng.seed(self.seed)

    def matches(
        self, method: str, entity: str | None, operation: str | None, *, writes: bool
    ) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.writes is not None and self.writes is not writes:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.entity and (entity is None or self.entity.lower() != entity.lower()):
            return False
        if self.operation and (operation or "").lower() != self.operation.lower():
            return False
        return self.probability >= 1.0 or self.rng.random() < self.probability

    def to_json(self) -> dict[str, Any]:
        action: dict[str, Any]
        if self.drop_after_commit:
            action = {"drop_after_commit": True}
        elif self.latency_ms:
            action = {"latency_ms": self.latency_ms}
        else:
            action = {"status": self.status, "code": self.code}
            if self.retry_after is not None:
                action["retry_after"] = self.retry_after
        return {
            "id": self.id,
            "match": {
                "method": self.method,
                "entity": self.entity,
                "operation": self.operation,
                **({"in_batch": True} if self.in_batch else {}),
                **({"writes": self.writes} if self.writes is not None else {}),
            },
            "times": self.times,
            "hits": self.hits,
            "probability": self.probability,
            "seed": self.seed,
            "action": action,
        }


@dataclass(slots=True)
class StoredFile:
    """An uploaded attachment's content; `token` makes its download link unguessable."""

    content: bytes
    content_type: str
    token: str


@dataclass(slots=True)
class StoredResponse:
    status: int
    body: bytes


@dataclass
class Company:
    """One QuickBooks Online company (realm) and everything the emulator keeps about it."""

    realm_id: str
    name: str
    created_at: datetime
    tables: dict[str, Table] = field(default_factory=dict)
    subscription_status: str = "PAID"
    clock: datetime | None = None
    clock_set_at: datetime | None = None
    throttle: Throttle = field(default_factory=Throttle)
    faults: list[ScriptedFault] = field(default_factory=list)
    replays: dict[str, StoredResponse] = field(default_factory=dict)
    # "Invoice:12" -> {"Payment:5": amount}: money applied to a document by payments.
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Highest numeric DocNumber per entity, for QuickBooks-assigned numbers.
    doc_counters: dict[str, int] = field(default_factory=dict)
    # Attachable Id -> the file uploaded for it.
    files: dict[str, StoredFile] = field(default_factory=dict)
    # The writes that reached the company since the emulator started (not saved with its
    # state): "create", "update", "delete", "void" sent alone; "batch" requests with a write
    # among their items (a batch of queries is a read) and those items "batch.create",
    # "batch.update", ... (a replayed requestid is not counted again).
    writes_received: collections.Counter[str] = field(default_factory=collections.Counter)

    def __post_init__(self) -> None:
        for name, spec in SPECS.items():
            self.tables.setdefault(name, Table(spec))

    def table(self, entity: str) -> Table:
        return self.tables[entity]

    def person_with_name(self, display_name: str) -> tuple[str, Row] | None:
        """The customer, vendor or employee using a display name (inactive ones too)."""
        for entity in ("Customer", "Vendor", "Employee"):
            row = self.tables[entity].first("DisplayName", display_name)
            if row is not None:
                return entity, row
        return None

    def counts(self) -> dict[str, int]:
        return {name: len(t) for name, t in self.tables.items() if len(t)}


MAX_REPLAYS = 100_000


def remember_response(company: Company, request_id: str, response: StoredResponse) -> None:
    """Keep a write's response for `requestid` replay; the oldest are forgotten past a bound."""
    replays = company.replays
    replays[request_id] = response
    if len(replays) > MAX_REPLAYS:
        for key in list(replays)[: len(replays) - MAX_REPLAYS]:
            del replays[key]


def sorted_rows(rows: Sequence[Row] | Mapping[str, Row]) -> list[Row]:
    values = list(rows.values()) if isinstance(rows, Mapping) else list(rows)
    return sorted(values, key=lambda r: int(r["Id"]))


__all__ = [
    "PERSON_ENTITIES",
    "Company",
    "Deleted",
    "Row",
    "ScriptedFault",
    "StoredFile",
    "StoredResponse",
    "Table",
    "Throttle",
    "index_key",
    "remember_response",
]
