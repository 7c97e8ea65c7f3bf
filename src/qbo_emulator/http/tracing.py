"""Intuit's `intuit_tid` header on every answer the emulator gives.

QuickBooks (the data API and the OAuth endpoints alike) names each answer with a transaction id
in the `intuit_tid` header; Intuit support asks for it, and clients print it in their errors
(intuit-oauth's `AuthClientError.intuit_tid`). `TransactionIds` wraps the whole ASGI app, so the
token, revoke, discovery, userinfo and JWKS answers, the authorize page and its error pages, the
admin API and even unknown URLs carry one.
"""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"intuit_tid"


def new_tid() -> str:
    """A transaction id shaped like Intuit's current ones: `1-<8 hex>-<24 hex>`."""
    digits = os.urandom(16).hex()
    return f"1-{digits[:8]}-{digits[8:]}"


class TransactionIds:
    """ASGI middleware: adds `intuit_tid` to every HTTP response that has none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_tid(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == HEADER for name, _ in headers):
                    headers.append((HEADER, new_tid().encode("ascii")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_tid)
