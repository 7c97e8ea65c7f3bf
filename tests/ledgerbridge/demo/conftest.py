"""The demo suites: `ledgerbridge demo` (and `demo --desktop`) end to end in child processes,
and the dataset generator they run on. The folder says their kind: every test here is `slow`,
run by `make test` (`-m "slow or not slow"`), not by a plain `pytest`, whose run is the core,
engine and API suites."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
