"""One-click fixes: what a person (or the app) can do about one record's problem.

    done = run(ledger, connection, key, action, params, actor)

Which actions a record offers (`offered`): its problem's catalog actions, plus ``retry`` and
``bypass`` while it is not synced, ``undo_bypass`` once bypassed, and ``link`` while it is not
linked (to confirm a proposed match). ``edit_in_app`` is advice, not an action. Anything else is
refused with the reason, as `Refused`. Every action that runs is audited (who, when, what, the
record's state before and after) and leaves a history entry; those that change what goes to
QuickBooks tell the app through an event (``record.overridden``, ``record.number_assigned``...).

`local` holds the actions that change only what goes to QuickBooks next (carried out by the
push pass, with its stored requestids); `remote` those that read or change QuickBooks at once.

QuickBooks Desktop cannot be called: it is reached only when its Web Connector calls. On a
Desktop connection the actions that need QuickBooks itself (`REMOTE`) are kept waiting
(`storage.desktop_actions`, their audit entry open) and answered "waiting for the Web
Connector"; its next session carries them out (`carry_out`, from `engine.desktop.passes`),
completes the audit entry and the record's history, and the record's status follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, cast

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import QuickBooksError, Rejected
from ledgerbridge.core import catalog
from ledgerbridge.core.records import RecordKey, RecordType
from ledgerbridge.core.status import SETTLED, Status
from ledgerbridge.engine.actions import local, remote, resend
from ledgerbridge.engine.actions._target import STARTED_FRESH, Done, Target
from ledgerbridge.engine.errors import Refused, Withdrawn
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Company, Connections, StoredConnection
from ledgerbridge.storage.desktop_actions import DesktopActions, StoredAction
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import StoredState, SyncStates

__all__ = [
    "CHECKS",
    "HANDLERS",
    "REMOTE",
    "STARTED_FRESH",
    "WAITING",
    "Done",
    "Refused",
    "carry_out",
    "offered",
    "run",
    "unreached",
]

Handler = Callable[[Target], Done]


def _refresh(t: Target) -> Done:
    from ledgerbridge.engine.pull import pull_company

    report = pull_company(t.ledger, t.cid, desktop=t.in_session, keep=t.keep)
    if report.stopped:
        refused = Refused(f"QuickBooks could not be read now ({report.stopped})")
        if report.wait_until is not None:  # the company waits for QuickBooks' limits
            refused = Refused(
                catalog.waiting_message(report.wait_until, "refresh again then", outcome="not_read")
            )
        if t.in_session:  # the Web Connector fell silent, or the process is stopping: unreached
            raise refused from QuickBooksError(report.stopped)
        raise refused
    with t.storing() as session:
        t.want(session)
    return Done(f"refreshed from QuickBooks ({report.objects} objects read)")


def _copy_details(t: Target) -> Done:
    return Done("details of the problem", {"problem": dict(t.problem)}, wake=False)


HANDLERS: Final[Mapping[str, Handler]] = {
    "retry": resend.retry,
    "bypass": local.bypass,
    "undo_bypass": local.undo_bypass,
    "differentiate": local.differentiate,
    "shorten": local.shorten,
    "shift_to_open_period": local.shift_to_open_period,
    "unlink": local.unlink,
    "recreate": local.recreate,
    "accept_deletion": local.accept_deletion,
    "accept_quickbooks": local.accept_quickbooks,
    "send_app_version": local.send_app_version,
    "link": remote.link,
    "reactivate": remote.reactivate,
    "renumber": remote.renumber,
    "move_back": remote.move_back,
    "align_account": remote.align_account,
    "refresh": _refresh,
    "copy_details": _copy_details,
}

REMOTE: Final = frozenset(
    {"link", "reactivate", "renumber", "move_back", "align_account", "refresh"}
)
"""The actions that read or change QuickBooks itself: on QuickBooks Desktop they wait for the
Web Connector's next session."""

WAITING: Final = "waiting for the Web Connector: carried out at its next update"

# Checks of an action's choices made before anything is audited or stored: `Invalid` (a 422
# naming the choice) leaves no trace, as any other input refused at the edge.
CHECKS: Final[Mapping[str, Callable[[Target], None]]] = {
    "shorten": local.shorten_check,
    "reactivate": remote.reactivate_check,
}

_ELSEWHERE = {
    "edit_in_app": "this is fixed in the app: correct the record there and save it",
    "reconnect": "reconnecting is done on the connection: use Reconnect QuickBooks there",
    "apply_numbering_start": "the numbering start is applied on the connection's setup checklist",
}


def offered(state: StoredState, linked: bool) -> tuple[str, ...]:
    """The actions a record in `state` offers now, in the order the dashboard shows them."""
    found: list[str] = []
    code = (state.problem or {}).get("code")
    if code:
        try:
            found += [
                a
                for a in catalog.entry(str(code)).actions
                if a in HANDLERS and _applies(a, str(code), state.problem or {})
            ]
        except KeyError:
            found += ["retry", "copy_details"]
    if state.status == Status.BYPASSED:
        found = [a for a in found if a not in ("bypass", "retry")] + ["undo_bypass"]
    elif state.status not in SETTLED:
        found += ["retry", "bypass"]
    if not linked and state.status != Status.SYNCED:
        found.append("link")
    return tuple(dict.fromkeys(found))


def _withheld(state: StoredState) -> tuple[str, ...]:
    """The problem's catalog actions `_applies` keeps from being offered."""
    problem = state.problem or {}
    code = str(problem.get("code") or "")
    try:
        listed = catalog.entry(code).actions if code else ()
    except KeyError:
        return ()
    return tuple(a for a in listed if a in HANDLERS and not _applies(a, code, problem))


def _applies(action: str, code: str, problem: Mapping[str, Any]) -> bool:
    """Whether a catalog action can do anything for this problem (a button offered is never
    one that can only be refused)."""
    params = problem.get("params") or {}
    if action == "reactivate" and code == catalog.CLASS_INACTIVE_IN_QUICKBOOKS:
        return params.get("in_quickbooks") is not False  # no such class there: map one
    if action == "shift_to_open_period":
        return not params.get("quickbooks_id")  # the QuickBooks copy is in the closed books
    return True


def run(
    ledger: Ledger,
    connection: StoredConnection,
    key: RecordKey,
    action: str,
    params: Mapping[str, Any],
    actor: str,
) -> Done:
    """Carry out `action` on the record, or raise `Refused` (nothing changed) saying why. On a
    QuickBooks Desktop connection an action of `REMOTE` is kept for the Web Connector's next
    session instead (the module docstring), after the same checks."""
    target = _target(ledger, connection, key, action, params)
    if action in CHECKS:
        CHECKS[action](target)
    # The audit entry is written before the action runs and completed after it: an action cut
    # off half-way (a crash, QuickBooks gone) still shows who started what, and with `after`
    # missing, that it did not finish.
    with ledger.db.session() as session:
        entry = Audit(session, clock=ledger.clock).add(
            connection.id,
            actor,
            action,
            record_type=key.type,
            record_id=key.app_id,
            before=_snapshot(target.state, target.link.qbo_id if target.link else None),
        )
        if connection.environment == "desktop" and action in REMOTE:
            DesktopActions(session, clock=ledger.clock).put(
                connection.id, key.type, key.app_id, action, params, actor, entry
            )
            History(session, clock=ledger.clock).add(
                connection.id,
                key.type,
                key.app_id,
                f"action:{action}",
                detail={"by": actor, "result": WAITING},
            )
            return Done(WAITING, {"waiting_for": "web_connector"}, wake=False)
    return _carry(target, action, actor, entry)


def carry_out(
    ledger: Ledger,
    connection: StoredConnection,
    company: Company,
    waiting: StoredAction,
    keep: Callable[[], None] | None = None,
) -> Done:
    """A fix kept for the Web Connector, carried out in its session (`engine.desktop.passes`):
    checked again against the record as it is now, then run; `Refused` says why not. Once
    answered (carried out or refused) it is removed in the transaction that completes its audit
    entry; one QuickBooks could not be reached for, or cut off by anything unexpected, waits
    for the next session, as one a newer fix for the record replaced meanwhile does not.
    `company`: the connection's as the session's pass read it: what the fix learns is stored
    only while the connection still has it (`Target.storing`), else `Withdrawn`, nothing
    stored but its audit entry saying so (a person started fresh meanwhile: Start fresh took
    the fix back). `keep`: the session's pass's lease, kept while an answer is awaited."""
    key = RecordKey(cast(RecordType, waiting.record_type), waiting.record_id)
    try:
        target = _target(
            ledger,
            connection,
            key,
            waiting.action,
            waiting.params,
            in_session=True,
            keep=keep,
            company=company,
        )
    except (Refused, LookupError) as refused:
        reason = str(refused) if isinstance(refused, Refused) else "the record is gone"
        with _completing(ledger, connection.id, company, waiting) as (session, again):
            if waiting.audit_id is not None:
                Audit(session, clock=ledger.clock).complete(
                    waiting.audit_id,
                    {"params": dict(waiting.params), "refused": reason},
                    again=again,
                )
            if isinstance(refused, Refused):
                _note_refused(session, ledger, connection.id, key, waiting, reason)
        raise Refused(reason) from refused
    return _carry(target, waiting.action, waiting.actor, waiting.audit_id, waiting)


@contextmanager
def _completing(
    ledger: Ledger, cid: str, company: Company, waiting: StoredAction
) -> Iterator[tuple[Session, bool]]:
    """The transaction that completes a Desktop fix carried out or refused (its audit entry,
    the record's history) and removes it, with whether a newer fix replaced it meanwhile
    (`again`); only while the connection still has `company`, else `Withdrawn`: its audit
    entry says so, nothing else is stored."""
    try:
        with ledger.db.session() as session:
            if not Connections(session).still_has(cid, company):
                raise Withdrawn(STARTED_FRESH)
            yield session, not _answered(session, ledger, waiting)
    except Withdrawn:
        _withdrawn(ledger, waiting)
        raise


def _withdrawn(ledger: Ledger, waiting: StoredAction) -> None:
    """The audit entry of a fix the connection's Start fresh took back while a session carried
    it out: withdrawn (over what Start fresh wrote, which said it was never carried out)."""
    if waiting.audit_id is None:
        return
    with ledger.db.session() as session:
        Audit(session, clock=ledger.clock).complete(
            waiting.audit_id,
            {"params": dict(waiting.params), "withdrawn": STARTED_FRESH},
            again=True,
        )


def _answered(session: Session, ledger: Ledger, waiting: StoredAction) -> bool:
    """Remove the fix carried out or refused; False when a newer one for the record replaced
    it meanwhile (that one stays, and this one's own outcome overwrites "replaced")."""
    return DesktopActions(session, clock=ledger.clock).remove_fix(waiting)


def unreached(refused: Refused) -> bool:
    """Whether QuickBooks was not reached (rather than refusing): nothing changed there."""
    cause = refused.__cause__
    return isinstance(cause, QuickBooksError) and not isinstance(cause, Rejected)


def _note_refused(
    session: Session, ledger: Ledger, cid: str, key: RecordKey, waiting: StoredAction, reason: str
) -> None:
    History(session, clock=ledger.clock).add(
        cid,
        key.type,
        key.app_id,
        f"action:{waiting.action}",
        detail={"by": waiting.actor, "result": f"refused: {reason}"},
    )


def _target(
    ledger: Ledger,
    connection: StoredConnection,
    key: RecordKey,
    action: str,
    params: Mapping[str, Any],
    *,
    in_session: bool = False,
    keep: Callable[[], None] | None = None,
    company: Company | None = None,
) -> Target:
    """The record to act on, once the action is known to apply to it (else `Refused`)."""
    with ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(connection.id, key.type, key.app_id)
        stored = Records(session).get(connection.id, key.type, key.app_id)
        link = Links(session).get(connection.id, key.type, key.app_id)
    if state is None or stored is None:
        raise LookupError(f"{key.type} {key.app_id}")
    if action in _ELSEWHERE:
        raise Refused(_ELSEWHERE[action])
    if action not in HANDLERS:
        raise Refused(f"there is no action {action!r}")
    choices = offered(state, link is not None)
    if action == "retry" and state.status == Status.SYNCED:
        choices = (*choices, "retry")  # it synced meanwhile: sending it again is still asked
    if action in _withheld(state):
        choices = (*choices, action)  # not offered: the handler refuses it, saying why
    if action not in choices:
        code = (state.problem or {}).get("code")
        why = f"its problem ({code})" if code else f"a {state.status} record"
        raise Refused(
            f"{action} does not apply to this record: {why} offers "
            f"{', '.join(choices) or 'no action'}"
        )
    return Target(
        ledger,
        connection,
        key,
        state,
        stored,
        link,
        params,
        in_session=in_session,
        keep=keep,
        company=company,
    )


def _carry(
    target: Target,
    action: str,
    actor: str,
    entry: int | None,
    waiting: StoredAction | None = None,
) -> Done:
    """Run the action's handler; complete its audit entry and the record's history (and remove
    the Desktop fix `waiting` it carries out, in the same transaction, only while the
    connection still has the company its session's pass read: `carry_out`)."""
    ledger, key, params = target.ledger, target.key, target.params
    cid = target.cid
    try:
        done = HANDLERS[action](target)
    except Withdrawn:
        if waiting is not None:
            _withdrawn(ledger, waiting)
        raise
    except Refused as refused:
        if target.in_session and unreached(refused):
            raise
        with _completion(target, waiting) as (session, again):
            if entry is not None:
                Audit(session, clock=ledger.clock).complete(
                    entry, {"params": dict(params), "refused": str(refused)}, again=again
                )
            if waiting is not None:
                _note_refused(session, ledger, cid, key, waiting, refused.reason)
        raise
    with _completion(target, waiting) as (session, again):
        after = SyncStates(session).get(cid, key.type, key.app_id)
        after_link = Links(session).get(cid, key.type, key.app_id)
        if entry is not None:
            Audit(session, clock=ledger.clock).complete(
                entry,
                {
                    **_snapshot(after, after_link.qbo_id if after_link else None),
                    "params": dict(params),
                    "result": done.summary,
                    "detail": dict(done.detail),
                },
                again=again,
            )
        History(session, clock=ledger.clock).add(
            cid,
            key.type,
            key.app_id,
            f"action:{action}",
            detail={"by": actor, "result": done.summary},
        )
    return done


@contextmanager
def _completion(target: Target, waiting: StoredAction | None) -> Iterator[tuple[Session, bool]]:
    """The transaction completing an action: a Desktop fix's (`_completing`), else a plain
    one (`again` False)."""
    if waiting is None or target.company is None:
        with target.ledger.db.session() as session:
            yield session, False
        return
    with _completing(target.ledger, target.cid, target.company, waiting) as completing:
        yield completing


def _snapshot(state: StoredState | None, quickbooks_id: str | None) -> dict[str, Any]:
    if state is None:
        return {}
    return {
        "status": state.status,
        "problem": dict(state.problem) if state.problem else None,
        "overrides": dict(state.overrides) if state.overrides else None,
        "quickbooks_id": quickbooks_id,
    }
