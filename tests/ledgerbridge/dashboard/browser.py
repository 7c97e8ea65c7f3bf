"""What the browser tests share: headless Chromium (Debian's package, driven by Playwright),
the whole stack served on real sockets, and a desk of one's own per test.

Chromium is Debian's `chromium` at /usr/bin/chromium, never a browser Playwright downloads:
when it is missing the session tries `apt-get install -y chromium` once, and the browser
tests skip, saying why, when that fails. Screenshots go to a folder under pytest's temporary
directory, and also to $LEDGERBRIDGE_SCREENSHOTS when set.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.dashboard.accounts import create_user
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer, free_port
from tests.ledgerbridge.api.conftest import ApiServer
from tests.ledgerbridge.engine.conftest import World, connect
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery staple"


def ensure_chromium() -> Path:
    """Debian's Chromium, installed now if it is missing; skips the test when it cannot be."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.skip("browser tests need Debian's chromium (/usr/bin/chromium) and apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update"], [apt, "install", "-y", "--no-install-recommends", "chromium"]):
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=900, env=env)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(
                f"browser tests need /usr/bin/chromium; `apt-get install chromium` failed: {exc}"
            )
    if not CHROMIUM.exists():
        pytest.skip("browser tests need /usr/bin/chromium; apt-get did not install it")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API runs an event loop on this thread while it is
    open, which tests elsewhere (that call `asyncio.run`) must not find."""
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@dataclass
class Live:
    url: str
    emulator: EmulatorServer
    ledger: Ledger
    service: Service


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """ledgerbridge (API and dashboard) and an emulator, each on a real port. Nothing syncs
    by itself: tests call the push pass, so that every step is deterministic."""
    data_dir = tmp_path_factory.mktemp("ledgerbridge-live")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with EmulatorServer() as emulator:
        env = {
            "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
            "LEDGERBRIDGE_QBO_REDIRECT_URI": f"{url}/v1/oauth/callback",
            "LEDGERBRIDGE_PASSWORD_SCRYPT_N": "16",  # as the other dashboard suites (conftest)
        }
        ledger = build(load_settings(env, data_dir=data_dir))
        ledger.db.migrate()
        service = Service(ledger)
        try:
            with ApiServer(service, port):
                yield Live(url, emulator, ledger, service)
        finally:
            ledger.db.dispose()


@dataclass
class Desk:
    """One office: an account with a connection and an emulator company, a dashboard user
    signed in in a browser page. `world` is the same set-up as the engine's failure tests
    see it, so their helpers (Person, put, sync, ...) work here."""

    live: Live
    page: Page
    world: World
    email: str
    screenshots: Path

    @property
    def cid(self) -> str:
        return self.world.connection_id

    def url(self, path: str = "") -> str:
        return f"{self.live.url}/dashboard/connections/{self.cid}{path}"

    def connect(self) -> None:
        connect(self.live.service, self.world.key_id, self.cid, self.world.realm_id)

    def open_record(self, record_type: str, app_id: str) -> None:
        self.page.goto(self.url(f"/records/{record_type}/{app_id}"))

    def click_action(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def said(self, text: str) -> None:
        """The live region announces `text`."""
        expect(self.page.locator("#live")).to_contain_text(text)

    def shot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        wanted = os.environ.get("LEDGERBRIDGE_SCREENSHOTS")
        if wanted:
            Path(wanted).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(wanted) / path.name)
        return path

    def export(self) -> dict[str, Any]:
        return self.world.export()


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/dashboard/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()


@pytest.fixture
def desk(
    live: Live, browser: Browser, screenshots: Path, request: pytest.FixtureRequest
) -> Iterator[Desk]:
    service = live.service
    key_id, _ = service.create_key("office")
    # letters and digits only: a key id's tail may hold "_" ("office-zvwww_na@..."), which the
    # wording suite reads in the page's header as a field name (about 1 desk in 40)
    email = f"office-{hashlib.sha256(key_id.encode()).hexdigest()[:8]}@example.com"
    create_user(live.ledger, email, key_id, PASSWORD)
    realm = httpx.post(
        f"{live.emulator.url}/_emulator/companies",
        json={"name": f"Books {key_id[-6:]}"},
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    ).json()["realm_id"]
    connection = service.create_connection(key_id, "Main office", "emulator")
    world = World(live.emulator, live.ledger, service, key_id, connection.id, realm)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live.url, email)
        yield Desk(live, page, world, email, screenshots)
    finally:
        context.close()
