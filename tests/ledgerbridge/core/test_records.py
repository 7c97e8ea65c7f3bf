"""Canonical records: parsing app JSON (every problem, by field path), defaults, writing back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.core.problems import (
    INPUT_INVALID,
    INPUT_REQUIRED,
    INPUT_UNKNOWN_FIELD,
    Params,
    Problem,
)
from ledgerbridge.core.records import (
    RECORD_TYPES,
    Address,
    AppliedPayment,
    Bill,
    Customer,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    Item,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Record,
    RecordKey,
    Vendor,
    display_name,
    parse_record,
    record_to_json,
    record_type,
)

# Examples: the least each type needs, and every field filled in.

MINIMAL: dict[str, dict[str, Any]] = {
    "customer": {"display_name": "Acme Roofing"},
    "vendor": {"company_name": "Supply Co"},
    "item": {"name": "Labour"},
    "invoice": {
        "customer_id": "c1",
        "date": "2024-03-01",
        "lines": [{"quantity": "1", "unit_price": "100"}],
    },
    "payment": {"customer_id": "c1", "date": "2024-03-05", "amount": "100", "method": "cash"},
    "receipt": {
        "vendor_id": "v1",
        "date": "2024-03-02",
        "payment_type": "cash",
        "payment_account": "Petty Cash",
        "lines": [{"expense_account": "Supplies", "amount": "12.50"}],
    },
    "bill": {
        "vendor_id": "v1",
        "vendor_document_number": "B-77",
        "date": "2024-03-02",
        "lines": [{"item_id": "i1", "amount": "40"}],
    },
    "purchase_order": {
        "vendor_id": "v1",
        "date": "2024-03-03",
        "lines": [{"quantity": "10", "unit_price": "4.25"}],
    },
}

ADDRESS = {
    "line1": "1 Main St",
    "line2": "Suite 2",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "02134",
    "country": "US",
}

FULL: dict[str, dict[str, Any]] = {
    "customer": {
        "display_name": "Smith House",
        "first_name": "Ann",
        "last_name": "Smith",
        "company_name": "Smith Holdings",
        "email": "ann@example.com",
        "phone": "+1 555 0100",
        "billing_address": ADDRESS,
        "parent_id": "c0",
        "kind": "property",
        "active": False,
        "notes": "Gate code 1234",
    },
    "vendor": {
        "display_name": "Supply Co (North)",
        "first_name": "Bob",
        "last_name": "Jones",
        "company_name": "Supply Co",
        "email": "orders@supply.example",
        "phone": "555-0101",
        "address": ADDRESS,
        "active": False,
    },
    "item": {
        "name": "Shingles",
        "sku": "SH-1",
        "type": "inventory",
        "description": "Asphalt shingles, bundle",
        "unit_price": "31.499",
        "purchase_cost": "20.125",
        "income_account": "Sales",
        "expense_account": "Cost of Goods Sold",
        "asset_account": "Inventory Asset",
        "quantity_on_hand": "120.5",
        "inventory_start_date": "2024-01-01",
        "taxable": True,
        "active": False,
    },
    "invoice": {
        "number": "INV-1001",
        "customer_id": "c1",
        "date": "2024-03-01",
        "due_date": "2024-03-31",
        "lines": [
            {
                "item_id": "i1",
                "description": "Roof repair",
                "quantity": "2.5",
                "unit_price": "80",
                "amount": "200.00",
                "class": "Residential",
                "taxable": True,
            },
            {
                "item_id": None,
                "description": "Discounted call-out",
                "quantity": "1",
                "unit_price": "0.005",
                "amount": "0.01",
                "class": None,
                "taxable": False,
            },
        ],
        "tax_rate_id": "tx-8",
        "class": "Residential",
        "memo": "Thank you",
        "status": "draft",
    },
    "payment": {
        "customer_id": "c1",
        "date": "2024-03-05",
        "amount": "250.00",
        "method": "check",
        "reference": "CHK-1042",
        "applied_to": [
            {"invoice_id": "inv1", "amount": "200.01"},
            {"invoice_id": "inv2", "amount": "49.99"},
        ],
        "posted": False,
    },
    "receipt": {
        "vendor_id": "v1",
        "vendor_document_number": "R-9",
        "date": "2024-03-02",
        "payment_type": "credit_card",
        "payment_account": "Visa",
        "lines": [
            {
                "expense_account": "Supplies",
                "item_id": None,
                "amount": "12.50",
                "description": "Nails",
                "class": "Residential",
                "customer_id": "c1",
            },
            {"item_id": "i2", "amount": "0.99"},
        ],
        "memo": "Hardware store",
    },
    "bill": {
        "vendor_id": "v1",
        "vendor_document_number": "B-77",
        "date": "2024-03-02",
        "due_date": "2024-04-01",
        "lines": [
            {"expense_account": "Subcontractors", "amount": "1000", "customer_id": "c1"},
            {"item_id": "i1", "amount": "40.10", "class": "Commercial"},
        ],
        "memo": "Net 30",
    },
    "purchase_order": {
        "number": "PO-5",
        "vendor_id": "v1",
        "date": "2024-03-03",
        "lines": [
            {"item_id": "i1", "description": "Shingles", "quantity": "10", "unit_price": "4.255"},
            {"description": "Delivery", "quantity": "1", "unit_price": "25"},
        ],
        "status": "closed",
        "memo": "Deliver Monday",
    },
}

RECORD_CLASSES: dict[str, type[Record]] = {
    "customer": Customer,
    "vendor": Vendor,
    "item": Item,
    "invoice": Invoice,
    "payment": Payment,
    "receipt": Receipt,
    "bill": Bill,
    "purchase_order": PurchaseOrder,
}


def parsed(record_type_name: str, data: Mapping[str, Any]) -> Any:
    """The record, failing the test with the problems when there are any."""
    result = parse_record(record_type_name, data)
    assert not isinstance(result, list), [problem.to_json() for problem in result]
    return result


def problems_of(record_type_name: str, data: Mapping[str, Any]) -> list[Problem]:
    result = parse_record(record_type_name, data)
    assert isinstance(result, list), f"expected problems, got {result!r}"
    return result


def found(record_type_name: str, data: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(code, field) of each problem, in order."""
    return [(p.code, p.field) for p in problems_of(record_type_name, data)]


def only_problem(record_type_name: str, data: Mapping[str, Any]) -> Problem:
    problems = problems_of(record_type_name, data)
    assert len(problems) == 1, [p.to_json() for p in problems]
    return problems[0]


def changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in base.items() if key not in keys}


def line_changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """``base`` with its first line changed."""
    lines = [dict(line) for line in base["lines"]]
    lines[0].update(changes)
    return changed(base, lines=lines)


# Problem values


class TestProblem:
    def test_to_json(self) -> None:
        problem = Problem(
            "record.field_too_long", "memo", "memo is too long", {"length": 5000, "limit": 4000}
        )
        assert problem.to_json() == {
            "code": "record.field_too_long",
            "field": "memo",
            "message": "memo is too long",
            "params": {"length": 5000, "limit": 4000},
        }
        assert json.loads(json.dumps(problem.to_json())) == problem.to_json()

    def test_params_default_to_empty(self) -> None:
        problem = Problem(INPUT_INVALID, None, "bad")
        assert dict(problem.params) == {}
        assert problem.to_json()["params"] == {}
        assert problem.to_json()["field"] is None

    def test_params_are_immutable_and_hashable(self) -> None:
        given = {"length": 30, "limit": 21}
        problem = Problem("record.field_too_long", "reference", "too long", given)
        given["length"] = 99  # the caller's dict is copied
        assert problem.params["length"] == 30
        assert isinstance(problem.params, Params)
        with pytest.raises(TypeError):
            problem.params["length"] = 1  # type: ignore[index]
        with pytest.raises(dataclasses.FrozenInstanceError):
            problem.code = "x"  # type: ignore[misc]
        same = Problem(
            "record.field_too_long", "reference", "too long", {"limit": 21, "length": 30}
        )
        assert problem == same
        assert hash(problem) == hash(same)
        assert len({problem, same}) == 1

    def test_params_mapping_behaviour(self) -> None:
        params = Params({"b": 1, "a": None})
        assert list(params) == ["b", "a"]  # order kept
        assert len(params) == 2
        assert params["a"] is None
        assert params.get("c", "default") == "default"
        with pytest.raises(KeyError):
            params["c"]
        assert params == {"a": None, "b": 1}
        assert params != {"a": None}
        assert params != ["a", "b"]
        assert repr(params) == "Params({'b': 1, 'a': None})"
        assert Params() == Params(None) == {}


# Each type: minimal and full examples, defaults, round trip


class TestParseExamples:
    @pytest.mark.parametrize("name", RECORD_TYPES)
    def test_minimal_example_parses(self, name: str) -> None:
        record = parsed(name, MINIMAL[name])
        assert isinstance(record, RECORD_CLASSES[name])
        assert record_type(record) == name

    @pytest.mark.parametrize("name", RECORD_TYPES)
    def test_full_example_parses(self, name: str) -> None:
        assert isinstance(parsed(name, FULL[name]), RECORD_CLASSES[name])

    @pytest.mark.parametrize("example", [MINIMAL, FULL], ids=["minimal", "full"])
    @pytest.mark.parametrize("name", RECORD_TYPES)
    def test_round_trip(self, name: str, example: dict[str, dict[str, Any]]) -> None:
        record = parsed(name, example[name])
        written = record_to_json(record)
        assert json.loads(json.dumps(written)) == written  # plain JSON
        assert parse_record(name, written) == record
        assert record_to_json(parse_record(name, written)) == written  # type: ignore[arg-type]

    def test_full_customer(self) -> None:
        assert parsed("customer", FULL["customer"]) == Customer(
            display_name="Smith House",
            first_name="Ann",
            last_name="Smith",
            company_name="Smith Holdings",
            email="ann@example.com",
            phone="+1 555 0100",
            billing_address=Address(
                line1="1 Main St",
                line2="Suite 2",
                city="Springfield",
                region="IL",
                postal_code="02134",
                country="US",
            ),
            parent_id="c0",
            kind="property",
            active=False,
            notes="Gate code 1234",
        )

    def test_full_item(self) -> None:
        item = parsed("item", FULL["item"])
        assert item == Item(
            name="Shingles",
            sku="SH-1",
            type="inventory",
            description="Asphalt shingles, bundle",
            unit_price=Decimal("31.499"),
            purchase_cost=Decimal("20.125"),
            income_account="Sales",
            expense_account="Cost of Goods Sold",
            asset_account="Inventory Asset",
            quantity_on_hand=Decimal("120.5"),
            inventory_start_date=dt.date(2024, 1, 1),
            taxable=True,
            active=False,
        )

    def test_full_invoice(self) -> None:
        invoice = parsed("invoice", FULL["invoice"])
        assert invoice.lines[0] == InvoiceLine(
            item_id="i1",
            description="Roof repair",
            quantity=Decimal("2.5"),
            unit_price=Decimal("80"),
            amount=Decimal("200.00"),
            class_name="Residential",
            taxable=True,
        )
        assert invoice.lines[1].amount == Decimal("0.01")
        assert invoice.date == dt.date(2024, 3, 1)
        assert invoice.due_date == dt.date(2024, 3, 31)
        assert invoice.class_name == "Residential"
        assert invoice.status == "draft"
        assert invoice.total == Decimal("200.01")

    def test_full_payment(self) -> None:
        payment = parsed("payment", FULL["payment"])
        assert payment.applied_to == (
            AppliedPayment(invoice_id="inv1", amount=Decimal("200.01")),
            AppliedPayment(invoice_id="inv2", amount=Decimal("49.99")),
        )
        assert payment.applied == Decimal("250.00")
        assert payment.posted is False
        assert payment.reference == "CHK-1042"

    def test_full_receipt_and_bill(self) -> None:
        receipt = parsed("receipt", FULL["receipt"])
        assert receipt.lines[0] == ExpenseLine(
            expense_account="Supplies",
            amount=Decimal("12.50"),
            description="Nails",
            class_name="Residential",
            customer_id="c1",
        )
        assert receipt.lines[1] == ExpenseLine(item_id="i2", amount=Decimal("0.99"))
        assert receipt.payment_type == "credit_card"
        assert receipt.total == Decimal("13.49")
        bill = parsed("bill", FULL["bill"])
        assert bill.vendor_document_number == "B-77"
        assert bill.due_date == dt.date(2024, 4, 1)
        assert bill.total == Decimal("1040.10")

    def test_full_purchase_order(self) -> None:
        order = parsed("purchase_order", FULL["purchase_order"])
        assert order.lines[0] == PurchaseOrderLine(
            item_id="i1",
            description="Shingles",
            quantity=Decimal("10"),
            unit_price=Decimal("4.255"),
        )
        assert order.lines[0].amount == Decimal("42.55")
        assert order.lines[1].amount == Decimal("25.00")
        assert order.total == Decimal("67.55")
        assert order.status == "closed"

    def test_defaults(self) -> None:
        customer = parsed("customer", MINIMAL["customer"])
        assert (customer.kind, customer.active, customer.billing_address) == (
            "customer",
            True,
            None,
        )
        vendor = parsed("vendor", MINIMAL["vendor"])
        assert (vendor.active, vendor.address) == (True, None)
        item = parsed("item", MINIMAL["item"])
        assert (item.type, item.active, item.taxable, item.unit_price) == (
            "service",
            True,
            None,
            None,
        )
        invoice = parsed("invoice", MINIMAL["invoice"])
        assert (invoice.status, invoice.number, invoice.due_date) == ("issued", None, None)
        assert invoice.lines[0].amount == Decimal("100.00")
        assert invoice.lines[0].taxable is None
        payment = parsed("payment", MINIMAL["payment"])
        assert (payment.posted, payment.applied_to, payment.applied) == (True, (), Decimal("0"))
        assert parsed("purchase_order", MINIMAL["purchase_order"]).status == "open"
        assert parsed("receipt", MINIMAL["receipt"]).vendor_document_number is None

    def test_explicit_nulls_take_the_defaults(self) -> None:
        customer = parsed("customer", changed(MINIMAL["customer"], kind=None, active=None))
        assert (customer.kind, customer.active) == ("customer", True)
        invoice = parsed("invoice", changed(MINIMAL["invoice"], status=None))
        assert invoice.status == "issued"

    def test_customer_json_shape(self) -> None:
        assert record_to_json(parsed("customer", MINIMAL["customer"])) == {
            "display_name": "Acme Roofing",
            "first_name": None,
            "last_name": None,
            "company_name": None,
            "email": None,
            "phone": None,
            "billing_address": None,
            "parent_id": None,
            "kind": "customer",
            "active": True,
            "notes": None,
        }

    def test_invoice_json_writes_amounts_as_strings(self) -> None:
        data = changed(MINIMAL["invoice"], lines=[{"quantity": 3, "unit_price": "0.335"}])
        written = record_to_json(parsed("invoice", data))
        assert written["date"] == "2024-03-01"
        assert written["lines"] == [
            {
                "item_id": None,
                "description": None,
                "quantity": "3",
                "unit_price": "0.335",
                "amount": "1.01",
                "class": None,
                "taxable": None,
            }
        ]
        assert written["class"] is None
        assert "class_name" not in written

    def test_records_are_frozen(self) -> None:
        customer = parsed("customer", MINIMAL["customer"])
        with pytest.raises(dataclasses.FrozenInstanceError):
            customer.display_name = "Other"
        invoice = parsed("invoice", MINIMAL["invoice"])
        assert isinstance(invoice.lines, tuple)
        assert hash(invoice) == hash(parsed("invoice", MINIMAL["invoice"]))

    def test_records_built_directly(self) -> None:
        invoice = Invoice(
            customer_id="c1",
            date=dt.date(2024, 1, 2),
            lines=(
                InvoiceLine(
                    quantity=Decimal("1"), unit_price=Decimal("9.99"), amount=Decimal("9.99")
                ),
            ),
        )
        assert parse_record("invoice", record_to_json(invoice)) == invoice
        payment = Payment(
            customer_id="c", date=dt.date(2024, 1, 2), amount=Decimal("1.00"), method="cash"
        )
        assert record_to_json(payment)["applied_to"] == []
        assert parse_record("payment", record_to_json(payment)) == payment


# Field types


class TestFieldTypes:
    def test_ids_and_numbers_accept_integers(self) -> None:
        data = changed(MINIMAL["invoice"], customer_id=42, number=1001, tax_rate_id=3)
        data = line_changed(data, item_id=7)
        invoice = parsed("invoice", data)
        assert (invoice.customer_id, invoice.number, invoice.tax_rate_id) == ("42", "1001", "3")
        assert invoice.lines[0].item_id == "7"
        bill = parsed("bill", changed(MINIMAL["bill"], vendor_document_number=99))
        assert bill.vendor_document_number == "99"

    @pytest.mark.parametrize("bad", [True, 1.5, ["c1"], {"id": "c1"}])
    def test_ids_refuse_other_types(self, bad: object) -> None:
        problem = only_problem("invoice", changed(MINIMAL["invoice"], customer_id=bad))
        assert (problem.code, problem.field) == (INPUT_INVALID, "customer_id")
        assert problem.message.startswith("expected a string (or an integer), got ")

    @pytest.mark.parametrize(
        ("bad", "shown"), [(12, "12"), (True, "true"), (["x"], "a list"), ({"a": 1}, "an object")]
    )
    def test_text_fields_need_strings(self, bad: object, shown: str) -> None:
        problem = only_problem("customer", changed(MINIMAL["customer"], notes=bad))
        assert (problem.code, problem.field) == (INPUT_INVALID, "notes")
        assert problem.message == f"expected a string, got {shown}"

    @pytest.mark.parametrize("blank", ["", "   ", "\t\n", None])
    def test_blank_and_null_mean_absent(self, blank: object) -> None:
        customer = parsed("customer", changed(MINIMAL["customer"], phone=blank, email=blank))
        assert customer.phone is None
        assert customer.email is None
        item = parsed(
            "item", changed(MINIMAL["item"], unit_price=blank, inventory_start_date=blank)
        )
        assert item.unit_price is None
        assert item.inventory_start_date is None

    def test_text_is_kept_as_given(self) -> None:
        customer = parsed("customer", changed(MINIMAL["customer"], notes="  two\n lines "))
        assert customer.notes == "  two\n lines "

    @pytest.mark.parametrize(
        ("bad", "shown"), [("true", '"true"'), (1, "1"), (0, "0"), ("yes", '"yes"')]
    )
    def test_booleans_must_be_json_booleans(self, bad: object, shown: str) -> None:
        problem = only_problem("customer", changed(MINIMAL["customer"], active=bad))
        assert (problem.code, problem.field) == (INPUT_INVALID, "active")
        assert problem.message == f"expected true or false, got {shown}"
        problem = only_problem("item", changed(MINIMAL["item"], taxable=bad))
        assert problem.field == "taxable"

    @pytest.mark.parametrize(
        ("given", "expected"),
        [("12.5", "12.50"), (12, "12.00"), ("0", "0.00"), (Decimal("3.1"), "3.10")],
    )
    def test_amounts(self, given: object, expected: str) -> None:
        payment = parsed("payment", changed(MINIMAL["payment"], amount=given))
        assert str(payment.amount) == expected

    def test_float_amount_says_send_strings(self) -> None:
        problem = only_problem("payment", changed(MINIMAL["payment"], amount=12.5))
        assert (problem.code, problem.field) == (INPUT_INVALID, "amount")
        assert problem.message == (
            'expected a decimal string like "12.50", got 12.5: send amounts as strings, '
            "a float cannot hold them exactly"
        )

    def test_float_quantity_says_send_strings(self) -> None:
        problem = only_problem("invoice", line_changed(MINIMAL["invoice"], quantity=2.0))
        assert problem.field == "lines[0].quantity"
        assert problem.message.startswith('expected a decimal string like "0.75", got 2.0')
        assert "send quantities and prices as strings" in problem.message

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("12.345", '"12.345" has more than 2 decimal places'),
            ("12,50", 'expected a decimal string like "12.50", got "12,50"'),
            ("NaN", 'expected a decimal string like "12.50", got "NaN"'),
            ("1e3", 'expected a decimal string like "12.50", got "1e3"'),
            (True, 'expected a decimal string like "12.50", got true'),
            ([1], 'expected a decimal string like "12.50", got a list'),
            ("-5", 'must not be negative, got "-5"'),
            (-1, "must not be negative, got -1"),
            (
                "10000000000000",
                '"10000000000000" is too large: at most 13 digits before the decimal point',
            ),
        ],
    )
    def test_bad_amounts(self, bad: object, message: str) -> None:
        problem = only_problem("payment", changed(MINIMAL["payment"], amount=bad))
        assert (problem.code, problem.field, problem.message) == (INPUT_INVALID, "amount", message)

    def test_zero_is_not_negative(self) -> None:
        assert parsed("payment", changed(MINIMAL["payment"], amount="-0")).amount == 0

    def test_quantities_allow_six_places(self) -> None:
        item = parsed("item", changed(MINIMAL["item"], unit_price="0.123456", quantity_on_hand=5))
        assert item.unit_price == Decimal("0.123456")
        assert str(item.quantity_on_hand) == "5"
        problem = only_problem("item", changed(MINIMAL["item"], purchase_cost="0.1234567"))
        assert (problem.field, problem.message) == (
            "purchase_cost",
            '"0.1234567" has more than 6 decimal places',
        )

    @pytest.mark.parametrize("field", ["unit_price", "purchase_cost", "quantity_on_hand"])
    def test_negative_quantities(self, field: str) -> None:
        problem = only_problem("item", changed(MINIMAL["item"], **{field: "-1"}))
        assert (problem.code, problem.field) == (INPUT_INVALID, field)
        assert problem.message == 'must not be negative, got "-1"'

    def test_dates(self) -> None:
        payment = parsed("payment", changed(MINIMAL["payment"], date="2024-02-29"))
        assert payment.date == dt.date(2024, 2, 29)
        payment = parsed("payment", changed(MINIMAL["payment"], date=dt.date(2024, 5, 6)))
        assert payment.date == dt.date(2024, 5, 6)

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("2024-3-1", 'expected a date like "2024-01-31" (YYYY-MM-DD), got "2024-3-1"'),
            ("20240301", 'expected a date like "2024-01-31" (YYYY-MM-DD), got "20240301"'),
            (
                "2024-03-01T10:00:00",
                'expected a date like "2024-01-31" (YYYY-MM-DD), got "2024-03-01T10:00:00"',
            ),
            ("01/03/2024", 'expected a date like "2024-01-31" (YYYY-MM-DD), got "01/03/2024"'),
            (20240301, 'expected a date like "2024-01-31" (YYYY-MM-DD), got 20240301'),
            (
                dt.datetime(2024, 3, 1, 10, 0),
                'expected a date like "2024-01-31" (YYYY-MM-DD), got a datetime',
            ),
            ("2023-02-29", '"2023-02-29" is not a calendar date: day is out of range for month'),
            ("2024-13-01", '"2024-13-01" is not a calendar date: month must be in 1..12'),
        ],
    )
    def test_bad_dates(self, bad: object, message: str) -> None:
        problem = only_problem("payment", changed(MINIMAL["payment"], date=bad))
        assert (problem.code, problem.field, problem.message) == (INPUT_INVALID, "date", message)

    @pytest.mark.parametrize(
        ("name", "field", "bad", "expected"),
        [
            ("customer", "kind", "Job", '"customer", "property", "job"'),
            ("item", "type", "product", '"service", "non_inventory", "inventory", "bundle"'),
            ("invoice", "status", "paid", '"draft", "issued", "void"'),
            ("receipt", "payment_type", "card", '"cash", "check", "credit_card"'),
            ("purchase_order", "status", 1, '"open", "closed"'),
        ],
    )
    def test_choices(self, name: str, field: str, bad: object, expected: str) -> None:
        problem = only_problem(name, changed(MINIMAL[name], **{field: bad}))
        assert (problem.code, problem.field) == (INPUT_INVALID, field)
        assert problem.message == f"expected one of {expected}, got {json.dumps(bad)}"

    def test_nested_object_must_be_an_object(self) -> None:
        problem = only_problem("customer", changed(MINIMAL["customer"], billing_address="1 Main"))
        assert (problem.code, problem.field, problem.message) == (
            INPUT_INVALID,
            "billing_address",
            'expected an object, got "1 Main"',
        )

    def test_lists_must_be_lists_of_objects(self) -> None:
        problem = only_problem("invoice", changed(MINIMAL["invoice"], lines={"quantity": "1"}))
        assert (problem.field, problem.message) == (
            "lines",
            "expected a list of objects, got an object",
        )
        problems = problems_of(
            "payment",
            changed(MINIMAL["payment"], applied_to=[{"invoice_id": "a", "amount": "1"}, "b", None]),
        )
        assert [(p.field, p.message) for p in problems] == [
            ("applied_to[1]", 'expected an object, got "b"'),
            ("applied_to[2]", "expected an object, got null"),
        ]

    def test_long_values_are_shortened_in_messages(self) -> None:
        problem = only_problem("payment", changed(MINIMAL["payment"], amount="9" * 100))
        assert (
            problem.message
            == '"' + "9" * 56 + "... is too large: at most 13 digits before the decimal point"
        )
        problem = only_problem("customer", changed(MINIMAL["customer"], active="x" * 100))
        assert problem.message == "expected true or false, got " + '"' + "x" * 56 + "..."


# Paths, completeness, unknown fields


class TestProblemsReported:
    def test_paths_name_nested_fields(self) -> None:
        data = changed(
            MINIMAL["invoice"],
            lines=[
                {"quantity": "1", "unit_price": "1"},
                {"quantity": "1", "unit_price": "1"},
                {"quantity": "1", "unit_price": "1.1234567"},
            ],
        )
        assert found("invoice", data) == [(INPUT_INVALID, "lines[2].unit_price")]
        data = changed(MINIMAL["customer"], billing_address={"postal_code": 2134})
        assert found("customer", data) == [(INPUT_INVALID, "billing_address.postal_code")]
        data = changed(MINIMAL["payment"], applied_to=[{"amount": "1"}])
        assert found("payment", data) == [(INPUT_REQUIRED, "applied_to[0].invoice_id")]
        data = changed(MINIMAL["vendor"], address={"city": ["x"]})
        assert found("vendor", data) == [(INPUT_INVALID, "address.city")]

    def test_every_problem_of_a_record_is_reported(self) -> None:
        data = {
            "customer_id": None,
            "date": "yesterday",
            "due_date": "2024-02-30",
            "lines": [
                {"quantity": 1.5, "unit_price": "-2", "amount": "x", "taxable": "no", "qty": 1},
                7,
                {"quantity": "1", "unit_price": "2", "amount": "3.00", "class": 5},
            ],
            "status": "paid",
            "memo": 1,
            "custmer": "c1",
        }
        assert found("invoice", data) == [
            (INPUT_REQUIRED, "customer_id"),
            (INPUT_INVALID, "date"),
            (INPUT_INVALID, "due_date"),
            (INPUT_INVALID, "lines[0].quantity"),
            (INPUT_INVALID, "lines[0].unit_price"),
            (INPUT_INVALID, "lines[0].amount"),
            (INPUT_INVALID, "lines[0].taxable"),
            (INPUT_UNKNOWN_FIELD, "lines[0].qty"),
            (INPUT_INVALID, "lines[1]"),
            (INPUT_INVALID, "lines[2].class"),
            (INPUT_INVALID, "lines[2].amount"),
            (INPUT_INVALID, "memo"),
            (INPUT_INVALID, "status"),
            (INPUT_UNKNOWN_FIELD, "custmer"),
        ]

    def test_unknown_fields_are_named_with_a_suggestion(self) -> None:
        problems = problems_of("customer", changed(MINIMAL["customer"], emial="a@b.co", zzz=1))
        assert [(p.code, p.field, p.message, dict(p.params)) for p in problems] == [
            (
                INPUT_UNKNOWN_FIELD,
                "emial",
                'unknown field "emial"; did you mean "email"?',
                {"suggestion": "email"},
            ),
            (INPUT_UNKNOWN_FIELD, "zzz", 'unknown field "zzz"', {}),
        ]

    def test_unknown_fields_in_nested_objects_and_lines(self) -> None:
        data = changed(FULL["customer"], billing_address={**ADDRESS, "zip": "1"})
        assert found("customer", data) == [(INPUT_UNKNOWN_FIELD, "billing_address.zip")]
        data = line_changed(MINIMAL["receipt"], account="Supplies")
        assert found("receipt", data) == [(INPUT_UNKNOWN_FIELD, "lines[0].account")]
        data = changed(MINIMAL["payment"], applied_to=[{"invoice_id": "a", "amount": "1", "x": 1}])
        assert found("payment", data) == [(INPUT_UNKNOWN_FIELD, "applied_to[0].x")]

    def test_json_keys_are_used_not_attribute_names(self) -> None:
        data = changed(MINIMAL["invoice"], class_name="Residential")
        assert found("invoice", data) == [(INPUT_UNKNOWN_FIELD, "class_name")]
        data = line_changed(MINIMAL["invoice"], class_name="Residential")
        assert found("invoice", data) == [(INPUT_UNKNOWN_FIELD, "lines[0].class_name")]
        # "total" is computed, never input
        data = changed(MINIMAL["invoice"], total="100.00")
        assert found("invoice", data) == [(INPUT_UNKNOWN_FIELD, "total")]

    def test_non_string_keys_are_unknown_fields(self) -> None:
        data: dict[Any, Any] = {**MINIMAL["customer"], 1: "x"}
        assert found("customer", data) == [(INPUT_UNKNOWN_FIELD, "1")]

    @pytest.mark.parametrize(
        ("name", "required"),
        [
            ("item", ["name"]),
            ("invoice", ["customer_id", "date"]),
            ("payment", ["customer_id", "date", "amount", "method"]),
            ("receipt", ["vendor_id", "date", "payment_type", "payment_account"]),
            ("bill", ["vendor_id", "vendor_document_number", "date"]),
            ("purchase_order", ["vendor_id", "date"]),
        ],
    )
    def test_required_fields(self, name: str, required: list[str]) -> None:
        problems = problems_of(name, without(MINIMAL[name], *required))
        assert [(p.code, p.field, p.message) for p in problems] == [
            (INPUT_REQUIRED, field, f"{field} is required") for field in required
        ]
        blank = {field: "  " for field in required}
        assert found(name, changed(MINIMAL[name], **blank)) == [
            (INPUT_REQUIRED, field) for field in required
        ]

    @pytest.mark.parametrize(
        ("name", "required"),
        [
            ("invoice", ["quantity", "unit_price"]),
            ("receipt", ["amount"]),
            ("bill", ["amount"]),
            ("purchase_order", ["quantity", "unit_price"]),
        ],
    )
    def test_required_line_fields(self, name: str, required: list[str]) -> None:
        lines = [without(MINIMAL[name]["lines"][0], *required)]
        assert found(name, changed(MINIMAL[name], lines=lines)) == [
            (INPUT_REQUIRED, f"lines[0].{field}") for field in required
        ]

    def test_applied_payment_required_fields(self) -> None:
        data = changed(MINIMAL["payment"], applied_to=[{}])
        assert found("payment", data) == [
            (INPUT_REQUIRED, "applied_to[0].invoice_id"),
            (INPUT_REQUIRED, "applied_to[0].amount"),
        ]

    @pytest.mark.parametrize("bad", [None, [], "x", 3, [1, 2]])
    def test_record_must_be_an_object(self, bad: Any) -> None:
        problem = only_problem("customer", bad)
        assert (problem.code, problem.field) == (INPUT_INVALID, None)
        assert problem.message.startswith("expected a JSON object, got ")

    def test_unknown_record_type(self) -> None:
        problem = only_problem("estimate", {})
        assert (problem.code, problem.field) == (INPUT_INVALID, None)
        assert problem.message == (
            'unknown record type "estimate"; expected one of customer, vendor, item, invoice, '
            "payment, receipt, bill, purchase_order"
        )
        assert dict(problem.params) == {"type": "estimate"}


# Business rules that need only the record


class TestCustomerRules:
    @pytest.mark.parametrize(
        "names",
        [
            {},
            {"display_name": "   "},
            {"display_name": None, "first_name": "", "last_name": None, "company_name": " \t"},
        ],
    )
    def test_name_missing(self, names: dict[str, Any]) -> None:
        problem = only_problem("customer", names)
        assert (problem.code, problem.field) == ("customer.name_missing", "display_name")
        assert "display_name" in problem.message

    @pytest.mark.parametrize(
        "names",
        [
            {"display_name": "A"},
            {"first_name": "Ann"},
            {"last_name": "Smith"},
            {"company_name": "Acme"},
        ],
    )
    def test_any_name_will_do(self, names: dict[str, Any]) -> None:
        assert isinstance(parse_record("customer", names), Customer)

    def test_malformed_name_is_not_also_missing(self) -> None:
        assert found("customer", {"display_name": 5}) == [(INPUT_INVALID, "display_name")]

    @pytest.mark.parametrize(
        "email",
        [
            "ann",
            "ann@example",
            "@example.com",
            "ann@@example.com",
            "ann smith@x.com",
            " ann@example.com",
            "ann@example.com, bob@example.com",
        ],
    )
    def test_email_invalid(self, email: str) -> None:
        problem = only_problem("customer", changed(MINIMAL["customer"], email=email))
        assert (problem.code, problem.field) == ("customer.email_invalid", "email")
        assert problem.message == f"{json.dumps(email)} is not an e-mail address"
        assert dict(problem.params) == {"email": email}

    @pytest.mark.parametrize("email", ["ann@example.com", "a.b+c@mail.example.co.uk", "x@y.z"])
    def test_email_valid(self, email: str) -> None:
        assert parsed("customer", changed(MINIMAL["customer"], email=email)).email == email

    def test_email_of_wrong_type_is_input_invalid(self) -> None:
        assert found("customer", changed(MINIMAL["customer"], email=1)) == [
            (INPUT_INVALID, "email")
        ]

    @pytest.mark.parametrize("kind", ["property", "job"])
    def test_parent_required_for_properties_and_jobs(self, kind: str) -> None:
        problem = only_problem("customer", changed(MINIMAL["customer"], kind=kind))
        assert (problem.code, problem.field) == (INPUT_REQUIRED, "parent_id")
        assert f'when kind is "{kind}"' in problem.message
        child = parsed("customer", changed(MINIMAL["customer"], kind=kind, parent_id=12))
        assert (child.kind, child.parent_id) == (kind, "12")

    def test_bad_parent_is_reported_once(self) -> None:
        data = changed(MINIMAL["customer"], kind="job", parent_id=True)
        assert found("customer", data) == [(INPUT_INVALID, "parent_id")]

    def test_plain_customer_may_have_a_parent(self) -> None:
        assert parsed("customer", changed(MINIMAL["customer"], parent_id="c0")).parent_id == "c0"

    def test_all_customer_problems_together(self) -> None:
        data = {"kind": "job", "email": "nope", "active": "yes"}
        assert found("customer", data) == [
            (INPUT_INVALID, "active"),
            ("customer.name_missing", "display_name"),
            ("customer.email_invalid", "email"),
            (INPUT_REQUIRED, "parent_id"),
        ]


class TestVendorRules:
    def test_name_missing(self) -> None:
        problem = only_problem("vendor", {"phone": "555"})
        assert (problem.code, problem.field) == (INPUT_REQUIRED, "display_name")
        assert "a vendor needs a display_name" in problem.message

    def test_email_invalid(self) -> None:
        problem = only_problem("vendor", changed(MINIMAL["vendor"], email="orders"))
        assert (problem.code, problem.field) == (INPUT_INVALID, "email")


class TestDisplayName:
    @pytest.mark.parametrize(
        ("names", "expected"),
        [
            ({"display_name": "  Acme   Roofing "}, "Acme Roofing"),
            ({"display_name": "Acme", "first_name": "Ann", "company_name": "X"}, "Acme"),
            ({"first_name": " Ann ", "last_name": "Smith"}, "Ann Smith"),
            ({"first_name": "Ann", "company_name": "X"}, "Ann"),
            ({"last_name": "Smith"}, "Smith"),
            ({"first_name": "Mary\tAnn", "last_name": " van  Dyke"}, "Mary Ann van Dyke"),
            ({"display_name": "   ", "company_name": " Acme\nInc "}, "Acme Inc"),
            ({"first_name": "  ", "company_name": "Acme"}, "Acme"),
            ({}, ""),
        ],
    )
    def test_display_name(self, names: dict[str, Any], expected: str) -> None:
        assert display_name(Customer(**names)) == expected
        assert display_name(Vendor(**names)) == expected


class TestInvoiceRules:
    @pytest.mark.parametrize("lines", [[], None, "", "missing"])
    def test_no_lines(self, lines: Any) -> None:
        data = (
            without(MINIMAL["invoice"], "lines")
            if lines == "missing"
            else changed(MINIMAL["invoice"], lines=lines)
        )
        problem = only_problem("invoice", data)
        assert (problem.code, problem.field, problem.message) == (
            "invoice.no_lines",
            "lines",
            "an invoice needs at least one line",
        )

    def test_lines_all_malformed_is_not_no_lines(self) -> None:
        assert found("invoice", changed(MINIMAL["invoice"], lines=[1])) == [
            (INPUT_INVALID, "lines[0]")
        ]

    @pytest.mark.parametrize(
        ("qty", "price", "amount"),
        [
            ("1", "100", "100.00"),
            ("3", "0.335", "1.01"),
            ("2.5", "19.99", "49.98"),
            ("0", "5", "0.00"),
            ("1.5", "0.01", "0.02"),
        ],
    )
    def test_line_amount_defaults_to_quantity_times_price(
        self, qty: str, price: str, amount: str
    ) -> None:
        data = line_changed(MINIMAL["invoice"], quantity=qty, unit_price=price)
        line = parsed("invoice", data).lines[0]
        assert str(line.amount) == amount
        given = line_changed(data, amount=amount)
        assert parsed("invoice", given).lines[0].amount == Decimal(amount)

    def test_line_amount_given_as_integer(self) -> None:
        data = line_changed(MINIMAL["invoice"], quantity=2, unit_price=50, amount=100)
        line = parsed("invoice", data).lines[0]
        assert (str(line.quantity), str(line.unit_price), str(line.amount)) == ("2", "50", "100.00")

    def test_line_amount_must_match(self) -> None:
        data = line_changed(MINIMAL["invoice"], quantity="3", unit_price="0.335", amount="1.00")
        problem = only_problem("invoice", data)
        assert (problem.code, problem.field) == (INPUT_INVALID, "lines[0].amount")
        assert "1.00" in problem.message
        assert "1.01" in problem.message
        assert dict(problem.params) == {"given": "1.00", "computed": "1.01"}

    def test_line_amount_not_checked_against_bad_factors(self) -> None:
        data = line_changed(MINIMAL["invoice"], quantity="x", amount="1.00")
        assert found("invoice", data) == [(INPUT_INVALID, "lines[0].quantity")]

    def test_line_amount_too_large(self) -> None:
        data = line_changed(MINIMAL["invoice"], quantity="1000000", unit_price="100000000")
        problem = only_problem("invoice", data)
        assert (problem.code, problem.field) == (INPUT_INVALID, "lines[0].amount")
        assert "too large" in problem.message

    @pytest.mark.parametrize("field", ["quantity", "unit_price", "amount"])
    def test_negative_line_figures(self, field: str) -> None:
        data = line_changed(MINIMAL["invoice"], **{field: "-1"})
        assert found("invoice", data) == [(INPUT_INVALID, f"lines[0].{field}")]

    def test_total(self) -> None:
        data = changed(
            MINIMAL["invoice"],
            lines=[
                {"quantity": "3", "unit_price": "0.335"},
                {"quantity": "1", "unit_price": "10", "amount": "10.00"},
                {"quantity": "2", "unit_price": "0.125"},
            ],
        )
        assert str(parsed("invoice", data).total) == "11.26"


class TestPaymentRules:
    def test_applied_above_amount(self) -> None:
        data = changed(
            MINIMAL["payment"],
            amount="100",
            applied_to=[
                {"invoice_id": "a", "amount": "60"},
                {"invoice_id": "b", "amount": "40.01"},
            ],
        )
        problem = only_problem("payment", data)
        assert (problem.code, problem.field) == (INPUT_INVALID, "applied_to")
        assert dict(problem.params) == {"applied": "100.01", "amount": "100.00"}
        assert "100.01" in problem.message

    def test_applied_up_to_amount_is_fine(self) -> None:
        data = changed(
            MINIMAL["payment"],
            amount="100",
            applied_to=[{"invoice_id": "a", "amount": "60"}, {"invoice_id": "b", "amount": 40}],
        )
        assert parsed("payment", data).applied == Decimal("100.00")
        partly = changed(data, applied_to=[{"invoice_id": "a", "amount": "1"}])
        assert parsed("payment", partly).applied == Decimal("1.00")

    def test_excess_still_found_next_to_a_bad_applied_amount(self) -> None:
        data = changed(
            MINIMAL["payment"],
            amount="10",
            applied_to=[{"invoice_id": "a", "amount": 1.5}, {"invoice_id": "b", "amount": "11"}],
        )
        assert found("payment", data) == [
            (INPUT_INVALID, "applied_to[0].amount"),
            (INPUT_INVALID, "applied_to"),
        ]

    def test_no_excess_check_against_a_bad_amount(self) -> None:
        data = changed(
            MINIMAL["payment"], amount="x", applied_to=[{"invoice_id": "a", "amount": "1"}]
        )
        assert found("payment", data) == [(INPUT_INVALID, "amount")]

    def test_negative_applied_amount(self) -> None:
        data = changed(MINIMAL["payment"], applied_to=[{"invoice_id": "a", "amount": "-1"}])
        assert found("payment", data) == [(INPUT_INVALID, "applied_to[0].amount")]

    def test_applied_to_must_be_a_list(self) -> None:
        data = changed(MINIMAL["payment"], applied_to={"invoice_id": "a", "amount": "1"})
        assert found("payment", data) == [(INPUT_INVALID, "applied_to")]

    def test_not_posted_is_still_a_valid_record(self) -> None:
        assert parsed("payment", changed(MINIMAL["payment"], posted=False)).posted is False


class TestVendorDocumentRules:
    @pytest.mark.parametrize("name", ["receipt", "bill"])
    @pytest.mark.parametrize(
        ("line", "found_"),
        [
            ({"amount": "1"}, "neither"),
            ({"amount": "1", "expense_account": "Supplies", "item_id": "i1"}, "both"),
            ({"amount": "1", "expense_account": " ", "item_id": None}, "neither"),
        ],
    )
    def test_expense_line_needs_exactly_one_target(
        self, name: str, line: dict[str, Any], found_: str
    ) -> None:
        problem = only_problem(name, changed(MINIMAL[name], lines=[line]))
        assert (problem.code, problem.field) == (INPUT_INVALID, "lines[0].expense_account")
        assert problem.message == (
            f"a line needs exactly one of expense_account and item_id, got {found_}"
        )

    def test_bad_target_is_reported_once(self) -> None:
        data = changed(MINIMAL["bill"], lines=[{"amount": "1", "item_id": 1.5}])
        assert found("bill", data) == [(INPUT_INVALID, "lines[0].item_id")]

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("receipt", "a receipt needs at least one line"),
            ("bill", "a bill needs at least one line"),
            ("purchase_order", "a purchase order needs at least one line"),
        ],
    )
    def test_lines_required(self, name: str, message: str) -> None:
        for data in (changed(MINIMAL[name], lines=[]), without(MINIMAL[name], "lines")):
            problem = only_problem(name, data)
            assert (problem.code, problem.field, problem.message) == (
                INPUT_REQUIRED,
                "lines",
                message,
            )

    def test_bill_needs_vendor_document_number(self) -> None:
        problem = only_problem("bill", without(MINIMAL["bill"], "vendor_document_number"))
        assert (problem.code, problem.field) == (INPUT_REQUIRED, "vendor_document_number")

    @pytest.mark.parametrize("name", ["receipt", "bill"])
    def test_negative_expense_amount(self, name: str) -> None:
        data = line_changed(MINIMAL[name], amount="-12.50")
        assert found(name, data) == [(INPUT_INVALID, "lines[0].amount")]

    @pytest.mark.parametrize("field", ["quantity", "unit_price"])
    def test_negative_purchase_order_figures(self, field: str) -> None:
        data = line_changed(MINIMAL["purchase_order"], **{field: "-1"})
        assert found("purchase_order", data) == [(INPUT_INVALID, f"lines[0].{field}")]

    def test_purchase_order_line_too_large(self) -> None:
        data = line_changed(MINIMAL["purchase_order"], quantity="1000000", unit_price="100000000")
        problem = only_problem("purchase_order", data)
        assert (problem.code, problem.field) == (INPUT_INVALID, "lines[0]")
        assert "too large" in problem.message

    def test_purchase_order_rejects_amount(self) -> None:
        data = line_changed(MINIMAL["purchase_order"], amount="42.50")
        assert found("purchase_order", data) == [(INPUT_UNKNOWN_FIELD, "lines[0].amount")]


# The type table


class TestRecordTypes:
    def test_record_types(self) -> None:
        assert RECORD_TYPES == (
            "customer",
            "vendor",
            "item",
            "invoice",
            "payment",
            "receipt",
            "bill",
            "purchase_order",
        )
        assert set(RECORD_CLASSES) == set(RECORD_TYPES)

    def test_record_key(self) -> None:
        key = RecordKey("invoice", "INV-1")
        assert str(key) == "invoice/INV-1"
        assert key == RecordKey(type="invoice", app_id="INV-1")
        assert len({key, RecordKey("invoice", "INV-1"), RecordKey("bill", "INV-1")}) == 2
        with pytest.raises(dataclasses.FrozenInstanceError):
            key.app_id = "x"  # type: ignore[misc]


class TestHostileInput:
    """Input no JSON parser would normally produce still gives problems, never exceptions."""

    def test_huge_integers(self) -> None:
        huge = 10**5000  # str() of it raises in Python 3.11
        data = changed(MINIMAL["payment"], customer_id=huge, amount=huge, reference=-huge)
        assert [(p.field, p.message) for p in problems_of("payment", data)] == [
            ("customer_id", "expected a string (or an integer), got a very large integer"),
            (
                "amount",
                "a very large integer is too large: at most 13 digits before the decimal point",
            ),
            ("reference", "expected a string (or an integer), got a very large integer"),
        ]
        assert found("customer", changed(MINIMAL["customer"], notes=huge)) == [
            (INPUT_INVALID, "notes")
        ]

    def test_special_decimals_and_floats(self) -> None:
        data = changed(MINIMAL["payment"], amount=Decimal("NaN"))
        assert only_problem("payment", data).message == "an amount must be a finite number, got NaN"
        data = changed(MINIMAL["payment"], amount=float("inf"))
        assert only_problem("payment", data).message.startswith(
            'expected a decimal string like "12.50", got Infinity: send amounts as strings'
        )

    def test_odd_objects(self) -> None:
        data = changed(MINIMAL["customer"], notes=object(), phone=b"555")
        assert [(p.field, p.message) for p in problems_of("customer", data)] == [
            ("phone", "expected a string, got a bytes"),
            ("notes", "expected a string, got an object"),
        ]
