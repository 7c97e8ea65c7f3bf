"""Classification of QuickBooks faults into catalog codes, with the emulator's exact texts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import get_args

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.core.classify import (
    Classification,
    FaultContext,
    Operation,
    QboFault,
    classify,
    field_label,
)

# --- fixtures: texts copied from src/qbo_emulator/faults.py (checked against it below) --------

MSG_DUPLICATE_NAME = "Duplicate Name Exists Error"
DETAIL_DUPLICATE_PERSON = (
    "The name supplied already exists. : Another customer, vendor or employee is already using "
    "this name. Please use a different name."
)
DETAIL_DUPLICATE_ITEM = (
    "The name supplied already exists. : Another product or service is already using this "
    "name. Please use a different name."
)
DETAIL_DUPLICATE_DOCS = (  # the documentation's variant names the holder
    "The name supplied already exists. : Another customer, vendor or employee is already using "
    "this name. Please use a different name. The customer ID is: 58"
)
MSG_NO_NAME = "No Name Provided"
DETAIL_NO_NAME = (
    "No Name Provided : You must provide at least one of Title, GivenName, MiddleName, "
    "FamilyName, Suffix or DisplayName."
)
MSG_HAS_BALANCE = "Delete List Has Balance Error"
DETAIL_HAS_BALANCE = (
    "The entity you are trying to delete has an open balance. : This customer cannot be "
    "deleted because it has a non-zero balance"
)
MSG_DUPLICATE_NUMBER = "Duplicate Document Number Error"
DETAIL_DUPLICATE_NUMBER = (
    "Duplicate Document Number Error : You must specify a different number. This number has "
    "already been used. DocNumber=1042 is assigned to TxnType=Invoice with TxnId=318"
)
DETAIL_DUPLICATE_BILL_NUMBER = (
    "Duplicate Document Number Error : You must specify a different number. This number has "
    "already been used. DocNumber=INV 77/B is assigned to TxnType=Bill with TxnId=9"
)
MSG_STALE = "Stale Object Error"
DETAIL_STALE = (
    "Stale Object Error : You and QuickBooks User were working on this at the same time. "
    "QuickBooks User finished before you did, so your work was not saved. Entity=Customer"
)
MSG_NOT_FOUND = "Object Not Found"
DETAIL_INACTIVE = (
    "Object Not Found : Something you're trying to use has been made inactive. Check the "
    "fields with accounts, customers, items, vendors or employees."
)
DETAIL_DELETED = "Object Not Found : Another user has deleted this transaction."
MSG_INVALID_REFERENCE = "Invalid Reference Id"
DETAIL_INVALID_REFERENCE = (
    "Invalid Reference Id : IncomeAccountRef assigned is invalid or does not exist (Id=999). "
    "Something you're trying to use has been made inactive. Check the fields with accounts, "
    "customers, items, vendors or employees."
)
DETAIL_INVALID_CUSTOMER_REFERENCE = (
    "Invalid Reference Id : CustomerRef assigned is invalid or does not exist (Id=999). "
    "Something you're trying to use has been made inactive. Check the fields with accounts, "
    "customers, items, vendors or employees."
)
MSG_REQUIRED = "Required param missing, need to supply the required value for the API"
DETAIL_REQUIRED_LINE = "Required parameter Line is missing in the request"
DETAIL_REQUIRED_ASSET = (
    "Required parameter AssetAccountRef is missing in the request : An inventory asset account "
    "is required if you are tracking inventory quantities for this product."
)
DETAIL_REQUIRED_PAYMENT_TYPE = "Required parameter PaymentType is missing in the request"
MSG_LENGTH = "String length is either shorter or longer than supported by specification"
DETAIL_LENGTH_21_33 = (
    "String length specified does not match the supported length. Min:0 Max:21 supported. "
    "Supplied length:33"
)
DETAIL_LENGTH_4000 = (
    "String length specified does not match the supported length. Min:0 Max:4000 supported. "
    "Supplied length:4012"
)
MSG_BUSINESS = "A business validation error has occurred while processing your request"
DETAIL_NO_AMOUNT = "Business Validation Error: You must set a transaction amount."
DETAIL_OVER_BALANCE = (
    "Business Validation Error: The amount applied to Invoice 318 (120.00) is more than its "
    "open balance (0.00)."
)
DETAIL_OTHER_CUSTOMER = (
    "Business Validation Error: Invoice 318 belongs to another customer; a payment can only be "
    "applied to that party's own transactions."
)
DETAIL_OVER_PAYMENT = (
    "Business Validation Error: The amount applied to invoices (150.00) is more than the "
    "payment amount (100.00)."
)
DETAIL_ITEM_TYPE = "Business Validation Error: You can't change the type of an inventory item."
DETAIL_BELOW_APPLIED = (
    "Business Validation Error: The total of this invoice (10.00) can't be less than the "
    "payments already applied to it (20.00)."
)
MSG_EMAIL = "Invalid Email Address format"
DETAIL_EMAIL = "Invalid Email Address format : bob@example is not a valid e-mail address."
MSG_COMPANY = "Invalid Company Status"
DETAIL_COMPANY = (
    "Subscription period has ended or canceled or there was a billing problem : You can't add "
    "data to QuickBooks Online Plus because your trial or subscription period ended."
)
MSG_CLOSED = "Account Period Closed"
DETAIL_CLOSED = (
    "The account period has closed and the account books cannot be updated through the QBO "
    "Services API. Please use the QBO website to make these changes."
)
MSG_INVENTORY = "Transaction date is prior to start date for inventory item"
DETAIL_INVENTORY = (
    "InventoryTxnDatedBeforeItemStartDate : Transaction date is prior to start date for "
    "inventory item Copper Pipe 15mm (start date 2026-03-01)."
)
MSG_ACCOUNT_TYPE = "Invalid account type"
DETAIL_ACCOUNT_TYPE = (
    "Invalid account type : You can't associate a product or service with accounts of certain "
    "types, such as Accounts Receivable or Accounts Payable."
)
MSG_DEPOSITED = "Deposited Transaction cannot be changed"
DETAIL_DEPOSITED = (
    "This transaction has been deposited. If you want to change or delete it, you must edit the "
    "deposit it appears on and remove it first."
)
MSG_UNSUPPORTED = "Unsupported Operation"
DETAIL_BUNDLE = "Operation Update for Item of Type Group (bundles are read-only) is not supported."
MSG_INVALID_STRING = "Invalid String"
DETAIL_INVALID_STRING = "Invalid String : DisplayName cannot contain :"
DETAIL_NEGATIVE = "NegativeAmount : TotalAmt must not be negative"
MSG_AMOUNT_CALC = "Amount calculation incorrect in the request"
DETAIL_AMOUNT_CALC = (
    "Amount calculation incorrect in the request : Amount 10.00 is not equal to UnitPrice 3 * "
    "Qty 3."
)
MSG_TAX_CODE = "Invalid Line TaxCode"
DETAIL_TAX_CODE = (
    "Invalid Line TaxCode : The tax code 7 is not valid for this company. Use TAX or NON on US "
    "lines."
)
MSG_TOKEN = "message=AuthenticationFailed; errorCode=003200; statusCode=401"
DETAIL_TOKEN = "Token expired"
MSG_AUTHZ = "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
DETAIL_SCOPE = "The access token does not have sufficient scope"
DETAIL_UNKNOWN_COMPANY = "The company is not known to this emulator"
MSG_THROTTLED = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
DETAIL_THROTTLED = "The request limit was reached.  Try again later"
MSG_SYSTEM = "An application error has occurred while processing your request"
DETAIL_SYSTEM = "System Failure Error: java.lang.NullPointerException"
MSG_QUERY = "Error parsing query"
DETAIL_QUERY = 'QueryParserError: Encountered "<EOF>" at line 1, column 1.'


def fault(
    code: str,
    message: str,
    detail: str,
    element: str | None = "",
    status: int = 400,
    tid: str | None = "1-abc",
) -> QboFault:
    return QboFault(status, code, message, detail, element, tid)


def ctx(entity: str, operation: Operation = "create", name: str | None = None) -> FaultContext:
    return FaultContext(entity, operation, None, name)


@dataclass(frozen=True)
class Case:
    id: str
    fault: QboFault
    ctx: FaultContext
    code: str
    params: dict[str, str]


CASES = [
    # 6240: duplicate names
    Case(
        "6240-customer",
        fault("6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_PERSON, "DisplayName"),
        ctx("Customer", name="Acme Plumbing"),
        catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
        {"name": "Acme Plumbing", "space": "person"},
    ),
    Case(
        "6240-customer-docs-variant",
        fault("6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_DOCS, "DisplayName"),
        ctx("Customer", "update"),
        catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
        {"space": "person", "quickbooks_id": "58"},
    ),
    Case(
        "6240-vendor",
        fault("6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_PERSON, "DisplayName"),
        ctx("Vendor", name="Bob"),
        catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
        {"name": "Bob", "space": "person"},
    ),
    Case(
        "6240-item",
        fault("6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_ITEM, "Name"),
        ctx("Item", name="Labor"),
        catalog.ITEM_EXISTS_IN_QUICKBOOKS,
        {"name": "Labor"},
    ),
    Case(
        "6240-class-unknown",
        fault("6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_ITEM, "Name"),
        ctx("Class"),
        catalog.QUICKBOOKS_UNKNOWN_ERROR,
        {
            "code": "6240",
            "message": MSG_DUPLICATE_NAME,
            "detail": DETAIL_DUPLICATE_ITEM,
            "element": "Name",
            "intuit_tid": "1-abc",
        },
    ),
    # 6140: duplicate document numbers
    Case(
        "6140-invoice",
        fault("6140", MSG_DUPLICATE_NUMBER, DETAIL_DUPLICATE_NUMBER),
        ctx("Invoice"),
        catalog.INVOICE_NUMBER_CONFLICT,
        {"number": "1042", "txn_id": "318"},
    ),
    Case(
        "6140-sales-receipt",
        fault("6140", MSG_DUPLICATE_NUMBER, DETAIL_DUPLICATE_NUMBER),
        ctx("SalesReceipt", "update"),
        catalog.INVOICE_NUMBER_CONFLICT,
        {"number": "1042", "txn_id": "318"},
    ),
    Case(
        "6140-bill",
        fault("6140", MSG_DUPLICATE_NUMBER, DETAIL_DUPLICATE_BILL_NUMBER),
        ctx("Bill"),
        catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN,
        {"number": "INV 77/B", "txn_id": "9"},
    ),
    Case(
        "6140-purchase-unparsed",
        fault("6140", MSG_DUPLICATE_NUMBER, "Duplicate Document Number Error"),
        ctx("Purchase"),
        catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN,
        {},
    ),
    # 5010
    Case(
        "5010-customer",
        fault("5010", MSG_STALE, DETAIL_STALE),
        ctx("Customer", "update"),
        catalog.CUSTOMER_EDITED_CONCURRENTLY,
        {},
    ),
    Case(
        "5010-invoice",
        fault("5010", MSG_STALE, DETAIL_STALE.replace("Customer", "Invoice")),
        ctx("Invoice", "update"),
        catalog.CUSTOMER_EDITED_CONCURRENTLY,
        {},
    ),
    # 610: deleted transactions
    Case(
        "610-deleted-invoice",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("Invoice", "update"),
        catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-deleted-invoice-read",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("Invoice", "read"),
        catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-deleted-payment",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("Payment", "update"),
        catalog.PAYMENT_DELETED_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-payment-create-for-deleted-invoice",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("Payment", "create"),
        catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-deleted-purchase-order",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("PurchaseOrder", "update"),
        catalog.PURCHASE_ORDER_DELETED_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-deleted-bill",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("Bill", "update"),
        catalog.RECEIPT_STALE_REFERENCE,
        {},
    ),
    Case(
        "610-deleted-purchase",
        fault("610", MSG_NOT_FOUND, DETAIL_DELETED),
        ctx("Purchase", "delete"),
        catalog.RECEIPT_STALE_REFERENCE,
        {},
    ),
    Case(
        "610-missing-id-on-invoice-update",  # variant (a) without element: the id is gone
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE),
        ctx("Invoice", "update"),
        catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        {},
    ),
    # 610: inactive references
    Case(
        "610-inactive-customer-on-invoice",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "CustomerRef"),
        ctx("Invoice"),
        catalog.INVOICE_CUSTOMER_INACTIVE,
        {},
    ),
    Case(
        "610-inactive-customer-on-payment",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "CustomerRef"),
        ctx("Payment"),
        catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-inactive-parent-customer",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "ParentRef"),
        ctx("Customer"),
        catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-inactive-item-on-line",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "Line.SalesItemLineDetail.ItemRef"),
        ctx("Invoice"),
        catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-inactive-class",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "ClassRef"),
        ctx("Invoice", "update"),
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-inactive-class-on-line",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "Line.SalesItemLineDetail.ClassRef"),
        ctx("Invoice"),
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "desktop-3140-inactive-class-named",
        fault(
            "610",
            MSG_NOT_FOUND,
            'There is an invalid reference to QuickBooks Class "Commercial:Retail" in the '
            "Invoice line.  QuickBooks error message: The list element is inactive.",
            "Line.SalesItemLineDetail.ClassRef",
        ),
        ctx("Invoice"),
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        {"name": "Commercial:Retail"},
    ),
    Case(
        "desktop-3140-inactive-class-name-with-a-quote",
        fault(
            "610",
            MSG_NOT_FOUND,
            'There is an invalid reference to QuickBooks Class "The "Big" One" in the Invoice.  '
            "QuickBooks error message: The list element is inactive.",
            "ClassRef",
        ),
        ctx("Invoice"),
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        {"name": 'The "Big" One'},
    ),
    Case(
        "desktop-3140-inactive-class-by-list-id",
        fault(
            "610",
            MSG_NOT_FOUND,
            'There is an invalid reference to QuickBooks Class "80000099-1700000000" in the '
            "Invoice line.  QuickBooks error message: The list element is inactive.",
            "Line.SalesItemLineDetail.ClassRef",
        ),
        ctx("Invoice"),
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
        {"quickbooks_id": "80000099-1700000000"},  # a ListID is never shown as a name
    ),
    Case(
        "610-inactive-vendor",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "VendorRef"),
        ctx("Bill"),
        catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-inactive-vendor-on-purchase",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "EntityRef"),
        ctx("Purchase"),
        catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
        {},
    ),
    Case(
        "610-inactive-account",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "IncomeAccountRef"),
        ctx("Item"),
        catalog.ITEM_ACCOUNT_MISSING,
        {"field": "income account"},
    ),
    Case(
        "610-inactive-payment-method",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "PaymentMethodRef"),
        ctx("Payment"),
        catalog.PAYMENT_METHOD_NOT_MAPPED,
        {},
    ),
    Case(
        "610-inactive-tax-code",
        fault("610", MSG_NOT_FOUND, DETAIL_INACTIVE, "TxnTaxDetail.TxnTaxCodeRef"),
        ctx("Invoice"),
        catalog.TAX_RATE_NOT_MAPPED,
        {},
    ),
    Case(
        "6250-invoice",
        fault("6250", "InvalidSalesCustomer", "The customer is missing or inactive"),
        ctx("Invoice"),
        catalog.INVOICE_CUSTOMER_INACTIVE,
        {},
    ),
    # 2500
    Case(
        "2500-account",
        fault("2500", MSG_INVALID_REFERENCE, DETAIL_INVALID_REFERENCE, "IncomeAccountRef"),
        ctx("Item"),
        catalog.ITEM_ACCOUNT_MISSING,
        {"field": "income account"},
    ),
    Case(
        "2500-expense-line-account",
        fault(
            "2500",
            MSG_INVALID_REFERENCE,
            DETAIL_INVALID_REFERENCE,
            "Line.AccountBasedExpenseLineDetail.AccountRef",
        ),
        ctx("Purchase"),
        catalog.ITEM_ACCOUNT_MISSING,
        {"field": "line account"},
    ),
    # 2050
    Case(
        "2050-payment-reference",
        fault("2050", MSG_LENGTH, DETAIL_LENGTH_21_33, "PaymentRefNum"),
        ctx("Payment"),
        catalog.PAYMENT_REFERENCE_TOO_LONG,
        {"limit": "21", "length": "33"},
    ),
    Case(
        "2050-doc-number",
        fault("2050", MSG_LENGTH, DETAIL_LENGTH_21_33, "DocNumber"),
        ctx("Invoice"),
        catalog.RECORD_FIELD_TOO_LONG,
        {"field": "number", "quickbooks_field": "DocNumber", "limit": "21", "length": "33"},
    ),
    Case(
        "2050-line-description",
        fault("2050", MSG_LENGTH, DETAIL_LENGTH_4000, "Line.Description"),
        ctx("Invoice"),
        catalog.RECORD_FIELD_TOO_LONG,
        {
            "field": "line description",
            "quickbooks_field": "Line.Description",
            "limit": "4000",
            "length": "4012",
        },
    ),
    Case(
        "2050-documented-spacing",
        fault("2050", MSG_LENGTH, "Min: 0, Max: 100, Supplied length: 120", "CompanyName"),
        ctx("Customer"),
        catalog.RECORD_FIELD_TOO_LONG,
        {
            "field": "company name",
            "quickbooks_field": "CompanyName",
            "limit": "100",
            "length": "120",
        },
    ),
    # 2020
    Case(
        "2020-no-lines",
        fault("2020", MSG_REQUIRED, DETAIL_REQUIRED_LINE, "Line"),
        ctx("Invoice"),
        catalog.INVOICE_NO_LINES,
        {},
    ),
    Case(
        "2020-asset-account",
        fault("2020", MSG_REQUIRED, DETAIL_REQUIRED_ASSET, "AssetAccountRef"),
        ctx("Item"),
        catalog.ITEM_ACCOUNT_MISSING,
        {"field": "inventory asset account"},
    ),
    Case(
        "2020-payment-type",
        fault("2020", MSG_REQUIRED, DETAIL_REQUIRED_PAYMENT_TYPE, "PaymentType"),
        ctx("Purchase"),
        catalog.INPUT_REQUIRED,
        {"field": "payment type", "quickbooks_field": "PaymentType"},
    ),
    Case(
        "2020-bill-lines",
        fault("2020", MSG_REQUIRED, DETAIL_REQUIRED_LINE, "Line"),
        ctx("Bill"),
        catalog.INPUT_REQUIRED,
        {"field": "lines", "quickbooks_field": "Line"},
    ),
    # 6000
    Case(
        "6000-over-open-balance",
        fault("6000", MSG_BUSINESS, DETAIL_OVER_BALANCE, "Line.Amount"),
        ctx("Payment"),
        catalog.PAYMENT_INVOICE_ALREADY_PAID,
        {"amount": "120.00", "open_balance": "0.00"},
    ),
    Case(
        "6000-already-paid-wording",
        fault("6000", MSG_BUSINESS, "Business Validation Error: This invoice is already paid."),
        ctx("Payment"),
        catalog.PAYMENT_INVOICE_ALREADY_PAID,
        {},
    ),
    Case(
        "6000-other-customer",
        fault("6000", MSG_BUSINESS, DETAIL_OTHER_CUSTOMER, "Line.LinkedTxn"),
        ctx("Payment"),
        catalog.PAYMENT_CUSTOMER_MISMATCH,
        {},
    ),
    Case(
        "6000-no-amount",
        fault("6000", MSG_BUSINESS, DETAIL_NO_AMOUNT, "TotalAmt"),
        ctx("Payment"),
        catalog.INPUT_REQUIRED,
        {"field": "amount", "quickbooks_field": "TotalAmt"},
    ),
    Case(
        "6000-applied-over-payment",
        fault("6000", MSG_BUSINESS, DETAIL_OVER_PAYMENT, "TotalAmt"),
        ctx("Payment"),
        catalog.INPUT_INVALID,
        {
            "field": "amount",
            "reason": "the amounts applied to invoices add up to more than the payment",
        },
    ),
    Case(
        "6000-item-type",
        fault("6000", MSG_BUSINESS, DETAIL_ITEM_TYPE, "Type"),
        ctx("Item", "update", name="Copper Pipe"),
        catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED,
        {"name": "Copper Pipe"},
    ),
    Case(
        "500-bundle",
        fault("500", MSG_UNSUPPORTED, DETAIL_BUNDLE),
        ctx("Item", "update"),
        catalog.ITEM_BUNDLE_READ_ONLY,
        {},
    ),
    # name, email, values
    Case(
        "6080-customer",
        fault("6080", MSG_NO_NAME, DETAIL_NO_NAME),
        ctx("Customer"),
        catalog.CUSTOMER_NAME_MISSING,
        {},
    ),
    Case(
        "6080-vendor",
        fault("6080", MSG_NO_NAME, DETAIL_NO_NAME),
        ctx("Vendor"),
        catalog.INPUT_REQUIRED,
        {"field": "name"},
    ),
    Case(
        "2210-customer",
        fault("2210", MSG_EMAIL, DETAIL_EMAIL, "PrimaryEmailAddr.Address"),
        ctx("Customer"),
        catalog.CUSTOMER_EMAIL_INVALID,
        {"email": "bob@example"},
    ),
    Case(
        "2210-invoice-bill-email",
        fault("2210", MSG_EMAIL, DETAIL_EMAIL, "BillEmail.Address"),
        ctx("Invoice"),
        catalog.CUSTOMER_EMAIL_INVALID,
        {"email": "bob@example"},
    ),
    Case(
        "2210-vendor",
        fault("2210", MSG_EMAIL, DETAIL_EMAIL, "PrimaryEmailAddr.Address"),
        ctx("Vendor"),
        catalog.INPUT_INVALID,
        {
            "email": "bob@example",
            "field": "email address",
            "reason": "it is not a valid email address",
        },
    ),
    Case(
        "2040-colon-in-name",
        fault("2040", MSG_INVALID_STRING, DETAIL_INVALID_STRING, "DisplayName"),
        ctx("Customer"),
        catalog.INPUT_INVALID,
        {
            "field": "name",
            "reason": "it contains a character QuickBooks doesn't allow there, such as a colon, "
            "a tab or a line break",
        },
    ),
    Case(
        "2290-negative",
        fault("2290", "NegativeAmount", DETAIL_NEGATIVE, "TotalAmt"),
        ctx("Payment"),
        catalog.INPUT_INVALID,
        {"field": "amount", "reason": "QuickBooks doesn't accept a negative amount there"},
    ),
    Case(
        "6070-amount-calculation",
        fault("6070", MSG_AMOUNT_CALC, DETAIL_AMOUNT_CALC, "Line.Amount"),
        ctx("Invoice"),
        catalog.INPUT_INVALID,
        {"field": "line amount", "reason": "a line's amount is not its quantity times its price"},
    ),
    Case(
        "6100-tax-code",
        fault("6100", MSG_TAX_CODE, DETAIL_TAX_CODE, "TaxCodeRef"),
        ctx("Invoice"),
        catalog.TAX_RATE_NOT_MAPPED,
        {},
    ),
    # company, period, inventory, accounts, deposits
    Case(
        "6190-subscription",
        fault("6190", MSG_COMPANY, DETAIL_COMPANY),
        ctx("Customer"),
        catalog.CONNECTION_SUBSCRIPTION_INACTIVE,
        {},
    ),
    Case(
        "6210-closed",
        fault("6210", MSG_CLOSED, DETAIL_CLOSED),
        ctx("Invoice"),
        catalog.INVOICE_CLOSED_PERIOD,
        {},
    ),
    Case(
        "6200-closed-payment",
        fault("6200", MSG_CLOSED, DETAIL_CLOSED),
        ctx("Payment", "update"),
        catalog.INVOICE_CLOSED_PERIOD,
        {},
    ),
    Case(
        "6220-balance",
        fault("6220", MSG_HAS_BALANCE, DETAIL_HAS_BALANCE),
        ctx("Customer", "update"),
        catalog.CUSTOMER_HAS_OPEN_BALANCE,
        {},
    ),
    Case(
        "6270-inventory-start",
        fault("6270", MSG_INVENTORY, DETAIL_INVENTORY, "TxnDate"),
        ctx("Invoice"),
        catalog.ITEM_INVENTORY_START_DATE,
        {"item": "Copper Pipe 15mm", "start_date": "2026-03-01"},
    ),
    Case(
        "6430-account-type",
        fault("6430", MSG_ACCOUNT_TYPE, DETAIL_ACCOUNT_TYPE, "IncomeAccountRef"),
        ctx("Item", name="Labor"),
        catalog.ITEM_ACCOUNT_MISMATCH,
        {"name": "Labor", "field": "income account"},
    ),
    Case(
        "6540-deposited",
        fault("6540", MSG_DEPOSITED, DETAIL_DEPOSITED),
        ctx("Payment", "update"),
        catalog.PAYMENT_DEPOSITED,
        {},
    ),
    # connection level
    Case(
        "3200-token",
        fault("3200", MSG_TOKEN, DETAIL_TOKEN, None, 401, None),
        ctx("Customer"),
        catalog.CONNECTION_TOKEN_EXPIRED,
        {},
    ),
    Case(
        "401-without-code",
        fault("", "", "", None, 401, None),
        ctx("Customer"),
        catalog.CONNECTION_TOKEN_EXPIRED,
        {},
    ),
    Case(
        "3100-scope",
        fault("3100", MSG_AUTHZ, DETAIL_SCOPE, None, 403),
        ctx("Invoice"),
        catalog.CONNECTION_PERMISSION_MISSING,
        {},
    ),
    Case(
        "3100-other",
        fault("3100", MSG_AUTHZ, DETAIL_UNKNOWN_COMPANY, None, 403),
        ctx("Invoice"),
        catalog.CONNECTION_DISCONNECTED,
        {},
    ),
    Case(
        "120-not-admin",
        fault(
            "120",
            "Authorization Failure",
            "AuthorizationFailure: -11014-You do not have access to use QuickBooks Online Plus.",
            status=401,
        ),
        ctx("Invoice"),
        catalog.CONNECTION_PERMISSION_MISSING,
        {},
    ),
    Case(
        "3001-throttled",
        fault("3001", MSG_THROTTLED, DETAIL_THROTTLED, None, 429),
        ctx("Invoice"),
        catalog.CONNECTION_THROTTLED,
        {},
    ),
    Case(
        "3001-throttled-as-403",  # the 2016 behaviour
        fault("3001", MSG_THROTTLED, DETAIL_THROTTLED, None, 403),
        ctx("Invoice"),
        catalog.CONNECTION_THROTTLED,
        {},
    ),
    Case(
        "10000-system",
        fault("10000", MSG_SYSTEM, DETAIL_SYSTEM, "", 500),
        ctx("Invoice"),
        catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE,
        {},
    ),
    Case(
        "503-any",
        fault("", "Service Unavailable", "", None, 503),
        ctx("Invoice"),
        catalog.CONNECTION_QUICKBOOKS_UNAVAILABLE,
        {},
    ),
    # unknown
    Case(
        "4000-query",
        fault("4000", MSG_QUERY, DETAIL_QUERY, "", 400, "tid-9"),
        ctx("Customer", "read"),
        catalog.QUICKBOOKS_UNKNOWN_ERROR,
        {
            "code": "4000",
            "message": MSG_QUERY,
            "detail": DETAIL_QUERY,
            "element": "",
            "intuit_tid": "tid-9",
        },
    ),
    Case(
        "6000-invoice-below-applied",
        fault("6000", MSG_BUSINESS, DETAIL_BELOW_APPLIED, "TotalAmt", 400, None),
        ctx("Invoice", "update"),
        catalog.QUICKBOOKS_UNKNOWN_ERROR,
        {
            "code": "6000",
            "message": MSG_BUSINESS,
            "detail": DETAIL_BELOW_APPLIED,
            "element": "TotalAmt",
            "intuit_tid": "",
        },
    ),
    Case(
        "2500-customer-ref-unknown",
        fault("2500", MSG_INVALID_REFERENCE, DETAIL_INVALID_CUSTOMER_REFERENCE, "CustomerRef"),
        ctx("Invoice"),
        catalog.QUICKBOOKS_UNKNOWN_ERROR,
        {
            "code": "2500",
            "message": MSG_INVALID_REFERENCE,
            "detail": DETAIL_INVALID_CUSTOMER_REFERENCE,
            "element": "CustomerRef",
            "intuit_tid": "1-abc",
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_classification_table(case: Case) -> None:
    assert classify(case.fault, case.ctx) == Classification(case.code, case.params)


def test_cases_cover_every_classified_code_family() -> None:
    covered = {c.code for c in CASES}
    assert len(covered) >= 35


def test_entity_names_are_case_insensitive() -> None:
    detail = DETAIL_DUPLICATE_NUMBER
    found = classify(fault("6140", MSG_DUPLICATE_NUMBER, detail), ctx("invoice"))
    assert found.code == catalog.INVOICE_NUMBER_CONFLICT


def test_params_render_into_the_catalog_texts() -> None:
    found = classify(fault("6140", MSG_DUPLICATE_NUMBER, DETAIL_DUPLICATE_NUMBER), ctx("Invoice"))
    shown = catalog.render(catalog.entry(found.code), found.params)
    assert shown.meaning == (
        "QuickBooks already has a different invoice numbered 1042, so this one can't use that "
        "number."
    )
    too_long = classify(fault("2050", MSG_LENGTH, DETAIL_LENGTH_21_33, "DocNumber"), ctx("Bill"))
    shown = catalog.render(catalog.entry(too_long.code), too_long.params)
    assert shown.title == "The number is too long for QuickBooks"
    assert "it has 33 characters" in shown.meaning and "at most 21" in shown.meaning


# --- every code returned exists -----------------------------------------------------------

ENTITIES = (
    "Customer",
    "Vendor",
    "Employee",
    "Item",
    "Account",
    "Class",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "Payment",
    "Bill",
    "Purchase",
    "PurchaseOrder",
    "BillPayment",
    "Preferences",
    "",
)
ELEMENTS = (
    None,
    "",
    "DisplayName",
    "Name",
    "CustomerRef",
    "VendorRef",
    "EntityRef",
    "ParentRef",
    "ItemRef",
    "Line.SalesItemLineDetail.ItemRef",
    "ClassRef",
    "IncomeAccountRef",
    "Line.AccountBasedExpenseLineDetail.AccountRef",
    "PaymentMethodRef",
    "TaxCodeRef",
    "PaymentRefNum",
    "DocNumber",
    "Line",
    "Line.Amount",
    "TotalAmt",
    "PrimaryEmailAddr.Address",
)
FAULTS = (
    ("6240", DETAIL_DUPLICATE_PERSON),
    ("6140", DETAIL_DUPLICATE_NUMBER),
    ("5010", DETAIL_STALE),
    ("610", DETAIL_INACTIVE),
    ("610", DETAIL_DELETED),
    ("6250", ""),
    ("2500", DETAIL_INVALID_REFERENCE),
    ("2050", DETAIL_LENGTH_21_33),
    ("2020", DETAIL_REQUIRED_LINE),
    ("6000", DETAIL_OVER_BALANCE),
    ("6000", DETAIL_NO_AMOUNT),
    ("6000", DETAIL_OTHER_CUSTOMER),
    ("6000", DETAIL_OVER_PAYMENT),
    ("6000", DETAIL_ITEM_TYPE),
    ("500", DETAIL_BUNDLE),
    ("6080", DETAIL_NO_NAME),
    ("2210", DETAIL_EMAIL),
    ("2040", DETAIL_INVALID_STRING),
    ("2290", DETAIL_NEGATIVE),
    ("6070", DETAIL_AMOUNT_CALC),
    ("6100", DETAIL_TAX_CODE),
    ("6190", DETAIL_COMPANY),
    ("6200", DETAIL_CLOSED),
    ("6210", DETAIL_CLOSED),
    ("6220", DETAIL_HAS_BALANCE),
    ("6270", DETAIL_INVENTORY),
    ("6430", DETAIL_ACCOUNT_TYPE),
    ("6540", DETAIL_DEPOSITED),
    ("3200", DETAIL_TOKEN),
    ("3100", DETAIL_SCOPE),
    ("3100", ""),
    ("120", ""),
    ("3001", DETAIL_THROTTLED),
    ("10000", DETAIL_SYSTEM),
    ("150", ""),
    ("4000", DETAIL_QUERY),
    ("", ""),
    ("garbage", "x"),
)
STATUSES = (200, 400, 401, 403, 429, 503)
OPERATIONS: tuple[Operation, ...] = get_args(Operation)


def test_every_code_returned_is_in_the_catalog() -> None:
    results: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for (code, detail), entity, element, operation, status in itertools.product(
        FAULTS, ENTITIES, ELEMENTS, OPERATIONS, STATUSES
    ):
        found = classify(
            QboFault(status, code, "message", detail, element, None),
            FaultContext(entity, operation, None, "Name"),
        )
        assert found.code in catalog.ENTRIES, found
        assert all(isinstance(v, str) and v for v in found.params.values()) or (
            found.code == catalog.QUICKBOOKS_UNKNOWN_ERROR
        ), found
        results.add((found.code, tuple(sorted(found.params.items()))))
    for code, params in results:
        assert catalog.render(catalog.entry(code), dict(params)).meaning
    assert len({code for code, _ in results}) >= 35


def test_unknown_error_keeps_the_raw_fault() -> None:
    found = classify(QboFault(400, "6999", "Odd", "Odd : very odd", None, "tid-1"), ctx("Invoice"))
    assert found == Classification(
        catalog.QUICKBOOKS_UNKNOWN_ERROR,
        {
            "code": "6999",
            "message": "Odd",
            "detail": "Odd : very odd",
            "element": "",
            "intuit_tid": "tid-1",
        },
    )


@pytest.mark.parametrize(
    ("element", "label"),
    [
        (None, ""),
        ("", ""),
        ("DisplayName", "name"),
        ("DocNumber", "number"),
        ("PrivateNote", "memo"),
        ("PrimaryEmailAddr.Address", "email address"),
        ("BillEmail.Address", "billing email address"),
        ("PrimaryPhone.FreeFormNumber", "phone number"),
        ("BillAddr.Line1", "billing address"),
        ("Line.Description", "line description"),
        ("Line.SalesItemLineDetail.ItemRef", "line item"),
        ("AssetAccountRef", "inventory asset account"),
        ("ShipMethodRef", "ship method"),
        ("TxnTaxDetail.TxnTaxCodeRef", "txn tax detail code"),
    ],
)
def test_field_labels(element: str | None, label: str) -> None:
    assert field_label(element) == label


# --- the fixtures are the emulator's texts ------------------------------------------------


def test_fixtures_match_the_emulator_faults() -> None:
    from qbo_emulator import faults

    def first(exc: faults.QBOFault) -> tuple[str, str, str, str]:
        error = exc.fault.errors[0]
        return error.code, error.message, error.detail, error.element

    assert first(faults.duplicate_name("person")) == (
        "6240",
        MSG_DUPLICATE_NAME,
        DETAIL_DUPLICATE_PERSON,
        "DisplayName",
    )
    assert first(faults.duplicate_name("Item"))[2] == DETAIL_DUPLICATE_ITEM
    assert first(faults.no_name_provided())[1:3] == (MSG_NO_NAME, DETAIL_NO_NAME)
    assert first(faults.delete_has_balance())[1:3] == (MSG_HAS_BALANCE, DETAIL_HAS_BALANCE)
    assert first(faults.duplicate_doc_number("1042", "Invoice", "318"))[1:3] == (
        MSG_DUPLICATE_NUMBER,
        DETAIL_DUPLICATE_NUMBER,
    )
    assert first(faults.duplicate_doc_number("INV 77/B", "Bill", "9"))[2] == (
        DETAIL_DUPLICATE_BILL_NUMBER
    )
    assert first(faults.stale_object("Customer"))[1:3] == (MSG_STALE, DETAIL_STALE)
    assert first(faults.object_not_found("CustomerRef")) == (
        "610",
        MSG_NOT_FOUND,
        DETAIL_INACTIVE,
        "CustomerRef",
    )
    assert first(faults.transaction_deleted())[1:] == (MSG_NOT_FOUND, DETAIL_DELETED, "")
    assert first(faults.invalid_reference("IncomeAccountRef", "999"))[1:3] == (
        MSG_INVALID_REFERENCE,
        DETAIL_INVALID_REFERENCE,
    )
    assert first(faults.required_param("Line"))[1:] == (MSG_REQUIRED, DETAIL_REQUIRED_LINE, "Line")
    assert first(
        faults.required_param(
            "AssetAccountRef",
            extra="An inventory asset account is required if you are tracking inventory "
            "quantities for this product.",
        )
    )[2:] == (DETAIL_REQUIRED_ASSET, "AssetAccountRef")
    assert first(faults.string_length("PaymentRefNum", 21, 33))[1:3] == (
        MSG_LENGTH,
        DETAIL_LENGTH_21_33,
    )
    assert first(faults.business_validation("You must set a transaction amount."))[1:3] == (
        MSG_BUSINESS,
        DETAIL_NO_AMOUNT,
    )
    assert (
        first(
            faults.business_validation(
                "The amount applied to Invoice 318 (120.00) is more than its open balance (0.00)."
            )
        )[2]
        == DETAIL_OVER_BALANCE
    )
    assert (
        first(
            faults.business_validation(
                "Invoice 318 belongs to another customer; a payment can only be applied to that "
                "party's own transactions."
            )
        )[2]
        == DETAIL_OTHER_CUSTOMER
    )
    assert (
        first(
            faults.business_validation(
                "The amount applied to invoices (150.00) is more than the payment amount (100.00)."
            )
        )[2]
        == DETAIL_OVER_PAYMENT
    )
    assert (
        first(faults.business_validation("You can't change the type of an inventory item."))[2]
        == DETAIL_ITEM_TYPE
    )
    assert first(
        faults.invalid_value(
            "PrimaryEmailAddr.Address",
            "Invalid Email Address format : bob@example is not a valid e-mail address.",
            "2210",
        )
    )[:3] == ("2210", MSG_EMAIL, DETAIL_EMAIL)
    assert first(faults.invalid_company_status())[1:3] == (MSG_COMPANY, DETAIL_COMPANY)
    assert first(faults.account_period_closed())[:3] == ("6210", MSG_CLOSED, DETAIL_CLOSED)
    assert first(faults.inventory_start_date("Copper Pipe 15mm", "2026-03-01"))[1:3] == (
        MSG_INVENTORY,
        DETAIL_INVENTORY,
    )
    assert first(faults.deposited())[:3] == ("6540", MSG_DEPOSITED, DETAIL_DEPOSITED)
    assert first(
        faults.unsupported_operation("Update for Item of Type Group (bundles are read-only)")
    )[1:3] == (MSG_UNSUPPORTED, DETAIL_BUNDLE)
    assert first(faults.invalid_tax_code("7"))[1:3] == (MSG_TAX_CODE, DETAIL_TAX_CODE)
    assert first(faults.token_invalid(DETAIL_TOKEN))[:3] == ("3200", MSG_TOKEN, DETAIL_TOKEN)
    assert first(faults.authorization_failed(DETAIL_SCOPE))[:3] == ("3100", MSG_AUTHZ, DETAIL_SCOPE)
    assert first(faults.throttled())[:3] == ("3001", MSG_THROTTLED, DETAIL_THROTTLED)
    assert first(faults.system_failure())[:3] == ("10000", MSG_SYSTEM, DETAIL_SYSTEM)
    assert first(faults.query_parse_error('Encountered "<EOF>" at line 1, column 1.'))[2] == (
        DETAIL_QUERY
    )
    assert first(
        faults.invalid_value("DisplayName", "Invalid String : DisplayName cannot contain :", "2040")
    )[:3] == ("2040", MSG_INVALID_STRING, DETAIL_INVALID_STRING)
    assert first(
        faults.invalid_value("TotalAmt", "NegativeAmount : TotalAmt must not be negative", "2290")
    )[1:3] == ("NegativeAmount", DETAIL_NEGATIVE)
    assert first(
        faults.invalid_value(
            "Line.Amount",
            "Amount calculation incorrect in the request : Amount 10.00 is not equal to "
            "UnitPrice 3 * Qty 3.",
            "6070",
        )
    )[1:3] == (MSG_AMOUNT_CALC, DETAIL_AMOUNT_CALC)
    assert first(
        faults.invalid_value(
            "IncomeAccountRef",
            "Invalid account type : You can't associate a product or service with accounts of "
            "certain types, such as Accounts Receivable or Accounts Payable.",
            "6430",
        )
    )[1:3] == (MSG_ACCOUNT_TYPE, DETAIL_ACCOUNT_TYPE)
    assert faults.token_invalid("x").fault.status == 401
    assert faults.authorization_failed("x").fault.status == 403
    assert faults.throttled().fault.status == 429


@dataclass(frozen=True)
class OtherFault:
    """A fault value of the same shape defined elsewhere (as the adapter does)."""

    status: int
    code: str
    message: str
    detail: str
    element: str | None
    intuit_tid: str | None


def test_any_fault_of_the_same_shape_is_accepted() -> None:
    other = OtherFault(
        400, "6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_PERSON, "DisplayName", None
    )
    ours = QboFault(400, "6240", MSG_DUPLICATE_NAME, DETAIL_DUPLICATE_PERSON, "DisplayName", None)
    assert classify(other, ctx("Vendor")) == classify(ours, ctx("Vendor"))
