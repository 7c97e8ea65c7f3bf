"""The SOAP 1.1 envelopes the Web Connector (a .NET `SoapHttpClientProtocol` client) sends, and
the reading of the service's answers: by namespace, whatever the prefixes.

    POST <AppURL>
    Content-Type: text/xml; charset=utf-8
    SOAPAction: "http://developer.intuit.com/authenticate"

    <?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <soap:Body><authenticate xmlns="http://developer.intuit.com/">
        <strUserName>...</strUserName><strPassword>...</strPassword></authenticate></soap:Body></soap:Envelope>
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from lxml import etree

from qbd_emulator.xmlsafe import Unreadable, local, parse

NS = "http://developer.intuit.com/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"


class BadAnswer(Exception):
    """The service's answer is not a SOAP answer to the method called (or is a SOAP fault)."""


def envelope(method: str, params: list[tuple[str, str | int]]) -> bytes:
    body = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in params)
    inner = f'<{method} xmlns="{NS}">{body}</{method}>' if params else f'<{method} xmlns="{NS}" />'
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{inner}</soap:Body></soap:Envelope>"
    ).encode()


def headers(method: str) -> dict[str, str]:
    return {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{NS}{method}"',
        "User-Agent": USER_AGENT,
        "Expect": "100-continue",
    }


def _result(method: str, content: bytes) -> etree._Element:
    try:
        root = parse(content)
    except Unreadable as exc:
        raise BadAnswer(f"the answer to {method} is not well-formed XML: {exc}") from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise BadAnswer(f"the answer to {method} is not a SOAP envelope")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise BadAnswer(f"the answer to {method} has no SOAP body")
    first = next((c for c in body if isinstance(c.tag, str)), None)
    if first is None:
        raise BadAnswer(f"the answer to {method} is empty")
    if first.tag == f"{{{SOAP_NS}}}Fault":
        text = first.findtext("faultstring") or "SOAP fault"
        raise BadAnswer(f"the service answered {method} with a SOAP fault: {text}")
    if first.tag != f"{{{NS}}}{method}Response":
        raise BadAnswer(f"the answer to {method} is {local(first.tag)}, not {method}Response")
    result = first.find(f"{{{NS}}}{method}Result")
    if result is None:
        raise BadAnswer(f"the answer to {method} has no {method}Result")
    return result


def string_result(method: str, content: bytes) -> str:
    result = _result(method, content)
    if len(result):
        raise BadAnswer(f"{method}Result must be a string")
    return result.text or ""


def int_result(method: str, content: bytes) -> int:
    text = string_result(method, content).strip()
    try:
        return int(text)
    except ValueError:
        raise BadAnswer(f"{method}Result must be an integer, not {text!r}") from None


def array_result(method: str, content: bytes) -> list[str]:
    result = _result(method, content)
    items = [c for c in result if isinstance(c.tag, str)]
    if any(c.tag != f"{{{NS}}}string" for c in items):
        raise BadAnswer(f"{method}Result items must be <string> elements in {NS}")
    return [c.text or "" for c in items]
