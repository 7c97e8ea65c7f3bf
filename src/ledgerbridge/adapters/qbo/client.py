"""The QuickBooks Online Accounting API over HTTP: one `QboClient` per company.

    with QboClient(api_base("production"), realm_id, tokens) as qb:
        customer = qb.create("Customer", {"DisplayName": "Acme"}, request_id=key)

- Every write carries the caller's `request_id` as `?requestid=`: the caller makes it once per
  logical write, stores it, and sends the same one on every retry; QuickBooks then answers a
  repeat with the first answer instead of writing twice. The client never invents one.
- Every request carries `minorversion`.
- The only retry here: a request refused with `AuthExpired` is sent once more with the token
  `TokenSource.refreshed_access_token` gives. Every other failure is raised (`errors`), and the
  engine decides about retries.
- Answers are parsed with `Decimal` for every number with a fraction; `Decimal`s in request
  bodies are sent as exact JSON numbers.
- The network sits behind an `httpx.BaseTransport` that tests may swap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, NamedTuple, Protocol, Self
from urllib.parse import quote

import httpx

from ledgerbridge.adapters.qbo.errors import (
    AuthExpired,
    Disconnected,
    QuickBooksError,
    Rejected,
    translate,
)
from ledgerbridge.adapters.tls import default_context

__all__ = [
    "MAX_BATCH_ITEMS",
    "BatchItem",
    "BatchResult",
    "Environment",
    "FixedToken",
    "PageRead",
    "QboClient",
    "QuickBooks",
    "TokenSource",
    "api_base",
]

Environment = Literal["production", "sandbox", "emulator"]
BatchOperation = Literal["create", "update", "delete", "void"]

PRODUCTION_API = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
MAX_BATCH_ITEMS = 30
PAGE_SIZE = 1000
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
MAX_BATCH_ITEM_ID = 10
NOT_FOUND = "610"
# Entities voided by a sparse update with `include=void` rather than `operation=void`.
_VOID_BY_UPDATE = frozenset({"Payment", "BillPayment"})
VOIDED_BY_UPDATE = _VOID_BY_UPDATE
"""Entities voided by an update with `include=void`: a batch item cannot say `include`, so
their voids go alone (`QboClient.batch` refuses them)."""
_QUERY_RESPONSE_META = frozenset({"startPosition", "maxResults", "totalCount"})
_QUOTED = re.compile(r"'(?:\\.|[^'\\])*'")
_PAGING = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\b", re.IGNORECASE)
_COUNT = re.compile(r"^\s*SELECT\s+COUNT\s*\(\s*\*\s*\)", re.IGNORECASE)


def api_base(environment: Environment, emulator_url: str | None = None) -> str:
    """The Accounting API base URL (ending in `/v3`) for an environment."""
    if environment == "production":
        return PRODUCTION_API
    if environment == "sandbox":
        return SANDBOX_API
    if environment == "emulator":
        if not emulator_url:
            raise ValueError("the emulator environment needs the emulator's URL")
        return f"{emulator_url.rstrip('/')}/v3"
    raise ValueError(f"unknown environment {environment!r}")


class TokenSource(Protocol):
    """Where the client gets access tokens (the engine's implementation holds the DB lock)."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refreshed_access_token(self, stale: str) -> str:
        """A token newer than `stale`, refreshing unless someone already has. Raises
        `Disconnected` when the refresh is refused, `Unavailable` when it cannot be made."""
        ...


@dataclass(frozen=True)
class FixedToken:
    """A `TokenSource` with one access token that it never refreshes: a token just granted,
    or a person's own session with a company."""

    token: str

    def access_token(self) -> str:
        return self.token

    def refreshed_access_token(self, stale: str) -> str:
        return self.token


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One operation of a batch; `body` is the entity JSON, sent as given (include
    `"sparse": true` for a sparse update). `bid` is at most 10 characters."""

    bid: str
    operation: BatchOperation
    entity: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PageRead:
    """One page of a `SELECT * FROM ...` query (without STARTPOSITION and MAXRESULTS) read by
    `query_pages`: rows `start` (1-based) to `start + size - 1`."""

    text: str
    start: int = 1
    size: int = PAGE_SIZE


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The answer to one batch item: the entity written, or the fault that refused it."""

    bid: str
    entity: dict[str, Any] | None
    fault: Rejected | None


class QuickBooks(Protocol):
    """What the engine needs from one QuickBooks company (docs/architecture.md, "Adapter
    contract"). The engine asks its port for one (`engine.ports.Ledger.quickbooks(connection)`)
    and never names an adapter; `QboClient` is QuickBooks Online's. Close it when done (or use
    it in a `with`).

    Still QuickBooks Online's in its shape, for another adapter (QuickBooks Desktop) to
    translate to and from: objects and bodies are the Accounting API's JSON (its entity names,
    `Id` and `SyncToken`, sparse updates), `query` and `count` take its SQL-like query
    language (`query_pages` several queries in one batch request, each answered or failed on
    its own), `batch` its batch items
    (at most `MAX_BATCH_ITEMS`), `cdc` is its change data
    capture, `preferences` and `company_info` answer its Preferences and CompanyInfo objects,
    a `request_id` is its `requestid` (at most 50 characters, 36 for a batch), and failures are
    the tree of `adapters.qbo.errors`.
    """

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def create(
        self, entity: str, body: Mapping[str, Any], *, request_id: str
    ) -> dict[str, Any]: ...

    def update(
        self, entity: str, body: Mapping[str, Any], *, request_id: str, sparse: bool = True
    ) -> dict[str, Any]: ...

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> None: ...

    def void(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str
    ) -> dict[str, Any]: ...

    def read(self, entity: str, entity_id: str) -> dict[str, Any] | None: ...

    def query(
        self, text: str, *, before_page: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]: ...

    def query_page(self, text: str, start: int, size: int) -> list[dict[str, Any]]: ...

    def query_pages(
        self, reads: Sequence[PageRead]
    ) -> list[list[dict[str, Any]] | QuickBooksError]: ...

    def count(self, text: str) -> int: ...

    def batch(self, items: Sequence[BatchItem], *, request_id: str) -> list[BatchResult]: ...

    def cdc(self, entities: Sequence[str], since: datetime) -> dict[str, list[dict[str, Any]]]: ...

    def preferences(self) -> dict[str, Any]: ...

    def company_info(self) -> dict[str, Any]: ...


class QboClient:
    """The Accounting API of one company, over one keep-alive `httpx.Client`. Close it (or use
    it as a context manager). Methods raise only `errors.QuickBooksError` subclasses, plus
    `ValueError` for arguments QuickBooks would refuse anyway."""

    def __init__(
        self,
        base_url: str,
        realm_id: str,
        tokens: TokenSource,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        minor_version: int = 75,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.realm_id = realm_id
        self.minor_version = minor_version
        self._tokens = tokens
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "ledgerbridge"},
            verify=default_context(),  # made once per process (adapters/tls.py)
        )

    def __repr__(self) -> str:
        return f"QboClient(base_url={self.base_url!r}, realm_id={self.realm_id!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> QboClient:
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
        """Create an object; returns it as QuickBooks stored it (`Id`, `SyncToken`...)."""
        return _entity(self._write(entity, body, request_id=request_id), entity, write=True)

    def update(
        self, entity: str, body: Mapping[str, Any], *, request_id: str, sparse: bool = True
    ) -> dict[str, Any]:
        """Update an object; `body` holds `Id`, the current `SyncToken` and, when `sparse`, only
        the fields to change (a full update sets every writable field not sent to null)."""
        _require_identity(body)
        answer = self._write(entity, {**body, "sparse": sparse}, request_id=request_id)
        return _entity(answer, entity, write=True)

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> None:
        """Delete a transaction (name lists cannot be deleted: make them inactive)."""
        body = {"Id": entity_id, "SyncToken": sync_token}
        self._write(entity, body, request_id=request_id, params={"operation": "delete"})

    def void(
        self, entity: str, entity_id: str, sync_token: str, *, request_id: str
    ) -> dict[str, Any]:
        """Void a transaction; returns it voided. Payments and bill payments are voided by a
        sparse update with `include=void`, other transactions with `operation=void`."""
        body: dict[str, Any] = {"Id": entity_id, "SyncToken": sync_token}
        if entity in _VOID_BY_UPDATE:
            params = {"operation": "update", "include": "void"}
            body["sparse"] = True
        else:
            params = {"operation": "void"}
        answer = self._write(entity, body, request_id=request_id, params=params)
        return _entity(answer, entity, write=True)

    def batch(self, items: Sequence[BatchItem], *, request_id: str) -> list[BatchResult]:
        """Up to 30 operations in one request (creates, sparse updates, deletes and voids of
        `Id` and `SyncToken`, but not the voids of `VOIDED_BY_UPDATE`); results in the order
        of `items`.

        One item's fault does not stop the others: it comes back as that item's `Rejected`
        (its faults as QuickBooks sent them). Only when every item failed for one company-level
        reason (all `SubscriptionLapsed`, say) is that error raised for the whole batch.
        """
        _check_batch(items, request_id)
        for item in items:
            if item.operation == "void" and item.entity in _VOID_BY_UPDATE:
                raise ValueError(f"a {item.entity} is voided alone (an update with include=void)")
        if not items:
            return []
        payload = {
            "BatchItemRequest": [
                {"bId": item.bid, "operation": item.operation, item.entity: dict(item.body)}
                for item in items
            ]
        }
        answer = self._send(
            "POST", "batch", params={"requestid": request_id}, body=payload, write=True
        )
        found = {
            str(entry.get("bId")): entry
            for entry in answer.body.get("BatchItemResponse") or []
            if isinstance(entry, dict)
        }
        tid = answer.response.headers.get("intuit_tid")
        results: list[BatchResult] = []
        errors: list[QuickBooksError] = []
        for item in items:
            entry = found.get(item.bid, {})
            fault = entry.get("Fault")
            written = _pick(entry, item.entity)
            if isinstance(fault, Mapping):
                error = translate(fault, intuit_tid=tid, write=True)
                errors.append(error)
                rejected = error if isinstance(error, Rejected) else Rejected(error.faults)
                results.append(BatchResult(item.bid, None, rejected))
            elif written is not None:
                results.append(BatchResult(item.bid, written, None))
            else:  # an answer without this item's outcome: as good as lost
                raise translate(answer.response, write=True)
        kinds = {type(error) for error in errors}
        if len(errors) == len(items) and len(kinds) == 1 and Rejected not in kinds:
            raise errors[0]
        return results

    # --- reads --------------------------------------------------------------------------------

    def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        """The object, or None when QuickBooks says it does not exist or was deleted (610)."""
        try:
            answer = self._send("GET", f"{_resource(entity)}/{quote(entity_id, safe='')}")
        except Rejected as exc:
            if any(f.code == NOT_FOUND for f in exc.faults):
                return None
            raise
        return _entity(answer, entity)

    def query(
        self, text: str, *, before_page: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        """Every row of a `SELECT * FROM ...` query, fetched in pages of 1000 until a short
        page. Leave STARTPOSITION and MAXRESULTS out; add an ORDERBY for a stable order.
        `before_page` is called before each page's request (a caller counting requests)."""
        bare = _QUOTED.sub("''", text)
        if _COUNT.match(bare):
            raise ValueError("use count() for SELECT COUNT(*) queries")
        if _PAGING.search(bare):
            raise ValueError("query() pages by itself: leave STARTPOSITION and MAXRESULTS out")
        rows: list[dict[str, Any]] = []
        start = 1
        while True:
            if before_page is not None:
                before_page()
            page = self._query_page(f"{text.strip()} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}")
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return rows
            start += PAGE_SIZE

    def query_page(self, text: str, start: int, size: int) -> list[dict[str, Any]]:
        """One page of a `SELECT * FROM ...` query: rows `start` (1-based) to `start + size - 1`
        (a page short of `size` is the last). For a caller that shows its progress page by
        page (the initial import); `query` reads them all."""
        bare = _QUOTED.sub("''", text)
        if _COUNT.match(bare) or _PAGING.search(bare):
            raise ValueError("query_page() takes a SELECT * query without STARTPOSITION/MAXRESULTS")
        if start < 1 or not 1 <= size <= PAGE_SIZE:
            raise ValueError(f"start is 1 or more, size 1 to {PAGE_SIZE}")
        return self._query_page(f"{text.strip()} STARTPOSITION {start} MAXRESULTS {size}")

    def query_pages(
        self, reads: Sequence[PageRead]
    ) -> list[list[dict[str, Any]] | QuickBooksError]:
        """Pages of several queries in one request (a batch of query items: one request and
        one batch request in QuickBooks' limits), in the order of `reads`: at most
        `MAX_BATCH_ITEMS` of them, and at most `PAGE_SIZE` rows asked in all (QuickBooks
        answers a batch with at most 1000 objects). A page short of its `size` is its query's
        last. QuickBooks answers each item on its own: an item's fault comes back in its place
        as the error the query sent alone would raise (the caller decides what to do with
        it); a fault of the whole request is raised, and so is an answer missing an item's
        outcome (`Unavailable`: a read changes nothing, it can be asked again)."""
        if len(reads) > MAX_BATCH_ITEMS:
            raise ValueError(f"a batch holds at most {MAX_BATCH_ITEMS} items, not {len(reads)}")
        if sum(read.size for read in reads) > PAGE_SIZE:
            raise ValueError(f"a batch answers at most {PAGE_SIZE} objects in all")
        for read in reads:
            bare = _QUOTED.sub("''", read.text)
            if _COUNT.match(bare) or _PAGING.search(bare):
                raise ValueError("query_pages() takes SELECT * queries without their paging")
            if read.start < 1 or read.size < 1:
                raise ValueError("start and size are 1 or more")
        if not reads:
            return []
        payload = {
            "BatchItemRequest": [
                {
                    "bId": str(n),
                    "Query": f"{read.text.strip()} STARTPOSITION {read.start} "
                    f"MAXRESULTS {read.size}",
                }
                for n, read in enumerate(reads)
            ]
        }
        answer = self._send("POST", "batch", body=payload)
        found = {
            str(entry.get("bId")): entry
            for entry in answer.body.get("BatchItemResponse") or []
            if isinstance(entry, dict)
        }
        pages: list[list[dict[str, Any]] | QuickBooksError] = []
        for n in range(len(reads)):
            entry = found.get(str(n), {})
            fault, section = entry.get("Fault"), entry.get("QueryResponse")
            if isinstance(fault, Mapping):
                tid = answer.response.headers.get("intuit_tid")
                pages.append(translate(fault, intuit_tid=tid))
                continue
            if not isinstance(section, Mapping):  # this item's answer is missing
                raise translate(answer.response)
            pages.append(next((rows for _, rows in _row_lists(section)), []))
        return pages

    def count(self, text: str) -> int:
        """The `totalCount` of a `SELECT COUNT(*) FROM ...` query."""
        if not _COUNT.match(_QUOTED.sub("''", text)):
            raise ValueError("count() takes a SELECT COUNT(*) FROM ... query")
        answer = self._send_query(text)
        return int((answer.get("QueryResponse") or {}).get("totalCount", 0))

    def cdc(self, entities: Sequence[str], since: datetime) -> dict[str, list[dict[str, Any]]]:
        """Objects of `entities` changed since `since` (timezone-aware, within 30 days),
        deleted ones as `{"Id", "status": "Deleted", ...}` stubs. QuickBooks sends at most
        1000 objects per call: a caller that gets that many should ask again from later on."""
        if since.utcoffset() is None:
            raise ValueError("cdc() needs a timezone-aware datetime")
        if not entities:
            raise ValueError("cdc() needs at least one entity")
        params = {
            "entities": ",".join(entities),
            "changedSince": since.isoformat(timespec="seconds"),
        }
        answer = self._send("GET", "cdc", params=params).body
        changes: dict[str, list[dict[str, Any]]] = {name: [] for name in entities}
        for block in answer.get("CDCResponse") or []:
            for group in block.get("QueryResponse") or []:
                for name, rows in _row_lists(group):
                    changes.setdefault(name, []).extend(rows)
        return changes

    def preferences(self) -> dict[str, Any]:
        return _entity(self._send("GET", "preferences"), "Preferences")

    def company_info(self) -> dict[str, Any]:
        answer = self._send("GET", f"companyinfo/{quote(self.realm_id, safe='')}")
        return _entity(answer, "CompanyInfo")

    # --- HTTP ---------------------------------------------------------------------------------

    def _write(
        self,
        entity: str,
        body: Mapping[str, Any],
        *,
        request_id: str,
        params: Mapping[str, str] | None = None,
    ) -> _Answer:
        _check_request_id(request_id, MAX_REQUEST_ID)
        all_params = {**(params or {}), "requestid": request_id}
        return self._send("POST", _resource(entity), params=all_params, body=body, write=True)

    def _query_page(self, text: str) -> list[dict[str, Any]]:
        section = self._send_query(text).get("QueryResponse") or {}
        return next((rows for _, rows in _row_lists(section)), [])

    def _send_query(self, text: str) -> dict[str, Any]:
        return self._send("POST", "query", text=text).body

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        text: str | None = None,
        write: bool = False,
    ) -> _Answer:
        """One request, sent again once with a refreshed token if the first token is refused."""
        headers = {}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = _dumps(body)
        elif text is not None:
            headers["Content-Type"] = "application/text"
            content = text.encode("utf-8")
        url = f"{self.base_url}/company/{self.realm_id}/{path}"
        query = {**(params or {}), "minorversion": str(self.minor_version)}

        def attempt(token: str) -> _Answer:
            request = self._http.build_request(
                method,
                url,
                params=query,
                content=content,
                headers={**headers, "Authorization": f"Bearer {token}"},
            )
            return self._exchange(request, write)

        token = self._tokens.access_token()
        try:
            return attempt(token)
        except AuthExpired:
            fresh = self._tokens.refreshed_access_token(token)
        try:
            return attempt(fresh)
        except AuthExpired as exc:
            raise Disconnected(
                f"QuickBooks refused a freshly refreshed access token: {exc}", faults=exc.faults
            ) from exc

    def _exchange(self, request: httpx.Request, write: bool) -> _Answer:
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise translate(exc, write=write) from exc
        # read whole and closed by now; httpx left the stream it was read from bound to the
        # response and the response to it, a cycle that only the garbage collector's rare full
        # pass frees: each answer lingered with its body (some 6 MiB for a page of a thousand
        # invoices), several at once during a pull. Unbound, it goes when its last user does.
        response.stream = httpx.ByteStream(b"")
        if not response.is_success:
            raise translate(response, write=write)
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise translate(response, write=write) from None
        if not isinstance(body, dict) or "Fault" in body or "fault" in body:
            raise translate(response, write=write)
        return _Answer(body, response)


class _Answer(NamedTuple):
    """A successful answer's JSON object (numbers with a fraction as Decimal)."""

    body: dict[str, Any]
    response: httpx.Response


# --- bodies ---------------------------------------------------------------------------------


def _entity(answer: _Answer, entity: str, *, write: bool = False) -> dict[str, Any]:
    """The object of an answer; an answer without it is one the client cannot use."""
    found = _pick(answer.body, entity)
    if found is None:
        raise translate(answer.response, write=write)
    return found


def _pick(section: Mapping[str, Any], entity: str) -> dict[str, Any] | None:
    """The object under its entity key (matched without regard to case)."""
    wanted = entity.lower()
    for key, value in section.items():
        if key.lower() == wanted and isinstance(value, dict):
            return value
    return None


def _row_lists(section: Mapping[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The entity lists of a QueryResponse (its other keys are paging figures)."""
    return [
        (key, value)
        for key, value in section.items()
        if key not in _QUERY_RESPONSE_META and isinstance(value, list)
    ]


def _check_batch(items: Sequence[BatchItem], request_id: str) -> None:
    if len(items) > MAX_BATCH_ITEMS:
        raise ValueError(f"a batch holds at most {MAX_BATCH_ITEMS} items, not {len(items)}")
    _check_request_id(request_id, MAX_BATCH_REQUEST_ID)
    bids = [item.bid for item in items]
    if len(set(bids)) != len(bids):
        raise ValueError("batch item bids must be unique")
    for bid in bids:
        if not bid or len(bid) > MAX_BATCH_ITEM_ID:
            raise ValueError(f"batch item bid {bid!r} must be 1 to {MAX_BATCH_ITEM_ID} characters")


def _require_identity(body: Mapping[str, Any]) -> None:
    if not body.get("Id") or body.get("SyncToken") in (None, ""):
        raise ValueError("an update needs the object's Id and current SyncToken")


def _check_request_id(request_id: str, limit: int) -> None:
    if not request_id or len(request_id) > limit:
        raise ValueError(f"request_id must be 1 to {limit} characters")


def _resource(entity: str) -> str:
    return entity.lower()


def _dumps(value: Any) -> bytes:
    """JSON with `Decimal`s written as exact numbers."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    # what json.dumps writes, without its per-call cost for the commonest values: str
    # (its own C escaper), bool, None and int
    kind = type(value)
    if kind is str:
        return _quoted(value)
    if value is None or kind is bool or kind is int:
        return _SCALARS[value] if kind is not int else int.__repr__(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} to QuickBooks")
        return format(value, "f")
    if isinstance(value, Mapping):
        items = (f"{_quoted(str(key))}:{_encode(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    return json.dumps(value, allow_nan=False)


_quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii
_SCALARS = {None: "null", True: "true", False: "false"}
