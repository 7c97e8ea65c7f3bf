"""A pass given a time slice stops when it is over (`yielded`), after the record at hand and
the creates queued with it: the rest stays due for the next pass, nothing is lost."""

from __future__ import annotations

from ledgerbridge.core.records import Incoming
from ledgerbridge.engine.push import sync_company
from tests.ledgerbridge.engine.conftest import World


def test_a_pass_yields_when_its_slice_is_over_and_the_next_goes_on(world: World) -> None:
    records = [Incoming("customer", f"c{n}", {"display_name": f"Sliced {n}"}) for n in range(5)]
    world.service.put_records(world.key_id, world.connection_id, records)

    first = sync_company(world.ledger, world.connection_id, slice_seconds=0.0)
    assert first.stopped == "yielded"
    assert first.created == 1
    assert len(world.entities("Customer")) == 1  # what was queued went out before yielding

    whole = sync_company(world.ledger, world.connection_id)
    assert whole.stopped is None and whole.created == 4
    names = sorted(c["DisplayName"] for c in world.entities("Customer"))
    assert names == [f"Sliced {n}" for n in range(5)]
