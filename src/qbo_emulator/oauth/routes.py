"""The HTTP face of the OAuth server: Intuit's discovery, authorize, token, revoke, userinfo and
JWKS endpoints as Starlette routes. Every URL a response names is built from the URL the request
came in on, so the emulator works on any host and port.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .consent import PAGE_HEADERS, render_consent, render_error
from .server import AuthorizeError, OAuthError, discovery_document

if TYPE_CHECKING:
    from .server import OAuthServer

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Asked on a token request, the answer also tells the seconds left of the authorization's
# maximum life (`x_refresh_token_hard_expires_in`); both names are assumed (docs/emulator.md).
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
_AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _form_fields(request: Request) -> dict[str, str]:
    async with request.form() as form:
        return {key: value for key, value in form.items() if isinstance(value, str)}


def _client_credentials(
    authorization: str | None, fields: dict[str, str]
) -> tuple[str | None, str | None]:
    """Client id and secret from HTTP Basic, else from the body (client_secret_post)."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else (None, None)
    return fields.get("client_id"), fields.get("client_secret")


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name)
    if not value:
        raise OAuthError(400, "invalid_request", f"Missing parameter: {name}")
    return value


def _error_response(exc: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401 and exc.error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="Intuit"'
    elif exc.status in (401, 403):
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


class _Endpoints:
    def __init__(self, server: OAuthServer) -> None:
        self.server = server

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(discovery_document(_base_url(request)))

    async def keys(self, request: Request) -> Response:
        return JSONResponse(self.server.jwks())

    async def authorize(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                return self._consent_submitted(await _form_fields(request))
            return self._authorize_get(request)
        except AuthorizeError as exc:
            return _page(render_error(exc.message), status=400)

    def _authorize_get(self, request: Request) -> Response:
        query = request.query_params
        repeated = [name for name in _AUTHORIZE_PARAMS if len(query.getlist(name)) > 1]
        if repeated:
            raise AuthorizeError(f"Parameter repeated: {', '.join(repeated)}.")
        params = dict(query.items())
        auth = self.server.check_authorize(params)
        approve = params.get("approve")
        if approve is not None:
            if approve.lower() in _TRUE:
                return _redirect(self.server.approve(auth, params.get("realm_id", "")))
            if approve.lower() in _FALSE:
                return _redirect(self.server.deny(auth))
            raise AuthorizeError("approve must be true or false.")
        nonce = self.server.open_consent(auth)
        companies = self.server.company_names()
        return _page(render_consent(auth, companies, nonce, action=request.url.path))

    def _consent_submitted(self, fields: dict[str, str]) -> Response:
        auth = self.server.submit_consent(fields)
        action = fields.get("action")
        if action == "connect":
            return _redirect(self.server.approve(auth, fields.get("realm_id", "")))
        if action == "cancel":
            return _redirect(self.server.deny(auth))
        raise AuthorizeError("Choose Connect or Cancel.")

    async def token(self, request: Request) -> Response:
        fields = await _form_fields(request)
        try:
            client_id, secret = _client_credentials(request.headers.get("authorization"), fields)
            app = self.server.authenticate_client(client_id, secret)
            grant_type = _required(fields, "grant_type")
            hard = request.headers.get(HARD_EXPIRY_HEADER, "").strip().lower() == "true"
            if grant_type == "authorization_code":
                code = _required(fields, "code")
                redirect_uri = _required(fields, "redirect_uri")
                issuer = discovery_document(_base_url(request))["issuer"]
                tokens = self.server.exchange_code(app, code, redirect_uri, issuer, hard=hard)
            elif grant_type == "refresh_token":
                tokens = self.server.refresh(app, _required(fields, "refresh_token"), hard=hard)
            else:
                raise OAuthError(400, "unsupported_grant_type")
        except OAuthError as exc:
            return _error_response(exc)
        return JSONResponse(tokens.to_json(), headers=NO_STORE)

    async def revoke(self, request: Request) -> Response:
        try:
            fields = await self._revoke_fields(request)
            client_id, secret = _client_credentials(request.headers.get("authorization"), fields)
            app = self.server.authenticate_client(client_id, secret)
            self.server.revoke(app, _required(fields, "token"))
        except OAuthError as exc:
            return _error_response(exc)
        return Response(status_code=200, headers=NO_STORE)

    @staticmethod
    async def _revoke_fields(request: Request) -> dict[str, str]:
        """Intuit takes a JSON body; a form body (RFC 7009) is accepted as well."""
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return await _form_fields(request)
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(400, "invalid_request", "The body is not valid JSON") from None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The body must be a JSON object")
        return {str(key): value for key, value in body.items() if isinstance(value, str)}

    async def userinfo(self, request: Request) -> Response:
        try:
            claims = self.server.userinfo(request.headers.get("authorization"))
        except OAuthError as exc:
            return _error_response(exc)
        return JSONResponse(claims, headers=NO_STORE)


def build_routes(server: OAuthServer) -> list[BaseRoute]:
    endpoints = _Endpoints(server)
    return [
        *[
            Route(f"/.well-known/{name}{slash}", endpoints.discovery, methods=["GET"])
            for name in ("openid_configuration", "openid_sandbox_configuration")
            for slash in ("", "/")
        ],
        Route("/connect/oauth2", endpoints.authorize, methods=["GET", "POST"]),
        Route("/oauth2/v1/tokens/bearer", endpoints.token, methods=["POST"]),
        Route("/v2/oauth2/tokens/revoke", endpoints.revoke, methods=["POST"]),
        Route("/v1/openid_connect/userinfo", endpoints.userinfo, methods=["GET", "POST"]),
        Route("/oauth2/v1/keys", endpoints.keys, methods=["GET"]),
    ]
