"""The issue catalog: one entry per way a sync can fail, under a stable code.

Codes are a public contract (apps and scripts switch on them, the dashboard links them to
``docs/catalog.md``): they are exactly those of the failure-modes list, plus the input codes
of `ledgerbridge.core.problems` and the few failures found since (marked "added" below). Other
modules never type a code: they use the constants defined here (``INVOICE_NUMBER_CONFLICT``).

An entry is written for the office user who sees it, not for a developer: what happened, why it
matters, what to do, and the one-click actions the dashboard offers.

Texts may name a problem's figures. Two forms exist, and `render` fills both:

- ``{name}``: replaced by the value of the param ``name``;
- ``[with {number}|fallback]``: a segment kept (with its placeholders filled) when every param
  it names has a value, replaced by the fallback text (after ``|``, possibly empty) when one is
  missing. Every placeholder in the catalog sits inside such a segment, so a problem without
  params still reads as a whole sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final, Literal, get_args

from ledgerbridge.core import problems

__all__ = [
    "ACTIONS",
    "ACTION_HELP",
    "ACTION_LABELS",
    "DESKTOP_ENTRIES",
    "ENTRIES",
    "SCREENS",
    "Action",
    "CatalogEntry",
    "Level",
    "RenderedProblem",
    "Screen",
    "WaitOutcome",
    "codes",
    "entry",
    "fill",
    "placeholders",
    "render",
    "waiting_message",
]

Level = Literal["record", "connection"]

Action = Literal[
    "retry",
    "bypass",
    "undo_bypass",
    "differentiate",
    "link",
    "unlink",
    "reactivate",
    "recreate",
    "move_back",
    "accept_quickbooks",
    "send_app_version",
    "renumber",
    "shorten",
    "shift_to_open_period",
    "align_account",
    "apply_numbering_start",
    "accept_deletion",
    "reconnect",
    "refresh",
    "copy_details",
    "edit_in_app",
]
"""The one-click actions (``POST .../actions/{action}``); ``edit_in_app``: no automatic fix."""

Screen = Literal[
    "connection",
    "reconnect",
    "setup",
    "reconciliation",
    "mappings.tax_rates",
    "mappings.payment_methods",
    "mappings.accounts",
    "mappings.classes",
]
"""A screen a fix step sends the person to, by what it is: each edge maps it to its address
(the dashboard to its pages, with the section a mapping step names)."""

SCREENS: Final[tuple[Screen, ...]] = get_args(Screen)

ACTIONS: Final[tuple[Action, ...]] = get_args(Action)

ACTION_LABELS: Final[Mapping[Action, str]] = MappingProxyType(
    {
        "retry": "Retry",
        "bypass": "Bypass",
        "undo_bypass": "Undo bypass",
        "differentiate": "Differentiate",
        "link": "Link",
        "unlink": "Unlink",
        "reactivate": "Reactivate",
        "recreate": "Recreate",
        "move_back": "Move back",
        "accept_quickbooks": "Keep QuickBooks' version",
        "send_app_version": "Send the app's version",
        "renumber": "Renumber",
        "shorten": "Shorten",
        "shift_to_open_period": "Move to open period",
        "align_account": "Align account",
        "apply_numbering_start": "Apply numbering start",
        "accept_deletion": "Accept deletion",
        "reconnect": "Reconnect QuickBooks",
        "refresh": "Refresh from QuickBooks",
        "copy_details": "Copy details",
        "edit_in_app": "Fix in the app",
    }
)
"""What the dashboard's buttons say."""

ACTION_HELP: Final[Mapping[Action, str]] = MappingProxyType(
    {
        "retry": "Sends the record again now. Nothing in QuickBooks changes until it is sent.",
        "bypass": "Stops sending this record: it stays as it is in QuickBooks (or absent) and "
        "is never retried, until you undo the bypass.",
        "undo_bypass": "Makes a bypassed record part of the sync again; it is sent at once.",
        "differentiate": "Gives the record a name (or vendor document number) nobody in "
        'QuickBooks uses yet, such as "Maria Delgado - 2". The app keeps its own name and is '
        "told the one used in QuickBooks.",
        "link": "Connects the record to a QuickBooks record you choose, instead of creating a "
        "new one. Nothing is created or changed in QuickBooks.",
        "unlink": "Forgets which QuickBooks record this one was connected to; the next sync "
        "matches or creates it again. The old QuickBooks record is left as it is.",
        "reactivate": "Makes the customer, vendor, item or class active again in QuickBooks; "
        "the records waiting for it are then sent by themselves.",
        "recreate": "Creates the record in QuickBooks again, from the copy ledgerbridge sent "
        "last time.",
        "move_back": "Puts the invoice back under the customer it has in the app.",
        "accept_quickbooks": "Keeps what QuickBooks shows (a new customer, an inactive record, "
        "another account, a void) and tells the app; nothing is sent back over it.",
        "send_app_version": "Sends the app's values over what was changed in QuickBooks, so "
        "QuickBooks holds the record as the app has it again.",
        "renumber": "Gives this record the next free number (the app is told), or, if the "
        "QuickBooks record holding the number is not one of ours, gives that one a new number.",
        "shorten": "Cuts the text to the length QuickBooks accepts, keeping the part you choose "
        "(its start, its end, or both) or sending the text you type instead; each choice shows "
        "exactly what QuickBooks gets. The app keeps the full text and is told.",
        "shift_to_open_period": "Dates the record on the first day after the books closing date; "
        "the app is told.",
        "align_account": "Sends the app's account for the item to QuickBooks (or, if you "
        "choose, takes QuickBooks' account into the app).",
        "apply_numbering_start": "Continues the app's invoice numbers from the first number "
        "QuickBooks has not used; the app is told.",
        "accept_deletion": "Leaves the record deleted in QuickBooks and stops sending it.",
        "reconnect": "Opens the QuickBooks sign-in to connect the company again.",
        "refresh": "Reads the latest changes from QuickBooks now.",
        "copy_details": "Copies the technical details for your support contact.",
        "edit_in_app": "No button: correct the record in the app and save it.",
    }
)
"""What each button does, in a sentence for the office user (the dashboard and the docs)."""

# --- codes ------------------------------------------------------------------------------------

CONNECTION_TOKEN_EXPIRED: Final = "connection.token_expired"
CONNECTION_DISCONNECTED: Final = "connection.disconnected"
CONNECTION_WRONG_COMPANY: Final = "connection.wrong_company"
CONNECTION_SUBSCRIPTION_INACTIVE: Final = "connection.subscription_inactive"
CONNECTION_THROTTLED: Final = "connection.throttled"
CONNECTION_QUICKBOOKS_UNAVAILABLE: Final = "connection.quickbooks_unavailable"
CONNECTION_WEB_CONNECTOR_SILENT: Final = "connection.web_connector_silent"
CONNECTION_PERMISSION_MISSING: Final = "connection.permission_missing"  # added
CONNECTION_SECRET_KEYS_CHANGED: Final = "connection.secret_keys_changed"  # added
CONNECTION_RECONNECT_SOON: Final = "connection.reconnect_soon"  # added
# QuickBooks Desktop only, reported by the Web Connector (core.web_connector)
CONNECTION_QUICKBOOKS_CLOSED: Final = "connection.quickbooks_closed"  # added
CONNECTION_SINGLE_USER_NEEDED: Final = "connection.single_user_needed"  # added
CONNECTION_QUICKBOOKS_TOO_OLD: Final = "connection.quickbooks_too_old"  # added
CONNECTION_QUICKBOOKS_ACCESS_DENIED: Final = "connection.quickbooks_access_denied"  # added
CONNECTION_WEB_CONNECTOR_PASSWORD_REFUSED: Final = (  # added
    "connection.web_connector_password_refused"
)
CONNECTION_WEB_CONNECTOR_ERROR: Final = "connection.web_connector_error"  # added

CUSTOMER_NAME_MISSING: Final = "customer.name_missing"
CUSTOMER_EMAIL_INVALID: Final = "customer.email_invalid"
CUSTOMER_DUPLICATE_IN_APP: Final = "customer.duplicate_in_app"
CUSTOMER_EXISTS_IN_QUICKBOOKS: Final = "customer.exists_in_quickbooks"
CUSTOMER_NAME_USED_BY_OTHER_TYPE: Final = "customer.name_used_by_other_type"
CUSTOMER_INACTIVE_IN_QUICKBOOKS: Final = "customer.inactive_in_quickbooks"
CUSTOMER_PARENT_NOT_SYNCED: Final = "customer.parent_not_synced"
CUSTOMER_MERGED_IN_QUICKBOOKS: Final = "customer.merged_in_quickbooks"
CUSTOMER_EDITED_CONCURRENTLY: Final = "customer.edited_concurrently"
CUSTOMER_HAS_OPEN_BALANCE: Final = "customer.has_open_balance"  # added
PROPERTY_DUPLICATE_NAME: Final = "property.duplicate_name"
RECORD_FIELD_TOO_LONG: Final = "record.field_too_long"
RECORD_STALLED: Final = "record.stalled"
RECORD_CHANGED_IN_QUICKBOOKS: Final = "record.changed_in_quickbooks"  # added
RECORD_UNREADABLE: Final = "record.unreadable"  # added
RECORD_LINK_TARGET_MISSING: Final = "record.link_target_missing"  # added
RECORD_LINK_TARGET_TAKEN: Final = "record.link_target_taken"  # added
RECORD_IN_USE_IN_QUICKBOOKS: Final = "record.in_use_in_quickbooks"  # added (Desktop)

ITEM_NOT_MATCHED: Final = "item.not_matched"
ITEM_EXISTS_IN_QUICKBOOKS: Final = "item.exists_in_quickbooks"
ITEM_INACTIVE_IN_QUICKBOOKS: Final = "item.inactive_in_quickbooks"
ITEM_ACCOUNT_MISMATCH: Final = "item.account_mismatch"
ITEM_ACCOUNT_MISSING: Final = "item.account_missing"
ITEM_BUNDLE_READ_ONLY: Final = "item.bundle_read_only"
ITEM_TYPE_CHANGE_NOT_ALLOWED: Final = "item.type_change_not_allowed"
ITEM_CATEGORY_READ_ONLY: Final = "item.category_read_only"  # added
ITEM_INVENTORY_START_DATE: Final = "item.inventory_start_date"
CLASS_INACTIVE_IN_QUICKBOOKS: Final = "class.inactive_in_quickbooks"
TAX_RATE_NOT_MAPPED: Final = "tax.rate_not_mapped"

INVOICE_NO_LINES: Final = "invoice.no_lines"
INVOICE_CUSTOMER_NOT_SYNCED: Final = "invoice.customer_not_synced"
INVOICE_CUSTOMER_INACTIVE: Final = "invoice.customer_inactive"
INVOICE_ITEM_NOT_SYNCED: Final = "invoice.item_not_synced"
INVOICE_NUMBER_CONFLICT: Final = "invoice.number_conflict"
INVOICE_NUMBER_SEQUENCE_OVERLAP: Final = "invoice.number_sequence_overlap"
INVOICE_CLOSED_PERIOD: Final = "invoice.closed_period"
INVOICE_DELETED_IN_QUICKBOOKS: Final = "invoice.deleted_in_quickbooks"
INVOICE_MOVED_IN_QUICKBOOKS: Final = "invoice.moved_in_quickbooks"
INVOICE_VOIDED_IN_QUICKBOOKS: Final = "invoice.voided_in_quickbooks"
INVOICE_PAID_IN_QUICKBOOKS: Final = "invoice.paid_in_quickbooks"
INVOICE_AMOUNT_MISMATCH: Final = "invoice.amount_mismatch"

PAYMENT_INVOICE_NOT_SYNCED: Final = "payment.invoice_not_synced"
PAYMENT_ALREADY_IN_QUICKBOOKS: Final = "payment.already_in_quickbooks"
PAYMENT_INVOICE_ALREADY_PAID: Final = "payment.invoice_already_paid"
PAYMENT_CUSTOMER_MISMATCH: Final = "payment.customer_mismatch"
PAYMENT_NOT_POSTED: Final = "payment.not_posted"
PAYMENT_REFERENCE_TOO_LONG: Final = "payment.reference_too_long"
PAYMENT_METHOD_NOT_MAPPED: Final = "payment.method_not_mapped"
PAYMENT_DELETED_IN_QUICKBOOKS: Final = "payment.deleted_in_quickbooks"
PAYMENT_DEPOSITED: Final = "payment.deposited"  # added
PAYMENT_METHOD_NOT_TAKEN_BY_APP: Final = "payment.method_not_taken_by_app"  # added

VENDOR_EXISTS_IN_QUICKBOOKS: Final = "vendor.exists_in_quickbooks"
VENDOR_NAME_USED_BY_OTHER_TYPE: Final = "vendor.name_used_by_other_type"
VENDOR_INACTIVE_IN_QUICKBOOKS: Final = "vendor.inactive_in_quickbooks"  # added
VENDOR_NOT_SYNCED: Final = "vendor.not_synced"  # added
VENDOR_MERGED_IN_QUICKBOOKS: Final = "vendor.merged_in_quickbooks"  # added
RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN: Final = "receipt.vendor_document_number_taken"
RECEIPT_STALE_REFERENCE: Final = "receipt.stale_reference"
RECEIPT_DELETED_IN_QUICKBOOKS: Final = "receipt.deleted_in_quickbooks"  # added
BILL_DELETED_IN_QUICKBOOKS: Final = "bill.deleted_in_quickbooks"  # added
PURCHASE_ORDER_DELETED_IN_QUICKBOOKS: Final = "purchase_order.deleted_in_quickbooks"

MIRROR_STALE: Final = "mirror.stale"
QUICKBOOKS_UNKNOWN_ERROR: Final = "quickbooks.unknown_error"

INPUT_INVALID: Final = problems.INPUT_INVALID
INPUT_REQUIRED: Final = problems.INPUT_REQUIRED
INPUT_UNKNOWN_FIELD: Final = problems.INPUT_UNKNOWN_FIELD


# --- entries ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One failure mode: its code, the texts an office user reads, and what can be done."""

    code: str
    title: str
    meaning: str
    fix: tuple[str, ...]  # the steps, in order
    actions: tuple[Action, ...]
    retriable: bool  # the engine retries by itself, without anyone doing anything
    level: Level
    detected: str  # how it is found: P preflight, F fault (code), S pull side, C connection
    docs_anchor: str  # fragment of docs/catalog.md: "invoice-number-conflict"
    # per fix step, the screen it names ("open the tax mapping screen"), or None
    screens: tuple[Screen | None, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderedProblem:
    """An entry with a problem's params filled in: what the API and the dashboard show."""

    code: str
    title: str
    meaning: str
    fix: tuple[str, ...]
    actions: tuple[Action, ...]
    retriable: bool
    screens: tuple[Screen | None, ...] = ()  # per fix step (`CatalogEntry.screens`)


def _e(
    code: str,
    title: str,
    meaning: str,
    fix: tuple[str, ...],
    actions: tuple[Action, ...] = (),
    *,
    detected: str,
    retriable: bool = False,
    level: Level = "record",
    screens: tuple[Screen | None, ...] = (),
) -> CatalogEntry:
    anchor = code.replace(".", "-").replace("_", "-")
    linked = screens + (None,) * (len(fix) - len(screens))
    if len(linked) != len(fix):
        raise ValueError(f"{code}: more screens than fix steps")
    return CatalogEntry(
        code, title, meaning, fix, actions, retriable, level, detected, anchor, linked
    )


_FIX_IN_APP = "Correct it in the app and save; the record is sent again by itself."

_ALL: Final[tuple[CatalogEntry, ...]] = (
    # --- connection ---------------------------------------------------------------------------
    _e(
        CONNECTION_TOKEN_EXPIRED,
        "QuickBooks sign-in renewed",
        "QuickBooks asks ledgerbridge to renew its sign-in about once an hour. ledgerbridge "
        "does this by itself and carries on, so nothing is lost.",
        (
            "Nothing to do: ledgerbridge renews the sign-in and tries again by itself.",
            "If QuickBooks then says the connection was lost, reconnect QuickBooks from the "
            "connection page.",
        ),
        screens=(None, "connection"),
        detected="F (3200, 401)",
        retriable=True,
        level="connection",
    ),
    _e(
        CONNECTION_DISCONNECTED,
        "QuickBooks is disconnected",
        "ledgerbridge no longer has permission to work in your QuickBooks company. This happens "
        "when someone disconnects it in QuickBooks, or after a long time without use. Nothing is "
        "lost: records wait and are sent as soon as you reconnect.",
        (
            "Click Reconnect QuickBooks and sign in as a QuickBooks administrator of the same "
            "company.",
            "After reconnecting, the waiting records are sent by themselves; there is no need to "
            "send them again.",
        ),
        ("reconnect",),
        screens=("reconnect",),
        detected="C",
        level="connection",
    ),
    _e(
        CONNECTION_WRONG_COMPANY,
        "Connected to a different QuickBooks company",
        "The last reconnect signed in to a different QuickBooks company[ ({company_name})|] than "
        "the one this connection has been working with. The customers, invoices and other "
        "records already linked belong to the other company, so sending is paused to keep the "
        "two sets of books apart.",
        (
            "If the wrong company was picked, click Reconnect QuickBooks and choose the original "
            "company.",
            "If you really are moving to this company, click Unlink to start fresh: all links "
            "are removed and records are matched again against this company.",
        ),
        ("reconnect", "unlink"),
        screens=("reconnect",),
        detected="C",
        level="connection",
    ),
    _e(
        CONNECTION_SUBSCRIPTION_INACTIVE,
        "QuickBooks subscription is not active",
        "QuickBooks refuses new entries because the company's trial or subscription has ended, "
        "or because of a billing problem. Nothing is sent until the subscription is active "
        "again; records wait and nothing is lost.",
        (
            "Ask the QuickBooks account owner to sign in to QuickBooks and renew the "
            "subscription or fix the billing details.",
            "Then click Retry: ledgerbridge checks the company again and resumes sending.",
        ),
        ("retry",),
        detected="F (6190)",
        level="connection",
    ),
    _e(
        CONNECTION_THROTTLED,
        "QuickBooks asked ledgerbridge to slow down",
        "QuickBooks limits how much one company can receive each minute. ledgerbridge reached "
        "that limit, so it pauses briefly and then continues by itself. Nothing has failed.",
        ("Nothing to do: sending continues in a moment.",),
        detected="F (3001, 429)",
        retriable=True,
        level="connection",
    ),
    _e(
        CONNECTION_QUICKBOOKS_UNAVAILABLE,
        "QuickBooks is not responding",
        "QuickBooks is temporarily unavailable or reported a problem on its side. ledgerbridge "
        "waits and tries again by itself. If a record may already have reached QuickBooks, "
        "ledgerbridge checks first, so nothing is entered twice.",
        (
            "Nothing to do: ledgerbridge keeps trying, waiting a little longer each time.",
            "If this lasts more than an hour, check Intuit's status page for a QuickBooks outage.",
        ),
        detected="F (5xx, 10000, timeouts)",
        retriable=True,
        level="connection",
    ),
    _e(
        CONNECTION_WEB_CONNECTOR_SILENT,
        "The QuickBooks Web Connector has not called in",
        "The Web Connector on the computer where QuickBooks Desktop runs has not contacted "
        "ledgerbridge[ since {last_seen}| for a while][, though it is set to call in every "
        "{every_minutes} minutes|]. Nothing can be sent to QuickBooks or read from it until it "
        "does; records wait and nothing is lost.",
        (
            "Go to the correct computer: the one where QuickBooks Desktop is installed and the "
            "Web Connector file of this connection was added. Check that it is switched on and "
            "that someone is signed in to Windows.",
            "Check that the web connector and QuickBooks are open and running on the correct "
            "computer, with QuickBooks on this connection's company file.",
            "In the Web Connector, check that ledgerbridge is in the list (if it is not, add "
            "the Web Connector file from the connection page again) and that Auto-Run is "
            "ticked, so that its scheduler runs the updates.",
            "If the Web Connector shows an error for ledgerbridge (a certificate it does not "
            "trust, an address it cannot reach), pass its words to whoever runs ledgerbridge: "
            "the Web Connector only calls a secure web address with a certificate Windows trusts.",
            "Nothing else to do: this goes away by itself at the Web Connector's next update, "
            "and the waiting records are sent then.",
        ),
        screens=(None, None, "connection"),
        detected="C (QuickBooks Desktop only: no call for the connection's set time)",
        level="connection",
    ),
    _e(
        CONNECTION_QUICKBOOKS_CLOSED,
        "QuickBooks Desktop is not open on the PC",
        "The Web Connector called in, but QuickBooks Desktop was not running with the company "
        'file, or could not be started[ (QuickBooks said: "{message}")|]. Nothing can be '
        "sent or read until QuickBooks is open; records wait and nothing is lost.",
        (
            "On the computer where QuickBooks Desktop is installed, open QuickBooks and the "
            "company file[ {company_file}|] this connection works with, and leave it open.",
            "Close any window or message QuickBooks is showing: an open message box stops the "
            "Web Connector too.",
            "Nothing else to do: the Web Connector's next update goes on by itself (or choose "
            "Update Selected in the Web Connector to run it now), and this goes away.",
        ),
        detected="C (QuickBooks Desktop only: 0x80040408, 0x80040416, 0x80040401)",
        level="connection",
    ),
    _e(
        CONNECTION_SINGLE_USER_NEEDED,
        "QuickBooks needs the company file in single-user mode",
        "QuickBooks did not let ledgerbridge in because the company file is open in multi-user "
        "mode with other people signed in to it, and QuickBooks needs single-user mode for this"
        '[ (QuickBooks said: "{message}")|]. Records wait and nothing is lost.',
        (
            "Ask the other people using the company file to close it, or wait until they have.",
            "In QuickBooks on the computer the Web Connector runs on, choose File, then Switch "
            "to Single-user Mode.",
            "Choose Update Selected in the Web Connector (or wait for its next update); once it "
            "has gone through, QuickBooks can be switched back to multi-user mode.",
        ),
        detected="C (QuickBooks Desktop only: 0x80040422)",
        level="connection",
    ),
    _e(
        CONNECTION_QUICKBOOKS_TOO_OLD,
        "This QuickBooks Desktop is too old for ledgerbridge",
        "This QuickBooks Desktop is too old for ledgerbridge: its Web Connector reports[ qbXML "
        "{qbxml_version}| an older qbXML version], and ledgerbridge needs qbXML 8.0 (QuickBooks "
        "2009) or newer, the first that lets it check whether an entry already reached "
        "QuickBooks, so that nothing is entered twice. Nothing is sent to QuickBooks or read "
        "from it until then; records wait and nothing is lost.",
        (
            "Update QuickBooks Desktop on the computer where the Web Connector runs to QuickBooks "
            "2009 or newer (a current edition is best), and open the company file"
            "[ {company_file}|] in it.",
            "Nothing else to do: the Web Connector's next update goes on by itself (or choose "
            "Update Selected in the Web Connector to run it now), this goes away, and the "
            "waiting records are sent then.",
        ),
        detected="C (QuickBooks Desktop only: the first answer's qbXML versions end below 8.0)",
        level="connection",
    ),
    _e(
        CONNECTION_QUICKBOOKS_ACCESS_DENIED,
        "QuickBooks does not let ledgerbridge open the company file",
        "QuickBooks Desktop refused ledgerbridge access to the company file: access was "
        "declined when QuickBooks asked, or was taken away in its preferences"
        '[ (QuickBooks said: "{message}")|]. Records wait and nothing is lost.',
        (
            "In QuickBooks, signed in as the company file's administrator, open Edit, "
            "Preferences, Integrated Applications, Company Preferences, and allow ledgerbridge "
            "to access the company file.",
            "If ledgerbridge is not in that list, remove it from the Web Connector and add the "
            "Web Connector file from the connection page again; when QuickBooks asks, allow "
            "access.",
            "Nothing else to do: the next update goes on by itself and this goes away.",
        ),
        screens=(None, "connection"),
        detected="C (QuickBooks Desktop only: 0x80040420)",
        level="connection",
    ),
    _e(
        CONNECTION_WEB_CONNECTOR_PASSWORD_REFUSED,
        "The Web Connector's password is not the right one",
        "The Web Connector on the PC has called in[ {times} times in a row|] with a password "
        "that is not this connection's[, last on {last_at}|], so ledgerbridge turned it away. "
        "Nothing is sent until it has the right one; records wait and nothing is lost.",
        (
            "On the connection page, click Make a new Web Connector password and copy it (it "
            "is shown once).",
            "In the Web Connector on the PC, type it into the Password box of ledgerbridge's "
            "row and save it when the Web Connector asks.",
            "Nothing else to do: the next update goes on by itself and this goes away.",
        ),
        screens=("connection",),
        detected="C (QuickBooks Desktop only: authenticate answered nvu)",
        level="connection",
    ),
    _e(
        CONNECTION_WEB_CONNECTOR_ERROR,
        "The Web Connector reported a problem",
        "QuickBooks Desktop or the Web Connector on the PC could not start an update"
        '[: "{message}"|]. Records wait and nothing is lost.',
        (
            "Read QuickBooks' message; it usually says what to change on the PC.",
            "Check that QuickBooks is open on this connection's company file and that no "
            "window or message is open in it.",
            "If it keeps happening, send the message and the Web Connector's log (View Log in "
            "the Web Connector) to your support contact.",
        ),
        detected="C (QuickBooks Desktop only: connectionError)",
        level="connection",
    ),
    _e(
        CONNECTION_PERMISSION_MISSING,
        "QuickBooks did not grant enough access",
        "QuickBooks refused because the person who connected ledgerbridge did not give it access "
        "to the company's accounting, or is no longer an administrator of the company. Records "
        "wait until this is fixed.",
        (
            "Click Reconnect QuickBooks and sign in as an administrator of this QuickBooks "
            "company.",
            "When QuickBooks asks, allow access to the accounting data.",
        ),
        ("reconnect",),
        screens=("reconnect",),
        detected="F (3100, 120)",
        level="connection",
    ),
    _e(
        CONNECTION_SECRET_KEYS_CHANGED,
        "ledgerbridge's secret keys were changed",
        "ledgerbridge keeps its QuickBooks sign-in for this company locked with secret keys "
        "that the person who runs ledgerbridge sets. The keys it has now cannot unlock that "
        "sign-in, so nothing is sent to QuickBooks or read from it. Nothing is lost: records "
        "wait and are sent once this is fixed.",
        (
            "Ask the person who runs ledgerbridge to put back the secret key that was in use "
            "before (the new key first, the old one after it, in LEDGERBRIDGE_SECRET_KEYS) and "
            "restart it; sending resumes by itself within seconds.",
            "If that key is lost, click Reconnect QuickBooks and sign in again: the new "
            "sign-in is kept with the current keys.",
        ),
        ("reconnect",),
        screens=(None, "reconnect"),
        detected="C (the stored sign-in cannot be decrypted)",
        level="connection",
    ),
    _e(
        CONNECTION_RECONNECT_SOON,
        "Reconnect QuickBooks soon",
        "QuickBooks will stop accepting ledgerbridge's sign-in for this company[ on {date}| "
        "soon]; reconnect before then. QuickBooks ends every sign-in after five years at most "
        "(and after 100 days without use). Until then everything is sent as usual; after it, "
        "nothing is sent until someone reconnects, though nothing is lost.",
        (
            "Click Reconnect QuickBooks[ (or open {reconnect_url})|] and sign in as an "
            "administrator of the same QuickBooks company; this takes a minute.",
            "The warning goes away once QuickBooks has accepted the new sign-in.",
        ),
        ("reconnect",),
        screens=("reconnect",),
        detected="C (the end of the refresh token, from each token answer)",
        level="connection",
    ),
    # --- customers, properties, jobs ----------------------------------------------------------
    _e(
        CUSTOMER_NAME_MISSING,
        "Customer has no name",
        "QuickBooks needs a name for every customer, but this one has neither a first and last "
        "name nor a company or display name.",
        (
            "Enter a name or a company name for the customer in the app and save; it is sent "
            "again by itself.",
        ),
        ("edit_in_app",),
        detected="P (6080)",
    ),
    _e(
        CUSTOMER_EMAIL_INVALID,
        "Customer email address is missing or not valid",
        'The customer\'s email address[ "{email}"|] is missing or is not a valid address (it '
        "should look like name@example.com). This connection needs a valid email for each "
        "customer, and QuickBooks refuses addresses it can't read.",
        ("Correct the email address in the app and save; the customer is sent again by itself.",),
        ("edit_in_app",),
        detected="P (2210)",
    ),
    _e(
        CUSTOMER_DUPLICATE_IN_APP,
        "Two customers would have the same name in QuickBooks",
        'Another customer in the app would [also be named "{name}"|get the same name] in '
        "QuickBooks. QuickBooks needs every customer name to be different, so both can't be "
        "sent as they are.",
        (
            "If they are really the same customer, merge them in the app.",
            "If they are different customers, click Differentiate: this one is sent with a "
            'number added to its name, such as " - 2".',
        ),
        ("differentiate", "edit_in_app"),
        detected="P",
    ),
    _e(
        CUSTOMER_EXISTS_IN_QUICKBOOKS,
        "A customer with this name is already in QuickBooks",
        'QuickBooks already has a customer [named "{name}"|with this name] that isn\'t linked '
        "to this customer in the app. Sending it as a new customer would create a duplicate. "
        "When the email addresses match, ledgerbridge links the two by itself.",
        (
            "If it's the same customer, click Link to connect this customer to the one already "
            "in QuickBooks.",
            "If it's a different customer, click Differentiate to send it with a number added "
            'to its name, such as " - 2".',
        ),
        ("link", "differentiate"),
        detected="P/F (6240)",
    ),
    _e(
        CUSTOMER_NAME_USED_BY_OTHER_TYPE,
        "This name is already taken in QuickBooks"
        "[ by one of its {quickbooks_type}s| by a vendor or employee]",
        'In QuickBooks, customers, vendors and employees can\'t share a name, and[ "{name}"| '
        "this name] is already used by a [{quickbooks_type}|vendor or employee]. So the "
        "customer can't be added under that name.",
        (
            "Click Differentiate to send the customer with a number added to its name, such as "
            '" - 2".',
            "Or rename the [{quickbooks_type}|vendor or employee] in QuickBooks (for example add "
            '"(vendor)" to its name), then click Retry.',
        ),
        ("differentiate", "retry"),
        detected="P/F (6240)",
    ),
    _e(
        CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        "Customer is inactive in QuickBooks",
        '[The customer "{name}"|This customer] has been made inactive in QuickBooks, so '
        "QuickBooks won't accept changes to it, or invoices and payments for it.",
        (
            "Click Reactivate to make the customer active again in QuickBooks; anything waiting "
            "for it is then sent by itself.",
            "If the customer should stay inactive, click Keep QuickBooks' version: the app is "
            "told the customer is inactive, and this message goes away.",
        ),
        ("reactivate", "accept_quickbooks"),
        detected="S/F (610)",
    ),
    _e(
        CUSTOMER_PARENT_NOT_SYNCED,
        "Waiting for the parent customer",
        'This property or job belongs to[ the customer "{name}"| a customer] that isn\'t in '
        "QuickBooks yet. ledgerbridge sends that customer first, then this one, by itself.",
        (
            "Nothing to do, unless the parent customer shows a problem of its own: fix that one "
            "and this one follows.",
        ),
        detected="P",
        retriable=True,
    ),
    _e(
        CUSTOMER_MERGED_IN_QUICKBOOKS,
        "Customer was merged in QuickBooks",
        "Someone merged this customer into another one in QuickBooks. ledgerbridge normally "
        "links the app's customer to the customer that remains by itself, so that its future "
        "invoices and payments go there. [This time it couldn't, because the customer that "
        "remains is already linked to another customer in the app ({other_app_id}).|This time "
        "it couldn't tell which customer remains.]",
        (
            "If the two customers in the app are really the same, merge them in the app too; "
            "ledgerbridge then links the one that is left by itself.",
            "Otherwise click Link and pick the QuickBooks customer this one should follow[ "
            "(QuickBooks customer {into_quickbooks_id} is the one that remains)|].",
            "Or click Unlink to forget the merged customer and send this one as a new customer.",
        ),
        ("link", "unlink"),
        detected="S (merge)",
        retriable=True,
    ),
    _e(
        CUSTOMER_EDITED_CONCURRENTLY,
        "Someone changed this record in QuickBooks at the same time",
        "Someone changed this record in QuickBooks while ledgerbridge was sending the app's "
        "changes. ledgerbridge reads the latest version and applies only the app's changes on "
        "top of it. If both sides changed the same detail, you are asked which one to keep "
        "instead of one silently replacing the other.",
        (
            "Usually nothing to do: ledgerbridge tries again by itself.",
            "If both sides changed the same detail[ ({field})|], click Keep QuickBooks' version, "
            "or Retry to send the app's version.",
        ),
        ("accept_quickbooks", "retry"),
        detected="F (5010)",
        retriable=True,
    ),
    _e(
        CUSTOMER_HAS_OPEN_BALANCE,
        "Customer still has an open balance in QuickBooks",
        "The app made this customer inactive, but in QuickBooks the customer still owes money "
        "or has a credit[ ({amount})|]. QuickBooks doesn't let a customer with an open balance "
        "be made inactive.",
        (
            "Settle the balance in QuickBooks (record the payment, or a credit memo), then click "
            "Retry.",
            "Or make the customer active again in the app.",
        ),
        ("retry", "edit_in_app"),
        detected="F (6220)",
    ),
    _e(
        PROPERTY_DUPLICATE_NAME,
        "Two properties of this customer would have the same name",
        'Another property of the same customer [is also named "{name}"|has the same name]. In '
        "QuickBooks, properties are listed under their customer and each one needs a different "
        "name.",
        (
            "Click Differentiate to send this property with a number added to its name, such as "
            '" - 2".',
            "Or rename one of the properties in the app.",
        ),
        ("differentiate",),
        detected="P",
    ),
    _e(
        RECORD_FIELD_TOO_LONG,
        "[The {field}|A detail] is too long for QuickBooks",
        "[The {field}|One of the details of this record] is too long for QuickBooks[: it has "
        "{length} characters|]. [QuickBooks accepts at most {limit} characters there.|"
        "QuickBooks limits how long it can be.]",
        (
            "Click Shorten and choose which part to keep (the start, the end, or both), or type "
            "the text to send yourself[ (at most {limit} characters)|]; each choice shows exactly "
            "what QuickBooks gets.",
            "Or shorten it in the app and save.",
        ),
        ("shorten", "edit_in_app"),
        detected="P (2050)",
    ),
    _e(
        RECORD_STALLED,
        "Taking longer than expected",
        "This record has been waiting to be sent far longer than usual[ ({minutes} minutes)|]. "
        "ledgerbridge has put it back in line by itself.",
        (
            "Nothing to do; it should go through shortly.",
            "If it still waits, click Retry. If that doesn't help, copy the details from the "
            "log and send them to your support contact.",
        ),
        ("retry",),
        detected="C",
        retriable=True,
    ),
    _e(
        RECORD_CHANGED_IN_QUICKBOOKS,
        "Changed in QuickBooks",
        "Someone changed this record in QuickBooks after it was sent[: its {detail} is "
        "{quickbooks_value} in QuickBooks and {app_value} in the app|][ (the total is "
        "{quickbooks_total} in QuickBooks and {app_total} in the app)|][; also changed: "
        "{other_details}|]. "
        "Until one side is "
        "chosen, the app and QuickBooks disagree about it.",
        (
            "If the app is right, click Send the app's version: QuickBooks gets the app's values "
            "again.",
            "If QuickBooks is right, click Keep QuickBooks' version: nothing is sent over it and "
            "the app is told QuickBooks' values, to take them over.",
            "To decide by itself next time, set what happens to changes made in QuickBooks in the "
            "connection's settings (the app wins, QuickBooks wins, or ask).",
        ),
        ("send_app_version", "accept_quickbooks"),
        detected="S",
    ),
    _e(
        RECORD_UNREADABLE,
        "ledgerbridge can't read this record",
        "The copy of this record that ledgerbridge keeps is damaged[ ({reason})|], so it "
        "can't be sent to QuickBooks. Only this record is held back; the others go on.",
        (
            "Save the record in the app again: the new copy replaces the damaged one and is "
            "sent by itself.",
            "If it keeps coming back, click Copy details and send them to your support contact.",
        ),
        ("edit_in_app", "copy_details"),
        detected="P",
    ),
    _e(
        RECORD_IN_USE_IN_QUICKBOOKS,
        "Someone has this open in QuickBooks Desktop",
        "QuickBooks Desktop would not save the change because the same entry is open or being "
        "edited by someone on a computer using the company file. Nothing was "
        "changed; ledgerbridge sends it again by itself at a later update, and the other "
        "records go on.",
        (
            "Nothing to do if it clears by itself at the next update.",
            "If it keeps waiting, ask whoever works in QuickBooks Desktop to save and close the "
            "window of this entry (and of any invoice or payment of the same customer that is "
            "open), then wait for the next update of the Web Connector.",
        ),
        detected="F (QuickBooks Desktop 3170, 3175, 3176; 3180 with a lock)",
        retriable=True,
    ),
    # --- items, accounts, classes, tax --------------------------------------------------------
    _e(
        RECORD_LINK_TARGET_MISSING,
        "The QuickBooks entry to link to was not found",
        "The app said this record is an entry that already exists in QuickBooks[ ({entity} "
        "{quickbooks_id})|], so ledgerbridge links the two instead of creating a new one. "
        "QuickBooks has no such entry, or ledgerbridge has not read it yet.",
        (
            "If the entry was created in QuickBooks only a moment ago, wait until ledgerbridge "
            "has read QuickBooks' latest changes (seconds when QuickBooks sends its "
            "notifications, otherwise at the next regular read), then click Retry.",
            "Otherwise check which QuickBooks entry the app meant and send the record again "
            "with it, or click Link to pick it from QuickBooks' list.",
        ),
        ("retry", "link"),
        detected="P",
    ),
    _e(
        RECORD_LINK_TARGET_TAKEN,
        "The QuickBooks entry is already linked to another record",
        "The app said this record is an entry that already exists in QuickBooks[ ({entity} "
        "{quickbooks_id})|], but that entry is already linked to another record of the "
        "app[ ({other})|]. One QuickBooks entry stands for one record only, so nothing was "
        "linked.",
        (
            "Check which of the two records the QuickBooks entry belongs to.",
            "Unlink the other record first if this one is the right match, then click Retry; "
            "or send this record again with another QuickBooks entry.",
        ),
        ("retry", "link"),
        detected="P",
    ),
    _e(
        ITEM_NOT_MATCHED,
        "Item not found in QuickBooks",
        '[The item "{name}"|An item on this record] isn\'t linked to a QuickBooks product or '
        "service, and none has the same SKU or name. ledgerbridge adds it to QuickBooks first, "
        "then sends this record.",
        (
            "Usually nothing to do: the item is added to QuickBooks by itself.",
            "If the item is in QuickBooks under another name, click Link and pick it, so that no "
            "duplicate is created.",
        ),
        ("link",),
        detected="P",
        retriable=True,
    ),
    _e(
        ITEM_EXISTS_IN_QUICKBOOKS,
        "An item with this name is already in QuickBooks",
        'QuickBooks already has a product or service [named "{name}"|with this name] that '
        "isn't linked to this item in the app. QuickBooks needs every item name to be "
        "different. When the SKUs match, ledgerbridge links the two by itself.",
        (
            "If it's the same item, click Link to connect them.",
            "If it's a different item, click Differentiate to send it with a number added to "
            "its name.",
        ),
        ("link", "differentiate"),
        detected="P/F (6240)",
    ),
    _e(
        ITEM_INACTIVE_IN_QUICKBOOKS,
        "Item is inactive in QuickBooks",
        '[The item "{name}"|An item used here] has been made inactive in QuickBooks, so '
        "QuickBooks won't accept it on new or changed records.",
        (
            "Click Reactivate to make the item active again in QuickBooks; anything waiting for "
            "it is then sent by itself.",
            "If the item should no longer be used, replace it on the record in the app.",
            "If the item should stay inactive, click Keep QuickBooks' version: the app is told "
            "the item is inactive, and this message goes away.",
        ),
        ("reactivate", "accept_quickbooks"),
        detected="S/F (610)",
    ),
    _e(
        ITEM_ACCOUNT_MISMATCH,
        "Item's account differs between the app and QuickBooks",
        'The account [the item "{name}"|this item] uses[ as its {field}|] is not the same in '
        "the app[ ({app_account})|] and in QuickBooks[ ({quickbooks_account})|], or QuickBooks "
        "won't accept the app's account for an item. Sales or costs of this item would be "
        "recorded in a different place than expected.",
        (
            "To keep the account QuickBooks has, click Keep QuickBooks' version.",
            "To use the app's account in QuickBooks, click Align account.",
            "If QuickBooks refuses the app's account (items can't use accounts receivable or "
            "accounts payable), choose another account in the account mapping first.",
        ),
        ("accept_quickbooks", "align_account"),
        screens=(None, None, "mappings.accounts"),
        detected="S/P/F (6430)",
    ),
    _e(
        ITEM_ACCOUNT_MISSING,
        "An account is missing or inactive in QuickBooks",
        '[The account "{name}"|An account] used here[ as the {field}|] doesn\'t exist in '
        "QuickBooks or has been made inactive there, so QuickBooks can't tell where to record "
        "the money.",
        (
            "Open the account mapping screen and choose an active QuickBooks account[ for the "
            "{field}|].",
            "Or make the account active again in QuickBooks.",
            "Then click Retry.",
        ),
        ("retry",),
        screens=("mappings.accounts",),
        detected="P/F (2500)",
    ),
    _e(
        ITEM_BUNDLE_READ_ONLY,
        "Bundles from QuickBooks can't be changed from the app",
        '[The item "{name}"|This item] is a bundle (a group of items) created in QuickBooks. '
        "QuickBooks doesn't let other programs change bundles, so the app's changes to it "
        "can't be sent.",
        (
            "Make the change to the bundle in QuickBooks itself.",
            "Click Keep QuickBooks' version to drop the app's changes to this item.",
        ),
        ("accept_quickbooks",),
        detected="S/P",
    ),
    _e(
        ITEM_CATEGORY_READ_ONLY,
        "QuickBooks categories aren't items the app can hold",
        '[The QuickBooks category "{name}"|This QuickBooks category] groups items in QuickBooks; '
        "it isn't an item itself, so it can't be sold on an invoice, linked to one of the "
        "app's items, or changed from the app.",
        (
            "Link the app's item to the QuickBooks item it stands for instead of its category.",
            "To change the category itself, do it in QuickBooks.",
        ),
        detected="S/P",
    ),
    _e(
        ITEM_TYPE_CHANGE_NOT_ALLOWED,
        "Item type can't be changed",
        '[The item "{name}"|This item] was changed from one kind to another (for example from '
        "a stocked inventory item to a non-stocked one). QuickBooks doesn't allow that once the "
        "item exists.",
        (
            "Change the item back to its original kind in the app.",
            "If you need an item of the new kind, create a new item in the app and use it from "
            "now on.",
        ),
        ("edit_in_app",),
        detected="P",
    ),
    _e(
        ITEM_INVENTORY_START_DATE,
        "Dated before the item's stock start date",
        "This record is dated before the day QuickBooks started tracking stock for[ the item "
        '"{item}"| an item on it][ ({start_date})|]. QuickBooks doesn\'t accept stock '
        "movements before that day.",
        (
            'In QuickBooks, open the item and move its quantity "as of" date back to the '
            "record's date or earlier, then click Retry.",
            "Or change the record's date in the app to[ {start_date}| the item's start date] or "
            "later.",
        ),
        ("retry", "edit_in_app"),
        detected="P/F (6270)",
    ),
    _e(
        CLASS_INACTIVE_IN_QUICKBOOKS,
        "Class is inactive in QuickBooks",
        '[The class "{name}"|A class] used on this record has been made inactive in '
        "QuickBooks, so QuickBooks won't accept it.",
        (
            "Click Reactivate to make the class active again in QuickBooks.",
            "Or choose another class in the class mapping or on the record in the app.",
        ),
        ("reactivate",),
        screens=(None, "mappings.classes"),
        detected="P/F (610)",
    ),
    _e(
        TAX_RATE_NOT_MAPPED,
        "Tax rate isn't matched to a QuickBooks tax code",
        '[The tax rate "{name}"|A tax rate used here] has no matching QuickBooks tax code, or '
        "the matching code isn't valid, so ledgerbridge can't tell QuickBooks how to tax this "
        "record. Every rate needs a match, a 0% rate too.",
        (
            "Open the tax mapping screen and choose the QuickBooks tax code for this rate.",
            "Then click Retry.",
        ),
        ("retry",),
        screens=("mappings.tax_rates",),
        detected="P",
    ),
    # --- invoices -----------------------------------------------------------------------------
    _e(
        INVOICE_NO_LINES,
        "Invoice has no lines",
        "QuickBooks needs at least one line on an invoice, and this one has none.",
        ("Add at least one line to the invoice in the app and save; it is sent again by itself.",),
        ("edit_in_app",),
        detected="P (2020)",
    ),
    _e(
        INVOICE_CUSTOMER_NOT_SYNCED,
        "Waiting for the customer",
        "[The customer \"{name}\"|The invoice's customer] isn't in QuickBooks yet. ledgerbridge "
        "sends the customer first, then the invoice, by itself.",
        (
            "Nothing to do, unless the customer shows a problem of its own: fix that one and the "
            "invoice follows.",
        ),
        detected="P",
        retriable=True,
    ),
    _e(
        INVOICE_CUSTOMER_INACTIVE,
        "The invoice's customer is inactive in QuickBooks",
        '[The customer "{name}"|The customer on this invoice] is inactive in QuickBooks, so '
        "QuickBooks won't accept the invoice.",
        (
            "Click Reactivate to make the customer active again in QuickBooks; the invoice is then "
            "sent by itself.",
        ),
        ("reactivate",),
        detected="P/F (610, 6250)",
    ),
    _e(
        INVOICE_ITEM_NOT_SYNCED,
        "Waiting for an item",
        '[The item "{name}"|An item on this invoice] isn\'t in QuickBooks yet. ledgerbridge '
        "adds it first, then sends the invoice, by itself.",
        (
            "Nothing to do, unless the item shows a problem of its own: fix that one and the "
            "invoice follows.",
        ),
        detected="P",
        retriable=True,
    ),
    _e(
        INVOICE_NUMBER_CONFLICT,
        "Invoice number[ {number}|] is already used in QuickBooks",
        "QuickBooks already has a different invoice[ numbered {number}| with this number], so "
        "this one can't use that number.",
        (
            "If the other invoice in QuickBooks can take another number (for example it was "
            "entered there by mistake), change its number in QuickBooks, then click Retry.",
            "Otherwise click Renumber: this invoice gets the next free number in QuickBooks, "
            "and the app is told its new number.",
        ),
        ("renumber", "retry"),
        detected="P/F (6140)",
    ),
    _e(
        INVOICE_NUMBER_SEQUENCE_OVERLAP,
        "The app's invoice numbers overlap with QuickBooks",
        "The next invoice numbers the app will use are already taken by invoices in "
        "QuickBooks, so new invoices would clash with them.[ The first safe starting number is "
        "{number}.|]",
        (
            "Click Apply numbering start to have the app continue from[ {number}| the first "
            "free number].",
            "Or change the invoice numbering in the app yourself.",
        ),
        ("apply_numbering_start",),
        screens=("setup",),
        detected="C (at connect and daily)",
        level="connection",
    ),
    _e(
        INVOICE_CLOSED_PERIOD,
        "Dated in a closed period",
        "This record is dated on or before the closing date of your books in QuickBooks[ "
        "({closing_date})|]. QuickBooks doesn't accept new entries or changes in a closed "
        "period.",
        (
            "Click Move to open period to date it on the first open day instead (offered when "
            "the connection's settings allow it).",
            "Or ask your accountant to reopen the period in QuickBooks by changing the closing "
            "date, then click Retry.",
        ),
        ("shift_to_open_period", "retry"),
        detected="P/F (6210, 6200)",
    ),
    _e(
        INVOICE_DELETED_IN_QUICKBOOKS,
        "Invoice was deleted in QuickBooks",
        "[Invoice {quickbooks_number}|This invoice] was deleted in QuickBooks but still exists "
        "in the app, so QuickBooks and the app now disagree about what the customer owes.",
        (
            "Click Recreate to add the invoice to QuickBooks again, as it was last sent.",
            "Or click Unlink to forget the deleted invoice and send the app's current version "
            "as a new one.",
            "Or click Accept deletion if it was deleted on purpose; the app is told.",
        ),
        ("recreate", "unlink", "accept_deletion"),
        detected="S/F (610)",
    ),
    _e(
        INVOICE_MOVED_IN_QUICKBOOKS,
        "Invoice was moved to another customer in QuickBooks",
        "In QuickBooks, [invoice {quickbooks_number}|this invoice] now belongs to a different "
        'customer, property or job[ ("{quickbooks_customer_name}")|] than in the app.',
        (
            "Click Move back to put it back under the app's customer in QuickBooks.",
            "Or click Keep QuickBooks' version; the app is told about the new customer.",
        ),
        ("move_back", "accept_quickbooks"),
        detected="S",
    ),
    _e(
        INVOICE_VOIDED_IN_QUICKBOOKS,
        "Invoice was voided in QuickBooks",
        "[Invoice {quickbooks_number}|This invoice] was voided in QuickBooks: it stays on "
        "record there, but its amounts are now zero, while the app still shows it as a valid "
        "invoice. The app has been told.",
        (
            "If it was voided on purpose, click Keep QuickBooks' version: the invoice stays "
            "voided in QuickBooks and is no longer sent from the app.",
            "If it was voided by mistake, click Recreate: a new invoice is added to QuickBooks "
            "as it was last sent, and the app is told about it.",
        ),
        ("accept_quickbooks", "recreate"),
        detected="S",
    ),
    _e(
        INVOICE_PAID_IN_QUICKBOOKS,
        "Invoice was paid in QuickBooks",
        "[Invoice {quickbooks_number}|This invoice] was marked paid in QuickBooks while the app "
        "still had payments for it waiting to be sent. So that the money isn't recorded twice, "
        "those payments are set aside (bypassed) and not sent. The app has been told.",
        (
            "Nothing to do if the payment in QuickBooks is the right one.",
            "If it isn't, delete that payment in QuickBooks, then open the app's payment here "
            "and click Undo bypass so it is sent.",
        ),
        detected="S/P",
    ),
    _e(
        INVOICE_AMOUNT_MISMATCH,
        "Invoice total differs in QuickBooks",
        "The total of[ invoice {number}| this invoice] in QuickBooks[ ({quickbooks_total})|] "
        "is not the app's total[ ({app_total})|], usually because tax was worked out "
        "differently.",
        (
            "Compare the two in the reconciliation report.",
            "Check the tax mapping and the tax settings of the customer and the items, then "
            "correct the invoice in the app or in QuickBooks.",
        ),
        screens=("reconciliation", "mappings.tax_rates"),
        detected="S",
    ),
    # --- payments -----------------------------------------------------------------------------
    _e(
        PAYMENT_INVOICE_NOT_SYNCED,
        "Waiting for the invoice",
        "[Invoice {number}|The invoice this payment pays] isn't in QuickBooks yet. ledgerbridge "
        "sends the invoice first, then the payment, by itself.",
        (
            "Nothing to do, unless the invoice shows a problem of its own: fix that one and the "
            "payment follows.",
        ),
        detected="P",
        retriable=True,
    ),
    _e(
        PAYMENT_ALREADY_IN_QUICKBOOKS,
        "This payment is already in QuickBooks",
        "QuickBooks already has a payment that looks like this one (same customer, amount and "
        "date), probably entered there by hand. Sending it too would record the money twice. "
        "When the two match exactly, ledgerbridge links them by itself.",
        (
            "If it's the same payment, click Link to connect them.",
            "Or click Bypass to mark this payment as already handled; it is never sent.",
        ),
        ("link", "bypass"),
        detected="P/F",
    ),
    _e(
        PAYMENT_INVOICE_ALREADY_PAID,
        "Invoice is already paid in QuickBooks",
        "[Invoice {number}|The invoice this payment is for] is already paid in QuickBooks, or "
        "has less left to pay than this payment puts on it.[ QuickBooks shows {open_balance} "
        "still owed.|] The payment was probably also entered in QuickBooks directly.",
        (
            "If the payment is already in QuickBooks, click Bypass: this one is marked as "
            "handled and never sent.",
            "If the payment in QuickBooks is wrong, delete it in QuickBooks, then click Retry to "
            "send this one.",
        ),
        ("bypass", "retry"),
        detected="P/F (6000)",
    ),
    _e(
        PAYMENT_CUSTOMER_MISMATCH,
        "Payment and invoice are for different customers",
        "This payment is for a different customer than[ invoice {number}| the invoice] it "
        "pays. QuickBooks only lets a payment pay its own customer's invoices.",
        ("In the app, correct the customer on the payment or choose the right invoice, and save.",),
        ("edit_in_app",),
        detected="P",
    ),
    _e(
        PAYMENT_NOT_POSTED,
        "Payment not posted yet",
        "The payment is saved in the app but not posted yet, so it isn't sent to QuickBooks. "
        "It is shown as a draft, not as an error.",
        ("Post the payment in the app when it's final; it is then sent by itself.",),
        detected="P",
    ),
    _e(
        PAYMENT_REFERENCE_TOO_LONG,
        "Payment reference is too long",
        "The payment's reference or confirmation code is too long for QuickBooks[: it has "
        "{length} characters|]. QuickBooks accepts at most [{limit}|21] characters there.",
        (
            "Click Shorten and choose which part of the reference to keep. The end is "
            "suggested: it is the part that tells one card processor's code from the next. Or "
            "type the text to send yourself (at most [{limit}|21] characters).",
            "Or edit the reference in the app and save.",
        ),
        ("shorten", "edit_in_app"),
        detected="P (2050)",
    ),
    _e(
        PAYMENT_METHOD_NOT_MAPPED,
        "Payment method isn't matched to QuickBooks",
        '[The payment method "{name}"|This payment\'s method] (cash, check, credit card...) '
        "has no matching payment method in QuickBooks, so ledgerbridge can't tell QuickBooks "
        "how it was paid.",
        (
            "Open the payment method mapping screen and choose the QuickBooks payment method to "
            "use.",
            "Then click Retry.",
        ),
        ("retry",),
        screens=("mappings.payment_methods",),
        detected="P",
    ),
    _e(
        PAYMENT_DELETED_IN_QUICKBOOKS,
        "Payment was deleted in QuickBooks",
        "This payment was deleted in QuickBooks but still exists in the app, so in QuickBooks "
        "the invoice it paid looks unpaid again.",
        (
            "Click Recreate to add the payment to QuickBooks again, as it was last sent.",
            "Or click Unlink to forget the deleted payment and send the app's current version "
            "as a new one.",
            "Or click Accept deletion if it was deleted on purpose; the app is told.",
        ),
        ("recreate", "unlink", "accept_deletion"),
        detected="S/F (610)",
    ),
    _e(
        PAYMENT_DEPOSITED,
        "A deposited payment can't be changed",
        "This payment is part of a bank deposit in QuickBooks. QuickBooks doesn't allow "
        "changing or deleting a deposited payment, so the app's change can't be sent.",
        (
            "If QuickBooks doesn't need the change, click Bypass to leave it as it is.",
            "Otherwise, in QuickBooks, open the deposit and remove this payment from it, then "
            "click Retry. Afterwards, add the payment back to the deposit in QuickBooks.",
        ),
        ("bypass", "retry"),
        detected="F (6540)",
    ),
    _e(
        PAYMENT_METHOD_NOT_TAKEN_BY_APP,
        "Payment method from QuickBooks isn't one the app takes",
        "A payment recorded in QuickBooks against one of the app's invoices was paid "
        '[with "{name}"|without a payment method], which matches none of the app\'s payment '
        "methods. The app is told about the payment with this problem instead of a payment "
        "method, so nothing is lost, but it can't record the payment as it is.",
        (
            "Open the payment method mapping screen and match the QuickBooks payment method to "
            "the app's method it stands for (cash, check, credit card...).",
            "Or, in QuickBooks, change the payment to a payment method the app takes.",
        ),
        screens=("mappings.payment_methods",),
        detected="S",
    ),
    # --- vendor documents ---------------------------------------------------------------------
    _e(
        VENDOR_EXISTS_IN_QUICKBOOKS,
        "A vendor with this name is already in QuickBooks",
        'QuickBooks already has a vendor [named "{name}"|with this name] that isn\'t linked to '
        "this vendor in the app. Sending it as a new vendor would create a duplicate. When the "
        "email addresses match, ledgerbridge links the two by itself.",
        (
            "If it's the same vendor, click Link to connect this vendor to the one already in "
            "QuickBooks.",
            "If it's a different vendor, click Differentiate to send it with a number added to "
            'its name, such as " - 2".',
        ),
        ("link", "differentiate"),
        detected="P/F (6240)",
    ),
    _e(
        VENDOR_NAME_USED_BY_OTHER_TYPE,
        "This name is already taken in QuickBooks"
        "[ by one of its {quickbooks_type}s| by a customer or employee]",
        'In QuickBooks, customers, vendors and employees can\'t share a name, and[ "{name}"| '
        "this name] is already used by a [{quickbooks_type}|customer or employee]. So the "
        "vendor can't be added under that name.",
        (
            "Click Differentiate to send the vendor with a number added to its name, such as "
            '" - 2".',
            "Or rename the [{quickbooks_type}|customer or employee] in QuickBooks, then click "
            "Retry.",
        ),
        ("differentiate", "retry"),
        detected="P/F (6240)",
    ),
    _e(
        VENDOR_NOT_SYNCED,
        "Waiting for the vendor",
        '[The vendor "{name}"|The vendor on this record] isn\'t in QuickBooks yet. ledgerbridge '
        "sends the vendor first, then this receipt, bill or purchase order, by itself.",
        (
            "Nothing to do, unless the vendor shows a problem of its own: fix that one and this "
            "record follows.",
        ),
        detected="P",
        retriable=True,
    ),
    _e(
        VENDOR_INACTIVE_IN_QUICKBOOKS,
        "Vendor is inactive in QuickBooks",
        '[The vendor "{name}"|The vendor on this record] has been made inactive in '
        "QuickBooks, so QuickBooks won't accept new or changed receipts, bills or purchase "
        "orders for it.",
        (
            "Click Reactivate to make the vendor active again in QuickBooks; anything waiting "
            "for it is then sent by itself.",
            "If the vendor should stay inactive, choose another vendor on the record in the app.",
            "If this is the vendor itself and it should stay inactive, click Keep QuickBooks' "
            "version: the app is told the vendor is inactive, and this message goes away.",
        ),
        ("reactivate", "accept_quickbooks"),
        detected="S/F (610)",
    ),
    _e(
        VENDOR_MERGED_IN_QUICKBOOKS,
        "Vendor was merged in QuickBooks",
        "Someone merged this vendor into another one in QuickBooks. ledgerbridge normally "
        "links the app's vendor to the vendor that remains by itself, so that its future "
        "receipts, bills and purchase orders go there. [This time it couldn't, because the "
        "vendor that remains is already linked to another vendor in the app ({other_app_id}).|"
        "This time it couldn't tell which vendor remains.]",
        (
            "If the two vendors in the app are really the same, merge them in the app too; "
            "ledgerbridge then links the one that is left by itself.",
            "Otherwise click Link and pick the QuickBooks vendor this one should follow[ "
            "(QuickBooks vendor {into_quickbooks_id} is the one that remains)|].",
            "Or click Unlink to forget the merged vendor and send this one as a new vendor.",
        ),
        ("link", "unlink"),
        detected="S (merge)",
        retriable=True,
    ),
    _e(
        RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN,
        "The vendor's document number is already used",
        "QuickBooks already has a document from this vendor [numbered {number}|with the same "
        "number], and it doesn't accept the same number twice for one vendor.",
        (
            "Click Differentiate to send it with a number made unique[, such as {suggested}| "
            "by adding the date to it].",
            "If it's really the same document entered twice, delete the copy in the app.",
        ),
        ("differentiate",),
        detected="P/F (6140)",
    ),
    _e(
        RECEIPT_STALE_REFERENCE,
        "Record points to an old QuickBooks entry",
        "This record still points to an entry in QuickBooks that has since been deleted, "
        "usually because the record was deleted and created again in the app. ledgerbridge "
        "never reuses one record's QuickBooks entry for another.",
        ("Click Unlink to clear the old link; the record is then sent as a new entry.",),
        ("unlink",),
        detected="P/F (610)",
    ),
    _e(
        RECEIPT_DELETED_IN_QUICKBOOKS,
        "Expense was deleted in QuickBooks",
        "This receipt (an expense paid on the spot) was deleted in QuickBooks but still exists "
        "in the app, so the money spent no longer shows in QuickBooks.",
        (
            "Click Recreate to add the expense to QuickBooks again, as it was last sent.",
            "Or click Unlink to forget the deleted expense and send the app's current version "
            "as a new one.",
            "Or click Accept deletion if it was deleted on purpose; the app is told.",
        ),
        ("recreate", "unlink", "accept_deletion"),
        detected="S/F (610)",
    ),
    _e(
        BILL_DELETED_IN_QUICKBOOKS,
        "Bill was deleted in QuickBooks",
        "[The bill {quickbooks_number}|This bill] was deleted in QuickBooks but still exists in "
        "the app, so QuickBooks no longer shows what is owed to the vendor for it.",
        (
            "Click Recreate to add the bill to QuickBooks again, as it was last sent.",
            "Or click Unlink to forget the deleted bill and send the app's current version as a "
            "new one.",
            "Or click Accept deletion if it was deleted on purpose; the app is told.",
        ),
        ("recreate", "unlink", "accept_deletion"),
        detected="S/F (610)",
    ),
    _e(
        PURCHASE_ORDER_DELETED_IN_QUICKBOOKS,
        "Purchase order was deleted in QuickBooks",
        "[Purchase order {quickbooks_number}|This purchase order] was deleted in QuickBooks but "
        "still exists in the app.",
        (
            "Click Recreate to add the purchase order to QuickBooks again, as it was last sent.",
            "Or click Unlink to forget the deleted purchase order and send the app's current "
            "version as a new one.",
            "Or click Accept deletion if it was deleted on purpose; the app is told.",
        ),
        ("recreate", "unlink", "accept_deletion"),
        detected="S/F (610)",
    ),
    # --- pull side and the rest ---------------------------------------------------------------
    _e(
        MIRROR_STALE,
        "ledgerbridge hasn't seen the latest QuickBooks changes yet",
        "Something was just added or changed in QuickBooks and ledgerbridge hasn't caught up "
        "with it yet. It normally catches up within seconds, and it always checks QuickBooks "
        "before adding anything, so this never causes a duplicate.",
        (
            "Usually nothing to do; it catches up by itself.",
            "Click Refresh from QuickBooks to fetch the latest changes right now.",
        ),
        ("refresh",),
        detected="S",
        retriable=True,
        level="connection",
    ),
    _e(
        QUICKBOOKS_UNKNOWN_ERROR,
        "QuickBooks refused this record",
        "QuickBooks refused this record with a message ledgerbridge doesn't recognise[: "
        '"{message}"|][ (QuickBooks error {code})|].[ Details: {detail}|]',
        (
            "Read QuickBooks' message; it often names what to change in the app.",
            "Click Retry to try again.",
            "If it keeps failing, click Copy details and send them to your support contact; "
            "they include the reference Intuit needs to trace the problem.",
        ),
        ("retry", "copy_details"),
        detected="F",
    ),
    _e(
        INPUT_INVALID,
        "[The {field}|A detail] isn't valid",
        "[The {field}|One of the details of this record] isn't in a form that can be sent to "
        "QuickBooks[: {reason}|].",
        (_FIX_IN_APP,),
        ("edit_in_app",),
        detected="P",
    ),
    _e(
        INPUT_REQUIRED,
        "[The {field}|A required detail] is missing",
        "This record has no[ {field}| value for a detail it needs], so it can't be sent to "
        "QuickBooks.",
        ("Enter it in the app and save; the record is sent again by itself.",),
        ("edit_in_app",),
        detected="P",
    ),
    _e(
        INPUT_UNKNOWN_FIELD,
        "The app sent a detail ledgerbridge doesn't know",
        'The app sent a detail[ called "{field}"|] that ledgerbridge doesn\'t recognise, '
        "perhaps because of a spelling mistake. The record is held back rather than sent "
        "without it, so that nothing is silently lost.",
        (
            "Ask whoever looks after the app's link to ledgerbridge to correct or remove this "
            "detail.",
            "Then save the record in the app again.",
        ),
        ("edit_in_app",),
        detected="P",
    ),
)

ENTRIES: Final[Mapping[str, CatalogEntry]] = MappingProxyType({e.code: e for e in _ALL})
"""Every entry by code, in catalog order (the order of the documentation)."""


_DESKTOP: Final[tuple[CatalogEntry, ...]] = (
    _e(
        CONNECTION_WRONG_COMPANY,
        "QuickBooks has another company file open",
        "QuickBooks on the PC has[ the company file {company_file}| another company file] open, "
        "but this connection works with[ {expected}| a different one]. The customers, "
        "invoices and other records already linked belong to that file, so sending is paused "
        "to keep the two sets of books apart.",
        (
            "On the computer where the Web Connector runs, close that company file in "
            "QuickBooks and open[ {expected}| the one this connection works with] (File, then "
            "Open or Restore Company).",
            "Leave QuickBooks open on it: the Web Connector's next update goes on by itself, "
            "and this goes away.",
            "If the books really moved to another company file, add a new QuickBooks Desktop "
            "connection for it and add its Web Connector file on the PC; its records are "
            "matched again against that file.",
        ),
        detected="C (QuickBooks Desktop only: another company file in the first answer, or "
        "0x80040409)",
        level="connection",
    ),
)

_DESKTOP_WAIT = (
    "QuickBooks Desktop is reached only when its Web Connector calls: the fix waits for its "
    "next update (the record shows it waiting) and the record's status follows."
)

_DESKTOP_RECORDS: Final[tuple[CatalogEntry, ...]] = (
    _e(
        INVOICE_CUSTOMER_INACTIVE,
        "The invoice's customer is inactive or deleted in QuickBooks Desktop",
        '[The customer "{name}"|The customer on this invoice] was made inactive or deleted in '
        "QuickBooks Desktop, so QuickBooks refuses the invoice (it does not know the customer "
        "it names).",
        (
            "Click Reactivate: an inactive customer is made active again; a deleted one is "
            "added to QuickBooks again from the app. The invoice is then sent by itself.",
            _DESKTOP_WAIT,
            "To check on the PC: Customers, Customer Center, View: All Customers shows inactive "
            "ones; a deleted customer is not there at all.",
        ),
        ("reactivate",),
        detected="P/F (QuickBooks Desktop 3140 on the customer)",
    ),
    _e(
        CUSTOMER_EXISTS_IN_QUICKBOOKS,
        "A customer with this name is already in QuickBooks Desktop",
        "QuickBooks Desktop already has a customer, vendor, employee or other name [named "
        '"{name}"|with this name] that isn\'t linked to this customer in the app (in Desktop all '
        "names share one list). Sending it as a new customer would be refused. When the email "
        "addresses match, ledgerbridge links the two by itself.",
        (
            "If it's the same customer, click Link to connect this customer to the one already "
            "in QuickBooks.",
            "If it's a different customer, click Differentiate to send it with a number added "
            'to its name, such as " - 2".',
            _DESKTOP_WAIT,
        ),
        ("link", "differentiate"),
        detected="P/F (QuickBooks Desktop 3100)",
    ),
    _e(
        CLASS_INACTIVE_IN_QUICKBOOKS,
        "Class is inactive in QuickBooks Desktop",
        '[The class "{name}"|A class] used on this record was made inactive in QuickBooks '
        "Desktop (or is not in its Class List), so QuickBooks refuses the record.",
        (
            "Click Reactivate to make the class active again in QuickBooks Desktop; the record "
            "is then sent by itself.",
            _DESKTOP_WAIT,
            "Or choose another class in the class mapping or on the record in the app.",
            "To check on the PC: Lists, Class List, with Include inactive ticked, shows the "
            "inactive classes (marked with an X).",
        ),
        ("reactivate",),
        screens=(None, None, "mappings.classes"),
        detected="P/F (QuickBooks Desktop 3140 on the class)",
    ),
)

DESKTOP_ENTRIES: Final[Mapping[str, CatalogEntry]] = MappingProxyType(
    {e.code: e for e in _DESKTOP + _DESKTOP_RECORDS}
)
"""Entries worded otherwise for a QuickBooks Desktop connection: the same code, the same
meaning, but the person fixes it at the PC (no sign-in, no Reconnect button)."""


def entry(code: str, *, desktop: bool = False) -> CatalogEntry:
    """The entry for a code (its QuickBooks Desktop wording when `desktop` and there is one);
    `KeyError` for a code the catalog doesn't know."""
    if desktop and code in DESKTOP_ENTRIES:
        return DESKTOP_ENTRIES[code]
    return ENTRIES[code]


def title(code: str) -> str:
    """A code's title without a problem's figures, for lists and filters (a code the catalog
    doesn't know is shown as is)."""
    if code not in ENTRIES:
        return code
    return fill(ENTRIES[code].title, {})


def codes() -> tuple[str, ...]:
    """Every code, in catalog order."""
    return tuple(ENTRIES)


WaitOutcome = Literal["not_read", "not_sent", "not_finished"]
"""What became of a person's request that a company's wait for QuickBooks' limits stopped:
a read (a refresh, a pull, verify, a fix that only reads) did not read QuickBooks; a fix that
writes was refused before any change was sent; or it met the 429 on the way, maybe after some of
its requests were answered."""

_WAIT_OUTCOMES: Final[Mapping[WaitOutcome, str]] = {
    "not_read": "QuickBooks was not read",
    "not_sent": "no change was sent to QuickBooks",
    "not_finished": "the fix was not finished",
}


def waiting_message(until: datetime, then: str, *, outcome: WaitOutcome) -> str:
    """What a person is told while the company waits for QuickBooks' limits (a pull's
    `wait_until`, `CONNECTION_THROTTLED`'s wait): until when, what became of what they asked
    (`outcome`), and what to do `then`."""
    moment = until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"QuickBooks' limit on requests makes this company wait until {moment} (it answered "
        f"429, or the company's requests for the minute are used up): "
        f"{_WAIT_OUTCOMES[outcome]}, {then}"
    )


# --- rendering --------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\[(?P<body>[^\[\]|]*)(?:\|(?P<fallback>[^\[\]|{}]*))?\]|\{(?P<key>[a-z_][a-z0-9_]*)\}"
)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_SPACES = re.compile(r"\s+")

MAX_VALUE_LENGTH: Final = 300
"""Longer param values are cut (with "...") so that no text grows without bound."""


_FIELD_NAME = re.compile(r"[a-z]+(?:_[a-z]+)+")
# the article before a word: "an" before a vowel sound (a, e, i, o; "u" is too often "you")
_ARTICLE_BEFORE = re.compile(r"(?:^|(?<=\s)|(?<=\())([Aa]) $")


def _clean(value: object, key: str = "") -> str:
    if value is None:
        return ""
    text = _SPACES.sub(" ", str(value)).strip()
    if key == "field" and _FIELD_NAME.fullmatch(text):
        text = text.replace("_", " ")  # a field of the app's record, as words: income account
    if len(text) > MAX_VALUE_LENGTH:
        text = text[: MAX_VALUE_LENGTH - 3].rstrip() + "..."
    return text


def fill(template: str, params: Mapping[str, object]) -> str:
    """A text with its placeholders and segments filled from params (see the module doc).

    One pass over the template: values are inserted as they are and never read as templates,
    so a value holding ``{x}`` or brackets stays literal. A param that is absent, ``None`` or
    blank counts as missing. A bare ``{key}`` with no value becomes "this" (the catalog never
    relies on it: its placeholders all sit in segments).
    """
    values = {key: _clean(value, key) for key, value in params.items()}

    def replace(match: re.Match[str]) -> str:
        key = match.group("key")
        if key is not None:
            return values.get(key) or "this"
        body = match.group("body")
        keys = _PLACEHOLDER.findall(body)
        if all(values.get(k) for k in keys):
            return _PLACEHOLDER.sub(lambda p: values[p.group(1)], body)
        return match.group("fallback") or ""

    parts: list[str] = []
    at = 0
    for match in _TOKEN.finditer(template):
        parts.append(template[at : match.start()])
        filled = replace(match)
        before = parts[-1]
        # "used by a {quickbooks_type}" with "employee": "an employee"
        if filled[:1].lower() in "aeio" and filled[:1] and _ARTICLE_BEFORE.search(before):
            parts[-1] = before[:-1] + "n "
        parts.append(filled)
        at = match.end()
    parts.append(template[at:])
    return "".join(parts)


def render(entry: CatalogEntry, params: Mapping[str, object] | None = None) -> RenderedProblem:
    """The entry's texts with a problem's params filled in; never raises for missing params."""
    given = params or {}
    return RenderedProblem(
        code=entry.code,
        title=fill(entry.title, given),
        meaning=fill(entry.meaning, given),
        fix=tuple(fill(step, given) for step in entry.fix),
        actions=entry.actions,
        retriable=entry.retriable,
        screens=entry.screens,
    )


def placeholders(entry: CatalogEntry) -> frozenset[str]:
    """The param names an entry's texts can show."""
    return frozenset(name for text in _texts(entry) for name in _PLACEHOLDER.findall(text))


def _texts(entry: CatalogEntry) -> Iterator[str]:
    yield entry.title
    yield entry.meaning
    yield from entry.fix
