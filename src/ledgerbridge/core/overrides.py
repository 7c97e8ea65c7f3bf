"""Overrides: values an action gave a record's fields for QuickBooks, on top of the app's record.

A one-click fix such as "differentiate", "shorten" or "renumber" changes what goes to
QuickBooks without touching the app's record (the app is told through an event). Each override
remembers the app value it replaced::

    {"display_name": {"app": "Maria Delgado", "quickbooks": "Maria Delgado - 2"}}

and applies only while the app still sends that value: when the app changes the field itself,
its new value wins and the override is dropped. Paths are the problems' field paths
(``lines[2].description``, ``billing_address.line1``). Pure: no I/O.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "KEPT",
    "Override",
    "active",
    "apply",
    "get_path",
    "kept",
    "make",
    "set_path",
    "with_kept",
]

Override = Mapping[str, Any]  # {"app": value the app sent, "quickbooks": value to send}

KEPT = "@kept"
"""Not a field path: QuickBooks' values a person chose to keep over the app's, per QuickBooks
field (`core.drift.kept_values`). Stored beside the overrides; never applied to the app's data."""

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_MISSING = object()


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            raise ValueError(f"not a field path: {path!r}")
        steps.append(match.group(1))
        steps.extend(int(index) for index in re.findall(r"\[(\d+)\]", match.group(2)))
    return steps


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at `path`, or None when any step is missing."""
    current: Any = data
    for step in _steps(path):
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, Mapping) or step not in current:
                return None
            current = current[step]
    return current


def set_path(data: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `data` with `value` at `path` (the path must exist up to its last step)."""
    result: dict[str, Any] = copy.deepcopy(dict(data))
    steps = _steps(path)
    current: Any = result
    for step in steps[:-1]:
        current = current[step]
    current[steps[-1]] = value
    return result


def make(data: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """The override that sends `value` at `path` instead of what the app sends now."""
    return {"app": get_path(data, path), "quickbooks": value}


def active(data: Mapping[str, Any], overrides: Mapping[str, Override] | None) -> dict[str, Any]:
    """The overrides that still apply: those whose app value is what the app sends now."""
    return {
        path: override
        for path, override in (overrides or {}).items()
        if path != KEPT and get_path(data, path) == override.get("app")
    }


def kept(overrides: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The QuickBooks values kept over the app's (`KEPT`), if any."""
    found = (overrides or {}).get(KEPT)
    return found if isinstance(found, Mapping) and found else None


def with_kept(
    overrides: Mapping[str, Any], kept_values: Mapping[str, Any] | None
) -> dict[str, Any]:
    """`overrides` with `kept_values` as its kept QuickBooks values (None: none)."""
    result = {k: v for k, v in overrides.items() if k != KEPT}
    if kept_values:
        result[KEPT] = dict(kept_values)
    return result


def apply(data: Mapping[str, Any], overrides: Mapping[str, Override] | None) -> dict[str, Any]:
    """The app's record as it goes to QuickBooks: every override that still applies, applied."""
    result = dict(data)
    for path, override in active(data, overrides).items():
        result = set_path(result, path, override.get("quickbooks"))
    return result
