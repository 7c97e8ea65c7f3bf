"""`JsonAnswer`: the JSON response every API route and error answers with.

Text stored before `core.text` refused it at the edge (a lone surrogate from an app that cut an
emoji in half) cannot be encoded as UTF-8: Starlette's JSON response would fail while writing
the answer, after the work was done. This one writes such text with each character that cannot
be sent replaced (`core.text.shown`), so a record's GET, a listing or an error that names a
bad field always answers; the record's problem says what was wrong with it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from ledgerbridge.core.text import shown

__all__ = ["JsonAnswer"]


class JsonAnswer(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            written = json.dumps(
                content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
            )
            return shown(written).encode("utf-8")
