"""`ledgerbridge worker` for companies without QuickBooks' limits: bench.fleet's `--no-limits`.

    .venv/bin/python -m bench.unlimited_worker     # the environment as `ledgerbridge worker`'s

The emulator's companies can have their throttle off, but a worker still paces every company to
QuickBooks Online's limits (`RateLimits`: 500 requests and 40 batch requests a minute), which is
what a real company needs and no setting changes. To measure what the workers, PostgreSQL and the
emulator do on the machine's cores alone, this worker is the same composition (`wiring.migrated`,
`wiring.run_jobs`: stops cleanly on SIGINT and SIGTERM) with the limits the demo gives its
unthrottled company (`demo.run.UNLIMITED`).
"""

from __future__ import annotations

import argparse
import logging

from ledgerbridge.bootstrap import wiring
from ledgerbridge.demo.run import UNLIMITED
from ledgerbridge.engine.ports import RateLimits
from ledgerbridge.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.unlimited_worker")
    parser.add_argument("--concurrency", type=int, default=1, help="jobs run at once")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ledger = wiring.migrated(load_settings())
    ledger.rate_limits = RateLimits(UNLIMITED, UNLIMITED)
    try:
        wiring.run_jobs(ledger, concurrency=args.concurrency)
    finally:
        ledger.db.dispose()


if __name__ == "__main__":
    main()
