"""The qbXML the Web Connector relays, as far as its sessions need it: the session-start
queries (HostQuery, CompanyQuery with our OwnerID, PreferencesQuery), a CustomerQuery look-up,
and reading their answers (the first request's host/company/preferences answer included).

Answers come from QuickBooks through the Web Connector: they are read with the same hardened
parser as the envelope (no entities, no DTD, no network), and anything unreadable is an
`Unreadable` naming what was wrong, never an exception from lxml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

from lxml import etree

__all__ = [
    "DEFAULT_VERSION",
    "Answer",
    "Company",
    "Unreadable",
    "company_of",
    "customer_query",
    "read",
    "session_start",
    "version_for",
]

DEFAULT_VERSION: Final = "13.0"
"""The qbXML version asked for when the Web Connector reports that or newer."""


class Unreadable(ValueError):
    """A qbXML answer that could not be read."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One `…Rs` of an answer: its request id, status and the `…Ret` elements."""

    name: str
    request_id: str
    status_code: int
    severity: str
    message: str
    rets: tuple[etree._Element, ...]


@dataclass(frozen=True, slots=True)
class Company:
    """What the host/company/preferences answer says about the open company file."""

    name: str | None
    file_id: str | None  # the FileID data extension of our OwnerID, when the file has it
    closing_date: str | None
    versions: tuple[str, ...]


def version_for(major: str, minor: str) -> str:
    """The version to write: what the Web Connector reports, at most `DEFAULT_VERSION`."""
    try:
        reported = (int(major), int(minor))
    except ValueError:
        return DEFAULT_VERSION
    top = tuple(int(part) for part in DEFAULT_VERSION.split("."))
    chosen = min(reported, top) if reported[0] >= 1 else top
    return f"{chosen[0]}.{chosen[1]}"


def _document(version: str, requests: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{escape(version)}"?>'
        f'<QBXML><QBXMLMsgsRq onError="continueOnError">{requests}</QBXMLMsgsRq></QBXML>'
    )


def session_start(version: str, owner_id: str, prefix: str) -> str:
    """HostQuery, CompanyQuery (with the data extensions of `owner_id`) and PreferencesQuery."""
    return _document(
        version,
        f'<HostQueryRq requestID="{prefix}-host" />'
        f'<CompanyQueryRq requestID="{prefix}-company"><OwnerID>{escape(owner_id)}</OwnerID>'
        "</CompanyQueryRq>"
        f'<PreferencesQueryRq requestID="{prefix}-preferences" />',
    )


def session_end(version: str, request_id: str) -> str:
    """A read of the company's name: what a session is handed when the work ended without a
    request for it, so that QuickBooks answers and the session ends as done (an empty
    `sendRequestXML` can only end it as an error)."""
    return _document(version, f'<CompanyQueryRq requestID="{escape(request_id)}" />')


def customer_query(version: str, request_id: str, most: int = 100) -> str:
    """The customers (and jobs), active or not: a look-up's first page."""
    return _document(
        version,
        f'<CustomerQueryRq requestID="{escape(request_id)}"><MaxReturned>{most}</MaxReturned>'
        "<ActiveStatus>All</ActiveStatus></CustomerQueryRq>",
    )


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def read(text: str) -> list[Answer]:
    """The `…Rs` elements of a qbXML answer, in order."""
    try:
        root = etree.fromstring(text.encode("utf-8"), _parser())
    except (etree.XMLSyntaxError, ValueError):
        raise Unreadable("the answer is not well-formed XML") from None
    if _doctype(root):
        raise Unreadable("the answer has a document type declaration")
    if root.tag != "QBXML":
        raise Unreadable("the answer is not qbXML")
    messages = root.find("QBXMLMsgsRs")
    if messages is None:
        raise Unreadable("the answer has no QBXMLMsgsRs")
    answers = []
    for element in messages:
        if not isinstance(element.tag, str) or not element.tag.endswith("Rs"):
            continue
        try:
            code = int(element.get("statusCode", ""))
        except ValueError:
            raise Unreadable(f"{element.tag} has no status code") from None
        answers.append(
            Answer(
                name=element.tag,
                request_id=element.get("requestID", ""),
                status_code=code,
                severity=element.get("statusSeverity", ""),
                message=element.get("statusMessage", ""),
                rets=tuple(child for child in element if str(child.tag).endswith("Ret")),
            )
        )
    return answers


def company_of(text: str, owner_id: str) -> Company:
    """The company file as the host/company/preferences answer describes it."""
    name = file_id = closing = None
    versions: tuple[str, ...] = ()
    for found in read(text):
        for ret in found.rets:
            if ret.tag == "HostRet":
                versions = tuple(v.text or "" for v in ret.findall("SupportedQBXMLVersion"))
            elif ret.tag == "CompanyRet":
                name = ret.findtext("CompanyName")
                for ext in ret.findall("DataExtRet"):
                    owner = (ext.findtext("OwnerID") or "").strip().upper()
                    if owner == owner_id.upper() and ext.findtext("DataExtName") == "FileID":
                        file_id = ext.findtext("DataExtValue")
            elif ret.tag == "PreferencesRet":
                closing = ret.findtext("AccountingPreferences/ClosingDate")
    return Company(name=name, file_id=file_id, closing_date=closing, versions=versions)


def _doctype(root: etree._Element) -> bool:
    """Whether the document declared a DOCTYPE (internal or external)."""
    info = root.getroottree().docinfo
    return bool(getattr(info, "doctype", "")) or getattr(info, "internalDTD", None) is not None
