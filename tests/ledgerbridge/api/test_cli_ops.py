"""The operator commands (`ledgerbridge.cli`) through `main(argv)`, against a connection to
a real emulator company whose records are partly synced and partly failing."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.adapters.qbo import FixedToken, QboClient
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.cli import main
from ledgerbridge.core import catalog
from ledgerbridge.engine.desktop import health
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import sync_company
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.tls import shared_tls


@dataclass
class Shop:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    key_id: str
    connection_id: str
    realm_id: str

    def put(self, record_type: str, app_id: str, **data: Any) -> None:
        self.service.put_record(self.key_id, self.connection_id, record_type, app_id, data)


def _connect(service: Service, key_id: str, connection_id: str, realm_id: str) -> None:
    consent = service.begin_connect(key_id, connection_id)
    url = consent.authorize_url
    answer = httpx.get(
        f"{url}&realm_id={realm_id}&approve=true", follow_redirects=False, verify=shared_tls()
    )
    query = parse_qs(urlparse(answer.headers["location"]).query)
    binding = consent.binding or ""
    service.complete_connect(query["state"][0], query["code"][0], query["realmId"][0], binding)


def _stock(shop: Shop) -> None:
    """Ann and her invoice synced, two customers named alike (the second failing), a payment
    in an unmapped method failing."""
    shop.put("customer", "ann", display_name="Ann Lee", email="ann@example.com")
    shop.put("item", "svc", name="Service Call", unit_price="90.00", income_account="Services")
    line = [{"item_id": "svc", "quantity": "2", "unit_price": "90.00"}]
    shop.put("invoice", "inv-1", customer_id="ann", date="2026-11-02", number="501", lines=line)
    shop.put("customer", "js-1", first_name="John", last_name="Smith")
    shop.put("customer", "js-2", first_name="John", last_name="Smith")
    shop.put(
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-11-03",
        amount="180.00",
        method="venmo",
        applied_to=[{"invoice_id": "inv-1", "amount": "180.00"}],
    )
    sync_company(shop.ledger, shop.connection_id)


def _own_company(shop: Shop, name: str) -> Shop:
    """A company of the test's own, stocked and synced like the shared one, for a test that
    writes records: the shared company stays as the fixture made it whatever ran before."""
    realm = httpx.post(
        f"{shop.emulator.url}/_emulator/companies",
        json={"name": name},
        timeout=30,
        verify=shared_tls(),
    ).json()["realm_id"]
    connection = shop.service.create_connection(shop.key_id, name, "emulator")
    _connect(shop.service, shop.key_id, connection.id, realm)
    pull_company(shop.ledger, connection.id)
    own = replace(shop, connection_id=connection.id, realm_id=realm)
    _stock(own)
    return own


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A connected company stocked by `_stock`; the CLI reads the same data directory.

    The module's tests share it, and may run in any order: xdist's worksteal appends the
    tests a worker steals after those it has run, and a stolen test of this module that
    follows one of its later tests finds this fixture still set up. So no test adds records
    to this company (one that does makes its own, `_own_company`), and a test that changes
    it puts it back."""
    data_dir = tmp_path_factory.mktemp("cli-ops")
    with EmulatorServer() as emulator, pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("LEDGERBRIDGE_"):
                patch.delenv(name)
        patch.setenv("LEDGERBRIDGE_DATA_DIR", str(data_dir))
        patch.setenv("LEDGERBRIDGE_QBO_EMULATOR_URL", emulator.url)
        ledger = build(load_settings())
        ledger.db.migrate()
        service = Service(ledger)
        key_id, _ = service.create_key("shop app")
        realm = httpx.post(
            f"{emulator.url}/_emulator/companies",
            json={"name": "CLI Shop"},
            timeout=30,
            verify=shared_tls(),
        ).json()["realm_id"]
        connection = service.create_connection(key_id, "Shop", "emulator")
        _connect(service, key_id, connection.id, realm)
        pull_company(ledger, connection.id)
        found = Shop(emulator, ledger, service, key_id, connection.id, realm)
        _stock(found)
        yield found
        ledger.db.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    assert main(list(argv)) == code, capsys.readouterr()
    return capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(capsys, *argv, "--json"))


# --- connections ----------------------------------------------------------------------------


def test_connections_list_and_show(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    listed = run_json(capsys, "connections", "list")
    mine = next(c for c in listed if c["id"] == shop.connection_id)
    assert mine["status"] == "active" and mine["api_key_id"] == shop.key_id
    assert mine["company_name"] == "CLI Shop"
    assert run_json(capsys, "connections", "list", "--key-id", "key_nobody") == []

    table = run(capsys, "connections", "list")
    assert shop.connection_id in table and "CLI Shop" in table and "active" in table

    shown = run_json(capsys, "connections", "show", shop.connection_id)
    assert shown["counts"]["synced"] == 4  # js-1 keeps the name John Smith; js-2 asks
    assert shown["problems"] == {"customer.duplicate_in_app": 1, "payment.method_not_mapped": 1}
    text = run(capsys, "connections", "show", shop.connection_id)
    assert "customer.duplicate_in_app" in text and "needs attention (error)" in text
    assert "last webhook from QuickBooks none yet" in text
    assert shown["webhooks_seen_at"] is None


def test_connections_show_says_the_connections_own_problem(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Desktop connection whose Web Connector reported QuickBooks closed: the problem, in
    the catalog's words with its fix steps (QuickBooks' own text kept as it is)."""
    made = run_json(
        capsys, "connections", "create", "--name", "PC", "--key-id", shop.key_id,
        "--environment", "desktop",
    )  # fmt: skip
    with shop.ledger.db.session() as session:
        health.record(
            session,
            shop.ledger.clock,
            made["id"],
            catalog.CONNECTION_QUICKBOOKS_CLOSED,
            {"message": "Could not start [QuickBooks]."},
        )
    text = run(capsys, "connections", "show", made["id"])
    assert "problem connection.quickbooks_closed: QuickBooks Desktop is not open on the PC" in text
    assert 'QuickBooks said: "Could not start [QuickBooks]."' in text
    assert "1. On the computer where QuickBooks Desktop is installed" in text
    assert run_json(capsys, "connections", "show", made["id"])["problem"]["code"] == (
        "connection.quickbooks_closed"
    )


def test_a_connection_made_connected_and_disconnected_from_the_command_line(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    made = run_json(capsys, "connections", "create", "--name", "Second", "--key-id", shop.key_id)
    assert made["status"] == "not_connected" and made["environment"] == "emulator"
    url = run_json(capsys, "connections", "connect-url", made["id"])["url"]
    assert "/v1/oauth/start?state=" in url  # a link through the server, which binds the browser
    text = run(capsys, "connections", "connect-url", made["id"])
    assert "approve=true" in text  # the emulator's shortcut is named
    url = text.splitlines()[0]  # a new link: the one before is no longer valid
    first = parse_qs(urlparse(url).query)["state"][0]
    assert shop.service.bind_connect(parse_qs(urlparse(url).query)["state"][0] + "x") is None

    realm = httpx.post(
        f"{shop.emulator.url}/_emulator/companies", json={"name": "Two"}, verify=shared_tls()
    ).json()
    opened = shop.service.bind_connect(first)  # what /v1/oauth/start does for the browser
    assert opened is not None and opened.binding
    answer = httpx.get(
        f"{opened.authorize_url}&realm_id={realm['realm_id']}&approve=true", verify=shared_tls()
    )
    query = parse_qs(urlparse(answer.headers["location"]).query)
    shop.service.complete_connect(
        query["state"][0], query["code"][0], query["realmId"][0], opened.binding
    )
    assert run_json(capsys, "connections", "show", made["id"])["status"] == "active"

    assert "is now disconnected" in run(capsys, "connections", "disconnect", made["id"])
    assert run_json(capsys, "connections", "show", made["id"])["status"] == "disconnected"
    argv = ["connections", "create", "--name", "x", "--key-id", shop.key_id, "--environment"]
    assert main([*argv, "moon"]) == 1
    assert "environment must be one of emulator, sandbox, production" in capsys.readouterr().err


def test_an_unknown_connection_is_one_line_and_exit_1(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["connections", "show", "con_nope"], ["log", "con_nope"], ["plan", "con_nope"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.strip() == "ledgerbridge: error: no connection con_nope"


# --- sync, pull -------------------------------------------------------------------------------


def test_sync_runs_a_pass_now_and_queues_a_bulk_resync(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    own = _own_company(shop, "Sync Shop")  # Bo and the queued records stay out of `shop`
    own.put("customer", "bo", display_name="Bo Diaz", email="bo@example.com")
    report = run_json(capsys, "sync", own.connection_id)["sync"]
    assert report["created"] == 1 and report["stopped"] is None
    assert report["counts"]["synced"] == 5
    names = [c["DisplayName"] for c in _entities(own, "Customer")]
    assert names.count("Bo Diaz") == 1

    queued = run_json(capsys, "sync", own.connection_id, "--status", "error", "--queue")
    assert queued == {"queued": 2, "left": []}  # the second John Smith and the payment
    text = run(capsys, "sync", own.connection_id, "--type", "customer", "--id", "ann")
    assert "1 records are due again" in text
    assert "synced" in text and "needs attention (error)" in text
    assert main(["sync", own.connection_id, "--status", "lost"]) == 2


def test_sync_with_a_selection_pushes_held_records(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    """auto_push leaves vendors out: `sync` leaves a vendor held; `sync --type vendor` is the
    push request that sends it."""
    realm = httpx.post(
        f"{shop.emulator.url}/_emulator/companies", json={"name": "Held"}, verify=shared_tls()
    ).json()
    connection = shop.service.create_connection(
        shop.key_id, "Held", "emulator", {"auto_push": ["invoice"]}
    )
    _connect(shop.service, shop.key_id, connection.id, realm["realm_id"])
    shop.service.put_record(
        shop.key_id, connection.id, "vendor", "v-1", {"display_name": "Pipe Supply Co"}
    )
    assert run_json(capsys, "sync", connection.id)["sync"]["created"] == 0
    view = shop.service.record(shop.key_id, connection.id, "vendor", "v-1")
    assert (view.status, view.held) == ("pending", True)

    text = run(capsys, "sync", connection.id, "--type", "vendor")
    assert "1 records are due again" in text and "1 created" in text
    view = shop.service.record(shop.key_id, connection.id, "vendor", "v-1")
    assert (view.status, view.held) == ("synced", False)
    exported = httpx.get(
        f"{shop.emulator.url}/_emulator/companies/{realm['realm_id']}/export", verify=shared_tls()
    ).json()
    assert [v["DisplayName"] for v in exported["entities"]["Vendor"]] == ["Pipe Supply Co"]


# --- the sync log -----------------------------------------------------------------------------


def test_log_filters_like_the_dashboard_and_pages(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = run_json(capsys, "log", shop.connection_id, "--status", "error")
    assert {(r["type"], r["id"]) for r in failing["items"]} == {
        ("customer", "js-2"),
        ("payment", "pay-1"),
    }
    assert all("history" not in r for r in failing["items"])
    by_code = run_json(capsys, "log", shop.connection_id, "--code", "payment.method_not_mapped")
    assert [r["id"] for r in by_code["items"]] == ["pay-1"]
    invoices = run_json(capsys, "log", shop.connection_id, "--type", "invoice", "--q", "501")
    assert [r["quickbooks_number"] for r in invoices["items"]] == ["501"]

    first = run_json(capsys, "log", shop.connection_id, "--limit", "2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = run_json(capsys, "log", shop.connection_id, "--cursor", first["next_cursor"])
    seen = [r["id"] for r in first["items"] + rest["items"]]
    assert len(seen) == len(set(seen)) >= 6

    table = run(capsys, "log", shop.connection_id, "--status", "error", "--limit", "1")
    assert "customer.duplicate_in_app" in table and "More: --cursor" in table
    assert main(["log", shop.connection_id, "--code", "no.such_code"]) == 2
    assert main(["log", shop.connection_id, "--cursor", "garbage"]) == 2


def test_pull_reads_quickbooks_now(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    pulled = run_json(capsys, "pull", shop.connection_id)
    assert pulled["stopped"] is None and pulled["full"] is False
    assert set(pulled["drift"]) == {"flagged", "cleared", "merged", "bypassed"}
    assert "Pulled" in run(capsys, "pull", shop.connection_id)


def test_pull_and_verify_say_until_when_the_company_waits_for_quickbooks(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    """A company waiting for QuickBooks' limits (a 429's Retry-After) is not read: the
    operator is told until when, not only "throttled"."""
    until = shop.ledger.clock() + timedelta(minutes=5)
    with shop.ledger.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE connections SET wait_until = :at WHERE id = :id"),
            {"at": until, "id": shop.connection_id},
        )
    try:
        moment = until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        for argv in (("pull", shop.connection_id), ("verify", shop.connection_id)):
            assert main(list(argv)) == 1
            said = capsys.readouterr().err
            assert f"wait until {moment}" in said and "QuickBooks was not read" in said, said
    finally:  # the module's other tests read the company
        with shop.ledger.db.engine.begin() as connection:
            connection.execute(
                text("UPDATE connections SET wait_until = NULL WHERE id = :id"),
                {"id": shop.connection_id},
            )


# --- reports ----------------------------------------------------------------------------------


def test_reconcile_as_a_table_csv_and_json(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(run(capsys, "reconcile", shop.connection_id, "--format", "json"))
    assert report["totals"]["invoices"] == 1
    assert report["totals"]["app_total"] == "180.00"
    assert report["links"]["invoice"]["linked"] == 1

    table = run(capsys, "reconcile", shop.connection_id)
    assert "1 linked invoice:" in table and "Links" in table

    text = run(capsys, "reconcile", shop.connection_id, "--format", "csv")
    assert list(csv.DictReader(io.StringIO(text))) == []  # nothing differs: the header alone
    header = run(capsys, "reconcile", shop.connection_id, "--format", "csv").splitlines()[0]
    assert header.startswith("section,type,id,number,quickbooks_id,code")
    assert main(["reconcile", shop.connection_id, "--format", "xml"]) == 2


def test_verify_reads_quickbooks_and_lists_what_disagrees(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = run_json(capsys, "verify", shop.connection_id)
    assert clean["mismatches"] == [] and clean["stopped"] is None
    assert clean["agreed"] == clean["checked"] - clean["not_synced"] - clean["confirmed"] >= 4
    assert "0 mismatches" in run(capsys, "verify", shop.connection_id)

    client = QboClient(f"{shop.emulator.url}/v3", shop.realm_id, FixedToken(_person_token(shop)))
    try:
        (ann,) = client.query("SELECT * FROM Customer WHERE DisplayName = 'Ann Lee'")
        edit = {"Id": ann["Id"], "SyncToken": ann["SyncToken"], "sparse": True}
        changed = client.update(
            "Customer",
            {**edit, "PrimaryEmailAddr": {"Address": "ann@typo.example"}},
            request_id="verify-1",
            sparse=True,
        )
        table = run(capsys, "verify", shop.connection_id, "--no-flag", code=1)
        assert "Said synced, but QuickBooks disagrees" in table
        assert "customer ann" in table and "ann@example.com" in table
        assert "ann@typo.example" in table and "1 mismatches" in table
        assert shop.service.record(shop.key_id, shop.connection_id, "customer", "ann").status == (
            "synced"  # --no-flag: reported only
        )
    finally:  # the module's other tests see Ann as she was
        back = {**edit, "SyncToken": changed["SyncToken"]}
        client.update(
            "Customer",
            {**back, "PrimaryEmailAddr": {"Address": "ann@example.com"}},
            request_id="verify-2",
            sparse=True,
        )
        client.close()
    assert run_json(capsys, "verify", shop.connection_id)["mismatches"] == []


def _person_token(shop: Shop) -> str:
    tokens = httpx.post(
        f"{shop.emulator.url}/_emulator/companies/{shop.realm_id}/connect",
        json={"client_id": shop.ledger.app("emulator").client_id},
        timeout=30,
        verify=shared_tls(),
    ).json()
    return str(tokens["access_token"])


def test_checks_and_the_dry_run(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    checklist = run_json(capsys, "checks", shop.connection_id, "--run")
    assert {c["id"] for c in checklist["checks"]} == {
        "numbering",
        "tax",
        "closed_books",
        "mappings",
    }
    mappings = next(c for c in checklist["checks"] if c["id"] == "mappings")
    assert mappings["status"] == "error" and "venmo" in mappings["summary"]
    assert "Setup checklist" in run(capsys, "checks", shop.connection_id)

    own = _own_company(shop, "Plan Shop")  # Cy, left pending, stays out of `shop`
    own.put("customer", "cy", display_name="Cy Park", email="cy@example.com")
    dry = run_json(capsys, "plan", own.connection_id)
    steps = {(r["type"], r["id"]): r["step"] for r in dry["records"]}
    assert steps[("customer", "cy")] == "create"
    assert steps[("payment", "pay-1")] == "refuse"
    assert dry["counts"]["create"] == 1
    table = run(capsys, "plan", own.connection_id, "--limit", "1")
    assert "What a sync would do" in table and "more" in table
    assert not any(c["DisplayName"] == "Cy Park" for c in _entities(own, "Customer"))


# --- the emulator -----------------------------------------------------------------------------


def test_emulator_is_the_qbo_emulator_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    out = capsys.readouterr().out
    assert "qbo-emulator" in out and "serve" in out and "demo" in out
    assert main(["emulator", "fly"]) == 2


def _entities(shop: Shop, entity: str) -> list[dict[str, Any]]:
    exported = httpx.get(
        f"{shop.emulator.url}/_emulator/companies/{shop.realm_id}/export",
        timeout=30,
        verify=shared_tls(),
    ).json()
    rows: list[dict[str, Any]] = exported["entities"].get(entity, [])
    return rows


def test_keys_are_listed_without_secrets_and_revoked(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "create", "--name", "spare", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["name"] == "spare" and made["key"].startswith("lbk_")
    assert shop.service.authenticate(made["key"]) == made["id"]

    assert main(["keys", "list", "--json"]) == 0
    listed = {key["id"]: key for key in json.loads(capsys.readouterr().out)}
    assert listed[shop.key_id]["connections"] >= 1
    assert listed[made["id"]]["revoked_at"] is None
    assert not any("lbk_" in json.dumps(key) for key in listed.values())

    assert main(["keys", "rotate", made["id"], "--json"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["id"] == made["id"] and rotated["key"] != made["key"]
    assert shop.service.authenticate(made["key"]) is None
    assert shop.service.authenticate(rotated["key"]) == made["id"]
    made = {**made, "key": rotated["key"]}

    assert main(["keys", "revoke", made["id"]]) == 0
    assert shop.service.authenticate(made["key"]) is None
    assert main(["keys", "revoke", made["id"]]) == 1
    assert f"there is no live API key {made['id']}" in capsys.readouterr().err
    assert main(["keys", "rotate", made["id"]]) == 1
    assert main(["keys", "list"]) == 0
    table = capsys.readouterr().out
    assert "spare" in table and shop.key_id in table
