"""Payments and bill payments through python-quickbooks over real HTTP: applying money to
invoices and bills, the balances QuickBooks keeps, voiding, deposits and the amount rules."""

from __future__ import annotations

from quickbooks.objects.base import LinkedTxn
from quickbooks.objects.bill import Bill
from quickbooks.objects.billpayment import BillPayment, BillPaymentLine, CheckPayment
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment
from quickbooks.objects.vendor import Vendor

from tests.emulator.conftest import Admin, Connection
from tests.emulator.qbo_helpers import (
    DEPOSITED_DETAIL,
    account,
    assert_fault,
    new_bill,
    new_customer,
    new_invoice,
    new_payment,
    new_vendor,
    ok,
    qb_error,
)

# --- Payment --------------------------------------------------------------------------------


def test_partial_then_full_payment(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 100

    first = new_payment(conn.qb, customer, 40, [(invoice, 40)])
    assert (first.TotalAmt, first.UnappliedAmt) == (40, 0)
    assert first.DepositToAccountRef.name == "Undeposited Funds"
    assert first.ARAccountRef.name == "Accounts Receivable (A/R)"
    after_first = Invoice.get(invoice.Id, qb=conn.qb)
    assert after_first.Balance == 60
    assert after_first.TotalAmt == 100
    assert [(t.TxnId, t.TxnType) for t in after_first.LinkedTxn] == [(first.Id, "Payment")]
    assert after_first.SyncToken == "1"  # the payment changed the invoice
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 60

    second = new_payment(conn.qb, customer, 60, [(invoice, 60)])
    paid = Invoice.get(invoice.Id, qb=conn.qb)
    assert paid.Balance == 0
    assert {t.TxnId for t in paid.LinkedTxn} == {first.Id, second.Id}
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 0


def test_unapplied_amount_is_a_credit(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Overpayer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 150, [(invoice, 100)])
    assert payment.UnappliedAmt == 50
    assert Customer.get(customer.Id, qb=conn.qb).Balance == -50

    credit_only = new_payment(conn.qb, customer, 25)
    assert (credit_only.UnappliedAmt, credit_only.Line) == (25, [])
    assert Customer.get(customer.Id, qb=conn.qb).Balance == -75


def test_one_payment_across_invoices_and_its_update(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    first = new_invoice(conn.qb, customer, [30])
    second = new_invoice(conn.qb, customer, [70])
    payment = new_payment(conn.qb, customer, 100, [(first, 30), (second, 70)])
    assert [Invoice.get(i.Id, qb=conn.qb).Balance for i in (first, second)] == [0, 0]

    fetched = Payment.get(payment.Id, qb=conn.qb)
    fetched.Line = fetched.Line[:1]  # un-apply the second invoice
    updated = fetched.save(qb=conn.qb)
    assert (updated.UnappliedAmt, updated.SyncToken) == (70, "1")
    assert Invoice.get(second.Id, qb=conn.qb).Balance == 70
    assert Invoice.get(second.Id, qb=conn.qb).LinkedTxn == []


def test_payment_needs_an_amount(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    with qb_error(
        6000,
        "Business Validation Error: You must set a transaction amount.",
        message="A business validation error has occurred while processing your request",
    ):
        new_payment(conn.qb, customer, None)


def test_payment_cannot_apply_more_than_the_open_balance(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    new_payment(conn.qb, customer, 80, [(invoice, 80)])
    with qb_error(6000, "more than its open balance (20.00)"):
        new_payment(conn.qb, customer, 50, [(invoice, 50)])
    with qb_error(6000, "is more than the payment amount"):
        new_payment(conn.qb, customer, 10, [(invoice, 20)])
    assert Invoice.get(invoice.Id, qb=conn.qb).Balance == 20


def test_payment_only_pays_its_own_customers_invoices(conn: Connection) -> None:
    owner = new_customer(conn.qb, "Owner")
    other = new_customer(conn.qb, "Other")
    invoice = new_invoice(conn.qb, owner, [100])
    with qb_error(6000, "belongs to another customer"):
        new_payment(conn.qb, other, 10, [(invoice, 10)])


def test_payment_reference_number_length(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    assert new_payment(conn.qb, customer, 5, ref_num="1" * 21).PaymentRefNum == "1" * 21
    with qb_error(2050, "Min:0 Max:21 supported. Supplied length:22"):
        new_payment(conn.qb, customer, 5, ref_num="1" * 22)


def test_void_payment_restores_the_invoice(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 100, [(invoice, 100)])
    assert Invoice.get(invoice.Id, qb=conn.qb).Balance == 0

    payment.void(qb=conn.qb)  # operation=update&include=void, sparse {Id, SyncToken}
    voided = Payment.get(payment.Id, qb=conn.qb)
    assert (voided.TotalAmt, voided.Line, voided.PrivateNote) == (0, [], "Voided")
    assert voided.UnappliedAmt == 0
    restored = Invoice.get(invoice.Id, qb=conn.qb)
    assert (restored.Balance, restored.LinkedTxn) == (100, [])
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 100


def test_void_payment_with_a_raw_sparse_request(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 60, [(invoice, 60)])
    body = {"Id": payment.Id, "SyncToken": payment.SyncToken, "sparse": True}
    voided = ok(conn.post("payment", body, operation="update", include="void"), "Payment")
    assert (voided["TotalAmt"], voided["Line"], voided["PrivateNote"]) == (0, [], "Voided")
    assert Invoice.get(invoice.Id, qb=conn.qb).Balance == 100


def test_deleting_a_payment_reopens_the_invoice(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 100, [(invoice, 100)])
    payment.delete(qb=conn.qb)
    assert Invoice.get(invoice.Id, qb=conn.qb).Balance == 100
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 100


def test_invoice_with_payments_cannot_be_deleted(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    new_payment(conn.qb, customer, 10, [(invoice, 10)])
    with qb_error(6000, "has payments applied to it"):
        Invoice.get(invoice.Id, qb=conn.qb).delete(qb=conn.qb)


def test_voiding_a_paid_invoice_leaves_the_payment_as_credit(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 100, [(invoice, 100)])
    Invoice.get(invoice.Id, qb=conn.qb).void(qb=conn.qb)
    credit = Payment.get(payment.Id, qb=conn.qb)
    assert (credit.TotalAmt, credit.UnappliedAmt, credit.Line) == (100, 100, [])
    assert Customer.get(customer.Id, qb=conn.qb).Balance == -100


def test_deposited_payment_cannot_change(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Payer")
    invoice = new_invoice(conn.qb, customer, [100])
    payment = new_payment(conn.qb, customer, 100, [(invoice, 100)])
    response = admin.call(
        "POST", f"/companies/{conn.realm_id}/deposits", {"entity": "Payment", "ids": [payment.Id]}
    )
    assert response.status_code == 200, response.text

    fetched = Payment.get(payment.Id, qb=conn.qb)
    fetched.PrivateNote = "changed"
    message = "Deposited Transaction cannot be changed"
    with qb_error(6540, DEPOSITED_DETAIL, message=message):
        fetched.save(qb=conn.qb)
    with qb_error(6540, DEPOSITED_DETAIL):
        fetched.delete(qb=conn.qb)
    with qb_error(6540, DEPOSITED_DETAIL):
        fetched.void(qb=conn.qb)
    assert Payment.get(payment.Id, qb=conn.qb).SyncToken == "0"


# --- customer balances --------------------------------------------------------------------------


def test_parent_balance_includes_its_jobs(conn: Connection) -> None:
    parent = new_customer(conn.qb, "Builder")
    job = new_customer(conn.qb, "Remodel", parent=parent)
    sub_job = new_customer(conn.qb, "Kitchen", parent=job)
    new_invoice(conn.qb, parent, [10])
    new_invoice(conn.qb, job, [200])
    invoice = new_invoice(conn.qb, sub_job, [3000])

    top = Customer.get(parent.Id, qb=conn.qb)
    assert (top.Balance, top.BalanceWithJobs) == (10, 3210)
    middle = Customer.get(job.Id, qb=conn.qb)
    assert (middle.Balance, middle.BalanceWithJobs) == (200, 3200)

    new_payment(conn.qb, sub_job, 1000, [(invoice, 1000)])
    assert Customer.get(parent.Id, qb=conn.qb).BalanceWithJobs == 2210
    assert Customer.get(sub_job.Id, qb=conn.qb).Balance == 2000


def test_customer_with_open_balance_cannot_go_inactive(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Debtor")
    invoice = new_invoice(conn.qb, customer, [100])
    fetched = Customer.get(customer.Id, qb=conn.qb)
    fetched.Active = False
    with qb_error(
        6220,
        "This customer cannot be deleted because it has a non-zero balance",
        message="Delete List Has Balance Error",
    ):
        fetched.save(qb=conn.qb)

    new_payment(conn.qb, customer, 100, [(invoice, 100)])
    fetched = Customer.get(customer.Id, qb=conn.qb)
    fetched.Active = False
    assert fetched.save(qb=conn.qb).Active is False


def test_parent_with_a_job_balance_cannot_go_inactive(conn: Connection) -> None:
    parent = new_customer(conn.qb, "Builder")
    job = new_customer(conn.qb, "Remodel", parent=parent)
    new_invoice(conn.qb, job, [5])
    assert_fault(
        conn.post(
            "customer",
            {"Id": parent.Id, "SyncToken": "0", "sparse": True, "Active": False},
        ),
        "6220",
    )


# --- BillPayment ------------------------------------------------------------------------------


def _bill_payment(
    conn: Connection, vendor: Vendor, total: float, bills: list[tuple[Bill, float]]
) -> BillPayment:
    payment = BillPayment()
    payment.VendorRef = vendor.to_ref()
    payment.PayType = "Check"
    payment.TotalAmt = total
    payment.TxnDate = "2025-03-20"
    payment.CheckPayment = CheckPayment()
    payment.CheckPayment.BankAccountRef = account(conn.qb, "Checking").to_ref()
    for bill, amount in bills:
        line = BillPaymentLine()
        line.Amount = amount
        link = LinkedTxn()
        link.TxnId = bill.Id
        link.TxnType = "Bill"
        line.LinkedTxn = [link]
        payment.Line.append(line)
    saved: BillPayment = payment.save(qb=conn.qb)
    return saved


def test_bill_payment_reduces_the_bill_and_vendor_balances(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Supplier")
    bill = new_bill(conn.qb, vendor, 200)
    assert Vendor.get(vendor.Id, qb=conn.qb).Balance == 200

    payment = _bill_payment(conn, vendor, 80, [(bill, 80)])
    assert payment.TotalAmt == 80
    assert payment.CheckPayment.BankAccountRef.name == "Checking"
    partly = Bill.get(bill.Id, qb=conn.qb)
    assert partly.Balance == 120
    assert [(t.TxnId, t.TxnType) for t in partly.LinkedTxn] == [(payment.Id, "BillPayment")]
    assert Vendor.get(vendor.Id, qb=conn.qb).Balance == 120

    _bill_payment(conn, vendor, 120, [(bill, 120)])
    assert Bill.get(bill.Id, qb=conn.qb).Balance == 0
    assert Vendor.get(vendor.Id, qb=conn.qb).Balance == 0


def test_void_bill_payment(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Supplier")
    bill = new_bill(conn.qb, vendor, 200)
    payment = _bill_payment(conn, vendor, 200, [(bill, 200)])
    payment.void(qb=conn.qb)
    voided = BillPayment.get(payment.Id, qb=conn.qb)
    assert (voided.TotalAmt, voided.Line, voided.PrivateNote) == (0, [], "Voided")
    assert Bill.get(bill.Id, qb=conn.qb).Balance == 200
    assert Vendor.get(vendor.Id, qb=conn.qb).Balance == 200


def test_bill_payment_rules(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Supplier")
    bill = new_bill(conn.qb, vendor, 50)
    with qb_error(6000, "more than its open balance"):
        _bill_payment(conn, vendor, 60, [(bill, 60)])
    payment = BillPayment()
    payment.VendorRef = vendor.to_ref()
    payment.TotalAmt = 10
    with qb_error(2020, "Required parameter PayType is missing in the request"):
        payment.save(qb=conn.qb)
    paid = _bill_payment(conn, vendor, 50, [(bill, 50)])
    paid.delete(qb=conn.qb)
    assert Bill.get(bill.Id, qb=conn.qb).Balance == 50
