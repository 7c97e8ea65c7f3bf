"""The OAuth module against the emulator's authorization server: discovery, consent, code
exchange, refresh rotation, revocation, and secrets kept out of reprs and messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from ledgerbridge.adapters.qbo import Disconnected, Unavailable, oauth
from ledgerbridge.adapters.qbo.oauth import OAuthEndpoints, TokenGrant
from qbo_emulator.server import EmulatorServer, free_port
from tests.ledgerbridge.adapters.qbo.conftest import REDIRECT_URI, Admin, consent_code

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def first_grant(
    admin: Admin, endpoints: OAuthEndpoints, refresh_token_policy: str = "grace"
) -> tuple[dict[str, Any], TokenGrant]:
    app = admin.create_app(refresh_token_policy=refresh_token_policy)
    realm = admin.create_company(name="OAuth Co")
    url = oauth.authorize_url(endpoints, app["client_id"], REDIRECT_URI, "st")
    code, _ = consent_code(url, realm)
    grant = oauth.exchange_code(
        endpoints, app["client_id"], app["client_secret"], code, REDIRECT_URI, clock=lambda: NOW
    )
    return app, grant


def test_discovery_urls() -> None:
    assert oauth.discovery_url("production") == (
        "https://developer.intuit.com/.well-known/openid_configuration/"
    )
    assert oauth.discovery_url("sandbox") == (
        "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
    )
    assert oauth.discovery_url("emulator", "http://127.0.0.1:1/") == (
        "http://127.0.0.1:1/.well-known/openid_configuration"
    )


def test_discover(emulator: EmulatorServer) -> None:
    endpoints = oauth.discover(oauth.discovery_url("emulator", emulator.url))
    assert endpoints.authorization_endpoint == f"{emulator.url}/connect/oauth2"
    assert endpoints.token_endpoint == f"{emulator.url}/oauth2/v1/tokens/bearer"
    assert endpoints.revocation_endpoint == f"{emulator.url}/v2/oauth2/tokens/revoke"
    assert endpoints.issuer == f"{emulator.url}/op/v1"


def test_authorize_url(endpoints: OAuthEndpoints) -> None:
    url = oauth.authorize_url(endpoints, "client-1", "https://app.example/cb", "state-9")
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == endpoints.authorization_endpoint
    assert parse_qs(parsed.query) == {
        "client_id": ["client-1"],
        "response_type": ["code"],
        "scope": ["com.intuit.quickbooks.accounting"],
        "redirect_uri": ["https://app.example/cb"],
        "state": ["state-9"],
    }
    both = oauth.authorize_url(endpoints, "c", "https://a/cb", "s", ("a", "b"))
    assert parse_qs(urlparse(both).query)["scope"] == ["a b"]
    with pytest.raises(ValueError, match="state"):
        oauth.authorize_url(endpoints, "c", "https://a/cb", "")


def test_code_exchange_gives_tokens_with_expiry_times(
    admin: Admin, endpoints: OAuthEndpoints
) -> None:
    _, grant = first_grant(admin, endpoints)
    assert grant.access_token and grant.refresh_token
    assert grant.access_expires_at == NOW + timedelta(hours=1)
    assert grant.refresh_expires_at > NOW + timedelta(days=99)
    assert grant.access_token not in repr(grant)
    assert grant.refresh_token not in repr(grant)


def test_a_code_is_single_use(admin: Admin, endpoints: OAuthEndpoints) -> None:
    app = admin.create_app()
    realm = admin.create_company()
    code, _ = consent_code(
        oauth.authorize_url(endpoints, app["client_id"], REDIRECT_URI, "s"), realm
    )
    secret = app["client_secret"]
    oauth.exchange_code(endpoints, app["client_id"], secret, code, REDIRECT_URI)
    with pytest.raises(Disconnected) as reused:
        oauth.exchange_code(endpoints, app["client_id"], secret, code, REDIRECT_URI)
    assert reused.value.faults[0].code == "invalid_grant"
    assert code not in str(reused.value)


def test_refresh_rotates_the_refresh_token(admin: Admin, endpoints: OAuthEndpoints) -> None:
    app, grant = first_grant(admin, endpoints, refresh_token_policy="strict")
    later = NOW + timedelta(minutes=30)
    fresh = oauth.refresh(
        endpoints, app["client_id"], app["client_secret"], grant.refresh_token, clock=lambda: later
    )
    assert fresh.refresh_token != grant.refresh_token
    assert fresh.access_token != grant.access_token
    assert fresh.access_expires_at == later + timedelta(hours=1)
    # The old refresh token stopped working: a caller that did not persist the new one is cut off.
    with pytest.raises(Disconnected) as stale:
        oauth.refresh(endpoints, app["client_id"], app["client_secret"], grant.refresh_token)
    assert stale.value.faults[0].code == "invalid_grant"
    assert grant.refresh_token not in str(stale.value)
    oauth.refresh(endpoints, app["client_id"], app["client_secret"], fresh.refresh_token)


def test_refresh_may_hand_back_the_same_refresh_token(
    admin: Admin, endpoints: OAuthEndpoints
) -> None:
    """Intuit's documented behaviour: the refresh token stays the same for about a day, so a
    refresh (or two callers refreshing with one token) gets it back unchanged."""
    app, grant = first_grant(admin, endpoints)
    later = NOW + timedelta(minutes=30)
    again = [
        oauth.refresh(
            endpoints,
            app["client_id"],
            app["client_secret"],
            grant.refresh_token,
            clock=lambda: later,
        )
        for _ in range(2)
    ]
    assert [fresh.refresh_token for fresh in again] == [grant.refresh_token] * 2
    assert again[0].access_token != again[1].access_token != grant.access_token
    assert again[1].refresh_expires_at == later + timedelta(days=100)


def test_wrong_client_credentials_are_disconnected_without_the_secret(
    admin: Admin, endpoints: OAuthEndpoints, refresh_token_policy: str
) -> None:
    app, grant = first_grant(admin, endpoints, refresh_token_policy)
    wrong = "wrong-secret-that-must-not-leak"
    with pytest.raises(Disconnected) as refused:
        oauth.refresh(endpoints, app["client_id"], wrong, grant.refresh_token)
    assert refused.value.faults[0].code == "invalid_client"
    for text in (str(refused.value), repr(refused.value), repr(refused.value.faults)):
        assert wrong not in text and grant.refresh_token not in text


def test_revoke_disconnects(
    admin: Admin, endpoints: OAuthEndpoints, refresh_token_policy: str
) -> None:
    app, grant = first_grant(admin, endpoints, refresh_token_policy)
    oauth.revoke(endpoints, app["client_id"], app["client_secret"], grant.refresh_token)
    with pytest.raises(Disconnected):
        oauth.refresh(endpoints, app["client_id"], app["client_secret"], grant.refresh_token)


def test_an_unreachable_server_is_unavailable(endpoints: OAuthEndpoints) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Unavailable) as down:
        oauth.discover(oauth.discovery_url("emulator", closed))
    assert down.value.ambiguous is False
    nowhere = OAuthEndpoints(f"{closed}/a", f"{closed}/t", f"{closed}/r")
    with pytest.raises(Unavailable) as refused:
        oauth.refresh(nowhere, "id", "secret-x", "refresh-y")
    assert "secret-x" not in str(refused.value) and "refresh-y" not in str(refused.value)


def test_a_discovery_document_without_endpoints_is_refused(emulator: EmulatorServer) -> None:
    with pytest.raises(ValueError, match="token_endpoint"):
        oauth.discover(f"{emulator.url}/_emulator/health")
