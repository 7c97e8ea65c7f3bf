"""The address a .qwc file names: the Web Connector takes https://, or http:// on localhost
only (QBWC1010), so the API makes no file the PC would refuse. In this process (the API's
own transport), where the address a request came through is the test's to choose."""

from __future__ import annotations

from tests.ledgerbridge.desktop.conftest import Desktop


def test_no_qwc_file_names_an_address_the_web_connector_refuses(desktop: Desktop) -> None:
    """Reached as plain http:// elsewhere than localhost (a proxy not passing
    X-Forwarded-Proto, say), the API refuses to make a file the PC would refuse (QBWC1010),
    saying why, and the file is not made; reached through https:// it is."""
    path = f"/v1/connections/{desktop.connection['id']}/qwc"
    refused = desktop.http.get(path, headers={"Host": "books.example.com"})
    assert refused.status_code == 409, refused.text
    assert "QBWC1010" in refused.text and "http://books.example.com/qbwc" in refused.text
    secure = desktop.http.get(f"https://books.example.com{path}")
    assert secure.status_code == 200, secure.text
    assert b"<AppURL>https://books.example.com/qbwc</AppURL>" in secure.content
