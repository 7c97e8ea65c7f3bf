"""Which problem codes the demo shows, where, and which failure modes it cannot show.

`EXPECTED_CODES` is the union: on records once the demo has run, in the setup checklist, in the
reconciliation report, and refused at the door. `NOT_SHOWN` holds the rest of the catalog, each
with the reason no data can cause it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledgerbridge.core import catalog

__all__ = [
    "CHECK_CODES",
    "EXPECTED_CODES",
    "FROM_EXISTING_SALES",
    "NOT_SHOWN",
    "RECORD_CODES",
    "REFUSED_CODES",
    "REPORT_CODES",
]

# Codes on records once the demo has run (error, blocked, bypassed or draft records).
RECORD_CODES: frozenset[str] = frozenset(
    {
        catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE,
        catalog.CUSTOMER_PARENT_NOT_SYNCED,
        catalog.CUSTOMER_DUPLICATE_IN_APP,
        catalog.PROPERTY_DUPLICATE_NAME,
        catalog.RECORD_FIELD_TOO_LONG,
        catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
        catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        catalog.CUSTOMER_MERGED_IN_QUICKBOOKS,
        catalog.CUSTOMER_EDITED_CONCURRENTLY,
        catalog.CUSTOMER_HAS_OPEN_BALANCE,
        catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
        catalog.VENDOR_NAME_USED_BY_OTHER_TYPE,
        catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
        catalog.VENDOR_NOT_SYNCED,
        catalog.ITEM_BUNDLE_READ_ONLY,
        catalog.ITEM_ACCOUNT_MISSING,
        catalog.ITEM_INVENTORY_START_DATE,
        catalog.ITEM_EXISTS_IN_QUICKBOOKS,
        catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
        catalog.ITEM_ACCOUNT_MISMATCH,
        catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED,
        catalog.ITEM_NOT_MATCHED,
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        catalog.TAX_RATE_NOT_MAPPED,
        catalog.INVOICE_ITEM_NOT_SYNCED,
        catalog.INVOICE_CUSTOMER_NOT_SYNCED,
        catalog.INVOICE_CUSTOMER_INACTIVE,
        catalog.INVOICE_NUMBER_CONFLICT,
        catalog.INVOICE_CLOSED_PERIOD,
        catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        catalog.INVOICE_VOIDED_IN_QUICKBOOKS,
        catalog.INVOICE_MOVED_IN_QUICKBOOKS,
        catalog.INVOICE_PAID_IN_QUICKBOOKS,
        catalog.PAYMENT_INVOICE_NOT_SYNCED,
        catalog.PAYMENT_REFERENCE_TOO_LONG,
        catalog.PAYMENT_METHOD_NOT_MAPPED,
        catalog.PAYMENT_NOT_POSTED,
        catalog.PAYMENT_CUSTOMER_MISMATCH,
        catalog.PAYMENT_INVOICE_ALREADY_PAID,
        catalog.PAYMENT_DELETED_IN_QUICKBOOKS,
        catalog.PAYMENT_DEPOSITED,
        catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN,
        catalog.RECEIPT_DELETED_IN_QUICKBOOKS,
        catalog.BILL_DELETED_IN_QUICKBOOKS,
        catalog.PURCHASE_ORDER_DELETED_IN_QUICKBOOKS,
        catalog.RECORD_CHANGED_IN_QUICKBOOKS,
    }
)
# Codes shown only when the dataset is given sales the demo company already holds (`Sale`).
FROM_EXISTING_SALES: frozenset[str] = frozenset({catalog.PAYMENT_ALREADY_IN_QUICKBOOKS})
# Codes of the setup checklist that are not ok (numbering, tax, closed books, mappings).
CHECK_CODES: frozenset[str] = frozenset({catalog.INVOICE_NUMBER_SEQUENCE_OVERLAP})
# Codes of the reconciliation report (QuickBooks adds tax the app does not send).
REPORT_CODES: frozenset[str] = frozenset({catalog.INVOICE_AMOUNT_MISMATCH})
# Codes the API answers with a 422 before anything is stored.
REFUSED_CODES: frozenset[str] = frozenset({catalog.CUSTOMER_NAME_MISSING, catalog.INVOICE_NO_LINES})
EXPECTED_CODES: frozenset[str] = (
    RECORD_CODES | FROM_EXISTING_SALES | CHECK_CODES | REPORT_CODES | REFUSED_CODES
)
# The failure modes the demo does not show, and why: none of them can come from data.
NOT_SHOWN: Mapping[str, str] = {
    catalog.CONNECTION_TOKEN_EXPIRED: "refreshed silently; never shown on a record",
    catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP: "carried by an event of a payment made in QuickBooks; "
    "the demo makes none",
    catalog.ITEM_CATEGORY_READ_ONLY: "a category is made in QuickBooks, never by the app's "
    "data; told when the app names one (adopt, acknowledge an import)",
    catalog.CONNECTION_DISCONNECTED: "the connection's state, not the data's",
    catalog.CONNECTION_WRONG_COMPANY: "the connection's state, not the data's",
    catalog.CONNECTION_SUBSCRIPTION_INACTIVE: "the connection's state, not the data's",
    catalog.CONNECTION_THROTTLED: "QuickBooks' load; the engine paces itself below it",
    catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE: "QuickBooks' outage, not the data's",
    catalog.CONNECTION_WEB_CONNECTOR_SILENT: "QuickBooks Desktop only",
    catalog.RECORD_IN_USE_IN_QUICKBOOKS: "QuickBooks Desktop only: someone at the PC has the "
    "entry open",
    catalog.CONNECTION_QUICKBOOKS_CLOSED: "QuickBooks Desktop only: the PC's state",
    catalog.CONNECTION_SINGLE_USER_NEEDED: "QuickBooks Desktop only: the PC's state",
    catalog.CONNECTION_QUICKBOOKS_TOO_OLD: "QuickBooks Desktop only: the PC's state",
    catalog.CONNECTION_QUICKBOOKS_ACCESS_DENIED: "QuickBooks Desktop only: the PC's state",
    catalog.CONNECTION_WEB_CONNECTOR_PASSWORD_REFUSED: "QuickBooks Desktop only: the PC's state",
    catalog.CONNECTION_WEB_CONNECTOR_ERROR: "QuickBooks Desktop only: the PC's state",
    catalog.CONNECTION_PERMISSION_MISSING: "the connection's grant, not the data's",
    catalog.CONNECTION_SECRET_KEYS_CHANGED: "the server's keys, not the data's",
    catalog.CONNECTION_RECONNECT_SOON: "the sign-in's age, not the data's",
    catalog.CUSTOMER_EMAIL_INVALID: "malformed: refused at the door as input.invalid; missing: "
    "only on connections that require emails",
    catalog.RECORD_STALLED: "only time shows it (due for 15 minutes with nobody working)",
    catalog.MIRROR_STALE: "handled silently: look-up before create",
    catalog.RECEIPT_STALE_REFERENCE: "a QuickBooks reference carried over by hand; the app "
    "sends no references",
    catalog.QUICKBOOKS_UNKNOWN_ERROR: "a fault nobody has classified yet",
    catalog.RECORD_UNREADABLE: "a stored copy damaged outside ledgerbridge; the app's data "
    "cannot cause it",
    catalog.RECORD_LINK_TARGET_MISSING: "the demo's app names no QuickBooks object to adopt",
    catalog.RECORD_LINK_TARGET_TAKEN: "the demo's app names no QuickBooks object to adopt",
    catalog.VENDOR_MERGED_IN_QUICKBOOKS: "a person's merge in QuickBooks; the demo merges a "
    "customer (customer.merged_in_quickbooks), which takes the same path",
    catalog.INPUT_INVALID: "input validation, not a sync failure",
    catalog.INPUT_REQUIRED: "input validation, not a sync failure",
    catalog.INPUT_UNKNOWN_FIELD: "input validation, not a sync failure",
}
