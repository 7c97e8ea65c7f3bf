"""Names in QuickBooks: the characters it forbids, who already holds a name, and the
name-conflict policy (``differentiate`` appends " - 2", " - 3"... the first free suffix).

Customers, vendors and employees share one name space; items have their own. A name is free
for a record when no QuickBooks object other than the record's own holds it and no other app
record of the type would get it too.

When several app records want one name, they are ranked: records already linked first, then
by app id. The first keeps the name (if QuickBooks does not hold it) and is sent with it,
whatever the policy and whichever process plans it when: only the others ask (``ask``) or take
the n-th free suffix (``differentiate``), so records differentiated in the same pass never pick
the same new name, and the outcome never depends on which record was planned first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject, MirrorView, name_key
from ledgerbridge.core.preflight._context import Context, Outcome, problem, same_object
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Customer, Item, RecordKey, RecordType, Vendor, display_name

__all__ = [
    "CUSTOMERS",
    "ITEMS",
    "VENDORS",
    "NameSpace",
    "check_name",
    "forbidden_characters",
    "free_names",
]

Named = TypeVar("Named", Customer, Vendor, Item)

_FORBIDDEN = {":": "a colon (:)", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
_MOST_SUFFIXES = 10_000  # a guard: a mirror never holds that many copies of one name


@dataclass(frozen=True)
class NameSpace:
    """How one kind of named record meets QuickBooks' name rules."""

    record_type: RecordType
    entity: str  # the QuickBooks entity of these records
    path: str  # the field holding the name in the canonical record
    limit: int  # QuickBooks' length limit for the name
    exists: str  # code: an unlinked QuickBooks object of the same entity holds the name
    other_type: str  # code: an object of another entity holds it (the shared person space)
    linked_elsewhere: str  # code: the holder is linked to another app record
    in_app: str | None  # code: another app record would get the name (None: not reported)

    def holder(self, mirror: MirrorView, name: str) -> MirrorObject | None:
        if self.entity == "Item":
            return mirror.named("Item", name)
        return mirror.person_named(name)


CUSTOMERS = NameSpace(
    record_type="customer",
    entity="Customer",
    path="display_name",
    limit=500,
    exists=catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS,
    other_type=catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE,
    linked_elsewhere=catalog.CUSTOMER_DUPLICATE_IN_APP,
    in_app=catalog.CUSTOMER_DUPLICATE_IN_APP,
)
VENDORS = NameSpace(
    record_type="vendor",
    entity="Vendor",
    path="display_name",
    limit=500,
    exists=catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
    other_type=catalog.VENDOR_NAME_USED_BY_OTHER_TYPE,
    linked_elsewhere=catalog.VENDOR_EXISTS_IN_QUICKBOOKS,
    in_app=None,
)
ITEMS = NameSpace(
    record_type="item",
    entity="Item",
    path="name",
    limit=100,
    exists=catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    other_type=catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    linked_elsewhere=catalog.ITEM_EXISTS_IN_QUICKBOOKS,
    in_app=None,
)


def forbidden_characters(path: str, label: str, value: str | None) -> Problem | None:
    """``input.invalid`` when a name holds a colon, a tab or a line break."""
    if value is None:
        return None
    found = list(dict.fromkeys(shown for char, shown in _FORBIDDEN.items() if char in value))
    if not found:
        return None
    what = " and ".join(found)
    return problem(
        catalog.INPUT_INVALID,
        path,
        f"{path} contains {what}; QuickBooks forbids colons, tabs and line breaks in names",
        field=label,
        reason=f"it contains {what}, which QuickBooks doesn't allow in names",
    )


def check_name(
    ctx: Context,
    out: Outcome[Named],
    space: NameSpace,
    own: MirrorObject | None,
    rename: Callable[[Named, str], Named],
) -> None:
    """Whether the record's name (``space.path``) is free; if not, a problem, or under the
    ``differentiate`` policy the record renamed. ``own``: the QuickBooks object the record is
    (or is about to be) linked to, which may hold the name."""
    name = _name_of(out.record)
    if name_key(name) is None:  # no name at all: parse_record reports it
        return
    holder = space.holder(ctx.mirror, name)
    if holder is not None and same_object(holder, own):
        return
    if holder is not None:
        found: Problem | None = _held(ctx, space, name, holder)
    else:
        others = ctx.others_named(space.record_type, name)
        if not others:
            return
        found = _in_app(ctx, space, name, others)
    if found is None:
        return
    rank = _rank(ctx, space, name, holder)
    if holder is None and rank == 0:  # the first of several app records keeps the name
        return
    if ctx.policies.name_conflicts != "differentiate":
        out.add(found)
        return
    skip = rank if holder is not None else rank - 1
    new = next(islice(free_names(ctx, space, name, own), skip, None), None)
    if new is None:
        out.add(found)
        return
    warning = problem(
        found.code,
        found.field,
        f'{found.message}; sent as "{new}" (policy: differentiate)',
        **{**found.params, "new_name": new},
    )
    out.adjust(rename(out.record, new), warning)


def _name_of(record: Customer | Vendor | Item) -> str:
    return record.name if isinstance(record, Item) else display_name(record)


def _held(ctx: Context, space: NameSpace, name: str, holder: MirrorObject) -> Problem:
    said = f'{space.path} "{name}" is the name of QuickBooks {holder.entity} {holder.qbo_id}'
    if holder.entity != space.entity:
        return problem(
            space.other_type,
            space.path,
            f"{said}; customers, vendors and employees share one name space",
            name=name,
            quickbooks_type=holder.entity.lower(),
            quickbooks_id=holder.qbo_id,
        )
    owner = ctx.owner(holder, space.record_type)
    if owner is not None:
        return problem(
            _of_siblings(ctx, [owner]) or space.linked_elsewhere,
            space.path,
            f"{said}, which is linked to app {owner}",
            name=name,
            quickbooks_id=holder.qbo_id,
            app_id=owner.app_id,
        )
    return problem(
        space.exists,
        space.path,
        f"{said}, which is not linked to this record",
        name=name,
        quickbooks_id=holder.qbo_id,
    )


def _in_app(ctx: Context, space: NameSpace, name: str, others: list[RecordKey]) -> Problem | None:
    if space.in_app is None:
        return None
    ids = ", ".join(other.app_id for other in others)
    return problem(
        _of_siblings(ctx, others) or space.in_app,
        space.path,
        f'app {space.record_type} {ids} would also be named "{name}" in QuickBooks',
        name=name,
        app_id=others[0].app_id,
    )


def _of_siblings(ctx: Context, others: list[RecordKey]) -> str | None:
    """PROPERTY_DUPLICATE_NAME when the subject is a property and one of `others` (the app
    records wanting or holding its name) is a property of the same customer, whether or not
    that one was sent already; else None (the name space's own code)."""
    record = ctx.subject.record
    if not (isinstance(record, Customer) and record.kind == "property"):
        return None
    for other in others:
        sibling = ctx.subject.app_records(other)
        if (
            isinstance(sibling, Customer)
            and sibling.kind == "property"
            and sibling.parent_id == record.parent_id
        ):
            return catalog.PROPERTY_DUPLICATE_NAME
    return None


def _rank(ctx: Context, space: NameSpace, name: str, holder: MirrorObject | None) -> int:
    """This record's place among the app records that want the name (linked ones first, then
    by app id), leaving out the one whose QuickBooks object already holds it."""
    subject = ctx.subject

    def link_of(key: RecordKey) -> MirrorObject | None:
        return subject.linked if key == subject.key else subject.links(key)

    wanting = {*subject.siblings(space.record_type, name_key(name) or ""), subject.key}
    contenders = [key for key in wanting if not same_object(link_of(key), holder)]
    contenders.sort(key=lambda key: (link_of(key) is None, key.app_id))
    return contenders.index(subject.key)


def free_names(
    ctx: Context, space: NameSpace, name: str, own: MirrorObject | None
) -> Iterator[str]:
    """``name - 2``, ``name - 3``... (shortened to fit the limit), those nobody holds."""
    for number in range(2, _MOST_SUFFIXES):
        suffix = f" - {number}"
        candidate = name[: space.limit - len(suffix)].rstrip() + suffix
        holder = space.holder(ctx.mirror, candidate)
        if holder is not None and not same_object(holder, own):
            continue
        if ctx.others_named(space.record_type, candidate):
            continue
        yield candidate
