"""Name lists, settings and company objects through python-quickbooks over real HTTP: create,
read, full and sparse update, hierarchies, read-only lists, and "delete" by going inactive."""

from __future__ import annotations

from typing import Any

import pytest
from quickbooks.exceptions import (
    ObjectNotFoundException,
    UnsupportedException,
    ValidationException,
)
from quickbooks.objects.account import Account
from quickbooks.objects.customer import Customer
from quickbooks.objects.department import Department
from quickbooks.objects.employee import Employee
from quickbooks.objects.item import Item
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.term import Term
from quickbooks.objects.trackingclass import Class
from quickbooks.objects.vendor import Vendor

from tests.emulator.conftest import Connection
from tests.emulator.qbo_helpers import (
    DUPLICATE_NAME_DETAIL,
    account,
    assert_fault,
    new_customer,
    new_inventory_item,
    new_invoice,
    new_service_item,
    ok,
    qb_error,
    ref,
)

# --- Customer -------------------------------------------------------------------------------


def test_customer_create_read_and_full_update(conn: Connection) -> None:
    customer = Customer()
    customer.GivenName = "Ada"
    customer.FamilyName = "Lovelace"
    customer.CompanyName = "Analytical Engines"
    saved = customer.save(qb=conn.qb)
    assert saved.DisplayName == "Ada Lovelace"  # built from the name parts
    assert saved.PrintOnCheckName == "Ada Lovelace"
    assert (saved.SyncToken, saved.Active, saved.Job, saved.Level) == ("0", True, False, 0)
    assert saved.FullyQualifiedName == "Ada Lovelace"
    assert saved.MetaData["CreateTime"]

    fetched = Customer.get(saved.Id, qb=conn.qb)
    assert fetched.CompanyName == "Analytical Engines"
    fetched.CompanyName = "Difference Engines"
    updated = fetched.save(qb=conn.qb)
    assert updated.Id == saved.Id
    assert updated.SyncToken == "1"
    assert Customer.get(saved.Id, qb=conn.qb).CompanyName == "Difference Engines"


def test_customer_full_update_nulls_omitted_fields_and_sparse_keeps_them(conn: Connection) -> None:
    created = ok(
        conn.post(
            "customer",
            {"DisplayName": "Grace", "CompanyName": "Navy", "Notes": "compiler"},
        ),
        "Customer",
    )
    sparse = ok(
        conn.post(
            "customer",
            {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "COBOL"},
        ),
        "Customer",
    )
    assert (sparse["CompanyName"], sparse["Notes"], sparse["SyncToken"]) == ("Navy", "COBOL", "1")

    full = ok(
        conn.post("customer", {"Id": created["Id"], "SyncToken": "1", "DisplayName": "Grace"}),
        "Customer",
    )
    assert "CompanyName" not in full
    assert "Notes" not in full
    assert full["SyncToken"] == "2"


def test_sub_customers_are_jobs_with_levels_and_full_names(conn: Connection) -> None:
    parent = new_customer(conn.qb, "Acme")
    job = new_customer(conn.qb, "Kitchen", parent=parent)
    phase = new_customer(conn.qb, "Phase 1", parent=job)
    assert (job.Job, job.Level, job.FullyQualifiedName) == (True, 1, "Acme:Kitchen")
    assert job.ParentRef.value == parent.Id
    assert (phase.Level, phase.FullyQualifiedName) == (2, "Acme:Kitchen:Phase 1")
    assert [c.DisplayName for c in Customer.filter(Job=True, qb=conn.qb)] == ["Kitchen", "Phase 1"]


def test_renaming_a_parent_renames_its_children(conn: Connection) -> None:
    parent = new_customer(conn.qb, "Acme")
    job = new_customer(conn.qb, "Kitchen", parent=parent)
    phase = new_customer(conn.qb, "Phase 1", parent=job)
    parent.DisplayName = "Acme Corp"
    parent.save(qb=conn.qb)
    assert Customer.get(job.Id, qb=conn.qb).FullyQualifiedName == "Acme Corp:Kitchen"
    grandchild = Customer.get(phase.Id, qb=conn.qb)
    assert grandchild.FullyQualifiedName == "Acme Corp:Kitchen:Phase 1"
    assert grandchild.SyncToken == "1"  # QuickBooks changed it, so its version moved


def test_customer_hierarchy_stops_at_five_levels(conn: Connection) -> None:
    node = new_customer(conn.qb, "Level 0")
    for level in range(1, 5):
        node = new_customer(conn.qb, f"Level {level}", parent=node)
    assert node.Level == 4
    with qb_error(6180, "up to 5 levels", message="Sub Level Limit"):
        new_customer(conn.qb, "Level 5", parent=node)


# --- Vendor and Employee ----------------------------------------------------------------------


def test_vendor_create_read_full_and_sparse_update(conn: Connection) -> None:
    vendor = Vendor()
    vendor.CompanyName = "Lumber Yard"  # a vendor may be named by its company alone
    vendor.AcctNum = "LY-1"
    saved = vendor.save(qb=conn.qb)
    assert saved.DisplayName == "Lumber Yard"
    assert saved.Vendor1099 is False

    fetched = Vendor.get(saved.Id, qb=conn.qb)
    fetched.Vendor1099 = True
    assert fetched.save(qb=conn.qb).Vendor1099 is True

    sparse = ok(
        conn.post("vendor", {"Id": saved.Id, "SyncToken": "1", "sparse": True, "AcctNum": "LY-2"}),
        "Vendor",
    )
    assert (sparse["AcctNum"], sparse["Vendor1099"], sparse["SyncToken"]) == ("LY-2", True, "2")


def test_employee_create_read_and_update(conn: Connection) -> None:
    employee = Employee()
    employee.GivenName = "Linus"
    employee.FamilyName = "Torvalds"
    employee.EmployeeNumber = "E-7"
    saved = employee.save(qb=conn.qb)
    assert saved.DisplayName == "Linus Torvalds"
    fetched = Employee.get(saved.Id, qb=conn.qb)
    assert fetched.EmployeeNumber == "E-7"
    fetched.BillableTime = True
    updated = fetched.save(qb=conn.qb)
    assert (updated.BillableTime, updated.SyncToken) == (True, "1")


def test_employee_needs_a_given_or_family_name(conn: Connection) -> None:
    employee = Employee()
    employee.DisplayName = "Just A Display Name"
    with qb_error(2020, "Required parameter GivenName is missing", ValidationException):
        employee.save(qb=conn.qb)


# --- Item -----------------------------------------------------------------------------------


def test_service_and_non_inventory_items(conn: Connection) -> None:
    service = new_service_item(conn.qb, "Consulting", price=120)
    assert (service.Type, service.UnitPrice, service.TrackQtyOnHand) == ("Service", 120, False)
    assert service.IncomeAccountRef.name == "Services"

    goods = Item()
    goods.Name = "Gravel"
    goods.Type = "NonInventory"
    goods.ExpenseAccountRef = account(conn.qb, "Job Materials").to_ref()
    saved = goods.save(qb=conn.qb)
    assert Item.get(saved.Id, qb=conn.qb).Type == "NonInventory"

    assert sorted(i.Name for i in Item.all(qb=conn.qb)) == ["Consulting", "Gravel"]
    fetched = Item.get(service.Id, qb=conn.qb)
    fetched.UnitPrice = 150
    assert fetched.save(qb=conn.qb).UnitPrice == 150


def test_inventory_item_tracks_quantity(conn: Connection) -> None:
    item = new_inventory_item(conn.qb, "Faucet", qty=12)
    fetched = Item.get(item.Id, qb=conn.qb)
    assert (fetched.Type, fetched.TrackQtyOnHand, fetched.QtyOnHand) == ("Inventory", True, 12)
    assert fetched.InvStartDate == "2024-01-01"
    assert fetched.AssetAccountRef.name == "Inventory Asset"


def test_inventory_item_needs_an_asset_account(conn: Connection) -> None:
    item = Item()
    item.Name = "Valve"
    item.Type = "Inventory"
    item.TrackQtyOnHand = True
    item.QtyOnHand = 3
    item.InvStartDate = "2024-01-01"
    item.IncomeAccountRef = account(conn.qb, "Sales of Product Income").to_ref()
    item.ExpenseAccountRef = account(conn.qb, "Cost of Goods Sold").to_ref()
    detail = "An inventory asset account is required if you are tracking inventory quantities"
    with qb_error(2020, detail, ValidationException) as info:
        item.save(qb=conn.qb)
    assert "Required parameter AssetAccountRef is missing" in info.value.detail


def test_group_items_cannot_be_created(conn: Connection) -> None:
    group = Item()
    group.Name = "Bathroom bundle"
    group.Type = "Group"
    with qb_error(2170, "Invalid Enumeration : Group", ValidationException):
        group.save(qb=conn.qb)


def test_demo_group_item_is_readable_but_not_updatable(demo: Connection) -> None:
    groups = Item.filter(Type="Group", qb=demo.qb)
    assert groups
    group = Item.get(groups[0].Id, qb=demo.qb)
    assert group.Type == "Group"
    group.Description = "changed"
    with qb_error(500, "Group", UnsupportedException, message="Unsupported Operation"):
        group.save(qb=demo.qb)


def test_item_sub_items_build_full_names(conn: Connection) -> None:
    parent = new_service_item(conn.qb, "Labor")
    child = Item()
    child.Name = "Overtime"
    child.Type = "Service"
    child.SubItem = True
    child.ParentRef = parent.to_ref()
    child.IncomeAccountRef = account(conn.qb, "Services").to_ref()
    saved = child.save(qb=conn.qb)
    assert (saved.FullyQualifiedName, saved.Level, saved.SubItem) == ("Labor:Overtime", 1, True)


# --- Account --------------------------------------------------------------------------------


def test_every_new_company_has_a_chart_of_accounts(conn: Connection) -> None:
    accounts = {a.Name: a for a in Account.all(max_results=1000, qb=conn.qb)}
    receivable = accounts["Accounts Receivable (A/R)"]
    assert (receivable.AccountType, receivable.Classification) == ("Accounts Receivable", "Asset")
    assert accounts["Undeposited Funds"].AccountSubType == "UndepositedFunds"
    assert accounts["Accounts Payable (A/P)"].AccountType == "Accounts Payable"
    assert accounts["Checking"].AccountType == "Bank"
    assert Account.count(qb=conn.qb) == len(accounts)
    response = conn.query("SELECT * FROM Account WHERE AccountType = 'Accounts Receivable'")
    assert [a["Name"] for a in response.json()["QueryResponse"]["Account"]] == [
        "Accounts Receivable (A/R)"
    ]


def test_account_create_sub_account_and_update(conn: Connection) -> None:
    parent = Account()
    parent.Name = "Vehicles"
    parent.AccountType = "Expense"
    saved = parent.save(qb=conn.qb)
    assert saved.Classification == "Expense"
    child = Account()
    child.Name = "Tolls"
    child.AccountType = "Expense"
    child.SubAccount = True
    child.ParentRef = saved.to_ref()
    sub = child.save(qb=conn.qb)
    assert (sub.FullyQualifiedName, sub.SubAccount) == ("Vehicles:Tolls", True)

    fetched = Account.get(saved.Id, qb=conn.qb)
    fetched.Name = "Fleet"
    fetched.save(qb=conn.qb)
    assert Account.get(sub.Id, qb=conn.qb).FullyQualifiedName == "Fleet:Tolls"


def test_account_needs_a_type(conn: Connection) -> None:
    nameless_type = Account()
    nameless_type.Name = "Mystery"
    with qb_error(6010, "AccountType or AccountSubType"):
        nameless_type.save(qb=conn.qb)


# --- Class, Department, Term, PaymentMethod -------------------------------------------------------


def test_class_and_sub_class(conn: Connection) -> None:
    region = Class()
    region.Name = "West"
    saved = region.save(qb=conn.qb)
    city = Class()
    city.Name = "Roseville"
    city.SubClass = True
    city.ParentRef = ref(saved.Id)
    sub = city.save(qb=conn.qb)
    assert (sub.FullyQualifiedName, sub.SubClass) == ("West:Roseville", True)
    fetched = Class.get(saved.Id, qb=conn.qb)
    fetched.Name = "Pacific"
    assert fetched.save(qb=conn.qb).SyncToken == "1"
    assert Class.get(sub.Id, qb=conn.qb).FullyQualifiedName == "Pacific:Roseville"


def test_department_create_read_update(conn: Connection) -> None:
    department = Department()
    department.Name = "Shop"
    saved = department.save(qb=conn.qb)
    assert Department.get(saved.Id, qb=conn.qb).FullyQualifiedName == "Shop"
    fetched = Department.get(saved.Id, qb=conn.qb)
    fetched.Name = "Warehouse"
    updated = fetched.save(qb=conn.qb)
    assert (updated.Name, updated.SyncToken) == ("Warehouse", "1")


def test_term_create_read_update_and_due_dates(conn: Connection) -> None:
    term = Term()
    term.Name = "Net 45"
    term.DueDays = 45
    saved = term.save(qb=conn.qb)
    assert (saved.Type, saved.DueDays) == ("STANDARD", 45)
    assert [t.Name for t in Term.filter(Name="Net 45", qb=conn.qb)] == ["Net 45"]
    assert {"Due on receipt", "Net 30"} <= {t.Name for t in Term.all(qb=conn.qb)}

    customer = new_customer(conn.qb, "Termed")
    invoice = ok(
        conn.post(
            "invoice",
            {
                "CustomerRef": {"value": customer.Id},
                "TxnDate": "2025-01-10",
                "SalesTermRef": {"value": saved.Id},
                "Line": [{"Amount": 10, "DetailType": "SalesItemLineDetail"}],
            },
        ),
        "Invoice",
    )
    assert invoice["DueDate"] == "2025-02-24"

    fetched = Term.get(saved.Id, qb=conn.qb)
    fetched.DueDays = 50
    assert fetched.save(qb=conn.qb).DueDays == 50


def test_payment_method_create_read_update(conn: Connection) -> None:
    method = PaymentMethod()
    method.Name = "Venmo"
    method.Type = "NON_CREDIT_CARD"
    saved = method.save(qb=conn.qb)
    assert PaymentMethod.get(saved.Id, qb=conn.qb).Type == "NON_CREDIT_CARD"
    assert "Visa" in {m.Name for m in PaymentMethod.all(qb=conn.qb)}
    fetched = PaymentMethod.get(saved.Id, qb=conn.qb)
    fetched.Type = "CREDIT_CARD"
    assert fetched.save(qb=conn.qb).Type == "CREDIT_CARD"


def test_payment_method_type_is_an_enumeration(conn: Connection) -> None:
    method = PaymentMethod()
    method.Name = "Barter"
    method.Type = "GOATS"
    with qb_error(2170, "Invalid Enumeration : GOATS", ValidationException):
        method.save(qb=conn.qb)


# --- "deleting" name lists: inactive --------------------------------------------------------------


def test_customers_cannot_be_deleted_only_made_inactive(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Retired Co")
    assert_fault(
        conn.post("customer", {"Id": customer.Id, "SyncToken": "0"}, operation="delete"),
        "500",
        message="Unsupported Operation",
    )
    customer.Active = False
    inactive = customer.save(qb=conn.qb)
    assert inactive.Active is False
    assert Customer.get(customer.Id, qb=conn.qb).Active is False  # still readable

    assert [c.DisplayName for c in Customer.all(qb=conn.qb)] == []
    assert conn.query("SELECT * FROM Customer").json()["QueryResponse"] == {}
    everyone = Customer.where("Active IN (true, false)", qb=conn.qb)
    assert [c.DisplayName for c in everyone] == ["Retired Co"]
    assert [c.Id for c in Customer.filter(Active=False, qb=conn.qb)] == [customer.Id]
    assert Customer.count(qb=conn.qb) == 0

    with qb_error(6240, DUPLICATE_NAME_DETAIL, message="Duplicate Name Exists Error"):
        new_customer(conn.qb, "Retired Co")

    inactive.Active = True
    assert inactive.save(qb=conn.qb).Active is True
    assert [c.DisplayName for c in Customer.all(qb=conn.qb)] == ["Retired Co"]


def test_inactive_parent_retires_its_jobs(conn: Connection) -> None:
    parent = new_customer(conn.qb, "Parent")
    job = new_customer(conn.qb, "Job", parent=parent)
    parent.Active = False
    parent.save(qb=conn.qb)
    assert Customer.get(job.Id, qb=conn.qb).Active is False


def test_other_lists_go_inactive_and_hide_from_queries(conn: Connection) -> None:
    item = new_service_item(conn.qb, "Old service")
    item.Active = False
    item.save(qb=conn.qb)
    assert Item.filter(Name="Old service", qb=conn.qb) == []
    assert len(Item.where("Name = 'Old service' AND Active = false", qb=conn.qb)) == 1

    vendor = Vendor()
    vendor.DisplayName = "Gone Supply"
    saved = vendor.save(qb=conn.qb)
    saved.Active = False
    saved.save(qb=conn.qb)
    assert Vendor.all(qb=conn.qb) == []


def test_reading_an_unknown_name_list_id(conn: Connection) -> None:
    with qb_error(610, "Object Not Found", ObjectNotFoundException):
        Customer.get("4040", qb=conn.qb)
    assert_fault(conn.get("item/4040"), "610", message="Object Not Found")


def test_entity_names_must_be_known(conn: Connection) -> None:
    assert_fault(conn.post("widget", {"Name": "x"}), "2000", detail="widget")
    assert_fault(conn.get("widget/1"), "2000", message="Invalid or unsupported object name")


def test_invoice_reads_back_customer_and_item_names(conn: Connection) -> None:
    customer = new_customer(conn.qb, "Named")
    item = new_service_item(conn.qb, "Named service")
    invoice = new_invoice(conn.qb, customer, [10], item)
    assert invoice.CustomerRef.name == "Named"
    assert invoice.Line[0].SalesItemLineDetail.ItemRef.name == "Named service"


# --- sparse updates, every name list -------------------------------------------------------------

NAME_LIST_BODIES: dict[str, tuple[dict[str, Any], str, Any]] = {
    # entity: (create body, field changed by the sparse update, its new value)
    "Employee": ({"GivenName": "Kim", "FamilyName": "Lee", "EmployeeNumber": "7"}, "Title", "Dr"),
    "Item": ({"Name": "Sparse", "Type": "Service", "Description": "d"}, "UnitPrice", 12.5),
    "Account": ({"Name": "Sparse", "AccountType": "Expense", "Description": "d"}, "AcctNum", "77"),
    "Class": ({"Name": "Sparse"}, "Name", "Sparser"),
    "Department": ({"Name": "Sparse"}, "Name", "Sparser"),
    "Term": ({"Name": "Sparse", "DueDays": 20}, "Name", "Sparser"),
    "PaymentMethod": ({"Name": "Sparse", "Type": "CREDIT_CARD"}, "Name", "Sparser"),
}


@pytest.mark.parametrize("entity", sorted(NAME_LIST_BODIES))
def test_name_list_sparse_update_keeps_unsent_fields(conn: Connection, entity: str) -> None:
    body, field, value = NAME_LIST_BODIES[entity]
    if entity == "Item":
        body = {**body, "IncomeAccountRef": {"value": account(conn.qb, "Services").Id}}
    created = ok(conn.post(entity.lower(), body), entity)
    change = {"Id": created["Id"], "SyncToken": "0", "sparse": True, field: value}
    updated = ok(conn.post(entity.lower(), change), entity)
    assert (updated[field], updated["SyncToken"], updated["Active"]) == (value, "1", True)
    for key in body:
        if key != field:
            assert updated[key] == created[key], key
    assert ok(conn.get(f"{entity.lower()}/{created['Id']}"), entity) == updated
