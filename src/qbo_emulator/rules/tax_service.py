"""Tax agencies, and tax codes made with their rates through `POST /taxservice/taxcode`.

TaxCode and TaxRate are read-only through their own endpoints; the TaxService endpoint creates a
tax code together with its rates, each either an existing rate (`TaxRateId`) or a new one
(`TaxRateName`, `RateValue`, `TaxAgencyId`). Tax agencies are created and read, never changed
or deleted through the API (TaxAgency reference).

    create_tax_code(ctx, {"TaxCode": "Mystate", "TaxRateDetails": [
        {"TaxRateName": "Mystate city", "RateValue": "2", "TaxAgencyId": "1",
         "TaxApplicableOn": "Sales"}]})
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from qbo_emulator import clock, faults
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.values import blank, boolean, decimal, ref_id

APPLICABLE_ON = ("Sales", "Purchase")
MAX_NAME = 100


def prepare_tax_agency(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    name = obj.get("DisplayName")
    if blank(name):
        raise faults.required_param("DisplayName")
    obj["DisplayName"] = str(name).strip()
    other = ctx.company.table("TaxAgency").first("DisplayName", obj["DisplayName"])
    if other is not None and other["Id"] != obj.get("Id"):
        raise faults.duplicate_name("TaxAgency")
    for key, default in (("TaxTrackedOnSales", True), ("TaxTrackedOnPurchases", False)):
        value = obj.get(key)
        obj[key] = default if blank(value) else boolean(value, key)
    obj["TaxAgencyConfig"] = "USER_DEFINED"
    return obj


def _name(value: Any, element: str) -> str:
    if blank(value):
        raise faults.required_param(element)
    text = str(value).strip()
    if len(text) > MAX_NAME:
        raise faults.string_length(element, MAX_NAME, len(text))
    return text


def _agency(ctx: Ctx, value: Any) -> str:
    agency_id = ref_id(value, "TaxRateDetails.TaxAgencyId")
    if ctx.company.table("TaxAgency").get(agency_id) is None:
        raise faults.invalid_reference("TaxRateDetails.TaxAgencyId", agency_id)
    return agency_id


def _rate_detail(ctx: Ctx, detail: Any, new_names: set[str]) -> tuple[dict[str, Any], Row | None]:
    """One entry of TaxRateDetails, checked; returns the answer's entry and a new rate row."""
    if not isinstance(detail, Mapping):
        raise faults.invalid_value("TaxRateDetails", "Each TaxRateDetails entry must be an object")
    applicable = detail.get("TaxApplicableOn") or "Sales"
    if applicable not in APPLICABLE_ON:
        raise faults.invalid_enumeration("TaxRateDetails.TaxApplicableOn", str(applicable))
    rates = ctx.company.table("TaxRate")
    if not blank(detail.get("TaxRateId")) and str(detail["TaxRateId"]).strip() not in ("", "0"):
        rate_id = str(detail["TaxRateId"]).strip()
        rate = rates.get(rate_id)
        if rate is None:
            raise faults.invalid_reference("TaxRateDetails.TaxRateId", rate_id)
        entry = {
            "TaxRateName": rate.get("Name"),
            "TaxRateId": rate_id,
            "RateValue": rate.get("RateValue"),
            "TaxAgencyId": (rate.get("AgencyRef") or {}).get("value"),
            "TaxApplicableOn": applicable,
        }
        return entry, None
    name = _name(detail.get("TaxRateName"), "TaxRateDetails.TaxRateName")
    folded = name.casefold()
    if rates.first("Name", name) is not None or folded in new_names:
        raise faults.duplicate_name("TaxRate")
    new_names.add(folded)
    if blank(detail.get("RateValue")):
        raise faults.required_param("RateValue", "TaxRateDetails.RateValue")
    value = decimal(detail["RateValue"], "TaxRateDetails.RateValue")
    if not Decimal(0) <= value <= Decimal(100):
        raise faults.invalid_value(
            "TaxRateDetails.RateValue", "Invalid Number : RateValue must be between 0 and 100"
        )
    if blank(detail.get("TaxAgencyId")):
        raise faults.required_param("TaxAgencyId", "TaxRateDetails.TaxAgencyId")
    agency_id = _agency(ctx, detail["TaxAgencyId"])
    row: Row = {
        "Name": name,
        "Description": name,
        "Active": True,
        "RateValue": value,
        "AgencyRef": {"value": agency_id},
        "SpecialTaxType": "NONE",
        "DisplayType": "ReadOnly",
    }
    entry = {
        "TaxRateName": name,
        "RateValue": value,
        "TaxAgencyId": agency_id,
        "TaxApplicableOn": applicable,
    }
    return entry, row


def _store(ctx: Ctx, entity: str, obj: Row) -> Row:
    table = ctx.company.table(entity)
    stamp = clock.format_timestamp(ctx.now)
    row: Row = {
        **obj,
        "Id": table.allocate_id(),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }
    table.put(row, ctx.now)
    return row


def create_tax_code(ctx: Ctx, payload: Any) -> dict[str, Any]:
    """`POST /taxservice/taxcode`: a new tax code (a tax group) and the new rates it names."""
    if not isinstance(payload, Mapping):
        raise faults.invalid_value("", "The request body must be a JSON object", "2010")
    name = _name(payload.get("TaxCode"), "TaxCode")
    if ctx.company.table("TaxCode").first("Name", name) is not None:
        raise faults.duplicate_name("TaxCode")
    details = payload.get("TaxRateDetails")
    if not isinstance(details, list) or not details:
        raise faults.required_param("TaxRateDetails")
    new_names: set[str] = set()
    checked = [_rate_detail(ctx, detail, new_names) for detail in details]
    # Everything is valid: store the new rates, then the code that groups them.
    answer: list[dict[str, Any]] = []
    lists: dict[str, list[dict[str, Any]]] = {"Sales": [], "Purchase": []}
    for entry, new_rate in checked:
        if new_rate is not None:
            entry["TaxRateId"] = _store(ctx, "TaxRate", new_rate)["Id"]
        answer.append(entry)
        lists[entry["TaxApplicableOn"]].append(
            {
                "TaxRateRef": {"value": entry["TaxRateId"], "name": entry["TaxRateName"]},
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            }
        )
    code = _store(
        ctx,
        "TaxCode",
        {
            "Name": name,
            "Description": name,
            "Active": True,
            "Hidden": False,
            "Taxable": True,
            "TaxGroup": True,
            "SalesTaxRateList": {"TaxRateDetail": lists["Sales"]},
            "PurchaseTaxRateList": {"TaxRateDetail": lists["Purchase"]},
        },
    )
    return {"TaxCode": name, "TaxCodeId": code["Id"], "TaxRateDetails": answer}
