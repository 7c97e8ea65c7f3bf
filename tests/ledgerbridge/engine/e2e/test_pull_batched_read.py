"""A new company's full read asks the first page of every entity, the preferences and the
company's information in one batch request (`pull._read_whole`); an entity whose first page
comes back full is read again from its start, page by page, as before. The batch counts as
one request and one batch request in the company's window, and each way QuickBooks can fail
it (an item's fault, a refused token, a 429, an answer lost) ends as a single read's would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from ledgerbridge.adapters.qbo import BatchItem, PageRead, QboClient
from ledgerbridge.engine import pull
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.storage import tables
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.mirror import Mirror
from qbo_emulator.emulator import Seeder
from qbo_emulator.operations import MAX_BATCH_ITEMS, MAX_BATCH_OBJECTS
from qbo_emulator.query.parser import MAX_RESULTS_LIMIT
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.e2e.test_pull_cdc_limit import ann_synced
from tests.ledgerbridge.engine.quickbooks_person import Person


@pytest.fixture
def person(world: World) -> Iterator[Person]:
    someone = Person(world)
    yield someone
    someone.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[PageRead]]]:
    """The engine's reads of QuickBooks' lists, a request each: ("batch", its pages) or
    ("page", [the page])."""
    seen: list[tuple[str, list[PageRead]]] = []
    query_pages, query_page = QboClient.query_pages, QboClient.query_page

    def batched(client: QboClient, asked: Any) -> list[list[dict[str, Any]]]:
        seen.append(("batch", list(asked)))
        return query_pages(client, asked)

    def alone(client: QboClient, text: str, start: int, size: int) -> list[dict[str, Any]]:
        seen.append(("page", [PageRead(text, start, size)]))
        return query_page(client, text, start, size)

    monkeypatch.setattr(QboClient, "query_pages", batched)
    monkeypatch.setattr(QboClient, "query_page", alone)
    return seen


def counted(world: World) -> tuple[int, int]:
    """Requests and batch requests the engine counted in the company's window."""
    with world.ledger.db.session(readonly=True) as session:
        t = tables.RateWindow
        row = session.execute(
            select(func.sum(t.requests), func.sum(t.batches)).where(t.realm_id == world.realm_id)
        ).one()
    return int(row[0] or 0), int(row[1] or 0)


def held(world: World, entity: str) -> set[str]:
    with world.ledger.db.session(readonly=True) as session:
        return {obj.qbo_id for obj in Mirror(session, world.connection_id).all_of(entity)}


def in_quickbooks(world: World, entity: str) -> set[str]:
    return {str(row["Id"]) for row in world.entities(entity)}


def customers(world: World, person: Person, count: int) -> None:
    world.admin(
        "PATCH",
        f"/companies/{world.realm_id}",
        {"throttle": {"requests_per_minute": None, "batch_per_minute": None}},
    )
    for start in range(0, count, 30):
        items = [
            BatchItem(f"b{n}", "create", "Customer", {"DisplayName": f"Walk-in {start + n:03d}"})
            for n in range(min(30, count - start))
        ]
        person.client.batch(items, request_id=uuid.uuid4().hex)


def test_a_new_company_is_read_in_one_batch_request(
    world: World, reads: list[tuple[str, list[PageRead]]]
) -> None:
    requests, batches = counted(world)  # the sign-in's own requests counted before
    report = pull_company(world.ledger, world.connection_id)

    assert report.stopped is None and report.full
    assert [kind for kind, _ in reads] == ["batch"]
    ((_, asked),) = reads
    entities = [read.text.split()[3] for read in asked]
    assert entities == [*pull.LISTS, *pull.DOCUMENTS, "Preferences", "CompanyInfo"]
    assert sum(read.size for read in asked) <= pull.FIRST_ROWS
    assert counted(world) == (requests + 1, batches + 1)  # one request, a batch request
    assert held(world, "Account") == in_quickbooks(world, "Account") != set()
    assert_company_settings_stored(world)


def assert_company_settings_stored(world: World) -> None:
    """The full read stored the company's Preferences and its CompanyInfo's name."""
    with world.ledger.db.session(readonly=True) as session:
        preferences = Mirror(session, world.connection_id).preferences()
        connection = Connections(session).get_unscoped(world.connection_id)
    assert preferences["Id"] == "1"
    assert connection is not None and connection.company_name == "Sync Test Co"


def filled(world: World, entity: str, count: int) -> None:
    """The emulated company holds at least `count` objects of `entity`: plain ones put
    straight into its tables (no rule asks anything of a row stored so)."""
    emulator = world.emulator.emulator
    with emulator.lock:
        company = emulator.company(world.realm_id)
        seeder = Seeder(company)
        for n in range(len(company.table(entity)), count):
            name = f"Filler {entity} {n}"
            if entity in ("Customer", "Vendor", "Employee"):
                row: dict[str, Any] = {"DisplayName": name, "Active": True}
            elif entity in pull.LISTS:
                row = {"Name": name, "FullyQualifiedName": name, "Active": True}
                if entity == "Account":
                    row |= {"AccountType": "Expense", "AccountSubType": "OtherMiscellaneous"}
            else:
                row = {"DocNumber": f"F{n}", "TxnDate": "2026-11-02", "TotalAmt": 0, "Line": []}
            seeder.insert_readonly(entity, row)


def test_a_company_whose_every_first_page_is_full_is_read_within_quickbooks_limits(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator holds QuickBooks' limits (30 items a batch, 1000 rows a query, 1000
    objects in a batch's whole answer, cut silently past that): a company in which every
    entity has more than its share of the first batch gets the largest first read there is,
    and every object it holds is read."""
    entities = (*pull.LISTS, *pull.DOCUMENTS)
    for entity in entities:
        filled(world, entity, pull.FIRST_WIDE.get(entity, 40) + 1)
    sent: list[tuple[list[PageRead], int]] = []  # each batch: its reads, the objects answered
    pages: list[int] = []  # each page read alone: its size
    query_pages, query_page = QboClient.query_pages, QboClient.query_page

    def batched(client: QboClient, asked: Any) -> Any:
        answered = query_pages(client, asked)
        sent.append((list(asked), sum(len(page) for page in answered if isinstance(page, list))))
        return answered

    def alone(client: QboClient, text: str, start: int, size: int) -> list[dict[str, Any]]:
        pages.append(size)
        return query_page(client, text, start, size)

    monkeypatch.setattr(QboClient, "query_pages", batched)
    monkeypatch.setattr(QboClient, "query_page", alone)
    report = pull_company(world.ledger, world.connection_id)

    assert report.stopped is None and report.full
    ((asked, answered),) = sent
    assert len(asked) <= MAX_BATCH_ITEMS
    assert all(read.size <= MAX_RESULTS_LIMIT for read in asked)
    assert sum(read.size for read in asked) <= pull.FIRST_ROWS
    # every entity's first page full (the TaxCode page with its pseudo codes on top)...
    assert answered >= sum(read.size for read in asked[: len(entities)]) + 2
    assert answered <= MAX_BATCH_OBJECTS  # ...and still within the answer's cap
    assert len(pages) == len(entities)  # so each read again, alone
    assert all(size <= MAX_RESULTS_LIMIT for size in pages)
    pseudo = {"TAX", "NON"}  # tax codes QuickBooks answers but holds in no table
    for entity in entities:  # nothing cut: every object QuickBooks holds is in the mirror
        assert held(world, entity) - pseudo == in_quickbooks(world, entity), entity


def test_an_entity_with_more_than_its_first_page_is_read_on_page_by_page(
    world: World,
    person: Person,
    reads: list[tuple[str, list[PageRead]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customers(world, person, 60)
    monkeypatch.setattr(pull, "PAGE_SIZE", 10)  # pages after the first: of 10, each full
    pull_company(world.ledger, world.connection_id)

    first = next(read for read in reads[0][1] if "FROM Customer" in read.text)
    assert first.start == 1 and first.size < 60
    pages = [(read.start, read.size) for kind, (read,) in reads[1:] if kind == "page"]
    # read again from the start (a full page asks one more)
    assert pages == [(start, 10) for start in range(1, 62, 10)]
    assert len(held(world, "Customer")) == 60
    assert held(world, "Customer") == in_quickbooks(world, "Customer")


def test_a_full_read_of_more_reads_than_a_batch_holds_takes_several(
    world: World, reads: list[tuple[str, list[PageRead]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "BATCH_READS", 4)
    requests, batches = counted(world)
    report = pull_company(world.ledger, world.connection_id)

    assert report.stopped is None
    assert [len(asked) for _, asked in reads] == [4, 4, 4, 4, 3]
    assert counted(world) == (requests + 5, batches + 5)
    for entity in ("Account", "Term", "PaymentMethod"):
        assert held(world, entity) == in_quickbooks(world, entity)


def test_a_batch_item_quickbooks_could_not_answer_is_asked_again(world: World) -> None:
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"entity": "query", "in_batch": True}, "times": 1, "action": {"status": 500}},
    )
    report = pull_company(world.ledger, world.connection_id)
    assert report.stopped is None and report.full
    assert world.admin("GET", f"/companies/{world.realm_id}/faults")["faults"][0]["hits"] == 1
    assert held(world, "Account") == in_quickbooks(world, "Account")


@pytest.mark.parametrize(
    ("match", "action", "stopped"),
    [
        ({"entity": "query", "in_batch": True}, {"status": 429}, "throttled"),  # an item's
        ({"entity": "batch"}, {"status": 429, "retry_after": 7}, "throttled"),  # the request's
        ({"entity": "query", "in_batch": True}, {"status": 400, "code": "4000"}, "Rejected"),
    ],
)
def test_a_batch_quickbooks_refuses_stores_nothing(
    world: World, match: dict[str, Any], action: dict[str, Any], stopped: str
) -> None:
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": match, "times": None, "action": action},
    )
    report = pull_company(world.ledger, world.connection_id)
    assert report.stopped == stopped
    if "retry_after" in action:
        assert report.retry_after == 7
    assert held(world, "Account") == set()
    with world.ledger.db.session(readonly=True) as session:
        assert Connections(session).cdc_cursor(world.connection_id) is None  # read again


@pytest.mark.parametrize(
    ("singleton", "action"),
    [
        ("Preferences", {"status": 400, "code": "4001"}),  # refused: would stop the read
        ("CompanyInfo", {"status": 500}),  # every time: the batch asked thrice, then stopped
    ],
)
def test_a_failed_preferences_or_company_info_item_is_read_alone_not_the_whole_read_again(
    world: World,
    reads: list[tuple[str, list[PageRead]]],
    singleton: str,
    action: dict[str, Any],
) -> None:
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {
            "match": {"entity": singleton, "operation": "query", "in_batch": True},
            "times": None,
            "action": action,
        },
    )
    _, batches = counted(world)
    report = pull_company(world.ledger, world.connection_id)

    assert report.stopped is None and report.full
    assert [kind for kind, _ in reads] == ["batch"]  # the batch asked once, its item met once
    assert world.admin("GET", f"/companies/{world.realm_id}/faults")["faults"][0]["hits"] == 1
    assert counted(world)[1] == batches + 1  # one batch request: not asked again
    assert held(world, "Account") == in_quickbooks(world, "Account") != set()
    assert_company_settings_stored(world)


def test_a_throttled_preferences_item_stops_the_read_at_once(world: World) -> None:
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {
            "match": {"entity": "Preferences", "operation": "query", "in_batch": True},
            "times": None,
            "action": {"status": 429},
        },
    )
    requests, batches = counted(world)
    report = pull_company(world.ledger, world.connection_id)
    assert report.stopped == "throttled"
    assert counted(world) == (requests + 1, batches + 1)  # not read alone into the throttle
    assert held(world, "Account") == set()


def test_a_refused_token_is_refreshed_and_the_batch_sent_again(world: World) -> None:
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    report = pull_company(world.ledger, world.connection_id)
    assert report.stopped is None and report.full
    assert held(world, "Account") == in_quickbooks(world, "Account")


@pytest.mark.emulator_socket("the connection is dropped after QuickBooks answered")
@pytest.mark.in_process("counts its own pull's requests: the workers' sweep at start reads too")
def test_a_batch_whose_answer_is_lost_is_asked_again(world: World) -> None:
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {"match": {"entity": "batch"}, "times": 1, "action": {"drop_after_commit": True}},
    )
    requests, batches = counted(world)
    report = pull_company(world.ledger, world.connection_id)
    assert report.stopped is None and report.full
    assert world.admin("GET", f"/companies/{world.realm_id}/faults")["faults"][0]["hits"] == 1
    assert held(world, "Account") == in_quickbooks(world, "Account")
    assert counted(world) == (requests + 2, batches + 2)  # each attempt counted


def test_a_deletion_between_the_batch_and_the_pages_after_it_loses_no_object(
    world: World, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paged by position, a read on from the batch's small first page would miss the object at
    its edge when one before it is deleted between the two: the entity is read again from its
    start instead, and every invoice QuickBooks holds is in the mirror."""
    service, key, cid = world.service, world.key_id, world.connection_id
    ann_synced(world)
    ann = service.record(key, cid, "customer", "ann").quickbooks_id
    item = service.record(key, cid, "item", "svc").quickbooks_id
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 10,
        "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": 10},
    }
    for start in range(0, 50, 25):
        made = [
            BatchItem(
                f"b{n}",
                "create",
                "Invoice",
                {"CustomerRef": {"value": ann}, "DocNumber": f"W{start + n}", "Line": [line]},
            )
            for n in range(25)
        ]
        person.client.batch(made, request_id=uuid.uuid4().hex)
    with world.ledger.db.session() as session:
        Connections(session)._update(cid, cdc_cursor=None)  # read whole again
    query_pages = QboClient.query_pages

    def deleting_after_the_batch(client: QboClient, asked: Any) -> list[list[dict[str, Any]]]:
        pages = query_pages(client, asked)
        for read, page in zip(asked, pages, strict=True):
            if "FROM Invoice" in read.text:
                person.delete("Invoice", str(page[0]["Id"]))
        return pages

    monkeypatch.setattr(QboClient, "query_pages", deleting_after_the_batch)
    report = pull_company(world.ledger, cid)

    assert report.stopped is None and report.full
    assert held(world, "Invoice") == in_quickbooks(world, "Invoice")
    assert len(held(world, "Invoice")) == 49
