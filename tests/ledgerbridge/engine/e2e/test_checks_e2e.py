"""Setup checks against the emulator: made after the first pull, then daily or on demand.

Numbers, books closing date and tax settings are set in QuickBooks the way a person would (API
calls with a person's tokens, or the admin API where the API cannot); the checklist is read
back as the app sees it, and the numbering start is applied.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from ledgerbridge.engine.checks import (
    after_pull,
    apply_numbering_start,
    refresh_numbering,
    run_checks,
    stored_checks,
)
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Connections
from tests.ledgerbridge.engine.conftest import World, connect


def put(world: World, record_type: str, app_id: str, cid: str | None = None, **data: Any) -> None:
    world.service.put_record(world.key_id, cid or world.connection_id, record_type, app_id, data)


def checklist(world: World, cid: str | None = None) -> dict[str, dict[str, Any]]:
    stored = stored_checks(world.ledger, cid or world.connection_id)
    assert stored is not None
    return {check["id"]: check for check in stored["checks"]}


def events(world: World, kind: str, cid: str | None = None) -> list[dict[str, Any]]:
    found = world.service.events(world.key_id, cid or world.connection_id, limit=1000)
    return [e["payload"] for e in found if e["type"] == kind]


def as_a_person(world: World, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """A change made in QuickBooks by a person (through the API with their own tokens)."""
    tokens = world.admin(
        "POST",
        f"/companies/{world.realm_id}/connect",
        {"client_id": world.ledger.app("emulator").client_id},
    )
    response = httpx.post(
        f"{world.emulator.url}/v3/company/{world.realm_id}/{entity.lower()}",
        json=body,
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=10,
    )
    response.raise_for_status()
    created: dict[str, Any] = response.json()[entity]
    return created


def set_preferences(world: World, preferences: dict[str, Any]) -> None:
    world.admin("PATCH", f"/companies/{world.realm_id}", {"preferences": preferences})


def demo_connection(world: World) -> str:
    """A second connection of the test's key, to a company with the demo's books."""
    realm = world.admin("POST", "/companies", {"name": "Summit Ridge", "preset": "demo"})[
        "realm_id"
    ]
    connection = world.service.create_connection(world.key_id, "Demo", "emulator")
    connect(world.service, world.key_id, connection.id, realm)
    return connection.id


def test_the_first_pull_makes_the_checklist(world: World) -> None:
    assert stored_checks(world.ledger, world.connection_id) is None
    pull_company(world.ledger, world.connection_id)

    stored = stored_checks(world.ledger, world.connection_id)
    assert stored is not None and stored["checked_at"]
    assert stored["status"] == "ok"
    checks = {check["id"]: check for check in stored["checks"]}
    assert list(checks) == ["numbering", "tax", "closed_books", "mappings"]
    for check in checks.values():
        assert set(check) == {"id", "title", "status", "summary", "details", "code", "actions"}
        assert check["status"] == "ok" and check["summary"].endswith(".")
    assert checks["tax"]["details"]["automated_sales_tax"] is True
    assert checks["closed_books"]["details"]["closing_date"] is None
    assert events(world, "connection.checks") == []  # nothing to tell: all fine

    # a later pull (change data capture) within a day does not check again
    pull_company(world.ledger, world.connection_id)
    again = stored_checks(world.ledger, world.connection_id)
    assert again is not None and again["checked_at"] == stored["checked_at"]


def test_two_pulls_ending_together_make_one_checklist(world: World) -> None:
    """A worker's first pull and a person's refresh both read in full; the one ending second
    finds a checklist made after it began and makes none (the race a workers' run showed)."""
    began = world.ledger.clock()
    pull_company(world.ledger, world.connection_id)
    first = stored_checks(world.ledger, world.connection_id)
    assert first is not None
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None
    after_pull(world.ledger, connection, full=True, started=began)  # the other pull ends
    again = stored_checks(world.ledger, world.connection_id)
    assert again is not None and again["checked_at"] == first["checked_at"]
    # a pull that began after the checklist was made checks again, being a full one
    after_pull(world.ledger, connection, full=True, started=world.ledger.clock())
    later = stored_checks(world.ledger, world.connection_id)
    assert later is not None and later["checked_at"] > first["checked_at"]


def test_checks_run_again_when_the_last_is_a_day_old(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    long_ago = world.ledger.clock() - timedelta(hours=25)
    with world.ledger.db.session() as session:
        Connections(session).set_checks(world.connection_id, {"status": "ok"}, long_ago)
    pull_company(world.ledger, world.connection_id)
    stored = stored_checks(world.ledger, world.connection_id)
    assert stored is not None and len(stored["checks"]) == 4
    with world.ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(world.connection_id)
    assert connection is not None and connection.checks_at is not None
    assert connection.checks_at > long_ago + timedelta(hours=1)


def test_demo_numbers_overlap_and_the_start_is_applied(world: World) -> None:
    cid = demo_connection(world)
    for number in ("1001", "1002", "1003"):
        put(
            world,
            "invoice",
            f"inv-{number}",
            cid,
            number=number,
            customer_id="c1",
            date=world.ledger.clock().date().isoformat(),
            lines=[{"description": "Service call", "quantity": "1", "unit_price": "90.00"}],
        )
    report = pull_company(world.ledger, cid)
    assert report.full

    numbering = checklist(world, cid)["numbering"]
    assert numbering["status"] == "warning"
    assert numbering["code"] == "invoice.number_sequence_overlap"
    assert numbering["actions"] == ["apply_numbering_start"]
    assert "1251" in numbering["summary"]
    invoice = numbering["details"]["invoice"]
    assert invoice["overlapping"] == {"count": 3, "examples": ["1001", "1002", "1003"]}
    assert invoice["ahead"]["count"] == 247  # the demo's 1004..1250
    assert invoice["highest_in_quickbooks"] == "1250"
    assert numbering["details"]["suggested_start"] == "1251"
    assert numbering["details"]["quickbooks_refuses_duplicates"] is True
    assert numbering["details"]["purchase_order"]["suggested_start"] == "PO-1002"
    (told,) = events(world, "connection.checks", cid)
    assert {"id": "numbering", "status": "warning", "previous": None} in told["changed"]

    applied = apply_numbering_start(world.ledger, cid, "office@example.com")
    assert applied["number"] == 1251 and applied["next_number"] == "1251"
    assert events(world, "connection.numbering_start_applied", cid) == [
        {"number": 1251, "next_number": "1251"}
    ]
    view = world.service.connection(world.key_id, cid)
    assert view.settings["number_start"] == 1251
    with world.ledger.db.session(readonly=True) as session:
        (audit,) = Audit(session).of(cid)
    assert (audit.actor, audit.action) == ("office@example.com", "apply_numbering_start")
    assert audit.before == {"number_start": None} and audit.after == {"number_start": 1251}

    numbering = checklist(world, cid)["numbering"]
    assert numbering["status"] == "ok", numbering
    assert numbering["details"]["invoice"]["resolved"]["count"] == 3
    assert numbering["details"]["invoice"]["overlapping"]["count"] == 0
    assert "1251" in numbering["summary"]
    assert events(world, "connection.checks", cid)[-1]["changed"] == [
        {"id": "numbering", "status": "ok", "previous": "warning"}
    ]

    # the app continues from there: its new invoice goes through with its own number
    put(
        world,
        "invoice",
        "inv-1251",
        cid,
        number="1251",
        customer_id="c1",
        date=world.ledger.clock().date().isoformat(),
        lines=[{"description": "Service call", "quantity": "1", "unit_price": "90.00"}],
    )
    assert checklist(world, cid)["numbering"]["status"] == "ok"
    assert run_checks(world.ledger, cid).get("numbering").status == "ok"  # type: ignore[union-attr]


def test_numbers_a_person_typed_in_quickbooks_under_a_prefix(world: World) -> None:
    world.service.update_settings(
        world.key_id, world.connection_id, {"numbering": "prefix", "number_prefix": "FS-"}
    )
    set_preferences(world, {"SalesFormsPrefs": {"CustomTxnNumbers": True}})
    pull_company(world.ledger, world.connection_id)
    customer = as_a_person(world, "Customer", {"DisplayName": "Walk-in"})
    accounts = {a["Name"]: a["Id"] for a in world.entities("Account")}
    item = as_a_person(
        world,
        "Item",
        {"Name": "Labor", "Type": "Service", "IncomeAccountRef": {"value": accounts["Services"]}},
    )
    for number in ("FS-0098", "FS-0099", "7000"):  # "7000": another sequence, not the app's
        as_a_person(
            world,
            "Invoice",
            {
                "DocNumber": number,
                "CustomerRef": {"value": customer["Id"]},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": 50,
                        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1},
                    }
                ],
            },
        )
    put(
        world,
        "invoice",
        "a",
        number="0099",
        customer_id="c1",
        date=world.ledger.clock().date().isoformat(),
        lines=[{"description": "x", "quantity": "1", "unit_price": "1.00"}],
    )
    pull_company(world.ledger, world.connection_id)
    run_checks(world.ledger, world.connection_id)

    numbering = checklist(world)["numbering"]
    assert numbering["status"] == "warning"
    details = numbering["details"]
    assert details["invoice"]["overlapping"]["examples"] == ["0099"]
    assert details["invoice"]["highest_in_quickbooks"] == "FS-0099"
    assert details["suggested_start"] == "0100"  # in the app's terms, zero padding kept
    applied = apply_numbering_start(world.ledger, world.connection_id, "office")
    assert (applied["number"], applied["next_number"]) == (100, "0100")
    assert checklist(world)["numbering"]["status"] == "ok"


def test_numbering_by_quickbooks_cannot_clash(world: World) -> None:
    cid = demo_connection(world)
    world.service.update_settings(world.key_id, cid, {"numbering": "quickbooks"})
    put(
        world,
        "invoice",
        "i",
        cid,
        number="1001",
        customer_id="c",
        date=world.ledger.clock().date().isoformat(),
        lines=[{"description": "x", "quantity": "1", "unit_price": "1.00"}],
    )
    pull_company(world.ledger, cid)
    numbering = checklist(world, cid)["numbering"]
    assert numbering["status"] == "ok" and numbering["actions"] == []
    assert numbering["code"] is None


def test_closed_books_count_the_waiting_records_and_follow_the_policy(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    set_preferences(world, {"AccountingInfoPrefs": {"BookCloseDate": "2025-12-31"}})
    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"cash": "1"}}
    )
    put(world, "customer", "c", display_name="Lee Ortiz")
    put(
        world,
        "invoice",
        "old",
        customer_id="c",
        date="2025-12-15",
        lines=[{"description": "x", "quantity": "1", "unit_price": "10.00"}],
    )
    put(world, "payment", "p-old", customer_id="c", date="2025-12-31", amount="5.00", method="cash")
    put(world, "payment", "p-new", customer_id="c", date="2026-01-01", amount="5.00", method="cash")
    pull_company(world.ledger, world.connection_id)  # change data capture: the new preferences
    run_checks(world.ledger, world.connection_id)

    closed = checklist(world)["closed_books"]
    assert closed["status"] == "warning", closed
    assert closed["code"] == "invoice.closed_period"
    assert closed["details"]["closing_date"] == "2025-12-31"
    assert closed["details"]["first_open_day"] == "2026-01-01"
    waiting = closed["details"]["waiting_in_closed_period"]
    assert waiting["count"] == 2
    assert [e["id"] for e in waiting["examples"]] == ["old", "p-old"]

    world.service.update_settings(
        world.key_id, world.connection_id, {"closed_periods": "move_to_open_day"}
    )
    run_checks(world.ledger, world.connection_id)
    closed = checklist(world)["closed_books"]
    assert closed["status"] == "ok" and "2026-01-01" in closed["summary"]

    world.service.update_settings(world.key_id, world.connection_id, {"closed_periods": "error"})
    world.sync()  # the two are refused: stopped now
    run_checks(world.ledger, world.connection_id)
    closed = checklist(world)["closed_books"]
    assert closed["status"] == "error", closed
    assert closed["details"]["stopped"] == 2
    assert "stopped" in closed["summary"]
    told = events(world, "connection.checks")
    assert told[-1]["changed"] == [{"id": "closed_books", "status": "error", "previous": "ok"}]


def test_tax_mode_and_mappings(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "c", display_name="Ann Lee")
    put(world, "item", "svc", name="Service", income_account="Consulting Fees")
    put(
        world,
        "invoice",
        "i",
        customer_id="c",
        date=world.ledger.clock().date().isoformat(),
        tax_rate_id="placer",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "10.00", "class": "Roofing"}],
    )
    put(world, "payment", "p", customer_id="c", date="2026-01-01", amount="5.00", method="Check")
    run_checks(world.ledger, world.connection_id)
    checks = checklist(world)

    tax = checks["tax"]
    assert tax["status"] == "warning" and tax["code"] == "tax.rate_not_mapped"
    assert tax["details"]["automated_sales_tax"] is True
    assert tax["details"]["line_codes"] == "TAX/NON"
    assert tax["details"]["not_mapped"] == ["placer"]
    assert "automatically" in tax["summary"]

    mappings = checks["mappings"]
    assert mappings["status"] == "warning"
    missing = {(m["section"], m["value"]): m for m in mappings["details"]["missing"]}
    assert set(missing) == {
        ("tax_rates", "placer"),
        ("payment_methods", "Check"),
        ("accounts", "Consulting Fees"),
        ("classes", "Roofing"),
    }
    assert missing[("payment_methods", "Check")]["suggestion"]["name"] == "Check"
    assert missing[("accounts", "Consulting Fees")]["examples"] == [{"type": "item", "id": "svc"}]

    # tax codes chosen by the company, everything mapped (or named in QuickBooks)
    set_preferences(world, {"TaxPrefs": {"PartnerTaxEnabled": False, "UsingSalesTax": True}})
    codes = {c["Name"]: c["Id"] for c in world.entities("TaxCode")}
    methods = {m["Name"]: m["Id"] for m in world.entities("PaymentMethod")}
    world.service.set_mappings(
        world.key_id,
        world.connection_id,
        {
            "tax_rates": {"placer": codes["Placer County"]},
            "payment_methods": {"Check": methods["Check"]},
            "accounts": {"Consulting Fees": "1"},
        },
    )
    as_a_person(world, "Class", {"Name": "Roofing"})
    pull_company(world.ledger, world.connection_id)
    run_checks(world.ledger, world.connection_id)
    checks = checklist(world)
    assert checks["tax"]["status"] == "ok", checks["tax"]
    assert checks["tax"]["details"]["automated_sales_tax"] is False
    assert checks["tax"]["details"]["tax_rates"][0]["state"] == "mapped"
    assert checks["mappings"]["status"] == "ok", checks["mappings"]


@pytest.mark.parametrize("number", [None, 40])
def test_applying_needs_a_number_when_quickbooks_has_none(world: World, number: int | None) -> None:
    pull_company(world.ledger, world.connection_id)
    if number is None:
        with pytest.raises(ValueError):
            apply_numbering_start(world.ledger, world.connection_id, "office")
        return
    applied = apply_numbering_start(world.ledger, world.connection_id, "office", number)
    assert applied["number"] == 40 and applied["next_number"] == "40"


def test_the_numbering_check_is_made_again_from_the_current_numbers(world: World) -> None:
    """What the Setup page does on a visit (`refresh_numbering`): a number the app no longer
    uses stops counting as a clash at once, and the start proposed is above the highest number
    in either system (the app's 4244 here, QuickBooks' 1250)."""
    cid = demo_connection(world)
    day = world.ledger.clock().date().isoformat()
    lines = [{"description": "Service call", "quantity": "1", "unit_price": "90.00"}]
    for number in ("1001", "1002", "4244"):
        put(
            world,
            "invoice",
            f"inv-{number}",
            cid,
            number=number,
            customer_id="c1",
            date=day,
            lines=lines,
        )
    pull_company(world.ledger, cid)
    numbering = checklist(world, cid)["numbering"]
    assert numbering["details"]["invoice"]["overlapping"]["examples"] == ["1001", "1002"]
    assert numbering["details"]["suggested_start"] == "4245"
    assert "4245" in numbering["summary"]
    others = [c for c in checklist(world, cid).values() if c["id"] != "numbering"]

    # the app renumbers two of its invoices; nothing is pulled, nobody presses Check again
    put(world, "invoice", "inv-1001", cid, number="4245", customer_id="c1", date=day, lines=lines)
    put(world, "invoice", "inv-1002", cid, number="4246", customer_id="c1", date=day, lines=lines)
    assert refresh_numbering(world.ledger, cid) is True
    numbering = checklist(world, cid)["numbering"]
    assert numbering["details"]["invoice"]["overlapping"]["count"] == 0
    assert numbering["details"]["suggested_start"] == "4247"
    assert [c for c in checklist(world, cid).values() if c["id"] != "numbering"] == others
    # a connection not connected yet has no checklist (world.connection_id is no such one: with
    # workers running, their first pull of it makes the checklist at any moment)
    unconnected = world.service.create_connection(world.key_id, "Not connected", "emulator")
    assert refresh_numbering(world.ledger, unconnected.id) is False
