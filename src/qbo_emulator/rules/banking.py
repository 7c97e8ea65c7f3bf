"""Rules for money moved between the company's own accounts: deposits, transfers and credit card
payments.

A deposit puts received payments and sales receipts (waiting in Undeposited Funds) and other
amounts into a bank account; a payment on a deposit can no longer be changed (6540) until the
deposit is changed or deleted. A transfer moves an amount between two asset accounts; a credit
card payment pays a credit card account from a bank account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_emulator import faults
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.lines import ZERO
from qbo_emulator.rules.names import USD
from qbo_emulator.rules.transactions import check_open_period
from qbo_emulator.rules.values import (
    blank,
    money,
    optional_decimal,
    ref_id,
    ref_to,
    resolve_ref,
    txn_date,
)

DEPOSITABLE = ("Payment", "SalesReceipt")
DEPOSIT_ACCOUNT_TYPES = ("Bank", "Other Current Asset")


def _account(ctx: Ctx, obj: Row, key: str, types: tuple[str, ...], element: str = "") -> Row:
    """A required account reference of one of `types`: 2020 when missing, 6000 when of
    another type."""
    element = element or key
    if blank(obj.get(key)):
        raise faults.required_param(key, element)
    account = resolve_ref(ctx, "Account", obj[key], element)
    if account.get("AccountType") not in types:
        raise faults.business_validation(
            f"{element} must be a {' or '.join(types)} account; {account.get('Name')} is a "
            f"{account.get('AccountType')} account.",
            element,
        )
    obj[key] = ref_to(account, "Name")
    return account


def _positive_amount(obj: Row, key: str = "Amount") -> Decimal:
    amount = optional_decimal(obj, key)
    if amount is None:
        raise faults.required_param(key)
    if amount <= 0:
        raise faults.invalid_value(key, f"NegativeAmount : {key} must be more than zero", "2290")
    return money(amount)


def _dates(ctx: Ctx, obj: Row, existing: Row | None) -> None:
    when = txn_date(ctx, obj)
    before = str(existing["TxnDate"]) if existing and existing.get("TxnDate") else None
    check_open_period(ctx, when, before)


# --- deposits -------------------------------------------------------------------------------


def deposit_links(row: Row | None) -> set[str]:
    """ "Payment:12" for every payment or sales receipt a deposit holds."""
    found: set[str] = set()
    for line in (row or {}).get("Line", []) or []:
        for link in line.get("LinkedTxn", []) or []:
            found.add(f"{link['TxnType']}:{link['TxnId']}")
    return found


def _deposit_line(ctx: Ctx, line: Any, held: set[str]) -> dict[str, Any]:
    if not isinstance(line, dict):
        raise faults.invalid_value("Line", "Each Line must be an object")
    links = line.get("LinkedTxn") or []
    if isinstance(links, dict):
        links = [links]
    new: dict[str, Any] = {}
    if not blank(line.get("Description")):
        new["Description"] = str(line["Description"])
    if links:
        link = links[0]
        txn_type = str(link.get("TxnType") or "")
        if txn_type not in DEPOSITABLE:
            raise faults.invalid_enumeration("Line.LinkedTxn.TxnType", txn_type or "(empty)")
        txn_id = ref_id(link.get("TxnId"), "Line.LinkedTxn.TxnId")
        table = ctx.company.table(txn_type)
        txn = table.get(txn_id)
        if txn is None:
            if txn_id in table.deleted:
                raise faults.transaction_deleted()
            raise faults.invalid_reference("Line.LinkedTxn.TxnId", txn_id)
        key = f"{txn_type}:{txn_id}"
        if txn_id in table.deposited and key not in held:
            raise faults.deposited()
        account = ctx.company.table("Account").get(
            str((txn.get("DepositToAccountRef") or {}).get("value"))
        )
        if account is None or account.get("AccountSubType") != "UndepositedFunds":
            raise faults.business_validation(
                f"{txn_type} {txn_id} was not received into Undeposited Funds, so it cannot be "
                "put on a deposit.",
                "Line.LinkedTxn",
            )
        amount = money(Decimal(txn.get("TotalAmt", ZERO)))
        given = optional_decimal(line, "Amount", "Line.Amount")
        if given is not None and money(given) != amount:
            raise faults.business_validation(
                f"The amount deposited for {txn_type} {txn_id} ({money(given)}) must be its "
                f"whole amount ({amount}).",
                "Line.Amount",
            )
        new.update(Amount=amount, LinkedTxn=[{"TxnId": txn_id, "TxnType": txn_type}])
        return new
    element = "Line.DepositLineDetail"
    detail = dict(line.get("DepositLineDetail") or {})
    sent = optional_decimal(line, "Amount", "Line.Amount")
    if sent is None:
        raise faults.required_param("Amount", "Line.Amount")
    if blank(detail.get("AccountRef")):
        raise faults.required_param("AccountRef", f"{element}.AccountRef")
    account = resolve_ref(ctx, "Account", detail["AccountRef"], f"{element}.AccountRef")
    detail["AccountRef"] = ref_to(account, "Name")
    entity = detail.get("Entity")
    if not blank(entity) and not (isinstance(entity, dict) and blank(entity.get("value"))):
        kind = str(entity.get("type") or "Customer") if isinstance(entity, dict) else "Customer"
        if kind not in ("Customer", "Vendor", "Employee"):
            raise faults.invalid_enumeration(f"{element}.Entity.type", kind)
        row = resolve_ref(ctx, kind, entity, f"{element}.Entity")
        detail["Entity"] = {**ref_to(row), "type": kind}
    else:
        detail.pop("Entity", None)
    for key, target in (("ClassRef", "Class"), ("PaymentMethodRef", "PaymentMethod")):
        ref = detail.get(key)
        if blank(ref) or (isinstance(ref, dict) and blank(ref.get("value"))):
            detail.pop(key, None)
        else:
            detail[key] = ref_to(resolve_ref(ctx, target, ref, f"{element}.{key}"), "Name")
    new.update(Amount=money(sent), DetailType="DepositLineDetail", DepositLineDetail=detail)
    return new


def prepare_deposit(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    _account(ctx, obj, "DepositToAccountRef", DEPOSIT_ACCOUNT_TYPES)
    _dates(ctx, obj, existing)
    lines = obj.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required_param("Line")
    held = deposit_links(existing)
    out = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        new = _deposit_line(ctx, line, held)
        for key in deposit_links({"Line": [new]}):
            if key in seen:
                raise faults.business_validation(
                    f"{key.replace(':', ' ')} is on this deposit twice.", "Line.LinkedTxn"
                )
            seen.add(key)
        out.append({"Id": str(number), "LineNum": number, **new})
    total = sum((Decimal(line["Amount"]) for line in out), ZERO)
    cash_back = obj.get("CashBack")
    if isinstance(cash_back, dict) and not blank(cash_back.get("Amount")):
        back = dict(cash_back)
        amount = money(optional_decimal(back, "Amount", "CashBack.Amount") or ZERO)
        if amount < 0 or amount > total:
            raise faults.business_validation(
                f"The cash back ({amount}) must be between zero and the deposit's total "
                f"({money(total)}).",
                "CashBack.Amount",
            )
        _account(ctx, back, "AccountRef", DEPOSIT_ACCOUNT_TYPES, "CashBack.AccountRef")
        back["Amount"] = amount
        obj["CashBack"] = back
        total -= amount
    else:
        obj.pop("CashBack", None)
    obj["Line"] = out
    obj["TotalAmt"] = money(total)
    obj["HomeTotalAmt"] = obj["TotalAmt"]
    obj.setdefault("CurrencyRef", USD)
    return obj


def after_deposit(ctx: Ctx, old: Row | None, new: Row | None) -> None:
    """The payments on a deposit are deposited; those taken off it (or off a deleted deposit)
    are free to change again."""
    before, after = deposit_links(old), deposit_links(new)
    for key in before - after:
        txn_type, _, txn_id = key.partition(":")
        ctx.company.table(txn_type).deposited.discard(txn_id)
    for key in after - before:
        txn_type, _, txn_id = key.partition(":")
        ctx.company.table(txn_type).deposited.add(txn_id)


# --- transfers and credit card payments -------------------------------------------------------


# Transfers move money between balance sheet accounts other than A/R and A/P: "You can transfer
# funds between most balance sheet accounts in your chart of accounts (except between A/P and A/R
# accounts)" (QuickBooks Online help, "Transfer funds between accounts"). python-quickbooks'
# integration test transfers from a credit card account to a bank account. The API reference's
# "Account.Classification set to Asset" is narrower than what QuickBooks accepts.
TRANSFER_CLASSIFICATIONS = ("Asset", "Liability", "Equity")
NOT_TRANSFERABLE = ("Accounts Receivable", "Accounts Payable")


def prepare_transfer(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    """FromAccountRef and ToAccountRef: two different balance sheet accounts, neither A/R nor
    A/P; Amount more than zero."""
    source = _transferable(ctx, obj, "FromAccountRef")
    target = _transferable(ctx, obj, "ToAccountRef")
    if source["Id"] == target["Id"]:
        raise faults.business_validation(
            "A transfer must be between two different accounts.", "ToAccountRef"
        )
    obj["Amount"] = _positive_amount(obj)
    _dates(ctx, obj, existing)
    obj.setdefault("CurrencyRef", USD)
    return obj


def _transferable(ctx: Ctx, obj: Row, key: str) -> Row:
    if blank(obj.get(key)):
        raise faults.required_param(key)
    account = resolve_ref(ctx, "Account", obj[key], key)
    kind = account.get("AccountType")
    if account.get("Classification") not in TRANSFER_CLASSIFICATIONS or kind in NOT_TRANSFERABLE:
        raise faults.business_validation(
            f"{key} must be a balance sheet account other than Accounts Receivable and "
            f"Accounts Payable; {account.get('Name')} is a {kind} account.",
            key,
        )
    obj[key] = ref_to(account, "Name")
    return account


def prepare_credit_card_payment(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    """CreditCardAccountRef (a Credit Card account), BankAccountRef (a Bank account) and Amount
    are required (CreditCardPayment reference)."""
    _account(ctx, obj, "CreditCardAccountRef", ("Credit Card",))
    _account(ctx, obj, "BankAccountRef", ("Bank",))
    obj["Amount"] = _positive_amount(obj)
    _dates(ctx, obj, existing)
    status = obj.get("PrintStatus") or "NotSet"
    if status not in ("NotSet", "NeedToPrint", "PrintComplete"):
        raise faults.invalid_enumeration("PrintStatus", str(status))
    obj["PrintStatus"] = status
    obj.setdefault("CurrencyRef", USD)
    return obj
