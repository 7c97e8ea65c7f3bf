"""A realistic company through the engine, with a worker killed mid-run, answers lost after
commit, a 429 storm and token expiry on the way; then every record is in QuickBooks exactly
once with the right amounts, checked by querying the emulator itself."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.push import sync_company
from tests.ledgerbridge.engine.conftest import World

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CUSTOMERS = 150
PROPERTIES_PER_CUSTOMER = 2
ITEMS = 100
INVOICES = 1500
PAID = 1000

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ledgerbridge.bootstrap import build
    from ledgerbridge.engine.push import sync_company
    from ledgerbridge.settings import load_settings
    settings = load_settings(
        {"LEDGERBRIDGE_QBO_EMULATOR_URL": sys.argv[1], "LEDGERBRIDGE_DATABASE_URL": sys.argv[4]},
        data_dir=Path(sys.argv[2]),
    )
    ledger = build(settings)
    while True:
        sync_company(ledger, sys.argv[3], holder="doomed-worker", max_rounds=100)
    """
)


def test_a_contractor_company_syncs_exactly_once_through_chaos(
    world: World, tmp_path: Path
) -> None:
    rng = random.Random(7)
    service, key, cid = world.service, world.key_id, world.connection_id
    world.admin(
        "PATCH",
        f"/companies/{world.realm_id}",
        {"throttle": {"requests_per_minute": None, "batch_per_minute": None}},
    )
    pull_company(world.ledger, cid)
    service.set_mappings(key, cid, {"payment_methods": {"check": "2", "card": "3"}})

    started = time.monotonic()
    prices: dict[str, Decimal] = {}
    for n in range(ITEMS):
        price = Decimal(rng.randrange(2500, 50000)) / 100
        prices[f"item-{n}"] = price
        service.put_record(
            key,
            cid,
            "item",
            f"item-{n}",
            {
                "name": f"Service {n}",
                "sku": f"SKU-{n}",
                "unit_price": str(price),
                "income_account": "Services",
            },
        )
    places: list[str] = []
    for n in range(CUSTOMERS):
        service.put_record(
            key,
            cid,
            "customer",
            f"cust-{n}",
            {"first_name": f"Pat{n}", "last_name": f"Lee{n}", "email": f"pat{n}@example.com"},
        )
        for p in range(PROPERTIES_PER_CUSTOMER):
            service.put_record(
                key,
                cid,
                "customer",
                f"prop-{n}-{p}",
                {
                    "display_name": f"{100 + p} Main St unit {n}",
                    "kind": "property",
                    "parent_id": f"cust-{n}",
                },
            )
            places.append(f"prop-{n}-{p}")
    expected_totals: dict[str, Decimal] = {}
    for n in range(INVOICES):
        lines = []
        for _ in range(rng.randint(1, 3)):
            item = f"item-{rng.randrange(ITEMS)}"
            qty = rng.randint(1, 4)
            lines.append({"item_id": item, "quantity": str(qty), "unit_price": str(prices[item])})
        total = sum(
            (Decimal(line["quantity"]) * prices[line["item_id"]] for line in lines), Decimal(0)
        )
        expected_totals[str(10000 + n)] = total
        service.put_record(
            key,
            cid,
            "invoice",
            f"inv-{n}",
            {
                "number": str(10000 + n),
                "customer_id": places[n % len(places)],
                "date": "2026-11-02",
                "lines": lines,
            },
        )
    for n in range(PAID):
        amount = expected_totals[str(10000 + n)]
        service.put_record(
            key,
            cid,
            "payment",
            f"pay-{n}",
            {
                "customer_id": places[n % len(places)],
                "date": "2026-11-05",
                "amount": str(amount),
                "method": "check",
                "reference": f"CHK{n}",
                "applied_to": [{"invoice_id": f"inv-{n}", "amount": str(amount)}],
            },
        )
    total_records = ITEMS + CUSTOMERS * (1 + PROPERTIES_PER_CUSTOMER) + INVOICES + PAID
    intake = time.monotonic() - started

    # chaos: the answers to 6 batches of creates lost after commit
    world.admin(
        "POST",
        f"/companies/{world.realm_id}/faults",
        {
            "match": {"method": "POST", "entity": "batch"},
            "times": 6,
            "action": {"drop_after_commit": True},
        },
    )

    # a worker process that is killed (SIGKILL) part-way through
    env = {**os.environ, "PYTHONPATH": str(Path.cwd() / "src")}
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            world.emulator.url,
            str(world.ledger.settings.data_dir),
            cid,
            world.ledger.settings.database_url,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            synced = world.service.connection(key, cid).counts.get("synced", 0)
            if synced >= total_records // 4:
                break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        log.close()
    assert synced > 0, (tmp_path / "worker.log").read_text()[-2000:]

    # the lease of the dead worker expires; token expiry and a 429 storm on the way
    base = world.ledger.clock
    world.ledger.clock = lambda: base() + timedelta(minutes=10)
    world.admin("POST", "/tokens/expire", {"realm_id": world.realm_id})
    world.admin("PATCH", f"/companies/{world.realm_id}", {"throttle": {"requests_per_minute": 40}})
    rounds = 0
    while rounds < 60:
        rounds += 1
        report = sync_company(world.ledger, cid, max_rounds=100)
        if rounds == 2:
            world.admin(
                "PATCH",
                f"/companies/{world.realm_id}",
                {"throttle": {"requests_per_minute": None, "batch_per_minute": None}},
            )
        counts = world.service.connection(key, cid).counts
        if counts.get("synced", 0) == total_records:
            break
        shift = rounds * 5
        world.ledger.clock = lambda shift=shift: (
            base() + __import__("datetime").timedelta(minutes=10 + shift)
        )
    elapsed = time.monotonic() - started
    counts = world.service.connection(key, cid).counts
    if counts != {"synced": total_records}:
        stuck = [
            r.to_json() for r in world.service.records(key, cid, status="pending", limit=3).items
        ]
        raise AssertionError(f"{counts} {report.stopped} {stuck}")

    # the emulator's own word: everything exactly once, amounts right
    export = world.export()["entities"]
    assert len(export["Item"]) == ITEMS
    assert len(export["Customer"]) == CUSTOMERS * (1 + PROPERTIES_PER_CUSTOMER)
    invoices = export["Invoice"]
    assert len(invoices) == INVOICES
    by_number = {i["DocNumber"]: i for i in invoices}
    assert len(by_number) == INVOICES
    for number, total in expected_totals.items():
        assert Decimal(str(by_number[number]["TotalAmt"])) == total
    assert len(export["Payment"]) == PAID
    paid = [i for i in invoices if Decimal(str(i["Balance"])) == 0]
    assert len(paid) == PAID
    print(
        f"\n{total_records} records: intake {intake:.1f} s, all synced after {elapsed:.1f} s "
        f"({rounds} recovery passes)"
    )
