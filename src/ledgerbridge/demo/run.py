"""`ledgerbridge demo`: the emulator, a demo company, a connection, a business's records synced,
changes made in QuickBooks pulled back, a summary, then the HTTP API serving it all.

    outcome = run(Options(records="small", serve=False), console)

Steps (each printed as it goes):

1. start fresh in the data directory (the demo's own database, nothing else is touched);
2. start the QuickBooks Online emulator (a child process) and create the demo company;
3. start the HTTP API (and the dashboard), so QuickBooks' webhooks have somewhere to go;
4. make an API key and a connection, connect it through the emulator's consent shortcut
   (no browser), read the company, map tax rates and payment methods (a few on purpose not);
5. hand the dataset (`dataset.generate`) to ledgerbridge through `Service.put_record`;
6. sync, with a progress bar (`terminal.drain`);
7. a person changes things in QuickBooks; the app sends a payment QuickBooks already has;
   pull (drift shows), the app changes a few records, sync again, run the setup checklist;
8. print the summary (`report`), and keep serving until Ctrl-C (unless `serve=False`).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from rich.console import Console

from ledgerbridge.adapters.qbo import QuickBooksError
from ledgerbridge.bootstrap import Ledger, RateLimits, sqlite_ledger
from ledgerbridge.bootstrap.wiring import (
    CannotListen,
    Dispatcher,
    api_in_thread,
    dispatcher_for,
    service_for,
)
from ledgerbridge.demo import report
from ledgerbridge.demo.cases import Sale
from ledgerbridge.demo.dataset import Dataset, Size, generate
from ledgerbridge.demo.quickbooks import COMPANY_NAME, DemoCompany
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.service import Service
from ledgerbridge.engine.views import ConnectionView
from ledgerbridge.files import open_private, private_dir
from ledgerbridge.terminal import drain

__all__ = [
    "Connected",
    "DemoError",
    "Options",
    "connect",
    "run",
    "unthrottle",
]

FRESH = ("ledgerbridge.db", "ledgerbridge.db-wal", "ledgerbridge.db-shm", "emulator-app.json")
DEMO_EMAIL = "office@summitridge.example"
UNLIMITED = 1_000_000  # requests a minute: no limit the demo can reach
_HANDOVER_CHUNK = 500  # records per put_records: one transaction each


class DemoError(Exception):
    """The demo cannot go on; the message says why (printed without a traceback)."""


@dataclass(frozen=True)
class Options:
    port: int = 8000
    emulator_port: int = 8765
    data_dir: Path = Path("var/demo")
    records: Size = "full"
    serve: bool = True
    host: str = "127.0.0.1"
    # QuickBooks' own limits (40 batch requests a minute) on the emulated company and in the
    # engine; off by default, so the demo takes minutes, not a quarter of an hour
    quickbooks_pace: bool = False


def run(options: Options, out: Console) -> report.Outcome:
    """The demo; Ctrl-C (SIGINT) or SIGTERM stops it, the emulator child with it.

    SIGINT is taken explicitly, as a server's own handler would: a demo started in the
    background by a non-interactive shell (`make demo &`, a test run started so) inherits
    SIGINT ignored, and Python then never raises KeyboardInterrupt: "Ctrl-C stops" would be
    false and the process would be left running."""
    if threading.current_thread() is not threading.main_thread():
        return _run(options, out)
    _stop_asked.clear()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    previous_int = signal.signal(signal.SIGINT, _interrupt)
    unraisable = sys.unraisablehook
    sys.unraisablehook = _quiet_when_stopping
    try:
        return _run(options, out)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        sys.unraisablehook = unraisable


_stop_asked = threading.Event()
"""Set by SIGTERM. The KeyboardInterrupt its handler raises can land where Python swallows
it (a garbage collector's callback prints "Exception ignored" and goes on), so every step of
the demo asks again (`_stop_if_asked`) and serving does not begin."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _stop_asked.set()
    raise KeyboardInterrupt


def _stop_if_asked() -> None:
    if _stop_asked.is_set():
        raise KeyboardInterrupt


def _quiet_when_stopping(unraisable: Any) -> None:
    """A stop swallowed where Python cannot raise is not an error to print: the next step
    stops (`_stop_if_asked`)."""
    if _stop_asked.is_set() and isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


def _run(options: Options, out: Console) -> report.Outcome:
    started = time.monotonic()
    start_fresh(options.data_dir, out)
    if options.serve:
        check_free(options.host, options.port, "--port")
    check_free(options.host, options.emulator_port, "--emulator-port")
    with ExitStack() as stack:
        url = stack.enter_context(_emulator(options, out))
        company = DemoCompany.create(url)
        out.print(f"Demo company [bold]{COMPANY_NAME}[/]: realm {company.realm_id}")
        _stop_if_asked()
        ledger = _ledger(options, url)
        stack.callback(ledger.db.dispose)
        if not options.quickbooks_pace:
            _unthrottle(company, ledger, out)
        dispatcher = dispatcher_for(ledger)  # in-process: the demo's database is SQLite
        service = service_for(ledger, dispatcher)
        if options.serve:
            # started early: QuickBooks' webhooks find it, and a port already taken is found
            # before the long sync, not after
            try:
                stack.enter_context(api_in_thread(service, options.host, options.port))
            except CannotListen as failed:
                raise DemoError(str(failed)) from None
        demo = _Demo(ledger, service, company, out)
        outcome = demo.prepare(url)
        _stop_if_asked()
        dataset = generate(
            options.records,
            today=ledger.clock().date(),
            closed_through=demo.closed,
            existing=demo.existing_sales(),
        )
        outcome.records = demo.load(dataset)
        _stop_if_asked()
        outcome.syncs.append(drain(ledger, demo.connection_id, out, label="First sync"))
        _stop_if_asked()
        demo.after_first_sync(dataset)
        _stop_if_asked()
        outcome.syncs.append(drain(ledger, demo.connection_id, out, label="Sync again"))
        _stop_if_asked()
        service.checks(demo.key_id, demo.connection_id, run=True)
        outcome.summary = report.summarize(service, demo.key_id, demo.connection_id, demo.refused)
        outcome.seconds_to_summary = time.monotonic() - started
        report.show(out, outcome.summary, outcome.syncs, outcome.seconds_to_summary)
        _stop_if_asked()
        if options.serve:
            _serve(ledger, dispatcher, outcome, options, out)
    return outcome


# --- set-up ----------------------------------------------------------------------------------


def start_fresh(data_dir: Path, out: Console) -> None:
    private_dir(data_dir)
    for name in FRESH:
        (data_dir / name).unlink(missing_ok=True)
    out.print(f"Starting fresh in {data_dir}")


def check_free(host: str, port: int, option: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers will
        try:
            sock.bind((host, port))
        except OSError:
            raise DemoError(
                f"port {port} on {host} is in use; pick another with {option}"
            ) from None


@contextmanager
def _emulator(options: Options, out: Console) -> Iterator[str]:
    """The QuickBooks Online emulator as a child process (it has a CPU of its own)."""
    url = f"http://{options.host}:{options.emulator_port}"
    log_path = options.data_dir / "emulator.log"
    command = [sys.executable, "-m", "qbo_emulator.cli", "serve", "--host", options.host]
    command += ["--port", str(options.emulator_port), "--log-level", "warning"]
    with open_private(log_path) as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_emulator(process, url, log_path, "QuickBooks emulator")
        out.print(f"QuickBooks Online emulator on {url} (log: {log_path})")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_emulator(
    process: subprocess.Popen[bytes], url: str, log_path: Path, name: str
) -> None:
    """Until the emulator child answers its health check (30 s at most): `DemoError` with its
    log's tail when it exits or does not answer in time."""
    deadline = time.monotonic() + 30
    while not _answers(f"{url}/_emulator/health"):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-500:]
            raise DemoError(f"the {name} did not start on {url}: {tail}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _ledger(options: Options, emulator_url: str) -> Ledger:
    base = f"http://{options.host}:{options.port}"
    ledger = sqlite_ledger(options.data_dir, emulator_url, f"{base}/v1/oauth/callback")
    if options.serve:
        ledger.public_url = base  # QuickBooks' webhooks come to this server
    return ledger


def unthrottle(company: DemoCompany, ledger: Ledger) -> None:
    """The emulated company takes as much as the machine can send, and the engine knows it."""
    off = {"requests_per_minute": None, "batch_per_minute": None}
    company.admin("PATCH", "", {"throttle": off})
    ledger.rate_limits = RateLimits(UNLIMITED, UNLIMITED)


def _unthrottle(company: DemoCompany, ledger: Ledger, out: Console) -> None:
    unthrottle(company, ledger)
    out.print(
        "QuickBooks' rate limits are off for this emulated company "
        "(--quickbooks-pace keeps them: the first sync then takes about 9 minutes)"
    )


@dataclass(frozen=True)
class Connected:
    key_id: str
    key_secret: str
    connection: ConnectionView  # as it is once connected


def connect(
    service: Service, company: DemoCompany, key_name: str, connection_name: str
) -> Connected:
    """A new API key and an emulator connection of it, connected to `company` through the
    emulator's consent shortcut (no browser). QuickBooks is not read yet (`pull_company`)."""
    key_id, secret = service.create_key(key_name)
    connection = service.create_connection(key_id, connection_name, "emulator")
    started = service.begin_connect(key_id, connection.id)
    url = started.authorize_url
    consent = httpx.get(f"{url}&realm_id={company.realm_id}&approve=true", timeout=30)
    query = parse_qs(urlparse(consent.headers.get("location", "")).query)
    if consent.status_code not in (302, 303) or "code" not in query:
        raise DemoError(f"the emulator's consent did not answer with a code: {consent.text}")
    view = service.complete_connect(
        query["state"][0], query["code"][0], query["realmId"][0], started.binding or ""
    )
    return Connected(key_id, secret, view)


class _Demo:
    def __init__(self, ledger: Ledger, service: Service, company: DemoCompany, out: Console):
        self.ledger = ledger
        self.service = service
        self.company = company
        self.out = out
        self.key_id = ""
        self.connection_id = ""
        self.closed = dt.date.min
        self.refused: dict[str, str] = {}  # app id -> the code it was refused with

    def prepare(self, emulator_url: str) -> report.Outcome:
        """An API key, a connection, connected and read, its mappings set."""
        connected = connect(
            self.service, self.company, "Summit Ridge field-service app", COMPANY_NAME
        )
        self.key_id, secret = connected.key_id, connected.key_secret
        view = connected.connection
        self.connection_id = view.id
        self.out.print(f"Connected {view.id} to {view.company_name} ({view.status})")
        pull_company(self.ledger, view.id)
        exported = self.company.export()
        prefs = exported["entities"]["Preferences"][0]
        self.closed = dt.date.fromisoformat(prefs["AccountingInfoPrefs"]["BookCloseDate"])
        self._entities: dict[str, Any] = exported["entities"]
        return report.Outcome(emulator_url, self.company.realm_id, self.key_id, secret, view.id, 0)

    def existing_sales(self) -> list[Sale]:
        """Invoices the bookkeeper typed into QuickBooks for a person (not a property), each
        with one payment: one paid in full (the app's copy of the payment is linked), one in
        part (the app's copy has another reference: payment.already_in_quickbooks)."""
        taken = {"Emily Carter", "Daniel Okafor"}  # the dataset's own cases use these two
        customers = {
            c["Id"]: c
            for c in self._entities.get("Customer", [])
            if not c.get("ParentRef")
            and (c.get("PrimaryEmailAddr") or {}).get("Address")
            and c.get("DisplayName") == f"{c.get('GivenName')} {c.get('FamilyName')}"
            and c["DisplayName"] not in taken
        }
        paid_by: dict[str, list[dict[str, Any]]] = {}
        for payment in self._entities.get("Payment", []):
            for line in payment.get("Line", []):
                for linked in line.get("LinkedTxn", []):
                    paid_by.setdefault(str(linked["TxnId"]), []).append(payment)
        found: dict[bool, Sale] = {}  # paid in full -> the sale
        for invoice in self._entities.get("Invoice", []):
            customer = customers.get(str(invoice["CustomerRef"]["value"]))
            payments = paid_by.get(str(invoice["Id"]), [])
            if customer is None or len(payments) != 1 or len(payments[0]["Line"]) != 1:
                continue
            (payment,) = payments
            total, paid = Decimal(str(invoice["TotalAmt"])), Decimal(str(payment["TotalAmt"]))
            in_full = paid == total
            if paid > total or in_full in found:
                continue
            tax = Decimal(str((invoice.get("TxnTaxDetail") or {}).get("TotalTax") or 0))
            found[in_full] = Sale(
                first_name=customer["GivenName"],
                last_name=customer["FamilyName"],
                email=customer["PrimaryEmailAddr"]["Address"],
                number=str(invoice["DocNumber"]),
                date=dt.date.fromisoformat(invoice["TxnDate"]),
                amount=total - tax,
                paid=paid,
                paid_on=dt.date.fromisoformat(payment["TxnDate"]),
                reference=payment.get("PaymentRefNum"),
            )
            del customers[str(invoice["CustomerRef"]["value"])]  # one sale per customer
        return [found[full] for full in (True, False) if full in found]

    def load(self, dataset: Dataset) -> int:
        """Map what the dataset maps, then hand every record over."""
        entities = self._entities
        codes = {t["Name"]: t["Id"] for t in entities.get("TaxCode", [])}
        methods = {m["Name"]: m["Id"] for m in entities.get("PaymentMethod", [])}
        accounts = {a["FullyQualifiedName"]: a["Id"] for a in entities.get("Account", [])}
        mappings = {
            "tax_rates": {app: codes[name] for app, name in dataset.tax_rates.items()},
            "payment_methods": {app: methods[n] for app, n in dataset.payment_methods.items()},
            "accounts": {app: accounts[name] for app, name in dataset.accounts.items()},
        }
        self.service.set_mappings(self.key_id, self.connection_id, mappings)
        self.out.print(
            f"Mapped {len(mappings['tax_rates'])} tax rates, "
            f"{len(mappings['payment_methods'])} payment methods and "
            f"{len(mappings['accounts'])} account (on purpose not: tax rate nv-washoe, "
            "payment method venmo, account Landscaping Income)"
        )
        records = dataset.records
        with report.counting(self.out, "Handing records over", len(records)) as advance:
            for start in range(0, len(records), _HANDOVER_CHUNK):
                chunk = records[start : start + _HANDOVER_CHUNK]
                for answer in self.service.put_records(self.key_id, self.connection_id, chunk):
                    if not answer.stored:
                        raise DemoError(
                            f"the demo's {answer.type} {answer.id} was refused: "
                            f"{answer.problems[0].message}"
                        )
                advance(len(chunk))
        for record in dataset.refused:
            try:
                self.service.put_record(
                    self.key_id, self.connection_id, record.type, record.id, record.data
                )
            except Invalid as refused:
                self.refused[record.id] = refused.problems[0].code
        counts = ", ".join(f"{n} {t}" for t, n in dataset.counts().items())
        self.out.print(f"Handed over {len(records)} records ({counts})")
        return len(records)

    def after_first_sync(self, dataset: Dataset) -> None:
        """A person changes things in QuickBooks; the app goes on; the pull shows the drift."""
        scenario = dataset.scenario
        client_id = self.ledger.app("emulator").client_id
        self.out.print("[bold]Meanwhile, in QuickBooks[/], a person:")
        with self.company.person(client_id) as person:
            for change in scenario.quickbooks_changes:
                self._change(person.apply, change)
            for record in scenario.unsynced:
                self._put(record.type, record.id, record.data)
            pull_company(self.ledger, self.connection_id)
            self.out.print("Pulled the changes from QuickBooks")
            for change in scenario.late_changes:
                self._change(person.apply, change)
        for record in scenario.app_changes:
            self._put(record.type, record.id, record.data)
        self.out.print(f"The app changed {len(scenario.app_changes)} records meanwhile")

    def _change(self, apply: Any, change: Any) -> None:
        try:
            apply(change, self._quickbooks_id)
        except (QuickBooksError, LookupError) as failed:
            self.out.print(f"  [yellow]could not {change.describe()}: {failed}")
            return
        self.out.print(f"  - {change.describe()}")

    def _quickbooks_id(self, record_type: str, app_id: str) -> str:
        found = self.service.record(self.key_id, self.connection_id, record_type, app_id)
        if found.quickbooks_id is None:
            raise LookupError(f"{record_type} {app_id} is not in QuickBooks ({found.status})")
        return found.quickbooks_id

    def _put(self, record_type: str, app_id: str, data: Any) -> None:
        self.service.put_record(self.key_id, self.connection_id, record_type, app_id, data)


# --- serving -------------------------------------------------------------------------------


def _serve(
    ledger: Ledger,
    dispatcher: Dispatcher,
    outcome: report.Outcome,
    options: Options,
    out: Console,
) -> None:
    base = f"http://{options.host}:{options.port}"
    sign_in = _dashboard_user(ledger, outcome.key_id)
    report.show_access(out, base, outcome, sign_in, options.data_dir)
    stop = threading.Event()

    def _terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _terminate)
    dispatcher.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        out.print("Stopping.")
        dispatcher.stop()
        signal.signal(signal.SIGTERM, previous)


def _dashboard_user(ledger: Ledger, key_id: str) -> tuple[str, str] | None:
    """A dashboard user for the demo's key, when this build has a dashboard."""
    if importlib.util.find_spec("ledgerbridge.dashboard.accounts") is None:
        return None
    try:
        from ledgerbridge.dashboard.accounts import create_user

        password = secrets.token_urlsafe(12)
        create_user(ledger, DEMO_EMAIL, key_id, password)
    except Exception:  # the dashboard is optional: the demo serves the API without it
        return None
    return DEMO_EMAIL, password
