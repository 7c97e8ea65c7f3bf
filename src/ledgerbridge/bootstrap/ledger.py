"""The engine's ports, filled: settings -> database, cipher, QuickBooks apps and clients.

Nothing here runs at import time; `build(settings)` wires one `Ledger` per process.
With the emulator environment and no client id configured, the app's credentials are the ones
`adapters.qbo.emulator_app` registered with the emulator and keeps in the data directory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ledgerbridge.adapters.qbd import QbdClient
from ledgerbridge.adapters.qbo import (
    OAuthEndpoints,
    QboClient,
    QuickBooks,
    TokenSource,
    api_base,
    oauth,
)
from ledgerbridge.adapters.qbo.emulator_app import emulator_app
from ledgerbridge.crypto import TokenCipher, development_key
from ledgerbridge.engine.desktop.exchange import QueuedExchange, Waits
from ledgerbridge.engine.ports import QboApp, RateLimits
from ledgerbridge.engine.tokens import ConnectionTokens
from ledgerbridge.files import private_dir
from ledgerbridge.settings import Secret, Settings, load_settings
from ledgerbridge.storage.connections import StoredConnection
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.tokens import TokensRead

__all__ = [
    "DEFAULT_REDIRECT",
    "Ledger",
    "QboApp",
    "RateLimits",
    "build",
    "sqlite_ledger",
]

DEFAULT_REDIRECT = "http://127.0.0.1:8000/v1/oauth/callback"


@dataclass
class Ledger:
    """One process's ledgerbridge: fills the engine's ports (`engine.ports.OnlineLedger`)
    structurally. Tests set `clock`, `transport` and `rate_limits`."""

    settings: Settings
    db: Database
    cipher: TokenCipher
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    transport: httpx.BaseTransport | None = None
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # Where Intuit (or the emulator) can reach this process: its webhooks go to
    # <public_url>/v1/qbo/webhooks. Set by `ledgerbridge serve`.
    public_url: str | None = None
    # how long a Desktop pass waits for the Web Connector (engine.desktop.exchange)
    desktop_waits: Waits = field(default_factory=Waits)
    # set when the process shuts down (`engine.ports.Ledger.stopping`)
    stopping: threading.Event = field(default_factory=threading.Event)
    _apps: dict[str, QboApp] = field(default_factory=dict)
    _endpoints: dict[str, OAuthEndpoints] = field(default_factory=dict)

    def app(self, environment: str) -> QboApp:
        """The app credentials for an environment (registering with the emulator if needed)."""
        if environment in self._apps:
            return self._apps[environment]
        s = self.settings
        if s.qbo_client_id:
            app = QboApp(
                s.qbo_client_id,
                s.qbo_client_secret,
                self.redirect_uri(),
                s.qbo_webhook_verifier_token,
            )
        elif environment == "emulator":
            app = self._emulator_app()
        else:
            raise ValueError(
                f"connecting to QuickBooks {environment} needs LEDGERBRIDGE_QBO_CLIENT_ID and "
                "LEDGERBRIDGE_QBO_CLIENT_SECRET"
            )
        self._apps[environment] = app
        return app

    def redirect_uri(self) -> str:
        """Where QuickBooks sends people back after consent: the setting, or else this
        process's own callback when it serves (`public_url`), or else the default."""
        if self.settings.qbo_redirect_uri:
            return self.settings.qbo_redirect_uri
        if self.public_url:
            return f"{self.public_url.rstrip('/')}/v1/oauth/callback"
        return DEFAULT_REDIRECT

    def _emulator_app(self) -> QboApp:
        webhook = f"{self.public_url.rstrip('/')}/v1/qbo/webhooks" if self.public_url else None
        kept_in = self.settings.data_dir / "emulator-app.json"
        found = emulator_app(
            self.emulator_url(), self.redirect_uri(), webhook, kept_in, self.transport
        )
        return QboApp(
            found.client_id,
            Secret(found.client_secret),
            found.redirect_uri,
            Secret(found.verifier_token),
        )

    def known_apps(self) -> list[QboApp]:
        """Every app whose webhooks this process may receive: the configured one, and the
        emulator's (loaded from the data directory, or registered) when an emulator is set."""
        apps = dict(self._apps)
        if self.settings.qbo_client_id and "production" not in apps:
            apps["production"] = self.app("production")
        if self.settings.qbo_emulator_url and "emulator" not in apps:
            apps["emulator"] = self.app("emulator")
        return list(apps.values())

    def emulator_url(self) -> str:
        if not self.settings.qbo_emulator_url:
            raise ValueError("the emulator environment needs LEDGERBRIDGE_QBO_EMULATOR_URL")
        return self.settings.qbo_emulator_url

    def endpoints(self, environment: str) -> OAuthEndpoints:
        if environment not in self._endpoints:
            emulator = self.settings.qbo_emulator_url if environment == "emulator" else None
            url = oauth.discovery_url(environment, emulator)  # type: ignore[arg-type]
            self._endpoints[environment] = oauth.discover(url, self.transport)
        return self._endpoints[environment]

    def client(self, environment: str, realm_id: str, tokens: TokenSource) -> QboClient:
        emulator = self.settings.qbo_emulator_url if environment == "emulator" else None
        base = api_base(environment, emulator)  # type: ignore[arg-type]
        return QboClient(base, realm_id, tokens, transport=self.transport)

    def quickbooks(
        self,
        connection: StoredConnection,
        *,
        tokens: TokensRead | None = None,
        keep: Callable[[], None] | None = None,
    ) -> QuickBooks:
        """The connection's company: QuickBooks Desktop through its Web Connector sessions
        (environment "desktop": `adapters.qbd` over `engine.desktop.exchange`), else QuickBooks
        Online's API with its stored tokens (refreshed once at a time across processes:
        `engine.tokens`)."""
        if connection.environment == "desktop":
            return QbdClient(
                QueuedExchange(
                    self,
                    connection.id,
                    self.desktop_waits,
                    generation=connection.company_generation,
                    keep=keep,
                )
            )
        if connection.realm_id is None:
            raise ValueError(f"connection {connection.id} is not connected to a company")
        source = ConnectionTokens(self, connection.id, connection.environment, read=tokens)
        return self.client(connection.environment, connection.realm_id, source)


def build(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> Ledger:
    keys = settings.secret_keys or (development_key(settings.data_dir),)
    if settings.is_sqlite:
        private_dir(Path(settings.data_dir))
    cipher = TokenCipher(keys)
    db = Database(settings.database_url, sealer=cipher)
    return Ledger(settings=settings, db=db, cipher=cipher, transport=transport)


def sqlite_ledger(data_dir: Path, emulator_url: str, redirect_uri: str) -> Ledger:
    """ledgerbridge on `data_dir`/ledgerbridge.db (migrated), with the emulator at
    `emulator_url` as its QuickBooks (its app registers there on first use)."""
    settings = load_settings(
        {
            "LEDGERBRIDGE_DATABASE_URL": f"sqlite:///{data_dir / 'ledgerbridge.db'}",
            "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator_url,
            "LEDGERBRIDGE_QBO_REDIRECT_URI": redirect_uri,
        },
        data_dir=data_dir,
    )
    ledger = build(settings)
    ledger.db.migrate()
    return ledger
