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

from ledgerbridge.cli import main
from ledgerbridge.demo.desktop import EXPORT, run_desktop
from ledgerbridge.demo.run import Options
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
    synced = outcome.syncs[0].counts
    assert synced["synced"] == counts["synced"]
    invoices = transactions.get("Invoice", [])
    numbers = Counter(i.get("RefNumber") for i in invoices)
    assert numbers.most_common(1)[0][1] == 1  # every invoice once
    assert len(invoices) >= 90
    assert len(transactions.get("ReceivePayment", [])) >= 60
    skus = [i.get("ManufacturerPartNumber") for i in lists.get("ItemInventory", [])]
    assert any(skus)  # the SKU is the Manufacturer Part #


def test_the_desktop_flag_is_on_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--help"]) == 0
    assert "--desktop" in capsys.readouterr().out
