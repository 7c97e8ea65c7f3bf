"""What one write does to other records: balances of invoices, bills, customers and vendors,
the LinkedTxn lists that show payments, inventory quantities, and the full names and activity of
sub-customers, sub-items and sub-accounts when their parent changes.

Called after the written row is stored; `touch` bumps another row's SyncToken and reports it, as
QuickBooks does when a payment changes an invoice's balance.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from qbo_emulator.model.specs import HIERARCHICAL
from qbo_emulator.model.store import Row
from qbo_emulator.rules.banking import after_deposit
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.lines import ZERO
from qbo_emulator.rules.transactions import numeric, payment_links
from qbo_emulator.rules.values import money

Touch = Callable[[str, Row], None]

INVENTORY_SIGN = {
    "Invoice": -1,
    "SalesReceipt": -1,
    "CreditMemo": 1,
    "RefundReceipt": 1,
    "Bill": 1,
    "Purchase": 1,
}
PAYMENT_TARGETS = {"Payment": ("Invoice", "CreditMemo"), "BillPayment": ("Bill",)}


def after_write(ctx: Ctx, entity: str, old: Row | None, new: Row | None, touch: Touch) -> None:
    if entity in PAYMENT_TARGETS:
        _relink(ctx, entity, old, new, touch)
    if entity in INVENTORY_SIGN:
        _inventory(ctx, entity, old, new)
    if entity == "Deposit":
        after_deposit(ctx, old, new)
    if entity == "Attachable" and new is None and old is not None:
        ctx.company.files.pop(old["Id"], None)  # a deleted attachable takes its file along
    if new is not None and new.get("DocNumber"):
        number = numeric(str(new["DocNumber"]))
        if number is not None and number > ctx.company.doc_counters.get(entity, 0):
            ctx.company.doc_counters[entity] = number
    customers = {_ref(r, "CustomerRef") for r in (old, new) if r is not None} - {None}
    vendors = {_ref(r, "VendorRef") for r in (old, new) if r is not None} - {None}
    if entity in ("Payment",):
        customers |= {_ref(r, "CustomerRef") for r in _linked_docs(ctx, old, new)} - {None}
    for customer_id in customers:
        if customer_id:
            refresh_customer_balance(ctx, customer_id)
    for vendor_id in vendors:
        if vendor_id:
            refresh_vendor_balance(ctx, vendor_id)
    if entity == "Customer" and old is not None and new is not None:
        _reparent_balances(ctx, old, new)
    if entity in HIERARCHICAL and old is not None and new is not None:
        _cascade(ctx, entity, old, new, touch)


def _ref(row: Row, key: str) -> str | None:
    ref = row.get(key)
    return str(ref["value"]) if isinstance(ref, dict) and ref.get("value") else None


def _linked_docs(ctx: Ctx, old: Row | None, new: Row | None) -> list[Row]:
    docs = []
    for key in set(payment_links(old)) | set(payment_links(new)):
        txn_type, _, txn_id = key.partition(":")
        row = ctx.company.table(txn_type).get(txn_id)
        if row is not None:
            docs.append(row)
    return docs


def _relink(ctx: Ctx, entity: str, old: Row | None, new: Row | None, touch: Touch) -> None:
    payment_id = (new or old or {}).get("Id")
    own = f"{entity}:{payment_id}"
    before = payment_links(old)
    after = payment_links(new)
    for key in set(before) | set(after):
        if before.get(key) == after.get(key):
            continue
        links = ctx.company.applied.setdefault(key, {})
        if key in after:
            links[own] = after[key]
        else:
            links.pop(own, None)
        if not links:
            ctx.company.applied.pop(key, None)
        txn_type, _, txn_id = key.partition(":")
        refresh_document_balance(ctx, txn_type, txn_id, touch)


def refresh_document_balance(ctx: Ctx, entity: str, entity_id: str, touch: Touch) -> None:
    """Balance and LinkedTxn of an invoice, credit memo or bill from the payments applied."""
    row = ctx.company.table(entity).get(entity_id)
    if row is None:
        return
    links = ctx.company.applied.get(f"{entity}:{entity_id}", {})
    applied = sum(links.values(), ZERO)
    balance = money(Decimal(row.get("TotalAmt", ZERO)) - applied)
    linked = []
    for key in links:
        txn_type, _, txn_id = key.partition(":")
        linked.append({"TxnId": txn_id, "TxnType": txn_type})
    if row.get("Balance") == balance and row.get("LinkedTxn", []) == linked:
        return
    updated = {**row, "Balance": balance, "LinkedTxn": linked}
    if "HomeBalance" in row:
        updated["HomeBalance"] = balance
    if entity == "CreditMemo":
        updated["RemainingCredit"] = balance
    touch(entity, updated)


def refresh_customer_balance(ctx: Ctx, customer_id: str) -> None:
    """Customer.Balance: open invoices less unapplied payments and unused credits; then the
    BalanceWithJobs of the customer and every ancestor."""
    company = ctx.company
    customers = company.table("Customer")
    row = customers.get(customer_id)
    if row is None:
        return
    balance = ZERO
    for entity, key, sign in (
        ("Invoice", "Balance", 1),
        ("Payment", "UnappliedAmt", -1),
        ("CreditMemo", "Balance", -1),
    ):
        docs = company.table(entity).matching("CustomerRef", customer_id)
        # after every write of hers: a list and C-level `map` (not a generator) for thousands
        balance += sign * sum(map(Decimal, [doc.get(key, ZERO) for doc in docs]), ZERO)
    row["Balance"] = money(balance)
    node: Row | None = row
    while node is not None:
        children = customers.matching("ParentRef", node["Id"])
        node["BalanceWithJobs"] = money(
            Decimal(node.get("Balance", ZERO))
            + sum((Decimal(c.get("BalanceWithJobs", ZERO)) for c in children), ZERO)
        )
        parent = node.get("ParentRef")
        node = customers.get(str(parent["value"])) if isinstance(parent, dict) else None


def _reparent_balances(ctx: Ctx, old: Row, new: Row) -> None:
    """A job moved to another parent takes its balance from the old parent's BalanceWithJobs
    to the new one's."""
    before, after = _ref(old, "ParentRef"), _ref(new, "ParentRef")
    if before == after:
        return
    refresh_customer_balance(ctx, new["Id"])
    if before is not None:
        refresh_customer_balance(ctx, before)


def refresh_vendor_balance(ctx: Ctx, vendor_id: str) -> None:
    row = ctx.company.table("Vendor").get(vendor_id)
    if row is None:
        return
    bills = ctx.company.table("Bill").matching("VendorRef", vendor_id)
    row["Balance"] = money(sum((Decimal(b.get("Balance", ZERO)) for b in bills), ZERO))


def _inventory_effect(entity: str, row: Row | None) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    if row is None:
        return result
    sign = INVENTORY_SIGN[entity]
    if entity == "Purchase" and row.get("Credit"):
        sign = -sign
    for line in row.get("Line", []) or []:
        for key in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
            detail = line.get(key)
            if isinstance(detail, dict) and detail.get("ItemRef") and detail.get("Qty") is not None:
                item_id = str(detail["ItemRef"]["value"])
                result[item_id] = result.get(item_id, ZERO) + sign * Decimal(detail["Qty"])
    return result


def _inventory(ctx: Ctx, entity: str, old: Row | None, new: Row | None) -> None:
    before = _inventory_effect(entity, old)
    after = _inventory_effect(entity, new)
    items = ctx.company.table("Item")
    for item_id in set(before) | set(after):
        delta = after.get(item_id, ZERO) - before.get(item_id, ZERO)
        item = items.get(item_id)
        if delta and item is not None and item.get("Type") == "Inventory":
            item["QtyOnHand"] = Decimal(item.get("QtyOnHand", ZERO)) + delta


def _cascade(ctx: Ctx, entity: str, old: Row, new: Row, touch: Touch) -> None:
    """A renamed or moved parent renames its descendants; an inactive one retires them."""
    table = ctx.company.table(entity)
    renamed = old.get("FullyQualifiedName") != new.get("FullyQualifiedName")
    retired = old.get("Active", True) and not new.get("Active", True)
    if not (renamed or retired):
        return
    name_field = "DisplayName" if entity == "Customer" else "Name"
    flag = HIERARCHICAL[entity]
    pending = [new]
    while pending:
        parent = pending.pop()
        for child in table.lookup("ParentRef", (parent["Id"],)) or []:
            updated = {
                **child,
                "FullyQualifiedName": f"{parent['FullyQualifiedName']}:{child[name_field]}",
                "Level": int(parent.get("Level", 0)) + 1,
                "ParentRef": {"value": parent["Id"], "name": str(parent[name_field])},
                flag: True,
            }
            if retired:
                updated["Active"] = False
            if updated != child:
                touch(entity, updated)
            pending.append(updated)
