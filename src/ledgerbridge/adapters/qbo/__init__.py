"""The QuickBooks Online adapter: the only code that talks to QuickBooks (docs/architecture.md).

- `client.QboClient`: the Accounting API of one company (requestid on every write, faults
  translated into `errors`); `client.api_base` picks the environment's URL.
- `errors`: what the caller must do about a failure (the tree is drawn in its docstring).
- `oauth`: discovery, consent URL, code exchange, refresh (persist the rotated token first),
  revocation.
- `webhooks`: signature check and the legacy and CloudEvents bodies as `ChangeNotice`s.

Functions of `oauth` and `webhooks` are reached through their modules (`oauth.refresh`).
"""

from ledgerbridge.adapters.qbo import oauth, webhooks
from ledgerbridge.adapters.qbo.client import (
    VOIDED_BY_UPDATE,
    BatchItem,
    BatchOperation,
    BatchResult,
    Environment,
    FixedToken,
    PageRead,
    QboClient,
    QuickBooks,
    TokenSource,
    api_base,
)
from ledgerbridge.adapters.qbo.errors import (
    AuthExpired,
    Disconnected,
    InUse,
    QboFault,
    QuickBooksError,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
)
from ledgerbridge.adapters.qbo.oauth import OAuthEndpoints, TokenGrant
from ledgerbridge.adapters.qbo.webhooks import ChangeNotice, MalformedNotification

__all__ = [
    "VOIDED_BY_UPDATE",
    "AuthExpired",
    "BatchItem",
    "BatchOperation",
    "BatchResult",
    "ChangeNotice",
    "Disconnected",
    "Environment",
    "FixedToken",
    "InUse",
    "MalformedNotification",
    "OAuthEndpoints",
    "PageRead",
    "QboClient",
    "QboFault",
    "QuickBooks",
    "QuickBooksError",
    "Rejected",
    "SubscriptionLapsed",
    "Throttled",
    "TokenGrant",
    "TokenSource",
    "Unavailable",
    "api_base",
    "oauth",
    "webhooks",
]
