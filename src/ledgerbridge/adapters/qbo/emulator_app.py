"""ledgerbridge's app at a QuickBooks Online emulator: registered once, kept in a file.

Against Intuit, an app's credentials come from the developer portal and the settings. Against
the emulator (`qbo_emulator`, the `emulator` environment) ledgerbridge registers itself through
the emulator's admin API and keeps what it was given, per emulator URL, in an owner-only file,
registering again when the redirect URI changed or the emulator forgot it, and telling it
where webhooks now go when that changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledgerbridge.adapters.tls import default_context
from ledgerbridge.files import private_dir, write_private

__all__ = ["EmulatorApp", "emulator_app"]


@dataclass(frozen=True)
class EmulatorApp:
    client_id: str
    client_secret: str
    redirect_uri: str
    verifier_token: str


def emulator_app(
    url: str,
    redirect: str,
    webhook: str | None,
    kept_in: Path,
    transport: httpx.BaseTransport | None = None,
) -> EmulatorApp:
    """The app's credentials at the emulator at `url`, registered if need be (see the module)."""
    saved: dict[str, dict[str, str]] = json.loads(kept_in.read_text()) if kept_in.exists() else {}
    entry = saved.get(url)
    if entry is not None and webhook and entry.get("webhook_url") != webhook:
        with httpx.Client(transport=transport, timeout=10, verify=default_context()) as http:
            response = http.patch(
                f"{url}/_emulator/apps/{entry['client_id']}", json={"webhook_url": webhook}
            )
        if response.is_success:
            entry["webhook_url"] = webhook
            saved[url] = entry
            write_private(kept_in, json.dumps(saved, indent=2))
        else:
            entry = None  # the emulator forgot us (a restart without state): register again
    if entry is None or entry.get("redirect_uri") != redirect:
        with httpx.Client(transport=transport, timeout=10, verify=default_context()) as http:
            response = http.post(
                f"{url}/_emulator/apps",
                json={"redirect_uris": [redirect], "name": "ledgerbridge", "webhook_url": webhook},
            )
            response.raise_for_status()
            body = response.json()
        entry = {
            "client_id": body["client_id"],
            "client_secret": body["client_secret"],
            "verifier_token": body["verifier_token"],
            "redirect_uri": redirect,
            "webhook_url": webhook or "",
        }
        saved[url] = entry
        private_dir(kept_in.parent)
        write_private(kept_in, json.dumps(saved, indent=2))
    return EmulatorApp(
        entry["client_id"], entry["client_secret"], entry["redirect_uri"], entry["verifier_token"]
    )
