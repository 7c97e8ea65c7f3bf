"""Whether a problem that comes from QuickBooks still holds: what Retry and a bulk resync ask
before they queue a record.

    left = still_holds(session, surroundings, state)    # Left(problem, reason) | None

A problem found in QuickBooks (deleted, voided, moved, merged, inactive, changed there) is not
fixed by sending the record again: the sync pass would only find it again, and until it did,
the record would look pending or synced while QuickBooks still disagrees. So Retry and resync
look first: when the record, planned now against the mirror (`core.planner`, which checks the
invariant), is refused with the same problem, it is left in place with the reason and what
fixes it; otherwise it is queued as usual. Read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog, planner
from ledgerbridge.core import drift as rules
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine.context import Gathered, Surroundings
from ledgerbridge.storage.sync_states import StoredState

__all__ = ["FROM_QUICKBOOKS", "Left", "still_holds"]

FROM_QUICKBOOKS: Final[frozenset[str]] = rules.DRIFT_CODES | frozenset(rules.STOPPED_BY_INACTIVE)
"""Problems that come from QuickBooks' side of a record (the pull, or the invariant)."""

_WHY: Final[Mapping[str, str]] = {
    **{
        code: "it is still deleted in QuickBooks: Recreate, Unlink or Accept deletion decides "
        "what happens to it"
        for code in rules.DELETED_CODES.values()
    },
    catalog.INVOICE_VOIDED_IN_QUICKBOOKS: "it is still void in QuickBooks: Recreate it, or "
    "Keep QuickBooks' version",
    catalog.INVOICE_MOVED_IN_QUICKBOOKS: "QuickBooks still has it under another customer: "
    "Move back, or Keep QuickBooks' version",
    catalog.CUSTOMER_MERGED_IN_QUICKBOOKS: "QuickBooks merged this customer into another, and "
    "sending it again cannot undo a merge: Link it to the customer that remains",
    catalog.VENDOR_MERGED_IN_QUICKBOOKS: "QuickBooks merged this vendor into another, and "
    "sending it again cannot undo a merge: Link it to the vendor that remains",
    catalog.ITEM_ACCOUNT_MISMATCH: "QuickBooks still uses another account: Align account, or "
    "Keep QuickBooks' version",
    catalog.RECORD_CHANGED_IN_QUICKBOOKS: "QuickBooks still holds other values: Send the app's "
    "version, or Keep QuickBooks' version",
}


@dataclass(frozen=True)
class Left:
    """A record left as it is: its problem still holds in QuickBooks."""

    problem: Problem
    reason: str


def still_holds(session: Session, surroundings: Surroundings, state: StoredState) -> Left | None:
    """The record's QuickBooks-side problem, when planning it now meets it again."""
    code = str((state.problem or {}).get("code") or "")
    if state.status != Status.ERROR or code not in FROM_QUICKBOOKS or state.pending_request_id:
        return None
    key = RecordKey(state.type, state.app_id)  # type: ignore[arg-type]
    gathered = surroundings.situation(session, key, state)
    if not isinstance(gathered, Gathered):
        return None
    step = surroundings.plan(session, gathered)
    if not isinstance(step, planner.Refuse) or step.problems[0].code != code:
        return None
    problem = step.problems[0]
    return Left(problem, _WHY.get(code) or _inactive(problem))


def _inactive(problem: Problem) -> str:
    entity = rules.STOPPED_BY_INACTIVE.get(problem.code, "record").lower()
    return f"the {entity} is still inactive in QuickBooks: Reactivate it"
