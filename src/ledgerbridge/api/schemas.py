"""Request bodies and documented answers of the HTTP API (pydantic, for validation and OpenAPI).

Records are not here: a record is a free-form JSON object that the engine validates
(`core.records.parse_record`), so its problems name fields exactly as the engine knows them
(`RecordIn.data` of a bulk upsert too).
The settings choices repeat `engine.service.SETTINGS` as `Literal`s for the schema; a test keeps
the two equal, and the service checks every setting again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from ledgerbridge.core import web_connector
from ledgerbridge.core.records import RecordType
from ledgerbridge.core.status import StatusName
from ledgerbridge.engine.service import PUT_MANY

Environment = Literal["production", "sandbox", "emulator", "desktop"]
"""QuickBooks Online's (production, sandbox, the local emulator) or QuickBooks Desktop's,
reached through the Web Connector."""

__all__ = [
    "ClosedPeriods",
    "ConnectionOut",
    "ConnectionSettings",
    "EventsPage",
    "Mappings",
    "NameConflicts",
    "NewConnection",
    "Numbering",
    "PositiveWhole",
    "PullQueued",
    "Queued",
    "QuickBooksEntryOut",
    "QuickBooksPage",
    "ReceivedOut",
    "ReceivedPage",
    "RecordIn",
    "RecordOut",
    "RecordsIn",
    "RecordsPage",
    "Refreshed",
    "SyncSelection",
]

NameConflicts = Literal["ask", "differentiate", "link_on_email"]
Numbering = Literal["app", "quickbooks", "prefix"]
QuickBooksChanges = Literal["ask", "app_wins", "quickbooks_wins"]
ClosedPeriods = Literal["error", "move_to_open_day"]
FromQuickBooks = Literal["off", "events", "import"]  # core.twoway.MODES
FromQuickBooksReadOnly = Literal["off", "events"]  # core.twoway.modes_of("invoices")

_INPUT = ConfigDict(extra="forbid", strict=True)
_OUTPUT = ConfigDict(extra="allow")
TEXT_PATTERN = "^[^\\u0000-\\u001f\\ufffe\\uffff]*$"
"""What `core.text.refused` keeps of a single-line value, as a JSON Schema pattern (documented
only: the service's own check names the character; JSON cannot carry a lone surrogate in
valid UTF-8, so the pattern does not name them)."""
_TEXT: JsonDict = {"pattern": TEXT_PATTERN}
Text = Annotated[str, Field(json_schema_extra=_TEXT)]
QboId = Annotated[str, Field(min_length=1, json_schema_extra=_TEXT)]
_KEYS_ARE_TEXT: JsonDict = {"propertyNames": _TEXT}


def _absent_not_null(schema: dict[str, Any]) -> None:
    """A field left out is left as it is; null is not a value of the fields typed without it,
    so their schema shows no null default (the server answers 422 to a null there)."""
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None:
            del field["default"]


def _whole_number(value: Any) -> Any:
    """JSON Schema's integer holds 1251.0 too; strict validation would refuse it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _distinct(types: list[RecordType] | None) -> list[RecordType] | None:
    if types is not None:
        for index, kind in enumerate(types):
            if kind in types[:index]:
                raise ValueError(f"{kind} is listed twice (at {types.index(kind)} and {index})")
    return types


PositiveWhole = Annotated[int, Field(ge=1), BeforeValidator(_whole_number)]
_ABSENT: Any = None
"""The default of a field that may be left out but not be null: read with
`model_dump(exclude_unset=True)`, it is never seen (typed `Any` to keep the field's own type)."""


class ConnectionSettings(BaseModel):
    """How a connection syncs; every field is optional, a PATCH changes only those sent.

    Unknown names are refused (`input.unknown_field`); the service knows every setting and
    checks each value again.
    """

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_absent_not_null)

    name_conflicts: NameConflicts = Field(
        _ABSENT, description="A name already used in QuickBooks: ask, differentiate or link"
    )
    numbering: Numbering = Field(
        _ABSENT, description="Who numbers documents: the app, QuickBooks, or the app with a prefix"
    )
    number_prefix: Text = Field(_ABSENT, max_length=10, description="For numbering=prefix")
    number_start: PositiveWhole | None = Field(
        None,
        description="The app's invoice numbers continue from this number (null: no start)",
    )
    closed_periods: ClosedPeriods = Field(
        _ABSENT, description="A document dated in a closed period: error, or move to the open day"
    )
    customer_email_required: bool = Field(_ABSENT, description="Refuse customers without an email")
    quickbooks_changes: QuickBooksChanges = Field(
        _ABSENT,
        description="A synced record changed in QuickBooks: ask a person (a problem with both "
        "values), send the app's values back (app_wins), or keep QuickBooks' values and tell "
        "the app (quickbooks_wins)",
    )
    auto_push: Annotated[list[RecordType], AfterValidator(_distinct)] = Field(
        _ABSENT,
        json_schema_extra={"uniqueItems": True},
        description="The record types pushed as soon as they arrive (default: all), each "
        "once; records of the other types are held until a sync request, the retry action or "
        "a record that needs them pushes them",
    )
    field_limit_margin: Annotated[int, BeforeValidator(_whole_number)] = Field(
        _ABSENT,
        ge=0,
        le=1000,
        description="How far past QuickBooks' limit a text may go and still be stored, in "
        "percent of the limit (default 100: up to twice the limit). Within it the record is "
        "stored and stops with record.field_too_long, which Shorten fixes; beyond it (or over "
        "1 MB) the record is refused with a 422 naming the field",
    )
    web_connector_silent_minutes: Annotated[int, BeforeValidator(_whole_number)] = Field(
        _ABSENT,
        ge=web_connector.MIN_SILENT_MINUTES,
        le=web_connector.MAX_SILENT_MINUTES,
        description="QuickBooks Desktop: minutes without a call from the Web Connector before "
        "the connection shows connection.web_connector_silent and the status connector_offline "
        f"(default {web_connector.DEFAULT_SILENT_MINUTES}: {web_connector.SILENT_AFTER_RUNS} "
        f"updates of the .qwc file's {web_connector.RUN_EVERY_MINUTES}-minute schedule)",
    )
    from_quickbooks_customers: FromQuickBooks = Field(
        _ABSENT,
        description="Customers made or changed in QuickBooks that no app record is linked to: "
        "off, told as quickbooks.created/updated/deactivated/deleted events (events; the "
        "default of connections made since this setting exists, off for older ones), or told "
        "and kept as imports the app acknowledges with its own id (import: GET "
        ".../quickbooks/imports)",
    )
    from_quickbooks_vendors: FromQuickBooks = Field(
        _ABSENT, description="As from_quickbooks_customers, for vendors"
    )
    from_quickbooks_items: FromQuickBooks = Field(
        _ABSENT, description="As from_quickbooks_customers, for items"
    )
    from_quickbooks_payments: FromQuickBooks = Field(
        _ABSENT,
        description="As from_quickbooks_customers, for payments recorded in QuickBooks against "
        "the app's invoices (as the app's payments: method through the mappings read backwards)",
    )
    from_quickbooks_invoices: FromQuickBooksReadOnly = Field(
        _ABSENT,
        description="Invoices made or changed in QuickBooks that no app record is linked to: "
        "off or events (read-only: nothing is written back to them; import is not offered)",
    )
    events_url: str | None = Field(
        None,
        pattern="^https?://[^\\u0000-\\u001f\\ufffe\\uffff]*$",
        description="Where events are POSTed, signed with the connection's events_secret "
        "(null: only the pollable feed). https, to a host whose every address is public (not "
        "loopback, link-local or private), checked when set and at each delivery; plain http "
        "and other addresses only for hosts the server's operator allows "
        "(LEDGERBRIDGE_EVENTS_ALLOW_HTTP_HOSTS). Redirects are not followed",
    )


class NewConnection(BaseModel):
    """A connection from the app to one QuickBooks company (connected later, by OAuth)."""

    model_config = _INPUT

    name: Text = Field(min_length=1, max_length=200, examples=["Main office"])
    environment: Environment = Field(examples=["sandbox"])
    settings: ConnectionSettings | None = None


class Mappings(BaseModel):
    """App values -> QuickBooks ids (strings), per list. A PUT replaces all of them."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_absent_not_null)

    tax_rates: dict[str, QboId] = Field(
        _ABSENT, examples=[{"CA": "3"}], json_schema_extra=_KEYS_ARE_TEXT
    )
    payment_methods: dict[str, QboId] = Field(
        _ABSENT, examples=[{"card": "2"}], json_schema_extra=_KEYS_ARE_TEXT
    )
    accounts: dict[str, QboId] = Field(_ABSENT, json_schema_extra=_KEYS_ARE_TEXT)
    classes: dict[str, QboId] = Field(_ABSENT, json_schema_extra=_KEYS_ARE_TEXT)


class SyncSelection(BaseModel):
    """Which records to sync again; all of them when empty."""

    model_config = _INPUT

    type: RecordType | None = None
    status: StatusName | None = None
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
    waiting_until: str | None = Field(
        None,
        description="QuickBooks' limits make the company wait until this moment (it answered "
        "429, or the company's requests for the minute are used up): the pull reads "
        "QuickBooks then, not before; null when it does not wait",
    )


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
    waiting_until: str | None = Field(
        None,
        description="QuickBooks' limits make the company wait until this moment (QuickBooks "
        "answered 429, or the company's requests for the minute are used up): nothing is sent "
        "before it, a retry included; null when it does not wait",
    )
    webhooks_seen_at: str | None = Field(
        None,
        description="When a signed webhook from Intuit last named this company (the echoes "
        "of ledgerbridge's own writes count; noted once a minute at most). Within the last "
        "day, each change made in QuickBooks is read when its webhook arrives and the whole "
        "company is read again hourly; otherwise every 5 minutes. Null: none seen",
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
    status: StatusName
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
    waiting: dict[str, Any] | None = Field(
        default=None,
        description="QuickBooks Desktop only: a fix that needs QuickBooks itself (link, "
        "reactivate, ...) waiting for the Web Connector's next session: `action`, `for` "
        '("web_connector"), `since`, `by`; null once carried out (its outcome is in `history`)',
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


class MirrorFreshness(BaseModel):
    """How current ledgerbridge's copy of QuickBooks' lists is."""

    as_of: str | None = Field(
        description="QuickBooks' changes up to this moment are in the lists (null: never read)"
    )
    pulled_at: str | None = Field(description="When the read that brought them ended")
    age_seconds: int | None = Field(description="Seconds since `as_of`, when this answered")


class LinkedTo(BaseModel):
    type: RecordType
    id: str


class Restriction(BaseModel):
    model_config = _OUTPUT

    code: str = Field(
        description="The catalog entry: item.bundle_read_only, item.category_read_only, "
        "item.type_change_not_allowed"
    )
    message: str
    fields: list[str] | None = Field(
        description="The fields the app may not change (null: all of it: read-only)"
    )


class ImportEntry(BaseModel):
    model_config = _OUTPUT

    type: str = Field(description="The app's record type it reads as")
    quickbooks_id: str
    entity: str = Field(description="QuickBooks' name for it")
    record: dict[str, Any] | None = Field(
        description="In the shape of the app's records (null: deleted in QuickBooks since)"
    )
    read_only: bool
    restriction: Restriction | None
    parent_quickbooks_id: str | None = None
    problem: dict[str, Any] | None = Field(
        None, description="Why it cannot be the app's record as it is (a payment method)"
    )
    since: str | None = Field(description="When it was first kept for the app")


class ImportsPage(BaseModel):
    items: list[ImportEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
    waiting: dict[str, int] = Field(description="Imports waiting, per record type")


class Acknowledge(BaseModel):
    model_config = _INPUT

    id: str | None = Field(
        description="The app's id for it: the app's record adopts the QuickBooks object "
        "(nothing is created). null: the app declines it; it leaves the list"
    )
    data: dict[str, Any] | None = Field(
        None,
        description="The app's record, if not the import's own (`record` as listed, less "
        "QuickBooks' ids)",
    )


class ImportStart(BaseModel):
    model_config = _INPUT

    lists: list[Literal["customers", "vendors", "items"]] | None = Field(
        None, description="Which lists (default: customers, vendors and items)"
    )


class ImportListProgress(BaseModel):
    total: int | None = Field(description="Objects QuickBooks holds (null: not counted yet)")
    read: int
    imported: int = Field(description="Of `read`: kept as imports (no app record linked)")


class ImportProgress(BaseModel):
    state: Literal["never", "running", "done", "stopped"]
    started_at: str | None = None
    finished_at: str | None = None
    reason: str | None = Field(None, description="Why it stopped: throttled, disconnected, ...")
    retry_after: float | None = None
    beat_at: str | None = Field(
        None, description="When the run last stored its progress (it beats while it waits too)"
    )
    rate_limited_until: str | None = Field(
        None,
        description="While a read waits for the company's rate window: when the window lets "
        "it go (null: not waiting)",
    )
    resumed: bool | None = Field(
        None, description="True: it went on from where an earlier one of the same lists stopped"
    )
    lists: dict[str, ImportListProgress]
    percent: int | None = Field(None, description="Objects read of all counted, in percent")
    waiting: dict[str, int] = Field(description="Imports waiting, per record type")


class QuickBooksEntryOut(BaseModel):
    model_config = _OUTPUT

    quickbooks_id: str
    name: str
    active: bool
    record_type: Literal["customer", "vendor", "item"] | None = Field(
        description="The app's record type this is in the shape of (null: a list the app has "
        "no records of)"
    )
    record: dict[str, Any] = Field(
        description="The object in the shape of the app's records of `record_type` (design.md); "
        "for other lists, the fields it is picked by"
    )
    parent_quickbooks_id: str | None = Field(
        description="The parent customer (a job or property), item category or account"
    )
    linked_to: LinkedTo | None = Field(description="The app record linked to it, if any")
    sync_token: str
    read_only: bool = Field(
        description="True: the app cannot change it (a bundle, a category): QuickBooks would "
        "refuse, so ledgerbridge refuses before any call"
    )
    restriction: Restriction | None = Field(
        description="What of it cannot come back from the app, and the catalog code that "
        "explains why (null: nothing)"
    )


class QuickBooksPage(BaseModel):
    list_name: str = Field(alias="list")
    items: list[QuickBooksEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
    mirror: MirrorFreshness


class Refreshed(BaseModel):
    current: bool = Field(
        description="True: QuickBooks' changes are read (200). False: the read goes on past "
        "the wait (202); the lists' freshness says how current they are"
    )
    changed: int = Field(description="Objects read that were new or changed")
    deleted: int = Field(description="Objects QuickBooks said were deleted")
    mirror: MirrorFreshness
    waiting_for: str | None = Field(
        default=None,
        description='QuickBooks Desktop: "web_connector" (202): the lists are read at the '
        "Web Connector's next session, which cannot be called",
    )
