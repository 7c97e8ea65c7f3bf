"""The RSA key that signs OpenID Connect id_tokens, and the JWKS that publishes it.

One key per OAuthServer, generated on first use and persisted with the server's state. The key
id (`kid`) is the key's RFC 7638 thumbprint, so it follows the key through a save and load.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    """An RSA private key with its public JWK and an RS256 signer."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._private_key = private_key
        numbers = private_key.public_key().public_numbers()
        self._e = _int_b64url(numbers.e)
        self._n = _int_b64url(numbers.n)
        canonical = json.dumps({"e": self._e, "kty": "RSA", "n": self._n}, separators=(",", ":"))
        self.kid = _b64url(hashlib.sha256(canonical.encode("ascii")).digest())[:16]

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE))

    @classmethod
    def from_pem(cls, pem: str) -> SigningKey:
        """The key of a saved state; a key loaded before is not loaded again (checking an RSA
        key costs a tenth of a second, and a restored state brings the same key back)."""
        return _from_pem(pem)

    def to_pem(self) -> str:
        return self._private_key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        ).decode("ascii")

    def public_jwk(self) -> dict[str, str]:
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "e": self._e,
            "n": self._n,
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT with this key's `kid` in the header."""
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})


@functools.lru_cache(maxsize=16)
def _from_pem(pem: str) -> SigningKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the persisted signing key is not an RSA key")
    return SigningKey(key)
