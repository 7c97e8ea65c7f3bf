"""Shorten over the HTTP API: `keep` (start, end, both) or `value` (the text to send), each
checked; bad input is a 422 naming it and changes nothing; without either it keeps the start,
as it always did."""

from __future__ import annotations

import pytest

from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.api.conftest import Stack, fields_of

STRIPE = "pi_3OaBcDeFgHiJkLmN0pQrStUv9XyZ"


def too_long(stack: Stack) -> str:
    """A payment whose reference is over QuickBooks' 21 characters: its actions path."""
    cid = stack.connection()["id"]
    payment = {
        "customer_id": "ann",
        "date": "2026-05-10",
        "amount": "20.00",
        "method": "check",
        "reference": STRIPE,
        "applied_to": [],
    }
    assert stack.http.put(f"/v1/connections/{cid}/records/payment/p-1", json=payment).is_success
    problem = {
        "code": "payment.reference_too_long",
        "field": "reference",
        "params": {"field": "payment reference", "length": len(STRIPE), "limit": 21},
    }
    with stack.ledger.db.session() as session:
        SyncStates(session).finish(cid, "payment", "p-1", status="error", problem=problem)
    return f"/v1/connections/{cid}/records/payment/p-1/actions/shorten"


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        ({"keep": "end"}, STRIPE[-21:]),
        ({"keep": "both"}, STRIPE[:11] + STRIPE[-10:]),
        ({"value": "9XyZ"}, "9XyZ"),
        (None, STRIPE[:21]),
        ({}, STRIPE[:21]),
    ],
)
def test_shorten_sends_the_cut_or_the_value_asked(
    stack: Stack, body: dict[str, str] | None, sent: str
) -> None:
    answer = stack.http.post(too_long(stack), json=body)
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["result"]["detail"] == {"field": "reference", "value": sent}
    assert done["overrides"]["reference"]["quickbooks"] == sent


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "x" * 22}, "value"),
        ({"value": ""}, None),  # an empty value counts as none: the default cut
        ({"value": "  "}, "value"),
        ({"value": "a\u0007b"}, "value"),
        ('{"value": "a\\ud800b"}', "value"),  # a lone surrogate, as JSON escapes it
        ({"value": ["end"]}, "value"),
        ({"keep": "middle"}, "keep"),
    ],
)
def test_shorten_refuses_what_it_cannot_send_naming_it(
    stack: Stack, body: dict[str, object] | str, field: str | None
) -> None:
    path = too_long(stack)
    if isinstance(body, str):
        headers = {"Content-Type": "application/json"}
        answer = stack.http.post(path, content=body.encode(), headers=headers)
    else:
        answer = stack.http.post(path, json=body)
    if field is None:
        assert answer.status_code == 200
        return
    assert fields_of(answer) == [field]
    record = stack.http.get(path.removesuffix("/actions/shorten")).json()
    assert record["overrides"] == {} and record["status"] == "error"
    assert [h["kind"] for h in record["history"]].count("action:shorten") == 0
