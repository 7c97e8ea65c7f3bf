"""The engine pushes an app's records into the emulator over real HTTP, once each, in order."""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.engine.pull import pull_company
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.tls import shared_tls


def put(world: World, record_type: str, app_id: str, **data: object) -> None:
    world.service.put_record(world.key_id, world.connection_id, record_type, app_id, data)


def test_connect_and_pull_fill_the_mirror(world: World) -> None:
    view = world.service.connection(world.key_id, world.connection_id)
    assert view.status == "active"
    assert view.realm_id == world.realm_id
    report = pull_company(world.ledger, world.connection_id)
    assert report.full and report.objects > 50  # chart of accounts, tax codes, terms...
    assert (
        world.service.connection(world.key_id, world.connection_id).company_name == "Sync Test Co"
    )


def test_records_reach_quickbooks_once_in_dependency_order(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"check": "2"}}
    )
    # children first in the app's order: the engine still creates parents first
    put(
        world,
        "invoice",
        "inv-1",
        customer_id="prop-1",
        date="2026-11-02",
        number="5001",
        lines=[{"item_id": "svc", "quantity": "2", "unit_price": "62.50"}],
    )
    put(world, "customer", "prop-1", display_name="12 Oak St", kind="property", parent_id="cust-1")
    put(world, "customer", "cust-1", first_name="Ann", last_name="Lee", email="ann@example.com")
    put(world, "item", "svc", name="Service Call", unit_price="62.50", income_account="Services")
    put(
        world,
        "payment",
        "pay-1",
        customer_id="prop-1",
        date="2026-11-03",
        amount="125.00",
        method="check",
        reference="1001",
        applied_to=[{"invoice_id": "inv-1", "amount": "125.00"}],
    )

    report = world.sync()
    assert report.stopped is None, report
    assert report.failed == 0, world.service.records(world.key_id, world.connection_id).items

    customers = {c["DisplayName"]: c for c in world.entities("Customer")}
    assert set(customers) == {"Ann Lee", "12 Oak St"}
    assert customers["12 Oak St"]["ParentRef"]["value"] == customers["Ann Lee"]["Id"]
    invoices = world.entities("Invoice")
    assert len(invoices) == 1
    assert invoices[0]["DocNumber"] == "5001"
    assert Decimal(str(invoices[0]["TotalAmt"])) == Decimal("125.00")
    assert Decimal(str(invoices[0]["Balance"])) == Decimal("0")
    assert len(world.entities("Payment")) == 1

    for record_type, app_id in [("customer", "cust-1"), ("invoice", "inv-1"), ("payment", "pay-1")]:
        view = world.service.record(world.key_id, world.connection_id, record_type, app_id)
        assert view.status == "synced", view
        assert view.quickbooks_id

    # a second pass changes nothing and creates nothing
    again = world.sync()
    assert again.created == 0
    assert len(world.entities("Invoice")) == 1


def test_an_edit_becomes_a_sparse_update(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "c", display_name="Bo Diaz", email="bo@example.com")
    world.sync()
    put(world, "customer", "c", display_name="Bo Diaz", email="bo.diaz@example.com")
    report = world.sync()
    assert report.updated == 1
    (customer,) = world.entities("Customer")
    assert customer["PrimaryEmailAddr"]["Address"] == "bo.diaz@example.com"
    assert customer["SyncToken"] == "1"


def test_a_customer_that_already_exists_is_linked_not_duplicated(world: World) -> None:
    # someone created the customer in QuickBooks before the first sync
    existing = httpx_post_customer(
        world, {"DisplayName": "Cara Moss", "PrimaryEmailAddr": {"Address": "cara@example.com"}}
    )
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@example.com")
    report = world.sync()
    assert report.linked == 1
    assert len(world.entities("Customer")) == 1
    view = world.service.record(world.key_id, world.connection_id, "customer", "cara")
    assert view.quickbooks_id == existing["Id"]


def test_a_name_held_by_a_vendor_is_explained(world: World) -> None:
    httpx_post(world, "vendor", {"DisplayName": "Maria Delgado"})
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "maria", display_name="Maria Delgado")
    world.sync()
    view = world.service.record(world.key_id, world.connection_id, "customer", "maria")
    assert view.status == "error"
    assert view.problem is not None
    assert view.problem.code == "customer.name_used_by_other_type"
    assert "differentiate" in view.problem.actions
    assert world.entities("Customer") == []


def test_a_failed_parent_blocks_its_children_until_it_syncs(world: World) -> None:
    httpx_post(world, "vendor", {"DisplayName": "Top Co"})
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "top", display_name="Top Co")
    put(world, "customer", "child", display_name="1 Elm", kind="property", parent_id="top")
    world.sync()
    child = world.service.record(world.key_id, world.connection_id, "customer", "child")
    assert child.status == "blocked"
    assert child.blocked_by == ("customer", "top")
    put(world, "customer", "top", display_name="Top Co (customer)")
    world.sync()
    child = world.service.record(world.key_id, world.connection_id, "customer", "child")
    assert child.status == "synced"


def httpx_post(world: World, entity: str, body: dict[str, object]) -> dict[str, object]:
    """A change made by a person in QuickBooks: through the API with our own app's tokens."""
    import httpx

    tokens = world.admin(
        "POST",
        f"/companies/{world.realm_id}/connect",
        {"client_id": world.ledger.app("emulator").client_id},
    )
    response = httpx.post(
        f"{world.emulator.url}/v3/company/{world.realm_id}/{entity}",
        json=body,
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=10,
        verify=shared_tls(),
    )
    response.raise_for_status()
    result: dict[str, object] = response.json()[entity.capitalize()]
    return result


def httpx_post_customer(world: World, body: dict[str, object]) -> dict[str, object]:
    return httpx_post(world, "customer", body)


def test_an_edit_in_quickbooks_meanwhile_is_kept_and_ours_reapplied(world: World) -> None:
    """5010: someone changed the customer in QuickBooks after our last push; the engine
    re-reads it and re-applies only the field the app changed, keeping the person's edit."""
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "d", display_name="Dana Fox", email="dana@example.com", notes="gate 4")
    world.sync()
    (customer,) = world.entities("Customer")
    tokens = world.admin(
        "POST",
        f"/companies/{world.realm_id}/connect",
        {"client_id": world.ledger.app("emulator").client_id},
    )
    import httpx

    httpx.post(
        f"{world.emulator.url}/v3/company/{world.realm_id}/customer",
        json={
            "Id": customer["Id"],
            "SyncToken": customer["SyncToken"],
            "sparse": True,
            "PrimaryPhone": {"FreeFormNumber": "916-555-0100"},
        },
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=10,
        verify=shared_tls(),
    ).raise_for_status()
    put(world, "customer", "d", display_name="Dana Fox", email="dana@example.com", notes="gate 7")
    report = world.sync()
    assert report.updated == 1 and report.failed == 0
    (after,) = world.entities("Customer")
    assert after["Notes"] == "gate 7"  # ours, re-applied
    assert after["PrimaryPhone"]["FreeFormNumber"] == "916-555-0100"  # theirs, kept
    assert after["SyncToken"] == "2"
    view = world.service.record(world.key_id, world.connection_id, "customer", "d")
    assert view.status == "synced"
    assert any(h["kind"] == "stale_reapplied" for h in view.history)
