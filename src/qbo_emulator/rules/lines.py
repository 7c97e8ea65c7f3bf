"""Transaction lines: sales lines (with tax codes, discounts, groups) and expense lines.

Amounts come back as `Decimal` rounded to cents; a line whose Amount disagrees with Qty x UnitPrice
is refused (6070), as QuickBooks does. Inventory items may not appear on a transaction dated before
their start date (6270).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from qbo_emulator import faults
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.values import (
    blank,
    decimal,
    iso_date,
    money,
    optional_decimal,
    ref_to,
    resolve_ref,
)

ZERO = Decimal("0")
US_LINE_TAX_CODES = ("TAX", "NON")


@dataclass(slots=True)
class LineTotals:
    subtotal: Decimal = ZERO
    taxable: Decimal = ZERO
    discount: Decimal = ZERO


def _require_lines(obj: Row) -> list[dict[str, Any]]:
    lines = obj.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required_param("Line")
    for line in lines:
        if not isinstance(line, dict):
            raise faults.invalid_value("Line", "Each Line must be an object")
    return lines


def _line_ids(lines: list[dict[str, Any]], existing: Row | None) -> list[str]:
    """Keep the Id of a line that names an existing line; number new lines after the rest."""
    known = {str(line.get("Id")) for line in (existing or {}).get("Line", []) if line.get("Id")}
    taken: set[str] = set()
    ids: list[str | None] = []
    for line in lines:
        given = str(line.get("Id", "")).strip()
        if given in known and given not in taken:
            taken.add(given)
            ids.append(given)
        else:
            ids.append(None)
    next_id = max((int(i) for i in known | taken if i.isdigit()), default=0) + 1
    result: list[str] = []
    for given_id in ids:
        if given_id is None:
            while str(next_id) in taken:
                next_id += 1
            given_id = str(next_id)
            taken.add(given_id)
        result.append(given_id)
    return result


def _amount(line: dict[str, Any], detail: dict[str, Any], element: str) -> Decimal:
    amount = optional_decimal(line, "Amount", "Line.Amount")
    qty = optional_decimal(detail, "Qty", f"{element}.Qty")
    price = optional_decimal(detail, "UnitPrice", f"{element}.UnitPrice")
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    if amount is None:
        if qty is None or price is None:
            raise faults.required_param("Amount", "Line.Amount")
        return money(qty * price)
    # Clients send 0 for a Qty or UnitPrice they leave unset (python-quickbooks does), and
    # QuickBooks takes the Amount as given then; only two real factors are checked.
    if qty and price and money(qty * price) != money(amount):
        raise faults.invalid_value(
            "Line.Amount",
            f"Amount calculation incorrect in the request : Amount {money(amount)} is not equal "
            f"to UnitPrice {price} * Qty {qty}.",
            "6070",
        )
    return money(amount)


def _item(ctx: Ctx, detail: dict[str, Any], key: str, element: str, txn_date: str) -> Row:
    item = resolve_ref(ctx, "Item", detail.get(key), f"{element}.{key}")
    if item.get("Type") == "Inventory" and txn_date < str(item.get("InvStartDate", "")):
        raise faults.inventory_start_date(str(item["Name"]), str(item["InvStartDate"]))
    detail[key] = ref_to(item, "Name")
    return item


def _optional_ref(ctx: Ctx, detail: dict[str, Any], key: str, entity: str, element: str) -> None:
    ref = detail.get(key)
    if blank(ref) or (isinstance(ref, dict) and blank(ref.get("value"))):
        detail.pop(key, None)
        return
    row = resolve_ref(ctx, entity, ref, f"{element}.{key}")
    name_field = "DisplayName" if entity in ("Customer", "Vendor", "Employee") else "Name"
    detail[key] = ref_to(row, name_field)


def _sales_kind(line: dict[str, Any]) -> str:
    kind = line.get("DetailType") or next(
        (k for k in ("SalesItemLineDetail", "GroupLineDetail", "DiscountLineDetail") if k in line),
        "DescriptionOnly",
    )
    return str(kind)


def sales_lines(ctx: Ctx, obj: Row, existing: Row | None, txn_date: str) -> LineTotals:
    """Normalise Invoice / SalesReceipt / CreditMemo lines; returns the sums the totals need."""
    # The subtotal line is computed (re-added below): a client's copy takes no line Id.
    lines = [line for line in _require_lines(obj) if _sales_kind(line) != "SubTotalLineDetail"]
    if not lines:
        raise faults.required_param("Line")
    totals = LineTotals()
    out: list[dict[str, Any]] = []
    discounts: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for line, line_id in zip(lines, _line_ids(lines, existing), strict=True):
        kind = _sales_kind(line)
        new: dict[str, Any] = {"Id": line_id, "LineNum": len(out) + 1, "DetailType": kind}
        if not blank(line.get("Description")):
            new["Description"] = str(line["Description"])
            if len(new["Description"]) > 4000:
                raise faults.string_length("Line.Description", 4000, len(new["Description"]))
        if kind == "SalesItemLineDetail":
            detail = dict(line.get("SalesItemLineDetail") or {})
            new["Amount"] = _sales_item(ctx, line, detail, txn_date, totals)
            new[kind] = detail
        elif kind == "GroupLineDetail":
            group = dict(line.get("GroupLineDetail") or {})
            inner_total = ZERO
            inner_out = []
            for inner in group.get("Line", []) or []:
                inner_detail = dict(inner.get("SalesItemLineDetail") or {})
                amount = _sales_item(ctx, inner, inner_detail, txn_date, totals)
                inner_total += amount
                inner_out.append(
                    {
                        "Amount": amount,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": inner_detail,
                    }
                )
            group["Line"] = inner_out
            new["Amount"] = inner_total
            new[kind] = group
        elif kind == "DiscountLineDetail":
            detail = dict(line.get("DiscountLineDetail") or {})
            new[kind] = detail
            discounts.append((new, line))
        elif kind == "DescriptionOnly":
            new["DescriptionLineDetail"] = dict(line.get("DescriptionLineDetail") or {})
            new["DetailType"] = "DescriptionOnly"
        else:
            raise faults.invalid_enumeration("Line.DetailType", str(kind))
        out.append(new)
    for new, line in discounts:
        detail = new["DiscountLineDetail"]
        percent_based = bool(detail.get("PercentBased"))
        if percent_based:
            percent = decimal(
                detail.get("DiscountPercent", 0), "Line.DiscountLineDetail.DiscountPercent"
            )
            detail["DiscountPercent"] = percent
            amount = money(totals.subtotal * percent / 100)
        else:
            given = optional_decimal(line, "Amount", "Line.Amount")
            if given is None:
                raise faults.QBOFault(
                    faults.Fault(
                        400,
                        "ValidationFault",
                        (
                            faults.ErrorItem(
                                "6090",
                                "Discount line needs an amount or a percent",
                                "A discount line must have an Amount or a DiscountPercent.",
                                "Line.Amount",
                            ),
                        ),
                    )
                )
            amount = money(given)
        new["Amount"] = amount
        totals.discount += amount
    # QuickBooks answers the computed subtotal after the item lines and before the discount,
    # which applies to it (python-quickbooks' estimate integration test reads the discount as
    # Line[2] of [item, subtotal, discount]).
    subtotal = {
        "Amount": totals.subtotal,
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    discount_lines = [new for new, _ in discounts]
    others = [line for line in out if all(line is not d for d in discount_lines)]
    obj["Line"] = [*others, subtotal, *discount_lines]
    return totals


def _sales_item(
    ctx: Ctx, line: dict[str, Any], detail: dict[str, Any], txn_date: str, totals: LineTotals
) -> Decimal:
    element = "Line.SalesItemLineDetail"
    amount = _amount(line, detail, element)
    if amount < 0:
        raise faults.invalid_value(
            "Line.Amount", "NegativeAmount : negative line amounts are not supported", "2290"
        )
    if not blank(detail.get("ItemRef")):
        _item(ctx, detail, "ItemRef", element, txn_date)
    else:
        detail.pop("ItemRef", None)
    tax_ref = detail.get("TaxCodeRef")
    code = (
        "NON"
        if blank(tax_ref)
        else str(tax_ref.get("value") if isinstance(tax_ref, dict) else tax_ref)
    )
    if code.upper() not in US_LINE_TAX_CODES:
        raise faults.invalid_tax_code(code)
    detail["TaxCodeRef"] = {"value": code.upper()}
    _optional_ref(ctx, detail, "ClassRef", "Class", element)
    if not blank(detail.get("ServiceDate")):
        detail["ServiceDate"] = iso_date(detail["ServiceDate"], f"{element}.ServiceDate")
    totals.subtotal += amount
    if code.upper() == "TAX":
        totals.taxable += amount
    return amount


def expense_lines(
    ctx: Ctx, obj: Row, existing: Row | None, txn_date: str, *, check_inventory: bool = True
) -> Decimal:
    """Normalise Bill / Purchase / PurchaseOrder lines; returns their total."""
    lines = _require_lines(obj)
    total = ZERO
    out: list[dict[str, Any]] = []
    for line, line_id in zip(lines, _line_ids(lines, existing), strict=True):
        kind = line.get("DetailType") or (
            "ItemBasedExpenseLineDetail"
            if "ItemBasedExpenseLineDetail" in line
            else "AccountBasedExpenseLineDetail"
        )
        new: dict[str, Any] = {"Id": line_id, "LineNum": len(out) + 1, "DetailType": kind}
        if not blank(line.get("Description")):
            new["Description"] = str(line["Description"])
        detail = dict(line.get(kind) or {})
        if kind == "AccountBasedExpenseLineDetail":
            element = "Line.AccountBasedExpenseLineDetail"
            amount = optional_decimal(line, "Amount", "Line.Amount")
            if amount is None:
                raise faults.required_param("Amount", "Line.Amount")
            if blank(detail.get("AccountRef")):
                raise faults.required_param("AccountRef", f"{element}.AccountRef")
            account = resolve_ref(ctx, "Account", detail["AccountRef"], f"{element}.AccountRef")
            detail["AccountRef"] = ref_to(account, "Name")
            amount = money(amount)
        elif kind == "ItemBasedExpenseLineDetail":
            element = "Line.ItemBasedExpenseLineDetail"
            amount = _amount(line, detail, element)
            if blank(detail.get("ItemRef")):
                raise faults.required_param("ItemRef", f"{element}.ItemRef")
            if check_inventory:
                _item(ctx, detail, "ItemRef", element, txn_date)
            else:
                item = resolve_ref(ctx, "Item", detail["ItemRef"], f"{element}.ItemRef")
                detail["ItemRef"] = ref_to(item, "Name")
        else:
            raise faults.invalid_enumeration("Line.DetailType", str(kind))
        _optional_ref(ctx, detail, "CustomerRef", "Customer", element)
        _optional_ref(ctx, detail, "ClassRef", "Class", element)
        detail.setdefault("BillableStatus", "NotBillable")
        new["Amount"] = amount
        new[kind] = detail
        total += amount
        out.append(new)
    obj["Line"] = out
    return total


def tax_detail(ctx: Ctx, obj: Row, taxable: Decimal) -> Decimal:
    """TxnTaxDetail: tax from the transaction's tax code and its rates, or a TotalTax given."""
    detail = obj.get("TxnTaxDetail")
    detail = dict(detail) if isinstance(detail, dict) else {}
    code_ref = detail.get("TxnTaxCodeRef")
    given = optional_decimal(detail, "TotalTax", "TxnTaxDetail.TotalTax")
    result: dict[str, Any] = {}
    tax_lines: list[dict[str, Any]] = []
    computed = ZERO
    if not blank(code_ref) and not (isinstance(code_ref, dict) and blank(code_ref.get("value"))):
        code = resolve_ref(ctx, "TaxCode", code_ref, "TxnTaxDetail.TxnTaxCodeRef")
        result["TxnTaxCodeRef"] = {"value": code["Id"], "name": code.get("Name", "")}
        rate_list = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail", [])
        for entry in rate_list:
            rate = ctx.company.table("TaxRate").get(
                str((entry.get("TaxRateRef") or {}).get("value"))
            )
            if rate is None:
                continue
            percent = decimal(rate.get("RateValue", 0), "TaxRate.RateValue")
            amount = money(taxable * percent / 100)
            computed += amount
            tax_lines.append(
                {
                    "Amount": amount,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": rate["Id"], "name": rate.get("Name", "")},
                        "PercentBased": True,
                        "TaxPercent": percent,
                        "NetAmountTaxable": taxable,
                    },
                }
            )
    # A TotalTax sent with a tax code overrides the computed tax (automated sales tax), except
    # 0: clients send it for a tax they leave unset (python-quickbooks does), and QuickBooks
    # still computes the tax from the code's rates.
    total = computed
    if given is not None and (given != 0 or "TxnTaxCodeRef" not in result):
        total = money(given)
    result["TotalTax"] = total
    if tax_lines:
        result["TaxLine"] = tax_lines
    obj["TxnTaxDetail"] = result
    return total
