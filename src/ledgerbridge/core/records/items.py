"""Items: the app's price book (services, products, inventory, bundles).

Accounts are named, not referenced by id: the connection's account mapping and the mirror of
QuickBooks' chart of accounts turn the names into references later. Unit prices and costs are
quantities (up to six places), not amounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.core.records._fields import Fields, date_json, decimal_json

__all__ = ["ITEM_TYPES", "Item", "ItemType", "item_to_json", "parse_item"]

ItemType = Literal["service", "non_inventory", "inventory", "bundle"]
ITEM_TYPES: tuple[ItemType, ...] = ("service", "non_inventory", "inventory", "bundle")


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    name: str
    sku: str | None = None
    type: ItemType = "service"
    description: str | None = None
    unit_price: Decimal | None = None
    purchase_cost: Decimal | None = None
    income_account: str | None = None
    expense_account: str | None = None
    asset_account: str | None = None
    quantity_on_hand: Decimal | None = None
    inventory_start_date: dt.date | None = None
    taxable: bool | None = None
    active: bool = True


def parse_item(fields: Fields) -> Item:
    return Item(
        name=fields.required_text("name"),
        sku=fields.text("sku"),
        type=fields.choice("type", ITEM_TYPES, default="service"),
        description=fields.text("description", lines=True),
        unit_price=fields.number("unit_price"),
        purchase_cost=fields.number("purchase_cost"),
        income_account=fields.text("income_account"),
        expense_account=fields.text("expense_account"),
        asset_account=fields.text("asset_account"),
        quantity_on_hand=fields.number("quantity_on_hand"),
        inventory_start_date=fields.day("inventory_start_date"),
        taxable=fields.optional_flag("taxable"),
        active=fields.flag("active", default=True),
    )


def item_to_json(item: Item) -> dict[str, Any]:
    return {
        "name": item.name,
        "sku": item.sku,
        "type": item.type,
        "description": item.description,
        "unit_price": decimal_json(item.unit_price),
        "purchase_cost": decimal_json(item.purchase_cost),
        "income_account": item.income_account,
        "expense_account": item.expense_account,
        "asset_account": item.asset_account,
        "quantity_on_hand": decimal_json(item.quantity_on_hand),
        "inventory_start_date": date_json(item.inventory_start_date),
        "taxable": item.taxable,
        "active": item.active,
    }
