"""`qbo-emulator`: run the QuickBooks Online emulator.

qbo-emulator serve --host 127.0.0.1 --port 8765 [--state FILE] [--refresh-token-policy strict]
                   [--refresh-token-max-life SECONDS]
qbo-emulator demo  --host 127.0.0.1 --port 8765 [--state FILE]   (adds a demo company + app)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlencode

from qbo_emulator.emulator import Emulator
from qbo_emulator.oauth import GRACE, REFRESH_TOKEN_MAX_LIFE, REFRESH_TOKEN_POLICIES, check_max_life
from qbo_emulator.persistence import load
from qbo_emulator.server import serve_forever

DEMO_REDIRECT = "http://localhost:8000/callback"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbo-emulator", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "serve the emulator"),
        ("demo", "serve the emulator with a demo company and app, and print how to use them"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8765)
        sub.add_argument("--state", type=Path, default=None, help="persist state in this file")
        sub.add_argument(
            "--webhook-time-scale",
            type=float,
            default=1.0,
            help="multiply webhook retry delays (0.01 makes 10 s into 0.1 s)",
        )
        sub.add_argument(
            "--webhook-batch-window",
            type=float,
            default=1.0,
            help="seconds webhook notifications are gathered before a POST",
        )
        sub.add_argument(
            "--refresh-token-policy",
            choices=REFRESH_TOKEN_POLICIES,
            default=GRACE,
            help="grace: a refresh token is reused for a day and works a day after it is "
            "replaced, as Intuit documents; strict: single use, rotated on every refresh "
            "(apps and companies can override it through the admin API)",
        )
        sub.add_argument(
            "--refresh-token-max-life",
            type=_max_life,
            default=REFRESH_TOKEN_MAX_LIFE,
            metavar="SECONDS",
            help="how long an authorization's refresh token works at most, counted from its first "
            "grant (default five years, as Intuit announced in November 2025; apps and "
            "companies can override it through the admin API)",
        )
        sub.add_argument("--log-level", default="info")
    return parser


def _max_life(text: str) -> int:
    try:
        return check_max_life(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of seconds above 0: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    emulator = Emulator(
        webhook_time_scale=args.webhook_time_scale,
        webhook_batch_window=args.webhook_batch_window,
        refresh_token_policy=args.refresh_token_policy,
        refresh_token_max_life=args.refresh_token_max_life,
    )
    if args.state is not None:
        load(emulator, args.state)
    if args.command == "demo":
        _prepare_demo(emulator, f"http://{args.host}:{args.port}")
    serve_forever(
        args.host,
        args.port,
        None,
        log_level=args.log_level,
        emulator=emulator,
    ) if args.state is None else _serve_with_state(emulator, args)
    return 0


def _serve_with_state(emulator: Emulator, args: argparse.Namespace) -> None:
    from qbo_emulator.persistence import Autosaver

    saver = Autosaver(emulator, args.state)
    saver.start()
    try:
        serve_forever(args.host, args.port, None, log_level=args.log_level, emulator=emulator)
    finally:
        saver.stop()


def _prepare_demo(emulator: Emulator, base: str) -> None:
    company = next(
        (c for c in emulator.companies.values() if c.name == "Summit Ridge Builders"), None
    )
    if company is None:
        company = emulator.create_company("Summit Ridge Builders", preset="demo")
    app = next((a for a in emulator.oauth.apps() if a.name == "Demo app"), None)
    if app is None:
        app = emulator.oauth.create_app([DEMO_REDIRECT], name="Demo app")
    consent = f"{base}/connect/oauth2?" + urlencode(
        {
            "client_id": app.client_id,
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting openid email",
            "redirect_uri": DEMO_REDIRECT,
            "state": "demo",
        }
    )
    counts = company.counts()
    print(
        f"""
QuickBooks Online emulator: {base}
  demo company  "{company.name}"  realm_id {company.realm_id}
                {counts.get("Customer", 0)} customers/properties, {counts.get("Item", 0)} items,
                {counts.get("Invoice", 0)} invoices, {counts.get("Payment", 0)} payments
  demo app      client_id     {app.client_id}
                client_secret {app.client_secret}
                verifier      {app.verifier_token}
                redirect_uri  {DEMO_REDIRECT}

Connect in a browser (consent page):
  {consent}
Or without a browser: add &realm_id={company.realm_id}&approve=true to that URL.

intuit-oauth:
  AuthClient("{app.client_id}", "<client_secret>", "{DEMO_REDIRECT}",
             environment="{base}/.well-known/openid_configuration")
python-quickbooks (set OAUTHLIB_INSECURE_TRANSPORT=1 for plain http on localhost):
  QuickBooks.api_url_v3 = "{base}/v3"
  QuickBooks(auth_client=auth_client, refresh_token=..., company_id="{company.realm_id}",
             minorversion=75)
Admin API: {base}/_emulator/companies   (README: "QuickBooks Online emulator")
""",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
