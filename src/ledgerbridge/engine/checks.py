"""A connection's setup checklist, made from the database only (see `core.checks`).

    checklist = run_checks(ledger, connection_id)    # made, stored, the app told of changes
    stored_checks(ledger, connection_id)             # the last one, as the API shows it
    apply_numbering_start(ledger, connection_id, actor, number=None)
    after_pull(ledger, connection, full=..., started=...)  # from pull_company: first, daily

The checklist is stored on the connection (`Connections.set_checks`); when a check's status
differs from the stored one, the event ``connection.checks`` tells the app
(``{"status": <worst>, "changed": [{"id", "status", "previous"}]}``).

`apply_numbering_start` is the action of ``invoice.number_sequence_overlap``: the connection's
``number_start`` setting becomes the first safe starting number (or the number given), the
change is audited, the event ``connection.numbering_start_applied``
(``{"number": 1251, "next_number": "1251"}``) tells the app to continue its invoice numbers from
there, and the checklist is made again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.core import checks, overrides
from ledgerbridge.core.mirror import CompanyPreferences
from ledgerbridge.core.preflight import Mappings
from ledgerbridge.core.records import Record, RecordKey, parse_record
from ledgerbridge.core.status import Status
from ledgerbridge.engine.errors import NoNumberToApply
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.scans import Scans
from ledgerbridge.storage.sync_states import SyncStates

__all__ = [
    "CHECK_EVERY",
    "NoNumberToApply",
    "after_pull",
    "apply_numbering_start",
    "refresh_numbering",
    "run_checks",
    "stored_checks",
]

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(hours=24)
# the record types whose records the checks read (customers and vendors use no mapped values)
_READ = ("item", "invoice", "payment", "receipt", "bill", "purchase_order")


def run_checks(ledger: Ledger, connection_id: str) -> checks.Checklist:
    """Make the checklist now, store it, and tell the app which checks changed status."""
    checklist = _run_checks(ledger, connection_id, unless_made_since=None)
    assert checklist is not None  # always made when nothing is made "since"
    return checklist


def _run_checks(
    ledger: Ledger, connection_id: str, *, unless_made_since: datetime | None
) -> checks.Checklist | None:
    """`run_checks`; None, making nothing, when a checklist was stored at or after
    `unless_made_since` (decided under the connection's lock: two pulls ending together make
    one checklist, not two)."""
    with ledger.db.session() as session:
        connections = Connections(session, clock=ledger.clock)
        connection = connections.lock_row(connection_id)
        if connection is None:
            raise LookupError(f"connection {connection_id}")
        made = connection.checks_at
        if unless_made_since is not None and made is not None and made >= unless_made_since:
            return None
        checklist = make_checklist(session, connection)
        changes = checks.status_changes(connection.checks, checklist)
        connections.set_checks(connection_id, checklist.to_json(), ledger.clock())
        if changes:
            Events(session, clock=ledger.clock).append(
                connection_id,
                "connection.checks",
                {"status": checklist.status, "changed": changes},
            )
    return checklist


def stored_checks(ledger: Ledger, connection_id: str) -> dict[str, Any] | None:
    """The last checklist: ``{"checked_at", "status", "checks"}``, or None if never made."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
    if connection is None or connection.checks is None:
        return None
    return {
        "checked_at": connection.checks_at.isoformat() if connection.checks_at else None,
        "status": connection.checks.get("status", "ok"),
        "checks": list(connection.checks.get("checks") or []),
    }


def after_pull(
    ledger: Ledger, connection: StoredConnection, *, full: bool, started: datetime
) -> None:
    """After a pull that began at `started`: the checklist, when the pull was a full one or the
    last is a day old, unless another pull made one after this one began.

    A failing check is logged, never a failed pull.
    """
    last = connection.checks_at
    if not full and last is not None and ledger.clock() - last < CHECK_EVERY:
        return
    try:
        _run_checks(ledger, connection.id, unless_made_since=started)
    except Exception:
        log.exception("setup checks of connection %s failed", connection.id)


def apply_numbering_start(
    ledger: Ledger, connection_id: str, actor: str, number: int | None = None
) -> dict[str, Any]:
    """Set ``number_start`` to the first safe starting number (or `number`), audit it, tell
    the app, and check again. Returns ``{"number", "next_number", "checks"}``."""
    if number is not None and (isinstance(number, bool) or number < 1):
        raise ValueError("number must be a positive whole number")
    with ledger.db.session() as session:
        connections = Connections(session, clock=ledger.clock)
        connection = connections.get_unscoped(connection_id)
        if connection is None:
            raise LookupError(f"connection {connection_id}")
        # suggested as if no start were set: the first number after QuickBooks' own
        preferences = Mirror(session, connection_id).preferences()
        numbering = _numbering(session, connection, preferences, with_start=False)
        invoice = numbering.details["invoice"]
        if number is None:
            number = invoice.get("suggested_start_number")
            if not isinstance(number, int):
                raise NoNumberToApply(
                    "QuickBooks uses no invoice number to start after: give the number to start at"
                )
        next_number = _as_app_writes(invoice, number)
        before = connection.settings.get("number_start")
        connections.set_settings(connection_id, {**connection.settings, "number_start": number})
        Audit(session, clock=ledger.clock).add(
            connection_id,
            actor,
            "apply_numbering_start",
            before={"number_start": before},
            after={"number_start": number},
        )
        Events(session, clock=ledger.clock).append(
            connection_id,
            "connection.numbering_start_applied",
            {"number": number, "next_number": next_number},
        )
    checklist = run_checks(ledger, connection_id)
    return {"number": number, "next_number": next_number, "checks": checklist.to_json()}


def _as_app_writes(invoice: Mapping[str, Any], number: int) -> str:
    """The number as the app writes it: the family prefix of its numbers, zero padding kept."""
    suggested = invoice.get("suggested_start")
    family = str(invoice.get("family") or "")
    if isinstance(suggested, str) and suggested.startswith(family):
        digits = suggested[len(family) :]
        width = len(digits) if digits.startswith("0") else 0
        return family + str(number).zfill(width)
    return family + str(number)


# --- the facts ----------------------------------------------------------------------------------


def make_checklist(session: Session, connection: StoredConnection) -> checks.Checklist:
    """The checklist from what the database holds for the connection."""
    mirror = Mirror(session, connection.id)
    preferences = mirror.preferences()
    if not preferences:
        return checks.not_read_yet()
    settings = connection.settings
    records = list(_records(session, connection.id))
    statuses: dict[tuple[str, str], str] = {}
    stopped: dict[str, int] = {}
    for type_, app_id, status, problem in SyncStates(session).outlines(connection.id):
        statuses[(type_, app_id)] = status
        if status == Status.ERROR and problem:
            code = str(problem.get("code"))
            stopped[code] = stopped.get(code, 0) + 1
    mappings = _mappings(connection)
    used = checks.uses(records)
    dated = []
    for key, record in records:
        day = checks.transaction_date(record)
        found = statuses.get((key.type, key.app_id))
        if day is not None and found is not None:
            dated.append(checks.Dated(key, day, found))
    return checks.Checklist(
        (
            _numbering(session, connection, preferences),
            checks.tax_check(preferences, used["tax_rates"], mappings, mirror, stopped),
            checks.closed_books_check(
                preferences,
                dated,
                policy=str(settings.get("closed_periods", "error")),
                stopped=stopped,
            ),
            checks.mapping_check(used, mappings, mirror, stopped),
        )
    )


def refresh_numbering(ledger: Ledger, connection_id: str) -> bool:
    """The stored checklist's numbering check made again now from the current numbers and
    mirror (the others stay as they were made); the app is told when its status changed.
    False when there is no checklist to refresh yet (`run_checks` makes the whole of it).

    What the Setup page does on every visit: a number given since by Renumber, or an invoice
    renumbered in QuickBooks, must not still count as a clash. It reads the numbers only, so it
    costs a fraction of the whole checklist."""
    with ledger.db.session() as session:
        connections = Connections(session, clock=ledger.clock)
        connection = connections.get_unscoped(connection_id)
        if connection is None or connection.checks is None:
            return False
        preferences = Mirror(session, connection_id).preferences()
        if not preferences:
            return False
        fresh = _numbering(session, connection, preferences)
        stored = [c for c in connection.checks.get("checks") or [] if isinstance(c, Mapping)]
        if not any(c.get("id") == "numbering" for c in stored):
            return False
        kept = [fresh.to_json() if c.get("id") == "numbering" else dict(c) for c in stored]
        checklist = {"status": checks.worst(str(c.get("status")) for c in kept), "checks": kept}
        changes = checks.status_changes(connection.checks, checks.Checklist((fresh,)))
        if connection.checks.get("checks") == kept:
            return True
        at = connection.checks_at or ledger.clock()
        connections.set_checks(connection_id, checklist, at)
        if changes:
            Events(session, clock=ledger.clock).append(
                connection_id,
                "connection.checks",
                {"status": checklist["status"], "changed": changes},
            )
    return True


def _numbering(
    session: Session,
    connection: StoredConnection,
    preferences: Mapping[str, Any],
    *,
    with_start: bool = True,
) -> checks.Check:
    """The numbering check; `preferences`: the mirror's, as the caller read them."""
    settings = connection.settings
    start = settings.get("number_start") if with_start else None
    mirror = Mirror(session, connection.id)
    company = CompanyPreferences.from_quickbooks(preferences)
    invoices, orders = _numbers(session, connection.id)
    return checks.numbering_check(
        checks.NumberFacts(tuple(invoices), mirror.unlinked_doc_numbers("Invoice")),
        checks.NumberFacts(tuple(orders), mirror.unlinked_doc_numbers("PurchaseOrder")),
        numbering=str(settings.get("numbering", "app")),
        prefix=str(settings.get("number_prefix", "")),
        number_start=start if isinstance(start, int) and not isinstance(start, bool) else None,
        refuses_duplicates=company.custom_txn_numbers,
    )


def _numbers(session: Session, connection_id: str) -> tuple[list[str], list[str]]:
    """The invoice and purchase order numbers of the app's records (not deleted) as they are
    sent now: a number an action gave (Renumber) replaces the app's."""
    scans = Scans(session, connection_id)
    given = {(s.type, s.app_id): s.overrides for s in scans.states() if s.overrides}
    found: dict[str, list[str]] = {"invoice": [], "purchase_order": []}
    for row in scans.records(read=tuple(found)):
        if row.deleted or row.data is None or row.type not in found:
            continue
        data = overrides.apply(row.data, given.get((row.type, row.app_id)))
        number = data.get("number")
        if isinstance(number, str | int) and not isinstance(number, bool) and str(number).strip():
            found[row.type].append(str(number).strip())
    return found["invoice"], found["purchase_order"]


def _mappings(connection: StoredConnection) -> Mappings:
    m = connection.mappings
    return Mappings(
        tax_codes=dict(m.get("tax_rates", {})),
        payment_methods=dict(m.get("payment_methods", {})),
        accounts=dict(m.get("accounts", {})),
        classes=dict(m.get("classes", {})),
    )


def _records(
    session: Session, connection_id: str, types: tuple[str, ...] = _READ
) -> Iterator[tuple[RecordKey, Record]]:
    """The app's records of `types` that are not deleted and parse, as they are sent now: with
    the values actions gave them (a number given by Renumber replaces the app's)."""
    stored = Records(session)
    held = stored.types_held(connection_id)
    types = tuple(t for t in types if t in held)  # none read for types it has no records of
    given = SyncStates(session).overridden_among(connection_id, types) if types else {}
    for record_type in types:
        cursor = None
        while True:
            page = stored.list(connection_id, type=record_type, cursor=cursor, limit=500)
            for row in page.items:
                if row.deleted:
                    continue
                data = overrides.apply(row.data, given.get((record_type, row.app_id)))
                parsed = parse_record(record_type, data)
                if not isinstance(parsed, list):
                    yield RecordKey(record_type, row.app_id), parsed  # type: ignore[arg-type]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
