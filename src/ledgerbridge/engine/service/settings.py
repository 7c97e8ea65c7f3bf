"""A connection's settings: their choices, their defaults, and what checks a change to them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ledgerbridge.adapters import delivery
from ledgerbridge.core import twoway, web_connector
from ledgerbridge.core.preflight import limits
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import RECORD_TYPES
from ledgerbridge.engine.errors import Invalid
from ledgerbridge.engine.service._shared import Wiring, invalid, text_field

__all__ = [
    "DEFAULT_SETTINGS",
    "ENVIRONMENTS",
    "MAX_MARGIN",
    "NEW_CONNECTION_SETTINGS",
    "SETTINGS",
    "check_events_url",
    "validate_settings",
]

ENVIRONMENTS = ("emulator", "sandbox", "production", "desktop")
SETTINGS = {
    "name_conflicts": ("ask", "differentiate", "link_on_email"),
    "numbering": ("app", "quickbooks", "prefix"),
    "closed_periods": ("error", "move_to_open_day"),
    "quickbooks_changes": ("ask", "app_wins", "quickbooks_wins"),
    **{twoway.setting_of(t): twoway.modes_of(t) for t in twoway.TYPES},
}
DEFAULT_SETTINGS: dict[str, Any] = {
    "name_conflicts": "ask",
    "numbering": "app",
    "number_prefix": "",
    "number_start": None,
    "closed_periods": "error",
    "quickbooks_changes": "ask",
    "customer_email_required": False,
    "auto_push": list(RECORD_TYPES),
    "field_limit_margin": limits.DEFAULT_MARGIN,
    # QuickBooks Desktop: minutes without a call before the Web Connector is shown silent
    web_connector.SILENT_SETTING: web_connector.DEFAULT_SILENT_MINUTES,
    # connections made before these settings existed: nothing from QuickBooks, as then
    **{twoway.setting_of(t): twoway.DEFAULT for t in twoway.TYPES},
}
NEW_CONNECTION_SETTINGS: dict[str, Any] = {
    # a connection made now is told what people make in QuickBooks (core.twoway)
    twoway.setting_of(t): twoway.NEW_CONNECTION
    for t in twoway.TYPES
}
MAX_MARGIN = 1000  # percent: field_limit_margin at most


def check_events_url(service: Wiring, settings: Mapping[str, Any]) -> None:
    """An events_url must be https to a public address (http and other addresses only to
    hosts the operator allows): its name is resolved now, and again at every delivery."""
    url = settings.get("events_url")
    if url is None:
        return
    reason = delivery.check(url, service.ledger.settings.events_allow_http_hosts)
    if reason is not None:
        raise invalid("settings.events_url", f"events_url {reason}")


def validate_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in settings.items():
        text_field(f"settings.{json.dumps(key)[1:-1]}", key, what="a setting's name")
        text_field(f"settings.{key}", value)
        if key in SETTINGS:
            if value == "import" and key == twoway.setting_of("invoices"):
                raise invalid(
                    f"settings.{key}",
                    f"{key}: invoices from QuickBooks are read-only for now: off or events",
                )
            if value not in SETTINGS[key]:
                raise invalid(f"settings.{key}", f"{key} must be one of {', '.join(SETTINGS[key])}")
        elif key == "number_prefix":
            if not isinstance(value, str) or len(value) > 10:
                raise invalid(
                    "settings.number_prefix", "number_prefix is text of at most 10 characters"
                )
        elif key == "number_start":
            if value is not None and (type(value) is not int or value < 1):
                raise invalid("settings.number_start", "a positive whole number, or null")
        elif key == "customer_email_required":
            if not isinstance(value, bool):
                raise invalid("settings.customer_email_required", "must be true or false")
        elif key == "events_url":
            if value is not None and (
                not isinstance(value, str) or not value.startswith(("http://", "https://"))
            ):
                raise invalid("settings.events_url", "events_url must be an http(s) URL or null")
        elif key == "auto_push":
            if not isinstance(value, list) or not set(value) <= set(RECORD_TYPES):
                raise invalid("settings.auto_push", "a list of record types")
            if len(set(value)) != len(value):
                raise invalid("settings.auto_push", "a list of record types, each once")
        elif key == "field_limit_margin":
            if type(value) is not int or not 0 <= value <= MAX_MARGIN:
                raise invalid(
                    "settings.field_limit_margin", f"a whole number of percent, 0 to {MAX_MARGIN}"
                )
        elif key == web_connector.SILENT_SETTING:
            low, high = web_connector.MIN_SILENT_MINUTES, web_connector.MAX_SILENT_MINUTES
            if type(value) is not int or not low <= value <= high:
                raise invalid(f"settings.{key}", f"a whole number of minutes, {low} to {high}")
        else:
            raise Invalid(
                [Problem("input.unknown_field", f"settings.{key}", f"unknown setting {key}")]
            )
        checked[key] = value
    return checked
