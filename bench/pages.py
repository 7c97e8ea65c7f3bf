"""How big and how fast the dashboard's report pages are with the demo's data (8,400 records).

    .venv/bin/python -m bench.pages                      # reads var/demo, made by `make demo`
    .venv/bin/python -m bench.pages --data-dir DIR       # another demo's data directory
    .venv/bin/python -m bench.pages --make               # runs `ledgerbridge demo --no-serve`
                                                         # into DIR first (about 3 minutes)

The dashboard is served in this process (FastAPI's test client, no sockets and no background
sync: the data stays as the demo left it) to a user it adds for the connection's API key
(`bench@example.com`). Each page is fetched `--rounds` times; printed: its size (the HTML, as
sent) and the fastest and the median time to answer. It prints, never asserts timings; the
exit status is 0 unless the run breaks.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import build
from ledgerbridge.dashboard.accounts import UserRefused, create_user
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage import tables

EMAIL = "bench@example.com"
PASSWORD = "bench pages correct horse staple"
PAGES = (
    "",  # the overview: what to do first, setup, changed in QuickBooks since yesterday
    "/log?needs=person",
    "/log?changed=any",
    "/reconciliation",
    "/reconciliation?kind=paid",
    "/health",
    "/setup",
)


def _client(app: Any) -> httpx.Client:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*starlette.testclient", category=Warning)
        from fastapi.testclient import TestClient
    client: httpx.Client = TestClient(app, base_url="http://bench", follow_redirects=False)
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found is None:
        raise SystemExit("the sign-in page has no CSRF token")
    return found.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--make", action="store_true", help="run the demo into --data-dir first")
    args = parser.parse_args(argv)
    if args.make:
        command = [sys.executable, "-m", "ledgerbridge.cli", "demo", "--no-serve"]
        subprocess.run([*command, "--data-dir", str(args.data_dir)], check=True)
    if not (args.data_dir / "ledgerbridge.db").exists():
        raise SystemExit(f"no demo in {args.data_dir}: run `make demo` or pass --make")
    ledger = build(load_settings({}, data_dir=args.data_dir))
    with ledger.db.session(readonly=True) as session:
        found = session.execute(select(tables.Connection.id, tables.Connection.api_key_id)).first()
        if found is None:
            raise SystemExit("the demo has no connection")
        records = session.execute(
            select(tables.Record.id).where(tables.Record.connection_id == found.id)
        ).all()
    cid, key_id = found.id, found.api_key_id
    with contextlib.suppress(UserRefused):  # made by an earlier run
        create_user(ledger, EMAIL, key_id, PASSWORD)
    service = Service(ledger, wake=lambda connection_id: None, wake_pull=lambda cid: None)
    with _client(create_app(service)) as client:
        page = client.get("/dashboard/login")
        signed = client.post(
            "/dashboard/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": _csrf(page.text)},
        )
        if signed.status_code != 303:
            raise SystemExit(f"signing in failed: {signed.status_code}")
        print(f"{len(records):,} records in {args.data_dir}, connection {cid}")
        print(f"{'page':<34}{'size':>10}{'fastest':>10}{'median':>10}")
        for path in PAGES:
            times = []
            size = 0
            for _ in range(args.rounds):
                started = time.perf_counter()
                answer = client.get(f"/dashboard/connections/{cid}{path}")
                times.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {answer.status_code}")
                size = len(answer.content)
            print(
                f"{path or '(overview)':<34}{size / 1024:>8.0f} KB"
                f"{min(times):>9.2f}s{statistics.median(times):>9.2f}s"
            )
    ledger.db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
