"""`QboClient.query_pages`: pages of several queries in one batch request against the
emulator over real HTTP, each answered in order; an item's fault, in its place, the error the
query alone would raise; the limits QuickBooks puts on a batch refused before anything is sent."""

from __future__ import annotations

import gc
import weakref

import httpx
import pytest

from ledgerbridge.adapters.qbo import PageRead, QboClient, Rejected, Throttled, Unavailable
from tests.ledgerbridge.adapters.qbo.conftest import Admin, Company, customer


def test_pages_of_several_queries_come_in_one_request_in_order(company: Company) -> None:
    qb = company.client
    for n in range(5):
        customer(qb, f"Paged {n}")
    sent = len(company.transport.requests)

    pages = qb.query_pages(
        [
            PageRead("SELECT * FROM Customer WHERE DisplayName LIKE 'Paged%'", 1, 3),
            PageRead("SELECT * FROM Vendor", 1, 10),
            PageRead("SELECT * FROM Customer WHERE DisplayName LIKE 'Paged%'", 4, 3),
            PageRead("SELECT * FROM Preferences", 1, 1),
        ]
    )

    requests = company.transport.requests[sent:]
    assert [r.url.path.rsplit("/", 1)[-1] for r in requests] == ["batch"]
    assert "requestid" not in requests[0].url.params  # a read: nothing to replay
    first, vendors, rest, preferences = pages
    assert [row["DisplayName"] for row in first] == ["Paged 0", "Paged 1", "Paged 2"]
    assert vendors == []
    assert [row["DisplayName"] for row in rest] == ["Paged 3", "Paged 4"]  # short: the last
    assert [row["Id"] for row in preferences] == ["1"]
    assert qb.query_pages([]) == []


def test_an_item_s_fault_comes_back_in_its_place_as_the_query_alone_would_raise_it(
    company: Company, admin: Admin
) -> None:
    qb = company.client
    customer(qb, "Answered")
    vendors, refused, customers = qb.query_pages(
        [
            PageRead("SELECT * FROM Vendor", 1, 10),
            PageRead("SELECT * FROM Customer WHERE a = 'b' OR c = 'd'", 1, 10),
            PageRead("SELECT * FROM Customer", 1, 10),
        ]
    )
    assert vendors == []
    assert isinstance(refused, Rejected)  # the other items are answered all the same
    assert refused.faults[0].code.startswith("400")
    assert not isinstance(customers, Exception)
    assert [row["DisplayName"] for row in customers] == ["Answered"]

    admin.add_fault(company.realm_id, {"entity": "query", "in_batch": True}, {"status": 500})
    (failed,) = qb.query_pages([PageRead("SELECT * FROM Vendor", 1, 10)])
    assert isinstance(failed, Unavailable)
    assert failed.ambiguous is False  # a read: asking it again changes nothing


def test_a_batch_over_the_company_s_batch_limit_is_throttled(
    company: Company, admin: Admin
) -> None:
    admin.patch_company(company.realm_id, throttle={"batch_per_minute": 1})
    company.client.query_pages([PageRead("SELECT * FROM Vendor", 1, 10)])
    with pytest.raises(Throttled):
        company.client.query_pages([PageRead("SELECT * FROM Vendor", 1, 10)])


def test_what_quickbooks_would_refuse_is_refused_before_sending(company: Company) -> None:
    qb = company.client
    sent = len(company.transport.requests)
    with pytest.raises(ValueError, match="at most 30"):
        qb.query_pages([PageRead("SELECT * FROM Vendor", 1, 10)] * 31)
    with pytest.raises(ValueError, match="1000 objects"):
        qb.query_pages([PageRead("SELECT * FROM Vendor"), PageRead("SELECT * FROM Customer")])
    with pytest.raises(ValueError, match="paging"):
        qb.query_pages([PageRead("SELECT * FROM Vendor MAXRESULTS 5", 1, 10)])
    with pytest.raises(ValueError, match="paging"):
        qb.query_pages([PageRead("SELECT COUNT(*) FROM Vendor", 1, 10)])
    with pytest.raises(ValueError, match="1 or more"):
        qb.query_pages([PageRead("SELECT * FROM Vendor", 0, 10)])
    assert len(company.transport.requests) == sent


class _Token:
    def access_token(self) -> str:
        return "token"

    def refreshed_access_token(self, stale: str) -> str:
        return "token"


def test_an_answer_is_let_go_once_read() -> None:
    """A page of a thousand invoices is some 6 MiB of answer: httpx's response and the stream
    it was read from referred to each other, so each answer lived until the garbage
    collector's next full pass, several at once during a pull."""
    answered: list[weakref.ref[httpx.Response]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, json={"QueryResponse": {"Invoice": [{"Id": "1"}]}})
        answered.append(weakref.ref(response))
        return response

    transport = httpx.MockTransport(answer)
    with QboClient("http://quickbooks.test/v3", "1", _Token(), transport=transport) as client:
        gc.collect()
        gc.disable()  # only the references count, as between two full passes
        try:
            page = client.query_page("SELECT * FROM Invoice", 1, 10)
            assert page == [{"Id": "1"}]
            assert len(answered) == 1
            assert answered[0]() is None
        finally:
            gc.enable()
