"""`ledgerbridge emulator ...` (the QuickBooks Online emulator, as `qbo-emulator`) and
`ledgerbridge demo` (the whole product on this machine)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledgerbridge.cli.common import EXIT_USAGE, CliError, choice
from ledgerbridge.terminal import console

__all__ = ["app"]

app = typer.Typer()


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator(ctx: typer.Context) -> None:
    """The QuickBooks Online emulator (`ledgerbridge emulator serve --port 8765`).

    The same as `qbo-emulator`: every argument goes to it.
    """
    from qbo_emulator.cli import main as emulator_main

    try:
        code = emulator_main(list(ctx.args))
    except SystemExit as done:  # argparse: --help, or a usage error
        code = done.code if isinstance(done.code, int) else EXIT_USAGE
    raise typer.Exit(code)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="The HTTP API's port.", min=1, max=65535)] = 8000,
    emulator_port: Annotated[
        int, typer.Option(help="The QuickBooks emulator's port.", min=1, max=65535)
    ] = 8765,
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its database (started fresh).")
    ] = Path("var/demo"),
    records: Annotated[
        str, typer.Option(help="full (about 8,400 records) or small (about 300).")
    ] = "full",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving after the summary.")
    ] = True,
    quickbooks_pace: Annotated[
        bool,
        typer.Option(
            "--quickbooks-pace",
            help="Keep QuickBooks' rate limits (40 batches a minute): about 9 minutes to sync.",
        ),
    ] = False,
    desktop: Annotated[
        bool,
        typer.Option(
            "--desktop",
            help="QuickBooks Desktop instead: an emulated company file, synced through the "
            "emulated Web Connector (--emulator-port is the Desktop emulator's).",
        ),
    ] = False,
) -> None:
    """The whole product on this machine, with nothing else running.

    An emulated QuickBooks company, a field-service business's records synced (with every
    failure mode on show), a summary, then the HTTP API and the dashboard until Ctrl-C.
    """
    from ledgerbridge.demo.run import DemoError, Options, run

    choice(records, ("small", "full"), "--records")
    options = Options(
        port=port,
        emulator_port=emulator_port,
        data_dir=data_dir,
        records="small" if records == "small" else "full",
        serve=serve,
        quickbooks_pace=quickbooks_pace,
    )
    try:
        if desktop:
            from ledgerbridge.demo.desktop import run_desktop

            run_desktop(options, console())
        else:
            run(options, console())
    except DemoError as failed:
        raise CliError(str(failed)) from None
