"""What the engine knows of a QuickBooks company without calling it: the mirror.

The pull side keeps the mirror current (webhooks and change data capture); preflight and the
planner read it through `MirrorView`. `InMemoryMirror` is the pure implementation (tests, dry
runs, one pass over a small company); storage provides one backed by the `mirror` table.

Names are compared the way QuickBooks compares them: without regard to case or surrounding
spaces, inactive objects included (an inactive customer still holds its name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Protocol

PERSON_ENTITIES = ("Customer", "Vendor", "Employee")


def name_key(name: str | None) -> str | None:
    """The key QuickBooks compares names by."""
    if name is None:
        return None
    folded = " ".join(name.split()).casefold()
    return folded or None


@dataclass(frozen=True)
class MirrorObject:
    entity: str  # "Customer", "Invoice", ...
    qbo_id: str
    sync_token: str = "0"
    name: str | None = None  # DisplayName / Name / FullyQualifiedName
    active: bool = True
    email: str | None = None
    doc_number: str | None = None
    sku: str | None = None
    parent_id: str | None = None  # ParentRef (sub-customers) or the party of a document
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @staticmethod
    def from_quickbooks(entity: str, obj: Mapping[str, Any]) -> MirrorObject:
        """The mirror's view of a QuickBooks JSON object."""
        email = obj.get("PrimaryEmailAddr")
        party = obj.get("CustomerRef") or obj.get("VendorRef") or obj.get("EntityRef")
        parent = obj.get("ParentRef")
        return MirrorObject(
            entity=entity,
            qbo_id=str(obj["Id"]),
            sync_token=str(obj.get("SyncToken", "0")),
            name=obj.get("DisplayName") or obj.get("FullyQualifiedName") or obj.get("Name"),
            active=bool(obj.get("Active", True)),
            email=email.get("Address") if isinstance(email, Mapping) else None,
            doc_number=obj.get("DocNumber"),
            sku=obj.get("Sku"),
            parent_id=str((parent or party or {}).get("value") or "") or None,
            data=MappingProxyType(dict(obj)),
        )


class MirrorView(Protocol):
    def get(self, entity: str, qbo_id: str) -> MirrorObject | None: ...
    def person_named(self, name: str) -> MirrorObject | None: ...  # Customer, Vendor or Employee
    def named(self, entity: str, name: str) -> MirrorObject | None: ...  # Item, Account, Class...
    def with_email(self, entity: str, email: str) -> list[MirrorObject]: ...
    def with_sku(self, sku: str) -> MirrorObject | None: ...
    def numbered(self, entity: str, doc_number: str) -> list[MirrorObject]: ...
    def preferences(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class CompanyPreferences:
    """The few preferences sync decisions depend on, read from QuickBooks' Preferences."""

    custom_txn_numbers: bool = False
    book_close_date: date | None = None
    automated_sales_tax: bool = True
    class_tracking: bool = False
    home_currency: str = "USD"  # CurrencyPrefs.HomeCurrency: what the company's amounts are in

    @staticmethod
    def from_quickbooks(prefs: Mapping[str, Any]) -> CompanyPreferences:
        sales = prefs.get("SalesFormsPrefs") or {}
        accounting = prefs.get("AccountingInfoPrefs") or {}
        tax = prefs.get("TaxPrefs") or {}
        close = accounting.get("BookCloseDate")
        home = (prefs.get("CurrencyPrefs") or {}).get("HomeCurrency")
        currency = home.get("value") if isinstance(home, Mapping) else None
        return CompanyPreferences(
            custom_txn_numbers=bool(sales.get("CustomTxnNumbers", False)),
            book_close_date=date.fromisoformat(str(close)[:10]) if close else None,
            automated_sales_tax=bool(tax.get("PartnerTaxEnabled", False)),
            class_tracking=bool(
                accounting.get("ClassTrackingPerTxn") or accounting.get("ClassTrackingPerTxnLine")
            ),
            home_currency=str(currency).upper()
            if isinstance(currency, str) and currency
            else "USD",
        )


class InMemoryMirror:
    """A mirror held in dictionaries, with the same look-ups as the stored one."""

    def __init__(
        self, objects: Iterable[MirrorObject] = (), preferences: Mapping[str, Any] | None = None
    ) -> None:
        self._objects: dict[tuple[str, str], MirrorObject] = {}
        self._preferences: Mapping[str, Any] = MappingProxyType(dict(preferences or {}))
        for obj in objects:
            self.put(obj)

    def put(self, obj: MirrorObject) -> None:
        self._objects[(obj.entity, obj.qbo_id)] = obj

    def remove(self, entity: str, qbo_id: str) -> None:
        self._objects.pop((entity, qbo_id), None)

    def set_preferences(self, preferences: Mapping[str, Any]) -> None:
        self._preferences = MappingProxyType(dict(preferences))

    def get(self, entity: str, qbo_id: str) -> MirrorObject | None:
        return self._objects.get((entity, qbo_id))

    def _where(self, entity: str | tuple[str, ...]) -> Iterable[MirrorObject]:
        entities = (entity,) if isinstance(entity, str) else entity
        return (o for o in self._objects.values() if o.entity in entities)

    def person_named(self, name: str) -> MirrorObject | None:
        key = name_key(name)
        for entity in PERSON_ENTITIES:
            found = next((o for o in self._where(entity) if name_key(o.name) == key), None)
            if found is not None:
                return found
        return None

    def named(self, entity: str, name: str) -> MirrorObject | None:
        key = name_key(name)
        return next((o for o in self._where(entity) if name_key(o.name) == key), None)

    def with_email(self, entity: str, email: str) -> list[MirrorObject]:
        key = name_key(email)
        return [o for o in self._where(entity) if name_key(o.email) == key]

    def with_sku(self, sku: str) -> MirrorObject | None:
        key = name_key(sku)
        return next((o for o in self._where("Item") if name_key(o.sku) == key), None)

    def numbered(self, entity: str, doc_number: str) -> list[MirrorObject]:
        return [o for o in self._where(entity) if o.doc_number == doc_number]

    def preferences(self) -> Mapping[str, Any]:
        return self._preferences
