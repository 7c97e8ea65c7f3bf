"""Connecting a company: the consent redirect, the link for scripts, and Intuit's callback.

`GET /v1/connections/{cid}/connect` sends the caller (302) to QuickBooks' consent page with a
fresh `state`, and sets the cookie that binds the sign-in to the browser that follows it
(`ledgerbridge.consent_cookie`). A script asks `?format=json` instead: the answer's `url` is a
one-time link, `/v1/oauth/start?state=...`, for the script to send its person's browser to; the
first browser that opens it gets the cookie and goes on to QuickBooks. QuickBooks sends the
person back to `GET /v1/oauth/callback?code&state&realmId`, which needs no API key (the state
and the cookie are the credential; `engine.connecting` says what else guards them) and answers a
small HTML page, since a person in a browser reads it; a person who started from the dashboard
is sent back to it instead (`app.state.oauth_return`). The access log never shows these URLs'
query strings (`api.logs`).

`GET /v1/oauth/reconnect?realmId=...` is the page to register at Intuit as the app's Reconnect
URL (and the link the `connection.reconnect_soon` warning shows): no API key, like the callback;
for the one connection of that company that needs a reconnect it starts the same sign-in as
`connect` (cookie and all), bound to that company (`engine.connecting.reconnect`); anything
else gets a plain page."""

from __future__ import annotations

import html
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ledgerbridge import consent_cookie as signin
from ledgerbridge.adapters.qbo import QuickBooksError
from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS, ApiError, ErrorResponse
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.core.text import refused
from ledgerbridge.engine.errors import Invalid

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["oauth"])

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}


class ConnectUrl(BaseModel):
    url: str = Field(description="QuickBooks' consent page for this connection")


def _page(status: int, title: str, text: str) -> HTMLResponse:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text))
    return HTMLResponse(body, status_code=status)


@router.get(
    "/v1/connections/{connection_id}/connect",
    summary="Go to QuickBooks to connect a company",
    status_code=302,
    response_class=RedirectResponse,  # the 302 has no body (a JSON one was documented)
    response_model=None,
    responses={
        **ERRORS,
        302: {"description": "Redirect to QuickBooks' consent page (`Location`)"},
        200: {
            "description": "With format=json: a link to the consent page that opens once",
            "model": ConnectUrl,
        },
        409: {
            "model": ErrorResponse,
            "description": "This server has no QuickBooks app for the connection's environment",
        },
    },
)
def connect(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    answer: Annotated[
        Literal["redirect", "json"],
        Query(alias="format", description="json: answer a one-time link instead of redirecting"),
    ] = "redirect",
) -> Response:
    try:
        if answer == "json":
            return JSONResponse({"url": service.connect_link(key_id, connection_id)})
        consent = service.begin_connect(key_id, connection_id)
    except (Invalid, QuickBooksError):
        raise
    except ValueError as exc:  # no app credentials for this environment: the server's set-up
        raise ApiError(409, "connection.not_configured", str(exc)) from None
    response = RedirectResponse(consent.authorize_url, status_code=302)
    signin.keep(response, consent)
    return response


_REALM = re.compile(r"[0-9]{1,32}")
_NOTHING_TO_RECONNECT = (
    "There is nothing to reconnect here for this QuickBooks company: it is connected and "
    "working, or not connected through this server. If it should be, reconnect from the app "
    "or from ledgerbridge's dashboard."
)


@router.get(
    "/v1/oauth/reconnect",
    summary="The app's Reconnect URL: QuickBooks' sign-in again for the company (no API key)",
    response_class=HTMLResponse,
    status_code=302,
    responses={
        302: {"description": "Redirect to QuickBooks' consent page, with the sign-in cookie"},
        400: {"description": "The realmId is missing or is not a company id", **_HTML},
        404: {"description": "No connection of this company needs a reconnect", **_HTML},
        422: {"model": ErrorResponse, "description": "A parameter is not valid text"},
    },
)
def reconnect(
    service: ServiceDep, realm_id: Annotated[str, Query(alias="realmId")] = ""
) -> Response:
    if refused(realm_id) is not None or not _REALM.fullmatch(realm_id):
        return _page(400, "Not reconnected", "The link does not name a QuickBooks company.")
    try:
        consent = service.reconnect(realm_id)
    except ValueError:  # no app credentials for the connection's environment
        consent = None
    if consent is None:
        return _page(404, "Nothing to reconnect", _NOTHING_TO_RECONNECT)
    response = RedirectResponse(consent.authorize_url, status_code=302)
    signin.keep(response, consent)
    return response


_UNKNOWN = "This sign-in link is unknown, expired or was already used. Start connecting again."


@router.get(
    "/v1/oauth/start",
    summary="Where a script sends its person's browser (the link of connect?format=json)",
    response_class=HTMLResponse,
    status_code=302,
    responses={
        302: {"description": "Redirect to QuickBooks' consent page, with the sign-in cookie"},
        400: {"description": "The link is unknown, expired or was opened before", **_HTML},
        422: {"model": ErrorResponse, "description": "A parameter is not valid text"},
    },
)
def start(service: ServiceDep, state: str = "") -> Response:
    consent = service.bind_connect(state) if state and refused(state) is None else None
    if consent is None:
        return _page(400, "Not connected", _UNKNOWN)
    response = RedirectResponse(consent.authorize_url, status_code=302)
    signin.keep(response, consent)
    return response


@router.get(
    "/v1/oauth/callback",
    summary="Where QuickBooks sends the person back (no API key: the state is the credential)",
    response_class=HTMLResponse,
    responses={
        400: {
            "description": "Unknown, expired, used or another browser's state, or declined",
            **_HTML,
        },
        409: {"description": "Connected to another company than the connection's", **_HTML},
        422: {"model": ErrorResponse, "description": "A parameter is not valid text"},
        502: {"description": "QuickBooks refused the code or could not be asked", **_HTML},
    },
)
def oauth_callback(
    request: Request,
    service: ServiceDep,
    state: str = "",
    code: str = "",
    realm_id: Annotated[str, Query(alias="realmId")] = "",
    error: str | None = None,
) -> Response:
    if any(refused(value) for value in (state, code, realm_id, error or "")):
        return _page(400, "Not connected", "The link is damaged: start connecting again.")
    answer = _completed(request, service, state, code, realm_id, error)
    if state:
        signin.forget(request, answer, state)
    return answer


def _completed(
    request: Request, service: ServiceDep, state: str, code: str, realm_id: str, error: str | None
) -> Response:
    if error:
        return _back(request, state, "declined") or _page(
            400, "Not connected", f"QuickBooks did not connect the company: {error}."
        )
    if not (state and code and realm_id):
        return _page(400, "Not connected", "The link lacks its code, state or realmId.")
    try:
        view = service.complete_connect(state, code, realm_id, signin.kept(request, state))
    except Invalid as invalid:
        if invalid.problems[0].field == "realmId":
            text = f"{invalid.problems[0].message}. Start connecting again."
            return _back(request, state, "unconfirmed") or _page(400, "Not connected", text)
        return _back(request, state, "unknown") or _page(400, "Not connected", _UNKNOWN)
    except QuickBooksError as exc:
        return _back(request, state, "failed") or _page(
            502, "Not connected", f"QuickBooks refused the sign-in: {exc}"
        )
    company = view.company_name or f"QuickBooks company {view.realm_id}"
    if view.status != "active":
        text = f"{company} is not the company this connection belongs to ({view.status})."
        return _back(request, state, view.status) or _page(409, "Not connected", text)
    return _back(request, state, "connected") or _page(
        200, f"Connected to {company}", "You can close this page."
    )


def _back(request: Request, state: str, outcome: str) -> Response | None:
    """A person who started connecting in the dashboard goes back to it (the dashboard sets
    `app.state.oauth_return`, which recognises its own browser); anyone else gets the page."""
    back = getattr(request.app.state, "oauth_return", None)
    if back is None:
        return None
    answer: Response | None = back(request, state, outcome)
    return answer
