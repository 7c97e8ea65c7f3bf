"""Time for the emulator: real time unless a company's clock is set through the admin API.

QuickBooks reports times in the company's zone; the emulator uses US Pacific, as Intuit's
samples do.

The OAuth server's time (codes, tokens, the end of a grant) is `Emulator.oauth_clock`: real time
unless the emulator was made with another, such as a `MovableClock` a test moves forward (the
end of a grant a second away, reached without waiting a second).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_company_time(moment: datetime) -> datetime:
    return moment.astimezone(PACIFIC)


def format_timestamp(moment: datetime) -> str:
    """`2015-07-23T10:58:12-07:00`: the form QuickBooks uses in MetaData."""
    return to_company_time(moment).replace(microsecond=0).isoformat()


def format_time_field(moment: datetime) -> str:
    """`2015-07-23T10:58:12.099-07:00`: the top-level `time` of every response."""
    local = to_company_time(moment)
    return local.isoformat(timespec="milliseconds")


def parse_datetime(text: str) -> datetime:
    """ISO date or datetime; a value without an offset is read as Pacific time."""
    value = text.strip()
    if len(value) == 10:
        parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
    else:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PACIFIC)
    return parsed


def company_today(moment: datetime) -> date:
    return to_company_time(moment).date()


class MovableClock:
    """Real time (`time.time`), moved forward by what `advance` added: never backward."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self._ahead

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:  # NaN too
            raise ValueError(f"a clock only moves forward: {seconds!r}")
        with self._lock:
            self._ahead += seconds
