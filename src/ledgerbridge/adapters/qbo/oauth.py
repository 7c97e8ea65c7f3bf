"""OAuth 2.0 with Intuit: discovery, the consent URL, code exchange, refresh and revocation.

    endpoints = discover(discovery_url("production"))
    url = authorize_url(endpoints, client_id, redirect_uri, state)    # send the person there
    grant = exchange_code(endpoints, client_id, client_secret, code, redirect_uri)
    grant = refresh(endpoints, client_id, client_secret, grant.refresh_token)

Errors are those of `errors`: a refused grant (`invalid_grant`: expired, revoked, reused or
already-rotated token; `invalid_client`: wrong app credentials) is `Disconnected`; network
failures and 5xx are `Unavailable` (ambiguous for the calls that change tokens, since a lost
answer may hide a rotation). Client secrets and tokens never appear in a `repr` or an error
message. Each call opens and closes its own `httpx.Client` on `transport` (tests swap it).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from ledgerbridge.adapters.qbo.client import Environment
from ledgerbridge.adapters.qbo.errors import Unavailable, translate
from ledgerbridge.adapters.tls import default_context

__all__ = [
    "ACCOUNTING_SCOPE",
    "OPENID_SCOPE",
    "OAuthEndpoints",
    "TokenGrant",
    "authorize_url",
    "discover",
    "discovery_url",
    "exchange_code",
    "granted_realm",
    "refresh",
    "revoke",
]

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
OPENID_SCOPE = "openid"  # adds an id_token, whose `realmid` claim names the company granted
PRODUCTION_DISCOVERY = "https://developer.intuit.com/.well-known/openid_configuration/"
SANDBOX_DISCOVERY = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
TIMEOUT = 30.0
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    """The URLs of Intuit's authorization server, from its discovery document."""

    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    issuer: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """Tokens from the token endpoint; the tokens themselves stay out of `repr`.

    `realm_id` is the company the grant is for, as the id_token's `realmid` claim says (only
    when the openid scope was granted; None otherwise, and after a refresh)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime
    realm_id: str | None = None


def discovery_url(environment: Environment, emulator_url: str | None = None) -> str:
    """Where the discovery document of an environment lives."""
    if environment == "production":
        return PRODUCTION_DISCOVERY
    if environment == "sandbox":
        return SANDBOX_DISCOVERY
    if environment == "emulator":
        if not emulator_url:
            raise ValueError("the emulator environment needs the emulator's URL")
        return f"{emulator_url.rstrip('/')}/.well-known/openid_configuration"
    raise ValueError(f"unknown environment {environment!r}")


def discover(
    url: str, transport: httpx.BaseTransport | None = None, *, timeout: float = TIMEOUT
) -> OAuthEndpoints:
    """Read a discovery document. `ValueError` when it lacks an endpoint this module needs."""
    document = _call("GET", url, transport=transport, timeout=timeout, write=False)
    missing = [
        name
        for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint")
        if not isinstance(document.get(name), str)
    ]
    if missing:
        raise ValueError(f"the discovery document at {url} lacks {', '.join(missing)}")

    def optional(name: str) -> str | None:
        value = document.get(name)
        return value if isinstance(value, str) else None

    return OAuthEndpoints(
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        revocation_endpoint=document["revocation_endpoint"],
        issuer=optional("issuer"),
        userinfo_endpoint=optional("userinfo_endpoint"),
        jwks_uri=optional("jwks_uri"),
    )


def authorize_url(
    endpoints: OAuthEndpoints,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Sequence[str] = (ACCOUNTING_SCOPE,),
) -> str:
    """The consent page URL. Intuit sends the person back to `redirect_uri` with `code`,
    `state` (check it is yours) and `realmId` (the company chosen)."""
    if not state:
        raise ValueError("state is required: it ties the callback to this request")
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": " ".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    separator = "&" if "?" in endpoints.authorization_endpoint else "?"
    return f"{endpoints.authorization_endpoint}{separator}{query}"


def exchange_code(
    endpoints: OAuthEndpoints,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = TIMEOUT,
    clock: Clock = _utcnow,
) -> TokenGrant:
    """Trade the authorization code from the callback for the first tokens (codes are single
    use and short-lived: a reused or late code is `Disconnected`)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return _token_request(endpoints, client_id, client_secret, form, transport, timeout, clock)


def granted_realm(id_token: object, client_id: str, issuer: str | None) -> str | None:
    """The `realmid` claim of an id_token issued to `client_id` (and by `issuer`, when known),
    or None when there is none or the token is not one for us.

    The signature is not checked: the id_token comes straight from the token endpoint, over
    TLS, in the answer to our authenticated request, which OpenID Connect Core (3.1.3.7)
    accepts in place of the signature. Never use this on an id_token from anywhere else."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict):
        return None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences or (issuer is not None and claims.get("iss") != issuer):
        return None
    realm = claims.get("realmid")
    return realm if isinstance(realm, str) and realm else None


def refresh(
    endpoints: OAuthEndpoints,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = TIMEOUT,
    clock: Clock = _utcnow,
) -> TokenGrant:
    """A new access token for a refresh token.

    The answer holds a NEW refresh token, and the one sent may stop working at once. The caller
    must persist `grant.refresh_token` (committed, durably) BEFORE using the access token:
    a crash in between would otherwise leave only a dead refresh token and a disconnected
    company. An `Unavailable(ambiguous=True)` means the refresh may have happened with its
    answer lost: try the stored refresh token again; `Disconnected` then means it was rotated.
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(endpoints, client_id, client_secret, form, transport, timeout, clock)


def revoke(
    endpoints: OAuthEndpoints,
    client_id: str,
    client_secret: str,
    token: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Disconnect: revoke the grant a refresh (or access) token belongs to."""
    _call(
        "POST",
        endpoints.revocation_endpoint,
        auth=(client_id, client_secret),
        json={"token": token},
        transport=transport,
        timeout=timeout,
        write=True,
    )


def _token_request(
    endpoints: OAuthEndpoints,
    client_id: str,
    client_secret: str,
    form: Mapping[str, str],
    transport: httpx.BaseTransport | None,
    timeout: float,
    clock: Clock,
) -> TokenGrant:
    issued = clock()
    body = _call(
        "POST",
        endpoints.token_endpoint,
        auth=(client_id, client_secret),
        data=form,
        transport=transport,
        timeout=timeout,
        write=True,
    )
    try:
        return TokenGrant(
            access_token=_string(body, "access_token"),
            refresh_token=_string(body, "refresh_token"),
            access_expires_at=issued + timedelta(seconds=int(body["expires_in"])),
            refresh_expires_at=issued + timedelta(seconds=int(body["x_refresh_token_expires_in"])),
            realm_id=granted_realm(body.get("id_token"), client_id, endpoints.issuer),
        )
    except (KeyError, TypeError, ValueError) as exc:
        # The grant may have been issued (and the refresh token rotated) all the same. Name the
        # field, never the values: they are secrets.
        raise Unavailable(
            f"the token endpoint's answer lacks a valid {exc}", ambiguous=True
        ) from None


def _call(
    method: str,
    url: str,
    *,
    transport: httpx.BaseTransport | None,
    timeout: float,
    write: bool,
    auth: tuple[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    json: Any = None,
) -> dict[str, Any]:
    """One request to the authorization server; its JSON object answer (or {} when empty)."""
    with httpx.Client(
        transport=transport,
        timeout=timeout,
        headers={"Accept": "application/json"},
        verify=default_context(),
    ) as http:
        try:
            response = http.request(method, url, auth=auth, data=data, json=json)
        except httpx.HTTPError as exc:
            raise translate(exc, write=write) from exc
    if not response.is_success:
        raise translate(response, write=write)
    if not response.content.strip():
        return {}
    try:
        answer = response.json()
    except ValueError:
        raise translate(response, write=write) from None
    if not isinstance(answer, dict):
        raise translate(response, write=write)
    return answer


def _string(body: Mapping[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str) or not value:
        raise ValueError(key)
    return value
