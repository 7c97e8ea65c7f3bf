"""What a person (or the app) asks done now: one of a record's actions (`engine.actions`), a
bulk resync, a pull."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerbridge.core.records import RECORD_TYPES, RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.engine import actions, holding, recheck
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.errors import NotFound
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.service._shared import (
    Wiring,
    check_app_id,
    defer_sync,
    owned_connection,
    text_field,
    wake_after_change,
)
from ledgerbridge.engine.service.sync_log import record
from ledgerbridge.engine.views import RecordView
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.history import History
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["ActionResult", "Resync", "action", "request_pull", "request_sync", "resync"]


@dataclass
class Resync:
    """What a bulk resync did: records queued, and those left as they are (with the reason)."""

    queued: int = 0
    left: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"queued": self.queued, "left": list(self.left)}


@dataclass(frozen=True)
class ActionResult:
    action: str
    summary: str
    detail: dict[str, Any]
    record: RecordView

    def to_json(self) -> dict[str, Any]:
        """The record as `GET` shows it, with what the action did under `result`."""
        return {
            **self.record.to_json(),
            "result": {"action": self.action, "summary": self.summary, "detail": self.detail},
        }


def action(
    service: Wiring,
    key_id: str,
    connection_id: str,
    record_type: str,
    app_id: str,
    action: str,
    params: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> ActionResult:
    """Run one of the record's actions (`engine.actions`); `Refused` says why it cannot."""
    check_app_id(app_id)
    for name, value in (params or {}).items():
        text_field(str(name), name, what="a choice's name")
        if not (action == "shorten" and name == "value"):  # Shorten checks it by its field's rules
            text_field(str(name), value)
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    if record_type not in RECORD_TYPES:
        raise NotFound(f"record type {record_type}")
    try:
        done = actions.run(
            service.ledger,
            connection,
            RecordKey(record_type, app_id),
            action,
            dict(params or {}),
            actor or f"api-key:{key_id}",
        )
    except LookupError as missing:
        raise NotFound(f"{record_type} {app_id}") from missing
    if done.wake:
        service.wake(connection_id)
    return ActionResult(
        action,
        done.summary,
        dict(done.detail),
        record(service, key_id, connection_id, record_type, app_id),
    )


def request_sync(
    service: Wiring,
    key_id: str,
    connection_id: str,
    selection: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> int:
    """Bulk resync (`resync`): how many records are due again."""
    return resync(service, key_id, connection_id, selection, actor=actor).queued


def resync(
    service: Wiring,
    key_id: str,
    connection_id: str,
    selection: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> Resync:
    """Bulk resync: every record matching the selection (type, status, ids) is due again,
    like Retry on each: this is also the push request that releases held records
    (`engine.holding`), and a record whose problem comes from QuickBooks and still holds
    there is left in place with the reason (`engine.recheck`), after QuickBooks' latest
    changes are read. Each record gets a history entry and an audit entry, as a single
    action would."""
    selection = selection or {}
    for index, app_id in enumerate(selection.get("ids") or []):
        text_field(f"ids[{index}]", app_id, what="the record id")
    actor = actor or f"api-key:{key_id}"
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    if connection.status == "active":
        pull_company(service.ledger, connection_id)  # one change-data-capture call
        with service.ledger.db.session(readonly=True) as session:
            connection = owned_connection(session, key_id, connection_id)
    result = Resync()
    surroundings = Surroundings(connection)
    with service.ledger.db.session() as session:
        states, history = SyncStates(session), History(session)
        audit = Audit(session, clock=service.ledger.clock)
        wanted_ids = set(selection.get("ids") or [])
        for state in states.all(
            connection_id, record_type=selection.get("type"), status=selection.get("status")
        ):
            if wanted_ids and state.app_id not in wanted_ids:
                continue
            if state.status == Status.BYPASSED:
                continue
            left = recheck.still_holds(session, surroundings, state)
            if left is not None:
                summary = f"left as it is: {left.reason}"
                result.left.append(
                    {
                        "type": state.type,
                        "id": state.app_id,
                        "code": left.problem.code,
                        "reason": left.reason,
                    }
                )
            else:
                holding.push_request(states, history, connection_id, state, by="sync_request")
                summary = "queued to be sent again"
                result.queued += 1
            history.add(
                connection_id,
                state.type,
                state.app_id,
                "action:resync",
                detail={"by": actor, "result": summary},
            )
            audit.add(
                connection_id,
                actor,
                "resync",
                record_type=state.type,
                record_id=state.app_id,
                before={"status": state.status, "problem": state.problem},
                after={"result": summary, "selection": dict(selection)},
            )
        if result.queued:
            defer_sync(service, session, connection_id)
    wake_after_change(service, connection_id)
    return result


def request_pull(service: Wiring, key_id: str, connection_id: str) -> datetime | None:
    """A pull of the company queued; returns until when the company waits for QuickBooks'
    limits (`connections.wait_until`), None when it does not: the pull reads nothing before
    that moment (`pull_company`), and the person asking is told so."""
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    service.wake_pull(connection_id)
    return connection.waiting(service.ledger.clock())
