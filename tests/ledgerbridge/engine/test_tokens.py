"""One refresh at a time per company: racing callers share one rotation, stored first."""

from __future__ import annotations

import threading

from ledgerbridge.engine.tokens import ConnectionTokens
from ledgerbridge.storage.tokens import Tokens
from tests.ledgerbridge.engine.conftest import World


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
