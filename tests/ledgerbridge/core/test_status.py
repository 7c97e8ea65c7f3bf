"""The sync statuses and the rules that move them (`core.status`), as storage asks them."""

from __future__ import annotations

from typing import get_args

import pytest

from ledgerbridge.core import status
from ledgerbridge.core.status import Status


def test_the_wire_names_are_the_statuses() -> None:
    assert set(get_args(status.StatusName)) == {s.value for s in Status}
    assert Status.PENDING == "pending"  # stored and answered as its name


@pytest.mark.parametrize(
    ("current", "after"),
    [
        (None, Status.PENDING),
        (Status.SYNCED, Status.PENDING),
        (Status.ERROR, Status.PENDING),
        (Status.BLOCKED, Status.PENDING),
        (Status.DRAFT, Status.PENDING),
        (Status.BYPASSED, Status.BYPASSED),
    ],
)
def test_a_new_version_makes_a_record_pending_unless_a_person_bypassed_it(
    current: Status | None, after: Status
) -> None:
    assert status.after_new_version(current) == after


def test_only_a_bypassed_record_keeps_its_problem_through_a_new_version() -> None:
    assert status.problem_stays(Status.BYPASSED)
    assert not status.problem_stays(Status.PENDING)


def test_only_a_pending_outcome_keeps_a_record_held() -> None:
    assert [s for s in Status if status.keeps_hold(s)] == [Status.PENDING]


def test_a_blocked_record_is_pending_once_its_blocker_synced() -> None:
    assert status.after_blocker_synced(Status.BLOCKED) == Status.PENDING
    assert status.after_blocker_synced(Status.ERROR) is None


def test_due_work_is_pending_and_blocked_records() -> None:
    assert status.DUE == (Status.PENDING, Status.BLOCKED)


def test_settled_records_are_synced_or_bypassed() -> None:
    assert [s for s in Status if s in status.SETTLED] == [Status.SYNCED, Status.BYPASSED]
