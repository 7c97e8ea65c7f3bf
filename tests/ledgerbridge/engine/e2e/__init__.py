"""End-to-end suites of the sync itself, run in three shapes: SQLite, PostgreSQL, and the
scale-out shape (two worker processes doing the passes)."""
