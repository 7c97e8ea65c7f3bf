"""Fixtures and settings for every suite.

Compiled modules are kept between runs even where the environment says not to write them
(``PYTHONDONTWRITEBYTECODE``, set on this project's machines): each worker of a run (and each
child process a test starts) would otherwise compile every module of ledgerbridge, the emulator
and the suites from source, and rewrite the suites' asserts again, several seconds of CPU per
process. They go to one directory of their own in pytest's cache (``.pytest_cache/pycache``,
ignored by git), never next to the sources, which is what the setting is there to avoid.

Files marked ``early`` (their tests start child processes, or a demo) are collected first: the
workers of a run take files in collection order (``--dist loadfile``), and one of these taken
last kept one worker busy for half a minute while the other had nothing left to do.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def _keep_bytecode() -> None:
    if not sys.dont_write_bytecode or sys.pycache_prefix:
        return
    prefix = str(Path(__file__).resolve().parent.parent / ".pytest_cache" / "pycache")
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = prefix  # child processes: ledgerbridge serve, demo...
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


_keep_bytecode()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The `early` files first, each file's tests still together and in their order."""
    items.sort(key=lambda item: item.get_closest_marker("early") is None)
