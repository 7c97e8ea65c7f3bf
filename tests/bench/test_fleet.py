"""bench.fleet's companies, made in the emulator over real HTTP: with QuickBooks' limits, or
(`--no-limits`) without any, as the emulator's own record of each company says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bench.emulator import THROTTLE_OFF
from bench.fleet import LIMITS, companies

from ledgerbridge.bootstrap import build
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def service(emulator: EmulatorServer, tmp_path: Path) -> Iterator[Service]:
    environ = {
        "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
    }
    ledger = build(load_settings(environ, data_dir=tmp_path))
    ledger.db.migrate()
    try:
        yield Service(ledger)
    finally:
        ledger.db.dispose()


def _throttle(emulator: EmulatorServer, realm_id: str) -> dict[str, object]:
    """The company's limits as the emulator holds them (its admin API, over HTTP)."""
    answer = httpx.get(f"{emulator.url}/_emulator/companies/{realm_id}", timeout=30)
    answer.raise_for_status()
    throttle = answer.json()["throttle"]
    return {key: throttle[key] for key in THROTTLE_OFF}


@pytest.mark.parametrize("limits", [True, False])
def test_the_fleets_companies_have_quickbooks_limits_unless_told_not_to(
    emulator: EmulatorServer, service: Service, limits: bool
) -> None:
    """`--no-limits` must take the emulator's default limits (QuickBooks' own: 500 requests,
    40 batches a minute, 10 at once) off each company, not only leave ours unset."""
    made = companies(service, emulator.url, [("Limits", 1, 2)], limits)
    assert _throttle(emulator, made[0].realm_id) == (LIMITS if limits else THROTTLE_OFF)
