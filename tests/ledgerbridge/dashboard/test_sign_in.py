"""Signing in to the dashboard as an attacker would try it, on SQLite and PostgreSQL: a NUL in
the form, 400 wrong passwords from 16 addresses, a stolen cookie after sign-out, a password
reset and a user deleted from the command line (`ledgerbridge users`).

The real app in-process (FastAPI's TestClient, one client per address); the ledger's clock is
moved instead of waiting, and the dashboard's cookies go by the same clock.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.cli import main
from ledgerbridge.dashboard.accounts import create_user
from ledgerbridge.dashboard.routes.auth import FAILED, LOCKED
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from tests.ledgerbridge.dashboard.conftest import BASE, CHEAP_PASSWORDS, PASSWORD, csrf_of
from tests.ledgerbridge.in_process import TestClient
from tests.ledgerbridge.storage.conftest import (
    BACKENDS,
    _fresh_database,
)

pytestmark = pytest.mark.early("hundreds of sign-in attempts, on both databases")

NEW_PASSWORD = "a different long password"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    """One module's dashboard on one backend; each test makes its own user."""

    ledger: Ledger
    service: Service
    env: dict[str, str]
    clock: Clock
    app: Any
    keys: dict[str, str] = field(default_factory=dict)  # each user's API key

    def client(self, address: str = "203.0.113.1") -> httpx.Client:
        """A browser at `address`."""
        client: httpx.Client = TestClient(
            self.app, base_url=BASE, follow_redirects=False, client=(address, 50000)
        )
        return client

    def user(self, name: str) -> str:
        key_id, _ = self.service.create_key(name)
        email = f"{name}-{key_id[-6:]}@example.com".lower()
        create_user(self.ledger, email, key_id, PASSWORD)
        self.keys[email] = key_id
        return email


@pytest.fixture(scope="module", params=BACKENDS)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    data_dir = tmp_path_factory.mktemp("sign-in")
    with _fresh_database(str(request.param), data_dir / "db") as url:
        env = {
            "LEDGERBRIDGE_DATABASE_URL": url,
            "LEDGERBRIDGE_DATA_DIR": str(data_dir),
            **CHEAP_PASSWORDS,
        }
        ledger = build(load_settings(env, data_dir=data_dir))
        ledger.db.migrate()
        clock = Clock()
        ledger.clock = clock
        service = Service(ledger, wake=lambda cid: None, wake_pull=lambda cid: None)
        try:
            yield Desk(ledger, service, env, clock, create_app(service))
        finally:
            ledger.db.dispose()


@pytest.fixture
def cli(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """`ledgerbridge` commands run with `main(argv)` see the desk's database."""
    for name in list(os.environ):
        if name.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)
    for name, value in desk.env.items():
        monkeypatch.setenv(name, value)
    return desk


def attempt(
    client: httpx.Client, email: str, password: str, token: str = "", **fields: str
) -> httpx.Response:
    """The sign-in form, filled in and sent: a new form each time, as a browser would, unless
    the form's `token` is given (a script sending the same form again)."""
    if not token:
        page = client.get("/dashboard/login")
        assert page.status_code == 200, page.text
        token = csrf_of(page.text)
    data = {"email": email, "password": password, "csrf_token": token, **fields}
    return client.post("/dashboard/login", data=data)


def error_of(page: httpx.Response) -> str:
    start = page.text.index('id="login-error"><p>') + len('id="login-error"><p>')
    return page.text[start : page.text.index("</p>", start)].replace("&#39;", "'")


def signed_in(client: httpx.Client) -> bool:
    answer = client.get("/dashboard/connections")
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 200


def test_a_nul_in_the_sign_in_form_is_refused_naming_the_field(desk: Desk) -> None:
    email = desk.user("nul")
    client = desk.client("203.0.113.10")
    for fields, named in [
        ({"email": "office\x00@example.com", "password": PASSWORD}, "email"),
        ({"email": email, "password": PASSWORD + "\x00"}, "password"),
    ]:
        refused = attempt(client, fields["email"], fields["password"])
        assert refused.status_code == 422
        assert error_of(refused).startswith(f"The {named} holds a NUL character at position")
        assert "\x00" not in refused.text
    # a NUL where to go next is dropped; the sign-in goes on
    done = attempt(client, email, PASSWORD, next="/dashboard/\x00x")
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/connections"


def test_400_wrong_passwords_lock_the_account_until_a_person_unlocks_it(cli: Desk) -> None:
    desk = cli
    email = desk.user("locked")
    browsers = [desk.client(f"198.51.100.{n}") for n in range(16)]
    answers = []
    for n in range(400):
        desk.clock.now += timedelta(minutes=20)  # past any wait: only the lock is left
        answers.append(attempt(browsers[n % 16], email, f"guess number {n}"))
    assert [a.status_code for a in answers] == [401] * 50 + [429] * 350
    assert {error_of(a) for a in answers[:50]} == {FAILED}
    assert {error_of(a) for a in answers[50:]} == {LOCKED}
    right = desk.client("192.0.2.1")  # the right person, from an address of their own
    assert attempt(right, email, PASSWORD).status_code == 429
    desk.clock.now += timedelta(days=7)
    assert attempt(right, email, PASSWORD).status_code == 429  # a lock does not wear off
    assert not signed_in(right)

    listed = _listed(desk, email)
    assert listed["locked_since"] is not None and listed["last_sign_in_at"] is None
    assert main(["users", "unlock", email.upper()]) == 0
    assert _listed(desk, email)["locked_since"] is None
    assert attempt(right, email, PASSWORD).status_code == 303
    assert signed_in(right)
    assert _listed(desk, email)["last_sign_in_at"] is not None


def test_a_burst_from_16_addresses_has_five_passwords_checked(desk: Desk) -> None:
    email = desk.user("burst")
    browsers = [desk.client(f"198.51.100.{100 + n}") for n in range(16)]
    forms = [csrf_of(browser.get("/dashboard/login").text) for browser in browsers]
    answers = [
        attempt(browsers[n % 16], email, f"guess number {n}", forms[n % 16]) for n in range(400)
    ]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 395
    assert {error_of(a) for a in answers[5:]} == {
        "Too many attempts to sign in. Try again in 1 second."
    }
    assert {a.headers["retry-after"] for a in answers[5:]} == {"1"}
    right = desk.client("192.0.2.2")
    assert attempt(right, email, PASSWORD).status_code == 429  # nobody's password is looked at
    desk.clock.now += timedelta(seconds=1)
    assert attempt(right, email, PASSWORD).status_code == 303
    # signing in cleared the account's count: five free failures again
    other = desk.client("192.0.2.3")
    assert [attempt(other, email, "wrong password").status_code for _ in range(6)] == [401] * 5 + [
        429
    ]


def test_signing_out_makes_the_old_cookie_worthless(desk: Desk) -> None:
    email = desk.user("signout")
    browser = desk.client("203.0.113.20")
    assert attempt(browser, email, PASSWORD).status_code == 303
    page = browser.get("/dashboard/connections")
    stolen, token = browser.cookies["lb_dashboard"], csrf_of(page.text)
    thief = desk.client("203.0.113.66")
    thief.cookies.set("lb_dashboard", stolen)
    assert signed_in(thief)
    out = browser.post("/dashboard/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/login?signed_out=1"
    assert not signed_in(thief)
    create = thief.post("/dashboard/connections", data={"name": "x", "csrf_token": token})
    assert create.status_code in (303, 403)  # signed out and the form refused alike
    assert desk.service.connections(desk.keys[email]) == []


def test_signing_in_again_ends_the_session_it_replaces(desk: Desk) -> None:
    email = desk.user("again")
    browser = desk.client("203.0.113.25")
    assert attempt(browser, email, PASSWORD).status_code == 303
    first = browser.cookies["lb_dashboard"]
    token = csrf_of(browser.get("/dashboard/connections").text)
    assert attempt(browser, email, PASSWORD, token).status_code == 303
    assert browser.cookies["lb_dashboard"] != first and signed_in(browser)
    copy = desk.client("203.0.113.26")
    copy.cookies.set("lb_dashboard", first)
    assert not signed_in(copy)


def test_a_new_password_ends_every_session_of_the_user(cli: Desk, monkeypatch: Any) -> None:
    desk = cli
    email = desk.user("reset")
    laptop, phone = desk.client("203.0.113.30"), desk.client("203.0.113.31")
    assert attempt(laptop, email, PASSWORD).status_code == 303
    assert attempt(phone, email, PASSWORD).status_code == 303
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert main(["users", "reset-password", email, "--password-stdin"]) == 0
    assert not signed_in(laptop) and not signed_in(phone)
    assert attempt(laptop, email, PASSWORD).status_code == 401
    assert attempt(laptop, email, NEW_PASSWORD).status_code == 303
    assert signed_in(laptop)


def test_users_are_listed_and_deleted_from_the_command_line(
    cli: Desk, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    desk = cli
    email = desk.user("deleted")
    browser = desk.client("203.0.113.40")
    assert attempt(browser, email, PASSWORD).status_code == 303
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    table = capsys.readouterr().out
    assert email in table and "last sign-in" in table
    listed = _listed(desk, email)
    assert listed["key_id"] == desk.keys[email] and listed["last_sign_in_at"]
    assert main(["users", "delete", email]) == 0
    assert not signed_in(browser)
    assert attempt(browser, email, PASSWORD).status_code == 401
    assert email not in [row["email"] for row in _users(desk)]
    assert main(["users", "delete", email]) == 1
    assert f"there is no user {email}" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "reset-password", "nobody@example.com", "--password-stdin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    for command in (["delete"], ["unlock"]):  # a NUL reached PostgreSQL: a traceback
        assert main(["users", *command, "a\x00b@example.com"]) == 1
        assert "the email holds a NUL character" in capsys.readouterr().err


def _users(desk: Desk) -> list[dict[str, Any]]:
    stdout = sys.stdout
    sys.stdout = captured = io.StringIO()
    try:
        assert main(["users", "list", "--json"]) == 0
    finally:
        sys.stdout = stdout
    rows: list[dict[str, Any]] = json.loads(captured.getvalue())
    return rows


def _listed(desk: Desk, email: str) -> dict[str, Any]:
    return next(row for row in _users(desk) if row["email"] == email)


def test_a_second_server_process_counts_the_same_failures(desk: Desk, tmp_path: Path) -> None:
    email = desk.user("processes")
    other_ledger = build(desk.ledger.settings)
    other_ledger.clock = desk.clock
    try:
        other = Desk(
            other_ledger,
            Service(other_ledger),
            desk.env,
            desk.clock,
            create_app(Service(other_ledger)),
        )
        browsers = [desk.client("203.0.113.50"), other.client("203.0.113.51")]
        codes = [attempt(browsers[n % 2], email, "wrong password").status_code for n in range(6)]
    finally:
        other_ledger.db.dispose()
    assert codes == [401] * 5 + [429]


def _tallies(desk: Desk) -> int:
    from sqlalchemy import func, select

    from ledgerbridge.storage.tables import SignInTally

    with desk.ledger.db.session(readonly=True) as session:
        return int(session.execute(select(func.count()).select_from(SignInTally)).scalar_one())


def test_a_throttled_attempt_writes_nothing(desk: Desk) -> None:
    """Once an address must wait, its attempts are refused from a read alone: 300 attempts on
    300 made-up emails leave the rows of the few that were checked, not one row per guess."""
    before = _tallies(desk)  # the module's other tests share the database
    browser = desk.client("198.51.100.200")
    form = csrf_of(browser.get("/dashboard/login").text)
    answers = [attempt(browser, f"nobody{n}@example.com", "guess", form) for n in range(300)]
    checked = sum(1 for a in answers if a.status_code == 401)
    assert checked == 10 and {a.status_code for a in answers[checked:]} == {429}
    assert _tallies(desk) - before == 1 + 2 * checked  # the address; each checked email's two


def test_one_ipv6_host_counts_as_one_client(desk: Desk) -> None:
    """A host holds a whole /64 and may send each attempt from another address of it: they
    count as one client, so the per-client delay holds (here guessing a new email each time,
    where no account's own count is reached)."""
    answers = [
        attempt(desk.client(f"2001:db8:1:2::{n:x}"), f"v6-{n}@example.com", "guess")
        for n in range(12)
    ]
    assert [a.status_code for a in answers] == [401] * 10 + [429] * 2
    # another /64 is another client
    assert attempt(desk.client("2001:db8:1:3::1"), "v6-x@example.com", "guess").status_code == 401
