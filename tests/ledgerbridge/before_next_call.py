"""Make something happen at one exact point of the code under test: right before the next
call of a function (a step of a pass, a store), once; later calls are left alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def before_next_call(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, happen: Callable[[], object]
) -> list[bool]:
    """`happen()` runs right before the next call of `owner.name`, which then goes on as it
    would have. The list returned gets an item once it happened."""
    original = getattr(owner, name)
    called: list[bool] = []

    def first(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(owner, name, original)
        called.append(True)
        happen()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, first)
    return called
