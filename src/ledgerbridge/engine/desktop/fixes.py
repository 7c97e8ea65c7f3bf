"""The fixes a person asked for on a QuickBooks Desktop connection, carried out at the start of
the Web Connector's next session (`engine.desktop.passes`), before its pull and push:

    waiting (storage.desktop_actions)    carried out by
    a record's fix (link, reactivate...) engine.actions.carry_out: checked again against the
                                         record as it is now, its QuickBooks calls through the
                                         session; the audit entry and the history completed
    the connection's lists refresh       a pull by modified date, the lists read in full
                                         (`engine.pull.READ_IN_FULL_ONLY`), as Online's refresh
    the connection's verify              `engine.verify` through the session, its report kept
                                         in its audit entry (`request_verify`)

The connection's own requests have the record type `CONNECTION` and their action as record id.

A fix QuickBooks refuses is written in the record's history ("refused: ...") and its audit
entry; one the session could not carry (the Web Connector stopped half-way) waits for the next.
A fix stays stored until it is answered (one cut off by anything unexpected waits too, and
the pass goes on with the rest), and is removed as it was read: one a person asked
again while the session worked (`DesktopActions.put` replaced it) is skipped, the newer one
carried out in its turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from ledgerbridge.engine import actions
from ledgerbridge.engine.errors import Refused
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.pull import READ_IN_FULL_ONLY, pull_company
from ledgerbridge.engine.push.work import Stop
from ledgerbridge.engine.verify import VerifyReport, verify
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Company, Connections
from ledgerbridge.storage.desktop_actions import CONNECTION, DesktopActions, StoredAction

__all__ = [
    "REFRESH_LISTS",
    "VERIFY",
    "carry_out_waiting",
    "request_lists_refresh",
    "request_verify",
    "verify_report",
    "waiting",
]

log = logging.getLogger(__name__)

REFRESH_LISTS: Final = "refresh_lists"
"""The connection's request: read QuickBooks' lists at the next session."""
VERIFY: Final = "verify"
"""The connection's request: `engine.verify` at the next session, its report in the audit log."""


def waiting(ledger: Ledger, connection_id: str) -> bool:
    with ledger.db.session(readonly=True) as session:
        return DesktopActions(session).any_waiting(connection_id)


def carry_out_waiting(
    ledger: Ledger, connection_id: str, keep: Callable[[], None] | None = None
) -> int:
    """Carry out the connection's waiting fixes, oldest first: how many were carried out
    (refusals included, as they are answered too). `keep`: the session's pass's lease, kept
    while an answer is awaited (it raises when the lease was lost: the fixes left wait)."""
    with ledger.db.session(readonly=True) as session:
        read = Connections(session).get_with_company(connection_id)
        found = DesktopActions(session).waiting(connection_id)
    if read is None or read[0].status != "active":
        return 0  # another company file open, or disconnected: they wait
    connection, company = read
    answered = 0
    for fix in found:
        with ledger.db.session(readonly=True) as session:
            if not DesktopActions(session).current(fix):
                continue  # replaced by a newer request meanwhile: that one is carried out
        try:
            if fix.record_type == CONNECTION:
                answered += _connection_request(ledger, connection_id, company, fix, keep)
                continue
            actions.carry_out(ledger, connection, company, fix, keep)
        except Refused as refused:
            if actions.unreached(refused):
                continue
            log.info("a waiting %s of %s was refused: %s", fix.action, connection_id, refused)
        except Stop:  # the pass's lease was lost (`keep`): this and the fixes left wait
            raise
        except Exception:  # cut off by something unexpected: it waits, the pass goes on
            log.exception("a waiting %s of %s was cut off", fix.action, connection_id)
            continue
        answered += 1
    return answered


def request_verify(ledger: Ledger, connection_id: str, actor: str, *, flag: bool = True) -> int:
    """Keep a verify (`engine.verify`) for the next session: the audit entry that will hold
    its report (`after["report"]`)."""
    with ledger.db.session() as session:
        entry = Audit(session, clock=ledger.clock).add(
            connection_id, actor, VERIFY, after=None, before={"flag": flag}
        )
        DesktopActions(session, clock=ledger.clock).put(
            connection_id, CONNECTION, VERIFY, VERIFY, {"flag": flag}, actor, entry
        )
    return entry


def request_lists_refresh(ledger: Ledger, connection_id: str, actor: str) -> None:
    with ledger.db.session() as session:
        DesktopActions(session, clock=ledger.clock).put(
            connection_id, CONNECTION, REFRESH_LISTS, REFRESH_LISTS, {}, actor, None
        )


def _connection_request(
    ledger: Ledger,
    connection_id: str,
    company: Company,
    fix: StoredAction,
    keep: Callable[[], None] | None = None,
) -> int:
    """The connection's own request carried out: 1, or 0 when QuickBooks could not be read
    (it waits for the next session). Completed only while the connection still has the
    `company` the session's pass read: a person who started fresh meanwhile withdrew it, and
    a verify's report of the old company file is not its report (its audit entry says
    withdrawn)."""
    if fix.action == VERIFY:
        flag = bool(fix.params.get("flag", True))
        report = verify(ledger, connection_id, flag=flag, desktop=True, keep=keep)
        stopped = report.stopped
    else:
        stopped = pull_company(
            ledger, connection_id, also_in_full=READ_IN_FULL_ONLY, desktop=True, keep=keep
        ).stopped
    if stopped is not None:
        return 0
    with ledger.db.session() as session:
        if not Connections(session).still_has(connection_id, company):
            if fix.audit_id is not None:
                Audit(session, clock=ledger.clock).complete(
                    fix.audit_id,
                    {"params": dict(fix.params), "withdrawn": actions.STARTED_FRESH},
                    again=True,
                )
            return 1
        # replaced while it ran: the newer request stays; this one's report is still its own
        again = not DesktopActions(session).remove_fix(fix)
        if fix.audit_id is not None and fix.action == VERIFY:
            Audit(session, clock=ledger.clock).complete(
                fix.audit_id, {"report": report.to_json()}, again=again
            )
    return 1


def verify_report(ledger: Ledger, entry: int) -> VerifyReport | None:
    """The report of a verify kept for the Web Connector (`request_verify`), once a session
    has carried it out; None until then. `Refused` when it will never be: withdrawn (the
    connection started fresh before a session carried it out)."""
    with ledger.db.session(readonly=True) as session:
        found = Audit(session).get(entry)
    if found is not None and found.after and "withdrawn" in found.after:
        raise Refused(f"the verify was withdrawn: {found.after['withdrawn']}")
    if found is None or not found.after or "report" not in found.after:
        return None
    return VerifyReport.from_json(found.after["report"])
