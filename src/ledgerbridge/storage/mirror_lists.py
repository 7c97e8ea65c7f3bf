"""One list of a company's QuickBooks objects as the mirror holds it, searched and paged in SQL
(`MirrorLists.page`), each with the app record linked to it, if any.

Objects come in name order (the mirror's `name_key`: QuickBooks' way of comparing names), the
mirror row's id breaking ties, after a cursor made here (`InvalidCursor` otherwise). Objects
without a name (none of QuickBooks' lists has one) and deleted ones are not listed. A search
looks for the words given inside the keys the mirror keeps already folded (name, email, SKU),
so it reads `(connection_id, qbo_entity, ...)` rows only; a page is `limit + 1` rows read
along the index `(connection_id, qbo_entity, name_key, id)`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, tuple_
from sqlalchemy.orm import Session

from ledgerbridge.core import json_limits
from ledgerbridge.core.mirror import MirrorObject, name_key
from ledgerbridge.storage import tables
from ledgerbridge.storage.mirror import mirror_object
from ledgerbridge.storage.records import InvalidCursor, Page

__all__ = ["ListedObject", "MirrorLists", "Search"]


@dataclass(frozen=True, slots=True)
class Search:
    """What to keep: `q` in the name, email or SKU; `name`, `email`, `sku` each in its own;
    `active` and `linked` when not None; `parent`: the QuickBooks id of the parent."""

    q: str | None = None
    name: str | None = None
    email: str | None = None
    sku: str | None = None
    active: bool | None = None
    linked: bool | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class ListedObject:
    """A mirrored QuickBooks object and the app record linked to it (type, app id), if any."""

    obj: MirrorObject
    linked_type: str | None
    linked_id: str | None


def _encode_cursor(key: str, row_id: int) -> str:
    raw = json.dumps([key, row_id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, row_id = json_limits.parse(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor(cursor) from error
    if not isinstance(key, str) or not isinstance(row_id, int) or isinstance(row_id, bool):
        raise InvalidCursor(cursor)
    if "\x00" in key or any(0xD800 <= ord(c) <= 0xDFFF for c in key):
        raise InvalidCursor(cursor)  # PostgreSQL could not even compare it
    if not -(2**63) <= row_id < 2**63:
        raise InvalidCursor(cursor)
    return key, row_id


def _contains(column: Any, words: str) -> ColumnElement[bool] | None:
    """`column` (a folded key) holds `words` folded the same way; None for blank words."""
    key = name_key(words)
    if key is None:
        return None
    found: ColumnElement[bool] = column.contains(key, autoescape=True)
    return found


class MirrorLists:
    """The lists of one company's mirror, for reading by the app and the dashboard."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def page(
        self,
        connection_id: str,
        entity: str,
        search: Search = Search(),
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[ListedObject]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        mirror, link = tables.MirrorEntry, tables.Link
        query = (
            select(mirror, link.type, link.app_id)
            .outerjoin(
                link,
                and_(
                    link.connection_id == mirror.connection_id,
                    link.qbo_entity == mirror.qbo_entity,
                    link.qbo_id == mirror.qbo_id,
                ),
            )
            .where(
                mirror.connection_id == connection_id,
                mirror.qbo_entity == entity,
                mirror.deleted.is_(False),
                mirror.name_key.is_not(None),
            )
        )
        for condition in self._conditions(search):
            query = query.where(condition)
        order = (mirror.name_key, mirror.id)
        if cursor is not None:
            query = query.where(tuple_(*order) > _decode_cursor(cursor))
        rows = self._session.execute(query.order_by(*order).limit(limit + 1)).all()
        items = [ListedObject(mirror_object(row[0]), row[1], row[2]) for row in rows[:limit]]
        last = rows[limit - 1][0] if len(rows) > limit else None
        if last is None or last.name_key is None:
            return Page(items, None)
        return Page(items, _encode_cursor(last.name_key, last.id))

    @staticmethod
    def _conditions(search: Search) -> list[ColumnElement[bool]]:
        mirror, link = tables.MirrorEntry, tables.Link
        found: list[ColumnElement[bool]] = []
        if search.q is not None:
            anywhere = [
                c
                for c in (
                    _contains(mirror.name_key, search.q),
                    _contains(mirror.email_key, search.q),
                    _contains(mirror.sku, search.q),
                )
                if c is not None
            ]
            if anywhere:
                found.append(or_(*anywhere))
        for column, words in (
            (mirror.name_key, search.name),
            (mirror.email_key, search.email),
            (mirror.sku, search.sku),
        ):
            if words is not None:
                condition = _contains(column, words)
                if condition is not None:
                    found.append(condition)
        if search.active is not None:
            found.append(mirror.active.is_(search.active))
        if search.linked is not None:
            found.append(link.id.is_not(None) if search.linked else link.id.is_(None))
        if search.parent is not None:
            found.append(mirror.parent_id == search.parent)
        return found
