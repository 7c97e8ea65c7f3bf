"""What several repositories share: IN (...) lists and upserts a chunk at a time on either
database, the columns that make a stored value, the digest kept in place of a secret."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from ledgerbridge.storage import tables

__all__ = ["CHUNK", "NO_SYNC", "chunks", "columns", "sha256", "upsert"]

_T = TypeVar("_T")
CHUNK = 500  # ids per IN (...) and rows per upsert statement


def chunks(values: Iterable[_T]) -> Iterator[list[_T]]:
    """`values` without repeats, CHUNK at a time (for IN (...) lists)."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start : start + CHUNK]


def upsert(session: Session, table: Any, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Insert the rows, or update those whose `keys` exist already: a statement per 500."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    changed = [name for name in rows[0] if name not in keys]
    statement = upsert.on_conflict_do_update(
        index_elements=[getattr(table, name) for name in keys],
        set_={name: getattr(upsert.excluded, name) for name in changed},
    )
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, rows[start : start + CHUNK])


def columns(entity: type[tables.Base], value: type[Any]) -> list[InstrumentedAttribute[Any]]:
    """The entity's columns named like the fields of the dataclass `value`, in field order."""
    return [getattr(entity, field.name) for field in fields(value)]


NO_SYNC = {"synchronize_session": False}


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
