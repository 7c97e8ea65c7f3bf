"""Webhook signature and bodies: Intuit's documented samples, malformed bodies, and the
notifications the emulator actually delivers to a local endpoint in both formats."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledgerbridge.adapters.qbo.webhooks import (
    SIGNATURE_HEADER,
    ChangeNotice,
    MalformedNotification,
    parse_notification,
    verify_signature,
)
from tests.ledgerbridge.adapters.qbo.conftest import (
    Admin,
    Company,
    Receiver,
    customer,
    invoice,
    new_request_id,
    service_item,
)

LEGACY = json.dumps(
    {
        "eventNotifications": [
            {
                "realmId": "1185883450",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Customer",
                            "id": "1",
                            "operation": "Create",
                            "lastUpdated": "2015-10-05T14:42:19-0700",
                        },
                        {
                            "name": "Customer",
                            "id": "27",
                            "operation": "Merge",
                            "lastUpdated": "2015-10-05T14:45:00-0700",
                            "deletedID": "12",
                        },
                    ]
                },
            },
            {
                "realmId": "99",
                "dataChangeEvent": {
                    "entities": [{"name": "Invoice", "id": "5", "operation": "Void"}]
                },
            },
        ]
    }
).encode()

CLOUDEVENTS = json.dumps(
    [
        {
            "specversion": "1.0",
            "id": "88cd52aa-0000",
            "source": "intuit.dsnBgbse=",
            "type": "qbo.salesreceipt.updated.v1",
            "datacontenttype": "application/json",
            "time": "2025-09-10T21:31:25.179851517Z",
            "intuitentityid": "1234",
            "intuitaccountid": "310687",
        },
        {
            "specversion": "1.0",
            "id": "88cd52aa-0001",
            "source": "intuit.dsnBgbse=",
            "type": "qbo.vendor.merged.v1",
            "time": "2025-09-10T21:31:26Z",
            "intuitentityid": "7",
            "intuitaccountid": "310687",
            "data": {"deletedid": "3"},
        },
    ]
).encode()


def sign(body: bytes, token: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def test_signature() -> None:
    body = b'{"eventNotifications":[]}'
    signature = sign(body, "verifier")
    assert verify_signature(body, signature, "verifier")
    assert verify_signature(body, f" {signature}\n", "verifier")
    assert not verify_signature(body + b" ", signature, "verifier")
    assert not verify_signature(body, signature, "other")
    assert not verify_signature(body, None, "verifier")
    assert not verify_signature(body, "", "verifier")
    assert not verify_signature(body, "not base64 ✓", "verifier")
    assert not verify_signature(body, signature, "")


def test_legacy_body() -> None:
    pacific = timezone(timedelta(hours=-7))
    assert parse_notification(LEGACY) == [
        ChangeNotice(
            "1185883450",
            "Customer",
            "1",
            "Create",
            datetime(2015, 10, 5, 14, 42, 19, tzinfo=pacific),
        ),
        ChangeNotice(
            "1185883450",
            "Customer",
            "27",
            "Merge",
            datetime(2015, 10, 5, 14, 45, tzinfo=pacific),
            deleted_id="12",
        ),
        ChangeNotice("99", "Invoice", "5", "Void", None),
    ]


def test_cloudevents_body() -> None:
    receipt, merge = parse_notification(CLOUDEVENTS)
    assert receipt == ChangeNotice(
        "310687",
        "SalesReceipt",
        "1234",
        "Update",
        datetime(2025, 9, 10, 21, 31, 25, 179851, tzinfo=UTC),
    )
    assert merge.entity == "Vendor" and merge.operation == "Merge" and merge.deleted_id == "3"
    assert parse_notification(b"[]") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"something": 1}', "neither"),
        (b'{"eventNotifications": {}}', "must be a list"),
        (b'{"eventNotifications": [{"dataChangeEvent": {"entities": []}}]}', "realmId"),
        (b'{"eventNotifications": [{"realmId": "1"}]}', "dataChangeEvent"),
        (
            b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": '
            b'[{"name": "Customer", "id": "1", "operation": "Create", "lastUpdated": "soon"}]}}]}',
            "ISO 8601",
        ),
        (b'[{"type": "qbo.customer.created", "intuitaccountid": "1"}]', "qbo.<entity>"),
        (b'[{"type": "qbo.customer.created.v1", "intuitaccountid": "1"}]', "intuitentityid"),
        (b"[1]", "must be an object"),
    ],
)
def test_malformed_bodies(body: bytes, message: str) -> None:
    with pytest.raises(MalformedNotification, match=message) as exc:
        parse_notification(body)
    assert isinstance(exc.value, ValueError)


def _merge_notice(deleted: bytes, entity_id: bytes = b'"7"') -> bytes:
    return (
        b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": [{"name": '
        b'"Vendor", "id": ' + entity_id + b', "operation": "Merge", "lastUpdated": '
        b'"2026-03-02T10:00:00.000Z", "deletedId": ' + deleted + b"}]}}]}"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_merge_notice(b'"5\\u0000"'), r"entities\[0\]\.deletedId holds a NUL character"),
        (_merge_notice(b'"\\ud800"'), r"deletedId holds a lone surrogate \(U\+D800\)"),
        (_merge_notice(b'"' + b"9" * 100_000 + b'"'), "deletedId is 100,000 characters long"),
        (_merge_notice(b'{"a": 1}'), "deletedId must be a string or a whole number"),
        (_merge_notice(b"[1]"), "deletedId must be a string or a whole number"),
        (_merge_notice(b"true"), "deletedId must be a string or a whole number"),
        (_merge_notice(b"3.5"), "deletedId must be a string or a whole number"),
        (_merge_notice(b'""'), "deletedId is missing"),
        (_merge_notice(b'"5"', b'"7\\u0000"'), r"entities\[0\]\.id holds a NUL character"),
        (
            b'[{"type": "qbo.vendor.merged.v1", "intuitaccountid": "1", "intuitentityid": "7",'
            b' "data": {"deletedid": "\\ud800"}}]',
            r"event\[0\]\.data\.deletedid holds a lone surrogate",
        ),
    ],
)
def test_hostile_ids_are_refused_naming_the_field_before_anything_is_stored(
    body: bytes, message: str
) -> None:
    """A notice's ids go into the mirror (a merge's hint is keyed by the id merged away):
    one PostgreSQL cannot keep (NUL, a lone surrogate), a huge one or one of the wrong type
    is refused with the notice, naming the field (the webhook answers 400), not stored."""
    with pytest.raises(MalformedNotification, match=message):
        parse_notification(body)
    assert parse_notification(_merge_notice(b"5"))[0].deleted_id == "5"  # a number is an id


def test_a_huge_time_is_refused_without_echoing_it() -> None:
    """A 200,000-character `lastUpdated` was quoted whole in the error (and the 400 answer)."""
    body = (
        b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": [{"name": '
        b'"Customer", "id": "7", "operation": "Update", "lastUpdated": "'
        + b"9" * 200_000
        + b'"}]}}]}'
    )
    with pytest.raises(MalformedNotification, match="lastUpdated is 200,000 characters") as exc:
        parse_notification(body)
    assert len(str(exc.value)) < 300


def make_changes(company: Company, admin: Admin) -> dict[str, str]:
    """Create, update, void, delete and merge through the client and the admin API."""
    qb = company.client
    buyer = customer(qb, "Hook Buyer")
    duplicate = customer(qb, "Hook Buyer Duplicate")
    qb.update(
        "Customer", {"Id": buyer["Id"], "SyncToken": "0", "Notes": "n"}, request_id=new_request_id()
    )
    item = service_item(qb)
    voided = invoice(qb, buyer["Id"], item)
    qb.void("Invoice", voided["Id"], voided["SyncToken"], request_id=new_request_id())
    deleted = invoice(qb, buyer["Id"], item)
    qb.delete("Invoice", deleted["Id"], deleted["SyncToken"], request_id=new_request_id())
    admin.call(
        "POST",
        f"/companies/{company.realm_id}/merge",
        {"entity": "Customer", "from_id": duplicate["Id"], "into_id": buyer["Id"]},
    )
    result = admin.call("POST", "/webhooks/flush")
    assert result["flushed"] is True
    return {
        "buyer": buyer["Id"],
        "duplicate": duplicate["Id"],
        "voided": voided["Id"],
        "deleted": deleted["Id"],
        "item": item,
    }


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_notifications_the_emulator_delivers(
    fmt: str, connect: Callable[..., Company], admin: Admin, receiver: Receiver
) -> None:
    app = admin.create_app(webhook_url=receiver.url, webhook_format=fmt)
    company = connect(app=app, name=f"Hooks {fmt}")
    ids = make_changes(company, admin)

    deliveries = receiver.received()
    assert deliveries
    notices: list[ChangeNotice] = []
    for delivery in deliveries:
        signature = delivery.headers[SIGNATURE_HEADER]
        assert verify_signature(delivery.body, signature, app["verifier_token"])
        assert not verify_signature(delivery.body, signature, "someone-else")
        notices += parse_notification(delivery.body)

    assert all(n.realm_id == company.realm_id for n in notices)
    assert all(n.occurred_at is not None and n.occurred_at.utcoffset() is not None for n in notices)

    def ops(entity: str, entity_id: str) -> list[str]:
        return [n.operation for n in notices if n.entity == entity and n.entity_id == entity_id]

    assert ops("Customer", ids["duplicate"]) == ["Create"]
    assert ops("Customer", ids["buyer"])[:2] == ["Create", "Update"]
    assert ops("Customer", ids["buyer"])[-1] == "Merge"
    assert ops("Invoice", ids["voided"])[0] == "Create"
    assert ops("Invoice", ids["voided"])[-1] == "Void"
    assert ops("Invoice", ids["deleted"]) == ["Create", "Delete"]
    assert ops("Item", ids["item"]) == ["Create"]
    merge = next(n for n in notices if n.operation == "Merge")
    assert merge.deleted_id == ids["duplicate"]
    assert all(n.deleted_id is None for n in notices if n.operation != "Merge")


def test_a_verb_added_later_reads_as_an_update() -> None:
    legacy = (
        b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": '
        b'[{"name": "Customer", "id": "1", "operation": "Archive"}]}}]}'
    )
    cloud = b'[{"type": "qbo.customer.archived.v1", "intuitaccountid": "1", "intuitentityid": "2"}]'
    assert [n.operation for n in parse_notification(legacy)] == ["Update"]
    assert [n.operation for n in parse_notification(cloud)] == ["Update"]
