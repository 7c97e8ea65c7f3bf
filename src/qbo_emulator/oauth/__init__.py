"""OAuth 2.0 and OpenID Connect as Intuit runs them, for the QuickBooks Online emulator.

    server = OAuthServer(companies)            # companies: a CompanyDirectory
    app = server.create_app(["http://localhost:8000/callback"])
    routes = build_routes(server)              # discovery, authorize, token, revoke, userinfo, JWKS
    grant = server.authenticate(request.headers.get("authorization"), realm_id)   # data-API calls

Intuit clients (intuit-oauth's AuthClient, for one) work against it unchanged: point them at
`<base>/.well-known/openid_configuration`.
"""

from __future__ import annotations

from .models import (
    ACCESS_TOKEN_LIFETIME,
    ACCOUNTING,
    ADDRESS,
    CODE_LIFETIME,
    EMAIL,
    GRACE,
    KNOWN_SCOPES,
    OPENID,
    PAYMENT,
    PHONE,
    PROFILE,
    REFRESH_TOKEN_GRACE,
    REFRESH_TOKEN_LIFETIME,
    REFRESH_TOKEN_MAX_LIFE,
    REFRESH_TOKEN_POLICIES,
    REFRESH_TOKEN_ROTATION,
    STRICT,
    App,
    Grant,
    TokenSet,
    check_max_life,
)
from .server import USER_SUB, AuthorizeError, CompanyDirectory, OAuthError, OAuthServer

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "ACCOUNTING",
    "ADDRESS",
    "CODE_LIFETIME",
    "EMAIL",
    "GRACE",
    "KNOWN_SCOPES",
    "OPENID",
    "PAYMENT",
    "PHONE",
    "PROFILE",
    "REFRESH_TOKEN_GRACE",
    "REFRESH_TOKEN_LIFETIME",
    "REFRESH_TOKEN_MAX_LIFE",
    "REFRESH_TOKEN_POLICIES",
    "REFRESH_TOKEN_ROTATION",
    "STRICT",
    "USER_SUB",
    "App",
    "AuthorizeError",
    "CompanyDirectory",
    "Grant",
    "OAuthError",
    "OAuthServer",
    "TokenSet",
    "check_max_life",
]
