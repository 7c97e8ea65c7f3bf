"""Queries: by ListID/FullName (lists) or TxnID/RefNumber (transactions), or by filters
(ActiveStatus, modified dates, names, entities, paid status), with MaxReturned and iterators."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from qbd_emulator import objects, statuses
from qbd_emulator.model import PACIFIC, Company, Iterator, Record

Tree = dict[str, Any]

# A query request -> the record types it answers.
LIST_QUERIES = {
    "CustomerQueryRq": ("Customer",),
    "VendorQueryRq": ("Vendor",),
    "EmployeeQueryRq": ("Employee",),
    "OtherNameQueryRq": ("OtherName",),
    "ItemServiceQueryRq": ("ItemService",),
    "ItemNonInventoryQueryRq": ("ItemNonInventory",),
    "ItemInventoryQueryRq": ("ItemInventory",),
    "ItemQueryRq": ("ItemService", "ItemNonInventory", "ItemInventory"),
    "AccountQueryRq": ("Account",),
    "PaymentMethodQueryRq": ("PaymentMethod",),
    "TermsQueryRq": ("StandardTerms", "DateDrivenTerms"),
    "SalesTaxCodeQueryRq": ("SalesTaxCode",),
    "ClassQueryRq": ("Class",),
}
TXN_QUERIES = {
    f"{kind}QueryRq": kind
    for kind in ("Invoice", "ReceivePayment", "Bill", "Check", "CreditCardCharge", "PurchaseOrder")
}


@dataclass
class Answer:
    records: list[Record]
    status: statuses.Status
    include_lines: bool
    iterator_id: str | None = None
    remaining: int | None = None


def moment(text: str, *, end: bool) -> datetime:
    """A qbXML date-time; a date alone is the start (From) or the end (To) of that day, and a
    time without an offset is the company's local time."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        value = datetime.combine(day, time.max if end else time.min)
    else:
        value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=PACIFIC)
    return value.replace(microsecond=0) if not end else value


def run(company: Company, session: str, request: str, attrs: dict[str, str], query: Tree) -> Answer:
    iterator = attrs.get("iterator")
    if iterator in ("Continue", "Stop"):
        return _continue(company, session, attrs, query, stop=iterator == "Stop")
    if request in LIST_QUERIES:
        records, status, lines = _lists(company, LIST_QUERIES[request], query), statuses.OK, True
    else:
        records, lines = (
            _txns(company, TXN_QUERIES[request], query),
            query.get("IncludeLineItems") == "true",
        )
        status = statuses.OK
    # ids and full names must all be found (500 names the first missing); a RefNumber is a
    # filter that may match any number of transactions
    wanted_ids = query.get("ListID") or query.get("TxnID") or query.get("FullName")
    if wanted_ids and not records:
        status = statuses.partial(wanted_ids[0])
    elif wanted_ids and len(records) < len(wanted_ids):
        found = {r.id for r in records} | {objects.full_name(r).casefold() for r in records}
        missing = next(w for w in wanted_ids if w not in found and w.casefold() not in found)
        status = statuses.partial(missing)
    limit = int(query["MaxReturned"]) if "MaxReturned" in query else None
    if limit is not None and limit < 1:
        raise statuses.bad_number(query["MaxReturned"], "MaxReturned")
    if iterator == "Start":
        page, rest = (records[:limit], records[limit:]) if limit else (records, [])
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        company.iterators[iterator_id] = Iterator(
            iterator_id, session, request, [r.id for r in rest], lines
        )
        if not page and status is statuses.OK:
            status = statuses.NOTHING_FOUND
        return Answer(page, status, lines, iterator_id, len(rest))
    if limit is not None:
        records = records[:limit]
    if not records and status is statuses.OK:
        status = statuses.NOTHING_FOUND
    return Answer(records, status, lines)


def _continue(
    company: Company, session: str, attrs: dict[str, str], query: Tree, *, stop: bool
) -> Answer:
    iterator_id = attrs.get("iteratorID", "")
    state = company.iterators.get(iterator_id)
    if state is None or state.session != session:
        raise statuses.invalid_id(iterator_id, "iteratorID")
    if stop:
        del company.iterators[iterator_id]
        return Answer([], statuses.OK, state.include_lines, iterator_id, 0)
    limit = int(query.get("MaxReturned") or len(state.remaining) or 1)
    ids, state.remaining = state.remaining[:limit], state.remaining[limit:]
    records = [r for r in (_find(company, i, state.request) for i in ids) if r is not None]
    if not state.remaining:
        del company.iterators[iterator_id]
    status = statuses.OK if records else statuses.NOTHING_FOUND
    return Answer(records, status, state.include_lines, iterator_id, len(state.remaining))


def _find(company: Company, record_id: str, request: str) -> Record | None:
    if request in TXN_QUERIES:
        return company.txns.get(record_id)
    for kind in LIST_QUERIES[request]:
        for record in company.all_records():
            if record.type == kind and record.id == record_id:
                return record
    return None


def _lists(company: Company, kinds: tuple[str, ...], query: Tree) -> list[Record]:
    records = [r for r in company.all_records() if r.type in kinds]
    if "ListID" in query:
        by_id = {r.id: r for r in records}
        return [by_id[i] for i in query["ListID"] if i in by_id]
    if "FullName" in query:
        out = []
        for name in query["FullName"]:
            out += [r for r in records if objects.full_name(r).casefold() == name.casefold()]
        return out
    status = query.get("ActiveStatus", "ActiveOnly")
    if status == "ActiveOnly":
        records = [r for r in records if r.active]
    elif status == "InactiveOnly":
        records = [r for r in records if not r.active]
    records = _modified(records, query.get("FromModifiedDate"), query.get("ToModifiedDate"))
    name_filter = query.get("NameFilter")
    if name_filter:
        needle = str(name_filter["Name"]).casefold()
        how = str(name_filter["MatchCriterion"])
        records = [r for r in records if _matches(objects.full_name(r).casefold(), needle, how)]
    name_range = query.get("NameRangeFilter")
    if name_range:
        low = name_range.get("FromName", "").casefold()
        high = name_range.get("ToName", "").casefold()
        records = [
            r
            for r in records
            if objects.full_name(r).casefold() >= low
            and (not high or objects.full_name(r).casefold() <= high)
        ]
    return sorted(records, key=lambda r: objects.full_name(r).casefold())


def _matches(text: str, needle: str, how: str) -> bool:
    if how == "StartsWith":
        return text.startswith(needle)
    if how == "EndsWith":
        return text.endswith(needle)
    return needle in text


def _modified(records: list[Record], low: str | None, high: str | None) -> list[Record]:
    if low:
        start = moment(low, end=False)
        records = [r for r in records if r.modified >= start]
    if high:
        stop = moment(high, end=True)
        records = [r for r in records if r.modified <= stop]
    return records


def _txns(company: Company, kind: str, query: Tree) -> list[Record]:
    records = [r for r in company.txns.values() if r.type == kind]
    if "TxnID" in query:
        by_id = {r.id: r for r in records}
        return [by_id[i] for i in query["TxnID"] if i in by_id]
    if "RefNumber" in query or "RefNumberCaseSensitive" in query:
        wanted = query.get("RefNumber") or query.get("RefNumberCaseSensitive") or []
        fold = "RefNumber" in query
        out = []
        for number in wanted:
            out += [
                r
                for r in records
                if (
                    str(r.data.get("RefNumber", "")).casefold() == number.casefold()
                    if fold
                    else r.data.get("RefNumber") == number
                )
            ]
        return out
    modified = query.get("ModifiedDateRangeFilter") or {}
    records = _modified(records, modified.get("FromModifiedDate"), modified.get("ToModifiedDate"))
    dates = query.get("TxnDateRangeFilter") or {}
    if dates.get("FromTxnDate"):
        records = [r for r in records if r.data.get("TxnDate", "") >= dates["FromTxnDate"]]
    if dates.get("ToTxnDate"):
        records = [r for r in records if r.data.get("TxnDate", "") <= dates["ToTxnDate"]]
    entity = query.get("EntityFilter")
    if entity:
        records = [r for r in records if _entity_matches(company, r, entity)]
    number = query.get("RefNumberFilter")
    if number:
        needle = str(number["RefNumber"]).casefold()
        how = str(number["MatchCriterion"])
        records = [
            r for r in records if _matches(str(r.data.get("RefNumber", "")).casefold(), needle, how)
        ]
    paid = query.get("PaidStatus", "All")
    if paid != "All" and kind == "Invoice":
        want_paid = paid == "PaidOnly"
        records = [r for r in records if (objects.invoice_balance(company, r) <= 0) == want_paid]
    return sorted(records, key=lambda r: (r.created, r.id))


def _several(value: Any) -> list[Any]:
    """A repeating element's values (one value parsed alone is still one of them)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _entity_matches(company: Company, record: Record, entity: Tree) -> bool:
    ref = (
        record.data.get("CustomerRef")
        or record.data.get("VendorRef")
        or record.data.get("PayeeEntityRef")
        or {}
    )
    list_id = ref.get("ListID")
    if not list_id:
        return False
    target = None
    for family in ("Customer", "Vendor", "Employee", "OtherName"):
        target = company.list_record(family, list_id) or target
    name = objects.full_name(target).casefold() if target else ""
    # ListID and FullName repeat in an EntityFilter (any of the entities given)
    if "ListID" in entity:
        return list_id in _several(entity["ListID"])
    if "FullName" in entity:
        return name in {str(n).casefold() for n in _several(entity["FullName"])}
    if "ListIDWithChildren" in entity:
        parent = None
        for family in ("Customer", "Vendor"):
            parent = company.list_record(family, entity["ListIDWithChildren"]) or parent
        if parent is None:
            return False
        root = objects.full_name(parent).casefold()
        return name == root or name.startswith(root + ":")
    if "FullNameWithChildren" in entity:
        root = entity["FullNameWithChildren"].casefold()
        return name == root or name.startswith(root + ":")
    return True
