"""`ledgerbridge reconcile` lists the exceptions first (what disagrees between the app and
QuickBooks because of something done in QuickBooks, as the dashboard's reconciliation page
lists them), then the rest summarised; against a real emulator company where a person deleted
one invoice in QuickBooks."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from ledgerbridge.adapters.qbo import FixedToken, QboClient
from ledgerbridge.bootstrap import build
from ledgerbridge.cli import main
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import sync_company
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.api.test_cli_ops import _connect
from tests.ledgerbridge.tls import shared_tls


@dataclass
class Books:
    connection_id: str


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Books]:
    data_dir = tmp_path_factory.mktemp("cli-reconcile")
    with EmulatorServer() as emulator, pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("LEDGERBRIDGE_"):
                patch.delenv(name)
        patch.setenv("LEDGERBRIDGE_DATA_DIR", str(data_dir))
        patch.setenv("LEDGERBRIDGE_QBO_EMULATOR_URL", emulator.url)
        ledger = build(load_settings())
        ledger.db.migrate()
        service = Service(ledger)
        key_id, _ = service.create_key("books app")
        realm = httpx.post(
            f"{emulator.url}/_emulator/companies",
            json={"name": "Books"},
            timeout=30,
            verify=shared_tls(),
        ).json()["realm_id"]
        cid = service.create_connection(key_id, "Books", "emulator").id
        _connect(service, key_id, cid, realm)
        pull_company(ledger, cid)

        def put(record_type: str, app_id: str, **data: object) -> None:
            service.put_record(key_id, cid, record_type, app_id, data)

        put("customer", "ann", display_name="Ann Lee", email="ann@example.com")
        put("item", "svc", name="Service Call", unit_price="90.00", income_account="Services")
        for app_id, number, quantity in (("inv-1", "501", "2"), ("inv-2", "502", "1")):
            line = [{"item_id": "svc", "quantity": quantity, "unit_price": "90.00"}]
            put("invoice", app_id, customer_id="ann", date="2026-11-02", number=number, lines=line)
        sync_company(ledger, cid)
        # a person deletes invoice 502 in QuickBooks
        token = httpx.post(
            f"{emulator.url}/_emulator/companies/{realm}/connect",
            json={"client_id": ledger.app("emulator").client_id},
            timeout=30,
            verify=shared_tls(),
        ).json()["access_token"]
        client = QboClient(f"{emulator.url}/v3", realm, FixedToken(str(token)))
        try:
            (gone,) = client.query("SELECT * FROM Invoice WHERE DocNumber = '502'")
            client.delete("Invoice", gone["Id"], gone["SyncToken"], request_id="person-delete-1")
        finally:
            client.close()
        pull_company(ledger, cid)
        yield Books(cid)
        ledger.db.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    assert main(list(argv)) == code, capsys.readouterr()
    return capsys.readouterr().out


def test_the_exceptions_come_first_and_the_rest_is_summarised(
    books: Books, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(run(capsys, "reconcile", books.connection_id, "--format", "json"))
    assert [(e["kind"], e["id"]) for e in report["exceptions"]] == [("deleted", "inv-2")]

    text = run(capsys, "reconcile", books.connection_id)
    assert "Exceptions: 1 thing disagrees between the app and QuickBooks" in text
    assert "(Deleted in QuickBooks: 1)" in text
    assert text.index("Exceptions, most urgent first") < text.index("The rest, summarised")
    exceptions = text[: text.index("The rest, summarised")]
    assert "Deleted in QuickBooks" in exceptions and "inv-2" in exceptions
    assert "Invoice No. 502" in exceptions and "inv-1" not in exceptions
    rest = text[text.index("The rest, summarised") :]
    assert "1 linked invoice: app $180.00, QuickBooks $180.00" in rest
    assert "1 invoice compared, 1 agrees" in rest
    assert "1 deleted in QuickBooks" in rest and "(--all lists them)" in rest
    assert "Links" in rest and "Every finding" not in rest

    everything = run(capsys, "reconcile", books.connection_id, "--all")
    assert "Every finding" in everything and "deleted_in_quickbooks" in everything


def test_a_limit_below_one_is_refused(books: Books) -> None:
    assert main(["reconcile", books.connection_id, "--limit", "0"]) == 2


def test_data_in_a_table_is_printed_as_it_is_not_as_console_markup() -> None:
    """A name typed in the app or in QuickBooks may hold brackets: "[/b]" once crashed the
    report (rich read it as a closing tag) and "[red]" recoloured it."""
    import io

    from rich.console import Console
    from rich.table import Table

    from ledgerbridge.cli.reports import _row

    table = Table()
    table.add_column("name")
    _row(table, "Smith [/b] & [red]Sons[/red]")
    out = io.StringIO()
    Console(file=out, width=80).print(table)
    assert "Smith [/b] & [red]Sons[/red]" in out.getvalue()
