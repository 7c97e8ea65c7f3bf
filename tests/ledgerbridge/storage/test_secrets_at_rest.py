"""Issue 13, failure 8: the events secret is encrypted at rest like the tokens (migration 0007
moves the plain ones, and both read while they move), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import text

from ledgerbridge.bootstrap import build
from ledgerbridge.crypto import CipherError, TokenCipher
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import Secret, load_settings
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.db import Database, alembic_config

PLAIN = "a-plain-secret-from-before-0007"


def _cipher() -> TokenCipher:
    return TokenCipher([Secret(Fernet.generate_key().decode())])


def _at_0004_with_a_plain_secret(database_url: str) -> None:
    """A database as ledgerbridge left it before 0007: the secret in the settings, in clear."""
    database = Database(database_url)
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
        now = datetime.now(UTC).replace(tzinfo=None)
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, created_at) "
                "VALUES ('key_1', 'app', :hash, :now)"
            ),
            {"hash": "0" * 64, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO connections (id, api_key_id, name, environment, status, settings,"
                " mappings, created_at) VALUES ('con_1', 'key_1', 'Books', 'emulator', "
                f'\'not_connected\', \'{{"numbering": "app", "events_secret": "{PLAIN}"}}\','
                " '{}', :now)"
            ),
            {"now": now},
        )
    database.dispose()


def _stored(database: Database) -> tuple[dict[str, object], str | None]:
    return _stored_of(database, "con_1")


def test_the_migration_encrypts_plain_events_secrets(database_url: str) -> None:
    _at_0004_with_a_plain_secret(database_url)
    cipher = _cipher()
    database = Database(database_url, sealer=cipher)
    database.migrate()
    settings, sealed = _stored(database)
    assert settings == {"numbering": "app"}  # no secret left in clear
    assert sealed is not None and PLAIN not in sealed
    assert cipher.decrypt(sealed) == PLAIN
    with pytest.raises(CipherError):  # other keys cannot open it
        _cipher().decrypt(sealed)
    with database.engine.connect() as connection:
        raw = " ".join(str(v) for v in connection.execute(text("SELECT * FROM connections")).one())
    assert PLAIN not in raw

    with database.engine.begin() as connection:  # and back: in clear in the settings again
        command.downgrade(alembic_config(connection, sealer=cipher), "0004")
        settings_text = connection.execute(text("SELECT settings FROM connections")).scalar_one()
    assert PLAIN in str(settings_text)
    database.dispose()


def test_without_the_keys_the_plain_secret_reads_until_the_settings_move_it(
    database_url: str, tmp_path: Path
) -> None:
    _at_0004_with_a_plain_secret(database_url)
    bare = Database(database_url)  # migrated by hand, without the keys
    bare.migrate()
    settings, sealed = _stored(bare)
    assert settings["events_secret"] == PLAIN and sealed is None
    bare.dispose()

    environ = {"LEDGERBRIDGE_DATABASE_URL": database_url}
    ledger = build(load_settings(environ, data_dir=tmp_path))
    service = Service(ledger)
    try:
        assert service.connection("key_1", "con_1").settings["events_secret"] == PLAIN
        service.update_settings("key_1", "con_1", {"numbering": "quickbooks"})
        settings, sealed = _stored(ledger.db)
        assert "events_secret" not in settings and settings["numbering"] == "quickbooks"
        assert sealed is not None and ledger.cipher.decrypt(sealed) == PLAIN
        assert service.connection("key_1", "con_1").settings["events_secret"] == PLAIN
    finally:
        ledger.db.dispose()


def test_going_back_before_0007_needs_the_keys(database_url: str) -> None:
    database = Database(database_url, sealer=_cipher())
    database.migrate()
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, created_at) "
                "VALUES ('key_1', 'app', :hash, :now)"
            ),
            {"hash": "0" * 64, "now": datetime.now(UTC).replace(tzinfo=None)},
        )
    with database.session() as session:
        created = Connections(session).create("key_1", "Books", "emulator")
        Connections(session).set_events_secret(created.id, _cipher().encrypt(PLAIN))
    with database.engine.begin() as connection, pytest.raises(RuntimeError, match="SECRET_KEYS"):
        command.downgrade(alembic_config(connection), "0004")
    database.dispose()


def test_a_new_connections_events_secret_is_stored_encrypted(
    database_url: str, tmp_path: Path
) -> None:
    environ = {"LEDGERBRIDGE_DATABASE_URL": database_url}
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    service = Service(ledger)
    try:
        key_id, _ = service.create_key("app")
        view = service.create_connection(key_id, "Books", "emulator")
        secret = view.settings["events_secret"]
        assert isinstance(secret, str) and len(secret) >= 32
        settings, sealed = _stored_of(ledger.db, view.id)
        assert "events_secret" not in settings
        assert sealed is not None and secret not in sealed
        assert ledger.cipher.decrypt(sealed) == secret
        with ledger.db.engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM connections")).all()
        assert secret not in " ".join(str(value) for row in rows for value in row)
    finally:
        ledger.db.dispose()


def _stored_of(database: Database, connection_id: str) -> tuple[dict[str, object], str | None]:
    with database.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        assert connection is not None
        return dict(connection.settings), Connections(session).events_secret(connection_id)
