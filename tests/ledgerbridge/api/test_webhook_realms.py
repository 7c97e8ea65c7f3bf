"""`POST /v1/qbo/webhooks` with hostile `realmId`s, well signed, over a real socket, on SQLite
and PostgreSQL: each gets a clear answer (200 for a company ledgerbridge does not know, 400
naming the field for a value that is no realm id), never a 500, and the stored connections are
as they were, but for the `notified_at` of a company the notification names.

PostgreSQL refuses NUL in text, and a lone surrogate cannot be sent to it as UTF-8: such a
realm id reaching the connections' query would fail there. The adapter's parser refuses them
first (`adapters.qbo.webhooks.parse_notification`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ledgerbridge.bootstrap import Ledger
from ledgerbridge.engine.service import Service
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.api.conftest import ApiServer, error_of, ledger_served_at
from tests.ledgerbridge.engine.conftest import connect
from tests.ledgerbridge.intuit_notices import sign
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.tls import HTTP_TIMEOUT, shared_tls

HOOK = "/v1/qbo/webhooks"
FIELD = "eventNotifications[0].realmId"


@dataclass
class Hooked:
    """The API on a socket, two companies connected (`realm` and `other`), the pulls woken."""

    ledger: Ledger
    http: httpx.Client
    token: str
    realm: str
    cid: str
    other: str
    pulls: list[str]

    def post(self, body: bytes) -> httpx.Response:
        return self.http.post(
            HOOK, content=body, headers={"intuit-signature": sign(body, self.token)}
        )

    def rows(self) -> list[dict[str, Any]]:
        """Every stored connection, every column."""
        with self.ledger.db.session(readonly=True) as session:
            found = session.execute(text("SELECT * FROM connections ORDER BY id"))
            return [dict(row._mapping) for row in found]


def _company(emulator: EmulatorServer, name: str) -> str:
    made = httpx.post(
        f"{emulator.url}/_emulator/companies",
        json={"name": name},
        timeout=HTTP_TIMEOUT,
        verify=shared_tls(),
    )
    realm: str = made.json()["realm_id"]
    return realm


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hooked(
    request: pytest.FixtureRequest, emulator: EmulatorServer, tmp_path: Path
) -> Iterator[Hooked]:
    with ExitStack() as stack:
        env = {}
        if request.param == "postgresql":
            env["LEDGERBRIDGE_DATABASE_URL"] = stack.enter_context(private_schema("lb_realms"))
        ledger, port, url = ledger_served_at(emulator.url, tmp_path, **env)
        stack.callback(ledger.db.dispose)
        pulls: list[str] = []
        service = Service(ledger, wake=lambda _: None, wake_pull=pulls.append)
        stack.callback(service.close)
        key_id, _ = service.create_key("hooks")
        realm, other = _company(emulator, "Named Co"), _company(emulator, "Other Co")
        cid = service.create_connection(key_id, "Named", "emulator").id
        connect(service, key_id, cid, realm)
        connect(service, key_id, service.create_connection(key_id, "Other", "emulator").id, other)
        token = ledger.app("emulator").verifier_token
        assert token is not None
        stack.enter_context(ApiServer(service, port))
        http = stack.enter_context(
            httpx.Client(base_url=url, timeout=HTTP_TIMEOUT, verify=shared_tls())
        )
        pulls.clear()
        yield Hooked(ledger, http, token.value, realm, cid, other, pulls)


def _body(*realm_ids: Any) -> bytes:
    """A legacy notification of one customer change in each of `realm_ids` (as JSON values)."""
    entity = {"name": "Customer", "id": "1", "operation": "Update"}
    events = [{"realmId": r, "dataChangeEvent": {"entities": [entity]}} for r in realm_ids]
    return json.dumps({"eventNotifications": events}).encode()


@pytest.mark.parametrize(
    ("realm_id", "why"),
    [
        ("9" * 100_000, "is 100,000 characters long"),
        ("9130\x00123", "holds a NUL character at position 4"),
        # json.dumps sends it as the escape "\ud800", as an app that cut an emoji in half does
        ("\ud800", "holds a lone surrogate (U+D800) at position 0"),
        ("9130\ud800", "holds a lone surrogate (U+D800) at position 4"),
        (9130.5, "must be a string or a whole number, not a number with a fraction or an exponent"),
        (True, "must be a string or a whole number, not true or false"),
        ([9130], "must be a string or a whole number, not an array"),
        ({"id": "9130"}, "must be a string or a whole number, not an object"),
        (None, "is missing"),
        ("", "is missing"),
    ],
    ids=[
        "100KB",
        "nul",
        "surrogate",
        "surrogate-after",
        "float",
        "bool",
        "list",
        "object",
        "null",
        "empty",
    ],
)
def test_a_realm_id_that_is_no_id_is_a_400_naming_it(
    hooked: Hooked, realm_id: Any, why: str
) -> None:
    """Alone, or after the connected company's notice: the whole notification is refused."""
    before = hooked.rows()
    second = FIELD.replace("[0]", "[1]")
    for body, field in ((_body(realm_id), FIELD), (_body(hooked.realm, realm_id), second)):
        response = hooked.post(body)
        assert response.status_code == 400, response.text
        error = error_of(response)
        assert error["code"] == "webhook.malformed"
        assert error["message"].startswith(f"{field} {why}"), error
        assert len(error["message"]) < 300  # the value is not sent back
    assert hooked.pulls == []
    assert hooked.rows() == before  # not even the well-named company is marked


def test_a_realm_id_of_a_100_000_digit_number_is_a_400_naming_it(hooked: Hooked) -> None:
    """More digits than Python turns into an int (4,300): refused naming the field too."""
    before = hooked.rows()
    digits = b"9" * 100_000
    body = b'{"eventNotifications": [{"realmId": %s, "dataChangeEvent": {"entities": []}}]}'
    response = hooked.post(body % digits)
    assert response.status_code == 400, response.text
    assert error_of(response)["message"].startswith(f"{FIELD} is 100,000 characters long")
    assert hooked.pulls == [] and hooked.rows() == before


@pytest.mark.parametrize("unknown", ["999999", 999999, -1, 0])
def test_an_unknown_realm_well_signed_is_a_200_that_changes_nothing(
    hooked: Hooked, unknown: Any
) -> None:
    before = hooked.rows()
    response = hooked.post(_body(unknown))
    assert response.status_code == 200, response.text
    assert hooked.pulls == []
    assert hooked.rows() == before


def _only_its_mark_written(hooked: Hooked, before: dict[str, Any]) -> None:
    """Every connection row as `before`, but the named company's `notified_at`, now set."""
    after = {row["id"]: row for row in hooked.rows()}
    assert after[hooked.cid]["notified_at"] is not None
    assert after[hooked.cid] | {"notified_at": None} == before[hooked.cid]
    assert {k: v for k, v in after.items() if k != hooked.cid} == {
        k: v for k, v in before.items() if k != hooked.cid
    }


def test_a_realm_id_sent_as_a_number_names_that_company(hooked: Hooked) -> None:
    before = {row["id"]: row for row in hooked.rows()}
    response = hooked.post(_body(int(hooked.realm)))
    assert response.status_code == 200, response.text
    assert hooked.pulls == [hooked.cid]
    _only_its_mark_written(hooked, before)


def test_five_thousand_realms_in_one_notification(hooked: Hooked) -> None:
    """4,999 companies no connection has, and the one company named among them: one answer,
    one pull, one connection marked; the other connected company untouched."""
    unknown = [str(9_000_000_000_000_000 + n) for n in range(4_999)]
    before = {row["id"]: row for row in hooked.rows()}
    response = hooked.post(_body(*unknown))
    assert response.status_code == 200, response.text
    assert hooked.pulls == []
    assert {row["id"]: row for row in hooked.rows()} == before

    response = hooked.post(_body(*unknown[:2_500], hooked.realm, *unknown[2_500:]))
    assert response.status_code == 200, response.text
    assert hooked.pulls == [hooked.cid]
    _only_its_mark_written(hooked, before)
