"""Classes on QuickBooks Desktop, through the API and the emulated Web Connector: an invoice, a
bill and a receipt carrying classes are sent with their `ClassRef`s (the company file's own
records say so); a class made inactive in QuickBooks stops the record with
`class.inactive_in_quickbooks`, explained in Desktop's words, whether ledgerbridge saw it
first (its read of the Class List) or QuickBooks refused the record (3140); Reactivate waits for
the Web Connector, makes the class active again in the company file, and the record follows.
A class name that is not text, or too long for any Desktop class, is refused naming the field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledgerbridge.engine.actions import WAITING
from tests.ledgerbridge.desktop.conftest import Desktop
from tests.ledgerbridge.desktop.test_failures_e2e import invoice, person, problem
from tests.ledgerbridge.desktop.test_fixes_e2e import act, ready, sessions
from tests.ledgerbridge.desktop.test_push_e2e import exported, put, record


def klass(desktop: Desktop, full_name: str) -> dict[str, Any]:
    (found,) = [c for c in exported(desktop).get("Class", []) if c["FullName"] == full_name]
    return found


def deactivate(desktop: Desktop, full_name: str) -> dict[str, Any]:
    """Someone at the PC makes the class inactive (Class List, Make Class Inactive)."""
    found = klass(desktop, full_name)
    person(
        desktop,
        f"<ClassModRq><ClassMod><ListID>{found['ListID']}</ListID><EditSequence>"
        f"{found['EditSequence']}</EditSequence><IsActive>false</IsActive></ClassMod>"
        "</ClassModRq>",
    )
    return found


def test_records_with_classes_are_sent_with_their_class_refs(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    put(desktop, "vendor", "v", display_name="Ridge Supply")
    put(
        desktop,
        "invoice",
        "inv-1",
        customer_id="c",
        number="7101",
        date="2026-11-20",
        **{"class": "Residential"},
        lines=[
            {
                "item_id": "svc",
                "quantity": "1",
                "unit_price": "95.00",
                "class": "Commercial:Retail",
            }
        ],
    )
    put(
        desktop,
        "bill",
        "bill-1",
        vendor_id="v",
        vendor_document_number="RS-1",
        date="2026-11-21",
        lines=[{"expense_account": "Job Materials", "amount": "40.00", "class": "Residential"}],
    )
    put(
        desktop,
        "receipt",
        "rec-1",
        vendor_id="v",
        date="2026-11-22",
        payment_type="check",
        payment_account="Checking",
        lines=[
            {"expense_account": "Fuel", "amount": "30.00", "class": "Commercial"},
            {"item_id": "svc", "amount": "95.00", "class": "Residential"},
        ],
    )
    sessions(connector)
    for record_type, app_id in (("invoice", "inv-1"), ("bill", "bill-1"), ("receipt", "rec-1")):
        view = record(desktop, record_type, app_id)
        assert view["status"] == "synced", (record_type, view["problem"])
    residential = klass(desktop, "Residential")["ListID"]
    (sent,) = exported(desktop)["Invoice"]
    assert sent["ClassRef"]["ListID"] == residential
    (line,) = sent["InvoiceLineRet"]
    assert line["ClassRef"]["ListID"] == klass(desktop, "Commercial:Retail")["ListID"]
    (bill,) = exported(desktop)["Bill"]
    assert bill["ExpenseLineRet"][0]["ClassRef"]["ListID"] == residential
    (check,) = exported(desktop)["Check"]
    assert (
        check["ExpenseLineRet"][0]["ClassRef"]["ListID"] == klass(desktop, "Commercial")["ListID"]
    )
    assert check["ItemLineRet"][0]["ClassRef"]["ListID"] == residential
    # read back at the next scheduled pull: what QuickBooks holds is what was sent, no drift
    desktop.clock.advance(minutes=16)
    sessions(connector)
    for record_type, app_id in (("invoice", "inv-1"), ("bill", "bill-1"), ("receipt", "rec-1")):
        view = record(desktop, record_type, app_id)
        assert view["status"] == "synced", (record_type, view["problem"])
    assert len(exported(desktop)["Invoice"]) == 1


def _reactivated(desktop: Desktop, connector: Any, found: dict[str, Any]) -> None:
    answer = act(desktop, "invoice", "inv-1", "reactivate")
    assert answer["result"]["summary"] == WAITING
    assert klass(desktop, "Residential")["IsActive"] == "false"  # nothing done until it calls
    sessions(connector)
    again = klass(desktop, "Residential")
    assert again["IsActive"] == "true" and again["ListID"] == found["ListID"]
    view = record(desktop, "invoice", "inv-1")
    assert view["status"] == "synced", (view["problem"], view["history"][:4])
    (sent,) = exported(desktop)["Invoice"]
    assert sent["ClassRef"]["ListID"] == found["ListID"] and sent["RefNumber"] == "7102"
    assert sent["TxnID"] == view["quickbooks_id"]
    results = [h["detail"]["result"] for h in view["history"] if h["kind"] == "action:reactivate"]
    assert results[0].startswith("QuickBooks class Residential is active again"), results


def test_a_class_seen_inactive_is_explained_then_reactivated(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    found = deactivate(desktop, "Residential")
    desktop.clock.advance(minutes=16)  # the next scheduled session reads the Class List
    invoice(desktop, "inv-1", "c", "7102", **{"class": "Residential"})
    sessions(connector)
    shown = problem(desktop, "invoice", "inv-1")
    assert shown["code"] == "class.inactive_in_quickbooks"
    assert shown["title"] == "Class is inactive in QuickBooks Desktop"
    assert 'The class "Residential"' in shown["meaning"]
    assert shown["params"]["quickbooks_id"] == found["ListID"]
    assert "reactivate" in shown["actions"]
    assert any("Class List" in step for step in shown["fix"])
    assert not exported(desktop).get("Invoice")
    _reactivated(desktop, connector, found)


def test_a_class_quickbooks_refuses_as_inactive_is_reactivated(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    found = deactivate(desktop, "Residential")  # after ledgerbridge's last read of the list
    invoice(desktop, "inv-1", "c", "7102", **{"class": "Residential"})
    sessions(connector)
    shown = problem(desktop, "invoice", "inv-1")
    assert shown["code"] == "class.inactive_in_quickbooks"  # QuickBooks' own 3140
    # QuickBooks quotes the ClassRef as sent, its ListID; the class is named from the mirror
    assert 'The class "Residential"' in shown["meaning"], shown["meaning"]
    assert found["ListID"] not in shown["meaning"]
    assert shown["params"]["quickbooks_id"] == found["ListID"]
    said = str(record(desktop, "invoice", "inv-1")["history"])
    assert "The list element is inactive" in said, said[:2000]
    assert f'Class "{found["ListID"]}"' in said, said[:2000]  # QuickBooks' own words kept
    assert not exported(desktop).get("Invoice")
    _reactivated(desktop, connector, found)


def test_reactivate_of_a_class_deleted_in_quickbooks_is_refused_saying_why(
    desktop: Desktop,
) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    person(desktop, "<ClassAddRq><ClassAdd><Name>Warranty</Name></ClassAdd></ClassAddRq>")
    desktop.clock.advance(minutes=16)
    sessions(connector)
    warranty = deactivate(desktop, "Warranty")
    desktop.clock.advance(minutes=16)
    invoice(desktop, "inv-1", "c", "7103", **{"class": "Warranty"})
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "class.inactive_in_quickbooks"
    person(  # then deleted outright, before the fix reaches QuickBooks
        desktop,
        f"<ListDelRq><ListDelType>Class</ListDelType><ListID>{warranty['ListID']}</ListID>"
        "</ListDelRq>",
    )
    act(desktop, "invoice", "inv-1", "reactivate")
    sessions(connector)
    view = record(desktop, "invoice", "inv-1")
    assert view["status"] == "error" and view["waiting"] is None
    results = [str((h["detail"] or {}).get("result")) for h in view["history"]]
    refused = [r for r in results if r.startswith("refused")]
    assert refused and "it was deleted there" in refused[0], results
    assert not [c for c in exported(desktop).get("Class", []) if c["Name"] == "Warranty"]
    assert not exported(desktop).get("Invoice")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("Resi\x00dential", "NUL"),
        ("Resi\ud800dential", "lone surrogate"),
        ("x" * 1_000_001, "1 MB"),
    ],
    ids=["nul", "lone-surrogate", "over-1mb"],
)
def test_a_class_that_is_not_text_is_refused_naming_the_field(
    desktop: Desktop, value: str, why: str
) -> None:
    path = f"/v1/connections/{desktop.connection['id']}/records/invoice/inv-bad"
    body = {
        "customer_id": "c",
        "number": "7199",
        "date": "2026-11-20",
        "lines": [{"item_id": "svc", "quantity": "1", "unit_price": "95.00", "class": value}],
    }

    def sent(data: dict[str, Any]) -> Any:  # JSON escapes, as an app's encoder writes them
        return desktop.http.put(
            path, content=json.dumps(data), headers={"Content-Type": "application/json"}
        )

    answer = sent(body)
    assert answer.status_code == 422, answer.text
    assert "lines[0].class" in answer.text and why in answer.text, answer.text[:400]
    line = {"item_id": "svc", "quantity": "1", "unit_price": "95.00"}
    answer = sent({**body, "lines": [line], "class": value})
    assert answer.status_code == 422 and '"class"' in answer.text, answer.text[:400]
    assert desktop.http.get(path).status_code == 404  # nothing stored
    assert not exported(desktop).get("Invoice")


def test_a_class_name_longer_than_desktop_takes_is_too_long_naming_the_field(
    desktop: Desktop,
) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    long = "Commercial:" + "R" * 160  # a full name Desktop never holds (159 at most)
    put(
        desktop,
        "invoice",
        "inv-1",
        customer_id="c",
        number="7104",
        date="2026-11-20",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00", "class": long}],
    )
    fits = "Commercial:" + "R" * 148  # 159: as long as a Desktop class's full name can be
    put(
        desktop,
        "invoice",
        "inv-2",
        customer_id="c",
        number="7105",
        date="2026-11-20",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": "95.00", "class": fits}],
    )
    sessions(connector)
    shown = problem(desktop, "invoice", "inv-1")
    assert shown["code"] == "record.field_too_long", shown  # found before sending
    assert shown["field"] == "lines[0].class"
    assert shown["params"]["limit"] == 159 and shown["params"]["length"] == 171
    assert "159" in shown["meaning"], shown["meaning"]
    actions = record(desktop, "invoice", "inv-1")["actions"]
    assert "reactivate" not in actions and "shorten" in actions
    # a full name Desktop could hold but the company file does not: no class of that name
    other = problem(desktop, "invoice", "inv-2")
    assert other["code"] == "class.inactive_in_quickbooks" and other["field"] == "lines[0].class"
    assert other["params"].get("in_quickbooks") is False  # nothing there to reactivate
    assert not exported(desktop).get("Invoice")
    assert {c["FullName"] for c in exported(desktop)["Class"]} == {
        "Residential",
        "Commercial",
        "Commercial:Retail",
    }


def test_a_class_mapped_to_a_desktop_class_is_sent_as_that_class(desktop: Desktop) -> None:
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    retail = klass(desktop, "Commercial:Retail")
    mapped = desktop.http.put(
        f"/v1/connections/{desktop.connection['id']}/mappings",
        json={"classes": {"Warranty": retail["ListID"]}},
    )
    assert mapped.status_code == 200, mapped.text
    invoice(desktop, "inv-1", "c", "7105", **{"class": "Warranty"})
    sessions(connector)
    view = record(desktop, "invoice", "inv-1")
    assert view["status"] == "synced", view["problem"]
    (sent,) = exported(desktop)["Invoice"]
    assert sent["ClassRef"] == {"ListID": retail["ListID"], "FullName": "Commercial:Retail"}
    assert "Warranty" not in {c["Name"] for c in exported(desktop)["Class"]}  # none made


def test_reactivate_of_a_sub_class_makes_its_inactive_parent_active_first(
    desktop: Desktop,
) -> None:
    """Commercial made inactive at the PC (its sub-class Retail with it): Reactivate on a
    record using Commercial:Retail makes Commercial active, then Retail, in the same session;
    the company file's export has both active and the invoice in it once."""
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    parent = deactivate(desktop, "Commercial")
    retail = klass(desktop, "Commercial:Retail")
    assert retail["IsActive"] == "false"  # made inactive with its parent
    desktop.clock.advance(minutes=16)  # the next scheduled session reads the Class List
    invoice(desktop, "inv-1", "c", "7106", **{"class": "Commercial:Retail"})
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "class.inactive_in_quickbooks"
    answer = act(desktop, "invoice", "inv-1", "reactivate")
    assert answer["result"]["summary"] == WAITING
    logs = [connector.run_session()]  # the session carrying the Reactivate
    assert logs[0].outcome == "done", logs[0].notes
    sessions(connector)
    assert klass(desktop, "Commercial")["IsActive"] == "true"
    assert klass(desktop, "Commercial")["ListID"] == parent["ListID"]
    assert klass(desktop, "Commercial:Retail")["IsActive"] == "true"
    view = record(desktop, "invoice", "inv-1")
    assert view["status"] == "synced", (view["problem"], view["history"][:4])
    (sent,) = exported(desktop)["Invoice"]
    assert sent["ClassRef"]["ListID"] == retail["ListID"]
    mods = [
        str(c.answer)
        for c in logs[0].calls
        if c.method == "sendRequestXML" and "<ClassModRq" in str(c.answer)
    ]
    assert len(mods) == 2, mods  # in the same session: the parent first, then the sub-class
    assert parent["ListID"] in mods[0] and retail["ListID"] in mods[1], mods


def test_reactivate_of_a_class_is_refused_in_plain_words_below_qbxml_8(desktop: Desktop) -> None:
    """ClassMod is qbXML 8.0+: when the Web Connector reports an older QuickBooks, Reactivate
    of a class is refused at once saying what to do at the PC; nothing is kept or sent."""
    connector = ready(desktop)
    put(desktop, "customer", "c", display_name="Eve Park")
    sessions(connector)
    deactivate(desktop, "Residential")
    invoice(desktop, "inv-1", "c", "7107", **{"class": "Residential"})
    sessions(connector)
    assert problem(desktop, "invoice", "inv-1")["code"] == "class.inactive_in_quickbooks"
    desktop.company.qbxml_version = "7.0"  # the PC's QuickBooks, as its Web Connector reports
    desktop.clock.advance(minutes=16)
    refused = connector.run_session()  # too old for any work (connection.quickbooks_too_old)
    assert "receiveResponseXML" not in [call.method for call in refused.calls]
    assert desktop.status()["qbxml_version"] == "7.0"
    answer = desktop.http.post(
        f"/v1/connections/{desktop.connection['id']}/records/invoice/inv-1/actions/reactivate"
    )
    assert answer.status_code == 409, answer.text
    said = answer.json()["error"]["message"]
    assert "qbXML 7.0" in said and "8.0" in said and "Class List" in said, said
    desktop.clock.advance(minutes=3)
    connector.run_session()
    assert klass(desktop, "Residential")["IsActive"] == "false"  # nothing sent
    assert record(desktop, "invoice", "inv-1")["status"] == "error"
