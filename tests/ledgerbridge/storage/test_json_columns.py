"""JSON columns read back as the standard library reads them (`db.loads_json` on SQLite: orjson
only where it reads the same), whatever was stored: integers past 64 bits, NaN and infinities,
a lone surrogate, floats, text beyond ASCII."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from ledgerbridge.storage.db import Database, dumps_json, loads_json
from ledgerbridge.storage.history import History

from .conftest import Owner

VALUES: list[Any] = [
    {"n": 123456789012345678901234567890, "m": -9223372036854775809, "u": 18446744073709551616},
    {"ok": 9223372036854775807, "f": 0.1, "z": -0.0, "e": 1e300, "tiny": 1.5e-320},
    {"text": "Zoë 東京 \u00e9", "nested": [{"a": [1, 2, {"b": None}]}, True, False]},
    {"id": "12345678901234567890123"},  # digits in a string: read by the standard library too
    {"a": 1, "b": [], "c": {}},
]


@pytest.mark.parametrize("value", VALUES)
def test_what_is_read_is_what_the_standard_library_reads(value: Any) -> None:
    text = dumps_json(value)
    for given in (text, text.encode()):
        found = loads_json(given)
        assert found == json.loads(text)
        assert json.dumps(found) == json.dumps(json.loads(text))  # the same types too


def test_what_only_the_standard_library_reads() -> None:
    assert math.isnan(loads_json('{"x": NaN}')["x"])
    assert loads_json("[Infinity, -Infinity]") == [math.inf, -math.inf]
    assert loads_json('"\\ud800"') == "\ud800"
    assert loads_json("1e400") == math.inf
    with pytest.raises(ValueError):
        loads_json("[1,]")


def test_a_column_reads_back_what_was_stored(db: Database, owner: Owner) -> None:
    detail = {"big": 2**70, "amount": "12.50", "ratio": 0.25, "name": "Zoë"}
    with db.session() as session:
        History(session).add(owner.connection_id, "invoice", "n-1", "created", detail=detail)
    with db.session(readonly=True) as session:
        [entry] = History(session).of(owner.connection_id, "invoice", "n-1")
    assert entry["detail"] == detail
    assert isinstance(entry["detail"]["big"], int)
