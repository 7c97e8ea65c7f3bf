"""qbXML documents the Desktop adapter sends, and reading QuickBooks' answers to them.

Every document holds one request (`onError="stopOnError"`): one write per round trip, so a lost
answer leaves at most one write to settle. Queries are written here in their schema order
(lists: ListID / FullName / MaxReturned / ActiveStatus / FromModifiedDate; transactions: TxnID /
RefNumber / MaxReturned / ModifiedDateRangeFilter / EntityFilter / IncludeLineItems).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from ledgerbridge.adapters.qbd.shapes import LIST_OBJECTS
from ledgerbridge.adapters.qbwc import qbxml

__all__ = [
    "ITERATES",
    "PAGE",
    "Reply",
    "deleted_query",
    "document",
    "query",
    "reply",
]

PAGE: Final = 100
"""Records per page of an iterator."""
ITERATES: Final = frozenset(
    {
        "Customer",
        "Vendor",
        "Item",
        "ItemService",
        "ItemNonInventory",
        "ItemInventory",
        "Invoice",
        "ReceivePayment",
        "Bill",
        "Check",
        "CreditCardCharge",
        "PurchaseOrder",
    }
)
"""The queries qbXML 7.0 lets take an iterator (not Account, Employee, Terms, ...)."""


def document(version: str, request: etree._Element) -> str:
    """The whole qbXML document around one request."""
    body = etree.tostring(request, encoding="unicode")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?>'
        f'<QBXML><QBXMLMsgsRq onError="stopOnError">{body}</QBXMLMsgsRq></QBXML>'
    )


def _leaf(parent: etree._Element, tag: str, text: str) -> etree._Element:
    child = etree.SubElement(parent, tag)
    child.text = text
    return child


def query(
    obj: str,
    *,
    ids: Sequence[str] = (),
    names: Sequence[str] = (),
    modified_since: str | None = None,
    entity: str | None = None,
    iterator: str | None = None,
    iterator_id: str | None = None,
    request_id: str = "q",
) -> etree._Element:
    """`<obj>QueryRq`: by ids, by full names, or by filters (all active statuses)."""
    rq = etree.Element(f"{obj}QueryRq", requestID=request_id)
    if iterator is not None:
        rq.set("iterator", iterator)
        if iterator_id:
            rq.set("iteratorID", iterator_id)
    is_list = obj in LIST_OBJECTS or obj == "Item"
    for ident in ids:
        _leaf(rq, "ListID" if is_list else "TxnID", ident)
    for name in names:
        _leaf(rq, "FullName", name)
    if ids or names:
        if not is_list:
            _leaf(rq, "IncludeLineItems", "true")
        return rq
    if iterator is not None:
        _leaf(rq, "MaxReturned", str(PAGE))
    if is_list:
        _leaf(rq, "ActiveStatus", "All")
        if modified_since:
            _leaf(rq, "FromModifiedDate", modified_since)
        return rq
    if modified_since:
        window = etree.SubElement(rq, "ModifiedDateRangeFilter")
        _leaf(window, "FromModifiedDate", modified_since)
    if entity:
        _leaf(etree.SubElement(rq, "EntityFilter"), "ListID", entity)
    _leaf(rq, "IncludeLineItems", "true")
    return rq


def deleted_query(objects: Sequence[str], since: str, *, lists: bool) -> etree._Element:
    """`ListDeletedQueryRq` / `TxnDeletedQueryRq` for what was deleted since `since`."""
    kind = "List" if lists else "Txn"
    rq = etree.Element(f"{kind}DeletedQueryRq", requestID="deleted")
    for obj in objects:
        _leaf(rq, f"{kind}DelType", obj)
    window = etree.SubElement(rq, "DeletedDateRangeFilter")
    _leaf(window, "FromDeletedDate", since)
    return rq


@dataclass(frozen=True, slots=True)
class Reply:
    """The one `…Rs` of an answer."""

    name: str
    status: int
    severity: str
    message: str
    rets: tuple[etree._Element, ...]
    iterator_id: str | None
    remaining: int


def reply(text: str) -> Reply:
    """The single `…Rs` of QuickBooks' answer (`qbxml.Unreadable` when there is none)."""
    answers = qbxml.read(text)
    if len(answers) != 1:
        raise qbxml.Unreadable(f"the answer holds {len(answers)} responses, not one")
    found = answers[0]
    root = etree.fromstring(
        text.encode("utf-8"),
        etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False),
    )
    rs = root.find(f"QBXMLMsgsRs/{found.name}")
    iterator_id = rs.get("iteratorID") if rs is not None else None
    remaining = rs.get("iteratorRemainingCount", "0") if rs is not None else "0"
    return Reply(
        name=found.name,
        status=found.status_code,
        severity=found.severity,
        message=found.message,
        rets=found.rets,
        iterator_id=iterator_id,
        remaining=int(remaining) if remaining.isdigit() else 0,
    )
