"""How long the dashboard's sync log takes with thousands of records: its first and its last
page, sorted the default way (newest activity first) and by name, a filter, and the CSV export
of everything.

    .venv/bin/python -m bench.log_pages                 # 8,432 records on SQLite
    .venv/bin/python -m bench.log_pages --postgres      # the same on PostgreSQL (a private schema
                                                        # of $LEDGERBRIDGE_TEST_POSTGRES's database)
    .venv/bin/python -m bench.log_pages --records 20000 --repeat 7

The records (customers, vendors, items, invoices, as many as `--records`) go in through
`Service.put_records`; a tenth are then bypassed and a tenth marked failed with a problem, so
that the statuses and problems vary. Each page is asked of the dashboard in this process
(FastAPI's test client: routing, the reads, the template, the whole answer), signed in, `--repeat`
times; the best and the median are printed in milliseconds, then the same for the reads alone
(the count and one page's keys, `dashboard.log_listing`). Nothing is asserted: the exit status
is 0 unless the run breaks.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import build
from ledgerbridge.core.records import Incoming
from ledgerbridge.dashboard import log_listing
from ledgerbridge.dashboard.accounts import create_user
from ledgerbridge.dashboard.log_listing import LogQuery
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage import tables

PASSWORD = "correct horse battery staple"
TYPES = ("customer", "vendor", "item", "invoice")


def _records(count: int) -> Iterator[Incoming]:
    for n in range(count):
        kind = TYPES[n % len(TYPES)]
        if kind == "item":
            data: dict[str, Any] = {"name": f"Item {n:05d}", "type": "service"}
        elif kind == "invoice":
            data = {
                "number": f"{10_000 + n}",
                "customer_id": f"customer-{n - n % 4:05d}",
                "date": "2026-11-02",
                "lines": [{"description": "Work", "quantity": "1", "unit_price": "10.00"}],
            }
        else:
            data = {"display_name": f"{kind.title()} {n:05d}"}
        yield Incoming(kind, f"{kind}-{n:05d}", data)


@contextlib.contextmanager
def _database(postgres: bool) -> Iterator[tuple[str | None, Path]]:
    with tempfile.TemporaryDirectory(prefix="bench-log-") as folder:
        if not postgres:
            yield None, Path(folder)
            return
        from tests.ledgerbridge.postgres import private_schema  # the test suite's helper

        with private_schema("bench_log") as url:
            yield url, Path(folder)


def _client(app: Any) -> httpx.Client:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*starlette.testclient", category=Warning)
        from fastapi.testclient import TestClient
    client: httpx.Client = TestClient(app, base_url="http://bench", follow_redirects=False)
    return client


def _timed(repeat: int, call: Callable[[], httpx.Response]) -> tuple[float, float, int]:
    spent: list[float] = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        answer = call()
        spent.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{answer.request.url}: {answer.status_code} {answer.text[:300]}")
        size = len(answer.content)
    return min(spent), statistics.median(spent), size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=8_432)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args(argv)

    with _database(args.postgres) as (url, folder):
        env = {"LEDGERBRIDGE_DATABASE_URL": url} if url else {}
        ledger = build(load_settings(env, data_dir=folder))
        ledger.db.migrate()
        service = Service(ledger, wake=lambda cid: None, wake_pull=lambda cid: None)
        key_id, _ = service.create_key("bench")
        cid = service.create_connection(key_id, "Bench", "emulator").id
        records = list(_records(args.records))
        start = time.perf_counter()
        for at in range(0, len(records), 1_000):
            service.put_records(key_id, cid, records[at : at + 1_000])
        loaded = time.perf_counter() - start
        state = tables.SyncState
        with ledger.db.session() as session:  # vary the statuses and problems
            for n, (status, problem) in enumerate(
                (("bypassed", None), ("error", {"code": "customer.name_missing"}))
            ):
                wanted = [r.id for i, r in enumerate(records) if i % 10 == n]
                session.execute(
                    update(state)
                    .where(state.connection_id == cid, state.app_id.in_(wanted))
                    .values(status=status, problem=problem)
                )
        create_user(ledger, "bench@example.com", key_id, PASSWORD)
        client = _client(create_app(service))
        login = client.get("/dashboard/login").text
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = client.post(
            "/dashboard/login",
            data={"email": "bench@example.com", "password": PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 303, signed.text
        log = f"/dashboard/connections/{cid}/log"
        pages_50 = -(-args.records // 50)
        pages_200 = -(-args.records // 200)
        cases: list[tuple[str, dict[str, str], str]] = [
            ("first page (newest first, 50)", {}, log),
            ("last page (newest first, 50)", {"page": str(pages_50)}, log),
            ("first page by name", {"sort": "name"}, log),
            ("last page by name", {"sort": "name", "page": str(pages_50)}, log),
            ("last page by problem", {"sort": "problem", "page": str(pages_50)}, log),
            ("last page, 200 a page", {"size": "200", "page": str(pages_200)}, log),
            ("needs attention, first page", {"status": "error"}, log),
            ("search 'customer-0', last page", {"q": "customer-0", "page": "9999"}, log),
            ("CSV of everything", {}, f"{log}.csv"),
        ]
        backend = "PostgreSQL" if url else "SQLite"
        print(f"{args.records:,} records on {backend} (loaded in {loaded:.1f} s)")
        print(f"{'':34} {'best ms':>9} {'median ms':>10} {'KB':>8}")
        client.get(log)  # first calls are slower (templates compiled, caches warm)
        for label, params, path in cases:
            ask = functools.partial(client.get, path, params=params)
            best, median, size = _timed(args.repeat, ask)
            print(f"{label:34} {best:9.1f} {median:10.1f} {size / 1024:8.1f}")
        # the reads alone (`dashboard.log_listing`: the count and one page's keys), no template
        print("reads alone (count + one page of keys):")
        for label, query, page in (
            ("first page, newest first", LogQuery(), 1),
            ("last page, newest first", LogQuery(), pages_50),
            ("last page by name", LogQuery(sort="name", descending=False), pages_50),
        ):

            def read(query: LogQuery = query, page: int = page) -> None:
                log_listing.count(ledger, cid, query)
                log_listing.keys(ledger, cid, query, offset=(page - 1) * 50, limit=50)

            spent = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                read()
                spent.append((time.perf_counter() - start) * 1000)
            print(f"{label:34} {min(spent):9.1f} {statistics.median(spent):10.1f}")
        client.close()
        ledger.db.dispose()


if __name__ == "__main__":
    main()
