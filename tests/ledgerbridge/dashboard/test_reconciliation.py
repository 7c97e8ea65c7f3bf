"""The Reconciliation page in-process: exceptions first, paged, the rest counted; its query
parameters checked and named when wrong; money and times as a person reads them. (With
QuickBooks' data, in a browser at both widths: test_browser_reports.py.)"""

from __future__ import annotations

import re

import pytest

from ledgerbridge.dashboard import present
from ledgerbridge.dashboard.routes.health import PAGE_SIZE
from tests.ledgerbridge.dashboard.conftest import Office


def test_a_connection_with_nothing_to_look_at_says_so(office: Office) -> None:
    cid = office.connection()
    page = office.client.get(f"/dashboard/connections/{cid}/reconciliation")
    assert page.status_code == 200
    assert "Nothing disagrees: QuickBooks holds what the app has." in page.text
    assert "Invoice totals" in page.text and "$0.00" in page.text
    assert "0.00<" not in page.text.replace("$0.00<", "")  # every amount has its sign


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=abc", "page"), ("page=0", "page"), ("page=-1", "page"), ("kind=everything", "kind")],
)
def test_a_wrong_query_parameter_is_named(office: Office, query: str, field: str) -> None:
    cid = office.connection()
    page = office.client.get(f"/dashboard/connections/{cid}/reconciliation?{query}")
    assert page.status_code == 422
    assert re.search(rf"{field}: {field} must be", page.text), page.text


def test_a_page_past_the_last_shows_the_last(office: Office) -> None:
    cid = office.connection()
    page = office.client.get(f"/dashboard/connections/{cid}/reconciliation?page=7&kind=paid")
    assert page.status_code == 200
    assert PAGE_SIZE == 25


def test_money_and_times_read_as_a_person_reads_them() -> None:
    assert present.money_text("1439954.40", "USD") == "$1,439,954.40"
    assert present.money_text("-52.08", "USD") == "-$52.08"
    assert present.money_text(None) == ""
    shown = str(present.local_time("2026-11-22T14:05:00+00:00"))
    assert shown == (
        '<time datetime="2026-11-22T14:05:00+00:00" data-local-time>2026-11-22 14:05 UTC</time>'
    )
    assert present.exception_kind("paid") == "Paid in QuickBooks, not by the app's payments"
