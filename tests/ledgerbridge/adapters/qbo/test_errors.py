"""`errors.translate` on answers the emulator does not send: XML faults, HTML error pages,
Retry-After, gateway timeouts, several errors in one fault, and each httpx failure."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ledgerbridge.adapters.qbo.errors import (
    AuthExpired,
    Disconnected,
    QboFault,
    Rejected,
    SubscriptionLapsed,
    Throttled,
    Unavailable,
    translate,
)

TID = {"intuit_tid": "1-abc-def"}


def fault_body(*errors: tuple[str, str], fault_type: str = "ValidationFault") -> dict[str, Any]:
    return {
        "Fault": {
            "Error": [
                {"Message": message, "Detail": f"{message} : detail", "code": code, "element": ""}
                for code, message in errors
            ],
            "type": fault_type,
        },
        "time": "2017-09-29T09:17:31.892-07:00",
    }


def test_a_data_service_fault_keeps_every_error() -> None:
    body = fault_body(("6000", "Business Validation Error"), ("2020", "Required param missing"))
    error = translate(httpx.Response(400, json=body, headers=TID))
    assert isinstance(error, Rejected)
    assert error.faults == (
        QboFault(
            400,
            "6000",
            "Business Validation Error",
            "Business Validation Error : detail",
            None,
            "1-abc-def",
        ),
        QboFault(
            400,
            "2020",
            "Required param missing",
            "Required param missing : detail",
            None,
            "1-abc-def",
        ),
    )
    assert error.first is error.faults[0]
    assert error.intuit_tid == "1-abc-def"


def test_the_gateway_envelope() -> None:
    body = {
        "warnings": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": "Token expired",
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "time": 1633520295688,
    }
    error = translate(httpx.Response(401, json=body))
    assert isinstance(error, AuthExpired)
    assert error.faults[0].code == "3200" and error.faults[0].detail == "Token expired"


def test_a_throttle_fault_in_xml_with_and_without_retry_after() -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2017-01-01">'
        b'<Fault type="SERVICE"><Error code="3001" element="">'
        b"<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        b"<Detail>The request limit was reached.  Try again later</Detail>"
        b"</Error></Fault></IntuitResponse>"
    )
    error = translate(httpx.Response(429, content=xml))
    assert isinstance(error, Throttled)
    assert error.retry_after == 60
    assert error.faults[0].code == "3001"
    assert error.faults[0].detail == "The request limit was reached.  Try again later"

    waited = translate(httpx.Response(429, content=b"slow down", headers={"Retry-After": "7"}))
    assert isinstance(waited, Throttled) and waited.retry_after == 7


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("inf", 600.0),  # never asked again, and a date that overflows: capped at 10 minutes
        ("1e15", 600.0),
        ("86400", 600.0),
        ("nan", 60.0),  # not a number of seconds: the default
        ("-5", 60.0),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 60.0),
        ("0.5", 0.5),
    ],
)
def test_a_hostile_retry_after_is_read_within_bounds(header: str, seconds: float) -> None:
    """What a Retry-After says is bounded before the engine stores a wait from it."""
    error = translate(httpx.Response(429, content=b"slow down", headers={"Retry-After": header}))
    assert isinstance(error, Throttled) and error.retry_after == seconds


@pytest.mark.parametrize(
    ("status", "write", "ambiguous"),
    [
        (500, True, False),
        (503, False, False),
        (502, True, True),
        (504, True, True),
        (504, False, False),
    ],
)
def test_server_failures_are_unavailable(status: int, write: bool, ambiguous: bool) -> None:
    error = translate(httpx.Response(status, content=b"<html>Bad Gateway</html>"), write=write)
    assert isinstance(error, Unavailable)
    assert error.ambiguous is ambiguous


def test_a_system_fault_and_a_lapsed_subscription() -> None:
    system = fault_body(("10000", "An application error has occurred"), fault_type="SystemFault")
    assert isinstance(translate(httpx.Response(500, json=system)), Unavailable)
    lapsed = fault_body(("6190", "Invalid Company Status"))
    assert isinstance(translate(httpx.Response(400, json=lapsed)), SubscriptionLapsed)


def test_a_non_json_client_error_is_rejected_with_the_body_in_the_detail() -> None:
    error = translate(httpx.Response(404, content=b"<html>\n  Not   Found\n</html>"))
    assert isinstance(error, Rejected)
    assert error.first == QboFault(404, "", "HTTP 404", "<html> Not Found </html>", None, None)


def test_an_unreadable_success_is_unavailable() -> None:
    write = translate(httpx.Response(200, content=b'{"Cust'), write=True)
    assert isinstance(write, Unavailable) and write.ambiguous
    read = translate(httpx.Response(200, content=b""), write=False)
    assert isinstance(read, Unavailable) and not read.ambiguous


def test_oauth_errors() -> None:
    grant = translate(
        httpx.Response(400, json={"error": "invalid_grant", "error_description": "Token invalid"})
    )
    assert isinstance(grant, Disconnected)
    assert grant.faults[0].code == "invalid_grant"
    assert isinstance(
        translate(httpx.Response(401, json={"error": "invalid_client"})), Disconnected
    )
    assert isinstance(translate(httpx.Response(400, json={"error": "invalid_request"})), Rejected)
    busy = translate(httpx.Response(503, json={"error": "temporarily_unavailable"}))
    assert isinstance(busy, Unavailable)


def test_a_batch_item_fault() -> None:
    item_fault = fault_body(("6240", "Duplicate Name Exists Error"))["Fault"]
    error = translate(item_fault, intuit_tid="tid-1", write=True)
    assert isinstance(error, Rejected)
    assert error.first.status == 200 and error.first.intuit_tid == "tid-1"


REQUEST = httpx.Request("POST", "https://quickbooks.api.intuit.com/v3/company/1/customer")


@pytest.mark.parametrize(
    ("exc", "write", "ambiguous"),
    [
        (httpx.ConnectError("refused", request=REQUEST), True, False),
        (httpx.ConnectTimeout("slow", request=REQUEST), True, False),
        (httpx.PoolTimeout("busy", request=REQUEST), True, False),
        (httpx.ReadTimeout("slow", request=REQUEST), True, True),
        (httpx.WriteTimeout("slow", request=REQUEST), True, True),
        (httpx.ReadError("reset", request=REQUEST), True, True),
        (httpx.RemoteProtocolError("incomplete", request=REQUEST), True, True),
        (httpx.ReadTimeout("slow", request=REQUEST), False, False),
        (httpx.RemoteProtocolError("incomplete", request=REQUEST), False, False),
    ],
)
def test_transport_failures(exc: httpx.HTTPError, write: bool, ambiguous: bool) -> None:
    error = translate(exc, write=write)
    assert isinstance(error, Unavailable)
    assert error.ambiguous is ambiguous
    assert error.faults == ()


def test_rejected_needs_a_fault() -> None:
    with pytest.raises(ValueError):
        Rejected(())
