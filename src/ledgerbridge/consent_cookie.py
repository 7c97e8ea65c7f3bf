"""The browser's half of a sign-in's binding (`engine.connecting`): a cookie with its secret.

The cookie is named after the state (a browser may have several sign-ins under way), scoped to
the callback's path, HttpOnly, SameSite=Lax (Intuit sends the person back with a top-level GET,
on which Lax cookies travel), Secure when the callback is https, and lives as long as the state.
Whoever set it (the API's connect redirect, `/v1/oauth/start`, the dashboard) is the browser
the callback accepts.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response

from ledgerbridge.engine.connecting import STATE_LIFETIME, Consent

__all__ = ["forget", "keep", "kept"]

PREFIX = "lb_signin_"


def _name(state: str) -> str:
    return PREFIX + hashlib.sha256(state.encode()).hexdigest()[:24]


def keep(response: Response, consent: Consent) -> None:
    """Have the browser that receives `response` keep the sign-in's secret."""
    if consent.binding is None:
        raise ValueError("the sign-in is not bound to a browser yet")
    callback = urlparse(consent.callback)
    response.set_cookie(
        _name(consent.state),
        consent.binding,
        max_age=int(STATE_LIFETIME.total_seconds()),
        path=callback.path or "/",
        httponly=True,
        samesite="lax",
        secure=callback.scheme == "https",
    )


def kept(request: Request, state: str) -> str:
    """The secret this browser keeps for `state` ("" when none)."""
    return request.cookies.get(_name(state), "")


def forget(request: Request, response: Response, state: str) -> None:
    """The callback is done with the sign-in: the browser may drop its secret."""
    if _name(state) in request.cookies:
        response.delete_cookie(_name(state), path=request.url.path, httponly=True, samesite="lax")
