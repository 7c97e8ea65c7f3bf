"""The error shape: field paths from pydantic locations, and unexpected failures as JSON."""

from __future__ import annotations

from typing import cast

import httpx
import pytest

from ledgerbridge.api.errors import field_path, validation_problems
from ledgerbridge.bootstrap import Ledger
from ledgerbridge.engine.service import Service
from ledgerbridge.engine.views import ConnectionView
from qbo_emulator.server import free_port
from tests.ledgerbridge.api.conftest import ApiServer, Raw


@pytest.mark.parametrize(
    ("loc", "prefix", "path"),
    [
        (("body", "lines", 0, "unit_price"), None, "lines[0].unit_price"),
        (("body", "settings", "numbering"), None, "settings.numbering"),
        (("body", "numbering"), "settings", "settings.numbering"),
        (("body", "auto_push", 1), "settings", "settings.auto_push[1]"),
        (("query", "limit"), None, "limit"),
        (("body",), None, None),
        ((), "settings", "settings"),
    ],
)
def test_field_path(loc: tuple[int | str, ...], prefix: str | None, path: str | None) -> None:
    assert field_path(loc, prefix=prefix) == path


def test_validation_problems_use_the_input_codes() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "name"), "msg": "Field required"},
        {"type": "extra_forbidden", "loc": ("body", "x"), "msg": "Extra inputs"},
        {"type": "string_type", "loc": ("body", "name"), "msg": "Input should be a string"},
    ]
    assert [(p["code"], p["field"]) for p in validation_problems(errors)] == [
        ("input.required", "name"),
        ("input.unknown_field", "x"),
        ("input.invalid", "name"),
    ]


class _Broken(Service):
    def authenticate(self, secret: str) -> str | None:
        return "key_1"

    def connections(self, key_id: str) -> list[ConnectionView]:
        raise RuntimeError("the disk is on fire")


def test_an_unexpected_failure_is_a_500_in_the_error_shape() -> None:
    port = free_port()
    with ApiServer(_Broken(cast(Ledger, None)), port) as server:
        response = httpx.get(f"{server.url}/v1/connections", headers={"Authorization": "Bearer k"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "fire" not in response.text


def test_a_500_leaves_the_kept_alive_connection_open() -> None:
    """The failure is logged and answered, and goes no further: the server used to close the
    connection of every request that raised (issue 13, failure 8)."""
    port = free_port()
    with ApiServer(_Broken(cast(Ledger, None)), port) as server:
        raw = Raw(server.url)
        try:
            for _ in range(2):  # the same connection, twice
                raw.send_head("GET", "/v1/connections", {"Authorization": "Bearer k"})
                status, headers, _ = raw.answer()
                assert status == 500
                assert headers.get("connection") != "close"
            raw.send_head("GET", "/v1/health", {})
            assert raw.answer()[0] == 200
        finally:
            raw.close()
