"""The schema: one typed declarative model per table of docs/architecture.md ("Storage").

Conventions, the same on SQLite and PostgreSQL:

- timestamps are `UtcDateTime`: aware datetimes in, aware UTC datetimes out (SQLite keeps no
  offset, so UTC is stored and the offset restored on read; a naive datetime is refused);
- JSON documents are `JsonDocument`: JSONB on PostgreSQL, JSON text on SQLite; Python `None`
  is SQL NULL. Money never has a column of its own: it lives inside documents as decimal strings;
- string ids for api keys and connections (`key_...`, `con_...`), integer ids for the logs;
- rows that belong to a connection go with it (`ON DELETE CASCADE`), except the audit log,
  which outlives what it describes;
- constraint names follow `NAMING_CONVENTION`, so migrations can name what they alter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

__all__ = [
    "NAMING_CONVENTION",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Clock",
    "CompanyLease",
    "Connection",
    "DesktopAction",
    "DesktopRequest",
    "Event",
    "HistoryEntry",
    "JsonDocument",
    "Link",
    "MirrorEntry",
    "RateWindow",
    "Record",
    "SignInTally",
    "SyncState",
    "Token",
    "User",
    "UserSession",
    "UtcDateTime",
    "WebConnector",
    "WebConnectorSession",
    "utcnow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, aware, in UTC: the default clock of the storage layer."""
    return datetime.now(UTC)


Clock = Callable[[], datetime]  # what a repository asks for the time (`utcnow` unless given)


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that gives aware UTC datetimes on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not UTC:  # UTC already (the clock's): nothing to convert
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"naive datetime refused (store aware UTC datetimes): {value!r}")
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonDocument: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)
"""A JSON document column: JSONB on PostgreSQL; `None` is SQL NULL, never JSON `null`."""

# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

_CONNECTION_FK = "connections.id"


def _connection_id() -> Mapped[str]:
    return mapped_column(ForeignKey(_CONNECTION_FK, ondelete="CASCADE"))


class Base(DeclarativeBase):
    """Declarative base: shared metadata and the Python type -> column type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDocument,
        str: String(),
    }


class ApiKey(Base):
    """An API key; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Connection(Base):
    """An app connection to one QuickBooks company."""

    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(primary_key=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    name: Mapped[str]
    environment: Mapped[str]
    realm_id: Mapped[str | None] = mapped_column(index=True)
    company_name: Mapped[str | None]
    status: Mapped[str]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mappings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    oauth_state: Mapped[str | None] = mapped_column(unique=True)  # SHA-256 of the state
    oauth_binding: Mapped[str | None]  # SHA-256 of the starting browser's cookie secret
    oauth_expires_at: Mapped[datetime | None]
    cdc_cursor: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checks: Mapped[dict[str, Any] | None]  # the last setup checklist
    checks_at: Mapped[datetime | None]
    # a problem of the whole connection that its status does not say (the secret keys no
    # longer open its tokens): {code, message, params}; None when there is none
    problem: Mapped[dict[str, Any] | None]
    # the secret that signs its events, encrypted with the secret keys like the tokens
    events_secret: Mapped[str | None]
    # no record of it is due before this: QuickBooks' limits (a 429, the company's window
    # full) make the whole company wait, stored once here, not in each record's state
    wait_until: Mapped[datetime | None]
    # how many times it started fresh: part of its company's identity (`connections.Company`),
    # so that a pass begun before a Start fresh stores and sends nothing after it, even where
    # the company looks the same (a Desktop file not yet known before and after)
    company_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # when a signed webhook last named its company (an echo of our own write too: the
    # company's webhooks reach us), to the minute (`Connections.notified`); a Start fresh
    # forgets it with the company
    notified_at: Mapped[datetime | None]


class Token(Base):
    """The OAuth tokens of a connection, encrypted; `version` guards concurrent rotation."""

    __tablename__ = "tokens"

    connection_id: Mapped[str] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), primary_key=True
    )
    access_token: Mapped[str]
    refresh_token: Mapped[str]
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime]
    key_id: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)


class Record(Base):
    """The app's latest version of one record."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("connection_id", "type", "app_id"),
        Index(None, "connection_id", "updated_at", "type", "app_id"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str] = _connection_id()
    type: Mapped[str]
    app_id: Mapped[str]
    data: Mapped[dict[str, Any]]
    version: Mapped[int]
    deleted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]


class SyncState(Base):
    """Where one app record stands with QuickBooks: the source of truth for due work."""

    __tablename__ = "sync_state"
    __table_args__ = (
        UniqueConstraint("connection_id", "type", "app_id"),
        Index(None, "connection_id", "status", "next_attempt_at"),
        Index(None, "connection_id", "blocked_by_type", "blocked_by_id"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str] = _connection_id()
    type: Mapped[str]
    app_id: Mapped[str]
    status: Mapped[str]
    problem: Mapped[dict[str, Any] | None]
    blocked_by_type: Mapped[str | None]
    blocked_by_id: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    pending_request_id: Mapped[str | None]
    pending_operation: Mapped[str | None]
    pending_body: Mapped[dict[str, Any] | None]
    desired_version: Mapped[int]
    synced_version: Mapped[int | None]
    overrides: Mapped[dict[str, Any] | None]  # field path -> {"app": value, "quickbooks": value}
    # the connection's auto_push leaves the type out: not due until a push request releases it
    held: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the QuickBooks object the app said the record already is (`link.quickbooks_id` of a
    # PUT): linked to it instead of created; cleared once linked
    adopt_qbo_id: Mapped[str | None]
    updated_at: Mapped[datetime]


class Link(Base):
    """An app record linked to one QuickBooks object (and that object to one app record)."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("connection_id", "type", "app_id"),
        UniqueConstraint("connection_id", "qbo_entity", "qbo_id"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str] = _connection_id()
    type: Mapped[str]
    app_id: Mapped[str]
    qbo_entity: Mapped[str]
    qbo_id: Mapped[str]
    sync_token: Mapped[str]
    doc_number: Mapped[str | None]
    pushed: Mapped[dict[str, Any] | None]
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class MirrorEntry(Base):
    """A QuickBooks object as last seen, with the keys preflight looks things up by."""

    __tablename__ = "mirror"
    __table_args__ = (
        UniqueConstraint("connection_id", "qbo_entity", "qbo_id"),
        Index(None, "connection_id", "qbo_entity", "name_key", "id"),  # lists in name order
        Index(None, "connection_id", "qbo_entity", "email_key"),
        Index(None, "connection_id", "qbo_entity", "doc_number"),
        Index(None, "connection_id", "qbo_entity", "sku"),
        Index(None, "connection_id", "updated_at"),  # what the pulls wrote lately
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str] = _connection_id()
    qbo_entity: Mapped[str]
    qbo_id: Mapped[str]
    sync_token: Mapped[str]
    active: Mapped[bool] = mapped_column(default=True)
    name_key: Mapped[str | None]
    email_key: Mapped[str | None]
    doc_number: Mapped[str | None]
    sku: Mapped[str | None]
    parent_id: Mapped[str | None]
    data: Mapped[dict[str, Any]]
    deleted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]


class HistoryEntry(Base):
    """One attempt or outcome in a record's history."""

    __tablename__ = "history"
    __table_args__ = (
        Index(None, "connection_id", "type", "app_id", "at"),
        Index(None, "connection_id", "at"),  # what happened lately (the overview)
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str] = _connection_id()
    type: Mapped[str]
    app_id: Mapped[str]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str]
    request_id: Mapped[str | None]
    detail: Mapped[dict[str, Any] | None]


class Event(Base):
    """An event for the app; ids ascend in commit order within a connection."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "connection_id", "id"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str] = _connection_id()
    type: Mapped[str]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class AuditEntry(Base):
    """An action someone took; kept after its connection is deleted (no foreign key)."""

    __tablename__ = "audit"
    __table_args__ = (Index(None, "connection_id", "at"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    connection_id: Mapped[str | None]
    actor: Mapped[str]
    action: Mapped[str]
    record_type: Mapped[str | None]
    record_id: Mapped[str | None]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RateWindow(Base):
    """Requests and batches one QuickBooks company received in one minute, all processes."""

    __tablename__ = "rate_windows"

    realm_id: Mapped[str] = mapped_column(primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    requests: Mapped[int] = mapped_column(default=0)
    batches: Mapped[int] = mapped_column(default=0)


class CompanyLease(Base):
    """Which worker holds a QuickBooks company, until when."""

    __tablename__ = "company_leases"

    realm_id: Mapped[str] = mapped_column(primary_key=True)
    holder: Mapped[str]
    expires_at: Mapped[datetime]


class User(Base):
    """A person who signs in to the dashboard; sees the connections of one API key."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(primary_key=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    email: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]


class UserSession(Base):
    """A signed-in dashboard session; only the SHA-256 of its id is kept (the cookie holds the
    id). Deleting the row ends the session: sign-out, a new password, the user deleted."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInTally(Base):
    """Failed dashboard sign-ins counted for one subject (`core.sign_in`): an account (the
    email typed), a client address, or an address's share of an account. `subject` is the
    SHA-256 of what is counted, so nothing typed in the email field is kept as typed."""

    __tablename__ = "sign_in_tallies"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str]  # account, address or share
    account: Mapped[str | None] = mapped_column(String(64), index=True)  # a share's account
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(index=True)
    locked_at: Mapped[datetime | None]


class WebConnector(Base):
    """A QuickBooks Desktop connection's Web Connector (`storage.web_connectors`): the user name
    and password typed into it (only a salted scrypt hash is kept), the .qwc file's GUIDs, and
    what its sessions told us: the company file, the closing date, the qbXML version, when it
    was last seen, the last error it reported."""

    __tablename__ = "web_connectors"

    connection_id: Mapped[str] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str | None]
    owner_id: Mapped[str]
    file_id: Mapped[str]
    company_file: Mapped[str | None]  # the company file's path, as the first session saw it
    company_name: Mapped[str | None]
    qbxml_version: Mapped[str | None]
    closing_date: Mapped[str | None]  # ISO date, from the preferences
    last_seen_at: Mapped[datetime | None]
    last_done_at: Mapped[datetime | None]  # the last session that finished its work
    progress: Mapped[int | None]
    last_error: Mapped[str | None]
    last_error_at: Mapped[datetime | None]
    found: Mapped[dict[str, Any] | None]  # what the look-ups found: {"customers": n, ...}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # calls in a row whose password was refused, and the last one (migration 0012)
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    refused_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None]  # how the last session ended (core.web_connector.OUTCOMES)
    last_outcome_at: Mapped[datetime | None]


class WebConnectorSession(Base):
    """One Web Connector session: only the SHA-256 of its ticket is kept. `step` counts the
    answers received; `pending` is the request id awaiting its answer; `error` is what
    getLastError will say."""

    __tablename__ = "web_connector_sessions"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime]  # the session's last call
    expires_at: Mapped[datetime] = mapped_column(index=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    noops: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[str | None]
    error: Mapped[str | None]
    closed_at: Mapped[datetime | None]


class DesktopRequest(Base):
    """One qbXML request of a Desktop connection's work (`storage.desktop_requests`): queued by
    the pass, handed to a Web Connector session (`sent`), its answer kept (`answered`), or its
    answer lost (`lost`: the session ended without it). `key` is the write's request id (or a
    read's own): asked again, the same key answers the kept answer."""

    __tablename__ = "desktop_requests"
    __table_args__ = (Index("ix_desktop_requests_next", "connection_id", "state", "seq"),)

    connection_id: Mapped[str] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)  # the order requests are handed out in
    state: Mapped[str]  # queued | sent | answered | lost
    document: Mapped[str]
    answer: Mapped[str | None]
    error: Mapped[str | None]  # what the Web Connector reported instead of an answer
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None] = mapped_column(index=True)


class DesktopAction(Base):
    """A one-click fix on a QuickBooks Desktop connection waiting for its Web Connector's next
    session (`storage.desktop_actions`): what was asked, by whom, and its audit entry, completed
    when the session carries it out. One per record at a time; the connection's own requests
    (a refresh of the QuickBooks lists) have an empty record type and id."""

    __tablename__ = "desktop_actions"

    connection_id: Mapped[str] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), primary_key=True
    )
    record_type: Mapped[str] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(primary_key=True)
    action: Mapped[str]
    params: Mapped[dict[str, Any]]
    actor: Mapped[str]
    audit_id: Mapped[int | None] = mapped_column(BigInteger)
    queued_at: Mapped[datetime]
