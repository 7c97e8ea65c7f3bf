"""Settings come from the environment, with clear errors and secrets that never print."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ledgerbridge.bootstrap import DEFAULT_REDIRECT, build
from ledgerbridge.bootstrap.wiring import public_url as _public_url
from ledgerbridge.crypto import CipherError, TokenCipher, development_key
from ledgerbridge.settings import (
    DEFAULT_PASSWORD_SCRYPT_N,
    Secret,
    SettingsError,
    load_settings,
)
from ledgerbridge.storage.users import hash_password, verify_password


def test_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'ledgerbridge.db'}"
    assert settings.is_sqlite
    assert settings.secret_keys == ()


def test_reads_every_documented_variable(tmp_path: Path) -> None:
    env = {
        "LEDGERBRIDGE_DATABASE_URL": "postgresql://127.0.0.1/test",
        "LEDGERBRIDGE_SECRET_KEYS": "k1, k2",
        "LEDGERBRIDGE_QBO_CLIENT_ID": "cid",
        "LEDGERBRIDGE_QBO_CLIENT_SECRET": "shh",
        "LEDGERBRIDGE_QBO_REDIRECT_URI": "https://app.example/callback",
        "LEDGERBRIDGE_QBO_WEBHOOK_VERIFIER_TOKEN": "vt-9f2c",
        "LEDGERBRIDGE_QBO_EMULATOR_URL": "http://127.0.0.1:8765/",
    }
    settings = load_settings(env, data_dir=tmp_path)
    assert not settings.is_sqlite
    assert [k.value for k in settings.secret_keys] == ["k1", "k2"]
    assert settings.qbo_client_id == "cid"
    assert settings.qbo_client_secret.value == "shh"
    assert settings.qbo_emulator_url == "http://127.0.0.1:8765"
    assert "shh" not in repr(settings)
    assert "vt-9f2c" not in repr(settings)
    assert "k1" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEDGERBRIDGE_DATABASE_URL", "mysql://x"),
        ("LEDGERBRIDGE_QBO_EMULATOR_URL", "localhost:8765"),
        ("LEDGERBRIDGE_PASSWORD_SCRYPT_N", "1000"),  # not a power of two
        ("LEDGERBRIDGE_PASSWORD_SCRYPT_N", "1"),
        ("LEDGERBRIDGE_PASSWORD_SCRYPT_N", str(2**16)),
        ("LEDGERBRIDGE_PASSWORD_SCRYPT_N", "lots"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value}, data_dir=tmp_path)


def test_passwords_are_hashed_at_the_production_cost_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    """The test suites hash at a tiny cost (`CHEAP_PASSWORDS`); the product's default stays
    scrypt with N=2^14, r=8, p=1, and a hash made by default says so."""
    assert DEFAULT_PASSWORD_SCRYPT_N == 2**14
    assert load_settings({}, data_dir=tmp_path).password_scrypt_n == 2**14
    blank = {"LEDGERBRIDGE_PASSWORD_SCRYPT_N": " "}
    assert load_settings(blank, data_dir=tmp_path).password_scrypt_n == 2**14
    assert hash_password("a long password").startswith("scrypt$16384$8$1$")
    cheap = load_settings({"LEDGERBRIDGE_PASSWORD_SCRYPT_N": "16"}, data_dir=tmp_path)
    assert cheap.password_scrypt_n == 16
    made = hash_password("a long password", n=cheap.password_scrypt_n)
    assert made.startswith("scrypt$16$8$1$") and verify_password("a long password", made)
    dear = load_settings({"LEDGERBRIDGE_PASSWORD_SCRYPT_N": str(2**15)}, data_dir=tmp_path)
    made = hash_password("a long password", n=dear.password_scrypt_n)  # the most allowed
    assert made.startswith("scrypt$32768$8$1$") and verify_password("a long password", made)


def test_secret_hides_itself() -> None:
    secret = Secret("value")
    assert "value" not in repr(secret)
    assert str(secret) == "********"


def test_cipher_round_trip_and_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher([Secret(old)]).encrypt("refresh-token")
    rotated_cipher = TokenCipher([Secret(new), Secret(old)])
    assert rotated_cipher.decrypt(stored) == "refresh-token"
    rotated = rotated_cipher.rotate(stored)
    assert TokenCipher([Secret(new)]).decrypt(rotated) == "refresh-token"
    with pytest.raises(CipherError):
        TokenCipher([Secret(new)]).decrypt(stored)


def test_bad_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="LEDGERBRIDGE_SECRET_KEYS"):
        TokenCipher([Secret("not-a-key")])


def test_development_key_is_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = development_key(tmp_path)
    assert development_key(tmp_path).value == first.value
    assert (tmp_path / "dev-secret.key").stat().st_mode & 0o777 == 0o600


def test_quickbooks_sends_people_back_to_the_setting_else_to_this_server(tmp_path: Path) -> None:
    ledger = build(load_settings({}, data_dir=tmp_path))
    try:
        assert ledger.redirect_uri() == DEFAULT_REDIRECT
        ledger.public_url = "http://127.0.0.1:9123/"
        assert ledger.redirect_uri() == "http://127.0.0.1:9123/v1/oauth/callback"
    finally:
        ledger.db.dispose()
    configured = {"LEDGERBRIDGE_QBO_REDIRECT_URI": "https://app.example/v1/oauth/callback"}
    ledger = build(load_settings(configured, data_dir=tmp_path))
    try:
        ledger.public_url = "http://127.0.0.1:9123"
        assert ledger.redirect_uri() == "https://app.example/v1/oauth/callback"
    finally:
        ledger.db.dispose()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),
        ("::1", "http://[::1]:8000"),
        ("ledger.internal", "http://ledger.internal:8000"),
    ],
)
def test_a_server_on_every_address_is_reached_on_loopback(host: str, url: str) -> None:
    assert _public_url(host, 8000) == url
