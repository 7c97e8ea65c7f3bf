"""A forgiving reader of `multipart/form-data` bodies, as clients send them to `/upload`.

python-quickbooks builds its body by hand: lines end in `\\n` rather than `\\r\\n`, and the file
part is base64 with `Content-Transfer-Encoding: base64`. Both forms are read here; each part comes
back as (name, headers, content), headers lower-cased with `filename` taken from the
Content-Disposition.
"""

from __future__ import annotations

import base64
import binascii
import re

Part = tuple[str, dict[str, str], bytes]
_PARAM = re.compile(r';\s*([\w-]+)="?([^";]*)"?')


class MultipartError(ValueError):
    pass


def boundary(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise MultipartError("the Content-Type names no multipart boundary")
    return match.group(1)


def parse(body: bytes, content_type: str) -> list[Part]:
    delimiter = b"--" + boundary(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    parts: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        head, sep, content = _split_head(chunk)
        if not sep:
            raise MultipartError("a part has no blank line after its headers")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params = {k.lower(): v for k, v in _PARAM.findall(disposition)}
        if "filename" in params:
            headers["filename"] = params["filename"]
        content = _strip_line_end(content)
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            try:
                content = base64.b64decode(b"".join(content.split()), validate=True)
            except binascii.Error:
                raise MultipartError("a base64 part is not valid base64") from None
        parts.append((params.get("name", ""), headers, content))
    return parts


def _split_head(chunk: bytes) -> tuple[bytes, bytes, bytes]:
    crlf = chunk.find(b"\r\n\r\n")
    lf = chunk.find(b"\n\n")
    if crlf != -1 and (lf == -1 or crlf <= lf):
        return chunk[:crlf], b"\r\n\r\n", chunk[crlf + 4 :]
    if lf != -1:
        return chunk[:lf], b"\n\n", chunk[lf + 2 :]
    return chunk, b"", b""


def _strip_line_end(content: bytes) -> bytes:
    """The line end before the next delimiter belongs to the delimiter."""
    if content.endswith(b"\r\n"):
        return content[:-2]
    if content.endswith(b"\n"):
        return content[:-1]
    return content
