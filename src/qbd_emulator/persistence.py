"""The emulator's state in a JSON file (`qbd-emulator serve --state FILE`): company files with
their records, counters, faults, locks and settings, and the Web Connectors' settings. Session
logs, iterators and one-off controls (lost answers, a halt) are not kept.

The file is written when the server stops (and by `save`), atomically; `load` reads it at start.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company, Fault, Lock, Record
from qbd_emulator.webconnector.simulator import WebConnector

VERSION = 1


def _record(record: Record) -> dict[str, Any]:
    return {
        "type": record.type,
        "data": record.data,
        "edit_sequence": record.edit_sequence,
        "created": record.created.isoformat(),
        "modified": record.modified.isoformat(),
        "voided": record.voided,
    }


def _read_record(raw: dict[str, Any]) -> Record:
    return Record(
        raw["type"],
        raw["data"],
        int(raw["edit_sequence"]),
        datetime.fromisoformat(raw["created"]),
        datetime.fromisoformat(raw["modified"]),
        bool(raw.get("voided", False)),
    )


def _company(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "file_path": company.file_path,
        "created": company.created.isoformat(),
        "qbxml_version": company.qbxml_version,
        "product": company.product,
        "closing_date": company.closing_date.isoformat() if company.closing_date else None,
        "clock": company.clock.isoformat() if company.clock else None,
        "clock_set_at": company.clock_set_at.isoformat() if company.clock_set_at else None,
        "lists": {f: [_record(r) for r in recs.values()] for f, recs in company.lists.items()},
        "txns": [_record(r) for r in company.txns.values()],
        "deleted": company.deleted,
        "faults": [f.to_json() for f in company.faults],
        "locks": [lock.to_json() for lock in company.locks.values()],
        "data_ext": company.data_ext,
        "counters": company.counters,
        "last_sequence": company.last_sequence,
    }


def _read_company(raw: dict[str, Any]) -> Company:
    company = Company(
        raw["id"],
        raw["name"],
        raw["file_path"],
        datetime.fromisoformat(raw["created"]),
        qbxml_version=raw["qbxml_version"],
        product=raw["product"],
    )
    company.closing_date = date.fromisoformat(raw["closing_date"]) if raw["closing_date"] else None
    company.clock = datetime.fromisoformat(raw["clock"]) if raw["clock"] else None
    company.clock_set_at = (
        datetime.fromisoformat(raw["clock_set_at"]) if raw["clock_set_at"] else None
    )
    for family, records in raw["lists"].items():
        company.lists[family] = {r.id: r for r in map(_read_record, records)}
    company.txns = {r.id: r for r in map(_read_record, raw["txns"])}
    company.deleted = list(raw["deleted"])
    company.faults = [Fault(**f) for f in raw["faults"]]
    company.locks = {lock["id"]: Lock(**lock) for lock in raw["locks"]}
    company.data_ext = dict(raw["data_ext"])
    company.counters = {str(k): int(v) for k, v in raw["counters"].items()}
    company.last_sequence = int(raw["last_sequence"])
    company.changed()
    return company


def _connector(connector: WebConnector) -> dict[str, Any]:
    return {
        "id": connector.id,
        "url": connector.url,
        "username": connector.username,
        "password": connector.password,
        "company_id": connector.company_id,
        "app_name": connector.app_name,
        "owner_id": connector.owner_id,
        "file_id": connector.file_id,
        "qbwc_version": connector.qbwc_version,
        "noop_delay": connector.noop_delay,
        "max_noops": connector.max_noops,
        "timeout": connector.timeout,
        "verify": connector.verify,
        "quickbooks": connector.quickbooks,
        "open_company_id": connector.open_company_id,
        "busy": connector.busy,
        "every_seconds": connector.every_seconds,
    }


def dump(emulator: Emulator) -> dict[str, Any]:
    with emulator.lock:
        return {
            "version": VERSION,
            "companies": [_company(c) for c in emulator.companies.values()],
            "webconnectors": [_connector(c) for c in emulator.connectors.values()],
        }


def save(emulator: Emulator, path: Path) -> None:
    text = json.dumps(dump(emulator), indent=1, sort_keys=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def load(emulator: Emulator, path: Path) -> None:
    """Read a state file into an empty emulator (no file yet: nothing to read)."""
    if not path.exists():
        return
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("version") != VERSION:
        raise ValueError(f"{path}: not a qbd-emulator state file of version {VERSION}")
    with emulator.lock:
        for item in raw["companies"]:
            company = _read_company(item)
            emulator.companies[company.id] = company
    for item in raw["webconnectors"]:
        every = item.pop("every_seconds")
        controls = {k: item.pop(k) for k in ("quickbooks", "open_company_id", "busy")}
        connector = WebConnector(emulator, connector_id=item.pop("id"), **item)
        connector.quickbooks = controls["quickbooks"]
        connector.open_company_id = controls["open_company_id"]
        connector.busy = controls["busy"]
        emulator.add_connector(connector)
        if every:
            connector.schedule(every)
