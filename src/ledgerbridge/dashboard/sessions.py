"""Dashboard sessions: a signed cookie, and the CSRF token that goes with it.

The cookie holds ``{"sid", "uid", "exp"}`` as base64 JSON followed by its HMAC-SHA256. A
visitor who has not signed in yet gets a session without ``uid`` that nothing on the server
remembers (the sign-in form needs a CSRF token too, and strangers must not be able to fill a
table). Signing in starts a session on the server (`storage.web_sessions`, kept hashed): its id
is the cookie's ``sid``, a new one, so a session id known before sign-in is worth nothing after
it; the cookie signs someone in only while that row lives, so sign-out, a new password or the
user's removal end it at once. The signature keeps forged cookies from costing a query.

The CSRF token is the HMAC of the session id under the same secret, so it is per session and
cannot be made without the secret. Every POST to the dashboard must carry it, as the form
field ``csrf_token`` or the header ``X-CSRF-Token`` (htmx sends it from ``hx-headers``).

The secret: derived from the first of ``LEDGERBRIDGE_SECRET_KEYS`` when set (every process of a
deployment then agrees), otherwise random and kept in the data directory, like the development
key of `ledgerbridge.crypto`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.files import private_dir, write_private
from ledgerbridge.settings import Settings

__all__ = [
    "COOKIE",
    "Signer",
    "WebSession",
    "session_secret",
]

log = logging.getLogger(__name__)

COOKIE = "lb_dashboard"
ANONYMOUS_LIFETIME = 2 * 3600  # the sign-in form's session
_KEY_FILE = "dashboard-session.key"


def session_secret(settings: Settings) -> bytes:
    """The key that signs the dashboard's cookies (see the module docstring)."""
    if settings.secret_keys:
        first = settings.secret_keys[0].value.encode()
        return hmac.new(first, b"ledgerbridge dashboard sessions", hashlib.sha256).digest()
    path = settings.data_dir / _KEY_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    private_dir(settings.data_dir)
    secret = secrets.token_bytes(32)
    write_private(path, secret.hex())
    log.warning(
        "LEDGERBRIDGE_SECRET_KEYS is not set: dashboard sessions are signed with a key kept in "
        "%s; processes on other machines will not accept them.",
        path,
    )
    return secret


@dataclass(frozen=True)
class WebSession:
    sid: str
    user_id: str | None
    expires: int  # unix time

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and checks session cookies and other small values; makes CSRF tokens."""

    def __init__(
        self, secret: bytes | Callable[[], bytes], *, clock: Callable[[], float] = time.time
    ) -> None:
        """`secret`, or a function giving it on first use (nothing is read before then)."""
        self._source = secret
        self._secret: bytes | None = None
        self._clock = clock

    def now(self) -> float:
        """The time the signer goes by (unix seconds)."""
        return self._clock()

    @property
    def _key(self) -> bytes:
        if self._secret is None:
            secret = self._source() if callable(self._source) else self._source
            if len(secret) < 16:
                raise ValueError("the session secret is too short")
            self._secret = secret
        return self._secret

    def _mac(self, purpose: str, payload: bytes) -> str:
        return _b64(hmac.new(self._key, purpose.encode() + b"\0" + payload, "sha256").digest())

    def sign(self, purpose: str, value: Mapping[str, Any]) -> str:
        payload = json.dumps(dict(value), separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{self._mac(purpose, payload)}"

    def unsign(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The value, when `token` was signed for `purpose` by this secret; None otherwise."""
        body, _, mac = token.partition(".")
        try:
            payload = _unb64(body)
        except ValueError:
            return None
        if not mac or not hmac.compare_digest(mac, self._mac(purpose, payload)):
            return None
        try:
            value = json.loads(payload)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    # --- sessions ------------------------------------------------------------------------------

    def anonymous(self) -> WebSession:
        """A session for a visitor who has not signed in (the sign-in form's)."""
        return WebSession(secrets.token_urlsafe(18), None, int(self._clock()) + ANONYMOUS_LIFETIME)

    def cookie(self, session: WebSession) -> str:
        return self.sign(
            "session", {"sid": session.sid, "uid": session.user_id, "exp": session.expires}
        )

    def read_cookie(self, token: str | None) -> WebSession | None:
        """The session in the cookie, unless it is forged, malformed or expired."""
        value = self.unsign("session", token) if token else None
        if value is None:
            return None
        sid, uid, expires = value.get("sid"), value.get("uid"), value.get("exp")
        if not isinstance(sid, str) or not isinstance(expires, int):
            return None
        if uid is not None and not isinstance(uid, str):
            return None
        if expires <= self._clock():
            return None
        return WebSession(sid, uid, expires)

    def csrf_token(self, session: WebSession) -> str:
        return self._mac("csrf", session.sid.encode())

    def csrf_matches(self, session: WebSession | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(session))
