"""The emulated QuickBooks company of the demo: created through the emulator's admin API, and
changed "by a person in QuickBooks" with plain Accounting API calls of their own.

    company = DemoCompany.create(emulator_url)
    with company.person(client_id) as person:
        person.apply(change, quickbooks_id)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from ledgerbridge.adapters.qbo import FixedToken, QboClient
from ledgerbridge.core.mapping import ENTITY
from ledgerbridge.demo.cases import Change

__all__ = ["COMPANY_NAME", "DemoCompany", "Person"]

COMPANY_NAME = "Summit Ridge Builders"


@dataclass(frozen=True)
class DemoCompany:
    url: str  # the emulator
    realm_id: str

    @staticmethod
    def create(url: str, *, name: str = COMPANY_NAME, preset: str = "demo") -> DemoCompany:
        """A fresh copy of the emulator's demo company (`preset="blank"`: only the lists
        QuickBooks sets up itself, such as the chart of accounts)."""
        body = _admin(url, "POST", "/companies", {"name": name, "preset": preset})
        return DemoCompany(url, str(body["realm_id"]))

    def export(self) -> dict[str, Any]:
        exported: dict[str, Any] = _admin(self.url, "GET", f"/companies/{self.realm_id}/export")
        return exported

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return _admin(self.url, method, f"/companies/{self.realm_id}{path}", body)

    @contextmanager
    def person(self, client_id: str) -> Iterator[Person]:
        """Someone signed in to this company (tokens of their own, for ledgerbridge's app)."""
        tokens = self.admin("POST", "/connect", {"client_id": client_id})
        client = QboClient(f"{self.url}/v3", self.realm_id, FixedToken(str(tokens["access_token"])))
        try:
            yield Person(self, client)
        finally:
            client.close()


def _admin(url: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{url}/_emulator{path}", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


class Person:
    """Changes made in QuickBooks itself, outside ledgerbridge."""

    def __init__(self, company: DemoCompany, client: QboClient) -> None:
        self.company = company
        self.client = client

    def apply(self, change: Change, quickbooks_id: Callable[[str, str], str]) -> None:
        """Carry `change` out; `quickbooks_id(type, app_id)` finds what a record is linked to."""
        entity = ENTITY[change.record_type]
        qbo_id = quickbooks_id(change.record_type, change.app_id)
        other = quickbooks_id("customer", change.other_id) if change.other_id else None
        if change.action == "delete":
            current = self._read(entity, qbo_id)
            self.client.delete(entity, qbo_id, current["SyncToken"], request_id=_rid())
        elif change.action == "void":
            current = self._read(entity, qbo_id)
            self.client.void(entity, qbo_id, current["SyncToken"], request_id=_rid())
        elif change.action == "move":
            self._update(entity, qbo_id, CustomerRef={"value": other})
        elif change.action == "deactivate":
            self._update(entity, qbo_id, Active=False)
        elif change.action == "receive_payment":
            self._receive_payment(qbo_id)
        elif change.action == "merge":
            body = {"entity": "Customer", "from_id": qbo_id, "into_id": other}
            self.company.admin("POST", "/merge", body)
        elif change.action == "change_account":
            (account,) = self.client.query(f"SELECT * FROM Account WHERE Name = '{change.value}'")
            self._update(entity, qbo_id, IncomeAccountRef={"value": account["Id"]})
        elif change.action == "deposit":
            self.company.admin("POST", "/deposits", {"entity": entity, "ids": [qbo_id]})
        elif change.action == "change_quantity":
            self._change_quantity(qbo_id, Decimal(change.value or "1"))
        elif change.action == "edit_notes":
            self._update(entity, qbo_id, Notes=change.value)

    def _read(self, entity: str, qbo_id: str) -> dict[str, Any]:
        current = self.client.read(entity, qbo_id)
        if current is None:
            raise LookupError(f"QuickBooks {entity} {qbo_id} is gone")
        return current

    def _update(self, entity: str, qbo_id: str, **changes: Any) -> dict[str, Any]:
        current = self._read(entity, qbo_id)
        body = {"Id": qbo_id, "SyncToken": current["SyncToken"], **changes}
        return self.client.update(entity, body, request_id=_rid(), sparse=True)

    def _receive_payment(self, invoice_id: str) -> None:
        invoice = self._read("Invoice", invoice_id)
        balance = str(invoice["Balance"])
        self.client.create(
            "Payment",
            {
                "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                "TotalAmt": balance,
                "Line": [
                    {
                        "Amount": balance,
                        "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
                    }
                ],
            },
            request_id=_rid(),
        )

    def _change_quantity(self, invoice_id: str, quantity: Decimal) -> None:
        """The first line's quantity changes (its amount with it): the totals differ."""
        invoice = self._read("Invoice", invoice_id)
        lines = [
            line for line in invoice["Line"] if line.get("DetailType") == "SalesItemLineDetail"
        ]
        detail = lines[0]["SalesItemLineDetail"]
        detail["Qty"] = str(quantity)
        lines[0]["Amount"] = str((Decimal(str(detail["UnitPrice"])) * quantity).quantize(CENT))
        self._update("Invoice", invoice_id, Line=lines)


CENT = Decimal("0.01")


def _rid() -> str:
    return uuid.uuid4().hex
