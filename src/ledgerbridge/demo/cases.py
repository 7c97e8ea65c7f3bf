"""The demo's deliberate failures: for every failure mode of failure-modes.md that data or the
demo company can cause, a few records that provoke it, and the changes a person makes in
QuickBooks after the first sync.

The demo company (Summit Ridge Builders, the emulator's `demo` preset) brings its own traps: a
vendor "Maria Delgado" and an employee "Jordan Reyes", invoices numbered 1001-1250 with custom
numbers on, books closed through the previous quarter, and 145 payments. The records here walk
into them, and into the app's own mistakes (two customers with one name, a reference too long,
a payment method nobody mapped...). `codes.EXPECTED_CODES` lists every code the demo shows.

Ids of deliberate records carry an ``x-`` so they are easy to find in the sync log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.core.records import Incoming, RecordType
from ledgerbridge.demo.builder import Billable, Builder, SoldInvoice
from ledgerbridge.demo.pools import City

__all__ = [
    "CaseBook",
    "Change",
    "Sale",
    "Scenario",
]

RENO = City("Reno", "NV", "89509", "nv-washoe")  # a tax rate deliberately left unmapped
VENDOR_EMAIL = "billing@placerlumbersupply.example.com"  # the demo company's, to be linked

Action = Literal[
    "delete",
    "void",
    "move",
    "deactivate",
    "receive_payment",
    "merge",
    "change_account",
    "deposit",
    "change_quantity",
    "edit_notes",
]


@dataclass(frozen=True)
class Change:
    """Something a person does in QuickBooks to a record the app synced."""

    action: Action
    record_type: RecordType
    app_id: str
    other_id: str | None = None  # move: the app customer it goes to; merge: the survivor
    value: str | None = None  # change_account: the account; edit_notes: the text

    def describe(self) -> str:
        what = f"{self.record_type} {self.app_id}"
        return {
            "delete": f"delete {what}",
            "void": f"void {what}",
            "move": f"move {what} to customer {self.other_id}",
            "deactivate": f"make {what} inactive",
            "receive_payment": f"receive a payment for {what}",
            "merge": f"merge {what} into customer {self.other_id}",
            "change_account": f"book {what} to the account {self.value}",
            "deposit": f"deposit {what}",
            "change_quantity": f"change a quantity on {what}",
            "edit_notes": f"edit the notes of {what}",
        }[self.action]


@dataclass(frozen=True)
class Sale:
    """An invoice the bookkeeper typed into QuickBooks before the app was connected, paid by
    one payment: the app holds the same customer, invoice and payment."""

    first_name: str
    last_name: str
    email: str
    number: str
    date: dt.date
    amount: Decimal  # before tax: the invoice's lines, as the app has them
    paid: Decimal
    paid_on: dt.date
    reference: str | None


@dataclass(frozen=True)
class Scenario:
    """What happens after the first sync, in order."""

    quickbooks_changes: tuple[Change, ...]  # a person in QuickBooks, before the pull
    unsynced: tuple[Incoming, ...]  # the app sends these; they are not synced before the pull
    late_changes: tuple[Change, ...]  # in QuickBooks just after the pull, while the app edits too
    app_changes: tuple[Incoming, ...]  # the app's changes after the pull


class CaseBook:
    """Adds the deliberate records to a dataset being built (`dataset.generate` calls it)."""

    def __init__(
        self,
        b: Builder,
        vendors: list[str],
        services: list[str],
        materials: list[str],
        stock: list[str],
    ) -> None:
        self.b = b
        self.vendors = vendors
        self.services = services
        self.materials = materials
        self.stock = stock
        self._number = 0
        self._reserved: dict[str, SoldInvoice] = {}
        self._inactive_customer = Billable("cus-x-inactive", "ca-placer", None)

    # --- customers and vendors ----------------------------------------------------------------

    def parties(self) -> None:
        b = self.b
        home = b.city()

        def customer(app_id: str, **data: Any) -> None:
            address = b.address(b.street_address(), home)
            b.add("customer", app_id, {**data, "billing_address": address})

        # names QuickBooks gives to a vendor and an employee of the demo company
        customer("cus-x-maria", display_name="Maria Delgado", email="maria.d@example.net")
        customer("cus-x-jordan", first_name="Jordan", last_name="Reyes", email="jr@example.net")
        self._property("prop-x-maria-1", "cus-x-maria", "55 Meadowlark Ct", home)
        # two different people with one name
        customer("cus-x-dup-1", first_name="Alex", last_name="Morgan", email="alexm@example.net")
        customer("cus-x-dup-2", first_name="Alex", last_name="Morgan", email="amorgan@example.net")
        # two properties of one owner with one name
        customer("cus-x-twin", company_name="Harlow Family Trust", email="trust@example.net")
        self._property("prop-x-twin-1", "cus-x-twin", "12 Paintbrush Ln", home)
        self._property("prop-x-twin-2", "cus-x-twin", "12 Paintbrush Ln", home)
        # notes pasted from an old system: longer than QuickBooks takes
        customer(
            "cus-x-long-notes",
            first_name="Priscilla",
            last_name="Vanterpool",
            notes=("Access: side gate, dog in yard. " * 70).strip(),
        )
        # already in QuickBooks: with another email (asks), with the same (linked by itself)
        customer("cus-x-emily", first_name="Emily", last_name="Carter", email="ecarter@example.net")
        customer(
            "cus-x-daniel",
            first_name="Daniel",
            last_name="Okafor",
            email="daniel.okafor@example.com",
        )
        # for the QuickBooks side: made inactive, merged, edited on both sides, closed
        customer("cus-x-inactive", first_name="Quinn", last_name="Harrow", email="qh@example.net")
        customer("cus-x-merge-from", first_name="Tess", last_name="Albright", email="t@example.net")
        customer("cus-x-merge-into", display_name="Tess Albright-Cole", email="tac@example.net")
        customer("cus-x-notes", first_name="Rory", last_name="Kestrel", notes="Gate code 1234")
        customer("cus-x-closing", company_name="Thistle Bakery", email="hello@thistle.example")
        # properties in Nevada: a tax rate nobody mapped
        customer("cus-x-reno", company_name="Truckee Meadows Rentals", email="tmr@example.net")
        self._property("prop-x-reno-1", "cus-x-reno", "4410 Plumas Bend", RENO)
        self._property("prop-x-reno-2", "cus-x-reno", "880 Lakeridge Vista", RENO)

        def vendor(app_id: str, name: str, email: str | None) -> None:
            b.add("vendor", app_id, {"display_name": name, **({"email": email} if email else {})})

        vendor("ven-x-placer", "Placer Lumber & Supply", VENDOR_EMAIL)  # linked by itself
        vendor("ven-x-sierra", "Sierra Plumbing Supply", "orders@sierra.example.org")
        vendor("ven-x-heron", "Blue Heron Cafe", "catering@heron.example.org")  # a customer's
        vendor("ven-x-inactive", "Rivercut Saw Sharpening", None)

    def _property(self, app_id: str, parent: str, name: str, city: City) -> None:
        self.b.add(
            "customer",
            app_id,
            {
                "display_name": name,
                "kind": "property",
                "parent_id": parent,
                "billing_address": self.b.address(name, city),
            },
        )

    # --- items --------------------------------------------------------------------------------

    def items(self) -> None:
        b = self.b
        start = b.closed_through - dt.timedelta(days=200)
        stocked = {
            "type": "inventory",
            "income_account": "Sales of Product Income",
            "expense_account": "Cost of Goods Sold",
            "asset_account": "Inventory Asset",
            "quantity_on_hand": "200",
        }
        specials: dict[str, dict[str, Any]] = {
            "itm-x-bundle": {"name": "Spring Tune-Up Bundle", "type": "bundle"},
            "itm-x-irrigation": {
                "name": "Irrigation Repair",
                "unit_price": "140.00",
                "income_account": "Landscaping Income",  # QuickBooks has no such account
            },
            "itm-x-softener": {
                **stocked,
                "name": "Water Softener",
                "unit_price": "1650.00",
                "purchase_cost": "720.00",
                "inventory_start_date": (b.open_to + dt.timedelta(days=20)).isoformat(),
            },
            "itm-x-painting": {"name": "Painting", "sku": "SV-PAINT", "unit_price": "70.00"},
            "itm-x-labor": {"name": "Labor", "unit_price": "85.00"},  # QuickBooks' own
            "itm-x-drywall": {"name": "Drywall Sheet", "sku": "DW-1248", "unit_price": "18.50"},
            "itm-x-retired": {"name": "Window AC Install", "unit_price": "210.00"},
            "itm-x-filter": {
                **stocked,
                "name": "Whole-Home Water Filter",
                "unit_price": "890.00",
                "purchase_cost": "410.00",
                "inventory_start_date": start.isoformat(),
            },
        }
        for app_id, data in specials.items():
            if "type" not in data:
                data = {"type": "service", "income_account": "Services", **data}
            b.add("item", app_id, data)
            if "unit_price" in data:
                b.prices[app_id] = Decimal(data["unit_price"])

    # --- invoices -----------------------------------------------------------------------------

    def invoices(self, billables: list[Billable], next_number: int) -> None:
        """The deliberate invoices, numbered on from `next_number` (the app's sequence)."""
        b = self.b
        self._number = next_number - 1
        rng = b.rng
        some = [x for x in billables if x.parent_id is not None]
        service = self.services[0]

        def sell(app_id: str, to: Billable, *lines: tuple[str, int], **extra: Any) -> SoldInvoice:
            number = extra.pop("number", None) or self._next_number()
            return b.invoice(app_id, to, [b.line(i, q) for i, q in lines], number=number, **extra)

        sell("inv-x-1005", rng.choice(some), (service, 1), number="1005")
        for n in range(3):
            sell(f"inv-x-closed-{n + 1}", rng.choice(some), (service, 1), day=b.closed_day())
        for n in (1, 2):
            sell(
                f"inv-x-reno-{n}",
                Billable(f"prop-x-reno-{n}", "nv-washoe", "cus-x-reno"),
                (service, 2),
            )
        sell("inv-x-maria", Billable("prop-x-maria-1", "ca-placer", "cus-x-maria"), (service, 1))
        sell("inv-x-jordan", Billable("cus-x-jordan", "ca-placer", None), (service, 1))
        for n in (1, 2):
            sell(f"inv-x-irrigation-{n}", rng.choice(some), ("itm-x-irrigation", 2))
            sell(f"inv-x-softener-{n}", rng.choice(some), ("itm-x-softener", 1))
            sell(f"inv-x-warranty-{n}", rng.choice(some), (service, 1), **{"class": "Warranty"})
        b.add(
            "invoice",
            "inv-x-bundle",
            {
                "number": self._next_number(),
                "customer_id": rng.choice(some).id,
                "date": b.open_day().isoformat(),
                "lines": [{"item_id": "itm-x-bundle", "quantity": "1", "unit_price": "399.00"}],
            },
        )
        b.add(
            "invoice",
            "inv-x-unknown-item",
            {
                "number": self._next_number(),
                "customer_id": rng.choice(some).id,
                "date": b.open_day().isoformat(),
                "lines": [{"item_id": "svc-discontinued", "quantity": "1", "unit_price": "60.00"}],
            },
        )
        # materials taxed: QuickBooks adds sales tax the app does not send
        material = self.materials[0]
        for n in range(3):
            to = rng.choice(some)
            lines = [b.line(service, 1), b.line(material, 2, taxable=True)]
            self._reserved[f"taxed-{n}"] = b.invoice(
                f"inv-x-taxed-{n + 1}", to, lines, number=self._next_number()
            )
        merge_from = Billable("cus-x-merge-from", "ca-placer", None)
        merge_into = Billable("cus-x-merge-into", "ca-placer", None)
        sell("inv-x-merge-from", merge_from, (service, 1))
        sell("inv-x-merge-into", merge_into, (service, 2))
        self._reserved["closing"] = sell(
            "inv-x-closing", Billable("cus-x-closing", "ca-sacramento", None), (service, 3)
        )
        self._reserved["over"] = sell("inv-x-overpaid", rng.choice(some), (service, 2))
        self._reserved["mismatch"] = sell("inv-x-other-payer", rng.choice(some), (service, 1))

    def _next_number(self) -> str:
        self._number += 1
        return str(self._number)

    def reserve(self, regular: list[SoldInvoice]) -> set[str]:
        """Ordinary invoices the scenario changes in QuickBooks: kept unpaid. The invoice
        moved in QuickBooks goes to the customer of another one (`move_to`)."""
        picks = self.b.rng.sample(regular, 5)
        for role, invoice in zip(
            ("delete", "void", "move", "paid", "quantity"), picks, strict=True
        ):
            self._reserved[role] = invoice
        moved = self._reserved["move"].customer_id
        self._reserved["move_to"] = next(i for i in regular if i.customer_id != moved)
        return {i.id for i in picks}

    # --- payments -----------------------------------------------------------------------------

    def payments(self, unpaid: list[SoldInvoice]) -> None:
        """The deliberate payments, for ordinary invoices nobody paid (`unpaid`)."""
        b = self.b
        open_ones = [i for i in unpaid if i.id not in {r.id for r in self._reserved.values()}]
        picks = iter(b.rng.sample(open_ones, 12))
        for n in (1, 2):
            b.payment(
                f"pay-x-long-ref-{n}",
                next(picks),
                method="ach",
                reference=f"STRIPE-py_3Q{n}hJ8x2eZvu5AbCdEfGh",
            )
        for n in (1, 2, 3):
            b.payment(f"pay-x-venmo-{n}", next(picks), method="venmo", reference=f"VNM{n}")
        for n in (1, 2, 3):
            b.payment(f"pay-x-draft-{n}", next(picks), method="check", reference=None, posted=False)
        mismatch = self._reserved["mismatch"]
        b.payment(
            "pay-x-other-payer",
            mismatch,
            method="check",
            reference="5521",
            customer_id=self._parent_of(mismatch),
        )
        closed = _sold(b, "inv-x-closed-1")
        b.payment("pay-x-closed", closed, method="check", reference="5522")
        over = self._reserved["over"]
        b.payment("pay-x-over-1", over, method="check", reference="5523", amount=over.total / 2)
        b.payment("pay-x-over-2", over, method="check", reference="5524")
        for n in range(2):  # the app pays the lines; QuickBooks also wants the tax
            taxed = self._reserved[f"taxed-{n}"]
            b.payment(f"pay-x-taxed-{n + 1}", taxed, method="visa", reference=f"AUTH-7{n}")

    def _parent_of(self, invoice: SoldInvoice) -> str:
        """The customer owning the property an invoice is made out to."""
        return str(_find(self.b, "customer", invoice.customer_id).data["parent_id"])

    def existing(self, sales: Sequence[Sale]) -> None:
        """Sales QuickBooks already holds: the customer and the invoice are linked by
        themselves; the first payment too (same reference); the others nearly match (their
        reference differs): payment.already_in_quickbooks (best on an invoice paid in part:
        one QuickBooks shows paid has the app's payment bypassed on the next pull)."""
        b = self.b
        for n, sale in enumerate(sales, 1):
            customer = f"cus-x-existing-{n}"
            first = {"first_name": sale.first_name, "last_name": sale.last_name}
            b.add("customer", customer, {**first, "email": sale.email})
            line = {"item_id": self.services[0], "quantity": "1", "unit_price": str(sale.amount)}
            b.add(
                "invoice",
                f"inv-x-existing-{n}",
                {
                    "number": sale.number,
                    "customer_id": customer,
                    "date": sale.date.isoformat(),
                    "lines": [line],
                },
            )
            reference = sale.reference if n == 1 else f"APP-{sale.reference or n}"
            b.add(
                "payment",
                f"pay-x-existing-{n}",
                {
                    "customer_id": customer,
                    "date": sale.paid_on.isoformat(),
                    "amount": str(sale.paid),
                    "method": "check",
                    "applied_to": [{"invoice_id": f"inv-x-existing-{n}", "amount": str(sale.paid)}],
                    **({"reference": reference} if reference else {}),
                },
            )

    # --- vendor documents ---------------------------------------------------------------------

    def vendor_documents(self, materials: list[str]) -> None:
        b = self.b
        lines = [{"expense_account": "Job Materials", "amount": "212.40"}]
        day = b.open_day().isoformat()
        for n in (1, 2):  # one supplier invoice entered twice
            b.add(
                "bill",
                f"bill-x-same-number-{n}",
                {
                    "vendor_id": self.vendors[0],
                    "vendor_document_number": "INV-44871",
                    "date": day,
                    "lines": [{"expense_account": "Job Materials", "amount": f"21{n}.40"}],
                },
            )
        b.add(
            "bill",
            "bill-x-sierra",
            {
                "vendor_id": "ven-x-sierra",
                "vendor_document_number": "SPS-9001",
                "date": day,
                "lines": lines,
            },
        )
        b.add(
            "receipt",
            "rcpt-x-heron",
            {
                "vendor_id": "ven-x-heron",
                "date": day,
                "payment_type": "credit_card",
                "payment_account": "Mastercard",
                "lines": [{"expense_account": "Meals", "amount": "86.50"}],
            },
        )
        b.add(
            "bill",
            "bill-x-placer",
            {
                "vendor_id": "ven-x-placer",
                "vendor_document_number": "PLS-5120",
                "date": day,
                "lines": lines,
            },
        )

    # --- refused at the door, and what happens after the first sync ---------------------------

    def refused(self) -> tuple[Incoming, ...]:
        day = self.b.open_day().isoformat()
        return (
            Incoming("customer", "cus-x-nameless", {"email": "someone@example.net"}),
            Incoming(
                "invoice", "inv-x-no-lines", {"customer_id": "cus-0001", "date": day, "lines": []}
            ),
        )

    def scenario(self, regular: list[SoldInvoice]) -> Scenario:
        b = self.b
        r = self._reserved
        paying = _find(b, "payment", "pay-00002")
        changed_payment = Incoming(
            "payment", paying.id, {**paying.data, "reference": "REISSUED-77"}
        )
        filter_item = _find(b, "item", "itm-x-filter")
        closing = _find(b, "customer", "cus-x-closing")
        notes = _find(b, "customer", "cus-x-notes")
        paid = r["paid"]
        return Scenario(
            quickbooks_changes=(
                Change("delete", "invoice", r["delete"].id),
                Change("void", "invoice", r["void"].id),
                Change("move", "invoice", r["move"].id, other_id=r["move_to"].customer_id),
                Change("deactivate", "customer", "cus-x-inactive"),
                Change("deactivate", "vendor", "ven-x-inactive"),
                Change("deactivate", "item", "itm-x-retired"),
                Change("receive_payment", "invoice", paid.id),
                Change("merge", "customer", "cus-x-merge-from", other_id="cus-x-merge-into"),
                Change("change_account", "item", self.services[1], value="Uncategorized Income"),
                Change("delete", "payment", "pay-00001"),
                Change("delete", "purchase_order", "po-00001"),
                Change("delete", "receipt", "rcpt-00001"),
                Change("delete", "bill", "bill-00001"),
                Change("deposit", "payment", paying.id),
                Change("change_quantity", "invoice", r["quantity"].id, value="5"),
            ),
            unsynced=(
                Incoming(
                    "payment",
                    "pay-x-paid-in-quickbooks",
                    {
                        "customer_id": paid.customer_id,
                        "date": paid.date.isoformat(),
                        "amount": str(paid.total),
                        "method": "check",
                        "reference": "5530",
                        "applied_to": [{"invoice_id": paid.id, "amount": str(paid.total)}],
                    },
                ),
            ),
            late_changes=(
                Change("edit_notes", "customer", "cus-x-notes", value="Gate code 4411 (lockbox)"),
            ),
            app_changes=(
                Incoming("customer", notes.id, {**notes.data, "notes": "Gate code 9902"}),
                Incoming("customer", closing.id, {**closing.data, "active": False}),
                Incoming(
                    "item",
                    filter_item.id,
                    {
                        **filter_item.data,
                        "type": "non_inventory",
                        "asset_account": None,
                        "quantity_on_hand": None,
                        "inventory_start_date": None,
                    },
                ),
                changed_payment,
                Incoming(
                    "invoice",
                    "inv-x-inactive-customer",
                    {
                        "customer_id": self._inactive_customer.id,
                        "date": b.open_day().isoformat(),
                        "lines": [
                            {
                                "item_id": self.services[0],
                                "quantity": "1",
                                "unit_price": str(b.prices[self.services[0]]),
                            }
                        ],
                    },
                ),
            ),
        )


def _find(b: Builder, record_type: str, app_id: str) -> Incoming:
    for record in b.records:
        if record.type == record_type and record.id == app_id:
            return record
    raise LookupError(f"{record_type} {app_id} is not in the dataset")


def _sold(b: Builder, app_id: str) -> SoldInvoice:
    record = _find(b, "invoice", app_id)
    data: Mapping[str, Any] = record.data
    total = sum(
        (Decimal(line["unit_price"]) * Decimal(line["quantity"]) for line in data["lines"]),
        Decimal(0),
    )
    return SoldInvoice(app_id, str(data["customer_id"]), dt.date.fromisoformat(data["date"]), total)
