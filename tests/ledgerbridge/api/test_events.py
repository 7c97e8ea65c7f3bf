"""The event feed: polled with `after`, oldest first, per connection."""

from __future__ import annotations

from ledgerbridge.storage.events import Events
from tests.ledgerbridge.api.conftest import Stack, fields_of


def _emit(stack: Stack, connection_id: str, count: int) -> list[int]:
    with stack.ledger.db.session() as session:
        events = Events(session)
        return [
            events.append(connection_id, "record.synced", {"type": "customer", "id": f"c-{n}"})
            for n in range(count)
        ]


def test_events_are_polled_after_the_last_id_seen(stack: Stack) -> None:
    cid = stack.connection()["id"]
    other = stack.connection("Other")["id"]
    feed = f"/v1/connections/{cid}/events"
    assert stack.http.get(feed).json() == {"items": [], "next_after": 0}

    ids = _emit(stack, cid, 5)
    _emit(stack, other, 2)
    first = stack.http.get(feed, params={"limit": 3}).json()
    assert [e["id"] for e in first["items"]] == ids[:3]
    assert first["items"][0]["type"] == "record.synced"
    assert first["items"][0]["payload"] == {"type": "customer", "id": "c-0"}
    assert first["items"][0]["created_at"]
    assert first["next_after"] == ids[2]

    rest = stack.http.get(feed, params={"after": first["next_after"]}).json()
    assert [e["id"] for e in rest["items"]] == ids[3:]
    done = stack.http.get(feed, params={"after": rest["next_after"]}).json()
    assert done == {"items": [], "next_after": ids[-1]}


def test_bad_feed_parameters_are_a_422(stack: Stack) -> None:
    feed = f"/v1/connections/{stack.connection()['id']}/events"
    assert fields_of(stack.http.get(feed, params={"after": -1})) == ["after"]
    assert fields_of(stack.http.get(feed, params={"after": "x"})) == ["after"]
    assert fields_of(stack.http.get(feed, params={"limit": 0})) == ["limit"]
