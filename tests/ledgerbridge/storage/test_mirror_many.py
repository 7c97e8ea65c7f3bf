"""The mirror's batch reads and writes (a pull stores thousands of objects at once), on SQLite
and PostgreSQL: the same answers as one object at a time, and a fresh copy compared with its
stored form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import event

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.reconcile import is_voided
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror, same_as_stored
from ledgerbridge.storage.scans import Scans

from .conftest import Owner


def _invoice(qbo_id: str, number: str, balance: str, token: str = "0") -> MirrorObject:
    return MirrorObject.from_quickbooks(
        "Invoice",
        {
            "Id": qbo_id,
            "SyncToken": token,
            "DocNumber": number,
            "CustomerRef": {"value": "7"},
            "TotalAmt": Decimal("125.00"),
            "Balance": Decimal(balance),
        },
    )


def test_many_objects_are_stored_and_read_back_like_one(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        mirror = Mirror(session, cid)
        mirror.put(_invoice("1", "1001", "125.00"))
        # 1 is stored again (updated), 2..1200 are new; 5 comes twice: the last copy wins
        fresh = [_invoice(str(n), str(1000 + n), "0.00") for n in range(1, 1201)]
        mirror.put_many([*fresh, _invoice("5", "1005", "12.00", token="1")])
    with db.session(readonly=True) as session:
        mirror = Mirror(session, cid)
        held = mirror.get_many("Invoice", [str(n) for n in range(1, 1300)])
        assert len(held) == 1200
        assert held["1"].data["Balance"] == "0.00" and held["1"] == mirror.get("Invoice", "1")
        assert (held["5"].sync_token, held["5"].data["Balance"]) == ("1", "12.00")
        assert mirror.numbered("Invoice", "1005")[0].qbo_id == "5"
        assert mirror.get_many("Customer", ["1"]) == {}


def test_objects_of_several_entities_are_read_and_marked_deleted_together(
    db: Database, owner: Owner
) -> None:
    cid = owner.connection_id
    customer = MirrorObject.from_quickbooks("Customer", {"Id": "1", "SyncToken": "0"})
    with db.session() as session:
        Mirror(session, cid).put_many(
            [customer, *(_invoice(str(n), str(1000 + n), "0.00") for n in range(1, 701))]
        )
    with db.session() as session:
        mirror = Mirror(session, cid)
        # more than 500 keys (two queries), an id both entities use, ids nobody holds
        keys = [("Invoice", str(n)) for n in range(1, 751)] + [("Customer", "1"), ("Bill", "1")]
        held = mirror.get_among(keys)
        assert len(held) == 701
        assert held[("Customer", "1")] == customer
        assert held[("Invoice", "700")] == mirror.get("Invoice", "700")
        mirror.mark_deleted_many([("Invoice", "1"), ("Customer", "1"), ("Invoice", "999")])
    with db.session(readonly=True) as session:
        mirror = Mirror(session, cid)
        assert mirror.is_deleted("Invoice", "1") and mirror.is_deleted("Customer", "1")
        assert mirror.get_among([("Invoice", "1"), ("Invoice", "2")]).keys() == {("Invoice", "2")}
        assert mirror.get_among([]) == {}


def test_a_copy_read_again_is_the_same_as_its_stored_form(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        Mirror(session, cid).put(_invoice("1", "1001", "125.00"))
    with db.session(readonly=True) as session:
        stored = Mirror(session, cid).get("Invoice", "1")
    assert same_as_stored(stored, _invoice("1", "1001", "125.00"))
    assert not same_as_stored(stored, _invoice("1", "1001", "25.00"))  # paid in part
    assert not same_as_stored(stored, _invoice("1", "1001", "125.00", token="1"))
    assert not same_as_stored(None, _invoice("1", "1001", "125.00"))


def test_links_are_found_for_many_quickbooks_ids(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        links = Links(session)
        for n in range(1, 601):
            links.put(
                cid,
                "invoice",
                f"inv-{n}",
                entity="Invoice",
                qbo_id=str(n),
                sync_token="0",
                doc_number=None,
                pushed=None,
            )
    with db.session(readonly=True) as session:
        found = Links(session).by_quickbooks_many(cid, "Invoice", ["3", "599", "700"])
    assert {k: v.app_id for k, v in found.items()} == {"3": "inv-3", "599": "inv-599"}


def test_a_reports_light_read_of_the_mirror_tells_the_same_states(
    db: Database, owner: Owner
) -> None:
    """`Scans.mirror_states` (keys without the documents; a voided one's document read
    whole) gives the report the same states as reading every document."""
    cid = owner.connection_id
    voided = MirrorObject.from_quickbooks(
        "Payment",
        {
            "Id": "2",
            "TotalAmt": Decimal("0"),
            "PrivateNote": "Voided",
            "CustomerRef": {"value": "7"},
        },
    )
    paid = MirrorObject.from_quickbooks(
        "Payment", {"Id": "1", "TotalAmt": Decimal("50.00"), "CustomerRef": {"value": "7"}}
    )
    with db.session() as session:
        Mirror(session, cid).put_many([paid, voided])
    with db.session(readonly=True) as session:
        light = Scans(session, cid).mirror_states("Payment")
        whole = Scans(session, cid).mirror("Payment", deleted=True)
    assert [(o.obj.qbo_id, o.obj.parent_id, o.deleted) for o in light] == [
        (o.obj.qbo_id, o.obj.parent_id, o.deleted) for o in whole
    ]
    states = {o.obj.qbo_id: is_voided(o.obj.data) for o in light}
    assert states == {"1": False, "2": True}


def test_linked_objects_are_read_a_page_at_a_time(db: Database, owner: Owner) -> None:
    """Every link's key of the entities asked, in pages (a big company's are tens of
    thousands: never all at once), whatever the page size."""
    cid = owner.connection_id
    links = [
        StoredLink("invoice", f"n{n}", "Invoice", str(n), "0", None, None) for n in range(1, 8)
    ]
    links.append(StoredLink("customer", "c1", "Customer", "7", "0", None, None))
    links.append(StoredLink("item", "i1", "Item", "9", "0", None, None))
    with db.session() as session:
        Links(session).put_many(cid, links)
    expected = {("Invoice", str(n)) for n in range(1, 8)} | {("Customer", "7")}
    asked = ["Invoice", "Customer", "Account", "Vendor", "Employee", "Bill"]
    statements = [0]

    def counted(*args: Any) -> None:
        statements[0] += 1

    with db.session(readonly=True) as session:
        scans = Scans(session, cid)
        for page, pages in ((1, 8), (3, 3), (7, 2), (1000, 1)):
            statements[0] = 0
            event.listen(db.engine, "before_cursor_execute", counted)
            try:
                found = list(scans.linked_objects(asked, page=page))
            finally:
                event.remove(db.engine, "before_cursor_execute", counted)
            assert len(found) == len(expected)
            assert set(found) == expected
            # every entity's next page in one statement: the entities without links cost none
            assert statements[0] == pages, page
