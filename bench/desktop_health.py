"""The cost of the Web Connectors' health round (`engine.desktop.health.check_all`) on SQLite.

    .venv/bin/python -m bench.desktop_health              # 1,000 Desktop connections
    .venv/bin/python -m bench.desktop_health --connections 200

Each Desktop connection gets a Web Connector heard from at the same moment. Three rounds are
timed (the fastest of `--rounds` each): a quiet round (nobody silent: one read, no write), the
round in which every one goes silent (a write and two events each), and the quiet round after
it (all still silent: no write). Printed: milliseconds per round and per connection, and the
ratios to the quiet round; nothing is asserted (the machine may be shared).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledgerbridge.bootstrap import build
from ledgerbridge.engine.desktop import health
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.web_connectors import WebConnectors


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _timed(round_: object, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        round_()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("ledgerbridge").setLevel(logging.ERROR)  # one warning per silent PC
    with tempfile.TemporaryDirectory() as data_dir:
        ledger = build(load_settings({}, data_dir=Path(data_dir)))
        ledger.db.migrate()
        clock = Clock()
        ledger.clock = clock
        service = Service(ledger)
        key_id, _ = service.create_key("bench")
        ids = [
            service.create_connection(key_id, f"PC {n}", "desktop").id
            for n in range(args.connections)
        ]
        with ledger.db.session() as session:
            connectors = WebConnectors(session, clock=clock)
            for cid in ids:
                connectors.ensure(cid, cid)
                connectors.seen(cid)
        try:
            quiet = _timed(lambda: health.check_all(ledger), args.rounds)
            clock.now += timedelta(hours=1)
            start = time.perf_counter()
            silent = health.check_all(ledger)
            flip = time.perf_counter() - start
            assert silent == len(ids), silent
            still = _timed(lambda: health.check_all(ledger), args.rounds)
        finally:
            ledger.db.dispose()
    n = len(ids)
    print(f"{n} Desktop connections, SQLite (machine possibly shared: compare the ratios)")
    for name, seconds in (
        ("quiet round (nobody silent)", quiet),
        ("every one goes silent", flip),
        ("quiet round (all silent)", still),
    ):
        print(
            f"  {name:30} {seconds * 1000:9.1f} ms  {seconds / n * 1e6:8.1f} us/connection"
            f"  x{seconds / quiet:6.1f}"
        )


if __name__ == "__main__":
    main()
