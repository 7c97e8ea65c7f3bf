"""QuickBooks' webhooks for the engine's own writes wake no pull; a person's change does.

The notifications are built with the emulator's own payload code (`qbo_emulator.webhooks`),
as it sends them: the moment of the write (its `MetaData.LastUpdatedTime` has whole seconds,
the notice's moment is within that second), in both body formats. Whether a pull was asked is
read from the dispatchers themselves: the embedded one's wanted pulls, and on PostgreSQL the
procrastinate job table; what a pull brought is checked against the emulator's export.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.dispatch.jobs import PULL_TASK, JobDispatcher, apply_job_schema
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage.connections import Connections
from qbo_emulator.webhooks.payloads import ChangeEvent, WebhookFormat, encode_body
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import Person, notify

FORMATS = ["legacy", "cloudevents"]


class Pulls:
    """The pulls asked of a dispatcher wired into the world's service: the embedded one's
    wanted set, or procrastinate's pull jobs (PostgreSQL)."""

    def __init__(self, world: World, kind: str) -> None:
        self.world, self.kind = world, kind
        if kind == "jobs":
            apply_job_schema(world.ledger)
            world.service.wake_pull = JobDispatcher(world.ledger).wake_pull
        else:
            self.dispatcher = InProcessDispatcher(world.ledger)
            world.service.wake_pull = self.dispatcher.wake_pull

    def asked(self) -> int:
        if self.kind == "jobs":
            with self.world.ledger.db.session(readonly=True) as session:
                found = session.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task"
                        " AND args->>'connection_id' = :cid"
                    ),
                    {"task": PULL_TASK, "cid": self.world.connection_id},
                ).scalar()
            return int(found or 0)
        return len(self.dispatcher._pull_wanted)

    def run(self) -> None:
        """The pull asked carried out."""
        if self.kind == "jobs":
            pull_company(self.world.ledger, self.world.connection_id)
        else:
            self.dispatcher.run_once()


@pytest.fixture(params=["inprocess", "jobs"])
def pulls(request: pytest.FixtureRequest, world: World, shape: str) -> Iterator[Pulls]:
    if request.param == "jobs" and shape != "postgresql":
        pytest.skip("procrastinate's jobs need PostgreSQL (and the scale-out shape's workers)")
    yield Pulls(world, request.param)


def _notify(world: World, fmt: str, *events: ChangeEvent) -> int:
    """The emulator's notification of `events`, signed as it signs, received by the engine;
    how many connections it woke."""
    body = encode_body(_format(fmt), events)
    token = world.ledger.app("emulator").verifier_token.value
    signature = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest())
    return world.service.receive_webhook(body, signature.decode())


def _notified_at(world: World) -> datetime | None:
    with world.ledger.db.session(readonly=True) as session:
        stored = Connections(session).get_unscoped(world.connection_id)
    assert stored is not None
    return stored.notified_at


def _format(value: str) -> WebhookFormat:
    return "cloudevents" if value == "cloudevents" else "legacy"


def _event(world: World, obj: dict[str, Any], operation: str = "Create") -> ChangeEvent:
    """QuickBooks' notice of the write that left `obj` as it is: its moment within the second
    `MetaData.LastUpdatedTime` names (the emulator's stored times drop the fraction)."""
    stamp = datetime.fromisoformat(obj["MetaData"]["LastUpdatedTime"])
    return ChangeEvent(
        realm_id=world.realm_id,
        entity="Customer",
        entity_id=str(obj["Id"]),
        operation=operation,  # type: ignore[arg-type]
        last_updated=stamp + timedelta(milliseconds=999),
    )


def _synced_customer(world: World) -> dict[str, Any]:
    world.service.put_record(
        world.key_id, world.connection_id, "customer", "c1", {"display_name": "Dee Park"}
    )
    world.sync()
    (customer,) = world.entities("Customer")
    return customer


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_echo_of_our_own_write_wakes_no_pull(world: World, pulls: Pulls, fmt: str) -> None:
    customer = _synced_customer(world)
    assert _notified_at(world) is None
    assert _notify(world, fmt, _event(world, customer)) == 0
    assert pulls.asked() == 0
    # yet it tells that the company's webhooks reach us (the jobs' sweep reads it less often)
    assert _notified_at(world) is not None
    # an update's echo as well (the engine's second write of the same object)
    world.service.put_record(
        world.key_id,
        world.connection_id,
        "customer",
        "c1",
        {"display_name": "Dee Park", "email": "dee@example.com"},
    )
    world.sync()
    (updated,) = world.entities("Customer")
    assert updated["SyncToken"] != customer["SyncToken"]
    assert _notify(world, fmt, _event(world, updated, "Update")) == 0
    assert pulls.asked() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_persons_change_after_our_write_is_pulled(world: World, pulls: Pulls, fmt: str) -> None:
    customer = _synced_customer(world)
    later = datetime.fromisoformat(customer["MetaData"]["LastUpdatedTime"]) + timedelta(seconds=5)
    world.admin("PATCH", f"/companies/{world.realm_id}", {"clock": later.isoformat()})
    try:
        edited = Person(world).update("Customer", customer["Id"], CompanyName="Park Plumbing")
    finally:
        world.admin("PATCH", f"/companies/{world.realm_id}", {"clock": None})
    # one notification: the engine's echo and the person's edit; the edit wakes the pull
    assert _notify(world, fmt, _event(world, customer), _event(world, edited, "Update")) == 1
    assert pulls.asked() == 1
    pulls.run()
    page = world.service.quickbooks_list(world.key_id, world.connection_id, "customers")
    (entry,) = [e for e in page.items if e.quickbooks_id == customer["Id"]]
    (exported,) = world.entities("Customer")
    assert entry.sync_token == exported["SyncToken"] == edited["SyncToken"]
    assert entry.record["company_name"] == exported["CompanyName"] == "Park Plumbing"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_notice_of_an_object_never_seen_is_pulled(world: World, pulls: Pulls, fmt: str) -> None:
    customer = _synced_customer(world)
    made = Person(world).create("Customer", {"DisplayName": "Walk-in Wendy"})
    assert _notify(world, fmt, _event(world, customer), _event(world, made)) == 1
    assert pulls.asked() == 1
    pulls.run()
    page = world.service.quickbooks_list(world.key_id, world.connection_id, "customers")
    assert made["Id"] in {e.quickbooks_id for e in page.items}


@pytest.mark.parametrize("operation", ["Delete", "Void", "Emailed", "Merge"])
def test_other_verbs_about_a_held_object_are_pulled(
    world: World, pulls: Pulls, operation: str
) -> None:
    customer = _synced_customer(world)
    assert _notify(world, "legacy", _event(world, customer, operation)) == 1
    assert pulls.asked() == 1


def test_a_verb_quickbooks_does_not_document_is_pulled(world: World, pulls: Pulls) -> None:
    customer = _synced_customer(world)
    stamp = customer["MetaData"]["LastUpdatedTime"]
    body = {
        "eventNotifications": [
            {
                "realmId": world.realm_id,
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Customer",
                            "id": customer["Id"],
                            "operation": "Archived",
                            "lastUpdated": stamp,
                        }
                    ]
                },
            }
        ]
    }
    assert notify(world, body) == 1
    assert pulls.asked() == 1
