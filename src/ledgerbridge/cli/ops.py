"""Operator commands that change things now: `ledgerbridge resolve | sync | pull`.

    ledgerbridge resolve CONNECTION TYPE ID ACTION    run a one-click fix on a record's problem
    ledgerbridge sync CID [--type T --status S --id ID ... [--queue]]   a pass now, with progress
    ledgerbridge pull CID                      refresh from QuickBooks now

Errors print one line, exit 1; usage errors exit 2 (`cli.common`).
"""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer
from rich.console import Console

from ledgerbridge.bootstrap import wiring
from ledgerbridge.cli.common import (
    EXIT_USAGE,
    AsJson,
    CliError,
    ConnectionId,
    asked,
    choice,
    connection_of,
    echo_json,
    opened,
    operating,
)
from ledgerbridge.core import catalog
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.engine.errors import NotFound, Refused
from ledgerbridge.storage.connections import Connections
from ledgerbridge.terminal import STATUSES, console, drain, statuses_table

__all__ = ["app"]

app = typer.Typer()


@app.command()
def resolve(
    connection_id: Annotated[str, typer.Argument(help="The connection (con_...).")],
    record_type: Annotated[str, typer.Argument(help="customer, item, invoice, payment, ...")],
    record_id: Annotated[str, typer.Argument(help="The app's id of the record.")],
    action: Annotated[str, typer.Argument(help="retry, bypass, differentiate, link, ...")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A choice for the action, as key=value (repeatable)."),
    ] = None,
    actor: Annotated[str, typer.Option(help="Who acts, for the audit log.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run one of the actions a record's problem offers; refused ones say why (exit 1)."""
    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--param takes key=value, not {item!r}", EXIT_USAGE)
        params[key] = value
    with opened() as ledger:
        with ledger.db.session(readonly=True) as session:
            connection = Connections(session).get_unscoped(connection_id)
        if connection is None:
            raise CliError(f"no connection {connection_id}")
        service = wiring.service_for(ledger)
        who = actor or f"cli:{getpass.getuser()}"
        try:
            result = service.action(
                connection.api_key_id,
                connection_id,
                record_type,
                record_id,
                action,
                params,
                actor=who,
            )
        except Refused as refused:
            raise CliError(f"{action} refused: {refused.reason}") from None
        except NotFound as missing:
            raise CliError(f"{missing.what} was not found") from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, default=str))
        return
    record = result.record
    typer.echo(f"{action}: {result.summary}")
    typer.echo(f"{record_type} {record_id} is now {record.status}")
    if record.problem is not None:
        typer.echo(f"problem: {record.problem.code}: {record.problem.title}")
    if record.actions:
        typer.echo(f"actions: {', '.join(record.actions)}")


@app.command()
def sync(
    connection_id: ConnectionId,
    record_type: Annotated[
        str | None, typer.Option("--type", help="Resync only records of this type.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="Resync only records in this status.")] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="Resync this record (repeatable).")
    ] = None,
    queue: Annotated[
        bool, typer.Option("--queue", help="Only queue the resync; a worker does it.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Sync a connection now, with a progress bar (filters: a bulk resync first).

    With --type, --status or --id the records that match are made due again first; --queue
    only does that, and leaves the sync to the worker.
    """
    choice(record_type, RECORD_TYPES, "--type")
    choice(status, STATUSES, "--status")
    selection = {k: v for k, v in (("type", record_type), ("status", status), ("ids", ids)) if v}
    result: dict[str, Any] = {}
    with operating(connection_id) as (ledger, service, key_id):
        if selection or queue:
            resync = asked(
                lambda: service.resync(
                    key_id, connection_id, selection, actor=f"cli:{getpass.getuser()}"
                )
            )
            result["queued"], result["left"] = resync.queued, resync.left
            if not as_json:
                typer.echo(f"{resync.queued} records are due again.")
                for item in resync.left:
                    typer.echo(f"Left as it is: {item['type']} {item['id']}: {item['reason']}")
        if not queue:
            out = Console(stderr=True) if as_json else console()
            report = drain(ledger, connection_id, out)
            result["sync"] = report.to_json()
            if report.stopped == "not_active":
                status_now = connection_of(ledger, connection_id).status
                raise CliError(f"{connection_id} is {status_now}: nothing was synced")
    if as_json:
        echo_json(result)
    elif "sync" in result:
        done = result["sync"]
        console().print(
            f"{done['created']} created, {done['linked']} linked, {done['updated']} updated, "
            f"{done['failed']} failed in {done['passes']} passes ({done['seconds']} s)"
        )
        console().print(statuses_table(done["counts"]))


@app.command()
def pull(connection_id: ConnectionId, as_json: AsJson = False) -> None:
    """Refresh from QuickBooks now: its changes, and what they mean for linked records."""
    from ledgerbridge.engine.pull import pull_company

    with (
        operating(connection_id) as (ledger, _, _key),
        Console(stderr=True).status("Reading QuickBooks..."),
    ):
        try:
            report = pull_company(ledger, connection_id)
        except ValueError as exc:  # no way to reach this connection's QuickBooks from here
            raise CliError(f"{exc} (LEDGERBRIDGE_QBO_EMULATOR_URL)") from None
    drift = report.drift_report
    found = {
        "objects": report.objects,
        "deleted": report.deleted,
        "full": report.full,
        "stopped": report.stopped,
        "drift": vars(drift) if drift is not None else None,
    }
    if report.stopped is not None:
        if as_json:
            echo_json(found)
        if report.stopped == "throttled" and report.wait_until is not None:
            raise CliError(
                catalog.waiting_message(report.wait_until, "try again after it", outcome="not_read")
            )
        raise CliError(f"the pull stopped: {report.stopped}")
    if as_json:
        echo_json(found)
        return
    kind = "full read" if report.full else "changes"
    typer.echo(f"Pulled {report.objects} objects ({kind}), {report.deleted} deleted.")
    if drift is not None:
        typer.echo(
            f"Drift: {drift.flagged} records flagged, {drift.cleared} cleared, "
            f"{drift.merged} merged, {drift.bypassed} payments bypassed."
        )
