"""Names where ids were shown, in-process: a blocked record names its blocker and links to it;
the side-by-side tables say "Customer" with the names on both sides (QuickBooks' ids through
the copy of its lists, the app's through its records; an unknown id kept and said so); fix
steps link to the screen they name; Shorten shows its cuts and sends the one chosen; the log
reads a page in the same few queries whatever its size."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.dashboard import names
from ledgerbridge.dashboard.present import SCREEN_PAGES
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.dashboard.conftest import Office

STRIPE = "pi_3OaBcDeFgHiJkLmN0pQrStUv9XyZ"


def page_of(office: Office, cid: str, record_type: str, app_id: str) -> str:
    response = office.client.get(f"/dashboard/connections/{cid}/records/{record_type}/{app_id}")
    assert response.status_code == 200, response.text
    return response.text


def set_problem(
    office: Office,
    cid: str,
    record_type: str,
    app_id: str,
    problem: dict[str, Any],
    *,
    status: str = "error",
    blocked_by: tuple[str, str] | None = None,
) -> None:
    with office.site.ledger.db.session() as session:
        SyncStates(session).finish(
            cid, record_type, app_id, status=status, problem=problem, blocked_by=blocked_by
        )


def section(page: str, start: str, end: str = "</table>") -> str:
    found = page[page.index(start) :]
    return found[: found.index(end)]


def invoice(office: Office, cid: str, customer_id: str = "prop-x-maria-1") -> None:
    office.service.put_record(
        office.key_id,
        cid,
        "invoice",
        "inv-1",
        {
            "customer_id": customer_id,
            "date": "2026-05-04",
            "lines": [{"description": "Service call", "quantity": "1", "unit_price": "90.00"}],
        },
    )


def test_a_blocked_invoice_names_its_blocker_and_links_to_its_page(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "maria", {"display_name": "Maria"})
    office.service.put_record(
        office.key_id,
        cid,
        "customer",
        "prop-x-maria-1",
        {"display_name": "55 Meadowlark Ct", "kind": "property", "parent_id": "maria"},
    )
    invoice(office, cid)
    waiting = {
        "code": "invoice.customer_not_synced",
        "field": "customer_id",
        "params": {"type": "customer", "id": "prop-x-maria-1"},
    }
    set_problem(
        office, cid, "invoice", "inv-1", waiting, status="blocked",
        blocked_by=("customer", "prop-x-maria-1"),
    )  # fmt: skip
    page = page_of(office, cid, "invoice", "inv-1")
    blocker = section(page, 'id="blocker"', "</dd>")
    link = f'href="/dashboard/connections/{cid}/records/customer/prop-x-maria-1"'
    assert link in blocker
    assert ">Customer 55 Meadowlark Ct</a>" in blocker
    assert '<span class="sub">app id prop-x-maria-1</span>' in blocker  # the id, small
    assert "The customer &#34;55 Meadowlark Ct&#34; isn" in page  # the meaning names it too


def test_a_blocker_the_app_never_sent_is_shown_by_its_id_and_says_so(office: Office) -> None:
    cid = office.connection()
    invoice(office, cid, customer_id="ghost-7")
    waiting = {"code": "invoice.customer_not_synced", "field": "customer_id", "params": {}}
    set_problem(
        office, cid, "invoice", "inv-1", waiting, status="blocked",
        blocked_by=("customer", "ghost-7"),
    )  # fmt: skip
    blocker = section(page_of(office, cid, "invoice", "inv-1"), 'id="blocker"', "</dd>")
    assert ">Customer ghost-7</a>" in blocker


def test_a_customer_moved_in_quickbooks_shows_both_customers_by_name(office: Office) -> None:
    cid = office.connection()
    invoice(office, cid)
    sent = {"CustomerRef": {"value": "587"}, "ClassRef": {"value": "12"}, "TxnDate": "2026-05-04"}
    now = {
        "Id": "900",
        "SyncToken": "2",
        "CustomerRef": {"value": "784", "name": "55 Meadowlark Ct"},
        "ClassRef": {"value": "13"},
        "TxnDate": "2026-05-04",
    }
    with office.site.ledger.db.session() as session:
        Links(session).put(
            cid, "invoice", "inv-1", entity="Invoice", qbo_id="900", sync_token="0",
            doc_number="1001", pushed=sent,
        )  # fmt: skip
        mirror = Mirror(session, cid)
        mirror.put(MirrorObject.from_quickbooks("Invoice", now))
        for qbo_id, name in (("587", "Maria Delgado"), ("784", "55 Meadowlark Ct")):
            customer = {"Id": qbo_id, "SyncToken": "0", "DisplayName": name, "Active": True}
            mirror.put(MirrorObject.from_quickbooks("Customer", customer))
        klass = {"Id": "12", "SyncToken": "0", "Name": "Residential", "Active": True}
        mirror.put(MirrorObject.from_quickbooks("Class", klass))
    changed = {
        "code": "record.changed_in_quickbooks",
        "field": "CustomerRef.value",
        "params": {
            "field": "CustomerRef.value",
            "app_value": "587",
            "quickbooks_value": "784",
            "fields": "CustomerRef, ClassRef",
        },
    }
    set_problem(office, cid, "invoice", "inv-1", changed)
    page = page_of(office, cid, "invoice", "inv-1")
    meaning = html.unescape(section(page, 'class="meaning"', "</p>"))
    assert (
        "its customer is 55 Meadowlark Ct in QuickBooks and Maria Delgado in the app; "
        "also changed: class." in meaning
    )
    assert "Ref" not in meaning and "587" not in meaning
    table = section(page, "Changed in QuickBooks since")
    assert (
        '<th scope="row">Customer</th>'
        '<td>Maria Delgado <span class="sub">QuickBooks id 587</span></td>'
        '<td>55 Meadowlark Ct <span class="sub">QuickBooks id 784</span></td>'
    ) in table
    assert "CustomerRef" not in table.replace('data-path="CustomerRef.value"', "")
    # class 13 is not in the copy of QuickBooks' lists: its id, said to be one
    assert (
        '<th scope="row">Class</th><td>Residential <span class="sub">QuickBooks id 12</span></td>'
        '<td>13 <span class="sub">(name not known: this is its QuickBooks id)</span></td>'
    ) in table


def test_a_value_sent_instead_of_the_apps_names_both_records(office: Office) -> None:
    cid = office.connection()
    for app_id, name in (("maria", "Maria Delgado"), ("prop-x-maria-1", "55 Meadowlark Ct")):
        office.service.put_record(office.key_id, cid, "customer", app_id, {"display_name": name})
    invoice(office, cid, customer_id="maria")
    with office.site.ledger.db.session() as session:
        SyncStates(session).set_overrides(
            cid,
            "invoice",
            "inv-1",
            {"customer_id": {"app": "maria", "quickbooks": "prop-x-maria-1"}},
        )
    table = section(page_of(office, cid, "invoice", "inv-1"), "Sent to QuickBooks differently")
    assert (
        '<th scope="row">Customer</th><td>Maria Delgado <span class="sub">app id maria</span></td>'
        '<td>55 Meadowlark Ct <span class="sub">app id prop-x-maria-1</span></td>'
    ) in table


def test_a_fix_step_that_names_a_screen_links_to_it(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(
        office.key_id,
        cid,
        "payment",
        "pay-1",
        {
            "customer_id": "ann",
            "date": "2026-05-10",
            "amount": "20.00",
            "method": "zelle",
            "applied_to": [],
        },
    )
    set_problem(
        office, cid, "payment", "pay-1",
        {"code": "payment.method_not_mapped", "field": "method", "params": {"method": "zelle"}},
    )  # fmt: skip
    fix = section(page_of(office, cid, "payment", "pay-1"), '<ol class="fix">', "</ol>")
    first, second = re.findall(r"<li>(.*?)</li>", fix)
    assert (
        f'<a class="screen-link" href="/dashboard/connections/{cid}/mappings#h-payment_methods">'
        "Open the payment method mappings</a>"
    ) in first
    assert "<a" not in second  # "Then click Retry" names no screen
    mappings = office.client.get(f"/dashboard/connections/{cid}/mappings").text
    assert 'id="h-payment_methods"' in mappings


_PATHS = {"connection": "", "setup": "/setup", "reconciliation": "/reconciliation",
          "mappings": "/mappings"}  # fmt: skip


@pytest.mark.parametrize("screen", catalog.SCREENS)
def test_every_screen_the_catalog_names_has_a_page(office: Office, screen: str) -> None:
    cid = office.connection()
    route, part, text = SCREEN_PAGES[screen]
    assert text.startswith(("Open the ", "Go to "))
    page = office.client.get(f"/dashboard/connections/{cid}{_PATHS[route]}")
    assert page.status_code == 200
    if part:  # the part of the page it names (the connection's buttons, a mapping section)
        assert f'id="{part[1:]}"' in page.text


def too_long_payment(office: Office, cid: str) -> None:
    office.service.put_record(
        office.key_id,
        cid,
        "payment",
        "pay-1",
        {
            "customer_id": "ann",
            "date": "2026-05-10",
            "amount": "20.00",
            "method": "check",
            "reference": STRIPE,
            "applied_to": [],
        },
    )
    set_problem(
        office, cid, "payment", "pay-1",
        {
            "code": "payment.reference_too_long",
            "field": "reference",
            "params": {"field": "payment reference", "length": len(STRIPE), "limit": 21},
        },
    )  # fmt: skip


def sent(office: Office, cid: str) -> object:
    overrides = office.service.record(office.key_id, cid, "payment", "pay-1").overrides
    return (overrides.get("reference") or {}).get("quickbooks")


def test_shorten_shows_the_value_its_limit_and_each_cut_with_what_it_sends(
    office: Office,
) -> None:
    cid = office.connection()
    too_long_payment(office, cid)
    form = section(page_of(office, cid, "payment", "pay-1"), 'class="shorten-form"', "</form>")
    assert f'<code class="value">{STRIPE}</code> has {len(STRIPE)} characters' in form
    assert "QuickBooks accepts at most 21" in form
    previews = dict(
        re.findall(r'value="(start|end|both)" id="keep-\w+" data-preview="([^"]*)"', form)
    )
    assert previews == {
        "end": STRIPE[-21:],
        "start": STRIPE[:21],
        "both": STRIPE[:11] + STRIPE[-10:],
    }
    # the end of an id is recommended: first, chosen, and in the edit box
    assert re.search(r'value="end" id="keep-end" data-preview="[^"]*" checked', form)
    assert "Keep the end (recommended)" in form
    assert f'id="shorten-value" name="value" value="{STRIPE[-21:]}"' in form
    assert 'value="edit" id="keep-edit"' in form
    assert 'data-action="shorten"' in form  # its own button: no second one-click Shorten
    assert form.count("Shorten</button>") == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"keep": "end", "value": STRIPE[-21:]}, STRIPE[-21:]),
        ({"keep": "both", "value": "ignored unless typed"}, STRIPE[:11] + STRIPE[-10:]),
        ({"keep": "edit", "value": "  9XyZ  "}, "9XyZ"),
        ({}, STRIPE[:21]),  # the one-click form of before: keeps the start
    ],
)
def test_shorten_sends_the_cut_chosen_or_the_value_typed(
    office: Office, data: dict[str, str], expected: str
) -> None:
    cid = office.connection()
    too_long_payment(office, cid)
    done = office.post(
        f"/dashboard/connections/{cid}/actions/shorten", {"type": "payment", "id": "pay-1", **data}
    )
    assert done.status_code == 200, done.text
    assert sent(office, cid) == expected
    assert "Shorten: the payment reference goes to QuickBooks as" in html.unescape(done.text)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("x" * 22, "value has 22 characters; QuickBooks accepts at most 21"),
        ("   ", "value is empty"),
        ("ab\x07cd", "control character (U+0007)"),
    ],
)
def test_shorten_refuses_a_typed_value_it_cannot_send_naming_it(
    office: Office, value: str, said: str
) -> None:
    cid = office.connection()
    too_long_payment(office, cid)
    refused = office.post(
        f"/dashboard/connections/{cid}/actions/shorten",
        {"type": "payment", "id": "pay-1", "keep": "edit", "value": value},
    )
    assert refused.status_code == 422
    assert said in html.unescape(refused.text)
    assert sent(office, cid) is None


@contextmanager
def counted(office: Office) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = office.site.ledger.db.engine

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_the_log_reads_a_page_in_the_same_queries_whatever_its_size(office: Office) -> None:
    """Three queries for the page's records (records, states, links), not three a row."""
    cid = office.connection()
    for n in range(60):
        office.service.put_record(
            office.key_id, cid, "customer", f"c-{n:02}", {"display_name": f"Customer {n:02}"}
        )
    sizes: dict[int, int] = {}
    for size in (25, 50):
        with counted(office) as statements:
            page = office.client.get(f"/dashboard/connections/{cid}/log?size={size}")
        assert page.status_code == 200
        assert page.text.count('name="selected"') == size
        sizes[size] = len(statements)
    assert sizes[25] == sizes[50], sizes


def test_verifys_mismatches_name_the_record_the_field_and_both_customers(office: Office) -> None:
    cid = office.connection()
    for app_id, name in (("maria", "Maria Delgado"), ("prop-x-maria-1", "55 Meadowlark Ct")):
        office.service.put_record(office.key_id, cid, "customer", app_id, {"display_name": name})
    office.service.put_record(
        office.key_id, cid, "item", "svc", {"name": "Service Call", "unit_price": "90.00"}
    )
    with office.site.ledger.db.session() as session:
        mirror = Mirror(session, cid)
        for qbo_id, name in (("784", "Bob Stone"), ("31", "Gutter Clean")):
            entity = "Customer" if qbo_id == "784" else "Item"
            key = "DisplayName" if entity == "Customer" else "Name"
            mirror.put(MirrorObject.from_quickbooks(entity, {"Id": qbo_id, key: name}))
    moved = {
        "type": "customer",
        "id": "prop-x-maria-1",
        "code": "invoice.moved_in_quickbooks",
        "field": "CustomerRef",
        "app_value": "maria",
        "quickbooks_value": "784",
    }
    item = {
        "type": "item",
        "id": "svc",
        "code": "record.changed_in_quickbooks",
        "field": "Line[0].SalesItemLineDetail.ItemRef.value",
        "app_value": "30",
        "quickbooks_value": "31",
    }
    first, second = names.mismatch_rows(office.site.ledger, cid, [moved, item])
    assert (first.record.text, first.field) == ("55 Meadowlark Ct", "Customer")
    assert (first.app.text, first.app.id, first.app.where) == ("Maria Delgado", "maria", "app")
    assert (first.quickbooks.text, first.quickbooks.where) == ("Bob Stone", "QuickBooks")
    assert (second.record.text, second.field) == ("Service Call", "Line 1: item")
    assert (second.app.text, second.app.known) == ("30", False)  # not in the copy: its id
    assert second.quickbooks.text == "Gutter Clean"


def test_values_kept_as_in_quickbooks_are_labelled_and_named(office: Office) -> None:
    cid = office.connection()
    invoice(office, cid, customer_id="maria")
    kept = {
        "CustomerRef": {"app": {"value": "587"}, "quickbooks": {"value": "784"}},
        "Line": {"app": [{"Amount": "90"}], "quickbooks": [{"Amount": "90"}, {"Amount": "5"}]},
    }
    with office.site.ledger.db.session() as session:
        SyncStates(session).set_overrides(cid, "invoice", "inv-1", {"@kept": kept})
        customer = {"Id": "784", "DisplayName": "Bob Stone", "Active": True}
        Mirror(session, cid).put(MirrorObject.from_quickbooks("Customer", customer))
    table = section(page_of(office, cid, "invoice", "inv-1"), "Sent to QuickBooks differently")
    assert "@kept" not in table and "{" not in table
    assert (
        '<th scope="row">Customer (kept as in QuickBooks)</th>'
        '<td>587 <span class="sub">(name not known: this is its QuickBooks id)</span></td>'
        '<td>Bob Stone <span class="sub">QuickBooks id 784</span></td>'
    ) in table
    assert '<th scope="row">Lines (kept as in QuickBooks)</th><td>1 line</td><td>2 lines</td>' in (
        table
    )
