"""How many wrong passwords may be tried (`core.sign_in`): pure, the time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.core.sign_in import (
    Go,
    Locked,
    Policy,
    Tally,
    Wait,
    after_failure,
    after_success,
    client_of,
    judge,
    wait_words,
)

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
POLICY = Policy()


class Attacker:
    """Tallies as the storage keeps them, for one account and any number of addresses."""

    def __init__(self) -> None:
        self.account = Tally()
        self.addresses: dict[str, Tally] = {}
        self.shares: dict[str, Tally] = {}
        self.now = NOW
        self.checked = 0  # attempts whose password was looked at

    def attempt(self, address: str) -> Go | Wait | Locked:
        verdict = judge(
            POLICY,
            self.account,
            self.addresses.get(address, Tally()),
            self.now,
            self.shares.get(address, Tally()),
        )
        if isinstance(verdict, Go):
            self.checked += 1
            self.account, self.addresses[address], self.shares[address] = after_failure(
                POLICY,
                self.account,
                self.addresses.get(address, Tally()),
                self.shares.get(address, Tally()),
                self.now,
            )
        return verdict


def test_the_first_failures_are_free_then_the_wait_doubles_up_to_a_cap() -> None:
    attacker = Attacker()
    for _ in range(5):
        assert attacker.attempt("a") == Go()
    waits = []
    for _ in range(12):
        verdict = attacker.attempt("a")
        assert isinstance(verdict, Wait)  # refused: nothing counted, nothing hashed
        waits.append(verdict.seconds)
        attacker.now += timedelta(seconds=verdict.seconds)
        assert attacker.attempt("a") == Go()
    assert waits[:6] == [1, 2, 4, 8, 16, 32]  # the account's delay
    # past its share of the account (10) the address's own delay rules: free for 10, then 1 s
    assert waits[6:] == [2, 4, 8, 16, 32, 64]
    assert attacker.account.failures == 10 and attacker.addresses["a"].failures == 17


def test_one_address_never_locks_an_account_and_delays_it_at_most_32_seconds() -> None:
    attacker = Attacker()
    longest = 0
    for _ in range(400):
        attacker.now += timedelta(hours=1)  # the address's longest delay
        assert attacker.attempt("a") == Go()
        # the right person, from elsewhere, waits for the account's delay only
        right_person = judge(POLICY, attacker.account, Tally(), attacker.now)
        longest = max(longest, right_person.seconds if isinstance(right_person, Wait) else 0)
        assert attacker.account.failures <= 10 and attacker.account.locked_at is None
    assert longest == 32


def test_five_addresses_lock_the_account_until_a_person_unlocks_it() -> None:
    attacker = Attacker()
    verdicts = []
    for n in range(400):
        attacker.now += timedelta(minutes=20)  # past the account's longest delay
        verdicts.append(attacker.attempt(f"10.0.0.{n % 16}"))
    assert attacker.checked == 50
    assert verdicts[:50] == [Go()] * 49 + [Go(locks=True)]  # the last one is worth a warning
    assert all(isinstance(v, Locked) for v in verdicts[50:])
    later = attacker.now + timedelta(days=30)
    assert isinstance(judge(POLICY, attacker.account, Tally(), later), Locked)


def test_a_burst_from_many_addresses_gets_five_passwords_checked() -> None:
    attacker = Attacker()
    verdicts = [attacker.attempt(f"10.0.0.{n % 16}") for n in range(400)]
    assert attacker.checked == 5
    assert set(verdicts[5:]) == {Wait(1)}


def test_a_right_password_gives_back_the_address_its_failure() -> None:
    tally = Tally(3, NOW)
    assert after_success(tally) == Tally(2, NOW)
    assert after_success(Tally()) == Tally()


def test_failures_are_forgotten_after_a_quiet_day_but_a_lock_is_not() -> None:
    busy = Tally(9, NOW)
    assert isinstance(judge(POLICY, busy, Tally(), NOW), Wait)
    assert judge(POLICY, busy, Tally(), NOW + timedelta(hours=24)) == Go()
    assert POLICY.current(busy, NOW + timedelta(hours=24)) == Tally()
    locked = Tally(50, NOW, NOW)
    assert judge(POLICY, locked, Tally(), NOW + timedelta(days=400)) == Locked(NOW)
    # an address's own delay counts too, whatever the account
    assert judge(POLICY, Tally(), Tally(12, NOW), NOW) == Wait(4)


def test_a_wait_reads_in_words() -> None:
    assert [wait_words(s) for s in (0, 1, 2, 59, 60, 61, 3599, 3600, 7201)] == [
        "1 second",
        "1 second",
        "2 seconds",
        "59 seconds",
        "1 minute",
        "2 minutes",
        "60 minutes",
        "1 hour",
        "3 hours",
    ]


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::abcd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("testclient", "testclient"),
    ],
)
def test_a_client_is_an_ipv4_address_or_an_ipv6_slash_64(address: str, client: str) -> None:
    assert client_of(address) == client
