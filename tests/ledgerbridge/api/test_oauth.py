"""Connecting a company through the API, against the emulator's real OAuth server.

The client that asks `/connect` is the browser: it keeps the sign-in cookie and follows the
callback; `stack.client()` is another browser, without it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from tests.ledgerbridge.api.conftest import Stack, error_of
from tests.ledgerbridge.tls import shared_tls


def _consent(stack: Stack, connection_id: str, realm_id: str) -> httpx.Response:
    """Connect -> the emulator's consent page, approved for `realm_id` -> our callback."""
    start = stack.http.get(f"/v1/connections/{connection_id}/connect")
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(f"{stack.emulator_url}/")
    query = parse_qs(urlparse(authorize).query)
    assert query["redirect_uri"] == [f"{stack.url}/v1/oauth/callback"]
    assert query["state"][0]

    consent = httpx.get(
        f"{authorize}&realm_id={realm_id}&approve=true", timeout=10, verify=shared_tls()
    )
    assert consent.status_code in (302, 303), consent.text
    callback = consent.headers["location"]
    assert callback.startswith(f"{stack.url}/v1/oauth/callback?")
    return stack.http.get(callback)


def test_connect_completes_with_the_company_chosen(stack: Stack) -> None:
    cid = stack.connection()["id"]
    realm = stack.company("Summit Ridge Builders")

    page = _consent(stack, cid, realm)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Connected to" in page.text

    connection = stack.http.get(f"/v1/connections/{cid}").json()
    assert connection["status"] == "active"
    assert connection["realm_id"] == realm
    assert cid in stack.wakes


def test_a_callback_is_used_once(stack: Stack) -> None:
    cid = stack.connection()["id"]
    authorize = stack.http.get(f"/v1/connections/{cid}/connect").headers["location"]
    consent = httpx.get(
        f"{authorize}&realm_id={stack.company()}&approve=true", timeout=10, verify=shared_tls()
    )
    callback = consent.headers["location"]
    assert stack.http.get(callback).status_code == 200

    replay = stack.http.get(callback)
    assert replay.status_code == 400
    assert "unknown, expired or was already used" in replay.text


def test_a_callback_in_another_browser_is_refused_and_uses_nothing_up(stack: Stack) -> None:
    """Someone else's browser (a link sent to a victim, a URL read over a shoulder) cannot
    complete a sign-in; the browser that started it still can."""
    cid = stack.connection()["id"]
    realm = stack.company()
    authorize = stack.http.get(f"/v1/connections/{cid}/connect").headers["location"]
    callback = httpx.get(f"{authorize}&realm_id={realm}&approve=true", verify=shared_tls()).headers[
        "location"
    ]

    elsewhere = stack.client().get(callback)
    assert elsewhere.status_code == 400
    assert "Not connected" in elsewhere.text
    assert stack.http.get(f"/v1/connections/{cid}").json()["status"] == "not_connected"

    assert stack.http.get(callback).status_code == 200
    assert stack.http.get(f"/v1/connections/{cid}").json()["status"] == "active"


def test_a_script_gets_a_link_that_binds_the_browser_that_opens_it(stack: Stack) -> None:
    cid = stack.connection()["id"]
    start = stack.http.get(f"/v1/connections/{cid}/connect", params={"format": "json"})
    assert start.status_code == 200
    link = start.json()["url"]
    assert link.startswith(f"{stack.url}/v1/oauth/start?state=")

    person = stack.client()  # the script sends its person's browser to the link
    opened = person.get(link)
    assert opened.status_code == 302
    authorize = opened.headers["location"]
    assert authorize.startswith(f"{stack.emulator_url}/")
    assert stack.client().get(link).status_code == 400  # it opens once

    callback = httpx.get(
        f"{authorize}&realm_id={stack.company()}&approve=true", verify=shared_tls()
    )
    assert stack.client().get(callback.headers["location"]).status_code == 400
    done = person.get(callback.headers["location"])
    assert done.status_code == 200, done.text
    assert stack.http.get(f"/v1/connections/{cid}").json()["status"] == "active"


def test_the_realm_in_the_link_is_not_trusted_over_the_grant(stack: Stack) -> None:
    """A code for company R1 with `realmId=R2` never makes the connection active on R2."""
    cid = stack.connection()["id"]
    granted, named = stack.company("Granted"), stack.company("Named")
    authorize = stack.http.get(f"/v1/connections/{cid}/connect").headers["location"]
    callback = httpx.get(
        f"{authorize}&realm_id={granted}&approve=true", verify=shared_tls()
    ).headers["location"]
    edited = callback.replace(f"realmId={granted}", f"realmId={named}")
    assert edited != callback

    assert stack.http.get(edited).status_code == 200
    connection = stack.http.get(f"/v1/connections/{cid}").json()
    assert (connection["status"], connection["realm_id"]) == ("active", granted)


def test_an_unknown_state_is_a_400_page(stack: Stack) -> None:
    stack.connection()
    response = stack.client().get(
        "/v1/oauth/callback", params={"code": "c", "state": "forged", "realmId": "1"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Not connected" in response.text


def test_a_declined_or_incomplete_callback_is_a_400_page(stack: Stack) -> None:
    declined = stack.client().get(
        "/v1/oauth/callback", params={"error": "access_denied", "state": "s"}
    )
    assert declined.status_code == 400
    assert "access_denied" in declined.text
    incomplete = stack.client().get("/v1/oauth/callback", params={"state": "s"})
    assert incomplete.status_code == 400


def test_connecting_another_company_is_refused(stack: Stack) -> None:
    cid = stack.connection()["id"]
    assert _consent(stack, cid, stack.company("First")).status_code == 200
    page = _consent(stack, cid, stack.company("Second"))
    assert page.status_code == 409
    assert stack.http.get(f"/v1/connections/{cid}").json()["status"] == "wrong_company"


def test_a_production_connection_without_app_credentials_is_a_409(stack: Stack) -> None:
    """The server's set-up, not a failure of it: no 5xx (issue 13, the schemathesis run)."""
    response = stack.http.post(
        "/v1/connections", json={"name": "Live", "environment": "production"}
    )
    response = stack.http.get(f"/v1/connections/{response.json()['id']}/connect")
    assert response.status_code == 409
    assert error_of(response)["code"] == "connection.not_configured"
    assert "LEDGERBRIDGE_QBO_CLIENT_ID" in error_of(response)["message"]
