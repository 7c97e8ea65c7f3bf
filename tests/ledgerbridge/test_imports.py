"""Every module imports on its own, in a fresh interpreter: no import cycle hides behind the
order in which the CLI or the tests happen to import things."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ledgerbridge
import qbd_emulator
import qbo_emulator

pytestmark = pytest.mark.slow  # an interpreter per module: about 20 s


def _modules() -> list[str]:
    """Every package, and every module directly under the top ones (where cycles between the
    layers show: a package's `__init__` importing what imports it back)."""
    names = []
    for package in (ledgerbridge, qbo_emulator, qbd_emulator):
        prefix = f"{package.__name__}."
        for found in pkgutil.walk_packages(package.__path__, prefix):
            if found.ispkg or found.name.count(".") == 1:
                names.append(found.name)
    return [n for n in names if ".migrations" not in n]


def test_each_module_imports_first() -> None:
    script = (
        "import subprocess, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    probe = subprocess.run([sys.executable, '-c', f'import {name}'],"
        " capture_output=True, text=True)\n"
        "    if probe.returncode:\n"
        "        failed.append(name + ': ' + probe.stderr.strip().splitlines()[-1])\n"
        "print('\\n'.join(failed))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, *_modules()], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "", found.stdout
