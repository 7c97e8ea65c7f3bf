"""The `ledgerbridge` command line: in-process through `main(argv)`, and as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect

from ledgerbridge.bootstrap import build
from ledgerbridge.cli import main
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.sync_states import SyncStates
from qbo_emulator.server import free_port
from tests.child_processes import stop, wait_until
from tests.ledgerbridge.tls import shared_tls

pytestmark = pytest.mark.early("`ledgerbridge serve` and `worker` as child processes")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The process environment with ledgerbridge's settings pointing into `tmp_path`."""
    for name in list(os.environ):
        if name.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path))
    yield {"LEDGERBRIDGE_DATA_DIR": str(tmp_path)}


def _authenticate(env: dict[str, str], secret: str) -> str | None:
    ledger = build(load_settings(env))
    try:
        return Service(ledger).authenticate(secret)
    finally:
        ledger.db.dispose()


def test_keys_create_prints_the_secret_last(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "create", "--name", "billing app"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n")
    lines = out.splitlines()
    secret = lines[-1]
    assert secret.startswith("lbk_")
    key_id = _authenticate(env, secret)
    assert key_id is not None
    assert key_id in out
    assert _authenticate(env, secret + "x") is None


def test_migrate_makes_a_fresh_sqlite_database(
    env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = tmp_path / "fresh" / "lb.db"
    database.parent.mkdir()
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", f"sqlite:///{database}")
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    engine = create_engine(f"sqlite:///{database}")
    try:
        assert {"api_keys", "connections", "records"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://db.example/ledger", "LEDGERBRIDGE_DATABASE_URL"),
        ("sqlite:////nonexistent-dir/ledgerbridge.db", "unable to open database file"),
        ("sqlite+aiosqlite:///x.db", "unsupported database URL"),
    ],
)
def test_a_bad_database_url_is_one_line_and_no_traceback(
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    says: str,
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", url)
    for argv in (["migrate"], ["keys", "create", "--name", "x"]):
        assert main(argv) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("ledgerbridge: error: ")
        assert says in lines[0]


def test_usage_errors_exit_2(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out
    assert main(["keys", "create"]) == 2
    assert "--name" in capsys.readouterr().err
    assert main(["keys", "create", "--name", " "]) == 2
    assert main(["serve", "--port", "0"]) == 2
    assert main(["--help"]) == 0


def _process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge.cli", *args],
            env={**clean, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def test_serve_answers_with_keys_made_by_the_cli(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "create", "--name", "app"]) == 0
    secret = capsys.readouterr().out.splitlines()[-1]
    port = free_port()
    log = tmp_path / "serve.log"
    process = _process(["serve", "--port", str(port), "--log-level", "warning"], env, log)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/v1/health", timeout=1, verify=shared_tls()).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, process, "the API answered", log.read_text)
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {secret}"}, verify=shared_tls()
        ) as http:
            assert http.get("/v1/connections").json() == []
            assert http.get("/v1/connections", headers={"Authorization": "Bearer x"}).is_error
    finally:
        code = stop(process, signal.SIGINT)
    assert code == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_worker_runs_until_terminated(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    process = _process(["worker"], env, log)
    try:
        wait_until(
            lambda: "worker running" in log.read_text(),
            process,
            "the worker started",
            log.read_text,
        )
    finally:
        code = stop(process, signal.SIGTERM)
    assert code == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def _shop_with_a_customer(env: dict[str, str]) -> str:
    """A connection (not connected) holding customer c-1; returns its id."""
    ledger = build(load_settings(env))
    try:
        ledger.db.migrate()
        service = Service(ledger)
        key_id, _ = service.create_key("app")
        connection = service.create_connection(key_id, "Shop", "emulator")
        service.put_record(key_id, connection.id, "customer", "c-1", {"display_name": "Acme"})
    finally:
        ledger.db.dispose()
    return connection.id


def test_resolve_runs_an_action_and_says_why_one_is_refused(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    connection_id = _shop_with_a_customer(env)
    assert main(["resolve", connection_id, "customer", "c-1", "bypass", "--actor", "ann"]) == 0
    out = capsys.readouterr().out
    assert "customer c-1 is now bypassed" in out
    assert "actions: undo_bypass" in out

    assert main(["resolve", connection_id, "customer", "c-1", "shorten"]) == 1
    err = capsys.readouterr().err
    assert "shorten refused: shorten does not apply to this record" in err

    assert main(["resolve", connection_id, "customer", "c-1", "undo_bypass", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "pending"
    assert result["result"]["action"] == "undo_bypass"

    assert main(["resolve", connection_id, "customer", "nope", "retry"]) == 1
    assert "customer nope was not found" in capsys.readouterr().err
    assert main(["resolve", connection_id, "customer", "c-1", "retry", "-p", "oops"]) == 2

    ledger = build(load_settings(env))
    try:
        with ledger.db.session(readonly=True) as session:
            audit = Audit(session).of(connection_id, record_type="customer", record_id="c-1")
    finally:
        ledger.db.dispose()
    assert [(a.actor, a.action) for a in reversed(audit)][:1] == [("ann", "bypass")]
    assert audit[0].before is not None and audit[0].before["status"] == "bypassed"
    assert audit[0].after is not None and audit[0].after["status"] == "pending"


def test_an_action_refused_half_way_is_audited_with_its_reason(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    connection_id = _shop_with_a_customer(env)
    ledger = build(load_settings(env))
    try:
        with ledger.db.session() as session:  # a write to QuickBooks not yet settled
            SyncStates(session).start_write(
                connection_id, "customer", "c-1", "req-1", "create", {"DisplayName": "Acme"}
            )
    finally:
        ledger.db.dispose()

    assert main(["resolve", connection_id, "customer", "c-1", "bypass", "--actor", "ann"]) == 1
    assert "still being settled" in capsys.readouterr().err

    ledger = build(load_settings(env))
    try:
        with ledger.db.session(readonly=True) as session:
            (entry,) = Audit(session).of(connection_id, record_type="customer", record_id="c-1")
            state = SyncStates(session).get(connection_id, "customer", "c-1")
    finally:
        ledger.db.dispose()
    assert (entry.actor, entry.action) == ("ann", "bypass")
    assert entry.before is not None and entry.before["status"] == "pending"
    assert entry.after is not None and "still being settled" in entry.after["refused"]
    assert state is not None and state.status == "pending"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--poll-every", "inf"),
        ("--poll-every", "0"),
        ("--heartbeat-every", "nan"),
        ("--heartbeat-every", "-1"),
        ("--stalled-after", "1e400"),
    ],
)
def test_a_worker_with_an_impossible_timing_is_refused_naming_the_option(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    assert main(["worker", f"{option}={value}"]) != 0
    assert option in capsys.readouterr().err
