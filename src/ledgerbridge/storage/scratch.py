"""What one pull keeps of what it read, on disk instead of in memory: a private temporary
SQLite database (`Scratch`), gone when closed.

    with Scratch.new() as scratch:
        whole = scratch.keys("whole")              # a set of (entity, QuickBooks id) keys
        whole.add_many([("Invoice", "12")])
        missed = list(whole.missing(linked))       # of `linked`, the keys not in it
        copies = scratch.copies("changed")         # (entity, id) -> bytes, in the order first put

A freshening pull during a first sync reads back tens of thousands of the pass's own writes
(what changed since the last pull, or a whole entity when its pages cannot be paged by time),
and what it kept for each of them (an id, a key, both copies of each customer whose balance
the new invoices moved) grew with the company: the largest part of a big first sync's peak
memory, and the allocators kept that high mark afterwards. Kept here, a pull holds in memory a
group of objects and SQLite's page cache (CACHE_KIB), whatever the company's size.

SQLite's "" database is a temporary file of its own, written only once the cache is full: a
small pull never touches the disk. Not shared between threads or processes: one pull's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["CACHE_KIB", "CHUNK", "Copies", "KeySet", "Scratch"]

Key = tuple[str, str]  # (entity, QuickBooks id)

CACHE_KIB = 2048  # SQLite's page cache: the most it holds in memory, the rest on disk
CHUNK = 500  # keys a statement (SQLite takes 32766 parameters; three a key)

_SCHEMA = (
    "PRAGMA journal_mode = OFF",
    "PRAGMA synchronous = OFF",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    "CREATE TABLE keys (name TEXT, entity TEXT, qbo_id TEXT,"
    " PRIMARY KEY (name, entity, qbo_id)) WITHOUT ROWID",
    "CREATE TABLE copies (n INTEGER PRIMARY KEY, name TEXT, entity TEXT, qbo_id TEXT,"
    " value BLOB, UNIQUE (name, entity, qbo_id))",
)


class Scratch:
    """One private temporary database, opened at its first use (a pull that keeps nothing
    opens none) and closed by `close` (or at the end of `new`'s block)."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    @classmethod
    @contextmanager
    def new(cls) -> Iterator[Scratch]:
        scratch = cls()
        try:
            yield scratch
        finally:
            scratch.close()

    def db(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect("", isolation_level=None)  # "": temporary, on disk if large
            for statement in _SCHEMA:
                db.execute(statement)
            self._db = db
        return self._db

    def opened(self) -> sqlite3.Connection | None:
        """The database if opened already (None: nothing kept yet)."""
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def keys(self, name: str) -> KeySet:
        return KeySet(self, name)

    def copies(self, name: str) -> Copies:
        return Copies(self, name)


class KeySet:
    """A set of (entity, id) keys kept in a `Scratch` under `name`."""

    def __init__(self, scratch: Scratch, name: str) -> None:
        self._scratch = scratch
        self._name = name

    def add_many(self, keys: Iterable[Key]) -> None:
        rows = [(self._name, entity, qbo_id) for entity, qbo_id in keys]
        if rows:
            self._scratch.db().executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)", rows)

    def among(self, keys: Iterable[Key]) -> set[Key]:
        """Which of `keys` (a CHUNK or so: the answer is held) are in the set."""
        return _among(self._scratch, "keys", self._name, keys)

    def missing(self, keys: Iterable[Key]) -> Iterator[Key]:
        """The keys of `keys` not in the set, in their order, looked up a CHUNK at a time."""
        part: list[Key] = []
        for key in keys:
            part.append(key)
            if len(part) == CHUNK:
                yield from self._not_among(part)
                part = []
        yield from self._not_among(part)

    def _not_among(self, part: list[Key]) -> Iterator[Key]:
        held = self.among(part)
        return (key for key in part if key not in held)

    def count(self, entity: str | None = None) -> int:
        if self._scratch.opened() is None:
            return 0
        where, params = "name = ?", [self._name]
        if entity is not None:
            where, params = "name = ? AND entity = ?", [self._name, entity]
        row = self._scratch.db().execute(f"SELECT COUNT(*) FROM keys WHERE {where}", params)
        return int(row.fetchone()[0])

    def chunks(self, entity: str) -> Iterator[list[str]]:
        """The ids of `entity` in the set, at most CHUNK a list (in id order)."""
        if self._scratch.opened() is None:
            return
        db, after = self._scratch.db(), ""
        while True:
            ids = [
                str(qbo_id)
                for (qbo_id,) in db.execute(
                    "SELECT qbo_id FROM keys WHERE name = ? AND entity = ? AND qbo_id > ?"
                    " ORDER BY qbo_id LIMIT ?",
                    (self._name, entity, after, CHUNK),
                )
            ]
            if not ids:
                return
            yield ids
            after = ids[-1]

    def __iter__(self) -> Iterator[Key]:
        """Every key (tests, small sets): in (entity, id) order."""
        if self._scratch.opened() is None:
            return iter(())
        rows = self._scratch.db().execute(
            "SELECT entity, qbo_id FROM keys WHERE name = ? ORDER BY entity, qbo_id",
            (self._name,),
        )
        return iter([(str(e), str(i)) for e, i in rows])


class Copies:
    """(entity, id) -> bytes kept in a `Scratch` under `name`: a key put again keeps its first
    place and takes the later value."""

    def __init__(self, scratch: Scratch, name: str) -> None:
        self._scratch = scratch
        self._name = name

    def put_many(self, items: Iterable[tuple[Key, bytes]]) -> None:
        rows = [(self._name, entity, qbo_id, value) for (entity, qbo_id), value in items]
        if rows:
            self._scratch.db().executemany(
                "INSERT INTO copies (name, entity, qbo_id, value) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name, entity, qbo_id) DO UPDATE SET value = excluded.value",
                rows,
            )

    def keys_among(self, keys: Iterable[Key]) -> set[Key]:
        """Which of `keys` (a CHUNK or so: the answer is held) are held."""
        return _among(self._scratch, "copies", self._name, keys)

    def chunks(self) -> Iterator[list[tuple[Key, bytes]]]:
        """Every item in the order first put, at most CHUNK a list: read a chunk at a time,
        so that the caller may write elsewhere (or here) between them."""
        if self._scratch.opened() is None:
            return
        db, after = self._scratch.db(), 0
        while True:
            rows = db.execute(
                "SELECT n, entity, qbo_id, value FROM copies WHERE name = ? AND n > ?"
                " ORDER BY n LIMIT ?",
                (self._name, after, CHUNK),
            ).fetchall()
            if not rows:
                return
            yield [((str(e), str(i)), bytes(value)) for _, e, i, value in rows]
            after = int(rows[-1][0])


def _among(scratch: Scratch, table: str, name: str, keys: Iterable[Key]) -> set[Key]:
    """Which of `keys` `table` holds under `name`: a query an entity (and CHUNK ids), each
    found by the table's (name, entity, id) key."""
    found: set[Key] = set()
    if scratch.opened() is None:  # nothing kept yet
        return found
    by_entity: dict[str, list[str]] = {}
    for entity, qbo_id in keys:
        by_entity.setdefault(entity, []).append(qbo_id)
    db = scratch.db()
    for entity, ids in by_entity.items():
        for at in range(0, len(ids), CHUNK):
            part = ids[at : at + CHUNK]
            marks = ", ".join("?" * len(part))
            rows = db.execute(
                f"SELECT qbo_id FROM {table} WHERE name = ? AND entity = ? AND qbo_id IN ({marks})",
                [name, entity, *part],
            )
            found.update((entity, str(qbo_id)) for (qbo_id,) in rows)
    return found
