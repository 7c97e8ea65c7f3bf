"""One refresh at a time per company: racing callers share one rotation, stored first; under
each of the emulator's refresh-token policies (Intuit's `grace`, where the refresh token may come
back unchanged, and single-use `strict`)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.tokens import TOKEN_FRESH, ConnectionTokens
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.tokens import Tokens, TokensRead
from tests.ledgerbridge.engine.conftest import World


@pytest.fixture(params=["grace", "strict"])
def refresh_token_policy(request: pytest.FixtureRequest, world: World) -> str:
    """The connected company's refresh-token policy, each in turn."""
    policy: str = request.param
    world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_policy": policy})
    return policy


@pytest.mark.usefixtures("refresh_token_policy")
def test_racing_refreshes_rotate_once(world: World) -> None:
    tokens = ConnectionTokens(world.ledger, world.connection_id, "emulator")
    stale = tokens.access_token()
    with world.ledger.db.session() as session:
        before = Tokens(session).get(world.connection_id)
    assert before is not None
    results: list[str] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            results.append(tokens.refreshed_access_token(stale))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and results[0] != stale  # everyone got the same new token
    with world.ledger.db.session() as session:
        after = Tokens(session).get(world.connection_id)
    assert after is not None
    assert after.version == before.version + 1  # exactly one rotation
    assert tokens.access_token() == results[0]


@pytest.mark.usefixtures("refresh_token_policy")
def test_each_refresh_stores_when_the_refresh_token_ends_and_warns_ahead(world: World) -> None:
    """The answer's `x_refresh_token_expires_in` is stored as the tokens' `refresh_expires_at`;
    within 30 days of it the connection shows `connection.reconnect_soon`."""
    tokens = ConnectionTokens(world.ledger, world.connection_id, "emulator")
    world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_max_life": 10 * 86_400})
    try:
        tokens.refreshed_access_token(tokens.access_token())
        with world.ledger.db.session(readonly=True) as session:
            stored = Tokens(session).get(world.connection_id)
            connection = Connections(session).get_unscoped(world.connection_id)
        assert stored is not None and connection is not None
        left = stored.refresh_expires_at - world.ledger.clock()
        assert timedelta(0) < left <= timedelta(days=10)  # the end, not 100 days
        assert (connection.problem or {}).get("code") == catalog.CONNECTION_RECONNECT_SOON
    finally:
        world.admin("PATCH", f"/companies/{world.realm_id}", {"refresh_token_max_life": None})
    tokens.refreshed_access_token(tokens.access_token())
    with world.ledger.db.session(readonly=True) as session:
        stored = Tokens(session).get(world.connection_id)
        connection = Connections(session).get_unscoped(world.connection_id)
    assert stored is not None and connection is not None
    assert stored.refresh_expires_at - world.ledger.clock() > timedelta(days=99)
    assert connection.problem is None  # the next answer ends far off: the warning clears


def test_a_callers_read_of_the_tokens_counts_as_the_clients_own_of_that_age(world: World) -> None:
    """A job hands its read of the tokens to its client (`read=`): used without a read of its
    own while that read is younger than TOKEN_FRESH, read afresh after (a token refreshed
    meanwhile by another process is the one used then), as the client's own read would be."""
    now = [100.0]
    with world.ledger.db.session(readonly=True) as session:
        stored = Tokens(session).get(world.connection_id)
    assert stored is not None
    first = world.ledger.cipher.decrypt(stored.access_token)
    read = TokensRead(stored, now[0])
    tokens = ConnectionTokens(
        world.ledger, world.connection_id, "emulator", monotonic=lambda: now[0], read=read
    )
    other = ConnectionTokens(world.ledger, world.connection_id, "emulator")
    refreshed = other.refreshed_access_token(other.access_token())  # another process's refresh
    assert refreshed != first
    assert tokens.access_token() == first  # the job's read, 0 s old
    now[0] += TOKEN_FRESH
    assert tokens.access_token() == refreshed  # as old as TOKEN_FRESH: read again
