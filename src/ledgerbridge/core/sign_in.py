"""How many wrong passwords the dashboard lets anyone try, and how long they then wait: pure
functions of what was counted and the time, so every process decides alike (the counts live in
the database, `storage.sign_in_attempts`) and tests move a clock instead of sleeping.

Failures are counted for three subjects:

- the account (the email typed, whether or not a user has it, so the answers never tell which
  emails exist): after `account.free` failures each attempt waits for a delay that doubles,
  up to `account.longest`; after `lock_after` failures the account is locked until a person
  unlocks it (`ledgerbridge users unlock EMAIL`). A right password clears the account's count.
- the client address, whatever the emails: the same growing delays from `address.free` on, up
  to `address.longest`, and never a lock. A right password does not clear it (an attacker with
  an account of their own could otherwise wipe their address's count between guesses).
- the address's share of the account: an address counts towards one account's failures at
  most `address_share` times. Past that its guesses only lengthen its own delay.

The last rule is the choice about denial of service. Locking an account stops the right person
too, so no single address may do it: with 50 to lock and a share of 10, it takes failures from
five addresses. One address alone makes the account's delay at most 2^(10-5) = 32 seconds,
which the right person, from another address, waits at worst once. A lock is the answer to
guessing from many addresses at once, and a person lifts it.

A refused attempt counts nothing and costs no password hash; failures nobody repeats for
`forget_after` are forgotten (a lock is not).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "Delays",
    "Go",
    "Locked",
    "Policy",
    "Tally",
    "Verdict",
    "Wait",
    "after_failure",
    "after_success",
    "client_of",
    "judge",
    "wait_words",
]


@dataclass(frozen=True, slots=True)
class Tally:
    """The failed sign-ins counted for one subject."""

    failures: int = 0
    last_failed_at: datetime | None = None
    locked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Delays:
    """`free` failures cost nothing; then each attempt waits `first`, doubling, at most
    `longest`, counted from the last failure."""

    free: int
    first: timedelta
    longest: timedelta

    def wait(self, tally: Tally, now: datetime) -> timedelta:
        """How long from `now` until the subject may try again (zero: now)."""
        if tally.failures < self.free or tally.last_failed_at is None:
            return timedelta(0)
        doublings = min(tally.failures - self.free, 40)  # 2^40 seconds outlasts any cap
        delay: timedelta = min(self.longest, self.first * 2**doublings)
        left: timedelta = tally.last_failed_at + delay - now
        return max(timedelta(0), left)


@dataclass(frozen=True, slots=True)
class Policy:
    account: Delays = field(default=Delays(5, timedelta(seconds=1), timedelta(minutes=15)))
    address: Delays = field(default=Delays(10, timedelta(seconds=1), timedelta(hours=1)))
    lock_after: int = 50
    address_share: int = 10
    forget_after: timedelta = timedelta(hours=24)

    def current(self, tally: Tally, now: datetime) -> Tally:
        """`tally` as it counts now: failures are forgotten after a quiet day, a lock never."""
        if tally.locked_at is not None or tally.last_failed_at is None:
            return tally
        if now - tally.last_failed_at >= self.forget_after:
            return Tally()
        return tally


@dataclass(frozen=True, slots=True)
class Go:
    """Check the password (the attempt is counted as a failure until it proves right).
    `locks`: a wrong one locks the account (worth telling the operator)."""

    locks: bool = False


@dataclass(frozen=True, slots=True)
class Wait:
    """Too many attempts: refused for `seconds` more, the password not even looked at."""

    seconds: int


@dataclass(frozen=True, slots=True)
class Locked:
    """The account is locked since `since`, until a person unlocks it."""

    since: datetime


Verdict = Go | Wait | Locked


def judge(
    policy: Policy, account: Tally, address: Tally, now: datetime, share: Tally | None = None
) -> Verdict:
    """Whether an attempt on `account` from `address` (with the address's `share` of the
    account) may be checked now."""
    account = policy.current(account, now)
    share = policy.current(share or Tally(), now)
    if account.locked_at is not None:
        return Locked(account.locked_at)
    wait = max(
        policy.account.wait(account, now),
        policy.address.wait(policy.current(address, now), now),
    )
    if wait > timedelta(0):
        return Wait(max(1, math.ceil(wait.total_seconds())))
    locks = account.failures + 1 >= policy.lock_after and share.failures < policy.address_share
    return Go(locks)


def after_failure(
    policy: Policy, account: Tally, address: Tally, share: Tally, now: datetime
) -> tuple[Tally, Tally, Tally]:
    """The account's, the address's and the share's tallies once one more attempt failed."""
    account, address, share = (policy.current(t, now) for t in (account, address, share))
    if share.failures < policy.address_share:
        failures = account.failures + 1
        locked_at = account.locked_at
        if locked_at is None and failures >= policy.lock_after:
            locked_at = now
        account = Tally(failures, now, locked_at)
    return account, Tally(address.failures + 1, now), Tally(share.failures + 1, now)


def after_success(address: Tally) -> Tally:
    """The address's tally once an attempt counted by `after_failure` proved right (the
    account's and its shares are cleared)."""
    return Tally(max(0, address.failures - 1), address.last_failed_at)


def wait_words(seconds: int) -> str:
    """`seconds` as a person reads a wait: "1 second", "40 seconds", "3 minutes", "1 hour"."""
    if seconds < 60:
        value, unit = max(1, seconds), "second"
    elif seconds < 3600:
        value, unit = math.ceil(seconds / 60), "minute"
    else:
        value, unit = math.ceil(seconds / 3600), "hour"
    return f"{value} {unit}" if value == 1 else f"{value} {unit}s"


def client_of(address: str) -> str:
    """The client an address stands for when counting: an IPv4 address itself, an IPv6 one
    by its /64 (one host is given a whole /64 and can pick any address in it; counting each
    /128 apart would let one machine dodge the per-address delay and share cap)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a test client's name): itself
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
