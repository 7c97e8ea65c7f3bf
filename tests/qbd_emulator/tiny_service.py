"""A tiny, static Web Connector SOAP service (WSGI): it hands out one CustomerAdd and then one
CustomerQuery, and records every call it gets, so the simulator's side of the conversation can be
checked end to end. Knobs: the authenticate answer, NoOps before the first request, the percent
it answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

NS = "http://developer.intuit.com/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
REQUESTS = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>'
    '<QBXML><QBXMLMsgsRq onError="stopOnError">'
    '<CustomerAddRq requestID="add-1"><CustomerAdd><Name>Tiny Service '
    "Customer</Name></CustomerAdd></CustomerAddRq>"
    "</QBXMLMsgsRq></QBXML>",
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>'
    '<QBXML><QBXMLMsgsRq onError="stopOnError">'
    '<CustomerQueryRq requestID="query-1"><FullName>Tiny Service '
    "Customer</FullName></CustomerQueryRq>"
    "</QBXMLMsgsRq></QBXML>",
)


class TinyService:
    def __init__(
        self, auth_status: str = "", noops: int = 0, connection_answer: str = "done"
    ) -> None:
        self.auth_status = auth_status
        self.noops = noops
        self.connection_answer = connection_answer
        self.calls: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.sent = 0
        self.last_error = ""

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size)
        root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
        call = root.find(f"{{{SOAP}}}Body")[0]
        method = etree.QName(call).localname
        params = {etree.QName(c).localname: c.text or "" for c in call}
        headers = {
            "SOAPAction": environ.get("HTTP_SOAPACTION", ""),
            "Content-Type": environ.get("CONTENT_TYPE", ""),
        }
        self.calls.append((method, params, headers))
        result = self.answer(method, params)
        if isinstance(result, list):
            inner = "".join(f"<string>{escape(s)}</string>" for s in result)
        else:
            inner = escape(str(result))
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
            f'<{method}Response xmlns="{NS}"><{method}Result>{inner}</{method}Result>'
            f"</{method}Response>"
            "</soap:Body></soap:Envelope>"
        ).encode()
        start(
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def answer(self, method: str, params: dict[str, str]) -> Any:
        if method == "serverVersion":
            return "tiny 1.0"
        if method == "clientVersion":
            return ""
        if method == "authenticate":
            return (
                ["ticket-1", self.auth_status]
                if params.get("strPassword") == "secret"
                else ["", "nvu"]
            )
        if method == "sendRequestXML":
            if self.noops > 0:
                self.noops -= 1
                self.last_error = "NoOp"
                return ""
            if self.sent >= len(REQUESTS):
                self.last_error = "Nothing left"
                return ""
            self.sent += 1
            return REQUESTS[self.sent - 1]
        if method == "receiveResponseXML":
            if params.get("hresult"):
                self.last_error = params.get("message", "")
                return -1
            return 100 if self.sent >= len(REQUESTS) else 50
        if method == "getLastError":
            return self.last_error
        if method == "connectionError":
            return self.connection_answer
        if method == "closeConnection":
            return "OK"
        return ""

    def methods(self) -> list[str]:
        return [m for m, _, _ in self.calls]
