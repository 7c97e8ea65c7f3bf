"""Sales and purchase transactions through python-quickbooks over real HTTP: create, read, full and
sparse update, delete for good, void, the totals QuickBooks computes, inventory, and batch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from quickbooks.batch import batch_create, batch_delete
from quickbooks.exceptions import ObjectNotFoundException
from quickbooks.objects.base import Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
)
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.purchaseorder import PurchaseOrder
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.tax import TxnTaxDetail
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate

from tests.emulator.conftest import Connection
from tests.emulator.qbo_helpers import (
    DELETED_DETAIL,
    TXN_DATE,
    account,
    assert_fault,
    expense_line,
    new_customer,
    new_inventory_item,
    new_invoice,
    new_service_item,
    new_vendor,
    ok,
    qb_error,
    ref,
    sales_line,
)

CENT = Decimal("0.01")

# --- Invoice --------------------------------------------------------------------------------


def test_invoice_create_computes_totals_and_numbers(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    item = new_service_item(conn.qb, "Install")
    invoice = new_invoice(conn.qb, customer, [100, 50.25], item)
    assert invoice.TotalAmt == 150.25
    assert invoice.Balance == 150.25
    assert invoice.DocNumber == "1001"  # custom numbers are off: QuickBooks numbers it
    assert invoice.TxnDate == TXN_DATE
    assert invoice.DueDate == TXN_DATE
    kinds = [line.DetailType for line in invoice.Line]
    assert kinds == ["SalesItemLineDetail", "SalesItemLineDetail", "SubTotalLineDetail"]
    assert invoice.Line[-1].Amount == 150.25
    assert [line.Id for line in invoice.Line[:2]] == ["1", "2"]
    assert invoice.Line[0].SalesItemLineDetail.TaxCodeRef.value == "NON"

    second = new_invoice(conn.qb, customer, [1], item)
    assert second.DocNumber == "1002"
    assert Invoice.get(invoice.Id, qb=conn.qb).TotalAmt == 150.25
    assert [i.Id for i in Invoice.filter(DocNumber="1001", qb=conn.qb)] == [invoice.Id]


def test_invoice_line_with_quantity_and_price(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    item = new_service_item(conn.qb, "Hours")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [sales_line(None, item, qty=3, price=42.5)]  # Amount computed
    saved = invoice.save(qb=conn.qb)
    assert saved.Line[0].Amount == 127.5
    assert saved.TotalAmt == 127.5


def test_invoice_full_update_keeps_line_ids(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    item = new_service_item(conn.qb, "Install")
    invoice = new_invoice(conn.qb, customer, [100, 20], item)
    fetched = Invoice.get(invoice.Id, qb=conn.qb)
    fetched.Line[1].Amount = 30
    fetched.Line.append(sales_line(5, item))
    updated = fetched.save(qb=conn.qb)
    assert updated.SyncToken == "1"
    assert updated.TotalAmt == 135
    assert [line.Id for line in updated.Line[:3]] == ["1", "2", "3"]
    assert [line.Amount for line in updated.Line[:3]] == [100, 30, 5]


def test_invoice_sparse_update_changes_only_what_is_sent(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    invoice = new_invoice(conn.qb, customer, [70], note="first")
    sparse = ok(
        conn.post(
            "invoice",
            {"Id": invoice.Id, "SyncToken": "0", "sparse": True, "PrivateNote": "second"},
        ),
        "Invoice",
    )
    assert (sparse["PrivateNote"], sparse["TotalAmt"], sparse["SyncToken"]) == ("second", 70, "1")
    assert sparse["DocNumber"] == invoice.DocNumber
    assert sparse["Line"][0]["Amount"] == 70


def test_invoice_with_tax_code_adds_the_rates(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Taxed")
    item = new_service_item(conn.qb, "Parts")
    code = TaxCode.filter(Name="Roseville City", qb=conn.qb)[0]
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [sales_line(200, item, tax="TAX"), sales_line(50, item, tax="NON")]
    invoice.TxnTaxDetail = TxnTaxDetail()
    invoice.TxnTaxDetail.TxnTaxCodeRef = ref(code.Id)
    saved = invoice.save(qb=conn.qb)

    percents = [
        Decimal(str(TaxRate.get(d.TaxRateRef.value, qb=conn.qb).RateValue))
        for d in code.SalesTaxRateList.TaxRateDetail
    ]
    expected_tax = sum(((Decimal(200) * p / 100).quantize(CENT) for p in percents), Decimal(0))
    assert expected_tax == Decimal("15.50")  # 7.75% of the taxable 200 only
    assert Decimal(str(saved.TxnTaxDetail.TotalTax)) == expected_tax
    assert Decimal(str(saved.TotalAmt)) == Decimal(250) + expected_tax
    assert len(saved.TxnTaxDetail.TaxLine) == len(percents)
    assert saved.TxnTaxDetail.TxnTaxCodeRef.value == code.Id


def test_money_is_exact(conn: Connection) -> None:
    conn.qb.use_decimal = True
    customer = new_customer(conn.qb, "Exact")
    invoice = new_invoice(conn.qb, customer, [Decimal("0.1"), Decimal("0.2")])
    assert invoice.TotalAmt == Decimal("0.3")
    assert invoice.Balance == Decimal("0.3")
    raw = conn.get(f"invoice/{invoice.Id}").text
    assert '"TotalAmt":0.3,' in raw

    receipt = ok(
        conn.post(
            "salesreceipt",
            {
                "CustomerRef": {"value": customer.Id},
                "Line": [
                    {"Amount": 0.1, "DetailType": "SalesItemLineDetail"},
                    {"Amount": 0.7, "DetailType": "SalesItemLineDetail"},
                    {"Amount": 1.1, "DetailType": "SalesItemLineDetail"},
                ],
            },
        ),
        "SalesReceipt",
    )
    assert str(receipt["TotalAmt"]) == "1.9"


def test_deleted_invoice_is_gone_for_good(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    invoice = new_invoice(conn.qb, customer, [10])
    result = invoice.delete(qb=conn.qb)
    assert result["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": invoice.Id}

    with qb_error(610, DELETED_DETAIL, ObjectNotFoundException, message="Object Not Found"):
        Invoice.get(invoice.Id, qb=conn.qb)
    response = conn.get(f"invoice/{invoice.Id}")
    assert response.status_code == 400  # not 404
    assert response.json()["Fault"]["Error"][0]["Detail"] == DELETED_DETAIL
    assert Invoice.filter(Id=invoice.Id, qb=conn.qb) == []
    with qb_error(610, DELETED_DETAIL):
        invoice.delete(qb=conn.qb)
    assert_fault(
        conn.post("invoice", {"Id": invoice.Id, "SyncToken": "0", "sparse": True}),
        "610",
        detail=DELETED_DETAIL,
    )


def test_void_invoice_zeroes_amounts_and_stays_readable(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Voidee")
    item = new_service_item(conn.qb, "Install")
    invoice = new_invoice(conn.qb, customer, [80, 20], item, note="wrong job")
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 100

    invoice.void(qb=conn.qb)  # POST /invoice?operation=void
    voided = Invoice.get(invoice.Id, qb=conn.qb)
    assert (voided.TotalAmt, voided.Balance) == (0, 0)
    assert [line.Amount for line in voided.Line[:2]] == [0, 0]
    assert voided.PrivateNote.startswith("Voided")
    assert "wrong job" in voided.PrivateNote
    assert voided.SyncToken == "1"
    assert voided.DocNumber == invoice.DocNumber
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 0


# --- SalesReceipt and CreditMemo -----------------------------------------------------------------


def _receipt(conn: Connection, customer: Customer, amount: float) -> SalesReceipt:
    receipt = SalesReceipt()
    receipt.CustomerRef = customer.to_ref()
    receipt.TxnDate = TXN_DATE
    receipt.PaymentMethodRef = ref("1")
    receipt.PaymentRefNum = "CHK-100"
    receipt.Line = [sales_line(amount)]
    saved: SalesReceipt = receipt.save(qb=conn.qb)
    return saved


def test_sales_receipt_create_read_update(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Walk-in")
    receipt = _receipt(conn, customer, 45)
    assert (receipt.TotalAmt, receipt.Balance) == (45, 0)  # paid on the spot
    assert receipt.DepositToAccountRef.name == "Undeposited Funds"
    assert receipt.DocNumber == "1001"
    fetched = SalesReceipt.get(receipt.Id, qb=conn.qb)
    fetched.Line[0].Amount = 60
    updated = fetched.save(qb=conn.qb)
    assert (updated.TotalAmt, updated.SyncToken) == (60, "1")
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 0


def test_void_sales_receipt_with_operation_void(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Walk-in")
    receipt = _receipt(conn, customer, 45)
    voided = ok(
        conn.post("salesreceipt", {"Id": receipt.Id, "SyncToken": "0"}, operation="void"),
        "SalesReceipt",
    )
    assert voided["TotalAmt"] == 0
    assert voided["Line"][0]["Amount"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert SalesReceipt.get(receipt.Id, qb=conn.qb).TotalAmt == 0


def test_void_sales_receipt_through_the_library(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Walk-in")
    receipt = _receipt(conn, customer, 45)
    receipt.void(qb=conn.qb)  # python-quickbooks: operation=update&include=void, sparse body
    voided = SalesReceipt.get(receipt.Id, qb=conn.qb)
    assert voided.TotalAmt == 0
    assert voided.PrivateNote.startswith("Voided")


def test_sales_receipt_delete(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Walk-in")
    receipt = _receipt(conn, customer, 45)
    receipt.delete(qb=conn.qb)
    with qb_error(610, DELETED_DETAIL):
        SalesReceipt.get(receipt.Id, qb=conn.qb)


def test_credit_memo_lowers_the_customer_balance(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Refunded")
    new_invoice(conn.qb, customer, [100])
    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    memo.TxnDate = TXN_DATE
    memo.Line = [sales_line(30)]
    saved = memo.save(qb=conn.qb)
    assert (saved.TotalAmt, saved.Balance, saved.RemainingCredit) == (30, 30, 30)
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 70
    fetched = CreditMemo.get(saved.Id, qb=conn.qb)
    fetched.Line[0].Amount = 40
    assert fetched.save(qb=conn.qb).RemainingCredit == 40
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 60
    CreditMemo.get(saved.Id, qb=conn.qb).delete(qb=conn.qb)
    assert Customer.get(customer.Id, qb=conn.qb).Balance == 100


# --- Purchase, Bill, PurchaseOrder ---------------------------------------------------------------


def _purchase(conn: Connection, amount: float, vendor_ref: Ref | None = None) -> Purchase:
    purchase = Purchase()
    purchase.PaymentType = "Check"
    purchase.AccountRef = account(conn.qb, "Checking").to_ref()
    purchase.EntityRef = vendor_ref
    purchase.TxnDate = TXN_DATE
    purchase.Line = [expense_line(amount, account(conn.qb, "Fuel"))]
    saved: Purchase = purchase.save(qb=conn.qb)
    return saved


def test_purchase_create_read_update_delete(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Gas Station")
    purchase = _purchase(conn, 61.4, vendor.to_ref())
    assert purchase.TotalAmt == 61.4
    assert purchase.EntityRef.name == "Gas Station"
    assert purchase.AccountRef.name == "Checking"
    fetched = Purchase.get(purchase.Id, qb=conn.qb)
    fetched.Line.append(expense_line(10, account(conn.qb, "Meals")))
    updated = fetched.save(qb=conn.qb)
    assert (updated.TotalAmt, updated.SyncToken) == (71.4, "1")
    updated.delete(qb=conn.qb)
    with qb_error(610, DELETED_DETAIL):
        Purchase.get(purchase.Id, qb=conn.qb)


def test_credit_card_purchase_needs_a_card_account(conn: Connection) -> None:
    purchase = Purchase()
    purchase.PaymentType = "CreditCard"
    purchase.AccountRef = account(conn.qb, "Mastercard").to_ref()
    purchase.Line = [expense_line(12, account(conn.qb, "Meals"))]
    assert purchase.save(qb=conn.qb).TotalAmt == 12
    purchase = Purchase()
    purchase.PaymentType = "CreditCard"
    purchase.AccountRef = account(conn.qb, "Checking").to_ref()
    purchase.Line = [expense_line(12, account(conn.qb, "Meals"))]
    with qb_error(6000, "must be paid from a Credit Card account"):
        purchase.save(qb=conn.qb)


def test_bill_create_read_update_delete(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Lumber Yard")
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.TxnDate = "2025-01-10"
    bill.SalesTermRef = ref("4")  # Net 30 (base terms: Due on receipt, Net 10, Net 15, Net 30)
    bill.Line = [expense_line(300, account(conn.qb, "Job Materials"))]
    saved = bill.save(qb=conn.qb)
    assert (saved.TotalAmt, saved.Balance, saved.DueDate) == (300, 300, "2025-02-09")
    assert saved.APAccountRef.name == "Accounts Payable (A/P)"
    assert not saved.DocNumber  # vendor documents are not numbered by QuickBooks

    fetched = Bill.get(saved.Id, qb=conn.qb)
    fetched.Line[0].Amount = 320
    updated = fetched.save(qb=conn.qb)
    assert (updated.TotalAmt, updated.Balance) == (320, 320)
    updated.delete(qb=conn.qb)
    with qb_error(610, DELETED_DETAIL):
        Bill.get(saved.Id, qb=conn.qb)


def test_purchase_order_create_read_update_delete(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Tile Depot")
    item = new_service_item(conn.qb, "Tile")
    order = PurchaseOrder()
    order.VendorRef = vendor.to_ref()
    order.TxnDate = TXN_DATE
    line = ItemBasedExpenseLine()
    line.Amount = 90
    line.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    line.ItemBasedExpenseLineDetail.ItemRef = item.to_ref()
    line.ItemBasedExpenseLineDetail.Qty = 3
    line.ItemBasedExpenseLineDetail.UnitPrice = 30
    order.Line = [line]
    saved = order.save(qb=conn.qb)
    assert (saved.TotalAmt, saved.POStatus) == (90, "Open")
    assert saved.DocNumber == "1001"
    fetched = PurchaseOrder.get(saved.Id, qb=conn.qb)
    fetched.POStatus = "Closed"
    assert fetched.save(qb=conn.qb).POStatus == "Closed"
    PurchaseOrder.get(saved.Id, qb=conn.qb).delete(qb=conn.qb)
    with qb_error(610, DELETED_DETAIL):
        PurchaseOrder.get(saved.Id, qb=conn.qb)


# --- inventory --------------------------------------------------------------------------------


def test_inventory_follows_sales_and_deletes(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Plumber")
    item = new_inventory_item(conn.qb, "Faucet", qty=10)
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.TxnDate = TXN_DATE
    invoice.Line = [sales_line(75, item, qty=3, price=25)]
    saved = invoice.save(qb=conn.qb)
    assert Item.get(item.Id, qb=conn.qb).QtyOnHand == 7

    fetched = Invoice.get(saved.Id, qb=conn.qb)
    fetched.Line[0].SalesItemLineDetail.Qty = 4
    fetched.Line[0].Amount = 100
    fetched.save(qb=conn.qb)
    assert Item.get(item.Id, qb=conn.qb).QtyOnHand == 6

    Invoice.get(saved.Id, qb=conn.qb).delete(qb=conn.qb)
    assert Item.get(item.Id, qb=conn.qb).QtyOnHand == 10


def test_inventory_bought_on_a_bill(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Wholesale")
    item = new_inventory_item(conn.qb, "Sink", qty=2)
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.TxnDate = TXN_DATE
    line = ItemBasedExpenseLine()
    line.Amount = 50
    line.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    line.ItemBasedExpenseLineDetail.ItemRef = item.to_ref()
    line.ItemBasedExpenseLineDetail.Qty = 5
    line.ItemBasedExpenseLineDetail.UnitPrice = 10
    bill.Line = [line]
    bill.save(qb=conn.qb)
    assert Item.get(item.Id, qb=conn.qb).QtyOnHand == 7


# --- batch ------------------------------------------------------------------------------------


def test_batch_create_reports_each_item(conn: Connection) -> None:
    new_customer(conn.qb, "Taken")
    customers = []
    for name in ("Batch One", "Taken", "Batch Two"):
        customer = Customer()
        customer.DisplayName = name
        customers.append(customer)
    result = batch_create(customers, qb=conn.qb)
    assert sorted(c.DisplayName for c in result.successes) == ["Batch One", "Batch Two"]
    assert len(result.faults) == 1
    error = result.faults[0].Error[0]
    assert (error.code, error.Message) == ("6240", "Duplicate Name Exists Error")
    assert result.faults[0].original_object.DisplayName == "Taken"
    assert Customer.count(qb=conn.qb) == 3


def test_batch_delete_transactions(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Batch")
    invoices = [new_invoice(conn.qb, customer, [amount]) for amount in (1, 2)]
    result = batch_delete(invoices, qb=conn.qb)
    assert result.faults == []
    assert Invoice.count(qb=conn.qb) == 0


def test_raw_batch_mixes_operations_and_queries(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Raw")
    body: dict[str, Any] = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Raw"}},
            {
                "bId": "2",
                "operation": "update",
                "Customer": {"Id": customer.Id, "SyncToken": "0", "sparse": True, "Notes": "x"},
            },
            {"bId": "3", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Raw'"},
        ]
    }
    response = conn.post("batch", body)
    assert response.status_code == 200
    items = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert items["1"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["2"]["Customer"]["Notes"] == "x"
    assert items["3"]["QueryResponse"]["Customer"][0]["Id"] == customer.Id


# --- sparse updates, every transaction type -----------------------------------------------------


def _bodies(conn: Connection) -> dict[str, dict[str, Any]]:
    """A minimal create body per transaction type, as raw JSON."""
    customer = {"value": new_customer(conn.qb, "Sparse Buyer").Id}
    vendor = {"value": new_vendor(conn.qb, "Sparse Seller").Id}
    checking = {"value": account(conn.qb, "Checking").Id}
    sale = [{"Amount": 40, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}]
    expense = [
        {
            "Amount": 40,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account(conn.qb, "Fuel").Id}},
        }
    ]
    return {
        "SalesReceipt": {"CustomerRef": customer, "Line": sale},
        "CreditMemo": {"CustomerRef": customer, "Line": sale},
        "Payment": {"CustomerRef": customer, "TotalAmt": 40},
        "Purchase": {"PaymentType": "Cash", "AccountRef": checking, "Line": expense},
        "Bill": {"VendorRef": vendor, "Line": expense},
        "BillPayment": {
            "VendorRef": vendor,
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": checking},
            "TotalAmt": 40,
        },
        "PurchaseOrder": {"VendorRef": vendor, "Line": expense},
    }


@pytest.mark.parametrize(
    "entity",
    ["SalesReceipt", "CreditMemo", "Payment", "Purchase", "Bill", "BillPayment", "PurchaseOrder"],
)
def test_sparse_update_keeps_unsent_fields(conn: Connection, entity: str) -> None:
    body = {**_bodies(conn)[entity], "TxnDate": "2025-02-03", "DocNumber": "S-1"}
    created = ok(conn.post(entity.lower(), body), entity)
    assert created["TotalAmt"] == 40
    change = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "later"}
    updated = ok(conn.post(entity.lower(), change), entity)
    assert (updated["PrivateNote"], updated["SyncToken"]) == ("later", "1")
    assert (updated["TxnDate"], updated["DocNumber"]) == ("2025-02-03", "S-1")
    assert updated["TotalAmt"] == 40
    assert ok(conn.get(f"{entity.lower()}/{created['Id']}"), entity) == updated

    full = {k: v for k, v in body.items() if k != "DocNumber"}
    replaced = ok(
        conn.post(entity.lower(), {**full, "Id": created["Id"], "SyncToken": "1"}), entity
    )
    assert "PrivateNote" not in replaced  # a full update sets what is left out to null
    assert replaced["SyncToken"] == "2"
