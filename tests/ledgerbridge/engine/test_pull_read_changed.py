"""Reading what changed since the cursor, page by page, while people keep working in
QuickBooks: a deletion on an earlier page must not move an edited object off every page (the
count check cannot see that: the mirror still holds the deleted object). The fake company
answers through the emulator's own query engine (rows in Id order unless ORDERBY asks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledgerbridge.engine import pull
from ledgerbridge.storage.scratch import KeySet
from qbo_emulator.clock import PACIFIC
from qbo_emulator.query import execute, parse

SINCE = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class _Rows:
    """The emulator's `QuerySource` over a dict of Invoice rows."""

    entity = "Invoice"
    is_name_list = False

    def __init__(self, rows: dict[int, dict[str, Any]]) -> None:
        self._rows = rows

    def canonical_path(self, path: str) -> str | None:
        known = {"id": "Id", "metadata.lastupdatedtime": "MetaData.LastUpdatedTime"}
        return known.get(path.casefold())

    def rows(self) -> Iterable[Mapping[str, Any]]:
        return [self._rows[key] for key in sorted(self._rows)]

    def lookup(self, path: str, values: Sequence[str]) -> None:
        return None


class FakeCompany:
    """Invoices 1..n, all changed after SINCE (two a second), read by the pull's queries;
    `between_pages` runs once, after the first page is answered (a person at work)."""

    def __init__(self, n: int) -> None:
        self.rows = {i: _invoice(i, 1, SINCE + timedelta(seconds=i // 2)) for i in range(1, n + 1)}
        self.between_pages: Any = None
        self.pages = 0
        self.queries: list[str] = []

    def count(self, text: str) -> int:
        result = execute(parse(text), _Rows(self.rows), date(2026, 12, 6))
        assert result.total_count is not None
        return result.total_count

    def query_page(self, text: str, start: int, size: int) -> list[dict[str, Any]]:
        self.queries.append(text)
        query = parse(f"{text} STARTPOSITION {start} MAXRESULTS {size}")
        page = [dict(row) for row in execute(query, _Rows(self.rows), date(2026, 12, 6)).rows]
        self.pages += 1
        if self.pages == 1 and self.between_pages is not None:
            self.between_pages(self)
        return page


def _invoice(i: int, token: int, updated: datetime) -> dict[str, Any]:
    stamp = updated.astimezone(PACIFIC).replace(microsecond=0).isoformat()
    return {
        "Id": str(i),
        "SyncToken": str(token),
        "DocNumber": f"edited {token}",
        "MetaData": {"LastUpdatedTime": stamp},
    }


def _read(company: FakeCompany, mirror: set[str]) -> tuple[bool, dict[str, list[str]]]:
    """`_read_changed` over the company, the mirror holding `mirror` (deleted ones too):
    whether it called the read complete, and each id's SyncTokens in the order read."""

    def held(entity: str, ids: KeySet) -> int:
        return len(mirror | {qbo_id for chunk in ids.chunks(entity) for qbo_id in chunk})

    with pull._Spool.new() as spool:
        complete = pull._read_changed(
            company,  # type: ignore[arg-type]  # the two reads the pull asks of QuickBooks
            "Invoice",
            SINCE,
            spool,
            lambda read: read(),  # type: ignore[arg-type,return-value]
            held,
        )
        seen: dict[str, list[str]] = {}
        for _, rows in spool.pages():
            for row in rows:
                seen.setdefault(str(row["Id"]), []).append(str(row["SyncToken"]))
    return complete, seen


def test_a_deletion_between_pages_moves_no_edit_off_every_page() -> None:
    """The reviewer's case: 1001 edited invoices the mirror holds in their old version; a
    person deletes invoice 6 once the first page is read. Paged by position the last invoice
    moved onto page one's edge and was read by neither page, the count still matching."""
    company = FakeCompany(1001)
    mirror = {str(i) for i in range(1, 1002)}

    def delete_six(company: FakeCompany) -> None:
        del company.rows[6]

    company.between_pages = delete_six
    complete, seen = _read(company, mirror)
    assert "1001" in seen
    assert set(seen) == {str(i) for i in range(1, 1002)}  # 6 read before it went
    assert all(tokens == ["1"] for tokens in seen.values())  # each read once
    assert complete  # the count was taken before the deletion: it tells the next pull
    assert all("ORDERBY MetaData.LastUpdatedTime" in text for text in company.queries)


def test_an_edit_during_the_read_is_read_in_its_new_version() -> None:
    company = FakeCompany(1500)

    def edit_three(company: FakeCompany) -> None:
        company.rows[3] = _invoice(3, 2, SINCE + timedelta(hours=1))

    company.between_pages = edit_three
    complete, seen = _read(company, {str(i) for i in range(1, 1501)})
    assert complete
    assert seen["3"] == ["1", "2"]  # the later copy is the one stored
    assert len(seen) == 1500
    assert all(tokens == ["1"] for key, tokens in seen.items() if key != "3")


def test_a_page_of_one_second_is_read_in_full_instead() -> None:
    """More changes in one second than a page holds: a page from that second on would give
    the same page again, so the caller reads the entity in full."""
    company = FakeCompany(1200)
    for i in range(1, 1101):
        company.rows[i] = _invoice(i, 1, SINCE)
    complete, seen = _read(company, {str(i) for i in range(1, 1201)})
    assert len(seen) == 1000  # the one page read, stored again by the full read
    assert not complete
    assert company.pages == 1


def test_each_copy_is_read_once_over_many_pages() -> None:
    company = FakeCompany(3500)  # four pages, each from the last one's latest second on
    complete, seen = _read(company, {str(i) for i in range(1, 3501)})
    assert complete
    assert len(seen) == 3500
    assert all(tokens == ["1"] for tokens in seen.values())


def test_only_the_copies_of_a_pages_last_second_are_kept_to_drop_again() -> None:
    # the next page starts from that second: no other copy read can come back, and keeping
    # every copy read held thousands of keys after a long pass
    page = [_invoice(i, 1, SINCE + timedelta(seconds=i // 2)) for i in range(1, 1001)]
    last = pull._updated(page[-1])
    assert last is not None
    assert pull._edge(page, last) == {("1000", "1")}  # 1000 alone in its second (500 s)
    page[-2] = _invoice(999, 1, SINCE + timedelta(seconds=500))
    assert pull._edge(page, last) == {("999", "1"), ("1000", "1")}
