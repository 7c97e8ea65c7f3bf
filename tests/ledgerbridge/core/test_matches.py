"""Weak matches: look-alikes in QuickBooks of a record about to be created, proposed only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ledgerbridge.core.matches import PAYMENT_DAYS, Around, Proposal, proposals
from ledgerbridge.core.mirror import InMemoryMirror, MirrorObject
from ledgerbridge.core.preflight import Policies
from ledgerbridge.core.records import Record, RecordType, parse_record


def qbo(entity: str, qbo_id: str, **fields: Any) -> MirrorObject:
    return MirrorObject.from_quickbooks(entity, {"Id": qbo_id, **fields})


def parse(record_type: str, data: Mapping[str, Any]) -> Record:
    record = parse_record(record_type, data)
    assert not isinstance(record, list), record
    return record


class Company:
    def __init__(self, *objects: MirrorObject) -> None:
        self.mirror = InMemoryMirror(objects)
        self.parties: dict[tuple[str, str], MirrorObject] = {}
        self.owned: set[tuple[str, str]] = set()
        self.policies = Policies()

    def party(self, record_type: RecordType, app_id: str, obj: MirrorObject) -> Company:
        self.parties[(record_type, app_id)] = obj
        return self

    def payments(self, customer: str) -> Sequence[MirrorObject]:
        return [
            o
            for o in (self.mirror.get("Payment", str(n)) for n in range(1000))
            if o is not None and o.parent_id == customer
        ]

    def around(self) -> Around:
        return Around(
            self.mirror,
            self.policies,
            lambda record_type, app_id: self.parties.get((record_type, app_id)),
            lambda obj: (obj.entity, obj.qbo_id) in self.owned,
            self.payments,
        )

    def proposals(self, record_type: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(p.qbo_id, p.why) for p in proposals(parse(record_type, data), self.around())]


def customer(qbo_id: str, name: str, email: str | None = None) -> MirrorObject:
    fields: dict[str, Any] = {"DisplayName": name}
    if email:
        fields["PrimaryEmailAddr"] = {"Address": email}
    return qbo("Customer", qbo_id, **fields)


@pytest.mark.parametrize(
    ("ours", "theirs", "why"),
    [
        ("ann@new.example", "ann@old.example", "same name, different email"),
        (None, "ann@old.example", "same name; QuickBooks has an email, the app none"),
        ("ann@new.example", None, "same name; the app has an email, QuickBooks none"),
        (None, None, "same name; neither has an email to confirm it"),
    ],
)
def test_a_customer_with_the_same_name(ours: str | None, theirs: str | None, why: str) -> None:
    company = Company(customer("5", "Ann Lee", theirs))
    data = {"display_name": "ann lee", "email": ours}
    assert company.proposals("customer", data) == [("5", why)]


def test_a_customer_with_the_same_email_under_another_name() -> None:
    company = Company(customer("5", "A. Lee", "ann@example.com"), customer("6", "Ann Lee"))
    found = company.proposals("customer", {"display_name": "Ann Lee", "email": "ANN@example.com"})
    assert found == [
        ("6", "same name; the app has an email, QuickBooks none"),
        ("5", "same email, different name"),
    ]


def test_linked_look_alikes_and_other_name_holders_are_not_proposed() -> None:
    company = Company(
        customer("5", "Ann Lee", "x@example.com"), qbo("Vendor", "9", DisplayName="Bo Diaz")
    )
    company.owned.add(("Customer", "5"))
    assert company.proposals("customer", {"display_name": "Ann Lee"}) == []
    assert company.proposals("customer", {"display_name": "Bo Diaz"}) == []


def test_a_vendor_with_the_same_name_and_another_email() -> None:
    company = Company(
        qbo("Vendor", "9", DisplayName="Pipe Co", PrimaryEmailAddr={"Address": "a@pipe.example"})
    )
    found = company.proposals("vendor", {"display_name": "Pipe Co", "email": "b@pipe.example"})
    assert found == [("9", "same name, different email")]


@pytest.mark.parametrize(
    ("sku", "theirs", "expected"),
    [
        ("WH-40", "WH-50", [("8", "same name, different SKU")]),
        ("WH-40", None, [("8", "same name; the app has a SKU, QuickBooks none")]),
        (None, "WH-50", [("8", "same name; QuickBooks has a SKU, the app none")]),
    ],
)
def test_an_item_with_the_same_name(
    sku: str | None, theirs: str | None, expected: list[tuple[str, str]]
) -> None:
    fields: dict[str, Any] = {"Name": "Water Heater", "Type": "Inventory"}
    if theirs:
        fields["Sku"] = theirs
    company = Company(qbo("Item", "8", **fields))
    assert company.proposals("item", {"name": "Water Heater", "sku": sku}) == expected


def test_an_item_with_the_same_sku_under_another_name() -> None:
    company = Company(qbo("Item", "8", Name="Heater 40 gal", Sku="WH-40", Type="Inventory"))
    found = company.proposals("item", {"name": "Water Heater", "sku": "wh-40"})
    assert found == [("8", "same SKU, different name")]


def test_a_category_is_never_proposed() -> None:
    company = Company(qbo("Item", "3", Name="Heaters", Type="Category"))
    assert company.proposals("item", {"name": "Heaters"}) == []


INVOICE: dict[str, Any] = {
    "number": "1001",
    "customer_id": "c1",
    "date": "2026-04-01",
    "lines": [{"quantity": "2", "unit_price": "100"}],
}


def invoice(qbo_id: str, number: str, party: str, amount: str) -> MirrorObject:
    return qbo(
        "Invoice",
        qbo_id,
        DocNumber=number,
        CustomerRef={"value": party},
        TotalAmt=amount,
        TxnDate="2026-03-30",
    )


@pytest.mark.parametrize(
    ("party", "amount", "why"),
    [
        ("58", "250.00", "same number, another amount"),
        ("59", "200.00", "same number, another customer"),
        ("59", "250.00", "same number, another customer and another amount"),
    ],
)
def test_an_invoice_with_the_same_number(party: str, amount: str, why: str) -> None:
    company = Company(invoice("130", "1001", party, amount)).party(
        "customer", "c1", customer("58", "Acme")
    )
    (proposal,) = proposals(parse("invoice", INVOICE), company.around())
    assert proposal.why == why
    assert proposal.to_json() == {
        "quickbooks_entity": "Invoice",
        "quickbooks_id": "130",
        "name": None,
        "number": "1001",
        "amount": amount,
        "date": "2026-03-30",
        "why": why,
    }


def test_an_invoice_of_a_customer_not_in_quickbooks_differs_by_customer() -> None:
    company = Company(invoice("130", "1001", "58", "200.00"))
    assert company.proposals("invoice", INVOICE) == [("130", "same number, another customer")]


def test_the_number_compared_is_the_number_sent() -> None:
    company = Company(invoice("130", "FS-1001", "58", "1.00"), invoice("131", "1001", "58", "1"))
    company.policies = Policies(numbering="prefix", number_prefix="FS-")
    assert [p for p, _ in company.proposals("invoice", INVOICE)] == ["130"]
    company.policies = Policies(numbering="quickbooks")
    assert company.proposals("invoice", INVOICE) == []


@pytest.mark.parametrize(
    ("record_type", "entity", "data"),
    [
        (
            "bill",
            "Bill",
            {
                "vendor_id": "v1",
                "vendor_document_number": "B-9",
                "date": "2026-04-15",
                "lines": [{"expense_account": "Materials", "amount": "80.00"}],
            },
        ),
        (
            "receipt",
            "Purchase",
            {
                "vendor_id": "v1",
                "vendor_document_number": "B-9",
                "date": "2026-04-15",
                "payment_type": "check",
                "payment_account": "Checking",
                "lines": [{"expense_account": "Materials", "amount": "80.00"}],
            },
        ),
        (
            "purchase_order",
            "PurchaseOrder",
            {
                "number": "B-9",
                "vendor_id": "v1",
                "date": "2026-04-15",
                "lines": [{"quantity": "1", "unit_price": "80"}],
            },
        ),
    ],
)
def test_vendor_documents_with_the_same_number(
    record_type: str, entity: str, data: dict[str, Any]
) -> None:
    other = {"Purchase": "EntityRef"}.get(entity, "VendorRef")
    company = Company(
        qbo(entity, "400", DocNumber="B-9", TotalAmt="80.00", **{other: {"value": "13"}})
    )
    company.party("vendor", "v1", qbo("Vendor", "12", DisplayName="Bolt"))
    assert company.proposals(record_type, data) == [("400", "same number, another vendor")]


PAYMENT: dict[str, Any] = {
    "customer_id": "c1",
    "date": "2026-04-10",
    "amount": "50.00",
    "method": "check",
}


def payment(qbo_id: str, day: str, amount: str = "50.00", party: str = "58") -> MirrorObject:
    return qbo("Payment", qbo_id, CustomerRef={"value": party}, TotalAmt=amount, TxnDate=day)


def test_payments_of_the_customer_and_amount_within_a_few_days_nearest_first() -> None:
    company = Company(
        payment("301", "2026-04-13"),
        payment("302", "2026-04-09"),
        payment("303", "2026-04-10", amount="50.01"),  # another amount
        payment("304", "2026-04-10", party="59"),  # another customer
        payment("305", f"2026-04-{10 + PAYMENT_DAYS + 1}"),  # too far apart
        payment("306", "2026-04-10"),
    ).party("customer", "c1", customer("58", "Acme"))
    company.owned.add(("Payment", "306"))  # linked to another app payment
    assert company.proposals("payment", PAYMENT) == [
        ("302", "same customer and amount, 1 day apart"),
        ("301", "same customer and amount, 3 days apart"),
    ]


def test_payments_of_a_customer_not_in_quickbooks_have_no_look_alikes() -> None:
    company = Company(payment("301", "2026-04-10"))
    assert company.proposals("payment", PAYMENT) == []


def test_a_proposal_is_listed_once() -> None:
    company = Company(qbo("Item", "8", Name="Water Heater", Sku="WH-40", Type="Inventory"))
    company.owned.clear()
    found = proposals(parse("item", {"name": "Water Heater", "sku": "WH-40"}), company.around())
    assert found == [Proposal("Item", "8", "same name and SKU", name="Water Heater")]
