"""`POST /v1/qbo/webhooks`: Intuit's signed notifications wake the pull of their companies,
and mark them notified (`connections.notified_at`: the jobs' sweep reads them less often)."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.engine.service.webhooks import NOTIFIED_EVERY
from ledgerbridge.storage.connections import Connections
from tests.ledgerbridge.api.conftest import Stack, error_of
from tests.ledgerbridge.intuit_notices import marks_written, notification, sign
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls

HOOK = "/v1/qbo/webhooks"


def _notified_at(stack: Stack, cid: str) -> datetime | None:
    with stack.ledger.db.session(readonly=True) as session:
        stored = Connections(session).get_unscoped(cid)
    assert stored is not None
    return stored.notified_at


def _marking(stack: Stack) -> AbstractContextManager[list[str]]:
    """The statements that mark connections notified, as the API's database receives them."""
    return marks_written(stack.ledger.db.engine)


@pytest.fixture
def connected(stack: Stack) -> tuple[str, str, str]:
    """A connection made active through the API: (connection id, realm id, verifier token)."""
    cid = stack.connection()["id"]
    realm = stack.company()
    authorize = stack.http.get(f"/v1/connections/{cid}/connect").headers["location"]
    consent = httpx.get(
        f"{authorize}&realm_id={realm}&approve=true", timeout=HTTP_TIMEOUT, verify=shared_tls()
    )
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
    assert stack.http.get(f"/v1/connections/{cid}").json()["webhooks_seen_at"] is None
    body = notification(realm)
    response = stack.client().post(
        HOOK, content=body, headers={"intuit-signature": sign(body, token)}
    )
    assert response.status_code == 200, response.text
    assert stack.pulls == [cid]
    notified = _notified_at(stack, cid)
    assert notified is not None
    # the connection says so, as its operator sees it
    shown = stack.http.get(f"/v1/connections/{cid}").json()["webhooks_seen_at"]
    assert datetime.fromisoformat(shown) == notified


def test_a_burst_of_notifications_marks_the_company_once_a_minute(
    stack: Stack, connected: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every notification wakes a pull, but only the first of a burst writes the moment: the
    others find it fresh in the rows they read anyway. A minute later the next one writes.
    The ledger's clock stands still through each burst: on a loaded machine the real one
    could pass the minute between two posts, and the burst would rightly write twice."""
    cid, realm, token = connected
    body = notification(realm)
    client = stack.client()
    start = stack.ledger.clock()
    monkeypatch.setattr(stack.ledger, "clock", lambda: start)

    def post() -> None:
        response = client.post(HOOK, content=body, headers={"intuit-signature": sign(body, token)})
        assert response.status_code == 200, response.text

    with _marking(stack) as marks:
        for _ in range(5):
            post()
    assert len(marks) == 1, marks
    assert stack.pulls == [cid] * 5
    assert _notified_at(stack, cid) == start

    later = start + NOTIFIED_EVERY + timedelta(seconds=1)
    monkeypatch.setattr(stack.ledger, "clock", lambda: later)
    with _marking(stack) as marks:
        post()
        post()
    assert len(marks) == 1, marks
    assert _notified_at(stack, cid) == later


def test_a_notification_for_another_company_wakes_nothing(
    stack: Stack, connected: tuple[str, str, str]
) -> None:
    cid, _, token = connected
    body = notification("999999")
    with _marking(stack) as marks:
        response = stack.client().post(
            HOOK, content=body, headers={"intuit-signature": sign(body, token)}
        )
    assert response.status_code == 200
    assert stack.pulls == []
    assert marks == [] and _notified_at(stack, cid) is None


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_a_bad_signature_is_a_401(
    stack: Stack, connected: tuple[str, str, str], signature: str | None
) -> None:
    cid, realm, _ = connected
    headers = {} if signature is None else {"intuit-signature": signature}
    with _marking(stack) as marks:
        response = stack.client().post(HOOK, content=notification(realm), headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "webhook.bad_signature"
    assert stack.pulls == []
    assert marks == [] and _notified_at(stack, cid) is None  # nothing written


def test_a_signed_body_that_is_not_a_notification_is_a_400(
    stack: Stack, connected: tuple[str, str, str]
) -> None:
    cid, _, token = connected
    for body in (b"not json", b'{"something": "else"}'):
        headers = {"intuit-signature": sign(body, token)}
        response = stack.client().post(HOOK, content=body, headers=headers)
        assert response.status_code == 400, body
        assert error_of(response)["code"] == "webhook.malformed"
    assert _notified_at(stack, cid) is None
