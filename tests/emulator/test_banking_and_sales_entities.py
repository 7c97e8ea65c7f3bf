"""Estimate, RefundReceipt, Deposit, Transfer, CreditCardPayment and TimeActivity through
python-quickbooks over real HTTP: create, read, update, delete or void as QuickBooks allows,
their documented rules, query, CDC, batch and webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from quickbooks.batch import batch_create
from quickbooks.objects.base import LinkedTxn
from quickbooks.objects.creditcardpayment_entity import CreditCardPayment
from quickbooks.objects.deposit import CashBackInfo, Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import DiscountLine, DiscountLineDetail
from quickbooks.objects.employee import Employee
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.timeactivity import TimeActivity
from quickbooks.objects.transfer import Transfer

from tests.emulator.conftest import Admin, Connection
from tests.emulator.qbo_helpers import (
    DEPOSITED_DETAIL,
    TXN_DATE,
    account,
    new_customer,
    new_inventory_item,
    new_invoice,
    new_payment,
    new_service_item,
    ok,
    qb_error,
    sales_line,
)
from tests.emulator.test_webhooks_e2e import Receiver, flush, legacy_entities, ops

# --- Estimate -------------------------------------------------------------------------------


def new_estimate(conn: Connection, amount: float = 120) -> Estimate:
    customer = new_customer(conn.qb, "Prospect")
    estimate = Estimate()
    estimate.CustomerRef = customer.to_ref()
    estimate.TxnDate = TXN_DATE
    estimate.ExpirationDate = "2025-04-10"
    estimate.Line = [sales_line(amount, new_service_item(conn.qb, "Quote work"))]
    saved: Estimate = estimate.save(qb=conn.qb)
    return saved


def test_estimate_create_read_update_delete(conn: Connection) -> None:
    estimate = new_estimate(conn)
    assert estimate.TotalAmt == 120
    assert estimate.TxnStatus == "Pending"
    assert estimate.DocNumber == "1001"  # numbered like the other sales forms
    assert estimate.ExpirationDate == "2025-04-10"
    raw = ok(conn.get(f"estimate/{estimate.Id}"), "Estimate")
    assert "Balance" not in raw  # an estimate is no sale: no balance

    estimate.TxnStatus = "Accepted"
    estimate.AcceptedBy = "Pat Buyer"
    saved = estimate.save(qb=conn.qb)
    assert (saved.TxnStatus, saved.SyncToken) == ("Accepted", "1")
    assert [e.Id for e in Estimate.filter(TxnStatus="Accepted", qb=conn.qb)] == [estimate.Id]

    with qb_error(500):  # QuickBooks has no void for estimates
        conn.qb.post(
            conn.url("estimate"),
            f'{{"Id": "{estimate.Id}", "SyncToken": "1"}}',
            params={"operation": "void"},
        )
    saved.delete(qb=conn.qb)
    assert Estimate.filter(Id=estimate.Id, qb=conn.qb) == []


def test_estimate_discount_follows_the_subtotal(conn: Connection, admin: Admin) -> None:
    """A percent discount: answered as [item, subtotal, discount], the discount taken from the
    subtotal (python-quickbooks' estimate integration test reads the discount as Line[2])."""
    customer = new_customer(conn.qb, "Prospect")
    estimate = Estimate()
    estimate.CustomerRef = customer.to_ref()
    estimate.TxnDate = TXN_DATE
    discount = DiscountLine()
    discount.Amount = 3.5
    discount.DiscountLineDetail = DiscountLineDetail()
    discount.DiscountLineDetail.PercentBased = True
    discount.DiscountLineDetail.DiscountPercent = 10
    discount.DiscountLineDetail.DiscountAccountRef = account(conn.qb, "Services").to_ref()
    estimate.Line = [sales_line(35, new_service_item(conn.qb, "Pest control")), discount]
    saved = estimate.save(qb=conn.qb)
    read = Estimate.get(saved.Id, qb=conn.qb)
    assert [(line.DetailType, line.Amount) for line in read.Line] == [
        ("SalesItemLineDetail", 35),
        ("SubTotalLineDetail", 35),
        ("DiscountLineDetail", 3.5),
    ]
    assert read.TotalAmt == 31.5
    stored = admin.export(conn.realm_id)["entities"]["Estimate"]
    assert [line["DetailType"] for line in stored[0]["Line"]] == [
        "SalesItemLineDetail",
        "SubTotalLineDetail",
        "DiscountLineDetail",
    ]


def test_estimate_rules(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Prospect")
    bad = {
        "CustomerRef": {"value": customer.Id},
        "Line": [{"Amount": 5, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}],
        "TxnStatus": "Maybe",
    }
    response = conn.post("estimate", bad)
    assert response.json()["Fault"]["Error"][0]["code"] == "2170"  # invalid enumeration
    response = conn.post("estimate", {"Line": bad["Line"]})
    assert response.json()["Fault"]["Error"][0]["code"] == "2020"  # CustomerRef required


# --- RefundReceipt -----------------------------------------------------------------------------


def test_refund_receipt_returns_stock_and_can_be_voided(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Returner")
    widget = new_inventory_item(conn.qb, "Widget", qty=10)
    refund = RefundReceipt()
    refund.CustomerRef = customer.to_ref()
    refund.TxnDate = TXN_DATE
    refund.DepositToAccountRef = account(conn.qb, "Checking").to_ref()
    refund.Line = [sales_line(50, widget, qty=2, price=25)]
    saved = refund.save(qb=conn.qb)
    assert (saved.TotalAmt, saved.Balance, saved.DocNumber) == (50, 0, "1001")
    assert Item.get(widget.Id, qb=conn.qb).QtyOnHand == 12  # returned goods go back on the shelf

    # python-quickbooks has no void for refund receipts: sent the way other clients send it
    ok(
        conn.post("refundreceipt", {"Id": saved.Id, "SyncToken": "0"}, operation="void"),
        "RefundReceipt",
    )
    voided = RefundReceipt.get(saved.Id, qb=conn.qb)
    assert (voided.TotalAmt, voided.PrivateNote) == (0, "Voided")
    assert Item.get(widget.Id, qb=conn.qb).QtyOnHand == 10


def test_refund_receipt_needs_a_bank_account(conn: Connection) -> None:
    refund = RefundReceipt()
    refund.Line = [sales_line(10)]
    with qb_error(2020):
        refund.save(qb=conn.qb)
    refund.DepositToAccountRef = account(conn.qb, "Services").to_ref()
    with qb_error(6000, "Bank or Other Current Asset"):
        refund.save(qb=conn.qb)
    refund.DepositToAccountRef = account(conn.qb, "Checking").to_ref()
    assert refund.save(qb=conn.qb).TotalAmt == 10  # no customer is needed


# --- Deposit ----------------------------------------------------------------------------------


def _payment_line(payment: Payment) -> DepositLine:
    line = DepositLine()
    line.Amount = payment.TotalAmt
    link = LinkedTxn()
    link.TxnId = payment.Id
    link.TxnType = "Payment"
    line.LinkedTxn = [link]
    return line


def test_deposit_holds_payments_until_deleted(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 100, [(invoice, 100)])
    other = DepositLine()
    other.Amount = 25
    other.DetailType = "DepositLineDetail"
    other.DepositLineDetail = DepositLineDetail()
    other.DepositLineDetail.AccountRef = account(conn.qb, "Services").to_ref()
    deposit = Deposit()
    deposit.TxnDate = TXN_DATE
    deposit.DepositToAccountRef = account(conn.qb, "Checking").to_ref()
    deposit.Line = [_payment_line(payment), other]
    deposit.CashBack = CashBackInfo()
    deposit.CashBack.Amount = 5
    deposit.CashBack.AccountRef = account(conn.qb, "Petty Cash").to_ref()
    saved = deposit.save(qb=conn.qb)
    assert saved.TotalAmt == 120  # 100 + 25 - 5 cash back

    fetched = Payment.get(payment.Id, qb=conn.qb)
    fetched.PrivateNote = "changed"
    with qb_error(6540, DEPOSITED_DETAIL):
        fetched.save(qb=conn.qb)
    again = Deposit()
    again.DepositToAccountRef = account(conn.qb, "Checking").to_ref()
    again.Line = [_payment_line(payment)]
    with qb_error(6540):
        again.save(qb=conn.qb)

    saved.delete(qb=conn.qb)
    fetched.save(qb=conn.qb)  # free again


def test_deposit_rules(conn: Connection) -> None:
    deposit = Deposit()
    deposit.Line = [DepositLine()]
    with qb_error(2020):
        deposit.save(qb=conn.qb)  # no DepositToAccountRef
    deposit.DepositToAccountRef = account(conn.qb, "Services").to_ref()
    with qb_error(6000, "Bank or Other Current Asset"):
        deposit.save(qb=conn.qb)
    deposit.DepositToAccountRef = account(conn.qb, "Checking").to_ref()
    with qb_error(2020):
        deposit.save(qb=conn.qb)  # a line without an account or a linked payment


# --- Transfer and CreditCardPayment ---------------------------------------------------------


def test_transfer_between_asset_accounts_and_void(conn: Connection) -> None:
    transfer = Transfer()
    transfer.Amount = 300
    transfer.TxnDate = TXN_DATE
    transfer.FromAccountRef = account(conn.qb, "Checking").to_ref()
    transfer.ToAccountRef = account(conn.qb, "Savings").to_ref()
    saved = transfer.save(qb=conn.qb)
    assert (saved.Amount, saved.FromAccountRef.name, saved.ToAccountRef.name) == (
        300,
        "Checking",
        "Savings",
    )
    saved.PrivateNote = "reserve"
    saved = saved.save(qb=conn.qb)
    assert saved.SyncToken == "1"
    voided = ok(
        conn.post("transfer", {"Id": saved.Id, "SyncToken": "1"}, operation="void"), "Transfer"
    )
    assert (voided["Amount"], voided["PrivateNote"]) == (0, "Voided - reserve")
    assert "Line" not in voided


def test_transfer_rules(conn: Connection) -> None:
    transfer = Transfer()
    transfer.Amount = 10
    transfer.FromAccountRef = account(conn.qb, "Checking").to_ref()
    with qb_error(2020):
        transfer.save(qb=conn.qb)
    transfer.ToAccountRef = account(conn.qb, "Checking").to_ref()
    with qb_error(6000, "two different accounts"):
        transfer.save(qb=conn.qb)
    transfer.ToAccountRef = account(conn.qb, "Services").to_ref()  # income: not balance sheet
    with qb_error(6000, "balance sheet account"):
        transfer.save(qb=conn.qb)
    transfer.ToAccountRef = account(conn.qb, "Accounts Receivable (A/R)").to_ref()
    with qb_error(6000, "is a Accounts Receivable account"):
        transfer.save(qb=conn.qb)
    transfer.ToAccountRef = account(conn.qb, "Savings").to_ref()
    transfer.Amount = 0
    with qb_error(2290):
        transfer.save(qb=conn.qb)


def test_transfer_between_balance_sheet_accounts(conn: Connection, admin: Admin) -> None:
    """A cash advance: from a credit card account (a liability) to a bank account, as
    QuickBooks' help allows ("most balance sheet accounts ... except A/P and A/R") and
    python-quickbooks' own integration test does."""
    transfer = Transfer()
    transfer.Amount = 100
    transfer.TxnDate = TXN_DATE
    transfer.FromAccountRef = account(conn.qb, "Mastercard").to_ref()
    transfer.ToAccountRef = account(conn.qb, "Checking").to_ref()
    saved = transfer.save(qb=conn.qb)
    assert (saved.FromAccountRef.name, saved.ToAccountRef.name) == ("Mastercard", "Checking")
    exported = admin.export(conn.realm_id)["entities"]["Transfer"]
    assert [(t["FromAccountRef"]["value"], t["Amount"]) for t in exported] == [
        (saved.FromAccountRef.value, 100)
    ]


def test_credit_card_payment(conn: Connection) -> None:
    payment = CreditCardPayment()
    payment.Amount = 420
    payment.TxnDate = TXN_DATE
    payment.CreditCardAccountRef = account(conn.qb, "Mastercard").to_ref()
    payment.BankAccountRef = account(conn.qb, "Checking").to_ref()
    saved = payment.save(qb=conn.qb)  # answered as "CreditCardPaymentTxn"
    assert (saved.Amount, saved.CreditCardAccountRef.name) == (420, "Mastercard")
    assert [p.Id for p in CreditCardPayment.all(qb=conn.qb)] == [saved.Id]
    assert CreditCardPayment.get(saved.Id, qb=conn.qb).BankAccountRef.name == "Checking"

    swapped = CreditCardPayment()
    swapped.Amount = 1
    swapped.CreditCardAccountRef = account(conn.qb, "Checking").to_ref()
    swapped.BankAccountRef = account(conn.qb, "Mastercard").to_ref()
    with qb_error(6000, "Credit Card account"):
        swapped.save(qb=conn.qb)
    saved.delete(qb=conn.qb)
    assert CreditCardPayment.all(qb=conn.qb) == []


# --- TimeActivity -------------------------------------------------------------------------------


def _employee(conn: Connection) -> Employee:
    employee = Employee()
    employee.GivenName = "Sam"
    employee.FamilyName = "Welder"
    saved: Employee = employee.save(qb=conn.qb)
    return saved


def test_time_activity_hours_or_start_and_end(conn: Connection) -> None:
    employee = _employee(conn)
    customer = new_customer(conn.qb, "Client")
    activity = TimeActivity()
    activity.NameOf = "Employee"
    activity.EmployeeRef = employee.to_ref()
    activity.CustomerRef = customer.to_ref()
    activity.BillableStatus = "Billable"
    activity.HourlyRate = 80
    activity.Hours = 2
    activity.Minutes = 30
    activity.TxnDate = TXN_DATE
    saved = activity.save(qb=conn.qb)
    assert (saved.Hours, saved.Minutes, saved.BillableStatus) == (2, 30, "Billable")
    assert saved.EmployeeRef.name == "Sam Welder"

    timed = TimeActivity()
    timed.NameOf = "Employee"
    timed.EmployeeRef = employee.to_ref()
    timed.StartTime = "2025-03-10T08:00:00-08:00"
    timed.EndTime = "2025-03-10T12:00:00-08:00"
    timed.BreakMinutes = 15
    assert timed.save(qb=conn.qb).BillableStatus == "NotBillable"
    assert len(TimeActivity.filter(EmployeeRef=employee.Id, qb=conn.qb)) == 2
    saved.delete(qb=conn.qb)
    assert len(TimeActivity.all(qb=conn.qb)) == 1


def test_time_activity_rules(conn: Connection) -> None:
    employee = _employee(conn)
    activity = TimeActivity()
    activity.NameOf = ""
    with qb_error(2020):
        activity.save(qb=conn.qb)
    activity.NameOf = "Vendor"
    with qb_error(2020, "VendorRef"):
        activity.save(qb=conn.qb)
    activity.NameOf = "Employee"
    activity.EmployeeRef = employee.to_ref()
    with qb_error(2020):
        activity.save(qb=conn.qb)  # no time given
    activity.Hours = 1
    activity.BillableStatus = "Billable"
    with qb_error(6000, "customer"):
        activity.save(qb=conn.qb)
    activity.BillableStatus = "NotBillable"
    activity.StartTime = "2025-03-10T08:00:00-08:00"
    activity.EndTime = "2025-03-10T09:00:00-08:00"
    with qb_error(6000, "not both"):
        activity.save(qb=conn.qb)


# --- query, CDC, batch and webhooks ---------------------------------------------------------


def test_cdc_and_batch_know_the_new_entities(conn: Connection) -> None:
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
    estimate = new_estimate(conn)
    transfer = Transfer()
    transfer.Amount = 5
    transfer.FromAccountRef = account(conn.qb, "Checking").to_ref()
    transfer.ToAccountRef = account(conn.qb, "Savings").to_ref()
    card = CreditCardPayment()
    card.Amount = 7
    card.CreditCardAccountRef = account(conn.qb, "Mastercard").to_ref()
    card.BankAccountRef = account(conn.qb, "Checking").to_ref()
    result = batch_create([transfer, card], qb=conn.qb)
    assert not result.faults, [f.Error for f in result.faults]
    names = [type(obj).__name__ for obj in result.successes]
    assert names == ["Transfer", "CreditCardPayment"]

    cdc = conn.get("cdc", entities="Estimate,Transfer,CreditCardPayment", changedSince=since)
    groups = cdc.json()["CDCResponse"][0]["QueryResponse"]
    assert [next(iter(g)) for g in groups] == ["Estimate", "Transfer", "CreditCardPaymentTxn"]
    assert groups[0]["Estimate"][0]["Id"] == estimate.Id
    refused = conn.get("cdc", entities="TimeActivity", changedSince=since)
    assert refused.status_code == 400  # CDC does not support TimeActivity


def test_webhooks_for_the_new_entities(connect: Callable[..., Connection], admin: Admin) -> None:
    receiver = Receiver()
    try:
        conn = connect(app=admin.create_app(webhook_url=receiver.url), name="Hooks")
        estimate = new_estimate(conn)
        transfer = Transfer()
        transfer.Amount = 5
        transfer.FromAccountRef = account(conn.qb, "Checking").to_ref()
        transfer.ToAccountRef = account(conn.qb, "Savings").to_ref()
        transfer = transfer.save(qb=conn.qb)
        ok(
            conn.post("transfer", {"Id": transfer.Id, "SyncToken": "0"}, operation="void"),
            "Transfer",
        )
        estimate.delete(qb=conn.qb)
        flush(admin)
        entities = legacy_entities(receiver.delivered(), conn.realm_id)
        assert ops(entities, "Estimate", estimate.Id) == ["Create", "Delete"]
        assert ops(entities, "Transfer", transfer.Id) == ["Create", "Void"]
    finally:
        receiver.close()
