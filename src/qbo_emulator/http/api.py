"""The Accounting API: `/v3/company/{realmId}/...` with QuickBooks' paths, parameters and
envelopes.

Every request is authenticated (bearer token bound to the company), throttled, checked against
scripted faults, replayed when its `requestid` was seen, and then run under the emulator's lock.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from qbo_emulator import clock, faults, operations
from qbo_emulator.emulator import Emulator
from qbo_emulator.http import multipart
from qbo_emulator.http.responses import (
    DroppedResponse,
    dumps,
    fault_response,
    loads,
    raw_json,
)
from qbo_emulator.model.specs import SPECS
from qbo_emulator.model.store import Company, ScriptedFault, StoredResponse, remember_response
from qbo_emulator.rules import attachments, currencies, invoice_links, recurring, tax_service
from qbo_emulator.rules.context import Ctx

MAX_REQUEST_ID = 50
_QUERIED = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)  # the entity a query reads
# With a requestid, /batch allows shorter ids, and each item's bId at most 10 characters.
MAX_BATCH_REQUEST_ID = 36
MAX_BATCH_ITEM_ID = 10
Handler = Callable[[Ctx, Request, Any], dict[str, Any]]


class _Call:
    """What one API request is, for throttling, faults and replay."""

    def __init__(self, request: Request) -> None:
        params = request.path_params
        self.realm_id: str = params["realm"]
        # The path segment after the realm: an entity ("invoice"), or "query", "batch", "cdc".
        segments = request.url.path.split("/")
        self.resource: str = segments[4].lower() if len(segments) > 4 else ""
        self.method = request.method
        self.operation = request.query_params.get("operation", "")
        self.request_id = request.query_params.get("requestid")
        self.include = tuple(
            part.strip()
            for part in request.query_params.get("include", "").split(",")
            if part.strip()
        )


def routes(emulator: Emulator) -> list[BaseRoute]:
    api = _Api(emulator)
    prefix = "/v3/company/{realm}"
    return [
        Route(f"{prefix}/query", api.query, methods=["GET", "POST"]),
        Route(f"{prefix}/batch", api.batch, methods=["POST"]),
        Route(f"{prefix}/cdc", api.cdc, methods=["GET", "POST"]),
        Route(f"{prefix}/taxservice/taxcode", api.tax_service, methods=["POST"]),
        Route(f"{prefix}/upload", api.upload, methods=["POST"]),
        Route("/attachments/{realm}/{attachable_id}/{token}", api.download, methods=["GET"]),
        Route(f"{prefix}/{{resource}}/{{entity_id}}/send", api.send, methods=["POST"]),
        Route(f"{prefix}/{{resource}}/{{entity_id}}", api.read, methods=["GET"]),
        Route(f"{prefix}/{{resource}}", api.write, methods=["POST"]),
        Route(f"{prefix}/{{resource}}", api.read_singleton, methods=["GET"]),
    ]


class _Api:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    # --- the pipeline every request goes through -------------------------------------------------

    async def _run(
        self,
        request: Request,
        handler: Handler,
        *,
        write: bool,
        batch: bool = False,
        raw_body: bool = False,
    ) -> Response:
        call = _Call(request)
        emulator = self.emulator
        try:
            grant = emulator.oauth.authenticate(request.headers.get("authorization"), call.realm_id)
            company = emulator.companies.get(call.realm_id)
            if company is None:
                raise faults.authorization_failed("The company is not known to this emulator")
            emulator.limiter.acquire(call.realm_id, grant.client_id, company.throttle, batch=batch)
        except faults.QBOFault as exc:
            return fault_response(exc.fault)
        try:
            return await self._serve(
                call, company, request, handler, write=write, raw_body=raw_body
            )
        finally:
            emulator.limiter.release(call.realm_id, grant.client_id)

    async def _serve(
        self,
        call: _Call,
        company: Company,
        request: Request,
        handler: Handler,
        *,
        write: bool,
        raw_body: bool = False,
    ) -> Response:
        emulator = self.emulator
        raw = await request.body()
        parsed = functools.cache(lambda: loads(raw))  # the body parsed once, when first needed
        scripted = self._scripted(company, call, lambda: _writes(call, parsed, write=write))
        if scripted is not None and scripted.latency_ms:
            await emulator.latency(scripted.latency_ms / 1000)
        if scripted is not None and scripted.status is not None:
            response = fault_response(faults.scripted(scripted.status, scripted.code).fault)
            if scripted.retry_after is not None:
                response.headers["Retry-After"] = str(scripted.retry_after)
            return response
        limit = MAX_BATCH_REQUEST_ID if call.resource == "batch" else MAX_REQUEST_ID
        if call.request_id is not None and len(call.request_id) > limit:
            return fault_response(
                faults.invalid_request_id(
                    f"Invalid Request Id Format : requestid is {len(call.request_id)} characters; "
                    f"at most {limit} are allowed"
                ).fault
            )
        replay_key = call.request_id if write and call.request_id else None
        with emulator.operation(company, call.include) as ctx:
            # Looked up under the lock that also covers the write and its remembering, so a
            # request with the same id that ran while this body was arriving is replayed.
            stored = company.replays.get(replay_key) if replay_key is not None else None
            if stored is not None:
                return raw_json(stored.body, stored.status)
            try:
                if raw_body:
                    payload: Any = raw
                else:
                    payload = parsed() if write and raw.strip() else None
                body = handler(ctx, request, payload)
                status = 200
                content = dumps({**body, "time": clock.format_time_field(ctx.now)})
            except faults.QBOFault as exc:
                status = exc.fault.status
                content = dumps(exc.fault.body(clock.format_time_field(ctx.now), 0))
            except ValueError:
                status = 400
                content = dumps(
                    faults.invalid_value(
                        "",
                        "Request has invalid or unsupported property : the body is not valid JSON",
                    ).fault.body(clock.format_time_field(ctx.now), 0)
                )
            if replay_key is not None and status in (200, 400):
                remember_response(company, replay_key, StoredResponse(status, content))
        if scripted is not None and scripted.drop_after_commit:
            return DroppedResponse()
        return raw_json(content, status)

    def _scripted(
        self, company: Company, call: _Call, writes: Callable[[], bool]
    ) -> ScriptedFault | None:
        """The first scripted fault the request meets; `writes` tells whether it writes,
        asked only when a fault's `writes` match needs it."""
        with self.emulator.lock:
            writing: bool | None = None
            for fault in company.faults:
                if fault.in_batch:
                    continue
                if fault.writes is not None and writing is None:
                    writing = writes()
                resource, operation = call.resource or None, call.operation or None
                if fault.matches(call.method, resource, operation, writes=bool(writing)):
                    fault.hits += 1
                    return fault
        return None

    # --- endpoints --------------------------------------------------------------------------------

    async def read(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, _: Any) -> dict[str, Any]:
            spec = operations.entity_spec(req.path_params["resource"])
            row = operations.read(ctx, spec, req.path_params["entity_id"])
            return {spec.key: _linked(ctx, spec.name, row, req)}

        return await self._run(request, handle, write=False)

    async def read_singleton(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, _: Any) -> dict[str, Any]:
            spec = operations.entity_spec(req.path_params["resource"])
            if spec.name == "ExchangeRate":
                params = req.query_params
                row = currencies.read_exchange_rate(
                    ctx, params.get("sourcecurrencycode"), params.get("asofdate")
                )
                return {spec.key: currencies.presented_rate(row)}
            if spec.name != "Preferences":
                raise faults.unsupported_operation(f"GET without an id for {spec.name}")
            return {spec.key: operations.read(ctx, spec, "1")}

        return await self._run(request, handle, write=False)

    async def write(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, payload: Any) -> dict[str, Any]:
            spec = operations.entity_spec(req.path_params["resource"])
            operation = req.query_params.get("operation", "").lower()
            includes = {i.lower() for i in ctx.include}
            if payload is None:
                raise faults.required_param(spec.name, spec.name, "the request body is empty")
            if spec.name == "RecurringTransaction":
                payload = recurring.lift(payload)
            if spec.name == "ExchangeRate" and operation in ("", "update"):
                return {spec.key: operations.update(ctx, spec, payload, sparse=False)}
            if operation == "delete":
                ctx.company.writes_received["delete"] += 1
                row = operations.delete(ctx, spec, payload)
            elif operation == "void" or (operation == "update" and "void" in includes):
                ctx.company.writes_received["void"] += 1
                row = operations.void(ctx, spec, payload)
            elif (
                operation == "update"
                or (isinstance(payload, dict) and not _blank(payload.get("Id")))
                or spec.name in ("Preferences", "CompanyInfo")
            ):
                ctx.company.writes_received["update"] += 1
                sparse = isinstance(payload, dict) and _truthy(payload.get("sparse"))
                row = operations.update(ctx, spec, payload, sparse=sparse)
            elif operation in ("", "create"):
                ctx.company.writes_received["create"] += 1
                row = operations.create(ctx, spec, payload)
            else:
                raise faults.invalid_enumeration("operation", operation)
            return {spec.key: _linked(ctx, spec.name, row, req)}

        return await self._run(request, handle, write=True)

    async def send(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, _: Any) -> dict[str, Any]:
            spec = operations.entity_spec(req.path_params["resource"])
            if spec.name not in ("Invoice", "SalesReceipt", "CreditMemo", "PurchaseOrder"):
                raise faults.unsupported_operation(f"Send for {spec.name}")
            operations.check_writable(ctx)
            row = operations.read(ctx, spec, req.path_params["entity_id"])
            send_to = req.query_params.get("sendTo")
            updated = dict(row)
            if send_to:
                updated["BillEmail"] = {"Address": send_to}
            elif not row.get("BillEmail"):
                raise faults.QBOFault(
                    faults.Fault(
                        400,
                        "ValidationFault",
                        (
                            faults.ErrorItem(
                                "6420",
                                "Email Address Missing",
                                "Email Address Missing : you must give an e-mail address to "
                                "send this transaction to.",
                                "BillEmail",
                            ),
                        ),
                    )
                )
            updated["EmailStatus"] = "EmailSent"
            updated["DeliveryInfo"] = {
                "DeliveryType": "Email",
                "DeliveryTime": clock.format_timestamp(ctx.now),
            }
            updated["SyncToken"] = str(int(row["SyncToken"]) + 1)
            updated["MetaData"] = {
                **row["MetaData"],
                "LastUpdatedTime": clock.format_timestamp(ctx.now),
            }
            ctx.company.table(spec.name).put(updated, ctx.now)
            ctx.events.append((spec.name, updated["Id"], "Emailed", None))
            return {spec.name: updated}

        return await self._run(request, handle, write=True)

    async def tax_service(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, payload: Any) -> dict[str, Any]:
            operations.check_writable(ctx)
            if payload is None:
                raise faults.required_param("TaxCode", "TaxCode", "the request body is empty")
            return tax_service.create_tax_code(ctx, payload)

        return await self._run(request, handle, write=True)

    async def upload(self, request: Request) -> Response:
        """`POST /upload`: files with their Attachable metadata, each answered on its own."""
        content_type = request.headers.get("content-type", "")

        def handle(ctx: Ctx, req: Request, raw: bytes) -> dict[str, Any]:
            operations.check_writable(ctx)
            if len(raw) > attachments.MAX_UPLOAD:
                raise attachments.upload_too_large(len(raw))
            try:
                parts = multipart.parse(raw, content_type)
            except multipart.MultipartError as exc:
                raise faults.invalid_value("", f"Invalid multipart request : {exc}") from None
            answers: list[dict[str, Any]] = []
            for item in attachments.upload_items(parts):
                try:
                    row = _upload_one(ctx, item)
                except faults.QBOFault as exc:
                    answers.append({"Fault": exc.fault.fault_object()})
                    continue
                link = attachments.with_download_link(ctx.company, row, str(req.base_url))
                answers.append({"Attachable": link})
            return {"AttachableResponse": answers}

        return await self._run(request, handle, write=True, raw_body=True)

    async def download(self, request: Request) -> Response:
        """A `TempDownloadUri`: the file itself, to whoever holds the link (no token needed)."""
        params = request.path_params
        company = self.emulator.companies.get(params["realm"])
        with self.emulator.lock:
            stored = company.files.get(params["attachable_id"]) if company else None
            row = company.table("Attachable").get(params["attachable_id"]) if company else None
        if (
            stored is None
            or row is None
            or not secrets.compare_digest(stored.token, params["token"])
        ):
            return Response("Not Found", status_code=404, media_type="text/plain")
        name = str(row.get("FileName") or "attachment").replace('"', "")
        return Response(
            stored.content,
            media_type=stored.content_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def query(self, request: Request) -> Response:
        text = request.query_params.get("query")
        if text is None and request.method == "POST":
            text = (await request.body()).decode("utf-8", errors="replace")

        def handle(ctx: Ctx, req: Request, _: Any) -> dict[str, Any]:
            if not text or not text.strip():
                raise faults.query_parse_error('Encountered "<EOF>" at line 1, column 1.')
            answer = operations.query(ctx, text)
            for entity in ("Invoice", "Attachable"):  # recurring ones come presented
                if entity in answer:
                    answer[entity] = [_linked(ctx, entity, r, req) for r in answer[entity]]
            if "ExchangeRate" in answer:
                answer["ExchangeRate"] = [
                    currencies.presented_rate(r) for r in answer["ExchangeRate"]
                ]
            return {"QueryResponse": answer}

        return await self._run(request, handle, write=False)

    async def cdc(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, _: Any) -> dict[str, Any]:
            params = req.query_params
            return {
                "CDCResponse": operations.cdc(
                    ctx, params.get("entities"), params.get("changedSince")
                )
            }

        return await self._run(request, handle, write=False)

    async def batch(self, request: Request) -> Response:
        def handle(ctx: Ctx, req: Request, payload: Any) -> dict[str, Any]:
            if not isinstance(payload, dict):
                raise faults.required_param("BatchItemRequest")
            items = operations.batch_size_check(payload.get("BatchItemRequest"))
            if req.query_params.get("requestid"):
                for item in items:
                    bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
                    if len(bid) > MAX_BATCH_ITEM_ID:
                        raise faults.invalid_request_id(
                            f"Invalid Request Id Format : bId {bid} is {len(bid)} characters; "
                            f"with a requestid at most {MAX_BATCH_ITEM_ID} are allowed"
                        )
            received = ctx.company.writes_received
            writes = [item for item in items if isinstance(item, dict) and "operation" in item]
            if operations.batch_writes(items):  # a batch of queries only writes nothing
                received["batch"] += 1
            for item in writes:
                received[f"batch.{str(item['operation']).lower()}"] += 1
            answers = [_batch_item(ctx, item) for item in items]
            return {"BatchItemResponse": operations.within_batch_limit(answers)}

        return await self._run(request, handle, write=True, batch=True)


def _batch_item(ctx: Ctx, item: Any) -> dict[str, Any]:
    """One item of a batch, unless a scripted fault `in_batch` meets it: then the fault is
    its answer and the item is not carried out (the batch's other items are). A query item
    is met by a fault for the entity "query" (as a query sent alone is), or by one for the
    operation "query" and the entity it reads."""
    if isinstance(item, dict):
        queried: str | None = None
        if "Query" in item:
            entity: str | None = "query"
            found = _QUERIED.search(str(item["Query"]))
            queried = found.group(1) if found else None
        else:
            entity = next((k for k in item if k not in ("bId", "operation", "optionsData")), None)
        operation = str(item.get("operation", ""))
        writes = "operation" in item
        for fault in ctx.company.faults:
            if not fault.in_batch:
                continue
            if entity == "query" and (fault.operation or "").lower() == "query":
                met = fault.matches("POST", queried, "query", writes=False)
            else:
                met = fault.matches("POST", entity, operation or None, writes=writes)
            if met:
                fault.hits += 1
                scripted = faults.scripted(fault.status or 400, fault.code).fault
                return {"bId": str(item.get("bId", "")), "Fault": scripted.fault_object()}
    return operations.batch_item(ctx, item)


def _writes(call: _Call, parsed: Callable[[], Any], *, write: bool) -> bool:
    """Whether a request writes, for a fault's `writes` match: a batch by its items (one of
    queries only is a read; `parsed`: its body, parsed once for this and the handler), any
    other request by its endpoint."""
    if call.resource != "batch":
        return write
    try:
        payload = parsed()
    except ValueError:
        return True
    items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
    return operations.batch_writes(items)


def _linked(ctx: Ctx, entity: str, row: dict[str, Any], request: Request) -> dict[str, Any]:
    """An invoice with its `InvoiceLink` when the request has `include=invoiceLink`; an
    attachable with the `TempDownloadUri` of its file."""
    if entity == "Attachable":
        return attachments.with_download_link(ctx.company, row, str(request.base_url))
    if entity == "RecurringTransaction":
        return recurring.presented(row)
    if entity != "Invoice" or "status" in row:  # a delete answer is no invoice
        return row
    return invoice_links.with_link(ctx.company, row, str(request.base_url), ctx.include)


def _upload_one(ctx: Ctx, item: dict[str, Any]) -> dict[str, Any]:
    """One uploaded file: a new attachable (or, with an Id in its metadata, a new file for an
    existing one), its file kept in the company."""
    metadata = dict(item["metadata"])
    if _blank(metadata.get("FileName")):
        metadata["FileName"] = item["filename"]
    content_type = str(metadata.get("ContentType") or item["content_type"])
    metadata["ContentType"] = content_type
    spec = SPECS["Attachable"]
    if _blank(metadata.get("Id")):
        row = operations.create(ctx, spec, metadata)
    else:
        existing = operations.read(ctx, spec, str(metadata["Id"]).strip())
        ctx.company.files.pop(existing["Id"], None)  # the new file's name and type count
        row = operations.update(ctx, spec, {**metadata, "sparse": True}, sparse=True)
    attachments.keep_file(ctx.company, row, item["content"], content_type)
    return row


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


__all__ = ["routes"]
