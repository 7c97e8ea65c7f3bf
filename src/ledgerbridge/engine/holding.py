"""Records held back from automatic pushes: the connection's `auto_push` setting.

A record whose type is not in `auto_push` (default: every type) is stored when the app sends or
deletes it, but not pushed by itself: its sync state stays `pending` with `held` set, which is
not due work, and its history says `held`. It is released (due at once; history `released`,
whose `by` says what released it) by:

- ``sync_request``: a bulk resync that selects it (``POST .../sync``, ``ledgerbridge sync``
  with ``--type``, ``--status`` or ``--id``);
- ``retry``: the retry action on the record;
- ``settings``: the setting taking its type in (``PATCH .../settings``);
- ``dependency``: a record that is being pushed needs it in QuickBooks first (an invoice's
  customer or items, a payment's invoice, a bill's vendor, a property's parent); the push pass
  releases it rather than letting the dependent wait, and names the dependent (`needed_by`).

Once pushed, a record is held again by the next change the app sends. A write already sent
for a held record is still settled (`SyncStates.due`); any outcome other than `pending` ends the
hold. Records already queued when a type leaves `auto_push` are not held retroactively.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ledgerbridge.core.records import RECORD_TYPES, RecordKey
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = ["ReleasedBy", "auto_pushed", "held_entry", "note_held", "push_request", "release"]

ReleasedBy = Literal["sync_request", "retry", "settings", "dependency"]

_WHY: dict[ReleasedBy, str] = {
    "sync_request": "a sync was requested for it",
    "retry": "the retry action was used on it",
    "settings": "the connection's auto_push setting now takes its type in",
}


def auto_pushed(settings: Mapping[str, Any], record_type: str) -> bool:
    """Whether the connection pushes records of `record_type` as soon as they arrive."""
    return record_type in settings.get("auto_push", RECORD_TYPES)


def note_held(history: History, connection_id: str, key: RecordKey) -> None:
    """The history entry of a record that starts waiting for a push request."""
    history.add_many(connection_id, [held_entry(key)])


def held_entry(key: RecordKey) -> Happened:
    """`note_held`'s entry, for a caller writing many entries at once."""
    return Happened(
        key.type,
        key.app_id,
        "held",
        detail={
            "reason": "auto_push",
            "message": f"{key.type} records are not pushed automatically (auto_push): this "
            "one waits for a push request",
        },
    )


def release(
    states: SyncStates,
    history: History,
    connection_id: str,
    state: StoredState,
    *,
    by: ReleasedBy,
    needed_by: RecordKey | None = None,
) -> bool:
    """Make a held record due now, with a history entry saying why; False (nothing done) when
    it is not held."""
    if not state.held:
        return False
    states.want(connection_id, state.type, state.app_id, state.desired_version, hold=False)
    detail: dict[str, Any] = {"by": by}
    if needed_by is not None:
        detail["needed_by"] = {"type": needed_by.type, "id": needed_by.app_id}
        detail["message"] = f"{needed_by.type} {needed_by.app_id} needs it in QuickBooks first"
    else:
        detail["message"] = _WHY.get(by, by.replace("_", " "))
    history.add(connection_id, state.type, state.app_id, "released", detail=detail)
    return True


def push_request(
    states: SyncStates, history: History, connection_id: str, state: StoredState, *, by: ReleasedBy
) -> bool:
    """A person or the app asks for the record to be pushed: released when held, otherwise
    due again; True when it was held."""
    if release(states, history, connection_id, state, by=by):
        return True
    states.want(connection_id, state.type, state.app_id, state.desired_version)
    return False
