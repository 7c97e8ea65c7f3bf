"""Company-level objects through python-quickbooks over real HTTP: the read-only tax lists,
Preferences (read and update, with its SyncToken) and CompanyInfo."""

from __future__ import annotations

from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate

from tests.emulator.conftest import Connection
from tests.emulator.qbo_helpers import assert_fault, ok

# --- TaxCode and TaxRate (read-only) ------------------------------------------------------------


def test_tax_codes_and_rates_are_readable(conn: Connection) -> None:
    codes = {c.Name: c for c in TaxCode.all(qb=conn.qb)}
    roseville = TaxCode.get(codes["Roseville City"].Id, qb=conn.qb)
    rate_ids = [d.TaxRateRef.value for d in roseville.SalesTaxRateList.TaxRateDetail]
    rates = [TaxRate.get(rate_id, qb=conn.qb).RateValue for rate_id in rate_ids]
    assert sorted(rates) == [0.5, 1.25, 6.0]
    assert {r.Name for r in TaxRate.all(qb=conn.qb)} >= {"California", "Placer County"}


def test_tax_codes_and_rates_cannot_be_written(conn: Connection) -> None:
    assert_fault(conn.post("taxcode", {"Name": "Mine"}), "500", message="Unsupported Operation")
    assert_fault(
        conn.post("taxrate", {"Name": "Mine", "RateValue": 3}),
        "500",
        detail="Create for TaxRate",
    )
    code = TaxCode.all(qb=conn.qb)[0]
    assert_fault(
        conn.post("taxcode", {"Id": code.Id, "SyncToken": "0", "Name": "Renamed"}),
        "500",
        detail="Update for TaxCode",
    )


# --- Preferences and CompanyInfo --------------------------------------------------------------


def test_preferences_read_and_update(conn: Connection) -> None:
    preferences = Preferences.get(qb=conn.qb)
    assert preferences.SalesFormsPrefs.CustomTxnNumbers is False
    assert preferences.SyncToken == "0"
    preferences.SalesFormsPrefs.CustomTxnNumbers = True
    updated = preferences.save(qb=conn.qb)
    assert updated.SyncToken == "1"
    assert updated.SalesFormsPrefs.CustomTxnNumbers is True
    again = conn.get("preferences").json()["Preferences"]
    assert again["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    assert again["TaxPrefs"]["UsingSalesTax"] is True  # untouched sections stay

    queried = conn.query("SELECT * FROM Preferences").json()["QueryResponse"]["Preferences"]
    assert queried[0]["SyncToken"] == "1"


def test_preferences_update_needs_the_current_sync_token(conn: Connection) -> None:
    body = {"SalesFormsPrefs": {"AllowShipping": True}, "sparse": True}
    assert_fault(
        conn.post("preferences", body),
        "2020",
        detail="Required parameter SyncToken is missing in the request",
    )
    assert ok(conn.post("preferences", {**body, "SyncToken": "0"}), "Preferences")
    assert_fault(conn.post("preferences", {**body, "SyncToken": "0"}), "5010")


def test_company_info_by_realm_id(conn: Connection) -> None:
    info = CompanyInfo.get(conn.realm_id, qb=conn.qb)
    assert info.CompanyName == "Test Company"
    assert info.Country == "US"
    raw = ok(conn.get(f"companyinfo/{conn.realm_id}"), "CompanyInfo")
    names = {pair["Name"]: pair["Value"] for pair in raw["NameValue"]}
    assert names["SubscriptionStatus"] == "PAID"
    rows = conn.query("SELECT * FROM CompanyInfo").json()["QueryResponse"]["CompanyInfo"]
    assert rows[0]["CompanyName"] == "Test Company"
