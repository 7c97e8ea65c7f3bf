"""Which QuickBooks object each app record is linked to (`links`), and what was last pushed."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import by_type, chunks, keyed_select, prepared, run, upsert

__all__ = ["Links", "StoredLink", "stored_link"]


@dataclass(frozen=True, slots=True)
class StoredLink:
    type: str
    app_id: str
    qbo_entity: str
    qbo_id: str
    sync_token: str
    doc_number: str | None
    pushed: Mapping[str, Any] | None


_BY_APP = (("connection_id", "w_cid"), ("type", "w_type"), ("app_id", "w_app"))
_BY_QBO = (("connection_id", "w_cid"), ("qbo_entity", "w_entity"), ("qbo_id", "w_qbo"))
_one_link = functools.partial(keyed_select, tables.Link, _BY_APP)
_some_links = functools.partial(keyed_select, tables.Link, _BY_APP, many=True)
_by_quickbooks = functools.partial(keyed_select, tables.Link, _BY_QBO)
_by_quickbooks_some = functools.partial(keyed_select, tables.Link, _BY_QBO, many=True)


class Links:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, connection_id: str, type: str, app_id: str) -> StoredLink | None:
        params = {"w_cid": connection_id, "w_type": type, "w_app": app_id}
        row = run(self._session, prepared("links.get", _one_link), params).one_or_none()
        return None if row is None else stored_link(row)

    def get_many(
        self, connection_id: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredLink]:
        """`get` for many (type, app id) keys (a query per type and 500): key -> link, those
        linked."""
        query = prepared("links.get_many", _some_links)
        found: dict[tuple[str, str], StoredLink] = {}
        for type_, ids in by_type(keys):
            params = {"w_cid": connection_id, "w_type": type_, "ids": ids}
            for row in run(self._session, query, params):
                found[(row.type, row.app_id)] = stored_link(row)
        return found

    def by_quickbooks(self, connection_id: str, entity: str, qbo_id: str) -> StoredLink | None:
        params = {"w_cid": connection_id, "w_entity": entity, "w_qbo": qbo_id}
        query = prepared("links.by_quickbooks", _by_quickbooks)
        row = run(self._session, query, params).one_or_none()
        return None if row is None else stored_link(row)

    def by_quickbooks_many(
        self, connection_id: str, entity: str, qbo_ids: Iterable[str]
    ) -> dict[str, StoredLink]:
        """`by_quickbooks` for many ids of one entity (a query per 500): id -> link."""
        query = prepared("links.by_quickbooks_many", _by_quickbooks_some)
        found: dict[str, StoredLink] = {}
        for chunk in chunks(qbo_ids):
            params = {"w_cid": connection_id, "w_entity": entity, "ids": chunk}
            for row in run(self._session, query, params):
                found[row.qbo_id] = stored_link(row)
        return found

    def put(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        *,
        entity: str,
        qbo_id: str,
        sync_token: str,
        doc_number: str | None,
        pushed: Mapping[str, Any] | None,
    ) -> None:
        link = StoredLink(type, app_id, entity, qbo_id, sync_token, doc_number, pushed)
        self.put_many(connection_id, [link])

    def put_many(self, connection_id: str, links: Iterable[StoredLink]) -> None:
        """Links made or renewed, an upsert per 500; the last of a record given twice wins."""
        latest = {(link.type, link.app_id): link for link in links}
        rows = [
            {
                "connection_id": connection_id,
                "type": link.type,
                "app_id": link.app_id,
                "qbo_entity": link.qbo_entity,
                "qbo_id": link.qbo_id,
                "sync_token": link.sync_token,
                "doc_number": link.doc_number,
                "pushed": dict(link.pushed) if link.pushed is not None else None,
            }
            for link in latest.values()
        ]
        upsert(self._session, tables.Link, ("connection_id", "type", "app_id"), rows)

    def remove_all(self, connection_id: str) -> int:
        """Forget every link of the connection (starting fresh in another company)."""
        t = tables.Link
        result = self._session.execute(delete(t).where(t.connection_id == connection_id))
        return int(getattr(result, "rowcount", 0) or 0)

    def remove(self, connection_id: str, type: str, app_id: str) -> None:
        t = tables.Link
        self._session.execute(
            delete(t).where(t.connection_id == connection_id, t.type == type, t.app_id == app_id)
        )


def stored_link(row: Any) -> StoredLink:
    """A `links` row as the engine sees it."""
    return StoredLink(
        type=row.type,
        app_id=row.app_id,
        qbo_entity=row.qbo_entity,
        qbo_id=row.qbo_id,
        sync_token=row.sync_token,
        doc_number=row.doc_number,
        pushed=row.pushed,
    )
