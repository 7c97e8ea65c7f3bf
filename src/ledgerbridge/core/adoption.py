"""An app record that already exists in QuickBooks: what the app names with it.

    found = split_link(data)   # (the record's own data, the QuickBooks id) or [Problem]

The app may send a record with ``"link": {"quickbooks_id": "58"}`` beside its fields: the record
is that QuickBooks object (a customer created in QuickBooks first, say). The push pass links
the two instead of creating anything (`core.planner.Adopt`). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.problems import INPUT_INVALID, INPUT_UNKNOWN_FIELD, Problem

__all__ = ["LINK_FIELD", "Split", "split_link"]

LINK_FIELD = "link"
_QUICKBOOKS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
"""QuickBooks Online's ids are digits; QuickBooks Desktop's ListID and TxnID are hexadecimal
groups joined by a dash ("80000001-1234567890")."""


@dataclass(frozen=True)
class Split:
    data: Mapping[str, Any]  # the record's fields, without `link`
    quickbooks_id: str | None  # None: the app named no QuickBooks object
    given: bool = False  # `link` was sent: an id, or null (no object any more: cancelled)


def split_link(data: Mapping[str, Any]) -> Split | list[Problem]:
    """The record's fields and the QuickBooks id of its ``link``, or the problems of a
    ``link`` that is not ``{"quickbooks_id": "<id>"}``. ``"link": null`` says the record is
    no QuickBooks object after all (an adoption not done yet is cancelled); no ``link`` at
    all leaves an earlier one as it was."""
    if LINK_FIELD not in data:
        return Split(data, None)
    rest = {k: v for k, v in data.items() if k != LINK_FIELD}
    link = data[LINK_FIELD]
    if link is None:
        return Split(rest, None, given=True)
    if not isinstance(link, Mapping):
        return [_invalid(LINK_FIELD, 'link must be an object: {"quickbooks_id": "58"}')]
    unknown = sorted(str(k) for k in link if k != "quickbooks_id")
    if unknown:
        return [
            Problem(
                INPUT_UNKNOWN_FIELD,
                f"{LINK_FIELD}.{name[:40]}",
                f"link takes only quickbooks_id, not {name[:40]!a}",
            )
            for name in unknown
        ]
    qbo_id = link.get("quickbooks_id")
    field = f"{LINK_FIELD}.quickbooks_id"
    if not isinstance(qbo_id, str) or not _QUICKBOOKS_ID.fullmatch(qbo_id):
        return [
            _invalid(
                field,
                "quickbooks_id must be the QuickBooks id as a string: 1 to 40 letters, digits "
                'or dashes ("58")',
            )
        ]
    return Split(rest, qbo_id, given=True)


def _invalid(field: str, message: str) -> Problem:
    return Problem(INPUT_INVALID, field, message)
