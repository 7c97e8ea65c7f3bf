"""Issue 13, failure 3: long waits never hold the shared thread pool.

60 `GET ...?wait=20` on pending records, held open against the API served by uvicorn on a
real socket (SQLite and PostgreSQL), while `/v1/health` and an ordinary API call answer; a
key's wait beyond `WAITS_PER_KEY` is a 429 in the API's error shape with `Retry-After`.
Before waits were coroutines, those 60 waits filled the shared pool and health took 18 s.
"""

from __future__ import annotations

import math
import os
import secrets
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledgerbridge.api.waits import RETRY_AFTER, WAITS_PER_KEY, Waits
from ledgerbridge.bootstrap import build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import free_port
from tests.ledgerbridge.api.conftest import ApiServer, error_of
from tests.ledgerbridge.tls import shared_tls

POSTGRES_URL = os.environ.get(
    "LEDGERBRIDGE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WAITS = 60
ANSWER_WITHIN = 10.0  # a generous timeout for health and the ordinary call, well under the wait
WAIT_SECONDS = 25


@dataclass
class Api:
    url: str
    service: Service
    waits: Waits


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The API served by uvicorn from a thread; no dispatcher, so records stay pending."""
    environ = {"LEDGERBRIDGE_DATA_DIR": str(tmp_path)}
    schema = None
    admin = None
    if request.param == "postgresql":
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        schema = f"lb_waits_{secrets.token_hex(5)}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        environ["LEDGERBRIDGE_DATABASE_URL"] = url.render_as_string(hide_password=False)
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    service = Service(ledger)
    try:
        with ApiServer(service, free_port()) as server:
            yield Api(server.url, service, server.app.state.waits)
    finally:
        ledger.db.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def _pending_record(api: Api, key: str) -> tuple[str, str]:
    """A connection of the key and the URL of one pending customer in it."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(
        base_url=api.url, headers=headers, timeout=ANSWER_WITHIN, verify=shared_tls()
    ) as http:
        created = http.post("/v1/connections", json={"name": "Office", "environment": "emulator"})
        cid = created.json()["id"]
        record = f"/v1/connections/{cid}/records/customer/c-1"
        assert http.put(record, json={"display_name": "Acme"}).json()["status"] == "pending"
    return cid, record


def test_sixty_waits_leave_health_and_the_api_answering(api: Api) -> None:
    made = [api.service.create_key(f"app-{n}") for n in range(math.ceil(WAITS / WAITS_PER_KEY))]
    ids, keys = [key_id for key_id, _ in made], [key for _, key in made]
    per_key = [WAITS // len(keys)] * len(keys)
    per_key[0] += WAITS - sum(per_key)
    assert max(per_key) <= WAITS_PER_KEY
    targets = [(key, *_pending_record(api, key)) for key in keys]

    def wait_on(key: str, record: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.get(
            f"{api.url}{record}",
            params={"wait": WAIT_SECONDS},
            headers=headers,
            timeout=WAIT_SECONDS + 30,
            verify=shared_tls(),
        )

    with ThreadPoolExecutor(max_workers=WAITS) as pool:
        held: list[Future[httpx.Response]] = [
            pool.submit(wait_on, key, record)
            for (key, _, record), count in zip(targets, per_key, strict=True)
            for _ in range(count)
        ]
        deadline = time.monotonic() + ANSWER_WITHIN * 3
        while sum(api.waits.open(key_id) for key_id in ids) < WAITS:
            assert time.monotonic() < deadline, "the 60 waits did not all start"
            assert not any(f.done() for f in held), [f.result().text for f in held if f.done()]
            time.sleep(0.05)

        # every wait is open: health and an ordinary call answer all the same
        latencies = []
        with httpx.Client(base_url=api.url, timeout=ANSWER_WITHIN, verify=shared_tls()) as probe:
            for _ in range(20):
                started = time.perf_counter()
                health = probe.get("/v1/health")
                latencies.append(time.perf_counter() - started)
                assert health.status_code == 200
        key, cid, _ = targets[0]
        headers = {"Authorization": f"Bearer {key}"}
        started = time.perf_counter()
        ordinary = httpx.get(
            f"{api.url}/v1/connections/{cid}", headers=headers, timeout=10, verify=shared_tls()
        )
        ordinary_seconds = time.perf_counter() - started
        assert ordinary.status_code == 200 and ordinary.json()["counts"] == {"pending": 1}
        assert not any(f.done() for f in held), "a wait answered before its record changed"
        print(
            f"\nhealth under {WAITS} open waits: median {statistics.median(latencies) * 1000:.1f}"
            f" ms, max {max(latencies) * 1000:.1f} ms; GET connection {ordinary_seconds * 1000:.1f}"
            " ms"
        )

        # the records leave pending: every wait answers with the new status
        for key, _, record in targets:
            bypass = httpx.post(
                f"{api.url}{record}/actions/bypass",
                headers={"Authorization": f"Bearer {key}"},
                timeout=ANSWER_WITHIN,
                verify=shared_tls(),
            )
            assert bypass.status_code == 200, bypass.text
        answers = [f.result(timeout=ANSWER_WITHIN * 3) for f in held]
    assert [a.status_code for a in answers] == [200] * WAITS
    assert {a.json()["status"] for a in answers} == {"bypassed"}
    assert sum(api.waits.open(key_id) for key_id in ids) == 0


def test_a_wait_beyond_the_keys_limit_is_a_429_with_retry_after(api: Api) -> None:
    key_id, key = api.service.create_key("eager")
    other_id, other = api.service.create_key("patient")
    _, record = _pending_record(api, key)
    _, others_record = _pending_record(api, other)
    headers = {"Authorization": f"Bearer {key}"}

    def wait_on(record: str, key: str) -> httpx.Response:
        return httpx.get(
            f"{api.url}{record}",
            params={"wait": WAIT_SECONDS},
            headers={"Authorization": f"Bearer {key}"},
            timeout=WAIT_SECONDS + 30,
            verify=shared_tls(),
        )

    with ThreadPoolExecutor(max_workers=WAITS_PER_KEY + 1) as pool:
        held = [pool.submit(wait_on, record, key) for _ in range(WAITS_PER_KEY)]
        deadline = time.monotonic() + ANSWER_WITHIN * 3
        while api.waits.open(key_id) < WAITS_PER_KEY:
            assert time.monotonic() < deadline, "the waits did not start"
            time.sleep(0.05)

        refused = httpx.get(
            f"{api.url}{record}",
            params={"wait": 5},
            headers=headers,
            timeout=ANSWER_WITHIN,
            verify=shared_tls(),
        )
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(RETRY_AFTER)
        error = error_of(refused)
        assert error["code"] == "wait.too_many"
        assert str(WAITS_PER_KEY) in error["message"]
        # the key still reads without waiting, and another key's wait is its own
        plain = httpx.get(
            f"{api.url}{record}", headers=headers, timeout=ANSWER_WITHIN, verify=shared_tls()
        )
        assert plain.status_code == 200 and plain.json()["status"] == "pending"
        others = pool.submit(wait_on, others_record, other)
        deadline = time.monotonic() + ANSWER_WITHIN * 3
        while api.waits.open(other_id) < 1:
            assert time.monotonic() < deadline and not others.done(), "the other key's wait"
            time.sleep(0.05)

        for owner, path in ((key, record), (other, others_record)):
            httpx.post(
                f"{api.url}{path}/actions/bypass",
                headers={"Authorization": f"Bearer {owner}"},
                timeout=ANSWER_WITHIN,
                verify=shared_tls(),
            ).raise_for_status()
        assert {f.result(timeout=ANSWER_WITHIN * 3).json()["status"] for f in held} == {"bypassed"}
        assert others.result(timeout=ANSWER_WITHIN * 3).json()["status"] == "bypassed"
    assert api.waits.open(key_id) == api.waits.open(other_id) == 0


def test_the_wait_limit_and_its_429_are_in_the_openapi_document(api: Api) -> None:
    document = httpx.get(
        f"{api.url}/openapi.json", timeout=ANSWER_WITHIN, verify=shared_tls()
    ).json()
    path = "/v1/connections/{connection_id}/records/{record_type}/{record_id}"
    get = document["paths"][path]["get"]
    assert "429" in get["responses"]
    assert "Retry-After" in get["responses"]["429"]["headers"]
    wait = next(p for p in get["parameters"] if p["name"] == "wait")
    assert str(WAITS_PER_KEY) in wait["description"]
