"""Request bodies and documented answers of the HTTP API (pydantic, for validation and OpenAPI).

Records are not here: a record is a free-form JSON object that the engine validates
(`core.records.parse_record`), so its problems name fields exactly as the engine knows them
(`RecordIn.data` of a bulk upsert too).
The settings choices repeat `engine.service.SETTINGS` as `Literal`s for the schema; a test keeps
the two equal, and the service checks every setting again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerbridge.adapters.qbo.client import Environment
from ledgerbridge.core.planner import Status
from ledgerbridge.core.records import RecordType
from ledgerbridge.engine.service import PUT_MANY

__all__ = [
    "ClosedPeriods",
    "ConnectionOut",
    "ConnectionSettings",
    "EventsPage",
    "Mappings",
    "NameConflicts",
    "NewConnection",
    "Numbering",
    "PullQueued",
    "Queued",
    "ReceivedOut",
    "ReceivedPage",
    "RecordIn",
    "RecordOut",
    "RecordsIn",
    "RecordsPage",
    "SyncSelection",
]

NameConflicts = Literal["ask", "differentiate", "link_on_email"]
Numbering = Literal["app", "quickbooks", "prefix"]
QuickBooksChanges = Literal["ask", "app_wins", "quickbooks_wins"]
ClosedPeriods = Literal["error", "move_to_open_day"]

_INPUT = ConfigDict(extra="forbid", strict=True)
_OUTPUT = ConfigDict(extra="allow")
QboId = Annotated[str, Field(min_length=1)]


class ConnectionSettings(BaseModel):
    """How a connection syncs; every field is optional, a PATCH changes only those sent.

    Keys not listed here go on to the service, which knows every setting and refuses the
    unknown ones; the schema types the ones it lists.
    """

    model_config = ConfigDict(extra="allow", strict=True)

    name_conflicts: NameConflicts | None = Field(
        None, description="A name already used in QuickBooks: ask, differentiate or link"
    )
    numbering: Numbering | None = Field(
        None, description="Who numbers documents: the app, QuickBooks, or the app with a prefix"
    )
    number_prefix: str | None = Field(None, max_length=10, description="For numbering=prefix")
    number_start: int | None = Field(
        None, ge=1, description="The app's invoice numbers continue from this number"
    )
    closed_periods: ClosedPeriods | None = Field(
        None, description="A document dated in a closed period: error, or move to the open day"
    )
    customer_email_required: bool | None = Field(
        None, description="Refuse customers without an email"
    )
    quickbooks_changes: QuickBooksChanges | None = Field(
        None,
        description="A synced record changed in QuickBooks: ask a person (a problem with both "
        "values), send the app's values back (app_wins), or keep QuickBooks' values and tell "
        "the app (quickbooks_wins)",
    )
    auto_push: list[RecordType] | None = Field(
        None,
        description="The record types pushed as soon as they arrive (default: all); records "
        "of the other types are held until a sync request, the retry action or a record that "
        "needs them pushes them",
    )
    events_url: str | None = Field(
        None,
        pattern="^https?://",
        description="Where events are POSTed, signed with the connection's events_secret "
        "(null: only the pollable feed). https, to a host whose every address is public (not "
        "loopback, link-local or private), checked when set and at each delivery; plain http "
        "and other addresses only for hosts the server's operator allows "
        "(LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS). Redirects are not followed",
    )


class NewConnection(BaseModel):
    """A connection from the app to one QuickBooks company (connected later, by OAuth)."""

    model_config = _INPUT

    name: str = Field(min_length=1, max_length=200, examples=["Main office"])
    environment: Environment = Field(examples=["sandbox"])
    settings: ConnectionSettings | None = None


class Mappings(BaseModel):
    """App values -> QuickBooks ids (strings), per list. A PUT replaces all of them."""

    model_config = _INPUT

    tax_rates: dict[str, QboId] | None = Field(None, examples=[{"CA": "3"}])
    payment_methods: dict[str, QboId] | None = Field(None, examples=[{"card": "2"}])
    accounts: dict[str, QboId] | None = None
    classes: dict[str, QboId] | None = None


class SyncSelection(BaseModel):
    """Which records to sync again; all of them when empty."""

    model_config = _INPUT

    type: RecordType | None = None
    status: Status | None = None
    ids: list[Annotated[str, Field(min_length=1)]] | None = Field(None, max_length=10_000)


class LeftAsItIs(BaseModel):
    type: str
    id: str
    code: str = Field(description="The record's problem, which still holds in QuickBooks")
    reason: str = Field(description="Why it was not sent again, and what fixes it")


class Queued(BaseModel):
    queued: int = Field(description="How many records are due again")
    left: list[LeftAsItIs] = Field(
        default_factory=list,
        description="Records whose problem comes from QuickBooks and still holds there: "
        "sending them again would change nothing, so they are left as they are",
    )


class PullQueued(BaseModel):
    status: Literal["queued"]


class ConnectionOut(BaseModel):
    model_config = _OUTPUT

    id: str
    name: str
    environment: Environment
    status: str = Field(examples=["active"])
    realm_id: str | None
    company_name: str | None
    counts: dict[str, int] = Field(description="Records per sync status")
    last_pull_at: str | None
    settings: dict[str, Any]
    problem: RecordProblemOut | None = Field(
        None,
        description="What stops the whole connection beyond its status, from the catalog "
        "(`connection.secret_keys_changed`: the server's secret keys no longer open its "
        "stored QuickBooks tokens); null when nothing does",
    )


class RecordProblemOut(BaseModel):
    model_config = _OUTPUT

    code: str
    title: str
    meaning: str
    fix: list[str]
    actions: list[str]
    retriable: bool
    field: str | None
    params: dict[str, Any]


class RecordOut(BaseModel):
    model_config = _OUTPUT

    type: RecordType
    id: str
    status: Status
    version: int
    deleted: bool
    data: dict[str, Any] = Field(description="The record as last received, in canonical form")
    quickbooks_id: str | None
    quickbooks_number: str | None
    quickbooks_url: str | None
    problem: RecordProblemOut | None
    blocked_by: dict[str, str] | None
    history: list[dict[str, Any]]
    actions: list[str] = Field(description="The actions the record offers now")
    overrides: dict[str, Any] = Field(
        description="Fields sent to QuickBooks with another value than the app's, by an action"
    )
    held: bool = Field(
        description="Pending, and not pushed by itself: the connection's auto_push leaves its "
        "type out. A sync request that selects it, the retry action, a pushed record that needs "
        "it, or auto_push taking its type in releases it"
    )


class RecordIn(BaseModel):
    model_config = _INPUT

    type: str = Field(description="customer, property, item, vendor, invoice, ...")
    id: str = Field(description="The app's id of the record")
    data: dict[str, Any] = Field(description="The canonical record, as its own PUT takes it")


class RecordsIn(BaseModel):
    model_config = _INPUT

    records: list[RecordIn] = Field(max_length=PUT_MANY)


class ReceivedOut(BaseModel):
    type: str
    id: str
    stored: bool = Field(description="False: refused, nothing stored; `problems` say why")
    version: int | None = None
    held: bool | None = Field(
        default=None, description="Stored but not pushed by itself (the connection's auto_push)"
    )
    problems: list[dict[str, Any]] | None = None


class ReceivedPage(BaseModel):
    items: list[ReceivedOut] = Field(description="One answer per record, in order")
    stored: int
    refused: int


class RecordsPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class EventOut(BaseModel):
    model_config = _OUTPUT

    id: int
    type: str
    payload: dict[str, Any]
    created_at: str


class EventsPage(BaseModel):
    items: list[EventOut]
    next_after: int = Field(description="Pass as `after` to poll for newer events")
