"""Issue 13, failure 8: what ledgerbridge writes is owner-only, whatever the umask.

The SQLite file (every record, the encrypted tokens and events secrets, password hashes) was
created 0644 while the key files were 0600. Each test runs under umask 000, so nothing here
owes its mode to the umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.bootstrap import build
from ledgerbridge.files import open_private, write_private
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.db import Database, default_sqlite_url
from qbo_emulator.server import EmulatorServer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_data_dir_keys_and_database_are_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    ledger = build(load_settings({}, data_dir=data_dir))  # no keys set: a development key
    try:
        ledger.db.migrate()
        with ledger.db.session() as session:  # a write: the -wal and -shm files exist now
            ApiKeys(session).create("app")
        files = {
            "ledgerbridge.db": 0o600,
            "ledgerbridge.db-wal": 0o600,
            "ledgerbridge.db-shm": 0o600,
            "dev-secret.key": 0o600,
        }
        assert {name: mode(data_dir / name) for name in files} == files
        assert mode(data_dir) == 0o700
        others = {p.name: oct(mode(p)) for p in data_dir.iterdir() if mode(p) & 0o077}
        assert others == {}
    finally:
        ledger.db.dispose()


def test_a_database_file_made_readable_by_others_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "ledgerbridge.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    database = Database(default_sqlite_url(tmp_path))
    try:
        database.migrate()
    finally:
        database.dispose()
    assert mode(path) == 0o600


def test_the_emulator_apps_credentials_are_owner_only(tmp_path: Path) -> None:
    with EmulatorServer() as emulator:
        environ = {"LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url}
        ledger = build(load_settings(environ, data_dir=tmp_path))
        try:
            ledger.app("emulator")  # registers with the emulator, keeps its client secret
        finally:
            ledger.db.dispose()
    assert mode(tmp_path / "emulator-app.json") == 0o600


def test_logs_and_key_files_are_written_owner_only(tmp_path: Path) -> None:
    with open_private(tmp_path / "emulator.log") as log:  # the demo's emulator log
        log.write(b"started\n")
    write_private(tmp_path / "some.key", "secret")
    wide = tmp_path / "was-wide.key"
    wide.write_text("old")
    wide.chmod(0o666)
    write_private(wide, "new")
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {
        "emulator.log": 0o600,
        "some.key": 0o600,
        "was-wide.key": 0o600,
    }
    assert wide.read_text() == "new"
