"""How fresh the app's view of QuickBooks is: a change a person makes in QuickBooks reaches the
lists API (`GET .../quickbooks/customers`) and the events feed (`quickbooks.created`) how long
after QuickBooks' webhook reaches ledgerbridge, and, with webhooks off, how long after the
change when only change data capture on the pull interval brings it.

    .venv/bin/python -m bench.freshness                # 50 changes each way
    .venv/bin/python -m bench.freshness --quick        # 10 each (make bench)
    .venv/bin/python -m bench.freshness --changes 100 --pull-every 5

Everything runs over real sockets in this process: the QuickBooks Online emulator (its signed
webhooks, batched for 0.1 s), ledgerbridge's HTTP API under uvicorn, and its in-process
dispatcher (the pull a webhook wakes; with webhooks off, a pull every `--pull-every` seconds).
A person creates a customer through the emulator's API ("what a person does in QuickBooks"); the
bench then polls the lists API and the events feed every 10 ms until both show it. With webhooks,
the clock starts when the webhook that names the customer reaches ledgerbridge's API (the time
QuickBooks takes to send it is QuickBooks', not ledgerbridge's); without, when the person's
change was answered, made at a random moment between two pulls. p50 and p95 are printed in
seconds, with the ratio to an hourly cache refresh (3,600 s). Nothing is asserted: the exit
status is 0 unless the run breaks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import uvicorn

from ledgerbridge.api import create_app
from ledgerbridge.bootstrap import build
from ledgerbridge.dispatch.inprocess import InProcessDispatcher
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer, free_port

HOURLY = 3600.0
POLL = 0.01
TIMEOUT = 120.0


@dataclass
class Arrivals:
    """When each webhook reached ledgerbridge (monotonic seconds), the body it carried."""

    seen: list[tuple[float, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_naming(self, qbo_id: str, after: float) -> float | None:
        needle = f'"id":"{qbo_id}"'.encode()
        spaced = f'"id": "{qbo_id}"'.encode()
        with self.lock:
            for at, body in self.seen:
                if at >= after and (needle in body or spaced in body):
                    return at
        return None


def _timed(service: Service, arrivals: Arrivals) -> None:
    """Note when each webhook reaches the service (the API's route calls receive_webhook)."""
    receive = service.receive_webhook

    def receive_timed(body: bytes, *args: Any, **kwargs: Any) -> Any:
        with arrivals.lock:
            arrivals.seen.append((time.monotonic(), bytes(body)))
        return receive(body, *args, **kwargs)

    service.receive_webhook = receive_timed  # type: ignore[method-assign]


@contextmanager
def _served(service: Service, port: int) -> Iterator[None]:
    config = uvicorn.Config(
        create_app(service), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def _until(probe: Callable[[], bool]) -> float:
    deadline = time.monotonic() + TIMEOUT
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the change did not reach the app")
        time.sleep(POLL)
    return time.monotonic()


def run(changes: int, *, webhooks: bool, pull_every: float) -> tuple[list[float], list[float]]:
    """Seconds from the webhook (or the change) to the lists API, and to the events feed."""
    with (
        tempfile.TemporaryDirectory() as data,
        EmulatorServer(webhook_time_scale=0.001, webhook_batch_window=0.1) as emulator,
    ):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = load_settings(
            {
                "LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url,
                "LEDGERBRIDGE_QBO_REDIRECT_URI": f"{url}/v1/oauth/callback",
            },
            data_dir=Path(data),
        )
        ledger = build(settings)
        ledger.public_url = url
        ledger.db.migrate()
        dispatcher = InProcessDispatcher(
            ledger,
            poll=30 if webhooks else min(0.5, pull_every / 4),
            pull_every=HOURLY if webhooks else pull_every,
        )
        service = Service(ledger, wake=dispatcher.wake, wake_pull=dispatcher.wake_pull)
        arrivals = Arrivals()
        _timed(service, arrivals)
        dispatcher.start()
        try:
            with _served(service, port):
                return _measure(emulator, service, url, arrivals, changes, webhooks, pull_every)
        finally:
            dispatcher.stop()
            ledger.db.dispose()


def _measure(
    emulator: EmulatorServer,
    service: Service,
    url: str,
    arrivals: Arrivals,
    changes: int,
    webhooks: bool,
    pull_every: float,
) -> tuple[list[float], list[float]]:
    _, secret = service.create_key("bench")
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    realm = httpx.post(f"{emulator.url}/_emulator/companies", json={"name": "Fresh Co"}).json()[
        "realm_id"
    ]
    cid = http.post("/v1/connections", json={"name": "Fresh", "environment": "emulator"}).json()[
        "id"
    ]
    authorize = http.get(f"/v1/connections/{cid}/connect").headers["location"]
    consent = httpx.get(f"{authorize}&realm_id={realm}&approve=true")
    callback = urlparse(consent.headers["location"])
    http.get(f"{callback.path}?{callback.query}")
    client_id = parse_qs(urlparse(authorize).query)["client_id"][0]
    if not webhooks:
        httpx.patch(f"{emulator.url}/_emulator/apps/{client_id}", json={"webhook_url": ""})
    _until(lambda: http.get(f"/v1/connections/{cid}").json()["last_pull_at"] is not None)
    tokens = httpx.post(
        f"{emulator.url}/_emulator/companies/{realm}/connect", json={"client_id": client_id}
    ).json()
    person = httpx.Client(
        base_url=f"{emulator.url}/v3/company/{realm}",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=30,
    )
    to_list: list[float] = []
    to_feed: list[float] = []
    feed = _Feed(http, cid)
    rng = random.Random(16)
    try:
        for n in range(changes):
            if not webhooks:  # a change at any moment between two pulls, not just after one
                time.sleep(rng.uniform(0, pull_every))
            name = f"Walk-in {n:04d}"
            made = person.post("/customer", json={"DisplayName": name}).json()["Customer"]
            changed = time.monotonic()
            listed, told = feed.wait_for(str(made["Id"]), name)
            start = changed
            if webhooks:
                arrived = arrivals.first_naming(str(made["Id"]), changed)
                if arrived is None:
                    raise RuntimeError(f"no webhook named customer {made['Id']}")
                start = arrived
            to_list.append(max(0.0, listed - start))
            to_feed.append(max(0.0, told - start))
    finally:
        person.close()
        http.close()
    return to_list, to_feed


class _Feed:
    """The app's side: the lists API and the events feed, polled until they show a customer."""

    def __init__(self, http: httpx.Client, cid: str) -> None:
        self.http = http
        self.cid = cid
        self.last_event = 0

    def listed(self, qbo_id: str, name: str) -> bool:
        page = self.http.get(
            f"/v1/connections/{self.cid}/quickbooks/customers", params={"name": name}
        )
        return any(e["quickbooks_id"] == qbo_id for e in page.json()["items"])

    def told(self, qbo_id: str) -> bool:
        found = False
        feed = self.http.get(
            f"/v1/connections/{self.cid}/events", params={"after": self.last_event, "limit": 1000}
        ).json()["items"]
        for event in feed:
            self.last_event = max(self.last_event, int(event["id"]))
            payload = event.get("payload") or {}
            if event["type"] == "quickbooks.created" and payload.get("quickbooks_id") == qbo_id:
                found = True
        return found

    def wait_for(self, qbo_id: str, name: str) -> tuple[float, float]:
        """When (monotonic) the lists API, then the events feed, first showed it."""
        listed = told = 0.0
        deadline = time.monotonic() + TIMEOUT
        while not (listed and told):
            if time.monotonic() > deadline:
                raise TimeoutError("the change did not reach the app")
            now = time.monotonic()
            if not listed and self.listed(qbo_id, name):
                listed = now
            if not told and self.told(qbo_id):
                told = now
            if not (listed and told):
                time.sleep(POLL)
        return listed, told


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _report(title: str, to_list: list[float], to_feed: list[float]) -> None:
    print(title)
    for what, values in (("lists API", to_list), ("events feed", to_feed)):
        p50, p95 = statistics.median(values), _p(values, 0.95)
        print(
            f"  {what:<12} p50 {p50:6.3f} s  p95 {p95:6.3f} s  max {max(values):6.3f} s"
            f"  (an hourly cache: {HOURLY / max(p50, 1e-3):,.0f} times slower at p50)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--pull-every", type=float, default=5.0)
    parser.add_argument(
        "--quick", action="store_true", help="10 changes each way, a pull every 2 s"
    )
    args = parser.parse_args(argv)
    changes = 10 if args.quick else args.changes
    if args.quick:
        args.pull_every = 2.0
    to_list, to_feed = run(changes, webhooks=True, pull_every=args.pull_every)
    _report(
        f"webhooks on: {changes} customers made in QuickBooks, from their webhook", to_list, to_feed
    )
    to_list, to_feed = run(changes, webhooks=False, pull_every=args.pull_every)
    _report(
        f"webhooks off: change data capture every {args.pull_every:g} s, from the change",
        to_list,
        to_feed,
    )


if __name__ == "__main__":
    main()
