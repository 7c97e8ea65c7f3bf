"""When to ask for a reconnect before QuickBooks stops accepting a connection's sign-in.

Intuit announced in November 2025 that a refresh token lives at most five years from the
authorization (the first ones end in 2027-2028): after that no refresh works, and the connection
is lost (`connection.disconnected`) until someone signs in again. Every token answer says how long
the refresh token has left (`x_refresh_token_expires_in`, stored as the token's
`refresh_expires_at`); this module decides, from that time and the clock (both values: nothing
is read here), whether the connection shows `connection.reconnect_soon`, and with which words.

    problem = warning(refresh_expires_at, now, reconnect_url)   # a Problem, or None

The refresh token's life also rolls: 100 days from each refresh. A connection in use refreshes
every hour, so that rolling end is always far off and only the hard end comes within the horizon;
a connection left unused for more than 70 days gets the warning too, which is right: it is lost
as surely if nobody uses it before then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ledgerbridge.core import catalog
from ledgerbridge.core.problems import Problem

__all__ = ["WARN_BEFORE", "due", "spoken_date", "warning"]

WARN_BEFORE = timedelta(days=30)
"""How long before the sign-in ends the connection shows the warning. Intuit warns the company's
users in QuickBooks 30 days before (and by email 7 days before); ledgerbridge says it as early,
which leaves a month of ordinary working days to find someone who can sign in."""


def due(refresh_expires_at: datetime, now: datetime, *, before: timedelta = WARN_BEFORE) -> bool:
    """Whether the warning shows: the sign-in ends within `before` and has not ended yet (once
    it has, the connection is disconnected and says so itself)."""
    return now < refresh_expires_at <= now + before


def spoken_date(moment: datetime) -> str:
    """A day as people write it: "3 March 2027" (UTC)."""
    return f"{moment.day} {moment:%B %Y}"


def warning(
    refresh_expires_at: datetime,
    now: datetime,
    reconnect_url: str | None = None,
    *,
    before: timedelta = WARN_BEFORE,
) -> Problem | None:
    """The connection's `connection.reconnect_soon` problem when it is due, else None."""
    if not due(refresh_expires_at, now, before=before):
        return None
    date = spoken_date(refresh_expires_at)
    return Problem(
        catalog.CONNECTION_RECONNECT_SOON,
        None,
        f"QuickBooks stops accepting the sign-in on {date} "
        f"({refresh_expires_at.isoformat()}); reconnect before then",
        {
            "date": date,
            "expires_at": refresh_expires_at.isoformat(),
            "days_left": max(0, (refresh_expires_at - now).days),
            "reconnect_url": reconnect_url,
        },
    )
