"""Preflight for customers (with properties and jobs) and vendors.

Look-up before create, for records not linked yet:

- a customer links to an unlinked QuickBooks customer (under the same QuickBooks parent) with
  the same email and the same display name; under ``link_on_email`` the email alone is
  enough when exactly one such customer exists. A name alone never links a customer.
- a vendor links to the unlinked QuickBooks vendor of the same name when their emails are
  equal or neither has one.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject, name_key
from ledgerbridge.core.preflight import limits
from ledgerbridge.core.preflight._context import Context, Outcome, Verdict, problem, too_long
from ledgerbridge.core.preflight._names import (
    CUSTOMERS,
    VENDORS,
    check_name,
    forbidden_characters,
)
from ledgerbridge.core.preflight._refs import inactive_party
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Customer, Vendor, display_name

__all__ = ["check_customer", "check_vendor"]

Party = TypeVar("Party", Customer, Vendor)


def check_customer(ctx: Context, customer: Customer) -> Verdict:
    out = Outcome(customer)
    out.extend(too_long(limits.texts(customer), catalog.RECORD_FIELD_TOO_LONG))
    out.extend(_name_characters(customer))
    out.add(_email_missing(ctx, customer))
    out.add(
        inactive_party(
            ctx,
            "customer",
            customer.parent_id,
            "parent_id",
            catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        )
    )
    own = ctx.subject.linked
    if own is None:
        out.link_to = own = _customer_match(ctx, customer)
    else:
        out.add(_inactive(own, customer.active, catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS))
    check_name(ctx, out, CUSTOMERS, own, _rename)
    return out.verdict()


def check_vendor(ctx: Context, vendor: Vendor) -> Verdict:
    out = Outcome(vendor)
    out.extend(too_long(limits.texts(vendor), catalog.RECORD_FIELD_TOO_LONG))
    out.extend(_name_characters(vendor))
    own = ctx.subject.linked
    if own is None:
        out.link_to = own = _vendor_match(ctx, vendor)
    else:
        out.add(_inactive(own, vendor.active, catalog.VENDOR_INACTIVE_IN_QUICKBOOKS))
    check_name(ctx, out, VENDORS, own, _rename)
    return out.verdict()


def _rename(party: Party, new: str) -> Party:
    return dataclasses.replace(party, display_name=new)


# Texts


def _has_text(value: str | None) -> bool:
    return bool(value and value.strip())


def _name_characters(party: Customer | Vendor) -> list[Problem | None]:
    """Forbidden characters in the fields the display name is built from."""
    if _has_text(party.display_name):
        sources = [("display_name", "display name", party.display_name)]
    elif _has_text(party.first_name) or _has_text(party.last_name):
        sources = [
            ("first_name", "first name", party.first_name),
            ("last_name", "last name", party.last_name),
        ]
    else:
        sources = [("company_name", "company name", party.company_name)]
    return [forbidden_characters(path, label, value) for path, label, value in sources]


# Checks


def _email_missing(ctx: Context, customer: Customer) -> Problem | None:
    if not ctx.policies.customer_email_required or _has_text(customer.email):
        return None
    return problem(
        catalog.CUSTOMER_EMAIL_INVALID,
        "email",
        "this connection requires an email address on every customer, and this one has none",
        name=display_name(customer),
    )


def _inactive(own: MirrorObject, active_in_app: bool, code: str) -> Problem | None:
    """``code`` when the linked QuickBooks object was made inactive but the app's record is
    active: pushing would silently undo what someone did in QuickBooks."""
    if own.active or not active_in_app:
        return None
    return problem(
        code,
        None,
        f"QuickBooks {own.entity} {own.qbo_id} was made inactive in QuickBooks",
        name=own.name,
        quickbooks_id=own.qbo_id,
    )


def _customer_match(ctx: Context, customer: Customer) -> MirrorObject | None:
    """The unlinked QuickBooks customer that is this customer (see the module docstring)."""
    if not _has_text(customer.email):
        return None
    parent: str | None = None
    if customer.parent_id:
        parent_obj = ctx.linked("customer", customer.parent_id)
        if parent_obj is None:  # no QuickBooks sub-customer can be it yet
            return None
        parent = parent_obj.qbo_id
    candidates = [
        obj
        for obj in ctx.mirror.with_email("Customer", customer.email or "")
        if obj.parent_id == parent and ctx.owner(obj, "customer") is None
    ]
    name = name_key(display_name(customer))
    for obj in candidates:
        if name_key(obj.name) == name:
            return obj
    if ctx.policies.name_conflicts == "link_on_email" and len(candidates) == 1:
        return candidates[0]
    return None


def _vendor_match(ctx: Context, vendor: Vendor) -> MirrorObject | None:
    """The unlinked QuickBooks vendor that is this vendor (see the module docstring)."""
    holder = ctx.mirror.person_named(display_name(vendor))
    if holder is None or holder.entity != "Vendor":
        return None
    if ctx.owner(holder, "vendor") is not None:
        return None
    return holder if name_key(holder.email) == name_key(vendor.email) else None
