"""Reading client values the way QuickBooks does: blanks, money, dates, references, limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qbo_emulator import faults
from qbo_emulator.model.specs import EntitySpec
from qbo_emulator.model.store import Row
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.tax_codes import pseudo_tax_code

CENT = Decimal("0.01")


def blank(value: Any) -> bool:
    """Clients (python-quickbooks among them) send "" for fields they leave unset."""
    return value is None or (isinstance(value, str) and value.strip() == "")


def drop_blanks(obj: Mapping[str, Any]) -> Row:
    return {k: v for k, v in obj.items() if not blank(v)}


def decimal(value: Any, element: str) -> Decimal:
    if isinstance(value, bool):
        raise faults.invalid_value(element, f"Invalid Number Format : {element}", "2080")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise faults.invalid_value(
                element, f"Invalid Number Format : {element}={value!r}", "2080"
            ) from None
    if not result.is_finite():
        raise faults.invalid_value(element, f"Invalid Number Format : {element}", "2080")
    return result


def optional_decimal(
    obj: Mapping[str, Any], key: str, element: str | None = None
) -> Decimal | None:
    value = obj.get(key)
    return None if blank(value) else decimal(value, element or key)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def iso_date(value: Any, element: str) -> str:
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat() if len(text) >= 10 else _bad(text)
    except ValueError:
        raise faults.invalid_value(
            element, f"Invalid Date Format : {element}={text} (expected YYYY-MM-DD)", "2060"
        ) from None


def _bad(text: str) -> str:
    raise ValueError(text)


def txn_date(ctx: Ctx, obj: Row) -> str:
    """TxnDate, defaulting to the company's today, normalised to YYYY-MM-DD."""
    value = obj.get("TxnDate")
    result = ctx.today.isoformat() if blank(value) else iso_date(value, "TxnDate")
    obj["TxnDate"] = result
    return result


def boolean(value: Any, element: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise faults.invalid_value(element, f"Invalid Boolean : {element}={value!r}", "2010")


def ref_id(ref: Any, element: str) -> str:
    """The id inside `{"value": "12", "name": ...}`; a bare string or number is taken too."""
    value = ref.get("value") if isinstance(ref, Mapping) else ref
    if blank(value):
        raise faults.required_param(f"{element}.value", element)
    return str(value).strip()


def resolve_ref(
    ctx: Ctx, entity: str, ref: Any, element: str, *, allow_inactive: bool = False
) -> Row:
    """The row a reference names: 2500 when it names nothing, 610 when it is inactive."""
    entity_id = ref_id(ref, element)
    row = ctx.company.table(entity).get(entity_id)
    if row is None and entity == "TaxCode":
        row = pseudo_tax_code(ctx.company, entity_id)
    if row is None:
        raise faults.invalid_reference(element, entity_id)
    if not allow_inactive and row.get("Active") is False:
        raise faults.object_not_found(element)
    return row


def ref_to(row: Row, name_field: str = "DisplayName") -> dict[str, str]:
    name = row.get(name_field) or row.get("FullyQualifiedName") or row.get("Name") or ""
    return {"value": row["Id"], "name": str(name)}


def check_refs(ctx: Ctx, spec: EntitySpec, obj: Row) -> None:
    """Every top-level reference the spec knows must name a live row; names are filled in."""
    for key, target in spec.refs.items():
        ref = obj.get(key)
        if blank(ref) or (isinstance(ref, Mapping) and blank(ref.get("value"))):
            obj.pop(key, None)
            continue
        row = resolve_ref(ctx, target, ref, key)
        obj[key] = ref_to(row, _name_field(target))


def _name_field(entity: str) -> str:
    return "DisplayName" if entity in ("Customer", "Vendor", "Employee") else "Name"


_LimitPaths = tuple[tuple[str, tuple[str, ...], int], ...]
_LIMIT_PATHS: dict[str, tuple[EntitySpec, _LimitPaths]] = {}


def _limit_paths(spec: EntitySpec) -> _LimitPaths:
    """The spec's string limits, each dotted path split once per process (per spec object)."""
    found = _LIMIT_PATHS.get(spec.name)
    if found is None or found[0] is not spec:
        paths = tuple(
            (path, tuple(path.split(".")), limit) for path, limit in spec.string_limits.items()
        )
        found = _LIMIT_PATHS[spec.name] = (spec, paths)
    return found[1]


def check_string_limits(spec: EntitySpec, obj: Mapping[str, Any]) -> None:
    """2050 for any string longer than QuickBooks allows (dotted paths reach sub-objects)."""
    for path, parts, limit in _limit_paths(spec):
        value: Any = obj
        for part in parts:  # JSON's objects are dicts: the ABC's check only for others
            mapping = type(value) is dict or isinstance(value, Mapping)
            value = value.get(part) if mapping else None
            if value is None:
                break
        if isinstance(value, str) and len(value) > limit:
            raise faults.string_length(path, limit, len(value))


def check_text(value: str, element: str, limit: int) -> None:
    if len(value) > limit:
        raise faults.string_length(element, limit, len(value))
