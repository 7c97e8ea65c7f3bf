"""Invoices paid in QuickBooks: the app's payments for them that are not there are set aside.

    bypassed = settle_paid_invoices(session, connection_id, paid, clock=clock)

`paid` holds the invoices a pull saw with nothing left to pay (the mirror's copy before the
pull, and now). For each one linked to an app invoice, every app payment applied to it that is
not in QuickBooks (not linked, not synced, no write of ours in flight), and whose invoices are
all paid in QuickBooks, becomes ``bypassed`` with ``invoice.paid_in_quickbooks``: sending it
would record the money twice. Pending, failing, blocked and draft payments alike; a payment
whose write is in flight may be the very one that paid the invoice, so it settles first.

The app hears ``payment.bypassed`` for each, and ``invoice.paid_in_quickbooks`` once, when the
invoice newly shows paid by a payment that is not one of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.core import catalog, overrides
from ledgerbridge.core import drift as rules
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.preflight.sales import is_same_payment
from ledgerbridge.core.records import Payment, parse_record
from ledgerbridge.core.status import SETTLED, Status
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.mirror import Mirror
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.scans import Scans
from ledgerbridge.storage.sync_states import SyncStates
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["settle_paid_invoices"]


def settle_paid_invoices(
    session: Session,
    connection_id: str,
    paid: Iterable[tuple[MirrorObject | None, MirrorObject]],
    *,
    clock: Clock = utcnow,
) -> int:
    return _Paid(session, connection_id, clock).settle(paid)


class _Paid:
    def __init__(self, session: Session, cid: str, clock: Clock) -> None:
        self.cid = cid
        self.session = session
        self.links = Links(session)
        self.mirror = Mirror(session, cid, clock=clock)
        self.records = Records(session, clock=clock)
        self.states = SyncStates(session, clock=clock)
        self.history = History(session, clock=clock)
        self.events = Events(session, clock=clock)
        self._by_invoice: dict[str, list[str]] | None = None

    def settle(self, paid: Iterable[tuple[MirrorObject | None, MirrorObject]]) -> int:
        bypassed = 0
        for before, after in paid:
            link = self.links.by_quickbooks(self.cid, "Invoice", after.qbo_id)
            if link is None or rules.is_stale(after, link.sync_token):
                continue
            names = [p for p in self._payments_of(link.app_id) if self._bypass(p, link)]
            bypassed += len(names)
            newly = before is None or not rules.is_paid(before)
            if newly and not self._paid_by_us(after):
                detail = {
                    "type": "invoice",
                    "id": link.app_id,
                    "quickbooks_id": link.qbo_id,
                    "quickbooks_number": link.doc_number,
                    "bypassed_payments": names,
                }
                self.history.add(
                    self.cid, "invoice", link.app_id, "paid_in_quickbooks", detail=detail
                )
                self.events.append(self.cid, "invoice.paid_in_quickbooks", detail)
        return bypassed

    def _bypass(self, app_id: str, invoice: StoredLink) -> bool:
        state = self.states.get(self.cid, "payment", app_id)
        if state is None or state.status in SETTLED or state.pending_request_id:
            return False
        if self.links.get(self.cid, "payment", app_id) is not None:
            return False
        payment = self._payment(app_id, state.overrides)
        if payment is None or not all(self._is_paid(a.invoice_id) for a in payment.applied_to):
            return False
        if self._in_quickbooks(payment):
            return False  # QuickBooks' payment is this one: the next pass links it
        problem = rules.paid_problem(invoice.app_id, invoice.doc_number).to_json()
        self.states.finish(self.cid, "payment", app_id, status=Status.BYPASSED, problem=problem)
        self.history.add(self.cid, "payment", app_id, "bypassed", detail=problem)
        self.events.append(
            self.cid,
            "payment.bypassed",
            {
                "type": "payment",
                "id": app_id,
                "code": catalog.INVOICE_PAID_IN_QUICKBOOKS,
                "invoice_id": invoice.app_id,
            },
        )
        return True

    def _in_quickbooks(self, payment: Payment) -> bool:
        """An unlinked QuickBooks payment of the same customer, amount, date and reference."""
        customer = self.links.get(self.cid, "customer", payment.customer_id)
        if customer is None:
            return False
        return any(
            is_same_payment(seen.obj.data, payment)
            and self.links.by_quickbooks(self.cid, "Payment", seen.obj.qbo_id) is None
            for seen in Scans(self.session, self.cid).mirror("Payment", party=customer.qbo_id)
        )

    def _is_paid(self, invoice_id: str) -> bool:
        link = self.links.get(self.cid, "invoice", invoice_id)
        found = self.mirror.get("Invoice", link.qbo_id) if link is not None else None
        return found is not None and rules.is_paid(found)

    def _paid_by_us(self, invoice: MirrorObject) -> bool:
        """Every payment QuickBooks shows on the invoice is linked to one of the app's."""
        linked = invoice.data.get("LinkedTxn") or []
        ids = [
            str(txn.get("TxnId"))
            for txn in linked
            if isinstance(txn, Mapping) and txn.get("TxnType") == "Payment"
        ]
        return bool(ids) and all(
            self.links.by_quickbooks(self.cid, "Payment", qbo_id) is not None for qbo_id in ids
        )

    def _payment(self, app_id: str, changed: Mapping[str, Any] | None) -> Payment | None:
        stored = self.records.get(self.cid, "payment", app_id)
        if stored is None or stored.deleted:
            return None
        parsed = parse_record("payment", overrides.apply(stored.data, changed))
        return parsed if isinstance(parsed, Payment) else None

    def _payments_of(self, invoice_id: str) -> list[str]:
        """The app payments applied to an app invoice (every payment read once per pull)."""
        if self._by_invoice is None:
            index: dict[str, list[str]] = {}
            cursor = None
            while True:
                page = self.records.list(self.cid, type="payment", cursor=cursor, limit=500)
                for stored in page.items:
                    applied = stored.data.get("applied_to") if not stored.deleted else None
                    for line in applied if isinstance(applied, list) else []:
                        if isinstance(line, Mapping) and line.get("invoice_id"):
                            index.setdefault(str(line["invoice_id"]), []).append(stored.app_id)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            self._by_invoice = index
        return sorted(set(self._by_invoice.get(invoice_id, [])))
