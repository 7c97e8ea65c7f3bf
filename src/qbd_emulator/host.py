"""HostQuery, CompanyQuery and PreferencesQuery: what QuickBooks says about itself and the open
company file (product and qbXML versions, file mode, company name, the FileID data extension the
Web Connector stamps, the closing date)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from qbd_emulator import objects, schema
from qbd_emulator.model import Company

VERSIONS = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
)


def supported(company: Company) -> tuple[str, ...]:
    top = float(company.qbxml_version)
    return tuple(v for v in VERSIONS if float(v) <= top)


def host(parent: etree._Element, company: Company, *, single_user: bool = False) -> None:
    major, minor = [*company.product.rsplit(" ", 1)[-1].split("."), "0"][:2]
    tree: dict[str, Any] = {
        "ProductName": company.product,
        "MajorVersion": major,
        "MinorVersion": minor,
        "Country": "US",
        "SupportedQBXMLVersion": list(supported(company)),
        "IsAutomaticLogin": "false",
        "QBFileMode": "SingleUser" if single_user else "MultiUser",
    }
    objects.to_xml(parent, "HostRet", schema.ret("HostRet"), tree)


def company_ret(parent: etree._Element, company: Company, owners: list[str]) -> None:
    tree: dict[str, Any] = {
        "IsSampleCompany": "false",
        "CompanyName": company.name,
        "LegalCompanyName": company.name,
        "Address": {
            "Addr1": company.name,
            "City": "Mountain View",
            "State": "CA",
            "PostalCode": "94043",
            "Country": "US",
        },
        "FirstMonthFiscalYear": "January",
        "FirstMonthIncomeTaxYear": "January",
        "TaxForm": "Form1120",
    }
    ext = []
    for owner in owners:
        for name, value in company.data_ext.get(owner.upper(), {}).items():
            ext.append(
                {
                    "OwnerID": owner,
                    "DataExtName": name,
                    "DataExtType": "STR255TYPE",
                    "DataExtValue": value,
                }
            )
    if ext:
        tree["DataExtRet"] = ext
    objects.to_xml(parent, "CompanyRet", schema.ret("CompanyRet"), tree)


def preferences(parent: etree._Element, company: Company) -> None:
    accounting: dict[str, Any] = {
        "IsUsingAccountNumbers": "false",
        "IsRequiringAccounts": "true",
        "IsUsingClassTracking": "true" if company.lists.get("Class") else "false",
        "IsUsingAuditTrail": "true",
        "IsAssigningJournalEntryNumbers": "true",
    }
    if company.closing_date is not None:
        accounting["ClosingDate"] = company.closing_date.isoformat()
    tree: dict[str, Any] = {
        "AccountingPreferences": accounting,
        "FinanceChargePreferences": {
            "AnnualInterestRate": "0.00",
            "MinFinanceCharge": "0.00",
            "GracePeriod": "0",
            "IsAssessingForOverdueCharges": "false",
            "CalculateChargesFrom": "DueDate",
            "IsMarkedToBePrinted": "false",
        },
        "JobsAndEstimatesPreferences": {
            "IsUsingEstimates": "true",
            "IsUsingProgressInvoicing": "false",
            "IsPrintingItemsWithZeroAmounts": "false",
        },
        "PurchasesAndVendorsPreferences": {
            "IsUsingInventory": "true",
            "DaysBillsAreDue": "10",
            "IsAutomaticallyUsingDiscounts": "false",
        },
        "ReportsPreferences": {
            "AgingReportBasis": "AgeFromDueDate",
            "SummaryReportBasis": "Accrual",
        },
        "SalesAndCustomersPreferences": {
            "IsTrackingReimbursedExpensesAsIncome": "false",
            "IsAutoApplyingPayments": "false",
        },
        "SalesTaxPreferences": {
            "DefaultItemSalesTaxRef": {"FullName": "Sales Tax"},
            "PaySalesTax": "Monthly",
            "DefaultTaxableSalesTaxCodeRef": {"FullName": "Tax"},
            "DefaultNonTaxableSalesTaxCodeRef": {"FullName": "Non"},
        },
        "TimeTrackingPreferences": {"FirstDayOfWeek": "Monday"},
        "CurrentAppAccessRights": {
            "IsAutomaticLoginAllowed": "true",
            "AutomaticLoginUserName": "Admin",
            "IsPersonalDataAccessAllowed": "true",
        },
    }
    objects.to_xml(parent, "PreferencesRet", schema.ret("PreferencesRet"), tree)
