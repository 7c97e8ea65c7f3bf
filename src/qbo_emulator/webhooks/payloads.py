"""What a QuickBooks Online webhook notification carries: events, bodies, signature, headers.

Two body formats exist, chosen per app:

* ``legacy``: ``{"eventNotifications": [...]}``, one entry per realm holding that realm's
  ``dataChangeEvent.entities``; ``lastUpdated`` is local time with a ``-0700`` style offset.
* ``cloudevents``: a JSON array of CloudEvents 1.0 objects, one per changed entity, typed
  ``qbo.<entity>.<created|updated|...>.v1``.

Every POST is signed: ``intuit-signature`` is base64(HMAC-SHA256(verifier token, raw body)).
Everything here is pure; delivery lives in :mod:`qbo_emulator.webhooks.dispatcher`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args

import orjson

WebhookFormat = Literal["legacy", "cloudevents"]
Operation = Literal["Create", "Update", "Delete", "Merge", "Void", "Emailed"]

SCHEMA_VERSION: Final = "0.1"
USER_AGENT: Final = "intuit_notification_server/0.1"
CONTENT_TYPE: Final = "application/json; charset=utf-8"

_OPERATIONS: Final[frozenset[str]] = frozenset(get_args(Operation))
_FORMATS: Final[frozenset[str]] = frozenset(get_args(WebhookFormat))
_CLOUD_VERBS: Final[dict[str, str]] = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Merge": "merged",
    "Void": "voided",
    "Emailed": "emailed",
}


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """One connected app's endpoint: where to POST, how to sign, which body format."""

    client_id: str
    url: str
    verifier_token: str
    format: WebhookFormat

    def __post_init__(self) -> None:
        if self.format not in _FORMATS:
            raise ValueError(f"unknown webhook format {self.format!r}")


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One changed entity in one company; ``deleted_id`` is the merged-away id (merges only)."""

    realm_id: str
    entity: str
    entity_id: str
    operation: Operation
    last_updated: datetime
    deleted_id: str | None = None

    def __post_init__(self) -> None:
        if self.operation not in _OPERATIONS:
            raise ValueError(f"unknown webhook operation {self.operation!r}")
        if self.last_updated.utcoffset() is None:
            raise ValueError("ChangeEvent.last_updated must be timezone-aware")


def sign(body: bytes, verifier_token: str) -> str:
    """``intuit-signature``: base64(HMAC-SHA256(key=verifier token, msg=raw body))."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def rfc3339_utc(moment: datetime) -> str:
    """``2015-10-05T21:42:19.000Z``: UTC with milliseconds and a ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def legacy_time(moment: datetime) -> str:
    """``2015-10-05T14:42:19-0700``: the event's own offset, without a colon."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def _legacy_entity(event: ChangeEvent) -> dict[str, str]:
    entity = {
        "name": event.entity,
        "id": event.entity_id,
        "operation": event.operation,
        "lastUpdated": legacy_time(event.last_updated),
    }
    if event.operation == "Merge" and event.deleted_id is not None:
        entity["deletedId"] = event.deleted_id
    return entity


def legacy_payload(events: Sequence[ChangeEvent]) -> dict[str, Any]:
    """The legacy body: realms in order of first appearance, entities in event order."""
    by_realm: dict[str, list[dict[str, str]]] = {}
    for event in events:
        by_realm.setdefault(event.realm_id, []).append(_legacy_entity(event))
    return {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}}
            for realm, entities in by_realm.items()
        ]
    }


def cloudevents_source(realm_id: str) -> str:
    """A stable, opaque ``source``: the same company always gets the same string."""
    digest = hashlib.sha256(b"qbo-emulator/webhooks/" + realm_id.encode("utf-8")).digest()
    return "intuit." + base64.b64encode(digest).decode("ascii")


def cloudevent_type(event: ChangeEvent) -> str:
    """``qbo.customer.created.v1`` and the like."""
    return f"qbo.{event.entity.lower()}.{_CLOUD_VERBS[event.operation]}.v1"


def _cloudevent(event: ChangeEvent) -> dict[str, Any]:
    data: dict[str, str] = {}
    if event.operation == "Merge" and event.deleted_id is not None:
        data["deletedid"] = event.deleted_id
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": cloudevents_source(event.realm_id),
        "type": cloudevent_type(event),
        "datacontenttype": "application/json",
        "time": rfc3339_utc(event.last_updated),
        "intuitentityid": event.entity_id,
        "intuitaccountid": event.realm_id,
        "data": data,
    }


def cloudevents_payload(events: Sequence[ChangeEvent]) -> list[dict[str, Any]]:
    """The CloudEvents body: one event object per change, in event order (fresh uuid4 ids)."""
    return [_cloudevent(event) for event in events]


def encode_body(fmt: WebhookFormat, events: Sequence[ChangeEvent]) -> bytes:
    """The exact bytes to POST (and to sign) for ``events`` in format ``fmt``."""
    payload: object = legacy_payload(events) if fmt == "legacy" else cloudevents_payload(events)
    return orjson.dumps(payload)


def notification_headers(body: bytes, verifier_token: str, created: datetime) -> dict[str, str]:
    """The headers Intuit's notification server sends with ``body``; a fresh ``intuit-t-id``."""
    return {
        "content-type": CONTENT_TYPE,
        "intuit-signature": sign(body, verifier_token),
        "intuit-created-time": rfc3339_utc(created),
        "intuit-t-id": str(uuid.uuid4()),
        "intuit-notification-schema-version": SCHEMA_VERSION,
        "user-agent": USER_AGENT,
    }
