"""The Web Connector's SOAP 1.1 envelope (document/literal, namespace
`http://developer.intuit.com/`), read and written on lxml without a SOAP framework.

    parse(body) -> Call(method, params)      # or raises Fault
    answer(method, result) -> bytes          # <methodResponse><methodResult>...
    fault(Fault) -> bytes                    # <soap:Fault>

Everything that arrives is hostile until read: the parser resolves no entity, loads no DTD,
touches no network and refuses huge trees; a document with a DOCTYPE (the billion laughs, an
external entity) is refused whole, as is one over `MAX_BODY` bytes, one that is not XML, one
whose body is not exactly one call of the WSDL, and a call missing a parameter. Each refusal is
a `Fault` ("Client": the caller's), which the route answers as a SOAP fault, never a 500.
Parameters are read by local name whatever the prefixes (QBWC's and other clients' differ).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, cast

from lxml import etree

__all__ = [
    "MAX_BODY",
    "METHODS",
    "NS",
    "SOAP_NS",
    "Call",
    "Fault",
    "answer",
    "fault",
    "parse",
    "wsdl",
]

NS: Final = "http://developer.intuit.com/"
SOAP_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_BODY: Final = 16 * 1024 * 1024
"""The largest envelope read: a qbXML answer of a page of 100 records is far below it."""

METHODS: Final[Mapping[str, tuple[str, ...]]] = {
    "serverVersion": (),
    "clientVersion": ("strVersion",),
    "authenticate": ("strUserName", "strPassword"),
    "sendRequestXML": (
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ),
    "receiveResponseXML": ("ticket", "response", "hresult", "message"),
    "connectionError": ("ticket", "hresult", "message"),
    "getLastError": ("ticket",),
    "closeConnection": ("ticket",),
}
"""The WSDL's operations and their parameters (all strings on the wire)."""

_OPTIONAL: Final = frozenset({"strHCPResponse", "hresult", "message", "response", "strVersion"})


class Fault(Exception):
    """A call refused before it ran: `code` "Client" (the caller's fault) or "Server"."""

    def __init__(self, message: str, code: str = "Client") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    params: Mapping[str, str]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def parse(body: bytes) -> Call:
    """The call in a SOAP envelope; `Fault` for anything else (see the module docstring)."""
    if len(body) > MAX_BODY:
        raise Fault(f"The request is larger than {MAX_BODY // (1024 * 1024)} MB.")
    if not body.strip():
        raise Fault("The request is empty.")
    try:
        root = etree.fromstring(body, _parser())
    except (etree.XMLSyntaxError, ValueError):
        raise Fault("The request is not well-formed XML.") from None
    if _doctype(root):
        raise Fault("The request may not contain a document type declaration.")
    if _has_entities(root):
        raise Fault("The request may not contain entities.")
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise Fault("The request is not a SOAP 1.1 envelope.")
    bodies = [child for child in root if child.tag == f"{{{SOAP_NS}}}Body"]
    if len(bodies) != 1:
        raise Fault("The envelope must have one Body.")
    calls = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(calls) != 1:
        raise Fault("The Body must hold exactly one call.")
    element = calls[0]
    qname = etree.QName(element)
    if qname.namespace != NS or qname.localname not in METHODS:
        raise Fault(f"Unknown method {qname.localname!r}.")
    method = qname.localname
    given: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if len(child):
            raise Fault(f"The parameter {name!r} must be text.")
        given[name] = child.text or ""
    params: dict[str, str] = {}
    for name in METHODS[method]:
        if name in given:
            params[name] = given[name]
        elif name in _OPTIONAL:
            params[name] = ""
        else:
            raise Fault(f"The parameter {name!r} of {method} is missing.")
    return Call(method, params)


def _has_entities(root: etree._Element) -> bool:
    return any(isinstance(node, etree._Entity) for node in root.iter())


def answer(method: str, result: str | int | Sequence[str]) -> bytes:
    """`<methodResponse><methodResult>result</methodResult></methodResponse>` in an envelope;
    a sequence becomes `<string>` items in the service's namespace (QBWC's ArrayOfString)."""
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{{{NS}}}{method}Response", nsmap=cast(Any, {None: NS}))
    value = etree.SubElement(response, f"{{{NS}}}{method}Result")
    if isinstance(result, int):
        value.text = str(result)
    elif isinstance(result, str):
        value.text = result
    else:
        for item in result:
            etree.SubElement(value, f"{{{NS}}}string").text = item
    return _bytes(envelope)


def fault(refused: Fault) -> bytes:
    """A SOAP 1.1 fault envelope."""
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{refused.code}"
    etree.SubElement(element, "faultstring").text = refused.message
    return _bytes(envelope)


def wsdl(url: str) -> bytes:
    """The static WSDL with `url` as the service's address."""
    text = resources.files(__package__).joinpath("qbwc.wsdl").read_text(encoding="utf-8")
    return text.replace("https://example.invalid/qbwc", _xml_attr(url)).encode()


def _xml_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(
        f"{{{SOAP_NS}}}Envelope",
        nsmap={
            "soap": SOAP_NS,
            "xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsd": "http://www.w3.org/2001/XMLSchema",
        },
    )
    return envelope, etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")


def _bytes(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _doctype(root: etree._Element) -> bool:
    """Whether the document declared a DOCTYPE (internal or external)."""
    info = root.getroottree().docinfo
    return bool(getattr(info, "doctype", "")) or getattr(info, "internalDTD", None) is not None
