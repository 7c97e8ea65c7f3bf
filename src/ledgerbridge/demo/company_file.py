"""What the emulated Desktop company file holds of the demo's records, counted in its export
(QuickBooks' own state), beside what ledgerbridge's statuses say.

    held = count(ledger, connection_id, export)
    held.total          # synced records whose object the company file holds
    held.disagreements  # plain sentences, empty when the file and the statuses agree

A synced record counts when the company file holds the object it is linked to; an object
carrying ledgerbridge's ExternalGUID that no record is linked to (an Add sent twice) is a
disagreement too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.core.status import Status
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["CompanyFileCount", "count"]


@dataclass(frozen=True)
class CompanyFileCount:
    synced: Mapping[str, int]  # record type -> records ledgerbridge says are synced
    held: Mapping[str, int]  # record type -> of those, the ones the company file holds
    unlinked: Mapping[str, int] = field(default_factory=dict)  # Desktop type -> our Adds unlinked

    @property
    def total(self) -> int:
        return sum(self.held.values())

    @property
    def disagreements(self) -> list[str]:
        said = [
            f"{record_type}: {synced} synced, {self.held.get(record_type, 0)} in the company file"
            for record_type, synced in sorted(self.synced.items())
            if self.held.get(record_type, 0) != synced
        ]
        said += [
            f"{n} {desktop_type} in the company file added by ledgerbridge and linked to no record"
            for desktop_type, n in sorted(self.unlinked.items())
        ]
        return said


def count(ledger: Ledger, connection_id: str, export: Mapping[str, Any]) -> CompanyFileCount:
    """The demo's synced records found in the company file's export, by record type."""
    objects: dict[str, tuple[str, Mapping[str, Any]]] = {}  # ListID/TxnID -> (type, object)
    for part in ("lists", "transactions"):
        for desktop_type, found in (export.get(part) or {}).items():
            for obj in found:
                ident = obj.get("TxnID") or obj.get("ListID")
                if ident:
                    objects[str(ident)] = (desktop_type, obj)
    with ledger.db.session(readonly=True) as session:
        synced = SyncStates(session).all(connection_id, status=Status.SYNCED.value)
        keys = [(s.type, s.app_id) for s in synced]
        links = Links(session).get_many(connection_id, keys)
        every_link = Links(session).get_many(
            connection_id, [(s.type, s.app_id) for s in SyncStates(session).all(connection_id)]
        )
    synced_by_type = Counter(s.type for s in synced)
    held: Counter[str] = Counter()
    for key, link in links.items():
        if link.qbo_id in objects:
            held[key[0]] += 1
    linked = {link.qbo_id for link in every_link.values()}
    unlinked = Counter(
        desktop_type
        for ident, (desktop_type, obj) in objects.items()
        if obj.get("ExternalGUID") and ident not in linked
    )
    return CompanyFileCount(dict(synced_by_type), dict(held), dict(unlinked))
