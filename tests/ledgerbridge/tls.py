"""One TLS context, and one timeout, for the tests' own HTTP clients.

httpx loads the whole CA bundle for every client made without a transport or a context (about
20 ms of CPU, several times that on a busy machine), though the suites' clients speak plain
HTTP to 127.0.0.1. Clients a fixture makes take this one instead (`verify=shared_tls()`): the
same default verification, loaded once per session.

httpx gives up on a request after 5 s by default; on a loaded CI machine the emulator or an
API served from a thread can take longer than that to answer, which is no failure of theirs.
The clients of the suites over sockets wait `HTTP_TIMEOUT` instead (a hang is still caught by
pytest-timeout).
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["HTTP_TIMEOUT", "shared_tls"]

HTTP_TIMEOUT = httpx.Timeout(60.0)
"""How long the tests' own requests over a socket wait for an answer."""


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """httpx's default TLS context (its CA bundle), made once."""
    return httpx.create_ssl_context()
