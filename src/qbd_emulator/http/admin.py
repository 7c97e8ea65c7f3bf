"""The admin API under `/_emulator`: company files and their settings (closing date, clock),
qbXML straight to a company file, scripted faults, records locked by another user, export (the
ground truth tests assert against), Web Connectors with their controls and session logs, reset.

Invalid input is a 422 whose body names the field: `{"error": "invalid_request", "field": ...,
"message": ...}`; unknown companies and Web Connectors are 404.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from qbd_emulator import host, objects, presets
from qbd_emulator.emulator import Emulator, UnknownCompany
from qbd_emulator.model import PACIFIC, Company, Fault, Lock, format_time
from qbd_emulator.webconnector.simulator import WebConnector, check_url

Endpoint = Callable[[Request], Awaitable[Response]]
LOCK_CODES = (3170, 3175, 3176)


class Invalid(Exception):
    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def _json(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def _guard(handler: Endpoint) -> Endpoint:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Invalid as exc:
            return _json(
                {"error": "invalid_request", "field": exc.field, "message": exc.message}, exc.status
            )
        except UnknownCompany as exc:
            return _json(
                {
                    "error": "not_found",
                    "field": "company_id",
                    "message": f"no company {exc.args[0]}",
                },
                404,
            )

    return wrapped


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise Invalid("body", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Invalid("body", "the body must be a JSON object")
    return body


def _string(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise Invalid(key, f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 1000:
        raise Invalid(key, f"{key} must be a non-empty string")
    return value.strip()


def _number(
    body: Mapping[str, Any], key: str, *, low: float = 0, high: float = 86_400
) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(key, f"{key} must be a number from {low:g} to {high:g}")
    return float(value)


def _count(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise Invalid(key, f"{key} must be a whole number from 0")
    return value


def _date(body: Mapping[str, Any], key: str) -> date | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(key, f"{key} must be a YYYY-MM-DD date or null") from None


def company_summary(company: Company) -> dict[str, Any]:
    return {
        "company_id": company.id,
        "name": company.name,
        "file_path": company.file_path,
        "qbxml_version": company.qbxml_version,
        "closing_date": company.closing_date.isoformat() if company.closing_date else None,
        "clock": company.clock.isoformat() if company.clock else None,
        "now": format_time(company.now()),
        "counts": company.counts(),
    }


def routes(emulator: Emulator) -> list[BaseRoute]:
    admin = _Admin(emulator)
    p = "/_emulator"
    c = f"{p}/companies/{{company}}"
    w = f"{p}/webconnectors/{{connector}}"
    table: list[tuple[str, Endpoint, list[str]]] = [
        (f"{p}/health", admin.health, ["GET"]),
        (f"{p}/companies", admin.create_company, ["POST"]),
        (f"{p}/companies", admin.list_companies, ["GET"]),
        (c, admin.get_company, ["GET"]),
        (c, admin.patch_company, ["PATCH"]),
        (f"{c}/export", admin.export, ["GET"]),
        (f"{c}/qbxml", admin.qbxml, ["POST"]),
        (f"{c}/faults", admin.add_fault, ["POST"]),
        (f"{c}/faults", admin.list_faults, ["GET"]),
        (f"{c}/faults", admin.clear_faults, ["DELETE"]),
        (f"{c}/locks", admin.add_lock, ["POST"]),
        (f"{c}/locks", admin.list_locks, ["GET"]),
        (f"{c}/locks", admin.clear_locks, ["DELETE"]),
        (f"{p}/webconnectors", admin.create_connector, ["POST"]),
        (f"{p}/webconnectors", admin.list_connectors, ["GET"]),
        (w, admin.get_connector, ["GET"]),
        (w, admin.patch_connector, ["PATCH"]),
        (f"{w}/run", admin.run, ["POST"]),
        (f"{w}/schedule", admin.schedule, ["POST"]),
        (f"{w}/stop", admin.stop, ["POST"]),
        (f"{w}/sessions", admin.sessions, ["GET"]),
        (f"{p}/reset", admin.reset, ["POST"]),
    ]
    return [Route(path, _guard(handler), methods=methods) for path, handler, methods in table]


class _Admin:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def _company(self, request: Request) -> Company:
        return self.emulator.company(request.path_params["company"])

    def _connector(self, request: Request) -> WebConnector:
        connector = self.emulator.connectors.get(request.path_params["connector"])
        if connector is None:
            raise Invalid("connector_id", "no such Web Connector", 404)
        return connector

    async def health(self, request: Request) -> Response:
        return _json({"status": "ok", "companies": len(self.emulator.companies)})

    # --- companies ------------------------------------------------------------------------------

    async def create_company(self, request: Request) -> Response:
        body = await _body(request)
        name = _string(body, "name") or "Desktop Company"
        preset = _string(body, "preset") or "blank"
        if preset not in presets.PRESETS:
            raise Invalid("preset", f"preset must be one of {', '.join(presets.PRESETS)}")
        version = _string(body, "qbxml_version") or "13.0"
        if version not in host.VERSIONS:
            raise Invalid(
                "qbxml_version", f"qbxml_version must be one of {', '.join(host.VERSIONS)}"
            )
        closing = _date(body, "closing_date")
        try:
            company = self.emulator.create_company(
                name,
                preset=preset,
                file_path=_string(body, "file_path"),
                qbxml_version=version,
                company_id=_string(body, "company_id"),
            )
        except ValueError as exc:
            raise Invalid("company_id", str(exc)) from None
        company.closing_date = closing
        return _json(company_summary(company), 201)

    async def list_companies(self, request: Request) -> Response:
        with self.emulator.lock:
            return _json(
                {"companies": [company_summary(c) for c in self.emulator.companies.values()]}
            )

    async def get_company(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            return _json(company_summary(company))

    async def patch_company(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        unknown = set(body) - {"name", "closing_date", "clock", "qbxml_version"}
        if unknown:
            raise Invalid(sorted(unknown)[0], f"unknown setting {sorted(unknown)[0]}")
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = _string(body, "name", required=True)
        if "closing_date" in body:
            changes["closing_date"] = _date(body, "closing_date")
        if "qbxml_version" in body:
            if body["qbxml_version"] not in host.VERSIONS:
                raise Invalid(
                    "qbxml_version", f"qbxml_version must be one of {', '.join(host.VERSIONS)}"
                )
            changes["qbxml_version"] = body["qbxml_version"]
        if "clock" in body:
            value = body["clock"]
            if value is None:
                changes["clock"] = None
            else:
                try:
                    moment = datetime.fromisoformat(str(value))
                except ValueError:
                    raise Invalid("clock", "clock must be an ISO date-time or null") from None
                changes["clock"] = moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)
        with self.emulator.lock:
            for key, value in changes.items():
                if key == "clock":
                    company.clock = value
                    company.clock_set_at = datetime.now(PACIFIC) if value else None
                else:
                    setattr(company, key, value)
            return _json(company_summary(company))

    async def export(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            lists: dict[str, list[Any]] = {}
            txns: dict[str, list[Any]] = {}
            for record in company.all_records():
                target = txns if "TxnID" in record.data else lists
                target.setdefault(record.type, []).append(objects.computed(company, record))
            body = {
                **company_summary(company),
                "lists": lists,
                "transactions": txns,
                "voided": sorted(r.id for r in company.txns.values() if r.voided),
                "deleted": list(company.deleted),
                "data_ext": company.data_ext,
                "locks": [lock.to_json() for lock in company.locks.values()],
            }
            return _json(body)

    async def qbxml(self, request: Request) -> Response:
        company = self._company(request)
        raw = await request.body()
        # the bytes as sent: text that is not UTF-8 is refused whole (the parse error), as
        # QuickBooks' request processor refuses it, never stored with U+FFFD in its place
        answer, error = await asyncio.to_thread(self.emulator.process_direct, company, raw)
        if error is not None:
            return _json(
                {"error": "processor_error", "hresult": error.hresult, "message": error.message},
                400,
            )
        return Response(answer, media_type="text/xml; charset=utf-8")

    # --- faults and locks -------------------------------------------------------------------

    async def add_fault(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        times = body.get("times", 1)
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise Invalid("times", "times must be a positive integer or null (until cleared)")
        fault = Fault(secrets.token_hex(4), _string(body, "request") or "*", times)
        if "hresult" in body:
            fault.hresult = _string(body, "hresult", required=True)
            fault.message = (
                _string(body, "message")
                or "QuickBooks found an error when parsing the provided XML text stream."
            )
        else:
            code = body.get("status_code")
            if isinstance(code, bool) or not isinstance(code, int) or not 1 <= code <= 99999:
                raise Invalid(
                    "status_code", "status_code (a qbXML status code) or hresult is required"
                )
            fault.status_code = code
            fault.status_message = _string(body, "status_message") or "Scripted fault."
        with self.emulator.lock:
            company.faults.append(fault)
        return _json(fault.to_json(), 201)

    async def list_faults(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            return _json({"faults": [f.to_json() for f in company.faults]})

    async def clear_faults(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            cleared = len(company.faults)
            company.faults.clear()
        return _json({"cleared": cleared})

    async def add_lock(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        record_id = _string(body, "id", required=True) or ""
        code = body.get("code", 3175)
        if code not in LOCK_CODES:
            raise Invalid("code", "code must be 3170, 3175 or 3176")
        times = body.get("times")
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise Invalid("times", "times must be a positive integer or null (until released)")
        with self.emulator.lock:
            if not any(r.id == record_id for r in company.all_records()):
                raise Invalid("id", f"no record {record_id} (a ListID or TxnID)")
            lock = Lock(record_id, code, times)
            company.locks[record_id] = lock
        return _json(lock.to_json(), 201)

    async def list_locks(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            return _json({"locks": [lock.to_json() for lock in company.locks.values()]})

    async def clear_locks(self, request: Request) -> Response:
        company = self._company(request)
        record_id = request.query_params.get("id")
        with self.emulator.lock:
            if record_id:
                released = 1 if company.locks.pop(record_id, None) else 0
            else:
                released = len(company.locks)
                company.locks.clear()
        return _json({"released": released})

    # --- Web Connectors ---------------------------------------------------------------------

    async def create_connector(self, request: Request) -> Response:
        body = await _body(request)
        url = _string(body, "url", required=True) or ""
        try:
            check_url(url)
        except (ValueError, httpx.InvalidURL) as exc:
            raise Invalid("url", str(exc)) from None
        company_id = _string(body, "company_id", required=True) or ""
        self.emulator.company(company_id)
        options: dict[str, Any] = {}
        for key in ("app_name", "owner_id", "file_id", "qbwc_version"):
            if key in body:
                options[key] = _string(body, key)
        for key, high in (("noop_delay", 60.0), ("timeout", 600.0)):
            value = _number(body, key, high=high)
            if value is not None:
                options[key] = value
        max_noops = _count(body, "max_noops")
        if max_noops is not None:
            options["max_noops"] = max_noops
        if "ca_file" in body:
            options["verify"] = _string(body, "ca_file", required=True)
        connector = WebConnector(
            self.emulator,
            url=url,
            username=_string(body, "username", required=True) or "",
            password=str(body.get("password", "")),
            company_id=company_id,
            connector_id=_string(body, "connector_id"),
            **options,
        )
        if connector.id in self.emulator.connectors:
            raise Invalid("connector_id", "a Web Connector with that id exists")
        self.emulator.add_connector(connector)
        every = _number(body, "every_seconds", low=0.01)
        if every is not None:
            connector.schedule(every)
        return _json(connector.state(), 201)

    async def list_connectors(self, request: Request) -> Response:
        return _json({"webconnectors": [c.state() for c in self.emulator.connectors.values()]})

    async def get_connector(self, request: Request) -> Response:
        return _json(self._connector(request).state())

    async def patch_connector(self, request: Request) -> Response:
        connector = self._connector(request)
        body = await _body(request)
        allowed = {
            "quickbooks",
            "open_company_id",
            "busy",
            "lose_answers",
            "halt_after_exchanges",
            "password",
            "url",
            "noop_delay",
            "max_noops",
            "qbwc_version",
        }
        unknown = set(body) - allowed
        if unknown:
            raise Invalid(sorted(unknown)[0], f"unknown setting {sorted(unknown)[0]}")
        if "quickbooks" in body and body["quickbooks"] not in ("open", "closed", "denied"):
            raise Invalid("quickbooks", "quickbooks must be open, closed or denied")
        if body.get("open_company_id") is not None:
            self.emulator.company(str(body["open_company_id"]))
        if "busy" in body and not isinstance(body["busy"], bool):
            raise Invalid("busy", "busy must be true or false")
        lose = _count(body, "lose_answers")
        halt = _count(body, "halt_after_exchanges")
        noop = _number(body, "noop_delay", high=60)
        max_noops = _count(body, "max_noops")
        if "quickbooks" in body:
            connector.quickbooks = body["quickbooks"]
        if "open_company_id" in body:
            connector.open_company_id = body["open_company_id"]
        if "busy" in body:
            connector.busy = body["busy"]
        if lose is not None:
            connector.lose_answers = lose
        if "halt_after_exchanges" in body:
            connector.halt_after_exchanges = halt or None
        if "password" in body:
            connector.password = str(body["password"])
        if "url" in body:
            url = _string(body, "url", required=True) or connector.url
            try:
                check_url(url)
            except (ValueError, httpx.InvalidURL) as exc:
                raise Invalid("url", str(exc)) from None
            connector.url = url
        if "qbwc_version" in body:
            connector.qbwc_version = (
                _string(body, "qbwc_version", required=True) or connector.qbwc_version
            )
        if noop is not None:
            connector.noop_delay = noop
        if max_noops is not None:
            connector.max_noops = max_noops
        return _json(connector.state())

    async def run(self, request: Request) -> Response:
        connector = self._connector(request)
        log = await asyncio.to_thread(connector.run_session)
        return _json(log.to_json())

    async def schedule(self, request: Request) -> Response:
        connector = self._connector(request)
        body = await _body(request)
        every = _number(body, "every_seconds", low=0.01)
        if every is None:
            raise Invalid("every_seconds", "every_seconds is required")
        connector.schedule(every)
        return _json(connector.state())

    async def stop(self, request: Request) -> Response:
        connector = self._connector(request)
        await asyncio.to_thread(connector.stop)
        return _json(connector.state())

    async def sessions(self, request: Request) -> Response:
        connector = self._connector(request)
        return _json({"sessions": [s.to_json() for s in connector.sessions]})

    async def reset(self, request: Request) -> Response:
        await asyncio.to_thread(self.emulator.reset)
        return _json({"reset": True})
