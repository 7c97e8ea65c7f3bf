"""The SOAP endpoint against hostile or wrong bodies (each a SOAP fault, never a 500 or a
hang), and against an independent SOAP client built from the WSDL (zeep)."""

from __future__ import annotations

import time

import httpx
import pytest
from lxml import etree

from ledgerbridge.adapters.qbwc import soap
from qbd_emulator.processor import Session
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_push_e2e import (
    FIELD_SERVICE,
    check_company,
    connected,
    field_service,
    map_payment_methods,
    record,
)

pytestmark = pytest.mark.desktop_socket(
    "bodies as a socket brings them (hostile, huge, streamed); zeep"
)

ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{}'
    "</soap:Body></soap:Envelope>"
)
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    '<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
    '<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
    '<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
    '<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<authenticate xmlns="http://developer.intuit.com/"><strUserName>&lol9;</strUserName>'
    "<strPassword>x</strPassword></authenticate></soap:Body></soap:Envelope>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<authenticate xmlns="http://developer.intuit.com/"><strUserName>&xxe;</strUserName>'
    "<strPassword>x</strPassword></authenticate></soap:Body></soap:Envelope>"
)
AUTH = (
    '<authenticate xmlns="http://developer.intuit.com/"><strUserName>{}</strUserName>'
    "<strPassword>{}</strPassword></authenticate>"
)

HOSTILE = {
    "billion laughs": LAUGHS.encode(),
    "external entity": EXTERNAL.encode(),
    "not xml": b"this is not XML at all \x00\xff",
    "empty": b"",
    "wrong method": ENVELOPE.format('<dropTables xmlns="http://developer.intuit.com/"/>').encode(),
    "wrong namespace": ENVELOPE.format(
        '<authenticate xmlns="http://example.com/"><strUserName>a</strUserName>'
        "<strPassword>b</strPassword></authenticate>"
    ).encode(),
    "missing parameter": ENVELOPE.format(
        '<authenticate xmlns="http://developer.intuit.com/"><strUserName>a</strUserName>'
        "</authenticate>"
    ).encode(),
    "two calls": ENVELOPE.format(
        '<getLastError xmlns="http://developer.intuit.com/"><ticket>a</ticket></getLastError>'
        '<getLastError xmlns="http://developer.intuit.com/"><ticket>b</ticket></getLastError>'
    ).encode(),
    "not an envelope": b'<authenticate xmlns="http://developer.intuit.com/"/>',
    "nested parameter": ENVELOPE.format(AUTH.format("<b>a</b>", "x")).encode(),
}


def _fault(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{soap.SOAP_NS}}}Body/{{{soap.SOAP_NS}}}Fault")
    assert fault is not None, response.text
    assert fault.findtext("faultcode") == "soap:Client"
    return fault.findtext("faultstring") or ""


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_body_is_a_soap_fault(desktop: Desktop, name: str) -> None:
    response = httpx.post(f"{desktop.url}/qbwc", content=HOSTILE[name], headers=HEADERS)
    reason = _fault(response)
    assert reason
    assert "root:" not in response.text  # no file was read into the answer


def test_a_huge_body_is_refused_before_it_is_read_whole(desktop: Desktop) -> None:
    big = ENVELOPE.format(AUTH.format("a" * (soap.MAX_BODY + 10), "x")).encode()
    response = httpx.post(f"{desktop.url}/qbwc", content=big, headers=HEADERS, timeout=60)
    assert "larger than 16 MB" in _fault(response)

    def chunks() -> object:  # no Content-Length: counted as it streams in
        yield big[: soap.MAX_BODY // 2]
        yield big[soap.MAX_BODY // 2 :]

    streamed = httpx.post(f"{desktop.url}/qbwc", content=chunks(), headers=HEADERS, timeout=60)  # type: ignore[arg-type]
    assert "larger than 16 MB" in _fault(streamed)


def test_prefixes_do_not_matter_and_the_password_is_checked(desktop: Desktop) -> None:
    body = (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:ns1="http://developer.intuit.com/"><SOAP-ENV:Body><ns1:authenticate>'
        f"<ns1:strUserName>{desktop.username}</ns1:strUserName>"
        f"<ns1:strPassword>{desktop.password}</ns1:strPassword>"
        "</ns1:authenticate></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    response = httpx.post(f"{desktop.url}/qbwc", content=body.encode(), headers=HEADERS)
    assert response.status_code == 200
    strings = etree.fromstring(response.content).findall(f".//{{{soap.NS}}}string")
    assert len(strings) == 2 and strings[0].text and (strings[1].text or "") == ""


def test_the_wsdl_names_this_service(desktop: Desktop) -> None:
    response = httpx.get(f"{desktop.url}/qbwc?wsdl")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == f"{desktop.url}/qbwc"


def test_zeep_calls_the_service_from_its_wsdl(desktop: Desktop) -> None:
    zeep = pytest.importorskip("zeep")
    client = zeep.Client(f"{desktop.url}/qbwc?wsdl")
    assert client.service.serverVersion().startswith("ledgerbridge")
    assert client.service.clientVersion("2.3.0.215") in ("", None)
    assert client.service.clientVersion("2.0.1.2").startswith("W:")
    refused = client.service.authenticate("nobody", "nothing")
    assert list(refused) == [None, "nvu"] or list(refused) == ["", "nvu"]
    answer = client.service.authenticate(desktop.username, desktop.password)
    ticket, status = list(answer)[:2]
    assert ticket and status in ("", None)
    assert client.service.getLastError(ticket) in ("", None)
    assert client.service.receiveResponseXML(ticket, "", "0x80040400", "parse error") == -1
    assert client.service.getLastError(ticket) == "parse error (0x80040400)"
    assert client.service.closeConnection(ticket).startswith("ledgerbridge")
    assert client.service.receiveResponseXML(ticket, "", "", "") == -1  # closed: unknown
    assert client.service.connectionError("unknown", "0x1", "x") == "done"


def test_zeep_carries_whole_sessions_and_the_records_reach_the_company_file_once(
    desktop: Desktop,
) -> None:
    """An independent SOAP client, reading only the WSDL, plays the Web Connector through
    whole sessions (authenticate, the first request's host answer, sendRequestXML and
    receiveResponseXML until 100%, NoOps while the pass prepares, closeConnection), the
    Desktop emulator answering the qbXML as QuickBooks would: the field-service business is in
    the company file exactly once, every record synced."""
    zeep = pytest.importorskip("zeep")
    connector = connected(desktop)  # the Web Connector added, the company file read in
    map_payment_methods(desktop)
    field_service(desktop)
    client = zeep.Client(f"{desktop.url}/qbwc?wsdl")
    company = desktop.company
    major, minor = (int(part) for part in company.qbxml_version.split("."))
    finished = []
    for number in range(6):  # as the Web Connector's schedule starts them
        ticket, status = list(client.service.authenticate(desktop.username, desktop.password))[:2]
        if status == "none":  # nothing to do
            client.service.closeConnection(ticket)
            break
        assert status in ("", None), status
        session = Session(id=f"zeep-{number}")
        hcp = connector._hcp(company, session)
        percent, noops = 0, 0
        while percent < 100:
            request = client.service.sendRequestXML(
                ticket=ticket,
                strHCPResponse=hcp,
                strCompanyFileName=company.file_path,
                qbXMLCountry="US",
                qbXMLMajorVers=major,
                qbXMLMinorVers=minor,
            )
            hcp = ""
            if not request:
                said = client.service.getLastError(ticket)
                if said == "NoOp" and noops < 100:  # the pass is preparing: ask again
                    noops += 1
                    time.sleep(0.02)  # the real Web Connector waits 5 s
                    continue
                break  # nothing more this session
            answer = desktop.emulator.process(company, session, request)
            percent = client.service.receiveResponseXML(
                ticket=ticket, response=answer, hresult="", message=""
            )
            assert percent >= 0, client.service.getLastError(ticket)
        desktop.emulator.end_session(session)
        client.service.closeConnection(ticket)
        finished.append(percent)
        desktop.clock.advance(minutes=1)
    assert 100 in finished, finished
    check_company(desktop)
    for record_type, app_id, _ in FIELD_SERVICE:
        assert record(desktop, record_type, app_id)["status"] == "synced", (record_type, app_id)
