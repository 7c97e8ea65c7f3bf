"""API keys: missing or unknown keys are refused; a key only sees its own connections."""

from __future__ import annotations

import pytest

from tests.ledgerbridge.api.conftest import Stack, error_of


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "empty", "not-bearer"],
)
def test_a_request_without_a_bearer_key_is_refused(stack: Stack, headers: dict[str, str]) -> None:
    response = stack.client(**headers).get("/v1/connections")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert error_of(response)["code"] == "auth.invalid_key"
    assert error_of(response)["message"]


def test_an_unknown_key_is_refused(stack: Stack) -> None:
    response = stack.client("lbk_not-a-key").get("/v1/connections")
    assert response.status_code == 401
    assert error_of(response)["code"] == "auth.invalid_key"


def test_a_key_sees_only_its_own_connections(stack: Stack) -> None:
    mine = stack.connection("Mine")
    other = stack.client(stack.new_key())
    theirs = other.post("/v1/connections", json={"name": "Theirs", "environment": "emulator"})
    assert theirs.status_code == 201

    assert [c["name"] for c in other.get("/v1/connections").json()] == ["Theirs"]
    assert [c["name"] for c in stack.http.get("/v1/connections").json()] == ["Mine"]
    base = f"/v1/connections/{mine['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("PATCH", f"{base}/settings", {"numbering": "quickbooks"}),
        ("GET", f"{base}/mappings", None),
        ("PUT", f"{base}/records/customer/c-1", {"display_name": "Acme"}),
        ("GET", f"{base}/records", None),
        ("GET", f"{base}/events", None),
        ("POST", f"{base}/sync", None),
        ("POST", f"{base}/pull", None),
        ("GET", f"{base}/connect", None),
        ("POST", f"{base}/disconnect", None),
    ]:
        response = other.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert error_of(response)["code"] == "not_found"
    assert stack.http.get(base).json()["status"] == "not_connected"


def test_health_needs_no_key(stack: Stack) -> None:
    response = stack.client().get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_paths_and_methods_answer_in_the_error_shape(stack: Stack) -> None:
    missing = stack.http.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong = stack.http.delete("/v1/connections")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "method_not_allowed"
