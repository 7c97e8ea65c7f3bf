"""The only code that sends HTTP to an app's own URL (a connection's `events_url`).

    reason = check(url, allowed)                    # when the setting is made: None, or why not
    status = post(url, body, headers, allowed=...)  # every delivery: the receiver's status

Both resolve the URL's host and apply `core.destinations`: https only (http to hosts the
operator allows), and every address public. `post` then connects to the very address it checked
(the request goes to that IP, with the URL's host in `Host` and, for https, as the TLS server
name the certificate is verified against), so a name that resolves to a public address when
checked and to 127.0.0.1 a moment later (DNS rebinding) cannot slip through. Redirects are never
followed: a 3xx is an answer like any other non-2xx, and the events wait.

Errors, translated here and nowhere else:

    DeliveryError           the events were not delivered; try again later
     +-- Refused            the destination breaks the rule (`reason` says how)
     +-- Unreachable        DNS, connection, TLS or timeout: httpx's errors
"""

from __future__ import annotations

import socket
from collections.abc import Mapping

import httpx

from ledgerbridge.adapters.tls import default_context
from ledgerbridge.core.destinations import Destination, destination, refused_address

__all__ = ["DeliveryError", "Refused", "Unreachable", "check", "post"]


class DeliveryError(Exception):
    """The events were not delivered."""


class Refused(DeliveryError):
    """The destination is not one events may go to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unreachable(DeliveryError):
    """The receiver could not be reached (name, connection, TLS, time)."""


def _addresses(target: Destination) -> list[str]:
    """Every address the host resolves to, in the resolver's order; raises socket.gaierror."""
    found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _judge(url: str, allowed: frozenset[str]) -> tuple[Destination, list[str]]:
    """The destination and its checked addresses (none for an allowed host); raises Refused,
    or Unreachable when the name does not resolve."""
    target = destination(url, allowed)
    if isinstance(target, str):
        raise Refused(target)
    if target.allowed:
        return target, []
    try:
        addresses = _addresses(target)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unreachable(f"{target.host} does not resolve: {exc}") from None
    for address in addresses:
        reason = refused_address(address)
        if reason is not None:
            raise Refused(reason)
    return target, addresses


def check(url: str, allowed: frozenset[str]) -> str | None:
    """Why events may not go to `url` now, or None. A name that does not resolve yet is not
    refused here (an app may set its URL before its DNS exists): each delivery checks again."""
    try:
        _judge(url, allowed)
    except Refused as refused:
        return refused.reason
    except Unreachable:
        return None
    return None


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allowed: frozenset[str],
    transport: httpx.BaseTransport | None = None,
    timeout: float = 5.0,
) -> int:
    """POST `body` to `url` if it may go there, to the address checked; the answer's status."""
    target, addresses = _judge(url, allowed)
    request_url = httpx.URL(url)
    sent = dict(headers)
    extensions: dict[str, object] = {}
    if addresses:  # pinned: connect to the address checked, not to a fresh resolution
        sent["Host"] = request_url.netloc.decode("ascii")
        request_url = request_url.copy_with(host=addresses[0])
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
    try:
        with httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            verify=default_context(),
        ) as http:
            response = http.post(request_url, content=body, headers=sent, extensions=extensions)
    except httpx.HTTPError as exc:
        raise Unreachable(f"{target.host}: {exc}") from None
    return response.status_code
