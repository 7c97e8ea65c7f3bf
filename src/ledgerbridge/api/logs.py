"""What the server's logs may show of a request: never the query string of a sign-in URL.

`/v1/oauth/callback` carries Intuit's authorization code and the state, `/v1/oauth/start` a
state: until they are used, either completes a sign-in for whoever reads them. uvicorn's
access log writes each request's path with its query string, so `ledgerbridge serve` runs it
with `uvicorn_log_config()`, whose access handler passes records through `RedactSignIn`.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

__all__ = ["REDACTED", "RedactSignIn", "redacted", "uvicorn_log_config"]

REDACTED = "[redacted]"
_SIGN_IN = "/v1/oauth/"


def redacted(path: str) -> str:
    """`path` without its query string when it is a sign-in URL, unchanged otherwise."""
    route, separator, _ = path.partition("?")
    return f"{route}?{REDACTED}" if separator and _SIGN_IN in route else path


class RedactSignIn(logging.Filter):
    """For uvicorn's access records (args: client, method, path with query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redacted(args[2]), *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with `RedactSignIn` on the access handler."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_sign_in"] = {"()": RedactSignIn}
    config["handlers"]["access"].setdefault("filters", []).append("redact_sign_in")
    return config
