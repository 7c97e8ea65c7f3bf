"""The database: engine, sessions and migrations, on SQLite (default) or PostgreSQL.

    db = Database(default_sqlite_url(data_dir))      # or "postgresql://user@host/name"
    db.migrate()                                     # Alembic upgrade to head
    with db.session() as session:                    # commits on success, rolls back on error
        ...
    db.dispose()

The SQLite file is created owner-only (0600; its -wal and -shm files follow), and one found
wider is narrowed. SQLite runs in WAL mode with `busy_timeout` 30 s, foreign keys on and
`synchronous=NORMAL`, set on every new connection. A read-then-write transaction in WAL mode
cannot wait for a concurrent writer (SQLite answers "database is locked" at once), so a session
takes the write lock when it begins (`BEGIN IMMEDIATE`), where the busy timeout applies;
read-only work can ask for `session(readonly=True)`, which starts a plain deferred transaction,
never waits, and refuses writes (`PRAGMA query_only`; a READ ONLY transaction on PostgreSQL).

Creating a `Database` opens nothing; the first session does. Nothing here runs at import time.

To write a new migration (developers), autogenerate it against a database at head:

    with Database(url).engine.begin() as connection:
        command.revision(alembic_config(connection), "what changed",
                         autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["MIGRATIONS_DIR", "Database", "Sealer", "alembic_config", "default_sqlite_url"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)
_PRIVATE = 0o600  # the SQLite database file and its -wal and -shm: owner only


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)  # money stays exact: stored as a decimal string
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


# made once: `json.dumps` given any option builds a new encoder at every call
_COLUMN = json.JSONEncoder(default=_json_default, separators=(",", ":"))
_CANONICAL = json.JSONEncoder(default=_json_default, separators=(",", ":"), sort_keys=True)


def dumps_json(value: object) -> str:
    """JSON for JSON columns: Decimal amounts become exact decimal strings."""
    return _COLUMN.encode(value)


# a run of digits that may be an integer past 64 bits, which orjson would read as a float
_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


def loads_json(text: str | bytes) -> Any:
    """A JSON column read back (on SQLite): by orjson, several times faster, wherever it reads
    exactly what the standard library reads; a text with a long run of digits (an integer
    orjson would turn into a float) or one orjson refuses (NaN, Infinity, a lone surrogate,
    which `dumps_json` can write) is read by the standard library, as before."""
    long_number = (
        _LONG_NUMBER.search(text) if isinstance(text, str) else _LONG_NUMBER_BYTES.search(text)
    )
    if long_number:
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def canonical_json(value: object) -> str:
    """`value` as a JSON column stores it, keys sorted (PostgreSQL's JSONB reorders them):
    equal for a document and its stored copy."""
    return _CANONICAL.encode(value)


SQLITE_FILE_NAME = "ledgerbridge.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_SQLITE_PRAGMAS = (
    # the wait for a lock first: switching a new file to WAL needs one too
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg"}
_READONLY = "ledgerbridge_readonly"
_QUERY_ONLY = "ledgerbridge_query_only"  # how the pooled connection's query_only was left
_MIGRATE_LOCK = 0x4C42_4D69_6772_6174  # PostgreSQL advisory lock key: "LBMigrat"


def default_sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite database file in `data_dir` (the directory must exist)."""
    return f"sqlite:///{(data_dir / SQLITE_FILE_NAME).resolve()}"


class Sealer(Protocol):
    """What encrypts secrets at rest (`ledgerbridge.crypto.TokenCipher`, built from the secret
    keys). The storage layer never encrypts by itself; a migration that moves a plain secret
    into an encrypted column is handed one (`config.attributes["sealer"]`)."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


def alembic_config(connection: Connection, *, sealer: Sealer | None = None) -> Config:
    """An Alembic configuration for the packaged migrations, running on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["sealer"] = sealer
    return config


def _normalize(url: str) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.get_driver_name() == "pysqlite":
        return parsed
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite:///path or postgresql://..."
    )


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # Hand transaction control to SQLAlchemy (the "begin" hook), then set the pragmas, which
    # must run outside a transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
    record.info[_QUERY_ONLY] = False  # a new driver connection starts writable


def _sqlite_private_file(url: URL) -> None:
    """Create the database file owner-only (0600) before SQLite opens it, and narrow one made
    wider: it holds every record, the encrypted tokens and the password hashes. SQLite gives
    its -wal and -shm files the database file's permissions, so they follow."""
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, _PRIVATE))
        return
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite reports what is wrong with the path (a missing directory...)
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with suppress(FileNotFoundError):
            mode = stat.S_IMODE(each.stat().st_mode)
            if mode & ~_PRIVATE:
                each.chmod(_PRIVATE)
                log.warning("%s was readable by others (%o): made owner-only", each, mode)


def _sqlite_begin(connection: Connection) -> None:
    # query_only is a flag of the driver's connection, so every transaction sees it set as it
    # needs, before BEGIN (it refuses BEGIN IMMEDIATE); the pooled connection remembers how
    # it was left, and the pragma runs only when that changes. Both run on the driver's
    # connection: through SQLAlchemy's execution (`exec_driver_sql`) each cost several times
    # the statement, at every transaction. Its errors ("database is locked" past the busy
    # timeout) are raised as SQLAlchemy's, as a statement's would be.
    readonly = bool(connection.get_execution_options().get(_READONLY, False))
    pooled = connection.connection
    driver = pooled.driver_connection
    assert driver is not None
    statement = "BEGIN" if readonly else "BEGIN IMMEDIATE"
    try:
        if pooled.info.get(_QUERY_ONLY) is not readonly:
            statement = f"PRAGMA query_only={'ON' if readonly else 'OFF'}"
            driver.execute(statement)
            pooled.info[_QUERY_ONLY] = readonly
            statement = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        driver.execute(statement)
    except sqlite3.Error as error:
        raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    # Outside any transaction (SQLite ignores the pragma inside one), so on the driver's
    # connection: SQLAlchemy would begin a transaction first.
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        # an interrupted migration may have closed the connection already: then there is
        # nothing to restore, and the interruption, not this, is what the caller must see
        with suppress(sqlite3.ProgrammingError):
            driver.execute("PRAGMA foreign_keys=ON")


class Database:
    """One database: its engine, its sessions, its migrations (`sealer`: what encrypts the
    secrets a migration moves into encrypted columns; without it they stay as they were)."""

    def __init__(self, url: str, *, sealer: Sealer | None = None) -> None:
        self._url = _normalize(url)
        self._sealer = sealer
        if self._url.get_backend_name() == "sqlite":
            self._engine = create_engine(
                self._url,
                json_serializer=dumps_json,
                json_deserializer=loads_json,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            )
            sqlite_url = self._url
            event.listen(self._engine, "do_connect", lambda *_: _sqlite_private_file(sqlite_url))
            event.listen(self._engine, "connect", _sqlite_connect)
            event.listen(self._engine, "begin", _sqlite_begin)
        else:
            # up to 10 connections kept (a pool opens them only as they are asked for): a
            # worker running 4 jobs at once uses 8 to 10, and one returned above the kept
            # count would be closed and opened again for the next use
            self._engine = create_engine(
                self._url,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                json_serializer=dumps_json,
            )
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        readonly = self._engine.execution_options(**{_READONLY: True, "postgresql_readonly": True})
        self._readonly_sessions = sessionmaker(readonly, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({self._url.render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (on SQLite its transactions, too, take the write lock)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """The backend: "sqlite" or "postgresql"."""
        return self._url.get_backend_name()

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises.

        On SQLite a session takes the write lock at once (waiting up to the busy timeout);
        `readonly=True` does not, and refuses writes (as it does on PostgreSQL).
        """
        factory = self._readonly_sessions if readonly else self._sessions
        with factory() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest migration (Alembic upgrade to head), atomically.

        Processes that migrate at once take turns: the write lock on SQLite, an advisory lock
        on PostgreSQL. On SQLite foreign keys are off while migrating (a batch migration
        rebuilds a table by copy, drop and rename, and dropping a parent with them on would
        cascade into its children), then checked before the commit.
        """
        attempts = 5 if self.dialect == "sqlite" else 1
        for attempt in range(1, attempts + 1):
            try:
                self._migrate_once()
                return
            except OperationalError as error:
                # SQLite refuses a lock upgrade at once (no waiting) when that could deadlock,
                # as when two processes migrate a new file together; migrating is idempotent.
                if attempt == attempts or "database is locked" not in str(error):
                    raise
                time.sleep(0.2 * attempt)

    def _migrate_once(self) -> None:
        with (
            self._engine.connect() as connection,
            _sqlite_foreign_keys_off(connection),
            connection.begin(),
        ):
            if self.dialect == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK}
                )
            command.upgrade(alembic_config(connection, sealer=self._sealer), "head")
            if self.dialect == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")

    def dispose(self) -> None:
        """Close every pooled connection; the object can still open new ones afterwards."""
        self._engine.dispose()
