"""Two-way, the gaps reviews found, each shown through the HTTP API (uvicorn on a real socket)
and the emulator over a real socket, on SQLite and PostgreSQL:

- a second app record asking to adopt a QuickBooks object another app record waits to adopt
  (or is linked to) is refused at its `PUT`, naming the field and the other record;
- an import whose object is deleted in QuickBooks after its type left `import` mode leaves the
  imports list as the deletion arrives;
- an initial import waiting on the company's rate window stays alive (it beats while it waits),
  so a second API process never starts another beside it;
- the office's one-click fixes, the lists refresh and verify are counted in the company's rate
  window: QuickBooks never refuses them for going over its limits;
- two pulls at once (a person's refresh beside another) tell a change once (PostgreSQL);
- an adoption compares with QuickBooks as it is, not with a copy read a moment before a person
  changed the object.

No dispatcher runs: the test does the sync passes itself (`sync_company`), so records stay
where the API put them until it does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.bootstrap import Ledger, RateLimits
from ledgerbridge.engine import initial_import, pacing
from ledgerbridge.engine.push import sync_company
from ledgerbridge.engine.service import Service
from ledgerbridge.storage.events import _EVENTS_LOCK_CLASS, _events_lock_key
from qbo_emulator.server import EmulatorServer, free_port
from tests.ledgerbridge.api.conftest import ApiServer, ledger_served_at
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.sqlite_template import SqliteTemplate
from tests.ledgerbridge.tls import shared_tls

T = TypeVar("T")
WAIT = 20.0  # seconds at most for what a background thread does (a loaded machine)


class Clock:
    """The engine's clock: the real one, moved on by the test."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Live:
    emulator: EmulatorServer
    ledger: Ledger
    service: Service
    url: str
    clock: Clock
    http: httpx.Client
    cid: str = ""
    realm: str = ""
    client_id: str = ""
    servers: list[ApiServer] = field(default_factory=list)  # other API processes
    services: list[Service] = field(default_factory=list)  # theirs

    def base(self) -> str:
        return f"/v1/connections/{self.cid}"

    def connect(self, settings: dict[str, Any] | None = None) -> None:
        """A new emulator company, a connection to it through the API, and its first pull."""
        created = httpx.post(
            f"{self.emulator.url}/_emulator/companies", json={"name": "Gap Co"}, verify=shared_tls()
        )
        self.realm = created.json()["realm_id"]
        answer = self.http.post("/v1/connections", json={"name": "Gaps", "environment": "emulator"})
        assert answer.status_code == 201, answer.text
        self.cid = answer.json()["id"]
        if settings:
            answer = self.http.patch(f"{self.base()}/settings", json=settings)
            assert answer.status_code == 200, answer.text
        authorize = self.http.get(f"{self.base()}/connect").headers["location"]
        consent = httpx.get(f"{authorize}&realm_id={self.realm}&approve=true", verify=shared_tls())
        callback = urlparse(consent.headers["location"])
        assert self.http.get(f"{callback.path}?{callback.query}").status_code == 200
        self.client_id = parse_qs(urlparse(authorize).query)["client_id"][0]
        self.refresh()

    def refresh(self) -> None:
        answer = self.http.post(f"{self.base()}/quickbooks/refresh", params={"wait": 30})
        assert answer.status_code == 200, answer.text

    def sync(self) -> None:
        report = sync_company(self.ledger, self.cid)
        assert report.stopped is None, report

    def record(self, record_type: str, app_id: str) -> dict[str, Any]:
        answer = self.http.get(f"{self.base()}/records/{record_type}/{app_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def export(self) -> dict[str, list[dict[str, Any]]]:
        found = httpx.get(
            f"{self.emulator.url}/_emulator/companies/{self.realm}/export", verify=shared_tls()
        ).json()
        entities: dict[str, list[dict[str, Any]]] = found["entities"]
        return entities

    def imports(self, record_type: str | None = None) -> list[dict[str, Any]]:
        params = {"limit": 200, **({"type": record_type} if record_type else {})}
        answer = self.http.get(f"{self.base()}/quickbooks/imports", params=params)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def another_process(self) -> str:
        """A second API process on the same database (its own service: its own initial
        imports and refreshes under way): its URL."""
        service = Service(self.ledger)
        server = ApiServer(service, free_port())
        server.__enter__()
        self.servers.append(server)
        self.services.append(service)
        return server.url


@contextmanager
def _database(kind: str, tmp_path: Path, template: SqliteTemplate) -> Iterator[str]:
    """The database URL of one test: a copy of the migrated SQLite template, or a private
    PostgreSQL schema."""
    if kind == "sqlite":
        yield template.copy_into(tmp_path)
        return
    with private_schema("lb_gaps") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> Iterator[Live]:
    with (
        EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.1) as emulator,
        _database(request.param, tmp_path, sqlite_template) as database_url,
    ):
        ledger, port, url = ledger_served_at(
            emulator.url, tmp_path, LEDGERBRIDGE_DATABASE_URL=database_url
        )
        clock = Clock()
        ledger.clock = clock  # type: ignore[method-assign]
        service = Service(ledger)
        _, secret = service.create_key("app")
        http = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {secret}"},
            timeout=60,
            verify=shared_tls(),
        )
        live = Live(emulator, ledger, service, url, clock, http)
        try:
            with ApiServer(service, port):
                yield live
        finally:
            for server in live.servers:
                server.__exit__(None, None, None)
            http.close()
            ledger.db.dispose()


def until(what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


class QuickBooksPerson:
    """Someone working in QuickBooks itself, through the emulator's API with a token of theirs."""

    def __init__(self, live: Live) -> None:
        tokens = httpx.post(
            f"{live.emulator.url}/_emulator/companies/{live.realm}/connect",
            json={"client_id": live.client_id},
            verify=shared_tls(),
        ).json()
        self.base = f"{live.emulator.url}/v3/company/{live.realm}"
        self.headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json",
        }

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.base}/{entity.lower()}", json=body, headers=self.headers, verify=shared_tls()
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()[entity]
        return found

    def delete(self, entity: str, qbo_id: str) -> None:
        current = httpx.get(
            f"{self.base}/{entity.lower()}/{qbo_id}", headers=self.headers, verify=shared_tls()
        )
        body = {"Id": qbo_id, "SyncToken": current.json()[entity]["SyncToken"]}
        answer = httpx.post(
            f"{self.base}/{entity.lower()}",
            params={"operation": "delete"},
            json=body,
            headers=self.headers,
            verify=shared_tls(),
        )
        assert answer.status_code == 200, answer.text

    def query(self, text: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.base}/query", params={"query": text}, headers=self.headers, verify=shared_tls()
        )
        section = answer.json()["QueryResponse"]
        rows: list[dict[str, Any]] = next((v for v in section.values() if isinstance(v, list)), [])
        return rows


def _problems(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 422, answer.text
    problems: list[dict[str, Any]] = answer.json()["error"]["problems"]
    return problems


# --- 1. one QuickBooks object, one app record asking to adopt it -------------------------------


def test_a_second_record_asking_to_adopt_an_object_another_waits_for_is_refused(
    live: Live,
) -> None:
    live.connect()
    person = QuickBooksPerson(live)
    maria = person.create("Customer", {"DisplayName": "Maria Lopez"})
    bo = person.create("Customer", {"DisplayName": "Bo Diaz"})
    live.refresh()
    base = live.base()

    answer = live.http.put(
        f"{base}/records/customer/c-maria",
        json={"display_name": "Maria Lopez", "link": {"quickbooks_id": maria["Id"]}},
    )
    assert answer.status_code == 200, answer.text
    # another app record naming the same object before the first is pushed: refused at once
    answer = live.http.put(
        f"{base}/records/customer/c-maria-2",
        json={"display_name": "Maria L.", "link": {"quickbooks_id": maria["Id"]}},
    )
    (problem,) = _problems(answer)
    assert problem["field"] == "link.quickbooks_id"
    assert "c-maria" in problem["message"] and maria["Id"] in problem["message"]
    assert live.http.get(f"{base}/records/customer/c-maria-2").status_code == 404
    # many at once: the same, and one of a request may not take what another of it asks
    answer = live.http.post(
        f"{base}/records",
        json={
            "records": [
                {
                    "type": "customer",
                    "id": "c-maria-3",
                    "data": {"display_name": "M", "link": {"quickbooks_id": maria["Id"]}},
                },
                {
                    "type": "customer",
                    "id": "c-bo",
                    "data": {"display_name": "Bo Diaz", "link": {"quickbooks_id": bo["Id"]}},
                },
                {
                    "type": "customer",
                    "id": "c-bo-2",
                    "data": {"display_name": "Bo", "link": {"quickbooks_id": bo["Id"]}},
                },
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    stored = {r["id"]: r for r in answer.json()["items"]}
    assert [stored[i]["stored"] for i in ("c-maria-3", "c-bo", "c-bo-2")] == [False, True, False]
    assert "c-maria" in stored["c-maria-3"]["problems"][0]["message"]
    assert stored["c-bo-2"]["problems"][0]["field"] == "link.quickbooks_id"
    assert "c-bo" in stored["c-bo-2"]["problems"][0]["message"]

    # the dry run: one adoption per object, nothing refused
    plan = live.http.post(f"{base}/plan").json()
    assert plan["counts"]["adopt"] == 2 and plan["counts"]["refuse"] == 0, plan

    # an adoption the app takes back (the record deleted before its push) frees the object
    assert live.http.delete(f"{base}/records/customer/c-bo").status_code == 200
    answer = live.http.put(
        f"{base}/records/customer/c-bo-2",
        json={"display_name": "Bo Diaz", "link": {"quickbooks_id": bo["Id"]}},
    )
    assert answer.status_code == 200, answer.text

    live.sync()
    assert live.record("customer", "c-maria")["quickbooks_id"] == maria["Id"]
    assert live.record("customer", "c-bo-2")["quickbooks_id"] == bo["Id"]
    names = sorted(c["DisplayName"] for c in live.export()["Customer"])
    assert names == ["Bo Diaz", "Maria Lopez"]  # nothing created, nothing twice
    # linked now: refused as before
    answer = live.http.put(
        f"{base}/records/customer/c-maria-2",
        json={"display_name": "Maria L.", "link": {"quickbooks_id": maria["Id"]}},
    )
    assert "c-maria" in _problems(answer)[0]["message"]


def test_an_import_acknowledged_under_another_id_is_refused_while_one_waits_to_adopt(
    live: Live,
) -> None:
    """The app sent its vendor naming the object itself: the import of that object no longer
    waits, and acknowledging it anyway is refused rather than making a second adopter."""
    live.connect({"from_quickbooks_vendors": "import", "auto_push": ["customer"]})
    person = QuickBooksPerson(live)
    rain = person.create("Vendor", {"DisplayName": "Rain Supply"})
    live.refresh()
    assert [e["quickbooks_id"] for e in live.imports("vendor")] == [rain["Id"]]
    answer = live.http.put(
        f"{live.base()}/records/vendor/v-rain",
        json={"display_name": "Rain Supply", "link": {"quickbooks_id": rain["Id"]}},
    )
    assert answer.status_code == 200, answer.text
    assert live.imports("vendor") == []
    answer = live.http.post(
        f"{live.base()}/quickbooks/imports/vendor/{rain['Id']}/acknowledge",
        json={"id": "v-rain-2"},
    )
    assert answer.status_code in (404, 422), answer.text
    assert live.http.get(f"{live.base()}/records/vendor/v-rain-2").status_code == 404


# --- 2. an import deleted in QuickBooks after its type left `import` ---------------------------


def test_an_import_deleted_in_quickbooks_after_import_mode_was_left_leaves_the_list(
    live: Live,
) -> None:
    live.connect({"from_quickbooks_payments": "import"})
    person = QuickBooksPerson(live)
    base = live.base()
    (services,) = person.query("SELECT * FROM Account WHERE Name = 'Services'")
    for path, body in (
        ("records/customer/c-gale", {"display_name": "Gale Ortiz"}),
        (
            "records/item/i-gutter",
            {"name": "Gutter Clean", "unit_price": "80.00", "income_account": "Services"},
        ),
        (
            "records/invoice/inv-1",
            {
                "customer_id": "c-gale",
                "date": "2026-05-04",
                "lines": [{"item_id": "i-gutter", "quantity": "2", "unit_price": "80.00"}],
            },
        ),
    ):
        answer = live.http.put(f"{base}/{path}", json=body)
        assert answer.status_code == 200, answer.text
    assert services["Id"]
    live.sync()
    invoice = live.record("invoice", "inv-1")
    assert invoice["status"] == "synced", invoice
    customer = live.record("customer", "c-gale")["quickbooks_id"]
    methods = {m["Name"]: m["Id"] for m in person.query("SELECT * FROM PaymentMethod")}
    mapped = {"payment_methods": {"check": methods["Check"]}}
    answer = live.http.put(f"{base}/mappings", json=mapped)
    assert answer.status_code == 200, answer.text

    def payment(total: int) -> dict[str, Any]:
        return person.create(
            "Payment",
            {
                "CustomerRef": {"value": customer},
                "TotalAmt": total,
                "TxnDate": "2026-05-06",
                "PaymentMethodRef": {"value": methods["Check"]},
                "Line": [
                    {
                        "Amount": total,
                        "LinkedTxn": [{"TxnId": invoice["quickbooks_id"], "TxnType": "Invoice"}],
                    }
                ],
            },
        )

    first, second = payment(40), payment(30)
    live.refresh()
    assert sorted(e["quickbooks_id"] for e in live.imports("payment")) == sorted(
        [first["Id"], second["Id"]]
    )

    # the type leaves import mode (told as events only), then QuickBooks deletes one
    answer = live.http.patch(f"{base}/settings", json={"from_quickbooks_payments": "events"})
    assert answer.status_code == 200, answer.text
    person.delete("Payment", first["Id"])
    live.refresh()
    assert [e["quickbooks_id"] for e in live.imports("payment")] == [second["Id"]]

    # ...and with nothing told at all (off), the same
    answer = live.http.patch(f"{base}/settings", json={"from_quickbooks_payments": "off"})
    assert answer.status_code == 200, answer.text
    person.delete("Payment", second["Id"])
    live.refresh()
    assert live.imports("payment") == []
    progress = live.http.get(f"{base}/quickbooks/import").json()
    assert progress["waiting"] == {}
    answer = live.http.post(
        f"{base}/quickbooks/imports/payment/{second['Id']}/acknowledge", json={"id": "p-2"}
    )
    assert answer.status_code == 404, answer.text


# --- 3. an initial import waiting on the rate window is alive ----------------------------------


def test_an_initial_import_waiting_for_the_rate_window_is_not_started_again_elsewhere(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the import looks at the window again every 50 ms of real time (two seconds in
    # production): what it waits for is the engine's clock, which the test moves
    monkeypatch.setattr(initial_import, "WAIT_SLICE", 0.05)
    live.connect()
    person = QuickBooksPerson(live)
    for n in range(3):
        person.create("Vendor", {"DisplayName": f"Old Vendor {n}"})
    base = live.base()
    # the company's window full for an hour of the engine's clock (other processes' requests):
    # the import's first read waits
    live.ledger.rate_limits = RateLimits(  # type: ignore[misc]
        requests_per_minute=5, batches_per_minute=1, window_seconds=3600
    )
    while pacing.take(live.ledger, live.realm) == 0:
        pass
    answer = live.http.post(f"{base}/quickbooks/import", json={"lists": ["vendors"]})
    assert answer.status_code == 202 and answer.json()["started"] is True, answer.text

    def progress() -> dict[str, Any]:
        found: dict[str, Any] = live.http.get(f"{base}/quickbooks/import").json()
        return found

    waiting = until("the import waiting for the window", lambda: progress()["rate_limited_until"])
    assert progress()["state"] == "running"
    assert datetime.fromisoformat(waiting) > live.clock()

    # longer than STALE goes by while it waits: it beats all the same
    live.clock.offset += initial_import.STALE + timedelta(minutes=1)
    moved = live.clock()
    until(
        "a beat while waiting",
        lambda: datetime.fromisoformat(progress()["beat_at"]) >= moved,
    )
    assert progress()["state"] == "running"
    # another API process is asked to start it: it runs already
    with httpx.Client(
        base_url=live.another_process(),
        headers=dict(live.http.headers),
        timeout=60,
        verify=shared_tls(),
    ) as other:
        answer = other.post(f"{base}/quickbooks/import", json={"lists": ["vendors"]})
    assert answer.status_code == 202, answer.text
    assert answer.json()["started"] is False and answer.json()["state"] == "running"
    assert not any(s.import_runs.busy(live.cid) for s in live.services)

    # the window frees: the one run goes on to the end
    live.ledger.rate_limits = RateLimits()  # type: ignore[misc]
    live.clock.offset += timedelta(hours=1)
    done = until("the import done", lambda: (p := progress())["state"] == "done" and p)
    assert done["resumed"] is False and done["rate_limited_until"] is None
    vendors = done["lists"]["vendors"]
    assert vendors["total"] == vendors["read"] == vendors["imported"] == 3
    assert sorted(e["record"]["display_name"] for e in live.imports("vendor")) == [
        f"Old Vendor {n}" for n in range(3)
    ]


# --- 4. the office's remote actions count in the company's rate window --------------------------


def test_one_click_fixes_refreshes_and_verify_stay_within_quickbooks_limits(live: Live) -> None:
    live.connect()
    person = QuickBooksPerson(live)
    base = live.base()
    count = 6
    made = [person.create("Customer", {"DisplayName": f"Office {n}"}) for n in range(count)]
    extra = person.create("Customer", {"DisplayName": "Late"})
    live.refresh()
    answer = live.http.put(f"{base}/records/customer/c-late", json={"display_name": "Late"})
    assert answer.status_code == 200, answer.text
    for n in range(count):  # the app's customers, waiting: no pass has run
        answer = live.http.put(f"{base}/records/customer/c-{n}", json={"display_name": f"O {n}"})
        assert answer.status_code == 200, answer.text
    # QuickBooks' limits lowered to four requests in a quarter of a second, and the engine told
    # three
    # (a request counted by the engine reaches QuickBooks a moment later: a loaded machine; the
    # engine's window reaches `rate_windows.MARGIN` further back than QuickBooks' for that)
    throttle = {"requests_per_minute": 4, "batch_per_minute": 1, "window_seconds": 0.25}
    answer = httpx.patch(
        f"{live.emulator.url}/_emulator/companies/{live.realm}",
        json={"throttle": throttle},
        verify=shared_tls(),
    )
    assert answer.status_code == 200, answer.text
    live.ledger.rate_limits = RateLimits(  # type: ignore[misc]
        requests_per_minute=3, batches_per_minute=1, window_seconds=0.25
    )
    # QuickBooks forgets the set-up's requests, as after a window of waiting (not the engine)
    live.emulator.emulator.limiter.forget(live.realm)
    try:
        for n, customer in enumerate(made):  # a person links each: one read of QuickBooks
            answer = live.http.post(
                f"{base}/records/customer/c-{n}/actions/link",
                json={"quickbooks_id": customer["Id"]},
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["quickbooks_id"] == customer["Id"]
        for _ in range(2):
            live.refresh()
        answer = live.http.post(f"{base}/verify")
        assert answer.status_code == 200, answer.text
        assert answer.json()["stopped"] is None
        summary = httpx.get(
            f"{live.emulator.url}/_emulator/companies/{live.realm}", verify=shared_tls()
        ).json()
        assert summary["throttle_refused"] == 0

        # a window full for longer than a person waits: the action says so, nothing is sent
        live.ledger.rate_limits = RateLimits(  # type: ignore[misc]
            requests_per_minute=2, batches_per_minute=1, window_seconds=3600
        )
        while pacing.take(live.ledger, live.realm) == 0:
            pass
        answer = live.http.post(
            f"{base}/records/customer/c-late/actions/link", json={"quickbooks_id": extra["Id"]}
        )
        assert answer.status_code == 409, answer.text
        assert "try again in" in answer.json()["error"]["message"]
        assert live.record("customer", "c-late")["quickbooks_id"] is None
    finally:
        httpx.patch(
            f"{live.emulator.url}/_emulator/companies/{live.realm}",
            json={"throttle": {"requests_per_minute": 500, "window_seconds": 60}},
            verify=shared_tls(),
        )
        live.ledger.rate_limits = RateLimits()  # type: ignore[misc]


# --- 5. a person's refresh beside another pull: a change is told once --------------------------


def test_two_pulls_at_once_tell_a_change_made_in_quickbooks_once(live: Live) -> None:
    """Two API processes refresh the lists at the same moment (as a person's refresh beside the
    worker's pull, which the company's lease does not keep apart): both read the new vendor
    from QuickBooks, and each must not store it as news beside the other. The feed's order
    lock (taken when events are appended) is held by the test until both pulls wait, so their
    storing overlaps; on SQLite the writers take turns by themselves."""
    if live.ledger.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions take turns by themselves")
    live.connect({"from_quickbooks_vendors": "events"})
    person = QuickBooksPerson(live)
    rain = person.create("Vendor", {"DisplayName": "Rain Supply"})
    other = live.another_process()
    base = live.base()
    answers: list[httpx.Response] = []

    def refresh(url: str) -> None:
        with httpx.Client(
            base_url=url, headers=dict(live.http.headers), timeout=90, verify=shared_tls()
        ) as http:
            answers.append(http.post(f"{base}/quickbooks/refresh", params={"wait": 60}))

    with live.ledger.db.engine.connect() as holder:
        holding = holder.begin()
        holder.execute(
            text("SELECT pg_advisory_xact_lock(CAST(:space AS int), CAST(:key AS int))"),
            {"space": _EVENTS_LOCK_CLASS, "key": _events_lock_key(live.cid)},
        )
        me = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        pulls = [threading.Thread(target=refresh, args=(url,)) for url in (live.url, other)]
        for pull in pulls:
            pull.start()

        def waiting() -> int:
            """The sessions waiting on the test's lock, or on one that waits on it."""
            with live.ledger.db.engine.connect() as probe:
                found: int = probe.execute(
                    text(
                        "WITH first AS (SELECT pid FROM pg_stat_activity"
                        " WHERE CAST(:me AS int) = ANY(pg_blocking_pids(pid)))"
                        " SELECT (SELECT count(*) FROM first) + (SELECT count(*)"
                        " FROM pg_stat_activity WHERE pid NOT IN (SELECT pid FROM first)"
                        " AND pg_blocking_pids(pid) && (SELECT array_agg(pid) FROM first))"
                    ),
                    {"me": me},
                ).scalar_one()
            return found

        until("both pulls storing", lambda: waiting() >= 2)
        holding.rollback()
    for pull in pulls:
        pull.join(90)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    feed = live.http.get(f"{base}/events", params={"limit": 1000}).json()["items"]
    told = [
        e
        for e in feed
        if e["type"] == "quickbooks.created" and e["payload"]["quickbooks_id"] == rain["Id"]
    ]
    assert len(told) == 1, told


# --- 5. an adoption decides on QuickBooks as it is, not on an older copy ------------------------


def test_an_adoption_reads_quickbooks_changes_first_however_fresh_the_copy(live: Live) -> None:
    """The lists were read a moment ago; a person then changes the customer in QuickBooks (no
    webhook reaches this API's pulls). The app adopts it with the values it had: the push must
    not call it synced on the older copy while QuickBooks holds another phone."""
    live.connect()
    person = QuickBooksPerson(live)
    maria = person.create(
        "Customer", {"DisplayName": "Maria Lopez", "PrimaryPhone": {"FreeFormNumber": "555-0100"}}
    )
    live.refresh()  # the copy is current now: a pass would not read QuickBooks again for 30 s
    current = httpx.get(
        f"{person.base}/customer/{maria['Id']}", headers=person.headers, verify=shared_tls()
    )
    token = current.json()["Customer"]["SyncToken"]
    person.create(
        "Customer",
        {
            "Id": maria["Id"],
            "SyncToken": token,
            "sparse": True,
            "PrimaryPhone": {"FreeFormNumber": "555-0777"},
        },
    )
    answer = live.http.put(
        f"{live.base()}/records/customer/c-maria",
        json={
            "display_name": "Maria Lopez",
            "phone": "555-0100",
            "link": {"quickbooks_id": maria["Id"]},
        },
    )
    assert answer.status_code == 200, answer.text
    live.sync()

    seen = live.record("customer", "c-maria")
    assert seen["quickbooks_id"] == maria["Id"]
    (only,) = live.export()["Customer"]
    if seen["status"] == "synced":  # then QuickBooks holds what the record says
        assert only["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    else:  # asked about, as the connection's quickbooks_changes (ask) says
        assert seen["problem"]["code"] == "record.changed_in_quickbooks", seen
        assert only["PrimaryPhone"]["FreeFormNumber"] == "555-0777"
    answer = live.http.post(f"{live.base()}/verify")
    assert answer.status_code == 200, answer.text
    assert answer.json()["mismatches"] == [], answer.json()
