"""The admin API (`/_emulator`) and the connection's life seen by the real clients: expired,
refreshed, rotated, revoked and disconnected tokens, a token used on another company, and the
consent page of the full app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import jwt
import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from qbo_emulator.clock import MovableClock
from qbo_emulator.server import EmulatorServer
from tests.emulator.api_helpers import fault, gateway_fault, new_customer, new_invoice
from tests.emulator.conftest import REDIRECT_URI, Admin, Connection, authorize, oauth_later


def client_for(conn: Connection) -> QuickBooks:
    """A python-quickbooks client on the connection's current tokens (as after a refresh)."""
    return QuickBooks(
        auth_client=conn.auth,
        refresh_token=conn.auth.refresh_token,
        company_id=conn.realm_id,
        minorversion=75,
    )


@pytest.fixture
def fresh_clients() -> Iterator[list[QuickBooks]]:
    made: list[QuickBooks] = []
    yield made
    for qb in made:
        qb.session.close()


def assert_invalid_grant(raised: pytest.ExceptionInfo[AuthClientError]) -> None:
    assert raised.value.status_code == 400
    assert b"invalid_grant" in raised.value.content


# --- tokens -----------------------------------------------------------------------------------


def test_expired_access_token_then_refresh_and_rotation(
    connect: Callable[..., Connection], admin: Admin, fresh_clients: list[QuickBooks]
) -> None:
    conn = connect(app=admin.create_app(refresh_token_policy="strict"))
    new_customer(conn.qb, "Before Expiry")
    expired = admin.call("POST", "/tokens/expire", {"realm_id": conn.realm_id})
    assert expired.status_code == 200
    assert expired.json()["access_tokens_expired"] >= 1

    response = conn.get("customer/1")
    assert response.status_code == 401
    error = gateway_fault(response)
    assert error["code"] == "3200"
    assert response.json()["fault"]["type"] == "AUTHENTICATION"
    with pytest.raises(AuthorizationException) as raised:
        Customer.all(qb=conn.qb)
    assert raised.value.error_code == 401

    old_refresh = conn.auth.refresh_token
    conn.auth.refresh()
    assert conn.auth.refresh_token != old_refresh  # rotated
    assert conn.auth.expires_in == 3600
    qb = client_for(conn)
    fresh_clients.append(qb)
    assert [c.DisplayName for c in Customer.all(qb=qb)] == ["Before Expiry"]

    with pytest.raises(AuthClientError) as stale:
        conn.auth.refresh(refresh_token=old_refresh)
    assert_invalid_grant(stale)
    # The rotated token still works, and rotates again.
    current = conn.auth.refresh_token
    conn.auth.refresh()
    assert conn.auth.refresh_token != current


def test_refreshing_twice_with_the_same_token_works_by_default(
    conn: Connection, fresh_clients: list[QuickBooks]
) -> None:
    """Intuit's documented behaviour: a client that refreshes twice with one refresh token
    (two processes, or a retry after a lost answer) gets the same token back both times."""
    first = conn.auth.refresh_token
    conn.auth.refresh()
    conn.auth.refresh(refresh_token=first)
    assert conn.auth.refresh_token == first
    qb = client_for(conn)
    fresh_clients.append(qb)
    assert Customer.all(qb=qb) == []


@pytest.mark.parametrize("where", ["app", "company"])
def test_strict_rotation_is_an_app_or_company_setting(
    connect: Callable[..., Connection], admin: Admin, where: str
) -> None:
    if where == "app":
        app = admin.create_app(refresh_token_policy="strict")
        assert app["refresh_token_policy"] == "strict"
        conn = connect(app=app)
    else:
        conn = connect()
        summary = admin.patch_company(conn.realm_id, {"refresh_token_policy": "strict"})
        assert summary["refresh_token_policy"] == "strict"
    first = conn.auth.refresh_token
    conn.auth.refresh()
    assert conn.auth.refresh_token != first
    with pytest.raises(AuthClientError) as stale:
        conn.auth.refresh(refresh_token=first)
    assert_invalid_grant(stale)
    assert stale.value.intuit_tid  # intuit-oauth keeps the answer's intuit_tid for support
    if where == "company":
        summary = admin.patch_company(conn.realm_id, {"refresh_token_policy": None})
        assert summary["refresh_token_policy"] is None
        kept = conn.auth.refresh_token
        conn.auth.refresh()
        assert conn.auth.refresh_token == kept


def test_refresh_token_policy_is_validated(admin: Admin, conn: Connection) -> None:
    for path, method in ((f"/companies/{conn.realm_id}", "PATCH"), ("/apps", "POST")):
        response = admin.call(method, path, {"refresh_token_policy": "sometimes"})
        assert response.status_code == 422
        assert response.json()["field"] == "refresh_token_policy"
    app = conn.app["client_id"]
    response = admin.call("PATCH", f"/apps/{app}", {"refresh_token_policy": "strict"})
    assert response.status_code == 200 and response.json()["refresh_token_policy"] == "strict"


def test_token_of_one_company_on_another(connect: Callable[..., Connection]) -> None:
    mine, theirs = connect(name="Mine"), connect(name="Theirs")
    response = requests.get(
        theirs.url(f"companyinfo/{theirs.realm_id}"), headers=mine.headers(), timeout=10
    )
    assert response.status_code == 403
    error = gateway_fault(response)
    assert error["code"] == "3100"
    assert "AuthorizationFailed" in error["message"]

    wrong = QuickBooks(
        auth_client=mine.auth,
        refresh_token=mine.auth.refresh_token,
        company_id=theirs.realm_id,
        minorversion=75,
    )
    try:
        with pytest.raises(QuickbooksException) as raised:
            Customer.all(qb=wrong)
        assert "403" in raised.value.message
    finally:
        wrong.session.close()


def test_a_code_grants_the_company_consented_to_whatever_the_callback_says(
    emulator: EmulatorServer, admin: Admin
) -> None:
    """As at Intuit, `realmId` on the redirect only reports the company chosen: an app that
    reads another one there (an edited link) still holds a token for the one consented to,
    which the id_token's `realmid` names and QuickBooks refuses (403, 3100) anywhere else."""
    chosen, named = admin.create_company("Chosen"), admin.create_company("Named")
    app = admin.create_app()
    auth = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        environment=f"{emulator.url}/.well-known/openid_configuration",
    )
    url = auth.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID], state_token="s")
    consent = requests.get(f"{url}&realm_id={chosen}&approve=true", allow_redirects=False)
    query = parse_qs(urlparse(consent.headers["location"]).query)
    assert query["realmId"] == [chosen]
    auth.get_bearer_token(query["code"][0], realm_id=named)  # the app believes the edit
    try:
        claims = jwt.decode(auth.id_token, options={"verify_signature": False})
        assert claims["realmid"] == chosen
        bearer = {"Authorization": f"Bearer {auth.access_token}", "Accept": "application/json"}
        there = requests.get(
            f"{emulator.url}/v3/company/{named}/companyinfo/{named}", headers=bearer
        )
        assert there.status_code == 403 and gateway_fault(there)["code"] == "3100"
        here = requests.get(
            f"{emulator.url}/v3/company/{chosen}/companyinfo/{chosen}", headers=bearer
        )
        assert here.status_code == 200
    finally:
        auth.close()


def test_revoked_grant(conn: Connection) -> None:
    assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 200
    refresh_token = conn.auth.refresh_token
    assert conn.auth.revoke() is True
    response = conn.get(f"companyinfo/{conn.realm_id}")
    assert response.status_code == 401
    assert gateway_fault(response)["code"] == "3200"
    with pytest.raises(AuthorizationException):
        Invoice.count(qb=conn.qb)
    with pytest.raises(AuthClientError) as raised:
        conn.auth.refresh(refresh_token=refresh_token)
    assert_invalid_grant(raised)


def test_disconnect_from_the_company_side(connect: Callable[..., Connection], admin: Admin) -> None:
    conn = connect(name="Disconnected")
    other = connect(name="Still Connected")
    response = admin.call("POST", f"/companies/{conn.realm_id}/disconnect")
    assert response.status_code == 200
    assert response.json() == {"realm_id": conn.realm_id, "disconnected": True}
    assert conn.get(f"companyinfo/{conn.realm_id}").status_code == 401
    with pytest.raises(AuthClientError) as raised:
        conn.auth.refresh()
    assert_invalid_grant(raised)
    # Other companies keep their connections.
    assert other.get(f"companyinfo/{other.realm_id}").status_code == 200
    other.auth.refresh()

    # Reconnecting through OAuth works again.
    again = authorize(conn.base, conn.app, conn.realm_id)
    try:
        ok = requests.get(
            conn.url(f"companyinfo/{conn.realm_id}"),
            headers={"Authorization": f"Bearer {again.access_token}", "Accept": "application/json"},
            timeout=10,
        )
        assert ok.status_code == 200
    finally:
        again.close()


def test_expired_refresh_tokens(conn: Connection, admin: Admin) -> None:
    response = admin.call(
        "POST", "/tokens/expire", {"realm_id": conn.realm_id, "refresh_tokens": True}
    )
    assert response.json()["refresh_tokens_expired"] == 1
    with pytest.raises(AuthClientError) as raised:
        conn.auth.refresh()
    assert_invalid_grant(raised)


# --- consent page -----------------------------------------------------------------------------


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.companies: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = found.get("action", "")
        elif tag == "input" and found.get("type") == "hidden":
            self.hidden[found["name"]] = found.get("value", "")
        elif tag == "input" and found.get("type") == "radio":
            self.companies.append(found.get("value", ""))


def test_consent_page_through_the_full_app(
    emulator: EmulatorServer, admin: Admin, fresh_clients: list[QuickBooks]
) -> None:
    realm = admin.create_company("Consent & Co")
    app = admin.create_app(name="Consent Test App")
    auth = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        environment=f"{emulator.url}/.well-known/openid_configuration",
    )
    try:
        url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="st-42")
        page = requests.get(url, timeout=10)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Consent &amp; Co" in page.text
        assert "Consent Test App" in page.text
        form = _Form()
        form.feed(page.text)
        assert realm in form.companies

        submitted = requests.post(
            urljoin(url, form.action),
            data={**form.hidden, "realm_id": realm, "action": "connect"},
            allow_redirects=False,
            timeout=10,
        )
        assert submitted.status_code in (302, 303)
        location = submitted.headers["location"]
        assert location.startswith(REDIRECT_URI)
        params = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        assert params["state"] == "st-42"
        assert params["realmId"] == realm
        auth.get_bearer_token(params["code"], realm_id=params["realmId"])

        QuickBooks.api_url_v3 = f"{emulator.url}/v3"
        qb = QuickBooks(
            auth_client=auth, refresh_token=auth.refresh_token, company_id=realm, minorversion=75
        )
        fresh_clients.append(qb)
        assert Customer.count(qb=qb) == 0
    finally:
        auth.close()


# --- admin API --------------------------------------------------------------------------------


def test_company_summary_export_and_listing(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Exported")
    kept = new_invoice(conn.qb, customer.Id, amount="12.34")
    gone = new_invoice(conn.qb, customer.Id)
    voided = new_invoice(conn.qb, customer.Id)
    gone.delete(qb=conn.qb)
    voided.void(qb=conn.qb)

    exported = admin.export(conn.realm_id)
    assert exported["realm_id"] == conn.realm_id
    assert exported["name"] == "Test Company"
    assert exported["subscription_status"] == "PAID"
    assert {c["DisplayName"] for c in exported["entities"]["Customer"]} == {"Exported"}
    invoices = {i["Id"]: i for i in exported["entities"]["Invoice"]}
    assert set(invoices) == {kept.Id, voided.Id}
    assert invoices[kept.Id]["TotalAmt"] == 12.34
    assert exported["deleted"] == {"Invoice": [gone.Id]}
    assert exported["voided"] == {"Invoice": [voided.Id]}
    assert exported["counts"]["Invoice"] == 2

    listed = admin.call("GET", "/companies").json()["companies"]
    assert conn.realm_id in {c["realm_id"] for c in listed}
    health = admin.call("GET", "/health").json()
    assert health["status"] == "ok"
    assert health["companies"] >= 1


def test_subscription_status_and_name(conn: Connection, admin: Admin) -> None:
    summary = admin.patch_company(
        conn.realm_id, {"subscription_status": "CANCELLED", "name": "Lapsed Ltd"}
    )
    assert summary["subscription_status"] == "CANCELLED"
    assert summary["name"] == "Lapsed Ltd"
    refused = conn.post("customer", {"DisplayName": "Nope"})
    assert refused.status_code == 400
    assert fault(refused)["code"] == "6190"
    with pytest.raises(QuickbooksException) as raised:
        new_customer(conn.qb, "Also Nope")
    assert raised.value.error_code == 6190
    assert conn.query("SELECT COUNT(*) FROM Customer").status_code == 200  # reads still work
    admin.patch_company(conn.realm_id, {"subscription_status": "PAID"})
    assert new_customer(conn.qb, "Paid Again").Id


def test_clock_moves_the_company_time(conn: Connection, admin: Admin) -> None:
    summary = admin.patch_company(conn.realm_id, {"clock": "2026-03-01T09:30:00-08:00"})
    assert summary["clock"] == "2026-03-01T09:30:00-08:00"
    assert summary["now"].startswith("2026-03-01T09:3")
    customer = new_customer(conn.qb, "Time Traveller")
    assert customer.MetaData["CreateTime"].startswith("2026-03-01T09:3")
    response = conn.get(f"customer/{customer.Id}")
    assert response.json()["time"].startswith("2026-03-01T09:3")
    admin.patch_company(conn.realm_id, {"clock": None})
    assert admin.call("GET", f"/companies/{conn.realm_id}").json()["clock"] is None


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/companies", {"name": 5}, "name"),
        ("POST", "/companies", {"preset": "huge"}, "preset"),
        ("POST", "/companies", {"preferences": []}, "preferences"),
        ("POST", "/companies", {"realm_id": "abc"}, "realm_id"),
        ("POST", "/apps", {"redirect_uris": "http://x"}, "redirect_uris"),
        ("POST", "/apps", {"redirect_uris": [], "webhook_format": "xml"}, "webhook_format"),
        ("PATCH", "/companies/{realm}", {"colour": "blue"}, "colour"),
        ("PATCH", "/companies/{realm}", {"clock": "yesterday"}, "clock"),
        ("PATCH", "/companies/{realm}", {"subscription_status": "MAYBE"}, "subscription_status"),
        ("PATCH", "/companies/{realm}", {"name": ""}, "name"),
        (
            "PATCH",
            "/companies/{realm}",
            {"preferences": {"AccountingInfoPrefs": {"BookCloseDate": "soon"}}},
            "preferences.AccountingInfoPrefs.BookCloseDate",
        ),
        ("POST", "/companies/{realm}/merge", {"entity": "Invoice"}, "entity"),
        ("POST", "/companies/{realm}/merge", {"entity": "Customer", "from_id": "1"}, "into_id"),
        ("POST", "/companies/{realm}/deposits", {"ids": []}, "ids"),
        ("POST", "/tokens/expire", {}, "realm_id"),
        ("PATCH", "/webhooks", {"time_scale": -1}, "time_scale"),
    ],
)
def test_invalid_admin_input_names_the_field(
    conn: Connection, admin: Admin, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = admin.call(method, path.format(realm=conn.realm_id), body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert answer["field"] == field
    assert answer["message"]


def test_body_that_is_not_a_json_object(admin: Admin) -> None:
    response = requests.post(f"{admin.base}/_emulator/companies", data=b"[1, 2", timeout=10)
    assert response.status_code == 422
    assert response.json()["field"] == "body"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/companies/{realm}", None),
        ("PATCH", "/companies/{realm}", {"name": "X"}),
        ("GET", "/companies/{realm}/export", None),
        ("POST", "/companies/{realm}/faults", {"action": {"latency_ms": 5}}),
        ("GET", "/companies/{realm}/faults", None),
        ("DELETE", "/companies/{realm}/faults", None),
        ("POST", "/companies/{realm}/merge", {"entity": "Customer"}),
        ("POST", "/companies/{realm}/disconnect", None),
        ("POST", "/tokens/expire", {"realm_id": "{realm}"}),
    ],
)
def test_unknown_company_is_404(
    admin: Admin, method: str, path: str, body: dict[str, Any] | None
) -> None:
    realm = "1234500000000000"
    if body is not None:
        body = {k: (v.format(realm=realm) if isinstance(v, str) else v) for k, v in body.items()}
    response = admin.call(method, path.format(realm=realm), body)
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "realm_id"


def test_unknown_company_on_the_data_api(conn: Connection) -> None:
    response = requests.get(
        f"{conn.base}/v3/company/1234500000000000/companyinfo/1",
        headers=conn.headers(),
        timeout=10,
    )
    assert response.status_code == 403
    assert gateway_fault(response)["code"] == "3100"


def test_reset_forgets_companies_and_connections() -> None:
    with EmulatorServer() as server:
        admin = Admin(server.url)
        realm = admin.create_company("Short Lived")
        app = admin.create_app()
        tokens = admin.call("POST", f"/companies/{realm}/connect", {"client_id": app["client_id"]})
        assert tokens.status_code == 200
        access = tokens.json()["access_token"]
        assert admin.call("POST", "/reset").json() == {"reset": True}
        assert admin.call("GET", f"/companies/{realm}").status_code == 404
        assert admin.call("GET", "/companies").json() == {"companies": []}
        apps = admin.call("GET", "/apps").json()["apps"]
        assert [a["client_id"] for a in apps] == [app["client_id"]]  # apps stay
        response = requests.get(
            f"{server.url}/v3/company/{realm}/companyinfo/{realm}",
            headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
            timeout=10,
        )
        assert response.status_code == 401


def test_the_maximum_life_of_refresh_tokens_is_an_app_or_company_setting(
    connect: Callable[..., Connection], admin: Admin, emulator: EmulatorServer
) -> None:
    app = admin.create_app(refresh_token_max_life=5_000)
    assert app["refresh_token_max_life"] == 5_000
    conn = connect(app=app)
    assert 4_990 <= conn.auth.x_refresh_token_expires_in <= 5_000  # never beyond the end
    summary = admin.patch_company(conn.realm_id, {"refresh_token_max_life": 3_000})
    assert summary["refresh_token_max_life"] == 3_000
    conn.auth.refresh()
    assert 2_990 <= conn.auth.x_refresh_token_expires_in <= 3_000
    admin.patch_company(conn.realm_id, {"refresh_token_max_life": 1})  # the end has passed
    oauth_later(emulator, 1.1)  # (on the OAuth server's clock: not waited for)
    with pytest.raises(AuthClientError) as ended:
        conn.auth.refresh()
    assert ended.value.status_code == 400
    assert json.loads(ended.value.content)["error"] == "invalid_grant"
    summary = admin.patch_company(conn.realm_id, {"refresh_token_max_life": None})
    assert summary["refresh_token_max_life"] is None
    conn.auth.refresh()  # the app's five thousand seconds again: the grant works once more


def test_the_oauth_clock_moves_forward_only() -> None:
    clock = MovableClock()
    before = time.time()
    clock.advance(3_600)
    assert clock() >= before + 3_600
    for bad in (-1.0, float("nan"), float("-inf")):
        with pytest.raises(ValueError, match="only moves forward"):
            clock.advance(bad)
    assert clock() < time.time() + 3_601  # the refused moves left it where it was


def test_refresh_token_max_life_is_validated(admin: Admin, conn: Connection) -> None:
    for value in (0, -5, "soon", 1.5, True):
        for path, method in ((f"/companies/{conn.realm_id}", "PATCH"), ("/apps", "POST")):
            response = admin.call(method, path, {"refresh_token_max_life": value})
            assert response.status_code == 422, (path, value)
            assert response.json()["field"] == "refresh_token_max_life"
    app = conn.app["client_id"]
    response = admin.call("PATCH", f"/apps/{app}", {"refresh_token_max_life": 60})
    assert response.status_code == 200 and response.json()["refresh_token_max_life"] == 60
    response = admin.call("PATCH", f"/apps/{app}", {"refresh_token_max_life": None})
    assert response.status_code == 200 and response.json()["refresh_token_max_life"] is None
