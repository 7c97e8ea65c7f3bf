"""Connecting a company: Intuit's consent, from the link a person opens to the stored tokens.

    consent = begin(ledger, connection, bind=True)   # Intuit's URL, the state, the browser secret
    ...                                              # the person consents; Intuit sends the
    taken = complete(ledger, state, code, realm_id, binding)   # browser to /v1/oauth/callback

The callback needs no API key: the state is the credential, so a state is
- bound to its connection: stored on it (as a digest), one sign-in at a time per connection;
- bound to the browser that started it: `begin(bind=True)` makes a secret that the caller keeps
  in that browser's cookie and `complete` must be shown again; a link for a script or the CLI
  (`bind=False`) is bound by `bind` when a browser first opens it (`/v1/oauth/start`);
- used once: checking and clearing it are one UPDATE, so of two callbacks exactly one wins and
  the other changes nothing (its code is never exchanged);
- good for `STATE_LIFETIME` only.

A sign-in started from the reconnect page (`reconnect`: the app's Reconnect URL, which anyone can
open with any realmId and which needs no API key) is moreover bound to the company the
connection already has: its state starts with `RECONNECT_PREFIX` (states are made here and
stored as digests, so nobody else can make one that does), and a grant for another company is
revoked and refused (`NotSignedIn`) with nothing changed, where a sign-in from the app would
make the connection `wrong_company`. The page serves only connections that need a reconnect
(disconnected, or warned that their sign-in ends soon), and only when one connection holds the
company, so a stranger can neither stop a working connection nor pick among several.

The company is the one the grant proves, never the callback's `realmId`, which anyone can edit:
the openid scope is asked for, so the token answer holds an id_token whose `realmid` names the
company consented to; the link's `realmId` is only a candidate when there is none. Either way
CompanyInfo is read with the new token before anything is stored: QuickBooks answers 403 to a
token for another company (`Disconnected`), and then nothing is stored.

A grant that is not kept (another company than the connection's, a realm QuickBooks did not
confirm) is revoked at Intuit. Tokens a connection already keeps are always for the company it
is connected again to (another company is `wrong_company`, and `start_fresh` forgets tokens
with the company), and Intuit keeps one connection per app and company: revoking any token of
it ends all of them (the emulator's `revoke` does the same). So a grant is revoked only when no
token we keep is for the same company, and a reconnection to the same company, which continues
Intuit's connection, stores the new grant and leaves the earlier token to Intuit.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode, urljoin

from ledgerbridge.adapters.qbo import (
    Disconnected,
    FixedToken,
    QuickBooksError,
    TokenGrant,
    oauth,
)
from ledgerbridge.core import catalog
from ledgerbridge.engine import pacing, reconnecting
from ledgerbridge.engine.ports import OnlineLedger
from ledgerbridge.engine.tokens import store_grant
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.tokens import Tokens

__all__ = [
    "RECONNECT_PREFIX",
    "SCOPES",
    "STATE_LIFETIME",
    "Consent",
    "NotSignedIn",
    "Taken",
    "begin",
    "bind",
    "complete",
    "reconnect",
    "start_link",
]

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
"""How long a sign-in link works: time to read Intuit's consent page and choose a company."""

SCOPES = (oauth.ACCOUNTING_SCOPE, oauth.OPENID_SCOPE)

RECONNECT_PREFIX = "rc."
"""The start of the states the reconnect page makes: such a sign-in may only keep its company."""

NEEDS_RECONNECT = (catalog.CONNECTION_RECONNECT_SOON,)
"""Problems of an active connection for which the reconnect page starts a sign-in."""


class NotSignedIn(Exception):
    """The callback cannot complete and nothing was stored; `field` names what was wrong
    (`state`: unknown, used, expired or another browser's; `realmId`: not the company granted)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Consent:
    """A sign-in just started: where to send the browser, and what it must keep."""

    connection_id: str
    callback: str  # the redirect URI: where the browser comes back with the state
    authorize_url: str = field(repr=False)  # carries the state
    state: str = field(repr=False)
    binding: str | None = field(repr=False)  # the browser's secret; None until a browser opens


@dataclass(frozen=True)
class Taken:
    """What a completed callback did: the connection and its status (active, wrong_company)."""

    connection_id: str
    realm_id: str
    status: str


def begin(
    ledger: OnlineLedger, connection: StoredConnection, *, bind: bool, same_company: bool = False
) -> Consent:
    """A new state for `connection` (any earlier one stops working), bound to a new browser
    secret now when `bind`, else by `bind` later; with `same_company` the sign-in may only
    keep the connection's company (`reconnect`). `ValueError` when the connection's
    environment has no QuickBooks app."""
    state = (RECONNECT_PREFIX if same_company else "") + secrets.token_urlsafe(32)
    binding = secrets.token_urlsafe(32) if bind else None
    url = _authorize_url(ledger, connection.environment, state)
    with ledger.db.session() as session:
        Connections(session).open_sign_in(
            connection.id, state, binding, ledger.clock() + STATE_LIFETIME
        )
    return Consent(connection.id, _callback(ledger, connection), url, state, binding)


def bind(ledger: OnlineLedger, state: str) -> Consent | None:
    """The first browser to open a link made with `bind=False`: its new secret and Intuit's
    URL; None when the state is unknown, expired or already bound."""
    binding = secrets.token_urlsafe(32)
    with ledger.db.session() as session:
        connection = Connections(session).bind_sign_in(state, binding, ledger.clock())
    if connection is None:
        return None
    url = _authorize_url(ledger, connection.environment, state)
    return Consent(connection.id, _callback(ledger, connection), url, state, binding)


def reconnect(ledger: OnlineLedger, realm_id: str) -> Consent | None:
    """The reconnect page: a sign-in bound to a new browser secret for the one connection that
    holds `realm_id` and needs a reconnect (disconnected, or warned that its sign-in ends soon);
    None when no connection, or more than one, does. `ValueError` when the connection's
    environment has no QuickBooks app."""
    with ledger.db.session(readonly=True) as session:
        holding = Connections(session).with_company(realm_id)
    wanted = [
        c
        for c in holding
        if c.status == "disconnected"
        or (c.status == "active" and (c.problem or {}).get("code") in NEEDS_RECONNECT)
    ]
    if len(wanted) != 1:
        return None
    return begin(ledger, wanted[0], bind=True, same_company=True)


def start_link(ledger: OnlineLedger, environment: str, state: str) -> str:
    """The link a script hands to its person's browser: `start` next to the callback."""
    redirect = ledger.app(environment).redirect_uri
    return f"{urljoin(redirect, 'start')}?{urlencode({'state': state})}"


def complete(
    ledger: OnlineLedger, state: str, code: str, claimed_realm: str, binding: str
) -> Taken:
    """The callback: use the state up, exchange the code, prove the company, store the tokens.

    `NotSignedIn` when the state is not good for this browser (nothing changes) or QuickBooks
    does not confirm the company; `QuickBooksError` when Intuit refused the code or could not
    be asked (the state is used up either way: the person starts again)."""
    with ledger.db.session() as session:
        connection = Connections(session).take_sign_in(state, binding, ledger.clock())
    if connection is None:
        raise NotSignedIn("state", "this sign-in link is unknown, expired or was already used")
    app = ledger.app(connection.environment)
    grant = oauth.exchange_code(
        ledger.endpoints(connection.environment),
        app.client_id,
        app.client_secret.value,
        code,
        app.redirect_uri,
        transport=ledger.transport,
    )
    realm = grant.realm_id or claimed_realm
    company_name = _proven(ledger, connection, grant, realm)
    if state.startswith(RECONNECT_PREFIX) and realm != connection.realm_id:
        # The reconnect page keeps the connection's company or nothing: whoever opened it.
        _revoke(ledger, connection, grant.refresh_token, realm)
        raise NotSignedIn(
            "realmId",
            f"this reconnect was for QuickBooks company {connection.realm_id}, and the sign-in "
            "was for another company: nothing was changed",
        )

    dropped = False
    with ledger.db.session() as session:
        connections = Connections(session)
        if connection.realm_id and connection.realm_id != realm:
            # The links were made in another company: keep the tokens of that one and stop,
            # so nothing is pushed into the wrong books; the new grant is not kept.
            connections.set_status(connection.id, "wrong_company")
            Events(session).append(
                connection.id,
                "connection.status_changed",
                {
                    "status": "wrong_company",
                    "expected_realm": connection.realm_id,
                    "connected_realm": realm,
                },
            )
            status, dropped = "wrong_company", True
        else:
            # Any tokens kept so far are for this same company (start_fresh forgets both
            # together): Intuit's connection goes on, with the new grant.
            store_grant(ledger, Tokens(session), connection.id, grant)
            if (connection.problem or {}).get("code") == catalog.CONNECTION_SECRET_KEYS_CHANGED:
                connections.set_problem(connection.id, None)  # new tokens, under today's keys
            connections.set_company(connection.id, realm, company_name or connection.company_name)
            connections.set_status(connection.id, "active")
            Events(session).append(
                connection.id, "connection.status_changed", {"status": "active", "realm_id": realm}
            )
            status = "active"
    if dropped:
        _revoke(ledger, connection, grant.refresh_token, realm)
    else:
        reconnecting.check(ledger, connection.id)  # a new sign-in: a warning clears
    return Taken(connection.id, realm, status)


def _proven(
    ledger: OnlineLedger, connection: StoredConnection, grant: TokenGrant, realm: str
) -> str | None:
    """The company's name, read with the new token from `realm`: the proof that the grant is
    for it. `NotSignedIn` when QuickBooks refuses the token there (the grant is revoked when
    its company is known); a QuickBooks that cannot be asked is no proof unless the id_token
    named the company (then the name is left to the next pull)."""
    token = FixedToken(grant.access_token)
    pacing.pace(ledger, realm)  # counted in the company's limits, as every request
    try:
        with ledger.client(connection.environment, realm, token) as client:
            name = client.company_info().get("CompanyName")
    except Disconnected:
        if grant.realm_id is not None:
            _revoke(ledger, connection, grant.refresh_token, grant.realm_id)
        raise NotSignedIn(
            "realmId",
            f"QuickBooks did not confirm that the sign-in was for company {realm}: "
            "nothing was stored",
        ) from None
    except QuickBooksError:
        if grant.realm_id is None:
            raise
        return None
    return str(name) if name else None


def _revoke(
    ledger: OnlineLedger, connection: StoredConnection, refresh_token: str, realm: str
) -> None:
    """Revoke a grant we do not keep, unless a token we keep is for the same company (revoking
    would end that one too, see the module docstring). Best effort: a failure is logged."""
    with ledger.db.session(readonly=True) as session:
        shared = Connections(session).holding_company(connection.environment, realm)
    if shared:
        return
    app = ledger.app(connection.environment)
    try:
        oauth.revoke(
            ledger.endpoints(connection.environment),
            app.client_id,
            app.client_secret.value,
            refresh_token,
            transport=ledger.transport,
        )
    except QuickBooksError as exc:
        log.warning(
            "connection %s: Intuit did not revoke a grant for company %s that is not kept: %s",
            connection.id,
            realm,
            exc,
        )


def _callback(ledger: OnlineLedger, connection: StoredConnection) -> str:
    return ledger.app(connection.environment).redirect_uri


def _authorize_url(ledger: OnlineLedger, environment: str, state: str) -> str:
    app = ledger.app(environment)
    return oauth.authorize_url(
        ledger.endpoints(environment), app.client_id, app.redirect_uri, state, SCOPES
    )
