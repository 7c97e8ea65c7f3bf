"""The setup checklist (`engine.checks`): read, made again, and its numbering start applied."""

from __future__ import annotations

from typing import Any

from ledgerbridge.engine import checks as checklist
from ledgerbridge.engine.errors import NoNumberToApply
from ledgerbridge.engine.service._shared import Wiring, invalid, owned_connection

__all__ = ["apply_numbering_start", "checks"]


def checks(
    service: Wiring, key_id: str, connection_id: str, *, run: bool = False
) -> dict[str, Any]:
    """The last setup checklist with `checked_at`; made now if there is none, or `run`."""
    with service.ledger.db.session(readonly=True) as session:
        connection = owned_connection(session, key_id, connection_id)
    if run or connection.checks is None:
        checklist.run_checks(service.ledger, connection_id)
    return checklist.stored_checks(service.ledger, connection_id) or {}


def apply_numbering_start(
    service: Wiring, key_id: str, connection_id: str, number: int | None = None
) -> dict[str, Any]:
    """The app continues its invoice numbers from the first safe number (or `number`)."""
    with service.ledger.db.session(readonly=True) as session:
        owned_connection(session, key_id, connection_id)
    if number is not None and (type(number) is not int or number < 1):
        raise invalid("number", "number must be a positive whole number")
    try:
        return checklist.apply_numbering_start(service.ledger, connection_id, key_id, number)
    except NoNumberToApply as exc:
        raise invalid("number", str(exc)) from None
