"""Issue 13, failure 6 on the dashboard: a server whose secret keys no longer open a
connection's tokens says so on the connection's page and in the list, from the next pass, and
stops saying it once the right key is back."""

from __future__ import annotations

import dataclasses
import html
from datetime import timedelta

from cryptography.fernet import Fernet

from ledgerbridge.bootstrap import build
from ledgerbridge.engine.push import sync_company
from ledgerbridge.settings import Secret
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.dashboard.conftest import Office, emulator_company
from tests.ledgerbridge.engine.conftest import connect

TITLE = "ledgerbridge's secret keys were changed"


def _connected(office: Office, **company: object) -> tuple[str, str]:
    """A connection of the office's, connected to a new emulator company made with `company`
    (its name and settings): (connection id, realm id)."""
    cid = office.connection()
    realm = emulator_company(office.site.emulator.url, **company)
    connect(office.service, office.key_id, cid, realm)
    return cid, realm


def test_the_connection_page_shows_that_the_secret_keys_changed(office: Office) -> None:
    cid, _ = _connected(office, name="Locked Out")
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann Lee"})

    settings = dataclasses.replace(
        office.site.ledger.settings, secret_keys=(Secret(Fernet.generate_key().decode()),)
    )
    wrong = build(settings)  # the same database, served with another key
    try:
        assert sync_company(wrong, cid).stopped == "keys_changed"
    finally:
        wrong.db.dispose()
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert TITLE in page
    assert "put back the secret key that was in use before" in page
    assert "connection.secret_keys_changed" in page
    listed = html.unescape(office.client.get("/dashboard/connections").text)
    assert TITLE in listed

    assert sync_company(office.site.ledger, cid).stopped is None  # the right key again
    assert TITLE not in html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)


def test_the_connection_page_warns_ahead_of_the_end_of_the_sign_in(office: Office) -> None:
    """Issue 17, deliverable 7: the warning with its date, the reconnect link and the
    Reconnect QuickBooks button, on a connection that is still active."""
    cid, realm = _connected(office, name="Ending Soon", refresh_token_max_life=12 * 86_400)
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "Reconnect QuickBooks soon" in page
    assert "QuickBooks will stop accepting ledgerbridge's sign-in for this company on " in page
    assert f"/v1/oauth/reconnect?realmId={realm}" in page
    assert "Reconnect QuickBooks</button>" in page
    assert "Refresh from QuickBooks</button>" in page  # still active: everything else works
    listed = html.unescape(office.client.get("/dashboard/connections").text)
    assert "Reconnect QuickBooks soon" in listed


def test_the_connection_page_says_until_when_quickbooks_limits_make_it_wait(
    office: Office,
) -> None:
    """QuickBooks answered 429, or the company's requests for the minute are used up: no
    record shows it (the wait is the company's), so the connection's page says it."""
    cid = office.connection()
    ledger = office.site.ledger
    shown = "Waiting for QuickBooks"
    assert shown not in html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    with ledger.db.session() as session:
        SyncStates(session).delay_all(cid, ledger.clock() + timedelta(minutes=1))
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert shown in page
    assert "nothing is sent before" in page


def test_the_connection_page_says_when_quickbooks_webhooks_last_arrived(office: Office) -> None:
    """Whether QuickBooks' webhooks reach ledgerbridge decides how soon a change made there is
    read (as it is made, or within 5 minutes): the page says when the last one came."""
    cid, realm = _connected(office, name="Hooked")
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "Last webhook from QuickBooks</dt><dd>none yet" in page
    ledger = office.site.ledger
    with ledger.db.session() as session:
        Connections(session).notified([realm], ledger.clock(), every=timedelta(minutes=1))
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}").text)
    assert "Last webhook from QuickBooks</dt><dd>none yet" not in page
    assert "Last webhook from QuickBooks</dt><dd>" in page
    assert "the whole company is checked hourly" in page


def test_refresh_from_quickbooks_says_it_waits_for_quickbooks_limits(office: Office) -> None:
    """A person's "Refresh from QuickBooks" while the company waits for QuickBooks' limits
    (a 429): the pull is queued, but reads only once the wait ends, and the answer says so,
    with the moment on the page, instead of saying QuickBooks was asked."""
    cid = office.connection()
    ledger = office.site.ledger
    asked = html.unescape(
        office.post(f"/dashboard/connections/{cid}/pull", follow_redirects=True).text
    )
    assert "Asked QuickBooks for its latest changes." in asked
    with ledger.db.session() as session:
        SyncStates(session).delay_all(cid, ledger.clock() + timedelta(minutes=1))
    waits = html.unescape(
        office.post(f"/dashboard/connections/{cid}/pull", follow_redirects=True).text
    )
    assert "Asked QuickBooks for its latest changes." not in waits
    assert "its latest changes are read when the wait shown under" in waits
    assert "nothing is sent before" in waits
