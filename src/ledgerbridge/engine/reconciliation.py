"""The reconciliation report: the app and QuickBooks side by side, from the database alone.

    report = reconciliation(ledger, connection_id)

It reads the app's records, the links, the mirror (as the last pull left it) and the sync
state; it calls nothing and writes nothing. The figures come from `core.reconcile`. The answer
(JSON-ready, amounts as decimal strings)::

    {"connection_id": "con_...", "generated_at": "...", "mirror_pulled_at": "..." | null,
     "links": {"customer": {"records": 3, "linked": 2, "unlinked": 1, "missing": 0,
                            "deleted": 0, "inactive": 1, "voided": 0}, ...every type},
     "totals": {"invoices": 2, "app_total": "300.00", "quickbooks_total": "310.00",
                "difference": "10.00", "app_open_balance": "300.00",
                "quickbooks_open_balance": "310.00", "open_balance_difference": "10.00"},
     "mismatches": [{"type": "invoice", "id": "inv-1", "number": "1001", "quickbooks_id": "130",
                     "code": "invoice.amount_mismatch", "title": "...", "message": "...",
                     "app_total": "100.00", "quickbooks_total": "110.00",
                     "difference": "10.00", "quickbooks_tax": "10.00"}],
     "open_balance_mismatches": [{"id", "number", "quickbooks_id", "app_open_balance",
                                  "quickbooks_open_balance", "difference"}],
     "paid_in_quickbooks": [{"id", "number", "quickbooks_id", "quickbooks_total",
                             "app_open_balance", "paid_in_app"}],
     "deleted_in_quickbooks": [{"type", "id", "quickbooks_entity", "quickbooks_id", "number",
                                "code"}],
     "moved_in_quickbooks": [{"id", "number", "quickbooks_id", "customer_id",
                              "expected_quickbooks_customer_id", "quickbooks_customer_id",
                              "quickbooks_customer_name", "code"}],
     "voided_in_quickbooks": [{"type", "id", "quickbooks_entity", "quickbooks_id", "number",
                               "code"}],
     "statuses": {"pending": 0, "synced": 5, "error": 1, "blocked": 0, "bypassed": 0,
                  "draft": 0},
     "statuses_by_type": {"invoice": {"synced": 2, ...}, ...},
     "currency": "USD",
     "exceptions": [{"kind": "paid", "type": "invoice", "id": "inv-7", "name": null,
                     "number": "1007",
                     "quickbooks_entity": "Invoice", "quickbooks_id": "131",
                     "code": "invoice.paid_in_quickbooks", "app_amount": "100.00",
                     "quickbooks_amount": "0.00", "difference": "-100.00",
                     "quickbooks_customer": null}, ...],
     "summary": {"exceptions": 1, "exceptions_by_kind": {"deleted": 0, "voided": 0,
                 "moved": 0, "paid": 1, "balance": 0, "amount": 0, "tax": 0,
                 "inactive": 0},
                 "invoices_compared": 2, "invoices_agreeing": 1, "paid_in_quickbooks": 2,
                 "paid_by_the_app": 1, "not_in_mirror": 0}}

Added in issue 15 (additive; nothing above changed): ``currency`` (the company's home currency
in QuickBooks, for showing the amounts), ``exceptions`` (what disagrees because of something done
in QuickBooks and not by ledgerbridge, most urgent kind first: deleted, voided, moved, paid
(in full in QuickBooks, not by the app's synced payments), balance (payments differ), amount
(total changed), tax (total differs by the sales tax QuickBooks worked out), inactive (a name
the app still uses); ``name`` is a customer's, vendor's or item's name in the app; see
`core.reconcile`) and ``summary`` (their counts, and the rest counted: ``paid_by_the_app`` are
the invoices ``paid_in_quickbooks`` lists that the app's own payments, synced by ledgerbridge,
paid; they are not exceptions).

Totals cover the linked invoices QuickBooks still holds (a voided one counts as zero there);
"difference" is always QuickBooks minus the app. A record the app deleted is left out: its
removal is the sync's business. An invoice the app voided too is not listed as voided.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, get_args

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog, drift, overrides, reconcile
from ledgerbridge.core.mirror import CompanyPreferences
from ledgerbridge.core.money import ZERO, total
from ledgerbridge.core.records import (
    RECORD_TYPES,
    Invoice,
    Payment,
    Record,
    RecordKey,
    RecordType,
    parse_record,
)
from ledgerbridge.core.status import StatusName
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.views import ProblemView
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.scans import RecordRow, Scans, SeenObject, StateRow

__all__ = ["reconciliation"]

STATUSES: tuple[str, ...] = get_args(StatusName)
# A document gone from QuickBooks has the code the pull gives it; a customer or vendor can only
# be gone by a merge (QuickBooks makes name lists inactive instead of deleting them).
_DELETED_CODES: dict[RecordType, str] = {
    **drift.DELETED_CODES,
    "customer": catalog.CUSTOMER_MERGED_IN_QUICKBOOKS,
    "vendor": catalog.VENDOR_MERGED_IN_QUICKBOOKS,
}
_INACTIVE_CODES: dict[str, str] = {
    "customer": catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
    "vendor": catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
    "item": catalog.ITEM_INACTIVE_IN_QUICKBOOKS,
}


def reconciliation(ledger: Ledger, connection_id: str) -> dict[str, Any]:
    """The drift report of a connection (see the module docstring)."""
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            raise LookupError(f"connection {connection_id}")
        report = _Report(session, connection_id).build()
        pulled = connection.last_pull_at
    return {
        "connection_id": connection_id,
        "generated_at": ledger.clock().isoformat(),
        "mirror_pulled_at": pulled.isoformat() if pulled else None,
        **report,
    }


# The record types whose records the report reads field by field; of the others it needs only
# that they exist (and whether a name is active in the app).
_PARSED: frozenset[str] = frozenset({"invoice", "payment"})
_READ = (*_PARSED, "customer", "vendor", "item")


class _Report:
    def __init__(self, session: Session, connection_id: str) -> None:
        scans = Scans(session, connection_id)
        self.states = {
            RecordKey(s.type, s.app_id): s  # type: ignore[arg-type]
            for s in scans.states()
        }
        stored = [r for r in scans.records(read=_READ) if not r.deleted]
        self.records: dict[RecordKey, Record | None] = {}
        self.inactive_in_app: set[RecordKey] = set()
        self.names: dict[RecordKey, str | None] = {}
        for row in stored:
            key = RecordKey(row.type, row.app_id)  # type: ignore[arg-type]
            state = self.states.get(key)
            parsed = _parse(row, state) if row.type in _PARSED else None
            self.records[key] = parsed
            if row.data is not None and row.data.get("active") is False:
                self.inactive_in_app.add(key)
            if row.data is not None and row.type not in _PARSED:
                self.names[key] = _name_of(row.data)
        preferences = Mirror(session, connection_id).preferences()
        self.currency = CompanyPreferences.from_quickbooks(preferences).home_currency
        self.links = {
            RecordKey(link.type, link.app_id): link  # type: ignore[arg-type]
            for link in scans.link_keys()
        }
        seen: dict[tuple[str, str], SeenObject] = {}
        for entity in sorted({link.qbo_entity for link in self.links.values()}):
            # invoices are compared figure by figure; of the rest only the state counts
            objects = (
                scans.mirror(entity, deleted=True)
                if entity == "Invoice"
                else scans.mirror_states(entity)
            )
            for one in objects:
                seen[(entity, one.obj.qbo_id)] = one
        self.linked: dict[RecordKey, reconcile.LinkedObject] = {}
        for key, link in self.links.items():
            found = seen.get((link.qbo_entity, link.qbo_id))
            self.linked[key] = reconcile.LinkedObject(
                key,
                link.qbo_entity,
                link.qbo_id,
                found.obj if found is not None else None,
                found.deleted if found is not None else False,
            )
        self.state = {key: reconcile.object_state(link) for key, link in self.linked.items()}

    def build(self) -> dict[str, Any]:
        health = reconcile.health(self.records, self.linked.values())
        comparisons = self._invoices()
        exceptions = self._exceptions(comparisons)
        return {
            "currency": self.currency,
            "exceptions": [_exception(d, self.names.get(d.key)) for d in exceptions],
            "summary": _summary(exceptions, comparisons, health),
            "links": {record_type: counts.to_json() for record_type, counts in health.items()},
            "totals": reconcile.totals(comparisons).to_json(),
            "mismatches": [_mismatch(c) for c in comparisons if c.amount_differs],
            "open_balance_mismatches": [_open(c) for c in comparisons if c.balance_differs],
            "paid_in_quickbooks": [_paid(c) for c in comparisons if c.paid_in_quickbooks],
            "deleted_in_quickbooks": self._in_state("deleted"),
            "moved_in_quickbooks": [self._moved(c) for c in comparisons if c.moved],
            "voided_in_quickbooks": self._in_state("voided"),
            "statuses": self._statuses(),
            "statuses_by_type": self._statuses_by_type(),
        }

    def _live(self, key: RecordKey) -> reconcile.LinkedObject | None:
        """The link of a record the app still has."""
        return self.linked.get(key) if key in self.records else None

    def _invoices(self) -> list[reconcile.InvoiceComparison]:
        applied = self._applied()
        comparisons = []
        for key in sorted(self.records, key=lambda k: k.app_id):
            invoice = self.records[key]
            link = self._live(key)
            if key.type != "invoice" or not isinstance(invoice, Invoice) or link is None:
                continue
            customer = self.links.get(RecordKey("customer", invoice.customer_id))
            side = reconcile.InvoiceSide(
                app_id=key.app_id,
                invoice=invoice,
                link=link,
                customer_qbo_id=customer.qbo_id if customer is not None else None,
                applied=applied.get(key.app_id, ZERO),
            )
            comparisons.append(reconcile.compare_invoice(side))
        return comparisons

    def _applied(self) -> dict[str, Decimal]:
        """What the app's payments that are in QuickBooks put on each invoice."""
        applied: dict[str, list[Decimal]] = {}
        for key, payment in self.records.items():
            link = self._live(key)
            if not isinstance(payment, Payment) or link is None:
                continue
            if self.state[key] != "ok":
                continue  # deleted or voided in QuickBooks: it pays nothing there
            for part in payment.applied_to:
                applied.setdefault(part.invoice_id, []).append(part.amount)
        return {invoice_id: total(amounts) for invoice_id, amounts in applied.items()}

    def _in_state(self, state: reconcile.ObjectState) -> list[dict[str, Any]]:
        found = []
        for key in sorted(self.records, key=lambda k: (RECORD_TYPES.index(k.type), k.app_id)):
            link = self._live(key)
            if link is None or self.state[key] != state:
                continue
            record = self.records[key]
            if state == "voided" and isinstance(record, Invoice) and record.status == "void":
                continue  # voided on both sides
            code = (
                _DELETED_CODES.get(key.type, catalog.RECEIPT_STALE_REFERENCE)
                if state == "deleted"
                else catalog.INVOICE_VOIDED_IN_QUICKBOOKS
            )
            stored = self.links[key]
            found.append(
                {
                    "type": key.type,
                    "id": key.app_id,
                    "quickbooks_entity": link.entity,
                    "quickbooks_id": link.qbo_id,
                    "number": (link.seen.doc_number if link.seen else None) or stored.doc_number,
                    "code": code,
                }
            )
        return found

    def _exceptions(
        self, comparisons: list[reconcile.InvoiceComparison]
    ) -> list[reconcile.Disagreement]:
        found = [d for c in comparisons for d in reconcile.invoice_disagreements(c)]
        for key in self.records:
            link = self._live(key)
            if link is None:
                continue
            record = self.records[key]
            state = self.state[key]
            if state == "deleted":
                code = _DELETED_CODES.get(key.type, catalog.RECEIPT_STALE_REFERENCE)
            elif state == "voided":
                code = catalog.INVOICE_VOIDED_IN_QUICKBOOKS
            elif state == "inactive":
                code = _INACTIVE_CODES.get(key.type, catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS)
            else:
                continue
            settled = (
                isinstance(record, Invoice) and record.status == "void"
                if state == "voided"
                else state == "inactive" and key in self.inactive_in_app
            )
            number = (link.seen.doc_number if link.seen else None) or self.links[key].doc_number
            one = reconcile.link_disagreement(
                link, code=code, number=number, settled_in_app=settled
            )
            if one is not None:
                found.append(one)
        return sorted(found, key=lambda d: d.order)

    def _moved(self, comparison: reconcile.InvoiceComparison) -> dict[str, Any]:
        invoice = self.records[RecordKey("invoice", comparison.app_id)]
        return {
            "id": comparison.app_id,
            "number": comparison.number,
            "quickbooks_id": comparison.qbo_id,
            "customer_id": invoice.customer_id if isinstance(invoice, Invoice) else None,
            "expected_quickbooks_customer_id": comparison.expected_customer,
            "quickbooks_customer_id": comparison.quickbooks_customer,
            "quickbooks_customer_name": comparison.customer_name,
            "code": catalog.INVOICE_MOVED_IN_QUICKBOOKS,
        }

    def _statuses(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for state in self.states.values():
            counts[state.status] = counts.get(state.status, 0) + 1
        return counts

    def _statuses_by_type(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {
            record_type: dict.fromkeys(STATUSES, 0) for record_type in RECORD_TYPES
        }
        for key, state in self.states.items():
            by_status = counts.setdefault(key.type, dict.fromkeys(STATUSES, 0))
            by_status[state.status] = by_status.get(state.status, 0) + 1
        return counts


def _parse(stored: RecordRow, state: StateRow | None) -> Record | None:
    data: Mapping[str, Any] = overrides.apply(stored.data or {}, state.overrides if state else None)
    parsed = parse_record(stored.type, data)
    return None if isinstance(parsed, list) else parsed


def _mismatch(comparison: reconcile.InvoiceComparison) -> dict[str, Any]:
    problem = reconcile.mismatch_problem(comparison)
    view = ProblemView.of(problem.to_json())
    return {
        "type": "invoice",
        "id": comparison.app_id,
        "number": comparison.number,
        "quickbooks_id": comparison.qbo_id,
        "code": problem.code,
        "title": view.title,
        "message": problem.message,
        "app_total": problem.params["app_total"],
        "quickbooks_total": problem.params["quickbooks_total"],
        "difference": problem.params["difference"],
        "quickbooks_tax": problem.params.get("quickbooks_tax"),
    }


def _money(amount: Decimal | None) -> str | None:
    return str(amount) if amount is not None else None


def _name_of(data: Mapping[str, Any]) -> str | None:
    """A customer's, vendor's or item's name as the app has it."""
    for field in ("display_name", "name", "company_name"):
        if isinstance(data.get(field), str) and data[field]:
            return str(data[field])
    person = " ".join(str(data[f]) for f in ("first_name", "last_name") if data.get(f))
    return person or None


def _exception(found: reconcile.Disagreement, name: str | None) -> dict[str, Any]:
    return {
        "kind": found.kind,
        "type": found.key.type,
        "id": found.key.app_id,
        "name": name,
        "number": found.number,
        "quickbooks_entity": found.qbo_entity,
        "quickbooks_id": found.qbo_id,
        "code": found.code,
        "app_amount": _money(found.app_amount),
        "quickbooks_amount": _money(found.quickbooks_amount),
        "difference": _money(found.difference),
        "quickbooks_customer": found.other,
    }


def _summary(
    exceptions: list[reconcile.Disagreement],
    comparisons: list[reconcile.InvoiceComparison],
    health: Mapping[str, reconcile.Health],
) -> dict[str, Any]:
    by_kind = dict.fromkeys(reconcile.KINDS, 0)
    for found in exceptions:
        by_kind[found.kind] += 1
    disagreeing = {d.key.app_id for d in exceptions if d.key.type == "invoice"}
    compared = [c for c in comparisons if c.comparable]
    return {
        "exceptions": len(exceptions),
        "exceptions_by_kind": by_kind,
        "invoices_compared": len(compared),
        "invoices_agreeing": sum(1 for c in compared if c.app_id not in disagreeing),
        "paid_in_quickbooks": sum(1 for c in comparisons if c.paid_in_quickbooks),
        "paid_by_the_app": sum(1 for c in comparisons if c.paid_by_the_app),
        "not_in_mirror": sum(counts.missing for counts in health.values()),
    }


def _open(comparison: reconcile.InvoiceComparison) -> dict[str, Any]:
    quickbooks = comparison.quickbooks_balance or ZERO
    return {
        "id": comparison.app_id,
        "number": comparison.number,
        "quickbooks_id": comparison.qbo_id,
        "app_open_balance": str(comparison.app_open),
        "quickbooks_open_balance": str(quickbooks),
        "difference": str(total([quickbooks, -comparison.app_open])),
    }


def _paid(comparison: reconcile.InvoiceComparison) -> dict[str, Any]:
    return {
        "id": comparison.app_id,
        "number": comparison.number,
        "quickbooks_id": comparison.qbo_id,
        "quickbooks_total": str(comparison.quickbooks_total),
        "app_open_balance": str(comparison.app_open),
        "paid_in_app": comparison.app_open == 0,
    }
