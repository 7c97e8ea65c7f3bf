"""`ledgerbridge demo --desktop`: the field-service business synced into an emulated QuickBooks
Desktop company file through the emulated Web Connector (a child process polling the demo's
`/qbwc`), up to the same summary. What QuickBooks holds is read from the company file's export
the demo keeps, not from ledgerbridge's account of itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ledgerbridge.bootstrap import build
from ledgerbridge.cli import main
from ledgerbridge.demo.company_file import CompanyFileCount
from ledgerbridge.demo.desktop import EXPORT, run_desktop
from ledgerbridge.demo.run import Options
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.sync_states import SyncStates
from qbo_emulator.server import free_port

pytestmark = pytest.mark.early("the Desktop demo with its emulator child: about a minute")


def test_the_desktop_demo_syncs_the_business_into_the_company_file(tmp_path: Path) -> None:
    out = Console(record=True, width=150)
    options = Options(
        port=free_port(),
        emulator_port=free_port(),
        data_dir=tmp_path / "demo",
        records="small",
        serve=False,
    )
    outcome = run_desktop(options, out)
    text = out.export_text()
    assert "Summary" in text and "Records by status" in text and "Problems by code" in text
    assert outcome.summary is not None
    counts = outcome.summary.counts
    assert counts.get("pending", 0) == 0
    assert counts["synced"] >= 250 and sum(counts.values()) == outcome.records
    # the same failures as the Online demo's, met on the Desktop
    problems = {row[0] for row in outcome.summary.problems}
    assert {"tax.rate_not_mapped", "payment.method_not_mapped", "item.account_missing"} <= problems
    assert set(outcome.summary.refused.values()) == {"customer.name_missing", "invoice.no_lines"}

    company: dict[str, Any] = json.loads((options.data_dir / EXPORT).read_text())
    lists, transactions = company["lists"], company["transactions"]
    names = Counter(c["FullName"].lower() for c in lists["Customer"])
    assert names.most_common(1)[0][1] == 1  # every customer and job once
    # each record type's synced count is what the company file holds: its linked objects there,
    # and no object ledgerbridge added (its ExternalGUID on it) left unlinked, i.e. twice
    synced, in_file = _synced_and_held(options.data_dir, outcome.connection_id, company)
    assert synced and sum(synced.values()) == counts["synced"]
    for record_type, n in synced.items():
        assert in_file[record_type] == n, (record_type, n, in_file)
    assert in_file["unlinked"] == 0, in_file
    assert outcome.company_file is not None
    assert dict(outcome.company_file.synced) == synced
    assert outcome.company_file.disagreements == []
    said = f"{sum(synced.values())} records in QuickBooks Desktop (the company file's export)"
    assert said in " ".join(text.split()), text[-600:]
    invoices = transactions.get("Invoice", [])
    numbers = Counter(i.get("RefNumber") for i in invoices)
    assert numbers.most_common(1)[0][1] == 1  # every invoice once
    assert len(invoices) >= 90
    assert len(transactions.get("ReceivePayment", [])) >= 60
    skus = [i.get("ManufacturerPartNumber") for i in lists.get("ItemInventory", [])]
    assert any(skus)  # the SKU is the Manufacturer Part #


def _synced_and_held(
    data_dir: Path, connection_id: str, company: dict[str, Any]
) -> tuple[dict[str, int], Counter[str]]:
    """Read from the demo's own database: records synced by type, and how many of them the
    export holds (by their links' ids); "unlinked": exported objects carrying an ExternalGUID
    that no record is linked to."""
    ids = {
        str(obj.get("TxnID") or obj.get("ListID")): obj
        for part in ("lists", "transactions")
        for found in company[part].values()
        for obj in found
    }
    settings = load_settings(
        {"LEDGERBRIDGE_DATABASE_URL": f"sqlite:///{data_dir / 'ledgerbridge.db'}"},
        data_dir=data_dir,
    )
    ledger = build(settings)
    try:
        with ledger.db.session(readonly=True) as session:
            states = SyncStates(session).all(connection_id)
            links = Links(session).get_many(connection_id, [(s.type, s.app_id) for s in states])
    finally:
        ledger.db.dispose()
    synced = Counter(s.type for s in states if s.status == "synced")
    held: Counter[str] = Counter()
    for s in states:
        link = links.get((s.type, s.app_id))
        if s.status == "synced" and link is not None and link.qbo_id in ids:
            held[s.type] += 1
    linked = {link.qbo_id for link in links.values()}
    held["unlinked"] = sum(
        1 for ident, obj in ids.items() if obj.get("ExternalGUID") and ident not in linked
    )
    return dict(synced), held


def test_the_desktop_flag_is_on_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--help"]) == 0
    assert "--desktop" in capsys.readouterr().out


def test_the_count_says_where_the_company_file_disagrees_with_the_statuses() -> None:
    agree = CompanyFileCount({"invoice": 3, "customer": 2}, {"invoice": 3, "customer": 2})
    assert agree.total == 5 and agree.disagreements == []
    off = CompanyFileCount(
        {"invoice": 3, "customer": 2}, {"invoice": 2, "customer": 2}, {"Bill": 1}
    )
    assert off.total == 4
    assert off.disagreements == [
        "invoice: 3 synced, 2 in the company file",
        "1 Bill in the company file added by ledgerbridge and linked to no record",
    ]
