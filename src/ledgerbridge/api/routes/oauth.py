"""Connecting a company: the consent redirect and Intuit's callback.

`GET /v1/connections/{cid}/connect` sends the person (302) to QuickBooks' consent page, with a
fresh `state`; scripts can ask `?format=json` for the URL instead. QuickBooks sends the person
back to `GET /v1/oauth/callback?code&state&realmId`, which needs no API key (the state is the
credential) and answers a small HTML page, since a person in a browser reads it; a person who
started from the dashboard is sent back to it instead (`app.state.oauth_return`).
"""

from __future__ import annotations

import html
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ledgerbridge.adapters.qbo import QuickBooksError
from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS, ApiError, ErrorResponse
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.engine.service import Invalid

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
        200: {"description": "With format=json: the consent page's URL", "model": ConnectUrl},
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
        Query(alias="format", description="json: answer the URL instead of redirecting"),
    ] = "redirect",
) -> Response:
    try:
        url = service.connect_url(key_id, connection_id)
    except (Invalid, QuickBooksError):
        raise
    except ValueError as exc:  # no app credentials for this environment: the server's set-up
        raise ApiError(409, "connection.not_configured", str(exc)) from None
    if answer == "json":
        return JSONResponse({"url": url})
    return RedirectResponse(url, status_code=302)


@router.get(
    "/v1/oauth/callback",
    summary="Where QuickBooks sends the person back (no API key: the state is the credential)",
    response_class=HTMLResponse,
    responses={
        400: {"description": "Unknown state, or the person declined", **_HTML},
        409: {"description": "Connected to another company than the connection's", **_HTML},
        422: {"model": ErrorResponse, "description": "A parameter is not valid text"},
        502: {"description": "QuickBooks refused the sign-in", **_HTML},
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
    if error:
        return _back(request, state, "declined") or _page(
            400, "Not connected", f"QuickBooks did not connect the company: {error}."
        )
    if not (state and code and realm_id):
        return _page(400, "Not connected", "The link lacks its code, state or realmId.")
    try:
        view = service.complete_connect(state, code, realm_id)
    except Invalid:
        text = "This sign-in link is unknown or was already used. Start connecting again."
        return _back(request, state, "unknown") or _page(400, "Not connected", text)
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
