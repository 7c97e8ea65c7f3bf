"""What the Web Connector's reports mean for a QuickBooks Desktop connection (pure).

    reported(hresult, message) -> code     # connectionError / an hresult -> a catalog code
    silent_after(settings) -> timedelta    # how long without a call before it is "silent"
    is_silent(last_contact, now, after)    # has the Web Connector gone quiet?
    refused_enough(refusals)               # is the wrong password worth showing yet?
    newest_qbxml(versions) -> str | None   # the highest qbXML version the host answer lists
    too_old(version) -> bool               # below MIN_QBXML: ledgerbridge cannot work with it

The Web Connector on the PC calls ledgerbridge on the .qwc file's schedule (`RUN_EVERY_MINUTES`);
what it reports comes as a COM error (an HRESULT such as ``0x80040408``) and QuickBooks' text
(shared/qbd-reference.md §5). Each known one names a catalog entry of its own, worded for the
person at the PC; anything else is `CONNECTION_WEB_CONNECTOR_ERROR`, with the message verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from ledgerbridge.core import catalog

__all__ = [
    "DEFAULT_SILENT_MINUTES",
    "MAX_SILENT_MINUTES",
    "MIN_QBXML",
    "MIN_SILENT_MINUTES",
    "OUTCOMES",
    "REFUSED_AFTER",
    "RUN_EVERY_MINUTES",
    "SESSION_CODES",
    "SILENT_AFTER_RUNS",
    "SILENT_SETTING",
    "is_silent",
    "newest_qbxml",
    "refused_enough",
    "reported",
    "silent_after",
    "too_old",
]

RUN_EVERY_MINUTES: Final = 15
"""The .qwc file's Scheduler/RunEveryNMinutes (`engine.desktop.lookups.EVERY`)."""
SILENT_AFTER_RUNS: Final = 3
"""Updates missed in a row before the connection says the Web Connector is silent: one missed
update is a PC busy or a session postponed; three are a PC off or a Web Connector closed
(qbd-reference §5: alert past 2-3 times the interval)."""
DEFAULT_SILENT_MINUTES: Final = RUN_EVERY_MINUTES * SILENT_AFTER_RUNS
MIN_SILENT_MINUTES: Final = RUN_EVERY_MINUTES
MAX_SILENT_MINUTES: Final = 7 * 24 * 60
SILENT_SETTING: Final = "web_connector_silent_minutes"
"""The connection setting: minutes without a call from the Web Connector before it is silent."""

REFUSED_AFTER: Final = 2
"""Refused passwords in a row before the connection shows it: the Web Connector keeps the
password it was given and sends it at every update, so a wrong one is refused every time; a
single refusal may be a password being changed while an update ran."""

SESSION_CODES: Final = frozenset(
    {
        catalog.CONNECTION_QUICKBOOKS_CLOSED,
        catalog.CONNECTION_SINGLE_USER_NEEDED,
        catalog.CONNECTION_QUICKBOOKS_ACCESS_DENIED,
        catalog.CONNECTION_WEB_CONNECTOR_ERROR,
        catalog.CONNECTION_WRONG_COMPANY,
        catalog.CONNECTION_QUICKBOOKS_TOO_OLD,
    }
)
"""The problems a session reports about the PC; a session that opens the connection's company
file (in a QuickBooks new enough, `too_old`) clears them."""

MIN_QBXML: Final = (8, 0)
"""The oldest qbXML ledgerbridge works with: ExternalGUID on every Add (how a lost answer is
settled by a look-up instead of a second Add) and ClassMod need 8.0 (QuickBooks 2009)."""
_VERSION: Final = re.compile(r"(\d{1,3})\.(\d{1,3})")

OUTCOMES: Final[Mapping[str, str]] = {
    "done": "Finished: QuickBooks is up to date",
    "nothing_to_do": "Nothing to send",
    "busy": "Postponed: another update of this connection was still running",
    "password_refused": "Refused: the Web Connector's password is not the right one",
    "failed": "Stopped: QuickBooks or the Web Connector reported a problem",
    "disconnected": "Refused: the connection is disconnected; make a new Web Connector "
    "password to connect it again",
}
"""How the last session ended (stored as the key), in words."""

# HRESULTs of QuickBooks' request processor seen through the Web Connector (qbd-reference §5)
_BY_HRESULT: Final[Mapping[str, str]] = {
    "0x80040401": catalog.CONNECTION_QUICKBOOKS_CLOSED,  # could not access QuickBooks
    "0x80040408": catalog.CONNECTION_QUICKBOOKS_CLOSED,  # could not start QuickBooks
    "0x80040416": catalog.CONNECTION_QUICKBOOKS_CLOSED,  # not running: a file name is needed
    "0x80040409": catalog.CONNECTION_WRONG_COMPANY,  # another company file is open
    "0x80040422": catalog.CONNECTION_SINGLE_USER_NEEDED,  # single-user mode needed
    "0x80040420": catalog.CONNECTION_QUICKBOOKS_ACCESS_DENIED,  # the user denied access
}
# the Web Connector's own messages and QuickBooks' texts, when no known HRESULT comes with them
_BY_TEXT: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"single[ -]user", re.I), catalog.CONNECTION_SINGLE_USER_NEEDED),
    (
        re.compile(r"denied access|access (is|was) denied", re.I),
        catalog.CONNECTION_QUICKBOOKS_ACCESS_DENIED,
    ),
    (re.compile(r"different from the one requested", re.I), catalog.CONNECTION_WRONG_COMPANY),
    (
        re.compile(
            r"QBWC10(07|08|09|13)\b|could not start QuickBooks|QuickBooks is not running|"
            r"could not access QuickBooks|no company (data )?file (is )?open",
            re.I,
        ),
        catalog.CONNECTION_QUICKBOOKS_CLOSED,
    ),
)
_HRESULT: Final = re.compile(r"0x[0-9a-f]{8}", re.I)


def reported(hresult: str, message: str) -> str:
    """The catalog code of what the Web Connector reported (connectionError, or an hresult
    passed to receiveResponseXML): the first known HRESULT in either, then QuickBooks' words,
    else `CONNECTION_WEB_CONNECTOR_ERROR`."""
    for found in _HRESULT.finditer(f"{hresult or ''} {message or ''}"):
        if found.group(0).lower() in _BY_HRESULT:
            return _BY_HRESULT[found.group(0).lower()]
    for pattern, code in _BY_TEXT:
        if pattern.search(message or "") or pattern.search(hresult or ""):
            return code
    return catalog.CONNECTION_WEB_CONNECTOR_ERROR


def silent_after(settings: Mapping[str, Any]) -> timedelta:
    """The connection's `SILENT_SETTING` (minutes; a value that is not a whole number in range
    counts as the default)."""
    value = settings.get(SILENT_SETTING)
    if type(value) is not int or not MIN_SILENT_MINUTES <= value <= MAX_SILENT_MINUTES:
        value = DEFAULT_SILENT_MINUTES
    return timedelta(minutes=value)


def is_silent(last_contact: datetime | None, now: datetime, after: timedelta) -> bool:
    """Whether a Web Connector last heard from at `last_contact` is silent at `now`; one never
    heard from is not (the connection is not set up yet: its page says how)."""
    return last_contact is not None and now - last_contact >= after


def refused_enough(refusals: int) -> bool:
    return refusals >= REFUSED_AFTER


def _parsed(version: str) -> tuple[int, int] | None:
    found = _VERSION.fullmatch(version.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def newest_qbxml(versions: Iterable[str]) -> str | None:
    """The highest plain qbXML version (``13.0``) among those the host answer lists; None when
    none is one (regional ones such as ``CA3.0`` are not US qbXML and are left out)."""
    known = [(parsed, v.strip()) for v in versions if (parsed := _parsed(v)) is not None]
    return max(known)[1] if known else None


def too_old(version: str | None) -> bool:
    """Whether a reported qbXML version is below `MIN_QBXML`; an unknown or unreadable one is
    not (nothing is refused on a guess: QuickBooks' parser would say so itself)."""
    parsed = _parsed(version) if version else None
    return parsed is not None and parsed < MIN_QBXML


def app_url_refusal(url: str) -> str | None:
    """Why the Web Connector would refuse a .qwc naming `url` as its AppURL, for a person; None
    when it takes it. It talks to https:// addresses only, or http:// on localhost (a service
    on the PC itself): "QBWC1010" otherwise (the Programmer's Guide, p.35 and App. A)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    if scheme.lower() == "https" and host:
        return None
    if scheme.lower() == "http" and host.lower() == "localhost":
        return None
    return (
        f"The Web Connector refuses a .qwc file naming {url} (QBWC1010): it talks only to "
        "https:// addresses, or to http://localhost on the QuickBooks PC itself. Open this "
        "page through ledgerbridge's https:// address (behind a proxy, the proxy must pass "
        "X-Forwarded-Proto: https) and download the file again."
    )
