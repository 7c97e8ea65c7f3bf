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

With `--notified SHARE` (0.9: nine companies in ten) every company was last read ten minutes
ago, and that share of them was named by a signed webhook an hour ago (`connections
.notified_at`); the sweep runs once more on an emptied job table: the pulls it queues are the
companies whose webhooks are not known to reach us (a notified company is read once its last
read is an hour old, `core.periodic_reads.NOTIFIED_READ_EVERY`), and the pulls an hour follow
from that rule (12 sweeps an hour).

With `--fleet` the records of a full-size fleet while its large companies run their first syncs
are stored first (`fleet`: 251,010 rows), and the plan of the query that finds the companies
with stalled records (`SyncStates.stalling_connections`, once a sweep) is printed as
`EXPLAIN (ANALYZE, BUFFERS)` shows it, then its CPU and wall time in the database over five runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text, update

from bench.fleet import schema
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dispatch import jobs
from ledgerbridge.engine.health import STALLED_AFTER
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage import tables
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates, _stalled

LARGE, LARGE_RECORDS, SMALL_RECORDS = 10, 20_001, 51  # bench.fleet's, with an item each
WORKED = 8_000  # records of each large company synced in the last 12 minutes


def populate(ledger: Ledger, count: int, *, due: bool = True) -> None:
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
            if due and index % 10 == 0:
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


def fleet(ledger: Ledger) -> int:
    """bench.fleet's records while its large companies run: the first `LARGE` companies' 20,001
    each (their oldest `WORKED` synced over the last 12 minutes, the others pending, handed
    over 20 minutes ago and waiting their turn), every other company's 51 pending, handed over
    within the last 15 minutes. How many rows sync_state holds."""
    with ledger.db.session() as session:
        session.execute(
            text(
                "WITH cs AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM connections),"
                " rows AS (SELECT cs.id AS cid, cs.n <= :large AS large, g,"
                " (now() AT TIME ZONE 'UTC') AS at FROM cs, generate_series(1,"
                " CASE WHEN cs.n <= :large THEN :large_records ELSE :small_records END) AS g)"
                " INSERT INTO sync_state (connection_id, type, app_id, status, attempts,"
                " next_attempt_at, desired_version, synced_version, held, updated_at)"
                " SELECT cid, 'customer', 'f' || g,"
                " CASE WHEN large AND g <= :worked THEN 'synced' ELSE 'pending' END, 0,"
                " CASE WHEN large AND g <= :worked THEN NULL"
                " WHEN large THEN at - interval '20 minutes'"
                " ELSE at - random() * interval '15 minutes' END, 1,"
                " CASE WHEN large AND g <= :worked THEN 1 END, false,"
                " CASE WHEN large AND g <= :worked THEN at - random() * interval '12 minutes'"
                " WHEN large THEN at - interval '20 minutes'"
                " ELSE at - random() * interval '15 minutes' END FROM rows"
            ),
            {
                "large": LARGE,
                "large_records": LARGE_RECORDS,
                "small_records": SMALL_RECORDS,
                "worked": WORKED,
            },
        )
        session.execute(text("ANALYZE sync_state"))
        return int(session.execute(text("SELECT count(*) FROM sync_state")).scalar_one())


def explain(ledger: Ledger) -> None:
    """The plan and timings of the sweep's query for the companies with stalled records."""
    t = tables.SyncState
    before = ledger.clock() - STALLED_AFTER
    query = _stalled([t.connection_id], before).distinct()  # the statement of the method
    with ledger.db.session(readonly=True) as session:
        connection = session.connection()
        compiled = query.compile(dialect=connection.dialect)
        sql, params = str(compiled), compiled.params
        plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        for (line,) in plan:
            print(f"    {line}")
        found = len(connection.exec_driver_sql(sql, params).all())
        indexes = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = 'sync_state' ORDER BY indexname"
        ).scalars()
        print("  sync_state's indexes:", *(f"    {i}" for i in indexes), sep="\n")
        times = []
        for _ in range(5):
            cpu, wall = time.process_time(), time.perf_counter()
            connection.exec_driver_sql(sql, params).all()
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
    walls = sorted(w for w, _ in times)
    print(
        f"  stalling_connections: {found} companies; wall {walls[0] * 1000:.1f} ms best,"
        f" {walls[2] * 1000:.1f} ms median of 5 (this process's CPU"
        f" {sum(c for _, c in times) / 5 * 1000:.2f} ms a run)"
    )


def notified(ledger: Ledger, share: float) -> int:
    """Every company read ten minutes ago, `share` of them (the first by id: ids are random)
    notified by a webhook an hour ago; how many are."""
    now = ledger.clock()
    t = tables.Connection
    with ledger.db.session() as session:
        ids = list(session.execute(text("SELECT id FROM connections ORDER BY id")).scalars())
        chosen = ids[: round(len(ids) * share)]
        session.execute(update(t).values(cdc_cursor=now - timedelta(minutes=10)))
        if chosen:
            session.execute(
                update(t).where(t.id.in_(chosen)).values(notified_at=now - timedelta(hours=1))
            )
    return len(chosen)


def measure(ledger: Ledger, label: str) -> tuple[int, int]:
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
    return pulls, syncs


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
    parser.add_argument(
        "--notified",
        type=float,
        default=None,
        metavar="SHARE",
        help="then every company read 10 minutes ago, this share of them (0 to 1) notified by "
        "a webhook within the day: the pulls one sweep queues, and an hour's",
    )
    parser.add_argument(
        "--fleet",
        action="store_true",
        help="first store bench.fleet's records while its large companies run (251,010 rows:"
        " companies beyond 1,010 have none) and explain the stalled-records query",
    )
    args = parser.parse_args()
    if args.notified is not None and not 0 <= args.notified <= 1:
        parser.error("--notified: a share from 0 to 1")
    with schema() as database_url, tempfile.TemporaryDirectory() as scratch:
        environ = {"LEDGERBRIDGE_DATABASE_URL": database_url, "LEDGERBRIDGE_DATA_DIR": scratch}
        ledger = build(load_settings(environ, data_dir=Path(scratch)))
        try:
            ledger.db.migrate()
            jobs.apply_job_schema(ledger)
            populate(ledger, args.companies, due=not args.fleet)
            if args.fleet:
                print(f"sync_state rows of a fleet at work: {fleet(ledger):,}")
                explain(ledger)
            print(f"a sweep over {args.companies:,} active companies:")
            measure(ledger, "an empty job table")
            measure(ledger, "again (every job waits already)")
            with ledger.db.session() as session:
                session.execute(text("DELETE FROM procrastinate_jobs"))
            every, _ = measure(ledger, "the job table emptied")
            if args.notified is not None:
                hooked = notified(ledger, args.notified)
                with ledger.db.session() as session:
                    session.execute(text("DELETE FROM procrastinate_jobs"))
                pulls, _ = measure(ledger, f"{hooked:,} notified, read 10 min ago")
                sweeps = round(timedelta(hours=1) / jobs.SWEEP_PERIOD)
                print(
                    f"  the sweep's pulls: {every:,} a sweep with no webhooks known, {pulls:,}"
                    f" with {hooked:,} companies' arriving; an hour ({sweeps} sweeps):"
                    f" {every * sweeps:,} before, at most {pulls * sweeps + hooked:,} now (a"
                    " notified company at most once; the pulls its webhooks wake not counted)"
                )
            if args.stalled:
                cid = backlog(ledger, args.stalled)
                measure(ledger, f"{args.stalled:,} pending an hour, worked")
                idle(ledger, cid)
                measure(ledger, f"{args.stalled:,} pending an hour, idle")
        finally:
            ledger.db.dispose()


if __name__ == "__main__":
    main()
