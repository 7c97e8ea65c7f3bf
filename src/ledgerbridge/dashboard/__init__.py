"""The web dashboard for office staff: connection status, the sync log, a record's problem
with its one-click fixes, mappings, the setup checklist, reconciliation and health.

Server-rendered (Jinja2) with htmx shipped in `static/` (no build step, nothing loaded from
elsewhere); people sign in with an email and a password (`ledgerbridge users create`).
"""

from ledgerbridge.dashboard.app import PREFIX, create_dashboard, mount_dashboard

__all__ = ["PREFIX", "create_dashboard", "mount_dashboard"]
