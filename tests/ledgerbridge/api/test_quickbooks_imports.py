"""The imports API's edges through HTTP: what an unconnected connection answers, bad input
named by field, and another key's connection not found."""

from __future__ import annotations

from tests.ledgerbridge.api.conftest import Stack


def test_imports_of_an_unconnected_connection(stack: Stack) -> None:
    cid = stack.connection()["id"]
    base = f"/v1/connections/{cid}/quickbooks"
    listed = stack.http.get(f"{base}/imports")
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [], "next_cursor": None, "waiting": {}}
    progress = stack.http.get(f"{base}/import")
    assert progress.status_code == 200 and progress.json()["state"] == "never"

    started = stack.http.post(f"{base}/import")
    assert started.status_code == 409, started.text
    assert "connect it" in started.json()["error"]["message"]
    missing = stack.http.post(f"{base}/imports/vendor/58/acknowledge", json={"id": "v-1"})
    assert missing.status_code == 404, missing.text


def test_bad_input_is_a_422_naming_the_field(stack: Stack) -> None:
    cid = stack.connection()["id"]
    base = f"/v1/connections/{cid}/quickbooks"
    for path, body, field in (
        (f"{base}/import", {"lists": ["bills"]}, "lists[0]"),
        (f"{base}/import", {"lists": "customers"}, "lists"),
        (f"{base}/imports/vendor/58/acknowledge", {"id": 5}, "id"),
        (f"{base}/imports/vendor/58/acknowledge", {"id": "v", "colour": "red"}, "colour"),
        (f"{base}/imports/bill/58/acknowledge", {"id": "v"}, "type"),
    ):
        answer = stack.http.post(path, json=body)
        assert answer.status_code == 422, (path, body, answer.text)
        fields = [p["field"] for p in answer.json()["error"]["problems"]]
        assert fields == [field], (body, fields)
    for query, field in (({"type": "bill"}, "type"), ({"cursor": "x"}, "cursor")):
        answer = stack.http.get(f"{base}/imports", params=query)
        assert answer.status_code == 422, answer.text
        assert [p["field"] for p in answer.json()["error"]["problems"]] == [field]


def test_another_keys_imports_are_not_found(stack: Stack) -> None:
    cid = stack.connection()["id"]
    other = stack.client(stack.new_key())
    for method, path in (
        ("GET", "imports"),
        ("GET", "import"),
        ("POST", "import"),
    ):
        answer = other.request(method, f"/v1/connections/{cid}/quickbooks/{path}")
        assert answer.status_code == 404, (path, answer.text)


def test_a_desktop_connection_has_no_initial_import_and_says_so(stack: Stack) -> None:
    from ledgerbridge.storage.connections import Connections

    cid = stack.connection("Summit books", environment="desktop")["id"]
    with stack.service.ledger.db.session() as session:
        Connections(session).set_status(cid, "active")  # its Web Connector opened the file
    started = stack.http.post(f"/v1/connections/{cid}/quickbooks/import")
    assert started.status_code == 409, started.text
    message = started.json()["error"]["message"]
    assert "QuickBooks Desktop" in message and "connect it" not in message
