"""The admin API over a real socket, and a Web Connector driven through it against a tiny SOAP
service on a real socket: companies, qbXML, export, faults, locks, controls, session logs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest

from qbd_emulator.server import EmulatorServer
from tests.qbd_emulator.helpers import customer_add, message
from tests.qbd_emulator.tiny_service import TinyService


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


@pytest.fixture
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/_emulator", timeout=30) as client:
        yield client


@pytest.fixture
def service() -> Iterator[tuple[str, TinyService]]:
    app = TinyService()
    httpd = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    # serve_forever's poll (default half a second) is how long shutdown() waits
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield f"http://localhost:{httpd.server_port}/qbwc", app
    httpd.shutdown()
    httpd.server_close()


def test_companies_qbxml_and_export(api: httpx.Client) -> None:
    created = api.post(
        "/companies", json={"name": "Admin Co", "preset": "demo", "closing_date": "2026-01-31"}
    )
    assert created.status_code == 201
    company = created.json()["company_id"]
    answer = api.post(f"/companies/{company}/qbxml", content=message(customer_add("From Admin")))
    assert answer.status_code == 200 and 'statusCode="0"' in answer.text
    export = api.get(f"/companies/{company}/export").json()
    names = [c["FullName"] for c in export["lists"]["Customer"]]
    assert "From Admin" in names and "Alvarez, Maria:Main House" in names
    assert export["closing_date"] == "2026-01-31"
    refused = api.post(f"/companies/{company}/qbxml", content="<nope")
    assert refused.status_code == 400 and refused.json()["hresult"] == "0x80040400"
    assert api.post("/companies", json={"preset": "nope"}).json()["field"] == "preset"
    assert api.get("/companies/missing").status_code == 404


def test_faults_and_locks(api: httpx.Client) -> None:
    company = api.post("/companies", json={"name": "Faulty"}).json()["company_id"]
    fault = api.post(
        f"/companies/{company}/faults",
        json={
            "request": "CustomerAddRq",
            "status_code": 3180,
            "status_message": "There was an error when saving.",
        },
    )
    assert fault.status_code == 201
    answer = api.post(f"/companies/{company}/qbxml", content=message(customer_add("F1")))
    assert 'statusCode="3180"' in answer.text
    answer = api.post(f"/companies/{company}/qbxml", content=message(customer_add("F1")))
    assert 'statusCode="0"' in answer.text
    list_id = answer.text.split("<ListID>")[1].split("<")[0]
    sequence = answer.text.split("<EditSequence>")[1].split("<")[0]
    assert (
        api.post(f"/companies/{company}/locks", json={"id": list_id, "code": 3176}).status_code
        == 201
    )
    mod = (
        f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>"
        f"{sequence}</EditSequence><Phone>1</Phone></CustomerMod></CustomerModRq>"
    )
    assert 'statusCode="3176"' in api.post(f"/companies/{company}/qbxml", content=message(mod)).text
    assert api.request("DELETE", f"/companies/{company}/locks").json() == {"released": 1}
    assert 'statusCode="0"' in api.post(f"/companies/{company}/qbxml", content=message(mod)).text
    assert (
        api.post(f"/companies/{company}/locks", json={"id": list_id, "code": 1}).json()["field"]
        == "code"
    )


def test_a_web_connector_run_through_the_admin_api(
    api: httpx.Client, service: tuple[str, TinyService]
) -> None:
    url, _app = service
    company = api.post("/companies", json={"name": "Polled", "preset": "demo"}).json()["company_id"]
    created = api.post(
        "/webconnectors",
        json={
            "url": url,
            "username": "acme",
            "password": "secret",
            "company_id": company,
            "noop_delay": 0,
        },
    )
    assert created.status_code == 201
    connector = created.json()["id"]
    log = api.post(f"/webconnectors/{connector}/run").json()
    assert log["outcome"] == "done"
    assert log["methods"][:3] == ["serverVersion", "clientVersion", "authenticate"]
    assert all(call["sent"].get("strPassword") in (None, "****") for call in log["calls"])
    patched = api.patch(f"/webconnectors/{connector}", json={"quickbooks": "closed"})
    assert patched.json()["quickbooks"] == "closed"
    log = api.post(f"/webconnectors/{connector}/run").json()
    assert log["outcome"] == "connection error"
    sessions = api.get(f"/webconnectors/{connector}/sessions").json()["sessions"]
    assert [s["outcome"] for s in sessions] == ["done", "connection error"]
    stopped = api.post(f"/webconnectors/{connector}/stop").json()
    assert stopped["every_seconds"] is None
    assert api.patch(f"/webconnectors/{connector}", json={"quickbooks": "maybe"}).status_code == 422
    api.patch(f"/webconnectors/{connector}", json={"quickbooks": "denied"})
    log = api.post(f"/webconnectors/{connector}/run").json()
    assert log["outcome"] == "connection error"
    error = next(call for call in log["calls"] if call["method"] == "connectionError")
    assert error["sent"]["hresult"] == "0x80040420"
    export = api.get(f"/companies/{company}/export").json()
    assert "Tiny Service Customer" in [c["Name"] for c in export["lists"]["Customer"]]


def test_a_refused_message_fault_and_settings(api: httpx.Client) -> None:
    company = api.post("/companies", json={"name": "Refusing"}).json()["company_id"]
    fault = api.post(
        f"/companies/{company}/faults",
        json={
            "request": "CustomerAddRq",
            "hresult": "0x80040408",
            "message": "Could not start QuickBooks.",
        },
    )
    assert fault.status_code == 201
    refused = api.post(f"/companies/{company}/qbxml", content=message(customer_add("R1")))
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "processor_error",
        "hresult": "0x80040408",
        "message": "Could not start QuickBooks.",
    }
    assert api.get(f"/companies/{company}/faults").json() == {"faults": []}  # used up
    patched = api.patch(
        f"/companies/{company}", json={"closing_date": "2026-06-30", "qbxml_version": "16.0"}
    )
    assert (
        patched.json()["closing_date"] == "2026-06-30" and patched.json()["qbxml_version"] == "16.0"
    )
    assert (
        api.patch(f"/companies/{company}", json={"closing_date": "June"}).json()["field"]
        == "closing_date"
    )
    assert api.patch(f"/companies/{company}", json={"color": "red"}).status_code == 422
    assert api.get("/webconnectors/nope").status_code == 404
    assert (
        api.post("/webconnectors", json={"url": "ftp://x", "company_id": company}).json()["field"]
        == "url"
    )
    assert (
        api.post(f"/companies/{company}/faults", json={"request": "*"}).json()["field"]
        == "status_code"
    )
