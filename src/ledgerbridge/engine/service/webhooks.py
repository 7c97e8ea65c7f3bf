"""Intuit's webhooks: a notification checked, and the connections of its companies woken to
pull, unless all it tells a connection is the echo of that connection's own writes.

QuickBooks notifies every change, the ones ledgerbridge itself makes too: each write the push
makes comes back a moment later as a notice naming the object and its `lastUpdated`. The push
stores QuickBooks' answer to the write (the whole object, its `MetaData.LastUpdatedTime`
included) in the mirror, so a notice about an object the mirror already holds at that time or
later tells nothing the mirror lacks (`is_echo`). A connection all of whose notices are such
echoes is not woken: its pull would read back its own writes. Anything else wakes it as before:
a delete, merge, void or email, a verb QuickBooks does not document, a notice without a time,
an object the mirror does not hold (or holds older: a person's edit after the write). An echo
that arrives before the push has stored its answer wakes a pull (one read more, never one
less). The stored time has whole seconds, so a person's edit within the very second of the
engine's write looks like its echo: the periodic read finds it, as it finds any change whose
webhook never came (within about an hour for a company whose webhooks arrive, within 5 minutes
for the others: `core.periodic_reads`).

Every signed notification also tells that the named companies' webhooks reach ledgerbridge (an
echo as much as any other notice): `connections.notified_at` is set, for every connection of
those companies in one statement, when what it holds is older than `NOTIFIED_EVERY` (a burst of
notifications writes once a minute at most, and not at all when the connections' rows, read
anyway, show it fresh). The periodic reads (the jobs' sweep, the embedded dispatcher's
rounds: every 5 minutes) pull a company notified within the last day only when its last read
is an hour old (`core.periodic_reads.read_due`), every other company every time.
A signature that does not match, or a body that is not a notification, writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import webhooks
from ledgerbridge.adapters.qbo.webhooks import ChangeNotice
from ledgerbridge.engine.drift import remember_merges
from ledgerbridge.engine.service._shared import Wiring, invalid
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.mirror import last_updated_among

__all__ = ["ECHOED_OPERATIONS", "NOTIFIED_EVERY", "is_echo", "receive_webhook"]

log = logging.getLogger(__name__)

ECHOED_OPERATIONS = frozenset({"Create", "Update"})
"""The verbs a write of the engine's is notified with; any other notice always wakes a pull."""

NOTIFIED_EVERY = timedelta(minutes=1)
"""How fresh `connections.notified_at` is kept: a notification stores its moment only where
the stored one is older (the sweep asks about the last day: a minute is precise enough)."""


def receive_webhook(service: Wiring, body: bytes, signature: str | None) -> int:
    """Intuit's notification: checked, then every connection of the realms it names pulls,
    unless every notice of its realm is the echo of what its mirror holds (`is_echo`), and
    is marked notified (`notified_at`, echoes too). Returns how many connections were woken;
    raises `Invalid` for a bad signature."""
    verifiers = {
        app.verifier_token.value for app in service.ledger.known_apps() if app.verifier_token
    }
    if not any(webhooks.verify_signature(body, signature, v) for v in verifiers):
        raise invalid("intuit-signature", "the notification's signature does not match")
    notices = webhooks.parse_notification(body)
    realms = {n.realm_id for n in notices}
    with service.ledger.db.session(readonly=True) as session:
        found = list(Connections(session).of_companies(realms))
        held = _held(session, found, notices)
    if any(n.operation == "Merge" for n in notices):
        with service.ledger.db.session() as session:  # the pull re-links the merged customer
            remember_merges(session, [(c.id, c.realm_id) for c in found], notices)
    targets = [
        c.id
        for c in found
        if not all(
            is_echo(n, held.get((c.id, n.entity, n.entity_id)))
            for n in notices
            if n.realm_id == c.realm_id
        )
    ]
    for connection_id in targets:
        service.wake_pull(connection_id)
    _remember_notified(service, found)
    return len(targets)


def _remember_notified(service: Wiring, found: Sequence[StoredConnection]) -> None:
    """The moment on the connections of the notified companies, in one statement, when one of
    them holds none or one older than `NOTIFIED_EVERY` (their rows, just read, tell; the
    statement asks again, for notifications received at once by other processes)."""
    now = service.ledger.clock()
    stale = {
        c.realm_id
        for c in found
        if c.realm_id is not None
        and (c.notified_at is None or c.notified_at < now - NOTIFIED_EVERY)
    }
    if not stale:
        return
    try:
        with service.ledger.db.session() as session:
            Connections(session).notified(stale, now, every=NOTIFIED_EVERY)
    except Exception:  # the notification is received all the same: the sweep reads more often
        log.exception("could not store that companies %s were notified", sorted(stale))


def _held(
    session: Session, found: Sequence[StoredConnection], notices: Sequence[ChangeNotice]
) -> Mapping[tuple[str, str, str], str]:
    """What the mirrors hold of the notified objects, in one query, asked only for the
    connections whose realm's notices could all be echoes."""
    woken = {n.realm_id for n in notices if not _may_echo(n)}
    asked = [c for c in found if c.realm_id not in woken]
    realms = {c.realm_id for c in asked}
    keys = {(n.entity, n.entity_id) for n in notices if n.realm_id in realms}
    return last_updated_among(session, [c.id for c in asked], keys)


def _may_echo(notice: ChangeNotice) -> bool:
    return (
        notice.operation in ECHOED_OPERATIONS
        and notice.verb_known
        and notice.occurred_at is not None
    )


def is_echo(notice: ChangeNotice, held: str | None) -> bool:
    """Whether `notice` tells nothing the mirror lacks: a create or update of an object the
    mirror holds with a `MetaData.LastUpdatedTime` (`held`, as QuickBooks wrote it) at the
    notice's time or later. Times are compared in UTC to the second (QuickBooks' stored times
    have whole seconds, a CloudEvents notice's milliseconds); an unreadable time is never an
    echo."""
    if not _may_echo(notice) or notice.occurred_at is None or held is None:
        return False
    told, stored = _second(notice.occurred_at), _moment(held)
    if told is None or stored is None:
        return False
    return told <= stored


def _moment(value: str) -> datetime | None:
    """A time as QuickBooks wrote it, to the second in UTC; None when unreadable."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return _second(moment) if moment.utcoffset() is not None else None


def _second(moment: datetime) -> datetime | None:
    """The moment to the second in UTC; None for one that has none (year 9999 west of UTC,
    year 1 east of it: in the calendar at their offset only)."""
    try:
        return moment.astimezone(UTC).replace(microsecond=0)
    except OverflowError:
        return None
