"""The pseudo tax codes of a US company: `TAX`, `NON` and `CustomSalesTax`.

US sales forms mark each line taxable or not with a *pseudo* tax code, `TAX` or `NON`, and name
the tax group on the transaction (`TxnTaxDetail.TxnTaxCodeRef`); Intuit's "Manage sales tax for
US locales" tutorial and the TaxCode reference's query sample list them among the company's tax
codes, ids and names alike, before its tax groups. `CustomSalesTax` is a group without rates
that a company keeping its own sales tax (no automated sales tax) uses for a tax amount typed
on the transaction; it cannot stand on a line (error 6100: lines take `TAX` or `NON`).

They are not rows of the company's TaxCode table (their ids are not numbers): `pseudo_tax_codes`
makes them from the company's country and tax preferences whenever they are read.

    for row in pseudo_tax_codes(company): ...       # `select * from TaxCode` puts them first
    pseudo_tax_code(company, "TAX")                  # `GET /taxcode/TAX`, a TaxCodeRef
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbo_emulator import clock
from qbo_emulator.model.store import Company

TAX = "TAX"
NON = "NON"
CUSTOM_SALES_TAX = "CustomSalesTax"


def _pseudo(company: Company, code: str, *, taxable: bool, group: bool) -> dict[str, Any]:
    stamp = clock.format_timestamp(company.created_at)
    return {
        "Name": code,
        "Description": code,
        "Active": True,
        "Taxable": taxable,
        "TaxGroup": group,
        "Id": code,
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }


def _is_us(company: Company) -> bool:
    info = company.table("CompanyInfo").get("1") or {}
    country = info.get("Country") or "US"
    return str(country).upper() in ("US", "USA")


def uses_automated_sales_tax(company: Company) -> bool:
    """`Preferences.TaxPrefs.PartnerTaxEnabled`: the company's tax is worked out by Intuit."""
    prefs: Mapping[str, Any] = company.table("Preferences").get("1") or {}
    tax_prefs = prefs.get("TaxPrefs") or {}
    return tax_prefs.get("PartnerTaxEnabled") is True


def pseudo_tax_codes(company: Company) -> list[dict[str, Any]]:
    """The company's pseudo tax codes, in the order QuickBooks lists them (none outside the US;
    `CustomSalesTax` only without automated sales tax)."""
    if not _is_us(company):
        return []
    codes = [
        _pseudo(company, TAX, taxable=True, group=False),
        _pseudo(company, NON, taxable=False, group=False),
    ]
    if not uses_automated_sales_tax(company):
        codes.append(_pseudo(company, CUSTOM_SALES_TAX, taxable=True, group=True))
    return codes


def pseudo_tax_code(company: Company, code: str) -> dict[str, Any] | None:
    """The pseudo tax code `code` names (any case), if the company has it."""
    folded = code.casefold()
    return next((c for c in pseudo_tax_codes(company) if c["Id"].casefold() == folded), None)
