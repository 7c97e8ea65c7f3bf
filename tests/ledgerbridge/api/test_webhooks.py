"""`POST /v1/qbo/webhooks`: Intuit's signed notifications wake the pull of their companies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.ledgerbridge.api.conftest import Stack, error_of

HOOK = "/v1/qbo/webhooks"


def _sign(body: bytes, token: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def _notification(realm_id: str) -> bytes:
    entity = {
        "name": "Customer",
        "id": "1",
        "operation": "Update",
        "lastUpdated": "2025-03-01T10:00:00.000Z",
    }
    event = {"realmId": realm_id, "dataChangeEvent": {"entities": [entity]}}
    return json.dumps({"eventNotifications": [event]}).encode()


@pytest.fixture
def connected(stack: Stack) -> tuple[str, str, str]:
    """A connection made active through the API: (connection id, realm id, verifier token)."""
    cid = stack.connection()["id"]
    realm = stack.company()
    authorize = stack.http.get(f"/v1/connections/{cid}/connect").headers["location"]
    consent = httpx.get(f"{authorize}&realm_id={realm}&approve=true", timeout=10)
    assert stack.http.get(consent.headers["location"]).status_code == 200  # the same browser
    client_id = parse_qs(urlparse(authorize).query)["client_id"][0]
    saved = json.loads((stack.data_dir / "emulator-app.json").read_text())
    app = saved[stack.emulator_url]
    assert app["client_id"] == client_id
    assert stack.pulls == [cid]  # a new connection pulls right away
    stack.pulls.clear()
    return cid, realm, app["verifier_token"]


def test_a_signed_notification_wakes_the_pull(
    stack: Stack, connected: tuple[str, str, str]
) -> None:
    cid, realm, token = connected
    body = _notification(realm)
    response = stack.client().post(
        HOOK, content=body, headers={"intuit-signature": _sign(body, token)}
    )
    assert response.status_code == 200, response.text
    assert stack.pulls == [cid]


def test_a_notification_for_another_company_wakes_nothing(
    stack: Stack, connected: tuple[str, str, str]
) -> None:
    _, _, token = connected
    body = _notification("999999")
    response = stack.client().post(
        HOOK, content=body, headers={"intuit-signature": _sign(body, token)}
    )
    assert response.status_code == 200
    assert stack.pulls == []


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_a_bad_signature_is_a_401(
    stack: Stack, connected: tuple[str, str, str], signature: str | None
) -> None:
    _, realm, _ = connected
    headers = {} if signature is None else {"intuit-signature": signature}
    response = stack.client().post(HOOK, content=_notification(realm), headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "webhook.bad_signature"
    assert stack.pulls == []


def test_a_signed_body_that_is_not_a_notification_is_a_400(
    stack: Stack, connected: tuple[str, str, str]
) -> None:
    _, _, token = connected
    for body in (b"not json", b'{"something": "else"}'):
        headers = {"intuit-signature": _sign(body, token)}
        response = stack.client().post(HOOK, content=body, headers=headers)
        assert response.status_code == 400, body
        assert error_of(response)["code"] == "webhook.malformed"
