"""A record's sync status and the rules that move it, as values: no I/O.

    pending    the app's latest version has not reached QuickBooks yet (due, waiting for a
               retry time, or held back by the connection's auto_push)
    synced     QuickBooks holds what the engine would send for that version (verified)
    error      stopped by a problem that needs a person or a change (its catalog code says)
    blocked    waits for another record (its blocker) to sync first
    bypassed   a person chose not to sync it; the app's new versions leave it bypassed
    draft      the app marked it a draft: nothing is sent

Storage keeps the status in the record's sync state row and asks these functions what a change
does to it; a status is never set anywhere else by a rule of its own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

__all__ = [
    "DUE",
    "SETTLED",
    "Status",
    "StatusName",
    "after_blocker_synced",
    "after_new_version",
    "keeps_hold",
    "problem_stays",
]


class Status(StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    ERROR = "error"
    BLOCKED = "blocked"
    BYPASSED = "bypassed"
    DRAFT = "draft"


StatusName = Literal["pending", "synced", "error", "blocked", "bypassed", "draft"]
"""The statuses as the API spells them (a `Status` compares equal to its name)."""

DUE: tuple[Status, ...] = (Status.PENDING, Status.BLOCKED)
"""The statuses of records a sync pass works (when their time has come and they are not
held): a blocked record is looked at again in case its blocker has synced."""

SETTLED: frozenset[Status] = frozenset({Status.SYNCED, Status.BYPASSED})
"""The statuses that leave nothing to send for the app's version: QuickBooks holds it, or a
person chose not to sync the record."""


def after_new_version(current: str | None) -> Status:
    """The status once the app sends a new version: pending (to be sent), except that a
    bypassed record stays bypassed (a person decided; a new version does not undo that)."""
    return Status.BYPASSED if current == Status.BYPASSED else Status.PENDING


def problem_stays(status: str) -> bool:
    """Whether a record keeps its problem when a new version arrives: only while bypassed (it
    still explains the bypass); a pending record is looked at afresh."""
    return status != Status.PENDING


def keeps_hold(outcome: str) -> bool:
    """Whether a record held back by auto_push stays held after the engine worked it: only
    while it is still pending; any other outcome ends the hold."""
    return outcome == Status.PENDING


def after_blocker_synced(current: str) -> Status | None:
    """The status of a blocked record once its blocker synced: pending again (None: the rule
    does not apply to a record that is not blocked)."""
    return Status.PENDING if current == Status.BLOCKED else None
