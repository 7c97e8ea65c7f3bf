"""`ledgerbridge demo`: the dataset generator (pure), and the demo end to end against the
emulator (a child process), up to its summary, and serving afterwards."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.bootstrap import build
from ledgerbridge.cli import main
from ledgerbridge.core import catalog
from ledgerbridge.core.records import Incoming, parse_record
from ledgerbridge.demo import cases, codes
from ledgerbridge.demo.dataset import Dataset, Size, generate
from ledgerbridge.demo.report import summarize
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.connections import Connections
from qbo_emulator.emulator import Emulator
from qbo_emulator.server import free_port

pytestmark = pytest.mark.early("the demo as a child process: about half a minute")

TODAY = dt.date(2026, 11, 21)
CLOSED = dt.date(2026, 9, 30)
SALE = cases.Sale(
    "Robert", "Kim", "robert.kim@example.com", "1030", dt.date(2026, 4, 5),
    Decimal("1692.00"), Decimal("1744.08"), dt.date(2026, 4, 20), "2008",
)  # fmt: skip


def dataset(size: Size = "small", existing: Sequence[cases.Sale] = ()) -> Dataset:
    return generate(size, today=TODAY, closed_through=CLOSED, existing=existing)


def customers(records: tuple[Incoming, ...], kind: str) -> list[Incoming]:
    return [r for r in records if r.type == "customer" and r.data.get("kind", "customer") == kind]


# --- the dataset ---------------------------------------------------------------------------------


def test_the_full_dataset_has_the_figures_of_the_issue() -> None:
    full = dataset("full")
    counts = full.counts()
    assert 290 <= len(customers(full.records, "customer")) <= 310
    assert len(customers(full.records, "property")) >= 300
    assert counts["item"] == 80
    assert counts["invoice"] == 3000
    assert counts["payment"] == 2500
    assert counts["receipt"] >= 1000 and counts["bill"] >= 800 and counts["purchase_order"] >= 300
    assert 8000 <= len(full.records) <= 9000
    ids = Counter((r.type, r.id) for r in full.records)
    assert ids.most_common(1)[0][1] == 1  # each record handed over once


def test_the_dataset_is_deterministic() -> None:
    assert dataset() == dataset()
    assert dataset("full") == dataset("full")
    later = generate("small", today=TODAY + dt.timedelta(days=1), closed_through=CLOSED)
    assert [(r.type, r.id) for r in later.records] == [(r.type, r.id) for r in dataset().records]


def test_every_record_is_valid_input_but_the_ones_refused_at_the_door() -> None:
    sizes: tuple[Size, ...] = ("small", "full")
    for size in sizes:
        data = dataset(size, existing=[SALE, SALE])
        scenario = data.scenario
        for record in (*data.records, *scenario.unsynced, *scenario.app_changes):
            parsed = parse_record(record.type, record.data)
            assert not isinstance(parsed, list), (record.id, parsed)
        refused = set()
        for record in data.refused:
            parsed = parse_record(record.type, record.data)
            assert isinstance(parsed, list)
            refused.add(parsed[0].code)
        assert refused == codes.REFUSED_CODES


def test_the_business_is_dated_in_the_open_period_but_the_deliberate_cases() -> None:
    data = dataset("full")
    closed = {
        r.id for r in data.records if "date" in r.data and r.data["date"] <= CLOSED.isoformat()
    }
    assert closed == {"inv-x-closed-1", "inv-x-closed-2", "inv-x-closed-3", "pay-x-closed"}


def test_names_clash_with_the_demo_company_only_on_purpose() -> None:
    company = Emulator().create_company("Summit Ridge Builders", preset="demo")
    taken = {
        str(row.get("DisplayName") or row.get("Name"))
        for entity in ("Customer", "Vendor", "Employee", "Item")
        for row in company.tables[entity].rows.values()
    }
    ours = set()
    for record in dataset("full").records:
        data = record.data
        first_last = f"{data.get('first_name')} {data.get('last_name')}"
        name = data.get("display_name") or data.get("name") or data.get("company_name")
        ours.add(str(name) if name else first_last)
    assert ours & taken == {
        "Maria Delgado",  # a vendor of the demo company
        "Jordan Reyes",  # its employee
        "Emily Carter",  # a customer of it, with another email
        "Daniel Okafor",  # a customer of it, with the same email: linked
        "Placer Lumber & Supply",  # a vendor of it, same email: linked
        "Sierra Plumbing Supply",  # a vendor of it, another email
        "Blue Heron Cafe",  # a customer of it, as the app's vendor
        "Painting",  # an item of it, without the app's SKU
        "Labor",  # an item of it: linked by name
        "Drywall Sheet",  # an item of it: linked by SKU
    }


def test_the_demo_shows_every_failure_mode_data_can_cause() -> None:
    shown = codes.EXPECTED_CODES
    assert set(catalog.codes()) - shown == set(codes.NOT_SHOWN)
    assert shown <= set(catalog.codes())
    assert dataset().expected_codes == shown - codes.FROM_EXISTING_SALES
    assert dataset(existing=[SALE, SALE]).expected_codes == shown


def test_the_scenario_changes_records_the_app_synced() -> None:
    data = dataset()
    handed = {(r.type, r.id) for r in data.records}
    for change in (*data.scenario.quickbooks_changes, *data.scenario.late_changes):
        assert (change.record_type, change.app_id) in handed, change
        assert change.other_id is None or ("customer", change.other_id) in handed
        assert change.describe()
    payment = data.scenario.unsynced[0]
    assert (payment.type, payment.id) not in handed


# --- the demo, end to end -----------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_the_small_demo_reaches_its_summary_with_every_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "demo"
    argv = ["demo", "--records", "small", "--no-serve", "--data-dir", str(data_dir)]
    assert main([*argv, "--emulator-port", str(free_port())]) == 0
    out = capsys.readouterr().out
    for text in ("Meanwhile, in QuickBooks", "Records by status", "Problems by code"):
        assert text in out
    assert "Reached the summary in" in out
    assert "customer.name_missing" in out and "invoice.no_lines" in out  # refused at the door

    ledger = build(load_settings({}, data_dir=data_dir))
    try:
        with ledger.db.session(readonly=True) as session:
            (connection,) = Connections(session).list_all()
        service = Service(ledger)
        refused = {"cus-x-nameless": "customer.name_missing", "inv-x-no-lines": "invoice.no_lines"}
        summary = summarize(service, connection.api_key_id, connection.id, refused)
    finally:
        ledger.db.dispose()
    assert summary.record_codes == codes.RECORD_CODES | codes.FROM_EXISTING_SALES
    assert summary.check_codes >= codes.CHECK_CODES
    assert set(summary.findings) >= codes.REPORT_CODES
    assert summary.codes == codes.EXPECTED_CODES
    assert summary.counts.get("pending", 0) == 0
    assert summary.counts["synced"] > 200


def _start_small_demo(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, int, int]:
    """`ledgerbridge demo --records small` as a child process on free ports, its output in
    a log file: (process, log, API port, emulator port)."""
    port, emulator_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    argv = ["demo", "--records", "small", "--data-dir", str(tmp_path / "demo")]
    argv += ["--port", str(port), "--emulator-port", str(emulator_port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge.cli", *argv],
            env={**clean, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return process, log, port, emulator_port


@pytest.mark.timeout(300)
def test_the_demo_serves_the_api_until_interrupted(tmp_path: Path) -> None:
    process, log, port, emulator_port = _start_small_demo(tmp_path)
    try:
        deadline = time.monotonic() + 240
        while "Ctrl-C stops." not in log.read_text():
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        text = log.read_text()
        key = re.search(r"API key\s+(lbk_\S+)", text)
        assert key is not None, text
        base = f"http://127.0.0.1:{port}"
        listed = httpx.get(
            f"{base}/v1/connections", headers={"Authorization": f"Bearer {key.group(1)}"}
        )
        assert listed.status_code == 200
        (connection,) = listed.json()
        assert connection["company_name"] == "Summit Ridge Builders"
        assert connection["counts"]["error"] > 0
        sign_in = re.search(r"sign in as (\S+) / (\S+)", text)
        if sign_in is not None:  # a build with the dashboard: what it prints shows the problems
            _dashboard_shows_problems(base, connection["id"], sign_in.group(1), sign_in.group(2))
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text()[-3000:]
    _no_traceback(log.read_text())
    with pytest.raises(httpx.TransportError):  # the emulator stopped with it
        httpx.get(f"http://127.0.0.1:{emulator_port}/_emulator/health", timeout=2)
    if sign_in is not None:
        from ledgerbridge.dashboard.accounts import check_password

        ledger = build(load_settings({}, data_dir=tmp_path / "demo"))
        try:
            assert check_password(ledger, sign_in.group(1), sign_in.group(2)) is not None
        finally:
            ledger.db.dispose()


def _dashboard_shows_problems(base: str, connection_id: str, email: str, password: str) -> None:
    """Sign in with the account the demo printed, as a browser would, and read the sync log
    filtered on the records that need attention (one problem at a time: the log shows the newest
    first, and the demo has more than a page of them)."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/dashboard/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        signed_in = browser.post(
            "/dashboard/login",
            data={"email": email, "password": password, "csrf_token": csrf.group(1), "next": ""},
        )
        assert signed_in.status_code in (200, 303), signed_in.text
        path = f"/dashboard/connections/{connection_id}/log"
        log = browser.get(
            path, params={"status": "error", "code": "customer.name_used_by_other_type"}
        )
        assert log.status_code == 200, log.text
        assert "This name is already taken in QuickBooks by one of its vendors" in log.text
        log = browser.get(path, params={"status": "error", "code": "payment.method_not_mapped"})
        assert "Payment method isn&#39;t matched to QuickBooks" in log.text or (
            "Payment method isn't matched to QuickBooks" in log.text
        )


def test_a_demo_stopped_half_way_stops_its_emulator_too(tmp_path: Path) -> None:
    process, log, _, emulator_port = _start_small_demo(tmp_path)
    try:
        deadline = time.monotonic() + 120
        while "Demo company" not in log.read_text():
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)  # as a service manager stops it, mid-way
        process.wait(timeout=30)
    _no_traceback(log.read_text())
    with pytest.raises(httpx.TransportError):  # no emulator left behind on its port
        httpx.get(f"http://127.0.0.1:{emulator_port}/_emulator/health", timeout=2)


_NOT_PRESSED = {"bypass", "undo_bypass", "accept_deletion", "copy_details"}
"""Buttons that end a record's sync instead of fixing it: pressed once each, on one record."""


@pytest.mark.timeout(600)
def test_every_button_the_demo_offers_works_and_verify_then_agrees(tmp_path: Path) -> None:
    """A person works through every record that needs attention in the served demo, pressing
    each button its page offers (Retry included), re-reading the record before each press. No
    offered button is refused, and once the work has drained, verify finds every record that
    says synced in QuickBooks as the app has it: no mismatch at all."""
    process, log, port, _ = _start_small_demo(tmp_path)
    try:
        deadline = time.monotonic() + 240
        while "Ctrl-C stops." not in log.read_text():
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        key = re.search(r"API key\s+(lbk_\S+)", log.read_text())
        assert key is not None
        auth = {"Authorization": f"Bearer {key.group(1)}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=120) as api:
            (connection,) = api.get("/v1/connections").json()
            base = f"/v1/connections/{connection['id']}"
            first = api.post(f"{base}/verify").json()
            assert first["stopped"] is None and first["mismatches"] == [], first
            assert first["confirmed"] > 0  # the problems the demo shows, QuickBooks bears out

            pressed, refused = _press_every_button(api, base)
            assert not refused, "\n".join(refused)
            assert {"retry", "differentiate", "reactivate", "recreate", "renumber"} <= set(pressed)

            _drained(api, base)
            report = api.post(f"{base}/verify").json()
            assert report["stopped"] is None
            assert report["mismatches"] == [], report["mismatches"]
            assert report["agreed"] > first["agreed"]  # the fixes took
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    _no_traceback(log.read_text())


def _failing(api: httpx.Client, base: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for status in ("error", "blocked"):
        cursor = None
        while True:
            params = {"status": status, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = api.get(f"{base}/records", params=params).json()
            found += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return found


def _press_every_button(api: httpx.Client, base: str) -> tuple[Counter[str], list[str]]:
    pressed: Counter[str] = Counter()
    refused: list[str] = []
    ended = False
    for listed in _failing(api, base):
        path = f"{base}/records/{listed['type']}/{listed['id']}"
        for action in api.get(path).json()["actions"]:
            current = api.get(path).json()
            if action not in current["actions"] or current["status"] not in ("error", "blocked"):
                continue  # an earlier button settled it (or the worker is sending it now)
            if action in _NOT_PRESSED and (ended or action != "bypass"):
                continue
            params: dict[str, Any] = {}
            if action == "link":
                problem = current.get("problem") or {}
                # as the record page: the object a problem names is suggested only when
                # linking to it is one of the problem's fixes
                suggested = (problem.get("params") or {}).get("quickbooks_id")
                if not suggested or "link" not in problem.get("actions", ()):
                    continue  # the page asks for an id to type: nothing to press
                params = {"quickbooks_id": suggested}
            answer = api.post(f"{path}/actions/{action}", json=params)
            pressed[action] += 1
            if answer.status_code == 409:
                refused.append(f"{listed['type']} {listed['id']} {action}: {answer.text}")
            else:
                assert answer.status_code == 200, answer.text
            if action == "bypass":
                ended = True
                undone = api.post(f"{path}/actions/undo_bypass", json={})
                assert undone.status_code == 200, (path, answer.text, undone.text)
    return pressed, refused


def _drained(api: httpx.Client, base: str) -> None:
    """The served demo's worker has sent everything the buttons queued."""
    deadline = time.monotonic() + 180
    while api.get(base).json()["counts"].get("pending", 0):
        assert time.monotonic() < deadline, api.get(f"{base}/records?status=pending").json()
        time.sleep(0.5)


def _no_traceback(text: str) -> None:
    """The demo's log holds no traceback; when it does, the failure shows it whole."""
    at = text.find("Traceback")
    assert at < 0, text[max(0, at - 600) : at + 4000]
