"""The query language through the API, with python-quickbooks and raw HTTP, over the demo
company (250 invoices, 106 customers) and over small companies made for one test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

from tests.emulator.api_helpers import count, fault, new_customer, query_rows
from tests.emulator.conftest import Admin, Connection

PACIFIC = ZoneInfo("America/Los_Angeles")  # QuickBooks dates are company (Pacific) dates
INVOICES = 250
CUSTOMERS = 106


def all_invoices(conn: Connection) -> list[dict[str, Any]]:
    rows = query_rows(conn, "SELECT * FROM Invoice MAXRESULTS 1000", "Invoice")
    assert len(rows) == INVOICES
    return rows


# --- SELECT, COUNT, paging ----------------------------------------------------------------


def test_select_star_default_page_and_count(demo: Connection) -> None:
    response = demo.query("SELECT * FROM Invoice")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"QueryResponse", "time"}
    page = body["QueryResponse"]
    assert page["startPosition"] == 1
    assert page["maxResults"] == 100
    assert len(page["Invoice"]) == 100
    assert "totalCount" not in page

    counted = demo.query("SELECT COUNT(*) FROM Invoice").json()["QueryResponse"]
    assert counted == {"totalCount": INVOICES}
    assert Invoice.count(qb=demo.qb) == INVOICES
    assert Customer.count(qb=demo.qb) == CUSTOMERS
    assert Invoice.count("DocNumber LIKE '10%'", qb=demo.qb) == 99  # 1001..1099


@pytest.mark.parametrize("page_size", [1000, 100, 37])
@pytest.mark.parametrize(("entity", "total"), [("Invoice", INVOICES), ("Customer", CUSTOMERS)])
def test_paging_covers_everything_once(
    demo: Connection, entity: str, total: int, page_size: int
) -> None:
    seen: list[str] = []
    start = 1
    while True:
        response = demo.query(
            f"SELECT * FROM {entity} STARTPOSITION {start} MAXRESULTS {page_size}"
        )
        assert response.status_code == 200, response.text
        page = response.json()["QueryResponse"]
        rows = page.get(entity, [])
        if not rows:
            assert page == {}
            break
        assert page["startPosition"] == start
        assert page["maxResults"] == len(rows) <= page_size
        seen += [row["Id"] for row in rows]
        start += page_size
    assert len(seen) == total == count(demo, entity)
    assert len(set(seen)) == total
    assert seen == sorted(seen, key=int)


def test_paging_with_python_quickbooks_and_an_order(demo: Connection) -> None:
    ordered: list[Invoice] = []
    for start in range(1, INVOICES + 1, 100):
        ordered += Invoice.where(
            "", order_by="TotalAmt DESC", start_position=start, max_results=100, qb=demo.qb
        )
    assert len(ordered) == INVOICES
    assert len({i.Id for i in ordered}) == INVOICES
    totals = [Decimal(str(i.TotalAmt)) for i in ordered]
    assert totals == sorted(totals, reverse=True)
    everything = Invoice.all(max_results=1000, qb=demo.qb)
    assert {i.Id for i in everything} == {i.Id for i in ordered}


# --- WHERE ----------------------------------------------------------------------------------


def test_comparison_operators_on_amounts(demo: Connection) -> None:
    rows = all_invoices(demo)
    totals = sorted({Decimal(str(r["TotalAmt"])) for r in rows})
    pivot = totals[len(totals) // 2]
    expected = {
        "<": {r["Id"] for r in rows if Decimal(str(r["TotalAmt"])) < pivot},
        ">": {r["Id"] for r in rows if Decimal(str(r["TotalAmt"])) > pivot},
        "<=": {r["Id"] for r in rows if Decimal(str(r["TotalAmt"])) <= pivot},
        ">=": {r["Id"] for r in rows if Decimal(str(r["TotalAmt"])) >= pivot},
        "=": {r["Id"] for r in rows if Decimal(str(r["TotalAmt"])) == pivot},
    }
    for op, ids in expected.items():
        found = query_rows(
            demo, f"SELECT * FROM Invoice WHERE TotalAmt {op} '{pivot}' MAXRESULTS 1000", "Invoice"
        )
        assert {r["Id"] for r in found} == ids, op
        assert ids, op
    assert len(expected["<"]) + len(expected[">="]) == INVOICES


def test_in_like_and_conjunctions(demo: Connection) -> None:
    by_number = Invoice.choose(["1001", "1002", "1250"], field="DocNumber", qb=demo.qb)
    assert sorted(i.DocNumber for i in by_number) == ["1001", "1002", "1250"]

    like = query_rows(demo, "SELECT * FROM Invoice WHERE DocNumber LIKE '100%'", "Invoice")
    assert sorted(r["DocNumber"] for r in like) == [f"100{n}" for n in range(1, 10)]
    suffix = query_rows(demo, "SELECT * FROM Invoice WHERE DocNumber LIKE '%50'", "Invoice")
    assert sorted(r["DocNumber"] for r in suffix) == ["1050", "1150", "1250"]

    rows = all_invoices(demo)
    customer = rows[0]["CustomerRef"]["value"]
    since = "2000-01-01"
    expected = {
        r["Id"]
        for r in rows
        if r["CustomerRef"]["value"] == customer and Decimal(str(r["TotalAmt"])) > 100
    }
    found = Invoice.where(
        f"CustomerRef = '{customer}' AND TotalAmt > '100' AND TxnDate >= '{since}'",
        max_results=1000,
        qb=demo.qb,
    )
    assert {i.Id for i in found} == expected
    assert expected

    contains = Customer.where("DisplayName LIKE '%oak%'", qb=demo.qb)
    assert contains
    assert all("oak" in c.DisplayName.lower() for c in contains)


def test_reference_filter_matches_every_invoice_of_the_customer(demo: Connection) -> None:
    rows = all_invoices(demo)
    for customer in {r["CustomerRef"]["value"] for r in rows[:5]}:
        expected = {r["Id"] for r in rows if r["CustomerRef"]["value"] == customer}
        found = Invoice.filter(CustomerRef=customer, max_results=1000, qb=demo.qb)
        assert {i.Id for i in found} == expected


def test_order_by_ascending_and_descending(demo: Connection) -> None:
    ascending = query_rows(
        demo, "SELECT * FROM Invoice ORDERBY DocNumber ASC MAXRESULTS 5", "Invoice"
    )
    assert [r["DocNumber"] for r in ascending] == ["1001", "1002", "1003", "1004", "1005"]
    descending = query_rows(
        demo, "SELECT * FROM Invoice ORDERBY DocNumber DESC MAXRESULTS 5", "Invoice"
    )
    assert [r["DocNumber"] for r in descending] == ["1250", "1249", "1248", "1247", "1246"]
    names = [c.DisplayName for c in Customer.where("", order_by="DisplayName", qb=demo.qb)]
    assert names == sorted(names, key=str.casefold)
    # `all` writes "ORDER BY" (two words).
    newest = Invoice.all(order_by="TxnDate DESC", max_results=1000, qb=demo.qb)
    dates = [i.TxnDate for i in newest]
    assert len(dates) == INVOICES
    assert dates == sorted(dates, reverse=True)


def test_keywords_entities_properties_and_values_are_case_insensitive(demo: Connection) -> None:
    upper = query_rows(
        demo, "SELECT * FROM Customer WHERE DisplayName = 'Emily Carter'", "Customer"
    )
    assert len(upper) == 1
    for text in (
        "select * from customer where displayname = 'emily carter'",
        "SeLeCt * FrOm CUSTOMER wHeRe DISPLAYNAME = 'EMILY CARTER'",
        "select * from Customer where DisplayName like 'EMILY%' orderby displayname desc",
    ):
        rows = query_rows(demo, text, "Customer")
        assert [r["Id"] for r in rows] == [upper[0]["Id"]], text
    counted = demo.query("select count(*) from invoice where docnumber in ('1001', '1002')")
    assert counted.json()["QueryResponse"] == {"totalCount": 2}


def test_metadata_times_filter_and_sort(conn: Connection, admin: Admin) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    earlier, later = now - timedelta(days=3), now - timedelta(days=1)
    admin.patch_company(conn.realm_id, {"clock": earlier.isoformat()})
    old = [new_customer(conn.qb, f"Old {n}").Id for n in range(2)]
    admin.patch_company(conn.realm_id, {"clock": later.isoformat()})
    new = [new_customer(conn.qb, f"New {n}").Id for n in range(3)]
    admin.patch_company(conn.realm_id, {"clock": None})

    middle = (earlier + timedelta(days=1)).astimezone(UTC).isoformat()  # +00:00 offset
    after = Customer.where(f"MetaData.LastUpdatedTime > '{middle}'", qb=conn.qb)
    assert sorted(c.Id for c in after) == sorted(new)
    before = Customer.where(
        f"MetaData.LastUpdatedTime < '{middle}' AND DisplayName LIKE 'Old%'", qb=conn.qb
    )
    assert sorted(c.Id for c in before) == sorted(old)
    created = Customer.where(
        f"MetaData.CreateTime >= '{later.astimezone(PACIFIC).date().isoformat()}'",
        order_by="MetaData.CreateTime DESC",
        qb=conn.qb,
    )
    assert {c.Id for c in created} == set(new)
    first = Customer.where("DisplayName LIKE '%'", order_by="MetaData.LastUpdatedTime", qb=conn.qb)
    assert [c.Id for c in first][:2] == old


def test_inactive_name_list_rows_are_hidden_unless_asked_for(conn: Connection) -> None:
    keep = new_customer(conn.qb, "Still Here")
    gone = new_customer(conn.qb, "Gone Away")
    gone.Active = False
    gone.sparse = True
    gone.save(qb=conn.qb)

    visible = Customer.all(qb=conn.qb)
    assert {c.Id for c in visible} == {keep.Id}
    assert Customer.filter(DisplayName="Gone Away", qb=conn.qb) == []
    assert Customer.count(qb=conn.qb) == 1

    inactive = Customer.filter(Active=False, qb=conn.qb)
    assert [c.Id for c in inactive] == [gone.Id]
    both = Customer.where("Active IN (true, false)", qb=conn.qb)
    assert {c.Id for c in both} == {keep.Id, gone.Id}
    assert Customer.count("Active IN (true,false)", qb=conn.qb) == 2
    assert Customer.get(gone.Id, qb=conn.qb).Active is False


def test_item_all_selects_star_and_sku(demo: Connection) -> None:
    items = Item.all(max_results=1000, qb=demo.qb)
    raw = demo.query("SELECT *, Sku FROM Item MAXRESULTS 1000").json()["QueryResponse"]["Item"]
    assert {i.Id for i in items} == {r["Id"] for r in raw}
    assert all("Name" in r and "Type" in r for r in raw)  # `*` keeps every field
    skus = {i.Name: i.Sku for i in items if getattr(i, "Sku", None)}
    assert skus["Lumber 2x4x8"] == "LB-2408"
    assert "Gutter Cleaning" not in {i.Name for i in items}  # inactive


# --- empty answers and errors ---------------------------------------------------------------


def test_no_rows_is_an_empty_query_response(conn: Connection) -> None:
    response = conn.query("SELECT * FROM Invoice WHERE DocNumber = 'nope'")
    assert response.status_code == 200
    body = response.json()
    assert body["QueryResponse"] == {}
    assert set(body) == {"QueryResponse", "time"}
    assert Invoice.filter(DocNumber="nope", qb=conn.qb) == []
    beyond = conn.query("SELECT * FROM Account STARTPOSITION 900 MAXRESULTS 10")
    assert beyond.json()["QueryResponse"] == {}


@pytest.mark.parametrize(
    ("text", "code", "message", "detail"),
    [
        (
            "SELECT * FROM Invoice MAXRESULTS 1001",
            "4001",
            "Invalid query",
            "QueryValidationError: value 1001 is too large. Max allowed value is 1000",
        ),
        (
            "SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'",
            "4000",
            "Error parsing query",
            "QueryParserError: Encountered",
        ),
        (
            "SELECT * FROM Purchase WHERE NoSuchField = '1'",
            "4001",
            "Invalid query",
            "QueryValidationError: Property NoSuchField not found for Entity Purchase",
        ),
        (
            "SELECT * FROM Invoice ORDERBY Nope",
            "4001",
            "Invalid query",
            "QueryValidationError: Property Nope not found for Entity Invoice",
        ),
        ("SELECT * FRM Invoice", "4000", "Error parsing query", "QueryParserError: "),
    ],
)
def test_query_errors(conn: Connection, text: str, code: str, message: str, detail: str) -> None:
    response = conn.query(text)
    assert response.status_code == 400
    error = fault(response)
    assert error["code"] == code
    assert error["Message"] == message
    assert error["Detail"].startswith(detail)
    assert response.json()["Fault"]["type"] == "ValidationFault"

    with pytest.raises(ValidationException) as raised:
        Invoice.query(text, qb=conn.qb)
    assert raised.value.error_code == int(code)


def test_get_and_post_forms_give_the_same_answer(demo: Connection) -> None:
    text = "SELECT * FROM Customer WHERE DisplayName LIKE 'M%' ORDERBY DisplayName"
    by_get = demo.get("query", query=text, minorversion=75)
    by_post = demo.query(text)
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.headers["content-type"].startswith("application/json")
    assert by_get.json()["QueryResponse"] == by_post.json()["QueryResponse"]
    assert by_get.json()["QueryResponse"]["Customer"]


def test_query_without_text_is_a_parse_error(conn: Connection) -> None:
    response = conn.get("query")
    assert response.status_code == 400
    assert fault(response)["code"] == "4000"


@pytest.fixture
def made(connect: Callable[..., Connection]) -> Connection:
    return connect(name="Queries")


def test_apostrophes_are_escaped_with_a_backslash(made: Connection) -> None:
    new_customer(made.qb, "Adam's Candy Shop")
    found = Customer.filter(DisplayName="Adam's Candy Shop", qb=made.qb)
    assert [c.DisplayName for c in found] == ["Adam's Candy Shop"]
    raw = query_rows(
        made, "SELECT * FROM Customer WHERE DisplayName = 'adam\\'s candy shop'", "Customer"
    )
    assert len(raw) == 1


# --- operators beyond the documented ones (issue 17) ---------------------------------------


def test_not_equal_as_real_clients_send_it(demo: Connection) -> None:
    rows = all_invoices(demo)
    open_ids = {r["Id"] for r in rows if Decimal(str(r["Balance"])) != 0}
    assert open_ids and len(open_ids) < INVOICES
    found = Invoice.where("Balance != '0'", max_results=1000, qb=demo.qb)
    assert {i.Id for i in found} == open_ids
    assert Invoice.count("Balance != '0.00'", qb=demo.qb) == len(open_ids)
    bare = query_rows(demo, "select * from Invoice where Balance != 0 maxresults 1000", "Invoice")
    assert {r["Id"] for r in bare} == open_ids
    first = rows[0]["DocNumber"]
    others = Invoice.where(f"DocNumber != '{first}'", max_results=1000, qb=demo.qb)
    assert len(others) == INVOICES - 1 and first not in {i.DocNumber for i in others}
    services = Item.where("Type != 'Category'", qb=demo.qb)
    assert services and all(i.Type != "Category" for i in services)


def test_blank_string_is_null(conn: Connection) -> None:
    with_email = new_customer(conn.qb, "Has Email", PrimaryEmailAddr={"Address": "a@example.com"})
    without = new_customer(conn.qb, "No Email")
    null = Customer.where("PrimaryEmailAddr = ' '", qb=conn.qb)
    assert [c.Id for c in null] == [without.Id]
    present = Customer.where("PrimaryEmailAddr != ' '", qb=conn.qb)
    assert [c.Id for c in present] == [with_email.Id]
    either = Customer.where("PrimaryEmailAddr IN (' ', 'a@example.com')", qb=conn.qb)
    assert sorted(c.Id for c in either) == sorted([with_email.Id, without.Id])


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM Invoice WHERE Balance <> '0'",
        "SELECT * FROM Invoice WHERE DocNumber NOT IN ('1001')",
        "SELECT * FROM Invoice WHERE DocNumber NOT LIKE '10%'",
        "SELECT * FROM Invoice WHERE NOT DocNumber = '1001'",
        "SELECT * FROM Invoice WHERE (DocNumber = '1001')",
        "SELECT * FROM Invoice WHERE DocNumber IS NULL",
        "SELECT * FROM Invoice WHERE TxnDate BETWEEN '2024-01-01' AND '2024-12-31'",
        "SELECT * FROM Invoice GROUP BY CustomerRef",
    ],
)
def test_what_is_still_refused(conn: Connection, text: str) -> None:
    response = conn.query(text)
    assert response.status_code == 400
    assert fault(response)["code"] == "4000"
    with pytest.raises(ValidationException):
        Invoice.query(text, qb=conn.qb)


def test_id_takes_only_equality_and_in(demo: Connection) -> None:
    response = demo.query("SELECT * FROM Invoice WHERE Id != '1'")
    assert response.status_code == 400
    assert fault(response)["code"] == "4001"
