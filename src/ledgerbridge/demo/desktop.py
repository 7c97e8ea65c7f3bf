"""`ledgerbridge demo --desktop`: the same field-service business synced into an emulated
QuickBooks Desktop company file through the emulated Web Connector, with the same summary.

    outcome = run_desktop(Options(records="small", serve=False), console)

Steps (each printed as it goes):

1. start fresh in the data directory; start the HTTP API (its `/qbwc` is what the Web
   Connector polls) and make an API key and a Desktop connection with its Web Connector
   password;
2. start the QuickBooks Desktop emulator (a child process, `qbd-emulator demo`): the company
   file "Summit Ridge Builders" and a Web Connector polling `http://localhost:<port>/qbwc`
   every second, as QBWC does on its schedule;
3. wait for the first session to read the company file in, map tax rates, payment methods and
   accounts to what the file holds (a few on purpose not, as the Online demo does);
4. hand the dataset over (`dataset.generate`, the Online demo's own business);
5. wait while the Web Connector's sessions carry the push pass, one qbXML request per round
   trip, until no record is due; keep the company file's export (`EXPORT`, QuickBooks' own
   state) in the data directory;
6. the summary (`report`): the records in QuickBooks Desktop counted in that export
   (`company_file`), a line saying so when it disagrees with ledgerbridge's statuses; then
   serving until Ctrl-C unless `serve=False`.

The Online demo's second act (a person's changes in QuickBooks, drift) is not played here.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, Final

import httpx
from lxml import etree
from rich.console import Console

from ledgerbridge.bootstrap import Ledger, build
from ledgerbridge.bootstrap.wiring import CannotListen, api_in_thread
from ledgerbridge.demo import company_file, report
from ledgerbridge.demo.dataset import Dataset, generate
from ledgerbridge.demo.run import (
    DemoError,
    Options,
    check_free,
    start_fresh,
    wait_for_emulator,
)
from ledgerbridge.engine.drain import DrainReport
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.service import Service
from ledgerbridge.files import open_private
from ledgerbridge.settings import load_settings
from ledgerbridge.storage.mirror import Mirror

__all__ = ["COMPANY_NAME", "EXPORT", "run_desktop"]

COMPANY_NAME: Final = "Summit Ridge Builders"
EVERY_SECONDS: Final = 1.0  # the emulated Web Connector's schedule
EXPORT: Final = "desktop-company.json"
WAIT: Final = 1800.0  # seconds the sync may take before the demo gives up
_CHUNK: Final = 500
# the dataset's account names the Desktop demo file calls otherwise ("Landscaping Income" is
# left unmapped on purpose, as in the Online demo)
_ACCOUNTS: Final = {
    "Sales of Product Income": "Sales",
    "Equipment Rental": "Job Materials",
    "Meals": "Office Supplies",
    "Shop Supplies": "Job Materials",
    "Tools and Equipment": "Job Materials",
    "Mastercard": "Company Card",
    "Automobile:Fuel": "Fuel",
}
_METHODS: Final = {"ACH/Bank Transfer": "E-Check"}


def run_desktop(options: Options, out: Console) -> report.Outcome:
    started = time.monotonic()
    start_fresh(options.data_dir, out)
    check_free(options.host, options.port, "--port")
    check_free(options.host, options.emulator_port, "--emulator-port")
    with ExitStack() as stack:
        ledger = _ledger(options)
        stack.callback(ledger.db.dispose)
        service = Service(ledger)  # a Desktop connection is synced by its sessions
        try:
            stack.enter_context(api_in_thread(service, options.host, options.port))
        except CannotListen as failed:
            raise DemoError(str(failed)) from None
        key_id, secret = service.create_key("Summit Ridge field-service app")
        connection = service.create_connection(key_id, f"{COMPANY_NAME} (Desktop)", "desktop")
        base = f"http://localhost:{options.port}"
        qwc = etree.fromstring(service.qwc_file(key_id, connection.id, base))
        credentials = service.web_connector_password(key_id, connection.id)
        out.print(f"Desktop connection {connection.id}; its .qwc names {qwc.findtext('AppURL')}")
        url = stack.enter_context(_emulator(options, credentials, f"{base}/qbwc", out))
        _wait_for_first_pull(service, key_id, connection.id, out)
        dataset = generate(
            options.records, today=ledger.clock().date(), closed_through=dt.date(2000, 1, 1)
        )
        _map(ledger, service, key_id, connection.id, dataset, out)
        records = _hand_over(service, key_id, connection.id, dataset, out)
        sync = _wait_for_sync(ledger, service, key_id, connection.id, out)
        export = _keep_export(url, options, out)
        held = company_file.count(ledger, connection.id, export)
        outcome = report.Outcome(url, "", key_id, secret, connection.id, records, [sync])
        outcome.company_file = held
        refused: dict[str, str] = {}
        for record in dataset.refused:
            try:
                service.put_record(key_id, connection.id, record.type, record.id, record.data)
            except Invalid as no:
                refused[record.id] = no.problems[0].code
        outcome.summary = report.summarize(service, key_id, connection.id, refused)
        outcome.seconds_to_summary = time.monotonic() - started
        report.show(out, outcome.summary, [], outcome.seconds_to_summary)
        out.print(
            f"Synced through the Web Connector: {held.total} records in QuickBooks Desktop (the "
            f"company file's export), {sync.failed} needing attention, in {sync.seconds:.0f} s "
            "(one qbXML request per round trip)"
        )
        if held.disagreements:
            out.print(
                "[bold red]The company file disagrees with ledgerbridge's statuses:[/] "
                + "; ".join(held.disagreements)
            )
        if options.serve:
            out.print(f"Serving on {base} (the dashboard at {base}/dashboard); Ctrl-C stops")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                out.print("Stopped")
    return outcome


def _keep_export(url: str, options: Options, out: Console) -> dict[str, Any]:
    """The company file as the emulator holds it (QuickBooks' own state), kept beside the
    demo's database before the emulator stops; its contents returned."""
    answer = httpx.get(f"{url}/_emulator/companies/demo/export", timeout=60)
    if answer.status_code != 200:
        raise DemoError(f"the Desktop emulator's export failed: {answer.text[:200]}")
    kept = options.data_dir / EXPORT
    with open_private(kept) as file:
        file.write(answer.content)
    out.print(f"The company file's export: {kept}")
    held: dict[str, Any] = json.loads(answer.content)
    return held


def _ledger(options: Options) -> Ledger:
    database = f"sqlite:///{options.data_dir / 'ledgerbridge.db'}"
    settings = load_settings({"LEDGERBRIDGE_DATABASE_URL": database}, data_dir=options.data_dir)
    ledger = build(settings)
    ledger.db.migrate()
    return ledger


@contextmanager
def _emulator(
    options: Options, credentials: dict[str, str], service_url: str, out: Console
) -> Iterator[str]:
    """The QuickBooks Desktop emulator as a child process, its Web Connector polling us."""
    url = f"http://{options.host}:{options.emulator_port}"
    log_path = options.data_dir / "desktop-emulator.log"
    command = [sys.executable, "-m", "qbd_emulator.cli", "demo", "--host", options.host]
    command += ["--port", str(options.emulator_port), "--log-level", "warning"]
    command += ["--service", service_url, "--username", credentials["username"]]
    command += ["--password", credentials["password"], "--every-seconds", str(EVERY_SECONDS)]
    with open_private(log_path) as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_emulator(process, url, log_path, "QuickBooks Desktop emulator")
        out.print(
            f"QuickBooks Desktop emulator on {url}: the company file {COMPANY_NAME!r}, its Web "
            f"Connector polling {service_url} every {EVERY_SECONDS:g} s (log: {log_path})"
        )
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_first_pull(service: Service, key_id: str, connection_id: str, out: Console) -> None:
    deadline = time.monotonic() + 120
    while True:
        view = service.connection(key_id, connection_id)
        if view.status == "active" and view.last_pull_at is not None:
            out.print(f"The Web Connector's first session read {view.company_name} in")
            return
        if time.monotonic() > deadline:
            raise DemoError("the Web Connector's first session did not read the company in")
        time.sleep(0.2)


def _map(
    ledger: Ledger,
    service: Service,
    key_id: str,
    connection_id: str,
    dataset: Dataset,
    out: Console,
) -> None:
    """Tax rates to the file's taxable code, payment methods and accounts by name."""
    with ledger.db.session(readonly=True) as session:
        mirror = Mirror(session, connection_id)
        taxable = mirror.named("TaxCode", "Tax")
        methods = {
            app: found.qbo_id
            for app, name in dataset.payment_methods.items()
            if (found := mirror.named("PaymentMethod", _METHODS.get(name, name))) is not None
        }
        accounts = {
            app: found.qbo_id
            for app, name in {**dataset.accounts, **{k: k for k in _ACCOUNTS}}.items()
            if (found := mirror.named("Account", _ACCOUNTS.get(name, name))) is not None
        }
    tax = {app: taxable.qbo_id for app in dataset.tax_rates} if taxable else {}
    mappings = {"tax_rates": tax, "payment_methods": methods, "accounts": accounts}
    service.set_mappings(key_id, connection_id, mappings)
    out.print(
        f"Mapped {len(tax)} tax rates, {len(methods)} payment methods and {len(accounts)} "
        "accounts to the company file's (on purpose not: tax rate nv-washoe, payment method "
        "venmo, account Landscaping Income)"
    )


def _hand_over(
    service: Service, key_id: str, connection_id: str, dataset: Dataset, out: Console
) -> int:
    records = dataset.records
    with report.counting(out, "Handing records over", len(records)) as advance:
        for start in range(0, len(records), _CHUNK):
            chunk = records[start : start + _CHUNK]
            for answer in service.put_records(key_id, connection_id, chunk):
                if not answer.stored:
                    raise DemoError(f"the demo's {answer.type} {answer.id} was refused")
            advance(len(chunk))
    counts = ", ".join(f"{n} {t}" for t, n in dataset.counts().items())
    out.print(f"Handed over {len(records)} records ({counts})")
    return len(records)


def _wait_for_sync(
    ledger: Ledger, service: Service, key_id: str, connection_id: str, out: Console
) -> DrainReport:
    """Until no record is pending: the Web Connector's sessions carry the passes."""
    sync = DrainReport()
    started = time.monotonic()
    total = sum(service.connection(key_id, connection_id).counts.values())
    with report.counting(out, "Syncing through the Web Connector", total) as advance:
        done = 0
        while True:
            counts = dict(service.connection(key_id, connection_id).counts)
            settled = total - counts.get("pending", 0)
            advance(settled - done)
            done = settled
            if counts.get("pending", 0) == 0:
                break
            if time.monotonic() - started > WAIT:
                raise DemoError("the records did not all reach QuickBooks Desktop in time")
            time.sleep(0.5)
    sync.seconds = time.monotonic() - started
    sync.counts = dict(service.connection(key_id, connection_id).counts)
    sync.created = sync.counts.get("synced", 0)
    sync.failed = sync.counts.get("error", 0)
    return sync
