"""Where ledgerbridge may send a connection's events: the rule, without the network.

An app sets `events_url` and the server POSTs signed batches there. Left unchecked, any API key
could aim those POSTs inward: at the server's own ports (`http://127.0.0.1:5432/`), a cloud's
metadata service (`http://169.254.169.254/`), or machines on the private network. The rule:

- the URL is `https://`; `http://` only to a host the operator allows
  (`LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS`), no user or password in it;
- every address its host resolves to is public: not loopback, link-local, private, shared
  (100.64/10), multicast, reserved or unspecified, in IPv4 or IPv6, also when IPv4 hides in
  IPv6 (`::ffff:127.0.0.1`, NAT64, 6to4, Teredo);
- a host the operator allows is exempt from the address rule too: that allowance is how a
  receiver on the same machine or network (tests, a sidecar) stays possible.

`destination(url, allowed)` checks the URL's form; `refused_address(address)` one resolved
address. Resolving the name and connecting to the address checked is the adapter's
(`adapters.events`), at setting time and again at every delivery.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Destination", "allowance", "destination", "host_key", "refused_address"]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not global either
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 behind a NAT64 gateway: the last 32 bits
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Destination:
    """A URL events may go to, as far as its form says."""

    url: str
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    allowed: bool  # the operator allows this host: http, and any address


def host_key(host: str) -> str:
    """A host as the allowance compares it: lower case, no brackets, no trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def allowance(entry: str) -> str:
    """An entry of the operator's list as `destination` compares it: a host (any port), or a
    host and one port (`localhost:8080`, `[::1]:8080`), which is the safer grant: allowing
    `localhost` also lets an events_url reach the database's port on it."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, ""
    return _keyed(host_key(host), int(port)) if port.isdigit() else host_key(entry)


def _keyed(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def destination(url: str, allowed: frozenset[str]) -> Destination | str:
    """The URL's destination, or why events may not go there (a phrase: "must be https")."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return "must be an https URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    host = host_key(parts.hostname or "")
    if not host:
        return "must name a host"
    default = 443 if scheme == "https" else 80
    is_allowed = host in allowed or _keyed(host, port or default) in allowed
    if scheme == "http" and not is_allowed:
        return (
            "must be https (http only to a host the operator allows in "
            "LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS)"
        )
    return Destination(url, scheme, host, port or default, is_allowed)


def refused_address(address: str) -> str | None:
    """Why events may not go to this IP address, or None for a public one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone is no escape
    except ValueError:
        return f"resolves to {address}, which is not an IP address"
    for embedded in _embedded_ipv4(ip):
        reason = refused_address(str(embedded))
        if reason is not None:
            return reason
    if ip.is_loopback:
        return f"resolves to a loopback address ({ip})"
    if ip.is_link_local:
        return f"resolves to a link-local address ({ip})"
    if ip.is_private or ip in _SHARED:
        return f"resolves to a private address ({ip})"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"resolves to an address that is not public ({ip})"
    return None


def _embedded_ipv4(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.teredo is not None:
        found += list(ip.teredo)
    return [v4 for v4 in found if v4 is not None]
