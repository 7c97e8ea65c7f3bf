"""The request processor: one qbXML document in, one out, as QuickBooks' `ProcessRequest`.

    text -> parse (lxml, no entities, no network) -> <?qbxml version?> -> QBXML/QBXMLMsgsRq
         -> every request read against the schema (any violation: the whole message is refused
            with the parse error, 0x80040400, nothing runs)
         -> requests run in order; onError="stopOnError" answers the requests after a failed one
            with 3231 (not processed), "continueOnError" runs them all
         -> <QBXML><QBXMLMsgsRs> with one `…Rs` per request, its requestID echoed.

Message-set error recovery (`newMessageSetID` / `oldMessageSetID`) is accepted and ignored: see
docs/emulator-desktop.md for why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lxml import etree

from qbd_emulator import host, objects, queries, schema, statuses, writes
from qbd_emulator.model import LIST_FAMILY, Company, Record, format_time
from qbd_emulator.schema.read import read
from qbd_emulator.xmlsafe import Unreadable, local, parse

Tree = dict[str, Any]

_PI = re.compile(r'^\s*version\s*=\s*"(\d+)\.(\d+)"\s*$')
LIST_WRITES = ("Customer", "Vendor", "ItemService", "ItemNonInventory", "ItemInventory", "Class")
TXN_WRITES = ("Invoice", "ReceivePayment", "Bill", "Check", "CreditCardCharge", "PurchaseOrder")
REQUIRED = {
    **{f"{k}Add": ("Name",) for k in LIST_WRITES},
    **{f"{k}Mod": ("ListID", "EditSequence") for k in LIST_WRITES},
    **{f"{k}Mod": ("TxnID", "EditSequence") for k in TXN_WRITES},
    "InvoiceAdd": ("CustomerRef",),
    "ReceivePaymentAdd": ("CustomerRef",),
    "BillAdd": ("VendorRef",),
    "CheckAdd": ("AccountRef",),
    "CreditCardChargeAdd": ("AccountRef",),
    "PurchaseOrderAdd": (),
}
# Inside a request: elements the schema requires there (OPS), checked like the top ones.
REQUIRED_INSIDE = {
    "AppliedToTxnAdd": ("TxnID",),
    "AppliedToTxnMod": ("TxnID",),
    "InvoiceLineMod": ("TxnLineID",),
    "ExpenseLineMod": ("TxnLineID",),
    "ItemLineMod": ("TxnLineID",),
    "PurchaseOrderLineMod": ("TxnLineID",),
    "NameFilter": ("MatchCriterion", "Name"),
    "RefNumberFilter": ("MatchCriterion", "RefNumber"),
    "InvoiceLineGroupAdd": ("ItemGroupRef",),
    "MergeFrom": ("ListID", "EditSequence"),
    "MergeTo": ("ListID", "EditSequence"),
    "ItemGroupLineAdd": ("ItemGroupRef",),
    "PurchaseOrderLineGroupAdd": ("ItemGroupRef",),
}
_REQUIRED_TOP = {"ListDeletedQueryRq": "ListDelType", "TxnDeletedQueryRq": "TxnDelType"}
ON_ERROR = ("stopOnError", "continueOnError")


@dataclass
class Session:
    """One request-processor session (a Web Connector session, or the admin API's own):
    iterators live as long as it does."""

    id: str
    single_user: bool = False
    log: list[str] = field(default_factory=list)


@dataclass
class Request:
    name: str
    element: etree._Element
    attrs: dict[str, str]
    tree: Tree
    problems: list[statuses.StatusError]


def process(company: Company, session: Session, text: str | bytes) -> str:
    """The answer to one qbXML document; raises `ProcessorError` when QuickBooks would refuse
    the whole document (unreadable, not qbXML, schema violations, an unsupported version)."""
    try:
        raw = text.encode("utf-8") if isinstance(text, str) else text  # a lone surrogate: no
        root = parse(raw)
    except (Unreadable, UnicodeEncodeError):
        raise statuses.parse_error() from None
    asked = _check_version(company, root)
    if root.tag != "QBXML":
        raise statuses.parse_error()
    _check_newer_elements(root, asked)
    sets = [c for c in root if isinstance(c.tag, str)]
    if len(sets) != 1 or sets[0].tag != "QBXMLMsgsRq":
        raise statuses.parse_error()
    messages = sets[0]
    on_error = messages.get("onError")
    if on_error not in ON_ERROR or set(messages.attrib) - {
        "onError",
        "newMessageSetID",
        "oldMessageSetID",
        "responseData",
    }:
        raise statuses.parse_error()
    if "newMessageSetID" in messages.attrib or "oldMessageSetID" in messages.attrib:
        session.log.append("message-set error recovery attributes ignored")
    requests = [_read_request(child) for child in messages if isinstance(child.tag, str)]
    fault = _message_fault(company, {r.name for r in requests})
    if fault is not None:
        raise fault
    out = etree.Element("QBXML")
    answers = etree.SubElement(out, "QBXMLMsgsRs")
    failed = False
    for request in requests:
        if failed and on_error == "stopOnError":
            _status_rs(answers, request, statuses.NOT_PROCESSED)
            continue
        status = _run(company, session, request, answers)
        failed = failed or status.severity == "Error"
    body = etree.tostring(out, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" ?>\n' + body


def _message_fault(company: Company, names: set[str]) -> statuses.ProcessorError | None:
    for fault in list(company.faults):
        if fault.hresult is None or (fault.request != "*" and fault.request not in names):
            continue
        _spend(company, fault)
        return statuses.ProcessorError(fault.hresult, fault.message)
    return None


def _spend(company: Company, fault: Any) -> None:
    if fault.times is not None:
        fault.times -= 1
        if fault.times <= 0:
            company.faults.remove(fault)


# Elements the 7.0 catalogue (the emulator's schema) does not have, and the qbXML version that
# brought them: in an older document QuickBooks' parser does not know them, and refuses the
# document whole as it refuses any element its schema lacks
NEWER: Final = {"ClassModRq": (8, 0), "ExternalGUID": (8, 0)}


def _check_newer_elements(root: etree._Element, asked: tuple[int, int]) -> None:
    for element in root.iter():
        if isinstance(element.tag, str):
            since = NEWER.get(element.tag)
            if since is not None and asked < since:
                raise statuses.parse_error()


def _check_version(company: Company, root: etree._Element) -> tuple[int, int]:
    pi = root.getprevious()
    while pi is not None and not (
        isinstance(pi, etree._ProcessingInstruction) and pi.target == "qbxml"
    ):
        pi = pi.getprevious()
    if pi is None:
        raise statuses.parse_error()
    match = _PI.match(pi.text or "")
    if not match:
        raise statuses.parse_error()
    asked = float(f"{match.group(1)}.{match.group(2)}")
    if f"{match.group(1)}.{match.group(2)}" not in host.supported(company) or asked > float(
        company.qbxml_version
    ):
        raise statuses.version_error()
    return int(match.group(1)), int(match.group(2))


def _read_request(element: etree._Element) -> Request:
    name = local(element.tag)
    if element.tag != name:
        raise statuses.parse_error()
    found = schema.request(name)
    if found is None:
        if name in schema.KNOWN_REQUESTS:
            return Request(name, element, {}, {}, [statuses.unsupported(name)])
        raise statuses.parse_error()
    allowed, node = found
    attrs = {str(k): str(v) for k, v in element.attrib.items()}
    if set(attrs) - set(allowed):
        raise statuses.parse_error()
    if attrs.get("metaData") not in (None, "NoMetaData", "MetaDataOnly", "MetaDataAndResponseData"):
        raise statuses.parse_error()
    if attrs.get("iterator") not in (None, "Start", "Continue", "Stop"):
        raise statuses.parse_error()
    problems: list[statuses.StatusError] = []
    tree = read(element, node, problems)
    _check_required(tree)
    if name in ("ListDelRq", "TxnDelRq", "TxnVoidRq") and len(tree) != 2:
        raise statuses.parse_error()
    if name == "ListMergeRq" and len(tree) != 3:
        raise statuses.parse_error()
    body = name[:-2] if name.endswith(("AddRq", "ModRq")) else _REQUIRED_TOP.get(name)
    if body is not None and body not in tree:
        raise statuses.parse_error()
    if len(attrs.get("requestID", "")) > 50:
        problems.insert(0, statuses.bad_request_id(attrs["requestID"]))
    if attrs.get("iterator") in ("Continue", "Stop") and "iteratorID" not in attrs:
        raise statuses.parse_error()
    return Request(name, element, attrs, tree, problems)


def _check_required(tree: Tree) -> None:
    for key, value in tree.items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                continue
            for required in REQUIRED.get(key, ()) + REQUIRED_INSIDE.get(key, ()):
                if required not in item:
                    raise statuses.parse_error()
            _check_required(item)


def _rs(answers: etree._Element, request: Request, status: statuses.Status) -> etree._Element:
    rs = etree.SubElement(answers, request.name[:-2] + "Rs")
    if "requestID" in request.attrs:
        rs.set("requestID", request.attrs["requestID"])
    rs.set("statusCode", str(status.code))
    rs.set("statusSeverity", status.severity)
    rs.set("statusMessage", status.message)
    return rs


def _status_rs(answers: etree._Element, request: Request, status: statuses.Status) -> None:
    _rs(answers, request, status)


def _run(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    try:
        if request.problems:
            raise request.problems[0]
        _request_fault(company, request.name)
        handler = _handler(request.name)
        return handler(company, session, request, answers)
    except statuses.StatusError as exc:
        _rs(answers, request, exc.status)
        return exc.status
    except Exception as exc:  # a bug of the emulator's: answered, logged, never a crash
        status = statuses.Status(
            1000, "Error", "There has been an internal error when processing the request."
        )
        session.log.append(f"internal error in {request.name}: {type(exc).__name__}: {exc}")
        _rs(answers, request, status)
        return status


def _request_fault(company: Company, name: str) -> None:
    for fault in list(company.faults):
        if fault.hresult is None and fault.request in (name, "*"):
            _spend(company, fault)
            raise statuses.StatusError(
                statuses.Status(
                    fault.status_code or 3180, "Error", fault.status_message or "Scripted fault."
                )
            )


Handler = Callable[[Company, Session, Request, etree._Element], statuses.Status]


def _handler(name: str) -> Handler:
    if name in ("HostQueryRq", "CompanyQueryRq", "PreferencesQueryRq"):
        return _host
    if name in queries.LIST_QUERIES or name in queries.TXN_QUERIES:
        return _query
    if name in ("ListDelRq", "TxnDelRq", "TxnVoidRq"):
        return _delete
    if name in ("ListDeletedQueryRq", "TxnDeletedQueryRq"):
        return _deleted
    if name == "ListMergeRq":
        return _merge
    if name.endswith(("AddRq", "ModRq")):
        return _write
    raise statuses.unsupported(name)


def _host(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    rs = _rs(answers, request, statuses.OK)
    if request.name == "HostQueryRq":
        host.host(rs, company, single_user=session.single_user)
    elif request.name == "CompanyQueryRq":
        host.company_ret(rs, company, request.tree.get("OwnerID", []))
    else:
        host.preferences(rs, company)
    return statuses.OK


def _query(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    answer = queries.run(company, session.id, request.name, request.attrs, request.tree)
    rs = _rs(answers, request, answer.status)
    meta = request.attrs.get("metaData", "NoMetaData")
    if meta != "NoMetaData":
        rs.set("retCount", str(len(answer.records)))
    if answer.iterator_id is not None:
        rs.set("iteratorRemainingCount", str(answer.remaining or 0))
        rs.set("iteratorID", answer.iterator_id)
    if meta == "MetaDataOnly":
        return answer.status
    only = request.tree.get("IncludeRetElement")
    for record in answer.records:
        objects.ret_xml(rs, company, record, include_lines=answer.include_lines, only=only)
    return answer.status


def _write(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    kind = request.name[:-5]
    verb = request.name[-5:-2]
    body = request.tree[f"{kind}{verb}"]
    record: Record
    if kind in LIST_WRITES:
        record = (
            writes.add_list(company, kind, body)
            if verb == "Add"
            else writes.mod_list(company, kind, body)
        )
    elif kind in TXN_WRITES:
        record = (
            writes.add_txn(company, kind, body)
            if verb == "Add"
            else writes.mod_txn(company, kind, body)
        )
    else:
        raise statuses.unsupported(request.name)
    rs = _rs(answers, request, statuses.OK)
    objects.ret_xml(rs, company, record, only=request.tree.get("IncludeRetElement"))
    return statuses.OK


def _merge(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    tree = request.tree
    source, target = writes.merge_list(
        company,
        tree["ListMergeType"],
        tree["MergeFrom"]["ListID"],
        tree["MergeFrom"]["EditSequence"],
        tree["MergeTo"]["ListID"],
        tree["MergeTo"]["EditSequence"],
    )
    rs = _rs(answers, request, statuses.OK)
    etree.SubElement(rs, "ListMergeType").text = tree["ListMergeType"]
    merged_from = etree.SubElement(rs, "MergedFrom")
    for key, value in (
        ("ListID", source.id),
        ("TimeDeleted", company.deleted[-1]["TimeDeleted"]),
        ("FullName", company.deleted[-1]["FullName"]),
    ):
        etree.SubElement(merged_from, key).text = value
    merged_to = etree.SubElement(rs, "MergedTo")
    for key, value in (
        ("ListID", target.id),
        ("TimeCreated", format_time(target.created)),
        ("TimeModified", format_time(target.modified)),
        ("EditSequence", str(target.edit_sequence)),
        ("FullName", objects.full_name(target)),
    ):
        etree.SubElement(merged_to, key).text = value
    return statuses.OK


def _deleted(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    """What was deleted, of the types asked, within the deleted-date range."""
    tree = request.tree
    lists = request.name == "ListDeletedQueryRq"
    kinds = set(tree["ListDelType"] if lists else tree["TxnDelType"])
    dates = tree.get("DeletedDateRangeFilter") or {}
    low = (
        queries.moment(dates["FromDeletedDate"], end=False) if "FromDeletedDate" in dates else None
    )
    high = queries.moment(dates["ToDeletedDate"], end=True) if "ToDeletedDate" in dates else None
    key = "ListID" if lists else "TxnID"
    found = []
    for entry in company.deleted:
        if key not in entry or entry["kind"] not in kinds:
            continue
        when = datetime.fromisoformat(entry["TimeDeleted"])
        if (low is None or when >= low) and (high is None or when <= high):
            found.append(entry)
    status = statuses.OK if found else statuses.NOTHING_FOUND
    rs = _rs(answers, request, status)
    ret = "ListDeletedRet" if lists else "TxnDeletedRet"
    for entry in found:
        shown = {
            ("ListDelType" if lists else "TxnDelType"): entry["kind"],
            key: entry[key],
            "TimeCreated": entry["TimeCreated"],
            "TimeDeleted": entry["TimeDeleted"],
        }
        extra = "FullName" if lists else "RefNumber"
        if entry.get(extra):
            shown[extra] = entry[extra]
        objects.to_xml(rs, ret, schema.ret(ret), shown)
    return status


def _delete(
    company: Company, session: Session, request: Request, answers: etree._Element
) -> statuses.Status:
    tree = request.tree
    if request.name == "ListDelRq":
        kind = tree["ListDelType"]
        if kind not in LIST_FAMILY:
            raise statuses.not_found(tree["ListID"])
        record = writes.delete_list(company, kind, tree["ListID"])
        deleted = company.deleted[-1]
        rs = _rs(answers, request, statuses.OK)
        for key, value in (
            ("ListDelType", kind),
            ("ListID", record.id),
            ("TimeDeleted", deleted["TimeDeleted"]),
            ("FullName", deleted["FullName"]),
        ):
            etree.SubElement(rs, key).text = value
        return statuses.OK
    kind = tree["TxnDelType"] if request.name == "TxnDelRq" else tree["TxnVoidType"]
    if kind not in TXN_WRITES:
        raise statuses.not_found(tree["TxnID"])
    if request.name == "TxnDelRq":
        writes.delete_txn(company, kind, tree["TxnID"])
        rs = _rs(answers, request, statuses.OK)
        for key, value in (
            ("TxnDelType", kind),
            ("TxnID", tree["TxnID"]),
            ("TimeDeleted", company.deleted[-1]["TimeDeleted"]),
        ):
            etree.SubElement(rs, key).text = value
    else:
        writes.void_txn(company, kind, tree["TxnID"])
        rs = _rs(answers, request, statuses.OK)
        for key, value in (("TxnVoidType", kind), ("TxnID", tree["TxnID"])):
            etree.SubElement(rs, key).text = value
    return statuses.OK
