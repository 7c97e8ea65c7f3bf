"""The failure-mode suite: each test provokes one entry of failure-modes.md against the
emulator, checks the code and the offered actions, runs the action, and checks the outcome in
the emulator itself (its export), not in the engine's own word.

Tests name the entries they cover with ``@pytest.mark.failure_mode("code", ...)``;
test_coverage.py checks that every entry of the list has one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from ledgerbridge.engine.pull import PullReport, pull_company
from ledgerbridge.engine.push import PassReport
from ledgerbridge.engine.service import ActionResult
from ledgerbridge.engine.views import RecordView
from tests.ledgerbridge.engine.conftest import World

__all__ = [
    "Person",
    "act",
    "events",
    "merge",
    "merge_notice",
    "notify",
    "person",
    "pull",
    "put",
    "sync",
    "view",
]


def put(world: World, record_type: str, app_id: str, **data: object) -> RecordView:
    """The app sends (or changes) a record."""
    return world.service.put_record(world.key_id, world.connection_id, record_type, app_id, data)


def sync(world: World) -> PassReport:
    """A sync pass: in this process, or by the worker processes in the scale-out shape."""
    return world.sync()


def pull(world: World) -> PullReport:
    return pull_company(world.ledger, world.connection_id)


def view(world: World, record_type: str, app_id: str) -> RecordView:
    return world.service.record(world.key_id, world.connection_id, record_type, app_id)


def act(world: World, record_type: str, app_id: str, action: str, **params: object) -> ActionResult:
    """An office user clicks `action` on the record (as the dashboard and the API do)."""
    return world.service.action(
        world.key_id, world.connection_id, record_type, app_id, action, params, actor="test"
    )


def by_name(world: World, entity: str) -> dict[str, dict[str, Any]]:
    """QuickBooks' customers or vendors by display name (the emulator's own word); each name
    must be there once."""
    found: dict[str, dict[str, Any]] = {}
    for obj in world.entities(entity):
        assert obj["DisplayName"] not in found, f"twice in QuickBooks: {obj}"
        found[obj["DisplayName"]] = obj
    return found


def events(world: World, type_: str | None = None) -> list[dict[str, Any]]:
    found = world.service.events(world.key_id, world.connection_id, 0, 1000)
    return [e for e in found if type_ is None or e["type"] == type_]


class Person:
    """Someone working in QuickBooks itself: plain API calls with a token of their own."""

    def __init__(self, world: World) -> None:
        self.world = world
        tokens = world.admin(
            "POST",
            f"/companies/{world.realm_id}/connect",
            {"client_id": world.ledger.app("emulator").client_id},
        )
        self._headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json",
        }
        self._base = f"{world.emulator.url}/v3/company/{world.realm_id}"

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self._base}/{path}"
        if self.world.http is not None:  # the engine's way to the emulator
            response = self.world.http.request(method, url, headers=self._headers, **kwargs)
        else:
            response = httpx.request(method, url, headers=self._headers, timeout=30, **kwargs)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", entity.lower(), json=body)[entity]
        return result

    def read(self, entity: str, qbo_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"{entity.lower()}/{qbo_id}")[entity]
        return result

    def update(self, entity: str, qbo_id: str, **fields: Any) -> dict[str, Any]:
        """A sparse update of the current version (a person edits what they see)."""
        current = self.read(entity, qbo_id)
        body = {"Id": qbo_id, "SyncToken": current["SyncToken"], "sparse": True, **fields}
        result: dict[str, Any] = self._call("POST", entity.lower(), json=body)[entity]
        return result

    def delete(self, entity: str, qbo_id: str) -> None:
        current = self.read(entity, qbo_id)
        self._call(
            "POST",
            entity.lower(),
            params={"operation": "delete"},
            json={"Id": qbo_id, "SyncToken": current["SyncToken"]},
        )

    def void(self, entity: str, qbo_id: str) -> None:
        current = self.read(entity, qbo_id)
        self._call(
            "POST",
            entity.lower(),
            params={"operation": "void"},
            json={"Id": qbo_id, "SyncToken": current["SyncToken"]},
        )

    def query(self, text: str) -> list[dict[str, Any]]:
        found = self._call("GET", "query", params={"query": text})["QueryResponse"]
        rows: list[dict[str, Any]] = next((v for k, v in found.items() if isinstance(v, list)), [])
        return rows


@pytest.fixture
def person(world: World) -> Person:
    return Person(world)


def notify(world: World, body: dict[str, Any]) -> int:
    """A webhook notification from QuickBooks, signed with the app's verifier token, received
    by the engine; returns how many notices it kept."""
    raw = json.dumps(body).encode()
    token = world.ledger.app("emulator").verifier_token.value
    signature = base64.b64encode(hmac.new(token.encode(), raw, hashlib.sha256).digest()).decode()
    return world.service.receive_webhook(raw, signature)


def merge(world: World, entity: str, from_id: str, into_id: str) -> None:
    """A person merges one QuickBooks customer or vendor into another (in the emulator; no
    notice is sent)."""
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/merge",
        {"entity": entity, "from_id": from_id, "into_id": into_id},
    )


def merge_notice(world: World, entity: str, into_id: str, gone_id: str) -> int:
    """QuickBooks' webhook notice of a merge: `gone_id` went into `into_id`."""
    merged = {
        "name": entity,
        "id": into_id,
        "operation": "Merge",
        "lastUpdated": "2026-03-02T10:00:00.000Z",
        "deletedId": gone_id,
    }
    return notify(
        world,
        {
            "eventNotifications": [
                {"realmId": world.realm_id, "dataChangeEvent": {"entities": [merged]}}
            ]
        },
    )
