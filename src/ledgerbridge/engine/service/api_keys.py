"""The API keys: made by the operator, asked for by every request of the API."""

from __future__ import annotations

from ledgerbridge.engine.service._shared import Wiring
from ledgerbridge.storage.api_keys import ApiKeys

__all__ = ["authenticate", "create_key"]


def create_key(service: Wiring, name: str) -> tuple[str, str]:
    with service.ledger.db.session() as session:
        return ApiKeys(session).create(name)


def authenticate(service: Wiring, secret: str) -> str | None:
    with service.ledger.db.session(readonly=True) as session:
        return ApiKeys(session).authenticate(secret)
