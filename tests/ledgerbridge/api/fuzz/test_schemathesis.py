"""No input makes a server error, and every answer is one the OpenAPI document describes.

Schemathesis (its command line, as a person would run it) goes over every operation of /v1:
the examples, the boundary values of every parameter (coverage), generated requests valid and
invalid (fuzzing) and sequences that follow the document's links (stateful). The API is served
by uvicorn with a real key and a connection connected to the emulator, on SQLite and on
PostgreSQL; every check schemathesis has runs (its default; `schemathesis.toml` beside this
file says where one does not apply, and why). The run must end with no failure at all: no 5xx,
no status, content type, header or body that the document does not describe, nothing the
schema allows refused, nothing it forbids taken.

Sized for `make test` (about a minute a database); `LEDGERBRIDGE_FUZZ_EXAMPLES` and
`LEDGERBRIDGE_FUZZ_SEED` run it longer or otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.bootstrap import build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer, free_port
from tests.ledgerbridge.api.conftest import ApiServer
from tests.ledgerbridge.engine.conftest import connect
from tests.ledgerbridge.postgres import private_schema

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("LEDGERBRIDGE_FUZZ_EXAMPLES", "40"))
SEED = int(os.environ.get("LEDGERBRIDGE_FUZZ_SEED", "13"))


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.slow),
        pytest.param("postgresql", marks=(pytest.mark.slow, pytest.mark.postgres)),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's directory, or a private schema of the PostgreSQL `test` database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledgerbridge.db'}"
        return
    with private_schema("lb_fuzz") as url:
        yield url


@pytest.mark.timeout(900)
def test_no_input_makes_a_server_error_or_breaks_the_contract(
    database_url: str, emulator: EmulatorServer, tmp_path: Path
) -> None:
    port = free_port()
    environ = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_QBO_REDIRECT_URI": f"http://127.0.0.1:{port}/v1/oauth/callback",
        "LEDGERBRIDGE_DATABASE_URL": database_url,
    }
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    service = Service(ledger, wake=lambda _: None, wake_pull=lambda _: None)
    try:
        key_id, key = service.create_key("fuzz")
        connection_id = _connected(service, key_id, emulator)
        with ApiServer(service, port) as server:
            report, output = _schemathesis(server.url, key, connection_id, tmp_path)
            documented = _documented(server.url)
    finally:
        ledger.db.dispose()

    figures = (
        f"{report['operations']['tested']} operations, "
        f"{report['test_cases']['generated']} cases, "
        f"{_server_errors(report)} server errors, {len(report['failures'])} kinds of failure"
    )
    print(f"schemathesis on {database_url.split(':')[0]}: {figures}")
    operations = report["operations"]
    assert operations["tested"] == operations["selected"] == documented, figures
    assert report["stop_reason"] == "completed", output[-5000:]
    assert report["errors"] == [], output[-20000:]
    assert report["failures"] == [], f"{figures}\n{output[-20000:]}"


def _connected(service: Service, key_id: str, emulator: EmulatorServer) -> str:
    """A connection to a new emulator company, through the OAuth dance, holding a record."""
    realm = httpx.post(
        f"{emulator.url}/_emulator/companies", json={"name": "Fuzzed Co"}, timeout=30
    ).json()["realm_id"]
    connection = service.create_connection(key_id, "Fuzzed", "emulator")
    connect(service, key_id, connection.id, realm)
    service.put_record(key_id, connection.id, "customer", "c-1", {"display_name": "Ann Lee"})
    return connection.id


def _schemathesis(
    url: str, key: str, connection_id: str, tmp_path: Path
) -> tuple[dict[str, Any], str]:
    """Run the command line; its JSON report and what it printed."""
    report_path = tmp_path / "schemathesis.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--include-path-regex",
        "^/v1/",
        "--header",
        f"Authorization: Bearer {key}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--report",
        "json",
        "--report-json-path",
        str(report_path),
        "--report-dir",
        str(tmp_path / "reports"),
    ]
    environ = {**os.environ, "LEDGERBRIDGE_FUZZ_CONNECTION": connection_id}
    done = subprocess.run(
        command,
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    output = done.stdout + done.stderr
    assert report_path.exists(), output[-5000:]
    report: dict[str, Any] = json.loads(report_path.read_text())
    return report, output


def _documented(url: str) -> int:
    """How many operations of /v1 the OpenAPI document lists (every one must be tested)."""
    spec = httpx.get(f"{url}/openapi.json", timeout=30).json()
    methods = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
    return sum(
        len(methods & set(item)) for path, item in spec["paths"].items() if path.startswith("/v1/")
    )


def _server_errors(report: dict[str, Any]) -> int:
    return sum(f["count"] for f in report["failures"] if f["code"] == "ST101")
