"""What every rule may look at: the company, the request's time and its `include` flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qbo_emulator.model.store import Company


@dataclass(slots=True)
class Ctx:
    company: Company
    now: datetime
    today: date
    include: frozenset[str] = frozenset()
    # Change notifications produced by the operation: (entity, id, operation, deleted_id).
    events: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def preferences(self) -> dict[str, Any]:
        row = self.company.table("Preferences").get("1")
        return row if row is not None else {}

    def pref(self, section: str, key: str, default: Any = None) -> Any:
        value = self.preferences().get(section, {}).get(key, default)
        return default if value is None else value

    def other_pref(self, name: str) -> str | None:
        for pair in self.preferences().get("OtherPrefs", {}).get("NameValue", []):
            if pair.get("Name") == name:
                value = pair.get("Value")
                return None if value is None else str(value)
        return None
