"""A SQLite database migrated to head once per test session, copied for each test that needs
a fresh one (`sqlite_template` in tests/ledgerbridge/conftest.py).

Migrating a new file runs every Alembic migration: about a tenth of a second, and more on a busy
machine, for each test that asked for an empty database at head. A copy of a file migrated
once is the same database for a millisecond. The copy is made owner-only (0600), as
`ledgerbridge.storage.db` makes the file it creates itself, so nothing logs a file "readable by
others" and the file-mode checks hold for a copy too. The migrations themselves are still run
from empty by the storage suite (tests/ledgerbridge/storage/test_migrations.py) and by the
file-mode checks (tests/ledgerbridge/test_file_modes.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledgerbridge.storage.db import SQLITE_FILE_NAME, Database, default_sqlite_url

__all__ = ["SqliteTemplate", "migrate_template"]


@dataclass(frozen=True)
class SqliteTemplate:
    """The bytes of a SQLite database at head (WAL checkpointed: one file holds it all)."""

    content: bytes

    def copy_to(self, path: Path) -> str:
        """A new database file at `path` (which must not exist yet), at head: its URL."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(self.content)
        return f"sqlite:///{path.resolve()}"

    def copy_into(self, data_dir: Path) -> str:
        """The database of a data directory (`ledgerbridge.db`, as settings find it): its URL."""
        self.copy_to(data_dir / SQLITE_FILE_NAME)
        return default_sqlite_url(data_dir)


def migrate_template(directory: Path) -> SqliteTemplate:
    """Migrate a new database in `directory` to head and keep its bytes."""
    path = directory / SQLITE_FILE_NAME
    database = Database(default_sqlite_url(directory))
    try:
        database.migrate()
    finally:
        database.dispose()  # the last connection closing checkpoints the WAL into the file
    leftover = [p.name for p in directory.iterdir() if p.name != SQLITE_FILE_NAME]
    assert not any(name.endswith("-wal") for name in leftover), leftover
    return SqliteTemplate(path.read_bytes())
