"""Records per status over time (`queries.status_history`): each record's status at the end of
each of the last 14 days rebuilt from its history and its sync state row,
on SQLite and PostgreSQL, and the Health page's chart and table of it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dashboard import queries
from ledgerbridge.dashboard.present import RECORD_STATUSES
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage import tables
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.dashboard.conftest import Office
from tests.ledgerbridge.storage.conftest import (
    BACKENDS,
    _fresh_database,
)

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
ORDER = list(RECORD_STATUSES)


@dataclass
class Books:
    """A ledger on one backend, and a new connection of a new key in it per test."""

    ledger: Ledger
    service: Service

    def connection(self, name: str = "Main office") -> str:
        key_id, _ = self.service.create_key("test")
        return self.service.create_connection(key_id, name, "emulator").id


@pytest.fixture(scope="module", params=BACKENDS)
def ledger(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ledger]:
    directory = tmp_path_factory.mktemp("status-history")
    with _fresh_database(str(request.param), directory / "db") as url:
        env = {"LEDGERBRIDGE_DATABASE_URL": url}
        built = build(load_settings(env, data_dir=Path(directory)))
        built.db.migrate()
        try:
            yield built
        finally:
            built.db.dispose()


@pytest.fixture
def books(ledger: Ledger) -> Books:
    return Books(ledger, Service(ledger, wake=lambda _: None, wake_pull=lambda _: None))


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment of November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def created(books: Books, cid: str, moment: datetime) -> None:
    with books.ledger.db.session() as session:
        session.execute(
            update(tables.Connection).where(tables.Connection.id == cid).values(created_at=moment)
        )


def record(
    books: Books,
    cid: str,
    app_id: str,
    history: Sequence[tuple[datetime, str]],
    status: str,
    since: datetime,
    record_type: str = "customer",
) -> None:
    """A record with these history entries, whose sync state row holds `status` since
    `since` (its last change)."""
    key = {"connection_id": cid, "type": record_type, "app_id": app_id}
    with books.ledger.db.session() as session:
        for moment, kind in history:
            session.execute(insert(tables.HistoryEntry).values(**key, at=moment, kind=kind))
        session.execute(
            insert(tables.SyncState).values(
                **key, status=status, attempts=0, desired_version=1, updated_at=since
            )
        )


def test_each_records_status_at_the_end_of_each_day_is_rebuilt(books: Books) -> None:
    cid = books.connection()
    created(books, cid, at(1, 9))
    # synced before the 14 days: the same in every day
    record(
        books,
        cid,
        "old",
        [(at(1, 10), "received"), (at(1, 10, 5), "created")],
        "synced",
        at(1, 10, 5),
    )
    # stopped by a problem on the 12th, retried and synced on the 14th
    record(
        books,
        cid,
        "fixed",
        [
            (at(12, 9), "received"),
            (at(12, 9, 1), "create_sent"),  # a write in progress: no change
            (at(12, 9, 2), "error"),
            (at(14, 8), "action:retry"),
            (at(14, 8, 1), "created"),  # with the row's change: the row tells
        ],
        "synced",
        at(14, 8, 1),
    )
    # bypassed on the 10th; a new version from the app leaves it bypassed
    record(
        books,
        cid,
        "skipped",
        [(at(5), "received"), (at(10, 13), "action:bypass"), (at(16), "received")],
        "bypassed",
        at(16),
    )
    # received late on the 21st, blocked today
    record(books, cid, "late", [(at(21, 23, 59), "received")], "blocked", at(22, 10))
    # an action that says nothing of the status it leaves: the row's change does
    record(
        books,
        cid,
        "kept",
        [(at(8), "received"), (at(15), "drift"), (at(17), "action:accept_quickbooks")],
        "synced",
        at(17, 0, 1),
        record_type="invoice",
    )
    other = books.connection("Elsewhere")
    record(books, other, "theirs", [(at(20), "received")], "error", at(20))

    history = queries.status_history(books.ledger, cid, NOW, order=ORDER)

    assert history.unit == "day"
    assert [start.day for start in history.starts] == list(range(9, 23))
    assert history.starts[0] == datetime(2026, 11, 9, tzinfo=UTC)
    assert history.statuses == ["synced", "pending", "error", "blocked", "bypassed"]
    by_day = {
        start.day: dict(counts)
        for start, counts in zip(history.starts, history.counts, strict=True)
    }
    assert by_day[9] == {"synced": 1, "pending": 2}  # old; skipped and kept received
    assert by_day[10] == {"synced": 1, "bypassed": 1, "pending": 1}
    assert by_day[12] == {"synced": 1, "bypassed": 1, "pending": 1, "error": 1}
    assert by_day[14] == {"synced": 2, "bypassed": 1, "pending": 1}
    assert by_day[15] == by_day[16] == {"synced": 2, "bypassed": 1, "error": 1}
    assert by_day[17] == by_day[20] == {"synced": 3, "bypassed": 1}
    assert by_day[21] == {"synced": 3, "bypassed": 1, "pending": 1}
    assert by_day[22] == {"synced": 3, "bypassed": 1, "blocked": 1}
    with books.ledger.db.session(readonly=True) as session:
        assert by_day[22] == SyncStates(session).counts(cid)  # the last day is now


def test_a_young_connection_is_shown_day_by_day_too(books: Books) -> None:
    """The README's period, whatever the connection's age: 14 days, day by day (the last 24
    hours hour by hour are the chart of records synced per hour)."""
    cid = books.connection()
    created(books, cid, NOW - timedelta(hours=5))
    record(books, cid, "a", [(at(22, 13, 10), "received")], "synced", at(22, 14, 20))
    record(books, cid, "b", [(at(22, 15, 10), "received")], "error", at(22, 15, 11))
    record(
        books, cid, "clock", [(at(22, 15, 5), "received")], "pending", NOW + timedelta(minutes=1)
    )

    history = queries.status_history(books.ledger, cid, NOW, order=ORDER)

    assert history.unit == "day"
    assert len(history.starts) == 14
    assert history.starts[0] == datetime(2026, 11, 9, tzinfo=UTC)
    assert history.starts[-1] == datetime(2026, 11, 22, tzinfo=UTC)
    counts = [dict(c) for c in history.counts]
    assert counts[:13] == [{}] * 13
    # the last day ends now; a row changed after `now` (another clock) still counts in it
    assert counts[13] == {"synced": 1, "error": 1, "pending": 1}


def test_a_connection_without_records_has_empty_days(books: Books) -> None:
    cid = books.connection()
    created(books, cid, NOW - timedelta(days=30))
    history = queries.status_history(books.ledger, cid, NOW)
    assert history.unit == "day" and len(history.counts) == 14
    assert all(not counts for counts in history.counts) and history.statuses == []


def test_the_health_page_draws_statuses_over_time_with_a_table(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann Lee"})
    office.service.put_record(office.key_id, cid, "customer", "c-2", {"display_name": "Bo Diaz"})
    page = office.client.get(f"/dashboard/connections/{cid}/health").text

    svg = re.search(r'<svg class="chart" id="chart-over-time".*?</svg>', page, re.S)
    assert svg, "no chart of statuses over time"
    chart = svg.group(0)
    title = "Records by status at the end of each day, last 14 days (UTC)"  # a new one too
    assert f'<title id="chart-over-time-title">{title}</title>' in chart
    assert re.search(r'<desc id="chart-over-time-desc">[^<]*: Pending 2\.</desc>', chart)
    assert 'class="seg seg-pending"' in chart and ">Pending</text>" in chart  # bar and legend
    table = re.search(rf"<caption>{re.escape(title)}</caption>.*?</table>", page, re.S)
    assert table, "no table of statuses over time"
    head = re.findall(r'<th scope="col">([^<]*)</th>', table.group(0))
    assert head == ["Day (UTC)", "Pending", "All records"]
    rows = re.findall(
        r"<tr><th scope=\"row\">([^<]*)</th><td>(\d+)</td><td>(\d+)</td></tr>", table.group(0)
    )
    assert len(rows) == 14
    assert rows[-1][0].endswith("(now)") and rows[-1][1:] == ("2", "2")
