"""`is_echo`: when a webhook notice tells nothing the mirror lacks (times across offsets)."""

from __future__ import annotations

import pytest

from ledgerbridge.adapters.qbo.webhooks import parse_notification
from ledgerbridge.engine.service.webhooks import is_echo

HELD = "2026-12-06T15:19:12-08:00"  # as QuickBooks writes MetaData.LastUpdatedTime


def _notice(operation: str, last_updated: str) -> str:
    return (
        '{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": [{"name":'
        f' "Customer", "id": "7", "operation": "{operation}", "lastUpdated": "{last_updated}"'
        "}]}}]}"
    )


@pytest.mark.parametrize(
    ("last_updated", "echo"),
    [
        ("2026-12-06T15:19:12-0800", True),  # the write's own second, legacy spelling
        ("2026-12-06T16:19:12-0700", True),  # the same moment in another offset
        ("2026-12-06T23:19:12.999Z", True),  # CloudEvents' milliseconds, within the second
        ("2026-12-06T23:19:11Z", True),  # an older notice: the mirror holds later
        ("2026-12-06T23:19:13Z", False),  # a second later: someone changed it since
        ("2026-12-07T00:19:12+01:00", True),
        ("2026-12-07T00:19:13+01:00", False),
    ],
)
def test_a_notice_at_or_before_the_held_time_is_an_echo(last_updated: str, echo: bool) -> None:
    (notice,) = parse_notification(_notice("Update", last_updated).encode())
    assert is_echo(notice, HELD) is echo


@pytest.mark.parametrize("operation", ["Delete", "Merge", "Void", "Emailed", "Archived"])
def test_other_verbs_are_never_echoes(operation: str) -> None:
    (notice,) = parse_notification(_notice(operation, "2026-12-06T15:19:12-0800").encode())
    assert not is_echo(notice, HELD)


@pytest.mark.parametrize("held", [None, "", "yesterday", "2026-12-06T15:19:12"])
def test_nothing_held_or_a_held_time_unreadable_is_no_echo(held: str | None) -> None:
    (notice,) = parse_notification(_notice("Create", "2026-12-06T15:19:12-0800").encode())
    assert not is_echo(notice, held)


def test_a_notice_without_a_time_is_no_echo() -> None:
    body = (
        '{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": [{"name":'
        ' "Customer", "id": "7", "operation": "Update"}]}}]}'
    )
    (notice,) = parse_notification(body.encode())
    assert not is_echo(notice, HELD)


@pytest.mark.parametrize(
    ("last_updated", "held"),
    [
        ("9999-12-31T23:59:59-08:00", HELD),  # the notice's moment past year 9999 in UTC
        ("0001-01-01T00:00:00+08:00", HELD),  # before year 1 in UTC
        ("2026-12-06T15:19:12-0800", "9999-12-31T23:59:59-08:00"),  # what QuickBooks held
        ("2026-12-06T15:19:12-0800", "0001-01-01T00:00:00+08:00"),
    ],
)
def test_a_time_beyond_the_calendar_in_utc_is_no_echo(last_updated: str, held: str) -> None:
    """Such a time parses at its offset but has no UTC moment (it raised OverflowError and
    the webhook answered 500): not an echo, so the company pulls."""
    (notice,) = parse_notification(_notice("Update", last_updated).encode())
    assert not is_echo(notice, held)
