"""Setup checks of a connection (a checklist for the office), and the action they offer.

GET  /v1/connections/{cid}/checks                                the last checklist
POST /v1/connections/{cid}/checks                                check again now
POST /v1/connections/{cid}/actions/apply_numbering_start         {number?}
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.api.schemas import PositiveWhole

__all__ = ["router"]

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/connections/{connection_id}",
    tags=["checks"],
    responses=ERRORS,
)


class CheckOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(examples=["numbering"])
    title: str
    status: Literal["ok", "warning", "error"]
    summary: str = Field(description="One sentence for an office user")
    details: dict[str, Any]
    code: str | None = Field(description="The catalog code behind it, when one applies")
    actions: list[str] = Field(description="Connection actions: POST .../actions/{action}")


class ChecklistOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    checked_at: str | None
    status: Literal["ok", "warning", "error"] = Field(description="The worst check's status")
    checks: list[CheckOut]


class NumberingStart(BaseModel):
    """The number the app's invoices continue from; the first safe one when left out."""

    model_config = ConfigDict(extra="forbid", strict=True)

    number: PositiveWhole | None = Field(None, examples=[1251])


class NumberingStartOut(BaseModel):
    number: int = Field(description="The connection's number_start setting now")
    next_number: str = Field(description="The next invoice number, as the app writes it")
    checks: dict[str, Any] = Field(description="The checklist made again")


@router.get(
    "/checks",
    summary="The setup checklist (made now if there is none yet)",
    response_model=None,
    responses={200: {"model": ChecklistOut}},
)
def get_checks(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.checks(key_id, connection_id)


@router.post(
    "/checks",
    summary="Run the setup checks now",
    response_model=None,
    responses={200: {"model": ChecklistOut}},
)
def run_checks(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return service.checks(key_id, connection_id, run=True)


@router.post(
    "/actions/apply_numbering_start",
    summary="Continue the app's invoice numbers after those used in QuickBooks",
    response_model=None,
    responses={200: {"model": NumberingStartOut}},
)
def apply_numbering_start(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    body: NumberingStart | None = None,
) -> dict[str, Any]:
    number = body.number if body is not None else None
    return service.apply_numbering_start(key_id, connection_id, number)
