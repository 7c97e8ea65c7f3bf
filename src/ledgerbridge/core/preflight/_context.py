"""What preflight is given (the record and what surrounds it), what it answers, and the small
pieces every family of checks shares: the `Context` they read and the `Outcome` they fill in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, Literal, NamedTuple, TypeVar

from ledgerbridge.core.mirror import CompanyPreferences, MirrorObject, MirrorView, name_key
from ledgerbridge.core.problems import ParamValue, Problem
from ledgerbridge.core.records import Address, Record, RecordKey, RecordType

__all__ = [
    "Context",
    "Mappings",
    "Outcome",
    "Policies",
    "Subject",
    "Text",
    "Verdict",
    "address_texts",
    "problem",
    "same_object",
    "too_long",
]

R = TypeVar("R", bound=Record)


def _no_mapping() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Policies:
    """The connection's settings that preflight applies (design.md, "PATCH settings")."""

    name_conflicts: Literal["ask", "differentiate", "link_on_email"] = "ask"
    numbering: Literal["app", "quickbooks", "prefix"] = "app"
    number_prefix: str = ""
    closed_periods: Literal["error", "move_to_open_day"] = "error"
    customer_email_required: bool = False
    # QuickBooks Desktop's own limits apply to names nothing in the mirror resolves (a class's
    # full name: 159 characters, qbd-reference.md)
    desktop: bool = False


@dataclass(frozen=True)
class Mappings:
    """The connection's mappings from app values to QuickBooks ids.

    ``accounts`` and ``classes`` are optional: a name without a mapping falls back to the
    mirror's active Account or Class of that name. Tax rates (a 0% rate too) and payment methods
    must be mapped.
    """

    tax_codes: Mapping[str, str] = field(default_factory=_no_mapping)  # rate id -> TaxCode Id
    payment_methods: Mapping[str, str] = field(default_factory=_no_mapping)  # -> PaymentMethod
    accounts: Mapping[str, str] = field(default_factory=_no_mapping)  # name -> Account Id
    classes: Mapping[str, str] = field(default_factory=_no_mapping)  # name -> Class Id


@dataclass(frozen=True)
class Subject:
    """The record being checked, and how to see the app records and links around it."""

    key: RecordKey
    record: Record
    linked: MirrorObject | None  # the QuickBooks object this record is linked to
    links: Callable[[RecordKey], MirrorObject | None]  # the object another record is linked to
    app_records: Callable[[RecordKey], Record | None]  # other app records
    # app records of a type whose QuickBooks name has the given `name_key`
    siblings: Callable[[RecordType, str], list[RecordKey]]
    pushed_type: str | None = None  # QuickBooks Item Type last pushed
    # the app record a QuickBooks object (entity, Id) is linked to; when None, preflight can
    # only find owners among `siblings` (a same-name app record linked to the object)
    linked_by: Callable[[str, str], RecordKey | None] | None = None


@dataclass(frozen=True)
class Verdict:
    """What preflight decided for one record.

    ``problems`` stop the push (status ``error``); ``link_to`` is the QuickBooks object the
    look-up found to be the same thing (link instead of create); ``adjusted`` is the record as a
    policy fixed it automatically, with a warning for each fix in ``warnings``.
    """

    problems: tuple[Problem, ...] = ()
    link_to: MirrorObject | None = None
    warnings: tuple[Problem, ...] = ()
    adjusted: Record | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing stops the push."""
        return not self.problems


@dataclass(frozen=True)
class Context:
    """Everything a check reads; built once per record by `preflight`."""

    subject: Subject
    mirror: MirrorView
    policies: Policies
    mappings: Mappings
    company: CompanyPreferences

    def linked(self, record_type: RecordType, app_id: str | None) -> MirrorObject | None:
        """The QuickBooks object an app record is linked to (None: absent or not linked)."""
        if not app_id:
            return None
        return self.subject.links(RecordKey(record_type, app_id))

    def owner(self, obj: MirrorObject, record_type: RecordType) -> RecordKey | None:
        """The app record (other than the subject) a QuickBooks object is linked to."""
        if self.subject.linked_by is not None:
            found = self.subject.linked_by(obj.entity, obj.qbo_id)
            return None if found == self.subject.key else found
        key = name_key(obj.name)
        if key is None:
            return None
        for sibling in self.subject.siblings(record_type, key):
            if sibling != self.subject.key and same_object(self.subject.links(sibling), obj):
                return sibling
        return None

    def others_named(self, record_type: RecordType, name: str) -> list[RecordKey]:
        """The other app records of a type that would get this name in QuickBooks."""
        key = name_key(name)
        if key is None:
            return []
        siblings = self.subject.siblings(record_type, key)
        return sorted((k for k in siblings if k != self.subject.key), key=lambda k: k.app_id)


class Outcome(Generic[R]):
    """What the checks of one record found so far; ``record`` is the record as adjusted."""

    def __init__(self, record: R) -> None:
        self.record: R = record
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.link_to: MirrorObject | None = None
        self._adjusted = False

    def add(self, found: Problem | None) -> None:
        if found is not None:
            self.problems.append(found)

    def extend(self, found: Iterable[Problem | None]) -> None:
        for one in found:
            self.add(one)

    def adjust(self, record: R, warning: Problem) -> None:
        """A policy changed the record; ``warning`` says what and why."""
        self.record = record
        self.warnings.append(warning)
        self._adjusted = True

    def verdict(self) -> Verdict:
        return Verdict(
            problems=tuple(self.problems),
            link_to=self.link_to,
            warnings=tuple(self.warnings),
            adjusted=self.record if self._adjusted else None,
        )


def problem(code: str, field_path: str | None, message: str, **params: ParamValue) -> Problem:
    """A problem whose absent (None) params are left out, so catalog texts fall back."""
    kept = {name: value for name, value in params.items() if value is not None}
    return Problem(code, field_path, message, kept)


def same_object(one: MirrorObject | None, other: MirrorObject | None) -> bool:
    """Whether two mirror objects are the same QuickBooks object."""
    if one is None or other is None:
        return False
    return (one.entity, one.qbo_id) == (other.entity, other.qbo_id)


# Field lengths


class Text(NamedTuple):
    """A text field of a record and the most characters QuickBooks takes there."""

    path: str  # the field path in the canonical record: "lines[2].description"
    label: str  # the field in office words: "line description"
    value: str | None
    limit: int


def too_long(texts: Iterable[Text], code: str) -> list[Problem]:
    """A problem for every text longer than its limit."""
    found: list[Problem] = []
    for text in texts:
        if text.value is not None and len(text.value) > text.limit:
            found.append(
                problem(
                    code,
                    text.path,
                    f"{text.path} has {len(text.value)} characters; QuickBooks accepts at most "
                    f"{text.limit}",
                    field=text.label,
                    length=len(text.value),
                    limit=text.limit,
                )
            )
    return found


def address_texts(path: str, label: str, address: Address | None) -> list[Text]:
    """The limits of an address's parts (QuickBooks' BillAddr and friends)."""
    if address is None:
        return []
    return [
        Text(f"{path}.line1", f"{label} line 1", address.line1, 500),
        Text(f"{path}.line2", f"{label} line 2", address.line2, 500),
        Text(f"{path}.city", f"{label} city", address.city, 255),
        Text(f"{path}.region", f"{label} state or region", address.region, 255),
        Text(f"{path}.postal_code", f"{label} postal code", address.postal_code, 30),
        Text(f"{path}.country", f"{label} country", address.country, 255),
    ]
