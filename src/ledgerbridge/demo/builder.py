"""What the demo dataset is built with: the app's records as plain JSON, and a builder that
adds them with the arithmetic done right (line amounts, totals, payments in full).

Pure: no I/O; all randomness comes from the builder's `random.Random`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.core.records import Incoming
from ledgerbridge.demo.pools import CITIES, STREETS, City, Product

__all__ = ["Billable", "Builder", "Line", "SoldInvoice", "cents"]

CENT = Decimal("0.01")


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT))


@dataclass(frozen=True)
class Billable:
    """Someone an invoice can be made out to: a customer, or one of its properties."""

    id: str
    tax_rate: str
    parent_id: str | None  # the customer a property belongs to


@dataclass(frozen=True)
class Line:
    item_id: str
    quantity: int
    unit_price: Decimal
    taxable: bool = False

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class SoldInvoice:
    id: str
    customer_id: str
    date: dt.date
    total: Decimal  # before tax: what the app bills


@dataclass
class Builder:
    """Adds records in the order the app hands them over (customers before their invoices)."""

    rng: random.Random
    today: dt.date
    closed_through: dt.date  # the books closing date of the QuickBooks company
    records: list[Incoming] = field(default_factory=list)
    prices: dict[str, Decimal] = field(default_factory=dict)  # item id -> unit price
    costs: dict[str, Decimal] = field(default_factory=dict)  # item id -> purchase cost
    _addresses: set[str] = field(default_factory=set)
    _phones: int = 0

    # --- dates --------------------------------------------------------------------------------

    @property
    def open_from(self) -> dt.date:
        """The first day QuickBooks takes transactions on."""
        return self.closed_through + dt.timedelta(days=1)

    @property
    def open_to(self) -> dt.date:
        """The last day the business dates documents on (at least six weeks of open books)."""
        return max(self.today, self.open_from + dt.timedelta(days=44))

    def open_day(self) -> dt.date:
        span = (self.open_to - self.open_from).days
        return self.open_from + dt.timedelta(days=self.rng.randrange(span + 1))

    def closed_day(self) -> dt.date:
        """A day in the closed period (the quarter whose books are closed)."""
        return self.closed_through - dt.timedelta(days=self.rng.randrange(5, 60))

    # --- helpers ------------------------------------------------------------------------------

    def add(self, record_type: str, app_id: str, data: Mapping[str, Any]) -> Incoming:
        record = Incoming(record_type, app_id, dict(data))
        self.records.append(record)
        return record

    def phone(self) -> str:
        self._phones += 1
        return f"(916) 555-{2000 + self._phones:04d}"

    def city(self) -> City:
        return self.rng.choice(CITIES)

    def street_address(self) -> str:
        """A house number and street nobody in the dataset has yet."""
        while True:
            line1 = f"{self.rng.randrange(100, 9900)} {self.rng.choice(STREETS)}"
            if line1 not in self._addresses:
                self._addresses.add(line1)
                return line1

    @staticmethod
    def address(line1: str, city: City) -> dict[str, str]:
        return {
            "line1": line1,
            "city": city.name,
            "region": city.region,
            "postal_code": city.postal_code,
            "country": "USA",
        }

    # --- records ------------------------------------------------------------------------------

    def item(self, app_id: str, product: Product, data: Mapping[str, Any]) -> None:
        self.prices[app_id] = Decimal(product.price)
        if product.cost is not None:
            self.costs[app_id] = Decimal(product.cost)
        self.add(
            "item",
            app_id,
            {
                "name": product.name,
                "sku": product.sku,
                "description": product.description,
                "unit_price": product.price,
                **({"purchase_cost": product.cost} if product.cost else {}),
                **data,
            },
        )

    def line(self, item_id: str, quantity: int, *, taxable: bool = False) -> Line:
        return Line(item_id, quantity, self.prices[item_id], taxable)

    def invoice(
        self,
        app_id: str,
        billable: Billable,
        lines: Sequence[Line],
        *,
        number: str | None,
        day: dt.date | None = None,
        memo: str | None = None,
        **extra: Any,
    ) -> SoldInvoice:
        day = day or self.open_day()
        data: dict[str, Any] = {
            "customer_id": billable.id,
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=30)).isoformat(),
            "tax_rate_id": billable.tax_rate,
            "lines": [
                {
                    "item_id": line.item_id,
                    "quantity": str(line.quantity),
                    "unit_price": cents(line.unit_price),
                    **({"taxable": True} if line.taxable else {}),
                }
                for line in lines
            ],
            **extra,
        }
        if number is not None:
            data["number"] = number
        if memo is not None:
            data["memo"] = memo
        self.add("invoice", app_id, data)
        total = sum((line.amount for line in lines), Decimal(0))
        return SoldInvoice(app_id, billable.id, day, total)

    def payment(
        self,
        app_id: str,
        invoice: SoldInvoice,
        *,
        method: str,
        reference: str | None,
        amount: Decimal | None = None,
        customer_id: str | None = None,
        **extra: Any,
    ) -> None:
        paid = invoice.total if amount is None else amount
        day = invoice.date + dt.timedelta(days=self.rng.randrange(0, 21))
        data: dict[str, Any] = {
            "customer_id": customer_id or invoice.customer_id,
            "date": day.isoformat(),
            "amount": cents(paid),
            "method": method,
            "applied_to": [{"invoice_id": invoice.id, "amount": cents(paid)}],
            **extra,
        }
        if reference is not None:
            data["reference"] = reference
        self.add("payment", app_id, data)
