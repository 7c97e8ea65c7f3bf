"""Webhooks end to end: an app registered with a webhook URL, connected to a company through
OAuth, writes made with python-quickbooks, and the signed notifications a local receiver gets
(legacy and CloudEvents bodies, retries after failures, only connected apps)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from quickbooks import QuickBooks
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from tests.emulator.api_helpers import any_item_id, new_customer, new_invoice
from tests.emulator.conftest import Admin, Connection


@dataclass(frozen=True)
class Notification:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for handlers


class Receiver:
    """A local webhook endpoint that records every POST and can fail the next few."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.notifications: list[Notification] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 200
                    if receiver.fail_next:
                        receiver.fail_next -= 1
                        status = 500
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.notifications.append(Notification(headers, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/qbo-webhooks"

    def received(self) -> list[Notification]:
        with self.lock:
            return list(self.notifications)

    def delivered(self) -> list[Notification]:
        return [n for n in self.received() if n.answered == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        receiver = Receiver()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def flush(admin: Admin) -> None:
    response = admin.call("POST", "/webhooks/flush")
    assert response.status_code == 200
    assert response.json()["flushed"] is True, response.json()


def legacy_entities(notifications: list[Notification], realm: str) -> list[dict[str, str]]:
    entities: list[dict[str, str]] = []
    for notification in notifications:
        for entry in notification.json()["eventNotifications"]:
            if entry["realmId"] == realm:
                entities += entry["dataChangeEvent"]["entities"]
    return entities


def ops(entities: list[dict[str, str]], name: str, entity_id: str) -> list[str]:
    return [e["operation"] for e in entities if e["name"] == name and e["id"] == entity_id]


def verify_signature(notification: Notification, verifier_token: str) -> bool:
    checker = QuickBooks(minorversion=75)
    valid: bool = checker.validate_webhook_signature(
        notification.text, notification.headers["intuit-signature"], verifier_token
    )
    return valid


# --- legacy -----------------------------------------------------------------------------------


def test_legacy_notifications_for_every_kind_of_change(
    connect: Callable[..., Connection], admin: Admin, receivers: Callable[[], Receiver]
) -> None:
    receiver = receivers()
    app = admin.create_app(webhook_url=receiver.url)
    conn = connect(app=app, name="Webhook Co")

    buyer = new_customer(conn.qb, "Webhook Buyer")
    duplicate = new_customer(conn.qb, "Webhook Buyer (dup)")
    buyer.Notes = "updated"
    buyer = buyer.save(qb=conn.qb)
    item = any_item_id(conn.qb)
    voided = new_invoice(conn.qb, buyer.Id, item_id=item)
    deleted = new_invoice(conn.qb, buyer.Id, item_id=item)
    voided.void(qb=conn.qb)
    deleted.delete(qb=conn.qb)
    merged = admin.call(
        "POST",
        f"/companies/{conn.realm_id}/merge",
        {"entity": "Customer", "from_id": duplicate.Id, "into_id": buyer.Id},
    )
    assert merged.status_code == 200, merged.text
    flush(admin)

    notifications = receiver.delivered()
    assert notifications
    for notification in notifications:
        assert set(notification.json()) == {"eventNotifications"}
        assert notification.headers["content-type"] == "application/json; charset=utf-8"
        assert verify_signature(notification, app["verifier_token"])
        assert not verify_signature(notification, "some-other-verifier-token")
    entities = legacy_entities(notifications, conn.realm_id)
    for entity in entities:
        assert set(entity) <= {"name", "id", "operation", "lastUpdated", "deletedId"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", entity["lastUpdated"])

    assert ops(entities, "Customer", duplicate.Id) == ["Create"]
    buyer_ops = ops(entities, "Customer", buyer.Id)
    assert buyer_ops[:2] == ["Create", "Update"]
    assert buyer_ops[-1] == "Merge"
    assert ops(entities, "Invoice", voided.Id)[0] == "Create"
    assert ops(entities, "Invoice", voided.Id)[-1] == "Void"
    assert ops(entities, "Invoice", deleted.Id) == ["Create", "Delete"]
    merge = next(e for e in entities if e["operation"] == "Merge")
    assert merge["name"] == "Customer"
    assert merge["deletedId"] == duplicate.Id
    assert all("deletedId" not in e for e in entities if e["operation"] != "Merge")
    # Events arrive in the order they happened.
    positions = {
        (e["name"], e["id"], e["operation"]): n for n, e in reversed(list(enumerate(entities)))
    }
    assert (
        positions[("Customer", buyer.Id, "Create")]
        < positions[("Invoice", voided.Id, "Void")]
        < positions[("Invoice", deleted.Id, "Delete")]
        < positions[("Customer", buyer.Id, "Merge")]
    )
    assert Customer.get(buyer.Id, qb=conn.qb).Id == buyer.Id


def test_only_connected_apps_get_a_company_s_events(
    connect: Callable[..., Connection], admin: Admin, receivers: Callable[[], Receiver]
) -> None:
    mine, theirs, idle = receivers(), receivers(), receivers()
    my_app = admin.create_app(webhook_url=mine.url)
    their_app = admin.create_app(webhook_url=theirs.url)
    admin.create_app(webhook_url=idle.url)  # registered, never connected
    conn = connect(app=my_app, name="Mine")
    other = connect(app=their_app, name="Theirs")

    new_customer(conn.qb, "Seen By Mine")
    new_customer(other.qb, "Seen By Theirs")
    flush(admin)
    assert [e["id"] for e in legacy_entities(mine.delivered(), conn.realm_id)] == ["1"]
    assert legacy_entities(mine.delivered(), other.realm_id) == []
    assert legacy_entities(theirs.delivered(), conn.realm_id) == []
    assert len(legacy_entities(theirs.delivered(), other.realm_id)) == 1
    assert idle.received() == []

    # Once the app is disconnected, the company's changes are no longer sent to it.
    conn.auth.revoke()
    before = len(mine.received())
    writer = connect(realm_id=conn.realm_id)  # another app without a webhook
    new_customer(writer.qb, "Unseen")
    flush(admin)
    assert len(mine.received()) == before


def test_failed_deliveries_are_retried(
    connect: Callable[..., Connection], admin: Admin, receivers: Callable[[], Receiver]
) -> None:
    receiver = receivers()
    receiver.fail_next = 2
    app = admin.create_app(webhook_url=receiver.url)
    conn = connect(app=app, name="Flaky Endpoint")
    customer = new_customer(conn.qb, "Retried")
    flush(admin)

    received = receiver.received()
    assert [n.answered for n in received] == [500, 500, 200]
    assert received[0].body == received[1].body == received[2].body
    assert len({n.headers["intuit-signature"] for n in received}) == 1
    entities = legacy_entities(receiver.delivered(), conn.realm_id)
    assert ops(entities, "Customer", customer.Id) == ["Create"]

    response = admin.call("GET", f"/webhooks/deliveries?client_id={app['client_id']}")
    assert response.status_code == 200
    log = response.json()
    assert log["pending"] == 0
    attempts = log["deliveries"]
    assert [(a["attempt"], a["status"], a["delivered"]) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert all(a["url"] == receiver.url for a in attempts)
    assert attempts[0]["error"]
    assert attempts[2]["error"] is None
    assert json.loads(attempts[2]["body"]) == receiver.delivered()[0].json()


# --- CloudEvents ------------------------------------------------------------------------------


def test_cloudevents_notifications(
    connect: Callable[..., Connection], admin: Admin, receivers: Callable[[], Receiver]
) -> None:
    receiver = receivers()
    app = admin.create_app(webhook_url=receiver.url, webhook_format="cloudevents")
    assert app["webhook_format"] == "cloudevents"
    conn = connect(app=app, name="Cloud Co")
    first = new_customer(conn.qb, "Cloud One")
    second = new_customer(conn.qb, "Cloud Two")
    invoice = new_invoice(conn.qb, first.Id)
    invoice.void(qb=conn.qb)
    admin.call(
        "POST",
        f"/companies/{conn.realm_id}/merge",
        {"entity": "Customer", "from_id": second.Id, "into_id": first.Id},
    )
    flush(admin)

    events: list[dict[str, Any]] = []
    for notification in receiver.delivered():
        body = notification.json()
        assert isinstance(body, list)
        assert verify_signature(notification, app["verifier_token"])
        events += body
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids)
    for event in events:
        assert event["specversion"] == "1.0"
        assert event["datacontenttype"] == "application/json"
        assert event["intuitaccountid"] == conn.realm_id
        assert event["source"].startswith("intuit.")
        assert re.fullmatch(r"qbo\.[a-z]+\.[a-z]+\.v1", event["type"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"])
    kinds = [(e["type"], e["intuitentityid"]) for e in events]
    assert ("qbo.customer.created.v1", first.Id) in kinds
    assert ("qbo.customer.created.v1", second.Id) in kinds
    assert ("qbo.invoice.created.v1", invoice.Id) in kinds
    assert ("qbo.invoice.voided.v1", invoice.Id) in kinds
    merge = next(e for e in events if e["type"] == "qbo.customer.merged.v1")
    assert merge["intuitentityid"] == first.Id
    assert merge["data"] == {"deletedid": second.Id}
    assert Invoice.get(invoice.Id, qb=conn.qb).TotalAmt == 0
