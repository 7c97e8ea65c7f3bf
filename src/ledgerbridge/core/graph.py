"""What a record needs in QuickBooks before it can be pushed, and the order records go in.

    customer (parent)  ->  property / job (sub-customer)
    item               ->  invoice, receipt, bill, purchase order (lines)
    customer           ->  invoice, payment, receipt/bill lines billed to a customer
    invoice            ->  payment (applied_to)
    vendor             ->  receipt, bill, purchase order

A record whose dependency failed is `blocked` and names its blocker; it resumes by itself when
the blocker syncs. Pure: no I/O.
"""

from __future__ import annotations

from typing import assert_never

from ledgerbridge.core.records import (
    Bill,
    Customer,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Receipt,
    Record,
    RecordKey,
    RecordType,
    Vendor,
)

# The order a pass works through the record types; within customers, parents come first
# because a property's parent is one of its dependencies.
PUSH_ORDER: tuple[RecordType, ...] = (
    "customer",
    "vendor",
    "item",
    "invoice",
    "payment",
    "receipt",
    "bill",
    "purchase_order",
)
RANK: dict[str, int] = {name: index for index, name in enumerate(PUSH_ORDER)}


def dependencies(record: Record) -> tuple[RecordKey, ...]:
    """The records that must be in QuickBooks first, without duplicates, in a stable order."""
    keys: list[RecordKey] = []

    def need(record_type: RecordType, app_id: str | None) -> None:
        if app_id:
            key = RecordKey(record_type, app_id)
            if key not in keys:
                keys.append(key)

    if isinstance(record, Customer):
        need("customer", record.parent_id)
    elif isinstance(record, Vendor | Item):
        pass
    elif isinstance(record, Invoice):
        need("customer", record.customer_id)
        for line in record.lines:
            need("item", line.item_id)
    elif isinstance(record, Payment):
        need("customer", record.customer_id)
        for applied in record.applied_to:
            need("invoice", applied.invoice_id)
    elif isinstance(record, Receipt | Bill):
        need("vendor", record.vendor_id)
        for expense in record.lines:
            need("item", expense.item_id)
            need("customer", expense.customer_id)
    elif isinstance(record, PurchaseOrder):
        need("vendor", record.vendor_id)
        for ordered in record.lines:
            need("item", ordered.item_id)
    else:
        assert_never(record)
    return tuple(keys)


def depth_order(
    keys: list[RecordKey], parents: dict[RecordKey, RecordKey | None]
) -> list[RecordKey]:
    """Customers sorted so that every parent comes before its children (ties by app id)."""

    def depth(key: RecordKey) -> int:
        seen: set[RecordKey] = set()
        level = 0
        current = parents.get(key)
        while current is not None and current not in seen:
            seen.add(current)
            level += 1
            current = parents.get(current)
        return level

    return sorted(keys, key=lambda k: (RANK[k.type], depth(k), k.app_id))
