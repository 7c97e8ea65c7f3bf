"""QuickBooks' own lists, read from ledgerbridge's copy of them (the mirror), and a refresh of
that copy from QuickBooks now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS, ErrorResponse
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.api.responses import JsonAnswer
from ledgerbridge.api.schemas import QuickBooksPage, Refreshed
from ledgerbridge.core.lists import ListName
from ledgerbridge.engine.service.quickbooks_lists import MAX_LIMIT, MAX_SEARCH, MAX_WAIT

__all__ = ["router"]

router = APIRouter(
    route_class=JsonRoute,
    prefix="/v1/connections/{connection_id}/quickbooks",
    tags=["quickbooks"],
    responses=ERRORS,
)


def _words(what: str) -> Any:
    return Query(max_length=MAX_SEARCH, description=what)


_UNREACHABLE: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorResponse,
        "description": "The connection cannot read QuickBooks: `connection.not_connected`, "
        "`connection.disconnected`, `connection.suspended`, `connection.wrong_company`",
    },
    429: {
        "model": ErrorResponse,
        "description": "`quickbooks.throttled`: QuickBooks asks the company to slow down "
        "(see `Retry-After`)",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}},
    },
    502: {"model": ErrorResponse, "description": "`quickbooks.unavailable`"},
    503: {
        "model": ErrorResponse,
        "description": "`connection.secret_keys_changed`: the stored tokens cannot be opened",
    },
}


@router.post(
    "/refresh",
    summary="Read QuickBooks' changes into the lists now",
    description="Reads what changed in QuickBooks since the last read (change data capture; "
    "tax codes and rates are read whole) and answers when the lists are current: 200 with "
    "`current: true`. Past `wait` seconds it answers 202 with `current: false` and the read "
    "goes on. A company that cannot be read is answered at once, naming why.",
    response_model=None,
    responses={
        200: {"model": Refreshed, "description": "The lists are current"},
        202: {"model": Refreshed, "description": "Still reading after `wait` seconds"},
        **_UNREACHABLE,
    },
)
def refresh(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for the read at most")
    ] = 30,
) -> JSONResponse:
    done = service.refresh_quickbooks(key_id, connection_id, wait=wait)
    return JsonAnswer(done.to_json(), status_code=200 if done.current else 202)


@router.get("/refresh", include_in_schema=False)
def refresh_by_get(connection_id: str) -> None:
    """A GET of the refresh is no list: 405 (Allow: POST), not a 422 naming `list`."""
    raise HTTPException(405, "Method Not Allowed")


@router.get(
    "/{list}",
    summary="One of QuickBooks' lists: customers (with jobs), vendors, items, accounts, ...",
    description="The list as ledgerbridge last read it from QuickBooks (`mirror` says how "
    "current), in name order, paged by `cursor`. Customers, vendors and items come in the "
    "shape of the app's records (`record`), others with the fields they are picked by; each "
    "with its QuickBooks id and the app record linked to it, if any. Searches ignore case "
    "and look for the words anywhere in the field.",
    response_model=None,
    responses={200: {"model": QuickBooksPage}},
)
def quickbooks_list(
    connection_id: str,
    list_name: Annotated[ListName, Path(alias="list", description="Which list")],
    key_id: KeyId,
    service: ServiceDep,
    q: Annotated[str | None, _words("In the name, email or SKU")] = None,
    name: Annotated[str | None, _words("In the name")] = None,
    email: Annotated[str | None, _words("In the email (customers, vendors, employees)")] = None,
    sku: Annotated[str | None, _words("In the SKU (items)")] = None,
    active: Annotated[
        bool | None, Query(description="true: active ones only; false: inactive ones only")
    ] = None,
    linked: Annotated[
        bool | None,
        Query(description="true: those linked to an app record only; false: unlinked only"),
    ] = None,
    parent: Annotated[
        str | None, _words("The QuickBooks id of the parent (a customer's jobs)")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=4 * MAX_SEARCH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    page = service.quickbooks_list(
        key_id,
        connection_id,
        list_name,
        q=q,
        name=name,
        email=email,
        sku=sku,
        active=active,
        linked=linked,
        parent=parent,
        cursor=cursor,
        limit=limit,
    )
    return page.to_json()
