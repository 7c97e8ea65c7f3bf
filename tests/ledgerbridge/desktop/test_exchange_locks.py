"""The pass waiting for QuickBooks' answer holds no write lock: on SQLite every write
transaction takes the database's one write lock (`BEGIN IMMEDIATE`), and a pass that took it
at each look at the queue starved the Web Connector's own calls (authenticate, closeConnection)
past the busy timeout ("database is locked"). Counted by transaction, not by time."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event

from ledgerbridge.engine.desktop.exchange import QueuedExchange, nudge
from ledgerbridge.storage.desktop_requests import DesktopRequests
from tests.ledgerbridge.desktop.conftest import Desktop

LOOKS = 5


def test_the_pass_waiting_for_an_answer_takes_no_write_lock(desktop: Desktop) -> None:
    ledger, cid = desktop.ledger, desktop.connection["id"]
    exchange = QueuedExchange(ledger, cid, generation=0)
    counts = {"write": 0, "read": 0}
    looked = threading.Event()
    outcome: dict[str, Any] = {}

    def wait_for_answer() -> None:
        try:
            outcome["answer"] = exchange.exchange("k-1", "<request/>")
        except Exception as exc:  # shown by the assertion below
            outcome["error"] = exc

    waiter = threading.Thread(target=wait_for_answer, name="pass")

    def began(connection: Any) -> None:
        if threading.current_thread() is not waiter:
            return
        # the read-only sessions' execution option (storage.db)
        readonly = connection.get_execution_options().get("ledgerbridge_readonly", False)
        counts["read" if readonly else "write"] += 1
        if counts["read"] + counts["write"] > LOOKS:
            looked.set()

    event.listen(ledger.db.engine, "begin", began)
    try:
        waiter.start()
        assert looked.wait(120), counts  # the pass has looked at the queue several times
        with ledger.db.session() as session:  # a Web Connector session relays the request
            requests = DesktopRequests(session, clock=ledger.clock)
            taken = requests.take_next(cid)
            assert taken is not None and taken.key == "k-1"
            assert requests.answer(cid, "k-1", "<answer/>")
        nudge()
        waiter.join(120)
    finally:
        event.remove(ledger.db.engine, "begin", began)
    assert outcome == {"answer": "<answer/>"}
    assert counts["write"] == 1, counts  # the request queued; every look since a read
