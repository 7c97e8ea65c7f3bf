"""Changes "made by a person in QuickBooks": the emulator's API with tokens of their own, and
snapshots that show a dry run or a report wrote nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from ledgerbridge.adapters.qbo import FixedToken, QboClient
from ledgerbridge.storage import tables
from tests.ledgerbridge.engine.conftest import World


class Person:
    """Someone working in the QuickBooks company of `world`, outside ledgerbridge."""

    def __init__(self, world: World) -> None:
        tokens = world.admin(
            "POST",
            f"/companies/{world.realm_id}/connect",
            {"client_id": world.ledger.app("emulator").client_id},
        )
        self.client = QboClient(
            f"{world.emulator.url}/v3",
            world.realm_id,
            FixedToken(tokens["access_token"]),
            transport=world.ledger.transport,  # the engine's way to the emulator
        )

    def close(self) -> None:
        self.client.close()

    def create(self, entity: str, **body: Any) -> dict[str, Any]:
        return self.client.create(entity, body, request_id=uuid.uuid4().hex)

    def update(self, entity: str, qbo_id: str, **changes: Any) -> dict[str, Any]:
        current = self.client.read(entity, qbo_id)
        assert current is not None, (entity, qbo_id)
        body = {"Id": qbo_id, "SyncToken": current["SyncToken"], **changes}
        return self.client.update(entity, body, request_id=uuid.uuid4().hex, sparse=True)

    def delete(self, entity: str, qbo_id: str) -> None:
        current = self.client.read(entity, qbo_id)
        assert current is not None, (entity, qbo_id)
        self.client.delete(entity, qbo_id, current["SyncToken"], request_id=uuid.uuid4().hex)

    def void(self, entity: str, qbo_id: str) -> None:
        current = self.client.read(entity, qbo_id)
        assert current is not None, (entity, qbo_id)
        self.client.void(entity, qbo_id, current["SyncToken"], request_id=uuid.uuid4().hex)

    def account(self, name: str) -> str:
        (found,) = self.client.query(f"SELECT * FROM Account WHERE Name = '{name}'")
        return str(found["Id"])


def sale_line(item_id: str, quantity: str, unit_price: str, amount: str) -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": amount,
        "SalesItemLineDetail": {
            "ItemRef": {"value": item_id},
            "Qty": quantity,
            "UnitPrice": unit_price,
            "TaxCodeRef": {"value": "NON"},
        },
    }


def database(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    with world.ledger.db.session(readonly=True) as session:
        for table in tables.Base.metadata.sorted_tables:
            rows = session.execute(select(table)).all()
            snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot


def company(world: World) -> dict[str, Any]:
    """The emulator's export of the company, without its clock reading."""
    exported = world.export()
    exported.pop("now", None)
    return exported
