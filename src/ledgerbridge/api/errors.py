"""Errors as the API answers them: one JSON shape, a machine code and a human message.

    {"error": {"code": "input.invalid", "message": "...", "problems": [
        {"code": "input.invalid", "field": "lines[0].unit_price", "message": "...", "params": {}}
    ]}}

What becomes what (`install(app)` registers the handlers):

    ApiError(status, code)          raised by routes and dependencies: as given (401 auth...)
    BodyTooLarge                    413 input.too_large (api.limits: a body over its route's limit)
    BodyRefused                     422 input.invalid naming the body (not UTF-8, nested too deep)
    engine.errors.Invalid           422 input.invalid, with the engine's problems
    RequestValidationError          422 input.invalid, FastAPI's own checks in the same shape
    storage InvalidCursor           422 input.invalid naming `cursor`
    engine.errors.NotFound          404 not_found
    engine.errors.Unreachable       its code: 409 for the connection's state, 429 throttled
                                    (with Retry-After), 502 unavailable, 503 secret keys
    Starlette HTTPException         its status (404 not_found, 405 method_not_allowed, ...)
    QuickBooksError, httpx errors   502 quickbooks.unavailable (QuickBooks did not answer well)
    crypto.CipherError              503 connection.secret_keys_changed (the server's keys do not
                                    open the stored tokens; the connection shows the problem)
    anything else                   500 internal (the traceback is logged, see `Contained`)

A 405 lists in `Allow` every method of the path, not only those of the first route matched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge.adapters.qbo import QuickBooksError
from ledgerbridge.api import paths
from ledgerbridge.api.responses import JsonAnswer
from ledgerbridge.core.catalog import CONNECTION_SECRET_KEYS_CHANGED
from ledgerbridge.core.problems import INPUT_INVALID, INPUT_REQUIRED, INPUT_UNKNOWN_FIELD
from ledgerbridge.crypto import CipherError
from ledgerbridge.engine.errors import Invalid, InvalidCursor, NotFound, Refused, Unreachable

__all__ = [
    "ERRORS",
    "ApiError",
    "BodyRefused",
    "BodyTooLarge",
    "Contained",
    "ErrorResponse",
    "error_response",
    "field_path",
    "install",
    "validation_problems",
]

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
_PYDANTIC_CODES = {"missing": INPUT_REQUIRED, "extra_forbidden": INPUT_UNKNOWN_FIELD}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
_log = logging.getLogger("ledgerbridge.api")


class ApiError(Exception):
    """An answer other than success, decided by a route or a dependency."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class BodyTooLarge(StarletteHTTPException):
    """The body is over its route's limit (413); raised while the body streams in. An
    `HTTPException`, so that FastAPI passes it on as it is instead of a bare 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit:,} bytes, the most this takes")
        self.limit = limit


class BodyRefused(StarletteHTTPException):
    """A JSON body that is not read (not UTF-8, nested too deep): 422 naming the body."""

    def __init__(self, reason: str) -> None:
        super().__init__(422, reason)
        self.reason = reason


class ProblemOut(BaseModel):
    code: str = Field(examples=["input.invalid"])
    field: str | None = Field(examples=["lines[0].unit_price"])
    message: str
    params: dict[str, Any]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str
    problems: list[ProblemOut] | None = None


class ErrorResponse(BaseModel):
    """Every error the API answers."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    404: {"model": ErrorResponse, "description": "No such connection or record for this key"},
    422: {"model": ErrorResponse, "description": "Invalid input; `problems` name the fields"},
}
"""The error answers every authenticated route documents."""


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    problems: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if problems is not None:
        error["problems"] = [dict(p) for p in problems]
    return JsonAnswer({"error": error}, status_code=status, headers=dict(headers or {}))


def field_path(loc: Sequence[int | str], *, prefix: str | None = None) -> str | None:
    """A pydantic location as the field path the engine uses: ("body", "lines", 0, "x") ->
    "lines[0].x"; the location kind ("body", "query"...) is dropped; None for the whole body."""
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    path = prefix or ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def validation_problems(
    errors: Sequence[Any], *, prefix: str | None = None
) -> list[dict[str, Any]]:
    """Pydantic's errors as problems: missing -> input.required, an unexpected key ->
    input.unknown_field, anything else -> input.invalid."""
    problems: list[dict[str, Any]] = []
    for error in errors:
        kind = str(error.get("type", ""))
        loc = error.get("loc", ())
        if kind == "json_invalid":
            field, message = None, f"the body is not valid JSON ({error.get('msg', '')})"
        else:
            field, message = field_path(loc, prefix=prefix), str(error.get("msg", "invalid"))
        code = _PYDANTIC_CODES.get(kind, INPUT_INVALID)
        problems.append({"code": code, "field": field, "message": message, "params": {}})
    return problems


def _invalid_input(problems: list[dict[str, Any]]) -> JSONResponse:
    named = "; ".join(
        f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems
    )
    return error_response(422, INPUT_INVALID, named or "invalid input", problems=problems)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Invalid)
    return _invalid_input([p.to_json() for p in exc.problems])


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _invalid_input(validation_problems(exc.errors()))


async def _invalid_cursor(request: Request, exc: Exception) -> JSONResponse:
    problem = {
        "code": INPUT_INVALID,
        "field": "cursor",
        "message": "this cursor was not given out by this listing; start again without it",
        "params": {},
    }
    return _invalid_input([problem])


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFound)
    return error_response(404, "not_found", f"{exc.what} was not found")


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    return error_response(409, "action.refused", exc.reason)


_UNREACHABLE_STATUS = {
    "quickbooks.throttled": 429,
    "quickbooks.unavailable": 502,
    CONNECTION_SECRET_KEYS_CHANGED: 503,
}


async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Unreachable)
    status = _UNREACHABLE_STATUS.get(exc.code, 409)
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(max(1, round(exc.retry_after or 60)))
    return error_response(status, exc.code, exc.message, headers=headers)


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return error_response(413, "input.too_large", str(exc.detail))


async def _body_refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyRefused)
    problem: dict[str, Any] = {
        "code": INPUT_INVALID,
        "field": None,
        "message": exc.reason,
        "params": {},
    }
    return _invalid_input([problem])


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request, headers.get("Allow"))
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


def _allowed(request: Request, fallback: str | None) -> str:
    """Every method of the path by the OpenAPI document (Starlette names only those of the
    first route it tried); a path outside the document keeps Starlette's list."""
    methods = paths.paths_of(request.app).methods(paths.route_path(request.scope))
    return ", ".join(methods) if methods else fallback or ""


async def _quickbooks(request: Request, exc: Exception) -> JSONResponse:
    message = f"QuickBooks did not answer as expected: {exc}"
    return error_response(502, "quickbooks.unavailable", message)


async def _keys_changed(request: Request, exc: Exception) -> JSONResponse:
    message = (
        "the server's secret keys cannot decrypt this connection's stored tokens: restore the "
        "key that encrypted them, or reconnect the connection"
    )
    return error_response(503, CONNECTION_SECRET_KEYS_CHANGED, message)


def _internal() -> JSONResponse:
    return error_response(500, "internal", "something went wrong on our side; it was logged")


class Contained:
    """The outermost middleware of the app: an unexpected failure is logged here and answered
    500 `internal`, and goes no further.

    Starlette's own last resort answers and then raises the failure again for the server to
    log, and uvicorn closes the connection of any request that raised: a client keeping its
    connection alive lost it after every 500. Only a failure after the answer has begun still
    reaches the server (the connection cannot be saved then)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise
            _log.exception("unexpected failure answering %s %s", scope["method"], scope["path"])
            await _internal()(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the shape above."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(Invalid, _invalid)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(InvalidCursor, _invalid_cursor)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(Unreachable, _unreachable)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(QuickBooksError, _quickbooks)
    app.add_exception_handler(httpx.HTTPError, _quickbooks)
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_exception_handler(BodyRefused, _body_refused)
    app.add_exception_handler(CipherError, _keys_changed)
