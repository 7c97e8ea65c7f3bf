"""The reports on a connection: the reconciliation of the app with QuickBooks, the check of
every synced record against QuickBooks read afresh, and the dry run of a sync."""

from __future__ import annotations

from typing import Any

from ledgerbridge.engine.desktop import fixes
from ledgerbridge.engine.dryrun import dry_run
from ledgerbridge.engine.reconciliation import reconciliation as reconciliation_report
from ledgerbridge.engine.service._shared import Wiring, owned_connection
from ledgerbridge.engine.verify import VerifyReport
from ledgerbridge.engine.verify import verify as verify_synced

__all__ = ["plan", "reconciliation", "verify"]


def reconciliation(service: Wiring, key_id: str, connection_id: str) -> dict[str, Any]:
    """The drift report: app and QuickBooks side by side (engine.reconciliation)."""
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
    return reconciliation_report(service.ledger, connection_id)


def verify(
    service: Wiring, key_id: str, connection_id: str, *, flag: bool = True
) -> dict[str, Any]:
    """Read QuickBooks afresh and check every synced record against it; each mismatch
    becomes the record's problem (engine.verify)."""
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    if connection.environment == "desktop":
        # QuickBooks Desktop cannot be called: the Web Connector's next session verifies; the
        # report is kept in the audit entry named here, mismatches flagged on their records
        entry = fixes.request_verify(service.ledger, connection_id, f"api-key:{key_id}", flag=flag)
        return {**VerifyReport().to_json(), "waiting_for": "web_connector", "audit_entry": entry}
    return verify_synced(service.ledger, connection_id, flag=flag).to_json()


def plan(service: Wiring, key_id: str, connection_id: str) -> dict[str, Any]:
    """The dry run: what a sync would do now, writing nothing (engine.dryrun)."""
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
    return dry_run(service.ledger, connection_id)
