"""Mappings: which QuickBooks tax code, payment method, account and class each of the app's
values stands for, picked from QuickBooks' own lists (the mirror, as the last pull saw them).

Each section is saved on its own; the values the app uses that map to nothing usable (from
the setup checklist) are offered as rows to fill, with QuickBooks' same-name object chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.dashboard import queries, web
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.engine.errors import Invalid

__all__ = ["SECTIONS", "router"]

router = APIRouter()

# section -> (heading, what one value is called, the QuickBooks list it maps to)
SECTIONS: Mapping[str, tuple[str, str, str]] = {
    "tax_rates": ("Tax rates", "tax rate", "TaxCode"),
    "payment_methods": ("Payment methods", "payment method", "PaymentMethod"),
    "accounts": ("Accounts", "account", "Account"),
    "classes": ("Classes", "class", "Class"),
}


def _missing(board: web.Dashboard, user: DashboardUser, connection_id: str) -> list[Any]:
    """The values records use that resolve to nothing, from the last setup checklist."""
    try:
        checklist = board.service.checks(user.key_id, connection_id)
    except (LookupError, ValueError):
        return []
    for check in checklist.get("checks") or []:
        if check.get("id") == "mappings":
            return list((check.get("details") or {}).get("missing") or [])
    return []


def _page(
    request: Request,
    board: web.Dashboard,
    user: DashboardUser,
    connection_id: str,
    *,
    result: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    service = board.service
    view = service.connection(user.key_id, connection_id)
    current = service.mappings(user.key_id, connection_id)
    missing = _missing(board, user, connection_id)
    sections: list[dict[str, Any]] = []
    for section, (heading, noun, entity) in SECTIONS.items():
        section_missing: list[dict[str, Any]] = [
            m for m in missing if isinstance(m, dict) and m.get("section") == section
        ]
        choices = queries.quickbooks_choices(service.ledger, connection_id, entity)
        mapped: dict[str, str] = {
            str(k): str(v) for k, v in dict(current.get(section) or {}).items()
        }
        wanted = [m for m in section_missing if m.get("value") not in mapped]
        sections.append(
            {
                "id": section,
                "heading": heading,
                "noun": noun,
                "entity": entity,
                "choices": choices,
                "names": {c.id: c.name for c in choices},
                "mapped": sorted(mapped.items(), key=lambda kv: kv[0].casefold()),
                "missing": wanted,
            }
        )
    return web.render(
        request,
        "mappings.html",
        status=status,
        title=f"Mappings: {view.name}",
        connection=view,
        sections=sections,
        result=result,
    )


@router.get("/connections/{connection_id}/mappings", name="mappings")
def mappings(
    request: Request, connection_id: str, user: web.SignedIn, board: web.Board
) -> Response:
    return _page(request, board, user, connection_id)


@router.post("/connections/{connection_id}/mappings/{section}", name="save_mappings")
def save_mappings(
    request: Request,
    connection_id: str,
    section: str,
    user: web.SignedIn,
    board: web.Board,
    app_value: Annotated[list[str] | None, Form()] = None,
    quickbooks_id: Annotated[list[str] | None, Form()] = None,
) -> Response:
    if section not in SECTIONS:
        return _page(request, board, user, connection_id, result=("error", "Unknown section."))
    values = app_value or []
    targets = quickbooks_id or []
    chosen: dict[str, str] = {}
    for value, target in zip(values, targets, strict=False):
        if value.strip() and target.strip():
            chosen[value.strip()] = target.strip()
    service = board.service
    current = dict(service.mappings(user.key_id, connection_id))
    current[section] = chosen
    try:
        service.set_mappings(user.key_id, connection_id, current)
    except Invalid as invalid:
        return _page(
            request, board, user, connection_id, result=("error", str(invalid)), status=422
        )
    heading = SECTIONS[section][0]
    return _page(
        request,
        board,
        user,
        connection_id,
        result=("ok", f"{heading} saved: {len(chosen)} mapped."),
    )
