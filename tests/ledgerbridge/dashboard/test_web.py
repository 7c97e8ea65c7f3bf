"""The dashboard in-process (FastAPI's TestClient): signing in, the CSRF check, every page,
an action, the log's search and bulk buttons, and coming back from QuickBooks' consent."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from starlette.responses import Response

from ledgerbridge import consent_cookie as signin
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.dashboard.app import PREFIX
from ledgerbridge.dashboard.routes.auth import FAILED
from ledgerbridge.engine.connecting import Consent
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.push import sync_company
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from tests.ledgerbridge.dashboard.conftest import (
    PASSWORD,
    Office,
    Site,
    csrf_of,
    in_process_client,
    sign_in,
)
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls


def _sign_in_cookie(consent: Consent) -> dict[str, str]:
    """The cookie the API's connect redirect sets on the browser that follows it."""
    response = Response()
    signin.keep(response, consent)
    name, _, rest = response.headers["set-cookie"].partition("=")
    return {name: rest.split(";")[0]}


def notices(html: str) -> list[str]:
    return re.findall(r'class="notice notice-\w+"[^>]*><p>([^<]*)</p>', html)


def test_the_root_and_the_dashboard_send_a_stranger_to_sign_in(site: Site) -> None:
    client = in_process_client(site.app)
    assert client.get("/").headers["location"] == "/dashboard/"
    assert client.get("/dashboard/").headers["location"] == "/dashboard/login"
    page = client.get("/dashboard/connections")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fconnections"
    login = client.get("/dashboard/login")
    assert login.status_code == 200
    assert '<label for="email">Email</label>' in login.text
    assert 'name="viewport"' in login.text and 'class="skip-link"' in login.text
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
    htmx = client.get("/dashboard/connections", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/dashboard/login")


def test_a_failed_sign_in_never_tells_whether_the_email_exists(office: Office) -> None:
    client = in_process_client(office.site.app)
    wrong_password = sign_in(client, office.email, "not the password")
    unknown_email = sign_in(client, "nobody@example.com", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert notices(wrong_password.text) == notices(unknown_email.text) == [FAILED]
    assert "set-cookie" not in wrong_password.headers  # still the sign-in form's session
    signed_in = sign_in(client, office.email.upper())  # emails compare without case
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard/connections"


def test_signing_in_goes_back_to_the_page_asked_for_but_never_elsewhere(office: Office) -> None:
    client = in_process_client(office.site.app)
    for wanted, landing in [
        ("/dashboard/connections?x=1", "/dashboard/connections?x=1"),
        ("https://evil.example/", "/dashboard/connections"),
        ("//evil.example/dashboard/", "/dashboard/connections"),
    ]:
        client.cookies.clear()
        page = client.get("/dashboard/login")
        response = client.post(
            "/dashboard/login",
            data={
                "email": office.email,
                "password": PASSWORD,
                "next": wanted,
                "csrf_token": csrf_of(page.text),
            },
        )
        assert response.headers["location"] == landing


def test_a_post_without_the_sessions_csrf_token_is_refused(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann"})
    path = f"/dashboard/connections/{cid}/actions/bypass"
    form = {"type": "customer", "id": "c-1"}
    assert office.client.post(path, data=form).status_code == 403
    assert office.client.post(path, data={**form, "csrf_token": "forged"}).status_code == 403
    # the token of another session does not do either
    other = in_process_client(office.site.app)
    foreign = csrf_of(other.get("/dashboard/login").text)
    assert office.client.post(path, data={**form, "csrf_token": foreign}).status_code == 403
    assert office.service.record(office.key_id, cid, "customer", "c-1").status == "pending"
    # signing in needs the sign-in form's token too
    fresh = in_process_client(office.site.app)
    refused = fresh.post("/dashboard/login", data={"email": office.email, "password": PASSWORD})
    assert refused.status_code == 403
    # the header htmx sends counts as the form field
    token = csrf_of(office.client.get("/dashboard/connections").text)
    done = office.client.post(path, data=form, headers={"X-CSRF-Token": token})
    assert done.status_code == 200


def test_a_forged_session_cookie_signs_nobody_in(office: Office) -> None:
    client = in_process_client(office.site.app)
    client.cookies.set("lb_dashboard", office.client.cookies["lb_dashboard"][:-3] + "AAA")
    assert client.get("/dashboard/connections").status_code == 303


def test_every_page_renders(office: Office) -> None:
    cid = office.connection()
    put = office.service.put_record
    put(office.key_id, cid, "customer", "c-1", {"display_name": "Ann Lee", "email": "a@b.co"})
    put(office.key_id, cid, "item", "svc", {"name": "Service Call", "unit_price": "100.00"})
    base = f"/dashboard/connections/{cid}"
    pages = {
        "/dashboard/connections": "Main office",
        base: "Connect to QuickBooks",
        f"{base}/log": "Ann Lee",
        f"{base}/records/customer/c-1": "History",
        f"{base}/mappings": "Payment methods",
        f"{base}/setup": "Setup checklist",
        f"{base}/health": "Records per status",
        f"{base}/reconciliation": "Invoice totals",
    }
    for path, expected in pages.items():
        response = office.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert expected in response.text, path
        assert 'href="#main"' in response.text and '<main id="main"' in response.text
        assert "X-CSRF-Token" in response.text  # hx-headers on the body
    headers = office.client.get(base).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    health = office.client.get(f"{base}/health").text
    assert health.count('role="img"') == 4 and "<desc" in health
    assert "<table" in health  # the figures again, for screen readers


def test_another_accounts_connection_and_records_are_not_found(office: Office, site: Site) -> None:
    other_key, _ = site.service.create_key("other")
    theirs = site.service.create_connection(other_key, "Theirs", "emulator").id
    for path in ["", "/log", "/records/customer/c-1", "/mappings", "/health"]:
        response = office.client.get(f"/dashboard/connections/{theirs}{path}")
        assert response.status_code == 404, path
    mine = office.connection()
    assert (
        office.client.get(f"/dashboard/connections/{mine}/records/customer/nope").status_code == 404
    )


def test_an_action_runs_through_the_dashboard_and_says_what_it_did(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann"})
    page = office.client.get(f"/dashboard/connections/{cid}/records/customer/c-1").text
    assert 'data-action="bypass"' in page and 'data-action="retry"' in page
    done = office.post(
        f"/dashboard/connections/{cid}/actions/bypass", {"type": "customer", "id": "c-1"}
    )
    assert done.status_code == 200
    assert notices(done.text) == ["Bypass: bypassed: it will not be sent to QuickBooks."]
    assert office.service.record(office.key_id, cid, "customer", "c-1").status == "bypassed"
    assert 'data-action="undo_bypass"' in done.text
    # with htmx: only the panel, with the outcome for the live region (out of band)
    undo = office.post(
        f"/dashboard/connections/{cid}/actions/undo_bypass",
        {"type": "customer", "id": "c-1"},
        headers={"HX-Request": "true"},
    )
    assert undo.status_code == 200
    assert "<html" not in undo.text and 'id="record-panel"' in undo.text
    assert 'id="live" hx-swap-oob="innerHTML"' in undo.text
    assert office.service.record(office.key_id, cid, "customer", "c-1").status == "pending"
    history = office.client.get(f"/dashboard/connections/{cid}/records/customer/c-1").text
    assert f"Undo bypass clicked by {office.email}" in history


def test_a_refused_action_says_why_and_changes_nothing(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann"})
    refused = office.post(
        f"/dashboard/connections/{cid}/actions/reactivate", {"type": "customer", "id": "c-1"}
    )
    assert refused.status_code == 200  # the confirmation comes first
    assert "Confirm: Reactivate" in refused.text
    refused = office.post(
        f"/dashboard/connections/{cid}/actions/reactivate",
        {"type": "customer", "id": "c-1", "confirmed": "yes"},
    )
    assert refused.status_code == 409
    (said,) = notices(refused.text)
    assert said.startswith("Reactivate was refused: reactivate does not apply to this record")


def test_the_log_filters_searches_and_resyncs_or_bypasses_in_bulk(office: Office) -> None:
    cid = office.connection()
    put = office.service.put_record
    put(office.key_id, cid, "customer", "ann", {"display_name": "Ann Lee"})
    put(office.key_id, cid, "customer", "bo", {"display_name": "Bo Diaz"})
    put(office.key_id, cid, "vendor", "v-1", {"display_name": "Lumber Yard"})
    log = f"/dashboard/connections/{cid}/log"
    found = office.client.get(log, params={"q": "diaz"}).text
    assert "Bo Diaz" in found and "Ann Lee" not in found
    vendors = office.client.get(log, params={"type": "vendor"}).text
    assert "Lumber Yard" in vendors and "Ann Lee" not in vendors
    partial = office.client.get(
        log, params={"q": "ann"}, headers={"HX-Request": "true", "HX-Target": "log-results"}
    )
    assert "<html" not in partial.text and "Ann Lee" in partial.text

    bypassed = office.post(
        f"{log}/bulk", {"operation": "bypass", "selected": ["customer:ann", "customer:bo"]}
    )
    assert notices(bypassed.text) == ["2 records bypassed."]
    office.site.wakes.clear()
    resynced = office.post(
        f"{log}/bulk", {"operation": "resync", "selected": ["customer:ann", "vendor:v-1"]}
    )
    assert notices(resynced.text) == [
        "1 record queued to be sent again. 1 record left as they are (bypassed records are "
        "not resent)."
    ]
    assert set(office.site.wakes) == {cid}
    nothing = office.post(f"{log}/bulk", {"operation": "resync"})
    assert notices(nothing.text) == ["Tick at least one record first."]


def test_a_held_record_says_it_waits_for_a_push_and_resync_releases_it(office: Office) -> None:
    cid = office.service.create_connection(
        office.key_id, "Held", "emulator", {"auto_push": ["invoice"]}
    ).id
    office.service.put_record(office.key_id, cid, "vendor", "v-1", {"display_name": "Lumber"})
    log = f"/dashboard/connections/{cid}/log"
    assert "held: waits for a push" in office.client.get(log).text
    page = office.client.get(f"/dashboard/connections/{cid}/records/vendor/v-1").text
    assert "(held: vendor records are not pushed automatically" in page
    assert "Held: waits for a push request: vendor records are not pushed" in page
    office.post(f"{log}/bulk", {"operation": "resync", "selected": ["vendor:v-1"]})
    page = office.client.get(f"/dashboard/connections/{cid}/records/vendor/v-1").text
    assert "(held:" not in page
    assert "Released to be pushed: a sync was requested for it" in page


def test_the_log_offers_select_all_on_this_page_through_the_dashboards_script(
    office: Office,
) -> None:
    cid = office.connection()
    log = f"/dashboard/connections/{cid}/log"
    assert "data-select-all" not in office.client.get(log).text  # no records, nothing to tick
    office.service.put_record(office.key_id, cid, "customer", "ann", {"display_name": "Ann Lee"})
    page = office.client.get(log).text
    # labelled, and hidden until the script runs (without it the checkbox would do nothing)
    found = re.search(r'<span class="select-all" data-needs-script hidden>(.*?)</span>', page)
    assert found, page
    assert re.search(r'<input type="checkbox" id="select-all" data-select-all[^>]*>', found[1])
    assert (
        '<label for="select-all" class="visually-hidden">Select all on this page</label>'
        in (found[1])
    )
    assert 'name="selected"' not in found[1]  # never posted itself
    partial = office.client.get(log, headers={"HX-Request": "true", "HX-Target": "log-results"})
    assert "data-select-all" in partial.text  # after htmx swaps the results in, too
    # the script: from this server, as the CSP allows (no inline script, no eval)
    assert re.search(r'<script src="/dashboard/static/dashboard\.js" defer></script>', page)
    assert "<script>" not in page and not re.search(r"<[^>]+\son[a-z]+=", page)
    script = office.client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "data-select-all" in script.text


def test_mappings_are_saved_per_section(office: Office) -> None:
    cid = office.connection()
    office.service.set_mappings(office.key_id, cid, {"tax_rates": {"ca": "7"}})
    saved = office.post(
        f"/dashboard/connections/{cid}/mappings/payment_methods",
        {"app_value": ["zelle", "  ", "card"], "quickbooks_id": ["3", "", ""]},
    )
    assert saved.status_code == 200
    assert notices(saved.text) == ["Payment methods saved: 1 mapped."]
    assert office.service.mappings(office.key_id, cid) == {
        "tax_rates": {"ca": "7"},
        "payment_methods": {"zelle": "3"},
    }


def test_connecting_from_the_dashboard_comes_back_to_the_connection(office: Office) -> None:
    cid = office.connection()
    emulator = office.site.emulator.url
    realm = httpx.post(
        f"{emulator}/_emulator/companies",
        json={"name": "Back Again"},
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    ).json()
    go = office.post(f"/dashboard/connections/{cid}/connect")
    assert go.status_code == 303 and go.headers["location"].startswith(emulator)
    consent = httpx.get(
        go.headers["location"] + f"&realm_id={realm['realm_id']}&approve=true",
        follow_redirects=False,
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    )
    callback = urlparse(consent.headers["location"])
    back = office.client.get(f"{callback.path}?{callback.query}")
    assert back.status_code == 303
    assert back.headers["location"] == f"/dashboard/connections/{cid}?notice=connected"
    page = office.client.get(back.headers["location"]).text
    assert "QuickBooks is connected." in page and "Back Again" in page
    assert office.service.connection(office.key_id, cid).status == "active"

    # Verify against QuickBooks: offered on an active connection, it reads QuickBooks afresh
    assert "Verify against QuickBooks" in page
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann Lee"})
    sync_company(office.site.ledger, cid)
    checked = office.post(f"/dashboard/connections/{cid}/verify")
    assert checked.status_code == 200, checked.text
    assert "Checked against QuickBooks" in checked.text
    assert "1 linked records compared with 1 objects read from QuickBooks" in checked.text
    assert "<strong>0 that disagreed</strong>" in checked.text


def test_the_callback_without_the_dashboards_cookie_answers_its_page(office: Office) -> None:
    """Scripts and people who connected through the API see the callback's page as before."""
    cid = office.connection()
    emulator = office.site.emulator.url
    realm = httpx.post(
        f"{emulator}/_emulator/companies",
        json={"name": "Scripted"},
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    ).json()
    started = office.service.begin_connect(office.key_id, cid)
    url = started.authorize_url
    consent = httpx.get(
        f"{url}&realm_id={realm['realm_id']}&approve=true",
        follow_redirects=False,
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    )
    query = parse_qs(urlparse(consent.headers["location"]).query)
    script = in_process_client(office.site.app)
    script.cookies.update(_sign_in_cookie(started))  # the browser the script started
    answer = script.get("/v1/oauth/callback", params={k: v[0] for k, v in query.items()})
    assert answer.status_code == 200
    assert "Connected to Scripted" in answer.text


def test_signing_out_ends_the_session(office: Office) -> None:
    out = office.post("/dashboard/logout")
    assert out.headers["location"] == "/dashboard/login?signed_out=1"
    assert office.client.get("/dashboard/connections").status_code == 303


def test_a_record_whose_id_holds_a_question_mark_or_a_hash_has_its_page(office: Office) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "a?b#c", {"display_name": "Odd"})
    log = office.client.get(f"/dashboard/connections/{cid}/log").text
    found = re.search(r'href="([^"]*/records/customer/[^"]+)"', log)
    assert found is not None
    page = office.client.get(html.unescape(found.group(1)))
    assert page.status_code == 200 and "a?b#c" in html.unescape(page.text)


def test_a_record_stored_with_a_slash_in_its_id_before_the_id_rule_keeps_its_page(
    office: Office,
) -> None:
    """Ids with "/" are refused where they enter now (core.records.id_refused); one stored
    before (the bulk endpoint took them) is still listed and has its page."""
    cid = office.connection()
    with office.site.ledger.db.session() as session:
        Records(session).upsert(cid, "customer", "a/b", {"display_name": "Odd"})
    log = office.client.get(f"/dashboard/connections/{cid}/log").text
    found = re.search(r'href="([^"]*/records/customer/[^"]+)"', log)
    assert found is not None
    page = office.client.get(html.unescape(found.group(1)))
    assert page.status_code == 200 and "a/b" in html.unescape(page.text)


def test_the_record_page_shows_what_changed_in_quickbooks_since_it_was_sent(
    office: Office,
) -> None:
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "customer", "c-1", {"display_name": "Ann Lee"})
    sent = {
        "DisplayName": "Ann Lee",
        "PrimaryEmailAddr": {"Address": "ann@example.com"},
        "Balance": "0.00",
        "Line": [{"Amount": "1.00"}],
    }
    now = {
        "Id": "58",
        "SyncToken": "3",
        "DisplayName": "Ann Lee-Smith",
        "PrimaryEmailAddr": {"Address": "ann@example.com"},
        "Balance": 0,
        "Line": [{"Amount": 1.0, "Id": "1"}],
    }
    with office.site.ledger.db.session() as session:
        Links(session).put(
            cid,
            "customer",
            "c-1",
            entity="Customer",
            qbo_id="58",
            sync_token="0",
            doc_number=None,
            pushed=sent,
        )
        Mirror(session, cid).put(MirrorObject.from_quickbooks("Customer", now))
    page = office.client.get(f"/dashboard/connections/{cid}/records/customer/c-1").text
    table = page[page.index("Changed in QuickBooks since") :]
    table = table[: table.index("</table>")]
    assert '<th scope="row">Name</th><td>Ann Lee</td><td>Ann Lee-Smith</td>' in table
    assert "Balance" not in table and "Line" not in table and "PrimaryEmailAddr" not in table


def test_the_record_page_shows_a_real_edit_in_quickbooks_and_never_number_formats(
    office: Office,
) -> None:
    """QuickBooks answers "129.0" for "129.00", "1.0" for a quantity of "1" and adds a
    sub-total line: none of that is a change. A quantity changed there is."""
    cid = office.connection()
    office.service.put_record(office.key_id, cid, "item", "i-1", {"name": "Call"})
    line = {"Qty": "1", "UnitPrice": "129.00", "ItemRef": {"value": "3"}}
    sent = {
        "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": "129.00", "SalesItemLineDetail": line}
        ],
        "TxnDate": "2026-11-02",
    }

    def held(qty: str, amount: str) -> dict[str, object]:
        detail = {"Qty": qty, "UnitPrice": "129.0", "ItemRef": {"value": "3", "name": "Call"}}
        return {
            "Id": "77",
            "SyncToken": "1",
            "TxnDate": "2026-11-02",
            "Line": [
                {"Id": "1", "LineNum": 1, "DetailType": "SalesItemLineDetail",
                 "Amount": amount, "SalesItemLineDetail": detail},
                {"Amount": amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            ],
        }  # fmt: skip

    def page_after(now: dict[str, object]) -> str:
        with office.site.ledger.db.session() as session:
            Links(session).put(
                cid, "item", "i-1", entity="Invoice", qbo_id="77", sync_token="0",
                doc_number=None, pushed=sent,
            )  # fmt: skip
            Mirror(session, cid).put(MirrorObject.from_quickbooks("Invoice", now))
        return office.client.get(f"/dashboard/connections/{cid}/records/item/i-1").text

    assert "Changed in QuickBooks since" not in page_after(held("1.0", "129.0"))
    page = page_after(held("5", "645.0"))
    table = page[page.index("Changed in QuickBooks since") :]
    table = table[: table.index("</table>")]
    assert '<th scope="row">Line 1: amount</th><td>129.00</td><td>645.00</td>' in table
    assert '<th scope="row">Line 1: quantity</th><td>1</td><td>5</td>' in table
    assert "UnitPrice" not in table and "SubTotal" not in table


def test_start_fresh_and_disconnect_ask_first(office: Office) -> None:
    cid = office.connection()
    with office.site.ledger.db.session() as session:
        Connections(session).set_status(cid, "wrong_company")
    page = office.client.get(f"/dashboard/connections/{cid}").text
    assert "Wrong company" in page and "Reconnect QuickBooks" in page and "Start fresh" in page
    asked = office.post(f"/dashboard/connections/{cid}/start-fresh")
    assert asked.status_code == 200 and "Yes, start fresh" in asked.text
    assert office.service.connection(office.key_id, cid).status == "wrong_company"
    done = office.post(f"/dashboard/connections/{cid}/start-fresh", {"confirmed": "yes"})
    assert done.headers["location"] == f"/dashboard/connections/{cid}?notice=fresh"
    assert office.service.connection(office.key_id, cid).status == "not_connected"
    with office.site.ledger.db.session() as session:
        Connections(session).set_status(cid, "active")
    asked = office.post(f"/dashboard/connections/{cid}/disconnect")
    assert "Yes, disconnect" in asked.text
    office.post(f"/dashboard/connections/{cid}/disconnect", {"confirmed": "yes"})
    assert office.service.connection(office.key_id, cid).status == "disconnected"


def test_form_and_query_values_that_are_not_text_are_a_422_page(office: Office) -> None:
    """The dashboard's fields are checked like the API's (core.text): nothing is stored."""
    cid = office.connection()
    search = office.client.get(f"/dashboard/connections/{cid}/log", params={"q": "a\x00b"})
    assert search.status_code == 422 and "q: holds a NUL character" in search.text
    saved = office.post(
        f"/dashboard/connections/{cid}/mappings/payment_methods",
        {"app_value": "ven\x00mo", "quickbooks_id": "2"},
    )
    assert saved.status_code == 422 and "app_value" in saved.text
    assert office.service.mappings(office.key_id, cid) == {}
    named = office.post("/dashboard/connections", {"name": "Main\x07", "environment": "emulator"})
    assert named.status_code == 422
    assert [c.name for c in office.service.connections(office.key_id)] == ["Main office"]


def test_a_form_sent_with_a_capitalised_media_type_is_checked_as_a_form(office: Office) -> None:
    """Media types are case-blind: Starlette reads `Application/X-WWW-Form-Urlencoded` as a
    form, so the text check (and the CSRF token from the form) must read it as one too; the
    service checks a search itself in any case."""
    cid = office.connection()
    token = csrf_of(office.client.get("/dashboard/connections").text)
    sent = office.client.post(
        f"/dashboard/connections/{cid}/log/bulk",
        content=f"q=a%00b&action=resync&csrf_token={token}",
        headers={"Content-Type": "Application/X-WWW-Form-Urlencoded"},
    )
    assert sent.status_code == 422, sent.text
    assert "holds a NUL character" in sent.text
    with pytest.raises(Invalid):
        office.service.records(office.key_id, cid, q="a\x00b")


def test_every_named_route_builds_the_path_the_apps_router_builds(site: Site) -> None:
    """`web.path` takes a route by its name (`Dashboard.named`) rather than asking the app's
    router: for every name, with ids as `web.path` quotes them, the same path."""
    dashboard = next(route.app for route in site.app.routes if getattr(route, "path", "") == PREFIX)
    named = dashboard.state.dashboard.named
    assert {"static", "login_page", "connection", "record", "log"} <= set(named)
    for name, route in named.items():
        convertors = getattr(route, "param_convertors", {})
        params = {key: "a/b%3F" if key in ("path", "app_id") else "con%231" for key in convertors}
        assert route.url_path_for(name, **params) == dashboard.router.url_path_for(name, **params)
