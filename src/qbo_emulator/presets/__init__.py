"""Starting data for emulated companies.

Every new company gets the lists QuickBooks Online sets up itself (`base`): a chart of
accounts, automated sales tax rates and codes, payment methods, terms, and the default
Preferences and CompanyInfo. The `demo` preset then adds a contractor's books on top.

Presets write through a `SeedTarget`, so the data passes the same rules as API calls do.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qbo_emulator.presets.demo import DemoSummary

PRESET_NAMES = ("blank", "demo")


class SeedTarget(Protocol):
    """The company store, as presets see it."""

    def create(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create through the normal API rules (as `POST /v3/company/{realm}/{entity}` would).

        `entity` is the QuickBooks entity name ("Customer", "Account", "Invoice"...) and
        `payload` its JSON without the wrapper. Returns the stored object, with `Id`,
        `SyncToken` and computed fields such as `TotalAmt` and `Balance`. Raises when a rule
        is broken.
        """
        ...

    def insert_readonly(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store what the API cannot create (TaxCode, TaxRate, Item of Type "Group") as given,
        assigning `Id`, `SyncToken` and `MetaData`; returns the stored object."""
        ...

    def update_preferences(self, patch: dict[str, Any]) -> None:
        """Deep-merge a partial Preferences object, e.g.
        `{"SalesFormsPrefs": {"CustomTxnNumbers": True}}`."""
        ...

    def today(self) -> datetime.date:
        """The company's current date."""
        ...


def ref(obj_id: str, name: str) -> dict[str, str]:
    """A QuickBooks reference: `{"value": <Id>, "name": <name>}`."""
    return {"value": obj_id, "name": name}


def apply_preset(target: SeedTarget, preset: str) -> DemoSummary | None:
    """Seed a new company: the base lists always, the demo books for `preset == "demo"`."""
    if preset not in PRESET_NAMES:
        raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESET_NAMES)}")
    from qbo_emulator.presets.base import seed_base

    base = seed_base(target)
    if preset != "demo":
        return None
    from qbo_emulator.presets.demo import seed_demo

    return seed_demo(target, base)


__all__ = ["PRESET_NAMES", "SeedTarget", "apply_preset", "ref"]
