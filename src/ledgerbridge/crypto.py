"""Encryption of OAuth tokens (and the events secrets) at rest, with key rotation.

Keys come from `LEDGERBRIDGE_SECRET_KEYS` (comma-separated Fernet keys). The first key encrypts;
every key decrypts, so an operator rotates by putting a new key first, running
`TokenCipher.rotate` over the stored tokens (the engine does it when it next writes them), and
dropping the old key later. Without configured keys a development key is derived and kept in the
data directory, and a warning says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ledgerbridge.files import private_dir, write_private
from ledgerbridge.settings import Secret

log = logging.getLogger(__name__)


class CipherError(ValueError):
    """A stored value cannot be decrypted with any configured key."""


class TokenCipher:
    def __init__(self, keys: Sequence[Secret]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        try:
            fernets = [Fernet(k.value.encode()) for k in keys]
        except ValueError:
            raise ValueError(
                "LEDGERBRIDGE_SECRET_KEYS holds a key that is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise CipherError(
                "a stored token cannot be decrypted with the configured keys"
            ) from None

    def is_current(self, ciphertext: str) -> bool:
        """Whether the first (newest) key encrypted it: nothing to rotate."""
        try:
            self._newest.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext, encrypted with the first (newest) key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise CipherError(
                "a stored token cannot be decrypted with the configured keys"
            ) from None


def development_key(data_dir: Path) -> Secret:
    """A key kept in the data directory, for a local set-up without configured keys."""
    path = data_dir / "dev-secret.key"
    if path.exists():
        return Secret(path.read_text().strip())
    private_dir(data_dir)
    key = Fernet.generate_key().decode()
    write_private(path, key)
    log.warning(
        "LEDGERBRIDGE_SECRET_KEYS is not set: tokens are encrypted with a development key kept "
        "in %s. Set LEDGERBRIDGE_SECRET_KEYS in production.",
        path,
    )
    return Secret(key)
