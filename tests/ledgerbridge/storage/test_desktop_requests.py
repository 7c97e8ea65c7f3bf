"""The qbXML requests between a Desktop pass and the Web Connector's sessions
(`storage.desktop_requests`), on SQLite and PostgreSQL: handed out oldest first and once, an
answer kept by key, what was handed out and never answered marked lost, a refusal forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledgerbridge.storage.db import Database
from ledgerbridge.storage.desktop_requests import DesktopRequests
from tests.ledgerbridge.storage.conftest import Owner

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_requests_are_handed_out_in_order_once_and_their_answers_kept(
    db: Database, owner: Owner
) -> None:
    cid = owner.connection_id
    with db.session() as session:
        queue = DesktopRequests(session, clock=lambda: T0)
        queue.queue(cid, "w-1", "<first/>")
        queue.queue(cid, "w-2", "<second/>")
        assert queue.has_queued(cid)
    with db.session() as session:
        queue = DesktopRequests(session, clock=lambda: T0)
        first = queue.take_next(cid)
        second = queue.take_next(cid)
        assert first is not None and second is not None
        assert (first.key, first.state, second.key) == ("w-1", "sent", "w-2")
        assert queue.take_next(cid) is None and not queue.has_queued(cid)
        assert queue.answer(cid, "w-1", "<answer/>")
        assert not queue.withdraw(cid, "w-2")  # a session has it: too late to take back
    with db.session() as session:
        queue = DesktopRequests(session, clock=lambda: T0)
        assert queue.lose_unanswered(cid, "asked for the next one") == 1  # w-2
        kept = queue.get(cid, "w-1")
        lost = queue.get(cid, "w-2")
        assert kept is not None and kept.state == "answered" and kept.answer == "<answer/>"
        assert lost is not None and lost.state == "lost" and lost.error == "asked for the next one"
        assert queue.answer(cid, "w-2", "<late/>")  # an answer arriving late still counts


def test_a_refusal_is_forgotten_and_old_answers_go(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        queue = DesktopRequests(session, clock=lambda: T0)
        for key in ("refused", "old"):
            queue.queue(cid, key, "<doc/>")
            queue.take_next(cid)
            queue.answer(cid, key, "<answer/>")
        queue.queue(cid, "unsent", "<doc/>")
        assert queue.withdraw(cid, "unsent")
    with db.session() as session:
        queue = DesktopRequests(session, clock=lambda: T0)
        queue.forget(cid, "refused")
        assert queue.get(cid, "refused") is None and queue.get(cid, "unsent") is None
        assert queue.forget_answered(T0 + timedelta(seconds=1)) == 1
        assert queue.get(cid, "old") is None
