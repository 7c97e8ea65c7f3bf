"""The reconnect warning: pure, with the clock as a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.core import catalog, reconnect

NOW = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
END = datetime(2027, 3, 3, 8, 0, tzinfo=UTC)  # 29 days and 22.5 hours after NOW


def test_the_horizon_is_thirty_days() -> None:
    assert timedelta(days=30) == reconnect.WARN_BEFORE


@pytest.mark.parametrize(
    ("ends_in", "shown"),
    [
        (timedelta(days=400), False),
        (timedelta(days=30, seconds=1), False),
        (timedelta(days=30), True),  # the horizon itself counts
        (timedelta(days=1), True),
        (timedelta(seconds=1), True),
        (timedelta(0), False),  # ended: the connection is disconnected and says so itself
        (-timedelta(days=3), False),
    ],
)
def test_due_within_the_horizon_until_the_end(ends_in: timedelta, shown: bool) -> None:
    assert reconnect.due(NOW + ends_in, NOW) is shown
    assert (reconnect.warning(NOW + ends_in, NOW) is not None) is shown


def test_a_shorter_horizon_can_be_asked_for() -> None:
    assert not reconnect.due(NOW + timedelta(days=8), NOW, before=timedelta(days=7))
    assert reconnect.due(NOW + timedelta(days=7), NOW, before=timedelta(days=7))


def test_the_warning_says_when_in_plain_words_and_where_to_reconnect() -> None:
    problem = reconnect.warning(END, NOW, "https://sync.example.com/v1/oauth/reconnect?realmId=1")
    assert problem is not None
    assert problem.code == catalog.CONNECTION_RECONNECT_SOON
    assert problem.params["date"] == "3 March 2027"
    assert problem.params["days_left"] == 29
    assert problem.params["expires_at"] == END.isoformat()
    rendered = catalog.render(
        catalog.entry(problem.code), {k: str(v) for k, v in problem.params.items()}
    )
    assert (
        "QuickBooks will stop accepting ledgerbridge's sign-in for this company on 3 March 2027; "
        "reconnect before then." in rendered.meaning
    )
    assert "https://sync.example.com/v1/oauth/reconnect?realmId=1" in rendered.fix[0]
    assert rendered.actions == ("reconnect",)
    assert not rendered.retriable


def test_without_a_link_or_a_date_the_texts_still_read_whole() -> None:
    problem = reconnect.warning(END, NOW)
    assert problem is not None and problem.params["reconnect_url"] is None
    bare = catalog.render(catalog.entry(catalog.CONNECTION_RECONNECT_SOON), {})
    assert "sign-in for this company soon; reconnect before then." in bare.meaning
    assert bare.fix[0].startswith("Click Reconnect QuickBooks and sign in")


def test_dates_are_spoken_without_leading_zeros() -> None:
    assert reconnect.spoken_date(datetime(2028, 7, 4, tzinfo=UTC)) == "4 July 2028"
