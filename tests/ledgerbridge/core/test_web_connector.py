"""What the Web Connector's reports mean (core.web_connector) and the Desktop wording of the
catalog (catalog.DESKTOP_ENTRIES), as values."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.core import catalog, web_connector
from tests.ledgerbridge.core.test_catalog import _JARGON, texts


@pytest.mark.parametrize(
    ("hresult", "message", "code"),
    [
        ("0x80040408", "Could not start QuickBooks.", catalog.CONNECTION_QUICKBOOKS_CLOSED),
        (
            "0x80040416",
            "If QuickBooks is not running, the company data file name must be supplied to "
            "BeginSession.",
            catalog.CONNECTION_QUICKBOOKS_CLOSED,
        ),
        ("0X80040401", "Could not access QuickBooks.", catalog.CONNECTION_QUICKBOOKS_CLOSED),
        (
            "0x80040409",
            "A QuickBooks company data file is already open and it is different from the one "
            "requested.",
            catalog.CONNECTION_WRONG_COMPANY,
        ),
        (
            "0x80040422",
            "This application requires Single User file access mode and there is already more "
            "than one user logged in to this company file.",
            catalog.CONNECTION_SINGLE_USER_NEEDED,
        ),
        (
            "0x80040420",
            "The QuickBooks user has denied access.",
            catalog.CONNECTION_QUICKBOOKS_ACCESS_DENIED,
        ),
        # no HRESULT, or one not known: QuickBooks' and the Web Connector's words decide
        (
            "",
            "The company file is open in single-user mode elsewhere",
            catalog.CONNECTION_SINGLE_USER_NEEDED,
        ),
        ("", "QBWC1013: QuickBooks is not running", catalog.CONNECTION_QUICKBOOKS_CLOSED),
        ("0x80040402", "Unexpected error (0x80040408)", catalog.CONNECTION_QUICKBOOKS_CLOSED),
        ("0x80040402", "Unexpected error.", catalog.CONNECTION_WEB_CONNECTOR_ERROR),
        ("", "", catalog.CONNECTION_WEB_CONNECTOR_ERROR),
    ],
)
def test_reported_names_the_catalog_entry(hresult: str, message: str, code: str) -> None:
    assert web_connector.reported(hresult, message) == code


def test_the_default_silence_is_three_updates_of_the_schedule() -> None:
    assert web_connector.DEFAULT_SILENT_MINUTES == 3 * web_connector.RUN_EVERY_MINUTES == 45
    assert web_connector.silent_after({}) == timedelta(minutes=45)
    assert web_connector.silent_after({"web_connector_silent_minutes": 120}) == timedelta(hours=2)
    for odd in (5, 10**6, "60", 60.0, True, None):
        assert web_connector.silent_after({"web_connector_silent_minutes": odd}) == timedelta(
            minutes=45
        )


def test_silent_only_once_heard_from_and_past_the_time() -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    after = timedelta(minutes=45)
    assert not web_connector.is_silent(None, now, after)  # never set up: not silent
    assert not web_connector.is_silent(now - timedelta(minutes=44), now, after)
    assert web_connector.is_silent(now - timedelta(minutes=45), now, after)


def test_a_password_refused_once_is_not_shown_twice_is() -> None:
    assert not web_connector.refused_enough(0)
    assert not web_connector.refused_enough(1)
    assert web_connector.refused_enough(2)


def test_every_outcome_has_words() -> None:
    assert set(web_connector.OUTCOMES) == {
        "done",
        "nothing_to_do",
        "busy",
        "password_refused",
        "failed",
        "disconnected",
    }


# --- the Desktop wording --------------------------------------------------------------------

DESKTOP = [e for e in catalog.DESKTOP_ENTRIES.values() if e.level == "connection"]
DESKTOP_RECORDS = [e for e in catalog.DESKTOP_ENTRIES.values() if e.level == "record"]


def test_desktop_entries_keep_the_code_and_level_of_the_entry() -> None:
    assert set(catalog.DESKTOP_ENTRIES) == {
        catalog.CONNECTION_WRONG_COMPANY,
        catalog.INVOICE_CUSTOMER_INACTIVE,
        catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
        catalog.CLASS_INACTIVE_IN_QUICKBOOKS,
    }
    for item in DESKTOP + DESKTOP_RECORDS:
        online = catalog.entry(item.code)
        assert (item.level, item.retriable) == (online.level, online.retriable)
        assert catalog.entry(item.code, desktop=True) is item
    # codes without a Desktop wording read the same on both
    silent = catalog.CONNECTION_WEB_CONNECTOR_SILENT
    assert catalog.entry(silent, desktop=True) is catalog.entry(silent)


@pytest.mark.parametrize("item", DESKTOP, ids=[e.code for e in DESKTOP])
def test_desktop_words_speak_of_the_pc_not_a_sign_in(item: catalog.CatalogEntry) -> None:
    shown = catalog.render(item)
    for text in texts(item) + texts(shown):
        assert not _JARGON.search(text), text
        assert "Reconnect" not in text and "sign in" not in text.lower()
    for text in texts(shown):
        assert not re.search(r"[{}\[\]|]", text), text
        assert "  " not in text, text
    assert "PC" in shown.meaning or "computer" in " ".join(shown.fix)
    assert item.actions == ()
    full = catalog.render(item, {"company_file": "C:\\Other.QBW", "expected": "C:\\Books.QBW"})
    assert "C:\\Other.QBW" in full.meaning and "C:\\Books.QBW" in full.fix[0]


@pytest.mark.parametrize("item", DESKTOP_RECORDS, ids=[e.code for e in DESKTOP_RECORDS])
def test_a_records_desktop_words_keep_its_buttons_and_say_the_fix_waits(
    item: catalog.CatalogEntry,
) -> None:
    assert item.actions == catalog.entry(item.code).actions  # the same buttons on both
    shown = catalog.render(item)
    for text in texts(item) + texts(shown):
        assert not _JARGON.search(text), text
    for text in texts(shown):
        assert not re.search(r"[{}\[\]|]", text), text
        assert "  " not in text, text
    assert "QuickBooks Desktop" in shown.title
    assert any("waits for its next update" in step for step in shown.fix)


@pytest.mark.parametrize(
    "code",
    sorted(web_connector.SESSION_CODES | {catalog.CONNECTION_WEB_CONNECTOR_SILENT}),
)
def test_desktop_connection_entries_say_what_to_check_on_the_pc(code: str) -> None:
    item = catalog.entry(code, desktop=True)
    assert item.level == "connection" and not item.retriable
    assert "QuickBooks Desktop only" in item.detected or code == catalog.CONNECTION_WRONG_COMPANY
    steps = " ".join(catalog.render(item).fix)
    assert "QuickBooks" in steps or "Web Connector" in steps


def test_the_newest_qbxml_of_the_host_answer_and_whether_it_is_too_old() -> None:
    assert web_connector.newest_qbxml(["1.0", "7.0", "13.0", "8.0"]) == "13.0"
    assert web_connector.newest_qbxml(["CA3.0", "6.0", "7.0"]) == "7.0"
    assert web_connector.newest_qbxml(["CA3.0", ""]) is None
    assert web_connector.too_old("7.0") and web_connector.too_old("2.1")
    assert not web_connector.too_old("8.0") and not web_connector.too_old("13.0")
    assert not web_connector.too_old(None) and not web_connector.too_old("CA3.0")


def test_too_old_names_the_version_and_what_to_do() -> None:
    shown = catalog.render(
        catalog.entry(catalog.CONNECTION_QUICKBOOKS_TOO_OLD, desktop=True),
        {"qbxml_version": "7.0"},
    )
    assert "qbXML 7.0" in shown.meaning and "qbXML 8.0 (QuickBooks 2009)" in shown.meaning
    assert "Update QuickBooks Desktop" in shown.fix[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://books.example.com/qbwc",
        "https://books.example.com:8443/qbwc",
        "HTTPS://[2001:db8::1]/qbwc",
        "http://localhost/qbwc",
        "http://localhost:8000/qbwc",
        "HTTP://LOCALHOST:8000/qbwc",
    ],
)
def test_the_web_connector_takes_https_and_http_on_localhost(url: str) -> None:
    assert web_connector.app_url_refusal(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://books.example.com/qbwc",
        "http://127.0.0.1:8000/qbwc",  # the Web Connector wants the name localhost
        "http://localhost.example.com/qbwc",
        "http://localhost@example.com/qbwc",  # user info: the host is example.com
        "http://[::1]:8000/qbwc",
        "ftp://localhost/qbwc",
        "https:///qbwc",  # no host
        "http://local\x00host/qbwc",
        "http://\ud800/qbwc",
        "",
        "localhost/qbwc",
    ],
)
def test_the_web_connector_refuses_other_addresses_and_says_why(url: str) -> None:
    said = web_connector.app_url_refusal(url)
    assert said is not None and "QBWC1010" in said and "https://" in said
