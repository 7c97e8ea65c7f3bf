"""Waiting, in a test, until another thread waits for a lock the test's transaction holds:
where a fixed wait ("give the other thread a second to get there") was used before, the test
goes on as soon as the other thread is really blocked, and never before.

    with db.session() as first:             # holds the lock
        ...                                 # (the first statement that takes it)
        other.start()
        blocked_by(db, first, other)        # returns once `other` waits for `first`

`Racer` is the other thread as the races of a person's step against a pass make it: started
from a hook inside the pass's transaction, waited for after the pass.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledgerbridge.storage.db import Database


def blocked_by(
    db: Database, holder: Session, thread: threading.Thread, timeout: float = 60
) -> None:
    """Return once `thread` waits for a lock of `holder`'s open transaction: on PostgreSQL the
    backend of the statement `thread` runs, once its blocking processes include `holder`'s; on
    SQLite (one writer at a time) the thread in the write transaction's `BEGIN IMMEDIATE`
    (`storage.db`), which waits for the writer that `holder` is. AssertionError if the thread
    ends first, or after `timeout`."""
    deadline = time.monotonic() + timeout
    if db.engine.dialect.name == "postgresql":
        pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        query = text("SELECT :holder = ANY(pg_blocking_pids(:waiting))")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            while True:
                # the backend of the statement `thread` runs now, if it runs one (another
                # session waiting for `holder`, a worker process's, is not `thread`)
                waiting = _in_postgresql_statement(thread)
                if (
                    waiting is not None
                    and watcher.execute(query, {"holder": pid, "waiting": waiting}).scalar_one()
                ):
                    return
                _not_yet(thread, deadline)
    while not _in_sqlite_write_begin(thread):
        _not_yet(thread, deadline)


def _not_yet(thread: threading.Thread, deadline: float) -> None:
    assert thread.is_alive(), f"{thread.name} ended without waiting for the lock"
    assert time.monotonic() < deadline, f"{thread.name} never waited for the lock"
    time.sleep(0.002)


def _in_postgresql_statement(thread: threading.Thread) -> int | None:
    """The backend pid of the psycopg connection whose statement `thread` runs, if any."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "execute" and f"{os.sep}psycopg{os.sep}" in code.co_filename:
            connection = getattr(frame.f_locals.get("self"), "connection", None)
            info = getattr(connection, "info", None)
            return None if info is None else int(info.backend_pid)
        frame = frame.f_back
    return None


def _in_sqlite_write_begin(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_sqlite_begin" and code.co_filename.endswith("db.py"):
            return frame.f_locals.get("statement") == "BEGIN IMMEDIATE"
        frame = frame.f_back
    return False


class Racer:
    """A person's step (`act`) made in a thread of its own at one exact point of a pass: the
    pass's hook starts it from inside the transaction that holds what the step needs
    (`start_within`), and the test waits for it after the pass (`finish`), failing with what it
    raised. Neither wait has a fixed limit: a slow step on a loaded machine is no failure, and
    a hang is the run's timeout's (pytest-timeout).

        person = Racer(lambda: service.start_fresh(key_id, cid, "ann"))
        ... in the pass's hook:  person.start_within(db, session)
        pass_runs()
        person.finish()
    """

    def __init__(self, act: Callable[[], object], name: str = "person") -> None:
        self._act = act
        self.failures: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name=name)

    def _run(self) -> None:
        try:
            self._act()
        except BaseException as failure:  # raised again by the test's thread (`finish`)
            self.failures.append(failure)

    def start_within(self, db: Database, holder: Session, *, may_end_first: bool = False) -> None:
        """Start the step and return once it waits for a lock of `holder`'s transaction
        (`blocked_by`); with `may_end_first`, also once it ended without waiting (where the
        database need not make it wait: PostgreSQL's row locks, not SQLite's one writer)."""
        self.thread.start()
        try:
            blocked_by(db, holder, self.thread, timeout=math.inf)
        except AssertionError:
            if not may_end_first or self.thread.is_alive():
                raise

    def finish(self) -> None:
        """Wait for the step to end; raise what it raised."""
        self.thread.join()
        if self.failures:
            raise self.failures[0]
