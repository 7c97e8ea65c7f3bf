"""The pure decisions of the setup checks (`core.checks`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.core.checks import (
    Check,
    Checklist,
    Dated,
    NumberFacts,
    closed_books_check,
    mapping_check,
    not_read_yet,
    number_overlap,
    numbering_check,
    resolve,
    split_number,
    status_changes,
    tax_check,
    uses,
    worst,
)
from ledgerbridge.core.mirror import InMemoryMirror, MirrorObject
from ledgerbridge.core.preflight import Mappings
from ledgerbridge.core.records import Record, RecordKey, parse_record


def facts(app: list[str], quickbooks: list[str]) -> NumberFacts:
    return NumberFacts(tuple(app), tuple(quickbooks))


def keyed(record_type: str, app_id: str, data: dict[str, Any]) -> tuple[RecordKey, Record]:
    parsed = parse_record(record_type, data)
    assert not isinstance(parsed, list), parsed
    return RecordKey(record_type, app_id), parsed  # type: ignore[arg-type]


LINE = {"description": "x", "quantity": "1", "unit_price": "1.00"}


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1001", ("", 1001, 4)),
        ("INV-0042", ("INV-", 42, 4)),
        ("A1B22", ("A1B", 22, 2)),
        ("INV-", None),
        ("", None),
    ],
)
def test_split_number(text: str, parts: tuple[str, int, int] | None) -> None:
    assert split_number(text) == parts


def test_overlapping_numbers_and_the_next_ones_that_will_clash() -> None:
    found = number_overlap(
        facts(["1001", "1002"], ["1001", "1002", "1003", "1050", "PO-9"]), numbering="app"
    )
    assert found.overlapping == ("1001", "1002")
    assert found.ahead == ("1003", "1050")
    assert (found.start, found.start_text, found.highest) == (1051, "1051", "1050")
    assert found.clash


def test_an_app_sequence_above_quickbooks_is_fine() -> None:
    found = number_overlap(facts(["5001", "5002"], ["1001", "1050"]), numbering="app")
    assert not found.clash
    assert found.start_text == "5003"  # still a safe number, should the app ask: above both


def test_the_proposed_start_is_above_the_highest_number_in_either_system() -> None:
    """The demo: QuickBooks' own 1001..1250, the app's numbers run to 4,244 (some in
    QuickBooks' range): starting at 1251 would hand out numbers the app already used."""
    app = [str(n) for n in range(1001, 4245)]
    found = number_overlap(facts(app, [str(n) for n in range(1001, 1251)]), numbering="app")
    assert (found.start, found.start_text, found.highest) == (4245, "4245", "1250")
    padded = number_overlap(facts(["INV-0042"], ["INV-0007"]), numbering="app")
    assert padded.start_text == "INV-0043"  # the app's zero padding kept
    started = number_overlap(facts(app, ["1001"]), numbering="app", start=4245)
    assert started.start == 4245 and not started.clash  # the app's old numbers count too


def test_a_number_no_longer_used_by_the_app_no_longer_clashes() -> None:
    """Recomputed from the current numbers: once the app's 1001 went as 1251 (Renumber),
    QuickBooks' 1001 clashes with nothing."""
    before = number_overlap(facts(["1001", "1002"], ["1001"]), numbering="app")
    after = number_overlap(facts(["1251", "1002"], ["1001"]), numbering="app")
    assert before.overlapping == ("1001",) and after.overlapping == ()


def test_numbers_outside_the_apps_family_do_not_count() -> None:
    found = number_overlap(facts(["2001"], ["INV-3000", "2001x"]), numbering="app")
    assert not found.clash and found.start is None


def test_non_numeric_numbers_clash_when_equal() -> None:
    found = number_overlap(facts(["ABC"], ["ABC"]), numbering="app")
    assert found.overlapping == ("ABC",)


def test_the_prefix_setting_compares_prefixed_numbers() -> None:
    found = number_overlap(
        facts(["0099"], ["FS-0098", "FS-0099", "0099"]), numbering="prefix", prefix="FS-"
    )
    assert found.overlapping == ("0099",)
    assert found.start_text == "0100"  # app terms, zero padding kept
    assert found.highest == "FS-0099"


def test_without_app_numbers_quickbooks_sequence_is_continued() -> None:
    found = number_overlap(facts([], ["INV-7", "INV-9", "12"]), numbering="app")
    assert not found.clash
    assert (found.family, found.start_text) == ("INV-", "INV-10")


def test_quickbooks_numbering_never_clashes() -> None:
    found = number_overlap(facts(["1001"], ["1001"]), numbering="quickbooks")
    assert not found.clash and found.start is None


def test_a_number_start_resolves_the_old_sequence() -> None:
    numbers = facts(["1001", "1002"], ["1001", "1002", "1003", "1050"])
    found = number_overlap(numbers, numbering="app", start=1051)
    assert found.overlapping == () and found.ahead == ()
    assert found.resolved == ("1001", "1002")
    too_low = number_overlap(numbers, numbering="app", start=1003)
    assert too_low.ahead == ("1003", "1050")


def test_numbering_check() -> None:
    invoices = facts(["1001"], ["1001", "1002"])
    orders = facts([], ["PO-1"])
    warned = numbering_check(invoices, orders, numbering="app")
    assert warned.status == "warning"
    assert warned.code == catalog.INVOICE_NUMBER_SEQUENCE_OVERLAP
    assert warned.actions == ("apply_numbering_start",)
    assert warned.summary == (
        "1 of the app's invoice numbers is already used in QuickBooks (1001), and its next "
        "numbers run into 1 more used there. Start the app's invoice numbers at 1003."
    )
    assert warned.details["suggested_start_number"] == 1003
    started = numbering_check(invoices, orders, numbering="app", number_start=1003)
    assert started.status == "ok" and started.actions == ()
    assert started.details["invoice"]["resolved"]["count"] == 1
    fresh = numbering_check(facts([], ["1001"]), orders, numbering="app")
    assert fresh.status == "ok" and fresh.actions == ("apply_numbering_start",)
    assert "1002" in fresh.summary
    empty = numbering_check(facts(["1"], []), facts([], []), numbering="app")
    assert empty.status == "ok" and empty.actions == ()
    by_quickbooks = numbering_check(invoices, orders, numbering="quickbooks")
    assert by_quickbooks.status == "ok" and by_quickbooks.code is None


def test_purchase_order_numbers_are_checked_too() -> None:
    found = numbering_check(facts([], []), facts(["PO-1"], ["PO-1", "PO-2"]), numbering="app")
    assert found.status == "warning"
    assert found.actions == ()  # the numbering start is for invoices
    assert "purchase order" in found.summary and "PO-3" in found.summary


# --- checklist ----------------------------------------------------------------------------------


def test_worst_and_changes() -> None:
    assert worst([]) == "ok"
    assert worst(["ok", "warning"]) == "warning"
    assert worst(["warning", "error", "ok"]) == "error"
    current = Checklist(
        (Check("a", "A", "ok", "."), Check("b", "B", "warning", "."), Check("c", "C", "ok", "."))
    )
    assert current.status == "warning"
    assert status_changes(None, current) == [{"id": "b", "status": "warning", "previous": None}]
    previous = {"checks": [{"id": "a", "status": "error"}, {"id": "b", "status": "warning"}]}
    assert status_changes(previous, current) == [{"id": "a", "status": "ok", "previous": "error"}]
    assert status_changes(current.to_json(), current) == []


def test_a_checklist_before_the_first_pull() -> None:
    waiting = not_read_yet()
    assert waiting.status == "warning"
    assert [c.id for c in waiting.checks] == ["numbering", "tax", "closed_books", "mappings"]
    assert waiting.to_json()["checks"][0]["actions"] == ["refresh"]


# --- mapped values ------------------------------------------------------------------------------


MIRROR = InMemoryMirror(
    [
        MirrorObject("Account", "10", name="Services"),
        MirrorObject("Account", "11", name="Old Income", active=False),
        MirrorObject("Class", "20", name="Roofing"),
        MirrorObject("PaymentMethod", "2", name="Check"),
        MirrorObject("TaxCode", "5", name="Placer County"),
        MirrorObject("TaxCode", "6", name="Retired", active=False),
    ]
)


def test_resolve_follows_the_reconciler_and_preflight() -> None:
    mappings = Mappings(tax_codes={"placer": "5", "old": "6"}, accounts={"Fees": "99"})
    assert resolve("tax_rates", "placer", mappings, MIRROR).state == "mapped"
    assert resolve("tax_rates", "old", mappings, MIRROR).state == "inactive"
    assert resolve("accounts", "Fees", mappings, MIRROR).state == "mapped"  # trusted
    assert resolve("accounts", "services", mappings, MIRROR).state == "named"
    assert resolve("accounts", "Old Income", mappings, MIRROR).state == "inactive"
    assert resolve("classes", "Plumbing", mappings, MIRROR).state == "not_mapped"
    method = resolve("payment_methods", "Check", mappings, MIRROR)
    assert method.state == "not_mapped"  # must be mapped, even with a same-name method
    assert method.suggestion is not None and method.suggestion.qbo_id == "2"


def test_uses_and_the_mapping_check() -> None:
    records = [
        keyed("item", "svc", {"name": "Svc", "income_account": "Services"}),
        keyed("item", "old", {"name": "Old", "income_account": "Old Income"}),
        keyed(
            "invoice",
            "i",
            {
                "customer_id": "c",
                "date": "2026-01-02",
                "tax_rate_id": "placer",
                "class": "Roofing",
                "lines": [{**LINE, "class": "Plumbing"}],
            },
        ),
        keyed(
            "payment",
            "p",
            {"customer_id": "c", "date": "2026-01-02", "amount": "1.00", "method": "Check"},
        ),
        keyed(
            "receipt",
            "r",
            {
                "vendor_id": "v",
                "date": "2026-01-02",
                "payment_type": "cash",
                "payment_account": "Petty Cash",
                "lines": [{"expense_account": "Services", "amount": "3.00"}],
            },
        ),
    ]
    used = uses(records)
    assert set(used["accounts"]) == {"Services", "Old Income", "Petty Cash"}
    assert used["accounts"]["Services"] == [RecordKey("item", "svc"), RecordKey("receipt", "r")]
    assert set(used["classes"]) == {"Roofing", "Plumbing"}
    check = mapping_check(used, Mappings(tax_codes={"placer": "5"}), MIRROR)
    assert check.status == "warning"
    missing = [(m["section"], m["value"], m["reason"]) for m in check.details["missing"]]
    assert missing == [
        ("payment_methods", "Check", "not_mapped"),
        ("accounts", "Old Income", "inactive"),
        ("accounts", "Petty Cash", "not_mapped"),
        ("classes", "Plumbing", "not_mapped"),
    ]
    assert check.code == catalog.PAYMENT_METHOD_NOT_MAPPED
    assert check.summary.startswith("1 payment method (Check), 2 accounts (Old Income, Petty")
    stopped = mapping_check(
        used, Mappings(tax_codes={"placer": "5"}), MIRROR, {catalog.ITEM_ACCOUNT_MISSING: 1}
    )
    assert stopped.status == "error" and "1 record is stopped" in stopped.summary
    fine = mapping_check(uses(records[:1]), Mappings(), MIRROR, {catalog.ITEM_ACCOUNT_MISSING: 3})
    assert fine.status == "ok"


# --- tax ----------------------------------------------------------------------------------------


def test_tax_modes() -> None:
    used = {"placer": [RecordKey("invoice", "i")]}
    ast = {"TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True}}
    codes = {"TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": False}}
    off = {"TaxPrefs": {"UsingSalesTax": False, "PartnerTaxEnabled": False}}

    nothing = tax_check(ast, {}, Mappings(), MIRROR)
    assert nothing.status == "ok" and "TAX/NON" in nothing.summary
    missing = tax_check(ast, used, Mappings(), MIRROR)
    assert missing.status == "warning" and missing.code == catalog.TAX_RATE_NOT_MAPPED
    assert missing.details["not_mapped"] == ["placer"]
    stopped = tax_check(ast, used, Mappings(), MIRROR, {catalog.TAX_RATE_NOT_MAPPED: 2})
    assert stopped.status == "error" and "2 records are stopped" in stopped.summary
    mapped = tax_check(codes, used, Mappings(tax_codes={"placer": "5"}), MIRROR)
    assert mapped.status == "ok" and mapped.details["automated_sales_tax"] is False
    assert mapped.details["line_codes"] == "tax codes"
    inactive = tax_check(codes, used, Mappings(tax_codes={"placer": "6"}), MIRROR)
    assert inactive.status == "warning"
    assert tax_check(off, {}, Mappings(), MIRROR).summary.startswith("Sales tax is turned off")


# --- closed books -------------------------------------------------------------------------------


def dated(app_id: str, day: str, status: str = "pending") -> Dated:
    return Dated(RecordKey("invoice", app_id), dt.date.fromisoformat(day), status)


CLOSED = {"AccountingInfoPrefs": {"BookCloseDate": "2026-03-31"}}


def test_closed_books() -> None:
    assert closed_books_check({}, [dated("a", "2000-01-01")]).status == "ok"
    transactions = [
        dated("a", "2026-03-31"),
        dated("b", "2026-01-02", "error"),
        dated("c", "2026-02-01", "synced"),
        dated("d", "2026-02-01", "draft"),
        dated("e", "2026-04-01"),
    ]
    found = closed_books_check(CLOSED, transactions)
    assert found.status == "warning" and found.code == catalog.INVOICE_CLOSED_PERIOD
    assert found.details["waiting_in_closed_period"]["count"] == 2
    assert [e["id"] for e in found.details["waiting_in_closed_period"]["examples"]] == ["b", "a"]
    assert found.details["first_open_day"] == "2026-04-01"
    moved = closed_books_check(CLOSED, transactions, policy="move_to_open_day")
    assert moved.status == "ok" and "2026-04-01" in moved.summary
    stopped = closed_books_check(CLOSED, transactions, stopped={catalog.INVOICE_CLOSED_PERIOD: 1})
    assert stopped.status == "error"
    clear = closed_books_check(CLOSED, [dated("e", "2026-04-01")])
    assert clear.status == "ok" and clear.code is None
