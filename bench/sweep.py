"""What one periodic sweep costs at many companies (`dispatch.jobs.sweep`), on PostgreSQL.

    .venv/bin/python -m bench.sweep                        # 1,000 companies
    .venv/bin/python -m bench.sweep --companies 5000

On a fresh PostgreSQL schema (bench.fleet's `LEDGERBRIDGE_BENCH_POSTGRES`) with procrastinate's
tables, `--companies` active connections are stored (no QuickBooks is asked: the sweep itself
only queues jobs), one in ten with a record due, one in a hundred with an `events_url` and no
events pending. Then the sweep runs three times: on an empty job table (it queues a pull for
every company and a sync for those with due work), again at once (every job already waits),
and once more after the job table is emptied. Reported for each: this process's CPU seconds,
the SQL statements and transactions it sent (counted on the ledger's engine), the jobs queued.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench.fleet import schema
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dispatch import jobs
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates


def populate(ledger: Ledger, count: int) -> None:
    service = Service(ledger)
    key_id, _ = service.create_key("bench sweep")
    with ledger.db.session() as session:
        connections = Connections(session)
        states = SyncStates(session)
        for index in range(count):
            settings = {"events_url": "https://app.example/events"} if index % 100 == 0 else {}
            made = connections.create(key_id, f"Company {index:05d}", "emulator", settings)
            connections.set_company(made.id, f"9{index:015d}", f"Company {index:05d}")
            connections.set_status(made.id, "active")
            if index % 10 == 0:
                states.want(made.id, "customer", "c1", 1)


def backlog(ledger: Ledger, records: int) -> str:
    """One company's `records` pending for an hour, due all along, and one record before them
    synced just now (a large company's first sync waiting its turns while its oldest records
    are worked: not stalled): the company's id."""
    with ledger.db.session() as session:
        (cid,) = session.execute(text("SELECT id FROM connections ORDER BY id LIMIT 1")).one()
        states = SyncStates(session)
        for index in range(records):
            states.want(cid, "customer", f"b{index}", 1)
        session.execute(
            text(
                "UPDATE sync_state SET updated_at = now() - interval '1 hour',"
                " next_attempt_at = now() - interval '1 hour' WHERE connection_id = :cid"
            ),
            {"cid": cid},
        )
        states.finish(cid, "customer", "b0", status="synced")
    return str(cid)


def idle(ledger: Ledger, connection_id: str) -> None:
    """The company's last worked record an hour old: its pending ones nobody works, stalled."""
    with ledger.db.session() as session:
        session.execute(
            text(
                "UPDATE sync_state SET updated_at = now() - interval '1 hour'"
                " WHERE connection_id = :cid"
            ),
            {"cid": connection_id},
        )


def measure(ledger: Ledger, label: str) -> None:
    counted = {"statements": 0, "transactions": 0}

    def statement(*args: Any) -> None:
        counted["statements"] += 1

    def began(*args: Any) -> None:
        counted["transactions"] += 1

    event.listen(ledger.db.engine, "before_cursor_execute", statement)
    event.listen(ledger.db.engine, "begin", began)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        pulls, syncs = jobs.sweep(ledger)
    finally:
        event.remove(ledger.db.engine, "before_cursor_execute", statement)
        event.remove(ledger.db.engine, "begin", began)
    print(
        f"  {label:<34} CPU {time.process_time() - cpu:6.3f} s  wall"
        f" {time.perf_counter() - wall:6.3f} s  statements {counted['statements']:6d}"
        f"  transactions {counted['transactions']:5d}  queued: {pulls} pulls, {syncs} syncs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument(
        "--stalled",
        type=int,
        default=0,
        help="then one company's N records pending for an hour: while its oldest are worked "
        "(waiting their turn), then nobody working them (stalled, each made due again)",
    )
    args = parser.parse_args()
    with schema() as database_url, tempfile.TemporaryDirectory() as scratch:
        environ = {"LEDGERBRIDGE_DATABASE_URL": database_url, "LEDGERBRIDGE_DATA_DIR": scratch}
        ledger = build(load_settings(environ, data_dir=Path(scratch)))
        try:
            ledger.db.migrate()
            jobs.apply_job_schema(ledger)
            populate(ledger, args.companies)
            print(f"a sweep over {args.companies:,} active companies:")
            measure(ledger, "an empty job table")
            measure(ledger, "again (every job waits already)")
            with ledger.db.session() as session:
                session.execute(text("DELETE FROM procrastinate_jobs"))
            measure(ledger, "the job table emptied")
            if args.stalled:
                cid = backlog(ledger, args.stalled)
                measure(ledger, f"{args.stalled:,} pending an hour, worked")
                idle(ledger, cid)
                measure(ledger, f"{args.stalled:,} pending an hour, idle")
        finally:
            ledger.db.dispose()


if __name__ == "__main__":
    main()
