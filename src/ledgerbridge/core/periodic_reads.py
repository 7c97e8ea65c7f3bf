"""When the periodic read of a company is due, given what its webhooks have shown: a pure rule,
with the moments passed in.

A company is read (pulled by change data capture) every few minutes by whichever dispatcher runs
(the jobs' sweep, the embedded dispatcher's rounds), so that no change depends on a webhook
arriving. A company whose signed webhooks do arrive (one named it within `NOTIFIED_WITHIN`)
has its changes woken by them; for it the periodic read is a safety net, due once its last read
is `NOTIFIED_READ_EVERY` old. Both dispatchers ask `read_due`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["CLOCK_MARGIN", "NOTIFIED_READ_EVERY", "NOTIFIED_WITHIN", "read_due"]

NOTIFIED_WITHIN = timedelta(hours=24)
"""A company a signed webhook named this recently (`connections.notified_at`) has webhooks
that reach us: it is read periodically only every `NOTIFIED_READ_EVERY`. One whose webhooks
stopped a day ago (the app's endpoint changed, Intuit gave up on ours) is read at every period
again."""

NOTIFIED_READ_EVERY = timedelta(hours=1)
"""How old a notified company's last read (its change cursor) is before it is read again.
Intuit asks for a daily read where webhooks arrive; an hour, not a day, bounds how long a
change whose webhook is missed stays unseen: one our endpoint failed to take (Intuit retries
within seconds, then after 5 and 20 minutes, then 2 hours, holding the company's later notices
back meanwhile), an entity the app's webhook settings leave out, a person's edit in the very
second of the engine's own write (taken for its echo, `engine.service.webhooks`). Read hourly,
such a company costs a twelfth of the reads of one read every 5 minutes."""

CLOCK_MARGIN = timedelta(seconds=2)
"""How far apart the clocks of the ledger's processes may be: a moment one process stored is
compared with another's clock only beyond this margin."""


def read_due(notified_at: datetime | None, cursor: datetime | None, now: datetime) -> bool:
    """Whether a company whose periodic read comes round at `now` is read, a signed webhook
    having last named it at `notified_at` and its last read having begun at `cursor` (None:
    never notified, never read). Yes, unless its webhooks are known to arrive (notified within
    `NOTIFIED_WITHIN`) and its last read is younger than `NOTIFIED_READ_EVERY`: its changes
    wake their own reads. A cursor or a mark ahead of `now` (the clock of the process that
    read the company or took the webhook running fast) is not trusted: the company is read."""
    if notified_at is None or now - notified_at > NOTIFIED_WITHIN:
        return True
    if notified_at > now + CLOCK_MARGIN:
        return True
    if cursor is None or cursor > now + CLOCK_MARGIN:
        return True
    return now - cursor >= NOTIFIED_READ_EVERY
