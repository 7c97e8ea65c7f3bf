"""Fixtures for every ledgerbridge suite."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from ledgerbridge.storage import db
from qbo_emulator.oauth.keys import SigningKey
from tests.ledgerbridge.compiled_sql import sharing_compiled_sql
from tests.ledgerbridge.in_process import close_shared_portal
from tests.ledgerbridge.sqlite_template import SqliteTemplate, migrate_template


@pytest.fixture(scope="session", autouse=True)
def _compiled_sql_shared() -> Iterator[None]:
    """The SQLite engines of the session share their compiled SQL (tests/ledgerbridge/
    compiled_sql.py): a statement is compiled once per worker, not once per test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "create_engine", sharing_compiled_sql(db.create_engine))
        yield


@pytest.fixture(scope="session", autouse=True)
def _one_signing_key() -> Iterator[None]:
    """The session's emulators sign their id_tokens with one RSA key, made on first use,
    rather than each making its own: generating a 2048-bit key, and checking it again when a
    module's snapshot is restored, cost about a tenth of a second of CPU per emulator (one per
    test module, and again in each worker that takes some of a module's tests). Each emulator
    still publishes the key it signs with (its JWKS) and persists it with its state."""
    shared = functools.cache(SigningKey.generate)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SigningKey, "generate", staticmethod(shared))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite database at head, migrated once per session: `sqlite_template.copy_into(dir)`
    gives a test (or a module) its own database in a data directory, without migrating."""
    return migrate_template(tmp_path_factory.mktemp("sqlite-template"))


def pytest_sessionfinish() -> None:
    """The in-process TestClients' event loop ends with the session (tests/ledgerbridge/
    in_process.py)."""
    close_shared_portal()
