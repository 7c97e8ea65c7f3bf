"""The log's "Everything that needs a person" view (``?needs=person``): the records in error
and the blocked ones in one list, each blocked record under the record that stops it.

A group is headed by a record in error, or by the record at the end of a chain of waiting
records when that one is not in error (the app never sent it, it was bypassed, or it is
being sent); under it come every record waiting for it, directly or through another waiting
record (then named: "through 55 Meadowlark Ct"). Groups come in the order to work them:
records in error first, then the ones a person must do something else about (send it from
the app, undo a bypass), then those that go by themselves; within each, the group holding
the most records first, then the most recent activity.

The grouping reads the keys of the records in error and of the blocked ones (a few hundred
bytes each, one indexed query each), pages the groups in Python, and reads the whole record
only for the groups on the page. Read-only (`storage.attention`); the connection id must
already be checked to belong to the signed-in user (`Service.connection`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ledgerbridge.core.status import Status
from ledgerbridge.dashboard.overview import blocked_edges, root_of
from ledgerbridge.dashboard.present import record_name
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.service import record_views
from ledgerbridge.engine.views import RecordView
from ledgerbridge.storage.attention import Attention, Key
from ledgerbridge.storage.connections import Connections

__all__ = ["SHOWN", "Group", "NeedsPage", "Waiting", "name_of", "page"]

SHOWN = 20  # waiting records named under a group; the rest are counted
# a head's rank: in error, then a person must do something else, then it goes by itself
_RANK = {Status.ERROR: 0, "missing": 1, Status.BYPASSED: 1, Status.DRAFT: 1}
_LATER = 2


@dataclass(frozen=True)
class Waiting:
    """A blocked record under its group; `through`: the name of the record it waits for
    directly, when that is not the group's head."""

    type: str
    id: str
    name: str
    through: str | None


@dataclass(frozen=True)
class Group:
    """`record`: the head as the log shows it; None when the app never sent it."""

    type: str
    id: str
    name: str
    record: RecordView | None
    activity: datetime | None
    waiting: tuple[Waiting, ...]
    waiting_total: int


@dataclass(frozen=True)
class NeedsPage:
    groups: list[Group]
    total_groups: int
    in_error: int
    blocked: int


@dataclass
class _Head:
    key: Key
    rank: int
    activity: datetime | None
    under: list[Key]


def _names(ledger: Ledger, connection_id: str, keys: Sequence[Key]) -> dict[Key, str]:
    """What a person calls each record (`present.record_name`); records never sent: absent."""
    with ledger.db.session(readonly=True) as session:
        found = Attention(session, connection_id).record_data(keys)
    return {
        (t, a): (record_name(t, data) if isinstance(data, dict) else "") or a
        for (t, a), data in found.items()
    }


def name_of(ledger: Ledger, connection_id: str, record_type: str, app_id: str) -> str:
    """What a person calls the record; its app id when the app never sent it."""
    return _names(ledger, connection_id, [(record_type, app_id)]).get((record_type, app_id), app_id)


def _heads(ledger: Ledger, connection_id: str) -> tuple[list[_Head], dict[Key, Key], int]:
    """The groups' heads in the order to work them, what each blocked record waits for
    directly, and how many records are in error."""
    with ledger.db.session(readonly=True) as session:
        errors = Attention(session, connection_id).in_error()
    edges = blocked_edges(ledger, connection_id)
    waits_for = {edge.key: edge.blocker for edge in edges}
    heads: dict[Key, _Head] = {
        error.key: _Head(error.key, _RANK[Status.ERROR], error.activity, []) for error in errors
    }
    roots: dict[Key, Key] = {edge.key: root_of(edge.key, waits_for) for edge in edges}
    others = sorted({root for root in roots.values() if root not in heads})
    with ledger.db.session(readonly=True) as session:
        statuses = Attention(session, connection_id).statuses(others)
    for root in others:
        status = statuses.get(root, "missing")
        heads[root] = _Head(root, _RANK.get(status, _LATER), None, [])
    # newest first under each head; a head not in error is as recent as its newest waiting
    for edge in sorted(edges, key=lambda e: (_stamp(e.activity), e.key), reverse=True):
        head = heads[roots[edge.key]]
        if edge.key != head.key:
            head.under.append(edge.key)
            if head.activity is None:
                head.activity = edge.activity
    ordered = sorted(
        heads.values(), key=lambda h: (h.rank, -len(h.under), -_stamp(h.activity), h.key)
    )
    return ordered, waits_for, len(errors)


def _stamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def page(ledger: Ledger, connection_id: str, key_id: str, *, offset: int, limit: int) -> NeedsPage:
    """One page of groups (`limit` groups from `offset`), each head as the log shows it and
    its first `SHOWN` waiting records named."""
    heads, waits_for, in_error = _heads(ledger, connection_id)
    shown = heads[offset : offset + limit]
    wanted: list[Key] = []
    for head in shown:
        wanted.append(head.key)
        for key in head.under[:SHOWN]:
            wanted += [key, waits_for[key]]
    names = _names(ledger, connection_id, list(dict.fromkeys(wanted)))
    groups: list[Group] = []
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get(connection_id, key_id)
        views: dict[Key, RecordView] = {}
        if connection is not None:  # the page's heads in three queries, as the log reads them
            found = [head.key for head in shown if head.key in names]
            views = {(v.type, v.id): v for v in record_views(ledger, session, connection, found)}
        for head in shown:
            view = views.get(head.key)
            waiting = tuple(
                Waiting(
                    key[0],
                    key[1],
                    names.get(key, key[1]),
                    None
                    if waits_for[key] == head.key
                    else names.get(waits_for[key], waits_for[key][1]),
                )
                for key in head.under[:SHOWN]
            )
            groups.append(
                Group(
                    head.key[0],
                    head.key[1],
                    names.get(head.key, head.key[1]),
                    view,
                    head.activity,
                    waiting,
                    len(head.under),
                )
            )
    return NeedsPage(groups, len(heads), in_error, len(waits_for))
