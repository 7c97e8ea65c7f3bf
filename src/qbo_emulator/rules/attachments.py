"""Attachables: notes and files attached to transactions and list records.

A note is created with `POST /attachable` (JSON); a file with `POST /upload` (multipart: a
`file_content_NN` part and, optionally, a `file_metadata_NN` part with the Attachable's JSON). The
file is kept in the company (`Company.files`) and read back through the `TempDownloadUri` that
reads add. Error codes and texts are Intuit's: 6030 (upload over 100 MB), 6040 (metadata that is
no Attachable), 6050 (an EntityRef type an attachable cannot name).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from qbo_emulator import faults
from qbo_emulator.model.specs import SPECS, Kind
from qbo_emulator.model.store import Company, Row, StoredFile
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.values import blank, boolean, ref_id, ref_to

MAX_UPLOAD = 100 * 1024 * 1024
CATEGORIES = ("ContactPhoto", "Document", "Image", "Receipt", "Signature", "Sound", "Other")
# Entities an attachment can hang on: transactions, and items and people (Attachable reference).
ATTACHABLE_TARGETS = frozenset(
    {
        name
        for name, spec in SPECS.items()
        if spec.kind is Kind.TRANSACTION and name not in ("Attachable", "TimeActivity")
    }
    | {"Item", "Customer", "Vendor", "Employee", "TimeActivity"}
)
FILE_FIELDS = ("FileName", "ContentType", "Size")


def _validation(code: str, message: str, detail: str, element: str = "") -> faults.QBOFault:
    return faults.QBOFault(
        faults.Fault(400, "ValidationFault", (faults.ErrorItem(code, message, detail, element),))
    )


def upload_too_large(size: int) -> faults.QBOFault:
    return _validation(
        "6030",
        "Upload request size exceeds allowed limit",
        "The file upload request should not exceed 100MB in size. The current request size "
        f"is {size}",
    )


def not_attachable(supplied: str, parameter: str) -> faults.QBOFault:
    return _validation(
        "6040",
        "The file metadata must be of Attachable type",
        f"The file metadata submitted must be of Attachable type. Supplied Type: {supplied}, "
        f"request parameter: {parameter}.",
    )


def _refs(ctx: Ctx, refs: Any) -> list[dict[str, Any]]:
    if isinstance(refs, Mapping):
        refs = [refs]
    if not isinstance(refs, list):
        raise faults.invalid_value("AttachableRef", "AttachableRef must be a list")
    out = []
    for ref in refs:
        if not isinstance(ref, Mapping) or not isinstance(ref.get("EntityRef"), Mapping):
            raise faults.required_param("EntityRef", "AttachableRef.EntityRef")
        entity_ref = ref["EntityRef"]
        kind = str(entity_ref.get("type") or "")
        spec = next((s for s in SPECS.values() if s.name.casefold() == kind.casefold()), None)
        if spec is None or spec.name not in ATTACHABLE_TARGETS:
            raise _validation(
                "6050",
                "The entity reference type is unsupported for Attachable",
                f"The entity reference type {kind or '(empty)'} is unsupported for Attachable",
                "AttachableRef.EntityRef.type",
            )
        entity_id = ref_id(entity_ref, "AttachableRef.EntityRef")
        row = ctx.company.table(spec.name).get(entity_id)
        if row is None:
            raise faults.invalid_reference("AttachableRef.EntityRef", entity_id)
        name_field = "DisplayName" if spec.name in ("Customer", "Vendor", "Employee") else "Name"
        new = {k: v for k, v in ref.items() if not blank(v)}
        new["EntityRef"] = {**ref_to(row, name_field), "type": spec.name}
        if "IncludeOnSend" in new:
            new["IncludeOnSend"] = boolean(new["IncludeOnSend"], "AttachableRef.IncludeOnSend")
        out.append(new)
    return out


def prepare_attachable(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    """FileName for a file, Note for a note (one of them is required); the file's name, type
    and size stay those of the file uploaded."""
    stored = ctx.company.files.get(str(obj.get("Id"))) if existing is not None else None
    if stored is not None and existing is not None:
        for key in FILE_FIELDS:
            if key in existing:
                obj[key] = existing[key]
    if blank(obj.get("FileName")) and blank(obj.get("Note")):
        raise faults.required_param("Note", "Note", "(or FileName, for a file)")
    if not blank(obj.get("AttachableRef")):
        obj["AttachableRef"] = _refs(ctx, obj["AttachableRef"])
    category = obj.get("Category")
    if not blank(category) and category not in CATEGORIES:
        raise faults.invalid_enumeration("Category", str(category))
    return obj


def keep_file(company: Company, row: Row, content: bytes, content_type: str) -> None:
    """Store an uploaded file for an attachable row, with its size and type on the row."""
    company.files[row["Id"]] = StoredFile(content, content_type, secrets.token_hex(16))
    row["Size"] = len(content)
    row["ContentType"] = content_type


def with_download_link(company: Company, row: Row, base_url: str) -> Row:
    """The row as answered: an attachable with a file gets its `TempDownloadUri`."""
    stored = company.files.get(str(row.get("Id")))
    if stored is None or "status" in row:
        return row
    base = base_url.rstrip("/")
    return {
        **row,
        "FileAccessUri": f"/v3/company/{company.realm_id}/download/{row['Id']}",
        "TempDownloadUri": f"{base}/attachments/{company.realm_id}/{row['Id']}/{stored.token}",
    }


def upload_items(parts: Sequence[tuple[str, Mapping[str, str], bytes]]) -> list[dict[str, Any]]:
    """Pair `file_content_NN` parts with their `file_metadata_NN`: a list of
    {"name", "metadata", "content", "content_type", "filename"} in the order of the files."""
    metadata: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    for name, headers, body in parts:
        if name.startswith("file_metadata_"):
            suffix = name.removeprefix("file_metadata_")
            try:
                value = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise not_attachable("text", name) from None
            if isinstance(value, Mapping) and isinstance(value.get("Attachable"), Mapping):
                value = value["Attachable"]
            if not isinstance(value, Mapping):
                raise not_attachable(type(value).__name__, name)
            metadata[suffix] = dict(value)
        elif name.startswith("file_content_"):
            files.append(
                {
                    "suffix": name.removeprefix("file_content_"),
                    "content": body,
                    "content_type": headers.get("content-type", "application/octet-stream"),
                    "filename": headers.get("filename", ""),
                }
            )
    if not files:
        raise faults.required_param("file_content_01", "file_content_01")
    for item in files:
        item["metadata"] = metadata.get(item["suffix"], {})
    return files
