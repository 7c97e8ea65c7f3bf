"""Who runs the engine's entry points (sync a company, pull a company) and when.

On SQLite (the embedded default) `InProcessDispatcher` runs them in a background thread of
`ledgerbridge serve`. On PostgreSQL they are to be procrastinate jobs shared by any number of
`ledgerbridge worker` processes (see docs/architecture.md). Either way due work is derived from
the sync state, so a lost wake-up only delays work.
"""

MAX_CONCURRENCY = 4
"""The most jobs one `ledgerbridge worker` runs at once (`--concurrency`), each in a thread. A
job holds up to two of the process's database connections at a time (a pass's read of its next
records while it stores), and the pool keeps 10 on PostgreSQL (20 at most, `storage.db`): four
jobs leave room for the process's own (the slice's look for waiting jobs, the sweep, stalled
jobs' recovery). More companies at once take more processes."""
