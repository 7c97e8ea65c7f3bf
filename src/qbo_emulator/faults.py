"""QuickBooks Online faults: the codes, messages and HTTP statuses the real service returns.

Every error the emulator produces is built here, so the texts clients match on live in one place.

    QBOFault (exception carrying a Fault value)
     ├─ validation faults      HTTP 400, type "ValidationFault"  (2xxx, 5010, 6xxx, 610, 4000/4001)
     ├─ system faults          HTTP 500, type "SystemFault"      (10000)
     ├─ gateway auth faults    HTTP 401/403, lower-case envelope (3200, 3100)
     └─ throttle faults        HTTP 429, type "SERVICE"          (3001)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorItem:
    code: str
    message: str
    detail: str
    element: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }


@dataclass(frozen=True, slots=True)
class Fault:
    status: int
    type: str
    errors: tuple[ErrorItem, ...]
    gateway: bool = False

    @property
    def code(self) -> str:
        return self.errors[0].code

    def body(self, time: str, epoch_ms: int) -> dict[str, Any]:
        """The response body, in the envelope the real service uses for this kind of fault."""
        if self.gateway:
            return {
                "warnings": None,
                "intuitObject": None,
                "fault": {
                    "error": [
                        {
                            "message": e.message,
                            "detail": e.detail,
                            "code": e.code,
                            "element": None,
                        }
                        for e in self.errors
                    ],
                    "type": self.type,
                },
                "report": None,
                "queryResponse": None,
                "batchItemResponse": [],
                "attachableResponse": [],
                "syncErrorResponse": None,
                "requestId": None,
                "time": epoch_ms,
                "status": None,
                "cdcresponse": [],
            }
        return {"Fault": self.fault_object(), "time": time}

    def fault_object(self) -> dict[str, Any]:
        """The bare `Fault` object, as it also appears inside a batch item response."""
        return {"Error": [e.to_json() for e in self.errors], "type": self.type}


class QBOFault(Exception):
    """Raised inside an operation when the request must fail with a QuickBooks fault."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(f"{fault.code} {fault.errors[0].message}: {fault.errors[0].detail}")
        self.fault = fault


def _validation(code: str, message: str, detail: str, element: str = "") -> QBOFault:
    return QBOFault(Fault(400, "ValidationFault", (ErrorItem(code, message, detail, element),)))


# --- name lists ---------------------------------------------------------------------------

NAME_SPACE_DETAIL = {
    "person": "Another customer, vendor or employee is already using this name.",
    "Item": "Another product or service is already using this name.",
    "Account": "Another account is already using this name.",
    "Class": "Another class is already using this name.",
    "Department": "Another location is already using this name.",
    "Term": "Another term is already using this name.",
    "TaxAgency": "Another tax agency is already using this name.",
    "TaxCode": "Another tax code is already using this name.",
    "TaxRate": "Another tax rate is already using this name.",
    "CompanyCurrency": "This currency is already in the company's currency list.",
    "PaymentMethod": "Another payment method is already using this name.",
}


def duplicate_name(space: str) -> QBOFault:
    """6240: the name is taken (Customer, Vendor and Employee share one space)."""
    what = NAME_SPACE_DETAIL.get(space, NAME_SPACE_DETAIL["person"])
    return _validation(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : {what} Please use a different name.",
        "DisplayName" if space in ("person", "TaxAgency") else "Name",
    )


def no_name_provided() -> QBOFault:
    return _validation(
        "6080",
        "No Name Provided",
        "No Name Provided : You must provide at least one of Title, GivenName, MiddleName, "
        "FamilyName, Suffix or DisplayName.",
    )


def delete_has_balance() -> QBOFault:
    return _validation(
        "6220",
        "Delete List Has Balance Error",
        "The entity you are trying to delete has an open balance. : This customer cannot be "
        "deleted because it has a non-zero balance",
    )


def sub_level_limit() -> QBOFault:
    return _validation(
        "6180",
        "Sub Level Limit",
        "Sub Level Limit : You can only have up to 5 levels of sub-customers, sub-items or "
        "sub-accounts.",
        "ParentRef",
    )


# --- transactions -------------------------------------------------------------------------


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QBOFault:
    """6140: the document number is in use; the detail names the transaction that holds it."""
    return _validation(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
    )


def stale_object(entity: str) -> QBOFault:
    """5010: the SyncToken sent is older than the object's current one."""
    return _validation(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and QuickBooks User were working on this at the same time. "
        "QuickBooks User finished before you did, so your work was not saved. "
        f"Entity={entity}",
    )


def object_not_found(element: str = "") -> QBOFault:
    """610, variant (a): the id does not exist, or names an inactive list object."""
    return _validation(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the "
        "fields with accounts, customers, items, vendors or employees.",
        element,
    )


def transaction_deleted() -> QBOFault:
    """610, variant (b): the transaction was deleted."""
    return _validation(
        "610", "Object Not Found", "Object Not Found : Another user has deleted this transaction."
    )


def invalid_reference(element: str, value: str) -> QBOFault:
    """2500: a reference id that names nothing of the expected type."""
    return _validation(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {element} assigned is invalid or does not exist (Id={value}). "
        "Something you're trying to use has been made inactive. Check the fields with "
        "accounts, customers, items, vendors or employees.",
        element,
    )


def required_param(name: str, element: str | None = None, extra: str = "") -> QBOFault:
    """2020: a required field is missing."""
    detail = f"Required parameter {name} is missing in the request"
    if extra:
        detail = f"{detail} : {extra}"
    return _validation(
        "2020",
        "Required param missing, need to supply the required value for the API",
        detail,
        element if element is not None else name,
    )


def string_length(element: str, maximum: int, supplied: int, minimum: int = 0) -> QBOFault:
    """2050: a string longer (or shorter) than the field allows."""
    return _validation(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:{minimum} "
        f"Max:{maximum} supported. Supplied length:{supplied}",
        element,
    )


def invalid_enumeration(element: str, value: str) -> QBOFault:
    return _validation("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element)


def invalid_value(element: str, detail: str, code: str = "2010") -> QBOFault:
    """2010 and neighbours: a property value the service cannot accept (bad date, number...)."""
    messages = {
        "2010": "Request has invalid or unsupported property",
        "2040": "Invalid String",
        "2060": "Invalid Date Format",
        "2070": "Invalid Date",
        "6010": "Invalid Account Type",
        "6070": "Amount calculation incorrect in the request",
        "6430": "Invalid account type",
        "2080": "Invalid Number Format",
        "2140": "Invalid Amount",
        "2210": "Invalid Email Address format",
        "2290": "NegativeAmount",
    }
    return _validation(code, messages.get(code, "Invalid value"), detail, element)


def invalid_tax_code(value: str) -> QBOFault:
    return _validation(
        "6100",
        "Invalid Line TaxCode",
        f"Invalid Line TaxCode : The tax code {value} is not valid for this company. "
        "Use TAX or NON on US lines.",
        "TaxCodeRef",
    )


def business_validation(text: str, element: str = "") -> QBOFault:
    """6000: a business rule (payment without amount, overpayment, ...)."""
    return _validation(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {text}",
        element,
    )


def invalid_company_status() -> QBOFault:
    """6190: the company's subscription has lapsed."""
    return _validation(
        "6190",
        "Invalid Company Status",
        "Subscription period has ended or canceled or there was a billing problem : You can't "
        "add data to QuickBooks Online Plus because your trial or subscription period ended.",
    )


def account_period_closed() -> QBOFault:
    """6210: the transaction is dated on or before the books closing date."""
    return _validation(
        "6210",
        "Account Period Closed",
        "The account period has closed and the account books cannot be updated through the "
        "QBO Services API. Please use the QBO website to make these changes.",
    )


def inventory_start_date(item_name: str, start_date: str) -> QBOFault:
    """6270: an inventory item used on a transaction dated before its start date."""
    return _validation(
        "6270",
        "Transaction date is prior to start date for inventory item",
        f"InventoryTxnDatedBeforeItemStartDate : Transaction date is prior to start date for "
        f"inventory item {item_name} (start date {start_date}).",
        "TxnDate",
    )


def deposited() -> QBOFault:
    """6540: a deposited payment or sales receipt cannot change."""
    return _validation(
        "6540",
        "Deposited Transaction cannot be changed",
        "This transaction has been deposited. If you want to change or delete it, you must "
        "edit the deposit it appears on and remove it first.",
    )


def unsupported_operation(detail: str) -> QBOFault:
    return _validation("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def invalid_request_id(detail: str) -> QBOFault:
    return _validation("2130", "Invalid Request Id Format", detail, "requestid")


def batch_size_exceeded(size: int, limit: int) -> QBOFault:
    return _validation(
        "1040",
        "Batch size exceeds allowed limit",
        f"Batch size exceeds allowed limit : {size} batch items were sent; at most {limit} are "
        "allowed in one request.",
    )


# --- queries ------------------------------------------------------------------------------


def query_parse_error(detail: str) -> QBOFault:
    return _validation("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QBOFault:
    return _validation("4001", "Invalid query", f"QueryValidationError: {detail}")


# --- gateway and service faults -----------------------------------------------------------


def token_invalid(detail: str) -> QBOFault:
    """3200 / HTTP 401: missing, malformed, unknown, revoked or expired access token."""
    return QBOFault(
        Fault(
            401,
            "AUTHENTICATION",
            (
                ErrorItem(
                    "3200",
                    "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    detail,
                ),
            ),
            gateway=True,
        )
    )


def authorization_failed(detail: str) -> QBOFault:
    """3100 / HTTP 403: the token may not act on this company (or lacks the scope)."""
    return QBOFault(
        Fault(
            403,
            "SERVICE",
            (
                ErrorItem(
                    "3100",
                    "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                    detail,
                ),
            ),
            gateway=True,
        )
    )


def throttled() -> QBOFault:
    """3001 / HTTP 429: over the request, concurrency or batch limit."""
    return QBOFault(
        Fault(
            429,
            "SERVICE",
            (
                ErrorItem(
                    "3001",
                    "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                    "The request limit was reached.  Try again later",
                ),
            ),
        )
    )


def system_failure(detail: str = "java.lang.NullPointerException", status: int = 500) -> QBOFault:
    """10000: a server-side failure (injected by the fault scripts)."""
    return QBOFault(
        Fault(
            status,
            "SystemFault",
            (
                ErrorItem(
                    "10000",
                    "An application error has occurred while processing your request",
                    f"System Failure Error: {detail}",
                ),
            ),
        )
    )


def scripted(status: int, code: str | None = None) -> QBOFault:
    """A fault injected through the admin API: the status picks the kind of fault (429
    throttle, 401/403 gateway, 5xx system), an explicit code its number."""
    if code == "3001" or status == 429:
        return throttled()
    if code == "3200" or status == 401:
        return token_invalid("Token expired")
    if code == "3100" or status == 403:
        return authorization_failed("The access token does not have sufficient scope")
    if code == "10000" or (code is None and status >= 500):
        return system_failure(status=status)
    if code is None:
        error = ErrorItem(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: Scripted fault",
        )
    else:
        error = ErrorItem(code, "Scripted fault", f"Scripted fault {code}")
    return QBOFault(Fault(status, "SystemFault" if status >= 500 else "ValidationFault", (error,)))
