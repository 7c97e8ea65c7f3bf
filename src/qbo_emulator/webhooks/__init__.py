"""QuickBooks Online webhooks: signed change notifications POSTed to each connected app.

The write path publishes a :class:`ChangeEvent` per changed entity to each app's
:class:`WebhookTarget`; a :class:`WebhookDispatcher` batches them, signs every body with the
app's verifier token, and retries failures on Intuit's schedule.
"""

from __future__ import annotations

from .dispatcher import RETRY_SCHEDULE, WebhookDispatcher, retry_delay
from .payloads import (
    ChangeEvent,
    Operation,
    WebhookFormat,
    WebhookTarget,
    cloudevents_payload,
    legacy_payload,
    sign,
)

__all__ = [
    "RETRY_SCHEDULE",
    "ChangeEvent",
    "Operation",
    "WebhookDispatcher",
    "WebhookFormat",
    "WebhookTarget",
    "cloudevents_payload",
    "legacy_payload",
    "retry_delay",
    "sign",
]
