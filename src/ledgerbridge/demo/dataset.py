"""The demo business: a heating, plumbing and electrical service company's records.

    dataset = generate("full", today=date(2026, 11, 21), closed_through=date(2026, 9, 30))

Customers (homeowners and businesses) with their properties as sub-customers, a price book of
services, parts and stock, suppliers, invoices, payments, receipts, bills and purchase orders,
all dated in the QuickBooks company's open period. On top of the ordinary business,
`ledgerbridge.demo.cases` adds the records that fail on purpose (one or a few for every failure
mode data can cause) and the changes "a person" makes in QuickBooks after the first sync.

Pure and deterministic: the same arguments give the same dataset (one seeded
`random.Random`); nothing here reads a clock, a file or the network.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ledgerbridge.core.records import Incoming
from ledgerbridge.demo import cases, codes
from ledgerbridge.demo.builder import Billable, Builder, SoldInvoice
from ledgerbridge.demo.pools import (
    BUSINESS_KINDS,
    BUSINESS_PREFIXES,
    EXPENSE_LINES,
    FIRST_NAMES,
    INVENTORY,
    LAST_NAMES,
    MATERIALS,
    SERVICES,
    VENDOR_KINDS,
    VENDOR_PREFIXES,
)

__all__ = ["SEED", "SIZES", "Dataset", "Size", "Sizes", "generate"]

SEED = 2718
Size = Literal["small", "full"]
FIRST_INVOICE_NUMBER = 1246  # the app's sequence runs into QuickBooks' 1001-1250


@dataclass(frozen=True)
class Sizes:
    """How much ordinary business to generate (the deliberate cases come on top)."""

    customers: int
    services: int
    materials: int
    stock: int
    vendors: int
    invoices: int
    payments: int
    receipts: int
    bills: int
    purchase_orders: int


SIZES: Mapping[Size, Sizes] = {
    "small": Sizes(24, 6, 6, 2, 6, 80, 60, 12, 10, 6),
    "full": Sizes(290, 34, 33, 5, 36, 2976, 2486, 1000, 800, 300),
}

# How the app's tax rates and payment methods map to QuickBooks (by QuickBooks' names).
TAX_RATES: Mapping[str, str] = {
    "ca-roseville": "Roseville City",
    "ca-placer": "Placer County",
    "ca-sacramento": "Sacramento County",
}
PAYMENT_METHODS: Mapping[str, str] = {
    "check": "Check",
    "cash": "Cash",
    "visa": "Visa",
    "mastercard": "MasterCard",
    "ach": "ACH/Bank Transfer",
}
# The app books fuel to "Fuel"; in QuickBooks it is a sub-account, "Automobile:Fuel", which a
# name alone does not find: mapped, as an office user would on the mapping screen.
ACCOUNTS: Mapping[str, str] = {"Fuel": "Automobile:Fuel"}
METHOD_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("check", 35),
    ("visa", 25),
    ("mastercard", 10),
    ("ach", 22),
    ("cash", 8),
)


@dataclass(frozen=True)
class Dataset:
    size: Size
    records: tuple[Incoming, ...]  # handed to ledgerbridge before the first sync, in order
    refused: tuple[Incoming, ...]  # sent too, but refused at the door (the API's 422)
    tax_rates: Mapping[str, str]  # app tax rate -> QuickBooks TaxCode name (the mapped ones)
    payment_methods: Mapping[str, str]  # app method -> QuickBooks PaymentMethod name
    accounts: Mapping[str, str]  # app account name -> QuickBooks Account (full name)
    scenario: cases.Scenario  # what happens after the first sync
    existing_sales: int = 0  # sales the app shares with the QuickBooks company

    def counts(self) -> dict[str, int]:
        """Records per type, as handed over before the first sync."""
        return dict(Counter(record.type for record in self.records))

    @property
    def expected_codes(self) -> frozenset[str]:
        """Every problem code the demo provokes with this dataset (see `cases`)."""
        if self.existing_sales >= 2:
            return codes.EXPECTED_CODES
        return codes.EXPECTED_CODES - codes.FROM_EXISTING_SALES


def generate(
    size: Size,
    *,
    today: dt.date,
    closed_through: dt.date,
    existing: Sequence[cases.Sale] = (),
) -> Dataset:
    """The demo business (see the module docstring); `existing`: sales the QuickBooks company
    already holds, which the app has too (`cases.CaseBook.existing`)."""
    sizes = SIZES[size]
    b = Builder(random.Random(SEED), today, closed_through)
    billables = _customers(b, sizes.customers)
    services, materials, stock = _items(b, sizes)
    vendors = _vendors(b, sizes.vendors)
    book = cases.CaseBook(b, vendors, services, materials, stock)
    book.parties()
    book.items()
    invoices = _invoices(b, sizes.invoices, billables, services, materials, stock)
    book.invoices(billables, next_number=FIRST_INVOICE_NUMBER + len(invoices))
    reserved = book.reserve(invoices)
    paid = _payments(b, sizes.payments, [i for i in invoices if i.id not in reserved])
    book.payments([i for i in invoices if i.id not in paid])
    _receipts(b, sizes.receipts, vendors)
    _bills(b, sizes.bills, vendors)
    _purchase_orders(b, sizes.purchase_orders, vendors, materials)
    book.vendor_documents(materials)
    book.existing(existing)
    return Dataset(
        size=size,
        records=tuple(b.records),
        refused=book.refused(),
        tax_rates=TAX_RATES,
        payment_methods=PAYMENT_METHODS,
        accounts=ACCOUNTS,
        scenario=book.scenario(invoices),
        existing_sales=len(existing),
    )


# --- parties ----------------------------------------------------------------------------------


def _customers(b: Builder, count: int) -> list[Billable]:
    """Homeowners (most with one home, some with a rental too) and businesses (with none to
    four sites); a customer without a property is billed directly."""
    billables: list[Billable] = []
    names = [(f, la) for f in FIRST_NAMES for la in LAST_NAMES]
    b.rng.shuffle(names)
    businesses = [f"{p} {k}" for p in BUSINESS_PREFIXES for k in BUSINESS_KINDS]
    b.rng.shuffle(businesses)
    for n in range(count):
        app_id = f"cus-{n + 1:04d}"
        city = b.city()
        home = b.street_address()
        if n % 10 < 7:
            first, last = names.pop()
            data = {
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@example.net".lower().replace(" ", ""),
            }
            places = b.rng.choices((0, 1, 2), weights=(10, 72, 18))[0]
        else:
            company = businesses.pop()
            slug = "".join(ch for ch in company.lower() if ch.isalnum())
            data = {"company_name": company, "email": f"ap@{slug}.example.net"}
            places = b.rng.choices((0, 1, 2, 3, 4), weights=(15, 30, 25, 20, 10))[0]
        b.add(
            "customer",
            app_id,
            {**data, "phone": b.phone(), "billing_address": b.address(home, city)},
        )
        if places == 0:
            billables.append(Billable(app_id, city.tax_rate, None))
        for p in range(places):
            where = city if p == 0 else b.city()
            line1 = home if p == 0 else b.street_address()
            prop_id = f"prop-{n + 1:04d}-{p + 1}"
            b.add(
                "customer",
                prop_id,
                {
                    "display_name": line1,
                    "kind": "property",
                    "parent_id": app_id,
                    "billing_address": b.address(line1, where),
                },
            )
            billables.append(Billable(prop_id, where.tax_rate, app_id))
    return billables


def _vendors(b: Builder, count: int) -> list[str]:
    names = [f"{p} {k}" for p in VENDOR_PREFIXES for k in VENDOR_KINDS]
    b.rng.shuffle(names)
    found = []
    for n in range(count):
        app_id = f"ven-{n + 1:03d}"
        name = names.pop()
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        city = b.city()
        b.add(
            "vendor",
            app_id,
            {
                "display_name": name,
                "company_name": name,
                "email": f"orders@{slug}.example.org",
                "phone": b.phone(),
                "address": b.address(b.street_address(), city),
            },
        )
        found.append(app_id)
    return found


# --- the price book ---------------------------------------------------------------------------


def _items(b: Builder, sizes: Sizes) -> tuple[list[str], list[str], list[str]]:
    services = []
    for n, product in enumerate(SERVICES[: sizes.services]):
        app_id = f"svc-{n + 1:03d}"
        b.item(app_id, product, {"type": "service", "income_account": "Services"})
        services.append(app_id)
    materials = []
    for n, product in enumerate(MATERIALS[: sizes.materials]):
        app_id = f"mat-{n + 1:03d}"
        b.item(
            app_id,
            product,
            {
                "type": "non_inventory",
                "income_account": "Sales of Product Income",
                "expense_account": "Job Materials",
            },
        )
        materials.append(app_id)
    stock = []
    start = b.closed_through - dt.timedelta(days=200)
    for n, product in enumerate(INVENTORY[: sizes.stock]):
        app_id = f"stk-{n + 1:03d}"
        b.item(app_id, product, _stocked(start))
        stock.append(app_id)
    return services, materials, stock


def _stocked(start: dt.date) -> dict[str, str]:
    return {
        "type": "inventory",
        "income_account": "Sales of Product Income",
        "expense_account": "Cost of Goods Sold",
        "asset_account": "Inventory Asset",
        "quantity_on_hand": "500",
        "inventory_start_date": start.isoformat(),
    }


# --- sales ------------------------------------------------------------------------------------


def _invoices(
    b: Builder,
    count: int,
    billables: list[Billable],
    services: list[str],
    materials: list[str],
    stock: list[str],
) -> list[SoldInvoice]:
    sold = []
    for n in range(count):
        rng = b.rng
        lines = [b.line(rng.choice(services), rng.choice((1, 1, 1, 2, 3)))]
        for item in rng.sample(materials, rng.choice((0, 0, 1, 1, 2))):
            lines.append(b.line(item, rng.randint(1, 4)))
        if stock and rng.random() < 0.04:
            lines.append(b.line(rng.choice(stock), 1))
        memo = "Thank you for choosing us!" if rng.random() < 0.1 else None
        sold.append(
            b.invoice(
                f"inv-{n + 1:05d}",
                rng.choice(billables),
                lines,
                number=str(FIRST_INVOICE_NUMBER + n),
                memo=memo,
            )
        )
    return sold


def _payments(b: Builder, count: int, invoices: list[SoldInvoice]) -> set[str]:
    """One payment for each of `count` invoices, most in full, a few in part; returns the ids
    of the invoices paid."""
    methods = [m for m, _ in METHOD_WEIGHTS]
    weights = [w for _, w in METHOD_WEIGHTS]
    paid = b.rng.sample(invoices, min(count, len(invoices)))
    for n, invoice in enumerate(paid):
        method = b.rng.choices(methods, weights)[0]
        partial = b.rng.random() < 0.04
        amount = (invoice.total / 2).quantize(Decimal("0.01")) if partial else None
        b.payment(
            f"pay-{n + 1:05d}",
            invoice,
            method=method,
            reference=_reference(b, method, n),
            amount=amount,
        )
    return {invoice.id for invoice in paid}


def _reference(b: Builder, method: str, n: int) -> str | None:
    if method == "check":
        return f"{1000 + b.rng.randrange(9000)}"
    if method in ("visa", "mastercard"):
        return f"AUTH-{b.rng.randrange(16**6):06X}"
    if method == "ach":
        return f"ACH-{n + 1:06d}"
    return None


# --- purchases --------------------------------------------------------------------------------


def _expense_lines(b: Builder, most: int, *, receipts: bool) -> list[dict[str, str]]:
    choices = [e for e in EXPENSE_LINES if not (receipts and e[0] == "Subcontractors")]
    lines = []
    for account, descriptions, low, high in b.rng.sample(choices, b.rng.randint(1, most)):
        amount = Decimal(b.rng.randrange(low * 100, high * 100)) / 100
        lines.append(
            {
                "expense_account": account,
                "amount": str(amount),
                "description": b.rng.choice(descriptions),
            }
        )
    return lines


def _receipts(b: Builder, count: int, vendors: list[str]) -> None:
    accounts = {"cash": "Petty Cash", "check": "Checking", "credit_card": "Mastercard"}
    for n in range(count):
        kind = b.rng.choices(("credit_card", "check", "cash"), (70, 20, 10))[0]
        data = {
            "vendor_id": b.rng.choice(vendors),
            "date": b.open_day().isoformat(),
            "payment_type": kind,
            "payment_account": accounts[kind],
            "lines": _expense_lines(b, 2, receipts=True),
        }
        if b.rng.random() < 0.4:
            data["vendor_document_number"] = f"R-{n + 1:05d}"
        b.add("receipt", f"rcpt-{n + 1:05d}", data)


def _bills(b: Builder, count: int, vendors: list[str]) -> None:
    for n in range(count):
        vendor = b.rng.choice(vendors)
        day = b.open_day()
        b.add(
            "bill",
            f"bill-{n + 1:05d}",
            {
                "vendor_id": vendor,
                "vendor_document_number": f"{vendor.upper()}-{n + 1:05d}",
                "date": day.isoformat(),
                "due_date": (day + dt.timedelta(days=30)).isoformat(),
                "lines": _expense_lines(b, 3, receipts=False),
            },
        )


def _purchase_orders(b: Builder, count: int, vendors: list[str], materials: list[str]) -> None:
    for n in range(count):
        lines = [
            {
                "item_id": item,
                "quantity": str(b.rng.randint(2, 20)),
                "unit_price": str(b.costs[item]),
            }
            for item in b.rng.sample(materials, b.rng.randint(1, min(3, len(materials))))
        ]
        b.add(
            "purchase_order",
            f"po-{n + 1:05d}",
            {
                "number": f"PO-{3001 + n}",
                "vendor_id": b.rng.choice(vendors),
                "date": b.open_day().isoformat(),
                "lines": lines,
                "status": "closed" if b.rng.random() < 0.2 else "open",
            },
        )
