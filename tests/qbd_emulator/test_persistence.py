"""The state file: a company file and a Web Connector written and read back whole, and
`qbd-emulator serve --state` keeping a customer across two processes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import ENTITY_FAMILIES, Company, Lock
from qbd_emulator.persistence import dump, load, save
from qbd_emulator.webconnector.simulator import WebConnector
from tests.qbd_emulator.helpers import customer_add, invoice_add, one, send


def test_a_round_trip_keeps_everything(
    tmp_path: Path, emulator: Emulator, company: Company
) -> None:
    invoice = one(emulator, company, invoice_add("Okafor, Dan")).find("InvoiceRet")
    send(emulator, company, customer_add("Kept"))
    company.closing_date = date(2026, 1, 31)
    company.locks[invoice.findtext("TxnID")] = Lock(invoice.findtext("TxnID"), 3176, 2)
    emulator.add_connector(
        WebConnector(
            emulator,
            url="https://localhost/qbwc",
            username="u",
            password="p",
            company_id=company.id,
            connector_id="wc",
        )
    )
    path = tmp_path / "state.json"
    save(emulator, path)
    again = Emulator()
    load(again, path)
    assert dump(again) == json.loads(path.read_text())
    copy = again.company(company.id)
    assert copy.counts() == company.counts()
    assert copy.closing_date == date(2026, 1, 31)
    assert again.connectors["wc"].owner_id == emulator.connectors["wc"].owner_id
    # identities go on where they stopped: no ListID, TxnID or EditSequence is handed out twice
    made = one(again, copy, customer_add("After")).find("CustomerRet")
    names = [r.id for family in ENTITY_FAMILIES for r in company.family(family).values()]
    assert made.findtext("ListID") not in names
    assert int(made.findtext("EditSequence")) > company.last_sequence
    assert one(again, copy, customer_add("Kept")).get("statusCode") == "3100"
