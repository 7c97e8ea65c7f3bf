"""What Start fresh costs at a company with many records (`service.admin.start_fresh`).

    .venv/bin/python -m bench.start_fresh                     # 1,000 and 4,000 records, SQLite
    .venv/bin/python -m bench.start_fresh --records 2000 8000
    .venv/bin/python -m bench.start_fresh --postgres          # bench.fleet's PostgreSQL schema

For each size, a fresh database holds one connection to the wrong company with that many
customer records: most synced and linked, one in ten with a write under way (its requestid
stored: dropped, with a `write_dropped` history entry each), one in twenty bypassed (kept).
Start fresh runs once; reported: the SQL statements and the wall and CPU time of the call, and
the statements per record. The ratio of the two sizes' statement counts tells whether the
work grows with the records (a loop over them) or not (set-based)."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, update

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage import tables
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.sync_states import SyncStates, Wanted, Write


def populate(ledger: Ledger, records: int) -> tuple[Service, str, str]:
    """A connection to the wrong company with `records` customers (module docstring)."""
    service = Service(ledger)
    key_id, _ = service.create_key("bench start fresh")
    with ledger.db.session() as session:
        connection = Connections(session).create(key_id, "Wrong books", "emulator")
        cid = connection.id
        Connections(session).set_company(cid, "9130000000000001", "Wrong Books")
        Connections(session).set_status(cid, "wrong_company")
        states = SyncStates(session)
        ids = [f"c{n:06d}" for n in range(records)]
        states.want_many(cid, [Wanted("customer", app_id, 1, None) for app_id in ids])
        t = tables.SyncState
        session.execute(
            update(t).where(t.connection_id == cid).values(status="synced", synced_version=1)
        )
        bypassed = ids[::20]
        session.execute(
            update(t)
            .where(t.connection_id == cid, t.app_id.in_(bypassed))
            .values(status="bypassed", problem={"code": "bench.bypassed"})
        )
        states.start_writes(
            cid,
            [
                Write("customer", app_id, f"rq-{app_id}", "update", {"Id": app_id})
                for app_id in ids[1::10]
            ],
        )
        Links(session).put_many(
            cid,
            [StoredLink("customer", i, "Customer", i[1:], "0", None, None) for i in ids],
        )
    return service, key_id, cid


@contextmanager
def counted(ledger: Ledger) -> Iterator[dict[str, int]]:
    """The statements sent on the ledger's engine while the block runs."""
    count = {"statements": 0}

    def statement(*args: Any) -> None:
        count["statements"] += 1

    event.listen(ledger.db.engine, "before_cursor_execute", statement)
    try:
        yield count
    finally:
        event.remove(ledger.db.engine, "before_cursor_execute", statement)


def measure(records: int, postgres: bool) -> int:
    with tempfile.TemporaryDirectory() as scratch, _database(postgres) as environ:
        settings = load_settings(
            {**environ, "LEDGERBRIDGE_DATA_DIR": scratch}, data_dir=Path(scratch)
        )
        ledger = build(settings)
        try:
            ledger.db.migrate()
            service, key_id, cid = populate(ledger, records)
            cpu, wall = time.process_time(), time.perf_counter()
            with counted(ledger) as count:
                service.start_fresh(key_id, cid, "bench")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            ledger.db.dispose()
    statements = count["statements"]
    print(
        f"  {records:>7,} records: {statements:>7,} statements"
        f" ({statements / records:5.2f} a record)  wall {wall:7.3f} s  CPU {cpu:7.3f} s"
    )
    return statements


@contextmanager
def _database(postgres: bool) -> Iterator[dict[str, str]]:
    if not postgres:
        yield {}
        return
    from bench.fleet import schema

    with schema() as url:
        yield {"LEDGERBRIDGE_DATABASE_URL": url}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--postgres", action="store_true", help="on bench.fleet's PostgreSQL")
    args = parser.parse_args()
    print(f"Start fresh ({'PostgreSQL' if args.postgres else 'SQLite'}):")
    counts = [measure(records, args.postgres) for records in args.records]
    if len(counts) > 1:
        print(
            f"  statements, largest / smallest: {counts[-1] / counts[0]:.2f}"
            f" for {args.records[-1] / args.records[0]:.2f} times the records"
        )


if __name__ == "__main__":
    main()
