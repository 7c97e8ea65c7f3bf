"""Rules for transactions: invoices, sales receipts, credit memos, payments, purchases, bills,
bill payments and purchase orders.

Covers document numbers (6140, QuickBooks-assigned numbers), closed books (6210), payments applied
to documents (6000 for a missing amount or an overpayment), deposited payments (6540) and the
totals QuickBooks computes from lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.model.specs import SALES_FORMS
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.invoice_links import online_payments_enabled
from qbo_emulator.rules.lines import ZERO, expense_lines, sales_lines, tax_detail
from qbo_emulator.rules.names import USD, _email
from qbo_emulator.rules.values import (
    blank,
    boolean,
    iso_date,
    money,
    optional_decimal,
    ref_id,
    ref_to,
    resolve_ref,
    txn_date,
)

AUTO_GENERATE = "AUTO_GENERATE"


# --- shared checks ------------------------------------------------------------------------


def check_open_period(ctx: Ctx, *dates: str | None) -> None:
    """6210 when any date is on or before the company's books closing date."""
    close = ctx.pref("AccountingInfoPrefs", "BookCloseDate")
    if not close:
        return
    if any(d and d <= str(close)[:10] for d in dates):
        raise faults.account_period_closed()


def check_not_deposited(ctx: Ctx, entity: str, entity_id: str) -> None:
    if entity_id in ctx.company.table(entity).deposited:
        raise faults.deposited()


def numeric(doc_number: str) -> int | None:
    return int(doc_number) if doc_number.isdigit() and len(doc_number) <= 18 else None


def _next_number(ctx: Ctx, entity: str) -> str:
    return str(ctx.company.doc_counters.get(entity, 1000) + 1)


def _custom_numbers(ctx: Ctx, entity: str) -> bool:
    if entity in SALES_FORMS:
        return bool(ctx.pref("SalesFormsPrefs", "CustomTxnNumbers", False))
    return (ctx.other_pref("VendorAndPurchasesPrefs.UseCustomTxnNumbers") or "false") == "true"


def doc_number(
    ctx: Ctx,
    entity: str,
    obj: Row,
    *,
    auto: bool,
    unique: bool,
    vendor_id: str | None = None,
    existing: Row | None = None,
) -> None:
    """DocNumber: assigned by QuickBooks, or checked for duplicates (6140).

    `auto`: QuickBooks numbers the document when the company does not use custom numbers.
    `unique`: duplicates are refused among the entity's documents (or one vendor's, if given).
    """
    value = obj.get("DocNumber")
    text = "" if blank(value) else str(value).strip()
    if not text and existing is not None and existing.get("DocNumber"):
        # A full update that leaves the number out keeps the number QuickBooks assigned.
        text = str(existing["DocNumber"])
    if text == AUTO_GENERATE or (not text and auto and not _custom_numbers(ctx, entity)):
        text = _next_number(ctx, entity)
    if not text:
        obj.pop("DocNumber", None)
        return
    if len(text) > 21:
        raise faults.string_length("DocNumber", 21, len(text))
    obj["DocNumber"] = text
    if not unique:
        return
    for other in ctx.company.table(entity).lookup("DocNumber", (text,)) or []:
        if other["Id"] == obj.get("Id"):
            continue
        if vendor_id is not None and _vendor_of(other) != vendor_id:
            continue
        raise faults.duplicate_doc_number(text, entity, other["Id"])


def _vendor_of(row: Row) -> str | None:
    ref = row.get("VendorRef") or row.get("EntityRef")
    return str(ref.get("value")) if isinstance(ref, dict) else None


def _due_date(ctx: Ctx, obj: Row, when: str) -> None:
    if not blank(obj.get("DueDate")):
        obj["DueDate"] = iso_date(obj["DueDate"], "DueDate")
        return
    days = 0
    term_ref = obj.get("SalesTermRef")
    if isinstance(term_ref, dict) and term_ref.get("value"):
        term = ctx.company.table("Term").get(str(term_ref["value"]))
        if term is not None:
            days = int(term.get("DueDays", 0) or 0)
    obj["DueDate"] = (date.fromisoformat(when) + timedelta(days=days)).isoformat()


def _account_named(ctx: Ctx, sub_type: str) -> dict[str, str] | None:
    for row in ctx.company.table("Account"):
        if row.get("AccountSubType") == sub_type and row.get("Active", True):
            return ref_to(row, "Name")
    return None


def _required_party(ctx: Ctx, obj: Row, key: str, entity: str) -> Row:
    """The customer or vendor a transaction is for: required (2020), live (2500/610)."""
    if blank(obj.get(key)):
        raise faults.required_param(key)
    row = resolve_ref(ctx, entity, obj[key], key)
    obj[key] = ref_to(row)
    return row


def _default_account(ctx: Ctx, obj: Row, key: str, sub_type: str) -> None:
    """Fill an account reference QuickBooks defaults (A/R, A/P, Undeposited Funds)."""
    if blank(obj.get(key)):
        account = _account_named(ctx, sub_type)
        if account:
            obj[key] = account


def _applied_to(ctx: Ctx, entity: str, entity_id: str | None) -> Decimal:
    if entity_id is None:
        return ZERO
    return sum(ctx.company.applied.get(f"{entity}:{entity_id}", {}).values(), ZERO)


def _linked(ctx: Ctx, entity: str, entity_id: str | None) -> list[dict[str, str]]:
    if entity_id is None:
        return []
    links = ctx.company.applied.get(f"{entity}:{entity_id}", {})
    result = []
    for key in links:
        txn_type, _, txn_id = key.partition(":")
        result.append({"TxnId": txn_id, "TxnType": txn_type})
    return result


def _existing_date(existing: Row | None) -> str | None:
    return str(existing["TxnDate"]) if existing and existing.get("TxnDate") else None


# --- sales forms ----------------------------------------------------------------------------


ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected")


def _prepare_sales(ctx: Ctx, entity: str, obj: Row, existing: Row | None) -> Row:
    if entity == "RefundReceipt":  # a refund may be to no one in particular
        customer = _optional_party(ctx, obj, "CustomerRef", "Customer")
    else:
        customer = _required_party(ctx, obj, "CustomerRef", "Customer")
    when = txn_date(ctx, obj)
    check_open_period(ctx, when, _existing_date(existing))
    totals = sales_lines(ctx, obj, existing, when)
    tax = tax_detail(ctx, obj, totals.taxable)
    total = money(totals.subtotal - totals.discount + tax)
    obj["TotalAmt"] = total
    obj["HomeTotalAmt"] = total
    doc_number(ctx, entity, obj, auto=True, unique=_custom_numbers(ctx, entity), existing=existing)
    _email(obj, "BillEmail")
    if "BillEmail" not in obj and customer.get("PrimaryEmailAddr"):
        obj["BillEmail"] = dict(customer["PrimaryEmailAddr"])
    for addr in ("BillAddr", "ShipAddr"):
        if blank(obj.get(addr)) and customer.get(addr):
            obj[addr] = dict(customer[addr])
    memo = obj.get("CustomerMemo")
    if not blank(memo):
        obj["CustomerMemo"] = {"value": str(memo.get("value") if isinstance(memo, dict) else memo)}
    obj.setdefault("CurrencyRef", USD)
    obj["EmailStatus"] = obj.get("EmailStatus") or "NotSet"
    obj["PrintStatus"] = obj.get("PrintStatus") or "NotSet"
    obj["ApplyTaxAfterDiscount"] = False
    applied = _applied_to(ctx, entity, obj.get("Id"))
    if entity in ("Invoice", "CreditMemo") and total < applied:
        raise faults.business_validation(
            f"The total of this {entity.lower()} ({total}) can't be less than the payments "
            f"already applied to it ({applied}).",
            "TotalAmt",
        )
    obj["LinkedTxn"] = _linked(ctx, entity, obj.get("Id"))
    if entity == "Invoice":
        _due_date(ctx, obj, when)
        obj["Balance"] = money(total - applied)
        obj["HomeBalance"] = obj["Balance"]
        obj.setdefault("AllowIPNPayment", False)
        obj.setdefault("AllowOnlinePayment", False)
        # "True by default if the company allows invoices to be paid" online (Invoice reference)
        online = online_payments_enabled(ctx.company)
        obj.setdefault("AllowOnlineCreditCardPayment", online)
        obj.setdefault("AllowOnlineACHPayment", online)
    elif entity == "CreditMemo":
        obj["Balance"] = money(total - applied)
        obj["RemainingCredit"] = obj["Balance"]
    elif entity == "Estimate":
        _estimate(obj)
    elif entity == "RefundReceipt":
        obj["Balance"] = ZERO
        _refund_account(ctx, obj)
    else:  # SalesReceipt: paid on the spot
        obj["Balance"] = ZERO
        if blank(obj.get("DepositToAccountRef")):
            undeposited = _account_named(ctx, "UndepositedFunds")
            if undeposited:
                obj["DepositToAccountRef"] = undeposited
    return obj


def _optional_party(ctx: Ctx, obj: Row, key: str, entity: str) -> Row:
    ref = obj.get(key)
    if blank(ref) or (isinstance(ref, dict) and blank(ref.get("value"))):
        obj.pop(key, None)
        return {}
    return _required_party(ctx, obj, key, entity)


def _estimate(obj: Row) -> None:
    """TxnStatus (Pending by default), ExpirationDate and AcceptedDate; an estimate has no
    balance: it is no sale until it becomes an invoice."""
    status = obj.get("TxnStatus") or "Pending"
    if status not in ESTIMATE_STATUSES:
        raise faults.invalid_enumeration("TxnStatus", str(status))
    obj["TxnStatus"] = status
    for key in ("ExpirationDate", "AcceptedDate"):
        if not blank(obj.get(key)):
            obj[key] = iso_date(obj[key], key)
    for key in ("Balance", "HomeBalance", "DepositToAccountRef"):
        obj.pop(key, None)


def _refund_account(ctx: Ctx, obj: Row) -> None:
    """RefundReceipt.DepositToAccountRef: required, a Bank or Other Current Asset account (the
    account the money is refunded from)."""
    if blank(obj.get("DepositToAccountRef")):
        raise faults.required_param("DepositToAccountRef")
    account = resolve_ref(ctx, "Account", obj["DepositToAccountRef"], "DepositToAccountRef")
    if account.get("AccountType") not in ("Bank", "Other Current Asset"):
        raise faults.business_validation(
            "A refund is paid from a Bank or Other Current Asset account; "
            f"{account.get('Name')} is a {account.get('AccountType')} account.",
            "DepositToAccountRef",
        )
    obj["DepositToAccountRef"] = ref_to(account, "Name")


def prepare_estimate(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    return _prepare_sales(ctx, "Estimate", obj, existing)


def prepare_refund_receipt(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    return _prepare_sales(ctx, "RefundReceipt", obj, existing)


def prepare_invoice(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    return _prepare_sales(ctx, "Invoice", obj, existing)


def prepare_sales_receipt(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    return _prepare_sales(ctx, "SalesReceipt", obj, existing)


def prepare_credit_memo(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    return _prepare_sales(ctx, "CreditMemo", obj, existing)


# --- payments -------------------------------------------------------------------------------


def _application_lines(
    ctx: Ctx,
    obj: Row,
    own_key: str,
    party_key: str,
    party_id: str,
    allowed: tuple[str, ...],
) -> tuple[Decimal, Decimal]:
    """Validate the lines that apply a payment to documents; returns (applied, credits used)."""
    lines = obj.get("Line") or []
    if not isinstance(lines, list):
        raise faults.invalid_value("Line", "Line must be a list")
    applied = ZERO
    credits = ZERO
    out = []
    for line in lines:
        amount = optional_decimal(line, "Amount", "Line.Amount")
        if amount is None:
            raise faults.required_param("Amount", "Line.Amount")
        amount = money(amount)
        if amount < 0:
            raise faults.invalid_value(
                "Line.Amount", "NegativeAmount : amount must not be negative", "2290"
            )
        links = line.get("LinkedTxn") or []
        if isinstance(links, dict):
            links = [links]
        if not links:
            raise faults.required_param("LinkedTxn", "Line.LinkedTxn")
        link = links[0]
        txn_type = str(link.get("TxnType") or "")
        if txn_type not in allowed:
            raise faults.invalid_enumeration("Line.LinkedTxn.TxnType", txn_type or "(empty)")
        txn_id = str(link.get("TxnId") or "").strip()
        if not txn_id:
            raise faults.required_param("TxnId", "Line.LinkedTxn.TxnId")
        table = ctx.company.table(txn_type)
        document = table.get(txn_id)
        if document is None:
            if txn_id in table.deleted:
                raise faults.transaction_deleted()
            raise faults.invalid_reference("Line.LinkedTxn.TxnId", txn_id)
        if ref_id(document.get(party_key), party_key) != party_id:
            raise faults.business_validation(
                f"{txn_type} {txn_id} belongs to another {party_key[:-3].lower()}; a payment can "
                "only be applied to that party's own transactions.",
                "Line.LinkedTxn",
            )
        already = ctx.company.applied.get(f"{txn_type}:{txn_id}", {}).get(own_key, ZERO)
        open_amount = money(Decimal(document.get("Balance", ZERO)) + already)
        if amount > open_amount:
            raise faults.business_validation(
                f"The amount applied to {txn_type} {txn_id} ({amount}) is more than its open "
                f"balance ({open_amount}).",
                "Line.Amount",
            )
        if txn_type == "CreditMemo":
            credits += amount
        else:
            applied += amount
        out.append({"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]})
    obj["Line"] = out
    return applied, credits


def _total_amount(obj: Row) -> Decimal:
    total = optional_decimal(obj, "TotalAmt")
    if total is None:
        raise faults.business_validation("You must set a transaction amount.", "TotalAmt")
    if total < 0:
        raise faults.invalid_value(
            "TotalAmt", "NegativeAmount : TotalAmt must not be negative", "2290"
        )
    return money(total)


def prepare_payment(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    customer = _required_party(ctx, obj, "CustomerRef", "Customer")
    total = _total_amount(obj)
    obj["TotalAmt"] = total
    when = txn_date(ctx, obj)
    check_open_period(ctx, when, _existing_date(existing))
    own_key = f"Payment:{obj.get('Id', '')}"
    applied, credits = _application_lines(
        ctx, obj, own_key, "CustomerRef", customer["Id"], ("Invoice", "CreditMemo")
    )
    if applied - credits > total:
        raise faults.business_validation(
            f"The amount applied to invoices ({applied - credits}) is more than the payment "
            f"amount ({total}).",
            "TotalAmt",
        )
    obj["UnappliedAmt"] = money(total - (applied - credits))
    _default_account(ctx, obj, "DepositToAccountRef", "UndepositedFunds")
    _default_account(ctx, obj, "ARAccountRef", "AccountsReceivable")
    obj["ProcessPayment"] = False
    obj.setdefault("CurrencyRef", USD)
    return obj


def prepare_bill_payment(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    vendor = _required_party(ctx, obj, "VendorRef", "Vendor")
    pay_type = obj.get("PayType")
    if blank(pay_type):
        raise faults.required_param("PayType")
    if pay_type not in ("Check", "CreditCard"):
        raise faults.invalid_enumeration("PayType", str(pay_type))
    if pay_type == "Check":
        section, key = "CheckPayment", "BankAccountRef"
    else:
        section, key = "CreditCardPayment", "CCAccountRef"
    payment = dict(obj.get(section) or {})
    if blank(payment.get(key)):
        raise faults.required_param(key, f"{section}.{key}")
    account = resolve_ref(ctx, "Account", payment[key], f"{section}.{key}")
    payment[key] = ref_to(account, "Name")
    obj[section] = payment
    total = _total_amount(obj)
    obj["TotalAmt"] = total
    when = txn_date(ctx, obj)
    check_open_period(ctx, when, _existing_date(existing))
    own_key = f"BillPayment:{obj.get('Id', '')}"
    applied, _ = _application_lines(ctx, obj, own_key, "VendorRef", vendor["Id"], ("Bill",))
    if applied > total:
        raise faults.business_validation(
            f"The amount applied to bills ({applied}) is more than the payment amount ({total}).",
            "TotalAmt",
        )
    doc_number(ctx, "BillPayment", obj, auto=False, unique=False)
    obj.setdefault("CurrencyRef", USD)
    return obj


# --- vendor documents -------------------------------------------------------------------------


def prepare_purchase(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    payment_type = obj.get("PaymentType")
    if blank(payment_type):
        raise faults.required_param("PaymentType")
    if payment_type not in ("Cash", "Check", "CreditCard"):
        raise faults.invalid_enumeration("PaymentType", str(payment_type))
    if blank(obj.get("AccountRef")):
        raise faults.required_param("AccountRef")
    account = resolve_ref(ctx, "Account", obj["AccountRef"], "AccountRef")
    expected = "Credit Card" if payment_type == "CreditCard" else "Bank"
    if account.get("AccountType") != expected:
        raise faults.business_validation(
            f"A {payment_type} purchase must be paid from a {expected} account; "
            f"{account.get('Name')} is a {account.get('AccountType')} account.",
            "AccountRef",
        )
    obj["AccountRef"] = ref_to(account, "Name")
    vendor_id = _entity_ref(ctx, obj)
    obj["Credit"] = False if blank(obj.get("Credit")) else boolean(obj["Credit"], "Credit")
    if obj["Credit"] and payment_type != "CreditCard":
        raise faults.business_validation("Only credit card purchases can be credits.", "Credit")
    when = txn_date(ctx, obj)
    check_open_period(ctx, when, _existing_date(existing))
    obj["TotalAmt"] = money(expense_lines(ctx, obj, existing, when))
    doc_number(
        ctx,
        "Purchase",
        obj,
        auto=False,
        unique=vendor_id is not None and "allowduplicatedocnum" not in ctx.include,
        vendor_id=vendor_id,
    )
    obj.setdefault("CurrencyRef", USD)
    return obj


def _entity_ref(ctx: Ctx, obj: Row) -> str | None:
    """Purchase.EntityRef names a vendor, customer or employee; returns the vendor id, if any."""
    ref = obj.get("EntityRef")
    if blank(ref) or (isinstance(ref, dict) and blank(ref.get("value"))):
        obj.pop("EntityRef", None)
        return None
    kind = str(ref.get("type") or "Vendor") if isinstance(ref, dict) else "Vendor"
    if kind not in ("Vendor", "Customer", "Employee"):
        raise faults.invalid_enumeration("EntityRef.type", kind)
    row = resolve_ref(ctx, kind, ref, "EntityRef")
    obj["EntityRef"] = {**ref_to(row), "type": kind}
    return str(row["Id"]) if kind == "Vendor" else None


def prepare_bill(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    vendor = _required_party(ctx, obj, "VendorRef", "Vendor")
    when = txn_date(ctx, obj)
    check_open_period(ctx, when, _existing_date(existing))
    total = money(expense_lines(ctx, obj, existing, when))
    obj["TotalAmt"] = total
    applied = _applied_to(ctx, "Bill", obj.get("Id"))
    if total < applied:
        raise faults.business_validation(
            f"The total of this bill ({total}) can't be less than the payments already applied "
            f"to it ({applied}).",
            "TotalAmt",
        )
    obj["Balance"] = money(total - applied)
    obj["HomeBalance"] = obj["Balance"]
    obj["LinkedTxn"] = _linked(ctx, "Bill", obj.get("Id"))
    _due_date(ctx, obj, when)
    _default_account(ctx, obj, "APAccountRef", "AccountsPayable")
    doc_number(
        ctx,
        "Bill",
        obj,
        auto=False,
        unique="allowduplicatedocnum" not in ctx.include,
        vendor_id=vendor["Id"],
    )
    obj.setdefault("CurrencyRef", USD)
    return obj


def prepare_purchase_order(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    _required_party(ctx, obj, "VendorRef", "Vendor")
    when = txn_date(ctx, obj)
    obj["TotalAmt"] = money(expense_lines(ctx, obj, existing, when, check_inventory=False))
    status = obj.get("POStatus") or "Open"
    if status not in ("Open", "Closed"):
        raise faults.invalid_enumeration("POStatus", str(status))
    obj["POStatus"] = status
    _default_account(ctx, obj, "APAccountRef", "AccountsPayable")
    doc_number(ctx, "PurchaseOrder", obj, auto=True, unique=False, existing=existing)
    obj.setdefault("EmailStatus", "NotSet")
    obj.setdefault("CurrencyRef", USD)
    return obj


PREPARE: dict[str, Callable[[Ctx, Row, Row | None], Row]] = {
    "Invoice": prepare_invoice,
    "SalesReceipt": prepare_sales_receipt,
    "CreditMemo": prepare_credit_memo,
    "Payment": prepare_payment,
    "BillPayment": prepare_bill_payment,
    "Purchase": prepare_purchase,
    "Bill": prepare_bill,
    "PurchaseOrder": prepare_purchase_order,
    "Estimate": prepare_estimate,
    "RefundReceipt": prepare_refund_receipt,
}

# Fields QuickBooks computes; a value a client sends for them is ignored.
COMPUTED: dict[str, frozenset[str]] = {
    "Invoice": frozenset(
        {"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "LinkedTxn", "InvoiceLink"}
    ),
    "SalesReceipt": frozenset({"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "LinkedTxn"}),
    "CreditMemo": frozenset(
        {"TotalAmt", "Balance", "RemainingCredit", "HomeTotalAmt", "HomeBalance", "LinkedTxn"}
    ),
    "Payment": frozenset({"UnappliedAmt", "LinkedTxn"}),
    "BillPayment": frozenset({"LinkedTxn"}),
    "Purchase": frozenset({"TotalAmt", "HomeTotalAmt"}),
    "Bill": frozenset({"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "LinkedTxn"}),
    "PurchaseOrder": frozenset({"TotalAmt", "HomeTotalAmt"}),
    "Estimate": frozenset({"TotalAmt", "HomeTotalAmt", "LinkedTxn", "Balance", "HomeBalance"}),
    "RefundReceipt": frozenset({"TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance"}),
    "Deposit": frozenset({"TotalAmt", "HomeTotalAmt"}),
    "TaxAgency": frozenset({"TaxAgencyConfig"}),
    "Attachable": frozenset(
        {
            "Size",
            "FileAccessUri",
            "TempDownloadUri",
            "ThumbnailFileAccessUri",
            "ThumbnailTempDownloadUri",
        }
    ),
    "Customer": frozenset(
        {"Balance", "BalanceWithJobs", "FullyQualifiedName", "Level", "IsProject"}
    ),
    "Vendor": frozenset({"Balance"}),
    "Item": frozenset({"FullyQualifiedName", "Level"}),
    "Account": frozenset(
        {
            "FullyQualifiedName",
            "Level",
            "CurrentBalance",
            "CurrentBalanceWithSubAccounts",
            "Classification",
        }
    ),
    "Class": frozenset({"FullyQualifiedName", "Level"}),
    "Department": frozenset({"FullyQualifiedName", "Level"}),
}


def payment_links(row: Row | None) -> dict[str, Decimal]:
    """ "Invoice:12" -> amount, for the documents a payment (or bill payment) pays."""
    result: dict[str, Decimal] = {}
    if row is None:
        return result
    for line in row.get("Line", []) or []:
        for link in line.get("LinkedTxn", []) or []:
            key = f"{link['TxnType']}:{link['TxnId']}"
            result[key] = result.get(key, ZERO) + Decimal(line.get("Amount", ZERO))
    return result
