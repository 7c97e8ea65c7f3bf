"""Everything that can go wrong talking to QuickBooks Online, sorted by what the caller must do.

    QuickBooksError                      base: nothing above the adapter sees httpx or a raw fault
     ├── AuthExpired                     401 / 3200: refresh the access token, retry once
     ├── Disconnected                    refresh refused (invalid_grant, invalid_client), 403 /
     │                                   3100, or a fresh token refused: the connection must be
     │                                   made again by a person; stop all work for the company
     ├── Throttled(retry_after)          429 / 3001: back off company-wide (default 60 s)
     ├── Unavailable(ambiguous)          5xx, 10000, 150 (maintenance), timeouts, broken
     │                                   connections, unreadable answers: retry later
     │                                   with backoff; ambiguous=True when a write may have been
     │                                   applied (settle it by replaying the same requestid)
     │    └── InUse                      QuickBooks Desktop only: the entry is open or being
     │                                   edited by someone (3170, 3175, 3176): retry later, not
     │                                   ambiguous, the record's own problem
     ├── SubscriptionLapsed              6190: the company cannot take writes; reads still work
     └── Rejected(faults)                any other fault: this request is wrong for this company
                                         (validation, business rule, stale SyncToken...); the
                                         engine classifies `faults` with `core.classify`

Every error carries the `QboFault`s QuickBooks sent (empty when there was no answer), each with
the `intuit_tid` to quote to Intuit support.

`translate` is the only place where foreign failures become these errors: httpx exceptions,
responses with the data service's `{"Fault": {"Error": [...], "type": ...}}` envelope, the
gateway's lower-case `{"fault": {"error": [...]}}` envelope, the OAuth server's
`{"error": "invalid_grant"}`, XML faults, non-JSON bodies, and the bare `Fault` object of a
batch item.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

import httpx

from ledgerbridge.core.classify import QboFault as _CoreFault
from ledgerbridge.core.retry import MAX_THROTTLE_WAIT

__all__ = [
    "AuthExpired",
    "Disconnected",
    "InUse",
    "QboFault",
    "QuickBooksError",
    "Rejected",
    "SubscriptionLapsed",
    "Throttled",
    "Unavailable",
    "translate",
]

DEFAULT_RETRY_AFTER = 60.0
_DETAIL_LIMIT = 300
# OAuth token-endpoint errors after which only a new consent (or new app credentials) helps.
_OAUTH_CONNECTION_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
# The HTTP status of a batch answer, which its items' faults carry.
BATCH_STATUS = 200


# One fault value for the whole engine: the adapter fills it, `core.classify` reads it.
QboFault = _CoreFault


class QuickBooksError(Exception):
    """Base of every error the QuickBooks adapter raises."""

    def __init__(self, message: str, *, faults: Sequence[QboFault] = ()) -> None:
        super().__init__(message)
        self.faults: tuple[QboFault, ...] = tuple(faults)

    @property
    def intuit_tid(self) -> str | None:
        return next((f.intuit_tid for f in self.faults if f.intuit_tid), None)


class AuthExpired(QuickBooksError):
    """The access token was refused (401 / 3200): refresh it and retry the request once."""


class Disconnected(QuickBooksError):
    """The connection no longer works: a person must connect the company again."""


class Throttled(QuickBooksError):
    """Over QuickBooks' rate limits: back off for the whole company for `retry_after` seconds."""

    def __init__(
        self,
        message: str = "QuickBooks throttled the company",
        *,
        retry_after: float = DEFAULT_RETRY_AFTER,
        faults: Sequence[QboFault] = (),
    ) -> None:
        super().__init__(message, faults=faults)
        self.retry_after = retry_after


class Unavailable(QuickBooksError):
    """QuickBooks could not be reached or failed: retry with backoff. `ambiguous` is True when
    the request was a write that may have been applied although its answer was lost."""

    def __init__(
        self,
        message: str = "QuickBooks is unavailable",
        *,
        ambiguous: bool,
        faults: Sequence[QboFault] = (),
    ) -> None:
        super().__init__(message, faults=faults)
        self.ambiguous = ambiguous


class InUse(Unavailable):
    """QuickBooks Desktop would not save: the entry is open or being edited by someone in the
    company file (3170, 3175, 3176, or 3180 with a lock). Nothing was applied; try again at a
    later update. The record's own problem (`record.in_use_in_quickbooks`), not QuickBooks'."""

    def __init__(self, message: str, *, faults: Sequence[QboFault] = ()) -> None:
        super().__init__(message, ambiguous=False, faults=faults)


class SubscriptionLapsed(QuickBooksError):
    """6190: the company's subscription ended; writes fail until it is paid again."""


class Rejected(QuickBooksError):
    """A validation or business fault: this request cannot succeed as it is."""

    def __init__(self, faults: Sequence[QboFault]) -> None:
        if not faults:
            raise ValueError("Rejected needs at least one fault")
        super().__init__(_describe(faults[0]), faults=faults)

    @property
    def first(self) -> QboFault:
        return self.faults[0]


def translate(
    source: httpx.Response | httpx.HTTPError | Mapping[str, Any],
    *,
    write: bool = False,
    intuit_tid: str | None = None,
) -> QuickBooksError:
    """The error for a failed exchange with QuickBooks (returned, for the caller to raise).

    `source` is an httpx exception, a response the caller cannot use (an error status, a fault
    body, an unreadable body), or the bare `Fault` object of one batch item (then `intuit_tid`
    is the batch answer's, and the faults carry its status, 200). `write` says whether the
    request could have changed data: a lost answer to a write is ambiguous, a lost answer to a
    read never is.
    """
    if isinstance(source, httpx.HTTPError):
        return _from_transport(source, write)
    if isinstance(source, httpx.Response):
        status = source.status_code
        tid = source.headers.get("intuit_tid")
        body = _parse(source.content)
        oauth = _oauth_error(body, status, tid)
        if oauth is not None:
            return oauth
        faults = _faults(body, status, tid)
        if not faults and status < 400:
            return Unavailable(
                f"QuickBooks sent an unreadable answer (HTTP {status})", ambiguous=write
            )
        if not faults:
            faults = (_synthetic(status, source.text, tid),)
        return _classify(faults, status, write=write, retry_after=_retry_after(source))
    faults = _fault_entries(source, BATCH_STATUS, intuit_tid)
    if not faults:
        faults = (_synthetic(BATCH_STATUS, json.dumps(source, default=str), intuit_tid),)
    return _classify(faults, BATCH_STATUS, write=write, retry_after=DEFAULT_RETRY_AFTER)


# --- classification ------------------------------------------------------------------------


def _classify(
    faults: tuple[QboFault, ...], status: int, *, write: bool, retry_after: float
) -> QuickBooksError:
    codes = {f.code.lstrip("0") for f in faults}
    message = _describe(faults[0])
    if "3200" in codes or status == 401:
        return AuthExpired(message, faults=faults)
    if "3100" in codes or status == 403:
        return Disconnected(message, faults=faults)
    if "3001" in codes or status == 429:
        return Throttled(message, retry_after=retry_after, faults=faults)
    if "6190" in codes:
        return SubscriptionLapsed(message, faults=faults)
    if "10000" in codes or "150" in codes or status >= 500:
        # A gateway that timed out (502, 504) may have lost the answer of an applied write.
        return Unavailable(message, ambiguous=write and status in (502, 504), faults=faults)
    return Rejected(faults)


def _from_transport(exc: httpx.HTTPError, write: bool) -> Unavailable:
    # Failures before the request left this machine cannot have changed anything.
    not_sent = isinstance(
        exc,
        httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol,
    )
    ambiguous = write and not not_sent
    what = "the answer to a write was lost" if ambiguous else "QuickBooks could not be reached"
    return Unavailable(f"{what}: {type(exc).__name__}: {exc}", ambiguous=ambiguous)


def _oauth_error(body: Any, status: int, tid: str | None) -> QuickBooksError | None:
    """The token and revocation endpoints' `{"error": ..., "error_description": ...}`."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    error = body["error"]
    description = body.get("error_description")
    fault = QboFault(status, error, error, str(description or ""), None, tid)
    if error in _OAUTH_CONNECTION_ERRORS:
        return Disconnected(f"the authorization server refused the grant: {error}", faults=[fault])
    if status >= 500 or error == "temporarily_unavailable":
        return Unavailable(
            f"the authorization server failed: {error}", ambiguous=False, faults=[fault]
        )
    return Rejected([fault])


def _retry_after(response: httpx.Response) -> float:
    """The answer's Retry-After in seconds: `DEFAULT_RETRY_AFTER` when it has none we read (a
    date, a negative number, NaN), and never more than `MAX_THROTTLE_WAIT` (an infinite or
    enormous one would keep the company from ever being asked again, and overflows a date)."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_RETRY_AFTER
    if math.isnan(seconds) or seconds < 0:
        return DEFAULT_RETRY_AFTER
    return min(seconds, MAX_THROTTLE_WAIT.total_seconds())


def _describe(fault: QboFault) -> str:
    head = " ".join(part for part in (fault.code, fault.message) if part)
    return f"{head}: {fault.detail}" if fault.detail else head or f"HTTP {fault.status}"


# --- reading fault bodies ------------------------------------------------------------------


def _parse(content: bytes) -> Any:
    """JSON, else an XML element, else None."""
    text = content.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    if text.startswith(b"<"):
        try:
            return ElementTree.fromstring(text)
        except ElementTree.ParseError:
            return None
    return None


def _faults(body: Any, status: int, tid: str | None) -> tuple[QboFault, ...]:
    if isinstance(body, ElementTree.Element):
        return _xml_faults(body, status, tid)
    if not isinstance(body, dict):
        return ()
    envelope = body.get("Fault") or body.get("fault")
    if not isinstance(envelope, Mapping):
        return ()
    return _fault_entries(envelope, status, tid)


def _fault_entries(
    envelope: Mapping[str, Any], status: int, tid: str | None
) -> tuple[QboFault, ...]:
    """The `Error` list of a `Fault` object (or `error`, in the gateway's envelope)."""
    entries = envelope.get("Error", envelope.get("error"))
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        return ()
    faults = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        fields = {str(key).lower(): value for key, value in entry.items()}
        faults.append(
            QboFault(
                status=status,
                code=_text(fields.get("code")),
                message=_text(fields.get("message")),
                detail=_text(fields.get("detail")),
                element=_text(fields.get("element")) or None,
                intuit_tid=tid,
            )
        )
    return tuple(faults)


def _xml_faults(root: ElementTree.Element, status: int, tid: str | None) -> tuple[QboFault, ...]:
    """`<IntuitResponse><Fault type=...><Error code=... element=...><Message/><Detail/>`."""
    faults = []
    for element in root.iter():
        if _local(element.tag) != "Error":
            continue
        children = {_local(child.tag): (child.text or "").strip() for child in element}
        faults.append(
            QboFault(
                status=status,
                code=element.get("code", ""),
                message=children.get("Message", ""),
                detail=children.get("Detail", ""),
                element=element.get("element") or None,
                intuit_tid=tid,
            )
        )
    return tuple(faults)


def _synthetic(status: int, text: str, tid: str | None) -> QboFault:
    """A fault for an answer that names none (an HTML error page, an empty body...)."""
    detail = " ".join(text.split())[:_DETAIL_LIMIT]
    return QboFault(status, "", f"HTTP {status}", detail, None, tid)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(value: Any) -> str:
    return "" if value is None else str(value)
