"""Verify: read QuickBooks afresh and check every "synced" against it.

    report = verify(ledger, connection_id)          # VerifyReport; report.mismatches

The promise the product rests on is that a record is `synced` only while QuickBooks holds what
the engine sent for the app's current version: the object present, active, not voided or
deleted, under the linked parent, with the same values compared normalized. The sync pass and
the pull check that against the mirror; `verify` checks it against QuickBooks itself, with the
same rule (`core.drift.drift`), for every linked record:

1. every linked object is read again, an entity at a time, in queries of `CHUNK` ids (lists with
   `Active IN (true, false)`, since QuickBooks leaves inactive ones out by default), counted in
   the company's rate window like every other call;
2. each linked record is compared with its fresh object; an object the read does not return is
   gone. A record found disagreeing is looked at a second time (its state and its object read
   again, alone) before it counts: a sync pass or a pull may have been working it meanwhile;
3. a record that says `synced` while QuickBooks disagrees is a mismatch: it becomes the
   record's problem (history ``verify_mismatch``, and the drift's event for the app), unless
   `flag` is off. A record already failing is not a mismatch: it says so already
   (`confirmed` counts those QuickBooks still bears out).

A company that waits for QuickBooks' limits (`connections.wait_until`) is not read: the report
says `stopped` "throttled" and `waiting_until`, nothing compared.

Besides the flagged records, only the mirror's copy of each object found disagreeing is
written (so Retry and Keep QuickBooks' version see what verify saw); the rest of the mirror
keeps what the pull side saw, which the pull compares its next read with.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.adapters.qbo import QuickBooks, QuickBooksError, Throttled
from ledgerbridge.core import compare, overrides
from ledgerbridge.core import drift as rules
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.records import Record, RecordKey, parse_record
from ledgerbridge.core.status import Status
from ledgerbridge.engine import pacing
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.storage.connections import Company, Connections
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.scans import Scans
from ledgerbridge.storage.sync_states import SyncStates

__all__ = ["CHUNK", "LISTS", "Mismatch", "VerifyReport", "verify"]

CHUNK = 100  # ids per query: well inside QuickBooks' query length and its 1000 rows a page
LISTS = frozenset({"Customer", "Vendor", "Item"})


@dataclass(frozen=True)
class Mismatch:
    """A record that said `synced` while QuickBooks holds something else."""

    type: str
    id: str
    quickbooks_id: str
    code: str
    field: str | None
    app_value: str | None
    quickbooks_value: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "quickbooks_id": self.quickbooks_id,
            "code": self.code,
            "field": self.field,
            "app_value": self.app_value,
            "quickbooks_value": self.quickbooks_value,
            "message": self.message,
        }


@dataclass
class VerifyReport:
    checked: int = 0  # linked records compared with QuickBooks
    agreed: int = 0  # synced, and QuickBooks agrees
    confirmed: int = 0  # already failing with a problem QuickBooks still bears out
    not_synced: int = 0  # pending, blocked, bypassed, draft or failing for another reason
    read: int = 0  # objects read from QuickBooks
    requests: int = 0  # queries sent
    flagged: int = 0  # mismatches turned into the record's problem
    by_type: dict[str, int] = field(default_factory=dict)  # checked per record type
    mismatches: list[Mismatch] = field(default_factory=list)
    stopped: str | None = None  # why QuickBooks could not be read (nothing was compared)
    # stopped "throttled" before any read: until when the company waits for QuickBooks' limits
    waiting_until: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifyReport:
        """A report kept as `to_json` wrote it (a Desktop verify's, in its audit entry)."""
        counts = {k: int(data.get(k) or 0) for k in _COUNTS}
        return cls(
            **counts,
            by_type={str(k): int(v) for k, v in (data.get("by_type") or {}).items()},
            mismatches=[Mismatch(**m) for m in data.get("mismatches") or []],
            stopped=data.get("stopped"),
            waiting_until=data.get("waiting_until"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "agreed": self.agreed,
            "confirmed": self.confirmed,
            "not_synced": self.not_synced,
            "read": self.read,
            "requests": self.requests,
            "flagged": self.flagged,
            "by_type": dict(self.by_type),
            "mismatches": [m.to_json() for m in self.mismatches],
            "stopped": self.stopped,
            "waiting_until": self.waiting_until,
        }


_COUNTS = ("checked", "agreed", "confirmed", "not_synced", "read", "requests", "flagged")


def verify(
    ledger: Ledger,
    connection_id: str,
    *,
    flag: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    desktop: bool = False,
    keep: Callable[[], None] | None = None,
) -> VerifyReport:
    """Compare every linked record of the connection with QuickBooks as it is now. A QuickBooks
    Desktop connection is verified only in its Web Connector's session (`desktop=True`, from
    `engine.desktop.fixes`): its reads go through the session's queue, and `keep` keeps that
    session's pass's lease while an answer is awaited (minutes, at times). Not for verify's
    own stores (a flag, on a record it finds still synced with no write under way, as an
    Online verify outside any lease does): the lease is the whole session's. Lost, a session
    of another process starts a second pass, which carries out the fixes still waiting
    (this verify among them) a second time and queues its requests beside this one's."""
    report = VerifyReport()
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        links = Scans(session, connection_id).links() if connection is not None else []
    reachable = connection is not None and (
        connection.realm_id is not None or (desktop and connection.environment == "desktop")
    )
    if connection is None or not reachable or connection.status != "active":
        report.stopped = "not_active"
        return report
    realm = connection.realm_id
    until = connection.waiting(ledger.clock())
    if realm is not None and until is not None:
        # the company waits for QuickBooks' limits (a 429, its window full): read now, it
        # would only earn more 429s; the person asking is told until when
        report.stopped, report.waiting_until = "throttled", until.isoformat()
        return report
    wanted: dict[str, list[str]] = {}
    for link in links:
        wanted.setdefault(link.qbo_entity, []).append(link.qbo_id)
    fresh: dict[tuple[str, str], MirrorObject] = {}
    with ledger.quickbooks(connection, keep=keep) as client:
        try:
            for entity, ids in wanted.items():
                unique = list(dict.fromkeys(ids))
                for start in range(0, len(unique), CHUNK):
                    _pace(ledger, realm, sleep)
                    rows = _read(client, entity, unique[start : start + CHUNK])
                    report.requests += 1
                    for row in rows:
                        fresh[(entity, str(row["Id"]))] = MirrorObject.from_quickbooks(entity, row)
            report.read = len(fresh)
            for link in links:
                found = _judge(ledger, connection_id, link, fresh, report)
                if found is None:
                    continue
                # a second look, at this record alone: the sync pass or a pull may have been
                # working it while QuickBooks was read (a live system moves on)
                _pace(ledger, realm, sleep)
                again = client.read(link.qbo_entity, link.qbo_id)
                report.requests += 1
                if again is None:
                    fresh.pop((link.qbo_entity, link.qbo_id), None)
                else:
                    fresh[(link.qbo_entity, link.qbo_id)] = MirrorObject.from_quickbooks(
                        link.qbo_entity, again
                    )
                with ledger.db.session(readonly=True) as session:
                    now = Links(session).get(connection_id, link.type, link.app_id)
                second = _judge(ledger, connection_id, now, fresh, None) if now else None
                if second is not None:
                    _mismatch(ledger, connection_id, second, report, flag=flag)
                else:
                    report.agreed += 1
        except Throttled as exc:  # as a pull says and stores it: the company waits
            until = pacing.wait_for_quickbooks(
                ledger, connection_id, Company.online(connection), exc.retry_after
            )
            report.stopped = "throttled"
            report.waiting_until = None if until is None else until.isoformat()
            return report
        except QuickBooksError as exc:
            report.stopped = type(exc).__name__
            return report
    return report


@dataclass(frozen=True)
class _Found:
    key: RecordKey
    link: StoredLink
    record: Record
    current: MirrorObject | None
    drift: rules.Drift


_ID = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?")
"""An id put in a query: Online's digits, or Desktop's ListID/TxnID ("80000012-1796529483")."""


def _read(client: QuickBooks, entity: str, ids: list[str]) -> list[dict[str, Any]]:
    quoted = ", ".join(f"'{qbo_id}'" for qbo_id in ids if _ID.fullmatch(qbo_id))
    if not quoted:
        return []
    active = " AND Active IN (true, false)" if entity in LISTS else ""
    return client.query(f"SELECT * FROM {entity} WHERE Id IN ({quoted}){active}")


def _pace(ledger: Ledger, realm: str | None, sleep: Callable[[float], None]) -> None:
    """Take a request in the company's rate window (shared with every process), waiting while
    it is full (QuickBooks Desktop, no realm, has no such limits)."""
    if realm is not None:
        pacing.pace(ledger, realm, sleep)


def _judge(
    ledger: Ledger,
    cid: str,
    link: StoredLink,
    fresh: Mapping[tuple[str, str], MirrorObject],
    report: VerifyReport | None,
) -> _Found | None:
    """A synced record QuickBooks disagrees with (counted in `report` when given, except the
    mismatches, which the caller looks at twice)."""
    key = RecordKey(link.type, link.app_id)  # type: ignore[arg-type]
    with ledger.db.session(readonly=True) as session:
        state = SyncStates(session).get(cid, key.type, key.app_id)
        stored = Records(session).get(cid, key.type, key.app_id)
        record = _record(stored.data, state.overrides if state else None, key) if stored else None
        if state is None or record is None or stored is None or stored.deleted:
            return None
        parties: dict[str, str] = {}
        for where, party in rules.parties(record).items():
            party_link = Links(session).get(cid, party.type, party.app_id)
            if party_link is not None and (party_link.qbo_entity, party_link.qbo_id) in fresh:
                parties[where] = party_link.qbo_id
    if report is not None:
        report.checked += 1
        report.by_type[key.type] = report.by_type.get(key.type, 0) + 1
    current = fresh.get((link.qbo_entity, link.qbo_id))
    linked = rules.Linked(
        key,
        record,
        link.qbo_id,
        link.doc_number,
        link.pushed,
        current,
        kept=overrides.kept(state.overrides),
        parties=parties,
    )
    found = rules.judge(linked)
    if state.status != Status.SYNCED or state.pending_request_id:
        if report is not None:
            code = (state.problem or {}).get("code")
            if found is not None and state.status == Status.ERROR and code == found.problem.code:
                report.confirmed += 1
            else:
                report.not_synced += 1
        return None
    if found is None:
        if report is not None:
            report.agreed += 1
        return None
    return _Found(key, link, record, current, found)


def _mismatch(ledger: Ledger, cid: str, found: _Found, report: VerifyReport, *, flag: bool) -> None:
    key, problem = found.key, found.drift.problem
    shown_field, ours, theirs = _values(problem.code, problem.params, found.record, found.current)
    report.mismatches.append(
        Mismatch(
            key.type,
            key.app_id,
            found.link.qbo_id,
            problem.code,
            shown_field,
            ours,
            theirs,
            problem.message,
        )
    )
    if not flag:
        return
    with ledger.db.session() as session:
        states = SyncStates(session, clock=ledger.clock)
        now = states.get(cid, key.type, key.app_id)
        if now is None or now.status != Status.SYNCED or now.pending_request_id:
            return  # a pass took it up meanwhile: it plans it against QuickBooks itself
        if found.current is not None:  # what the pull side missed: Retry and Keep see it too
            Mirror(session, cid, clock=ledger.clock).put(found.current)
        elif found.link.qbo_entity != "Customer":  # a customer gone was merged: not deleted
            Mirror(session, cid, clock=ledger.clock).mark_deleted(
                found.link.qbo_entity, found.link.qbo_id
            )
        states.finish(cid, key.type, key.app_id, status=Status.ERROR, problem=problem.to_json())
        History(session, clock=ledger.clock).add(
            cid, key.type, key.app_id, "verify_mismatch", detail=problem.to_json()
        )
        Events(session, clock=ledger.clock).append(cid, found.drift.event, found.drift.payload(key))
    report.flagged += 1


def _record(
    data: Mapping[str, Any], changed: Mapping[str, Any] | None, key: RecordKey
) -> Record | None:
    parsed = parse_record(key.type, overrides.apply(data, changed))
    return None if isinstance(parsed, list) else parsed


def _values(
    code: str, params: Mapping[str, Any], record: Record, current: MirrorObject | None
) -> tuple[str | None, str | None, str | None]:
    """The field a mismatch is about, with the app's and QuickBooks' values, for the report."""
    if "field" in params and "app_value" in params:
        return str(params["field"]), params.get("app_value"), params.get("quickbooks_value")
    if current is None:
        return None, "present", "gone"
    if "quickbooks_customer_id" in params:
        return "CustomerRef", params.get("app_customer_id"), params.get("quickbooks_customer_id")
    if code.endswith("inactive_in_quickbooks"):
        return "Active", compare.shown(True), compare.shown(current.active)
    if code.endswith("voided_in_quickbooks"):
        return "status", getattr(record, "status", None), "voided"
    return None, None, None
