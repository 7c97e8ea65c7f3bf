"""Compiled modules kept between runs even where the environment says not to write them
(``PYTHONDONTWRITEBYTECODE``, set on this project's machines).

Each worker of a run (and each child process a test starts) would otherwise compile every
module of ledgerbridge, the emulator and the suites from source, and rewrite the asserts of the
suites and of pytest's plugins again (pytest rewrites every module of a plugin's distribution:
all of hypothesis and schemathesis, about two seconds of CPU per process), several seconds of
CPU per process. They go to one directory of their own in pytest's cache
(``.pytest_cache/pycache``, ignored by git), never next to the sources, which is what the
setting is there to avoid.

A plugin, not a conftest: pyproject's ``-p tests.keep_bytecode`` loads it before the plugins of
installed packages (which a conftest comes after), so their rewritten modules are kept too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _keep_bytecode() -> None:
    if not sys.dont_write_bytecode or sys.pycache_prefix:
        return
    prefix = str(Path(__file__).resolve().parent.parent / ".pytest_cache" / "pycache")
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = prefix  # child processes: ledgerbridge serve, demo...
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


_keep_bytecode()
