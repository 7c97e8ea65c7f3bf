"""QuickBooks webhook notifications: the signature check and the two body formats.

    if not verify_signature(body, headers.get(SIGNATURE_HEADER), verifier_token):
        return 401
    notices = parse_notification(body)       # then answer 200 quickly; fetch the objects later

Bodies come in two formats, and during Intuit's migration an endpoint may receive both:

* legacy: ``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name",
  "id", "operation", "lastUpdated", "deletedId"?}]}}]}``;
* CloudEvents: a JSON array of ``{"type": "qbo.<entity>.<verb>.v1", "intuitaccountid",
  "intuitentityid", "time", "data": {"deletedid"?}}``.

Both become `ChangeNotice`s naming the entity canonically ("SalesReceipt", as the API spells
it). Notifications carry only ids: read the object (or run a CDC) for its data. A body that is
not one of these shapes raises `MalformedNotification` (a `ValueError`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, cast

from ledgerbridge.core import json_limits, text

__all__ = [
    "SIGNATURE_HEADER",
    "ChangeNotice",
    "MalformedNotification",
    "Operation",
    "parse_notification",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "intuit-signature"
MAX_NOTICE_TEXT: Final = 200  # characters of a notice's id, name or verb
MAX_TIME_TEXT: Final = 64  # characters of a notice's time (ISO 8601 takes about 30)
Operation = Literal["Create", "Update", "Delete", "Merge", "Void", "Emailed"]

_OPERATIONS: Final[frozenset[str]] = frozenset(
    {"Create", "Update", "Delete", "Merge", "Void", "Emailed"}
)
_VERBS: Final[dict[str, Operation]] = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}
# Entities Intuit sends webhooks for, by their lower-case CloudEvents spelling.
_ENTITIES: Final[dict[str, str]] = {
    name.lower(): name
    for name in [
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    ]
}


class MalformedNotification(ValueError):
    """The body is not a QuickBooks notification in either format."""


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """One changed object. `deleted_id` is the id merged away (merges only); `verb_known`
    False: the notice's verb was none QuickBooks documents, taken as "Update"."""

    realm_id: str
    entity: str
    entity_id: str
    operation: Operation
    occurred_at: datetime | None
    deleted_id: str | None = None
    verb_known: bool = True


def verify_signature(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """Whether `signature` (the `intuit-signature` header) is base64(HMAC-SHA256(verifier
    token, raw body)). Compared in constant time; pass the body exactly as received."""
    if not signature or not verifier_token:
        return False
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    return hmac.compare_digest(expected, signature.strip().encode("utf-8"))


def parse_notification(body: bytes) -> list[ChangeNotice]:
    """The changes a notification body announces, in the order sent (either format)."""
    try:
        # every whole number a notification holds is an id: kept as its digits, so that one of
        # 100,000 digits is refused naming its field (`_short_text`), not as Python's limit on
        # converting digits to an int
        payload = json_limits.parse(body, parse_int=str)
    except json_limits.Unreadable as exc:
        raise MalformedNotification(exc.reason) from None
    except ValueError:
        raise MalformedNotification("the notification body is not JSON") from None
    if isinstance(payload, list):
        return [_cloudevent(event, index) for index, event in enumerate(payload)]
    if isinstance(payload, dict) and "eventNotifications" in payload:
        return _legacy(payload["eventNotifications"])
    raise MalformedNotification(
        "the body is neither a CloudEvents array nor an object with eventNotifications"
    )


def _legacy(notifications: Any) -> list[ChangeNotice]:
    if not isinstance(notifications, list):
        raise MalformedNotification("eventNotifications must be a list")
    notices = []
    for n, notification in enumerate(notifications):
        where = f"eventNotifications[{n}]"
        realm_id = _required(notification, "realmId", where)
        change = _mapping(notification, "dataChangeEvent", where)
        entities = change.get("entities")
        if not isinstance(entities, list):
            raise MalformedNotification(f"{where}.dataChangeEvent.entities must be a list")
        for e, entity in enumerate(entities):
            at = f"{where}.dataChangeEvent.entities[{e}]"
            operation = _required(entity, "operation", at)
            known = operation in _OPERATIONS
            if not known:
                # A verb Intuit adds later still says "this object changed": read it again.
                operation = "Update"
            deleted = _optional(entity, ("deletedId", "deletedID"), at)
            notices.append(
                ChangeNotice(
                    realm_id=realm_id,
                    entity=_canonical(_required(entity, "name", at)),
                    entity_id=_required(entity, "id", at),
                    operation=cast(Operation, operation),
                    occurred_at=_time(entity.get("lastUpdated"), f"{at}.lastUpdated"),
                    deleted_id=deleted,
                    verb_known=known,
                )
            )
    return notices


def _cloudevent(event: Any, index: int) -> ChangeNotice:
    where = f"event[{index}]"
    kind = _required(event, "type", where)
    parts = kind.split(".")
    if len(parts) != 4 or parts[0] != "qbo" or not parts[3].startswith("v"):
        raise MalformedNotification(f"{where}.type {kind!r} is not qbo.<entity>.<verb>.v<n>")
    # A verb Intuit adds later still says "this object changed": read it again.
    operation = _VERBS.get(parts[2].lower(), "Update")
    known = parts[2].lower() in _VERBS
    data = event.get("data")
    deleted = (
        _optional(data, ("deletedid",), f"{where}.data") if isinstance(data, Mapping) else None
    )
    return ChangeNotice(
        realm_id=_required(event, "intuitaccountid", where),
        entity=_canonical(parts[1]),
        entity_id=_required(event, "intuitentityid", where),
        operation=operation,
        occurred_at=_time(event.get("time"), f"{where}.time"),
        deleted_id=deleted,
        verb_known=known,
    )


def _canonical(name: str) -> str:
    """The API's spelling of an entity name; unknown names keep theirs, first letter raised."""
    return _ENTITIES.get(name.lower(), name[:1].upper() + name[1:])


def _required(container: Any, key: str, where: str) -> str:
    if not isinstance(container, Mapping):
        raise MalformedNotification(f"{where} must be an object")
    return _text(container.get(key), f"{where}.{key}")


def _text(value: Any, where: str) -> str:
    """A notice's id, name or verb: a string, or a whole number (which `parse_notification`
    reads as its digits); else the notice is refused naming the field `where`."""
    if value is None or value == "":
        raise MalformedNotification(f"{where} is missing")
    if not isinstance(value, str):
        raise MalformedNotification(
            f"{where} must be a string or a whole number, not {_json_kind(value)}"
        )
    return _short_text(value, where)


def _json_kind(value: Any) -> str:
    """What a JSON value is, in a word or two (never the value: it may be huge)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, float):
        return "a number with a fraction or an exponent"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _optional(container: Mapping[str, Any], keys: tuple[str, ...], where: str) -> str | None:
    """The first of `keys` present (an id: a string or a whole number), or None."""
    value = next((container[k] for k in keys if container.get(k) is not None), None)
    if value is None:
        return None
    return _text(value, f"{where}.{keys[0]}")


def _short_text(value: str, where: str) -> str:
    """An id, a name or a verb of a notice: one line of text, at most `MAX_NOTICE_TEXT`
    characters (QuickBooks' own are short); else the notice is refused, naming the field,
    before anything is stored (PostgreSQL cannot keep NUL or a lone surrogate)."""
    why = text.refused(value)
    if why is not None:
        raise MalformedNotification(f"{where} {why}")
    if len(value) > MAX_NOTICE_TEXT:
        raise MalformedNotification(
            f"{where} is {len(value):,} characters long: at most {MAX_NOTICE_TEXT} are taken"
        )
    return value


def _mapping(container: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = container.get(key)
    if not isinstance(value, Mapping):
        raise MalformedNotification(f"{where}.{key} must be an object")
    return value


def _time(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time (``-0700`` offsets and ``Z`` included); None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedNotification(f"{where} must be a string")
    if len(value) > MAX_TIME_TEXT:  # refused without quoting it back whole
        raise MalformedNotification(
            f"{where} is {len(value):,} characters long: a time takes at most {MAX_TIME_TEXT}"
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedNotification(f"{where} {value!r} is not an ISO 8601 time") from None
    if moment.utcoffset() is None:
        raise MalformedNotification(f"{where} {value!r} has no UTC offset")
    return moment
