"""The README's commands, run as written.

Every fenced `sh` and `python` block of README.md runs, in the README's order, as one bash
script in a scratch directory (with `.venv` pointing at this interpreter's environment), so
variables set by one block reach the next and the servers started in the background serve the
rest. A block is left out only when the HTML comment just above its fence says
`readme-test: skip (why)`. The one liberty taken: ports 8000 and 8765 become free ports, so the
test does not depend on what else this machine serves.

After the script, the emulator's own export is read: the records the README hands over must be
in the QuickBooks company exactly once, under the names it promises.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qbo_emulator.server import free_port

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
_SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<why>[^)]+)\)\s*-->\s*$", re.DOTALL)
RUNNABLE = ("sh", "python")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int
    skipped: str | None  # why, when the README says to leave it out


def blocks(text: str) -> list[Block]:
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()]
        skip = _SKIP.search(before[-400:])
        found.append(
            Block(
                lang=match["lang"],
                body=match["body"],
                line=before.count("\n") + 1,
                skipped=" ".join(skip["why"].split()) if skip else None,
            )
        )
    return found


def script(found: list[Block], api_port: int, emulator_port: int) -> str:
    parts = [
        "set -euo pipefail",
        # the servers the README starts in the background stop with the script
        "trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT",
    ]
    for block in found:
        if block.skipped or block.lang not in RUNNABLE:
            continue
        body = re.sub(r"\b8000\b", str(api_port), block.body)
        body = re.sub(r"\b8765\b", str(emulator_port), body)
        parts.append(f"echo '### README line {block.line}'")
        if block.lang == "sh":
            parts.append(body)
        else:
            parts.append(f".venv/bin/python - <<'README_PYTHON'\n{body}README_PYTHON")
    # what the company holds afterwards, read before the trap stops the emulator
    parts.append(
        f"curl -sf localhost:{emulator_port}/_emulator/companies/$REALM/export > export.json"
    )
    return "\n".join(parts) + "\n"


def test_every_shell_and_python_block_runs_or_says_why_not() -> None:
    found = blocks(README.read_text())
    assert sum(1 for b in found if b.lang in RUNNABLE and not b.skipped) >= 8
    for block in found:
        if block.lang in RUNNABLE:
            continue
        assert block.lang == "", f"README line {block.line}: a ```{block.lang} block is never run"


def test_the_readme_commands_work_as_written(tmp_path: Path) -> None:
    assert shutil.which("curl"), "the README's commands use curl"
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    api_port, emulator_port = free_port(), free_port()
    (tmp_path / "readme.sh").write_text(script(blocks(README.read_text()), api_port, emulator_port))
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LEDGERBRIDGE_", "OAUTHLIB"))
    }
    done = subprocess.run(
        ["bash", "readme.sh"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
    )
    out = done.stdout
    (tmp_path / "stdout.txt").write_text(out)
    assert done.returncode == 0, f"{out[-6000:]}\n--- stderr ---\n{done.stderr[-6000:]}"

    # what the README says each step prints
    assert "Connected to Summit Ridge Builders" in out
    assert "This name is already taken in QuickBooks by one of its vendors" in out
    statuses = re.findall(r"^(synced|pending|error|blocked)$", out, re.MULTILINE)
    # the third and fourth: QuickBooks Desktop's (the fourth linked by a fix waiting for the
    # Web Connector, to the one customer of that name in the company file: the README asserts)
    assert statuses == ["synced", "synced", "synced", "synced"], out
    assert re.search(r"^Pine Street Dental$", out, re.MULTILINE), out  # in the company file
    assert "A customer with this name is already in QuickBooks Desktop" in out
    assert re.search(r"^waiting for the Web Connector: .* link$", out, re.MULTILINE), out
    assert re.search(r"^synced \d+ None$", out, re.MULTILINE), out  # the Python embedding
    assert re.search(r"^1 1 colour$", out, re.MULTILINE), out  # its bulk upsert
    assert "Created dashboard user office@example.com" in out
    # Two-way: the vendor a person made in QuickBooks, told to the app
    assert "[('quickbooks.created', 'Rain Gutter Supply')]" in out, out
    assert re.search(r"^v-rain synced True$", out, re.MULTILINE), out  # acknowledged: adopted
    assert 'renamed to "Maria Delgado - 2" in QuickBooks' in out

    company = json.loads((tmp_path / "export.json").read_text())
    customers = [c["DisplayName"] for c in company["entities"]["Customer"]]
    assert customers.count("Ann Lee") == 1
    assert customers.count("Maria Delgado - 2") == 1
    vendors = [v["DisplayName"] for v in company["entities"]["Vendor"]]
    assert vendors.count("Rain Gutter Supply") == 1  # adopted, not created again
    numbers = [i.get("DocNumber") for i in company["entities"]["Invoice"]]
    assert numbers.count("A-1001") == 1 and numbers.count("A-1002") == 1
