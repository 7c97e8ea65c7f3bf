"""QuickBooks' own lists, read from ledgerbridge's copy of them (the mirror), and a refresh of
that copy from QuickBooks now; what people made in QuickBooks kept for the app to acknowledge
(imports), and the initial import of a company's lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from ledgerbridge.api.auth import KeyId, ServiceDep
from ledgerbridge.api.errors import ERRORS, ErrorResponse
from ledgerbridge.api.limits import JsonRoute
from ledgerbridge.api.responses import JsonAnswer
from ledgerbridge.api.schemas import (
    Acknowledge,
    ImportProgress,
    ImportsPage,
    ImportStart,
    QuickBooksPage,
    Refreshed,
)
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


ImportType = Literal["customer", "vendor", "item", "payment"]


@router.get(
    "/imports",
    summary="What people made in QuickBooks, waiting for the app's acknowledgement",
    description="Objects made or changed in QuickBooks that no app record is linked to, kept "
    "for the app when the connection's `from_quickbooks_<type>` setting is `import` (each also "
    "told as a `quickbooks.*` event) or by the initial import, in the order they came, each in "
    "the shape of the app's records. Acknowledge each with the app's id: it then adopts the "
    "object (nothing is created in QuickBooks).",
    response_model=None,
    responses={200: {"model": ImportsPage}},
)
def imports(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    type: Annotated[ImportType | None, Query(description="Only this record type")] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    page = service.quickbooks_imports(
        key_id, connection_id, record_type=type, cursor=cursor, limit=limit
    )
    return page.to_json()


@router.post(
    "/imports/{type}/{quickbooks_id}/acknowledge",
    summary="Acknowledge an import: the app's id adopts the QuickBooks object",
    description="With `id`: the app's record of that id is stored (`data`, or the import's own "
    "record) linked to the QuickBooks object, as `PUT .../records/{type}/{id}` with "
    '`"link": {"quickbooks_id": ...}` would store it: the next push links it, creating '
    "nothing, and edits then flow both ways. With `id` null the app declines it. Either way it "
    "leaves the imports. A read-only object (a bundle, a category) or a payment with a method "
    "the app does not take cannot be the app's record as it is: 422 naming the catalog code.",
    response_model=None,
    responses={200: {"description": "The app's record (its sync view), or declined"}},
)
def acknowledge(
    connection_id: str,
    type: ImportType,
    quickbooks_id: Annotated[str, Path(max_length=40)],
    body: Acknowledge,
    key_id: KeyId,
    service: ServiceDep,
) -> dict[str, Any]:
    view = service.acknowledge_import(
        key_id, connection_id, type, quickbooks_id, body.id, body.data
    )
    if view is None:
        return {"declined": True, "type": type, "quickbooks_id": quickbooks_id}
    return view.to_json()


@router.post(
    "/import",
    summary="Start the initial import of QuickBooks' customers, vendors and items",
    description="Pages through the lists (a count first, then pages of 200 objects, every read "
    "within the company's rate limits) and keeps each object no app record is linked to as an "
    "import (`GET .../quickbooks/imports`); the app acknowledges them with its ids before its "
    "first push. Answers 202 at once with the progress; `started` is false when one runs "
    "already.",
    response_model=None,
    status_code=202,
    responses={
        202: {"model": ImportProgress},
        409: {
            "model": ErrorResponse,
            "description": "The connection cannot import: not connected to its QuickBooks "
            "Online company, or a QuickBooks Desktop connection",
        },
    },
)
def start_import(
    connection_id: str,
    key_id: KeyId,
    service: ServiceDep,
    body: ImportStart | None = None,
) -> JSONResponse:
    began, progress = service.start_import(
        key_id, connection_id, body.lists if body is not None else None
    )
    return JsonAnswer({**progress, "started": began}, status_code=202)


@router.get(
    "/import",
    summary="The initial import's progress",
    description="Per list: objects counted in QuickBooks (`total`), read, and kept as imports; "
    "`percent` read of all counted; `waiting`: imports not acknowledged yet, per type.",
    response_model=None,
    responses={200: {"model": ImportProgress}},
)
def import_progress(connection_id: str, key_id: KeyId, service: ServiceDep) -> dict[str, Any]:
    return dict(service.import_progress(key_id, connection_id))


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
