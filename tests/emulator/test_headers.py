"""`intuit_tid` on every answer, and what else the real clients read from an answer.

intuit-oauth puts the `intuit_tid` and `Date` headers of a refused token call into its
`AuthClientError`; python-quickbooks parses every answer but a 401 as JSON and looks for `Fault`
(401s it passes on as text). Both are driven here against the emulator on a real socket.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException, ObjectNotFoundException
from quickbooks.objects.customer import Customer

from qbo_emulator.server import EmulatorServer
from tests.emulator.conftest import REDIRECT_URI, Admin, Connection

TID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")


def tid(response: requests.Response) -> str:
    value = response.headers.get("intuit_tid")
    assert value is not None and TID.match(value), dict(response.headers)
    return value


def test_data_api_answers_carry_a_fresh_tid(conn: Connection) -> None:
    first, second = conn.get(f"companyinfo/{conn.realm_id}"), conn.query("select * from Customer")
    assert first.status_code == second.status_code == 200
    assert tid(first) != tid(second)
    assert first.headers["content-type"].startswith("application/json")
    missing = conn.get("customer/999999")
    assert missing.status_code == 400 and tid(missing)


def test_python_quickbooks_reads_faults_and_401s(conn: Connection, admin: Admin) -> None:
    with pytest.raises(ObjectNotFoundException) as gone:
        Customer.get(999999, qb=conn.qb)
    assert gone.value.error_code == 610
    admin.call("POST", "/tokens/expire", {"realm_id": conn.realm_id})
    with pytest.raises(AuthorizationException) as refused:
        Customer.all(qb=conn.qb)
    assert refused.value.error_code == 401 and "3200" in refused.value.detail
    unauthorized = conn.get("customer/1")
    assert unauthorized.status_code == 401 and tid(unauthorized)


def test_oauth_endpoints_carry_a_tid(emulator: EmulatorServer, admin: Admin) -> None:
    base = emulator.url
    app = admin.create_app()
    discovery = requests.get(f"{base}/.well-known/openid_configuration", timeout=10)
    assert discovery.status_code == 200 and tid(discovery)
    assert tid(requests.get(f"{base}/oauth2/v1/keys", timeout=10))
    bad_authorize = requests.get(f"{base}/connect/oauth2?client_id=nobody", timeout=10)
    assert bad_authorize.status_code == 400 and tid(bad_authorize)
    token_error = requests.post(
        f"{base}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": "AB11" + "x" * 46},
        auth=(app["client_id"], app["client_secret"]),
        timeout=10,
    )
    assert token_error.status_code == 400 and tid(token_error)
    revoke = requests.post(
        f"{base}/v2/oauth2/tokens/revoke",
        json={"token": "AB11unknown"},
        auth=(app["client_id"], app["client_secret"]),
        timeout=10,
    )
    assert revoke.status_code == 200 and tid(revoke)
    userinfo = requests.get(f"{base}/v1/openid_connect/userinfo", timeout=10)
    assert userinfo.status_code == 401 and tid(userinfo)
    assert tid(requests.get(f"{base}/no/such/page", timeout=10))
    assert tid(requests.get(f"{base}/_emulator/health", timeout=10))


def test_intuit_oauth_errors_name_the_tid_and_time(emulator: EmulatorServer, admin: Admin) -> None:
    app: dict[str, Any] = admin.create_app()
    client = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        environment=f"{emulator.url}/.well-known/openid_configuration",
    )
    try:
        with pytest.raises(AuthClientError) as refused:
            client.refresh(refresh_token="AB11" + "y" * 46)
        assert refused.value.status_code == 400
        assert refused.value.intuit_tid and TID.match(refused.value.intuit_tid)
        assert refused.value.timestamp  # the Date header
        assert refused.value.intuit_tid in str(refused.value)
        client.client_secret = "not-the-secret"
        with pytest.raises(AuthClientError) as revoked:
            client.revoke(token="AB11" + "y" * 46)
        assert revoked.value.status_code == 401 and revoked.value.intuit_tid
    finally:
        client.close()
