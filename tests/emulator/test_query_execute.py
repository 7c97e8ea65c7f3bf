"""Unit tests for the query executor, over an in-memory source."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from qbo_emulator.faults import QBOFault
from qbo_emulator.query import (
    QueryResult,
    QuerySource,
    execute,
    parse,
    require_entity,
    resolve_entity,
)

TODAY = date(2015, 7, 23)

CUSTOMER_PATHS = (
    "Id",
    "DisplayName",
    "CompanyName",
    "Active",
    "Balance",
    "Taxable",
    "Notes",
    "PrimaryEmailAddr",
    "PrimaryPhone",
    "ParentRef",
    "MetaData",
    "MetaData.CreateTime",
    "MetaData.LastUpdatedTime",
)


class FakeSource:
    """A QuerySource over a list of dicts, with indexes on chosen fields; records its use."""

    def __init__(
        self,
        entity: str,
        rows: Sequence[dict[str, Any]],
        paths: Sequence[str],
        *,
        name_list: bool = False,
        indexed: Sequence[str] = ("Id", "DisplayName"),
    ) -> None:
        self.entity = entity
        self.is_name_list = name_list
        self._rows = sorted(rows, key=lambda row: int(row["Id"]))
        self._paths = {path.casefold(): path for path in paths}
        self._indexes: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for path in indexed:
            index: dict[str, list[dict[str, Any]]] = {}
            for row in self._rows:
                if path in row:
                    index.setdefault(str(row[path]).casefold(), []).append(row)
            self._indexes[path] = index
        self.rows_calls = 0
        self.rows_yielded = 0
        self.lookups: list[tuple[str, tuple[str, ...]]] = []

    def canonical_path(self, path: str) -> str | None:
        return self._paths.get(path.casefold())

    def rows(self) -> Iterable[Mapping[str, Any]]:
        self.rows_calls += 1
        return self._count(self._rows)

    def _count(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            self.rows_yielded += 1
            yield row

    def lookup(self, path: str, values: Sequence[str]) -> Iterable[Mapping[str, Any]] | None:
        self.lookups.append((path, tuple(values)))
        index = self._indexes.get(path)
        if index is None:
            return None
        found = {id(row): row for value in values for row in index.get(value.casefold(), [])}
        return sorted(found.values(), key=lambda row: int(row["Id"]))


def customer(
    id_: int,
    name: str,
    *,
    active: bool = True,
    balance: float | Decimal | str | None = 0,
    updated: str = "2015-07-23T10:58:12-07:00",
    **extra: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Id": str(id_),
        "DisplayName": name,
        "Active": active,
        "SyncToken": "0",
        "MetaData": {"CreateTime": "2015-01-01T09:00:00-08:00", "LastUpdatedTime": updated},
    }
    if balance is not None:
        row["Balance"] = balance
    row.update(extra)
    return row


def customers() -> list[dict[str, Any]]:
    return [
        customer(
            1,
            "Amy's Bird Sanctuary",
            balance=239.0,
            PrimaryEmailAddr={"Address": "Birds@Intuit.com"},
            PrimaryPhone={"FreeFormNumber": "(650) 555-3311"},
            CompanyName="Amy's Bird Sanctuary",
            Taxable=True,
        ),
        customer(2, "Bill's Windsurf Shop", balance=85, updated="2015-02-28T23:30:00-08:00"),
        customer(3, "Cool Cars", active=False, balance=0, updated="2015-03-01T00:00:00-08:00"),
        customer(
            4,
            "Diego Rodriguez",
            balance="12.50",
            updated="2015-03-01T00:00:01-08:00",
            ParentRef={"value": "10", "name": "Sushi by Katsuyuki"},
            Taxable=False,
        ),
        customer(5, "Adam's Candy Shop", balance=None, updated="2014-12-31T12:00:00Z"),
        customer(6, "dylan sollfrank", balance=Decimal("1000.00"), Notes="50% off_promo"),
        customer(9, "Geeta Kalapatapu", balance=629.1, PrimaryEmailAddr={"Address": "g@k.com"}),
        customer(10, "Sushi by Katsuyuki", balance=1e2, CompanyName="Sushi Co"),
    ]


def source(**kwargs: Any) -> FakeSource:
    return FakeSource("Customer", customers(), CUSTOMER_PATHS, name_list=True, **kwargs)


def run(text: str, src: QuerySource | None = None, today: date = TODAY) -> QueryResult:
    return execute(parse(text), src if src is not None else source(), today)


def ids(text: str, src: QuerySource | None = None, today: date = TODAY) -> list[str]:
    return [row["Id"] for row in run(text, src, today).rows]


def fault_of(text: str, src: QuerySource | None = None) -> tuple[str, str]:
    with pytest.raises(QBOFault) as caught:
        run(text, src)
    error = caught.value.fault.errors[0]
    return error.code, error.detail


# --- basics -------------------------------------------------------------------------------


def test_fake_source_satisfies_protocol() -> None:
    src: QuerySource = source()
    assert src.entity == "Customer"


def test_select_all_active_in_id_order() -> None:
    assert ids("SELECT * FROM Customer") == ["1", "2", "4", "5", "6", "9", "10"]


def test_rows_returned_whole_and_not_copied() -> None:
    src = source()
    result = run("SELECT * FROM Customer WHERE Id = '1'", src)
    assert result.total_count is None
    (row,) = result.rows
    assert row is src._rows[0]


def test_star_with_extra_returns_whole_rows() -> None:
    (row,) = run("SELECT *, Sku FROM Customer WHERE Id = '4'").rows
    assert row["ParentRef"] == {"value": "10", "name": "Sushi by Katsuyuki"}


def test_count_ignores_paging() -> None:
    result = run("SELECT COUNT(*) FROM Customer STARTPOSITION 3 MAXRESULTS 1")
    assert result == QueryResult(rows=[], total_count=7)


def test_count_with_condition() -> None:
    result = run("select count(*) from customer where Balance > 100")
    assert result.total_count == 3  # 239, 1000, 629.1 (100 is not above 100)


def test_count_zero() -> None:
    assert run("SELECT COUNT(*) FROM Customer WHERE DisplayName = 'Nobody'").total_count == 0


# --- names and validation -----------------------------------------------------------------


def test_property_names_case_insensitive() -> None:
    assert ids("SELECT * FROM Customer WHERE displayname = 'cool cars' AND ACTIVE = FALSE") == ["3"]
    assert ids("SELECT * FROM Customer WHERE metadata.lastupdatedtime < '2015-01-01'") == ["5"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM Customer WHERE NoSuchField = '1'",
        "SELECT * FROM Customer ORDERBY NoSuchField",
        "SELECT NoSuchField FROM Customer",
        "SELECT COUNT(*) FROM Customer WHERE NoSuchField = '1'",
    ],
)
def test_unknown_property(text: str) -> None:
    assert fault_of(text) == (
        "4001",
        "QueryValidationError: Property NoSuchField not found for Entity Customer",
    )


def test_unknown_property_names_canonical_entity() -> None:
    src = FakeSource("Purchase", [{"Id": "1", "TxnDate": "2015-01-01"}], ("Id", "TxnDate"))
    with pytest.raises(QBOFault) as caught:
        execute(parse("SELECT * FROM purchase WHERE NoSuchField = '1'"), src, TODAY)
    assert caught.value.fault.errors[0].detail == (
        "QueryValidationError: Property NoSuchField not found for Entity Purchase"
    )


def test_unknown_dotted_property() -> None:
    code, detail = fault_of("SELECT * FROM Customer WHERE MetaData.Nope > '2015-01-01'")
    assert code == "4001"
    assert detail.endswith("Property MetaData.Nope not found for Entity Customer")


@pytest.mark.parametrize("op", ["<", ">", "<=", ">=", "LIKE"])
def test_id_only_supports_equality_and_in(op: str) -> None:
    code, detail = fault_of(f"SELECT * FROM Customer WHERE Id {op} '3'")
    assert code == "4001"
    assert f"Operator {op} is not supported for property Id" in detail


def test_resolve_entity() -> None:
    known = ["Customer", "Invoice", "JournalEntry"]
    assert resolve_entity("customer", known) == "Customer"
    assert resolve_entity("JOURNALENTRY", known) == "JournalEntry"
    assert resolve_entity("Customers", known) is None


def test_require_entity() -> None:
    assert require_entity("invoice", ["Invoice"]) == "Invoice"
    with pytest.raises(QBOFault) as caught:
        require_entity("Widget", ["Invoice"])
    error = caught.value.fault.errors[0]
    assert error.code == "4000"
    assert "Widget" in error.detail


# --- equality, IN and value forms ---------------------------------------------------------


def test_string_equality_case_insensitive() -> None:
    assert ids(r"SELECT * FROM Customer WHERE DisplayName = 'AMY\'S BIRD SANCTUARY'") == ["1"]


def test_escaped_quote() -> None:
    assert ids(r"SELECT * FROM Customer WHERE DisplayName = 'Adam\'s Candy Shop'") == ["5"]


def test_in_list() -> None:
    assert ids("SELECT * FROM Customer WHERE Id IN ('10', '2', '99')") == ["2", "10"]
    assert ids("SELECT * FROM Customer WHERE DisplayName in ('cool cars', 'Diego Rodriguez')") == [
        "4"
    ]


def test_id_bare_number() -> None:
    assert ids("SELECT * FROM Customer WHERE Id = 9") == ["9"]
    assert ids("SELECT * FROM Customer WHERE Id = 9.0") == ["9"]
    assert ids("SELECT * FROM Customer WHERE Id IN (1, '2', 10)") == ["1", "2", "10"]


def test_reference_uses_value() -> None:
    assert ids("SELECT * FROM Customer WHERE ParentRef = '10'") == ["4"]


def test_email_uses_address() -> None:
    assert ids("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'birds@intuit.com'") == ["1"]
    assert ids("SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE '%@k.com'") == ["9"]


def test_phone_uses_free_form_number() -> None:
    assert ids("SELECT * FROM Customer WHERE PrimaryPhone = '(650) 555-3311'") == ["1"]


def test_object_without_known_key_matches_nothing() -> None:
    assert ids("SELECT * FROM Customer WHERE MetaData = 'x'") == []


def test_missing_field_never_matches() -> None:
    assert "5" not in ids("SELECT * FROM Customer WHERE Balance >= 0")
    assert "5" not in ids("SELECT * FROM Customer WHERE Balance < 1000000")
    assert ids("SELECT * FROM Customer WHERE Notes LIKE '%'") == ["6"]


def test_booleans() -> None:
    assert ids("SELECT * FROM Customer WHERE Taxable = true") == ["1"]
    assert ids("SELECT * FROM Customer WHERE Taxable = FALSE") == ["4"]
    assert ids("SELECT * FROM Customer WHERE Taxable = 'True'") == ["1"]
    assert ids("SELECT * FROM Customer WHERE Taxable = 'yes'") == []
    assert ids("SELECT * FROM Customer WHERE Taxable = 1") == []


def test_boolean_literal_against_string_row() -> None:
    src = FakeSource("Thing", [{"Id": "1", "Flag": "true"}, {"Id": "2", "Flag": "false"}], ["Flag"])
    assert ids("SELECT * FROM Thing WHERE Flag = TRUE", src) == ["1"]


# --- numbers ------------------------------------------------------------------------------


def test_numbers_compare_as_decimals() -> None:
    assert ids("SELECT * FROM Customer WHERE Balance > 100") == ["1", "6", "9"]
    assert ids("SELECT * FROM Customer WHERE Balance > '100'") == ["1", "6", "9"]
    assert ids("SELECT * FROM Customer WHERE Balance >= 100.0") == ["1", "6", "9", "10"]
    assert ids("SELECT * FROM Customer WHERE Balance = 629.10") == ["9"]
    assert ids("SELECT * FROM Customer WHERE Balance = 1000") == ["6"]


def test_numeric_string_row_value() -> None:
    assert ids("SELECT * FROM Customer WHERE Balance = 12.5") == ["4"]
    assert ids("SELECT * FROM Customer WHERE Balance < 13") == ["4"]
    assert ids("SELECT * FROM Customer WHERE Balance < '90'") == ["2", "4"]
    assert ids("SELECT * FROM Customer WHERE Balance = '12.500'") == ["4"]


def test_negative_numbers() -> None:
    src = FakeSource("Thing", [{"Id": "1", "N": -5}, {"Id": "2", "N": 3}], ["Id", "N"])
    assert ids("SELECT * FROM Thing WHERE N < 0", src) == ["1"]
    assert ids("SELECT * FROM Thing WHERE N >= -5", src) == ["1", "2"]


def test_number_against_non_numeric_text() -> None:
    assert ids("SELECT * FROM Customer WHERE Balance = 'lots'") == []


# --- dates and datetimes ------------------------------------------------------------------


def invoices() -> FakeSource:
    rows = [
        {"Id": "1", "TxnDate": "2015-07-01", "DueDate": "2015-07-31"},
        {"Id": "2", "TxnDate": "2015-07-15", "DueDate": "2015-07-20"},
        {"Id": "3", "TxnDate": "2015-08-01", "DueDate": "2015-08-31"},
        {"Id": "4", "TxnDate": "2016-01-01"},
    ]
    return FakeSource("Invoice", rows, ["Id", "TxnDate", "DueDate"])


def test_date_comparisons() -> None:
    src = invoices()
    assert ids("SELECT * FROM Invoice WHERE TxnDate >= '2015-07-15'", src) == ["2", "3", "4"]
    assert ids("SELECT * FROM Invoice WHERE TxnDate < '2015-07-15'", src) == ["1"]
    assert ids("SELECT * FROM Invoice WHERE TxnDate = '2015-08-01'", src) == ["3"]
    assert ids(
        "SELECT * FROM Invoice WHERE TxnDate > '2015-07-01' AND TxnDate <= '2015-08-01'", src
    ) == ["2", "3"]


def test_current_date() -> None:
    src = invoices()
    assert ids("SELECT * FROM Invoice WHERE DueDate < CURRENT_DATE", src) == ["2"]
    assert ids("SELECT * FROM Invoice WHERE DueDate >= current_date", src) == ["1", "3"]
    later = date(2015, 9, 1)
    assert ids("SELECT * FROM Invoice WHERE DueDate < CURRENT_DATE", src, later) == ["1", "2", "3"]


def test_date_literal_against_datetime_field_is_pacific_midnight() -> None:
    # Customer 2 changed 2015-02-28 23:30 Pacific (07:30 UTC on March 1): before Pacific midnight.
    # Customer 3 changed exactly at Pacific midnight; customer 4 one second later.
    assert ids("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2015-03-01'") == [
        "1",
        "4",
        "6",
        "9",
        "10",
    ]
    assert ids(
        "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '2015-03-01' AND Active IN "
        "(true, false) AND MetaData.LastUpdatedTime < '2015-07-01'"
    ) == ["3", "4"]


def test_datetime_literals_compare_as_instants() -> None:
    # 2015-03-01T08:00:00Z is Pacific midnight: customer 3 is equal to it, 4 is after.
    text = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2015-03-01T08:00:00Z'"
    assert ids(text.replace("WHERE", "WHERE Active IN (true, false) AND")) == ["3"]
    text = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2015-03-01T03:00:00-05:00'"
    assert ids(text) == ["1", "4", "6", "9", "10"]
    text = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime < '2015-01-01T00:00:00'"
    assert ids(text) == ["5"]  # no offset: Pacific; 2014-12-31T12:00Z is earlier


def test_datetime_literal_against_date_field() -> None:
    src = invoices()
    text = "SELECT * FROM Invoice WHERE TxnDate >= '2015-07-15T00:00:00-07:00'"
    assert ids(text, src) == ["2", "3", "4"]
    text = "SELECT * FROM Invoice WHERE TxnDate > '2015-07-15T00:00:00-07:00'"
    assert ids(text, src) == ["3", "4"]


def test_invalid_date_text_compares_as_text() -> None:
    src = invoices()
    assert ids("SELECT * FROM Invoice WHERE TxnDate = '2015-13-45'", src) == []


# --- LIKE ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("Amy%", ["1"]),
        ("amy%", ["1"]),
        ("%shop", ["2", "5"]),
        ("%S%", ["1", "2", "5", "6", "10"]),
        ("%", ["1", "2", "4", "5", "6", "9", "10"]),
        ("%%", ["1", "2", "4", "5", "6", "9", "10"]),
        ("D%z", ["4"]),
        ("Diego Rodriguez", ["4"]),
        ("Diego", []),
        ("_iego%", []),
        ("%'s%", ["1", "2", "5"]),
        ("%.%", []),
        ("Amy's Bird Sanctuary%", ["1"]),
        ("%[a]%", []),
    ],
)
def test_like(pattern: str, expected: list[str]) -> None:
    escaped = pattern.replace("'", "\\'")
    assert ids(f"SELECT * FROM Customer WHERE DisplayName LIKE '{escaped}'") == expected


def test_like_underscore_is_literal() -> None:
    assert ids("SELECT * FROM Customer WHERE Notes LIKE '%off_promo'") == ["6"]
    assert ids("SELECT * FROM Customer WHERE Notes LIKE '%off promo'") == []
    assert ids("SELECT * FROM Customer WHERE Notes LIKE '50%'") == ["6"]


def test_like_on_numbers() -> None:
    assert ids("SELECT * FROM Customer WHERE Balance LIKE '629%'") == ["9"]


# --- the Active default -------------------------------------------------------------------


def test_inactive_hidden_by_default() -> None:
    assert "3" not in ids("SELECT * FROM Customer WHERE DisplayName LIKE 'C%'")
    assert run("SELECT COUNT(*) FROM Customer").total_count == 7


def test_active_condition_replaces_default() -> None:
    assert ids("SELECT * FROM Customer WHERE Active = false") == ["3"]
    assert ids("SELECT * FROM Customer WHERE Active IN (true, false)") == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "9",
        "10",
    ]
    assert run("SELECT COUNT(*) FROM Customer WHERE active in (true, false)").total_count == 8


def test_id_lookup_still_hides_inactive() -> None:
    assert ids("SELECT * FROM Customer WHERE Id = '3'") == []


def test_no_default_for_transactions() -> None:
    src = FakeSource("Invoice", [{"Id": "1", "Active": False}], ["Id", "Active"])
    assert ids("SELECT * FROM Invoice", src) == ["1"]


# --- index use ----------------------------------------------------------------------------


def test_id_lookup_avoids_scan() -> None:
    src = source()
    assert ids("SELECT * FROM Customer WHERE Id = '4'", src) == ["4"]
    assert src.rows_calls == 0
    assert src.lookups[0][0] == "Id"


def test_index_on_name_avoids_scan_and_other_conditions_apply() -> None:
    src = source()
    text = "SELECT * FROM Customer WHERE DisplayName = 'Diego Rodriguez' AND Balance > 20"
    assert ids(text, src) == []
    assert src.rows_calls == 0
    assert ids("SELECT * FROM Customer WHERE Balance > 5 AND DisplayName = 'diego rodriguez'", src)
    assert src.rows_calls == 0


def test_id_index_preferred() -> None:
    src = source()
    assert ids("SELECT * FROM Customer WHERE DisplayName = 'Cool Cars' AND Id = '2'", src) == []
    assert [path for path, _ in src.lookups] == ["Id"]
    assert "2" in src.lookups[0][1]


def test_unindexed_field_falls_back_to_next_then_scan() -> None:
    src = source()
    assert ids("SELECT * FROM Customer WHERE CompanyName = 'Sushi Co' AND Id IN ('10')", src) == [
        "10"
    ]
    assert src.rows_calls == 0
    src = source()
    assert ids("SELECT * FROM Customer WHERE CompanyName = 'sushi co'", src) == ["10"]
    assert src.lookups == [("CompanyName", ("sushi co",))]
    assert src.rows_calls == 1


def test_lookup_keys_cover_number_forms() -> None:
    src = source()
    assert ids("SELECT * FROM Customer WHERE Id IN (9.0, '010')", src) == ["9", "10"]
    assert src.rows_calls == 0
    path, keys = src.lookups[0]
    assert path == "Id"
    assert {"9", "10"} <= set(keys)


def test_date_conditions_do_not_use_index() -> None:
    src = FakeSource(
        "Invoice",
        [{"Id": "1", "TxnDate": "2015-07-01T00:00:00-07:00"}],
        ["Id", "TxnDate"],
        indexed=("Id", "TxnDate"),
    )
    assert ids("SELECT * FROM Invoice WHERE TxnDate = '2015-07-01'", src) == ["1"]
    assert src.lookups == []


def test_range_and_like_never_ask_index() -> None:
    src = source()
    ids("SELECT * FROM Customer WHERE DisplayName LIKE 'A%' AND DisplayName > 'A'", src)
    assert src.lookups == []
    assert src.rows_calls == 1


def test_large_source_uses_lookup_and_streams() -> None:
    rows = [customer(i, f"Customer {i:05d}") for i in range(1, 20_001)]
    src = FakeSource("Customer", rows, CUSTOMER_PATHS, name_list=True)
    assert ids("SELECT * FROM Customer WHERE DisplayName = 'customer 19999'", src) == ["19999"]
    assert src.rows_calls == 0
    # Without ORDERBY the page is streamed: the scan stops once the page is full.
    assert ids("SELECT * FROM Customer STARTPOSITION 11 MAXRESULTS 5", src) == [
        "11",
        "12",
        "13",
        "14",
        "15",
    ]
    assert src.rows_yielded == 15


# --- ordering -----------------------------------------------------------------------------


def test_order_by_text_case_insensitive() -> None:
    assert ids("SELECT * FROM Customer ORDERBY DisplayName") == [
        "5",
        "1",
        "2",
        "4",
        "6",
        "9",
        "10",
    ]
    assert ids("SELECT * FROM Customer ORDER BY displayname DESC") == [
        "10",
        "9",
        "6",
        "4",
        "2",
        "1",
        "5",
    ]


def test_order_by_id_is_numeric() -> None:
    assert ids("SELECT * FROM Customer ORDERBY Id DESC") == ["10", "9", "6", "5", "4", "2", "1"]


def test_order_by_number_missing_last() -> None:
    # Balances: 1=239, 2=85, 4="12.50", 5=missing, 6=1000, 9=629.1, 10=100.
    assert ids("SELECT * FROM Customer ORDERBY Balance") == ["4", "2", "10", "1", "9", "6", "5"]
    # Descending is the exact reverse: the missing value comes first.
    assert ids("SELECT * FROM Customer ORDERBY Balance DESC") == [
        "5",
        "6",
        "9",
        "1",
        "10",
        "2",
        "4",
    ]


def test_order_by_datetime_as_instants() -> None:
    text = "SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY MetaData.LastUpdatedTime"
    assert ids(text)[:4] == ["5", "2", "3", "4"]


def test_order_ties_keep_id_order_and_secondary_key() -> None:
    rows = [
        {"Id": "1", "Kind": "b", "N": 2},
        {"Id": "2", "Kind": "a", "N": 1},
        {"Id": "3", "Kind": "b", "N": 1},
        {"Id": "4", "Kind": "a", "N": 1},
        {"Id": "5", "Kind": "B", "N": 2},
    ]
    src = FakeSource("Thing", rows, ["Id", "Kind", "N"])
    assert ids("SELECT * FROM Thing ORDERBY Kind", src) == ["2", "4", "1", "3", "5"]
    assert ids("SELECT * FROM Thing ORDERBY Kind DESC", src) == ["1", "3", "5", "2", "4"]
    assert ids("SELECT * FROM Thing ORDERBY Kind, N DESC", src) == ["2", "4", "1", "5", "3"]
    assert ids("SELECT * FROM Thing ORDERBY N, Kind DESC", src) == ["3", "2", "4", "1", "5"]


def test_order_by_booleans() -> None:
    text = "SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY Active DESC, Id DESC"
    assert ids(text) == ["10", "9", "6", "5", "4", "2", "1", "3"]


# --- paging -------------------------------------------------------------------------------


def test_max_results() -> None:
    assert ids("SELECT * FROM Customer MAXRESULTS 2") == ["1", "2"]


def test_start_position() -> None:
    assert ids("SELECT * FROM Customer STARTPOSITION 3 MAXRESULTS 2") == ["4", "5"]
    assert ids("SELECT * FROM Customer STARTPOSITION 7") == ["10"]
    assert ids("SELECT * FROM Customer STARTPOSITION 8") == []


def test_paging_after_ordering() -> None:
    text = "SELECT * FROM Customer ORDERBY DisplayName DESC STARTPOSITION 2 MAXRESULTS 3"
    assert ids(text) == ["9", "6", "4"]


def test_paging_after_filtering() -> None:
    text = "SELECT * FROM Customer WHERE Balance > 50 STARTPOSITION 2 MAXRESULTS 2"
    assert ids(text) == ["2", "6"]


def test_default_page_is_100() -> None:
    rows = [customer(i, f"C{i}") for i in range(1, 251)]
    src = FakeSource("Customer", rows, CUSTOMER_PATHS, name_list=True)
    assert len(ids("SELECT * FROM Customer", src)) == 100
    assert len(ids("SELECT * FROM Customer MAXRESULTS 1000", src)) == 250
    assert ids("SELECT * FROM Customer STARTPOSITION 201", src)[0] == "201"


# --- projection ---------------------------------------------------------------------------


def test_projection_keeps_listed_fields_and_id() -> None:
    rows = run("SELECT DisplayName, Balance FROM Customer WHERE Id IN ('1', '5')").rows
    assert rows == [
        {"Id": "1", "DisplayName": "Amy's Bird Sanctuary", "Balance": 239.0},
        {"Id": "5", "DisplayName": "Adam's Candy Shop"},
    ]


def test_projection_of_dotted_path_keeps_top_level_object() -> None:
    (row,) = run("SELECT metadata.createtime FROM Customer WHERE Id = '2'").rows
    assert row == {
        "Id": "2",
        "MetaData": {
            "CreateTime": "2015-01-01T09:00:00-08:00",
            "LastUpdatedTime": "2015-02-28T23:30:00-08:00",
        },
    }


def test_projection_with_order_by_unprojected_field() -> None:
    rows = run("SELECT Id FROM Customer WHERE Balance > 0 ORDERBY Balance DESC MAXRESULTS 2").rows
    assert rows == [{"Id": "6"}, {"Id": "9"}]


def test_sql_style_doubled_quote_is_a_parse_error() -> None:
    code, _ = fault_of("SELECT * FROM Customer WHERE DisplayName = 'Amy''s Bird Sanctuary'")
    assert code == "4000"
