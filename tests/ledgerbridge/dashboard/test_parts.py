"""The dashboard's pure parts: signed sessions and CSRF tokens, charts, labels, and the
`ledgerbridge users create` command."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from ledgerbridge.bootstrap import build
from ledgerbridge.cli import main
from ledgerbridge.dashboard import charts, present
from ledgerbridge.dashboard.accounts import check_password
from ledgerbridge.dashboard.routes.record import buttons
from ledgerbridge.dashboard.sessions import Signer, WebSession, session_secret
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings

SECRET = b"s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_cookie_reads_back_until_it_expires_and_only_unaltered() -> None:
    clock = Clock()
    signer = Signer(SECRET, clock=clock)
    session = WebSession("sid", "usr_1", int(clock.now) + 3600)
    cookie = signer.cookie(session)
    assert signer.read_cookie(cookie) == session
    assert signer.read_cookie(cookie[:-2] + "xx") is None
    assert Signer(b"t" * 32, clock=clock).read_cookie(cookie) is None  # another secret
    body, mac = cookie.split(".")
    assert signer.read_cookie(f"{body}x.{mac}") is None
    assert signer.read_cookie("") is None and signer.read_cookie("nonsense") is None
    clock.now = session.expires
    assert signer.read_cookie(cookie) is None


def test_the_csrf_token_belongs_to_one_session() -> None:
    signer = Signer(SECRET, clock=Clock())
    one, two = signer.anonymous(), signer.anonymous()
    assert signer.csrf_matches(one, signer.csrf_token(one))
    assert not signer.csrf_matches(one, signer.csrf_token(two))
    assert not signer.csrf_matches(None, signer.csrf_token(one))
    assert not signer.csrf_matches(one, "")
    # a value signed for one purpose is not accepted for another
    token = signer.sign("oauth-return", {"state": "s"})
    assert signer.unsign("oauth-return", token) == {"state": "s"}
    assert signer.unsign("session", token) is None


def test_the_session_secret_comes_from_the_keys_or_the_data_directory(tmp_path: Path) -> None:
    from_keys = load_settings({"LEDGERBRIDGE_SECRET_KEYS": "abc"}, data_dir=tmp_path)
    assert session_secret(from_keys) == session_secret(from_keys)
    assert not (tmp_path / "dashboard-session.key").exists()
    local = load_settings({}, data_dir=tmp_path)
    first = session_secret(local)
    assert (tmp_path / "dashboard-session.key").stat().st_mode & 0o777 == 0o600
    assert session_secret(local) == first != session_secret(from_keys)
    other = load_settings({"LEDGERBRIDGE_SECRET_KEYS": "xyz"}, data_dir=tmp_path)
    assert session_secret(other) != session_secret(from_keys)


def test_a_bar_chart_says_every_figure_to_a_screen_reader() -> None:
    svg = charts.bar_chart("c", "Records per status", [("Synced", 12), ("<b>", 3)])
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">Records per status</title>' in svg
    assert "Records per status: Synced 12; &lt;b&gt; 3." in svg  # escaped
    assert svg.count("<rect") == 2
    widths = [int(w) for w in re.findall(r'<rect x="0" y="\d+" width="(\d+)"', svg)]
    assert widths[0] > widths[1] > 0
    assert "Nothing to show yet" in charts.bar_chart("e", "Empty", [])


def test_a_column_chart_has_a_column_per_hour() -> None:
    hours = [(f"{h:02d}:00", h % 3) for h in range(24)]
    svg = charts.column_chart("h", "Synced per hour", hours)
    assert svg.count("<rect") == 24
    assert "00:00" in svg and "Synced per hour: 01:00 1; 02:00 2" in svg
    quiet = charts.column_chart("q", "Synced per hour", [("00:00", 0)])
    assert "nothing synced in this period" in quiet


def test_a_stacked_chart_stacks_each_columns_statuses_under_a_legend() -> None:
    series = [("synced", "Synced", [3, 5]), ("error", "<Needs attention>", [1, 0])]
    svg = charts.stacked_chart("s", "Records by status", ["Nov 21", "Nov 22"], series)
    assert 'role="img"' in svg and 'aria-labelledby="s-title s-desc"' in svg
    assert (
        "Records by status: Nov 21: Synced 3, &lt;Needs attention&gt; 1; Nov 22: Synced 5." in svg
    )
    assert ">&lt;Needs attention&gt;</text>" in svg  # the legend, escaped
    heights = {
        key: [int(h) for h in re.findall(rf'height="(\d+)" class="seg seg-{key}"', svg)]
        for key in ("synced", "error")
    }
    # a segment per non-zero value, stacked; the tallest column takes the full 150
    assert heights == {"synced": [90, 150], "error": [30]}
    assert svg.count('rx="2" class="seg seg-') == 2  # the legend's swatches
    empty = charts.stacked_chart("e", "Nothing", ["Nov 21"], [])
    assert "Nothing to show yet" in empty and "Nothing: nothing to show yet." in empty


def test_the_y_axis_leaves_room_for_its_top_label_and_the_legend_fits_its_text() -> None:
    """The demo's 8,432 records: the top label ends left of the axis with room to spare, not
    cut to ",432"; each legend entry is as wide as its name, wrapping at the chart's width."""
    series = [
        ("synced", "Synced", [8000, 8427]),
        ("pending", "Pending", [0, 1]),
        ("error", "Needs attention", [3, 1]),
        ("blocked", "Blocked", [0, 2]),
        ("bypassed", "Bypassed", [1, 1]),
    ]
    svg = str(charts.stacked_chart("s", "Records by status", ["Nov 21", "Nov 22"], series))
    axis = re.search(r'<line x1="(\d+)"', svg)
    top = re.search(r'<text x="(\d+)" y="\d+" text-anchor="end" class="chart-value">8,432<', svg)
    assert axis and top
    assert int(top.group(1)) - charts.text_width("8,432") >= 0  # starts inside the picture
    assert int(axis.group(1)) > int(top.group(1))
    keys = re.findall(r'<rect x="(\d+)" y="(\d+)" width="16"', svg)
    assert len(keys) == 5 and {y for _, y in keys} == {"4", "32"}  # two rows, not three
    xs = [int(x) for x, _ in keys]
    assert xs[1] - xs[0] == 24 + charts.text_width("Synced") + 18  # its own width, no more
    assert all(x + 24 + charts.text_width("Needs attention") <= 480 for x in xs)
    column = str(charts.column_chart("c", "Synced per hour", [("00:00", 12345)]))
    found = re.search(r'<text x="(\d+)" [^>]*>12,345<', column)
    assert found and int(found.group(1)) >= charts.text_width("12,345")


def test_labels_read_as_an_office_user_says_them() -> None:
    assert present.record_status("error") == "Needs attention"
    assert present.connection_status("wrong_company") == "Wrong company"
    assert present.type_label("purchase_order") == "Purchase order"
    assert present.action_label("shift_to_open_period") == "Move to open period"
    assert present.record_name("customer", {"first_name": "Ann", "last_name": "Lee"}) == "Ann Lee"
    assert present.record_name("invoice", {"number": "1001"}) == "No. 1001"
    assert present.when("2026-11-22T14:05:09+01:00") == "2026-11-22 13:05 UTC"
    entry = {"kind": "action:renumber", "detail": {"by": "dashboard:a@b.co", "result": "done"}}
    assert present.history_text(entry) == "Renumber clicked by a@b.co: done"
    problem = {"kind": "error", "detail": {"code": "invoice.number_conflict", "params": {}}}
    assert present.history_text(problem).startswith("Stopped by a problem: Invoice number")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path))
    yield tmp_path


def test_users_create_lets_a_person_sign_in(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = build(load_settings({}, data_dir=env))
    ledger.db.migrate()
    key_id, _ = Service(ledger).create_key("office")
    password = "a long enough password"
    code = main(
        [
            "users",
            "create",
            "--email",
            "Ann@Example.com",
            "--key-id",
            key_id,
            "--password",
            password,
        ]
    )
    assert code == 0
    assert "Created dashboard user ann@example.com" in capsys.readouterr().out
    user = check_password(ledger, "ann@example.com", password)
    assert user is not None and user.key_id == key_id
    again = [
        "users",
        "create",
        "--email",
        "ann@example.com",
        "--key-id",
        key_id,
        "--password",
        password,
    ]
    assert main(again) == 1
    assert "exists already" in capsys.readouterr().err
    unknown = [
        "users",
        "create",
        "--email",
        "bo@example.com",
        "--key-id",
        "key_nope",
        "--password",
        password,
    ]
    assert main(unknown) == 1
    assert "no live API key key_nope" in capsys.readouterr().err
    short = [
        "users",
        "create",
        "--email",
        "bo@example.com",
        "--key-id",
        key_id,
        "--password",
        "short",
    ]
    assert main(short) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    scripted = ["users", "create", "--email", "bo@example.com", "--key-id", key_id]
    assert main([*scripted, "--password", password, "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert (made["email"], made["key_id"]) == ("bo@example.com", key_id)
    assert made["id"].startswith("usr_")
    ledger.db.dispose()


def test_names_from_the_code_read_as_words() -> None:
    assert present.words("paid_in_quickbooks") == "Paid in QuickBooks"
    assert present.history_text({"kind": "paid_in_quickbooks"}) == "Paid in QuickBooks"
    assert present.history_text({"kind": "something_new"}) == "Something new"
    assert present.record_status("on_hold") == "On hold"


def test_one_outcome_has_one_button_on_a_record_page() -> None:
    """An item's account differs: "Keep QuickBooks' version" and Align account's "take" do
    the same, so only the first is offered (with Align account, which sends the app's)."""
    both = buttons(SimpleNamespace(actions=("accept_quickbooks", "align_account")))  # type: ignore[arg-type]
    labels = [b.label for b in both]
    assert labels == ["Keep QuickBooks' version", "Align account"]
    alone = buttons(SimpleNamespace(actions=("align_account",)))  # type: ignore[arg-type]
    assert [b.label for b in alone] == ["Align account", "Keep QuickBooks' version"]
