"""Actions that read or change QuickBooks itself, at once, while the person waits.

They touch QuickBooks objects that are not this record's own write (a customer to reactivate,
someone else's invoice to renumber, an object to link to), so the answer is shown straight
away; QuickBooks' own refusal becomes the action's refusal, in QuickBooks' words.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import QuickBooks, QuickBooksError, Rejected
from ledgerbridge.core import catalog, mapping, overrides, web_connector
from ledgerbridge.core import drift as rules
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight._refs import pushed_number
from ledgerbridge.core.records import Record, parse_record
from ledgerbridge.core.status import Status
from ledgerbridge.engine import drift, waiting
from ledgerbridge.engine.actions._target import Done, Target
from ledgerbridge.engine.actions.local import next_free_number, push_again
from ledgerbridge.engine.context import Surroundings, policies_of
from ledgerbridge.engine.errors import Refused
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.web_connectors import WebConnectors

__all__ = [
    "align_account",
    "link",
    "move_back",
    "reactivate",
    "reactivate_check",
    "renumber",
]


def _refused_by_quickbooks(error: QuickBooksError) -> Refused:
    if isinstance(error, Rejected):
        fault = error.first
        return Refused(f"QuickBooks refused: {fault.detail or fault.message} (code {fault.code})")
    return Refused(f"QuickBooks could not be reached ({error}); try again in a moment")


def _remember(t: Target, entity: str, obj: dict[str, Any]) -> None:
    with t.storing() as session:
        Mirror(session, t.cid, clock=t.ledger.clock).put(MirrorObject.from_quickbooks(entity, obj))


def _read(client: QuickBooks, entity: str, qbo_id: str) -> dict[str, Any]:
    try:
        found = client.read(entity, qbo_id)
    except QuickBooksError as error:
        raise _refused_by_quickbooks(error) from error
    if found is None:
        raise Refused(f"QuickBooks has no {entity} {qbo_id} (it may have been deleted)")
    return found


# --- reactivate -------------------------------------------------------------------------------


def reactivate_check(t: Target) -> None:
    """Refused before anything is kept for the Web Connector: a class on a QuickBooks Desktop
    whose qbXML (as the Web Connector reported it) has no ClassMod (8.0, which is
    `core.web_connector.MIN_QBXML`: `too_old`)."""
    if rules.STOPPED_BY_INACTIVE.get(t.code or "") != "Class":
        return
    if t.connection.environment != "desktop":
        return
    with t.ledger.db.session(readonly=True) as session:
        connector = WebConnectors(session).get(t.cid)
    reported = connector.qbxml_version if connector is not None else None
    # one not known yet (or unreadable) is not refused: the session that carries it out checks
    if web_connector.too_old(reported):
        raise Refused(
            f"this QuickBooks Desktop speaks qbXML {reported} (as its Web Connector reported), "
            "and making a class active again from here needs qbXML 8.0 or newer: make the "
            "class active at the PC (Lists, Class List, Include inactive, then click the X "
            "beside it), then click Retry"
        )


def reactivate(t: Target) -> Done:
    entity = rules.STOPPED_BY_INACTIVE.get(t.code or "")
    if entity is None:
        raise Refused("reactivate applies to something made inactive in QuickBooks")
    reactivate_check(t)
    named = t.problem_param("quickbooks_id")
    candidates = [str(named)] if named else _own_or_dependency_ids(t, entity)
    if not candidates:
        raise Refused(f"which QuickBooks {entity.lower()} to reactivate is not known")
    changed: list[dict[str, Any]] = []
    with t.client(writes=True) as client:
        # QuickBooks' refusal (610) does not say which one: every candidate found inactive
        read = {qbo_id: _look_up(client, entity, qbo_id) for qbo_id in candidates}
        gone = [qbo_id for qbo_id, obj in read.items() if obj is None]
        if gone and entity in ("Customer", "Vendor", "Item"):
            # QuickBooks Desktop deletes list entries (Online only makes them inactive)
            return _add_again(t, entity, gone)
        found = [obj for obj in read.values() if obj is not None]
        if not found:  # a class deleted in QuickBooks Desktop: there is nothing to reactivate
            raise Refused(
                f"QuickBooks has no {entity.lower()} {', '.join(gone)} any more (it was deleted "
                f"there): choose another {entity.lower()} in the app or its mapping"
            )
        done: set[str] = set()
        raised: list[dict[str, Any]] = []  # the inactive classes above a sub-class
        for current in found:
            if entity == "Class":  # a sub-class under an inactive class: its parents first
                parents = [p for p in _inactive_parents(client, current) if p["Id"] not in done]
                for parent in parents:
                    raised.append(_activate(client, entity, parent))
                    done.add(str(parent["Id"]))
                if parents:  # read again: its parents' change may have changed it
                    current = _read(client, entity, str(current["Id"]))
            if current.get("Active") is False and str(current["Id"]) not in done:
                changed.append(_activate(client, entity, current))
                done.add(str(current["Id"]))
    shown = [*changed, *raised] or found
    for current in shown:
        _remember(t, entity, current)
    requeued = _requeue_reactivated(t, entity, [str(c["Id"]) for c in shown])
    names = ", ".join(str(c.get("DisplayName") or c.get("Name")) for c in shown)
    return Done(
        f"QuickBooks {entity.lower()} {names} is active again; {requeued} record(s) queued again",
        {
            "entity": entity,
            "quickbooks_id": str(shown[0]["Id"]),
            "quickbooks_ids": [str(c["Id"]) for c in shown],
        },
    )


def _look_up(client: QuickBooks, entity: str, qbo_id: str) -> dict[str, Any] | None:
    try:
        return client.read(entity, qbo_id)
    except QuickBooksError as error:
        raise _refused_by_quickbooks(error) from error


def _add_again(t: Target, entity: str, gone: list[str]) -> Done:
    """The app's records linked to QuickBooks objects deleted there are unlinked and sent again
    as new ones (QuickBooks Desktop: a customer, vendor or item deleted, where Online could only
    make it inactive); this record follows them."""
    added: list[str] = []
    own = False
    with t.storing() as session:
        links = Links(session)
        states = SyncStates(session, clock=t.ledger.clock)
        mirror = Mirror(session, t.cid, clock=t.ledger.clock)
        for qbo_id in gone:
            mirror.mark_deleted(entity, qbo_id)
            holder = links.by_quickbooks(t.cid, entity, qbo_id)
            if holder is None:
                continue
            links.remove(t.cid, holder.type, holder.app_id)
            states.unsync(t.cid, holder.type, holder.app_id)
            state = states.get(t.cid, holder.type, holder.app_id)
            if state is not None:
                states.want(t.cid, holder.type, holder.app_id, state.desired_version)
            History(session, clock=t.ledger.clock).add(
                t.cid,
                holder.type,
                holder.app_id,
                "unlinked",
                detail={"quickbooks_id": qbo_id, "why": f"deleted in QuickBooks ({t.key.type})"},
            )
            added.append(f"{holder.type} {holder.app_id}")
            own = own or (holder.type, holder.app_id) == (t.key.type, t.key.app_id)
        if not own:
            states.want(t.cid, t.key.type, t.key.app_id, t.state.desired_version)
    if not added:
        raise Refused(
            f"QuickBooks has no {entity} {', '.join(gone)} (it was deleted there) and no record "
            "of the app is linked to it"
        )
    return Done(
        f"QuickBooks {entity.lower()} {', '.join(gone)} was deleted there: the app's "
        f"{', '.join(added)} is added to QuickBooks again, then this record",
        {"entity": entity, "deleted_quickbooks_ids": gone, "added_again": added},
    )


def _inactive_parents(client: QuickBooks, current: dict[str, Any]) -> list[dict[str, Any]]:
    """The inactive classes above a class, the topmost first (QuickBooks keeps a sub-class
    under an inactive parent inactive in effect: each must be made active)."""
    above: list[dict[str, Any]] = []
    seen = {str(current["Id"])}
    parent = (current.get("ParentRef") or {}).get("value")
    while parent and str(parent) not in seen:  # at most 5 levels; a cycle is never followed
        seen.add(str(parent))
        found = _read(client, "Class", str(parent))
        if found.get("Active") is False:
            above.append(found)
        parent = (found.get("ParentRef") or {}).get("value")
    return above[::-1]


def _activate(client: QuickBooks, entity: str, current: dict[str, Any]) -> dict[str, Any]:
    name = "Name" if entity in ("Item", "Class") else "DisplayName"
    body = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True}
    body["Active"] = True
    body[name] = current.get(name)
    try:
        return client.update(entity, body, request_id=uuid.uuid4().hex, sparse=True)
    except QuickBooksError as error:
        raise _refused_by_quickbooks(error) from error


def _own_or_dependency_ids(t: Target, entity: str) -> list[str]:
    """The QuickBooks objects of `entity` the record is, or uses: its own link, its customer
    or vendor, the items or classes of its lines."""
    if mapping.ENTITY.get(t.key.type) == entity and t.link is not None:
        return [t.link.qbo_id]
    data = overrides.apply(t.stored.data, t.state.overrides)
    lines = [line for line in data.get("lines") or [] if isinstance(line, dict)]
    found: list[str] = []
    with t.ledger.db.session(readonly=True) as session:
        links = Links(session)
        if entity in ("Customer", "Vendor", "Item"):
            record_type = entity.lower()
            app_ids = (
                [data.get(f"{record_type}_id")]
                if entity != "Item"
                else [line.get("item_id") for line in lines]
            )
            for app_id in app_ids:
                link = links.get(t.cid, record_type, str(app_id)) if app_id else None
                if link is not None:
                    found.append(link.qbo_id)
        elif entity == "Class":
            mapped = t.connection.mappings.get("classes") or {}
            mirror = Mirror(session, t.cid)
            for name in [data.get("class")] + [line.get("class") for line in lines]:
                if not name:
                    continue
                obj = mirror.named("Class", str(name))
                qbo_id = mapped.get(name) or (obj.qbo_id if obj is not None else None)
                if qbo_id:
                    found.append(str(qbo_id))
    return list(dict.fromkeys(found))


def _requeue_reactivated(t: Target, entity: str, qbo_ids: list[str]) -> int:
    """This record and every record stopped by one of these objects being inactive: they try
    again."""
    with t.storing() as session:
        active = [(entity, qbo_id) for qbo_id in qbo_ids]
        released = drift.release_reactivated(session, t.cid, active, clock=t.ledger.clock)
        if t.key not in released:
            states = SyncStates(session, clock=t.ledger.clock)
            states.want(t.cid, t.key.type, t.key.app_id, t.state.desired_version)
            released.append(t.key)
    return len(released)


# --- link -------------------------------------------------------------------------------------


def _replan_suggesting(states: SyncStates, t: Target, qbo_id: str) -> None:
    """Other records whose problem suggested linking to the object this record now holds (two
    app invoices matching one QuickBooks invoice) are planned again: their suggestion is taken,
    and a Link button offering it could only be refused."""
    for other in states.all(t.cid, record_type=t.key.type, status=Status.ERROR):
        params = (other.problem or {}).get("params") or {}
        if other.app_id != t.key.app_id and str(params.get("quickbooks_id")) == qbo_id:
            states.want(t.cid, other.type, other.app_id, other.desired_version, current=other)


def _unchanged_since_looked(session: Session, t: Target, entity: str) -> None:
    """Where the link is stored, the record held (`SyncStates.held`): a sync pass that began
    writing it to QuickBooks since the person looked (its requestid stored), or linked it
    meanwhile (created or found it), has the record; the link is refused, so that the object
    that pass created is not left in QuickBooks beside the one the person chose."""
    now = SyncStates(session).held(t.cid, t.key.type, t.key.app_id)
    if now is None:
        raise Refused("the record is gone")
    if now.pending_request_id:
        raise Refused(
            "a sync began sending this record to QuickBooks meanwhile; look at it again once "
            "it is done"
        )
    linked = Links(session).get(t.cid, t.key.type, t.key.app_id)
    seen = t.link.qbo_id if t.link is not None else None
    if linked is not None and linked.qbo_id != seen:
        raise Refused(
            f"a sync linked the record to QuickBooks {entity} {linked.qbo_id} meanwhile; "
            "unlink it first to link another"
        )


def link(t: Target) -> Done:
    """Link the record to a QuickBooks object a person chose (or the one its problem names).
    A customer or vendor merged away in QuickBooks is re-linked: its old link points at
    nothing."""
    merged = t.code in rules.MERGED_CODES.values()
    if t.link is not None and not merged:
        raise Refused(
            f"the record is already linked to QuickBooks {t.link.qbo_entity} {t.link.qbo_id}; "
            "unlink it first"
        )
    if t.state.pending_request_id:
        raise Refused("a write to QuickBooks for this record is still being settled")
    qbo_id = t.param("quickbooks_id") or (t.problem_param("into_quickbooks_id") if merged else None)
    if not qbo_id:
        raise Refused("choose the QuickBooks record to link to (quickbooks_id)")
    entity = mapping.ENTITY[t.key.type]
    with t.ledger.db.session(readonly=True) as session:
        holder = Links(session).by_quickbooks(t.cid, entity, str(qbo_id))
    if holder is not None:
        raise Refused(
            f"QuickBooks {entity} {qbo_id} is already linked to app {holder.type} {holder.app_id}"
        )
    with t.client(writes=False) as client:
        found = _read(client, entity, str(qbo_id))
    obj = MirrorObject.from_quickbooks(entity, found)
    body = _body(t)
    # a person says this QuickBooks object is the record: what it holds otherwise than the app
    # (a longer name, another phone) is theirs and is kept, not overwritten; the app is told
    lacking = sorted(rules.lacking(_parsed(t), body, obj)) if body is not None else []
    # ...but never money: a document whose lines or total differ is the person's question
    kept_fields = [f for f in lacking if f not in _MONEY]
    kept = dict(overrides.kept(t.state.overrides) or {})
    if body is not None:
        kept.update(rules.kept_values(kept_fields, body, found))
    with t.storing() as session:
        _unchanged_since_looked(session, t, entity)
        Mirror(session, t.cid, clock=t.ledger.clock).put(obj)
        Links(session).put(
            t.cid,
            t.key.type,
            t.key.app_id,
            entity=entity,
            qbo_id=str(found["Id"]),
            sync_token=str(found.get("SyncToken", "0")),
            doc_number=found.get("DocNumber"),
            pushed=body,
        )
        states = SyncStates(session, clock=t.ledger.clock)
        states.set_overrides(
            t.cid,
            t.key.type,
            t.key.app_id,
            overrides.with_kept(overrides.active(t.stored.data, t.state.overrides), kept),
        )
        states.set_adopt(t.cid, t.key.type, t.key.app_id, None)  # a person chose for the app
        if body is None or len(kept_fields) < len(lacking):
            # the record cannot be sent as it is, or its amounts differ: the next pass says why
            states.finish(t.cid, t.key.type, t.key.app_id, status=Status.PENDING, attempts=0)
            states.unsync(t.cid, t.key.type, t.key.app_id)
            t.want(session)
        else:
            states.finish(
                t.cid,
                t.key.type,
                t.key.app_id,
                status=Status.SYNCED,
                synced_version=t.state.desired_version,
                attempts=0,
            )
        states.release_blocked(t.cid, (t.key.type, t.key.app_id))
        _replan_suggesting(states, t, str(found["Id"]))
        waiting.recheck_dependents(session, t.cid, t.key, by="link", clock=t.ledger.clock)
        t.event(
            session,
            "record.synced" if body is not None and kept_fields == lacking else "record.linked",
            {
                "quickbooks_id": str(found["Id"]),
                "quickbooks_number": found.get("DocNumber"),
                "how": "linked_by_person",
            },
        )
        if kept_fields:
            t.event(
                session,
                "record.quickbooks_kept",
                {
                    "fields": kept_fields,
                    "quickbooks_values": {f: found.get(f) for f in kept_fields},
                    "quickbooks_id": str(found["Id"]),
                },
            )
    kept_note = f"; QuickBooks' {', '.join(kept_fields)} kept" if kept_fields else ""
    return Done(
        f"linked to QuickBooks {entity} {found['Id']}{kept_note}",
        {"quickbooks_id": str(found["Id"])},
    )


_MONEY = frozenset({"Line", "TotalAmt", "UnitPrice", "PurchaseCost"})
"""Fields a link never keeps from QuickBooks over the record's: amounts are asked about."""


def _parsed(t: Target) -> Record:
    parsed = parse_record(t.key.type, overrides.apply(t.stored.data, t.state.overrides))
    if isinstance(parsed, list):
        raise Refused("the record cannot be read; correct it in the app first")
    return parsed


def _body(t: Target) -> dict[str, Any] | None:
    """What the record sends to QuickBooks now (None: a reference it needs is missing)."""
    record = _parsed(t)
    with t.ledger.db.session(readonly=True) as session:
        refs = Surroundings(t.connection).refs(session)
        body = mapping.to_quickbooks(t.key, record, refs)
    return None if isinstance(body, list) else body


# --- numbers ----------------------------------------------------------------------------------


def renumber(t: Target) -> Done:
    """``target: quickbooks`` renumbers the other QuickBooks document (when it is editable and
    not one of ours); ``ours`` (the default) gives this record the next free number."""
    if t.code != catalog.INVOICE_NUMBER_CONFLICT:
        raise Refused("renumber applies to a number already used in QuickBooks")
    entity = mapping.ENTITY[t.key.type]
    taken = _taken_numbers(t, entity)
    if str(t.params.get("target") or "ours") == "quickbooks":
        return _renumber_theirs(t, entity, taken)
    data = overrides.apply(t.stored.data, t.state.overrides)
    current = str(data.get("number") or t.problem_param("number") or "")
    if not current:
        raise Refused("the record has no number to change")
    policies = policies_of(t.connection.settings)
    wanted = t.params.get("number")
    if wanted:
        sent = pushed_number(str(wanted), policies)
        if sent in taken:
            raise Refused(f"number {wanted} is taken in QuickBooks too")
        new = str(wanted)
    else:
        prefix = policies.number_prefix if policies.numbering == "prefix" else ""
        free = next_free_number({n[len(prefix) :] for n in taken if n.startswith(prefix)}, current)
        new = free
    with t.storing() as session:
        t.override(session, "number", new, action="renumber")
        t.event(session, "record.number_assigned", {"number": new, "previous": current})
        t.want(session)
    return Done(f"this {t.key.type} is sent with number {new}", {"number": new})


def _renumber_theirs(t: Target, entity: str, taken: set[str]) -> Done:
    # preflight names the holder "quickbooks_id"; QuickBooks' own refusal (6140), "txn_id"
    qbo_id = t.problem_param("quickbooks_id") or t.problem_param("txn_id")
    if not qbo_id:
        raise Refused("which QuickBooks document holds the number is not known; refresh first")
    with t.ledger.db.session(readonly=True) as session:
        owner = Links(session).by_quickbooks(t.cid, entity, str(qbo_id))
    if owner is not None:
        raise Refused(
            f"QuickBooks {entity} {qbo_id} belongs to app {owner.type} {owner.app_id}; renumber "
            "this one instead"
        )
    with t.client(writes=True) as client:
        theirs = _read(client, entity, str(qbo_id))
        if str(theirs.get("PrivateNote") or "").startswith("Voided"):
            raise Refused(f"QuickBooks {entity} {qbo_id} is voided and cannot be edited")
        old = str(theirs.get("DocNumber") or "")
        new = str(t.params.get("number") or next_free_number(taken, old or "0"))
        if new in taken:
            raise Refused(f"number {new} is taken in QuickBooks too")
        body = {"Id": theirs["Id"], "SyncToken": theirs["SyncToken"], "sparse": True}
        body["DocNumber"] = new
        if entity == "Invoice":
            body["CustomerRef"] = theirs.get("CustomerRef")
        try:
            changed = client.update(entity, body, request_id=uuid.uuid4().hex, sparse=True)
        except QuickBooksError as error:
            raise _refused_by_quickbooks(error) from error
    _remember(t, entity, changed)
    with t.storing() as session:
        t.want(session)
    return Done(
        f"QuickBooks {entity} {qbo_id} renumbered from {old} to {new}; this record keeps its "
        "number",
        {"quickbooks_id": str(qbo_id), "from": old, "to": new},
    )


def _taken_numbers(t: Target, entity: str) -> set[str]:
    """Numbers used in QuickBooks and by the app's other records of the type."""
    taken: set[str] = set()
    with t.ledger.db.session(readonly=True) as session:
        taken |= Mirror(session, t.cid).doc_numbers(entity)
        policies = policies_of(t.connection.settings)
        records = Records(session)
        cursor = None
        while True:
            page = records.list(t.cid, type=t.key.type, cursor=cursor, limit=500)
            for stored in page.items:
                if stored.app_id != t.key.app_id and stored.data.get("number"):
                    sent = pushed_number(str(stored.data["number"]), policies)
                    if sent:
                        taken.add(sent)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    return taken


# --- pushing ours back ----------------------------------------------------------------------


def move_back(t: Target) -> Done:
    if t.code != catalog.INVOICE_MOVED_IN_QUICKBOOKS:
        raise Refused("move back applies to an invoice moved to another customer in QuickBooks")
    return push_again(t, ("CustomerRef",), "queued to be moved back to the app's customer")


def align_account(t: Target) -> Done:
    if t.code != catalog.ITEM_ACCOUNT_MISMATCH:
        raise Refused("align account applies to an item whose account differs in QuickBooks")
    if str(t.params.get("direction") or "push") == "take":
        from ledgerbridge.engine.actions.local import accept_quickbooks

        return accept_quickbooks(t)
    field = str(t.problem_param("field") or "income_account")
    ref = "IncomeAccountRef" if field == "income_account" else "ExpenseAccountRef"
    return push_again(t, (ref,), f"queued: the app's {field.replace('_', ' ')} goes to QuickBooks")
