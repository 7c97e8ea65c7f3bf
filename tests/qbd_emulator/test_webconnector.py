"""The Web Connector simulator against a tiny static SOAP service: the session sequence, the
first request's host/company/preferences answer, NoOp, authenticate's answers, QuickBooks closed,
another company file open, the file busy, a lost answer and a halt half-way."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.webconnector.simulator import WebConnector
from tests.qbd_emulator.tiny_service import TinyService

FULL = [
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "sendRequestXML",
    "receiveResponseXML",
    "closeConnection",
]


def connector(
    emulator: Emulator, company: Company, service: TinyService, password: str = "secret"
) -> WebConnector:
    return emulator.add_connector(
        WebConnector(
            emulator,
            url="https://service.test/qbwc",
            username="acme",
            password=password,
            company_id=company.id,
            noop_delay=0,
            transport=httpx.WSGITransport(app=service),
        )
    )


def test_a_session_adds_and_queries_a_customer(emulator: Emulator, company: Company) -> None:
    service = TinyService()
    log = connector(emulator, company, service).run_session()
    assert service.methods() == FULL
    assert log.outcome == "done"
    _method, params, headers = service.calls[2]
    assert headers["SOAPAction"] == '"http://developer.intuit.com/authenticate"'
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert params == {"strUserName": "acme", "strPassword": "secret"}
    first, second = service.calls[3][1], service.calls[5][1]
    assert first["ticket"] == "ticket-1" and first["strCompanyFileName"] == company.file_path
    assert (first["qbXMLCountry"], first["qbXMLMajorVers"], first["qbXMLMinorVers"]) == (
        "US",
        "13",
        "0",
    )
    hcp = etree.fromstring(first["strHCPResponse"].encode())
    assert [rs.tag for rs in hcp.find("QBXMLMsgsRs")] == [
        "HostQueryRs",
        "CompanyQueryRs",
        "PreferencesQueryRs",
    ]
    assert hcp.findtext(".//CompanyRet/DataExtRet/DataExtName") == "FileID"
    assert second["strHCPResponse"] == ""
    added = etree.fromstring(service.calls[4][1]["response"].encode())
    assert added.find(".//CustomerAddRs").get("statusCode") == "0"
    found = etree.fromstring(service.calls[6][1]["response"].encode())
    assert found.findtext(".//CustomerRet/Name") == "Tiny Service Customer"
    assert company.by_full_name("Customer", "Tiny Service Customer") is not None


def test_noop_asks_again(emulator: Emulator, company: Company) -> None:
    service = TinyService(noops=2)
    connector(emulator, company, service).run_session()
    assert service.methods()[3:9] == ["sendRequestXML", "getLastError"] * 2 + [
        "sendRequestXML",
        "receiveResponseXML",
    ]
    hcp_calls = [p["strHCPResponse"] for m, p, _ in service.calls if m == "sendRequestXML"]
    assert hcp_calls[0] and not any(hcp_calls[1:])


@pytest.mark.parametrize(
    ("status", "outcome"), [("none", "nothing to do"), ("busy", "service busy")]
)
def test_authenticate_none_or_busy_closes(
    emulator: Emulator, company: Company, status: str, outcome: str
) -> None:
    service = TinyService(auth_status=status)
    log = connector(emulator, company, service).run_session()
    assert service.methods() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "closeConnection",
    ]
    assert log.outcome == outcome


def test_a_wrong_password_is_nvu(emulator: Emulator, company: Company) -> None:
    service = TinyService()
    log = connector(emulator, company, service, password="wrong").run_session()
    assert log.outcome == "invalid user"
    assert service.methods()[-1] == "closeConnection"


def test_quickbooks_closed_is_a_connection_error(emulator: Emulator, company: Company) -> None:
    service = TinyService()
    wc = connector(emulator, company, service)
    wc.quickbooks = "closed"
    log = wc.run_session()
    assert service.methods() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "connectionError",
        "closeConnection",
    ]
    assert service.calls[3][1]["hresult"] == "0x80040416"
    assert log.outcome == "connection error"


def test_a_company_path_that_is_not_the_open_file(emulator: Emulator, company: Company) -> None:
    other = emulator.create_company("Someone Else")
    service = TinyService(auth_status=company.file_path)
    wc = connector(emulator, company, service)
    wc.open_company_id = other.id
    wc.run_session()
    assert (
        service.calls[3][0] == "connectionError" and service.calls[3][1]["hresult"] == "0x80040409"
    )
    # with "" (the open file) the service is handed the other file, and must notice
    service = TinyService()
    wc = connector(emulator, company, service)
    wc.open_company_id = other.id
    wc.run_session()
    first = service.calls[3][1]
    assert first["strCompanyFileName"] == other.file_path
    assert (
        etree.fromstring(first["strHCPResponse"].encode()).find(".//CompanyRet/DataExtRet") is None
    )


def test_the_file_busy_and_a_retry_path(emulator: Emulator, company: Company) -> None:
    service = TinyService(connection_answer=company.file_path)
    wc = connector(emulator, company, service)
    wc.busy = True
    wc.run_session()
    assert service.methods().count("connectionError") == 3  # the first try and two retries
    assert service.calls[3][1]["message"].startswith("This application requires Single User")


def test_a_lost_answer_was_applied_and_never_reported(emulator: Emulator, company: Company) -> None:
    service = TinyService()
    wc = connector(emulator, company, service)
    wc.lose_answers = 1
    log = wc.run_session()
    assert service.methods() == ["serverVersion", "clientVersion", "authenticate", "sendRequestXML"]
    assert log.outcome == "answer lost"
    assert company.by_full_name("Customer", "Tiny Service Customer") is not None


def test_a_halt_after_one_exchange(emulator: Emulator, company: Company) -> None:
    service = TinyService()
    wc = connector(emulator, company, service)
    wc.halt_after_exchanges = 1
    log = wc.run_session()
    assert service.methods()[-1] == "receiveResponseXML" and log.outcome == "halted"


def test_a_refused_message_arrives_as_hresult(emulator: Emulator, company: Company) -> None:
    from qbd_emulator.model import Fault

    company.faults.append(
        Fault(
            "f1",
            "CustomerAddRq",
            1,
            hresult="0x80040400",
            message="QuickBooks found an error when parsing the provided XML text stream.",
        )
    )
    service = TinyService()
    log = connector(emulator, company, service).run_session()
    params = service.calls[4][1]
    assert (params["response"], params["hresult"]) == ("", "0x80040400")
    assert service.methods()[-2:] == ["getLastError", "closeConnection"]
    assert log.outcome == "error"


def test_the_service_unreachable(emulator: Emulator, company: Company) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    wc = WebConnector(
        emulator,
        url="https://nowhere.test/",
        username="a",
        password="b",
        company_id=company.id,
        transport=httpx.MockTransport(refuse),
    )
    assert wc.run_session().outcome == "connection failed"


def test_an_asgi_service_in_process(emulator: Emulator, company: Company) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from qbd_emulator.testing import asgi_transport

    tiny = TinyService()

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        environ = {
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": __import__("io").BytesIO(body),
            "HTTP_SOAPACTION": request.headers.get("soapaction", ""),
            "CONTENT_TYPE": request.headers.get("content-type", ""),
        }
        (content,) = tiny(environ, lambda status, headers: None)
        return Response(content, media_type="text/xml; charset=utf-8")

    app = Starlette(routes=[Route("/qbwc", endpoint, methods=["POST"])])
    with asgi_transport(app) as transport:
        wc = WebConnector(
            emulator,
            url="https://service.test/qbwc",
            username="acme",
            password="secret",
            company_id=company.id,
            transport=transport,
        )
        assert wc.run_session().outcome == "done"
    assert tiny.methods() == FULL


def test_a_hostile_answer_ends_the_session(emulator: Emulator, company: Company) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b"<serverVersionResponse xmlns='http://developer.intuit.com/'><serverVersionResult>&b;"
        b"</serverVersionResult></serverVersionResponse></soap:Body></soap:Envelope>"
    )
    wc = WebConnector(
        emulator,
        url="https://service.test/",
        username="a",
        password="b",
        company_id=company.id,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=laughs)),
    )
    log = wc.run_session()
    assert log.outcome == "bad answer" and "not well-formed" in (log.calls[0].error or "")


def test_postpone_and_minimum_interval(emulator: Emulator, company: Company) -> None:
    class Postponing(TinyService):
        def answer(self, method: str, params: dict[str, str]) -> object:
            if method == "authenticate":
                return ["ticket-1", "none", "120", "900"]
            return super().answer(method, params)

    wc = connector(emulator, company, Postponing())
    wc.every_seconds = 60  # as if scheduled (no thread started here)
    log = wc.run_session()
    assert wc.every_seconds == 900
    assert any("postponed by 120 seconds" in note for note in log.notes)


def test_a_schedule_polls_until_stopped(emulator: Emulator, company: Company) -> None:
    import threading

    service = TinyService(auth_status="none")
    two = threading.Event()
    original = service.answer

    def counting(method: str, params: dict[str, str]) -> object:
        if method == "closeConnection" and service.methods().count("closeConnection") >= 2:
            two.set()
        return original(method, params)

    service.answer = counting  # type: ignore[method-assign]
    wc = connector(emulator, company, service)
    wc.schedule(0.01)
    assert two.wait(timeout=30), "the schedule never ran twice"
    wc.stop()
    assert wc.state()["every_seconds"] is None
    runs = len(wc.sessions)
    assert wc._thread is None and runs >= 2


@pytest.mark.parametrize(
    ("verdict", "methods", "outcome"),
    [
        ("W:Please upgrade soon", FULL, "done"),
        (
            "E:This service needs a newer Web Connector",
            ["serverVersion", "clientVersion"],
            "client version refused",
        ),
        ("O:2.3.0.300", ["serverVersion", "clientVersion"], "client version refused"),
    ],
)
def test_client_version_answers(
    emulator: Emulator, company: Company, verdict: str, methods: list[str], outcome: str
) -> None:
    class Versioned(TinyService):
        def answer(self, method: str, params: dict[str, str]) -> object:
            if method == "clientVersion":
                assert params == {"strVersion": "2.3.0.215"}
                return verdict
            return super().answer(method, params)

    service = Versioned()
    log = connector(emulator, company, service).run_session()
    assert service.methods() == methods and log.outcome == outcome


def test_a_newer_company_file_reports_its_qbxml_version(emulator: Emulator) -> None:
    newer = emulator.create_company("Newer", qbxml_version="16.0")
    service = TinyService()
    connector(emulator, newer, service).run_session()
    first = service.calls[3][1]
    assert (first["qbXMLMajorVers"], first["qbXMLMinorVers"]) == ("16", "0")
    hcp = etree.fromstring(first["strHCPResponse"].encode())
    assert "16.0" in [v.text for v in hcp.iter("SupportedQBXMLVersion")]


@pytest.mark.parametrize(
    ("url", "taken"),
    [
        ("https://books.example.com/qbwc", True),
        ("http://localhost:8000/qbwc", True),
        ("http://127.0.0.1:8000/qbwc", False),
        ("http://books.example.com/qbwc", False),
        ("ftp://books.example.com/", False),
    ],
)
def test_the_app_url_rule(emulator: Emulator, company: Company, url: str, taken: bool) -> None:
    if taken:
        WebConnector(emulator, url=url, username="a", password="b", company_id=company.id)
    else:
        with pytest.raises(ValueError, match="QBWC1010"):
            WebConnector(emulator, url=url, username="a", password="b", company_id=company.id)


def test_stop_breaks_off_a_running_session(emulator: Emulator, company: Company) -> None:
    holder: list[WebConnector] = []

    class Stopping(TinyService):
        def answer(self, method: str, params: dict[str, str]) -> object:
            if method == "receiveResponseXML" and self.sent == 1:
                holder[0].stop()  # the PC's user quits the Web Connector mid-session
            return super().answer(method, params)

    service = Stopping()
    holder.append(connector(emulator, company, service))
    log = holder[0].run_session()
    assert log.outcome == "stopped"
    assert service.methods()[-1] == "receiveResponseXML"  # no further call, no closeConnection
    assert holder[0].run_session().outcome == "done"  # "Update Selected" runs it again
