"""The connection's Settings page in-process: what people make in QuickBooks, per type (off,
events, import; invoices off or events), saved with a message saying what each now does; a
choice the type does not take is refused and nothing is saved; the initial import's panel."""

from __future__ import annotations

import html
import re

import pytest

from tests.ledgerbridge.dashboard.conftest import Office


def notices(page: str) -> list[str]:
    return [
        html.unescape(n) for n in re.findall(r'class="notice notice-\w+"[^>]*><p>([^<]*)</p>', page)
    ]


def selected(page: str, name: str) -> str:
    found = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S)
    assert found, name
    (value,) = re.findall(r'<option value="(\w+)" selected>', found.group(1))
    return value


def test_the_per_type_settings_are_shown_and_saved_with_a_clear_message(office: Office) -> None:
    cid = office.connection()
    page = office.client.get(f"/dashboard/connections/{cid}/settings")
    assert page.status_code == 200
    assert "What people make in QuickBooks" in page.text
    assert selected(page.text, "from_quickbooks_customers") == "events"  # a new connection's
    invoices = re.search(r'<select id="from_quickbooks_invoices".*?</select>', page.text, re.S)
    assert invoices and 'value="import"' not in invoices.group(0)  # read-only: no import
    assert 'aria-current="page">Settings' in page.text

    saved = office.post(
        f"/dashboard/connections/{cid}/settings/from-quickbooks",
        {
            "from_quickbooks_customers": "import",
            "from_quickbooks_vendors": "off",
            "from_quickbooks_items": "events",
            "from_quickbooks_payments": "import",
            "from_quickbooks_invoices": "events",
        },
    )
    assert saved.status_code == 200
    assert notices(saved.text) == [
        "Saved. Made in QuickBooks, customers: told and kept for the app to take; vendors: not "
        "told to the app; items: told to the app; payments against the app's invoices: told and "
        "kept for the app to take; invoices: told to the app."
    ]
    settings = office.service.connection(office.key_id, cid).settings
    assert settings["from_quickbooks_customers"] == "import"
    assert settings["from_quickbooks_vendors"] == "off"
    assert selected(saved.text, "from_quickbooks_payments") == "import"


def test_a_choice_the_type_does_not_take_is_refused_and_nothing_saved(office: Office) -> None:
    cid = office.connection()
    refused = office.post(
        f"/dashboard/connections/{cid}/settings/from-quickbooks",
        {"from_quickbooks_customers": "off", "from_quickbooks_invoices": "import"},
    )
    assert refused.status_code == 422
    (said,) = notices(refused.text)
    assert said.startswith("Not saved:") and "read-only" in said
    settings = office.service.connection(office.key_id, cid).settings
    assert settings["from_quickbooks_customers"] == "events"  # nothing of the form saved
    assert settings["from_quickbooks_invoices"] == "events"


def test_the_initial_import_needs_a_connected_company(office: Office) -> None:
    cid = office.connection()
    page = office.client.get(f"/dashboard/connections/{cid}/settings").text
    assert "Not run yet." in page and "Connect the company first." in page
    refused = office.post(f"/dashboard/connections/{cid}/settings/import")
    assert refused.status_code == 409
    (said,) = notices(refused.text)
    assert "connect it to its QuickBooks company first" in said


def test_another_accounts_settings_are_not_found(office: Office) -> None:
    other_key, _ = office.site.service.create_key("other")
    theirs = office.site.service.create_connection(other_key, "Theirs", "emulator").id
    assert office.client.get(f"/dashboard/connections/{theirs}/settings").status_code == 404
    saved = office.post(
        f"/dashboard/connections/{theirs}/settings/from-quickbooks",
        {"from_quickbooks_customers": "off"},
    )
    assert saved.status_code == 404
    assert (
        office.site.service.connection(other_key, theirs).settings["from_quickbooks_customers"]
        == "events"
    )


def test_a_desktop_connection_says_these_are_for_quickbooks_online(office: Office) -> None:
    """A Desktop connection whose Web Connector has opened the company file is active, but no
    change made in Desktop is told or imported and there is no initial import for it: the page
    must not offer them as if they worked, and the refusal must not say "the connection is
    active: connect it"."""
    from ledgerbridge.storage.connections import Connections

    cid = office.service.create_connection(office.key_id, "Summit books", "desktop").id
    with office.service.ledger.db.session() as session:
        Connections(session).set_status(cid, "active")  # as the Web Connector's session sets it
    page = html.unescape(office.client.get(f"/dashboard/connections/{cid}/settings").text)
    assert "QuickBooks Online only" in page
    assert 'name="from_quickbooks_customers"' not in page
    assert "Start the initial import</button>" not in page
    refused = office.post(f"/dashboard/connections/{cid}/settings/import")
    assert refused.status_code == 409
    (said,) = notices(refused.text)
    assert "QuickBooks Desktop" in said and "is active" not in said


@pytest.mark.parametrize("value", ["off\x00", "events" * 20_000, "IMPORT", "events; drop table"])
def test_hostile_choices_are_refused_and_nothing_saved(office: Office, value: str) -> None:
    """A NUL, a huge value or any other word than the choices: refused naming the setting,
    the page still answers, and nothing of the form is saved. (A lone surrogate cannot be
    sent: a form is UTF-8, which has none.)"""
    cid = office.connection()
    refused = office.post(
        f"/dashboard/connections/{cid}/settings/from-quickbooks",
        {"from_quickbooks_vendors": "off", "from_quickbooks_customers": value},
    )
    assert refused.status_code in (413, 422), refused.status_code
    if refused.status_code == 422:
        (said,) = notices(refused.text)
        assert "from_quickbooks_customers" in said
    settings = office.service.connection(office.key_id, cid).settings
    assert settings["from_quickbooks_customers"] == "events"
    assert settings["from_quickbooks_vendors"] == "events"


def test_an_empty_choice_leaves_its_setting_as_it_was(office: Office) -> None:
    """An empty value is a choice not made (as a select left alone): that setting is kept, the
    others of the form are saved."""
    cid = office.connection()
    saved = office.post(
        f"/dashboard/connections/{cid}/settings/from-quickbooks",
        {"from_quickbooks_vendors": "off", "from_quickbooks_customers": ""},
    )
    assert saved.status_code == 200
    settings = office.service.connection(office.key_id, cid).settings
    assert settings["from_quickbooks_customers"] == "events"
    assert settings["from_quickbooks_vendors"] == "off"
