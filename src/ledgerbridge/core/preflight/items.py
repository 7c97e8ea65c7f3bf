"""Preflight for items.

Look-up before create, for items not linked yet: an item with a SKU links to the unlinked
QuickBooks item with the same SKU; an item without a SKU links to the unlinked QuickBooks item
with the same name. A QuickBooks category is never linked to. An item with a SKU whose name is
held by another QuickBooks item (without that SKU) is ``item.exists_in_quickbooks``: the office
decides whether they are the same.
"""

from __future__ import annotations

import dataclasses

from ledgerbridge.core import catalog
from ledgerbridge.core.mapping import ITEM_TYPE
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight import limits
from ledgerbridge.core.preflight._context import Context, Outcome, Verdict, problem, too_long
from ledgerbridge.core.preflight._names import ITEMS, check_name, forbidden_characters
from ledgerbridge.core.preflight._refs import account_missing
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Item

__all__ = ["check_item"]

_BUNDLE = "Group"  # QuickBooks' type for bundles
_CATEGORY = "Category"


def check_item(ctx: Context, item: Item) -> Verdict:
    out = Outcome(item)
    own = ctx.subject.linked
    if item.type == "bundle" or (own is not None and own.data.get("Type") == _BUNDLE):
        out.add(_bundle(item))
        return out.verdict()
    out.extend(too_long(limits.texts(item), catalog.RECORD_FIELD_TOO_LONG))
    out.add(forbidden_characters("name", "name", item.name))
    out.extend(_accounts(ctx, item))
    if own is None:
        out.link_to = own = _match(ctx, item)
    else:
        out.add(_inactive(own, item))
        out.add(_type_change(ctx, own, item))
    check_name(ctx, out, ITEMS, own, _rename)
    return out.verdict()


def _rename(item: Item, new: str) -> Item:
    return dataclasses.replace(item, name=new)


def _bundle(item: Item) -> Problem:
    return problem(
        catalog.ITEM_BUNDLE_READ_ONLY,
        "type",
        "bundles (QuickBooks Group items) are read-only: QuickBooks refuses changes to them",
        name=item.name,
    )


def _accounts(ctx: Context, item: Item) -> list[Problem | None]:
    return [
        account_missing(ctx, item.income_account, "income_account", "income account"),
        account_missing(ctx, item.expense_account, "expense_account", "expense account"),
        account_missing(ctx, item.asset_account, "asset_account", "inventory asset account"),
    ]


def _inactive(own: MirrorObject, item: Item) -> Problem | None:
    if own.active or not item.active:
        return None
    return problem(
        catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
        None,
        f"QuickBooks Item {own.qbo_id} was made inactive in QuickBooks",
        name=own.name,
        quickbooks_id=own.qbo_id,
    )


def _type_change(ctx: Context, own: MirrorObject, item: Item) -> Problem | None:
    """QuickBooks never lets an inventory item become another type."""
    before = ctx.subject.pushed_type or own.data.get("Type")
    after = ITEM_TYPE.get(item.type)
    if before != "Inventory" or after == "Inventory":
        return None
    return problem(
        catalog.ITEM_TYPE_CHANGE_NOT_ALLOWED,
        "type",
        f"QuickBooks Item {own.qbo_id} is an inventory item and cannot become {after}",
        name=item.name,
        quickbooks_type=before,
        new_type=after,
        quickbooks_id=own.qbo_id,
    )


def _match(ctx: Context, item: Item) -> MirrorObject | None:
    """The unlinked QuickBooks item that is this item (see the module docstring)."""
    found = ctx.mirror.with_sku(item.sku) if item.sku else ctx.mirror.named("Item", item.name)
    if found is None or found.data.get("Type") == _CATEGORY:
        return None
    return None if ctx.owner(found, "item") is not None else found
