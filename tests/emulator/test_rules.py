"""QuickBooks business rules end to end: each fault code through python-quickbooks' exceptions
(or raw HTTP where the library cannot send the request), with the status, message and detail
that the real service returns."""

from __future__ import annotations

import pytest
from quickbooks.exceptions import (
    ObjectNotFoundException,
    QuickbooksException,
    ValidationException,
)
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.vendor import Vendor

from tests.emulator.conftest import Admin, Connection
from tests.emulator.qbo_helpers import (
    CLOSED_DETAIL,
    DUPLICATE_NAME_DETAIL,
    INACTIVE_DETAIL,
    SUBSCRIPTION_DETAIL,
    account,
    assert_fault,
    expense_line,
    new_bill,
    new_customer,
    new_inventory_item,
    new_invoice,
    new_payment,
    new_service_item,
    new_vendor,
    ok,
    qb_error,
    ref,
    sales_line,
)

# --- 6240: duplicate names ----------------------------------------------------------------------


def test_customer_vendor_and_employee_share_one_name_space(conn: Connection) -> None:
    new_customer(conn.qb, "Acme Supply")
    vendor = Vendor()
    vendor.DisplayName = "ACME supply"  # case does not make a new name
    with qb_error(6240, DUPLICATE_NAME_DETAIL, message="Duplicate Name Exists Error"):
        vendor.save(qb=conn.qb)
    employee = Employee()
    employee.GivenName = "Acme"
    employee.FamilyName = "Supply"  # DisplayName built as "Acme Supply"
    with qb_error(6240, DUPLICATE_NAME_DETAIL):
        employee.save(qb=conn.qb)
    with qb_error(6240, DUPLICATE_NAME_DETAIL):
        new_customer(conn.qb, "acme supply")
    error = assert_fault(
        conn.post("vendor", {"DisplayName": "Acme Supply"}),
        "6240",
        message="Duplicate Name Exists Error",
        detail=DUPLICATE_NAME_DETAIL,
    )
    assert error["element"] == "DisplayName"


def test_renaming_onto_a_taken_name_is_refused(conn: Connection) -> None:
    new_vendor(conn.qb, "Taken")
    customer = new_customer(conn.qb, "Free")
    customer.DisplayName = "Taken"
    with qb_error(6240, DUPLICATE_NAME_DETAIL):
        customer.save(qb=conn.qb)
    fetched = Customer.get(customer.Id, qb=conn.qb)
    assert (fetched.DisplayName, fetched.SyncToken) == ("Free", "0")
    fetched.Notes = "same name, new notes"
    assert fetched.save(qb=conn.qb).SyncToken == "1"  # keeping its own name is fine


def test_inactive_names_still_hold_their_name(conn: Connection) -> None:
    vendor = new_vendor(conn.qb, "Old Vendor")
    vendor.Active = False
    vendor.save(qb=conn.qb)
    with qb_error(6240, DUPLICATE_NAME_DETAIL):
        new_customer(conn.qb, "Old Vendor")


def test_items_and_accounts_have_their_own_name_spaces(conn: Connection) -> None:
    new_customer(conn.qb, "Framing")
    item = new_service_item(conn.qb, "Framing")  # same name as a customer: fine
    with qb_error(6240, "Another product or service is already using this name."):
        new_service_item(conn.qb, "framing")
    account_named_like_item = Account()
    account_named_like_item.Name = "Framing"
    account_named_like_item.AccountType = "Income"
    assert account_named_like_item.save(qb=conn.qb).Name == "Framing"
    duplicate_account = Account()
    duplicate_account.Name = "Checking"
    duplicate_account.AccountType = "Bank"
    with qb_error(6240, "Another account is already using this name."):
        duplicate_account.save(qb=conn.qb)
    assert item.Name == "Framing"


# --- 6140: duplicate document numbers -------------------------------------------------------------


def test_duplicate_invoice_number_with_custom_numbers(conn: Connection, admin: Admin) -> None:
    admin.patch_company(
        conn.realm_id, {"preferences": {"SalesFormsPrefs": {"CustomTxnNumbers": True}}}
    )
    customer = new_customer(conn.qb, "Buyer")
    first = new_invoice(conn.qb, customer, [10], doc_number="INV-7")
    detail = (
        "Duplicate Document Number Error : You must specify a different number. This number has "
        f"already been used. DocNumber=INV-7 is assigned to TxnType=Invoice with TxnId={first.Id}"
    )
    with qb_error(6140, detail, message="Duplicate Document Number Error"):
        new_invoice(conn.qb, customer, [20], doc_number="INV-7")
    with qb_error(6140, f"TxnId={first.Id}"):
        new_invoice(conn.qb, customer, [20], doc_number="inv-7")

    unnumbered = new_invoice(conn.qb, customer, [30])  # custom numbers: no number assigned
    assert not unnumbered.DocNumber
    fetched = Invoice.get(first.Id, qb=conn.qb)
    fetched.PrivateNote = "keeps its own number"
    assert fetched.save(qb=conn.qb).DocNumber == "INV-7"


def test_without_custom_numbers_quickbooks_numbers_invoices(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    numbers = [new_invoice(conn.qb, customer, [1]).DocNumber for _ in range(3)]
    assert numbers == ["1001", "1002", "1003"]
    explicit = new_invoice(conn.qb, customer, [1], doc_number="1002")  # not checked when off
    assert explicit.DocNumber == "1002"
    assert new_invoice(conn.qb, customer, [1]).DocNumber == "1004"
    assert new_invoice(conn.qb, customer, [1], doc_number="5000").DocNumber == "5000"
    assert new_invoice(conn.qb, customer, [1]).DocNumber == "5001"


def test_bill_numbers_are_unique_per_vendor(conn: Connection) -> None:
    lumber = new_vendor(conn.qb, "Lumber")
    tiles = new_vendor(conn.qb, "Tiles")
    first = new_bill(conn.qb, lumber, 10, doc_number="B-100")
    with qb_error(6140, f"DocNumber=B-100 is assigned to TxnType=Bill with TxnId={first.Id}"):
        new_bill(conn.qb, lumber, 20, doc_number="B-100")
    assert new_bill(conn.qb, tiles, 20, doc_number="B-100").DocNumber == "B-100"
    allowed = new_bill(
        conn.qb, lumber, 30, doc_number="B-100", params={"include": "allowduplicatedocnum"}
    )
    assert allowed.DocNumber == "B-100"
    assert len(Bill.filter(DocNumber="B-100", qb=conn.qb)) == 3


def _check(conn: Connection, vendor: Vendor | None, number: str, **params: str) -> Purchase:
    purchase = Purchase()
    purchase.PaymentType = "Check"
    purchase.AccountRef = account(conn.qb, "Checking").to_ref()
    purchase.EntityRef = vendor.to_ref() if vendor is not None else None
    purchase.DocNumber = number
    purchase.Line = [expense_line(15, account(conn.qb, "Fuel"))]
    saved: Purchase = purchase.save(qb=conn.qb, params=params or None)
    return saved


def test_purchase_numbers_are_unique_per_vendor(conn: Connection) -> None:
    station = new_vendor(conn.qb, "Station")
    garage = new_vendor(conn.qb, "Garage")
    first = _check(conn, station, "301")
    with qb_error(6140, f"DocNumber=301 is assigned to TxnType=Purchase with TxnId={first.Id}"):
        _check(conn, station, "301")
    assert _check(conn, garage, "301").DocNumber == "301"
    assert _check(conn, station, "301", include="allowduplicatedocnum").DocNumber == "301"


# --- 5010: stale SyncToken ------------------------------------------------------------------------


def test_stale_sync_token_on_update_and_delete(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    invoice = new_invoice(conn.qb, customer, [10])
    mine = Invoice.get(invoice.Id, qb=conn.qb)
    theirs = Invoice.get(invoice.Id, qb=conn.qb)
    theirs.PrivateNote = "they were first"
    theirs.save(qb=conn.qb)

    mine.PrivateNote = "me second"
    with qb_error(5010, "Stale Object Error : You and", message="Stale Object Error"):
        mine.save(qb=conn.qb)
    with qb_error(5010, "Entity=Invoice"):
        mine.delete(qb=conn.qb)
    assert Invoice.get(invoice.Id, qb=conn.qb).PrivateNote == "they were first"

    stale_name = Customer.get(customer.Id, qb=conn.qb)
    ok(
        conn.post("customer", {"Id": customer.Id, "SyncToken": "0", "sparse": True, "Notes": "x"}),
        "Customer",
    )
    with qb_error(5010, "Entity=Customer"):
        stale_name.save(qb=conn.qb)
    assert_fault(
        conn.post("invoice", {"Id": invoice.Id, "SyncToken": "0"}, operation="delete"), "5010"
    )


# --- 610 and 2500: missing, deleted and inactive references -------------------------------------


def test_missing_ids_are_400_with_610(conn: Connection) -> None:
    with qb_error(610, "Object Not Found", ObjectNotFoundException):
        Invoice.get("999", qb=conn.qb)
    error = assert_fault(conn.get("invoice/999"), "610", message="Object Not Found")
    assert error["Detail"].startswith("Object Not Found : ")
    assert_fault(conn.post("invoice", {"Id": "999", "SyncToken": "0", "sparse": True}), "610")


def test_references_to_inactive_customers_and_items_are_610(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Dormant")
    item = new_service_item(conn.qb, "Dormant service")
    active = new_customer(conn.qb, "Awake")
    for row in (customer, item):
        row.Active = False
        row.save(qb=conn.qb)

    with qb_error(610, INACTIVE_DETAIL, ObjectNotFoundException):
        new_invoice(conn.qb, customer, [10])
    error = assert_fault(
        conn.post(
            "invoice",
            {
                "CustomerRef": {"value": customer.Id},
                "Line": [{"Amount": 1, "DetailType": "SalesItemLineDetail"}],
            },
        ),
        "610",
        detail=INACTIVE_DETAIL,
    )
    assert error["element"] == "CustomerRef"
    error = assert_fault(
        conn.post(
            "invoice",
            {
                "CustomerRef": {"value": active.Id},
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": item.Id}},
                    }
                ],
            },
        ),
        "610",
        detail=INACTIVE_DETAIL,
    )
    assert error["element"] == "Line.SalesItemLineDetail.ItemRef"


def test_references_to_unknown_ids_are_2500(conn: Connection) -> None:
    invoice = Invoice()
    invoice.CustomerRef = ref("4242")
    invoice.Line = [sales_line(10)]
    with qb_error(
        2500, "Invalid Reference Id", ValidationException, message="Invalid Reference Id"
    ):
        invoice.save(qb=conn.qb)
    customer = new_customer(conn.qb, "Buyer")
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [sales_line(10, None)]
    invoice.Line[0].SalesItemLineDetail.ItemRef = ref("777")
    with qb_error(2500, "(Id=777)"):
        invoice.save(qb=conn.qb)
    error = assert_fault(
        conn.post("customer", {"DisplayName": "Orphan", "ParentRef": {"value": "888"}}), "2500"
    )
    assert error["element"] == "ParentRef"


# --- 2020: required fields ------------------------------------------------------------------------


def test_required_fields_are_2020(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    no_lines = Invoice()
    no_lines.CustomerRef = customer.to_ref()
    message = "Required param missing, need to supply the required value for the API"
    with qb_error(
        2020, "Required parameter Line is missing in the request", ValidationException, message
    ):
        no_lines.save(qb=conn.qb)

    no_customer = Invoice()
    no_customer.Line = [sales_line(10)]
    with qb_error(2020, "Required parameter CustomerRef is missing in the request"):
        no_customer.save(qb=conn.qb)

    purchase = Purchase()
    purchase.AccountRef = account(conn.qb, "Checking").to_ref()
    purchase.Line = [expense_line(5, account(conn.qb, "Fuel"))]
    with qb_error(2020, "Required parameter PaymentType is missing in the request"):
        purchase.save(qb=conn.qb)

    error = assert_fault(conn.post("invoice", {"CustomerRef": {"value": customer.Id}}), "2020")
    assert error["element"] == "Line"


# --- 2050: string lengths -------------------------------------------------------------------------


def test_string_length_limits_are_2050(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    message = "String length is either shorter or longer than supported by specification"
    assert new_invoice(conn.qb, customer, [1], doc_number="D" * 21).DocNumber == "D" * 21
    with qb_error(2050, "Min:0 Max:21 supported. Supplied length:22", ValidationException, message):
        new_invoice(conn.qb, customer, [1], doc_number="D" * 22)
    with qb_error(2050, "Min:0 Max:500 supported. Supplied length:501"):
        new_customer(conn.qb, "N" * 501)
    assert new_customer(conn.qb, "N" * 500).DisplayName == "N" * 500
    with qb_error(2050, "Min:0 Max:4000 supported. Supplied length:4001"):
        new_invoice(conn.qb, customer, [1], note="p" * 4001)
    with qb_error(2050, "Supplied length:22"):
        new_payment(conn.qb, customer, 1, ref_num="9" * 22)
    error = assert_fault(
        conn.post(
            "invoice",
            {
                "CustomerRef": {"value": customer.Id},
                "DocNumber": "X" * 22,
                "Line": [{"Amount": 1, "DetailType": "SalesItemLineDetail"}],
            },
        ),
        "2050",
    )
    assert error["element"] == "DocNumber"


# --- 6190: lapsed subscription --------------------------------------------------------------------


def test_cancelled_subscription_refuses_writes_but_allows_reads(
    conn: Connection, admin: Admin
) -> None:
    customer = new_customer(conn.qb, "Before")
    invoice = new_invoice(conn.qb, customer, [10])
    admin.patch_company(conn.realm_id, {"subscription_status": "CANCELLED"})

    with qb_error(6190, SUBSCRIPTION_DETAIL, message="Invalid Company Status"):
        new_customer(conn.qb, "After")
    fetched = Invoice.get(invoice.Id, qb=conn.qb)  # reads still work
    fetched.PrivateNote = "x"
    with qb_error(6190, SUBSCRIPTION_DETAIL):
        fetched.save(qb=conn.qb)
    with qb_error(6190, SUBSCRIPTION_DETAIL):
        fetched.delete(qb=conn.qb)
    assert [c.DisplayName for c in Customer.all(qb=conn.qb)] == ["Before"]
    assert_fault(conn.post("preferences", {"SyncToken": "0", "sparse": True}), "6190")

    admin.patch_company(conn.realm_id, {"subscription_status": "PAID"})
    assert new_customer(conn.qb, "After").DisplayName == "After"


# --- 6210: closed books ---------------------------------------------------------------------------


def test_closed_period_refuses_dated_transactions(conn: Connection, admin: Admin) -> None:
    customer = new_customer(conn.qb, "Buyer")
    old = new_invoice(conn.qb, customer, [10], txn_date="2024-06-30")
    open_invoice = new_invoice(conn.qb, customer, [10], txn_date="2025-01-01")
    close = {"preferences": {"AccountingInfoPrefs": {"BookCloseDate": "2024-12-31"}}}
    admin.patch_company(conn.realm_id, close)

    message = "Account Period Closed"
    with qb_error(6210, CLOSED_DETAIL, message=message):
        new_invoice(conn.qb, customer, [10], txn_date="2024-12-31")  # on the closing date
    assert new_invoice(conn.qb, customer, [10], txn_date="2025-01-02").TotalAmt == 10

    fetched = Invoice.get(old.Id, qb=conn.qb)
    fetched.PrivateNote = "late fix"
    with qb_error(6210, CLOSED_DETAIL):
        fetched.save(qb=conn.qb)
    with qb_error(6210, CLOSED_DETAIL):
        fetched.delete(qb=conn.qb)
    with qb_error(6210, CLOSED_DETAIL):
        fetched.void(qb=conn.qb)

    moved = Invoice.get(open_invoice.Id, qb=conn.qb)
    moved.TxnDate = "2024-12-01"  # moving an open transaction into the closed period
    with qb_error(6210, CLOSED_DETAIL):
        moved.save(qb=conn.qb)
    with qb_error(6210, CLOSED_DETAIL):
        new_payment(conn.qb, customer, 5, txn_date="2024-11-01")
    error = assert_fault(
        conn.post("invoice", {"Id": old.Id, "SyncToken": "0"}, operation="delete"), "6210"
    )
    assert error["Message"] == message


# --- 6270, 6080, 6430, 6070, 6100 ---------------------------------------------------------------


def test_inventory_item_before_its_start_date(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    item = new_inventory_item(conn.qb, "Faucet", start="2024-01-01")
    with qb_error(6270, "InventoryTxnDatedBeforeItemStartDate"):
        new_invoice(conn.qb, customer, [25], item, txn_date="2023-12-31")
    assert new_invoice(conn.qb, customer, [25], item, txn_date="2024-01-01").TotalAmt == 25
    assert Item.get(item.Id, qb=conn.qb).QtyOnHand == 10  # no Qty on the line: no movement


def test_customer_needs_some_name(conn: Connection) -> None:
    nameless = Customer()
    nameless.CompanyName = "Only A Company"
    with qb_error(6080, "You must provide at least one of", message="No Name Provided"):
        nameless.save(qb=conn.qb)
    assert_fault(conn.post("customer", {"Notes": "who?"}), "6080")


def test_item_account_cannot_be_receivable(conn: Connection) -> None:
    item = Item()
    item.Name = "Bad"
    item.Type = "Service"
    item.IncomeAccountRef = account(conn.qb, "Accounts Receivable (A/R)").to_ref()
    with qb_error(6430, "Invalid account type : You can't associate a product or service"):
        item.save(qb=conn.qb)
    item.IncomeAccountRef = account(conn.qb, "Accounts Payable (A/P)").to_ref()
    with qb_error(6430, "Accounts Payable"):
        item.save(qb=conn.qb)


def test_line_amount_must_equal_quantity_times_price(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    item = new_service_item(conn.qb, "Hours")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [sales_line(100, item, qty=3, price=30)]
    with qb_error(6070, "Amount 100.00 is not equal to UnitPrice 30 * Qty 3"):
        invoice.save(qb=conn.qb)
    invoice.Line = [sales_line(1, item, qty=3, price=0.333)]  # 0.999 rounds to the cent
    assert invoice.save(qb=conn.qb).TotalAmt == 1


def test_line_tax_code_must_be_tax_or_non(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [sales_line(10, tax="GST")]
    with qb_error(6100, "The tax code GST is not valid", message="Invalid Line TaxCode"):
        invoice.save(qb=conn.qb)
    invoice.Line = [sales_line(10, tax="tax")]
    saved = invoice.save(qb=conn.qb)
    assert saved.Line[0].SalesItemLineDetail.TaxCodeRef.value == "TAX"


# --- python-quickbooks exception classes --------------------------------------------------------


def test_payment_business_rules_use_the_base_exception(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Buyer")
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    with pytest.raises(QuickbooksException) as info:
        payment.save(qb=conn.qb)
    assert type(info.value) is QuickbooksException  # 6xxx is outside the library's ranges
    assert info.value.error_code == 6000
