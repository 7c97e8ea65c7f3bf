"""What the engine would send against what QuickBooks holds, compared on values, not on form.

    found = differences(body, held)            # [] when QuickBooks holds what `body` says
    shown(value)                               # a value as a person reads it: "1495.00"

QuickBooks answers amounts and quantities as JSON numbers (``129.0``) where the engine sends
decimal strings (``"129.00"``), adds what it keeps of its own (ids, line numbers, the names of
references, sub-total lines, computed totals), and fills fields the engine never sent. None of
that is a change. So:

- only what the body says is compared: a key QuickBooks adds, inside a reference or an
  address, is not looked at; a reference compares by its ``value`` (and ``type``, where sent);
- an amount or a quantity (`NUMBERS`: QuickBooks' own names for them), or any value either
  side gives as a JSON number, compares as a `Decimal`, so ``"1.0"``, ``"1"`` and ``1`` are
  the same quantity, while other text (a DocNumber ``"01001"`` against ``"1001"``, a postal
  code) compares exactly;
- lines compare in order, against QuickBooks' lines but the sub-total line it adds to an
  invoice (a discount line someone added there is a line more); a line more or fewer is a
  difference;
- text compares without the spaces around it (QuickBooks trims names and numbers), and a field
  the body sends empty (``""``) matches a field QuickBooks leaves out;
- what QuickBooks moves on by itself as the books move is the same value (`MOVES_ON`): an
  expense line billed to the customer (``Billable`` -> ``HasBeenBilled``), a purchase order
  closed by its bill (``Open`` -> ``Closed``).

Fields that QuickBooks changes by itself as the books move on are not compared
(`NOT_COMPARED`): an inventory item's quantity on hand (sales and purchases change it) and its
start date (a fix moves it in QuickBooks). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

__all__ = ["NOT_COMPARED", "Difference", "differences", "normalized", "shown"]

NOT_COMPARED: Final = frozenset({"QtyOnHand", "InvStartDate", "TrackQtyOnHand"})
"""Top-level fields QuickBooks moves by itself after the push (see the module's docstring)."""

NUMBERS: Final = frozenset(
    {"Amount", "Qty", "UnitPrice", "TotalAmt", "PurchaseCost", "QtyOnHand", "Balance", "TotalTax"}
)
"""QuickBooks fields holding amounts and quantities, whatever form (string or number) they
come in."""

MOVES_ON: Final[Mapping[str, frozenset[tuple[str, str]]]] = {
    "BillableStatus": frozenset({("Billable", "HasBeenBilled")}),
    "POStatus": frozenset({("Open", "Closed")}),
}
"""Field -> (what we send, what QuickBooks may hold later) pairs that are no change."""
_QUICKBOOKS_LINES: Final = frozenset({"SubTotalLineDetail"})
"""Lines QuickBooks adds to a document by itself."""
_LINE_BOOKKEEPING: Final = frozenset({"Id", "LineNum"})

_MISSING: Final = object()


@dataclass(frozen=True)
class Difference:
    """One value QuickBooks holds otherwise than the engine would send it."""

    path: str  # "Line[1].SalesItemLineDetail.Qty", "PrimaryEmailAddr.Address", "Active"
    ours: Any  # what the engine would send (None: nothing)
    theirs: Any  # what QuickBooks holds (None: nothing)

    @property
    def field(self) -> str:
        """The body's top-level field the difference lies in ("Line", "Active", ...)."""
        return self.path.split(".", 1)[0].split("[", 1)[0]


def differences(body: Mapping[str, Any], held: Mapping[str, Any]) -> list[Difference]:
    """Where QuickBooks' object `held` does not carry what `body` sends, in the body's order."""
    found: list[Difference] = []
    for key, ours in body.items():
        if key in NOT_COMPARED or key in ("Id", "SyncToken", "sparse"):
            continue
        _compare(key, ours, held.get(key, _MISSING), found)
    return found


def normalized(value: Any, key: str = "") -> Any:
    """A value in the form comparisons use, for storing what a person chose to keep and
    comparing it later: amounts and quantities as canonical decimals whatever form they came
    in, text without surrounding spaces, references without QuickBooks' label (`name`), lines
    without QuickBooks' own ids, line numbers and sub-total line; `key`: the field's name."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal) or (key in NUMBERS and isinstance(value, str)):
        number = _decimal(value)
        return str(number.normalize()) if number is not None else value
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        reference = "value" in value
        return {
            k: normalized(v, k)
            for k, v in sorted(value.items())
            if not (reference and k == "name") and k not in _LINE_BOOKKEEPING
        }
    if isinstance(value, list | tuple):
        return [normalized(v, key) for v in value if not _quickbooks_line(v)]
    return value


def _quickbooks_line(line: Any) -> bool:
    return isinstance(line, Mapping) and line.get("DetailType") in _QUICKBOOKS_LINES


_QUANTITIES: Final = frozenset({"Qty", "QtyOnHand"})
_AMOUNTS: Final = NUMBERS - _QUANTITIES


def shown(value: Any, path: str = "") -> str | None:
    """A value as a person reads it in a message: amounts with their cents ("1,495.00"),
    quantities without trailing zeros ("5"), references by id; `path` says which it is."""
    if value is None or value is _MISSING:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    last = path.rsplit(".", 1)[-1]
    number = _decimal(value) if last in _QUANTITIES | _AMOUNTS else None
    if number is None and isinstance(value, int | float | Decimal):
        number = _decimal(value)
    if number is not None and number.is_finite():
        if last in _QUANTITIES or number != number.quantize(Decimal("0.01")):
            text = f"{number.normalize():,f}"
            return text if "." in text or last in _QUANTITIES else f"{number:,.2f}"
        return f"{number:,.2f}"
    if isinstance(value, Mapping):
        for key in ("value", "Address", "FreeFormNumber"):
            if key in value:
                return shown(value[key])
        return ", ".join(f"{k}: {shown(v, k)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return f"{len(value)} line{'s' if len(value) != 1 else ''}"
    return str(value)


# --- the comparison ------------------------------------------------------------------------------


def _compare(path: str, ours: Any, theirs: Any, found: list[Difference]) -> None:
    if isinstance(ours, Mapping):
        if not isinstance(theirs, Mapping):
            if _empty(ours) and _empty(theirs):
                return
            found.append(Difference(path, ours, None if theirs is _MISSING else theirs))
            return
        for key, value in ours.items():
            if key == "name" and "value" in ours:
                continue  # a reference's name is QuickBooks' label, not ours
            _compare(f"{path}.{key}", value, theirs.get(key, _MISSING), found)
        return
    if isinstance(ours, list):
        _compare_lines(path, ours, theirs, found)
        return
    last = path.rsplit(".", 1)[-1]
    if (ours, theirs) in MOVES_ON.get(last, ()):
        return
    if not _same(ours, theirs, last in NUMBERS):
        found.append(Difference(path, ours, None if theirs is _MISSING else theirs))


def _compare_lines(path: str, ours: list[Any], theirs: Any, found: list[Difference]) -> None:
    held: Sequence[Any] = theirs if isinstance(theirs, list) else []
    held = [line for line in held if not _quickbooks_line(line)]
    if len(held) != len(ours):
        found.append(Difference(path, ours, list(held)))
        return
    for index, (mine, other) in enumerate(zip(ours, held, strict=True)):
        _compare(f"{path}[{index}]", mine, other, found)


def _same(ours: Any, theirs: Any, number: bool) -> bool:
    if theirs is _MISSING or theirs is None:
        return _empty(ours)
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return ours is theirs or (
            isinstance(ours, bool) and isinstance(theirs, bool) and ours == theirs
        )
    if number or isinstance(ours, int | float) or isinstance(theirs, int | float):
        left, right = _decimal(ours), _decimal(theirs)
        return left is not None and left == right
    if isinstance(ours, str) and isinstance(theirs, str):
        return ours.strip() == theirs.strip()
    return bool(ours == theirs)


def _empty(value: Any) -> bool:
    return value is None or value is _MISSING or value == "" or value == {} or value == []


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
