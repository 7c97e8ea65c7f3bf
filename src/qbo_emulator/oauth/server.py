"""OAuthServer: Intuit's authorization server, minus the HTTP (`routes.build_routes` is that).

It registers apps, validates authorization requests, issues single-use codes, exchanges them for
refresh tokens (turned over by the refresh-token policy of the company, else of the app, else of
the server, and ending at the maximum life chosen the same way: see `models`) and one-hour access
tokens, revokes grants, and checks the bearer token
of every data-API call (`authenticate`). All state is in memory, guarded by one lock (the HTTP
server and the tests' thread share it), and round-trips through `to_dict` / `from_dict`.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import EllipsisType
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .. import clock, faults
from .keys import SigningKey
from .models import (
    ACCESS_TOKEN_LIFETIME,
    ACCOUNTING,
    ADDRESS,
    CODE_LIFETIME,
    EMAIL,
    GRACE,
    KNOWN_SCOPES,
    OPENID,
    PHONE,
    PROFILE,
    REFRESH_TOKEN_GRACE,
    REFRESH_TOKEN_LIFETIME,
    REFRESH_TOKEN_MAX_LIFE,
    REFRESH_TOKEN_ROTATION,
    STRICT,
    WEBHOOK_FORMATS,
    App,
    AuthCode,
    AuthorizeRequest,
    Grant,
    TokenFamily,
    TokenSet,
    check_max_life,
    check_refresh_token_policy,
    new_access_token,
    new_authorization_code,
    new_refresh_token,
    parse_scopes,
    random_alnum,
    token_hash,
)

STATE_VERSION = 1
CONSENT_LIFETIME = 900  # a rendered consent page can be submitted for 15 minutes
MAX_CONSENT_TICKETS = 10_000
PRUNE_MIN = 4096  # prune stale token records once this many access tokens are on file
RETAIN_DEAD = 86_400  # keep expired/revoked records a day, so errors can say "expired"/"revoked"
MIN_TOKEN_LENGTH = 20
MAX_TOKEN_LENGTH = 4096
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")

EXPIRED_OR_REVOKED = "Token has been expired or revoked."
TOKEN_INVALID = "Token invalid"

# The one user who "signs in" to the emulator; `sub` never changes.
USER_SUB = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://qbo-emulator.invalid/users/1"))
_USER_PROFILE: dict[str, dict[str, Any]] = {
    EMAIL: {"email": "developer@example.com", "emailVerified": True},
    PROFILE: {"givenName": "Emulator", "familyName": "Developer"},
    PHONE: {"phoneNumber": "+1 6505550100", "phoneNumberVerified": False},
    ADDRESS: {
        "address": {
            "streetAddress": "2700 Coast Avenue",
            "locality": "Mountain View",
            "region": "CA",
            "postalCode": "94043",
            "country": "US",
        }
    },
}


class CompanyDirectory(Protocol):
    """The companies a user can connect an app to (provided by the emulator's store)."""

    def company_names(self) -> list[tuple[str, str]]: ...  # (realm_id, company name)

    def company_exists(self, realm_id: str) -> bool: ...


class OAuthError(Exception):
    """An RFC 6749 error from the token, revocation or userinfo endpoint."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(f"{status} {error}: {description or ''}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        return body


class AuthorizeError(Exception):
    """The authorization request cannot be served: show an error page, never redirect."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _BearerError(Exception):
    """The bearer token of a request is missing, malformed, unknown, revoked or expired."""


def _invalid_grant(description: str = TOKEN_INVALID) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


def _timestamp(epoch: float) -> str:
    return clock.format_timestamp(datetime.fromtimestamp(epoch, UTC))


def _token_set(
    access: str, refresh: str, refresh_expires_at: float, end: float, now: float, hard: bool
) -> TokenSet:
    """A token answer: the refresh token's seconds left, counted down to the authorization's
    end and never beyond it (and that end's own countdown when the client asked for it)."""
    return TokenSet(
        access,
        refresh,
        ACCESS_TOKEN_LIFETIME,
        max(0, int(refresh_expires_at - now)),
        x_refresh_token_hard_expires_in=max(0, int(end - now)) if hard else None,
    )


def add_query(uri: str, params: Iterable[tuple[str, str]]) -> str:
    """`uri` with `params` appended to whatever query it already has."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"redirect URI must be an absolute http(s) URL: {uri!r}")
    if parts.fragment:
        raise ValueError(f"redirect URI must not have a fragment: {uri!r}")


def _check_webhook_format(webhook_format: str) -> None:
    if webhook_format not in WEBHOOK_FORMATS:
        raise ValueError(f"webhook_format must be one of {WEBHOOK_FORMATS}: {webhook_format!r}")


def discovery_document(base: str) -> dict[str, Any]:
    """Intuit's OpenID Connect discovery document, with every URL under `base`."""
    return {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base}/oauth2/v1/keys",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": sorted(KNOWN_SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub", "auth_time"],
    }


@dataclass(frozen=True)
class _ConsentTicket:
    request: AuthorizeRequest
    expires_at: float


class OAuthServer:
    """Apps, codes and tokens of the emulated Intuit authorization server."""

    def __init__(
        self,
        companies: CompanyDirectory,
        *,
        now: Callable[[], float] = time.time,
        refresh_token_policy: str = GRACE,
        refresh_token_max_life: int = REFRESH_TOKEN_MAX_LIFE,
    ) -> None:
        self._companies = companies
        self._now = now
        self.refresh_token_policy = check_refresh_token_policy(refresh_token_policy)
        self.refresh_token_max_life = check_max_life(refresh_token_max_life)
        self._lock = threading.RLock()
        self._apps: dict[str, App] = {}
        self._realm_policies: dict[str, str] = {}  # realm -> refresh-token policy
        self._realm_max_lives: dict[str, int] = {}  # realm -> refresh-token maximum life
        self._codes: dict[str, AuthCode] = {}  # code hash -> code
        self._families: dict[str, TokenFamily] = {}
        self._refresh_index: dict[str, str] = {}  # live refresh-token hash -> family id
        self._access_index: dict[str, str] = {}  # access-token hash -> family id
        self._realm_index: dict[str, dict[str, None]] = {}  # realm -> family ids, in order
        self._tickets: dict[str, _ConsentTicket] = {}  # consent-page nonce -> request
        self._key: SigningKey | None = None
        self._prune_at = PRUNE_MIN

    # --- apps -----------------------------------------------------------------------------

    def create_app(
        self,
        redirect_uris: list[str],
        webhook_url: str | None = None,
        webhook_format: str = "legacy",
        name: str | None = None,
        refresh_token_policy: str | None = None,
        refresh_token_max_life: int | None = None,
    ) -> App:
        for uri in redirect_uris:
            _check_redirect_uri(uri)
        _check_webhook_format(webhook_format)
        if refresh_token_policy is not None:
            check_refresh_token_policy(refresh_token_policy)
        if refresh_token_max_life is not None:
            check_max_life(refresh_token_max_life)
        with self._lock:
            app = App(
                client_id="AB" + random_alnum(48),
                client_secret=random_alnum(40),
                verifier_token=str(uuid.uuid4()),
                redirect_uris=list(redirect_uris),
                webhook_url=webhook_url,
                webhook_format=webhook_format,
                name=name if name is not None else f"Emulator App {len(self._apps) + 1}",
                refresh_token_policy=refresh_token_policy,
                refresh_token_max_life=refresh_token_max_life,
            )
            self._apps[app.client_id] = app
            return app

    def update_app(
        self,
        client_id: str,
        *,
        redirect_uris: list[str] | None = None,
        webhook_url: str | EllipsisType | None = ...,
        webhook_format: str | None = None,
        refresh_token_policy: str | EllipsisType | None = ...,
        refresh_token_max_life: int | EllipsisType | None = ...,
    ) -> App:
        """Change an app's registration (`webhook_url=None` removes the webhook,
        `refresh_token_policy=None` and `refresh_token_max_life=None` go back to the server's
        defaults).

        KeyError if no app has that client_id; ValueError for an invalid value.
        """
        with self._lock:
            app = self._apps[client_id]
            if redirect_uris is not None:
                for uri in redirect_uris:
                    _check_redirect_uri(uri)
            if webhook_format is not None:
                _check_webhook_format(webhook_format)
            if isinstance(refresh_token_policy, str):
                check_refresh_token_policy(refresh_token_policy)
            if not isinstance(refresh_token_max_life, EllipsisType | None):
                check_max_life(refresh_token_max_life)
            if redirect_uris is not None:
                app.redirect_uris = list(redirect_uris)
            if not isinstance(webhook_url, EllipsisType):
                app.webhook_url = webhook_url
            if webhook_format is not None:
                app.webhook_format = webhook_format
            if not isinstance(refresh_token_policy, EllipsisType):
                app.refresh_token_policy = refresh_token_policy
            if not isinstance(refresh_token_max_life, EllipsisType):
                app.refresh_token_max_life = refresh_token_max_life
            return app

    def get_app(self, client_id: str) -> App | None:
        with self._lock:
            return self._apps.get(client_id)

    def apps(self) -> list[App]:
        with self._lock:
            return list(self._apps.values())

    # --- refresh-token policy ---------------------------------------------------------------

    def set_realm_policy(self, realm_id: str, policy: str | None) -> None:
        """The company's refresh-token policy (`None`: the app's, else the server's)."""
        with self._lock:
            if policy is None:
                self._realm_policies.pop(realm_id, None)
            else:
                self._realm_policies[realm_id] = check_refresh_token_policy(policy)

    def realm_policy(self, realm_id: str) -> str | None:
        with self._lock:
            return self._realm_policies.get(realm_id)

    def set_realm_max_life(self, realm_id: str, seconds: int | None) -> None:
        """The company's refresh-token maximum life (`None`: the app's, else the server's).

        It is counted from each authorization's first grant and applies to the authorizations
        already given too, so a test can shorten it and see a connection end."""
        with self._lock:
            if seconds is None:
                self._realm_max_lives.pop(realm_id, None)
            else:
                self._realm_max_lives[realm_id] = check_max_life(seconds)

    def realm_max_life(self, realm_id: str) -> int | None:
        with self._lock:
            return self._realm_max_lives.get(realm_id)

    def _max_life(self, family: TokenFamily) -> int:
        realm = self._realm_max_lives.get(family.realm_id)
        if realm is not None:
            return realm
        app = self._apps.get(family.client_id)
        if app is not None and app.refresh_token_max_life is not None:
            return app.refresh_token_max_life
        return self.refresh_token_max_life

    def _hard_end(self, family: TokenFamily) -> float:
        """When the authorization ends for good, whatever the refreshes."""
        return family.auth_time + self._max_life(family)

    def _alive(self, family: TokenFamily, now: float) -> bool:
        return family.live(now) and now < self._hard_end(family)

    def _policy(self, family: TokenFamily) -> str:
        realm = self._realm_policies.get(family.realm_id)
        if realm is not None:
            return realm
        app = self._apps.get(family.client_id)
        if app is not None and app.refresh_token_policy is not None:
            return app.refresh_token_policy
        return self.refresh_token_policy

    # --- the authorization endpoint -------------------------------------------------------

    def check_authorize(self, params: Mapping[str, str]) -> AuthorizeRequest:
        """Validate `/connect/oauth2` parameters; AuthorizeError if they can't be served."""
        client_id = params.get("client_id", "")
        if not client_id:
            raise AuthorizeError("The request has no client_id.")
        with self._lock:
            app = self._apps.get(client_id)
        if app is None:
            raise AuthorizeError(f"Unknown client_id {client_id!r}: no app is registered with it.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri:
            raise AuthorizeError("The request has no redirect_uri.")
        if redirect_uri not in app.redirect_uris:
            registered = ", ".join(app.redirect_uris) or "none"
            raise AuthorizeError(
                f"The redirect_uri {redirect_uri!r} is not registered for {app.name} "
                f"(registered: {registered})."
            )
        response_type = params.get("response_type", "")
        if response_type != "code":
            raise AuthorizeError(
                f"Unsupported response_type {response_type!r}: only 'code' is supported."
            )
        scopes = parse_scopes(params.get("scope", ""))
        if not scopes:
            raise AuthorizeError("The request has no scope.")
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            raise AuthorizeError(f"Unknown scope: {' '.join(unknown)}.")
        return AuthorizeRequest(app, redirect_uri, tuple(scopes), params.get("state") or None)

    def company_names(self) -> list[tuple[str, str]]:
        return list(self._companies.company_names())

    def open_consent(self, request: AuthorizeRequest) -> str:
        """A single-use nonce that the rendered consent form must send back."""
        with self._lock:
            now = self._now()
            while self._tickets:
                oldest = next(iter(self._tickets))
                stale = self._tickets[oldest].expires_at <= now
                if not stale and len(self._tickets) < MAX_CONSENT_TICKETS:
                    break
                del self._tickets[oldest]
            nonce = secrets.token_urlsafe(24)
            self._tickets[nonce] = _ConsentTicket(request, now + CONSENT_LIFETIME)
            return nonce

    def submit_consent(self, form: Mapping[str, str]) -> AuthorizeRequest:
        """The request behind a posted consent form; AuthorizeError if stale, reused or altered."""
        nonce = form.get("consent_nonce", "")
        with self._lock:
            ticket = self._tickets.pop(nonce, None) if nonce else None
            now = self._now()
        if ticket is None or ticket.expires_at <= now:
            raise AuthorizeError(
                "This consent page has expired or was already submitted. "
                "Start connecting again from the app."
            )
        original = ticket.request
        if (
            form.get("client_id") != original.app.client_id
            or form.get("redirect_uri") != original.redirect_uri
            or form.get("scope") != original.scope_text
            or (form.get("state") or None) != original.state
        ):
            raise AuthorizeError("The consent form was altered.")
        # Validate again: the app may have changed its registration since the page was shown.
        return self.check_authorize({**form, "response_type": "code"})

    def approve(self, request: AuthorizeRequest, realm_id: str) -> str:
        """Issue a code for `realm_id`; the URL to redirect the user agent to."""
        if not realm_id:
            raise AuthorizeError("No company was chosen.")
        if not self._companies.company_exists(realm_id):
            raise AuthorizeError(f"Unknown company: there is no company with realmId {realm_id!r}.")
        code = new_authorization_code()
        with self._lock:
            now = self._now()
            self._drop_expired_codes(now)
            self._codes[token_hash(code)] = AuthCode(
                client_id=request.app.client_id,
                realm_id=realm_id,
                redirect_uri=request.redirect_uri,
                scopes=frozenset(request.scopes),
                expires_at=now + CODE_LIFETIME,
                auth_time=now,
            )
        params = [("code", code)]
        if request.state is not None:
            params.append(("state", request.state))
        params.append(("realmId", realm_id))
        return add_query(request.redirect_uri, params)

    @staticmethod
    def deny(request: AuthorizeRequest) -> str:
        """The URL to send the user agent to when the user cancels."""
        params = [("error", "access_denied")]
        if request.state is not None:
            params.append(("state", request.state))
        return add_query(request.redirect_uri, params)

    def _drop_expired_codes(self, now: float) -> None:
        while self._codes:
            oldest = next(iter(self._codes))
            if self._codes[oldest].expires_at > now:
                return
            del self._codes[oldest]

    # --- the token endpoint ---------------------------------------------------------------

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> App:
        """The app whose credentials these are; OAuthError 401 invalid_client otherwise."""
        if not client_id or client_secret is None:
            raise OAuthError(401, "invalid_client")
        with self._lock:
            app = self._apps.get(client_id)
        if app is None or not secrets.compare_digest(
            app.client_secret.encode("utf-8"), client_secret.encode("utf-8")
        ):
            raise OAuthError(401, "invalid_client")
        return app

    def exchange_code(
        self, app: App, code: str, redirect_uri: str, issuer: str, *, hard: bool = False
    ) -> TokenSet:
        """`grant_type=authorization_code`: start a token family from a code (`hard`: the
        answer also tells `x_refresh_token_hard_expires_in`)."""
        with self._lock:
            now = self._now()
            key = token_hash(code)
            record = self._codes.get(key)
            if record is None or record.client_id != app.client_id:
                raise _invalid_grant()
            if record.expires_at <= now:
                del self._codes[key]
                raise _invalid_grant(EXPIRED_OR_REVOKED)
            if record.redirect_uri != redirect_uri:
                raise _invalid_grant()
            del self._codes[key]
            tokens = self._start_family(
                record.client_id, record.realm_id, record.scopes, now, hard=hard
            )
            if OPENID not in record.scopes:
                return tokens
            id_token = self.id_token(record.client_id, record.realm_id, record.auth_time, issuer)
            return TokenSet(
                tokens.access_token,
                tokens.refresh_token,
                tokens.expires_in,
                tokens.x_refresh_token_expires_in,
                id_token,
                tokens.x_refresh_token_hard_expires_in,
            )

    def refresh(self, app: App, refresh_token: str, *, hard: bool = False) -> TokenSet:
        """`grant_type=refresh_token`: a new access token, and the refresh token to keep.

        Under `grace` the same refresh token comes back while it is younger than a day, and
        a replaced one keeps working a day after its successor was issued; under `strict`
        every refresh issues a new one and the one sent stops working at once. The refresh
        token's life restarts (100 days) but never goes past the authorization's maximum life;
        after that end every refresh is `invalid_grant`.
        """
        with self._lock:
            now = self._now()
            key = token_hash(refresh_token)
            family = self._family_of(self._refresh_index.get(key))
            if family is None or family.client_id != app.client_id:
                raise _invalid_grant()
            if not self._alive(family, now):
                raise _invalid_grant(EXPIRED_OR_REVOKED)
            policy = self._policy(family)
            current = key == family.refresh_hash
            if not current and (policy == STRICT or family.previous.get(key, 0.0) <= now):
                family.previous.pop(key, None)
                self._refresh_index.pop(key, None)
                raise _invalid_grant()
            end = self._hard_end(family)
            family.refresh_expires_at = min(now + REFRESH_TOKEN_LIFETIME, end)
            keep = (
                policy == GRACE
                and current
                and now - family.refresh_issued_at < REFRESH_TOKEN_ROTATION
            )
            token = refresh_token if keep else self._rotate(family, policy, now)
            access = self._issue_access(family, now)
            return _token_set(access, token, family.refresh_expires_at, end, now, hard)

    def _rotate(self, family: TokenFamily, policy: str, now: float) -> str:
        """A new current refresh token; the replaced one gets its grace day, or dies (strict)."""
        token = new_refresh_token()
        if policy == GRACE:
            family.previous[family.refresh_hash] = now + REFRESH_TOKEN_GRACE
        else:
            self._refresh_index.pop(family.refresh_hash, None)
            for old in family.previous:
                self._refresh_index.pop(old, None)
            family.previous.clear()
        family.refresh_hash = token_hash(token)
        family.refresh_issued_at = now
        self._refresh_index[family.refresh_hash] = family.family_id
        return token

    def revoke(self, app: App, token: str) -> None:
        """Revoke the grant a refresh or access token belongs to; unknown tokens are ignored."""
        with self._lock:
            key = token_hash(token)
            family = self._family_of(self._refresh_index.get(key) or self._access_index.get(key))
            if family is None:
                return
            if family.client_id != app.client_id:
                raise OAuthError(400, "invalid_request", "The token was not issued to this client")
            self._revoke_grant(family.realm_id, family.client_id)

    def connect(
        self, client_id: str, realm_id: str, scopes: Iterable[str] = (ACCOUNTING,)
    ) -> TokenSet:
        """Admin shortcut: tokens for `client_id` on `realm_id` without the browser dance."""
        wanted = frozenset(scopes)
        if not wanted <= KNOWN_SCOPES:
            raise ValueError(f"unknown scope: {' '.join(sorted(wanted - KNOWN_SCOPES))}")
        with self._lock:
            if client_id not in self._apps:
                raise KeyError(client_id)
            return self._start_family(client_id, realm_id, wanted, self._now())

    def _start_family(
        self,
        client_id: str,
        realm_id: str,
        scopes: frozenset[str],
        now: float,
        *,
        hard: bool = False,
    ) -> TokenSet:
        refresh_token = new_refresh_token()
        family = TokenFamily(
            family_id=secrets.token_hex(12),
            client_id=client_id,
            realm_id=realm_id,
            scopes=scopes,
            auth_time=now,
            refresh_hash=token_hash(refresh_token),
            refresh_expires_at=now + REFRESH_TOKEN_LIFETIME,
            refresh_issued_at=now,
        )
        end = self._hard_end(family)
        family.refresh_expires_at = min(family.refresh_expires_at, end)
        self._add_family(family)
        access = self._issue_access(family, now)
        return _token_set(access, refresh_token, family.refresh_expires_at, end, now, hard)

    def _add_family(self, family: TokenFamily) -> None:
        self._families[family.family_id] = family
        self._refresh_index[family.refresh_hash] = family.family_id
        for key in family.previous:
            self._refresh_index[key] = family.family_id
        for key in family.access_tokens:
            self._access_index[key] = family.family_id
        self._realm_index.setdefault(family.realm_id, {})[family.family_id] = None

    def _issue_access(self, family: TokenFamily, now: float) -> str:
        token = new_access_token()
        key = token_hash(token)
        family.access_tokens[key] = now + ACCESS_TOKEN_LIFETIME
        self._access_index[key] = family.family_id
        if len(self._access_index) >= self._prune_at:
            self._prune(now)
        return token

    def _family_of(self, family_id: str | None) -> TokenFamily | None:
        return None if family_id is None else self._families.get(family_id)

    def _realm_families(self, realm_id: str) -> list[TokenFamily]:
        return [self._families[f] for f in self._realm_index.get(realm_id, {})]

    def _revoke_grant(self, realm_id: str, client_id: str | None) -> None:
        now = self._now()
        for family in self._realm_families(realm_id):
            if family.revoked_at is None and client_id in (None, family.client_id):
                family.revoked_at = now
        for key, code in list(self._codes.items()):
            if code.realm_id == realm_id and client_id in (None, code.client_id):
                del self._codes[key]

    def _prune(self, now: float) -> None:
        """Forget access tokens and families that have been dead for a while."""
        horizon = now - RETAIN_DEAD
        for family in list(self._families.values()):
            for key, expires_at in list(family.access_tokens.items()):
                if expires_at <= horizon:
                    del family.access_tokens[key]
                    self._access_index.pop(key, None)
            for key, until in list(family.previous.items()):
                if until <= now:
                    del family.previous[key]
                    self._refresh_index.pop(key, None)
            if not family.access_tokens and family.dead_since() <= horizon:
                del self._families[family.family_id]
                self._refresh_index.pop(family.refresh_hash, None)
                for key in family.previous:
                    self._refresh_index.pop(key, None)
                realm = self._realm_index.get(family.realm_id, {})
                realm.pop(family.family_id, None)
                if not realm:
                    self._realm_index.pop(family.realm_id, None)
        self._drop_expired_codes(now)
        self._prune_at = max(PRUNE_MIN, 2 * len(self._access_index))

    # --- id_token, JWKS -------------------------------------------------------------------

    @property
    def signing_key(self) -> SigningKey:
        with self._lock:
            if self._key is None:
                self._key = SigningKey.generate()
            return self._key

    def jwks(self) -> dict[str, Any]:
        return self.signing_key.jwks()

    def id_token(self, client_id: str, realm_id: str, auth_time: float, issuer: str) -> str:
        now = int(self._now())
        return self.signing_key.sign(
            {
                "iss": issuer,
                "aud": [client_id],
                "sub": USER_SUB,
                "realmid": realm_id,
                "auth_time": int(auth_time),
                "iat": now,
                "exp": now + 3600,
            }
        )

    # --- bearer tokens --------------------------------------------------------------------

    def _bearer_family(self, authorization_header: str | None) -> TokenFamily:
        header = (authorization_header or "").strip()
        if not header:
            raise _BearerError(
                "Authorization header is missing: send 'Authorization: Bearer <access token>'"
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _BearerError(
                "Malformed bearer token: expected 'Authorization: Bearer <access token>'"
            )
        if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
            raise _BearerError("Malformed bearer token: too short or too long")
        if not _TOKEN_CHARS.issuperset(token):
            raise _BearerError("Malformed bearer token: unexpected characters")
        key = token_hash(token)
        with self._lock:
            family = self._family_of(self._access_index.get(key))
            if family is None:
                if key in self._refresh_index:
                    raise _BearerError(
                        "Token invalid: this is a refresh token; send the access token"
                    )
                raise _BearerError("Token invalid: the access token is not known")
            if family.revoked_at is not None:
                raise _BearerError(
                    f"Token revoked: the app was disconnected from company {family.realm_id} "
                    f"at {_timestamp(family.revoked_at)}"
                )
            expires_at = family.access_tokens[key]
            if expires_at <= self._now():
                raise _BearerError(
                    f"Token expired: the access token expired at {_timestamp(expires_at)}; "
                    "use the refresh token to get a new one"
                )
            return family

    def authenticate(
        self, authorization_header: str | None, realm_id: str, *, scope: str = ACCOUNTING
    ) -> Grant:
        """The grant behind a data-API call's bearer token, or a 401 (3200) / 403 (3100) fault."""
        try:
            family = self._bearer_family(authorization_header)
        except _BearerError as exc:
            raise faults.token_invalid(str(exc)) from None
        if family.realm_id != realm_id:
            raise faults.authorization_failed(
                f"The access token was issued for company {family.realm_id}, "
                f"not for company {realm_id}"
            )
        if scope not in family.scopes:
            raise faults.authorization_failed("The access token does not have sufficient scope")
        return family.grant

    def userinfo(self, authorization_header: str | None) -> dict[str, Any]:
        """The OpenID Connect claims of the emulator's user, limited to the granted scopes."""
        try:
            family = self._bearer_family(authorization_header)
        except _BearerError as exc:
            raise OAuthError(401, "invalid_token", str(exc)) from None
        if OPENID not in family.scopes:
            raise OAuthError(403, "insufficient_scope", "The openid scope was not granted")
        claims: dict[str, Any] = {"sub": USER_SUB}
        for scope in (EMAIL, PROFILE, PHONE, ADDRESS):
            if scope in family.scopes:
                claims.update(_USER_PROFILE[scope])
        return claims

    # --- admin ----------------------------------------------------------------------------

    def apps_connected_to(self, realm_id: str) -> list[App]:
        """Apps holding a live grant on the company: the ones that get its webhooks."""
        with self._lock:
            now = self._now()
            connected = {f.client_id for f in self._realm_families(realm_id) if self._alive(f, now)}
            return [app for app in self._apps.values() if app.client_id in connected]

    def expire_access_tokens(self, realm_id: str) -> int:
        """Every live access token on the company expires now; how many there were."""
        with self._lock:
            now = self._now()
            count = 0
            for family in self._realm_families(realm_id):
                if family.revoked:
                    continue
                for key, expires_at in family.access_tokens.items():
                    if expires_at > now:
                        family.access_tokens[key] = now
                        count += 1
            return count

    def expire_refresh_tokens(self, realm_id: str) -> int:
        """Every live refresh token on the company expires now; how many there were."""
        with self._lock:
            now = self._now()
            count = 0
            for family in self._realm_families(realm_id):
                if self._alive(family, now):
                    family.refresh_expires_at = now
                    count += 1
            return count

    def revoke_realm(self, realm_id: str) -> None:
        """As if the user disconnected every app from the company."""
        with self._lock:
            self._revoke_grant(realm_id, None)

    def forget_realm(self, realm_id: str) -> None:
        """The company is gone: its connections are revoked and its settings dropped."""
        with self._lock:
            self._revoke_grant(realm_id, None)
            self._realm_policies.pop(realm_id, None)
            self._realm_max_lives.pop(realm_id, None)

    # --- HTTP and persistence -------------------------------------------------------------

    def take_state(self, other: OAuthServer) -> None:
        """Hold `other`'s apps, codes, tokens and company settings from now on, in place of
        this server's own (a restored state): what was made to serve this server (the HTTP
        routes) serves the restored state. Consent pages under way are forgotten."""
        with self._lock, other._lock:
            self._apps = other._apps
            self._realm_policies = other._realm_policies
            self._realm_max_lives = other._realm_max_lives
            self._codes = other._codes
            self._families = other._families
            self._refresh_index = other._refresh_index
            self._access_index = other._access_index
            self._realm_index = other._realm_index
            self._tickets = {}
            self._key = other._key
            self._prune_at = other._prune_at

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": STATE_VERSION,
                "signing_key": self.signing_key.to_pem(),
                "apps": [app.to_dict() for app in self._apps.values()],
                "codes": {key: code.to_dict() for key, code in self._codes.items()},
                "families": [family.to_dict() for family in self._families.values()],
                "realm_policies": dict(self._realm_policies),
                "realm_max_lives": dict(self._realm_max_lives),
            }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        companies: CompanyDirectory,
        *,
        now: Callable[[], float] = time.time,
        refresh_token_policy: str = GRACE,
        refresh_token_max_life: int = REFRESH_TOKEN_MAX_LIFE,
    ) -> OAuthServer:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported OAuth state version: {data.get('version')!r}")
        server = cls(
            companies,
            now=now,
            refresh_token_policy=refresh_token_policy,
            refresh_token_max_life=refresh_token_max_life,
        )
        pem = data.get("signing_key")
        if pem:
            server._key = SigningKey.from_pem(str(pem))
        for raw_app in data.get("apps", []):
            app = App.from_dict(raw_app)
            server._apps[app.client_id] = app
        for key, raw_code in data.get("codes", {}).items():
            server._codes[str(key)] = AuthCode.from_dict(raw_code)
        for raw_family in data.get("families", []):
            server._add_family(TokenFamily.from_dict(raw_family))
        for realm_id, policy in data.get("realm_policies", {}).items():
            server._realm_policies[str(realm_id)] = check_refresh_token_policy(str(policy))
        for realm_id, seconds in data.get("realm_max_lives", {}).items():
            server._realm_max_lives[str(realm_id)] = check_max_life(int(seconds))
        server._prune_at = max(PRUNE_MIN, 2 * len(server._access_index))
        return server
