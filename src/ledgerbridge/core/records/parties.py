"""Customers (with their properties and jobs) and vendors: the records that carry a name.

QuickBooks keeps customers, vendors and employees in one name space and needs a name on each.
`display_name` gives the name a record would get there; a customer with no name at all is the
catalog problem ``customer.name_missing``. A property or a job is a customer with a parent: it
becomes a QuickBooks sub-customer of the record named by ``parent_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ledgerbridge.core.problems import INPUT_INVALID, INPUT_REQUIRED
from ledgerbridge.core.records._fields import Fields, describe

__all__ = [
    "CUSTOMER_KINDS",
    "Address",
    "Customer",
    "CustomerKind",
    "Vendor",
    "address_to_json",
    "customer_to_json",
    "display_name",
    "is_email",
    "parse_address",
    "parse_customer",
    "parse_vendor",
    "vendor_to_json",
]

CustomerKind = Literal["customer", "property", "job"]
CUSTOMER_KINDS: tuple[CustomerKind, ...] = ("customer", "property", "job")

CUSTOMER_NAME_MISSING = "customer.name_missing"
CUSTOMER_EMAIL_INVALID = "customer.email_invalid"

# QuickBooks' own rule is "contains @ and ."; this adds one @, no spaces, a dot after the @.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NAME_FIELDS = ("display_name", "first_name", "last_name", "company_name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A customer; with ``kind`` property or job and a ``parent_id``, a sub-customer."""

    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    parent_id: str | None = None
    kind: CustomerKind = "customer"
    active: bool = True
    notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vendor:
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    active: bool = True


def display_name(party: Customer | Vendor) -> str:
    """The QuickBooks display name: display_name, else "First Last", else company_name.

    Spaces are stripped and runs of whitespace collapsed; ``""`` when the record has no name.
    """
    full_name = " ".join(part for part in (party.first_name, party.last_name) if part)
    for candidate in (party.display_name, full_name, party.company_name):
        name = " ".join((candidate or "").split())
        if name:
            return name
    return ""


def is_email(text: str) -> bool:
    """Whether ``text`` looks like one e-mail address."""
    return _EMAIL.fullmatch(text) is not None


# Reading


def parse_address(fields: Fields) -> Address:
    return Address(
        line1=fields.text("line1", lines=True),
        line2=fields.text("line2", lines=True),
        city=fields.text("city"),
        region=fields.text("region"),
        postal_code=fields.text("postal_code"),
        country=fields.text("country"),
    )


def parse_customer(fields: Fields) -> Customer:
    customer = Customer(
        display_name=fields.text("display_name"),
        first_name=fields.text("first_name"),
        last_name=fields.text("last_name"),
        company_name=fields.text("company_name"),
        email=fields.text("email"),
        phone=fields.text("phone"),
        billing_address=fields.nested("billing_address", parse_address),
        parent_id=fields.ref("parent_id"),
        kind=fields.choice("kind", CUSTOMER_KINDS, default="customer"),
        active=fields.flag("active", default=True),
        notes=fields.text("notes", lines=True),
    )
    if fields.ok(*_NAME_FIELDS) and not display_name(customer):
        fields.report(
            CUSTOMER_NAME_MISSING,
            "display_name",
            "a customer needs a display_name, a first_name/last_name or a company_name",
        )
    if customer.email is not None and not is_email(customer.email):
        fields.report(
            CUSTOMER_EMAIL_INVALID,
            "email",
            f"{describe(customer.email)} is not an e-mail address",
            email=customer.email,
        )
    if customer.kind != "customer" and customer.parent_id is None and fields.ok("parent_id"):
        fields.report(
            INPUT_REQUIRED,
            "parent_id",
            f'parent_id is required when kind is "{customer.kind}": '
            "the app id of the customer it belongs to",
        )
    return customer


def parse_vendor(fields: Fields) -> Vendor:
    vendor = Vendor(
        display_name=fields.text("display_name"),
        first_name=fields.text("first_name"),
        last_name=fields.text("last_name"),
        company_name=fields.text("company_name"),
        email=fields.text("email"),
        phone=fields.text("phone"),
        address=fields.nested("address", parse_address),
        active=fields.flag("active", default=True),
    )
    if fields.ok(*_NAME_FIELDS) and not display_name(vendor):
        fields.report(
            INPUT_REQUIRED,
            "display_name",
            "a vendor needs a display_name, a first_name/last_name or a company_name",
        )
    if vendor.email is not None and not is_email(vendor.email):
        fields.report(
            INPUT_INVALID,
            "email",
            f"{describe(vendor.email)} is not an e-mail address",
            email=vendor.email,
        )
    return vendor


# Writing


def address_to_json(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def customer_to_json(customer: Customer) -> dict[str, Any]:
    return {
        "display_name": customer.display_name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company_name": customer.company_name,
        "email": customer.email,
        "phone": customer.phone,
        "billing_address": address_to_json(customer.billing_address),
        "parent_id": customer.parent_id,
        "kind": customer.kind,
        "active": customer.active,
        "notes": customer.notes,
    }


def vendor_to_json(vendor: Vendor) -> dict[str, Any]:
    return {
        "display_name": vendor.display_name,
        "first_name": vendor.first_name,
        "last_name": vendor.last_name,
        "company_name": vendor.company_name,
        "email": vendor.email,
        "phone": vendor.phone,
        "address": address_to_json(vendor.address),
        "active": vendor.active,
    }
