"""Actions that change only ledgerbridge's side: what goes to QuickBooks next, and when.

Anything these decide reaches QuickBooks through the push pass (a `requestid` stored before
the first attempt, stale edits re-read): they re-queue the record, override a field, or queue
the write itself as the record's pending write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Mapping
from typing import Any

from ledgerbridge.core import catalog, drift, overrides
from ledgerbridge.core import preflight as names
from ledgerbridge.core import shorten as shorten_rules
from ledgerbridge.core.classify import field_label
from ledgerbridge.core.mirror import MirrorObject, name_key
from ledgerbridge.core.problems import INPUT_INVALID, Problem
from ledgerbridge.core.records import Customer, Item, Vendor, display_name
from ledgerbridge.core.shorten import Keep
from ledgerbridge.core.status import Status
from ledgerbridge.engine import push, waiting
from ledgerbridge.engine.actions._target import Done, Target
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.errors import Invalid, Refused
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = [
    "accept_deletion",
    "accept_quickbooks",
    "bypass",
    "differentiate",
    "push_again",
    "recreate",
    "send_app_version",
    "shift_to_open_period",
    "shorten",
    "shorten_check",
    "shortening",
    "undo_bypass",
    "unlink",
]

NAME_CODES = {
    catalog.CUSTOMER_DUPLICATE_IN_APP,
    catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
    catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE,
    catalog.PROPERTY_DUPLICATE_NAME,
    catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
    catalog.VENDOR_NAME_USED_BY_OTHER_TYPE,
}
_QUICKBOOKS_ONLY = ("Id", "SyncToken", "sparse", "MetaData", "domain", "status")


def _no_write_in_flight(t: Target) -> None:
    if t.state.pending_request_id:
        raise Refused(
            "a write to QuickBooks for this record is still being settled; try again in a minute"
        )


# problems a pull cannot change: retrying them needs no fresh look at QuickBooks
NOT_ABOUT_QUICKBOOKS = {
    catalog.RECORD_FIELD_TOO_LONG,
    catalog.PAYMENT_REFERENCE_TOO_LONG,
    catalog.INVOICE_NO_LINES,
    catalog.PAYMENT_CUSTOMER_MISMATCH,
    catalog.CUSTOMER_NAME_MISSING,
    catalog.INPUT_INVALID,
}


def bypass(t: Target) -> Done:
    _no_write_in_flight(t)
    if t.state.status == Status.BYPASSED:
        raise Refused("the record is already bypassed")
    with t.storing() as session:
        SyncStates(session, clock=t.ledger.clock).finish(
            t.cid, t.key.type, t.key.app_id, status=Status.BYPASSED, problem=t.state.problem
        )
        t.event(session, "record.bypassed", {"code": t.code})
    return Done("bypassed: it will not be sent to QuickBooks", wake=False)


def undo_bypass(t: Target) -> Done:
    if t.state.status != Status.BYPASSED:
        raise Refused("only a bypassed record can be un-bypassed")
    with t.storing() as session:
        SyncStates(session, clock=t.ledger.clock).finish(
            t.cid, t.key.type, t.key.app_id, status=Status.PENDING
        )
        t.want(session)
    return Done("no longer bypassed: queued to be sent")


def differentiate(t: Target) -> Done:
    """A free name (" - 2", " - 3"...) or, for a vendor document number, a dated variant."""
    if t.code == catalog.RECEIPT_VENDOR_DOCUMENT_NUMBER_TAKEN:
        return _unique_vendor_number(t)
    if t.code not in NAME_CODES:
        raise Refused("differentiate applies to a name or number that is already taken")
    found = push.preview(t.ledger, t.connection, t.key, name_conflicts="differentiate")
    if found is None:
        raise Refused("the record cannot be read; correct it in the app first")
    record, verdict = found
    adjusted = verdict.adjusted
    if adjusted is None or adjusted == record:
        adjusted = _renamed_anyway(t, record)
    if adjusted is None:  # nobody else wants the name now, and QuickBooks does not hold it
        with t.storing() as session:
            t.want(session)
        return Done("the name is free now: queued to be sent with it")
    if isinstance(adjusted, Customer | Vendor):
        path, new_name = "display_name", display_name(adjusted)
    elif isinstance(adjusted, Item):
        path, new_name = "name", adjusted.name
    else:  # pragma: no cover - NAME_CODES only come from named records
        raise Refused("this record has no name to differentiate")
    old_name = display_name(record) if isinstance(record, Customer | Vendor) else None
    with t.storing() as session:
        t.override(session, path, new_name, action="differentiate")
        t.want(session)
        if old_name is not None:
            _release_namesakes(t, session, old_name)
    return Done(f'renamed to "{new_name}" in QuickBooks', {"field": path, "value": new_name})


_IN_APP_CODES = (catalog.CUSTOMER_DUPLICATE_IN_APP, catalog.PROPERTY_DUPLICATE_NAME)


def _renamed_anyway(t: Target, record: Any) -> Customer | Vendor | Item | None:
    """This record keeps its name under the policy (it ranks first of the app records that
    want it), yet the person chose it to be the one renamed: the first free name, which the
    others then no longer meet. None when nobody else wants the name any more."""
    if not isinstance(record, Customer | Vendor | Item):
        return None
    name = record.name if isinstance(record, Item) else display_name(record)
    space = {"customer": names.CUSTOMERS, "vendor": names.VENDORS}.get(t.key.type, names.ITEMS)
    with t.ledger.db.session(readonly=True) as session:
        surroundings = Surroundings(t.connection)
        others = [k for k in surroundings.siblings(session, space.record_type, name) if k != t.key]
        mirror = Mirror(session, t.cid)
        holder = space.holder(mirror, name)
        if not others and (holder is None or (t.link and holder.qbo_id == t.link.qbo_id)):
            return None
        for number in range(2, 1000):
            suffix = f" - {number}"
            candidate = name[: space.limit - len(suffix)].rstrip() + suffix
            held = space.holder(mirror, candidate)
            if held is not None and not (t.link and held.qbo_id == t.link.qbo_id):
                continue
            if surroundings.siblings(session, space.record_type, candidate):
                continue
            if isinstance(record, Item):
                return dataclasses.replace(record, name=candidate)
            return dataclasses.replace(record, display_name=candidate)
    return None


def _release_namesakes(t: Target, session: Any, name: str) -> None:
    """The app records that failed only because this one wanted their name too: the name is
    theirs now, so they are due again (they keep it, or meet whoever still holds it)."""
    states = SyncStates(session, clock=t.ledger.clock)
    for state in states.all(t.cid, record_type=t.key.type, status=Status.ERROR):
        problem = state.problem or {}
        if state.app_id == t.key.app_id or problem.get("code") not in _IN_APP_CODES:
            continue
        if name_key(str((problem.get("params") or {}).get("name") or "")) == name_key(name):
            states.want(t.cid, state.type, state.app_id, state.desired_version)


def _unique_vendor_number(t: Target) -> Done:
    current = overrides.get_path(
        overrides.apply(t.stored.data, t.state.overrides), "vendor_document_number"
    )
    if not isinstance(current, str) or not current:
        raise Refused("the record has no vendor document number")
    day = str(t.stored.data.get("date") or "")[:10]
    stamp = day.replace("-", "")[2:] or dt.date.today().strftime("%y%m%d")
    taken = {
        str(o.data.get("DocNumber"))
        for entity in ("Bill", "Purchase")
        for o in _numbered_like(t, entity, current)
    }
    wanted = str(t.params.get("value") or "")
    candidates = (
        [wanted]
        if wanted
        else [f"{current}-{stamp}"] + [f"{current}-{stamp}-{n}" for n in range(2, 100)]
    )
    for candidate in candidates:
        fitted = candidate if len(candidate) <= 21 else candidate[-21:]
        if fitted not in taken:
            with t.storing() as session:
                t.override(session, "vendor_document_number", fitted, action="differentiate")
                t.want(session)
            return Done(f"sent with number {fitted}", {"value": fitted})
    raise Refused("no free variant of that number was found; change it in the app")


def _numbered_like(t: Target, entity: str, number: str) -> list[MirrorObject]:
    with t.ledger.db.session(readonly=True) as session:
        mirror = Mirror(session, t.cid)
        found = mirror.numbered(entity, number)
        for suffix in range(0, 100):
            found += mirror.numbered(entity, f"{number}-{suffix}")
        return found


SHORTEN_DEFAULT: Keep = "start"
"""What Shorten keeps when the caller chooses nothing: the start (what it always did)."""


def shortening(t: Target) -> tuple[str, str]:
    """The field Shorten changes and the value it would send: the caller's ``value`` (checked
    against the field's limit and rules), else the cut ``keep`` names (start, end or both;
    `SHORTEN_DEFAULT` when none). `Invalid` names ``value`` or ``keep`` when it cannot be
    sent; `Refused` when the record has no text to shorten."""
    if t.code not in (catalog.RECORD_FIELD_TOO_LONG, catalog.PAYMENT_REFERENCE_TOO_LONG):
        raise Refused("shorten applies to a text longer than QuickBooks accepts")
    path = str(t.problem.get("field") or "")
    limit = t.problem_param("limit") or (21 if t.code == catalog.PAYMENT_REFERENCE_TOO_LONG else 0)
    data = overrides.apply(t.stored.data, t.state.overrides)
    value = overrides.get_path(data, path) if path else None
    if not isinstance(value, str) or not int(limit):
        raise Refused("the text to shorten was not found; correct it in the app")
    given = t.params.get("value")
    if given is not None and given != "":
        if not isinstance(given, str):
            raise Invalid([Problem(INPUT_INVALID, "value", "value must be text")])
        why = shorten_rules.refused(given, int(limit), path)
        if why is not None:
            raise Invalid([Problem(INPUT_INVALID, "value", f"value {why}")])
        return path, given.strip()
    keep = t.params.get("keep") or SHORTEN_DEFAULT
    if keep not in shorten_rules.KEEPS:
        named = ", ".join(shorten_rules.KEEPS)
        raise Invalid([Problem(INPUT_INVALID, "keep", f"keep must be one of {named}")])
    return path, shorten_rules.cut(value, int(limit), keep)


def shorten_check(t: Target) -> None:
    """Shorten's choice checked before anything is stored or audited (a 422 naming it)."""
    with contextlib.suppress(Refused):  # the action itself refuses it, audited as any refusal
        shortening(t)


def shorten(t: Target) -> Done:
    path, short = shortening(t)
    with t.storing() as session:
        t.override(session, path, short, action="shorten")
        t.want(session)
    label = str(t.problem_param("field") or path.replace("_", " "))
    said = f'as "{short}" ({len(short)} characters)' if len(short) <= 60 else "shortened"
    return Done(
        f"the {label} goes to QuickBooks {said}"
        + ("" if len(short) <= 60 else f" to {len(short)} characters"),
        {"field": path, "value": short},
    )


def shift_to_open_period(t: Target) -> Done:
    if t.code != catalog.INVOICE_CLOSED_PERIOD:
        raise Refused("this applies to a record dated in a closed period")
    if t.problem_param("quickbooks_id"):
        raise Refused(
            "the copy in QuickBooks is itself in the closed period and QuickBooks refuses "
            "changes to it; reopen the period in QuickBooks to change it"
        )
    closing = t.problem_param("closing_date") or _desktop_closing_date(t)
    if not closing:
        raise Refused("the books closing date is not known; refresh from QuickBooks")
    moved = (dt.date.fromisoformat(str(closing)) + dt.timedelta(days=1)).isoformat()
    with t.storing() as session:
        t.override(session, "date", moved, action="shift_to_open_period")
        t.want(session)
    return Done(f"dated {moved}, the first open day", {"date": moved})


def _desktop_closing_date(t: Target) -> str | None:
    """QuickBooks Desktop's closing date as the Web Connector's last session read it (each
    session's first answer holds the company's preferences): QuickBooks' refusal of a date in
    the closed period does not say the date, and the pull that reads it runs every 15 minutes."""
    if t.connection.environment != "desktop":
        return None
    with t.ledger.db.session(readonly=True) as session:
        connector = WebConnectors(session).get(t.cid)
    return connector.closing_date if connector is not None else None


# problems that say the linked QuickBooks object is gone (QuickBooks answered 610, or a pull)
GONE_CODES = frozenset({*drift.DELETED_CODES.values(), catalog.RECEIPT_STALE_REFERENCE})


def unlink(t: Target) -> Done:
    _no_write_in_flight(t)
    if t.link is None:
        raise Refused("the record is not linked to anything in QuickBooks")
    with t.storing() as session:
        Links(session).remove(t.cid, t.key.type, t.key.app_id)
        if t.code in GONE_CODES:
            # the mirror may not know yet (no pull since QuickBooks said so): without this,
            # look-up before create would match the gone object and link to it again
            Mirror(session, t.cid, clock=t.ledger.clock).mark_deleted(
                t.link.qbo_entity, t.link.qbo_id
            )
        states = SyncStates(session, clock=t.ledger.clock)
        states.unsync(t.cid, t.key.type, t.key.app_id)
        # a person unlinked it: an object the app once named is not linked to again
        states.set_adopt(t.cid, t.key.type, t.key.app_id, None)
        t.want(session)
        waiting.recheck_dependents(session, t.cid, t.key, by="unlink", clock=t.ledger.clock)
        t.event(
            session,
            "record.unlinked",
            {"quickbooks_id": t.link.qbo_id, "quickbooks_number": t.link.doc_number},
        )
    return Done(
        f"unlinked from QuickBooks {t.link.qbo_entity} {t.link.qbo_id}; it will be matched or "
        "created again",
        {"quickbooks_id": t.link.qbo_id},
    )


def accept_deletion(t: Target) -> Done:
    _no_write_in_flight(t)
    with t.storing() as session:
        if t.link is not None:
            Links(session).remove(t.cid, t.key.type, t.key.app_id)
        SyncStates(session, clock=t.ledger.clock).finish(
            t.cid, t.key.type, t.key.app_id, status=Status.BYPASSED, problem=t.state.problem
        )
        t.event(session, "record.deletion_accepted", {"code": t.code})
    return Done("left deleted in QuickBooks; the record will not be sent again", wake=False)


def recreate(t: Target) -> Done:
    """A new QuickBooks object from the stored copy of what was last pushed, queued as the
    record's pending create (its requestid stored now, replayed until settled)."""
    _no_write_in_flight(t)
    if t.link is None or not t.link.pushed:
        raise Refused("there is no stored copy of what was sent: use Unlink, then Retry")
    body = {k: v for k, v in t.link.pushed.items() if k not in _QUICKBOOKS_ONLY}
    with t.storing() as session:
        Links(session).remove(t.cid, t.key.type, t.key.app_id)
        if t.code in GONE_CODES:  # as unlink: its number is free again, not taken by itself
            Mirror(session, t.cid, clock=t.ledger.clock).mark_deleted(
                t.link.qbo_entity, t.link.qbo_id
            )
        states = SyncStates(session, clock=t.ledger.clock)
        states.unsync(t.cid, t.key.type, t.key.app_id)
        states.start_write(t.cid, t.key.type, t.key.app_id, uuid.uuid4().hex, "create", body)
        t.want(session)
        waiting.recheck_dependents(session, t.cid, t.key, by="recreate", clock=t.ledger.clock)
    return Done(
        f"a new {t.link.qbo_entity} is being created from the copy last sent",
        {"old_quickbooks_id": t.link.qbo_id},
    )


def send_app_version(t: Target) -> Done:
    """What was changed in QuickBooks gets the app's values again: the fields it changed are
    forgotten as pushed, so the next pass sends them (with its requestid, on a fresh
    SyncToken), and any value kept from QuickBooks before is dropped."""
    if t.code != catalog.RECORD_CHANGED_IN_QUICKBOOKS:
        raise Refused("send the app's version applies to a record changed in QuickBooks")
    fields = tuple(f for f in str(t.problem_param("fields") or "").split(", ") if f)
    if not fields:
        raise Refused("which fields were changed in QuickBooks is not known; refresh first")
    kept = {k: v for k, v in (overrides.kept(t.state.overrides) or {}).items() if k not in fields}
    with t.storing() as session:
        SyncStates(session, clock=t.ledger.clock).set_overrides(
            t.cid,
            t.key.type,
            t.key.app_id,
            overrides.with_kept(overrides.active(t.stored.data, t.state.overrides), kept),
        )
    return push_again(
        t, fields, f"the app's {_in_words(fields)} will be sent over QuickBooks' changes"
    )


def _in_words(fields: tuple[str, ...]) -> str:
    """QuickBooks' field names as a bookkeeper reads them: "email address, name"."""
    return ", ".join(dict.fromkeys(field_label(f) or f for f in fields))


def push_again(t: Target, fields: tuple[str, ...], summary: str) -> Done:
    """Send the app's values of `fields` (QuickBooks names) again, whatever QuickBooks holds."""
    _no_write_in_flight(t)
    if t.link is None:
        raise Refused("the record is not linked to anything in QuickBooks")
    pushed = {k: v for k, v in (t.link.pushed or {}).items() if k not in fields}
    with t.storing() as session:
        _relink(t, session, pushed)
        SyncStates(session, clock=t.ledger.clock).unsync(t.cid, t.key.type, t.key.app_id)
        t.want(session)
    return Done(summary, {"fields": list(fields)})


def _relink(t: Target, session: Any, pushed: Mapping[str, Any]) -> None:
    """The record's link again, with `pushed` as the last-pushed copy and the SyncToken the
    mirror last saw (an edit in QuickBooks since our push moved it on)."""
    assert t.link is not None
    seen = Mirror(session, t.cid).get(t.link.qbo_entity, t.link.qbo_id)
    Links(session).put(
        t.cid,
        t.key.type,
        t.key.app_id,
        entity=t.link.qbo_entity,
        qbo_id=t.link.qbo_id,
        sync_token=seen.sync_token if seen is not None else t.link.sync_token,
        doc_number=t.link.doc_number,
        pushed=pushed,
    )


# --- keeping QuickBooks' version --------------------------------------------------------------


def accept_quickbooks(t: Target) -> Done:
    code = t.code
    if code == catalog.INVOICE_MOVED_IN_QUICKBOOKS:
        return _accept_customer(t)
    if code == catalog.ITEM_ACCOUNT_MISMATCH:
        return _accept_account(t)
    if code in (
        catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
        catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
        catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
    ):
        return _accept_inactive(t)
    if code == catalog.CUSTOMER_EDITED_CONCURRENTLY:
        return _accept_edit(t)
    if code == catalog.RECORD_CHANGED_IN_QUICKBOOKS:
        return _accept_changed(t)
    if code in (catalog.INVOICE_VOIDED_IN_QUICKBOOKS, catalog.ITEM_BUNDLE_READ_ONLY):
        with t.storing() as session:
            SyncStates(session, clock=t.ledger.clock).finish(
                t.cid, t.key.type, t.key.app_id, status=Status.BYPASSED, problem=t.state.problem
            )
            t.event(session, "record.quickbooks_accepted", {"code": code})
        return Done("QuickBooks' version is kept; the record is no longer sent", wake=False)
    raise Refused("there is no QuickBooks version to keep for this problem")


def _settle_as_synced(t: Target, session: Any, pushed_patch: dict[str, Any]) -> None:
    """QuickBooks now matches what goes there: record the pushed copy and mark it synced."""
    assert t.link is not None
    _relink(t, session, {**(t.link.pushed or {}), **pushed_patch})
    SyncStates(session, clock=t.ledger.clock).finish(
        t.cid,
        t.key.type,
        t.key.app_id,
        status=Status.SYNCED,
        synced_version=t.state.desired_version,
    )


def _accept_customer(t: Target) -> Done:
    qbo_customer = t.param("quickbooks_customer_id")
    if not qbo_customer or t.link is None:
        raise Refused("QuickBooks' customer for this invoice is not known; refresh first")
    with t.storing() as session:
        holder = Links(session).by_quickbooks(t.cid, "Customer", str(qbo_customer))
        if holder is None:
            raise Refused(
                f"QuickBooks customer {qbo_customer} is not linked to a customer of the app; "
                "link it first, or move the invoice back"
            )
        t.override(session, "customer_id", holder.app_id, action="accept_quickbooks")
        _settle_as_synced(t, session, {"CustomerRef": {"value": str(qbo_customer)}})
        t.event(
            session,
            "invoice.customer_changed",
            {"customer_id": holder.app_id, "quickbooks_customer_id": str(qbo_customer)},
        )
    return Done(
        f"kept in QuickBooks under customer {holder.app_id}", {"customer_id": holder.app_id}
    )


def _accept_account(t: Target) -> Done:
    field = str(t.problem_param("field") or "income_account")
    account = t.problem_param("quickbooks_account")
    account_id = t.problem_param("quickbooks_account_id")
    if not account or t.link is None or field not in ("income_account", "expense_account"):
        raise Refused("QuickBooks' account for this item is not known; refresh first")
    ref = "IncomeAccountRef" if field == "income_account" else "ExpenseAccountRef"
    with t.storing() as session:
        t.override(session, field, str(account), action="accept_quickbooks")
        _settle_as_synced(t, session, {ref: {"value": str(account_id)}} if account_id else {})
    words = field.replace("_", " ")
    return Done(f"the {words} is now {account}, as in QuickBooks", {field: account})


# the record type each "made inactive in QuickBooks" code is about
_INACTIVE_TYPES: dict[str, str] = {code: type_ for type_, code in drift.INACTIVE_CODES.items()}


def _accept_inactive(t: Target) -> Done:
    inactive = _INACTIVE_TYPES.get(str(t.code))
    if inactive is not None and inactive != t.key.type:
        raise Refused(
            f"this {t.key.type} uses a {inactive} made inactive in QuickBooks, and QuickBooks "
            f"refuses it as long as that {inactive} is inactive: click Reactivate, or keep the "
            f"{inactive} inactive from the {inactive} itself and change this {t.key.type} in "
            "the app"
        )
    if t.link is None:
        raise Refused("the record is not linked to anything in QuickBooks")
    with t.storing() as session:
        t.override(session, "active", False, action="accept_quickbooks")
        _settle_as_synced(t, session, {"Active": False})
    return Done("left inactive, as in QuickBooks", {"active": False})


def _accept_changed(t: Target) -> Done:
    """QuickBooks' values of the fields changed there are kept (`core.drift.kept_values`):
    nothing is sent over them while the app's values of those fields stay as they are, and the
    app is told QuickBooks' values (event ``record.quickbooks_kept``) to take them over."""
    fields = [f for f in str(t.problem_param("fields") or "").split(", ") if f]
    with t.storing() as session:
        seen = Mirror(session, t.cid).get(t.link.qbo_entity, t.link.qbo_id) if t.link else None
        if t.link is None or seen is None or not fields or not t.link.pushed:
            raise Refused("QuickBooks' version of this record is not known; refresh first")
        kept = {**(overrides.kept(t.state.overrides) or {})}
        kept.update(drift.kept_values(fields, t.link.pushed, seen.data))
        SyncStates(session, clock=t.ledger.clock).set_overrides(
            t.cid,
            t.key.type,
            t.key.app_id,
            overrides.with_kept(overrides.active(t.stored.data, t.state.overrides), kept),
        )
        _relink(t, session, t.link.pushed)  # QuickBooks' SyncToken: the next write is not stale
        # planned again with the kept values: synced at once, or what the app changed since
        # (other fields) is sent first
        SyncStates(session, clock=t.ledger.clock).unsync(t.cid, t.key.type, t.key.app_id)
        t.want(session)
        values = {f: seen.data.get(f) for f in fields}
        t.event(
            session,
            "record.quickbooks_kept",
            {"fields": fields, "quickbooks_values": values, "quickbooks_id": t.link.qbo_id},
        )
    return Done(
        f"QuickBooks' {', '.join(fields)} kept; the app is told QuickBooks' values",
        {"fields": fields},
    )


# QuickBooks fields of a concurrent edit and the app's field they come from
_APP_FIELDS = {
    "DisplayName": "display_name",
    "GivenName": "first_name",
    "FamilyName": "last_name",
    "CompanyName": "company_name",
    "Notes": "notes",
    "Name": "name",
    "Description": "description",
    "Sku": "sku",
    "PrivateNote": "memo",
    "DocNumber": "number",
    "TxnDate": "date",
    "DueDate": "due_date",
}


def _accept_edit(t: Target) -> Done:
    field = str(t.problem_param("quickbooks_field") or "")
    value = t.problem_param("quickbooks_value")
    path = _APP_FIELDS.get(field) or {"PrimaryEmailAddr": "email", "PrimaryPhone": "phone"}.get(
        field
    )
    if path is None or t.link is None:
        raise Refused("this edit cannot be taken over automatically; correct it in the app")
    qbo_value: Any = value
    if field == "PrimaryEmailAddr":
        qbo_value = {"Address": value}
    elif field == "PrimaryPhone":
        qbo_value = {"FreeFormNumber": value}
    with t.storing() as session:
        t.override(session, path, value, action="accept_quickbooks")
        _relink(t, session, {**(t.link.pushed or {}), field: qbo_value})
        SyncStates(session, clock=t.ledger.clock).unsync(t.cid, t.key.type, t.key.app_id)
        t.want(session)
    return Done(f"the {field_label(field)} kept as in QuickBooks", {path: value})


def next_free_number(taken: set[str], start: str) -> str:
    """The first number after `start` (its digits counted up, any prefix kept) not taken."""
    match = re.fullmatch(r"(.*?)(\d+)", start)
    if match is None:
        prefix, number, width = f"{start}-", 1, 1
    else:
        prefix, number, width = match.group(1), int(match.group(2)), len(match.group(2))
    for step in range(1, 1_000_000):
        candidate = f"{prefix}{str(number + step).zfill(width)}"
        if candidate not in taken:
            return candidate
    raise Refused("no free number was found")
