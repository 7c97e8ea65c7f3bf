"""The sync log for many records: newest first, sorted by any column, counted, paged by number
and size, the current filter as CSV (formula-looking cells neutralised), bad paging values
refused naming the field, bulk actions on everything that matches with the records kept in
view afterwards, and the filter surviving signing out and in again (`next=`)."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from ledgerbridge.core.status import Status
from ledgerbridge.dashboard.log_listing import LogQuery, export_rows
from ledgerbridge.dashboard.routes.log import csv_cell
from ledgerbridge.dashboard.routes.record import confirmed_at
from ledgerbridge.engine.views import RecordView
from tests.ledgerbridge.dashboard.conftest import (
    Office,
    Site,
    csrf_of,
    in_process_client,
    sign_in,
)

RESULTS = {"HX-Request": "true", "HX-Target": "log-results"}


def app_ids(html: str) -> list[str]:
    """The app ids of the log's rows, top to bottom."""
    return re.findall(r'<tr data-key="\w+:([^"]+)"', html)


def customers(office: Office, cid: str, count: int) -> None:
    for n in range(count):
        office.service.put_record(
            office.key_id, cid, "customer", f"c-{n:02d}", {"display_name": f"Name {99 - n:02d}"}
        )


def test_the_log_shows_newest_activity_first_with_a_total_and_numbered_pages(
    office: Office,
) -> None:
    cid = office.connection()
    customers(office, cid, 60)
    log = f"/dashboard/connections/{cid}/log"
    first = office.client.get(log).text
    assert app_ids(first)[:3] == ["c-59", "c-58", "c-57"]  # the newest first
    assert len(app_ids(first)) == 50
    assert "<strong>60</strong> records, showing 1\u201350" in first
    assert "Page 1 of 2" in first
    assert re.search(r'href="[^"]*page=2"[^>]*data-page="2" rel="next">Next</a>', first)
    assert 'data-page="2">Last</a>' in first
    assert 'aria-sort="descending"' in first  # the activity column says how it is sorted

    second = office.client.get(log, params={"page": "2"}).text
    assert app_ids(second) == [f"c-{n:02d}" for n in range(9, -1, -1)]
    assert "showing 51\u201360" in second and 'data-page="1">First</a>' in second
    assert 'rel="next"' not in second

    small = office.client.get(log, params={"size": "25", "page": "3"}).text
    assert app_ids(small) == [f"c-{n:02d}" for n in range(9, -1, -1)]
    assert "Page 3 of 3" in small
    assert "size=25" in small  # every link keeps the page size
    # a page past the end (the filter shrank since): the last page
    past = office.client.get(log, params={"page": "40"})
    assert past.status_code == 200 and "Page 2 of 2" in past.text


def test_the_log_sorts_by_name_type_status_and_problem_both_ways(office: Office) -> None:
    cid = office.connection()
    customers(office, cid, 5)  # c-00 is "Name 99" ... c-04 is "Name 95"
    office.service.put_record(office.key_id, cid, "vendor", "v-1", {"display_name": "Lumber"})
    office.service.action(office.key_id, cid, "customer", "c-02", "bypass")
    log = f"/dashboard/connections/{cid}/log"
    by_name = app_ids(office.client.get(log, params={"sort": "name"}).text)
    assert by_name == ["v-1", "c-04", "c-03", "c-02", "c-01", "c-00"]
    down = office.client.get(log, params={"sort": "name", "dir": "desc"}).text
    assert app_ids(down) == list(reversed(by_name))
    assert 'aria-sort="descending"' in down
    by_type = app_ids(office.client.get(log, params={"sort": "type", "dir": "desc"}).text)
    assert by_type[0] == "v-1"
    by_status = app_ids(office.client.get(log, params={"sort": "status", "dir": "desc"}).text)
    assert by_status[0] == "c-02"  # bypassed sorts after pending
    by_problem = office.client.get(log, params={"sort": "problem"})
    assert by_problem.status_code == 200 and len(app_ids(by_problem.text)) == 6
    # the filter keeps the sort, and the sort keeps the filter
    filtered = office.client.get(log, params={"sort": "name", "type": "customer"}).text
    assert app_ids(filtered) == by_name[1:]
    assert re.search(r'name="sort" value="name"', filtered)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "-1"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"size": str(10**9)}, "size"),
        ({"size": "-5"}, "size"),
        ({"sort": "unknown"}, "sort"),
        ({"sort": "name", "dir": "sideways"}, "dir"),
        ({"acted": "yesterday-ish"}, "acted"),
    ],
)
def test_bad_paging_or_sorting_is_refused_naming_the_field(
    office: Office, params: dict[str, str], field: str
) -> None:
    cid = office.connection()
    for path in ("log", "log.csv"):
        if path == "log.csv" and field in ("page", "size"):
            continue  # the export has no pages
        refused = office.client.get(f"/dashboard/connections/{cid}/{path}", params=params)
        assert refused.status_code == 422, refused.text
        assert f"{field}: " in refused.text


def test_the_csv_export_is_the_current_filter_with_formulas_neutralised(office: Office) -> None:
    cid = office.connection()
    hostile = {
        "h-eq": '=HYPERLINK("http://evil.example","click")',
        "h-plus": "+1+2",
        "h-minus": "-2+3",
        "h-at": "@SUM(A1:A2)",
        "h-ok": "Plain Name",
    }
    for app_id, name in hostile.items():
        office.service.put_record(office.key_id, cid, "customer", app_id, {"display_name": name})
    office.service.put_record(office.key_id, cid, "vendor", "=v-1", {"display_name": "Lumber"})
    answer = office.client.get(
        f"/dashboard/connections/{cid}/log.csv", params={"type": "customer", "sort": "name"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    header, *rows = list(csv.reader(io.StringIO(answer.text)))
    assert header[:4] == ["Type", "App id", "Name", "Status"]
    names = {row[1]: row[2] for row in rows}
    assert set(names) == set(hostile)  # the filter: customers only
    assert names["h-eq"] == "'" + hostile["h-eq"]
    assert names["h-plus"] == "'+1+2" and names["h-minus"] == "'-2+3"
    assert names["h-at"] == "'@SUM(A1:A2)"
    assert names["h-ok"] == "Plain Name"
    assert all(row[3] == "Pending" for row in rows)
    vendors = office.client.get(
        f"/dashboard/connections/{cid}/log.csv", params={"type": "vendor"}
    ).text
    assert "'=v-1" in vendors  # an app id is a cell like any other
    # read a chunk at a time: the same rows in the same order, whatever the chunk
    wanted = LogQuery(type="customer", sort="name", descending=False)
    small = [r.app_id for r in export_rows(office.site.ledger, cid, wanted, chunk=2)]
    assert small == [r.app_id for r in export_rows(office.site.ledger, cid, wanted)]
    assert small == [row[1] for row in rows]
    assert csv_cell("\tcmd") == "'\tcmd" and csv_cell("\r=1") == "'\r=1"
    assert csv_cell(None) == "" and csv_cell(-5) == "'-5" and csv_cell("a=b") == "a=b"


def test_a_bulk_action_on_all_that_match_keeps_the_records_in_view(office: Office) -> None:
    cid = office.connection()
    customers(office, cid, 60)
    office.service.put_record(office.key_id, cid, "vendor", "v-1", {"display_name": "Lumber"})
    log = f"/dashboard/connections/{cid}/log"
    pending = office.client.get(log, params={"status": "pending", "type": "customer"}).text
    assert "All 60 records that match, on every page" in pending
    done = office.post(
        f"{log}/bulk",
        {"operation": "bypass", "scope": "all", "status": "pending", "type": "customer"},
        headers=RESULTS,
    )
    assert done.status_code == 200
    assert "60 records bypassed." in done.text
    # the filter (pending customers) is empty now; the view shows the 60 records bypassed
    assert "<strong>60</strong> records, showing 1\u201350" in done.text
    assert "the records your bulk action changed" in done.text
    assert done.text.count('data-status="bypassed"') == 50
    pushed = urlsplit(done.headers["HX-Push-Url"])
    acted = parse_qs(pushed.query)["acted"][0]
    again = office.client.get(log, params={"acted": acted, "page": "2"}).text
    assert len(app_ids(again)) == 10 and "v-1" not in app_ids(again)
    states = [office.service.record(office.key_id, cid, "customer", f"c-{n:02d}") for n in (0, 59)]
    assert all(s.status == Status.BYPASSED for s in states)
    assert office.service.record(office.key_id, cid, "vendor", "v-1").status == Status.PENDING
    # ticked records on several pages (the script sends them all): the same
    ticked = office.post(
        f"{log}/bulk", {"operation": "resync", "selected": ["vendor:v-1"]}, headers=RESULTS
    )
    assert app_ids(ticked.text) == ["v-1"]


def test_the_log_asks_again_only_while_work_is_under_way(office: Office) -> None:
    cid = office.connection()  # never connected: nothing is being sent, nothing to ask
    customers(office, cid, 2)
    page = office.client.get(f"/dashboard/connections/{cid}/log").text
    assert "hx-trigger" not in page.split('id="log-results"', 1)[1].split(">", 1)[0]
    # the page's own poll never clears what the live region said
    polled = office.client.get(
        f"/dashboard/connections/{cid}/log", headers={**RESULTS, "HX-Trigger": "log-results"}
    ).text
    assert 'id="live"' not in polled
    clicked = office.client.get(f"/dashboard/connections/{cid}/log", headers=RESULTS).text
    assert 'id="live" hx-swap-oob' in clicked


def test_signing_in_again_returns_to_the_filtered_log(office: Office, site: Site) -> None:
    cid = office.connection()
    wanted = f"/dashboard/connections/{cid}/log?status=error&sort=name&dir=desc&page=2"
    stranger = in_process_client(site.app)
    sent = stranger.get(wanted)
    assert sent.status_code == 303
    assert parse_qs(urlsplit(sent.headers["location"]).query)["next"] == [wanted]
    htmx = stranger.get(
        f"/dashboard/connections/{cid}/log",
        headers={**RESULTS, "HX-Current-URL": f"http://testserver{wanted}"},
    )
    assert parse_qs(urlsplit(htmx.headers["HX-Redirect"]).query)["next"] == [wanted]
    elsewhere = stranger.get(
        f"/dashboard/connections/{cid}/log",
        headers={**RESULTS, "HX-Current-URL": "http://evil.example/dashboard/x"},
    )
    assert "next" not in elsewhere.headers["HX-Redirect"]

    # signing out from the filtered log, then in again: back to it, filter and all
    page = office.client.get(wanted).text
    assert f'name="next" value="{wanted.replace("&", "&amp;")}"' in page
    out = office.client.post(
        "/dashboard/logout", data={"csrf_token": csrf_of(page), "next": wanted}
    )
    login = out.headers["location"]
    assert parse_qs(urlsplit(login).query)["next"] == [wanted]
    form = office.client.get(login).text
    assert f'name="next" value="{wanted.replace("&", "&amp;")}"' in form
    back = office.client.post(
        "/dashboard/login",
        data={
            "email": office.email,
            "password": "correct horse battery staple",
            "next": wanted,
            "csrf_token": csrf_of(form),
        },
    )
    assert back.status_code == 303 and back.headers["location"] == wanted
    foreign = office.client.post(
        "/dashboard/logout",
        data={"csrf_token": csrf_of(office.client.get(wanted).text), "next": "//evil.example/"},
    )
    assert "next" not in foreign.headers["location"]
    assert sign_in(office.client, office.email).status_code == 303


def test_a_record_page_asks_again_only_while_it_is_being_sent(office: Office) -> None:
    cid = office.connection()  # never connected: a pending record is not being sent
    office.service.put_record(office.key_id, cid, "customer", "ann", {"display_name": "Ann"})
    path = f"/dashboard/connections/{cid}/records/customer/ann"
    page = office.client.get(path).text
    assert (
        'id="record-panel">' in page and "hx-trigger" not in page.split('id="record-panel"')[1][:5]
    )
    assert "QuickBooks confirmed it" not in page  # pending: nothing to confirm
    polled = office.client.get(
        path, headers={"HX-Request": "true", "HX-Trigger": "record-panel"}
    ).text
    clicked = office.client.get(path, headers={"HX-Request": "true"}).text
    assert 'id="live"' in clicked and "Synced: QuickBooks confirmed it" not in polled


def test_confirmed_at_is_the_newest_successful_write_of_a_synced_record() -> None:
    history = (
        {"at": "2026-12-05T10:00:00+00:00", "kind": "action:resync"},
        {"at": "2026-12-05T09:59:00+00:00", "kind": "updated"},
        {"at": "2026-12-05T09:00:00+00:00", "kind": "created"},
    )
    synced = RecordView("customer", "a", "synced", 2, False, {}, history=history)
    assert confirmed_at(synced) == "2026-12-05T09:59:00+00:00"
    pending = RecordView("customer", "a", "pending", 2, False, {}, history=history)
    assert confirmed_at(pending) is None


def test_a_new_filter_keeps_the_sort_and_page_size_chosen_with_htmx(office: Office) -> None:
    cid = office.connection()
    log = f"/dashboard/connections/{cid}/log"
    whole = office.client.get(log, params={"sort": "name", "size": "25"}).text
    keep = whole.split('<div id="log-keep" hidden>', 1)[1].split("</div>", 1)[0]
    assert 'name="sort" value="name"' in keep and 'name="size" value="25"' in keep
    # sorted again with htmx: the filter form's kept values are swapped in with the results
    swapped = office.client.get(log, params={"sort": "type", "dir": "desc"}, headers=RESULTS)
    keep = swapped.text.split('<div id="log-keep" hidden hx-swap-oob="true">', 1)[1]
    assert keep.startswith('<input type="hidden" name="sort" value="type">')
    assert 'name="size"' not in keep.split("</div>", 1)[0]
