"""The embedded dispatcher syncs by itself after a record arrives."""

from __future__ import annotations

import time

from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from tests.ledgerbridge.engine.conftest import World


def test_a_put_record_is_synced_without_anyone_asking(world: World) -> None:
    dispatcher = InProcessDispatcher(world.ledger, poll=0.05)
    world.service.wake = dispatcher.wake
    world.service.wake_pull = dispatcher.wake_pull
    dispatcher.start()
    try:
        world.service.put_record(
            world.key_id, world.connection_id, "customer", "c1", {"display_name": "Dee Park"}
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            view = world.service.record(world.key_id, world.connection_id, "customer", "c1")
            if view.status == "synced":
                break
            time.sleep(0.05)
        assert view.status == "synced", view
        assert [c["DisplayName"] for c in world.entities("Customer")] == ["Dee Park"]
    finally:
        dispatcher.stop()
