"""The overview in-process (FastAPI's TestClient): what to do first, the setup checklist's
flags, what changed in QuickBooks since yesterday, the log's "Everything that needs a person"
view, status badges that say what they mean, and hostile query values refused naming the
field. What the pages claim about QuickBooks is checked against the emulator's export."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.ledgerbridge.dashboard.busy_day import MARIA, busy_day
from tests.ledgerbridge.dashboard.conftest import Office, emulator_company
from tests.ledgerbridge.engine.conftest import World, connect


def busy(office: Office) -> tuple[World, str]:
    site = office.site
    cid = office.connection()
    realm = emulator_company(site.emulator.url, name="Busy")
    connect(office.service, office.key_id, cid, realm)
    world = World(site.emulator, site.ledger, office.service, office.key_id, cid, realm)
    busy_day(world)
    return world, f"/dashboard/connections/{cid}"


def text(html: str) -> str:
    """The page's words, tags out, spaces folded."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert found, heading_id
    return found.group(0)


def display_names(world: World, entity: str) -> set[str]:
    return {str(o.get("DisplayName")) for o in world.entities(entity)}


def test_the_overview_says_what_to_do_first_by_records_held(office: Office) -> None:
    world, base = busy(office)
    html = office.client.get(base).text
    main = html[html.index("<main") :]
    # the first block of the page is what to do first
    assert re.search(r"<h2[^>]*>([^<]*)</h2>", main).group(1) == "What to do first"  # type: ignore[union-attr]
    first = section(html, "first-heading")
    steps = re.findall(r'<li class="step"[^>]*data-code="([^"]+)"', first)
    # Maria's problem holds three records (hers, her property, the invoice for it): first
    assert steps[:2] == ["customer.name_used_by_other_type", "invoice.deleted_in_quickbooks"]
    words = text(first)
    assert (
        "This name is already taken in QuickBooks by a vendor or employee "
        "1 record stopped, 2 more waiting behind it" in words
    )
    assert "1 record waits for a record the app has not sent" in words
    # one link each: to the log filtered by the problem
    assert 'href="/dashboard/connections/' in first
    assert f"{base}/log?code=customer.name_used_by_other_type" in first
    assert f"{base}/log?needs=person" in first
    # and what QuickBooks holds says so: Maria is a vendor there, not a customer
    assert MARIA in display_names(world, "Vendor")
    assert MARIA not in display_names(world, "Customer")
    # the link shows exactly the record with that problem
    log = text(office.client.get(f"{base}/log?code=customer.name_used_by_other_type").text)
    assert "1 record" in log and MARIA in log and "55 Meadowlark Ct" not in log


def test_the_overview_tells_what_changed_in_quickbooks_since_yesterday(office: Office) -> None:
    world, base = busy(office)
    html = office.client.get(base).text
    changes = section(html, "changes-heading")
    words = text(changes)
    assert "Invoice was deleted in QuickBooks: 1 invoice" in words
    assert "Added in QuickBooks, not from the app: 1 customer" in words
    link = f"{base}/log?type=invoice&amp;changed=invoice.deleted_in_quickbooks"
    assert link in changes
    # the emulator's export agrees: invoice 1001 is gone, Walk-in Buyer is there
    assert "1001" not in {str(i.get("DocNumber")) for i in world.entities("Invoice")}
    assert "Walk-in Buyer" in display_names(world, "Customer")
    # the link lists the deleted invoice only
    log = office.client.get(unescape(link))
    assert log.status_code == 200
    listed = re.findall(r'<tr data-key="([^"]+)"', log.text)
    assert listed == ["invoice:inv-ok"]
    assert "Reached by a change made in QuickBooks in the last 24 hours" in text(log.text)
    anything = office.client.get(f"{base}/log?changed=any").text
    assert re.findall(r'<tr data-key="([^"]+)"', anything) == ["invoice:inv-ok"]


def test_the_overview_lists_the_setup_checklists_errors_and_warnings(office: Office) -> None:
    _, base = busy(office)
    # the checklist is made (and stored) by a visit to the setup page
    assert office.client.get(f"{base}/setup").status_code == 200
    setup = section(office.client.get(base).text, "setup-heading")
    assert "Overall:" in text(setup)
    assert f"{base}/setup" in setup


def test_everything_that_needs_a_person_groups_the_blocked_under_their_blocker(
    office: Office,
) -> None:
    world, base = busy(office)
    page = office.client.get(f"{base}/log?needs=person")
    assert page.status_code == 200
    html = page.text
    words = text(html)
    assert "2 records need attention and 3 wait for another record" in words
    groups = re.findall(r'<li class="needs-group" data-key="([^"]+)"', html)
    # Maria first (three records held up), then the other record in error, then the one the
    # app never sent
    assert groups == ["customer:cus-maria", "invoice:inv-ok", "customer:cus-missing"]
    maria = html[
        html.index('data-key="customer:cus-maria"') : html.index('data-key="invoice:inv-ok"')
    ]
    maria_words = text(maria)
    assert "2 records wait for it" in maria_words
    # the blocked records by name, the invoice through the property it waits for directly
    assert "55 Meadowlark Ct Customer" in maria_words
    assert "No. 1002 Invoice, through 55 Meadowlark Ct" in maria_words
    assert "prop-maria" not in maria_words.replace("records/customer/prop-maria", "")
    missing = text(html[html.index('data-key="customer:cus-missing"') :])
    assert "The app has not sent this customer yet" in missing and "No. 1003" in missing
    # QuickBooks holds neither waiting invoice
    numbers = {str(i.get("DocNumber")) for i in world.entities("Invoice")}
    assert not numbers & {"1002", "1003"}
    # the log lists everything waiting for Maria, directly or through her property
    waiting = office.client.get(f"{base}/log?waits_for=customer:cus-maria")
    assert waiting.status_code == 200
    keys = sorted(re.findall(r'<tr data-key="([^"]+)"', waiting.text))
    assert keys == ["customer:prop-maria", "invoice:inv-maria"]
    assert f"Waiting for {MARIA}, directly or through another waiting record" in text(waiting.text)
    csv = office.client.get(f"{base}/log.csv?waits_for=customer:cus-maria").text
    assert "prop-maria" in csv and "inv-maria" in csv and "inv-lost" not in csv


def test_every_status_badge_says_what_it_means_on_hover_and_on_a_tap(office: Office) -> None:
    _, base = busy(office)
    for path in ("", "/log", "/log?needs=person", "/records/customer/cus-maria", "/setup"):
        html = office.client.get(f"{base}{path}").text
        badges = re.findall(r'<summary class="badge [^"]+" title="([^"]+)">([^<]+)</summary>', html)
        assert badges, path
        for meaning, label in badges:
            assert len(meaning) > 20, (path, label, meaning)
        assert html.count('<details class="status-help">') == len(badges), path
        assert not re.search(r'<span class="badge ', html), path  # none without its meaning
    connections = office.client.get("/dashboard/connections").text
    assert 'title="ledgerbridge is signed in to this QuickBooks company' in connections


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("needs=everything", "needs"),
        ("needs=person&page=0", "page"),
        ("needs=person&page=x", "page"),
        ("needs=person&size=7", "size"),
        ("changed=drop%20table", "changed"),
        ("changed=%00", "changed"),
        ("changed=" + "x" * 5000, "changed"),
        ("needs=%00", "needs"),
        ("waits_for=customer", "waits_for"),
        ("waits_for=robot:cus-1", "waits_for"),
        ("waits_for=customer:%00", "waits_for"),
        ("waits_for=customer:" + "y" * 201, "waits_for"),
    ],
)
def test_hostile_overview_and_needs_values_are_refused_naming_the_field(
    office: Office, query: str, field: str
) -> None:
    cid = office.connection()
    response = office.client.get(f"/dashboard/connections/{cid}/log?{query}")
    assert 400 <= response.status_code < 500, response.status_code
    assert field in text(response.text), text(response.text)[:300]


def test_an_empty_connection_has_nothing_to_do_and_an_empty_needs_view(office: Office) -> None:
    cid = office.connection()
    base = f"/dashboard/connections/{cid}"
    first = text(section(office.client.get(base).text, "first-heading"))
    assert "QuickBooks: Not connected" in first  # not connected is the thing to do first
    assert "Nothing changed in QuickBooks in the last 24 hours" in text(
        office.client.get(base).text
    )
    needs = text(office.client.get(f"{base}/log?needs=person&page=9").text)
    assert "Nothing needs a person" in needs and "Page 1 of 1" in needs
