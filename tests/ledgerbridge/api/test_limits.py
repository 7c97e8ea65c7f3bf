"""What a request may send (issue 13, failure 2 and the smaller faults of failure 8): bodies are
refused before they are read, JSON nests at most 32 levels, and no input is a 500.

A body's size is shown two ways: over a real socket, the server answers while the client has
sent almost none of what it announced (it could not answer if it waited for the body); and
driving the ASGI app directly, counting the bytes it pulls from a 200 MB body it is offered.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ledgerbridge.api import create_app
from ledgerbridge.api.limits import BULK_BYTES, RECORD_BYTES, WEBHOOK_BYTES
from ledgerbridge.core.json_limits import MAX_DEPTH
from tests.ledgerbridge.api.conftest import Raw, Stack, error_of, fields_of

MB = 1_000_000
CHUNK = 64 * 1024


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _record_url(cid: str, record_id: str = "c-1") -> str:
    return f"/v1/connections/{cid}/records/customer/{record_id}"


@pytest.fixture
def raw(stack: Stack) -> Iterator[Raw]:
    connection = Raw(stack.url)
    try:
        yield connection
    finally:
        connection.close()


# --- sizes, before the body ------------------------------------------------------------------


def test_an_unauthenticated_200_mb_put_gets_its_401_before_the_body_is_sent(
    stack: Stack, raw: Raw
) -> None:
    cid = stack.connection()["id"]
    raw.send_head(
        "PUT",
        _record_url(cid),
        {"Content-Type": "application/json", "Content-Length": str(200 * MB)},
    )
    status, headers, body = raw.answer()  # none of the 200 MB was sent
    assert status == 401
    assert headers["www-authenticate"] == "Bearer"
    assert json.loads(body)["error"]["code"] == "auth.invalid_key"


def test_an_unknown_key_with_a_chunked_body_gets_its_401_after_no_chunk(
    stack: Stack, raw: Raw
) -> None:
    cid = stack.connection()["id"]
    raw.send_head(
        "POST",
        f"/v1/connections/{cid}/records",
        {"Authorization": "Bearer lbk_not-a-key", "Transfer-Encoding": "chunked"},
    )
    raw.send_chunk(b"{" * CHUNK)
    status, _, body = raw.answer()
    assert status == 401
    assert json.loads(body)["error"]["message"] == "this API key is unknown or revoked"


def test_a_body_announced_over_the_limit_is_a_413_before_it_is_sent(stack: Stack, raw: Raw) -> None:
    cid = stack.connection()["id"]
    raw.send_head(
        "PUT",
        _record_url(cid),
        {
            "Authorization": f"Bearer {stack.key}",
            "Content-Type": "application/json",
            "Content-Length": str(200 * MB),
        },
    )
    status, _, body = raw.answer()
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "input.too_large"
    assert f"{RECORD_BYTES:,} bytes" in error["message"]


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(stack: Stack, raw: Raw) -> None:
    cid = stack.connection()["id"]
    raw.send_head(
        "PUT",
        _record_url(cid),
        {
            "Authorization": f"Bearer {stack.key}",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
    )
    for _ in range(RECORD_BYTES // CHUNK + 1):  # one chunk past the limit, then nothing
        raw.send_chunk(b" " * CHUNK)
    status, _, body = raw.answer()
    assert status == 413
    assert json.loads(body)["error"]["code"] == "input.too_large"


def test_an_unsigned_webhook_over_its_limit_is_a_413_before_it_is_sent(
    stack: Stack, raw: Raw
) -> None:
    raw.send_head(
        "POST",
        "/v1/qbo/webhooks",
        {"Content-Type": "application/json", "Content-Length": str(200 * MB)},
    )
    status, _, body = raw.answer()
    assert status == 413
    assert f"{WEBHOOK_BYTES:,} bytes" in json.loads(body)["error"]["message"]


def test_a_webhook_within_its_limit_is_read_and_its_signature_checked(stack: Stack) -> None:
    body = b" " * (WEBHOOK_BYTES - 10) + b"[]"
    response = stack.client().post("/v1/qbo/webhooks", content=body)
    assert response.status_code == 401
    assert error_of(response)["code"] == "webhook.bad_signature"


def test_a_bulk_request_takes_more_than_a_single_record(stack: Stack) -> None:
    cid = stack.connection()["id"]
    padding = " " * (RECORD_BYTES + 1)  # too big for a PUT, well within a bulk request
    body = '{"records": [' + padding + "]}"
    bulk = stack.http.post(
        f"/v1/connections/{cid}/records",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["stored"] == 0
    single = stack.http.put(
        _record_url(cid), content=body, headers={"content-type": "application/json"}
    )
    assert single.status_code == 413
    assert RECORD_BYTES < BULK_BYTES


class _Offered:
    """An ASGI server's side of one request: a 200 MB body offered in 64 KiB chunks, and what
    the app took of it and answered."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.pulled = 0
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        piece = min(CHUNK, self.left)
        self.left -= piece
        self.pulled += piece
        return {"type": "http.request", "body": b" " * piece, "more_body": self.left > 0}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        status: int = self.messages[0]["status"]
        return status


def _offer(stack: Stack, path: str, headers: dict[str, str], size: int = 200 * MB) -> _Offered:
    app = create_app(stack.service)
    offered = _Offered(size)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, offered.receive, offered.send))  # type: ignore[arg-type]
    return offered


def test_the_app_takes_nothing_of_a_strangers_body(stack: Stack) -> None:
    cid = stack.connection()["id"]
    offered = _offer(stack, _record_url(cid), {"transfer-encoding": "chunked"})
    assert offered.status == 401
    assert offered.pulled == 0


def test_the_app_takes_no_more_than_the_limit_of_a_body_too_large(stack: Stack) -> None:
    cid = stack.connection()["id"]
    headers = {"transfer-encoding": "chunked", "authorization": f"Bearer {stack.key}"}
    offered = _offer(stack, _record_url(cid), headers)
    assert offered.status == 413
    assert offered.pulled <= RECORD_BYTES + CHUNK  # of the 200 MB offered


# --- JSON depth and encoding -------------------------------------------------------------------


def _json(stack: Stack, method: str, path: str, body: str | bytes) -> Any:
    return stack.http.request(
        method, path, content=body, headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_a_422_that_says_so_wherever_it_is_sent(
    stack: Stack, levels: int
) -> None:
    cid = stack.connection()["id"]
    deep = _deep(levels)
    for method, path, body in [
        ("PUT", _record_url(cid), '{"display_name": "A", "notes": ' + deep + "}"),
        ("POST", f"/v1/connections/{cid}/records", '{"records": ' + deep + "}"),
        ("PATCH", f"/v1/connections/{cid}/settings", '{"auto_push": ' + deep + "}"),
        ("PUT", f"/v1/connections/{cid}/mappings", '{"classes": ' + deep + "}"),
        ("POST", f"{_record_url(cid)}/actions/link", deep),
        ("POST", "/v1/connections", deep),
    ]:
        response = _json(stack, method, path, body)
        assert response.status_code == 422, (method, path, response.text)
        assert fields_of(response) == [None]
        assert f"more than {MAX_DEPTH} levels deep" in error_of(response)["message"]


def test_json_as_deep_as_the_limit_is_read(stack: Stack) -> None:
    cid = stack.connection()["id"]
    body = '{"display_name": "A", "notes": ' + _deep(MAX_DEPTH - 1) + "}"
    response = _json(stack, "PUT", _record_url(cid), body)
    assert response.status_code == 422  # read, and `notes` refused as not text
    assert fields_of(response) == ["notes"]


def test_a_body_that_is_not_utf_8_is_a_422_naming_the_body(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = _json(stack, "PUT", _record_url(cid), b'{"display_name": "\xff\xfe"}')
    assert response.status_code == 422
    assert fields_of(response) == [None]
    assert "not UTF-8" in error_of(response)["message"]


def _sign(body: bytes, token: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def test_a_signed_webhook_nested_100000_deep_is_a_400(stack: Stack) -> None:
    cid = stack.connection()["id"]
    # a sign-in started registers the emulator's app (and saves its verifier token), here
    # rather than in whichever test of the module happened to run first
    assert stack.http.get(f"/v1/connections/{cid}/connect").status_code in (302, 303)
    saved = json.loads((stack.data_dir / "emulator-app.json").read_text())
    token = saved[stack.emulator_url]["verifier_token"]
    body = _deep(100_000).encode()
    response = stack.client().post(
        "/v1/qbo/webhooks", content=body, headers={"intuit-signature": _sign(body, token)}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "webhook.malformed"
    assert "levels deep" in error_of(response)["message"]


def test_a_crafted_records_cursor_is_a_422_naming_it(stack: Stack) -> None:
    cid = stack.connection()["id"]
    cursor = base64.urlsafe_b64encode(_deep(5_000).encode()).decode().rstrip("=")
    response = stack.http.get(f"/v1/connections/{cid}/records", params={"cursor": cursor})
    assert fields_of(response) == ["cursor"]


# --- the smaller faults --------------------------------------------------------------------------


def test_events_after_beyond_64_bits_is_a_422_naming_after(stack: Stack) -> None:
    cid = stack.connection()["id"]
    events = f"/v1/connections/{cid}/events"
    assert fields_of(stack.http.get(events, params={"after": 2**63})) == ["after"]
    last = stack.http.get(events, params={"after": 2**63 - 1})
    assert last.status_code == 200
    assert last.json() == {"items": [], "next_after": 2**63 - 1}


def test_a_405_lists_every_method_of_the_path(stack: Stack) -> None:
    cid = stack.connection()["id"]
    for path, allowed in [
        (f"/v1/connections/{cid}/mappings", "GET, PUT"),
        (_record_url(cid), "DELETE, GET, PUT"),
        ("/v1/connections", "GET, POST"),
        ("/v1/health", "GET"),
    ]:
        response = stack.http.request("OPTIONS", path)
        assert response.status_code == 405
        assert response.headers["allow"] == allowed
        assert error_of(response)["code"] == "method_not_allowed"


def test_auto_push_takes_each_type_once(stack: Stack) -> None:
    cid = stack.connection()["id"]
    response = stack.http.patch(
        f"/v1/connections/{cid}/settings", json={"auto_push": ["invoice", "item", "invoice"]}
    )
    assert fields_of(response) == ["settings.auto_push"]
    assert "listed twice" in error_of(response)["message"]
    with pytest.raises(Exception, match="each once"):
        stack.service.update_settings(
            stack.service.authenticate(stack.key) or "", cid, {"auto_push": ["item", "item"]}
        )
    settings = stack.http.get(f"/v1/connections/{cid}").json()["settings"]
    assert sorted(settings["auto_push"]) == sorted(set(settings["auto_push"]))


# --- the OpenAPI document says what the server does ------------------------------------------


@pytest.fixture
def spec(stack: Stack) -> dict[str, Any]:
    document: dict[str, Any] = stack.client().get("/openapi.json").json()
    return document


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(_nullable(s) for s in schema.get("anyOf", []))


def test_null_is_documented_only_where_it_is_taken(stack: Stack, spec: dict[str, Any]) -> None:
    cid = stack.connection()["id"]
    schemas = spec["components"]["schemas"]
    settings = schemas["ConnectionSettings"]["properties"]
    assert sorted(name for name, s in settings.items() if _nullable(s)) == [
        "events_url",
        "number_start",
    ]
    for name in settings:
        if not _nullable(settings[name]):
            patch = stack.http.patch(f"/v1/connections/{cid}/settings", json={name: None})
            assert fields_of(patch) == [f"settings.{name}"]
    mappings = schemas["Mappings"]["properties"]
    assert not any(_nullable(s) for s in mappings.values())
    for name in mappings:
        put = stack.http.put(f"/v1/connections/{cid}/mappings", json={name: None})
        assert fields_of(put) == [name]
    assert schemas["ConnectionSettings"]["additionalProperties"] is False
    assert settings["auto_push"]["uniqueItems"] is True


def test_connect_and_the_callback_document_their_answers(spec: dict[str, Any]) -> None:
    connect = spec["paths"]["/v1/connections/{connection_id}/connect"]["get"]["responses"]
    assert "content" not in connect["302"]
    assert "409" in connect and "503" not in connect
    callback = spec["paths"]["/v1/oauth/callback"]["get"]["responses"]
    for status in ("400", "409", "502"):
        assert "text/html" in callback[status]["content"]
    assert "HTTPValidationError" not in json.dumps(spec)


def test_every_operation_with_a_body_documents_its_413(spec: dict[str, Any]) -> None:
    bodied = [
        (method, path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(bodied) >= 9
    for method, path in bodied:
        assert "413" in spec["paths"][path][method]["responses"], (method, path)
