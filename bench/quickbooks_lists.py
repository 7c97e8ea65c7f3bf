"""How long QuickBooks' lists take to read through the API with tens of thousands of objects
in the mirror: the first page, a page deep in the list by cursor, searches by name, email and
SKU, the linked and inactive filters.

    .venv/bin/python -m bench.quickbooks_lists                 # 30,000 customers on SQLite
    .venv/bin/python -m bench.quickbooks_lists --postgres      # the same on PostgreSQL (a
                                                               # private schema of the tests')
    .venv/bin/python -m bench.quickbooks_lists --objects 60000 --repeat 7

The mirror is filled directly (`storage.mirror.Mirror.put_many`, as a pull stores what it
read): `--objects` customers (one in 20 inactive, one in 10 linked to an app record), a third
as many items with SKUs, and as many vendors as items. Each request is asked of the API in this
process (FastAPI's test client: routing, the read, the JSON answer), `--repeat` times; the best
and the median are printed in milliseconds. Nothing is asserted: the exit status is 0 unless
the run breaks. On PostgreSQL the tables are analyzed after the load, as autovacuum does
soon after a load this size (before, the planner takes the new company for an empty one).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import build
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror


def _objects(count: int) -> Iterator[MirrorObject]:
    for n in range(count):
        yield MirrorObject.from_quickbooks(
            "Customer",
            {
                "Id": str(n + 1),
                "SyncToken": "0",
                "DisplayName": f"Customer {n:06d} Holdings",
                "PrimaryEmailAddr": {"Address": f"billing{n:06d}@example.com"},
                "Active": n % 20 != 0,
            },
        )
    for n in range(count // 3):
        yield MirrorObject.from_quickbooks(
            "Item",
            {"Id": str(n + 1), "Name": f"Part {n:06d}", "Sku": f"SKU-{n:06d}", "Type": "Service"},
        )
        yield MirrorObject.from_quickbooks(
            "Vendor", {"Id": str(n + 1), "DisplayName": f"Supplier {n:06d}"}
        )


@contextlib.contextmanager
def _database(postgres: bool) -> Iterator[tuple[str | None, Path]]:
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as folder:
        if not postgres:
            yield None, Path(folder)
            return
        from tests.ledgerbridge.postgres import private_schema  # the test suite's helper

        with private_schema("bench_lists") as url:
            yield url, Path(folder)


def _client(app: Any) -> httpx.Client:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*starlette.testclient", category=Warning)
        from fastapi.testclient import TestClient
    client: httpx.Client = TestClient(app, base_url="http://bench", follow_redirects=False)
    return client


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args(argv)

    with _database(args.postgres) as (url, folder):
        env = {"LEDGERBRIDGE_DATABASE_URL": url} if url else {}
        ledger = build(load_settings(env, data_dir=folder))
        ledger.db.migrate()
        service = Service(ledger, wake=lambda cid: None, wake_pull=lambda cid: None)
        key_id, secret = service.create_key("bench")
        cid = service.create_connection(key_id, "Bench", "emulator").id
        start = time.perf_counter()
        objects = list(_objects(args.objects))
        with ledger.db.session() as session:
            Mirror(session, cid).put_many(objects)
            Links(session).put_many(
                cid,
                (
                    StoredLink("customer", f"c-{n}", "Customer", str(n + 1), "0", None, None)
                    for n in range(0, args.objects, 10)
                ),
            )
        loaded = time.perf_counter() - start
        if url:  # as autovacuum does after a load this size: the planner's figures
            with ledger.db.session() as session:
                session.execute(text("ANALYZE mirror"))
                session.execute(text("ANALYZE links"))
        client = _client(create_app(service))
        client.headers["Authorization"] = f"Bearer {secret}"
        base = f"/v1/connections/{cid}/quickbooks"
        deep = client.get(f"{base}/customers", params={"limit": 200, "q": "customer 0"}).json()
        for _ in range(20):  # 20 pages in: a cursor deep into the list
            deep = client.get(
                f"{base}/customers", params={"limit": 200, "cursor": deep["next_cursor"]}
            ).json()
        cases: list[tuple[str, str, dict[str, Any]]] = [
            ("customers, first page (50)", "customers", {}),
            ("customers, 200 a page", "customers", {"limit": 200}),
            ("customers, page 21 by cursor", "customers", {"cursor": deep["next_cursor"]}),
            ("customers, q= one name", "customers", {"q": f"customer {args.objects // 2:06d}"}),
            ("customers, q= no match", "customers", {"q": "zzz-nothing"}),
            ("customers, email=", "customers", {"email": "billing000123@"}),
            ("customers, inactive", "customers", {"active": "false"}),
            ("customers, linked", "customers", {"linked": "true"}),
            ("customers, unlinked + q", "customers", {"linked": "false", "q": "holdings"}),
            ("items, sku=", "items", {"sku": f"sku-{args.objects // 6:06d}"}),
            ("vendors, first page", "vendors", {}),
        ]
        backend = "PostgreSQL" if url else "SQLite"
        total = len(objects)
        print(f"{total:,} mirror objects on {backend} (stored in {loaded:.1f} s)")
        print(f"{'':34} {'best ms':>9} {'median ms':>10} {'items':>6}")
        for label, which, params in cases:
            spent: list[float] = []
            found = 0
            for _ in range(args.repeat):
                begun = time.perf_counter()
                answer = client.get(f"{base}/{which}", params=params)
                spent.append((time.perf_counter() - begun) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"{label}: {answer.status_code} {answer.text[:300]}")
                found = len(answer.json()["items"])
            print(f"{label:34} {min(spent):9.1f} {statistics.median(spent):10.1f} {found:6}")
        client.close()
        ledger.db.dispose()


if __name__ == "__main__":
    main()
