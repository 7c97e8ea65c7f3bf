"""QuickBooks Desktop behind the engine's `QuickBooks` protocol: one `QbdClient` per company.

    with QbdClient(exchange) as qb:                     # exchange: through the Web Connector
        customer = qb.create("Customer", {"DisplayName": "Acme"}, request_id=key)

The protocol is QuickBooks Online's in its shapes (`adapters.qbo.client.QuickBooks`); this
client translates each call to one qbXML request (`shapes`, `schema`, `requests`) and its
answer back, and never calls QuickBooks itself: an `Exchange` carries the document to the
company file (through the connection's Web Connector sessions, `engine.desktop`) and brings
QuickBooks' answer.

- Adds and Mods are built in schema order and checked against Desktop's field limits before
  anything is sent: a value too long is `Rejected` naming the field, never cut short.
- Ids are ListIDs and TxnIDs; `SyncToken` is the EditSequence. A stale one (3200) is raised as
  the stale-object fault, so the engine re-reads and re-applies once, as for Online.
- `request_id` names the write in the exchange: asked again with the same id, the exchange
  answers what QuickBooks answered the first time (a refusal is forgotten: QuickBooks did
  nothing, and a retry sends the write again). When the first answer was lost
  (`AnswerLost`), an Add is settled by a look-up before anything is sent again: the record of
  that natural key (full name, or the party's transactions) carrying the `ExternalGUID` written
  with the Add (derived from `request_id`) is the one written; only when none is found is the
  Add sent again, under a new id. Never a blind re-add. A Mod sent again meets 3200 if the first
  one was applied (and is re-applied over it); a Del meets 3120 (removed all the same).
- Look-ups ask `ActiveStatus=All`; lists of more than `requests.PAGE` come through iterators.
- `query` understands the few Online queries the engine writes (every object of an entity, by
  `Id IN (...)`, by `DisplayName`/`Name`); `cdc` is a pull by modified date with the deletions of
  `ListDeletedQuery` / `TxnDeletedQuery`; `batch` sends its creates one by one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Protocol, Self

from lxml import etree

from ledgerbridge.adapters.qbd import errors, requests, schema, shapes
from ledgerbridge.adapters.qbo.client import BatchItem, BatchResult, PageRead
from ledgerbridge.adapters.qbo.errors import QboFault, QuickBooksError, Rejected, Unavailable
from ledgerbridge.adapters.qbwc import qbxml

__all__ = ["AnswerLost", "Exchange", "QbdClient", "external_guid"]

_GUID_SPACE: Final = uuid.UUID("5b0c1f0e-6f2b-4f61-9a57-1d3a3c0e7a10")
_NOT_FOUND: Final = frozenset({1, 500})
_SELECT: Final = re.compile(
    r"^\s*SELECT\s+(?P<count>COUNT\s*\(\s*\*\s*\)|\*)\s+FROM\s+(?P<entity>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.*?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_IDS: Final = re.compile(r"\bId\s+IN\s*\((?P<ids>[^)]*)\)", re.IGNORECASE)
_NAME: Final = re.compile(
    r"\b(?:DisplayName|Name|FullyQualifiedName)\s*=\s*'(?P<name>(?:\\.|[^'\\])*)'", re.IGNORECASE
)
_QUOTED: Final = re.compile(r"'((?:\\.|[^'\\])*)'")
_ACTIVE_ANY: Final = re.compile(r"^\s*Active\s+IN\s*\(\s*true\s*,\s*false\s*\)\s*$", re.I)
_NO_ROWS: Final = frozenset({"TaxRate", "SalesReceipt", "CreditMemo", "Department"})
"""Online entities the Desktop adapter reads as empty (not kept by the company files it serves:
sales receipts are not written by ledgerbridge to Desktop, and its records have none)."""
_RETRIES_AFTER_LOSS: Final = 3
_PAGE_LIMIT: Final = 1000  # the most rows a page may ask for, as QuickBooks Online's MAXRESULTS


class AnswerLost(Exception):
    """A document under this id went to QuickBooks and its answer never came back: it may have
    been applied. Nothing was sent this time."""


class Exchange(Protocol):
    """Carries one qbXML document to the company file and brings back QuickBooks' answer."""

    @property
    def qbxml_version(self) -> str:
        """The qbXML version to write (what the Web Connector reported, at most 13.0)."""
        ...

    def exchange(self, key: str, document: str) -> str:
        """QuickBooks' answer to `document`. The same `key` again answers the answer kept the
        first time; raises `AnswerLost` when that answer never came, `Unavailable` when no
        answer comes now (`ambiguous` when the document reached QuickBooks)."""
        ...

    def forget(self, key: str) -> None:
        """QuickBooks refused the document under `key` (it did nothing): the same key asked
        again is sent anew, not answered with that refusal."""
        ...


def external_guid(request_id: str) -> str:
    """The ExternalGUID an Add carries: the same for every send of one logical write."""
    return "{" + str(uuid.uuid5(_GUID_SPACE, request_id)).upper() + "}"


class QbdClient:
    """One QuickBooks Desktop company through an `Exchange` (module docstring)."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange
        self._kinds: dict[tuple[str, str], str] = {}  # (entity, id) -> Desktop object
        # the list being paged by `query_page`: (its query, every row read)
        self._paging: tuple[str, list[dict[str, Any]]] | None = None

    def __repr__(self) -> str:
        return "QbdClient()"

    def close(self) -> None:
        """Nothing is held open: the Web Connector's sessions belong to the service."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- writes -------------------------------------------------------------------------------

    def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        obj = shapes.desktop_object(entity, body)
        values = shapes.to_desktop(obj, body, mod=False)
        guid = external_guid(request_id)
        values["ExternalGUID"] = guid
        add = self._element(f"{obj}Add", values)
        rq = etree.Element(f"{obj}AddRq", requestID="add")
        rq.append(add)
        key = request_id
        for _ in range(_RETRIES_AFTER_LOSS):
            try:
                ret = self._one(key, rq, operation="create")
            except AnswerLost:
                found = self._settle(obj, values, guid)
                if found is not None:
                    return self._online_of(*found)
                key = f"{request_id}/{uuid.uuid4().hex[:8]}"
                continue
            return self._online(ret)
        raise Unavailable("the Web Connector lost QuickBooks' answers again", ambiguous=True)

    def update(
        self, entity: str, body: Mapping[str, Any], *, request_id: str, sparse: bool = True
    ) -> dict[str, Any]:
        ident = str(body.get("Id") or "")
        token = body.get("SyncToken")
        if not ident or token in (None, ""):
            raise ValueError("an update needs the object's Id and current SyncToken")
        obj, current = self._current(entity, ident)
        if current is None:
            raise errors.translate(
                3120,
                "Error",
                f'Object "{ident}" specified in the request cannot be found.',
                request=f"{entity}ModRq",
                operation="update",
            )
        fields = {k: v for k, v in body.items() if k not in ("Id", "SyncToken", "sparse")}
        values = shapes.to_desktop(obj, fields, mod=True, current=current)
        id_field = "ListID" if obj in shapes.LIST_OBJECTS else "TxnID"
        mod = self._element(f"{obj}Mod", {id_field: ident, "EditSequence": str(token), **values})
        rq = etree.Element(f"{obj}ModRq", requestID="mod")
        rq.append(mod)
        return self._online(self._resent(request_id, rq, "update"))

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> None:
        obj = self._kind(entity, entity_id)
        if obj in shapes.LIST_OBJECTS:
            rq = etree.Element("ListDelRq", requestID="del")
            _leaf(rq, "ListDelType", obj)
            _leaf(rq, "ListID", entity_id)
        else:
            rq = etree.Element("TxnDelRq", requestID="del")
            _leaf(rq, "TxnDelType", obj)
            _leaf(rq, "TxnID", entity_id)
        self._resent(request_id, rq, "delete")

    def void(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str
    ) -> dict[str, Any]:
        obj = self._kind(entity, entity_id)
        if obj in ("ReceivePayment", "PurchaseOrder") or obj in shapes.LIST_OBJECTS:
            fault = QboFault(
                errors.DESKTOP_STATUS,
                "QBD-void",
                "QuickBooks Desktop cannot void this",
                f"QuickBooks Desktop has no void for a {obj}; delete it instead.",
                None,
                None,
            )
            raise Rejected([fault])
        rq = etree.Element("TxnVoidRq", requestID="void")
        _leaf(rq, "TxnVoidType", obj)
        _leaf(rq, "TxnID", entity_id)
        self._resent(request_id, rq, "void")
        found = self.read(entity, entity_id)
        if found is None:
            raise errors.translate(
                3120,
                "Error",
                f'Object "{entity_id}" cannot be found.',
                request="TxnVoidRq",
                operation="void",
            )
        return found

    def batch(self, items: Sequence[BatchItem], *, request_id: str) -> list[BatchResult]:
        """Creates one by one (Desktop has no batch), each under `<request_id>/<bid>`: a batch
        asked again answers each item as the first time, lost answers settled by look-up."""
        results = []
        for item in items:
            if item.operation != "create":
                raise ValueError("the Desktop adapter batches creates only")
            try:
                made = self.create(item.entity, item.body, request_id=f"{request_id}/{item.bid}")
            except Rejected as exc:
                results.append(BatchResult(item.bid, None, exc))
                continue
            results.append(BatchResult(item.bid, made, None))
        return results

    # --- reads --------------------------------------------------------------------------------

    def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        tag, current = self._current(entity, entity_id)
        if current is None:
            return None
        return self._online_of(tag, current)

    def query(
        self, text: str, *, before_page: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        """`before_page` (the caller's rate counting, for QuickBooks Online's limits) is not
        called: Desktop's requests go one at a time through the Web Connector, unlimited."""
        match = _SELECT.match(text)
        if match is None or match["count"] != "*":
            raise ValueError(f"the Desktop adapter cannot answer {text!r}")
        entity, where = match["entity"], (match["where"] or "").strip()
        if entity in _NO_ROWS:
            return []
        objects = shapes.OBJECTS.get(entity)
        if objects is None:
            raise ValueError(f"QuickBooks Desktop has no {entity!r} here")
        ids: list[str] = []
        names: list[str] = []
        rest = where
        found = _IDS.search(rest)
        if found:
            ids = [_unquote(v) for v in _QUOTED.findall(found["ids"])]
            rest = rest.replace(found.group(0), "")
        found_name = _NAME.search(rest)
        if found_name:
            names = [_unquote(found_name["name"])]
            rest = rest.replace(found_name.group(0), "")
        leftover = [part for part in re.split(r"\bAND\b", rest, flags=re.I) if part.strip()]
        if any(not _ACTIVE_ANY.match(part) for part in leftover):
            raise ValueError(f"the Desktop adapter cannot answer {text!r}")
        if (found and not ids) or (found_name and not names):
            return []
        rows: list[dict[str, Any]] = []
        for obj in ("Item",) if entity == "Item" else objects:
            for tag, ret in self._all(obj, ids=ids, names=names):
                rows.append(self._online_of(tag, ret))
        return rows

    def query_page(self, text: str, start: int, size: int) -> list[dict[str, Any]]:
        """Rows `start` (1-based) to `start + size - 1` of `query(text)`. qbXML has no offset:
        the first page reads the list whole (through its iterator) and the pages after it,
        asked in order, are cut from that read, so paging a list costs one read of it, not one
        per page; a page short of `size` is the last and lets the read go."""
        if start < 1 or not 1 <= size <= _PAGE_LIMIT:
            raise ValueError(f"start is 1 or more, size 1 to {_PAGE_LIMIT}")
        held = self._paging
        if start == 1 or held is None or held[0] != text:
            held = (text, self.query(text))
        page = held[1][start - 1 : start - 1 + size]
        self._paging = held if len(page) == size else None
        return page

    def query_pages(
        self, reads: Sequence[PageRead]
    ) -> list[list[dict[str, Any]] | QuickBooksError]:
        """Each read as `query_page` answers it, one after another (qbXML has no batch of
        queries; Desktop counts no requests): a read that fails raises, there is no batch
        item to fail alone."""
        return [self.query_page(read.text, read.start, read.size) for read in reads]

    def count(self, text: str) -> int:
        match = _SELECT.match(text)
        if match is None or match["count"] == "*":
            raise ValueError("count() takes a SELECT COUNT(*) FROM ... query")
        return len(self.query(f"SELECT * FROM {match['entity']}"))

    def cdc(self, entities: Sequence[str], since: datetime) -> dict[str, list[dict[str, Any]]]:
        """What changed since `since` (a pull by modified date), deletions as
        `{"Id", "status": "Deleted"}` stubs from the deleted-records queries."""
        if since.utcoffset() is None:
            raise ValueError("cdc() needs a timezone-aware datetime")
        moment = since.isoformat(timespec="seconds")
        changes: dict[str, list[dict[str, Any]]] = {entity: [] for entity in entities}
        deleted_lists: list[str] = []
        deleted_txns: list[str] = []
        for entity in entities:
            if entity in _NO_ROWS or entity not in shapes.OBJECTS:
                continue
            objects = shapes.OBJECTS[entity]
            for obj in ("Item",) if entity == "Item" else objects:
                for tag, ret in self._all(obj, modified_since=moment):
                    changes[entity].append(self._online_of(tag, ret))
            if entity in ("Account", "PaymentMethod", "Term", "TaxCode", "Employee"):
                continue
            target = deleted_lists if objects[0] in shapes.LIST_OBJECTS else deleted_txns
            target.extend(objects)
        for deleted, lists in ((deleted_lists, True), (deleted_txns, False)):
            if not deleted:
                continue
            answer = self._reply(
                _fresh(), requests.deleted_query(deleted, moment, lists=lists), "read"
            )
            for gone in answer.rets:
                values = shapes.tree(gone)
                kind = values.get("ListDelType") or values.get("TxnDelType") or ""
                entity = shapes.online_entity(kind)
                ident = values.get("ListID") or values.get("TxnID")
                if entity in changes and ident:
                    changes[entity].append({"Id": ident, "status": "Deleted"})
        return changes

    def preferences(self) -> dict[str, Any]:
        rq = etree.Element("PreferencesQueryRq", requestID="preferences")
        answer = self._reply(_fresh(), rq, "read")
        prefs = shapes.tree(answer.rets[0]) if answer.rets else {}
        closing = (prefs.get("AccountingPreferences") or {}).get("ClosingDate")
        return {
            "AccountingInfoPrefs": {"BookCloseDate": closing} if closing else {},
            "SalesFormsPrefs": {"CustomTxnNumbers": True},
            "TaxPrefs": {"PartnerTaxEnabled": False},
            "CurrencyPrefs": {"HomeCurrency": {"value": "USD"}},
        }

    def company_info(self) -> dict[str, Any]:
        rq = etree.Element("CompanyQueryRq", requestID="company")
        answer = self._reply(_fresh(), rq, "read")
        company = shapes.tree(answer.rets[0]) if answer.rets else {}
        return {
            "CompanyName": company.get("CompanyName"),
            "LegalName": company.get("LegalCompanyName"),
        }

    # --- the exchange -------------------------------------------------------------------------

    def _element(self, tag: str, values: Mapping[str, Any]) -> etree._Element:
        try:
            return schema.element(tag, values)
        except schema.TooLong as exc:
            raise errors.field_fault(exc) from None

    def _send(self, key: str, rq: etree._Element) -> str:
        return self._exchange.exchange(key, requests.document(self._exchange.qbxml_version, rq))

    def _reply(self, key: str, rq: etree._Element, operation: str) -> requests.Reply:
        text = self._send(key, rq)
        if operation == "read":
            self._exchange.forget(key)  # a read is never asked again: nothing to keep
        try:
            answer = requests.reply(text)
        except qbxml.Unreadable as exc:
            raise Unavailable(
                f"QuickBooks' answer could not be read: {exc}", ambiguous=operation != "read"
            ) from None
        if answer.status >= 1000:  # an error whatever its severity (3210 may say Info)
            self._exchange.forget(key)  # nothing was done: a retry sends it again
            raise errors.translate(
                answer.status,
                answer.severity,
                answer.message,
                request=str(rq.tag),
                operation=operation,
            )
        return answer

    def _one(self, key: str, rq: etree._Element, *, operation: str) -> tuple[str, etree._Element]:
        answer = self._reply(key, rq, operation)
        if not answer.rets:
            raise Unavailable(f"QuickBooks answered {rq.tag} without the record", ambiguous=True)
        ret = answer.rets[0]
        return str(ret.tag)[: -len("Ret")], ret

    def _resent(self, request_id: str, rq: etree._Element, operation: str) -> Any:
        """A Mod, Del or Void, sent again under a new id when the first answer was lost."""
        key = request_id
        for _ in range(_RETRIES_AFTER_LOSS):
            try:
                if operation in ("delete", "void"):
                    return self._reply(key, rq, operation)
                return self._one(key, rq, operation=operation)
            except AnswerLost:
                key = f"{request_id}/{uuid.uuid4().hex[:8]}"
        raise Unavailable("the Web Connector lost QuickBooks' answers again", ambiguous=True)

    def _all(
        self,
        obj: str,
        *,
        ids: Sequence[str] = (),
        names: Sequence[str] = (),
        modified_since: str | None = None,
        entity: str | None = None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Every record a query finds, page by page through an iterator where qbXML has one."""
        paged = obj in requests.ITERATES and not ids and not names
        rows: list[tuple[str, dict[str, Any]]] = []
        iterator_id: str | None = None
        while True:
            rq = requests.query(
                obj,
                ids=ids,
                names=names,
                modified_since=modified_since,
                entity=entity,
                iterator=("Continue" if iterator_id else "Start") if paged else None,
                iterator_id=iterator_id,
            )
            answer = self._reply(_fresh(), rq, "read")
            for ret in answer.rets:
                tag = str(ret.tag)[: -len("Ret")]
                rows.append((tag, shapes.tree(ret)))
            if not paged or answer.remaining <= 0 or not answer.iterator_id:
                return rows
            iterator_id = answer.iterator_id

    def _online_of(self, tag: str, ret: dict[str, Any]) -> dict[str, Any]:
        entity, online = shapes.to_online(tag, ret)
        self._kinds[(entity, str(online["Id"]))] = tag
        return online

    def _online(self, found: tuple[str, etree._Element]) -> dict[str, Any]:
        tag, ret = found
        return self._online_of(tag, shapes.tree(ret))

    def _current(self, entity: str, ident: str) -> tuple[str, dict[str, Any] | None]:
        """The Desktop object of `ident` and its values now (None: not found)."""
        known = self._kinds.get((entity, ident))
        candidates: tuple[str, ...] = (known,) if known else shapes.OBJECTS.get(entity, (entity,))
        if entity == "Item" and not known:
            candidates = ("Item",)  # ItemQuery answers every kind of item
        for obj in candidates:
            rows = self._all(obj, ids=[ident])
            if rows:
                tag, values = rows[0]
                self._online_of(tag, values)  # its kind remembered
                return tag, values
        return (known or candidates[0]), None

    def _kind(self, entity: str, ident: str) -> str:
        known = self._kinds.get((entity, ident))
        if known:
            return known
        objects = shapes.OBJECTS.get(entity, (entity,))
        if len(objects) == 1:
            return objects[0]
        obj, _ = self._current(entity, ident)
        return obj

    def _settle(
        self, obj: str, values: Mapping[str, Any], guid: str
    ) -> tuple[str, dict[str, Any]] | None:
        """After a lost answer: the record this Add wrote, if QuickBooks has it (its natural
        key, and our ExternalGUID on it)."""
        if obj in shapes.LIST_OBJECTS:
            name = str(values.get("Name") or "")
            parent = (values.get("ParentRef") or {}).get("ListID")
            if parent:
                _, above = self._current("Customer", str(parent))
                if above is None:
                    return None
                name = f"{above.get('FullName') or above.get('Name')}:{name}"
            rows = self._all(obj, names=[name])
        else:
            party = values.get("CustomerRef") or values.get("VendorRef")
            party = party or values.get("PayeeEntityRef") or {}
            rows = self._all(obj, entity=party.get("ListID"))
        return next(((t, r) for t, r in rows if r.get("ExternalGUID") == guid), None)


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _unquote(value: str) -> str:
    return value.replace("\\'", "'").replace("\\\\", "\\")


def _fresh() -> str:
    return f"read-{uuid.uuid4().hex}"
