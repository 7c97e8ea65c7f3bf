"""OAuth 2.0 and OpenID Connect of the emulator, driven over real HTTP the way apps drive Intuit.

One uvicorn server runs in a background thread for the module (`ServerThread`); each test
installs a fresh OAuthServer behind it (with its own fake clock), so tests are isolated and no
test sleeps.
intuit-oauth's ``AuthClient`` is the client: it reads the discovery document, exchanges codes,
refreshes, revokes, fetches user info and validates the RS256 id_token against the JWKS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import uvicorn
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from qbo_emulator.faults import QBOFault
from qbo_emulator.oauth import (
    ACCESS_TOKEN_LIFETIME,
    ACCOUNTING,
    CODE_LIFETIME,
    OPENID,
    PAYMENT,
    REFRESH_TOKEN_GRACE,
    REFRESH_TOKEN_LIFETIME,
    REFRESH_TOKEN_MAX_LIFE,
    REFRESH_TOKEN_ROTATION,
    STRICT,
    USER_SUB,
    App,
    OAuthServer,
)
from qbo_emulator.oauth.routes import build_routes
from qbo_emulator.server import ServerThread, free_port

REALM = "9130350000000001"
OTHER_REALM = "9130350000000002"
REDIRECT = "http://localhost:8000/callback"
ALL_OPENID = [Scopes.OPENID, Scopes.EMAIL, Scopes.PROFILE, Scopes.PHONE, Scopes.ADDRESS]


# -- helpers ------------------------------------------------------------------------------


class Companies:
    """A CompanyDirectory over a plain dict."""

    def __init__(self) -> None:
        self.names = {REALM: "Sandbox Company US 1", OTHER_REALM: 'Tom\'s <Trucks> & "Co"'}

    def company_names(self) -> list[tuple[str, str]]:
        return list(self.names.items())

    def company_exists(self, realm_id: str) -> bool:
        return realm_id in self.names


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def build_app(oauth: OAuthServer) -> Starlette:
    """The OAuth routes plus a stand-in data-API endpoint guarded by `authenticate`."""

    async def ping(request: Request) -> Response:
        try:
            grant = oauth.authenticate(
                request.headers.get("authorization"), request.path_params["realm"]
            )
        except QBOFault as exc:
            body = exc.fault.body(time="2024-01-01T00:00:00.000-08:00", epoch_ms=0)
            return JSONResponse(body, status_code=exc.fault.status)
        return JSONResponse({"realmId": grant.realm_id, "clientId": grant.client_id})

    return Starlette(routes=[*build_routes(oauth), Route("/v3/company/{realm}/ping", ping)])


@dataclass
class Holder:
    """The ASGI app behind the module's server; tests swap what it forwards to."""

    target: Starlette | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None
        await self.target(scope, receive, send)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Holder, str]]:
    holder = Holder()
    config = uvicorn.Config(
        holder, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off", ws="none"
    )
    server = ServerThread(config, name="oauth", what="the OAuth server")
    server.start()
    try:
        yield holder, server.url
    finally:
        server.stop(timeout=10)


@dataclass
class Env:
    base: str
    holder: Holder
    oauth: OAuthServer
    clock: FakeClock
    companies: Companies
    http: requests.Session
    clients: list[AuthClient] = field(default_factory=list)

    @property
    def discovery_url(self) -> str:
        return f"{self.base}/.well-known/openid_configuration"

    def install(self, oauth: OAuthServer) -> None:
        self.oauth = oauth
        self.holder.target = build_app(oauth)

    def new_app(self, name: str | None = None, refresh_token_policy: str | None = None) -> App:
        return self.oauth.create_app(
            [REDIRECT, "https://example.com/oauth"],
            name=name,
            refresh_token_policy=refresh_token_policy,
        )

    def client(
        self, app: App, redirect_uri: str = REDIRECT, secret: str | None = None
    ) -> AuthClient:
        client = AuthClient(
            app.client_id,
            app.client_secret if secret is None else secret,
            redirect_uri,
            environment=self.discovery_url,
        )
        self.clients.append(client)
        return client

    def authorize(
        self,
        client: AuthClient,
        scopes: list[Scopes],
        realm_id: str = REALM,
        state: str = "st-123",
    ) -> dict[str, str]:
        """Approve through the non-interactive shortcut; the redirect's query parameters."""
        url = client.get_authorization_url(scopes, state_token=state)
        response = self.http.get(
            url, params={"realm_id": realm_id, "approve": "true"}, allow_redirects=False
        )
        assert response.status_code == 302, response.text
        return redirect_params(response, client.redirect_uri)

    def connect(
        self, app: App, scopes: list[Scopes] | None = None, realm_id: str = REALM
    ) -> AuthClient:
        """A client that went through the whole flow and holds tokens."""
        client = self.client(app)
        params = self.authorize(client, scopes or [Scopes.ACCOUNTING], realm_id)
        client.get_bearer_token(params["code"], realm_id=params["realmId"])
        return client

    def ping(self, access_token: str | None, realm_id: str = REALM) -> requests.Response:
        headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        return self.http.get(f"{self.base}/v3/company/{realm_id}/ping", headers=headers)

    def token_request(
        self, data: dict[str, str], auth: tuple[str, str] | None = None
    ) -> requests.Response:
        return self.http.post(f"{self.base}/oauth2/v1/tokens/bearer", data=data, auth=auth)


@pytest.fixture
def env(live: tuple[Holder, str]) -> Iterator[Env]:
    holder, base = live
    clock = FakeClock()
    companies = Companies()
    oauth = OAuthServer(companies, now=clock)
    with requests.Session() as http:
        environment = Env(base, holder, oauth, clock, companies, http)
        environment.install(oauth)
        try:
            yield environment
        finally:
            for client in environment.clients:
                client.close()


def redirect_params(response: requests.Response, redirect_uri: str) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.split("?")[0] == redirect_uri
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def error_of(excinfo: pytest.ExceptionInfo[AuthClientError]) -> tuple[int, dict[str, Any]]:
    response = excinfo.value.response
    return response.status_code, response.json()


def fault_of(response: requests.Response) -> tuple[int, str, str]:
    error = response.json()["fault"]["error"][0]
    return response.status_code, error["code"], error["detail"]


class FormParser(HTMLParser):
    """The consent form: its action, its inputs and its submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method: str | None = None
        self.hidden: dict[str, str] = {}
        self.radios: list[tuple[str, bool, bool]] = []  # value, checked, required
        self.buttons: dict[str, tuple[str, bool]] = {}  # value -> (name, disabled)
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action, self.method = a.get("action"), a.get("method")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"] or ""] = a.get("value") or ""
        elif tag == "input" and a.get("type") == "radio":
            self.radios.append((a.get("value") or "", "checked" in a, "required" in a))
        elif tag == "button":
            self.buttons[a.get("value") or ""] = (a.get("name") or "", "disabled" in a)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser


# -- discovery and keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "openid_configuration",
        "openid_configuration/",
        "openid_sandbox_configuration",
        "openid_sandbox_configuration/",
    ],
)
def test_discovery_document_names_endpoints_on_the_requested_base(env: Env, path: str) -> None:
    response = env.http.get(f"{env.base}/.well-known/{path}")
    assert response.status_code == 200
    doc = response.json()
    base = env.base
    assert doc["issuer"] == f"{base}/op/v1"
    assert doc["authorization_endpoint"] == f"{base}/connect/oauth2"
    assert doc["token_endpoint"] == f"{base}/oauth2/v1/tokens/bearer"
    assert doc["userinfo_endpoint"] == f"{base}/v1/openid_connect/userinfo"
    assert doc["revocation_endpoint"] == f"{base}/v2/oauth2/tokens/revoke"
    assert doc["jwks_uri"] == f"{base}/oauth2/v1/keys"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "client_secret_basic",
    }
    assert {ACCOUNTING, PAYMENT, OPENID, "email"} <= set(doc["scopes_supported"])
    assert {"realmid", "sub", "aud"} <= set(doc["claims_supported"])


def test_jwks_publishes_one_rsa_signing_key(env: Env) -> None:
    keys = env.http.get(f"{env.base}/oauth2/v1/keys").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert keys[0]["kid"] and keys[0]["n"] and keys[0]["e"] == "AQAB"
    assert env.http.get(f"{env.base}/oauth2/v1/keys").json()["keys"] == keys  # stable


# -- the whole flow with intuit-oauth -------------------------------------------------------


def test_full_flow_with_intuit_oauth(env: Env) -> None:
    app = env.new_app("Ledger Sync", refresh_token_policy=STRICT)
    client = env.client(app)
    params = env.authorize(client, [Scopes.ACCOUNTING, *ALL_OPENID], state="csrf-42")
    assert params["state"] == "csrf-42" and params["realmId"] == REALM

    client.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert client.realm_id == REALM
    assert client.expires_in == ACCESS_TOKEN_LIFETIME
    assert client.x_refresh_token_expires_in == REFRESH_TOKEN_LIFETIME
    assert client.access_token.startswith("eyJ") and len(client.access_token) > 700
    assert client.refresh_token.startswith("AB11")
    assert client.id_token is not None  # intuit-oauth validated it against the JWKS

    ok = env.ping(client.access_token)
    assert ok.status_code == 200
    assert ok.json() == {"realmId": REALM, "clientId": app.client_id}

    info = client.get_user_info().json()
    assert info["sub"] == USER_SUB
    assert info["email"] and info["emailVerified"] is True
    assert info["givenName"] and info["familyName"]
    assert info["phoneNumber"] and "phoneNumberVerified" in info
    assert info["address"]["postalCode"]

    first_access, first_refresh = client.access_token, client.refresh_token
    client.refresh()
    assert client.access_token != first_access and client.refresh_token != first_refresh
    assert client.x_refresh_token_expires_in == REFRESH_TOKEN_LIFETIME
    assert env.ping(client.access_token).status_code == 200
    assert env.ping(first_access).status_code == 200  # old access tokens live out their hour

    with pytest.raises(AuthClientError) as excinfo:
        client.refresh(refresh_token=first_refresh)  # rotated away
    assert error_of(excinfo) == (
        400,
        {"error": "invalid_grant", "error_description": "Token invalid"},
    )

    assert client.revoke() is True
    status, code, detail = fault_of(env.ping(client.access_token))
    assert (status, code) == (401, "3200") and detail.startswith("Token revoked")
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh()
    assert error_of(excinfo)[1]["error"] == "invalid_grant"


def test_id_token_claims_and_signature(env: Env) -> None:
    app = env.new_app()
    client = env.connect(app, [Scopes.ACCOUNTING, Scopes.OPENID])
    header = jwt.get_unverified_header(client.id_token)
    jwks = jwt.PyJWKSet.from_dict(env.http.get(f"{env.base}/oauth2/v1/keys").json())
    assert header["alg"] == "RS256"
    claims = jwt.decode(
        client.id_token,
        jwks[header["kid"]].key,
        algorithms=["RS256"],
        audience=app.client_id,
        issuer=f"{env.base}/op/v1",
    )
    assert claims["aud"] == [app.client_id]
    assert claims["sub"] == USER_SUB
    assert claims["realmid"] == REALM
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["auth_time"] <= claims["iat"]


def test_no_id_token_without_openid(env: Env) -> None:
    app = env.new_app()
    client = env.client(app)
    code = env.authorize(client, [Scopes.ACCOUNTING])["code"]
    body = env.token_request(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(app.client_id, app.client_secret),
    ).json()
    assert body["token_type"] == "bearer" and "id_token" not in body
    assert body["expires_in"] == 3600 and body["x_refresh_token_expires_in"] == 8_640_000


def test_client_secret_post_is_accepted(env: Env) -> None:
    app = env.new_app()
    code = env.authorize(env.client(app), [Scopes.ACCOUNTING])["code"]
    response = env.token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert env.ping(response.json()["access_token"]).status_code == 200


def test_refresh_reports_the_rolling_lifetime_left(env: Env) -> None:
    app = env.new_app()
    body = env.token_request(
        {"grant_type": "refresh_token", "refresh_token": env.connect(app).refresh_token},
        auth=(app.client_id, app.client_secret),
    ).json()
    assert body["x_refresh_token_expires_in"] == REFRESH_TOKEN_LIFETIME
    env.clock.advance(REFRESH_TOKEN_LIFETIME - 10)  # still alive: the period restarted
    body = env.token_request(
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=(app.client_id, app.client_secret),
    ).json()
    assert body["x_refresh_token_expires_in"] == REFRESH_TOKEN_LIFETIME


# -- refresh-token policies ------------------------------------------------------------------


def test_grace_is_the_default_the_same_refresh_token_for_a_day(env: Env) -> None:
    """Intuit: the refresh token stays the same for about a day; refreshing twice with it works."""
    client = env.connect(env.new_app())
    first_access, first_refresh = client.access_token, client.refresh_token
    client.refresh()
    assert client.refresh_token == first_refresh and client.access_token != first_access
    assert client.x_refresh_token_expires_in == REFRESH_TOKEN_LIFETIME
    client.refresh(refresh_token=first_refresh)  # the same token, again: still fine
    assert client.refresh_token == first_refresh
    assert env.ping(client.access_token).status_code == 200


def test_grace_a_replaced_refresh_token_works_one_more_day(env: Env) -> None:
    client = env.connect(env.new_app())
    old = client.refresh_token
    env.clock.advance(REFRESH_TOKEN_ROTATION)  # a day old: the next refresh replaces it
    client.refresh()
    new = client.refresh_token
    assert new != old
    env.clock.advance(REFRESH_TOKEN_GRACE - 1)
    client.refresh(refresh_token=old)  # the older one still works inside its day ...
    assert client.refresh_token not in (old, new)  # ... and hands out the newest
    client.refresh(refresh_token=new)  # so does the one it replaced, for its own day
    env.clock.advance(2)
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh(refresh_token=old)  # the day is over
    assert error_of(excinfo) == (
        400,
        {"error": "invalid_grant", "error_description": "Token invalid"},
    )


def test_strict_rotates_on_every_refresh(env: Env) -> None:
    client = env.connect(env.new_app(refresh_token_policy=STRICT))
    first = client.refresh_token
    client.refresh()
    assert client.refresh_token != first
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh(refresh_token=first)
    assert error_of(excinfo)[1]["error"] == "invalid_grant"


def test_the_company_policy_overrides_the_app_and_the_server(env: Env) -> None:
    app = env.new_app()
    client = env.connect(app)
    env.oauth.set_realm_policy(REALM, STRICT)
    first = client.refresh_token
    client.refresh()
    assert client.refresh_token != first
    env.oauth.set_realm_policy(REALM, None)  # back to the app's (the server's: grace)
    kept = client.refresh_token
    client.refresh()
    assert client.refresh_token == kept
    strict_server = OAuthServer(env.companies, now=env.clock, refresh_token_policy=STRICT)
    env.install(strict_server)
    client = env.connect(env.new_app())
    first = client.refresh_token
    client.refresh()
    assert client.refresh_token != first


def test_grace_tokens_survive_persistence(env: Env) -> None:
    client = env.connect(env.new_app())
    old = client.refresh_token
    env.clock.advance(REFRESH_TOKEN_ROTATION)
    client.refresh()
    env.oauth.set_realm_policy(OTHER_REALM, STRICT)
    state = env.oauth.to_dict()
    env.install(OAuthServer.from_dict(state, env.companies, now=env.clock))
    assert env.oauth.realm_policy(OTHER_REALM) == STRICT
    client.refresh(refresh_token=old)  # still inside its grace day after a restart


# -- the consent page -----------------------------------------------------------------------


def consent_page(env: Env, client: AuthClient, scopes: list[Scopes]) -> FormParser:
    response = env.http.get(client.get_authorization_url(scopes, state_token="s<&>1"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    return parse_form(response.text)


def submit(env: Env, form: FormParser, **fields: str) -> requests.Response:
    assert form.action is not None and form.method == "post"
    data = {**form.hidden, **fields}
    return env.http.post(env.base + form.action, data=data, allow_redirects=False)


def test_consent_page_connect(env: Env) -> None:
    app = env.new_app('<script>alert("x")</script> Sync')
    client = env.client(app)
    form = consent_page(env, client, [Scopes.ACCOUNTING, Scopes.OPENID])
    text = "".join(form.text)
    assert '<script>alert("x")</script> Sync wants to connect' in text  # shown as text
    assert "Manage your QuickBooks accounting data" in text
    assert "Sign you in with your Intuit account" in text
    assert 'Tom\'s <Trucks> & "Co"' in text and "Sandbox Company US 1" in text
    assert [value for value, _, _ in form.radios] == [REALM, OTHER_REALM]
    assert form.radios[0][1] and all(required for _, _, required in form.radios)
    assert form.buttons["connect"] == ("action", False)
    assert form.buttons["cancel"] == ("action", False)
    assert form.hidden["client_id"] == app.client_id
    assert form.hidden["redirect_uri"] == REDIRECT
    assert form.hidden["state"] == "s<&>1"
    assert form.hidden["consent_nonce"]

    response = submit(env, form, action="connect", realm_id=OTHER_REALM)
    assert response.status_code == 302
    params = redirect_params(response, REDIRECT)
    assert params["state"] == "s<&>1" and params["realmId"] == OTHER_REALM
    client.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert client.id_token is not None
    assert env.ping(client.access_token, OTHER_REALM).status_code == 200

    again = submit(env, form, action="connect", realm_id=OTHER_REALM)  # nonce is single use
    assert again.status_code == 400 and "expired or was already submitted" in again.text


def test_consent_page_cancel(env: Env) -> None:
    client = env.client(env.new_app())
    form = consent_page(env, client, [Scopes.ACCOUNTING])
    response = submit(env, form, action="cancel")
    assert response.status_code == 302
    assert redirect_params(response, REDIRECT) == {"error": "access_denied", "state": "s<&>1"}


def test_consent_form_cannot_be_forged_or_altered(env: Env) -> None:
    client = env.client(env.new_app())
    form = consent_page(env, client, [Scopes.ACCOUNTING])
    forged = submit(env, form, action="connect", realm_id=REALM, consent_nonce="made-up")
    assert forged.status_code == 400 and "Location" not in forged.headers
    altered = submit(env, form, action="connect", realm_id=REALM, scope=f"{ACCOUNTING} {PAYMENT}")
    assert altered.status_code == 400 and "altered" in altered.text


def test_consent_connect_to_a_company_that_is_gone(env: Env) -> None:
    client = env.client(env.new_app())
    form = consent_page(env, client, [Scopes.ACCOUNTING])
    del env.companies.names[OTHER_REALM]
    response = submit(env, form, action="connect", realm_id=OTHER_REALM)
    assert response.status_code == 400 and "Unknown company" in response.text


def test_consent_page_without_companies(env: Env) -> None:
    env.companies.names.clear()
    form = consent_page(env, env.client(env.new_app()), [Scopes.ACCOUNTING])
    assert form.radios == [] and form.buttons["connect"] == ("action", True)


def test_approve_false_denies(env: Env) -> None:
    client = env.client(env.new_app())
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="abc")
    response = env.http.get(url, params={"approve": "false"}, allow_redirects=False)
    assert redirect_params(response, REDIRECT) == {"error": "access_denied", "state": "abc"}


def test_redirect_uri_keeps_its_own_query(env: Env) -> None:
    app = env.oauth.create_app(["http://localhost:9000/cb?tenant=a%20b"])
    client = env.client(app, redirect_uri="http://localhost:9000/cb?tenant=a%20b")
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="z")
    response = env.http.get(
        url, params={"realm_id": REALM, "approve": "true"}, allow_redirects=False
    )
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["tenant"] == ["a b"] and query["state"] == ["z"] and query["realmId"] == [REALM]


# -- authorization request errors: an HTML page, never a redirect -----------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "ABunknown"}, "Unknown client_id"),
        ({"client_id": None}, "no client_id"),
        ({"redirect_uri": "https://evil.example/steal"}, "is not registered"),
        ({"redirect_uri": REDIRECT + "/"}, "is not registered"),  # exact match only
        ({"redirect_uri": None}, "no redirect_uri"),
        ({"response_type": "token"}, "Unsupported response_type"),
        ({"scope": None}, "no scope"),
        ({"scope": f"{ACCOUNTING} com.intuit.quickbooks.payroll"}, "Unknown scope"),
        ({"realm_id": "123", "approve": "true"}, "Unknown company"),
        ({"approve": "true"}, "No company was chosen"),
        ({"approve": "maybe"}, "approve must be true or false"),
    ],
)
def test_bad_authorization_requests_get_an_error_page(
    env: Env, change: dict[str, str | None], message: str
) -> None:
    app = env.new_app()
    params: dict[str, str | None] = {
        "client_id": app.client_id,
        "response_type": "code",
        "scope": f"{ACCOUNTING} {OPENID}",
        "redirect_uri": REDIRECT,
        "state": "s",
        **change,
    }
    response = env.http.get(f"{env.base}/connect/oauth2", params=params, allow_redirects=False)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Location" not in response.headers
    assert message in response.text


def test_error_page_escapes_what_it_echoes(env: Env) -> None:
    app = env.new_app()
    response = env.http.get(
        f"{env.base}/connect/oauth2",
        params={
            "client_id": app.client_id,
            "response_type": "code",
            "scope": ACCOUNTING,
            "redirect_uri": "https://x.example/<script>",
        },
    )
    assert response.status_code == 400
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


def test_repeated_parameters_are_rejected(env: Env) -> None:
    app = env.new_app()
    query = (
        f"client_id={app.client_id}&response_type=code&scope={ACCOUNTING}"
        f"&redirect_uri={REDIRECT}&redirect_uri=https://evil.example/"
    )
    response = env.http.get(f"{env.base}/connect/oauth2?{query}", allow_redirects=False)
    assert response.status_code == 400 and "Parameter repeated: redirect_uri" in response.text


# -- token endpoint errors --------------------------------------------------------------------


def test_code_is_single_use(env: Env) -> None:
    client = env.client(env.new_app())
    code = env.authorize(client, [Scopes.ACCOUNTING])["code"]
    client.get_bearer_token(code)
    with pytest.raises(AuthClientError) as excinfo:
        client.get_bearer_token(code)
    assert error_of(excinfo) == (
        400,
        {"error": "invalid_grant", "error_description": "Token invalid"},
    )


def test_code_expires_after_five_minutes(env: Env) -> None:
    client = env.client(env.new_app())
    code = env.authorize(client, [Scopes.ACCOUNTING])["code"]
    env.clock.advance(CODE_LIFETIME + 1)
    with pytest.raises(AuthClientError) as excinfo:
        client.get_bearer_token(code)
    assert error_of(excinfo)[1]["error"] == "invalid_grant"


def test_code_of_another_client_is_refused(env: Env) -> None:
    code = env.authorize(env.client(env.new_app()), [Scopes.ACCOUNTING])["code"]
    thief = env.client(env.new_app())
    with pytest.raises(AuthClientError) as excinfo:
        thief.get_bearer_token(code)
    assert error_of(excinfo)[1]["error"] == "invalid_grant"


def test_code_needs_the_same_redirect_uri(env: Env) -> None:
    app = env.new_app()
    code = env.authorize(env.client(app), [Scopes.ACCOUNTING])["code"]
    other = env.client(app, redirect_uri="https://example.com/oauth")  # registered, not the one
    with pytest.raises(AuthClientError) as excinfo:
        other.get_bearer_token(code)
    assert error_of(excinfo)[1]["error"] == "invalid_grant"
    env.client(app).get_bearer_token(code)  # the mismatch did not burn the code


def test_refresh_token_of_another_client_is_refused(env: Env) -> None:
    victim = env.connect(env.new_app())
    thief = env.client(env.new_app())
    with pytest.raises(AuthClientError) as excinfo:
        thief.refresh(refresh_token=victim.refresh_token)
    assert error_of(excinfo)[1]["error"] == "invalid_grant"
    victim.refresh()  # still good for its owner


def test_refresh_token_expires_after_100_days(env: Env) -> None:
    client = env.connect(env.new_app())
    env.clock.advance(REFRESH_TOKEN_LIFETIME)
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh()
    assert error_of(excinfo) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )


def test_expire_refresh_tokens(env: Env) -> None:
    app = env.new_app()
    here, there = env.connect(app), env.connect(app, realm_id=OTHER_REALM)
    assert env.oauth.expire_refresh_tokens(REALM) == 1
    assert env.oauth.expire_refresh_tokens(REALM) == 0
    with pytest.raises(AuthClientError) as excinfo:
        here.refresh()
    assert error_of(excinfo)[1]["error"] == "invalid_grant"
    there.refresh()
    assert env.ping(here.access_token).status_code == 200  # access tokens keep their hour


@pytest.mark.parametrize(
    "auth",
    [None, ("ABunknown", "secret"), "wrong-secret", "garbage-header"],
    ids=["missing", "unknown-client", "wrong-secret", "malformed"],
)
def test_invalid_client(env: Env, auth: Any) -> None:
    app = env.new_app()
    code = env.authorize(env.client(app), [Scopes.ACCOUNTING])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    headers = {}
    if auth == "wrong-secret":
        auth = (app.client_id, app.client_secret + "x")
    elif auth == "garbage-header":
        auth, headers = None, {"Authorization": "Basic !!!not-base64"}
    response = env.http.post(
        f"{env.base}/oauth2/v1/tokens/bearer", data=data, auth=auth, headers=headers
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_wrong_secret_via_intuit_oauth(env: Env) -> None:
    app = env.new_app()
    client = env.client(app, secret="not-the-secret")
    code = env.authorize(client, [Scopes.ACCOUNTING])["code"]
    with pytest.raises(AuthClientError) as excinfo:
        client.get_bearer_token(code)
    assert error_of(excinfo) == (401, {"error": "invalid_client"})


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password", "username": "u"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "redirect_uri": REDIRECT}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "AB11x"}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "AB11nope"}, "invalid_grant"),
        (
            {"grant_type": "authorization_code", "code": "AB11x", "redirect_uri": REDIRECT},
            "invalid_grant",
        ),
    ],
)
def test_token_request_errors(env: Env, data: dict[str, str], error: str) -> None:
    app = env.new_app()
    response = env.token_request(data, auth=(app.client_id, app.client_secret))
    assert response.status_code == 400
    assert response.json()["error"] == error


# -- revocation -------------------------------------------------------------------------------


def test_revoke_with_the_access_token_revokes_the_grant(env: Env) -> None:
    app = env.new_app()
    client = env.connect(app, [Scopes.ACCOUNTING, Scopes.OPENID])
    older_access = client.access_token
    client.refresh()
    client.revoke(token=client.access_token)
    for token in (older_access, client.access_token):
        assert fault_of(env.ping(token))[:2] == (401, "3200")
    with pytest.raises(AuthClientError) as excinfo:
        client.get_user_info()
    assert excinfo.value.response.status_code == 401
    with pytest.raises(AuthClientError):
        client.refresh()


def test_revoke_covers_every_token_family_of_the_app_on_that_realm_only(env: Env) -> None:
    app, other_app = env.new_app(), env.new_app()
    first, second = env.connect(app), env.connect(app)  # connected twice to the same company
    elsewhere = env.connect(app, realm_id=OTHER_REALM)
    neighbour = env.connect(other_app)
    first.revoke()
    assert env.ping(second.access_token).status_code == 401
    assert env.ping(elsewhere.access_token, OTHER_REALM).status_code == 200
    assert env.ping(neighbour.access_token).status_code == 200
    assert env.oauth.apps_connected_to(REALM) == [other_app]


def test_revoke_unknown_token_is_ok_and_repeatable(env: Env) -> None:
    client = env.connect(env.new_app())
    assert client.revoke(token="AB11not-a-token") is True
    assert client.revoke() is True
    assert client.revoke() is True  # already revoked: still 200


def test_revoke_token_of_another_client_is_refused(env: Env) -> None:
    victim = env.connect(env.new_app())
    thief = env.client(env.new_app())
    with pytest.raises(AuthClientError) as excinfo:
        thief.revoke(token=victim.refresh_token)
    assert excinfo.value.response.status_code == 400
    assert env.ping(victim.access_token).status_code == 200


def test_revoke_needs_client_authentication_and_a_token(env: Env) -> None:
    app = env.new_app()
    url = f"{env.base}/v2/oauth2/tokens/revoke"
    no_auth = env.http.post(url, json={"token": "x"})
    assert no_auth.status_code == 401 and no_auth.json() == {"error": "invalid_client"}
    auth = (app.client_id, app.client_secret)
    assert env.http.post(url, json={}, auth=auth).json()["error"] == "invalid_request"
    bad_json = env.http.post(
        url, data=b"{", auth=auth, headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    client = env.connect(app)
    form = env.http.post(url, data={"token": client.refresh_token}, auth=auth)  # RFC 7009 form
    assert form.status_code == 200 and env.ping(client.access_token).status_code == 401


# -- data-API authentication ------------------------------------------------------------------


def test_wrong_realm_is_forbidden(env: Env) -> None:
    client = env.connect(env.new_app())
    status, code, detail = fault_of(env.ping(client.access_token, OTHER_REALM))
    assert (status, code) == (403, "3100") and OTHER_REALM in detail


def test_missing_accounting_scope_is_forbidden(env: Env) -> None:
    client = env.connect(env.new_app(), [Scopes.PAYMENT, Scopes.OPENID])
    assert fault_of(env.ping(client.access_token)) == (
        403,
        "3100",
        "The access token does not have sufficient scope",
    )


def test_access_token_expires_after_an_hour(env: Env) -> None:
    client = env.connect(env.new_app())
    env.clock.advance(ACCESS_TOKEN_LIFETIME - 1)
    assert env.ping(client.access_token).status_code == 200
    env.clock.advance(1)
    status, code, detail = fault_of(env.ping(client.access_token))
    assert (status, code) == (401, "3200") and detail.startswith("Token expired")
    client.refresh()
    assert env.ping(client.access_token).status_code == 200


def test_expire_access_tokens(env: Env) -> None:
    app = env.new_app()
    one, two = env.connect(app), env.connect(env.new_app())
    one.refresh()  # two live access tokens on that family now
    elsewhere = env.connect(app, realm_id=OTHER_REALM)
    assert env.oauth.expire_access_tokens(REALM) == 3
    assert env.oauth.expire_access_tokens(REALM) == 0
    for client in (one, two):
        status, code, detail = fault_of(env.ping(client.access_token))
        assert (status, code) == (401, "3200") and detail.startswith("Token expired")
    assert env.ping(elsewhere.access_token, OTHER_REALM).status_code == 200
    one.refresh()
    assert env.ping(one.access_token).status_code == 200


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authorization header is missing"),
        ("Basic abc", "Malformed bearer token"),
        ("Bearer", "Malformed bearer token"),
        ("Bearer short", "Malformed bearer token: too short or too long"),
        ("Bearer " + "a" * 5000, "Malformed bearer token: too short or too long"),
        ("Bearer " + "é" * 40, "Malformed bearer token: unexpected characters"),
        ("Bearer eyJ" + "a" * 700, "Token invalid"),
    ],
)
def test_bad_bearer_tokens(env: Env, header: str | None, detail: str) -> None:
    with pytest.raises(QBOFault) as excinfo:
        env.oauth.authenticate(header, REALM)
    fault = excinfo.value.fault
    assert (fault.status, fault.code) == (401, "3200")
    assert fault.errors[0].detail.startswith(detail)


def test_refresh_token_sent_as_bearer_gets_a_hint(env: Env) -> None:
    client = env.connect(env.new_app())
    status, code, detail = fault_of(env.ping(client.refresh_token))
    assert (status, code) == (401, "3200") and "refresh token" in detail


def test_authenticate_returns_the_grant(env: Env) -> None:
    app = env.new_app()
    client = env.connect(app, [Scopes.ACCOUNTING, Scopes.PAYMENT])
    grant = env.oauth.authenticate(f"Bearer {client.access_token}", REALM)
    assert grant.client_id == app.client_id and grant.realm_id == REALM
    assert grant.scopes == frozenset({ACCOUNTING, PAYMENT})
    assert env.oauth.authenticate(f"bearer  {client.access_token} ", REALM, scope=PAYMENT)


# -- userinfo ---------------------------------------------------------------------------------


def test_userinfo_needs_openid(env: Env) -> None:
    client = env.connect(env.new_app(), [Scopes.ACCOUNTING])
    with pytest.raises(AuthClientError) as excinfo:
        client.get_user_info()
    assert excinfo.value.response.status_code == 403


def test_userinfo_rejects_bad_tokens(env: Env) -> None:
    client = env.connect(env.new_app(), [Scopes.OPENID])
    with pytest.raises(AuthClientError) as excinfo:
        client.get_user_info(access_token="eyJ" + "x" * 700)
    assert excinfo.value.response.status_code == 401
    assert excinfo.value.response.json()["error"] == "invalid_token"


def test_userinfo_follows_the_granted_scopes(env: Env) -> None:
    client = env.connect(env.new_app(), [Scopes.OPENID, Scopes.EMAIL])
    first = client.get_user_info().json()
    assert set(first) == {"sub", "email", "emailVerified"}
    other = env.connect(env.new_app(), [Scopes.OPENID]).get_user_info().json()
    assert other == {"sub": first["sub"]}  # the same user everywhere


# -- admin views and persistence --------------------------------------------------------------


def test_apps_connected_to(env: Env) -> None:
    first, second, idle = env.new_app("First"), env.new_app("Second"), env.new_app("Idle")
    env.connect(first)
    env.connect(second)
    env.connect(second, realm_id=OTHER_REALM)
    assert env.oauth.apps_connected_to(REALM) == [first, second]
    assert env.oauth.apps_connected_to(OTHER_REALM) == [second]
    assert idle not in env.oauth.apps_connected_to(REALM)
    assert env.oauth.apps_connected_to("nope") == []
    env.oauth.revoke_realm(REALM)
    assert env.oauth.apps_connected_to(REALM) == []
    assert env.oauth.apps_connected_to(OTHER_REALM) == [second]


def test_revoke_realm_kills_tokens_and_pending_codes(env: Env) -> None:
    client = env.connect(env.new_app())
    pending = env.client(env.new_app())
    code = env.authorize(pending, [Scopes.ACCOUNTING])["code"]
    env.oauth.revoke_realm(REALM)
    assert env.ping(client.access_token).status_code == 401
    with pytest.raises(AuthClientError):
        client.refresh()
    with pytest.raises(AuthClientError):
        pending.get_bearer_token(code)


def test_persistence_round_trip_keeps_everything_working(env: Env) -> None:
    app = env.new_app("Persisted")
    client = env.connect(app, [Scopes.ACCOUNTING, Scopes.OPENID])
    revoked = env.connect(env.new_app())
    revoked.revoke()
    pending = env.client(app)
    code = env.authorize(pending, [Scopes.ACCOUNTING], realm_id=OTHER_REALM)["code"]
    kid = env.http.get(f"{env.base}/oauth2/v1/keys").json()["keys"][0]["kid"]

    state = json.loads(json.dumps(env.oauth.to_dict()))
    assert client.access_token not in json.dumps(state)  # only hashes are stored
    env.install(OAuthServer.from_dict(state, env.companies, now=env.clock))

    assert env.oauth.get_app(app.client_id) == app
    assert [a.client_id for a in env.oauth.apps()] == [a.client_id for a in state_apps(state)]
    assert env.http.get(f"{env.base}/oauth2/v1/keys").json()["keys"][0]["kid"] == kid
    assert env.ping(client.access_token).status_code == 200
    assert env.ping(revoked.access_token).status_code == 401
    client.refresh()
    assert env.ping(client.access_token).status_code == 200
    pending.get_bearer_token(code)
    assert env.ping(pending.access_token, OTHER_REALM).status_code == 200
    assert env.oauth.apps_connected_to(REALM) == [app]


def state_apps(state: dict[str, Any]) -> list[App]:
    return [App.from_dict(raw) for raw in state["apps"]]


def test_from_dict_rejects_unknown_versions(env: Env) -> None:
    with pytest.raises(ValueError, match="version"):
        OAuthServer.from_dict({"version": 99}, env.companies)


# -- app registry -----------------------------------------------------------------------------


def test_app_registry(env: Env) -> None:
    app = env.oauth.create_app([REDIRECT], webhook_url="http://localhost:9/hook")
    assert app.client_id.startswith("AB") and len(app.client_id) == 50
    assert len(app.client_secret) == 40 and app.verifier_token
    assert app.webhook_format == "legacy" and app.name
    assert env.oauth.get_app(app.client_id) is app and env.oauth.get_app("nope") is None
    updated = env.oauth.update_app(app.client_id, webhook_format="cloudevents")
    assert updated.webhook_url == "http://localhost:9/hook"  # untouched
    env.oauth.update_app(app.client_id, webhook_url=None, redirect_uris=["https://a.example/cb"])
    assert app.webhook_url is None and app.redirect_uris == ["https://a.example/cb"]
    assert app.webhook_format == "cloudevents"
    with pytest.raises(KeyError):
        env.oauth.update_app("nope", webhook_url=None)
    with pytest.raises(ValueError):
        env.oauth.update_app(app.client_id, webhook_format="xml")
    with pytest.raises(ValueError):
        env.oauth.create_app(["not a url"])
    with pytest.raises(ValueError):
        env.oauth.create_app([REDIRECT + "#frag"])
    assert env.oauth.apps() == [app]


def test_redirect_uri_change_applies_to_new_authorizations(env: Env) -> None:
    app = env.new_app()
    client = env.client(app)
    env.oauth.update_app(app.client_id, redirect_uris=["https://example.com/oauth"])
    url = client.get_authorization_url([Scopes.ACCOUNTING])
    assert env.http.get(url, allow_redirects=False).status_code == 400


def test_admin_connect_shortcut(env: Env) -> None:
    app = env.new_app()
    tokens = env.oauth.connect(app.client_id, OTHER_REALM)
    assert env.ping(tokens.access_token, OTHER_REALM).status_code == 200
    with pytest.raises(KeyError):
        env.oauth.connect("nope", REALM)
    with pytest.raises(ValueError):
        env.oauth.connect(app.client_id, REALM, scopes=["bogus"])


def test_many_tokens_are_pruned_once_long_dead(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import qbo_emulator.oauth.server as server_module

    monkeypatch.setattr(server_module, "PRUNE_MIN", 4)
    oauth = OAuthServer(env.companies, now=env.clock)
    app = oauth.create_app([REDIRECT])
    old = [oauth.connect(app.client_id, REALM) for _ in range(3)]
    oauth.revoke_realm(REALM)
    env.clock.advance(server_module.RETAIN_DEAD + ACCESS_TOKEN_LIFETIME + 1)
    fresh = [oauth.connect(app.client_id, REALM) for _ in range(3)]
    state = oauth.to_dict()
    assert len(state["families"]) == 3
    for tokens in old:
        with pytest.raises(QBOFault):
            oauth.authenticate(f"Bearer {tokens.access_token}", REALM)
    for tokens in fresh:
        assert oauth.authenticate(f"Bearer {tokens.access_token}", REALM).realm_id == REALM


# -- the maximum life of an authorization (Intuit, November 2025: five years) ----------------


def test_refresh_tokens_count_down_to_the_authorizations_maximum_life(env: Env) -> None:
    """The rolling 100 days never reach past the end, which is counted from the first grant."""
    days = 86_400
    env.install(OAuthServer(env.companies, now=env.clock, refresh_token_max_life=150 * days))
    client = env.connect(env.new_app())
    assert client.x_refresh_token_expires_in == REFRESH_TOKEN_LIFETIME  # 100 of the 150 days
    env.clock.advance(90 * days)
    client.refresh()
    assert client.x_refresh_token_expires_in == 60 * days  # not 100: the end is 60 days away
    env.clock.advance(60 * days - 1)
    client.refresh()
    assert client.x_refresh_token_expires_in == 1
    env.clock.advance(1)
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh()
    assert error_of(excinfo) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    again = env.connect(env.new_app())  # a new authorization starts a new maximum life
    assert again.x_refresh_token_expires_in == REFRESH_TOKEN_LIFETIME


def test_the_default_maximum_life_is_five_years(env: Env) -> None:
    app = env.new_app()
    client = env.connect(app)
    step = REFRESH_TOKEN_LIFETIME - 10
    for _ in range(REFRESH_TOKEN_MAX_LIFE // step):
        env.clock.advance(step)
        client.refresh()
    assert client.x_refresh_token_expires_in == REFRESH_TOKEN_MAX_LIFE % step
    assert REFRESH_TOKEN_MAX_LIFE == 5 * 365 * 86_400
    env.clock.advance(REFRESH_TOKEN_MAX_LIFE % step)
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh()
    assert error_of(excinfo)[1]["error"] == "invalid_grant"


def test_the_company_maximum_life_overrides_the_app_and_applies_to_given_grants(
    env: Env,
) -> None:
    app = env.oauth.create_app([REDIRECT], refresh_token_max_life=3_000_000)
    client = env.connect(app)
    assert client.x_refresh_token_expires_in == 3_000_000
    env.clock.advance(100)
    env.oauth.set_realm_max_life(REALM, 1_000)  # shortened for a grant already given
    client.refresh()
    assert client.x_refresh_token_expires_in == 900
    env.oauth.set_realm_max_life(REALM, None)  # back to the app's
    client.refresh()
    assert client.x_refresh_token_expires_in == 3_000_000 - 100
    env.oauth.set_realm_max_life(REALM, 50)  # already past: the authorization has ended
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh()
    assert error_of(excinfo)[1]["error"] == "invalid_grant"
    assert env.oauth.apps_connected_to(REALM) == []
    state = env.oauth.to_dict()
    env.install(OAuthServer.from_dict(state, env.companies, now=env.clock))
    assert env.oauth.realm_max_life(REALM) == 50
    assert env.oauth.get_app(app.client_id).refresh_token_max_life == 3_000_000  # type: ignore[union-attr]
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            env.oauth.set_realm_max_life(REALM, bad)  # type: ignore[arg-type]


def test_the_hard_expiry_is_told_to_a_client_that_asks(env: Env) -> None:
    app = env.oauth.create_app([REDIRECT], refresh_token_max_life=500_000)
    client = env.connect(app)
    auth = (app.client_id, app.client_secret)
    data = {"grant_type": "refresh_token", "refresh_token": client.refresh_token}
    env.clock.advance(1_000)
    plain = env.token_request(data, auth=auth).json()
    assert "x_refresh_token_hard_expires_in" not in plain
    assert plain["x_refresh_token_expires_in"] == 499_000
    asked = env.http.post(
        f"{env.base}/oauth2/v1/tokens/bearer",
        data=data,
        auth=auth,
        headers={"x-include-refresh-token-hard-expires-in": "true"},
    ).json()
    assert asked["x_refresh_token_hard_expires_in"] == 499_000
