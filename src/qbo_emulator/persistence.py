"""Saving and loading the emulator's state (`--state FILE`): companies, apps and tokens.

The file is JSON, written atomically (temporary file, then rename) by a background thread shortly
after changes, and once more at shutdown. Money is stored as numbers and read back as `Decimal`.
Indexes, payment links and number counters are rebuilt on load, never stored.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from qbo_emulator.emulator import Emulator
from qbo_emulator.model.store import (
    Company,
    Deleted,
    ScriptedFault,
    StoredFile,
    StoredResponse,
    Throttle,
)
from qbo_emulator.oauth import OAuthServer
from qbo_emulator.operations import money_default
from qbo_emulator.rules.transactions import numeric, payment_links

FORMAT_VERSION = 1
log = logging.getLogger(__name__)


def snapshot(emulator: Emulator) -> bytes:
    with emulator.lock:
        state = {
            "version": FORMAT_VERSION,
            "oauth": emulator.oauth.to_dict(),
            "companies": [_company_json(c) for c in emulator.companies.values()],
        }
        return orjson.dumps(state, default=money_default)


def _company_json(company: Company) -> dict[str, Any]:
    return {
        "realm_id": company.realm_id,
        "name": company.name,
        "created_at": company.created_at.isoformat(),
        "subscription_status": company.subscription_status,
        "clock": company.clock.isoformat() if company.clock else None,
        "clock_set_at": company.clock_set_at.isoformat() if company.clock_set_at else None,
        "throttle": company.throttle.to_json(),
        "faults": [f.to_json() for f in company.faults],
        "replays": {k: [v.status, v.body.decode()] for k, v in company.replays.items()},
        "files": {
            k: [base64.b64encode(f.content).decode("ascii"), f.content_type, f.token]
            for k, f in company.files.items()
        },
        "tables": {
            name: {
                "next_id": table.next_id,
                "rows": list(table.rows.values()),
                "updated_at": {k: v.isoformat() for k, v in table.updated_at.items()},
                "deleted": [[d.id, d.at.isoformat()] for d in table.deleted.values()],
                "voided": sorted(table.voided),
                "deposited": sorted(table.deposited),
            }
            for name, table in company.tables.items()
            if len(table) or table.deleted or table.next_id > 1
        },
    }


def restore(emulator: Emulator, raw: bytes) -> None:
    """The emulator's state becomes the `snapshot` given, in place (a running server's routes
    serve it): its companies, apps and tokens, and nothing counted against the limits yet."""
    state = json.loads(raw, parse_float=Decimal)
    if state.get("version") != FORMAT_VERSION:
        raise ValueError(f"state file version {state.get('version')} is not {FORMAT_VERSION}")
    with emulator.lock:
        companies = {}
        for data in state["companies"]:
            company = _company_from_json(data)
            companies[company.realm_id] = company
        oauth = OAuthServer.from_dict(
            state["oauth"],
            emulator,
            now=emulator.oauth_clock,
            refresh_token_policy=emulator.oauth.refresh_token_policy,
            refresh_token_max_life=emulator.oauth.refresh_token_max_life,
        )
        for realm_id in {*emulator.companies, *companies}:
            emulator.limiter.forget(realm_id)
        emulator.companies = companies
        emulator.oauth.take_state(oauth)


def _company_from_json(data: Mapping[str, Any]) -> Company:
    company = Company(
        realm_id=data["realm_id"],
        name=data["name"],
        created_at=datetime.fromisoformat(data["created_at"]),
        subscription_status=data["subscription_status"],
        clock=datetime.fromisoformat(data["clock"]) if data.get("clock") else None,
        clock_set_at=(
            datetime.fromisoformat(data["clock_set_at"]) if data.get("clock_set_at") else None
        ),
        throttle=_throttle(data["throttle"]),
    )
    for fault in data.get("faults", []):
        action = fault["action"]
        company.faults.append(
            ScriptedFault(
                id=fault["id"],
                method=fault["match"].get("method"),
                entity=fault["match"].get("entity"),
                operation=fault["match"].get("operation"),
                times=fault["times"],
                status=action.get("status"),
                code=action.get("code"),
                drop_after_commit=bool(action.get("drop_after_commit")),
                latency_ms=int(action.get("latency_ms") or 0),
                hits=fault.get("hits", 0),
                probability=float(fault.get("probability", 1.0)),
                seed=fault.get("seed"),
                retry_after=action.get("retry_after"),
                in_batch=bool(fault["match"].get("in_batch")),
                writes=fault["match"].get("writes"),
            )
        )
    company.replays = {
        key: StoredResponse(int(status), body.encode())
        for key, (status, body) in data.get("replays", {}).items()
    }
    company.files = {
        key: StoredFile(base64.b64decode(content), content_type, token)
        for key, (content, content_type, token) in data.get("files", {}).items()
    }
    for name, saved in data["tables"].items():
        table = company.table(name)
        updated = {k: datetime.fromisoformat(v) for k, v in saved["updated_at"].items()}
        for row in saved["rows"]:
            table.put(row, updated.get(row["Id"], company.created_at))
        table.next_id = int(saved["next_id"])
        table.deleted = {
            entity_id: Deleted(entity_id, datetime.fromisoformat(at))
            for entity_id, at in saved["deleted"]
        }
        table.voided = set(saved["voided"])
        table.deposited = set(saved["deposited"])
    _rebuild_derived(company)
    return company


def _rebuild_derived(company: Company) -> None:
    for payer in ("Payment", "BillPayment"):
        for row in company.table(payer):
            for key, amount in payment_links(row).items():
                company.applied.setdefault(key, {})[f"{payer}:{row['Id']}"] = amount
    for name, table in company.tables.items():
        for row in table:
            number = numeric(str(row.get("DocNumber") or ""))
            if number is not None and number > company.doc_counters.get(name, 0):
                company.doc_counters[name] = number


def load(emulator: Emulator, path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    restore(emulator, path.read_bytes())
    return True


def save(emulator: Emulator, path: Path) -> None:
    data = snapshot(emulator)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class Autosaver:
    """Saves the state at most every `interval` seconds while it changes, and at `stop`."""

    def __init__(self, emulator: Emulator, path: Path, interval: float = 1.0) -> None:
        self._emulator = emulator
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._saved_at = -1
        self._saved_oauth = b""
        self._thread = threading.Thread(target=self._run, name="qbo-emulator-autosave", daemon=True)

    def start(self) -> None:
        # Nothing is assumed to be on disk yet: what was made before the start (the `demo`
        # command's company and app, say) is saved by the first round, and at the latest by
        # `stop`.
        self._thread.start()

    def _oauth_state(self) -> bytes:
        return orjson.dumps(self._emulator.oauth.to_dict(), default=money_default)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._save_if_changed()

    def _save_if_changed(self) -> None:
        changes = self._emulator.changes
        oauth = self._oauth_state()
        if changes != self._saved_at or oauth != self._saved_oauth:
            try:
                save(self._emulator, self._path)
                self._saved_at = changes
                self._saved_oauth = oauth
            except OSError:
                log.exception("could not save the emulator state to %s", self._path)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._save_if_changed()


__all__ = ["Autosaver", "load", "restore", "save", "snapshot"]


def _throttle(data: dict[str, Any]) -> Throttle:
    """The saved limits (a window's length is read back as a Decimal, like every number)."""
    fields = dict(data)
    if "window_seconds" in fields:
        fields["window_seconds"] = float(fields["window_seconds"])
    return Throttle(**fields)
