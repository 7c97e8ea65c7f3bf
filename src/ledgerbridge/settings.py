"""Settings, read once from the environment at the edge into a typed, immutable value.

Names are part of the operator's contract (keep them):

    LEDGERBRIDGE_DATABASE_URL         sqlite:///... (default var/ledgerbridge.db) or postgresql://
    LEDGERBRIDGE_SECRET_KEYS          comma-separated Fernet keys: the first encrypts, all decrypt
    LEDGERBRIDGE_QBO_CLIENT_ID        the QuickBooks app's client id
    LEDGERBRIDGE_QBO_CLIENT_SECRET    its client secret
    LEDGERBRIDGE_QBO_REDIRECT_URI     where Intuit sends the user back after consent
    LEDGERBRIDGE_QBO_WEBHOOK_VERIFIER_TOKEN   the app's webhook verifier token
    LEDGERBRIDGE_QBO_EMULATOR_URL     base URL of a QuickBooks Online emulator
    LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS  comma-separated hosts an events_url may name over
                                      plain http and on a non-public address (local receivers)
    LEDGERBRIDGE_PASSWORD_SCRYPT_N    the cost of hashing a new dashboard password (scrypt's N,
                                      a power of two; default 16384). Lower it only for tests:
                                      each password checked costs N x 1 KiB of memory and time

Secrets never appear in `repr`, logs or error messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ledgerbridge.core.destinations import allowance

DEFAULT_PASSWORD_SCRYPT_N = 2**14
"""scrypt's N for new password hashes: 16 MiB and about 50 ms per hash on a small machine
(OWASP's minimum is N=2^17 with r=8 for a single-factor login; 2^14 with r=8 and p=1 is that
scaled for 2 cores). A hash keeps its own N, so a stored one is checked at the cost it was made
with whatever the setting says now."""
_SCRYPT_N_RANGE = (2, 2**15)  # 2^15 needs 32 MiB, within what checking a hash may use


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Secret:
    """A string that does not print itself."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('********')" if self.value else "Secret('')"

    def __str__(self) -> str:
        return "********"

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_keys: tuple[Secret, ...]
    qbo_client_id: str | None
    qbo_client_secret: Secret
    qbo_redirect_uri: str | None
    qbo_webhook_verifier_token: Secret
    qbo_emulator_url: str | None
    data_dir: Path
    # hosts (names or addresses, lower case) an events_url may name over http and on a
    # loopback, link-local or private address: the operator's allowance (core.destinations)
    events_allow_http_hosts: frozenset[str] = frozenset()
    # scrypt's N for new dashboard password hashes (and the unknown-email decoy's)
    password_scrypt_n: int = DEFAULT_PASSWORD_SCRYPT_N

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


PREFIX = "LEDGERBRIDGE_"


def load_settings(
    environ: Mapping[str, str] | None = None, *, data_dir: Path | None = None
) -> Settings:
    env = os.environ if environ is None else environ
    base = data_dir or Path(env.get(f"{PREFIX}DATA_DIR", "var"))
    database_url = env.get(f"{PREFIX}DATABASE_URL") or f"sqlite:///{base / 'ledgerbridge.db'}"
    if not database_url.startswith(("sqlite", "postgresql")):
        raise SettingsError(
            f"{PREFIX}DATABASE_URL must be a sqlite:/// or postgresql:// URL, "
            f"not {database_url.split(':', 1)[0]}:"
        )
    keys = tuple(
        Secret(part.strip())
        for part in env.get(f"{PREFIX}SECRET_KEYS", "").split(",")
        if part.strip()
    )
    emulator_url = (env.get(f"{PREFIX}QBO_EMULATOR_URL") or "").rstrip("/") or None
    if emulator_url is not None and not emulator_url.startswith(("http://", "https://")):
        raise SettingsError(f"{PREFIX}QBO_EMULATOR_URL must be an http(s) URL")
    allow_http = frozenset(
        allowance(part) for part in env.get(f"{PREFIX}EVENTS_ALLOW_HTTP_HOSTS", "").split(",")
    ) - {""}
    if any("/" in host or " " in host for host in allow_http):
        raise SettingsError(
            f"{PREFIX}EVENTS_ALLOW_HTTP_HOSTS is a comma-separated list of host names or "
            "addresses (no scheme, path or spaces)"
        )
    return Settings(
        database_url=database_url,
        password_scrypt_n=_scrypt_n(env.get(f"{PREFIX}PASSWORD_SCRYPT_N", "")),
        secret_keys=keys,
        qbo_client_id=env.get(f"{PREFIX}QBO_CLIENT_ID") or None,
        qbo_client_secret=Secret(env.get(f"{PREFIX}QBO_CLIENT_SECRET", "")),
        qbo_redirect_uri=env.get(f"{PREFIX}QBO_REDIRECT_URI") or None,
        qbo_webhook_verifier_token=Secret(env.get(f"{PREFIX}QBO_WEBHOOK_VERIFIER_TOKEN", "")),
        qbo_emulator_url=emulator_url,
        data_dir=base,
        events_allow_http_hosts=allow_http,
    )


def _scrypt_n(text: str) -> int:
    """The password hashing cost: the default when unset, else a power of two in range."""
    if not text.strip():
        return DEFAULT_PASSWORD_SCRYPT_N
    low, high = _SCRYPT_N_RANGE
    try:
        n = int(text.strip())
    except ValueError:
        n = 0
    if not low <= n <= high or n & (n - 1):
        raise SettingsError(
            f"{PREFIX}PASSWORD_SCRYPT_N must be a power of two from {low} to {high}"
        )
    return n
