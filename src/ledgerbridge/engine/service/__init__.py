"""The application layer: what the HTTP API, the CLI and the dashboard ask of ledgerbridge.

Every method takes the caller's API key id and only sees that key's connections. Record
changes and the sync work they cause are committed together; `wake(connection_id)` then tells
the dispatcher there is work (a lost wake-up only delays it: due work is derived from the
sync state).

`defer_in(session, connection_id)`, when set (PostgreSQL: `dispatch.jobs.defer_sync_in`), is
called inside the transaction of `put_record`, `put_records`, `delete_record`, `action` and
`request_sync`, so the sync job commits with the record change, or not at all; those methods
then do not call `wake`. It must absorb "a job is already waiting" itself.

`Service` holds the wiring and nothing else; each method is a function of the module of its
use case, taking the service as its first argument (`_shared.Wiring`):

    api_keys.py      create_key, authenticate
    admin.py         a key's connections: created, read, settings and mappings, disconnect,
                     check_connection, start_fresh (settings.py: the settings' choices)
    connect.py       connecting a company: begin_connect, connect_link, bind_connect,
                     complete_connect, reconnect
    changes.py       the app's record changes: put_record, put_records, delete_record
    sync_log.py      what is read back: record, records, still_pending, events
    actions.py       asked done now: action, resync, request_sync, request_pull
    reports.py       reconciliation, verify, plan
    quickbooks_lists.py  QuickBooks' own lists read from the mirror: quickbooks_list,
                     refresh_quickbooks (the mirror brought up to date now)
    imports.py       what people made in QuickBooks kept for the app (import mode, the initial
                     import): quickbooks_imports, acknowledge_import, start_import,
                     import_progress
    setup_checks.py  checks, apply_numbering_start
    webhooks.py      receive_webhook
    desktop.py       QuickBooks Desktop: the Web Connector's calls (qbwc_call), its .qwc file
                     and password (qwc_file, web_connector_password)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ledgerbridge.engine.desktop.passes import DesktopPasses
from ledgerbridge.engine.ports import DesktopWork, OnlineLedger
from ledgerbridge.engine.service import (
    actions,
    admin,
    api_keys,
    changes,
    connect,
    desktop,
    imports,
    quickbooks_lists,
    reports,
    setup_checks,
    sync_log,
    webhooks,
)
from ledgerbridge.engine.service.actions import ActionResult, Resync
from ledgerbridge.engine.service.changes import PUT_MANY, Received
from ledgerbridge.engine.service.settings import (
    DEFAULT_SETTINGS,
    ENVIRONMENTS,
    MAX_MARGIN,
    NEW_CONNECTION_SETTINGS,
    SETTINGS,
    validate_settings,
)
from ledgerbridge.engine.service.sync_log import record_view, record_views

__all__ = [
    "DEFAULT_SETTINGS",
    "ENVIRONMENTS",
    "MAX_MARGIN",
    "NEW_CONNECTION_SETTINGS",
    "PUT_MANY",
    "SETTINGS",
    "ActionResult",
    "Received",
    "Resync",
    "Service",
    "record_view",
    "record_views",
    "validate_settings",
]


@dataclass
class Service:
    ledger: OnlineLedger
    wake: Callable[[str], None] = lambda connection_id: None
    wake_pull: Callable[[str], None] = lambda connection_id: None
    # dispatch.jobs: a sync job deferred inside the record change's transaction (see above)
    defer_in: Callable[[Session, str], object] | None = None
    # the refreshes of QuickBooks' lists under way in this process (one per connection)
    refreshes: quickbooks_lists.Refreshes = field(default_factory=quickbooks_lists.Refreshes)
    # the initial imports under way in this process (one per connection)
    import_runs: imports.ImportRuns = field(default_factory=imports.ImportRuns)
    # the work the Desktop connections' Web Connector sessions carry out (None: the engine's
    # passes, engine.desktop.passes, one registry of running passes per Service)
    desktop_work: DesktopWork | None = None
    _passes: DesktopPasses = field(init=False, repr=False)  # this Service's own registry

    def __post_init__(self) -> None:
        self._passes = DesktopPasses(self.ledger)
        if self.desktop_work is None:
            self.desktop_work = self._passes

    def close(self, timeout: float = 10.0) -> None:
        """The process shuts down: the Desktop passes running in it end (`DesktopPasses.close`),
        and the refreshes and initial imports under way are waited for, before the database is
        closed. Waits up to `timeout` seconds for each registry."""
        self._passes.close(timeout)
        self.refreshes.join(timeout)
        self.import_runs.join(timeout)
        if isinstance(self.desktop_work, DesktopPasses) and self.desktop_work is not self._passes:
            self.desktop_work.close(timeout)

    # --- keys ---------------------------------------------------------------------------------
    create_key = api_keys.create_key
    authenticate = api_keys.authenticate

    # --- connections ----------------------------------------------------------------------------
    create_connection = admin.create_connection
    connections = admin.connections
    connection = admin.connection
    update_settings = admin.update_settings
    mappings = admin.mappings
    set_mappings = admin.set_mappings
    disconnect = admin.disconnect
    check_connection = admin.check_connection
    start_fresh = admin.start_fresh

    # --- connecting a company (engine.connecting says what guards a sign-in) ------------------
    begin_connect = connect.begin_connect
    connect_link = connect.connect_link
    bind_connect = connect.bind_connect
    complete_connect = connect.complete_connect
    reconnect = connect.reconnect

    # --- records --------------------------------------------------------------------------------
    put_record = changes.put_record
    put_records = changes.put_records
    delete_record = changes.delete_record
    record = sync_log.record
    still_pending = sync_log.still_pending
    records = sync_log.records
    events = sync_log.events

    # --- actions ----------------------------------------------------------------------------------
    action = actions.action
    request_sync = actions.request_sync
    resync = actions.resync
    request_pull = actions.request_pull

    # --- QuickBooks' own lists (the mirror) ----------------------------------------------------
    quickbooks_list = quickbooks_lists.quickbooks_list
    refresh_quickbooks = quickbooks_lists.refresh_quickbooks
    quickbooks_imports = imports.quickbooks_imports
    acknowledge_import = imports.acknowledge_import
    start_import = imports.start_import
    import_progress = imports.import_progress

    # --- reports ----------------------------------------------------------------------------------
    reconciliation = reports.reconciliation
    verify = reports.verify
    plan = reports.plan

    # --- setup checks (engine.checks) ------------------------------------------------------------
    checks = setup_checks.checks
    apply_numbering_start = setup_checks.apply_numbering_start

    # --- Intuit's webhooks ------------------------------------------------------------------------
    receive_webhook = webhooks.receive_webhook

    # --- QuickBooks Desktop (the Web Connector) ------------------------------------------------
    qbwc_call = desktop.qbwc_call
    qwc_file = desktop.qwc_file
    web_connector_password = desktop.web_connector_password
    web_connector_status = desktop.web_connector_status
