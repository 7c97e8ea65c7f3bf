"""The records behind Intuit's OAuth 2.0: apps, authorization codes, grants and token families.

Secrets handed to clients (codes, access and refresh tokens) are never stored: the server keys
its tables by the SHA-256 of each value, so a persisted state file holds no usable token.

A *token family* is what one authorization-code exchange starts: its current refresh token, the
earlier ones still inside their grace period, and the access tokens issued along the way. Every
family belongs to one app and one company (realm); revoking "the grant" revokes every family of
that pair.

How refresh tokens turn over is a *refresh-token policy*:

- `grace` (Intuit's documented behaviour, the default): a refresh answers with the same refresh
  token while it is younger than a day; after that it answers with a new one, and the previous
  one keeps working for another day.
- `strict`: every refresh answers with a new refresh token and the one sent stops working at
  once (for testing clients that must always keep the latest token).

Every authorization also has a *maximum life* (Intuit, November 2025: five years at most): the
refresh token stops working that long after the authorization was first granted, however often
it was refreshed; `x_refresh_token_expires_in` counts down to that end and never beyond it. Like
the policy, it is a setting of the company, else of the app, else of the server (seconds, so tests
can scale it down).
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

ACCOUNTING = "com.intuit.quickbooks.accounting"
PAYMENT = "com.intuit.quickbooks.payment"
OPENID = "openid"
PROFILE = "profile"
EMAIL = "email"
PHONE = "phone"
ADDRESS = "address"

# Every scope Intuit knows, with the words the consent page shows for it.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    ACCOUNTING: "Manage your QuickBooks accounting data (customers, invoices, reports...)",
    PAYMENT: "Process payments through QuickBooks Payments",
    OPENID: "Sign you in with your Intuit account",
    PROFILE: "See your name",
    EMAIL: "See your email address",
    PHONE: "See your phone number",
    ADDRESS: "See your address",
}
KNOWN_SCOPES = frozenset(SCOPE_DESCRIPTIONS)

ACCESS_TOKEN_LIFETIME = 3600  # one hour
REFRESH_TOKEN_LIFETIME = 8_640_000  # 100 days, rolling: every refresh starts a new period
CODE_LIFETIME = 300  # five minutes
GRACE = "grace"
STRICT = "strict"
REFRESH_TOKEN_POLICIES = (GRACE, STRICT)
REFRESH_TOKEN_ROTATION = 86_400  # grace: a refresh token is answered unchanged for a day
REFRESH_TOKEN_GRACE = 86_400  # grace: a replaced refresh token works a day longer
REFRESH_TOKEN_MAX_LIFE = 5 * 365 * 86_400  # five years from the first grant of an authorization
WEBHOOK_FORMATS = ("legacy", "cloudevents")

_ALNUM = string.ascii_letters + string.digits


def check_refresh_token_policy(policy: str) -> str:
    """`policy` if it names a refresh-token policy; ValueError otherwise."""
    if policy not in REFRESH_TOKEN_POLICIES:
        raise ValueError(
            f"refresh_token_policy must be one of {', '.join(REFRESH_TOKEN_POLICIES)}: {policy!r}"
        )
    return policy


def check_max_life(value: object) -> int:
    """`value` if it is a whole number of seconds above zero (a maximum life); ValueError
    otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"refresh_token_max_life must be a whole number of seconds above 0: {value!r}"
        )
    return value


def token_hash(value: str) -> str:
    """The key a secret is stored under."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def random_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_access_token() -> str:
    """An opaque access token shaped like Intuit's (a compact JWE with random content)."""
    header = (
        "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0"  # {"enc":"A128CBC-HS256","alg":"dir"}
    )
    return ".".join(
        [
            header,
            "",
            secrets.token_urlsafe(16),
            secrets.token_urlsafe(512),
            secrets.token_urlsafe(16),
        ]
    )


def new_refresh_token() -> str:
    return "AB11" + random_alnum(46)


def new_authorization_code() -> str:
    return "AB11" + random_alnum(40)


def parse_scopes(text: str) -> list[str]:
    """Space-separated scope string to a list without duplicates, order kept."""
    seen: dict[str, None] = {}
    for part in text.split():
        seen.setdefault(part, None)
    return list(seen)


def scope_string(scopes: frozenset[str]) -> str:
    return " ".join(sorted(scopes))


@dataclass
class App:
    """An app registered with the emulator (what the Intuit developer portal holds)."""

    client_id: str
    client_secret: str
    verifier_token: str
    redirect_uris: list[str]
    webhook_url: str | None
    webhook_format: str  # "legacy" | "cloudevents"
    name: str
    refresh_token_policy: str | None = None  # None: the server's default
    refresh_token_max_life: int | None = None  # seconds; None: the server's default

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "verifier_token": self.verifier_token,
            "redirect_uris": list(self.redirect_uris),
            "webhook_url": self.webhook_url,
            "webhook_format": self.webhook_format,
            "name": self.name,
            "refresh_token_policy": self.refresh_token_policy,
            "refresh_token_max_life": self.refresh_token_max_life,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> App:
        return cls(
            client_id=str(data["client_id"]),
            client_secret=str(data["client_secret"]),
            verifier_token=str(data["verifier_token"]),
            redirect_uris=[str(u) for u in data["redirect_uris"]],
            webhook_url=None if data.get("webhook_url") is None else str(data["webhook_url"]),
            webhook_format=str(data.get("webhook_format", "legacy")),
            name=str(data["name"]),
            refresh_token_policy=_optional_str(data.get("refresh_token_policy")),
            refresh_token_max_life=(
                None
                if data.get("refresh_token_max_life") is None
                else int(data["refresh_token_max_life"])
            ),
        )


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Grant:
    """What a valid access token allows: one app acting on one company with some scopes."""

    client_id: str
    realm_id: str
    scopes: frozenset[str]


@dataclass
class AuthCode:
    """An authorization code: single use, bound to client, realm, redirect URI and scopes."""

    client_id: str
    realm_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    auth_time: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "realm_id": self.realm_id,
            "redirect_uri": self.redirect_uri,
            "scopes": sorted(self.scopes),
            "expires_at": self.expires_at,
            "auth_time": self.auth_time,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthCode:
        return cls(
            client_id=str(data["client_id"]),
            realm_id=str(data["realm_id"]),
            redirect_uri=str(data["redirect_uri"]),
            scopes=frozenset(str(s) for s in data["scopes"]),
            expires_at=float(data["expires_at"]),
            auth_time=float(data["auth_time"]),
        )


@dataclass
class TokenFamily:
    """The tokens that descend from one authorization-code exchange."""

    family_id: str
    client_id: str
    realm_id: str
    scopes: frozenset[str]
    auth_time: float
    refresh_hash: str
    refresh_expires_at: float
    revoked_at: float | None = None
    access_tokens: dict[str, float] = field(default_factory=dict)  # hash -> expires_at
    refresh_issued_at: float = 0.0  # when the current refresh token was first handed out
    previous: dict[str, float] = field(default_factory=dict)  # replaced hash -> works until

    @property
    def grant(self) -> Grant:
        return Grant(self.client_id, self.realm_id, self.scopes)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def live(self, now: float) -> bool:
        """Not revoked and the refresh token has not expired: the app is still connected."""
        return self.revoked_at is None and now < self.refresh_expires_at

    def dead_since(self) -> float:
        """When the family stops (or stopped) being refreshable, for pruning."""
        if self.revoked_at is not None:
            return min(self.revoked_at, self.refresh_expires_at)
        return self.refresh_expires_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "family_id": self.family_id,
            "client_id": self.client_id,
            "realm_id": self.realm_id,
            "scopes": sorted(self.scopes),
            "auth_time": self.auth_time,
            "refresh_hash": self.refresh_hash,
            "refresh_expires_at": self.refresh_expires_at,
            "revoked_at": self.revoked_at,
            "access_tokens": dict(self.access_tokens),
            "refresh_issued_at": self.refresh_issued_at,
            "previous": dict(self.previous),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenFamily:
        revoked_at = data.get("revoked_at")
        return cls(
            family_id=str(data["family_id"]),
            client_id=str(data["client_id"]),
            realm_id=str(data["realm_id"]),
            scopes=frozenset(str(s) for s in data["scopes"]),
            auth_time=float(data["auth_time"]),
            refresh_hash=str(data["refresh_hash"]),
            refresh_expires_at=float(data["refresh_expires_at"]),
            revoked_at=None if revoked_at is None else float(revoked_at),
            access_tokens={str(k): float(v) for k, v in data.get("access_tokens", {}).items()},
            refresh_issued_at=float(data.get("refresh_issued_at", data["auth_time"])),
            previous={str(k): float(v) for k, v in data.get("previous", {}).items()},
        )


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated request to the authorization endpoint."""

    app: App
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None

    @property
    def scope_text(self) -> str:
        return " ".join(self.scopes)


@dataclass(frozen=True)
class TokenSet:
    """What a successful call to the token endpoint returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    x_refresh_token_expires_in: int
    id_token: str | None = None
    # seconds left of the authorization's maximum life; answered only to a request that asks
    # with `x-include-refresh-token-hard-expires-in: true` (see docs/emulator.md)
    x_refresh_token_hard_expires_in: int | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "x_refresh_token_expires_in": self.x_refresh_token_expires_in,
        }
        if self.x_refresh_token_hard_expires_in is not None:
            body["x_refresh_token_hard_expires_in"] = self.x_refresh_token_hard_expires_in
        if self.id_token is not None:
            body["id_token"] = self.id_token
        return body
