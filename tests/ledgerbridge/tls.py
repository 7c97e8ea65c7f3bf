"""One TLS context for the tests' own HTTP clients.

httpx loads the whole CA bundle for every client made without a transport or a context (about
20 ms of CPU, several times that on a busy machine), though the suites' clients speak plain
HTTP to 127.0.0.1. Clients a fixture makes take this one instead (`verify=shared_tls()`): the
same default verification, loaded once per session.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["shared_tls"]


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """httpx's default TLS context (its CA bundle), made once."""
    return httpx.create_ssl_context()
