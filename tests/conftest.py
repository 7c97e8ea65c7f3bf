"""Fixtures and settings for every suite.

Compiled modules are kept between runs even where the environment says not to write them
(``PYTHONDONTWRITEBYTECODE``, set on this project's machines): see tests/keep_bytecode.py, a
plugin loaded before any other (pyproject's ``-p tests.keep_bytecode``).

The workers share the tests out with ``--dist worksteal`` (pyproject's addopts): each takes an
equal run of the collected tests, in order, and one that finishes takes half of what the other
has left, so both stay busy to the last test rather than to the last file (``--dist loadfile``
handed out whole files, largest first: a run ended with one worker alone on a file of long
tests). A module-scoped fixture is set up again in a worker that takes some of its module's
tests, as when those tests are run alone. But stolen tests run after those the worker has run:
a module's earlier tests can follow its later ones under the same module-scoped fixture, so
tests sharing one must pass in any order (tests/ledgerbridge/api/test_cli_ops.py's `shop`).
Files marked ``early`` (their tests start child processes, or a demo) are collected first:
their long tests start a run, not end it.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The `early` files first, each file's tests still together and in their order."""
    items.sort(key=lambda item: item.get_closest_marker("early") is None)
