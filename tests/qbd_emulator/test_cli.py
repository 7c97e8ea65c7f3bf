"""`qbd-emulator demo` as a real process: healthy, prints what a user needs, serves the demo
company file's qbXML, stops cleanly on SIGINT."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from qbd_emulator.server import free_port
from tests.child_processes import wait_until
from tests.qbd_emulator.helpers import message


def command() -> list[str]:
    script = Path(sys.executable).parent / "qbd-emulator"
    if script.exists():
        return [str(script)]
    found = shutil.which("qbd-emulator")
    return [found] if found else [sys.executable, "-m", "qbd_emulator.cli"]


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/_emulator/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_demo_serves_the_demo_company_and_stops_cleanly() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [
        *command(),
        "demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_until(functools.partial(_healthy, base), proc, "the emulator answered")
        answer = httpx.post(
            f"{base}/_emulator/companies/demo/qbxml",
            content=message(
                "<CustomerQueryRq><FullName>Alvarez, Maria</FullName></CustomerQueryRq>"
            ),
            timeout=10,
        )
        assert "<Name>Alvarez, Maria</Name>" in answer.text
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate()  # as long as it takes (tests.child_processes)
        assert proc.returncode == 0
        assert "Summit Ridge Builders" in out and "/_emulator/companies/demo/qbxml" in out
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=15)


def test_serve_with_state_keeps_a_customer(tmp_path: Path) -> None:
    state = tmp_path / "qbd-state.json"
    for round_ in (1, 2):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [
            *command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--state",
            str(state),
            "--log-level",
            "warning",
        ]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(functools.partial(_healthy, base), proc, "the emulator answered")
            if round_ == 1:
                made = httpx.post(
                    f"{base}/_emulator/companies", json={"name": "Kept", "company_id": "kept"}
                )
                assert made.status_code == 201
                answer = httpx.post(
                    f"{base}/_emulator/companies/kept/qbxml",
                    content=message(
                        "<CustomerAddRq><CustomerAdd><Name>Stays</Name></CustomerAdd>"
                        "</CustomerAddRq>"
                    ),
                )
                assert 'statusCode="0"' in answer.text
            else:
                export = httpx.get(f"{base}/_emulator/companies/kept/export").json()
                assert [c["Name"] for c in export["lists"]["Customer"]] == ["Stays"]
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate()  # as long as it takes (tests.child_processes)
            assert proc.returncode == 0 and "Traceback" not in err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=15)
    assert state.exists()
