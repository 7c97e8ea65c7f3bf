"""`ledgerbridge demo`: the whole product on one machine, with nothing else running.

An emulated QuickBooks company (the emulator's "Summit Ridge Builders"), a field-service
business's records generated deterministically (`dataset`, `cases`), handed to ledgerbridge
through its application layer, synced with a progress bar, changed "by a person in QuickBooks"
and pulled back, then summarised; the HTTP API (and the dashboard) keep serving it (`run`).
"""
