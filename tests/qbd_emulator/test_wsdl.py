"""The WSDL of docs/emulator-desktop.wsdl is the contract the simulator keeps: every call it
makes is an operation there, with that operation's SOAPAction and parameters in its order."""

from __future__ import annotations

from pathlib import Path

import httpx
from lxml import etree

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.webconnector.simulator import WebConnector
from tests.qbd_emulator.tiny_service import TinyService

WSDL = Path(__file__).resolve().parents[2] / "docs" / "emulator-desktop.wsdl"
S = "{http://www.w3.org/2001/XMLSchema}"
W = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"


def contract() -> tuple[dict[str, list[str]], dict[str, str]]:
    root = etree.parse(str(WSDL)).getroot()
    schema = root.find(f"{W}types/{S}schema")
    params = {
        element.get("name"): [e.get("name") for e in element.iter(f"{S}element")][1:]
        for element in schema.findall(f"{S}element")
    }
    actions = {
        op.get("name"): op.find(f"{SOAP}operation").get("soapAction")
        for op in root.find(f"{W}binding").findall(f"{W}operation")
    }
    return params, actions


def test_every_call_of_a_session_is_in_the_wsdl(emulator: Emulator, company: Company) -> None:
    params, actions = contract()
    calls = []
    for service, setup in (
        (TinyService(noops=1), lambda wc: None),
        (TinyService(), lambda wc: setattr(wc, "quickbooks", "closed")),
    ):
        wc = WebConnector(
            emulator,
            url="https://service.test/",
            username="acme",
            password="secret",
            company_id=company.id,
            noop_delay=0,
            transport=httpx.WSGITransport(app=service),
        )
        setup(wc)
        wc.run_session()
        calls += service.calls
    seen = {method for method, _, _ in calls}
    assert seen == set(actions)  # every operation is exercised, and nothing else is called
    for method, sent, headers in calls:
        assert headers["SOAPAction"] == f'"{actions[method]}"'
        assert list(sent) == [p for p in params[method] if p in sent]
        required = [p for p in params[method] if p.startswith("qbXML")]
        assert all(p in sent for p in required)
        if method != "serverVersion":
            assert list(sent) == params[method]
