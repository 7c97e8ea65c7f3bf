"""QuickBooks' limits played by the emulator, for the tests of a company's wait after a 429
(`connections.wait_until`): its requests answered 429 with a Retry-After, each request
counted by the emulator (its faults' `hits`), and the wait over.

    answers_429(emulator, realm)          every request of the company answered 429 from now
    requests_counted(emulator, realm)     the requests the emulator answered since then
    answers_again(emulator, realm)        the company answered again, each request still counted
    wait_over(ledger, connection_id)      the wait stored on the connection in the past

`emulator` is what reaches the emulator's admin routes: the engine suites' `World`, the job
suite's `Bench`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import text

from ledgerbridge.bootstrap import Ledger

__all__ = ["RETRY_AFTER", "Admin", "answers_429", "answers_again", "requests_counted", "wait_over"]

RETRY_AFTER = 30
"""The Retry-After, in seconds, of the 429s QuickBooks answers."""


class Admin(Protocol):
    def admin(self, method: str, path: str, body: Any = None) -> Any: ...


def answers_429(emulator: Admin, realm: str, *, writes: bool | None = None) -> None:
    """QuickBooks answers the company's requests (its writes only: `writes`) with 429 and a
    Retry-After of `RETRY_AFTER` until the test says otherwise; each is counted."""
    match = {} if writes is None else {"writes": writes}
    emulator.admin(
        "POST",
        f"/companies/{realm}/faults",
        {"match": match, "times": None, "action": {"status": 429, "retry_after": RETRY_AFTER}},
    )


def requests_counted(emulator: Admin, realm: str) -> int:
    """The requests the emulator answered for the company under the faults scripted since
    they were last cleared."""
    found: list[dict[str, Any]] = emulator.admin("GET", f"/companies/{realm}/faults")["faults"]
    return sum(int(f["hits"]) for f in found)


def answers_again(emulator: Admin, realm: str) -> None:
    """QuickBooks answers the company again; each request is still counted (answered a
    millisecond late), from 0."""
    emulator.admin("DELETE", f"/companies/{realm}/faults")
    counted = {"times": None, "action": {"latency_ms": 1}}
    emulator.admin("POST", f"/companies/{realm}/faults", counted)


def wait_over(ledger: Ledger, connection_id: str) -> None:
    """The company's stored wait ended a second ago (by the ledger's clock)."""
    with ledger.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE connections SET wait_until = :at WHERE id = :id"),
            {"at": ledger.clock() - timedelta(seconds=1), "id": connection_id},
        )
