"""The Link picker's page without a browser: what it refuses and where it sends a record that
is not picked from a list (the browser walk is test_browser_link_picker.py)."""

from __future__ import annotations

import pytest

from tests.ledgerbridge.dashboard.conftest import Office


@pytest.fixture
def cid(office: Office) -> str:
    found = office.connection()
    office.service.put_record(office.key_id, found, "customer", "ann", {"display_name": "Ann"})
    office.service.put_record(
        office.key_id,
        found,
        "invoice",
        "inv-1",
        {
            "customer_id": "ann",
            "date": "2026-11-02",
            "lines": [{"quantity": "1", "unit_price": "5"}],
        },
    )
    return found


def test_a_never_read_list_says_so_and_offers_a_refresh(office: Office, cid: str) -> None:
    page = office.client.get(f"/dashboard/connections/{cid}/link/customer/ann", params={"q": "a"})
    assert page.status_code == 200
    assert "QuickBooks' list has not been read yet." in page.text
    assert "Refresh from QuickBooks" in page.text
    assert "No QuickBooks customer matches “a”" in page.text
    # the record's own page offers the search, prefilled with its name
    record = office.client.get(f"/dashboard/connections/{cid}/records/customer/ann").text
    assert 'name="q" type="search" value="Ann"' in record
    assert "Find in QuickBooks" in record


def test_a_refresh_of_a_company_not_connected_says_so_in_plain_words(
    office: Office, cid: str
) -> None:
    answer = office.post(
        f"/dashboard/connections/{cid}/quickbooks/refresh",
        {"type": "customer", "id": "ann", "q": "ann"},
    )
    assert answer.status_code == 303
    page = office.client.get(answer.headers["location"])
    assert "this connection is not connected to its QuickBooks company" in page.text
    assert 'value="ann"' in page.text  # the search is kept


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"cursor": "garbage"}, 200),  # page one again
        ({"q": "x" * 5000}, 422),
        ({"q": "a\x00b"}, 422),
        ({"refreshed": "<script>alert(1)</script>"}, 200),  # not shown: only known outcomes are
    ],
)
def test_hostile_addresses_get_a_page_never_a_server_error(
    office: Office, cid: str, params: dict[str, str], status: int
) -> None:
    page = office.client.get(f"/dashboard/connections/{cid}/link/customer/ann", params=params)
    assert page.status_code == status, page.text[:500]
    assert "<script>alert" not in page.text


def test_other_records_and_unknown_ones(office: Office, cid: str) -> None:
    invoice = office.client.get(f"/dashboard/connections/{cid}/link/invoice/inv-1")
    assert invoice.status_code == 303  # an invoice is linked by its id on its own page
    assert invoice.headers["location"].endswith("/records/invoice/inv-1")
    record = office.client.get(f"/dashboard/connections/{cid}/records/invoice/inv-1").text
    assert 'id="link-id" name="quickbooks_id"' in record
    missing = office.client.get(f"/dashboard/connections/{cid}/link/customer/nobody")
    assert missing.status_code == 404
