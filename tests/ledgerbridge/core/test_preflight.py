"""Preflight: what stops a record before any call to QuickBooks, what it links to, and what a
policy fixes by itself; with an in-memory mirror and records built by `parse_record`."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.core import preflight as preflight_package
from ledgerbridge.core.mirror import InMemoryMirror, MirrorObject, name_key
from ledgerbridge.core.preflight import (
    Mappings,
    Policies,
    Subject,
    Verdict,
    preflight,
    pushed_number,
    suggested_number,
)
from ledgerbridge.core.records import (
    Bill,
    Customer,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Record,
    RecordKey,
    RecordType,
    Vendor,
    display_name,
    parse_record,
)

CODES = frozenset(catalog.codes())
PREFIXES = sorted({code.split(".")[0] for code in CODES})
PREFLIGHT_SOURCES = Path(preflight_package.__file__).parent
LITERAL_CODE = re.compile(r"[\"'](?:" + "|".join(PREFIXES) + r")\.[a-z_]+[\"']")

MAPPINGS = Mappings(
    tax_codes={"ca": "3", "zero": "4", "old": "5"},
    payment_methods={"check": "2", "card": "8"},
    accounts={"Materials": "61", "Legacy": "44", "Ghost": "999"},
    classes={"Crew A": "5", "Crew B": "6"},
)
ASK = Policies()
DIFFERENTIATE = Policies(name_conflicts="differentiate")
LINK_ON_EMAIL = Policies(name_conflicts="link_on_email")


def qbo(entity: str, qbo_id: str, **fields: Any) -> MirrorObject:
    return MirrorObject.from_quickbooks(entity, {"Id": qbo_id, **fields})


def person(
    entity: str,
    qbo_id: str,
    name: str,
    email: str | None = None,
    *,
    parent: str | None = None,
    active: bool = True,
) -> MirrorObject:
    fields: dict[str, Any] = {"DisplayName": name, "Active": active}
    if email:
        fields["PrimaryEmailAddr"] = {"Address": email}
    if parent:
        fields["ParentRef"] = {"value": parent}
    return qbo(entity, qbo_id, **fields)


def named(entity: str, qbo_id: str, name: str, *, active: bool = True, **more: Any) -> MirrorObject:
    return qbo(entity, qbo_id, Name=name, Active=active, **more)


def document(entity: str, qbo_id: str, number: str, party: str, **more: Any) -> MirrorObject:
    party_key = {"Invoice": "CustomerRef", "Payment": "CustomerRef"}.get(entity, "VendorRef")
    if entity == "Purchase":
        party_key = "EntityRef"
    return qbo(entity, qbo_id, DocNumber=number, **{party_key: {"value": party}}, **more)


BASE = (
    person("Customer", "58", "Acme Plumbing", "office@acme.example"),
    person("Vendor", "12", "Bolt Supply"),
    person("Employee", "90", "Sam Staff"),
    named("Item", "7", "Labor", Type="Service"),
    named("Item", "8", "Water Heater", Type="Inventory", Sku="WH-40", InvStartDate="2026-01-01"),
    document("Invoice", "130", "1001", "58", Balance=200, TxnDate="2026-04-01"),
    named("Account", "40", "Services"),
    named("Account", "35", "Checking"),
    named("Account", "61", "Job Materials"),
    named("Account", "44", "Old Income", active=False),
    named("Class", "5", "Field"),
    named("Class", "6", "Retired", active=False),
    named("Class", "9", "Remodel"),
    named("TaxCode", "3", "CA"),
    named("TaxCode", "4", "Zero"),
    named("TaxCode", "5", "Old", active=False),
    named("PaymentMethod", "2", "Check"),
    named("PaymentMethod", "8", "Card", active=False),
)

INVOICE: dict[str, Any] = {
    "number": "1001",
    "customer_id": "c1",
    "date": "2026-04-01",
    "lines": [{"item_id": "i1", "quantity": "2", "unit_price": "100"}],
}
PAYMENT: dict[str, Any] = {
    "customer_id": "c1",
    "date": "2026-04-10",
    "amount": "50.00",
    "method": "check",
    "reference": "CHK-1",
    "applied_to": [{"invoice_id": "inv1", "amount": "50.00"}],
}
RECEIPT: dict[str, Any] = {
    "vendor_id": "v1",
    "vendor_document_number": "R-77",
    "date": "2026-04-15",
    "payment_type": "check",
    "payment_account": "Checking",
    "lines": [{"expense_account": "Job Materials", "amount": "12.50"}],
}
BILL: dict[str, Any] = {
    "vendor_id": "v1",
    "vendor_document_number": "B-9",
    "date": "2026-04-15",
    "lines": [{"expense_account": "Materials", "amount": "80.00"}],
}
PURCHASE_ORDER: dict[str, Any] = {
    "number": "PO-5",
    "vendor_id": "v1",
    "date": "2026-04-15",
    "lines": [{"item_id": "i2", "quantity": "1", "unit_price": "450"}],
}


def parse(record_type: str, data: Mapping[str, Any]) -> Record:
    record = parse_record(record_type, data)
    assert not isinstance(record, list), record
    return record


def key(text: str) -> RecordKey:
    record_type, app_id = text.split("/")
    return RecordKey(cast(RecordType, record_type), app_id)


def name_of(record: Record) -> str | None:
    if isinstance(record, Customer | Vendor):
        return display_name(record)
    return record.name if isinstance(record, Item) else None


class World:
    """The app's records and links, and the mirror of one QuickBooks company."""

    def __init__(self, *objects: MirrorObject, preferences: Mapping[str, Any] | None = None):
        self.mirror = InMemoryMirror((*BASE, *objects), preferences)
        self.records: dict[RecordKey, Record] = {}
        self.links: dict[RecordKey, MirrorObject] = {}
        self.add("customer/c1", {"display_name": "Acme Plumbing"}, "Customer/58")
        self.add("vendor/v1", {"display_name": "Bolt Supply"}, "Vendor/12")
        self.add("item/i1", {"name": "Labor"}, "Item/7")
        self.add("item/i2", {"name": "Water Heater", "type": "inventory"}, "Item/8")
        self.add("invoice/inv1", INVOICE, "Invoice/130")

    def add(self, text: str, data: Mapping[str, Any], link: str | None = None) -> RecordKey:
        record_key = key(text)
        self.records[record_key] = parse(record_key.type, data)
        self.links.pop(record_key, None)
        if link is not None:
            entity, qbo_id = link.split("/")
            obj = self.mirror.get(entity, qbo_id)
            assert obj is not None, link
            self.links[record_key] = obj
        return record_key

    def put(self, *objects: MirrorObject) -> World:
        for obj in objects:
            self.mirror.put(obj)
        return self

    def siblings(self, record_type: RecordType, wanted: str) -> list[RecordKey]:
        return [
            k
            for k, record in self.records.items()
            if k.type == record_type and name_key(name_of(record)) == wanted
        ]

    def linked_by(self, entity: str, qbo_id: str) -> RecordKey | None:
        for k, obj in self.links.items():
            if (obj.entity, obj.qbo_id) == (entity, qbo_id):
                return k
        return None

    def check(
        self,
        text: str,
        policies: Policies = ASK,
        mappings: Mappings = MAPPINGS,
        *,
        pushed_type: str | None = None,
        reverse_links: bool = True,
    ) -> Verdict:
        record_key = key(text)
        subject = Subject(
            key=record_key,
            record=self.records[record_key],
            linked=self.links.get(record_key),
            links=self.links.get,
            app_records=self.records.get,
            siblings=self.siblings,
            pushed_type=pushed_type,
            linked_by=self.linked_by if reverse_links else None,
        )
        verdict = preflight(subject, self.mirror, policies, mappings)
        for found in (*verdict.problems, *verdict.warnings):
            assert found.code in CODES, found  # every code is a catalog code
            assert found.message
        return verdict


def found(verdict: Verdict) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in verdict.problems]


def single(verdict: Verdict) -> Mapping[str, Any]:
    """The params of the verdict's only problem."""
    assert len(verdict.problems) == 1, verdict.problems
    return verdict.problems[0].params


def with_value(data: Mapping[str, Any], path: str, value: str) -> dict[str, Any]:
    """A copy of ``data`` with ``value`` at ``path`` (``a.b`` or ``lines[0].description``)."""
    result = copy.deepcopy(dict(data))
    target: dict[str, Any] = result
    *parents, last = path.split(".")
    for part in parents:
        indexed = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        target = target[indexed[1]][int(indexed[2])] if indexed else target.setdefault(part, {})
    target[last] = value
    return result


# --- field lengths ----------------------------------------------------------------------------

CUSTOMER = {"display_name": "Jane Roe"}
ITEM = {"name": "Drain Snake", "income_account": "Services"}
EMAIL_101 = "a" * 89 + "@example.com"

LENGTHS = [
    # record type, base data, field path, value over the limit, label, limit
    ("customer", CUSTOMER, "display_name", "D" * 501, "display name", 500),
    ("customer", CUSTOMER, "first_name", "F" * 101, "first name", 100),
    ("customer", CUSTOMER, "last_name", "L" * 101, "last name", 100),
    ("customer", CUSTOMER, "company_name", "C" * 101, "company name", 100),
    ("customer", CUSTOMER, "email", EMAIL_101, "email address", 100),
    ("customer", CUSTOMER, "phone", "5" * 31, "phone number", 30),
    ("customer", CUSTOMER, "billing_address.line1", "x" * 501, "billing address line 1", 500),
    ("customer", CUSTOMER, "billing_address.city", "x" * 256, "billing address city", 255),
    (
        "customer",
        CUSTOMER,
        "billing_address.region",
        "x" * 256,
        "billing address state or region",
        255,
    ),
    (
        "customer",
        CUSTOMER,
        "billing_address.postal_code",
        "9" * 31,
        "billing address postal code",
        30,
    ),
    ("customer", CUSTOMER, "billing_address.country", "x" * 256, "billing address country", 255),
    ("customer", CUSTOMER, "notes", "n" * 2001, "notes text", 2000),
    ("vendor", {"display_name": "Pipe Co"}, "company_name", "C" * 101, "company name", 100),
    (
        "vendor",
        {"display_name": "Pipe Co"},
        "address.postal_code",
        "9" * 31,
        "address postal code",
        30,
    ),
    ("item", ITEM, "name", "N" * 101, "name", 100),
    ("item", ITEM, "sku", "S" * 101, "SKU", 100),
    ("item", ITEM, "description", "d" * 4001, "description", 4000),
    ("invoice", INVOICE, "number", "1" * 22, "invoice number", 21),
    ("invoice", INVOICE, "memo", "m" * 4001, "memo", 4000),
    ("invoice", INVOICE, "lines[0].description", "d" * 4001, "line description", 4000),
    ("purchase_order", PURCHASE_ORDER, "number", "7" * 22, "purchase order number", 21),
    ("purchase_order", PURCHASE_ORDER, "memo", "m" * 4001, "memo", 4000),
    ("receipt", RECEIPT, "vendor_document_number", "R" * 22, "vendor document number", 21),
    ("receipt", RECEIPT, "lines[0].description", "d" * 4001, "line description", 4000),
    ("bill", BILL, "vendor_document_number", "B" * 22, "vendor document number", 21),
    ("bill", BILL, "memo", "m" * 4001, "memo", 4000),
]


@pytest.mark.parametrize(("record_type", "base", "path", "value", "label", "limit"), LENGTHS)
def test_a_field_over_its_limit_is_too_long(
    record_type: str, base: Mapping[str, Any], path: str, value: str, label: str, limit: int
) -> None:
    world = World()
    world.add(f"{record_type}/x1", with_value(base, path, value))
    verdict = world.check(f"{record_type}/x1")
    assert found(verdict) == [(catalog.RECORD_FIELD_TOO_LONG, path)]
    assert single(verdict) == {"field": label, "length": limit + 1, "limit": limit}


@pytest.mark.parametrize(("record_type", "base", "path", "value", "label", "limit"), LENGTHS)
def test_a_field_at_its_limit_passes(
    record_type: str, base: Mapping[str, Any], path: str, value: str, label: str, limit: int
) -> None:
    at_limit = value[:-1] if "@" not in value else value[1:]
    world = World()
    world.add(f"{record_type}/x1", with_value(base, path, at_limit))
    assert world.check(f"{record_type}/x1").problems == ()


def test_the_display_name_is_measured_as_computed() -> None:
    world = World()
    world.add("customer/x1", {"first_name": "A" * 100, "last_name": "B" * 100})
    assert world.check("customer/x1").ok  # 201 characters: within 500


def test_a_long_payment_reference_has_its_own_code() -> None:
    world = World()
    world.add("payment/x1", {**PAYMENT, "reference": "R" * 22})
    verdict = world.check("payment/x1")
    assert found(verdict) == [(catalog.PAYMENT_REFERENCE_TOO_LONG, "reference")]
    assert single(verdict) == {"field": "payment reference", "length": 22, "limit": 21}
    world.add("payment/x2", {**PAYMENT, "reference": "R" * 21})
    assert world.check("payment/x2").ok


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        (Policies(numbering="app"), []),
        (
            Policies(numbering="prefix", number_prefix="FS-"),
            [(catalog.RECORD_FIELD_TOO_LONG, "number")],
        ),
        (Policies(numbering="quickbooks"), []),
    ],
)
def test_the_number_is_measured_as_sent(policies: Policies, expected: list[Any]) -> None:
    world = World()
    world.add("invoice/x1", {**INVOICE, "number": "2" * 20})
    assert found(world.check("invoice/x1", policies)) == expected


def test_pushed_number_follows_the_numbering_policy() -> None:
    assert pushed_number("1042", Policies()) == "1042"
    assert pushed_number("1042", Policies(numbering="prefix", number_prefix="FS-")) == "FS-1042"
    assert pushed_number("1042", Policies(numbering="quickbooks")) is None
    assert pushed_number(None, Policies()) is None


# --- names: characters, email -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "data", "path", "shown"),
    [
        ("customer", {"display_name": "Roe: Jane"}, "display_name", "a colon (:)"),
        ("customer", {"company_name": "Roe:Sons"}, "company_name", "a colon (:)"),
        ("item", {"name": "Pipe:Copper"}, "name", "a colon (:)"),
    ],
)
def test_names_refuse_colons(record_type: str, data: dict[str, Any], path: str, shown: str) -> None:
    world = World()
    world.add(f"{record_type}/x1", data)
    verdict = world.check(f"{record_type}/x1")
    assert found(verdict) == [(catalog.INPUT_INVALID, path)]
    assert shown in str(single(verdict)["reason"])


@pytest.mark.parametrize(
    ("record_type", "data", "path"),
    [
        ("customer", {"display_name": "Jane\tRoe"}, "display_name"),
        ("customer", {"first_name": "Jane\nMarie", "last_name": "Roe"}, "first_name"),
        ("vendor", {"display_name": "Pipes\r\nInc"}, "display_name"),
    ],
)
def test_tabs_and_line_breaks_in_names_are_refused_before_preflight(
    record_type: str, data: dict[str, Any], path: str
) -> None:
    """A name is a single-line value: the record does not even parse (core.text)."""
    problems = parse_record(record_type, data)
    assert isinstance(problems, list)
    assert [(p.code, p.field) for p in problems] == [(catalog.INPUT_INVALID, path)]


def test_only_the_fields_that_make_the_name_are_checked() -> None:
    world = World()
    world.add("customer/x1", {"display_name": "Roe Sons", "company_name": "Roe: Sons Ltd"})
    assert world.check("customer/x1").ok


@pytest.mark.parametrize(
    ("required", "email", "expected"),
    [
        (True, None, [(catalog.CUSTOMER_EMAIL_INVALID, "email")]),
        (True, "jane@example.com", []),
        (False, None, []),
    ],
)
def test_customer_email_when_the_connection_requires_one(
    required: bool, email: str | None, expected: list[Any]
) -> None:
    world = World()
    world.add("customer/x1", {"display_name": "Jane Roe", "email": email})
    verdict = world.check("customer/x1", Policies(customer_email_required=required))
    assert found(verdict) == expected


# --- customers: look-up before create, name conflicts -----------------------------------------

JANE = {"display_name": "Jane Roe", "email": "jane@example.com"}


@pytest.mark.parametrize(
    ("objects", "data", "policies", "link", "expected"),
    [
        # same name and same email: the same customer
        ([person("Customer", "70", "jane roe ", "JANE@example.com")], JANE, ASK, "70", []),
        ([person("Customer", "70", "Jane Roe", "jane@example.com")], JANE, DIFFERENTIATE, "70", []),
        # a name alone is never enough
        (
            [person("Customer", "70", "Jane Roe", "other@example.com")],
            JANE,
            ASK,
            None,
            [(catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS, "display_name")],
        ),
        (
            [person("Customer", "70", "Jane Roe")],
            {"display_name": "Jane Roe"},
            LINK_ON_EMAIL,
            None,
            [(catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS, "display_name")],
        ),
        # the email alone: only under link_on_email, and only when it names one customer
        ([person("Customer", "71", "J. Roe", "jane@example.com")], JANE, ASK, None, []),
        ([person("Customer", "71", "J. Roe", "jane@example.com")], JANE, LINK_ON_EMAIL, "71", []),
        (
            [
                person("Customer", "71", "J. Roe", "jane@example.com"),
                person("Customer", "72", "Jane R.", "jane@example.com"),
            ],
            JANE,
            LINK_ON_EMAIL,
            None,
            [],
        ),
        # a sub-customer of another parent is not this customer
        (
            [person("Customer", "73", "Jane Roe", "jane@example.com", parent="58")],
            JANE,
            ASK,
            None,
            [(catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS, "display_name")],
        ),
    ],
)
def test_customer_look_up_before_create(
    objects: list[MirrorObject],
    data: dict[str, Any],
    policies: Policies,
    link: str | None,
    expected: list[Any],
) -> None:
    world = World(*objects)
    world.add("customer/x1", data)
    verdict = world.check("customer/x1", policies)
    assert (verdict.link_to.qbo_id if verdict.link_to else None) == link
    assert found(verdict) == expected
    assert verdict.adjusted is None


def test_an_unlinked_quickbooks_customer_holding_the_name_is_named_in_params() -> None:
    world = World(person("Customer", "70", "Jane Roe", "other@example.com"))
    world.add("customer/x1", JANE)
    assert single(world.check("customer/x1")) == {"name": "Jane Roe", "quickbooks_id": "70"}


@pytest.mark.parametrize(
    ("holder", "quickbooks_type"),
    [
        (person("Vendor", "75", "Jane Roe"), "vendor"),
        (person("Employee", "76", "Jane Roe"), "employee"),
    ],
)
def test_a_customer_name_held_by_a_vendor_or_employee(
    holder: MirrorObject, quickbooks_type: str
) -> None:
    world = World(holder)
    world.add("customer/x1", JANE)
    verdict = world.check("customer/x1")
    assert found(verdict) == [(catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE, "display_name")]
    assert single(verdict) == {
        "name": "Jane Roe",
        "quickbooks_type": quickbooks_type,
        "quickbooks_id": holder.qbo_id,
    }
    assert verdict.link_to is None


@pytest.mark.parametrize("reverse_links", [True, False])
def test_a_name_held_by_a_customer_linked_to_another_app_record(reverse_links: bool) -> None:
    world = World(person("Customer", "70", "Jane Roe", "jane@example.com"))
    world.add("customer/c9", JANE, "Customer/70")
    world.add("customer/x1", JANE)
    verdict = world.check("customer/x1", reverse_links=reverse_links)
    assert verdict.link_to is None  # never two app records on one QuickBooks customer
    assert found(verdict) == [(catalog.CUSTOMER_DUPLICATE_IN_APP, "display_name")]
    assert single(verdict) == {"name": "Jane Roe", "quickbooks_id": "70", "app_id": "c9"}


def test_an_email_match_linked_to_another_app_record_is_not_linked() -> None:
    world = World(person("Customer", "71", "J. Roe", "jane@example.com"))
    world.add("customer/c9", {"display_name": "Janet Roe"}, "Customer/71")
    world.add("customer/x1", JANE)
    verdict = world.check("customer/x1", LINK_ON_EMAIL)
    assert verdict.link_to is None
    assert verdict.ok


def test_two_app_customers_that_would_get_one_name() -> None:
    world = World()
    world.add("customer/x1", JANE)
    world.add("customer/c3", {"display_name": "JANE  roe"})
    verdict = world.check("customer/x1")
    assert found(verdict) == [(catalog.CUSTOMER_DUPLICATE_IN_APP, "display_name")]
    assert single(verdict) == {"name": "Jane Roe", "app_id": "c3"}


@pytest.mark.parametrize(
    ("other_parent", "expected"),
    [("c1", catalog.PROPERTY_DUPLICATE_NAME), ("c2", catalog.CUSTOMER_DUPLICATE_IN_APP)],
)
def test_two_properties_with_one_name(other_parent: str, expected: str) -> None:
    world = World()
    world.add("customer/c2", {"display_name": "Other Owner"})
    world.add("customer/p1", {"display_name": "12 Oak St", "kind": "property", "parent_id": "c1"})
    world.add(
        "customer/p2", {"display_name": "12 Oak St", "kind": "property", "parent_id": other_parent}
    )
    # the first (by app id) keeps the name and is sent with it; only the other asks
    assert found(world.check("customer/p1")) == []
    assert found(world.check("customer/p2")) == [(expected, "display_name")]


@pytest.mark.parametrize(
    ("other_parent", "expected"),
    [("c1", catalog.PROPERTY_DUPLICATE_NAME), ("c2", catalog.CUSTOMER_DUPLICATE_IN_APP)],
)
def test_a_property_named_as_one_already_sent_under_its_customer(
    other_parent: str, expected: str
) -> None:
    """The same two properties when the first was synced before the second arrived (a
    worker's pass between the two puts): the name is held in QuickBooks by the first's
    object, and the second is told the same as when both came in one pass."""
    world = World(person("Customer", "80", "12 Oak St", parent="58"))
    world.add("customer/c1", {"display_name": "Owner One"}, "Customer/58")
    world.add(
        "customer/p1",
        {"display_name": "12 Oak St", "kind": "property", "parent_id": "c1"},
        "Customer/80",
    )
    world.add(
        "customer/p2", {"display_name": "12 Oak St", "kind": "property", "parent_id": other_parent}
    )
    assert found(world.check("customer/p2")) == [(expected, "display_name")]


@pytest.mark.parametrize(("parent", "link"), [("58", "80"), ("99", None)])
def test_a_property_links_only_under_its_parent(parent: str, link: str | None) -> None:
    world = World(person("Customer", "80", "12 Oak St", "owner@example.com", parent=parent))
    world.add(
        "customer/p1",
        {
            "display_name": "12 Oak St",
            "email": "owner@example.com",
            "kind": "property",
            "parent_id": "c1",
        },
    )
    verdict = world.check("customer/p1")
    assert (verdict.link_to.qbo_id if verdict.link_to else None) == link


def test_a_property_whose_parent_is_inactive_in_quickbooks() -> None:
    world = World(person("Customer", "59", "Old Owner", active=False))
    world.add("customer/c5", {"display_name": "Old Owner"}, "Customer/59")
    world.add("customer/p1", {"display_name": "1 Elm St", "kind": "property", "parent_id": "c5"})
    verdict = world.check("customer/p1")
    assert found(verdict) == [(catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS, "parent_id")]
    assert single(verdict) == {"name": "Old Owner", "quickbooks_id": "59"}


@pytest.mark.parametrize(
    ("active_in_quickbooks", "active_in_app", "expected"),
    [
        (True, True, []),
        (False, True, [(catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS, None)]),
        (False, False, []),
    ],
)
def test_a_linked_customer_made_inactive_in_quickbooks(
    active_in_quickbooks: bool, active_in_app: bool, expected: list[Any]
) -> None:
    world = World(person("Customer", "70", "Jane Roe", active=active_in_quickbooks))
    world.add("customer/x1", {**JANE, "active": active_in_app}, "Customer/70")
    verdict = world.check("customer/x1")
    assert found(verdict) == expected
    assert verdict.link_to is None  # linked records are not looked up


def test_a_linked_customer_renamed_onto_a_vendors_name() -> None:
    world = World(person("Customer", "70", "Jane Roe"), person("Vendor", "75", "Roe Supplies"))
    world.add("customer/x1", {"display_name": "Roe Supplies"}, "Customer/70")
    assert found(world.check("customer/x1")) == [
        (catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE, "display_name")
    ]


def test_a_linked_customer_keeps_its_own_name_despite_a_new_app_duplicate() -> None:
    world = World(person("Customer", "70", "Jane Roe"))
    world.add("customer/x1", JANE, "Customer/70")
    world.add("customer/c3", JANE)
    assert world.check("customer/x1").ok
    assert found(world.check("customer/c3")) == [
        (catalog.CUSTOMER_DUPLICATE_IN_APP, "display_name")
    ]


# --- differentiate ----------------------------------------------------------------------------


def adjusted_name(verdict: Verdict) -> str | None:
    record = verdict.adjusted
    if record is None:
        return None
    assert isinstance(record, Customer | Vendor | Item)
    return name_of(record)


def test_differentiate_takes_the_first_suffix_free_in_quickbooks_and_the_app() -> None:
    world = World(
        person("Customer", "70", "Jane Roe", "other@example.com"),
        person("Vendor", "77", "Jane Roe - 2"),
    )
    world.add("customer/c4", {"display_name": "jane roe - 3"})
    world.add("customer/x1", JANE)
    verdict = world.check("customer/x1", DIFFERENTIATE)
    assert verdict.ok
    assert adjusted_name(verdict) == "Jane Roe - 4"
    (warning,) = verdict.warnings
    assert warning.code == catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS
    assert warning.params["new_name"] == "Jane Roe - 4"
    assert isinstance(verdict.adjusted, Customer)
    assert verdict.adjusted.email == "jane@example.com"  # only the name changes


def test_differentiate_also_settles_a_name_held_by_another_type() -> None:
    world = World(person("Employee", "76", "Jane Roe"))
    world.add("customer/x1", JANE)
    verdict = world.check("customer/x1", DIFFERENTIATE)
    assert adjusted_name(verdict) == "Jane Roe - 2"
    assert [w.code for w in verdict.warnings] == [catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE]


def test_differentiated_app_duplicates_never_pick_the_same_name() -> None:
    world = World()
    for app_id in ("x3", "x1", "x2"):
        world.add(f"customer/{app_id}", {"display_name": "Jane Roe"})
    names = {
        a: adjusted_name(world.check(f"customer/{a}", DIFFERENTIATE)) for a in ("x1", "x2", "x3")
    }
    assert names == {"x1": None, "x2": "Jane Roe - 2", "x3": "Jane Roe - 3"}


def test_differentiated_records_rank_after_the_linked_one() -> None:
    world = World(person("Customer", "70", "Jane Roe"))
    world.add("customer/x9", {"display_name": "Jane Roe"}, "Customer/70")
    world.add("customer/x1", {"display_name": "Jane Roe"})
    world.add("customer/x2", {"display_name": "Jane Roe"})
    assert world.check("customer/x9", DIFFERENTIATE).adjusted is None
    assert adjusted_name(world.check("customer/x1", DIFFERENTIATE)) == "Jane Roe - 2"
    assert adjusted_name(world.check("customer/x2", DIFFERENTIATE)) == "Jane Roe - 3"


def test_a_suffix_keeps_the_name_within_its_limit() -> None:
    long_name = "N" * 100
    world = World(named("Item", "20", long_name, Type="Service"))
    world.add("item/x1", {"name": long_name, "sku": "NEW-1"})
    verdict = world.check("item/x1", DIFFERENTIATE)
    assert adjusted_name(verdict) == "N" * 96 + " - 2"
    assert verdict.ok


# --- vendors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quickbooks_email", "app_email", "link", "expected"),
    [
        (None, None, "30", []),
        ("ap@pipe.example", "AP@pipe.example", "30", []),
        (None, "ap@pipe.example", None, [(catalog.VENDOR_EXISTS_IN_QUICKBOOKS, "display_name")]),
        (
            "a@pipe.example",
            "b@pipe.example",
            None,
            [(catalog.VENDOR_EXISTS_IN_QUICKBOOKS, "display_name")],
        ),
    ],
)
def test_vendor_look_up_before_create(
    quickbooks_email: str | None, app_email: str | None, link: str | None, expected: list[Any]
) -> None:
    world = World(person("Vendor", "30", "Pipe Co", quickbooks_email))
    world.add("vendor/x1", {"display_name": "Pipe Co", "email": app_email})
    verdict = world.check("vendor/x1")
    assert (verdict.link_to.qbo_id if verdict.link_to else None) == link
    assert found(verdict) == expected


def test_a_vendor_name_held_by_a_customer() -> None:
    world = World()
    world.add("vendor/x1", {"display_name": "Acme Plumbing"})
    verdict = world.check("vendor/x1")
    assert found(verdict) == [(catalog.VENDOR_NAME_USED_BY_OTHER_TYPE, "display_name")]
    assert single(verdict)["quickbooks_type"] == "customer"


def test_a_vendor_held_by_another_app_vendor_is_not_linked() -> None:
    world = World()
    world.add("vendor/x1", {"display_name": "Bolt Supply"})
    verdict = world.check("vendor/x1")
    assert verdict.link_to is None
    assert found(verdict) == [(catalog.VENDOR_EXISTS_IN_QUICKBOOKS, "display_name")]
    assert single(verdict)["app_id"] == "v1"


def test_differentiate_renames_a_vendor_too() -> None:
    world = World(person("Vendor", "30", "Pipe Co", "a@pipe.example"))
    world.add("vendor/x1", {"display_name": "Pipe Co", "email": "b@pipe.example"})
    verdict = world.check("vendor/x1", DIFFERENTIATE)
    assert verdict.ok
    assert verdict.link_to is None
    assert isinstance(verdict.adjusted, Vendor)
    assert verdict.adjusted.display_name == "Pipe Co - 2"
    assert [w.code for w in verdict.warnings] == [catalog.VENDOR_EXISTS_IN_QUICKBOOKS]


def test_a_linked_vendor_made_inactive_in_quickbooks() -> None:
    world = World(person("Vendor", "31", "Old Pipe", active=False))
    world.add("vendor/x1", {"display_name": "Old Pipe"}, "Vendor/31")
    assert found(world.check("vendor/x1")) == [(catalog.VENDOR_INACTIVE_IN_QUICKBOOKS, None)]


# --- items ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objects", "data", "link", "expected"),
    [
        # same SKU: the same item, whatever its name
        (
            [named("Item", "20", "Snake 25ft", Sku="DS-25")],
            {"name": "Drain Snake", "sku": "DS-25"},
            "20",
            [],
        ),
        # no SKU in the app: the name decides
        ([named("Item", "20", "drain snake", Sku="DS-25")], {"name": "Drain Snake"}, "20", []),
        # a SKU in the app, the name held by an item without it: the office decides
        (
            [named("Item", "20", "Drain Snake", Sku="OTHER")],
            {"name": "Drain Snake", "sku": "DS-25"},
            None,
            [(catalog.ITEM_EXISTS_IN_QUICKBOOKS, "name")],
        ),
        (
            [named("Item", "20", "Drain Snake")],
            {"name": "Drain Snake", "sku": "DS-25"},
            None,
            [(catalog.ITEM_EXISTS_IN_QUICKBOOKS, "name")],
        ),
        # a category is never an item to link to
        (
            [named("Item", "21", "Drain Snake", Type="Category")],
            {"name": "Drain Snake"},
            None,
            [(catalog.ITEM_EXISTS_IN_QUICKBOOKS, "name")],
        ),
        # the SKU belongs to an item linked to another app item
        ([], {"name": "Heater", "sku": "WH-40"}, None, []),
    ],
)
def test_item_look_up_before_create(
    objects: list[MirrorObject], data: dict[str, Any], link: str | None, expected: list[Any]
) -> None:
    world = World(*objects)
    world.add("item/x1", data)
    verdict = world.check("item/x1")
    assert (verdict.link_to.qbo_id if verdict.link_to else None) == link
    assert found(verdict) == expected


def test_an_item_name_held_by_another_app_items_quickbooks_item() -> None:
    world = World()
    world.add("item/x1", {"name": "Labor", "sku": "LAB"})
    verdict = world.check("item/x1")
    assert found(verdict) == [(catalog.ITEM_EXISTS_IN_QUICKBOOKS, "name")]
    assert single(verdict) == {"name": "Labor", "quickbooks_id": "7", "app_id": "i1"}


@pytest.mark.parametrize(
    ("active_in_quickbooks", "active_in_app", "expected"),
    [
        (False, True, [(catalog.ITEM_INACTIVE_IN_QUICKBOOKS, None)]),
        (False, False, []),
        (True, True, []),
    ],
)
def test_a_linked_item_made_inactive_in_quickbooks(
    active_in_quickbooks: bool, active_in_app: bool, expected: list[Any]
) -> None:
    world = World(named("Item", "20", "Drain Snake", active=active_in_quickbooks, Type="Service"))
    world.add("item/x1", {"name": "Drain Snake", "active": active_in_app}, "Item/20")
    assert found(world.check("item/x1")) == expected


@pytest.mark.parametrize(
    ("quickbooks_type", "pushed_type", "app_type", "expected"),
    [
        (
            "Inventory",
            "Inventory",
            "non_inventory",
            [(catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED, "type")],
        ),
        ("Inventory", None, "service", [(catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED, "type")]),
        ("Inventory", "Inventory", "inventory", []),
        ("NonInventory", "NonInventory", "service", []),
    ],
)
def test_an_inventory_item_cannot_change_type(
    quickbooks_type: str, pushed_type: str | None, app_type: str, expected: list[Any]
) -> None:
    world = World(named("Item", "20", "Heater", Type=quickbooks_type))
    world.add("item/x1", {"name": "Heater", "type": app_type}, "Item/20")
    verdict = world.check("item/x1", pushed_type=pushed_type)
    assert found(verdict) == expected
    if expected:
        assert single(verdict)["quickbooks_type"] == "Inventory"


@pytest.mark.parametrize(
    ("field", "account", "expected"),
    [
        ("income_account", "Services", []),  # an active QuickBooks account of that name
        ("income_account", "services", []),  # names compare as QuickBooks compares them
        ("expense_account", "Materials", []),  # mapped
        ("expense_account", "Ghost", []),  # a mapping is trusted, unless the mirror says inactive
        ("income_account", "Nowhere", [(catalog.ITEM_ACCOUNT_MISSING, "income_account")]),
        ("income_account", "Old Income", [(catalog.ITEM_ACCOUNT_MISSING, "income_account")]),
        ("expense_account", "Legacy", [(catalog.ITEM_ACCOUNT_MISSING, "expense_account")]),
        ("asset_account", "Nowhere", [(catalog.ITEM_ACCOUNT_MISSING, "asset_account")]),
    ],
)
def test_accounts_named_on_an_item(field: str, account: str, expected: list[Any]) -> None:
    world = World()
    world.add("item/x1", {"name": "Drain Snake", field: account})
    verdict = world.check("item/x1")
    assert found(verdict) == expected
    if expected:
        assert single(verdict)["name"] == account
        assert single(verdict)["field"] == field.replace("_", " ").replace(
            "asset", "inventory asset"
        )


@pytest.mark.parametrize("linked", [False, True])
def test_bundles_are_read_only(linked: bool) -> None:
    world = World(named("Item", "25", "Water Heater Kit", Type="Group"))
    if linked:
        world.add("item/x1", {"name": "Water Heater Kit", "type": "service"}, "Item/25")
    else:
        world.add("item/x1", {"name": "Water Heater Kit", "type": "bundle"})
    assert found(world.check("item/x1")) == [(catalog.ITEM_BUNDLE_READ_ONLY, "type")]


# --- invoices ---------------------------------------------------------------------------------

CUSTOM_NUMBERS = {"SalesFormsPrefs": {"CustomTxnNumbers": True}}
CLOSED_MARCH = {"AccountingInfoPrefs": {"BookCloseDate": "2026-03-31"}}


def test_a_clean_invoice_passes_whatever_its_status() -> None:
    world = World()
    for status in ("draft", "issued", "void"):
        world.add("invoice/x1", {**INVOICE, "number": "2001", "status": status})
        assert world.check("invoice/x1") == Verdict()


def test_an_invoice_for_a_customer_inactive_in_quickbooks() -> None:
    world = World(person("Customer", "59", "Old Owner", active=False))
    world.add("customer/c5", {"display_name": "Old Owner"}, "Customer/59")
    world.add("invoice/x1", {**INVOICE, "number": None, "customer_id": "c5"})
    verdict = world.check("invoice/x1")
    assert found(verdict) == [(catalog.INVOICE_CUSTOMER_INACTIVE, "customer_id")]
    assert single(verdict) == {"name": "Old Owner", "quickbooks_id": "59"}


def test_an_invoice_line_with_an_item_inactive_in_quickbooks() -> None:
    world = World(named("Item", "20", "Old Part", active=False))
    world.add("item/x5", {"name": "Old Part"}, "Item/20")
    lines = [INVOICE["lines"][0], {"item_id": "x5", "quantity": "1", "unit_price": "5"}]
    world.add("invoice/x1", {**INVOICE, "number": None, "lines": lines})
    verdict = world.check("invoice/x1")
    assert found(verdict) == [(catalog.ITEM_INACTIVE_IN_QUICKBOOKS, "lines[1].item_id")]
    assert single(verdict) == {"name": "Old Part", "quickbooks_id": "20"}


@pytest.mark.parametrize(
    ("invoice_class", "line_class", "expected"),
    [
        ("Field", "Remodel", []),
        ("Crew A", None, []),  # mapped
        ("Crew B", None, [(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "class")]),  # mapped, inactive
        ("Retired", None, [(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "class")]),
        (None, "Unknown", [(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "lines[0].class")]),
    ],
)
def test_invoice_classes(
    invoice_class: str | None, line_class: str | None, expected: list[Any]
) -> None:
    world = World()
    line = {**INVOICE["lines"][0], "class": line_class}
    world.add("invoice/x1", {**INVOICE, "number": None, "class": invoice_class, "lines": [line]})
    assert found(world.check("invoice/x1")) == expected


@pytest.mark.parametrize("desktop", [True, False])
def test_a_class_full_name_no_desktop_class_can_have_is_too_long_on_desktop(desktop: bool) -> None:
    """QuickBooks Desktop holds a class's full name up to 159 characters: a longer name that
    nothing resolves is the field too long there (Online allows more: no class of that name)."""
    world = World()
    long = "Commercial:" + "R" * 149  # 160
    line = {**INVOICE["lines"][0], "class": long}
    world.add("invoice/x1", {**INVOICE, "number": None, "lines": [line]})
    verdict = world.check("invoice/x1", policies=dataclasses.replace(ASK, desktop=desktop))
    if desktop:
        assert found(verdict) == [(catalog.RECORD_FIELD_TOO_LONG, "lines[0].class")]
        assert single(verdict) == {"field": "class", "length": 160, "limit": 159}
    else:
        assert found(verdict) == [(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "lines[0].class")]
    fits = {**line, "class": long[:159]}
    world.add("invoice/x2", {**INVOICE, "number": None, "lines": [fits]})
    verdict = world.check("invoice/x2", policies=dataclasses.replace(ASK, desktop=desktop))
    assert found(verdict) == [(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "lines[0].class")]


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (None, []),
        ("ca", []),
        ("zero", []),  # a 0% rate, mapped like any other
        ("exempt", [(catalog.TAX_RATE_NOT_MAPPED, "tax_rate_id")]),
        ("old", [(catalog.TAX_RATE_NOT_MAPPED, "tax_rate_id")]),  # mapped to an inactive code
    ],
)
def test_invoice_tax_rates(rate: str | None, expected: list[Any]) -> None:
    world = World()
    world.add("invoice/x1", {**INVOICE, "number": None, "tax_rate_id": rate})
    verdict = world.check("invoice/x1")
    assert found(verdict) == expected
    if expected:
        assert single(verdict) == {"name": rate}


@pytest.mark.parametrize(
    ("preferences", "policies", "linked", "number", "expected"),
    [
        (CUSTOM_NUMBERS, ASK, False, "1001", "130"),
        (CUSTOM_NUMBERS, ASK, True, "1001", None),  # the invoice holding it is this one
        ({}, ASK, False, "1001", None),  # QuickBooks does not refuse duplicates then
        (CUSTOM_NUMBERS, Policies(numbering="quickbooks"), False, "1001", None),
        (CUSTOM_NUMBERS, Policies(numbering="prefix", number_prefix="FS-"), False, "1001", "140"),
        (CUSTOM_NUMBERS, Policies(numbering="prefix", number_prefix="FS-"), False, "1002", None),
    ],
)
def test_invoice_number_conflicts(
    preferences: Mapping[str, Any],
    policies: Policies,
    linked: bool,
    number: str,
    expected: str | None,
) -> None:
    world = World(document("Invoice", "140", "FS-1001", "58"), preferences=preferences)
    world.add("invoice/x1", {**INVOICE, "number": number}, "Invoice/130" if linked else None)
    world.records.pop(key("invoice/inv1"))
    world.links.pop(key("invoice/inv1"))
    verdict = world.check("invoice/x1", policies)
    if expected is None:
        assert verdict.ok
    else:
        assert found(verdict) == [(catalog.INVOICE_NUMBER_CONFLICT, "number")]
        assert single(verdict) == {
            "number": pushed_number(number, policies),
            "quickbooks_id": expected,
        }


@pytest.mark.parametrize(
    ("record_type", "data"),
    [
        ("invoice", {**INVOICE, "number": None}),
        ("payment", {**PAYMENT, "applied_to": []}),
        ("receipt", RECEIPT),
        ("bill", BILL),
        ("purchase_order", PURCHASE_ORDER),
    ],
)
@pytest.mark.parametrize(
    ("day", "closed"), [("2026-03-30", True), ("2026-03-31", True), ("2026-04-01", False)]
)
def test_closed_period_for_every_transaction(
    record_type: str, data: dict[str, Any], day: str, closed: bool
) -> None:
    world = World(preferences=CLOSED_MARCH)
    world.add(f"{record_type}/x1", {**data, "date": day})
    verdict = world.check(f"{record_type}/x1")
    if not closed:
        assert verdict.ok
        return
    assert found(verdict) == [(catalog.INVOICE_CLOSED_PERIOD, "date")]
    assert single(verdict) == {"closing_date": "2026-03-31", "date": day}

    moved = world.check(f"{record_type}/x1", Policies(closed_periods="move_to_open_day"))
    assert moved.ok
    assert isinstance(moved.adjusted, Invoice | Payment | Receipt | Bill | PurchaseOrder)
    assert moved.adjusted.date == dt.date(2026, 4, 1)
    (warning,) = moved.warnings
    assert warning.code == catalog.INVOICE_CLOSED_PERIOD
    assert warning.params["moved_to"] == "2026-04-01"


def test_a_linked_transaction_dated_in_the_closed_period_in_quickbooks_is_not_moved() -> None:
    world = World(
        document("Invoice", "150", "900", "58", TxnDate="2026-03-15"), preferences=CLOSED_MARCH
    )
    world.add("invoice/x1", {**INVOICE, "number": "900", "date": "2026-03-15"}, "Invoice/150")
    verdict = world.check("invoice/x1", Policies(closed_periods="move_to_open_day"))
    assert found(verdict) == [(catalog.INVOICE_CLOSED_PERIOD, "date")]
    assert verdict.adjusted is None
    assert single(verdict)["quickbooks_id"] == "150"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-12-31", [(catalog.ITEM_INVENTORY_START_DATE, "lines[0].item_id")]),
        ("2026-01-01", []),
    ],
)
def test_inventory_items_before_their_start_date(day: str, expected: list[Any]) -> None:
    world = World()
    lines = [{"item_id": "i2", "quantity": "1", "unit_price": "450"}] * 2
    world.add("invoice/x1", {**INVOICE, "number": None, "date": day, "lines": lines})
    verdict = world.check("invoice/x1")
    assert found(verdict) == expected  # once per item
    if expected:
        assert single(verdict) == {
            "item": "Water Heater",
            "start_date": "2026-01-01",
            "date": day,
            "quickbooks_id": "8",
        }

    world.add("bill/x2", {**BILL, "date": day, "lines": [{"item_id": "i2", "amount": "450"}]})
    assert found(world.check("bill/x2")) == expected


def test_the_inventory_check_uses_the_moved_date() -> None:
    world = World(preferences={"AccountingInfoPrefs": {"BookCloseDate": "2025-12-31"}})
    lines = [{"item_id": "i2", "quantity": "1", "unit_price": "450"}]
    world.add("invoice/x1", {**INVOICE, "number": None, "date": "2025-12-20", "lines": lines})
    verdict = world.check("invoice/x1", Policies(closed_periods="move_to_open_day"))
    assert verdict.ok
    assert isinstance(verdict.adjusted, Invoice)
    assert verdict.adjusted.date == dt.date(2026, 1, 1)


# --- payments ---------------------------------------------------------------------------------


def test_a_clean_payment_passes_posted_or_not() -> None:
    world = World()
    for posted in (True, False):
        world.add("payment/x1", {**PAYMENT, "posted": posted})
        assert world.check("payment/x1") == Verdict()


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("check", []),
        ("bitcoin", [(catalog.PAYMENT_METHOD_NOT_MAPPED, "method")]),
        ("card", [(catalog.PAYMENT_METHOD_NOT_MAPPED, "method")]),
    ],
)
def test_payment_methods(method: str, expected: list[Any]) -> None:
    world = World()
    world.add("payment/x1", {**PAYMENT, "method": method})
    verdict = world.check("payment/x1")
    assert found(verdict) == expected
    if expected:
        assert single(verdict) == {"name": method}


def test_a_payment_for_another_customers_invoice() -> None:
    world = World()
    world.add("customer/c2", {"display_name": "Jane Roe"})
    world.add("payment/x1", {**PAYMENT, "customer_id": "c2"})
    verdict = world.check("payment/x1")
    assert found(verdict) == [(catalog.PAYMENT_CUSTOMER_MISMATCH, "applied_to[0].invoice_id")]
    assert single(verdict)["number"] == "1001"


def test_a_payment_for_a_customer_inactive_in_quickbooks() -> None:
    world = World(person("Customer", "59", "Old Owner", active=False))
    world.add("customer/c5", {"display_name": "Old Owner"}, "Customer/59")
    world.add("payment/x1", {**PAYMENT, "customer_id": "c5", "applied_to": []})
    assert found(world.check("payment/x1")) == [
        (catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS, "customer_id")
    ]


@pytest.mark.parametrize(
    ("balance", "applied", "linked", "expected"),
    [
        (0, "50.00", False, "0.00"),
        (200, "50.00", False, None),
        ("30.5", "50.00", False, "30.50"),  # less left to pay than this payment puts on it
        (0, "50.00", True, None),  # a linked payment is that payment
        (0, "0.00", False, "0.00"),
    ],
)
def test_a_payment_for_an_invoice_already_paid_in_quickbooks(
    balance: object, applied: str, linked: bool, expected: str | None
) -> None:
    world = World(
        document("Invoice", "130", "1001", "58", Balance=balance),
        document("Payment", "300", "", "58", TotalAmt=50, TxnDate="2026-04-10"),
    )
    world.add("invoice/inv1", INVOICE, "Invoice/130")
    applied_to = [{"invoice_id": "inv1", "amount": applied}]
    world.add(
        "payment/x1", {**PAYMENT, "applied_to": applied_to}, "Payment/300" if linked else None
    )
    verdict = world.check("payment/x1")
    if expected is None:
        assert verdict.ok
        return
    assert found(verdict) == [(catalog.PAYMENT_INVOICE_ALREADY_PAID, "applied_to[0].invoice_id")]
    assert single(verdict)["open_balance"] == expected
    assert single(verdict)["number"] == "1001"


def quickbooks_payment(reference: str | None, amount: object = 50.0) -> MirrorObject:
    return qbo(
        "Payment",
        "300",
        CustomerRef={"value": "58"},
        TotalAmt=amount,
        TxnDate="2026-04-10",
        **({"PaymentRefNum": reference} if reference else {}),
    )


@pytest.mark.parametrize(
    ("payment", "link", "expected"),
    [
        (quickbooks_payment("CHK-1"), "300", []),
        (
            quickbooks_payment("CHK-2"),
            None,
            [
                (catalog.PAYMENT_ALREADY_IN_QUICKBOOKS, None),
                (catalog.PAYMENT_INVOICE_ALREADY_PAID, "applied_to[0].invoice_id"),
            ],
        ),
        (
            quickbooks_payment("CHK-1", amount="49.99"),
            None,
            [(catalog.PAYMENT_INVOICE_ALREADY_PAID, "applied_to[0].invoice_id")],
        ),
    ],
)
def test_a_payment_already_in_quickbooks(
    payment: MirrorObject, link: str | None, expected: list[Any]
) -> None:
    paid = document(
        "Invoice",
        "130",
        "1001",
        "58",
        Balance=0,
        LinkedTxn=[{"TxnId": "300", "TxnType": "Payment"}],
    )
    world = World(paid, payment)
    world.add("invoice/inv1", INVOICE, "Invoice/130")
    world.add("payment/x1", PAYMENT)
    verdict = world.check("payment/x1")
    assert (verdict.link_to.qbo_id if verdict.link_to else None) == link
    assert found(verdict) == expected


def test_a_partly_matching_payment_names_quickbooks_reference() -> None:
    paid = document(
        "Invoice",
        "130",
        "1001",
        "58",
        Balance=150,
        LinkedTxn=[{"TxnId": "300", "TxnType": "Payment"}],
    )
    world = World(paid, quickbooks_payment("CHK-2"))
    world.add("invoice/inv1", INVOICE, "Invoice/130")
    world.add("payment/x1", PAYMENT)
    assert single(world.check("payment/x1")) == {
        "quickbooks_id": "300",
        "amount": "50.00",
        "date": "2026-04-10",
        "reference": "CHK-2",
    }


def test_a_matching_payment_linked_to_another_app_payment_is_not_linked() -> None:
    paid = document(
        "Invoice",
        "130",
        "1001",
        "58",
        Balance=150,
        LinkedTxn=[{"TxnId": "300", "TxnType": "Payment"}],
    )
    world = World(paid, quickbooks_payment("CHK-1"))
    world.add("invoice/inv1", INVOICE, "Invoice/130")
    world.add("payment/p0", PAYMENT, "Payment/300")
    world.add("payment/x1", PAYMENT)
    verdict = world.check("payment/x1")
    assert verdict.link_to is None
    assert verdict.ok


def test_a_payment_typed_into_quickbooks_before_its_books_closed_is_still_linked() -> None:
    """Linking writes nothing to QuickBooks: closed books do not stop it (found by the demo)."""
    paid = document(
        "Invoice",
        "130",
        "1001",
        "58",
        Balance=0,
        LinkedTxn=[{"TxnId": "300", "TxnType": "Payment"}],
    )
    closed_june = {"AccountingInfoPrefs": {"BookCloseDate": "2026-06-30"}}  # after 2026-04-10
    world = World(paid, quickbooks_payment("CHK-1"), preferences=closed_june)
    world.add("invoice/inv1", INVOICE, "Invoice/130")
    world.add("payment/x1", PAYMENT)
    verdict = world.check("payment/x1")
    assert verdict.link_to is not None and verdict.link_to.qbo_id == "300"
    assert verdict.ok


# --- receipts, bills, purchase orders ---------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "entity", "data"),
    [("receipt", "Purchase", RECEIPT), ("bill", "Bill", BILL)],
)
@pytest.mark.parametrize(
    ("party", "linked", "taken"), [("12", False, True), ("13", False, False), ("12", True, False)]
)
def test_a_vendor_document_number_already_used_by_the_vendor(
    record_type: str, entity: str, data: dict[str, Any], party: str, linked: bool, taken: bool
) -> None:
    number = str(data["vendor_document_number"])
    world = World(document(entity, "400", number, party))
    world.add(f"{record_type}/x1", data, f"{entity}/400" if linked else None)
    verdict = world.check(f"{record_type}/x1")
    if not taken:
        assert verdict.ok
        return
    assert found(verdict) == [
        (catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN, "vendor_document_number")
    ]
    assert single(verdict) == {
        "number": number,
        "suggested": f"{number}-260415",
        "quickbooks_id": "400",
    }


def test_vendor_document_numbers_of_a_vendor_not_in_quickbooks_are_not_checked() -> None:
    world = World(document("Bill", "400", "B-9", "12"))
    world.add("vendor/v7", {"display_name": "New Vendor"})
    world.add("bill/x1", {**BILL, "vendor_id": "v7"})
    assert world.check("bill/x1").ok


def test_a_suggested_number_fits_in_21_characters() -> None:
    receipt = parse("receipt", {**RECEIPT, "vendor_document_number": "N" * 21})
    assert isinstance(receipt, Receipt)
    assert suggested_number("N" * 21, receipt) == "N" * 14 + "-260415"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"payment_account": "Checking"}, []),
        ({"payment_account": "Nowhere"}, [(catalog.ITEM_ACCOUNT_MISSING, "payment_account")]),
        (
            {"lines": [{"expense_account": "Nowhere", "amount": "1.00"}]},
            [(catalog.ITEM_ACCOUNT_MISSING, "lines[0].expense_account")],
        ),
        (
            {"lines": [{"expense_account": "Job Materials", "amount": "1.00", "class": "Retired"}]},
            [(catalog.CLASS_INACTIVE_IN_QUICKBOOKS, "lines[0].class")],
        ),
    ],
)
def test_receipt_accounts_and_classes(changes: dict[str, Any], expected: list[Any]) -> None:
    world = World()
    world.add("receipt/x1", {**RECEIPT, **changes})
    verdict = world.check("receipt/x1")
    assert found(verdict) == expected
    if expected and expected[0][1] == "payment_account":
        assert single(verdict) == {"name": "Nowhere", "field": "payment account"}


def test_vendor_documents_with_references_inactive_in_quickbooks() -> None:
    world = World(
        person("Vendor", "31", "Old Pipe", active=False),
        person("Customer", "59", "Old Owner", active=False),
        named("Item", "20", "Old Part", active=False),
    )
    world.add("vendor/v5", {"display_name": "Old Pipe"}, "Vendor/31")
    world.add("customer/c5", {"display_name": "Old Owner"}, "Customer/59")
    world.add("item/x5", {"name": "Old Part"}, "Item/20")
    lines = [{"item_id": "x5", "amount": "5.00", "customer_id": "c5"}]
    world.add("bill/x1", {**BILL, "vendor_id": "v5", "lines": lines})
    assert found(world.check("bill/x1")) == [
        (catalog.VENDOR_INACTIVE_IN_QUICKBOOKS, "vendor_id"),
        (catalog.ITEM_INACTIVE_IN_QUICKBOOKS, "lines[0].item_id"),
        (catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS, "lines[0].customer_id"),
    ]
    world.add(
        "purchase_order/x2",
        {
            **PURCHASE_ORDER,
            "vendor_id": "v5",
            "lines": [{"item_id": "x5", "quantity": "1", "unit_price": "5"}],
        },
    )
    assert found(world.check("purchase_order/x2")) == [
        (catalog.VENDOR_INACTIVE_IN_QUICKBOOKS, "vendor_id"),
        (catalog.ITEM_INACTIVE_IN_QUICKBOOKS, "lines[0].item_id"),
    ]


def vendor_numbering(custom: str) -> dict[str, Any]:
    pair = {"Name": "VendorAndPurchasesPrefs.UseCustomTxnNumbers", "Value": custom}
    return {"OtherPrefs": {"NameValue": [pair]}}


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        (vendor_numbering("true"), [(catalog.INVOICE_NUMBER_CONFLICT, "number")]),
        (vendor_numbering("false"), []),
        (CUSTOM_NUMBERS, []),  # the sales-forms preference says nothing about purchase orders
    ],
)
def test_purchase_order_number_conflicts(
    preferences: Mapping[str, Any], expected: list[Any]
) -> None:
    world = World(document("PurchaseOrder", "500", "PO-5", "12"), preferences=preferences)
    world.add("purchase_order/x1", PURCHASE_ORDER)
    verdict = world.check("purchase_order/x1")
    assert found(verdict) == expected
    if expected:
        assert single(verdict) == {"number": "PO-5", "quickbooks_id": "500"}


# --- documents already in QuickBooks (the first push) -----------------------------------------


def linked_to(verdict: Verdict) -> str | None:
    return verdict.link_to.qbo_id if verdict.link_to is not None else None


def test_an_invoice_with_the_same_number_customer_and_total_is_linked() -> None:
    world = World(document("Invoice", "150", "2001", "58", TotalAmt="200.00"))
    world.add("invoice/x1", {**INVOICE, "number": "2001"})
    verdict = world.check("invoice/x1")
    assert linked_to(verdict) == "150"
    assert verdict.ok


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"TotalAmt": "200.00"}, "150"),
        ({"TotalAmt": 200}, "150"),  # a JSON number, as QuickBooks sends it
        ({"TotalAmt": "216.00", "TxnTaxDetail": {"TotalTax": "16.00"}}, "150"),  # tax added
        ({"TotalAmt": "199.99"}, None),  # another amount
        ({"TotalAmt": "216.00", "TxnTaxDetail": {"TotalTax": "15.00"}}, None),
        ({"TotalAmt": "216.00"}, None),  # more, with no tax to explain it
        ({}, None),  # no total known
        ({"TotalAmt": "0", "PrivateNote": "Voided"}, None),  # voided there
    ],
)
def test_an_invoice_matches_only_on_its_total(fields: dict[str, Any], expected: str | None) -> None:
    world = World(document("Invoice", "150", "2001", "58", **fields))
    world.add("invoice/x1", {**INVOICE, "number": "2001"})
    assert linked_to(world.check("invoice/x1")) == expected


def test_an_invoice_of_another_customer_with_the_number_is_not_linked() -> None:
    world = World(
        person("Customer", "59", "Bay Homes"),
        document("Invoice", "150", "2001", "59", TotalAmt="200.00"),
    )
    world.add("invoice/x1", {**INVOICE, "number": "2001"})
    assert linked_to(world.check("invoice/x1")) is None
    world.add("customer/c2", {"display_name": "Bay Homes"}, "Customer/59")
    world.add("invoice/x2", {**INVOICE, "number": "2001", "customer_id": "c2"})
    assert linked_to(world.check("invoice/x2")) == "150"


def test_an_invoice_whose_customer_is_not_in_quickbooks_is_not_matched() -> None:
    world = World(document("Invoice", "150", "2001", "58", TotalAmt="200.00"))
    world.add("customer/c9", {"display_name": "New Customer"})
    world.add("invoice/x1", {**INVOICE, "number": "2001", "customer_id": "c9"})
    assert linked_to(world.check("invoice/x1")) is None


def test_an_invoice_linked_to_another_app_invoice_is_not_linked_again() -> None:
    world = World(document("Invoice", "150", "2001", "58", TotalAmt="200.00"))
    world.add("invoice/x0", {**INVOICE, "number": "2001"}, "Invoice/150")
    world.add("invoice/x1", {**INVOICE, "number": "2001"})
    assert linked_to(world.check("invoice/x1")) is None


def test_a_linked_invoice_is_never_matched_to_another() -> None:
    world = World(
        document("Invoice", "150", "2001", "58", TotalAmt="200.00"),
        document("Invoice", "151", "2001", "58", TotalAmt="200.00"),
    )
    world.add("invoice/x1", {**INVOICE, "number": "2001"}, "Invoice/150")
    assert linked_to(world.check("invoice/x1")) is None


@pytest.mark.parametrize(
    ("policies", "number", "expected"),
    [
        (ASK, "2001", "150"),
        (Policies(numbering="quickbooks"), "2001", None),  # no number is sent to compare
        (Policies(numbering="prefix", number_prefix="FS-"), "2001", "151"),
    ],
)
def test_the_number_compared_is_the_number_sent(
    policies: Policies, number: str, expected: str | None
) -> None:
    world = World(
        document("Invoice", "150", "2001", "58", TotalAmt="200.00"),
        document("Invoice", "151", "FS-2001", "58", TotalAmt="200.00"),
    )
    world.add("invoice/x1", {**INVOICE, "number": number})
    assert linked_to(world.check("invoice/x1", policies)) == expected


def test_a_matched_invoice_is_linked_without_the_checks_of_a_write() -> None:
    """Linking sends nothing: books closed on its date, its number held (by itself), an
    unmapped tax rate do not stop it."""
    prefs = {**CLOSED_MARCH, **CUSTOM_NUMBERS}
    world = World(document("Invoice", "150", "2001", "58", TotalAmt="200.00"), preferences=prefs)
    data = {**INVOICE, "number": "2001", "date": "2026-03-02", "tax_rate_id": "unmapped"}
    world.add("invoice/x1", data)
    verdict = world.check("invoice/x1")
    assert linked_to(verdict) == "150"
    assert verdict.ok and verdict.adjusted is None


def test_a_near_invoice_still_conflicts_on_its_number() -> None:
    world = World(
        document("Invoice", "150", "2001", "58", TotalAmt="250.00"), preferences=CUSTOM_NUMBERS
    )
    world.add("invoice/x1", {**INVOICE, "number": "2001"})
    verdict = world.check("invoice/x1")
    assert linked_to(verdict) is None
    assert found(verdict) == [(catalog.INVOICE_NUMBER_CONFLICT, "number")]


@pytest.mark.parametrize(
    ("record_type", "entity", "data", "total"),
    [
        ("receipt", "Purchase", RECEIPT, "12.50"),
        ("bill", "Bill", BILL, "80.00"),
        ("purchase_order", "PurchaseOrder", PURCHASE_ORDER, "450.00"),
    ],
)
@pytest.mark.parametrize(
    ("party", "amount", "linked"),
    [("12", None, True), ("13", None, False), ("12", "1.00", False)],
)
def test_vendor_documents_match_on_vendor_number_and_total(
    record_type: str,
    entity: str,
    data: dict[str, Any],
    total: str,
    party: str,
    amount: str | None,
    linked: bool,
) -> None:
    number = str(data.get("vendor_document_number") or data.get("number"))
    world = World(document(entity, "400", number, party, TotalAmt=amount or total))
    world.add(f"{record_type}/x1", data)
    verdict = world.check(f"{record_type}/x1")
    assert linked_to(verdict) == ("400" if linked else None)
    if linked:
        assert verdict.ok
    elif record_type != "purchase_order" and party == "12":
        # the vendor's number on another total: still the vendor's number taken
        assert found(verdict) == [
            (catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN, "vendor_document_number")
        ]


def test_a_receipt_without_a_vendor_document_number_is_never_matched() -> None:
    world = World(document("Purchase", "400", "", "12", TotalAmt="12.50"))
    world.add("receipt/x1", {**RECEIPT, "vendor_document_number": None})
    assert linked_to(world.check("receipt/x1")) is None


# --- the catalog ------------------------------------------------------------------------------


def test_every_code_preflight_names_is_a_catalog_constant() -> None:
    sources = [path.read_text() for path in PREFLIGHT_SOURCES.glob("*.py")]
    used = {name for text in sources for name in re.findall(r"catalog\.([A-Z_]+)\b", text)}
    assert len(used) > 20
    for constant in used:
        assert getattr(catalog, constant) in CODES, constant
    for text in sources:  # codes are never typed as string literals
        assert not re.search(LITERAL_CODE, text)
