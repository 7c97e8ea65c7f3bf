"""Preflight: what would stop a record in QuickBooks, found before any call to QuickBooks.

``preflight(subject, mirror, policies, mappings) -> Verdict`` reads the record, the app records
and links around it (`Subject`), the mirror of QuickBooks (`MirrorView`), the connection's
settings (`Policies`) and mappings (`Mappings`). Pure: no I/O. The `Verdict` holds the
``problems`` that stop the push, the QuickBooks object to ``link_to`` instead of creating one
(look-up before create, only for records not linked yet), and the record as a policy
``adjusted`` it, with a warning per fix. Every problem names a catalog code, the field path in
the canonical record, a message for developers and params for the office user's text.

The checks (catalog code: trigger):

every record
    record.field_too_long: a text over QuickBooks' limit (params field, length, limit):
    display name 500; first/last/company name 100; email 100; phone 30; address line 500,
    city/region/country 255, postal code 30; notes 2000; item name and SKU 100, description
    4000; invoice/purchase order number (as sent) and vendor document number 21; memo and line
    description 4000. A payment reference over 21 is payment.reference_too_long instead.

customers and vendors (`parties`)
    input.invalid: a colon, tab or line break in the fields the display name is built from.
    customer.email_invalid: no email while the connection requires one.
    customer/vendor.name_used_by_other_type: a QuickBooks vendor/customer or employee holds the
    name. customer/vendor.exists_in_quickbooks: an unlinked QuickBooks customer/vendor holds it
    (and is not the same one, see linking). customer.duplicate_in_app: the QuickBooks holder is
    linked to another app customer, or another app customer would get the name;
    property.duplicate_name when that one is a property of the same parent. (A vendor held by
    another app vendor's QuickBooks vendor is vendor.exists_in_quickbooks.) Under the
    ``differentiate`` policy each of these renames the record instead (" - 2", " - 3"...).
    customer/vendor.inactive_in_quickbooks: the linked object was made inactive in QuickBooks
    while the app's record is active; customer.inactive_in_quickbooks also for a property's
    parent.

items (`items`)
    input.invalid: a colon, tab or line break in the name. item.bundle_read_only: a bundle.
    item.account_missing: an income, expense or asset account with no mapping and no active
    QuickBooks account of that name (or mapped to an inactive one).
    item.exists_in_quickbooks: another QuickBooks item holds the name (differentiate renames).
    item.inactive_in_quickbooks, item.type_change_not_allowed (from Inventory): linked items.

invoices and payments (`sales`)
    invoice.customer_inactive; item.inactive_in_quickbooks (a line's item);
    class.inactive_in_quickbooks (a class not mapped, unknown or inactive); tax.rate_not_mapped;
    invoice.number_conflict (custom transaction numbers on, numbering ``app``/``prefix``);
    item.inventory_start_date (a linked inventory item started after the date).
    payment.method_not_mapped; customer.inactive_in_quickbooks; payment.customer_mismatch (an
    applied invoice is another customer's in the app); payment.invoice_already_paid (QuickBooks
    shows the invoice paid, or with less open than applied; unlinked payments only);
    payment.already_in_quickbooks (same customer, amount and date, another reference).

receipts, bills and purchase orders (`purchases`)
    receipt.vendor_document_number_taken (the vendor's number on another of its documents);
    item.account_missing (payment account, expense lines); vendor.inactive_in_quickbooks;
    item/class/customer inactive on lines; item.inventory_start_date (receipts and bills);
    invoice.number_conflict for purchase orders.

every transaction
    invoice.closed_period: dated on or before the books closing date; under
    ``move_to_open_day`` the date moves to the day after it instead (a linked transaction whose
    QuickBooks copy lies in the closed period is always a problem).

Not problems here: draft or void invoices and unposted payments (the planner handles them), and
records a dependency is missing for (``core.graph``: the planner waits or blocks).

Look-up before create links a customer on email (never on name alone), an item on SKU (or on
name when it has no SKU), a vendor on name with equal or no emails, a payment on customer,
amount, date and reference, an invoice, receipt, bill or purchase order on number, customer or
vendor and total (a matched document is linked without the other checks: a link writes
nothing); never to an object linked to another app record (known through
``Subject.linked_by`` when given, else only among the same-name app records of ``siblings``).
"""

from __future__ import annotations

from typing import assert_never

from ledgerbridge.core.mirror import CompanyPreferences, MirrorView
from ledgerbridge.core.preflight._context import Context, Mappings, Policies, Subject, Verdict
from ledgerbridge.core.preflight._names import CUSTOMERS, ITEMS, VENDORS, NameSpace
from ledgerbridge.core.preflight._refs import mirror_amount, mirror_date, pushed_number, same_total
from ledgerbridge.core.preflight.items import check_item
from ledgerbridge.core.preflight.parties import check_customer, check_vendor
from ledgerbridge.core.preflight.purchases import (
    check_bill,
    check_purchase_order,
    check_receipt,
    suggested_number,
)
from ledgerbridge.core.preflight.sales import check_invoice, check_payment
from ledgerbridge.core.records import (
    Bill,
    Customer,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Vendor,
)

__all__ = [
    "CUSTOMERS",
    "ITEMS",
    "VENDORS",
    "Mappings",
    "NameSpace",
    "Policies",
    "Subject",
    "Verdict",
    "mirror_amount",
    "mirror_date",
    "preflight",
    "pushed_number",
    "same_total",
    "suggested_number",
]


def preflight(
    subject: Subject, mirror: MirrorView, policies: Policies, mappings: Mappings
) -> Verdict:
    """Everything that would stop ``subject.record`` in QuickBooks, what to link it to, and
    how a policy adjusted it."""
    company = CompanyPreferences.from_quickbooks(mirror.preferences())
    ctx = Context(subject, mirror, policies, mappings, company)
    record = subject.record
    match record:
        case Customer():
            return check_customer(ctx, record)
        case Vendor():
            return check_vendor(ctx, record)
        case Item():
            return check_item(ctx, record)
        case Invoice():
            return check_invoice(ctx, record)
        case Payment():
            return check_payment(ctx, record)
        case Receipt():
            return check_receipt(ctx, record)
        case Bill():
            return check_bill(ctx, record)
        case PurchaseOrder():
            return check_purchase_order(ctx, record)
        case _:
            assert_never(record)
