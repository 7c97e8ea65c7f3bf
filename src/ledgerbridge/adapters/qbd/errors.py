"""QuickBooks Desktop's status codes -> the same error tree as QuickBooks Online's.

    Desktop status (qbd-reference §4)      raised as            classified (core.classify) as
    -------------------------------------  -------------------  -------------------------------
    3100 name in use                       Rejected 6240        customer/vendor/item.exists_in_
                                                                quickbooks (the mirror tells
                                                                same type from another)
    3120 object not found (Mod/Del/Void,   Rejected 610         the entity's deleted_in_quickbooks
         a payment's invoice)              "deleted"            (a delete/void: removed all
                                                                the same)
    3140 invalid reference to <Kind> "X"   Rejected 610 or      customer/item/vendor inactive (
                                           2500, on the Ref     the reference named), account
                                                                missing
    3170, 3175, 3176 in use, being edited  InUse (Unavailable)  retried later (not ambiguous)
         by another user, lock failed
    3180 error saving: closing date        Rejected 6200        invoice.closed_period
    3180 error saving: a lock text         InUse (Unavailable)  retried later
    3200 edit sequence out of date         Rejected 5010        the engine re-reads and re-applies
                                                                once (a conflict is shown)
    3210 "cannot pay more than ... due"    Rejected 6000        payment.invoice_already_paid
    3260, 3261 permission                  Rejected 120         connection.permission_missing
    3070 string too long (the adapter      Rejected 2050 on     record.field_too_long (field,
         checks lengths before sending)    the Online field     limit, length)
    1000, 1010, 3231 internal / not        Unavailable          retried later
         available / not processed
    anything else                          Rejected QBD<code>   quickbooks.unknown_error, the
                                                                Desktop code and text kept

The classifier reads one fault shape (`core.classify.QboFault`); a Desktop fault is written in
the code QuickBooks Online gives the same situation, so the engine's classification yields the
same catalog codes for both ledgers. Online's own 3100 and 3200 (authorization, token expired)
are never produced from Desktop's 3100 and 3200: Desktop's are renamed here, before anything
else sees them. The Desktop status and its text stay in the fault (`message` names the Desktop
status, `detail` is QuickBooks' text verbatim) for the sync log.

`field_fault` turns a value too long for Desktop (`schema.TooLong`) into the Online field the
engine sent, so the problem names the app's field.
"""

from __future__ import annotations

import re
from typing import Final

from ledgerbridge.adapters.qbd.schema import TooLong
from ledgerbridge.adapters.qbo.errors import (
    InUse,
    QboFault,
    QuickBooksError,
    Rejected,
    Unavailable,
)

__all__ = ["DESKTOP_STATUS", "field_fault", "translate"]

DESKTOP_STATUS: Final = 200
"""The `status` of a Desktop fault: the qbXML status arrived in a normal answer (never an
HTTP 401/403/429/5xx, which the classifier reads as Online's connection-level statuses)."""

_INVALID_REFERENCE = re.compile(r'invalid reference to QuickBooks (?P<kind>[A-Za-z ]+?) "')
_REFERENCE_ELEMENT: Final = {
    "Customer": ("610", "CustomerRef"),
    "Customer Job": ("610", "CustomerRef"),
    "Item": ("610", "Line.ItemRef"),
    "Vendor": ("610", "VendorRef"),
    "Account": ("2500", "AccountRef"),
    "Payment Method": ("610", "PaymentMethodRef"),
    "Class": ("610", "ClassRef"),
    "Sales Tax Code": ("610", "TaxCodeRef"),
}
_LOCKED: Final = ("modified by another user", "in use by another user", "lock")
_CLOSED: Final = "closing date"

# the Online field each qbXML element is sent from (what `record.field_too_long` names)
_ONLINE_FIELD: Final = {
    "Name": "DisplayName",
    "CompanyName": "CompanyName",
    "FirstName": "GivenName",
    "LastName": "FamilyName",
    "Phone": "PrimaryPhone",
    "Email": "PrimaryEmailAddr",
    "Notes": "Notes",
    "RefNumber": "DocNumber",
    "ManufacturerPartNumber": "Sku",
    "Memo": "PrivateNote",
    "Desc": "Line.Description",
    "SalesDesc": "Description",
    "PurchaseDesc": "PurchaseDesc",
}
_ADDRESS_FIELD: Final = {
    "Addr1": "Line1",
    "Addr2": "Line2",
    "City": "City",
    "State": "CountrySubDivisionCode",
    "PostalCode": "PostalCode",
    "Country": "Country",
}


def translate(
    code: int, severity: str, message: str, *, request: str, operation: str
) -> QuickBooksError:
    """The error for a `…Rs` with an error status (`request`: "CustomerAddRq", ...)."""
    said = f"QuickBooks Desktop status {code} on {request}"

    def rejected(online: str, element: str | None = None, detail: str = message) -> Rejected:
        return Rejected([QboFault(DESKTOP_STATUS, online, said, detail, element, None)])

    if code == 3100:
        return rejected("6240", "Name")
    if code == 3120:
        return rejected("610", None, f"{message} (deleted in QuickBooks)")
    if code == 3140:
        found = _INVALID_REFERENCE.search(message)
        online, element = _REFERENCE_ELEMENT.get(found["kind"] if found else "", ("610", None))
        return rejected(online, element)
    if code in (3170, 3175, 3176) or (code == 3180 and _has(message, _LOCKED)):
        return InUse(
            f"{said}: the record is in use in QuickBooks; tried again later ({message})",
            faults=[QboFault(DESKTOP_STATUS, str(code), said, message, None, None)],
        )
    if code == 3180 and _CLOSED in message.lower():
        return rejected("6200")
    if code == 3200:
        return rejected("5010")
    if code == 3210 and "more than the amount due" in message.lower():
        return rejected("6000", "AppliedToTxn", f"{message} (more than its open balance)")
    if code in (3260, 3261):
        return rejected("120")
    if code == 3070:
        return rejected("2050", None)
    if code in (1000, 1010, 3231):
        return Unavailable(
            f"{said}: {message}",
            ambiguous=False,
            faults=[QboFault(DESKTOP_STATUS, str(code), said, message, None, None)],
        )
    return rejected(f"QBD{code}", None)


def field_fault(error: TooLong) -> Rejected:
    """A value too long for Desktop, as QuickBooks Online's 2050 on the field the engine sent."""
    parts = error.path.split(".")
    leaf = parts[-1]
    if leaf in _ADDRESS_FIELD:
        element = f"BillAddr.{_ADDRESS_FIELD[leaf]}"
    elif leaf == "RefNumber" and parts[0].startswith("ReceivePayment"):
        element = "PaymentRefNum"
    elif leaf == "Name" and parts[0].startswith("Item"):
        element = "Name"
    else:
        element = _ONLINE_FIELD.get(leaf, leaf)
    detail = (
        f"Max : {error.limit} Supplied length : {error.length} "
        f"(QuickBooks Desktop's limit for {error.path})"
    )
    fault = QboFault(DESKTOP_STATUS, "2050", "String length is too long", detail, element, None)
    return Rejected([fault])


def _has(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)
