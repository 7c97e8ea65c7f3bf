"""What the emulator knows about each QuickBooks entity: kind, URL name, fields, limits, references.

The tables here drive generic behaviour (string limits, reference checks, query validation,
indexes); entity-specific business rules live in `qbo_emulator.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    NAME_LIST = "name_list"  # never deleted; made inactive
    TRANSACTION = "transaction"  # deleted for good
    SINGLETON = "singleton"  # Preferences, CompanyInfo
    READ_ONLY = "read_only"  # TaxCode, TaxRate, ExchangeRate (changed through their own calls)


@dataclass(frozen=True, slots=True)
class EntitySpec:
    name: str
    kind: Kind
    fields: frozenset[str]
    string_limits: Mapping[str, int] = field(default_factory=dict)
    refs: Mapping[str, str] = field(default_factory=dict)
    indexed: tuple[str, ...] = ()
    name_field: str | None = None
    voidable: bool = False
    cdc: bool = True
    webhooks: bool = True
    # The writes QuickBooks allows: "create", "update", "delete", "void".
    operations: frozenset[str] = frozenset()
    # The key of the entity in JSON answers, when it differs from the name (CreditCardPayment).
    json_name: str = ""
    # The entity's name in webhook notifications, when it differs (CompanyCurrency: Currency).
    webhook_name: str = ""

    @property
    def url_name(self) -> str:
        return self.name.lower()

    @property
    def key(self) -> str:
        """The entity's key in request and response bodies."""
        return self.json_name or self.name

    def allows(self, operation: str) -> bool:
        return operation in self.operations

    @property
    def is_name_list(self) -> bool:
        """A list whose queries return active rows only (TaxAgency has no `Active`)."""
        return self.kind in (Kind.NAME_LIST, Kind.READ_ONLY) and "Active" in self.fields


_COMMON = ("Id", "SyncToken", "MetaData", "domain", "sparse")
_PERSON_NAMES = (
    "Title",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Suffix",
    "DisplayName",
    "CompanyName",
    "PrintOnCheckName",
    "Active",
    "PrimaryPhone",
    "AlternatePhone",
    "Mobile",
    "Fax",
    "PrimaryEmailAddr",
    "WebAddr",
)
_PERSON_LIMITS = {
    "Title": 16,
    "Suffix": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "DisplayName": 500,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "PrimaryEmailAddr.Address": 100,
    "PrimaryPhone.FreeFormNumber": 30,
    "AlternatePhone.FreeFormNumber": 30,
    "Mobile.FreeFormNumber": 30,
    "Fax.FreeFormNumber": 30,
    "WebAddr.URI": 1000,
}
_ADDRESS_LIMITS = {
    f"{addr}.{part}": limit
    for addr in ("BillAddr", "ShipAddr", "PrimaryAddr")
    for part, limit in (
        ("Line1", 500),
        ("Line2", 500),
        ("Line3", 500),
        ("Line4", 500),
        ("Line5", 500),
        ("City", 255),
        ("CountrySubDivisionCode", 255),
        ("PostalCode", 30),
        ("Country", 255),
    )
}
_TXN_COMMON = (
    "DocNumber",
    "TxnDate",
    "PrivateNote",
    "Line",
    "TotalAmt",
    "CurrencyRef",
    "ExchangeRate",
    "LinkedTxn",
    "DepartmentRef",
    "TxnSource",
    "CustomField",
    "HomeTotalAmt",
)
_TXN_LIMITS = {"DocNumber": 21, "PrivateNote": 4000}
_SALES_FIELDS = (
    "CustomerRef",
    "BillAddr",
    "ShipAddr",
    "BillEmail",
    "BillEmailCc",
    "BillEmailBcc",
    "CustomerMemo",
    "SalesTermRef",
    "DueDate",
    "ShipDate",
    "TrackingNum",
    "TxnTaxDetail",
    "ClassRef",
    "Balance",
    "EmailStatus",
    "PrintStatus",
    "ApplyTaxAfterDiscount",
    "GlobalTaxCalculation",
    "DeliveryInfo",
    "ShipMethodRef",
    "AllowIPNPayment",
    "AllowOnlinePayment",
    "AllowOnlineCreditCardPayment",
    "AllowOnlineACHPayment",
    "Deposit",
    "DepositToAccountRef",
    "HomeBalance",
    "FreeFormAddress",
    "InvoiceLink",
    "TaxExemptionRef",
    "RecurDataRef",
)
_SALES_LIMITS = {
    **_TXN_LIMITS,
    **_ADDRESS_LIMITS,
    "CustomerMemo.value": 1000,
    "BillEmail.Address": 100,
    "BillEmailCc.Address": 200,
    "BillEmailBcc.Address": 200,
    "TrackingNum": 31,
}


_DEFAULT_OPERATIONS: dict[Kind, tuple[str, ...]] = {
    Kind.NAME_LIST: ("create", "update"),
    Kind.TRANSACTION: ("create", "update", "delete"),
    Kind.SINGLETON: ("update",),
    Kind.READ_ONLY: (),
}


def _spec(
    name: str,
    kind: Kind,
    fields: tuple[str, ...],
    *,
    limits: Mapping[str, int] | None = None,
    refs: Mapping[str, str] | None = None,
    indexed: tuple[str, ...] = (),
    name_field: str | None = None,
    voidable: bool = False,
    cdc: bool = True,
    webhooks: bool = True,
    operations: tuple[str, ...] | None = None,
    json_name: str = "",
    webhook_name: str = "",
) -> EntitySpec:
    if operations is None:
        operations = _DEFAULT_OPERATIONS[kind] + (("void",) if voidable else ())
    return EntitySpec(
        name=name,
        kind=kind,
        fields=frozenset((*_COMMON, *fields)),
        string_limits=dict(limits or {}),
        refs=dict(refs or {}),
        indexed=indexed,
        name_field=name_field,
        voidable=voidable,
        cdc=cdc,
        webhooks=webhooks,
        operations=frozenset(operations),
        json_name=json_name,
        webhook_name=webhook_name,
    )


SPECS: dict[str, EntitySpec] = {
    s.name: s
    for s in (
        _spec(
            "Customer",
            Kind.NAME_LIST,
            (
                *_PERSON_NAMES,
                "FullyQualifiedName",
                "Notes",
                "Job",
                "BillWithParent",
                "ParentRef",
                "Level",
                "BillAddr",
                "ShipAddr",
                "Balance",
                "BalanceWithJobs",
                "OpenBalanceDate",
                "Taxable",
                "DefaultTaxCodeRef",
                "SalesTermRef",
                "PaymentMethodRef",
                "PreferredDeliveryMethod",
                "ResaleNum",
                "CurrencyRef",
                "IsProject",
                "ARAccountRef",
                "PrimaryTaxIdentifier",
                "TaxExemptionReasonId",
                "CustomerTypeRef",
                "Source",
            ),
            limits={**_PERSON_LIMITS, **_ADDRESS_LIMITS, "Notes": 2000, "ResaleNum": 16},
            refs={
                "ParentRef": "Customer",
                "SalesTermRef": "Term",
                "PaymentMethodRef": "PaymentMethod",
                "DefaultTaxCodeRef": "TaxCode",
                "ARAccountRef": "Account",
            },
            indexed=(
                "DisplayName",
                "FullyQualifiedName",
                "PrimaryEmailAddr",
                "CompanyName",
                "GivenName",
                "FamilyName",
                "ParentRef",
            ),
            name_field="DisplayName",
        ),
        _spec(
            "Vendor",
            Kind.NAME_LIST,
            (
                *_PERSON_NAMES,
                "BillAddr",
                "OtherContactInfo",
                "TaxIdentifier",
                "TermRef",
                "Balance",
                "AcctNum",
                "Vendor1099",
                "CurrencyRef",
                "BillRate",
                "APAccountRef",
                "CostRate",
                "Source",
            ),
            limits={**_PERSON_LIMITS, **_ADDRESS_LIMITS, "PrintOnCheckName": 100, "AcctNum": 100},
            refs={"TermRef": "Term", "APAccountRef": "Account"},
            indexed=("DisplayName", "PrimaryEmailAddr", "CompanyName", "GivenName", "FamilyName"),
            name_field="DisplayName",
        ),
        _spec(
            "Employee",
            Kind.NAME_LIST,
            (
                *_PERSON_NAMES,
                "PrimaryAddr",
                "EmployeeNumber",
                "SSN",
                "BillableTime",
                "BillRate",
                "CostRate",
                "HiredDate",
                "ReleasedDate",
                "BirthDate",
                "Gender",
                "Organization",
            ),
            limits={
                **_PERSON_LIMITS,
                **_ADDRESS_LIMITS,
                "PrintOnCheckName": 100,
                "EmployeeNumber": 100,
            },
            indexed=("DisplayName", "PrimaryEmailAddr", "GivenName", "FamilyName"),
            name_field="DisplayName",
        ),
        _spec(
            "Item",
            Kind.NAME_LIST,
            (
                "Name",
                "Sku",
                "Description",
                "PurchaseDesc",
                "Active",
                "SubItem",
                "ParentRef",
                "Level",
                "FullyQualifiedName",
                "Type",
                "Taxable",
                "SalesTaxIncluded",
                "UnitPrice",
                "PurchaseCost",
                "IncomeAccountRef",
                "ExpenseAccountRef",
                "AssetAccountRef",
                "TrackQtyOnHand",
                "QtyOnHand",
                "InvStartDate",
                "ReorderPoint",
                "SalesTaxCodeRef",
                "PurchaseTaxCodeRef",
                "PrefVendorRef",
                "ClassRef",
                "ItemGroupDetail",
                "ItemCategoryType",
                "PurchaseTaxIncluded",
                "Source",
            ),
            limits={"Name": 100, "Sku": 100, "Description": 4000, "PurchaseDesc": 1000},
            refs={
                "ParentRef": "Item",
                "IncomeAccountRef": "Account",
                "ExpenseAccountRef": "Account",
                "AssetAccountRef": "Account",
                "PrefVendorRef": "Vendor",
                "ClassRef": "Class",
                "SalesTaxCodeRef": "TaxCode",
                "PurchaseTaxCodeRef": "TaxCode",
            },
            indexed=("Name", "FullyQualifiedName", "Sku", "Type", "ParentRef"),
            name_field="Name",
        ),
        _spec(
            "Account",
            Kind.NAME_LIST,
            (
                "Name",
                "SubAccount",
                "ParentRef",
                "FullyQualifiedName",
                "Description",
                "Active",
                "Classification",
                "AccountType",
                "AccountSubType",
                "AcctNum",
                "CurrentBalance",
                "CurrentBalanceWithSubAccounts",
                "CurrencyRef",
                "TaxCodeRef",
                "Level",
            ),
            limits={"Name": 100, "Description": 100, "AcctNum": 7, "FullyQualifiedName": 1000},
            refs={"ParentRef": "Account"},
            indexed=("Name", "FullyQualifiedName", "AccountType", "AcctNum", "ParentRef"),
            name_field="Name",
        ),
        _spec(
            "Class",
            Kind.NAME_LIST,
            ("Name", "SubClass", "ParentRef", "FullyQualifiedName", "Active", "Level"),
            limits={"Name": 100},
            refs={"ParentRef": "Class"},
            indexed=("Name", "FullyQualifiedName", "ParentRef"),
            name_field="Name",
        ),
        _spec(
            "Department",
            Kind.NAME_LIST,
            ("Name", "SubDepartment", "ParentRef", "FullyQualifiedName", "Active", "Level"),
            limits={"Name": 100},
            refs={"ParentRef": "Department"},
            indexed=("Name", "FullyQualifiedName", "ParentRef"),
            name_field="Name",
        ),
        _spec(
            "Term",
            Kind.NAME_LIST,
            (
                "Name",
                "Active",
                "Type",
                "DueDays",
                "DiscountPercent",
                "DiscountDays",
                "DayOfMonthDue",
                "DueNextMonthDays",
                "DiscountDayOfMonth",
            ),
            limits={"Name": 31},
            indexed=("Name",),
            name_field="Name",
        ),
        _spec(
            "PaymentMethod",
            Kind.NAME_LIST,
            ("Name", "Active", "Type"),
            limits={"Name": 31},
            indexed=("Name",),
            name_field="Name",
        ),
        _spec(
            "TaxCode",
            Kind.READ_ONLY,
            (
                "Name",
                "Description",
                "Active",
                "Taxable",
                "TaxGroup",
                "Hidden",
                "SalesTaxRateList",
                "PurchaseTaxRateList",
            ),
            indexed=("Name",),
            name_field="Name",
            cdc=False,
            webhooks=False,
        ),
        _spec(
            "TaxRate",
            Kind.READ_ONLY,
            (
                "Name",
                "Description",
                "Active",
                "RateValue",
                "AgencyRef",
                "SpecialTaxType",
                "DisplayType",
                "EffectiveTaxRate",
            ),
            indexed=("Name",),
            name_field="Name",
            cdc=False,
            webhooks=False,
        ),
        _spec(
            "TaxAgency",
            Kind.NAME_LIST,
            (
                "DisplayName",
                "TaxTrackedOnSales",
                "TaxTrackedOnPurchases",
                "TaxRegistrationNumber",
                "TaxAgencyConfig",
                "LastFileDate",
                "ReportingMethod",
            ),
            limits={"DisplayName": 100, "TaxRegistrationNumber": 30},
            indexed=("DisplayName",),
            name_field="DisplayName",
            cdc=False,  # "Not supported for: JournalCode, TaxAgency, ..." (CDC reference)
            operations=("create",),  # the TaxAgency reference documents create, read, query
        ),
        _spec(
            "Invoice",
            Kind.TRANSACTION,
            (*_TXN_COMMON, *_SALES_FIELDS),
            limits=_SALES_LIMITS,
            refs={
                "CustomerRef": "Customer",
                "SalesTermRef": "Term",
                "ClassRef": "Class",
                "DepositToAccountRef": "Account",
                "DepartmentRef": "Department",
            },
            indexed=("DocNumber", "CustomerRef"),
            voidable=True,
        ),
        _spec(
            "SalesReceipt",
            Kind.TRANSACTION,
            (*_TXN_COMMON, *_SALES_FIELDS, "PaymentMethodRef", "PaymentRefNum"),
            limits={**_SALES_LIMITS, "PaymentRefNum": 21},
            refs={
                "CustomerRef": "Customer",
                "ClassRef": "Class",
                "DepositToAccountRef": "Account",
                "PaymentMethodRef": "PaymentMethod",
                "DepartmentRef": "Department",
            },
            indexed=("DocNumber", "CustomerRef"),
            voidable=True,
        ),
        _spec(
            "CreditMemo",
            Kind.TRANSACTION,
            (*_TXN_COMMON, *_SALES_FIELDS, "RemainingCredit"),
            limits=_SALES_LIMITS,
            refs={
                "CustomerRef": "Customer",
                "ClassRef": "Class",
                "SalesTermRef": "Term",
                "DepartmentRef": "Department",
            },
            indexed=("DocNumber", "CustomerRef"),
            voidable=True,
        ),
        _spec(
            "Payment",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                "CustomerRef",
                "PaymentMethodRef",
                "PaymentRefNum",
                "DepositToAccountRef",
                "ARAccountRef",
                "UnappliedAmt",
                "ProcessPayment",
                "TxnStatus",
                "CreditCardPayment",
            ),
            limits={**_TXN_LIMITS, "PaymentRefNum": 21},
            refs={
                "CustomerRef": "Customer",
                "PaymentMethodRef": "PaymentMethod",
                "DepositToAccountRef": "Account",
                "ARAccountRef": "Account",
            },
            indexed=("CustomerRef", "PaymentRefNum"),
            voidable=True,
        ),
        _spec(
            "Purchase",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                "AccountRef",
                "PaymentType",
                "EntityRef",
                "Credit",
                "RemitToAddr",
                "PrintStatus",
                "PaymentMethodRef",
                "GlobalTaxCalculation",
                "TxnTaxDetail",
            ),
            limits=_TXN_LIMITS,
            refs={"AccountRef": "Account", "PaymentMethodRef": "PaymentMethod"},
            indexed=("DocNumber", "EntityRef"),
            voidable=True,
        ),
        _spec(
            "Bill",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                "VendorRef",
                "APAccountRef",
                "SalesTermRef",
                "DueDate",
                "Balance",
                "VendorAddr",
                "GlobalTaxCalculation",
                "TxnTaxDetail",
                "HomeBalance",
            ),
            limits=_TXN_LIMITS,
            refs={"VendorRef": "Vendor", "APAccountRef": "Account", "SalesTermRef": "Term"},
            indexed=("DocNumber", "VendorRef"),
        ),
        _spec(
            "BillPayment",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                "VendorRef",
                "PayType",
                "CheckPayment",
                "CreditCardPayment",
                "APAccountRef",
            ),
            limits=_TXN_LIMITS,
            refs={"VendorRef": "Vendor", "APAccountRef": "Account"},
            indexed=("DocNumber", "VendorRef"),
            voidable=True,
        ),
        _spec(
            "PurchaseOrder",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                "VendorRef",
                "APAccountRef",
                "POStatus",
                "Memo",
                "DueDate",
                "ShipAddr",
                "VendorAddr",
                "ShipMethodRef",
                "POEmail",
                "EmailStatus",
                "ClassRef",
                "SalesTermRef",
                "GlobalTaxCalculation",
                "TxnTaxDetail",
            ),
            limits={**_TXN_LIMITS, **_ADDRESS_LIMITS, "Memo": 4000},
            refs={
                "VendorRef": "Vendor",
                "APAccountRef": "Account",
                "ClassRef": "Class",
                "SalesTermRef": "Term",
            },
            indexed=("DocNumber", "VendorRef"),
        ),
        _spec(
            "Estimate",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                *_SALES_FIELDS,
                "ExpirationDate",
                "TxnStatus",
                "AcceptedBy",
                "AcceptedDate",
            ),
            limits={**_SALES_LIMITS, "AcceptedBy": 100},
            refs={
                "CustomerRef": "Customer",
                "SalesTermRef": "Term",
                "ClassRef": "Class",
                "DepartmentRef": "Department",
            },
            indexed=("DocNumber", "CustomerRef"),
        ),
        _spec(
            "RefundReceipt",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                *_SALES_FIELDS,
                "PaymentMethodRef",
                "PaymentRefNum",
                "PaymentType",
                "CheckPayment",
                "CreditCardPayment",
            ),
            limits={**_SALES_LIMITS, "PaymentRefNum": 21},
            refs={
                "CustomerRef": "Customer",
                "ClassRef": "Class",
                "PaymentMethodRef": "PaymentMethod",
                "DepartmentRef": "Department",
            },
            indexed=("DocNumber", "CustomerRef"),
            voidable=True,
        ),
        _spec(
            "Deposit",
            Kind.TRANSACTION,
            (
                *_TXN_COMMON,
                "DepositToAccountRef",
                "CashBack",
                "TxnTaxDetail",
                "GlobalTaxCalculation",
            ),
            limits={**_TXN_LIMITS, "CashBack.Memo": 4000},
            refs={"DepartmentRef": "Department"},
            indexed=("DocNumber", "DepositToAccountRef"),
        ),
        _spec(
            "Transfer",
            Kind.TRANSACTION,
            (
                "TxnDate",
                "PrivateNote",
                "FromAccountRef",
                "ToAccountRef",
                "Amount",
                "CurrencyRef",
                "ExchangeRate",
                "TransactionLocationType",
                "RecurDataRef",
            ),
            limits={"PrivateNote": 4000},
            indexed=("FromAccountRef", "ToAccountRef"),
            voidable=True,
        ),
        _spec(
            "CreditCardPayment",
            Kind.TRANSACTION,
            (
                "TxnDate",
                "PrivateNote",
                "Memo",
                "CreditCardAccountRef",
                "BankAccountRef",
                "Amount",
                "VendorRef",
                "PrintStatus",
                "CheckNum",
                "CurrencyRef",
            ),
            limits={"PrivateNote": 4000, "Memo": 4000, "CheckNum": 21},
            refs={"VendorRef": "Vendor"},
            indexed=("CreditCardAccountRef", "BankAccountRef"),
            webhooks=False,
            json_name="CreditCardPaymentTxn",
        ),
        _spec(
            "TimeActivity",
            Kind.TRANSACTION,
            (
                "TxnDate",
                "NameOf",
                "EmployeeRef",
                "VendorRef",
                "CustomerRef",
                "ItemRef",
                "ClassRef",
                "DepartmentRef",
                "PayrollItemRef",
                "BillableStatus",
                "Taxable",
                "HourlyRate",
                "CostRate",
                "Hours",
                "Minutes",
                "BreakHours",
                "BreakMinutes",
                "StartTime",
                "EndTime",
                "Description",
                "TimeZone",
                "ProjectRef",
                "TransactionLocationType",
            ),
            limits={"Description": 4000},
            refs={
                "CustomerRef": "Customer",
                "ItemRef": "Item",
                "ClassRef": "Class",
                "DepartmentRef": "Department",
            },
            indexed=("EmployeeRef", "VendorRef", "CustomerRef"),
            cdc=False,  # "Not supported for: JournalCode, TaxAgency, TimeActivity, ..." (CDC)
        ),
        _spec(
            "Attachable",
            Kind.TRANSACTION,
            (
                "FileName",
                "Note",
                "Category",
                "ContentType",
                "PlaceName",
                "AttachableRef",
                "Long",
                "Lat",
                "Tag",
                "FileAccessUri",
                "Size",
                "ThumbnailFileAccessUri",
                "TempDownloadUri",
                "ThumbnailTempDownloadUri",
            ),
            limits={"FileName": 1000, "Note": 2000, "Tag": 100, "PlaceName": 100},
            indexed=("FileName",),
            webhooks=False,  # not in Intuit's list of webhook entities
        ),
        _spec(
            "CompanyCurrency",
            Kind.NAME_LIST,
            ("Code", "Name", "Active", "CustomField"),
            indexed=("Code",),
            name_field="Code",
            webhook_name="Currency",  # Intuit's webhook list names it Currency
        ),
        _spec(
            "ExchangeRate",
            Kind.READ_ONLY,
            ("SourceCurrencyCode", "TargetCurrencyCode", "Rate", "AsOfDate", "CustomField"),
            indexed=("SourceCurrencyCode", "AsOfDate"),
            cdc=False,
            webhooks=False,
            operations=("update",),  # POST /exchangerate, by currency and date (no Id)
        ),
        _spec(
            "RecurringTransaction",
            Kind.TRANSACTION,
            (
                "Bill",
                "Purchase",
                "CreditMemo",
                "Deposit",
                "Estimate",
                "Invoice",
                "JournalEntry",
                "RefundReceipt",
                "SalesReceipt",
                "Transfer",
                "VendorCredit",
                "PurchaseOrder",
            ),
            cdc=False,
            webhooks=False,
        ),
        _spec(
            "Preferences",
            Kind.SINGLETON,
            (
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
            ),
            cdc=True,
        ),
        _spec(
            "CompanyInfo",
            Kind.SINGLETON,
            (
                "CompanyName",
                "LegalName",
                "CompanyAddr",
                "CustomerCommunicationAddr",
                "LegalAddr",
                "PrimaryPhone",
                "Email",
                "WebAddr",
                "Country",
                "FiscalYearStartMonth",
                "CompanyStartDate",
                "SupportedLanguages",
                "DefaultTimeZone",
                "NameValue",
            ),
            limits={"CompanyName": 1024, "LegalName": 1024},
            webhooks=False,
        ),
    )
}

BY_URL_NAME: dict[str, EntitySpec] = {s.url_name: s for s in SPECS.values()}
# Batch items and CDC name an entity by its JSON key too (CreditCardPaymentTxn).
BY_URL_NAME.update({s.json_name.lower(): s for s in SPECS.values() if s.json_name})

# Customer, Vendor and Employee share one display-name space in QuickBooks Online.
PERSON_ENTITIES = frozenset({"Customer", "Vendor", "Employee"})
SALES_FORMS = frozenset({"Invoice", "SalesReceipt", "CreditMemo", "Estimate", "RefundReceipt"})
VENDOR_DOC_ENTITIES = frozenset({"Bill", "Purchase"})
HIERARCHICAL = {"Customer": "Job", "Item": "SubItem", "Account": "SubAccount", "Class": "SubClass"}
HIERARCHICAL["Department"] = "SubDepartment"


def resolve(name: str) -> EntitySpec | None:
    """Entity by URL segment or name, case-insensitively."""
    return BY_URL_NAME.get(name.lower())
