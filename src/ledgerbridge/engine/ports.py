"""What the engine needs from outside itself, as ports the composition root fills.

    def pull_company(ledger: Ledger, connection_id: str) -> PullReport:
        with ledger.db.session() as session: ...          # a unit of work
        now = ledger.clock()                              # the time, injected
        with ledger.quickbooks(connection) as qb: ...     # one company's QuickBooks

The engine types against these `Protocol`s and never imports the composition root:
`bootstrap.Ledger` fills them structurally (tests fill them the same way, moving its `clock`,
swapping its `transport`, lowering its `rate_limits`).

- `Ledger`: a session factory (`db`), a clock, the token cipher, the settings, the rate limits,
  the HTTP transport of every outgoing call, and `quickbooks(connection)`: the company's
  QuickBooks behind the adapter-neutral `adapters.qbo.QuickBooks` protocol, its tokens (and
  their refresh) already wired. A QuickBooks Desktop adapter fits behind `quickbooks`.
- `OAuthApps`: QuickBooks Online's OAuth look-ups (the app's credentials and Intuit's
  endpoints per environment, a client for a grant not stored yet), needed only where a company
  is connected and its tokens refreshed (`engine.connecting`, `engine.tokens`) and where
  Intuit's webhooks are checked (`Service`). `OnlineLedger` is both.
- `DesktopWork`: the work a QuickBooks Desktop connection's Web Connector sessions carry out,
  one qbXML request at a time ("the next request of this session", "the answer to request X").
  The Web Connector service (`engine.desktop.webconnector`) hands it out; the source is
  `engine.desktop.passes` (the engine's passes, their calls through the Desktop adapter
  `adapters.qbd` and a queue in the database), or `engine.desktop.lookups` (session-start
  queries only) (docs/architecture.md, "QuickBooks Desktop").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx
from sqlalchemy.orm import Session

from ledgerbridge.adapters.qbo import OAuthEndpoints, QuickBooks, TokenSource
from ledgerbridge.settings import Secret, Settings
from ledgerbridge.storage.connections import StoredConnection
from ledgerbridge.storage.tokens import TokensRead

__all__ = [
    "NOT_READY",
    "Cipher",
    "Clock",
    "Database",
    "DesktopSession",
    "DesktopWork",
    "Ledger",
    "NotReady",
    "OAuthApps",
    "OnlineLedger",
    "QboApp",
    "QbxmlRequest",
    "RateLimits",
    "Taken",
]

Clock = Callable[[], datetime]
"""The time now, timezone-aware (UTC): every "now" of the engine comes from here."""


class Database(Protocol):
    """A session factory: one unit of work per `with`, committed when the block ends and rolled
    back when it raises; `readonly=True` refuses writes (and takes no write lock on SQLite)."""

    def session(self, *, readonly: bool = False) -> AbstractContextManager[Session]: ...


class Cipher(Protocol):
    """What encrypts the secrets kept in the database (tokens, events secrets)."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; `crypto.CipherError` when none of the keys opens it."""
        ...

    def is_current(self, ciphertext: str) -> bool:
        """True when the first (current) key encrypted it."""
        ...


@dataclass(frozen=True)
class RateLimits:
    """What the engine asks of one QuickBooks company per minute, counted for every process:
    QuickBooks Online's limits, over a sliding window of `window_seconds`. Only a company whose
    limits are known to be others (a local emulator company with its throttle off, as
    `ledgerbridge demo` makes, or an emulator's shorter window, as bench.ceiling sets) changes
    them."""

    requests_per_minute: int = 500
    batches_per_minute: int = 40
    window_seconds: float = 60.0


class Ledger(Protocol):
    """The engine's ports (see the module docstring). Read-only here: only the composition root
    and tests set them."""

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def cipher(self) -> Cipher: ...

    @property
    def settings(self) -> Settings:
        """The typed settings, read once at the edge (the engine reads
        `events_allow_http_hosts` and `qbo_emulator_url`)."""
        ...

    @property
    def rate_limits(self) -> RateLimits: ...

    @property
    def transport(self) -> httpx.BaseTransport | None:
        """What every outgoing HTTP request goes through (None: the network)."""
        ...

    @property
    def stopping(self) -> threading.Event:
        """Set when the process shuts down: long waits end (a Desktop pass's for its Web
        Connector's sessions), so the threads doing them end before the database is closed."""
        ...

    def quickbooks(
        self,
        connection: StoredConnection,
        *,
        tokens: TokensRead | None = None,
        keep: Callable[[], None] | None = None,
    ) -> QuickBooks:
        """The QuickBooks company of `connection`: Online (connected: it has a `realm_id`),
        asking for and refreshing its stored tokens as needed; or Desktop (environment
        "desktop"), its calls exchanged through the Web Connector's sessions. Close it when
        done (`with`). `tokens`: the connection's tokens as the caller just read them, used
        as the client's own first read of them (`engine.tokens.ConnectionTokens`). `keep`:
        called at each look while a Desktop answer is awaited (minutes, at times), to keep
        the caller's lease (it may raise to end the wait)."""
        ...


@dataclass(frozen=True)
class QboApp:
    """The QuickBooks Online app ledgerbridge connects as (one per environment)."""

    client_id: str
    client_secret: Secret
    redirect_uri: str
    verifier_token: Secret


class OAuthApps(Protocol):
    """QuickBooks Online's OAuth look-ups, per environment (emulator, sandbox, production)."""

    def app(self, environment: str) -> QboApp:
        """The app's credentials; `ValueError` when the environment has none configured."""
        ...

    def endpoints(self, environment: str) -> OAuthEndpoints:
        """Intuit's authorization server (from its discovery document)."""
        ...

    def known_apps(self) -> list[QboApp]:
        """Every app whose webhooks this process may receive."""
        ...

    def client(self, environment: str, realm_id: str, tokens: TokenSource) -> QuickBooks:
        """A company's QuickBooks with the tokens given: a grant being proven before it is
        stored (a stored connection's: `Ledger.quickbooks`)."""
        ...


class OnlineLedger(Ledger, OAuthApps, Protocol):
    """The engine's ports with QuickBooks Online's OAuth look-ups: what connecting a company,
    refreshing its tokens and the `Service` facade need."""


@dataclass(frozen=True, slots=True)
class DesktopSession:
    """One Web Connector session of a Desktop connection, as its work source sees it."""

    connection_id: str
    step: int  # the answers received so far in this session
    qbxml_version: str  # the version the requests are written in
    owner_id: str  # the .qwc's OwnerID (the FileID data extension's owner)


@dataclass(frozen=True, slots=True)
class QbxmlRequest:
    """One qbXML document for the Web Connector to relay; `request_id` names it."""

    request_id: str
    qbxml: str


@dataclass(frozen=True, slots=True)
class Taken:
    """What an answer did: `percent` of the session's work done (100: nothing more this
    session), or `error` (plain words for the Web Connector's log) when the session must end."""

    percent: int
    error: str | None = None


class NotReady:
    """The session has work, but none ready yet: the Web Connector is told NoOp and asks again
    a few seconds later."""


NOT_READY = NotReady()


class DesktopWork(Protocol):
    """The work of a Desktop connection's Web Connector sessions, one request at a time."""

    def due(self, connection_id: str) -> bool:
        """Whether a session now has anything to do (else `authenticate` answers "none")."""
        ...

    def next_request(self, session: DesktopSession) -> QbxmlRequest | NotReady | None:
        """The next request of this session; None when the session's work is done."""
        ...

    def take_response(self, session: DesktopSession, request_id: str, response: str) -> Taken:
        """The answer to request `request_id`, as QuickBooks gave it."""
        ...
