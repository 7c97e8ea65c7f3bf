"""`qbd-emulator`: run the QuickBooks Desktop emulator.

qbd-emulator serve --host 127.0.0.1 --port 8766 [--state FILE]
qbd-emulator demo  --host 127.0.0.1 --port 8766 [--state FILE] [--service URL --username U
                   --password P [--every-seconds N]]
                   (adds a demo company file, and a Web Connector for it)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qbd_emulator.emulator import Emulator
from qbd_emulator.persistence import load
from qbd_emulator.server import serve_forever
from qbd_emulator.webconnector.simulator import WebConnector, check_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qbd-emulator", description=(__doc__ or "").splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "serve the emulator"),
        (
            "demo",
            "serve the emulator with a demo company file "
            "(and a Web Connector when --service is given)",
        ),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8766)
        sub.add_argument("--log-level", default="info")
        sub.add_argument(
            "--state",
            type=Path,
            default=None,
            help="read the state from this file, write it back on exit",
        )
        if name == "demo":
            sub.add_argument(
                "--service", default=None, help="the SOAP endpoint the Web Connector polls"
            )
            sub.add_argument("--username", default="ledgerbridge")
            sub.add_argument("--password", default="")
            sub.add_argument(
                "--every-seconds", type=float, default=None, help="poll on this schedule"
            )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    emulator = Emulator()
    if args.state is not None:
        load(emulator, args.state)
    if args.command == "demo":
        try:
            _prepare_demo(emulator, args)
        except ValueError as exc:
            parser.error(f"--service: {exc}")
    serve_forever(args.host, args.port, emulator, log_level=args.log_level, state_file=args.state)
    return 0


def _prepare_demo(emulator: Emulator, args: argparse.Namespace) -> None:
    base = f"http://{args.host}:{args.port}"
    company = emulator.companies.get("demo") or emulator.create_company(
        "Summit Ridge Builders", preset="demo", company_id="demo"
    )
    counts = company.counts()
    items = sum(v for k, v in counts.items() if k.startswith("Item"))
    lines = [
        "",
        f"QuickBooks Desktop emulator: {base}",
        f'  demo company file  "{company.name}"  id {company.id}',
        f"                     {company.file_path}",
        f"                     {counts.get('Customer', 0)} customers and jobs, "
        f"{counts.get('Vendor', 0)} vendors, {items} items, {counts.get('Account', 0)} accounts",
    ]
    if args.service and "demo" in emulator.connectors:
        check_url(args.service)
        emulator.connectors["demo"].url = args.service
    elif args.service:
        connector = emulator.add_connector(
            WebConnector(
                emulator,
                url=args.service,
                username=args.username,
                password=args.password,
                company_id=company.id,
                connector_id="demo",
            )
        )
        if args.every_seconds:
            connector.schedule(args.every_seconds)
        lines.append(
            f"  Web Connector      id demo, polling {args.service}"
            + (f" every {args.every_seconds:g} s" if args.every_seconds else " when told")
        )
        lines.append(
            f"                     run a session: POST {base}/_emulator/webconnectors/demo/run"
        )
    lines += [
        f"qbXML straight to the file: POST {base}/_emulator/companies/{company.id}/qbxml",
        f"Admin API: {base}/_emulator/companies   (docs/emulator-desktop.md)",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
