"""Attachable and `/upload` through python-quickbooks over real HTTP: notes attached with JSON,
files uploaded multipart (python-quickbooks' own hand-made body, and a browser-style one), the
file downloaded through `TempDownloadUri`, kept across a restart, and gone with its attachable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef

from qbo_emulator.server import EmulatorServer
from tests.emulator.conftest import Admin, Connection, authorize
from tests.emulator.qbo_helpers import (
    assert_fault,
    new_customer,
    new_invoice,
    ok,
    qb_error,
    ref,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, with CR and LF bytes inside


def attach_to(entity: str, entity_id: str) -> AttachableRef:
    attachable_ref = AttachableRef()
    attachable_ref.EntityRef = ref(entity_id)
    attachable_ref.EntityRef.type = entity
    return attachable_ref


def test_note_on_an_invoice(conn: Connection) -> None:
    invoice = new_invoice(conn.qb, new_customer(conn.qb, "Buyer"), [10])
    note = Attachable()
    note.Note = "Delivered to the back door."
    note.AttachableRef = [attach_to("Invoice", invoice.Id)]
    saved = note.save(qb=conn.qb)
    assert saved.Note == "Delivered to the back door."
    assert saved.AttachableRef[0].EntityRef.value == invoice.Id
    assert saved.TempDownloadUri is None  # a note has no file

    saved.Note = "Front door after all."
    assert saved.save(qb=conn.qb).SyncToken == "1"
    found = Attachable.where("Note LIKE '%door%'", qb=conn.qb)
    assert [a.Id for a in found] == [saved.Id]
    saved = Attachable.get(saved.Id, qb=conn.qb)
    saved.delete(qb=conn.qb)
    assert Attachable.all(qb=conn.qb) == []


def test_attachable_rules(conn: Connection) -> None:
    empty = Attachable()
    with qb_error(2020):
        empty.save(qb=conn.qb)  # neither a Note nor a FileName
    bad_type = Attachable()
    bad_type.Note = "x"
    bad_type.AttachableRef = [attach_to("TaxCode", "1")]
    with qb_error(6050, "The entity reference type TaxCode is unsupported for Attachable"):
        bad_type.save(qb=conn.qb)
    missing = Attachable()
    missing.Note = "x"
    missing.AttachableRef = [attach_to("Invoice", "999")]
    with qb_error(2500):
        missing.save(qb=conn.qb)


def test_upload_through_python_quickbooks_and_download(conn: Connection, tmp_path: Path) -> None:
    customer = new_customer(conn.qb, "Photo owner")
    attachment = Attachable()
    attachment.FileName = "site.png"
    attachment.ContentType = "image/png"
    attachment._FileBytes = PNG
    attachment.AttachableRef = [attach_to("Customer", customer.Id)]
    saved = attachment.save(qb=conn.qb)  # multipart to /upload, base64, "\n" line ends
    assert (saved.FileName, saved.ContentType, saved.Size) == ("site.png", "image/png", len(PNG))
    assert saved.AttachableRef[0].EntityRef.name == "Photo owner"

    uri = Attachable.get(saved.Id, qb=conn.qb).TempDownloadUri
    downloaded = requests.get(uri, timeout=10)  # no bearer token: the link is the permission
    assert downloaded.status_code == 200
    assert downloaded.content == PNG
    assert downloaded.headers["content-type"] == "image/png"
    assert requests.get(uri[:-4] + "0000", timeout=10).status_code == 404
    (listed,) = Attachable.filter(FileName="site.png", qb=conn.qb)
    assert listed.TempDownloadUri == uri

    saved.Note = "the north side"
    saved = saved.save(qb=conn.qb)  # a JSON update keeps the file
    assert (saved.Size, requests.get(uri, timeout=10).content) == (len(PNG), PNG)
    saved.delete(qb=conn.qb)
    assert requests.get(uri, timeout=10).status_code == 404


def _multipart(conn: Connection, parts: list[tuple[str, Any]]) -> requests.Response:
    headers = {"Authorization": f"Bearer {conn.auth.access_token}", "Accept": "application/json"}
    return requests.post(conn.url("upload"), headers=headers, files=parts, timeout=10)


def test_browser_style_upload_of_several_files(conn: Connection) -> None:
    invoice = new_invoice(conn.qb, new_customer(conn.qb, "Buyer"), [10])
    metadata = json.dumps(
        {
            "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice.Id}}],
            "FileName": "receipt.pdf",
            "ContentType": "application/pdf",
        }
    )
    response = _multipart(
        conn,
        [
            ("file_metadata_01", (None, metadata, "application/json")),
            ("file_content_01", ("receipt.pdf", b"%PDF-1.4 fake\r\n", "application/pdf")),
            ("file_content_02", ("notes.txt", b"plain text", "text/plain")),
            (
                "file_metadata_03",
                (
                    None,
                    '{"AttachableRef": [{"EntityRef": {"type": "JournalCode", "value": "1"}}]}',
                    "application/json",
                ),
            ),
            ("file_content_03", ("bad.txt", b"x", "text/plain")),
        ],
    )
    assert response.status_code == 200, response.text
    answers = response.json()["AttachableResponse"]
    first, second = answers[0]["Attachable"], answers[1]["Attachable"]
    assert (first["FileName"], first["Size"]) == ("receipt.pdf", 15)
    assert first["AttachableRef"][0]["EntityRef"]["value"] == invoice.Id
    assert (second["FileName"], second["ContentType"]) == ("notes.txt", "text/plain")
    assert answers[2]["Fault"]["Error"][0]["code"] == "6050"  # each file answered on its own
    assert requests.get(first["TempDownloadUri"], timeout=10).content == b"%PDF-1.4 fake\r\n"

    not_attachable = _multipart(
        conn,
        [
            ("file_metadata_01", (None, "[1, 2]", "application/json")),
            ("file_content_01", ("a.txt", b"a", "text/plain")),
        ],
    )
    assert_fault(not_attachable, "6040", detail="must be of Attachable type")
    nothing = _multipart(conn, [("file_metadata_01", (None, "{}", "application/json"))])
    assert_fault(nothing, "2020")


def test_files_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with EmulatorServer(state_file=state) as first:
        admin = Admin(first.url)
        realm = admin.create_company()
        auth = authorize(first.url, admin.create_app(), realm)
        headers = {"Authorization": f"Bearer {auth.access_token}", "Accept": "application/json"}
        answer = requests.post(
            f"{first.url}/v3/company/{realm}/upload",
            headers=headers,
            files=[("file_content_01", ("kept.bin", PNG, "application/octet-stream"))],
            timeout=10,
        )
        attachable_id = ok(answer, "AttachableResponse")[0]["Attachable"]["Id"]
    with EmulatorServer(state_file=state) as second:  # the access token is kept too
        read = requests.get(
            f"{second.url}/v3/company/{realm}/attachable/{attachable_id}",
            headers=headers,
            timeout=10,
        )
        uri = ok(read, "Attachable")["TempDownloadUri"]
        assert requests.get(uri, timeout=10).content == PNG
