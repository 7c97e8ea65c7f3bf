"""A service on a fresh database without QuickBooks, for suites of what needs no company
(the intake, Start fresh): `yield from bare_service(request.param, ...)` in a fixture
parametrized over "sqlite" and "postgresql"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ledgerbridge.bootstrap import build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.sqlite_template import SqliteTemplate


def bare_service(
    kind: str, tmp_path: Path, sqlite_template: SqliteTemplate, schema_prefix: str
) -> Iterator[Service]:
    """The service on SQLite (a copy of the migrated template) or on PostgreSQL (a private
    schema named from `schema_prefix`, dropped afterwards)."""

    def serve(url: str) -> Iterator[Service]:
        ledger = build(load_settings({"LEDGERBRIDGE_DATABASE_URL": url}, data_dir=tmp_path))
        ledger.db.migrate()
        try:
            yield Service(ledger)
        finally:
            ledger.db.dispose()

    if kind == "sqlite":
        yield from serve(sqlite_template.copy_into(tmp_path))
        return
    with private_schema(schema_prefix) as url:
        yield from serve(url)
