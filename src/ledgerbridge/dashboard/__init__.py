"""The web dashboard for office staff: connection status, the sync log, a record's problem
with its one-click fixes, mappings, the setup checklist, reconciliation and health.

Server-rendered (Jinja2) with htmx shipped in `static/` (no build step, nothing loaded from
elsewhere); people sign in with an email and a password (`ledgerbridge users create`).

The web app itself is `dashboard.app` (`mount_dashboard`), imported by its own name, so that
the command line's `ledgerbridge users` (`dashboard.accounts`) does not load the web.
"""
