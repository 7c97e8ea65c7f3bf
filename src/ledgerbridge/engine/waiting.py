"""Whatever resolves a wait wakes it: records failing for want of a mapping or a setting are
due again the moment that mapping or setting is saved.

    keys = release(session, connection_id, {code: names or None}, by="mapping", clock=clock)

A payment whose method has no QuickBooks payment method (``payment.method_not_mapped``) is not
retried by itself: nothing would change on its own. Saving the mapping does change it, so the
service asks here for the records whose problem is exactly what was just saved (the method,
tax rate, account or class by its name; a setting by the codes it decides), and makes them due
now, with a history entry saying what released them. The sync pass then plans them against
the new mapping: those it settles sync, the others fail again with the current reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog
from ledgerbridge.core.records import RecordKey
from ledgerbridge.core.status import Status
from ledgerbridge.storage.history import History
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = [
    "MAPPED_BY",
    "REFERRED_BY",
    "SETTLED_BY",
    "for_mappings",
    "for_settings",
    "recheck_dependents",
    "release",
]

MAPPED_BY: Final[Mapping[str, str]] = {
    "payment_methods": catalog.PAYMENT_METHOD_NOT_MAPPED,
    "tax_rates": catalog.TAX_RATE_NOT_MAPPED,
    "accounts": catalog.ITEM_ACCOUNT_MISSING,
    "classes": catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
}
"""A mapping section -> the problem of a record waiting for one of its entries (by name)."""

_NAMES: Final = frozenset(
    {
        catalog.CUSTOMER_DUPLICATE_IN_APP,
        catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
        catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE,
        catalog.PROPERTY_DUPLICATE_NAME,
        catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
        catalog.VENDOR_NAME_USED_BY_OTHER_TYPE,
        catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    }
)
_NUMBERS: Final = frozenset({catalog.INVOICE_NUMBER_CONFLICT})
SETTLED_BY: Final[Mapping[str, frozenset[str]]] = {
    "customer_email_required": frozenset({catalog.CUSTOMER_EMAIL_INVALID}),
    "closed_periods": frozenset({catalog.INVOICE_CLOSED_PERIOD}),
    "name_conflicts": _NAMES,
    "numbering": _NUMBERS,
    "number_prefix": _NUMBERS,
    "number_start": _NUMBERS,
    "quickbooks_changes": frozenset({catalog.RECORD_CHANGED_IN_QUICKBOOKS}),
}
"""A connection setting -> the problems a change of it may resolve."""


def for_mappings(
    before: Mapping[str, Mapping[str, str]], after: Mapping[str, Mapping[str, str]]
) -> dict[str, set[str] | None]:
    """The waits a mapping change may end: per code, the names mapped anew or otherwise."""
    wanted: dict[str, set[str] | None] = {}
    for section, code in MAPPED_BY.items():
        old, new = before.get(section) or {}, after.get(section) or {}
        names = {name for name, qbo_id in new.items() if old.get(name) != qbo_id}
        if names:
            wanted[code] = names
    return wanted


def for_settings(
    before: Mapping[str, object], changed: Mapping[str, object]
) -> dict[str, set[str] | None]:
    """The waits a settings change may end: every record with a problem the setting decides."""
    wanted: dict[str, set[str] | None] = {}
    for setting, value in changed.items():
        if setting in SETTLED_BY and before.get(setting) != value:
            for code in SETTLED_BY[setting]:
                wanted[code] = None
    return wanted


def release(
    session: Session,
    connection_id: str,
    wanted: Mapping[str, set[str] | None],
    *,
    by: str,
    clock: Clock = utcnow,
) -> list[RecordKey]:
    """Records failing with one of `wanted`'s codes (and, where names are given, about one of
    those names: the problem's `name` param) are due now; returns them."""
    states = SyncStates(session, clock=clock)
    history = History(session, clock=clock)
    released: list[RecordKey] = []
    for code, names in wanted.items():
        for record_type, app_id in list(_failing(session, connection_id, code)):
            state = states.get(connection_id, record_type, app_id)
            if state is None or state.status != Status.ERROR or state.pending_request_id:
                continue
            params = (state.problem or {}).get("params") or {}
            if names is not None and str(params.get("name")) not in names:
                continue
            states.want(connection_id, record_type, app_id, state.desired_version, current=state)
            history.add(
                connection_id,
                record_type,
                app_id,
                "released",
                detail={"by": by, "code": code, "message": _MESSAGES.get(by, by)},
            )
            released.append(RecordKey(record_type, app_id))  # type: ignore[arg-type]
    return released


_MESSAGES: Final = {
    "mapping": "the mapping it waited for was saved",
    "settings": "a connection setting that decides its problem changed",
}


REFERRED_BY: Final[Mapping[str, tuple[tuple[str, ...], str]]] = {
    "customer": (("invoice", "payment"), "customer_id"),
    "vendor": (("bill", "receipt", "purchase_order"), "vendor_id"),
}
"""A party type -> the record types that name it, and the field they name it in."""


def recheck_dependents(
    session: Session, connection_id: str, key: RecordKey, *, by: str, clock: Clock = utcnow
) -> int:
    """A customer or vendor linked anew (unlinked, re-created, linked to another QuickBooks
    object): its synced documents and sub-customers are planned again, so the invariant is
    asked of them too (a document QuickBooks keeps under the old one is then "moved")."""
    found: list[tuple[str, str]] = []
    records = Records(session)
    if key.type in REFERRED_BY:
        types, field = REFERRED_BY[key.type]
        found += records.referring(connection_id, types, field, key.app_id)
    if key.type == "customer":
        found += records.referring(connection_id, ("customer",), "parent_id", key.app_id)
    states = SyncStates(session, clock=clock)
    history = History(session, clock=clock)
    count = 0
    for record_type, app_id in found:
        state = states.get(connection_id, record_type, app_id)
        if state is None or state.status != Status.SYNCED or state.pending_request_id:
            continue
        states.want(connection_id, record_type, app_id, state.desired_version, current=state)
        states.unsync(connection_id, record_type, app_id)
        history.add(
            connection_id,
            record_type,
            app_id,
            "released",
            detail={
                "by": by,
                "message": f"{key.type} {key.app_id} is linked anew in QuickBooks: checked again",
            },
        )
        count += 1
    return count


def _failing(session: Session, connection_id: str, code: str) -> Iterable[tuple[str, str]]:
    records = Records(session)
    cursor = None
    while True:
        page = records.list(connection_id, status=Status.ERROR, code=code, cursor=cursor, limit=500)
        yield from ((r.type, r.app_id) for r in page.items)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
