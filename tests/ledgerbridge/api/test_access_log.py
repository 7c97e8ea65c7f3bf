"""`ledgerbridge serve`'s logs never show a sign-in's code or state (issue 13, failure 5).

The server runs as an operator runs it, in its own process with its own logging set-up; a
company is connected through it (the connect redirect, Intuit's consent, the callback), a
script's link is opened, and a forged callback is tried; then everything the process wrote is
searched for the codes and states it was given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from qbo_emulator.server import EmulatorServer, free_port
from tests.child_processes import stop, wait_until
from tests.ledgerbridge.tls import shared_tls

pytestmark = pytest.mark.early("`ledgerbridge serve` as a child process")

CLI = [sys.executable, "-c", "from ledgerbridge.cli import main; raise SystemExit(main())"]


# the server's URL, the file its output goes to, its environment, and its process
Served = tuple[str, Path, dict[str, str], subprocess.Popen[bytes]]


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=2, verify=shared_tls()).status_code < 500
    except httpx.TransportError:
        return False


@pytest.fixture
def served(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Served]:
    port = free_port()
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path / "data"),
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("LEDGERBRIDGE_DATABASE_URL", None)
    output = tmp_path / "server.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: _answers(url), process, "ledgerbridge serve answered", output.read_text
            )
            yield url, output, env, process
        finally:
            stop(process)


def test_no_code_or_state_reaches_the_servers_log(served: Served, emulator: EmulatorServer) -> None:
    url, output, env, process = served
    made = subprocess.run(
        [*CLI, "keys", "create", "--name", "log test", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(made.stdout.strip().splitlines()[-1])["key"]
    realm = httpx.post(
        f"{emulator.url}/_emulator/companies", json={"name": "Logged"}, verify=shared_tls()
    ).json()
    secrets: list[str] = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, verify=shared_tls()
    ) as browser:
        cid = browser.post("/v1/connections", json={"name": "L", "environment": "emulator"}).json()[
            "id"
        ]
        authorize = browser.get(f"/v1/connections/{cid}/connect").headers["location"]
        consent = httpx.get(
            f"{authorize}&realm_id={realm['realm_id']}&approve=true", verify=shared_tls()
        )
        callback = consent.headers["location"]
        query = parse_qs(urlparse(callback).query)
        secrets += [query["code"][0], query["state"][0]]
        assert browser.get(callback).status_code == 200

        link = browser.get(f"/v1/connections/{cid}/connect?format=json").json()["url"]
        secrets.append(parse_qs(urlparse(link).query)["state"][0])
        assert browser.get(link).status_code == 302

        forged = {"code": "forged-code-0123456789", "state": "forged-state-0123456789"}
        refused = browser.get("/v1/oauth/callback", params={**forged, "realmId": "1"})
        assert refused.status_code == 400
        secrets += forged.values()

    wait_until(
        lambda: "/v1/oauth/callback?[redacted]" in output.read_text(),
        process,
        "the forged callback logged",
        output.read_text,
    )
    logged = output.read_text()
    assert "GET /v1/oauth/start?[redacted]" in logged
    for secret in secrets:
        assert secret not in logged
