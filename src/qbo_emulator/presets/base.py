"""What every new emulated company starts with, as a US QuickBooks Online Plus company would.

- a small-business chart of accounts, created through the Account rules;
- automated sales tax: California state, county and city rates combined into tax codes
  (stored read-only, as the API cannot create them);
- the usual payment methods and terms;
- the default Preferences and CompanyInfo objects.

`seed_base` returns a `BaseRefs` with the Ids it got back, so later presets can refer to
accounts, tax codes, payment methods and terms by name.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, NamedTuple

from qbo_emulator.presets import SeedTarget, ref

# --- chart of accounts --------------------------------------------------------------------


class AccountRow(NamedTuple):
    number: str
    name: str
    account_type: str
    sub_type: str
    description: str
    parent: str | None = None


# Parents come before their sub-accounts. Descriptions stay within the 100-character limit.
ACCOUNTS: tuple[AccountRow, ...] = (
    # Assets
    AccountRow("1000", "Checking", "Bank", "Checking", "Operating account"),
    AccountRow("1010", "Savings", "Bank", "Savings", "Tax and equipment reserve"),
    AccountRow("1020", "Petty Cash", "Bank", "CashOnHand", "Cash kept at the shop"),
    AccountRow(
        "1100",
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
        "Unpaid customer invoices",
    ),
    AccountRow(
        "1200",
        "Undeposited Funds",
        "Other Current Asset",
        "UndepositedFunds",
        "Payments received but not yet deposited",
    ),
    AccountRow(
        "1300", "Inventory Asset", "Other Current Asset", "Inventory", "Stock held for resale"
    ),
    AccountRow(
        "1350", "Prepaid Expenses", "Other Current Asset", "PrepaidExpenses", "Prepaid premiums"
    ),
    AccountRow(
        "1360",
        "Retainage Receivable",
        "Other Current Asset",
        "OtherCurrentAssets",
        "Amounts withheld by customers until job completion",
    ),
    AccountRow(
        "1390",
        "Uncategorized Asset",
        "Other Current Asset",
        "OtherCurrentAssets",
        "Assets not yet categorized",
    ),
    AccountRow("1500", "Trucks", "Fixed Asset", "Vehicles", "Work trucks and trailers"),
    AccountRow(
        "1510",
        "Machinery & Equipment",
        "Fixed Asset",
        "MachineryAndEquipment",
        "Compressors, generators, saws",
    ),
    AccountRow(
        "1520", "Furniture & Fixtures", "Fixed Asset", "FurnitureAndFixtures", "Office furniture"
    ),
    AccountRow(
        "1590",
        "Accumulated Depreciation",
        "Fixed Asset",
        "AccumulatedDepreciation",
        "Depreciation on fixed assets",
    ),
    AccountRow(
        "1800", "Security Deposits", "Other Asset", "SecurityDeposits", "Shop lease deposit"
    ),
    # Liabilities
    AccountRow(
        "2000",
        "Accounts Payable (A/P)",
        "Accounts Payable",
        "AccountsPayable",
        "Unpaid vendor bills",
    ),
    AccountRow("2100", "Mastercard", "Credit Card", "CreditCard", "Business Mastercard"),
    AccountRow(
        "2200",
        "Sales Tax Payable",
        "Other Current Liability",
        "SalesTaxPayable",
        "Sales tax collected, owed to the CDTFA",
    ),
    AccountRow(
        "2210",
        "Payroll Liabilities",
        "Other Current Liability",
        "PayrollTaxPayable",
        "Withholding and payroll taxes owed",
    ),
    AccountRow(
        "2220",
        "Customer Deposits",
        "Other Current Liability",
        "OtherCurrentLiabilities",
        "Deposits received before work starts",
    ),
    AccountRow(
        "2230", "Line of Credit", "Other Current Liability", "LineOfCredit", "Bank line of credit"
    ),
    AccountRow(
        "2500", "Truck Loan", "Long Term Liability", "NotesPayable", "Loan on the service truck"
    ),
    AccountRow(
        "2510",
        "Equipment Loan",
        "Long Term Liability",
        "OtherLongTermLiabilities",
        "Financing on the mini excavator",
    ),
    # Equity
    AccountRow(
        "3000",
        "Opening Balance Equity",
        "Equity",
        "OpeningBalanceEquity",
        "Offset for opening balances",
    ),
    AccountRow("3100", "Owner's Investment", "Equity", "OwnersEquity", "Money put in by the owner"),
    AccountRow("3200", "Owner's Draw", "Equity", "OwnersEquity", "Money taken out by the owner"),
    AccountRow(
        "3900", "Retained Earnings", "Equity", "RetainedEarnings", "Profit kept from prior years"
    ),
    # Income
    AccountRow("4000", "Services", "Income", "ServiceFeeIncome", "Labor and service income"),
    AccountRow(
        "4100",
        "Sales of Product Income",
        "Income",
        "SalesOfProductIncome",
        "Materials and equipment sold",
    ),
    AccountRow(
        "4200",
        "Billable Expense Income",
        "Income",
        "OtherPrimaryIncome",
        "Expenses billed back to customers",
    ),
    AccountRow(
        "4300", "Discounts Given", "Income", "DiscountsRefundsGiven", "Discounts on sales forms"
    ),
    AccountRow(
        "4900",
        "Uncategorized Income",
        "Income",
        "OtherPrimaryIncome",
        "Income not yet categorized",
    ),
    # Cost of goods sold
    AccountRow(
        "5000",
        "Cost of Goods Sold",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
        "Cost of inventory sold",
    ),
    AccountRow(
        "5100",
        "Job Materials",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
        "Materials bought for customer jobs",
    ),
    AccountRow(
        "5200",
        "Subcontractors",
        "Cost of Goods Sold",
        "CostOfLaborCos",
        "Subcontracted trades on customer jobs",
    ),
    AccountRow(
        "5300",
        "Equipment Rental",
        "Cost of Goods Sold",
        "EquipmentRentalCos",
        "Equipment and dumpsters rented for jobs",
    ),
    AccountRow(
        "5400",
        "Permits and Fees",
        "Cost of Goods Sold",
        "OtherCostsOfServiceCos",
        "Building permits and inspection fees",
    ),
    # Expenses
    AccountRow(
        "6000", "Advertising", "Expense", "AdvertisingPromotional", "Ads, listings and yard signs"
    ),
    AccountRow("6050", "Automobile", "Expense", "Auto", "Truck running costs"),
    AccountRow("6060", "Fuel", "Expense", "Auto", "Gasoline and diesel", "Automobile"),
    AccountRow(
        "6070", "Vehicle Repairs", "Expense", "Auto", "Truck service and repairs", "Automobile"
    ),
    AccountRow("6100", "Bank Charges", "Expense", "BankCharges", "Bank and card processing fees"),
    AccountRow(
        "6150",
        "Dues & Subscriptions",
        "Expense",
        "DuesSubscriptions",
        "Trade associations and software",
    ),
    AccountRow("6200", "Insurance", "Expense", "Insurance", "General liability insurance"),
    AccountRow(
        "6210",
        "Workers Compensation",
        "Expense",
        "Insurance",
        "Workers compensation premiums",
        "Insurance",
    ),
    AccountRow("6250", "Interest Expense", "Expense", "InterestPaid", "Interest on loans"),
    AccountRow(
        "6300",
        "Legal & Professional Fees",
        "Expense",
        "LegalProfessionalFees",
        "Accountant and attorney fees",
    ),
    AccountRow("6350", "Meals", "Expense", "EntertainmentMeals", "Business meals"),
    AccountRow(
        "6400",
        "Office Expenses",
        "Expense",
        "OfficeGeneralAdministrativeExpenses",
        "Office supplies and postage",
    ),
    AccountRow("6450", "Payroll Expenses", "Expense", "PayrollExpenses", "Wages and payroll taxes"),
    AccountRow("6500", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", "Shop and yard rent"),
    AccountRow(
        "6550",
        "Repairs & Maintenance",
        "Expense",
        "RepairMaintenance",
        "Shop and equipment upkeep",
    ),
    AccountRow("6600", "Shop Supplies", "Expense", "SuppliesMaterials", "Consumables for the shop"),
    AccountRow("6650", "Taxes & Licenses", "Expense", "TaxesPaid", "Contractor license, permits"),
    AccountRow(
        "6700",
        "Tools and Equipment",
        "Expense",
        "SuppliesMaterials",
        "Hand and power tools under the capitalization limit",
    ),
    AccountRow("6750", "Travel", "Expense", "Travel", "Lodging and travel for distant jobs"),
    AccountRow("6800", "Utilities", "Expense", "Utilities", "Shop utilities"),
    AccountRow(
        "6810", "Gas and Electric", "Expense", "Utilities", "Shop power and gas", "Utilities"
    ),
    AccountRow(
        "6820", "Telephone", "Expense", "Utilities", "Cell phones and internet", "Utilities"
    ),
    AccountRow("6900", "Bad Debts", "Expense", "BadDebts", "Invoices written off"),
    AccountRow(
        "6990",
        "Uncategorized Expense",
        "Expense",
        "OtherMiscellaneousServiceCost",
        "Expenses not yet categorized",
    ),
    # Other income and expense
    AccountRow("7000", "Interest Earned", "Other Income", "InterestEarned", "Bank interest"),
    AccountRow(
        "7100",
        "Miscellaneous Income",
        "Other Income",
        "OtherMiscellaneousIncome",
        "Scrap sales and rebates",
    ),
    AccountRow("8000", "Depreciation", "Other Expense", "Depreciation", "Depreciation expense"),
    AccountRow(
        "8100",
        "Penalties & Settlements",
        "Other Expense",
        "PenaltiesSettlements",
        "Late fees and fines",
    ),
)

# --- sales tax ----------------------------------------------------------------------------

# The company's one tax agency, created first (Id 1) so the rates can point at it.
TAX_AGENCY_ID = "1"
TAX_AGENCY_NAME = "California Department of Tax and Fee Administration"


class TaxRateRow(NamedTuple):
    name: str
    description: str
    rate: float  # percent


TAX_RATES: tuple[TaxRateRow, ...] = (
    TaxRateRow("California", "California state sales tax", 6.0),
    TaxRateRow("Placer County", "Placer County sales tax", 1.25),
    TaxRateRow("Sacramento County", "Sacramento County sales and district tax", 1.75),
    TaxRateRow("Roseville City", "Roseville city district tax", 0.5),
    TaxRateRow("Out of state", "Sales delivered outside California", 0.0),
)


class TaxCodeRow(NamedTuple):
    name: str
    description: str
    rates: tuple[str, ...]


TAX_CODES: tuple[TaxCodeRow, ...] = (
    TaxCodeRow("Placer County", "Placer County, CA (7.25%)", ("California", "Placer County")),
    TaxCodeRow(
        "Roseville City",
        "Roseville, CA (7.75%)",
        ("California", "Placer County", "Roseville City"),
    ),
    TaxCodeRow(
        "Sacramento County", "Sacramento County, CA (7.75%)", ("California", "Sacramento County")
    ),
    TaxCodeRow("Out of state", "Out of state sales (0%)", ("Out of state",)),
)

# --- payment methods and terms ------------------------------------------------------------

PAYMENT_METHODS: tuple[tuple[str, str], ...] = (
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
    ("Diners Club", "CREDIT_CARD"),
    ("ACH/Bank Transfer", "NON_CREDIT_CARD"),
)

TERMS: tuple[tuple[str, int], ...] = (
    ("Due on receipt", 0),
    ("Net 10", 10),
    ("Net 15", 15),
    ("Net 30", 30),
    ("Net 60", 60),
)


# --- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseRefs:
    """Ids of what `seed_base` created, by name."""

    accounts: dict[str, str]
    account_full_names: dict[str, str]
    tax_rates: dict[str, str]
    tax_codes: dict[str, str]
    payment_methods: dict[str, str]
    terms: dict[str, str]

    def account(self, name: str) -> dict[str, str]:
        return ref(self.accounts[name], self.account_full_names[name])

    def tax_code(self, name: str) -> dict[str, str]:
        return ref(self.tax_codes[name], name)

    def payment_method(self, name: str) -> dict[str, str]:
        return ref(self.payment_methods[name], name)

    def term(self, name: str) -> dict[str, str]:
        return ref(self.terms[name], name)


def seed_base(target: SeedTarget) -> BaseRefs:
    """Create the lists every company starts with; returns their Ids by name."""
    accounts, full_names = _seed_accounts(target)
    target.create("TaxAgency", {"DisplayName": TAX_AGENCY_NAME, "TaxTrackedOnSales": True})
    tax_rates = _seed_tax_rates(target)
    tax_codes = _seed_tax_codes(target, tax_rates)
    payment_methods = {
        name: target.create("PaymentMethod", {"Name": name, "Type": kind})["Id"]
        for name, kind in PAYMENT_METHODS
    }
    terms = {
        name: target.create("Term", {"Name": name, "Type": "STANDARD", "DueDays": days})["Id"]
        for name, days in TERMS
    }
    return BaseRefs(
        accounts=accounts,
        account_full_names=full_names,
        tax_rates=tax_rates,
        tax_codes=tax_codes,
        payment_methods=payment_methods,
        terms=terms,
    )


def _seed_accounts(target: SeedTarget) -> tuple[dict[str, str], dict[str, str]]:
    ids: dict[str, str] = {}
    full_names: dict[str, str] = {}
    for row in ACCOUNTS:
        payload: dict[str, Any] = {
            "Name": row.name,
            "AccountType": row.account_type,
            "AccountSubType": row.sub_type,
            "AcctNum": row.number,
            "Description": row.description,
        }
        full_name = row.name
        if row.parent is not None:
            payload["SubAccount"] = True
            payload["ParentRef"] = ref(ids[row.parent], full_names[row.parent])
            full_name = f"{full_names[row.parent]}:{row.name}"
        ids[row.name] = target.create("Account", payload)["Id"]
        full_names[row.name] = full_name
    return ids, full_names


def _seed_tax_rates(target: SeedTarget) -> dict[str, str]:
    ids: dict[str, str] = {}
    for row in TAX_RATES:
        stored = target.insert_readonly(
            "TaxRate",
            {
                "Name": row.name,
                "Description": row.description,
                "Active": True,
                "RateValue": row.rate,
                "AgencyRef": {"value": TAX_AGENCY_ID},
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
            },
        )
        ids[row.name] = stored["Id"]
    return ids


def _seed_tax_codes(target: SeedTarget, rate_ids: dict[str, str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for row in TAX_CODES:
        details = [
            {
                "TaxRateRef": ref(rate_ids[rate], rate),
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            }
            for rate in row.rates
        ]
        stored = target.insert_readonly(
            "TaxCode",
            {
                "Name": row.name,
                "Description": row.description,
                "Active": True,
                "Hidden": False,
                "Taxable": True,
                "TaxGroup": True,
                "SalesTaxRateList": {"TaxRateDetail": details},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            },
        )
        ids[row.name] = stored["Id"]
    return ids


def tax_code_rate(name: str) -> float:
    """The combined percentage of a tax code in `TAX_CODES`."""
    rates = {row.name: row.rate for row in TAX_RATES}
    code = next(row for row in TAX_CODES if row.name == name)
    return sum(rates[rate] for rate in code.rates)


# --- Preferences --------------------------------------------------------------------------


def _custom_fields(prefix: str, labels: tuple[str, ...]) -> list[dict[str, Any]]:
    """The two-part CustomField block QuickBooks uses: the on/off flags, then the labels."""
    use_prefix, name_prefix = {
        "SalesFormsPrefs": ("SalesFormsPrefs.UseSalesCustom", "SalesFormsPrefs.SalesCustomName"),
        "PurchasePrefs": ("PurchasePrefs.UsePurchaseCustom", "PurchasePrefs.PurchaseCustomName"),
    }[prefix]
    flags = [
        {"Name": f"{use_prefix}{n}", "Type": "BooleanType", "BooleanValue": n <= len(labels)}
        for n in (1, 2, 3)
    ]
    names = [
        {"Name": f"{name_prefix}{n}", "Type": "StringType", "StringValue": label}
        for n, label in enumerate(labels, start=1)
    ]
    return [{"CustomField": flags}, {"CustomField": names}]


def _email_message(subject: str, body: str) -> dict[str, str]:
    return {"Subject": subject, "Message": body}


def default_preferences(company_name: str | None = None) -> dict[str, Any]:
    """A full Preferences object as a new US QuickBooks Online Plus company has it.

    `company_name` only fills the default e-mail subjects and signatures.
    """
    sender = company_name or "us"
    signature = f"\n\nSincerely,\n{company_name}" if company_name else ""
    return {
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": True,
            "TaxYearMonth": "January",
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": True,
            "TrackDepartments": False,
            "DepartmentTerminology": "Location",
            "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomField": _custom_fields("SalesFormsPrefs", ("Crew #",)),
            "CustomTxnNumbers": False,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowEstimates": True,
            "AllowServiceDate": False,
            "AllowShipping": False,
            "AutoApplyCredit": True,
            "AutoApplyPayments": True,
            "UsingPriceLevels": False,
            "UsingProgressInvoicing": False,
            "PrintItemWithZeroAmount": False,
            "EmailCopyToCompany": False,
            "DefaultCustomerMessage": "Thank you for your business.",
            "ETransactionEnabledStatus": "NotApplicable",
            "ETransactionAttachPDF": False,
            "ETransactionPaymentEnabled": False,
            "IPNSupportEnabled": False,
        },
        "EmailMessagesPrefs": {
            "InvoiceMessage": _email_message(
                f"Invoice from {sender}",
                "Your invoice is attached. Please remit payment at your earliest "
                f"convenience.\nThank you for your business - we appreciate it.{signature}",
            ),
            "EstimateMessage": _email_message(
                f"Estimate from {sender}",
                "Please review the estimate below. Feel free to contact us if you have any "
                f"questions.\nWe look forward to working with you.{signature}",
            ),
            "SalesReceiptMessage": _email_message(
                f"Sales Receipt from {sender}",
                f"Your sales receipt is attached.\nThank you for your business.{signature}",
            ),
            "StatementMessage": _email_message(
                f"Statement from {sender}",
                "Your statement is attached. Please remit payment at your earliest "
                f"convenience.\nThank you for your business.{signature}",
            ),
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True,
            "BillableExpenseTracking": True,
            "POCustomField": _custom_fields("PurchasePrefs", ("Job site",)),
        },
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
        },
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {
                    "Name": "SalesFormsPrefs.DefaultCustomerMessage",
                    "Value": "Thank you for your business.",
                },
                {"Name": "SalesFormsPrefs.DefaultShippingAccount", "Value": "false"},
                {"Name": "VendorAndPurchasesPrefs.UseCustomTxnNumbers", "Value": "false"},
                {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
                {"Name": "WarnDuplicateBillNumber", "Value": "false"},
                {"Name": "WarnDuplicateJournalNumber", "Value": "false"},
                {"Name": "SignoutInactiveMinutes", "Value": "60"},
                {"Name": "DateFormat", "Value": "Month Date Year separated by a slash"},
                {"Name": "DateFormatMnemonic", "Value": "MMDDYYYY_SEP_SLASH"},
                {"Name": "NumberFormat", "Value": "US Number Format"},
                {"Name": "NumberFormatMnemonic", "Value": "US_NB"},
                {"Name": "Vendor1099Enabled", "Value": "true"},
                {"Name": "TimeTrackingFeatureEnabled", "Value": "true"},
                {"Name": "ProjectsEnabled", "Value": "false"},
            ]
        },
    }


# --- CompanyInfo --------------------------------------------------------------------------

COMPANY_ADDRESS: dict[str, str] = {
    "Line1": "2150 Foothills Blvd Ste 4",
    "City": "Roseville",
    "CountrySubDivisionCode": "CA",
    "PostalCode": "95747",
    "Country": "USA",
}


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum()) or "company"


def default_company_info(name: str, realm_id: str, start: datetime.date) -> dict[str, Any]:
    """A CompanyInfo object for a US company called `name`, started on `start`.

    The realm Id picks the last digits of the (fictional 555-01xx) phone number, so companies
    side by side are told apart.
    """
    digits = "".join(ch for ch in realm_id if ch.isdigit())
    suffix = int(digits[-2:]) if digits else 0
    slug = _slug(name)
    return {
        "CompanyName": name,
        "LegalName": name,
        "CompanyAddr": dict(COMPANY_ADDRESS),
        "CustomerCommunicationAddr": dict(COMPANY_ADDRESS),
        "LegalAddr": dict(COMPANY_ADDRESS),
        "PrimaryPhone": {"FreeFormNumber": f"(916) 555-01{suffix:02d}"},
        "Email": {"Address": f"office@{slug}.example.com"},
        "WebAddr": {"URI": f"https://www.{slug}.example.com"},
        "Country": "US",
        "FiscalYearStartMonth": "January",
        "CompanyStartDate": start.isoformat(),
        "SupportedLanguages": "en",
        "DefaultTimeZone": "America/Los_Angeles",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Construction Trades"},
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
        ],
    }


__all__ = [
    "ACCOUNTS",
    "PAYMENT_METHODS",
    "TAX_CODES",
    "TAX_RATES",
    "TERMS",
    "AccountRow",
    "BaseRefs",
    "default_company_info",
    "default_preferences",
    "seed_base",
    "tax_code_rate",
]
