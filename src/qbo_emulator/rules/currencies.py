"""Multicurrency: the company's currencies (CompanyCurrency) and their exchange rates.

Both exist only in a company with multicurrency on (`Preferences.CurrencyPrefs.
MultiCurrencyEnabled`; Intuit turns it on in the UI only, the emulator through the admin API's
preferences too); elsewhere they answer 5030 Feature Not Supported. A rate is the number of home
currency units one unit of the foreign currency is worth, on a date (Intuit's "Manage multiple
currencies" tutorial); it has no Id and is read by currency and date:

    GET /exchangerate?sourcecurrencycode=EUR&asofdate=2025-03-10
    POST /exchangerate {"SourceCurrencyCode": "EUR", "AsOfDate": "2025-03-10", "Rate": 1.08, ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbo_emulator import clock, faults
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.values import blank, decimal, iso_date

# ISO 4217 codes QuickBooks Online offers, with the names it gives them (a common subset).
CURRENCIES = {
    "AUD": "Australian Dollar",
    "BRL": "Brazilian Real",
    "CAD": "Canadian Dollar",
    "CHF": "Swiss Franc",
    "CNY": "Chinese Yuan Renminbi",
    "CZK": "Czech Koruna",
    "DKK": "Danish Krone",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "HKD": "Hong Kong Dollar",
    "HUF": "Hungarian Forint",
    "ILS": "Israeli New Shekel",
    "INR": "Indian Rupee",
    "JPY": "Japanese Yen",
    "KRW": "South Korean Won",
    "MXN": "Mexican Peso",
    "NOK": "Norwegian Krone",
    "NZD": "New Zealand Dollar",
    "PHP": "Philippine Peso",
    "PLN": "Polish Zloty",
    "SEK": "Swedish Krona",
    "SGD": "Singapore Dollar",
    "THB": "Thai Baht",
    "TRY": "Turkish Lira",
    "TWD": "New Taiwan Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}


def _feature_off() -> faults.QBOFault:
    return faults.QBOFault(
        faults.Fault(
            400,
            "ValidationFault",
            (
                faults.ErrorItem(
                    "5030",
                    "Feature Not Supported",
                    "Feature Not Supported : multicurrency is not turned on for this company "
                    "(Preferences.CurrencyPrefs.MultiCurrencyEnabled).",
                ),
            ),
        )
    )


def home_currency(ctx: Ctx) -> str:
    home = ctx.pref("CurrencyPrefs", "HomeCurrency", {}) or {}
    return str(home.get("value") or "USD") if isinstance(home, Mapping) else str(home)


def require_multicurrency(ctx: Ctx) -> None:
    if ctx.pref("CurrencyPrefs", "MultiCurrencyEnabled", False) is not True:
        raise _feature_off()


def _code(value: Any, element: str) -> str:
    if blank(value):
        raise faults.required_param(element)
    code = str(value).strip().upper()
    if code not in CURRENCIES:
        raise faults.invalid_enumeration(element, code)
    return code


def prepare_company_currency(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    """Code: an ISO 4217 code, not the home currency, once per company, never changed."""
    require_multicurrency(ctx)
    code = _code(obj.get("Code"), "Code")
    if existing is not None and code != existing.get("Code"):
        raise faults.business_validation("A currency's Code cannot be changed.", "Code")
    if existing is None and code == home_currency(ctx):
        raise faults.business_validation(
            f"{code} is the company's home currency; it is always in the currency list.", "Code"
        )
    other = ctx.company.table("CompanyCurrency").first("Code", code)
    if other is not None and other["Id"] != obj.get("Id"):
        raise faults.duplicate_name("CompanyCurrency")
    obj["Code"] = code
    obj["Name"] = CURRENCIES[code]
    obj["Active"] = True if blank(obj.get("Active")) else obj["Active"] in (True, "true")
    return obj


def _rate_for(ctx: Ctx, code: str, as_of: str) -> Row | None:
    """The rate stored for a currency on a date, else its latest one before that date."""
    best: Row | None = None
    for row in ctx.company.table("ExchangeRate").lookup("SourceCurrencyCode", (code,)) or []:
        if row["AsOfDate"] <= as_of and (best is None or row["AsOfDate"] > best["AsOfDate"]):
            best = row
    return best


def _active_currency(ctx: Ctx, value: Any, element: str) -> str:
    code = _code(value, element)
    row = ctx.company.table("CompanyCurrency").first("Code", code)
    if row is None or row.get("Active") is False:
        raise faults.invalid_reference(element, code)
    return code


def read_exchange_rate(ctx: Ctx, source: str | None, as_of: str | None) -> Row:
    require_multicurrency(ctx)
    code = _active_currency(ctx, source, "sourcecurrencycode")
    day = ctx.today.isoformat() if blank(as_of) else iso_date(as_of, "asofdate")
    row = _rate_for(ctx, code, day)
    if row is None:
        raise faults.object_not_found()
    return row


def set_exchange_rate(ctx: Ctx, payload: Any) -> Row:
    """A currency's rate on a date: stored anew, or replacing that date's rate (SyncToken)."""
    if not isinstance(payload, Mapping):
        raise faults.invalid_value("", "The request body must be a JSON object", "2010")
    require_multicurrency(ctx)
    code = _active_currency(ctx, payload.get("SourceCurrencyCode"), "SourceCurrencyCode")
    target = payload.get("TargetCurrencyCode")
    home = home_currency(ctx)
    if not blank(target) and str(target).strip().upper() != home:
        raise faults.business_validation(
            f"Rates are kept against the home currency ({home}) only.", "TargetCurrencyCode"
        )
    day = (
        ctx.today.isoformat()
        if blank(payload.get("AsOfDate"))
        else iso_date(payload["AsOfDate"], "AsOfDate")
    )
    if blank(payload.get("Rate")):
        raise faults.required_param("Rate")
    rate = decimal(payload["Rate"], "Rate")
    if rate <= 0:
        raise faults.invalid_value("Rate", "Invalid Number : Rate must be more than zero")
    table = ctx.company.table("ExchangeRate")
    existing = next(
        (r for r in table.lookup("SourceCurrencyCode", (code,)) or [] if r["AsOfDate"] == day),
        None,
    )
    if existing is not None:
        token = payload.get("SyncToken")
        if blank(token):
            raise faults.required_param("SyncToken")
        if str(token).strip() != existing["SyncToken"]:
            raise faults.stale_object("ExchangeRate")
    row: Row = {
        "Id": existing["Id"] if existing else table.allocate_id(),
        "SyncToken": str(int(existing["SyncToken"]) + 1) if existing else "0",
        "domain": "QBO",
        "sparse": False,
        "SourceCurrencyCode": code,
        "TargetCurrencyCode": home,
        "Rate": rate,
        "AsOfDate": day,
        "MetaData": {"LastUpdatedTime": clock.format_timestamp(ctx.now)},
    }
    table.put(row, ctx.now)
    return row


def presented_rate(row: Row) -> Row:
    """An exchange rate as QuickBooks answers it: it has no Id."""
    return {k: v for k, v in row.items() if k != "Id"}
