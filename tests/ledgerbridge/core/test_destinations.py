"""core.destinations: which URLs and addresses events may go to (issue 13, failure 7)."""

from __future__ import annotations

import pytest

from ledgerbridge.core.destinations import (
    Destination,
    allowance,
    destination,
    refused_address,
)

NOT_PUBLIC = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "private"),
    ("fc00::1", "private"),
    ("0.0.0.0", "private"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("2002:7f00:1::", "loopback"),
    ("224.0.0.251", "not public"),
    ("240.0.0.1", "address"),  # reserved: Python counts it private too
]


@pytest.mark.parametrize(("address", "why"), NOT_PUBLIC)
def test_addresses_that_are_not_public_are_refused(address: str, why: str) -> None:
    reason = refused_address(address)
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refused_address(address) is None


def test_https_passes_and_http_needs_the_operators_allowance() -> None:
    assert destination("https://Hooks.App.Example./in", frozenset()) == Destination(
        "https://Hooks.App.Example./in", "https", "hooks.app.example", 443, False
    )
    refused = destination("http://hooks.app.example/in", frozenset())
    assert isinstance(refused, str) and "must be https" in refused
    allowed = destination("http://[::1]:8080/in", frozenset({"::1"}))
    assert isinstance(allowed, Destination) and allowed.allowed and allowed.port == 8080


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://files.example/x", "https"),
        ("https://user:secret@hooks.example/", "user name"),
        ("https:///no-host", "host"),
        ("https://hooks.example:99999/", "not a valid URL"),
    ],
)
def test_malformed_urls_say_why(url: str, why: str) -> None:
    reason = destination(url, frozenset())
    assert isinstance(reason, str) and why in reason


def test_an_allowance_may_name_one_port_and_then_grants_only_that_one() -> None:
    allowed = frozenset(allowance(e) for e in ("localhost:8080", "[::1]:9000", "Sidecar."))
    assert allowed == {"localhost:8080", "[::1]:9000", "sidecar"}
    to_receiver = destination("http://localhost:8080/hooks", allowed)
    assert isinstance(to_receiver, Destination) and to_receiver.allowed
    to_database = destination("http://localhost:5432/", allowed)
    assert isinstance(to_database, str) and "must be https" in to_database
    assert isinstance(destination("http://[::1]:9000/in", allowed), Destination)
    assert isinstance(destination("http://[::1]:9001/in", allowed), str)
    anywhere = destination("http://sidecar:7000/in", allowed)  # a host alone: any port
    assert isinstance(anywhere, Destination) and anywhere.allowed
