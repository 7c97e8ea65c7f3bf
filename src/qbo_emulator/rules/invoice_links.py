"""`InvoiceLink`: the shareable pay-online link of an invoice (Invoice reference, minor version 36).

QuickBooks returns it only when asked (`include=invoiceLink` on a read, a write or a query) and
only "for invoices with online payment enabled and having a valid customer email address": the
company takes online payments (`Preferences.SalesFormsPrefs.ETransactionPaymentEnabled`), the
invoice allows a card or bank transfer payment (`AllowOnlineCreditCardPayment`,
`AllowOnlineACHPayment`, both true by default in such a company) and it has a `BillEmail`.
The link is never stored: it is added to the answer.

The link has the shape of Intuit's (`.../portal/app/CommerceNetwork/view/scs-v1-<hex>`) on the
emulator's own host, and is the same for an invoice every time; the pay page itself is not
emulated (the link answers 404).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from qbo_emulator.model.store import Company

INCLUDE = "invoicelink"
PAGE_PATH = "/portal/app/CommerceNetwork/view"


def online_payments_enabled(company: Company) -> bool:
    """The company takes online payments (QuickBooks Payments) on its sales forms."""
    prefs: Mapping[str, Any] = company.table("Preferences").get("1") or {}
    sales = prefs.get("SalesFormsPrefs") or {}
    return sales.get("ETransactionPaymentEnabled") is True


def wants_link(include: Iterable[str]) -> bool:
    return any(part.casefold() == INCLUDE for part in include)


def _has_email(row: Mapping[str, Any]) -> bool:
    email = row.get("BillEmail")
    address = email.get("Address") if isinstance(email, Mapping) else None
    if not isinstance(address, str):
        return False
    local, _, domain = address.strip().partition("@")
    return bool(local) and "." in domain


def invoice_link(company: Company, row: Mapping[str, Any], base_url: str) -> str | None:
    """The invoice's link, or None when QuickBooks would give none."""
    if not online_payments_enabled(company) or not _has_email(row):
        return None
    if not (row.get("AllowOnlineCreditCardPayment") or row.get("AllowOnlineACHPayment")):
        return None
    digest = hashlib.sha256(f"{company.realm_id}:{row['Id']}".encode()).hexdigest()
    return f"{base_url.rstrip('/')}{PAGE_PATH}/scs-v1-{digest}?locale=en_US"


def with_link(
    company: Company, row: dict[str, Any], base_url: str, include: Iterable[str]
) -> dict[str, Any]:
    """`row` with its `InvoiceLink` when the request asked for it and there is one."""
    if not wants_link(include):
        return row
    link = invoice_link(company, row, base_url)
    return {**row, "InvoiceLink": link} if link else row
