"""Who runs the engine's entry points (sync a company, pull a company) and when.

On SQLite (the embedded default) `InProcessDispatcher` runs them in a background thread of
`ledgerbridge serve`. On PostgreSQL they are to be procrastinate jobs shared by any number of
`ledgerbridge worker` processes (see docs/architecture.md). Either way due work is derived from
the sync state, so a lost wake-up only delays work.
"""
