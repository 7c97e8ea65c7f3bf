"""What preflight says of one record now, as a pass would see it; reads only, calls nobody.

found = preview(ledger, connection, key, name_conflicts="differentiate")
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from ledgerbridge.core import overrides
from ledgerbridge.core.preflight import Verdict
from ledgerbridge.core.records import Record, RecordKey, parse_record
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import StoredConnection
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["preview"]


def preview(
    ledger: Ledger,
    connection: StoredConnection,
    key: RecordKey,
    *,
    name_conflicts: Literal["ask", "differentiate", "link_on_email"] | None = None,
) -> tuple[Record, Verdict] | None:
    """What preflight says of one record now (None: deleted or not a valid record), optionally
    under another name-conflict policy. Reads only; calls nobody."""
    surroundings = Surroundings(connection)
    if name_conflicts is not None:
        surroundings.policies = dataclasses.replace(
            surroundings.policies, name_conflicts=name_conflicts
        )
    with ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(connection.id, key.type, key.app_id)
        stored = Records(session).get(connection.id, key.type, key.app_id)
        if state is None or stored is None or stored.deleted:
            return None
        parsed = parse_record(key.type, overrides.apply(stored.data, state.overrides))
        if isinstance(parsed, list):
            return None
        link = Links(session).get(connection.id, key.type, key.app_id)
        return parsed, surroundings.preflight(session, key, parsed, link)
