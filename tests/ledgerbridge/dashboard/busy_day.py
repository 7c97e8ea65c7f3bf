"""A small company after a busy day, for the overview's tests (in-process and in a browser).

- Maria Delgado's customer record is refused: a QuickBooks vendor has her name
  (``customer.name_used_by_other_type``); her property "55 Meadowlark Ct" waits for her, and
  invoice 1002 waits for the property (a chain: both are held up by Maria's problem).
- Invoice 1003 waits for a customer the app never sent (``cus-missing``).
- Invoice 1001 (Ann Lee's) was synced, then a person deleted it in QuickBooks
  (``invoice.deleted_in_quickbooks``, seen by the pull).
- A person added the customer "Walk-in Buyer" in QuickBooks after the first pull. The
  company's clock is set ten minutes ahead first, so QuickBooks dates it clearly after the
  first pull (its time stamps have whole seconds).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view

__all__ = ["MARIA", "busy_day"]

MARIA = "Maria Delgado"


def busy_day(world: World) -> None:
    person = Person(world)
    person.create("Vendor", {"DisplayName": MARIA})
    report = pull(world)
    assert report.stopped is None, report
    put(world, "customer", "ann", display_name="Ann Lee", email="ann@example.com")
    put(world, "item", "svc", name="Service Call", unit_price="100.00", income_account="Services")
    lines = [{"item_id": "svc", "quantity": "1", "unit_price": "100.00"}]
    put(
        world, "invoice", "inv-ok", customer_id="ann", date="2026-03-02", number="1001", lines=lines
    )
    put(world, "customer", "cus-maria", display_name=MARIA, email="maria@example.com")
    put(
        world,
        "customer",
        "prop-maria",
        display_name="55 Meadowlark Ct",
        kind="property",
        parent_id="cus-maria",
    )
    put(
        world,
        "invoice",
        "inv-maria",
        customer_id="prop-maria",
        date="2026-03-03",
        number="1002",
        lines=lines,
    )
    put(
        world,
        "invoice",
        "inv-lost",
        customer_id="cus-missing",
        date="2026-03-04",
        number="1003",
        lines=lines,
    )
    sync(world)
    deleted = view(world, "invoice", "inv-ok").quickbooks_id
    assert deleted is not None, view(world, "invoice", "inv-ok")
    person.delete("Invoice", deleted)
    ahead = datetime.now(UTC) + timedelta(minutes=10)
    world.admin("PATCH", f"/companies/{world.realm_id}", {"clock": ahead.isoformat()})
    person.create("Customer", {"DisplayName": "Walk-in Buyer"})
    report = pull(world)
    assert report.stopped is None, report
    # what the tests claim, as the engine has it (the pages are checked against QuickBooks)
    assert view(world, "customer", "cus-maria").status == "error"
    assert view(world, "customer", "prop-maria").status == "blocked"
    assert view(world, "invoice", "inv-maria").status == "blocked"
    assert view(world, "invoice", "inv-lost").status == "blocked"
    assert view(world, "invoice", "inv-ok").status == "error"
