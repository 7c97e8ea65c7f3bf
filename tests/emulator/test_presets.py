"""Tests for the company presets, over an in-memory target that enforces QuickBooks' rules.

`FakeTarget` stands in for the company store: it assigns Ids, resolves references, keeps the
Customer/Vendor/Employee display-name space unique, computes totals and sales tax, refuses
over-payments, dates in the future or inside closed books, and inventory sold before its
start date. Every preset run here goes through it.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from qbo_emulator.presets import SeedTarget, apply_preset
from qbo_emulator.presets import base as base_preset
from qbo_emulator.presets import demo as demo_preset
from qbo_emulator.presets.base import BaseRefs, seed_base
from qbo_emulator.presets.demo import DEMO_NAME_CLASHES, DemoSummary, seed_demo

TODAY = datetime.date(2026, 5, 14)
CENT = Decimal("0.01")

PERSONS = ("Customer", "Vendor", "Employee")
TRANSACTIONS = ("Invoice", "Payment", "Bill", "Purchase", "PurchaseOrder")
ACCOUNT_TYPES = {
    "Bank",
    "Accounts Receivable",
    "Other Current Asset",
    "Fixed Asset",
    "Other Asset",
    "Accounts Payable",
    "Credit Card",
    "Other Current Liability",
    "Long Term Liability",
    "Equity",
    "Income",
    "Cost of Goods Sold",
    "Expense",
    "Other Income",
    "Other Expense",
}
# Reference field -> the entity it points at (EntityRef says so itself, in "type").
REF_TARGETS = {
    "ParentRef": None,  # same entity
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "ItemRef": "Item",
    "AccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "DepositToAccountRef": "Account",
    "APAccountRef": "Account",
    "TaxCodeRef": "TaxCode",
    "TxnTaxCodeRef": "TaxCode",
    "TaxRateRef": "TaxRate",
    "PaymentMethodRef": "PaymentMethod",
    "SalesTermRef": "Term",
    "TermRef": "Term",
}
NAME_LIMITS = {"Term": 31, "PaymentMethod": 31}


class RuleError(AssertionError):
    """A preset asked for something QuickBooks would refuse."""


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RuleError(f"not a number: {value!r}")
    return Decimal(str(value))


def walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a JSON tree, depth first."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


def deep_merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


class FakeTarget:
    """An in-memory company that checks what presets write against QuickBooks' rules."""

    def __init__(self, today: datetime.date) -> None:
        self._today = today
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.preferences: dict[str, Any] = base_preset.default_preferences()
        self.events: list[tuple[str, str]] = []  # ("create", entity) / ("prefs", section)
        self._next_id = 1

    # --- the SeedTarget protocol --------------------------------------------------------

    def today(self) -> datetime.date:
        return self._today

    def update_preferences(self, patch: dict[str, Any]) -> None:
        for section in patch:
            self.events.append(("prefs", section))
        deep_merge(self.preferences, patch)

    def insert_readonly(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        if entity not in ("TaxCode", "TaxRate") and not (
            entity == "Item" and obj.get("Type") == "Group"
        ):
            raise RuleError(f"{entity} can be created through the API")
        row = copy.deepcopy(obj)
        self._check_json(row)
        self._check_refs(entity, row)
        self._check_name(entity, row)
        if entity == "TaxRate":
            assert row["AgencyRef"] == {"value": base_preset.TAX_AGENCY_ID}
            number(row["RateValue"])
        return self._store(entity, row)

    def create(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        row = copy.deepcopy(payload)
        self._check_json(row)
        self._check_refs(entity, row)
        if entity in PERSONS:
            self._check_person(entity, row)
        elif entity in ("Account", "Item", "Term", "PaymentMethod"):
            self._check_name(entity, row)
        if entity == "Account":
            self._check_account(row)
        if entity in TRANSACTIONS:
            self._check_transaction(entity, row)
        self.events.append(("create", entity))
        return self._store(entity, row)

    # --- helpers for tests ----------------------------------------------------------------

    def rows(self, entity: str) -> list[dict[str, Any]]:
        return list(self.tables.get(entity, {}).values())

    def get(self, entity: str, obj_id: str) -> dict[str, Any]:
        return self.tables[entity][obj_id]

    def named(self, entity: str, name: str) -> dict[str, Any]:
        field = "DisplayName" if entity in PERSONS else "Name"
        (row,) = [r for r in self.rows(entity) if r[field] == name]
        return row

    # --- rules ----------------------------------------------------------------------------

    def _store(self, entity: str, row: dict[str, Any]) -> dict[str, Any]:
        row["Id"] = str(self._next_id)
        row["SyncToken"] = "0"
        self._next_id += 1
        self.tables.setdefault(entity, {})[row["Id"]] = row
        return copy.deepcopy(row)

    def _check_json(self, row: dict[str, Any]) -> None:
        for _, value in walk(row):
            if not isinstance(value, str | bool | int | float | Decimal | dict | list):
                raise RuleError(f"not JSON: {value!r}")

    def _resolve(self, entity: str, ref: Any) -> dict[str, Any]:
        if not isinstance(ref, dict) or not isinstance(ref.get("value"), str):
            raise RuleError(f"bad {entity} reference {ref!r}")
        row = self.tables.get(entity, {}).get(ref["value"])
        if row is None:
            raise RuleError(f"{entity} {ref['value']} does not exist")
        if "name" in ref:
            names = {row.get("Name"), row.get("DisplayName"), row.get("FullyQualifiedName")}
            if ref["name"] not in names:
                raise RuleError(f"{entity} {ref['value']} is not called {ref['name']!r}")
        return row

    def _check_refs(self, entity: str, row: dict[str, Any]) -> None:
        for key, value in walk(row):
            if key == "TaxCodeRef" and value.get("value") in ("TAX", "NON"):
                continue
            if key == "EntityRef":
                self._resolve(value["type"], value)
            elif key in REF_TARGETS:
                self._resolve(REF_TARGETS[key] or entity, value)
            elif key == "LinkedTxn":
                for link in value:
                    self._resolve(link["TxnType"], {"value": link["TxnId"]})

    def _check_name(self, entity: str, row: dict[str, Any]) -> None:
        name = row["Name"]
        if ":" in name or '"' in name or len(name) > NAME_LIMITS.get(entity, 100):
            raise RuleError(f"bad {entity} name {name!r}")
        full_name = name
        if "ParentRef" in row:
            parent = self._resolve(entity, row["ParentRef"])
            full_name = f"{parent['FullyQualifiedName']}:{name}"
        if any(r["FullyQualifiedName"].lower() == full_name.lower() for r in self.rows(entity)):
            raise RuleError(f"duplicate {entity} name {name!r}")
        row["FullyQualifiedName"] = full_name
        row.setdefault("Active", True)

    def _check_person(self, entity: str, row: dict[str, Any]) -> None:
        display = row["DisplayName"]
        if ":" in display or len(display) > 500 or display != display.strip():
            raise RuleError(f"bad DisplayName {display!r}")
        for other in PERSONS:
            if any(r["DisplayName"].lower() == display.lower() for r in self.rows(other)):
                raise RuleError(f"6240 duplicate name {display!r} (used by a {other})")
        for key in ("GivenName", "FamilyName", "CompanyName"):
            if len(row.get(key, "")) > 100:
                raise RuleError(f"{key} too long")
        row["Level"] = 0
        row["FullyQualifiedName"] = display
        if "ParentRef" in row:
            parent = self._resolve("Customer", row["ParentRef"])
            if row.get("Job") is not True:
                raise RuleError("a sub-customer needs Job true")
            row["Level"] = parent["Level"] + 1
            row["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{display}"
        row.setdefault("Active", True)

    def _check_account(self, row: dict[str, Any]) -> None:
        if row["AccountType"] not in ACCOUNT_TYPES or not row.get("AccountSubType"):
            raise RuleError(f"bad account type {row['AccountType']!r}")
        if len(row.get("AcctNum", "")) > 7 or len(row.get("Description", "")) > 100:
            raise RuleError("AcctNum or Description too long")
        if "ParentRef" in row:
            parent = self._resolve("Account", row["ParentRef"])
            if parent["AccountType"] != row["AccountType"] or row.get("SubAccount") is not True:
                raise RuleError("a sub-account has its parent's type and SubAccount true")
            if any(r.get("AcctNum") == row.get("AcctNum") for r in self.rows("Account")):
                raise RuleError("duplicate AcctNum")

    def _check_transaction(self, entity: str, row: dict[str, Any]) -> None:
        txn_date = datetime.date.fromisoformat(row["TxnDate"])
        if txn_date > self._today:
            raise RuleError(f"{entity} dated in the future: {txn_date}")
        close = self.preferences["AccountingInfoPrefs"].get("BookCloseDate")
        if close is not None and txn_date <= datetime.date.fromisoformat(close):
            raise RuleError(f"{entity} dated inside closed books")
        for field in ("DocNumber", "PaymentRefNum"):
            if len(row.get(field, "")) > 21:
                raise RuleError(f"{field} longer than 21")
        for key, value in walk(row):
            if key != "ItemRef":
                continue
            item = self._resolve("Item", value)
            if not item["Active"]:
                raise RuleError(f"inactive item {item['Name']!r} used")
            start = item.get("InvStartDate")
            if start is not None and txn_date < datetime.date.fromisoformat(start):
                raise RuleError(f"{item['Name']!r} used before its InvStartDate")
        if entity == "Payment":
            self._apply_payment(row, txn_date)
            return
        total = Decimal(0)
        for line in row["Line"]:
            amount = number(line["Amount"])
            detail = line.get(line["DetailType"], {})
            if "Qty" in detail and money(number(detail["Qty"]) * number(detail["UnitPrice"])) != (
                amount
            ):
                raise RuleError("line Amount is not Qty x UnitPrice")
            total += amount
        if entity == "Invoice":
            if any(r["DocNumber"] == row["DocNumber"] for r in self.rows("Invoice")):
                raise RuleError("duplicate invoice number")
            total += self._sales_tax(row)
            row["Balance"] = total
        row["TotalAmt"] = total

    def _sales_tax(self, row: dict[str, Any]) -> Decimal:
        detail = row.get("TxnTaxDetail")
        if detail is None:
            return Decimal(0)
        code = self._resolve("TaxCode", detail["TxnTaxCodeRef"])
        percent = sum(
            number(self._resolve("TaxRate", d["TaxRateRef"])["RateValue"])
            for d in code["SalesTaxRateList"]["TaxRateDetail"]
        )
        taxable = sum(
            number(line["Amount"])
            for line in row["Line"]
            if line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"
        )
        return money(Decimal(taxable) * Decimal(percent) / 100)

    def _apply_payment(self, row: dict[str, Any], txn_date: datetime.date) -> None:
        total = number(row["TotalAmt"])
        if total != sum(number(line["Amount"]) for line in row["Line"]):
            raise RuleError("payment TotalAmt differs from its lines")
        for line in row["Line"]:
            for link in line["LinkedTxn"]:
                invoice = self.get("Invoice", link["TxnId"])
                amount = number(line["Amount"])
                if invoice["CustomerRef"]["value"] != row["CustomerRef"]["value"]:
                    raise RuleError("payment customer differs from the invoice's")
                if txn_date < datetime.date.fromisoformat(invoice["TxnDate"]):
                    raise RuleError("payment before its invoice")
                if amount <= 0 or amount > invoice["Balance"]:
                    raise RuleError(f"payment {amount} exceeds balance {invoice['Balance']}")
                invoice["Balance"] -= amount


# --- fixtures -------------------------------------------------------------------------------


def seeded(today: datetime.date) -> tuple[FakeTarget, BaseRefs, DemoSummary]:
    target = FakeTarget(today)
    refs = seed_base(target)
    return target, refs, seed_demo(target, refs)


@pytest.fixture(scope="module")
def demo() -> tuple[FakeTarget, BaseRefs, DemoSummary]:
    return seeded(TODAY)


@pytest.fixture(scope="module")
def blank() -> tuple[FakeTarget, BaseRefs]:
    target = FakeTarget(TODAY)
    return target, seed_base(target)


def test_fake_target_is_a_seed_target() -> None:
    target: SeedTarget = FakeTarget(TODAY)
    assert target.today() == TODAY


# --- base -------------------------------------------------------------------------------------

REQUIRED_ACCOUNTS = {
    "Checking": "Bank",
    "Savings": "Bank",
    "Accounts Receivable (A/R)": "Accounts Receivable",
    "Undeposited Funds": "Other Current Asset",
    "Inventory Asset": "Other Current Asset",
    "Accounts Payable (A/P)": "Accounts Payable",
    "Mastercard": "Credit Card",
    "Sales of Product Income": "Income",
    "Services": "Income",
    "Cost of Goods Sold": "Cost of Goods Sold",
    "Job Materials": "Cost of Goods Sold",
    "Subcontractors": "Cost of Goods Sold",
    "Fuel": "Expense",
    "Tools and Equipment": "Expense",
    "Uncategorized Income": "Income",
    "Uncategorized Expense": "Expense",
    "Uncategorized Asset": "Other Current Asset",
    "Opening Balance Equity": "Equity",
    "Retained Earnings": "Equity",
    "Sales Tax Payable": "Other Current Liability",
    "Advertising": "Expense",
    "Insurance": "Expense",
    "Rent or Lease": "Expense",
    "Utilities": "Expense",
    "Office Expenses": "Expense",
    "Bank Charges": "Expense",
    "Legal & Professional Fees": "Expense",
    "Repairs & Maintenance": "Expense",
    "Meals": "Expense",
    "Travel": "Expense",
}


def test_chart_of_accounts(blank: tuple[FakeTarget, BaseRefs]) -> None:
    target, refs = blank
    accounts = target.rows("Account")
    assert 50 <= len(accounts) <= 70
    by_name = {a["Name"]: a for a in accounts}
    for name, account_type in REQUIRED_ACCOUNTS.items():
        assert by_name[name]["AccountType"] == account_type, name
    assert by_name["Checking"]["AccountSubType"] == "Checking"
    assert by_name["Undeposited Funds"]["AccountSubType"] == "UndepositedFunds"
    assert by_name["Inventory Asset"]["AccountSubType"] == "Inventory"
    assert by_name["Opening Balance Equity"]["AccountSubType"] == "OpeningBalanceEquity"
    assert by_name["Retained Earnings"]["AccountSubType"] == "RetainedEarnings"
    assert {a["AccountType"] for a in accounts} == ACCOUNT_TYPES
    subs = [a for a in accounts if a.get("SubAccount")]
    assert len(subs) >= 2
    fuel = by_name["Fuel"]
    assert target.get("Account", fuel["ParentRef"]["value"])["Name"] == "Automobile"
    assert refs.account("Fuel") == {"value": fuel["Id"], "name": "Automobile:Fuel"}
    assert set(refs.accounts) == set(by_name)
    assert len({a["AcctNum"] for a in accounts}) == len(accounts)


def test_sales_tax(blank: tuple[FakeTarget, BaseRefs]) -> None:
    target, refs = blank
    rates = {r["Name"]: r for r in target.rows("TaxRate")}
    assert len(rates) >= 3
    for rate in rates.values():
        assert rate["SpecialTaxType"] == "NONE"
        assert rate["DisplayType"] == "ReadOnly"
        assert rate["Active"] is True
        assert isinstance(rate["RateValue"], int | float)
    codes = {c["Name"]: c for c in target.rows("TaxCode")}
    combined = [c for c in codes.values() if len(c["SalesTaxRateList"]["TaxRateDetail"]) > 1]
    assert len(combined) >= 2
    for code in codes.values():
        assert code["PurchaseTaxRateList"] == {"TaxRateDetail": []}
        for detail in code["SalesTaxRateList"]["TaxRateDetail"]:
            assert detail["TaxTypeApplicable"] == "TaxOnAmount"
            assert detail["TaxOrder"] == 0
    out_of_state = codes["Out of state"]["SalesTaxRateList"]["TaxRateDetail"]
    assert [rates[d["TaxRateRef"]["name"]]["RateValue"] for d in out_of_state] == [0]
    assert base_preset.tax_code_rate("Roseville City") == pytest.approx(7.75)
    assert set(refs.tax_codes) == set(codes)


def test_payment_methods_and_terms(blank: tuple[FakeTarget, BaseRefs]) -> None:
    target, refs = blank
    methods = {m["Name"]: m["Type"] for m in target.rows("PaymentMethod")}
    assert methods == {
        "Cash": "NON_CREDIT_CARD",
        "Check": "NON_CREDIT_CARD",
        "Visa": "CREDIT_CARD",
        "MasterCard": "CREDIT_CARD",
        "American Express": "CREDIT_CARD",
        "Discover": "CREDIT_CARD",
        "Diners Club": "CREDIT_CARD",
        "ACH/Bank Transfer": "NON_CREDIT_CARD",
    }
    terms = {t["Name"]: (t["Type"], t["DueDays"]) for t in target.rows("Term")}
    assert terms == {
        "Due on receipt": ("STANDARD", 0),
        "Net 10": ("STANDARD", 10),
        "Net 15": ("STANDARD", 15),
        "Net 30": ("STANDARD", 30),
        "Net 60": ("STANDARD", 60),
    }
    assert refs.term("Net 30")["value"] == target.named("Term", "Net 30")["Id"]


def test_default_preferences() -> None:
    prefs = base_preset.default_preferences()
    assert set(prefs) == {
        "AccountingInfoPrefs",
        "ProductAndServicesPrefs",
        "SalesFormsPrefs",
        "EmailMessagesPrefs",
        "VendorAndPurchasesPrefs",
        "TimeTrackingPrefs",
        "TaxPrefs",
        "CurrencyPrefs",
        "ReportPrefs",
        "OtherPrefs",
    }
    accounting = prefs["AccountingInfoPrefs"]
    assert accounting["TrackDepartments"] is False
    assert accounting["DepartmentTerminology"] == "Location"
    assert accounting["ClassTrackingPerTxn"] is False
    assert accounting["ClassTrackingPerTxnLine"] is True
    assert accounting["CustomerTerminology"] == "Customers"
    assert "BookCloseDate" not in accounting
    assert all(prefs["ProductAndServicesPrefs"].values())
    sales = prefs["SalesFormsPrefs"]
    assert sales["CustomTxnNumbers"] is False
    for key in ("AllowDeposit", "AllowDiscount", "AllowEstimates", "AutoApplyCredit"):
        assert sales[key] is True
    assert sales["AutoApplyPayments"] is True
    assert prefs["TaxPrefs"] == {"UsingSalesTax": True, "PartnerTaxEnabled": True}
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": False,
        "HomeCurrency": {"value": "USD"},
    }
    assert prefs["VendorAndPurchasesPrefs"]["TrackingByCustomer"] is True
    pairs = {p["Name"]: p["Value"] for p in prefs["OtherPrefs"]["NameValue"]}
    assert pairs["SalesFormsPrefs.DefaultCustomerMessage"] == "Thank you for your business."
    assert pairs["WarnDuplicateCheckNumber"] == "true"
    assert pairs["WarnDuplicateBillNumber"] == "false"
    assert pairs["VendorAndPurchasesPrefs.UseCustomTxnNumbers"] == "false"
    assert pairs["DateFormat"] == "Month Date Year separated by a slash"
    assert all(isinstance(v, str) for v in pairs.values())
    named = base_preset.default_preferences("Summit Ridge Builders")
    assert "Summit Ridge Builders" in named["EmailMessagesPrefs"]["InvoiceMessage"]["Subject"]
    # A fresh object every time: callers may mutate it.
    assert base_preset.default_preferences() is not base_preset.default_preferences()


def test_default_company_info() -> None:
    start = datetime.date(2024, 3, 1)
    info = base_preset.default_company_info("Summit Ridge Builders", "9341452714563829", start)
    assert info["CompanyName"] == info["LegalName"] == "Summit Ridge Builders"
    for key in ("CompanyAddr", "CustomerCommunicationAddr", "LegalAddr"):
        assert set(info[key]) == {
            "Line1",
            "City",
            "CountrySubDivisionCode",
            "PostalCode",
            "Country",
        }
        assert info[key]["Country"] == "USA"
    assert info["CompanyAddr"] is not info["LegalAddr"]
    assert info["PrimaryPhone"]["FreeFormNumber"] == "(916) 555-0129"
    assert info["Email"]["Address"] == "office@summitridgebuilders.example.com"
    assert info["WebAddr"]["URI"].startswith("https://")
    assert info["Country"] == "US"
    assert info["FiscalYearStartMonth"] == "January"
    assert info["CompanyStartDate"] == "2024-03-01"
    assert info["SupportedLanguages"] == "en"
    assert info["DefaultTimeZone"] == "America/Los_Angeles"
    pairs = {p["Name"]: p["Value"] for p in info["NameValue"]}
    assert pairs == {
        "NeoEnabled": "true",
        "IndustryType": "Construction Trades",
        "SubscriptionStatus": "PAID",
        "OfferingSku": "QuickBooks Online Plus",
        "PayrollFeature": "false",
        "AccountantFeature": "false",
        "IsQbdtMigrated": "false",
    }


# --- demo -------------------------------------------------------------------------------------


def test_demo_customers_properties_and_jobs(demo: tuple[FakeTarget, BaseRefs, DemoSummary]) -> None:
    target, _, summary = demo
    customers = target.rows("Customer")
    levels = [c["Level"] for c in customers]
    assert 35 <= levels.count(0) <= 45
    assert 55 <= levels.count(1) <= 65
    assert levels.count(2) >= 3
    assert summary.top_level_customers == levels.count(0)
    assert summary.properties == levels.count(1)
    assert summary.level2_jobs == levels.count(2)
    tops = [c for c in customers if c["Level"] == 0]
    people = [c for c in tops if "CompanyName" not in c]
    companies = [c for c in tops if "CompanyName" in c]
    assert len(people) >= 20 and len(companies) >= 8
    assert all(c["GivenName"] and c["FamilyName"] for c in people)
    for customer in tops:
        assert "@" in customer["PrimaryEmailAddr"]["Address"]
        assert customer["PrimaryPhone"]["FreeFormNumber"]
        assert set(customer["BillAddr"]) >= {"Line1", "City", "CountrySubDivisionCode"}
    for sub in (c for c in customers if c["Level"] > 0):
        assert sub["Job"] is True and sub["BillWithParent"] is True
    for prop in (c for c in customers if c["Level"] == 1):
        assert prop["ShipAddr"]["Line1"] == prop["DisplayName"]
    assert summary.counts["Customer"] == len(customers)


def test_demo_vendors_employee_and_name_clashes(
    demo: tuple[FakeTarget, BaseRefs, DemoSummary],
) -> None:
    target, _, summary = demo
    vendors = target.rows("Vendor")
    assert 8 <= len(vendors) <= 14
    assert all(v["CompanyName"] and "@" in v["PrimaryEmailAddr"]["Address"] for v in vendors)
    assert len(target.rows("Employee")) == 1
    assert summary.name_clashes == DEMO_NAME_CLASHES
    assert target.named("Vendor", DEMO_NAME_CLASHES["vendor"])
    assert target.named("Employee", DEMO_NAME_CLASHES["employee"])
    customer_names = {c["DisplayName"].lower() for c in target.rows("Customer")}
    for name in DEMO_NAME_CLASHES.values():
        assert name.lower() not in customer_names
        # The app-side demo pushes a customer with exactly this name: QuickBooks refuses it.
        with pytest.raises(RuleError, match="6240"):
            target.create("Customer", {"DisplayName": name})


def test_demo_items(demo: tuple[FakeTarget, BaseRefs, DemoSummary]) -> None:
    target, refs, summary = demo
    items = {i["Name"]: i for i in target.rows("Item")}
    services = [i for i in items.values() if i["Type"] == "Service"]
    materials = [i for i in items.values() if i["Type"] == "NonInventory"]
    assert len(services) >= 6 and len(materials) >= 4
    for name in ("Labor", "Service Call", "Design Consultation", "Installation", "Inspection"):
        assert items[name]["IncomeAccountRef"]["value"] == refs.accounts["Services"]
    assert any(
        i.get("ExpenseAccountRef", {}).get("value") == refs.accounts["Subcontractors"]
        and i["PurchaseCost"] > 0
        for i in services
    )
    for item in materials:
        assert item["IncomeAccountRef"]["value"] == refs.accounts["Sales of Product Income"]
        assert item["ExpenseAccountRef"]["value"] == refs.accounts["Job Materials"]
        assert item["Sku"]
    for name in ("Drywall Sheet", "Lumber 2x4x8", "Paint - Gallon", "Electrical Wire (ft)"):
        assert items[name]["Type"] == "NonInventory"

    heater = target.get("Item", summary.inventory_item_id)
    assert heater["Name"] == "Water Heater 50 gal"
    assert heater["Type"] == "Inventory" and heater["TrackQtyOnHand"] is True
    assert heater["QtyOnHand"] == 12 and heater["Sku"] == "WH-50"
    start = datetime.date.fromisoformat(heater["InvStartDate"])
    assert 380 <= (TODAY - start).days <= 420
    assert heater["AssetAccountRef"]["value"] == refs.accounts["Inventory Asset"]
    assert heater["ExpenseAccountRef"]["value"] == refs.accounts["Cost of Goods Sold"]

    inactive = target.get("Item", summary.inactive_item_id)
    assert inactive["Active"] is False
    assert [i["Name"] for i in items.values() if not i["Active"]] == [inactive["Name"]]

    group = target.get("Item", summary.group_item_id)
    assert group["Name"] == "Bathroom Remodel Package" and group["Type"] == "Group"
    lines = group["ItemGroupDetail"]["ItemGroupLine"]
    assert len(lines) >= 3
    for line in lines:
        assert target.get("Item", line["ItemRef"]["value"])["Name"] == line["ItemRef"]["name"]
        assert line["Qty"] > 0


def test_demo_invoices(demo: tuple[FakeTarget, BaseRefs, DemoSummary]) -> None:
    target, refs, summary = demo
    invoices = sorted(target.rows("Invoice"), key=lambda i: int(i["DocNumber"]))
    assert [i["DocNumber"] for i in invoices] == [str(n) for n in range(1001, 1251)]
    assert (summary.first_invoice_number, summary.last_invoice_number) == ("1001", "1250")
    dates = [datetime.date.fromisoformat(i["TxnDate"]) for i in invoices]
    assert dates == sorted(dates)
    assert 260 <= (TODAY - dates[0]).days <= 280
    assert 1 <= (TODAY - dates[-1]).days <= 7
    # CustomTxnNumbers is switched on before the first invoice.
    first_invoice = target.events.index(("create", "Invoice"))
    assert target.events.index(("prefs", "SalesFormsPrefs")) < first_invoice
    assert target.preferences["SalesFormsPrefs"]["CustomTxnNumbers"] is True

    customers = {c["Id"]: c for c in target.rows("Customer")}
    levels = {customers[i["CustomerRef"]["value"]]["Level"] for i in invoices}
    assert levels == {0, 1, 2}
    for invoice, txn_date in zip(invoices, dates, strict=True):
        assert 1 <= len(invoice["Line"]) <= 4
        assert invoice["DueDate"] == (txn_date + datetime.timedelta(days=30)).isoformat()
        assert invoice["SalesTermRef"]["value"] == refs.terms["Net 30"]
        assert "@" in invoice["BillEmail"]["Address"]
        for line in invoice["Line"]:
            assert line["DetailType"] == "SalesItemLineDetail" and line["Description"]
            assert line["Amount"] == money(line["Amount"])
    taxed = [i for i in invoices if "TxnTaxDetail" in i]
    assert 0 < len(taxed) < len(invoices)
    assert any(i["TotalAmt"] > sum(line["Amount"] for line in i["Line"]) for i in taxed)
    assert len({i["TxnTaxDetail"]["TxnTaxCodeRef"]["name"] for i in taxed}) >= 3
    assert 0 < sum("CustomerMemo" in i for i in invoices) < len(invoices)
    heater_sales = [
        i
        for i in invoices
        for line in i["Line"]
        if line["SalesItemLineDetail"]["ItemRef"]["value"] == summary.inventory_item_id
    ]
    assert 1 <= len(heater_sales) <= 12


def test_demo_payments(demo: tuple[FakeTarget, BaseRefs, DemoSummary]) -> None:
    target, refs, summary = demo
    invoices = target.rows("Invoice")
    old = [i for i in invoices if (TODAY - datetime.date.fromisoformat(i["TxnDate"])).days > 45]
    paid = [i for i in old if i["Balance"] == 0]
    partial = [i for i in old if 0 < i["Balance"] < i["TotalAmt"]]
    assert 0.5 <= len(paid) / len(old) <= 0.7
    assert 0.05 <= len(partial) / len(old) <= 0.15
    assert summary.paid_invoices == sum(i["Balance"] == 0 for i in invoices)
    assert summary.partially_paid_invoices == sum(
        0 < i["Balance"] < i["TotalAmt"] for i in invoices
    )
    payments = target.rows("Payment")
    assert len(payments) == summary.paid_invoices + summary.partially_paid_invoices
    methods = {p["PaymentMethodRef"]["name"] for p in payments}
    assert {"Check", "Visa", "ACH/Bank Transfer"} <= methods
    for payment in payments:
        assert payment["DepositToAccountRef"]["value"] == refs.accounts["Undeposited Funds"]
        assert payment["PaymentRefNum"]


def test_demo_bills_purchases_and_purchase_order(
    demo: tuple[FakeTarget, BaseRefs, DemoSummary],
) -> None:
    target, refs, summary = demo
    bills = target.rows("Bill")
    assert 3 <= len(bills) <= 12
    for bill in bills:
        assert bill["DocNumber"] and bill["DueDate"] > bill["TxnDate"]
        for line in bill["Line"]:
            assert line["DetailType"] == "AccountBasedExpenseLineDetail"
    purchases = target.rows("Purchase")
    assert 2 <= len(purchases) <= 10
    for purchase in purchases:
        assert purchase["PaymentType"] == "CreditCard"
        assert purchase["AccountRef"]["value"] == refs.accounts["Mastercard"]
        assert purchase["EntityRef"]["type"] == "Vendor"
    (order,) = target.rows("PurchaseOrder")
    assert order["POStatus"] == "Open"
    assert order["APAccountRef"]["value"] == refs.accounts["Accounts Payable (A/P)"]
    (line,) = order["Line"]
    assert line["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] == summary.inventory_item_id
    assert summary.counts == {
        entity: len(target.rows(entity))
        for entity in (
            "Vendor",
            "Employee",
            "Customer",
            "Item",
            "Invoice",
            "Payment",
            "Bill",
            "Purchase",
            "PurchaseOrder",
        )
    }


def test_demo_closes_the_books_last(demo: tuple[FakeTarget, BaseRefs, DemoSummary]) -> None:
    target, _, summary = demo
    assert target.events[-1] == ("prefs", "AccountingInfoPrefs")
    assert summary.book_close_date == datetime.date(2026, 3, 31)
    assert target.preferences["AccountingInfoPrefs"]["BookCloseDate"] == "2026-03-31"
    # Closed books refuse back-dated work.
    with pytest.raises(RuleError, match="closed books"):
        target.create(
            "Bill",
            {
                "VendorRef": {"value": target.rows("Vendor")[0]["Id"]},
                "TxnDate": "2026-03-31",
                "Line": [],
            },
        )


@pytest.mark.parametrize(
    ("today", "close"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2025, 12, 31)),
        (datetime.date(2026, 3, 31), datetime.date(2025, 12, 31)),
        (datetime.date(2026, 4, 1), datetime.date(2026, 3, 31)),
        (datetime.date(2025, 8, 15), datetime.date(2025, 6, 30)),
        (datetime.date(2024, 11, 30), datetime.date(2024, 9, 30)),
    ],
)
def test_demo_on_other_days(today: datetime.date, close: datetime.date) -> None:
    # FakeTarget refuses anything dated after `today`, so a full run is the check.
    target, _, summary = seeded(today)
    assert demo_preset.previous_quarter_end(today) == close
    assert summary.book_close_date == close
    assert target.preferences["AccountingInfoPrefs"]["BookCloseDate"] == close.isoformat()
    assert len(target.rows("Invoice")) == 250
    assert summary.paid_invoices > 100


def test_demo_is_deterministic(demo: tuple[FakeTarget, BaseRefs, DemoSummary]) -> None:
    again, _, summary = seeded(TODAY)
    assert again.tables == demo[0].tables
    assert summary == demo[2]


def test_apply_preset() -> None:
    blank_target = FakeTarget(TODAY)
    assert apply_preset(blank_target, "blank") is None
    assert blank_target.rows("Account") and not blank_target.rows("Customer")
    demo_target = FakeTarget(TODAY)
    summary = apply_preset(demo_target, "demo")
    assert summary is not None and summary.counts["Invoice"] == 250
    with pytest.raises(ValueError, match="unknown preset"):
        apply_preset(FakeTarget(TODAY), "nope")


def test_fake_target_refuses_what_quickbooks_refuses() -> None:
    """The checks above only mean something if the fake actually enforces them."""
    target, _, summary = seeded(TODAY)  # a fresh company: this test writes to it
    invoice = next(i for i in target.rows("Invoice") if i["Balance"] > 0)
    vendor = target.rows("Vendor")[0]
    heater = target.get("Item", summary.inventory_item_id)
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    line = {
        "Amount": invoice["Balance"] + 1,
        "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
    }
    with pytest.raises(RuleError, match="exceeds balance"):
        target.create(
            "Payment",
            {
                "CustomerRef": invoice["CustomerRef"],
                "TotalAmt": line["Amount"],
                "TxnDate": yesterday,
                "Line": [line],
            },
        )
    with pytest.raises(RuleError, match="6240"):
        target.create("Customer", {"DisplayName": vendor["DisplayName"].upper()})
    with pytest.raises(RuleError, match="bad DisplayName"):
        target.create("Customer", {"DisplayName": "Parent:Child"})
    with pytest.raises(RuleError, match="future"):
        target.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "TxnDate": "2099-01-01"})
    before_start = datetime.date.fromisoformat(heater["InvStartDate"]) - datetime.timedelta(1)
    del target.preferences["AccountingInfoPrefs"]["BookCloseDate"]
    with pytest.raises(RuleError, match="InvStartDate"):
        target.create(
            "Invoice",
            {
                "DocNumber": "X-1",
                "TxnDate": before_start.isoformat(),
                "CustomerRef": invoice["CustomerRef"],
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": heater["Id"]}},
                    }
                ],
            },
        )
    with pytest.raises(RuleError, match="does not exist"):
        target.create("Item", {"Name": "Orphan", "IncomeAccountRef": {"value": "99999"}})
