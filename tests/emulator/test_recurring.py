"""RecurringTransaction through python-quickbooks over real HTTP: templates of invoices, bills and
transfers with their schedules, read, queried, updated and deleted in the wrapped shape
QuickBooks uses, each template checked by its own entity's rules."""

from __future__ import annotations

from typing import Any

from quickbooks.objects.recurringtransaction import (
    RecurringInfo,
    RecurringInvoice,
    RecurringTransaction,
    ScheduleInfo,
)

from tests.emulator.conftest import Connection
from tests.emulator.qbo_helpers import (
    account,
    assert_fault,
    new_customer,
    new_service_item,
    new_vendor,
    ok,
    qb_error,
    sales_line,
)


def monthly(name: str, start: str = "2099-01-15") -> RecurringInfo:
    info = RecurringInfo()
    info.Name = name
    info.RecurType = "Automated"
    info.Active = True
    info.ScheduleInfo = ScheduleInfo()
    info.ScheduleInfo.IntervalType = "Monthly"
    info.ScheduleInfo.NumInterval = 1
    info.ScheduleInfo.StartDate = start
    return info


def recurring_invoice(
    conn: Connection, name: str = "Monthly retainer", client: str = "Client"
) -> RecurringTransaction:
    template = RecurringInvoice()
    template.CustomerRef = new_customer(conn.qb, client).to_ref()
    template.Line = [sales_line(500, new_service_item(conn.qb, f"Retainer for {client}"))]
    template.RecurringInfo = monthly(name)
    wrapper = RecurringTransaction()
    wrapper.Invoice = template
    saved: RecurringTransaction = wrapper.save(qb=conn.qb)
    return saved


def test_recurring_invoice_round_trip(conn: Connection) -> None:
    saved = recurring_invoice(conn)
    invoice = saved.Invoice
    assert invoice.Id and invoice.SyncToken == "0"
    assert invoice.TotalAmt == 500  # the template is computed like an invoice
    assert invoice.DocNumber is None  # numbered when an invoice is made from it
    schedule = invoice.RecurringInfo.ScheduleInfo
    assert (schedule.NextDate, schedule.NumInterval) == ("2099-01-15", 1)

    fetched = RecurringTransaction.get(invoice.Id, qb=conn.qb)
    assert fetched.Invoice.RecurringInfo.Name == "Monthly retainer"
    (listed,) = RecurringTransaction.all(qb=conn.qb)
    assert listed.Invoice.Id == invoice.Id

    fetched.Invoice.RecurringInfo.Active = False
    updated = fetched.save(qb=conn.qb)
    assert (updated.Invoice.SyncToken, updated.Invoice.RecurringInfo.Active) == ("1", False)
    updated.delete(qb=conn.qb)
    assert RecurringTransaction.all(qb=conn.qb) == []


def test_other_templates_and_the_schedule(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Phone company")
    bill: dict[str, Any] = {
        "Bill": {
            "VendorRef": {"value": vendor.Id},
            "Line": [
                {
                    "Amount": 74.36,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": account(conn.qb, "Shop Supplies").Id}
                    },
                }
            ],
            "RecurringInfo": {
                "Name": "Telephone Bill",
                "RecurType": "Automated",
                "ScheduleInfo": {
                    "IntervalType": "Weekly",
                    "NumInterval": 2,
                    "StartDate": "2020-01-06",
                    "EndDate": "2020-02-01",
                },
            },
        }
    }
    answer = ok(conn.post("recurringtransaction", bill), "RecurringTransaction")["Bill"]
    assert answer["TotalAmt"] == 74.36
    schedule = answer["RecurringInfo"]["ScheduleInfo"]
    assert "NextDate" not in schedule  # the schedule ended
    assert schedule["PreviousDate"] == "2020-01-20"

    transfer = {
        "Transfer": {
            "Amount": 100,
            "FromAccountRef": {"value": account(conn.qb, "Checking").Id},
            "ToAccountRef": {"value": account(conn.qb, "Savings").Id},
            "RecurringInfo": {"Name": "Savings", "RecurType": "UnScheduled"},
        }
    }
    ok(conn.post("recurringtransaction", transfer), "RecurringTransaction")


def test_query_by_type(conn: Connection) -> None:
    """`Type` filters by the template's entity (python-quickbooks' integration test
    `test_filter_by_type`); it is in no answer. A batch query answers the wrapped shape too."""
    invoice_id = recurring_invoice(conn).Invoice.Id
    transfer = {
        "Transfer": {
            "Amount": 100,
            "FromAccountRef": {"value": account(conn.qb, "Checking").Id},
            "ToAccountRef": {"value": account(conn.qb, "Savings").Id},
            "RecurringInfo": {"Name": "Savings", "RecurType": "UnScheduled"},
        }
    }
    transfer_id = ok(conn.post("recurringtransaction", transfer), "RecurringTransaction")[
        "Transfer"
    ]["Id"]
    invoices = RecurringTransaction.where("Type = 'Invoice'", qb=conn.qb)
    assert [r.Invoice.Id for r in invoices] == [invoice_id]
    assert not hasattr(invoices[0], "Transfer")
    others = RecurringTransaction.where("Type != 'Invoice'", qb=conn.qb)
    assert [r.Transfer.Id for r in others] == [transfer_id]
    assert RecurringTransaction.where("Type = 'Bill'", qb=conn.qb) == []
    both = RecurringTransaction.where(f"Id = '{transfer_id}' AND Type = 'Transfer'", qb=conn.qb)
    assert [r.Transfer.Id for r in both] == [transfer_id]
    raw = conn.query("select * from RecurringTransaction where Type = 'Transfer'").json()
    (row,) = raw["QueryResponse"]["RecurringTransaction"]
    assert list(row) == ["Transfer"] and "Type" not in row["Transfer"]
    batch = conn.post(
        "batch",
        {"BatchItemRequest": [{"bId": "1", "Query": "select * from RecurringTransaction"}]},
    ).json()["BatchItemResponse"][0]["QueryResponse"]["RecurringTransaction"]
    assert sorted(next(iter(r)) for r in batch) == ["Invoice", "Transfer"]
    assert all("Id" in next(iter(r.values())) for r in batch)


def test_recurring_rules(conn: Connection) -> None:
    recurring_invoice(conn, "Taken")
    with qb_error(6000, "already called"):
        recurring_invoice(conn, "taken", "Second client")
    no_info = {"Invoice": {"CustomerRef": {"value": "1"}, "Line": []}}
    assert_fault(conn.post("recurringtransaction", no_info), "2020")
    bad_template = {
        "Transfer": {"Amount": 5, "RecurringInfo": {"Name": "X", "RecurType": "UnScheduled"}}
    }
    assert_fault(conn.post("recurringtransaction", bad_template), "2020")  # FromAccountRef
    no_schedule = {"Transfer": {"RecurringInfo": {"Name": "Y", "RecurType": "Automated"}}}
    assert_fault(conn.post("recurringtransaction", no_schedule), "2020")
    journal = {"JournalEntry": {"RecurringInfo": {"Name": "Z"}}}
    assert_fault(conn.post("recurringtransaction", journal), "500")  # not emulated
    assert_fault(
        conn.get("cdc", entities="RecurringTransaction", changedSince="2099-01-01T00:00:00-08:00"),
        "500",
    )
