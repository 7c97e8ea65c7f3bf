"""Fixtures and settings for every suite.

Compiled modules are kept between runs even where the environment says not to write them
(``PYTHONDONTWRITEBYTECODE``, set on this project's machines): see tests/keep_bytecode.py, a
plugin loaded before any other (pyproject's ``-p tests.keep_bytecode``).

Files marked ``early`` (their tests start child processes, or a demo) are collected first: the
workers of a run take files in collection order (``--dist loadfile``), and one of these taken
last kept one worker busy for half a minute while the other had nothing left to do.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The `early` files first, each file's tests still together and in their order."""
    items.sort(key=lambda item: item.get_closest_marker("early") is None)
