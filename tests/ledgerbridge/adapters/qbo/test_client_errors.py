"""Each error class, produced by the emulator over real HTTP: expired and revoked tokens,
authorization faults, throttling, server faults, business faults and a lapsed subscription."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledgerbridge.adapters.qbo import (
    AuthExpired,
    BatchItem,
    Disconnected,
    QboClient,
    QuickBooksError,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.adapters.qbo.client import api_base
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.adapters.qbo.conftest import Admin, Company, customer, new_request_id


def test_an_expired_access_token_is_refreshed_once_and_the_request_retried(
    connect: Callable[..., Company], admin: Admin
) -> None:
    # strict: the refresh hands out a new refresh token, which the token source must keep
    company = connect(app=admin.create_app(refresh_token_policy="strict"))
    qb = company.client
    customer(qb, "Before Expiry")
    old_grant = company.tokens.grant
    admin.call("POST", "/tokens/expire", {"realm_id": company.realm_id})

    made = qb.create("Customer", {"DisplayName": "After Expiry"}, request_id=new_request_id())
    assert made["DisplayName"] == "After Expiry"
    assert company.tokens.refreshes == 1
    assert company.tokens.grant.refresh_token != old_grant.refresh_token
    statuses = [r.headers["authorization"] for r in company.transport.requests[-2:]]
    assert statuses == [
        f"Bearer {old_grant.access_token}",
        f"Bearer {company.tokens.grant.access_token}",
    ]
    # The retried write kept its request id.
    ids = {r.url.params["requestid"] for r in company.transport.requests[-2:]}
    assert len(ids) == 1


def test_a_disconnected_company_is_disconnected(
    connect: Callable[..., Company], admin: Admin, refresh_token_policy: str
) -> None:
    company = connect(app=admin.create_app(refresh_token_policy=refresh_token_policy))
    qb = company.client
    customer(qb, "Connected Once")
    admin.call("POST", f"/companies/{company.realm_id}/disconnect")
    with pytest.raises(Disconnected) as gone:
        qb.create("Customer", {"DisplayName": "Too Late"}, request_id=new_request_id())
    # The client tried one refresh; the authorization server refused it.
    assert company.tokens.refreshes == 1
    assert gone.value.faults[0].code == "invalid_grant"
    assert company.tokens.grant.refresh_token not in str(gone.value)


def test_a_fresh_token_refused_again_is_disconnected(
    connect: Callable[..., Company], admin: Admin, refresh_token_policy: str
) -> None:
    company = connect(app=admin.create_app(refresh_token_policy=refresh_token_policy))
    admin.add_fault(company.realm_id, {"method": "GET"}, {"status": 401}, times=2)
    with pytest.raises(Disconnected) as refused:
        company.client.preferences()
    assert company.tokens.refreshes == 1
    assert isinstance(refused.value.__cause__, AuthExpired)
    assert refused.value.faults[0].code == "3200"


def test_an_authorization_fault_is_disconnected(company: Company, admin: Admin) -> None:
    company.client.preferences()
    admin.add_fault(company.realm_id, {"method": "GET"}, {"status": 403})
    with pytest.raises(Disconnected) as refused:
        company.client.preferences()
    assert refused.value.faults[0].code == "3100"
    assert refused.value.faults[0].status == 403
    assert company.tokens.refreshes == 0


def test_a_token_for_another_company_is_disconnected(
    connect: Callable[..., Company], admin: Admin, emulator: EmulatorServer
) -> None:
    mine = connect()
    other_realm = admin.create_company(name="Someone Else")
    base = api_base("emulator", emulator.url)
    with QboClient(base, other_realm, mine.tokens) as wrong, pytest.raises(Disconnected) as exc:
        wrong.company_info()
    assert exc.value.faults[0].code == "3100"
    assert exc.value.faults[0].element is None  # the gateway envelope says null


def test_over_the_rate_limit_is_throttled(company: Company, admin: Admin) -> None:
    admin.patch_company(company.realm_id, throttle={"requests_per_minute": 2})
    company.client.preferences()
    company.client.preferences()
    with pytest.raises(Throttled) as throttled:
        company.client.preferences()
    assert throttled.value.retry_after == 60
    assert throttled.value.faults[0].code == "3001"
    assert throttled.value.faults[0].status == 429


def test_a_server_fault_is_unavailable_and_not_ambiguous(company: Company, admin: Admin) -> None:
    admin.add_fault(company.realm_id, {"method": "POST", "entity": "customer"}, {"status": 500})
    with pytest.raises(Unavailable) as failed:
        company.client.create("Customer", {"DisplayName": "Boom"}, request_id=new_request_id())
    assert failed.value.ambiguous is False
    assert failed.value.faults[0].code == "10000"
    assert failed.value.faults[0].status == 500
    assert failed.value.intuit_tid

    admin.add_fault(company.realm_id, {"method": "GET"}, {"status": 503})
    with pytest.raises(Unavailable) as down:
        company.client.preferences()
    assert down.value.ambiguous is False


def test_a_duplicate_name_is_rejected_with_the_fault_fields(company: Company) -> None:
    customer(company.client, "Only One")
    with pytest.raises(Rejected) as rejected:
        customer(company.client, "Only One")
    fault = rejected.value.first
    assert fault.status == 400
    assert fault.code == "6240"
    assert fault.message == "Duplicate Name Exists Error"
    assert fault.detail.startswith("The name supplied already exists.")
    assert fault.element == "DisplayName"
    assert fault.intuit_tid
    assert str(rejected.value).startswith("6240 Duplicate Name Exists Error: ")


def test_a_stale_sync_token_is_rejected(company: Company) -> None:
    made = customer(company.client, "Stale")
    body = {"Id": made["Id"], "SyncToken": "0", "Notes": "one"}
    company.client.update("Customer", body, request_id=new_request_id())
    with pytest.raises(Rejected) as stale:
        company.client.update("Customer", body, request_id=new_request_id())
    assert stale.value.first.code == "5010"


def test_a_lapsed_subscription_refuses_writes_but_not_reads(company: Company, admin: Admin) -> None:
    made = customer(company.client, "Before Lapse")
    admin.patch_company(company.realm_id, subscription_status="CANCELLED")
    with pytest.raises(SubscriptionLapsed) as lapsed:
        customer(company.client, "After Lapse")
    assert lapsed.value.faults[0].code == "6190"
    assert company.client.read("Customer", made["Id"]) is not None

    # In a batch, every item refused for the lapse is one company-level error.
    with pytest.raises(SubscriptionLapsed):
        company.client.batch(
            [BatchItem("a", "create", "Customer", {"DisplayName": "Batch Lapse"})],
            request_id=new_request_id(),
        )


def test_every_error_is_a_quickbooks_error() -> None:
    for kind in (AuthExpired, Disconnected, Throttled, Unavailable, SubscriptionLapsed, Rejected):
        assert issubclass(kind, QuickBooksError)
