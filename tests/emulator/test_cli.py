"""`qbo-emulator serve` and `qbo-emulator demo` as real processes: they answer once healthy, stop
cleanly on SIGINT and write their state; `demo` prints what a user needs to connect."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.objects.invoice import Invoice

from qbo_emulator import cli
from qbo_emulator.server import free_port
from tests.child_processes import wait_until

pytestmark = pytest.mark.early("the emulator's commands as child processes")

REDIRECT = "http://localhost:8000/callback"


def command() -> list[str]:
    script = Path(sys.executable).parent / "qbo-emulator"
    if script.exists():
        return [str(script)]
    found = shutil.which("qbo-emulator")
    return [found] if found else [sys.executable, "-m", "qbo_emulator.cli"]


class Process:
    """One emulator process; its output is read by a thread so that the pipe never fills."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [*command(), *args, "--host", "127.0.0.1", "--port", str(self.port)]
        argv += ["--log-level", "warning"]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._wait_healthy()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def _wait_healthy(self) -> None:
        def healthy() -> bool:
            try:
                response = requests.get(f"{self.base}/_emulator/health", timeout=1)
            except (requests.ConnectionError, requests.Timeout):
                return False
            return response.status_code == 200

        wait_until(healthy, self.proc, "the emulator answered", self._stderr)

    def _stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr else ""

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def printed(self, last: str) -> str:
        """The output once it holds `last`: what the process printed before it answered may
        not have been read by the reader thread yet when it answers (a busy machine)."""
        wait_until(lambda: last in self.output, self.proc, f"{last!r} printed", lambda: self.output)
        return self.output

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        _, self.stderr = self.proc.communicate()  # as long as it takes (tests.child_processes)
        self._reader.join()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=15)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


def test_serve_with_state_answers_and_stops_cleanly(
    tmp_path: Path, processes: list[Process]
) -> None:
    state = tmp_path / "emulator-state.json"
    process = Process("serve", "--state", str(state))
    processes.append(process)
    created = requests.post(
        f"{process.base}/_emulator/companies", json={"name": "From The CLI"}, timeout=10
    )
    assert created.status_code == 201
    realm = created.json()["realm_id"]
    app = requests.post(
        f"{process.base}/_emulator/apps",
        json={"redirect_uris": ["http://localhost:8000/callback"]},
        timeout=10,
    ).json()
    tokens = requests.post(
        f"{process.base}/_emulator/companies/{realm}/connect",
        json={"client_id": app["client_id"]},
        timeout=10,
    ).json()
    made = requests.post(
        f"{process.base}/v3/company/{realm}/customer",
        json={"DisplayName": "CLI Customer"},
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        params={"minorversion": "75"},
        timeout=10,
    )
    assert made.status_code == 200, made.text

    assert process.interrupt() == 0
    assert "Traceback" not in process.stderr
    saved = json.loads(state.read_text())
    [company] = saved["companies"]
    assert company["realm_id"] == realm
    assert [r["DisplayName"] for r in company["tables"]["Customer"]["rows"]] == ["CLI Customer"]

    # A new process on the same file serves the same company.
    again = Process("serve", "--state", str(state))
    processes.append(again)
    companies = requests.get(f"{again.base}/_emulator/companies", timeout=10).json()
    assert [c["realm_id"] for c in companies["companies"]] == [realm]
    assert again.interrupt() == 0


def test_serve_without_state_writes_nothing(tmp_path: Path, processes: list[Process]) -> None:
    process = Process("serve")
    processes.append(process)
    assert requests.get(f"{process.base}/_emulator/companies", timeout=10).json() == {
        "companies": []
    }
    assert process.interrupt() == 0
    assert list(tmp_path.iterdir()) == []


def test_demo_prints_how_to_connect(processes: list[Process]) -> None:
    process = Process("demo")
    processes.append(process)
    text = process.printed("Admin API:")  # the last line of what the demo prints
    realm = re.search(r"realm_id (\d+)", text)
    client_id = re.search(r"client_id\s+(\S+)", text)
    secret = re.search(r"client_secret (\S+)", text)
    consent = re.search(r"^\s+(http://\S+/connect/oauth2\?\S+)$", text, re.MULTILINE)
    assert realm and client_id and secret and consent, text
    assert process.base in text

    companies = requests.get(f"{process.base}/_emulator/companies", timeout=10).json()
    [company] = companies["companies"]
    assert company["realm_id"] == realm.group(1)
    assert company["name"] == "Summit Ridge Builders"
    assert company["counts"]["Invoice"] == 250

    # The printed consent URL, with the no-browser shortcut, connects the printed app.
    query = parse_qs(urlparse(consent.group(1)).query)
    assert query["client_id"] == [client_id.group(1)]
    redirect = requests.get(
        f"{consent.group(1)}&realm_id={realm.group(1)}&approve=true",
        allow_redirects=False,
        timeout=10,
    )
    assert redirect.status_code == 302
    callback = parse_qs(urlparse(redirect.headers["location"]).query)
    auth = AuthClient(
        client_id.group(1),
        secret.group(1),
        query["redirect_uri"][0],
        environment=f"{process.base}/.well-known/openid_configuration",
    )
    try:
        auth.get_bearer_token(callback["code"][0], realm_id=callback["realmId"][0])
        QuickBooks.api_url_v3 = f"{process.base}/v3"
        qb = QuickBooks(
            auth_client=auth,
            refresh_token=auth.refresh_token,
            company_id=realm.group(1),
            minorversion=75,
        )
        try:
            assert Invoice.count(qb=qb) == 250
        finally:
            qb.session.close()
    finally:
        auth.close()
    assert process.interrupt() == 0


def test_demo_with_state_reuses_its_company_and_app(
    tmp_path: Path, processes: list[Process]
) -> None:
    state = tmp_path / "demo.json"
    printed: list[tuple[str, str]] = []
    for _ in range(2):
        process = Process("demo", "--state", str(state))
        processes.append(process)
        text = process.printed("Admin API:")  # the last line of what the demo prints
        realm = re.search(r"realm_id (\d+)", text)
        client_id = re.search(r"client_id\s+(\S+)", text)
        assert realm and client_id
        printed.append((realm.group(1), client_id.group(1)))
        assert process.interrupt() == 0
    assert printed[0] == printed[1]
    assert len(json.loads(state.read_text())["companies"]) == 1


def test_serve_with_strict_refresh_tokens(processes: list[Process]) -> None:
    process = Process("serve", "--refresh-token-policy", "strict")
    processes.append(process)
    admin = f"{process.base}/_emulator"
    realm = requests.post(f"{admin}/companies", json={"name": "Strict Co"}, timeout=10).json()
    app = requests.post(f"{admin}/apps", json={"redirect_uris": [REDIRECT]}, timeout=10).json()
    auth = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT,
        environment=f"{process.base}/.well-known/openid_configuration",
    )
    tokens = requests.post(
        f"{admin}/companies/{realm['realm_id']}/connect",
        json={"client_id": app["client_id"]},
        timeout=10,
    ).json()
    auth.refresh(refresh_token=tokens["refresh_token"])
    assert auth.refresh_token != tokens["refresh_token"]  # strict: a new one every time
    auth.close()
    assert process.interrupt() == 0


def test_serve_with_a_short_refresh_token_max_life(processes: list[Process]) -> None:
    process = Process("serve", "--refresh-token-max-life", "3000")
    processes.append(process)
    admin = f"{process.base}/_emulator"
    realm = requests.post(f"{admin}/companies", json={"name": "Brief Co"}, timeout=10).json()
    app = requests.post(f"{admin}/apps", json={"redirect_uris": [REDIRECT]}, timeout=10).json()
    tokens = requests.post(
        f"{admin}/companies/{realm['realm_id']}/connect",
        json={"client_id": app["client_id"]},
        timeout=10,
    ).json()
    assert 2_990 <= tokens["x_refresh_token_expires_in"] <= 3_000
    assert process.interrupt() == 0


def test_refresh_token_max_life_must_be_seconds() -> None:
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["serve", "--refresh-token-max-life", "0"])
