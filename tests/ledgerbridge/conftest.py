"""Fixtures for every ledgerbridge suite."""

from __future__ import annotations

import pytest

from tests.ledgerbridge.sqlite_template import SqliteTemplate, migrate_template


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite database at head, migrated once per session: `sqlite_template.copy_into(dir)`
    gives a test (or a module) its own database in a data directory, without migrating."""
    return migrate_template(tmp_path_factory.mktemp("sqlite-template"))
