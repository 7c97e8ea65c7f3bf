"""What the engine refuses, as exceptions its callers (the API, the dashboard, the command
line) translate in one place each (`api/errors.py`'s table for HTTP).

    NotFound         no such connection or record for this key          404
    Invalid          input to correct; `problems` name the fields        422
    Refused          an action that does not apply to the record now     409
      Withdrawn      a Desktop fix whose connection started fresh while a session carried
                     it out: nothing of it stored (`engine.actions.carry_out`)
    NoNumberToApply  a numbering start asked with no number to go on     422
    InvalidCursor    a listing cursor this server did not give out       422 (raised by storage)
    Unreachable      QuickBooks cannot be read for the connection now    409 / 429 / 502 / 503
                     (`code` says why; `retry_after` when QuickBooks said how long to wait)
"""

from __future__ import annotations

from ledgerbridge.core.problems import Problem
from ledgerbridge.storage.records import InvalidCursor

__all__ = [
    "Invalid",
    "InvalidCursor",
    "NoNumberToApply",
    "NotFound",
    "Refused",
    "Unreachable",
    "Withdrawn",
]


class NotFound(LookupError):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Invalid(ValueError):
    """Input the caller must correct; `problems` name the fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class Refused(Exception):
    """The action does not apply to this record now; `reason` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Withdrawn(Refused):
    """A QuickBooks Desktop fix carried out by a Web Connector session while the person
    started the connection fresh: what the old company file answered is another company's,
    and nothing of it is stored (`engine.actions._target.Target.storing`)."""


class NoNumberToApply(ValueError):
    """No number was given and QuickBooks uses no number to start after."""


class Unreachable(Exception):
    """QuickBooks cannot be read for this connection now. `code`: connection.not_connected,
    connection.disconnected, connection.suspended, connection.wrong_company,
    connection.secret_keys_changed, quickbooks.throttled (with `retry_after` seconds) or
    quickbooks.unavailable; `message` says it for a person."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
