"""The TLS context of every outgoing HTTPS client (QuickBooks, Intuit's OAuth server, the app's
events_url), made once per process.

httpx builds a new context, reading every trusted certificate, for each client made without
one: tens of milliseconds of CPU, paid on every event delivery and every token exchange when
each made its own client. The verification is httpx's default either way.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["default_context"]


@functools.cache
def default_context() -> ssl.SSLContext:
    """httpx's default TLS context (the certificates it trusts), made once."""
    return httpx.create_ssl_context()
