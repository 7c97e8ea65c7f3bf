"""One cache of compiled SQL for every SQLite engine a test session makes.

SQLAlchemy compiles each statement once per engine and keeps the result in that engine's cache,
keyed by the engine's dialect object. A running ledgerbridge has one engine, so it compiles a
statement once in its life; a test session makes a new engine for nearly every test (its own
database file), and so compiled the same few hundred statements again in every test: about a
fifth of the engine suites' CPU time. Here the SQLite engines made by
`ledgerbridge.storage.db.Database` share one cache instead (SQLAlchemy's `compiled_cache`
execution option), whose keys name the dialect by what shapes the compiled SQL (its class,
SQLite's version, its parameter style and JSON functions) rather than by the object, so a
statement compiled for one test's engine is found for the next one's.

Nothing is checked differently: every statement is still compiled by SQLAlchemy for SQLite
(once per worker process rather than once per test), and executed on the test's own database.
PostgreSQL engines keep a cache of their own (`make test` runs them as before).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.util import LRUCache

__all__ = ["SharedCompiledCache", "sharing_compiled_sql"]


def _dialect_key(dialect: Any) -> Hashable:
    """What of a dialect shapes the SQL compiled for it."""
    return (
        type(dialect),
        dialect.server_version_info,
        dialect.paramstyle,
        dialect._json_serializer,
        dialect._json_deserializer,
    )


class SharedCompiledCache(LRUCache[Any, Any]):
    """SQLAlchemy's compiled-statement cache, keyed by (dialect, statement, ...), with the
    dialect object replaced by what shapes its SQL (`_dialect_key`)."""

    @staticmethod
    def _shared(key: Any) -> Any:
        if isinstance(key, tuple) and key:
            return (_dialect_key(key[0]), *key[1:])
        return key

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._shared(key), default)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._shared(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._shared(key), value)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._shared(key))


_SHARED = SharedCompiledCache(5000)


def sharing_compiled_sql(create_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """`create_engine`, whose SQLite engines use the session's shared compiled cache."""

    def create(*args: Any, **kwargs: Any) -> Engine:
        engine = create_engine(*args, **kwargs)
        if engine.dialect.name == "sqlite":
            engine.update_execution_options(compiled_cache=_SHARED)
        return engine

    return create
