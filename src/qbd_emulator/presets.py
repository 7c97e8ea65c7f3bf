"""What a new company file holds: a chart of accounts, payment methods, terms and sales tax codes
(`blank`); `demo` adds customers with jobs, vendors, items, an employee and classes (one with a
sub-class)."""

from __future__ import annotations

from typing import Any

from qbd_emulator.model import LIST_FAMILY, Company, Record

ACCOUNTS = (
    ("Checking", "Bank", None),
    ("Accounts Receivable", "AccountsReceivable", "AccountsReceivable"),
    ("Undeposited Funds", "OtherCurrentAsset", "UndepositedFunds"),
    ("Inventory Asset", "OtherCurrentAsset", "InventoryAssets"),
    ("Accounts Payable", "AccountsPayable", "AccountsPayable"),
    ("Company Card", "CreditCard", None),
    ("Sales Tax Payable", "OtherCurrentLiability", "SalesTaxPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Services", "Income", None),
    ("Sales", "Income", None),
    ("Cost of Goods Sold", "CostOfGoodsSold", "CostOfGoodsSold"),
    ("Job Materials", "Expense", None),
    ("Subcontractors", "Expense", None),
    ("Fuel", "Expense", None),
    ("Office Supplies", "Expense", None),
)
PAYMENT_METHODS = (
    ("Cash", "Cash"),
    ("Check", "Check"),
    ("Visa", "Visa"),
    ("MasterCard", "MasterCard"),
    ("American Express", "AmericanExpress"),
    ("E-Check", "ECheck"),
)
TERMS = (("Due on receipt", "0"), ("Net 15", "15"), ("Net 30", "30"))
TAX_CODES = (("Tax", "true", "Taxable Sales"), ("Non", "false", "Non-Taxable Sales"))
CLASSES = ("Residential", "Commercial")
SUB_CLASSES = (("Commercial", "Retail"),)

PRESETS = ("blank", "demo")


def seed(company: Company, kind: str, data: dict[str, Any]) -> Record:
    family = LIST_FAMILY[kind]
    data = dict(data)
    data["ListID"] = company.new_list_id(family)
    data.setdefault("IsActive", "true")
    if family in ("Customer", "Item", "Account", "Vendor", "Class"):
        parent = data.get("ParentRef")
        if parent:
            data["FullName"] = f"{parent['FullName']}:{data['Name']}"
            data["Sublevel"] = str(data["FullName"].count(":"))
        else:
            data.setdefault("FullName", data["Name"])
            data.setdefault("Sublevel", "0")
    now = company.now()
    record = Record(kind, data, company.new_edit_sequence(), now, now)
    company.family(family)[record.id] = record
    company.changed()
    return record


def ref(record: Record) -> dict[str, str]:
    return {
        "ListID": record.id,
        "FullName": str(record.data.get("FullName") or record.data["Name"]),
    }


def apply(company: Company, preset: str) -> None:
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}")
    accounts = {}
    for name, kind, special in ACCOUNTS:
        data: dict[str, Any] = {
            "Name": name,
            "AccountType": kind,
            "Balance": "0.00",
            "TotalBalance": "0.00",
        }
        if special:
            data["SpecialAccountType"] = special
        accounts[name] = seed(company, "Account", data)
    for name, kind in PAYMENT_METHODS:
        seed(company, "PaymentMethod", {"Name": name, "PaymentMethodType": kind})
    for name, days in TERMS:
        seed(
            company,
            "StandardTerms",
            {"Name": name, "StdDueDays": days, "StdDiscountDays": "0", "DiscountPct": "0.00"},
        )
    for name, taxable, desc in TAX_CODES:
        seed(company, "SalesTaxCode", {"Name": name, "IsTaxable": taxable, "Desc": desc})
    if preset == "demo":
        _demo(company, accounts)


def _demo(company: Company, accounts: dict[str, Record]) -> None:
    income = ref(accounts["Services"])
    sales = ref(accounts["Sales"])
    materials = ref(accounts["Job Materials"])
    for first, last, email in (
        ("Maria", "Alvarez", "maria.alvarez@example.com"),
        ("Dan", "Okafor", "dan.okafor@example.com"),
        ("Priya", "Shah", "priya.shah@example.com"),
    ):
        name = f"{last}, {first}"
        customer = seed(
            company,
            "Customer",
            {
                "Name": name,
                "FirstName": first,
                "LastName": last,
                "Email": email,
                "BillAddress": {
                    "Addr1": f"{first} {last}",
                    "City": "Sacramento",
                    "State": "CA",
                    "PostalCode": "95814",
                },
            },
        )
        seed(
            company,
            "Customer",
            {"Name": "Main House", "ParentRef": ref(customer), "JobStatus": "InProgress"},
        )
    for name in ("Valley Plumbing Supply", "Northside Electric", "Summit Lumber"):
        seed(company, "Vendor", {"Name": name, "CompanyName": name})
    seed(company, "Employee", {"Name": "Jordan Lee", "FirstName": "Jordan", "LastName": "Lee"})
    seed(company, "OtherName", {"Name": "County Permit Office"})
    for name, price, desc in (
        ("Labor", "95.00", "Labor, per hour"),
        ("Service Call", "129.00", "Diagnostic visit"),
        ("Inspection", "150.00", "Safety inspection"),
    ):
        seed(
            company,
            "ItemService",
            {"Name": name, "SalesOrPurchase": {"Desc": desc, "Price": price, "AccountRef": income}},
        )
    seed(
        company,
        "ItemNonInventory",
        {
            "Name": "Permit Fee",
            "ManufacturerPartNumber": "PERMIT",
            "SalesOrPurchase": {"Desc": "City permit", "Price": "75.00", "AccountRef": sales},
        },
    )
    for name, mpn, price, cost in (
        ("Water Heater 50gal", "WH-50-G", "899.00", "610.00"),
        ("Ball Valve 3/4", "BV-075", "18.50", "7.25"),
    ):
        seed(
            company,
            "ItemInventory",
            {
                "Name": name,
                "ManufacturerPartNumber": mpn,
                "SalesDesc": name,
                "SalesPrice": price,
                "IncomeAccountRef": sales,
                "PurchaseDesc": name,
                "PurchaseCost": cost,
                "COGSAccountRef": ref(accounts["Cost of Goods Sold"]),
                "AssetAccountRef": ref(accounts["Inventory Asset"]),
                "QuantityOnHand": "10",
            },
        )
    _ = materials
    classes = {name: seed(company, "Class", {"Name": name}) for name in CLASSES}
    for parent, name in SUB_CLASSES:
        seed(company, "Class", {"Name": name, "ParentRef": ref(classes[parent])})
